"""Diagnostics module ``system``: the memory budget and health over SECoP."""

import gc
from micropython import const

from secop.datatypes import Double, Int, String
from secop.errors import SECoPError
from secop.module import Command, Parameter, Readable, declare

_MAX = const(1 << 24)      # exact in a float32 client; larger figures are reported as this
_BYTES = Int(0, _MAX)          # bytes (the description says so: an int has no unit)


def build(app, cfg, built):
    """The config class ``system`` (see registry)."""
    name, description, props = app.common(cfg)
    return System(name, description, app.clock, app.clients, app.board.reset_cause(),
                  app.dropped, app.reset_settings, **props)


class System(Readable):
    """Free heap after the last collection, allocated heap, uptime, clients, reset cause."""

    implementation = 'modules.system.System'
    accessibles = declare(
        Readable.accessibles,
        ('value', Parameter('free heap in bytes after the last garbage collection', _BYTES)),
        ('pollinterval', Parameter('interval of collection and update', Double(1, 3600, unit='s'),
                                   readonly=False, default=10.0, visibility='w--')),
        ('_mem_alloc', Parameter('allocated heap in bytes after the last collection', _BYTES)),
        ('_uptime', Parameter('seconds since boot', Double(0, unit='s', fmtstr='%.0f'))),
        ('_clients', Parameter('connected clients (TCP and serial)', Int(0, 64))),
        ('_dropped', Parameter('updates and log lines dropped for clients that fell behind',
                               Int(0, _MAX))),
        ('_reset_cause', Parameter('why the board last reset', String(maxchars=32))),
        ('_reset_settings', Command('kept settings back to the config values',
                                    visibility='w--')),
    )

    def __init__(self, name, description, clock, clients, reset_cause='unknown', dropped=None,
                 reset_settings=None, **props):
        Readable.__init__(self, name, description, clock, **props)
        self._clients = clients     # callables: connected clients, events dropped
        self._dropped = dropped
        self._reset_kept = reset_settings    # the app's: kept settings to the config values
        self.set('_reset_cause', reset_cause)
        self.poll()

    def do__reset_settings(self):
        if self._reset_kept is None:
            raise SECoPError('NotImplemented', 'this node keeps no settings')
        self._reset_kept()

    def poll(self):
        gc.collect()
        self.set('value', min(gc.mem_free(), _MAX))
        self.set('_mem_alloc', min(gc.mem_alloc(), _MAX))
        self.set('_uptime', self.clock.uptime())     # as of the clock's last read
        self.set('_clients', self._clients())
        if self._dropped is not None:
            self.set('_dropped', min(self._dropped(), _MAX))

    def read_value(self):
        self.poll()

    def read__mem_alloc(self):
        self.poll()
