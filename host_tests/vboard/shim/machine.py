"""host_tests/vboard/vboard.py's ``machine`` module: host only, never deploy.

The unix port's built-in ``machine`` has no reset, reset cause or watchdog.
This module extends it (MicroPython finds a ``machine.py`` on sys.path before
the built-in) so that mpremote's ``reset`` and the firmware's board code work
on the virtual board: a hard reset exits with code 99 and a soft reset with 0,
which vboard.py tells apart; vboard.py passes the cause of the last reset in
the environment variable VBOARD_RESET_CAUSE.
"""

import os
import sys

_path = sys.path
sys.path = []
try:
    from machine import *  # noqa: F401,F403  the built-in module
finally:
    sys.path = _path

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
HARD_RESET_EXIT = 99


def reset():
    sys.exit(HARD_RESET_EXIT)


def soft_reset():
    sys.exit(0)


def reset_cause():
    cause = os.getenv('VBOARD_RESET_CAUSE')
    if cause == 'hard':
        return HARD_RESET
    if cause == 'soft':
        return SOFT_RESET
    return PWRON_RESET


def unique_id():
    return b'vboard'


class WDT:
    """Accepts the calls; nothing ever resets."""

    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout

    def feed(self):
        pass


# --- the pins a board's code drives (the unix port has none) ---------------------

class Pin:
    IN = 0
    OUT = 1

    def __init__(self, id, mode=-1, value=None):
        self.id = id
        self._value = value or 0

    def __call__(self, value=None):
        return self.value(value)

    def value(self, value=None):
        if value is None:
            return self._value
        self._value = value


class ADC:
    """Every input reads half scale: a divider of two equal resistors (an NTC at 25 degC)."""

    def __init__(self, pin, atten=None):
        self.pin = pin

    def read_u16(self):
        return 32768

    def read_uv(self):
        return 1650000


class PWM:
    def __init__(self, pin, freq=0, duty_u16=0):
        self.pin = pin
        self._freq = freq
        self._duty = duty_u16

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = value

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        self._duty = value


class UART:
    def __init__(self, id, baudrate=9600, **kwargs):
        self.id = id
        self.baudrate = baudrate
