"""A board's tick counter under a test's control: 30 bits like ``time.ticks_ms``
on a 32-bit board, wrapping, and starting wherever the test says."""

from secop.clock import Clock

PERIOD = 1 << 30


def ticks_diff(later, earlier):
    """``time.ticks_diff`` for a 30-bit counter, on any runtime."""
    return (later - earlier + PERIOD // 2) % PERIOD - PERIOD // 2


class Ticks:
    def __init__(self, start=0):
        self.now = start % PERIOD

    def ms(self):
        return self.now

    def advance(self, ms):
        self.now = (self.now + ms) % PERIOD


def make_clock(start=0):
    """(Clock, Ticks): a clock on a fake counter that starts at ``start``."""
    ticks = Ticks(start)
    return Clock(ticks.ms, ticks_diff), ticks
