"""CPython stand-in for MicroPython's built-in ``micropython`` module, so that
firmware using ``const`` imports on the host (tests, tools).  Never deployed:
a board has the built-in module, whose ``const`` folds ``_NAME = const(1)``
into the bytecode (no global, no qstr)."""


def const(value):
    return value
