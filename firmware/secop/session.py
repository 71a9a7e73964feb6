"""Per-connection state and its bounded outbox.

A session remembers what its client activated and asked to log, and holds
the lines waiting to be written, in a ring allocated once (a session is
reused by every client of its connection slot): one list, entry ``k`` at
``2k`` and its owner at ``2k + 1``, and at most 12 attributes (an instance's
attribute table grows from 12 to 17 slots at the 13th; there are 9 sessions).

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
        # entries (str, or an iterable of str chunks) and their owners (the Param
        # of an update, _LOG, or None for a reply)
        self._ring = [None] * (2 * capacity)
        self._head = 0
        self.count = 0                      # entries waiting to be written
        self.wake = _nothing          # set by the transport: a new entry is queued
        self.active_all = False
        self.active_modules = ()      # names; a tuple: the empty one allocates nothing
        self.log_level = LOG_OFF
        self.log_modules = None       # {module name: level} once set per module
        self.may_write = True         # set by the node from its access settings

    # --- state --------------------------------------------------------------

    def reset(self):
        """Fresh state, as after connecting (``*IDN?`` does this)."""
        self.active_all = False
        self.active_modules = ()
        self.log_level = LOG_OFF
        self.log_modules = None
        self.drop_updates()

    def clear(self):
        """Nothing pending: the slot is free for the next client."""
        self.reset()
        ring = self._ring
        for i in range(len(ring)):
            ring[i] = None
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

    def _owner(self, k):
        """The owner of the k-th pending entry."""
        return self._ring[2 * ((self._head + k) % self.capacity) + 1]

    def _append(self, entry, owner):
        i = 2 * ((self._head + self.count) % self.capacity)
        self._ring[i] = entry
        self._ring[i + 1] = owner
        self.count += 1
        self.wake()

    def _merge(self, param):
        """Full: drop the pending updates of ``param`` (never of a status), else
        the oldest update superseded by a later one of its parameter."""
        if param.name != 'status' and self._drop_all(param):
            return True
        for k in range(self.count):
            owner = self._owner(k)
            if owner is None or owner is _LOG or owner.name == 'status':
                continue
            for later in range(k + 1, self.count):
                if self._owner(later) is owner:
                    return self._drop(k)
        for k in range(self.count):     # updates go before log lines
            if self._owner(k) is _LOG:
                return self._drop(k)
        return False

    def _drop(self, k):
        self._remove(k)
        self.node.dropped += 1
        return True

    def _drop_all(self, param):
        before = self.count
        k = 0
        while k < self.count:
            if self._owner(k) is param:
                self._remove(k)
            else:
                k += 1
        self.node.dropped += before - self.count
        return self.count < before

    def _remove(self, k):
        """Remove the k-th pending entry, keeping the order of the others."""
        ring, capacity, head = self._ring, self.capacity, self._head
        for j in range(k, self.count - 1):
            src, dst = 2 * ((head + j + 1) % capacity), 2 * ((head + j) % capacity)
            ring[dst] = ring[src]
            ring[dst + 1] = ring[src + 1]
        last = 2 * ((head + self.count - 1) % capacity)
        ring[last] = ring[last + 1] = None
        self.count -= 1

    def drop_updates(self, module=None):
        """Forget pending updates (of ``module`` only, if given)."""
        k = 0
        while k < self.count:
            owner = self._owner(k)
            if owner is not None and owner is not _LOG and (module is None
                                                            or owner.module is module):
                self._remove(k)
            else:
                k += 1

    def pop(self):
        """Next entry to write: a str, or an iterable of str chunks."""
        head = self._head
        ring = self._ring
        entry = ring[2 * head]
        ring[2 * head] = ring[2 * head + 1] = None
        self._head = (head + 1) % self.capacity
        self.count -= 1
        return entry


def _nothing():
    pass


_LOG = _nothing         # owner of a log line
