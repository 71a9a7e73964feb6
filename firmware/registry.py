"""Module classes and transports by name.

A new module class or transport is one entry here; its code is imported only
when a config uses it, so registering costs no heap at boot (a loader is a
small function that imports on call).

``MODULES[cls]()`` gives the builder of config class ``cls``:
``build(app, cfg, built)`` returns the SECoP module (``built``: the modules
made so far, for references by name).  A board may offer classes of its own
in the same form (``board.modules``: the simulator's ``sim`` and ``tutorial_loop``).

``TRANSPORTS`` are (config section, enabled by default, loader) in start
order; the loader gives the module, whose ``launch(app, cfg)`` is a coroutine that starts serving
and returns what it serves for the console ('tcp=0.0.0.0:10767'), or None
if there is nothing to serve (discovery without TCP): the app then forgets
the module again.
"""


def _temperature():
    from modules.temperature import build
    return build


def _loop():
    from modules.loop import build
    return build


def _heater():
    from modules.heater import build
    return build


def _system():
    from modules.system import build
    return build


MODULES = {'temperature': _temperature, 'loop': _loop, 'heater': _heater, 'system': _system}


def _tcp():
    from transport import tcp
    return tcp


def _discovery():
    from transport import discovery
    return discovery


def _serial():
    from transport import serial
    return serial


# discovery announces the TCP port: after tcp
TRANSPORTS = (('tcp', True, _tcp), ('discovery', False, _discovery), ('serial', False, _serial))
