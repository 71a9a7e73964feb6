"""CPython stand-in for MicroPython's built-in ``micropython`` module, so that firmware
using ``const`` imports on the host (tests, tools); never deployed."""


def const(value):
    return value
