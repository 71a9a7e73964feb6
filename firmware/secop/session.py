"""Per-connection state and its bounded outbox.

A session remembers what its client activated and asked to log, and holds
the lines waiting to be written, in a ring allocated once (a session is
reused by every client of its connection slot).

Every entry is final text: an update is rendered when its event happens
(the node renders it once and queues the same string on every activated
session), so a client receives each update with the data as of its event,
in the order of the events, and before the reply of the request that caused
it.  Replies are queued only while ``has_room()`` says so (the transport
stops reading the client otherwise).  Events (updates, log lines) are never
refused: when the ring is full, the pending updates of the same parameter
are dropped, keeping the newest (never those of a status), else the oldest
update superseded by a later one, else the oldest log line.  If nothing can
go, the new event is dropped.  Every drop is counted in ``node.dropped``
(``system:_dropped``).
"""

LOG_LEVELS = (('debug', 10), ('info', 20), ('error', 30), ('off', 99))
LOG_OFF = 99


class Session:
    """State of one client connection (TCP or serial)."""

    def __init__(self, node, capacity, serial=False):
        self.node = node
        self.capacity = capacity
        self.serial = serial
        self._lines = [None] * capacity     # str, or an iterable of str chunks
        self._owners = [None] * capacity    # the Param of an update, _LOG, or None (reply)
        self._head = 0
        self.count = 0                      # entries waiting to be written
        self.wake = _nothing          # set by the transport: a new entry is queued
        self.active_all = False
        self.active_modules = []
        self.log_level = LOG_OFF
        self.log_modules = None       # {module name: level} once set per module
        self.may_write = True         # set by the node from its access settings

    # --- state --------------------------------------------------------------

    def reset(self):
        """Fresh state, as after connecting (``*IDN?`` does this)."""
        self.active_all = False
        self.active_modules = []
        self.log_level = LOG_OFF
        self.log_modules = None
        self.drop_updates()

    def clear(self):
        """Nothing pending: the slot is free for the next client."""
        try:
            del self.pop            # a transport's wrapper (WebSocket framing)
        except AttributeError:
            pass
        self.reset()
        for i in range(self.capacity):
            self._lines[i] = self._owners[i] = None
        self._head = self.count = 0

    def wants(self, module_name):
        return self.active_all or module_name in self.active_modules

    def is_active(self):
        return self.active_all or bool(self.active_modules)

    def level_for(self, module_name):
        if self.log_modules and module_name in self.log_modules:
            return self.log_modules[module_name]
        return self.log_level

    # --- outbox -------------------------------------------------------------

    def has_room(self, reserve):
        return self.count + reserve < self.capacity

    def send(self, entry):
        """Queue a reply: a line (str, LF included) or an iterable of chunks.

        The reader checks ``has_room`` first; a reply never displaces anything."""
        if self.count >= self.capacity:
            self.node.dropped += 1
            return
        self._append(entry, None)

    def push_log(self, line):
        """Queue a log line: dropped and counted when the outbox is full."""
        if self.count >= self.capacity:
            self.node.dropped += 1
            return
        self._append(line, _LOG)

    def push_update(self, param, line):
        """Queue the update ``line`` of ``param``, rendered as of its event."""
        if self.count >= self.capacity and not self._merge(param):
            self.node.dropped += 1
            return
        self._append(line, param)

    def _append(self, entry, owner):
        i = (self._head + self.count) % self.capacity
        self._lines[i] = entry
        self._owners[i] = owner
        self.count += 1
        self.wake()

    def _merge(self, param):
        """Full: drop the pending updates of ``param`` (never of a status), else
        the oldest update superseded by a later one of its parameter."""
        if param.name != 'status' and self._drop_all(param):
            return True
        owners, capacity, head = self._owners, self.capacity, self._head
        for k in range(self.count):
            owner = owners[(head + k) % capacity]
            if owner is None or owner is _LOG or owner.name == 'status':
                continue
            for later in range(k + 1, self.count):
                if owners[(head + later) % capacity] is owner:
                    return self._drop(k)
        for k in range(self.count):     # updates go before log lines
            if owners[(head + k) % capacity] is _LOG:
                return self._drop(k)
        return False

    def _drop(self, k):
        self._remove(k)
        self.node.dropped += 1
        return True

    def _drop_all(self, param):
        owners, capacity = self._owners, self.capacity
        before = self.count
        k = 0
        while k < self.count:
            if owners[(self._head + k) % capacity] is param:
                self._remove(k)
            else:
                k += 1
        self.node.dropped += before - self.count
        return self.count < before

    def _remove(self, k):
        """Remove the k-th pending entry, keeping the order of the others."""
        lines, owners, capacity, head = self._lines, self._owners, self.capacity, self._head
        for j in range(k, self.count - 1):
            src, dst = (head + j + 1) % capacity, (head + j) % capacity
            lines[dst] = lines[src]
            owners[dst] = owners[src]
        last = (head + self.count - 1) % capacity
        lines[last] = owners[last] = None
        self.count -= 1

    def drop_updates(self, module=None):
        """Forget pending updates (of ``module`` only, if given)."""
        k = 0
        while k < self.count:
            owner = self._owners[(self._head + k) % self.capacity]
            if owner is not None and owner is not _LOG and (module is None
                                                            or owner.module is module):
                self._remove(k)
            else:
                k += 1

    def pop(self):
        """Next entry to write: a str, or an iterable of str chunks."""
        head = self._head
        entry = self._lines[head]
        self._lines[head] = self._owners[head] = None
        self._head = (head + 1) % self.capacity
        self.count -= 1
        return entry


def _nothing():
    pass


_LOG = _nothing         # owner of a log line
