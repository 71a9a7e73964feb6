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
