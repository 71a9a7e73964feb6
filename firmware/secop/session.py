"""Per-connection state and outbox.

A session remembers what its client activated and asked to log, and holds
the lines waiting to be written.  The outbox is bounded: replies are added
only while the transport's reader sees ``has_room()`` (it stops reading the
client otherwise), and an update is kept as a reference to its parameter and
rendered when it is written, so pending updates of one parameter coalesce:
the client gets the latest value, never a backlog.
"""

from secop.module import Param

LOG_LEVELS = (('debug', 10), ('info', 20), ('error', 30), ('off', 99))
LOG_OFF = 99


class Session:
    """State of one client connection (TCP or serial)."""

    def __init__(self, node, capacity, serial=False):
        self.node = node
        self.capacity = capacity
        self.serial = serial
        self.queue = []
        self.wake = _nothing          # set by the transport: a new entry is queued
        self.active_all = False
        self.active_modules = []
        self.log_level = LOG_OFF
        self.log_modules = None       # {module name: level} once set per module
        self.may_write = True         # set by the node from its access settings
        self.overflows = 0

    # --- state --------------------------------------------------------------

    def reset(self):
        """Fresh state, as after connecting (``*IDN?`` does this)."""
        self.active_all = False
        self.active_modules = []
        self.log_level = LOG_OFF
        self.log_modules = None
        self.drop_updates()

    def wants(self, module_name):
        return self.active_all or module_name in self.active_modules

    def level_for(self, module_name):
        if self.log_modules and module_name in self.log_modules:
            return self.log_modules[module_name]
        return self.log_level

    # --- outbox -------------------------------------------------------------

    def has_room(self, reserve):
        return len(self.queue) + reserve < self.capacity

    def send(self, entry):
        """Queue a reply: a line (str, LF included) or an iterable of chunks."""
        self.queue.append(entry)
        self.wake()

    def push_update(self, param):
        """Queue an update; one already pending since the last reply is reused."""
        queue = self.queue
        i = len(queue) - 1
        while i >= 0:
            entry = queue[i]
            if entry is param:
                return
            if type(entry) is not Param:
                break
            i -= 1
        if len(queue) >= self.capacity and not self._drop_superseded():
            self.overflows += 1
            return
        queue.append(param)
        self.wake()

    def _drop_superseded(self):
        """Make room by dropping the oldest update that is pending again later."""
        queue = self.queue
        for i in range(len(queue)):
            entry = queue[i]
            if type(entry) is Param and entry in queue[i + 1:]:
                del queue[i]
                return True
        return False

    def drop_updates(self):
        self.queue = [entry for entry in self.queue if type(entry) is not Param]

    def pop(self):
        """Next entry to write, rendered: a str, or an iterable of str chunks."""
        entry = self.queue.pop(0)
        if type(entry) is Param:
            return self.node.render_update(entry)
        return entry


def _nothing():
    pass
