"""The node's one time source: the board's tick counter, read through here only.

The board supplies ``ticks_ms`` and ``ticks_diff`` (``time.ticks_ms`` and
``time.ticks_diff`` on a real board: a 30-bit counter that wraps every 2**30
ms, 12.4 days, whose differences are valid within 2**29 ms).  Every elapsed
time in the firmware is ``elapsed(since)`` or ``diff(later, earlier)``: tick
counts are never subtracted, and nothing assumes the counter starts near 0.

``read()`` reads the counter once (per control step, poll or request) and
adds the difference to the uptime, kept as whole seconds plus milliseconds:
small ints that never wrap.  It must run at least every 2**29 ms; the poll
and control tasks call it every few seconds.

Timestamps (the ``t`` qualifier) are the uptime plus an offset that the board
sets once it knows the wall time (RTC, SNTP, host): ``wall_s`` (seconds since
2000, None while unknown) and ``wall_ms``, small ints on a runtime with 31-bit
small ints until 2034, as of the last read.  A parameter copies both into its
own attributes, so no timestamp object is ever allocated (small long-lived
objects scattered through the heap would fragment it);
``codec.qualifiers`` turns them into Unix time without building a bigint.
"""

from micropython import const

_UNIX_2000 = const(946684800)      # seconds from 1970 to 2000


class Clock:
    def __init__(self, ticks_ms, ticks_diff):
        self._ticks_ms = ticks_ms
        self.diff = ticks_diff          # diff(later, earlier): milliseconds, wrap-safe
        self.ticks = ticks_ms()         # the counter at the last read
        self.up_s = 0                   # uptime at the last read: seconds ...
        self.up_ms = 0                  # ... and milliseconds (0..999)
        self._wall_s = None             # wall time at uptime 0: seconds since 2000 ...
        self._wall_ms = 0               # ... and milliseconds; None while unknown
        self.wall_s = None              # wall time at the last read
        self.wall_ms = 0

    def read(self):
        """Read the board's counter and advance the uptime; returns the count."""
        now = self._ticks_ms()
        ms = self.up_ms + self.diff(now, self.ticks)
        self.ticks = now
        if ms >= 1000:
            self.up_s += ms // 1000
            ms %= 1000
        self.up_ms = ms
        if self._wall_s is not None:
            ms += self._wall_ms
            self.wall_s = self.up_s + self._wall_s + ms // 1000
            self.wall_ms = ms % 1000
        return now

    def elapsed(self, since):
        """Milliseconds from the tick count ``since`` to the last read."""
        return self.diff(self.ticks, since)

    def uptime(self):
        """Seconds since boot as of the last read."""
        return self.up_s + self.up_ms / 1000

    @property
    def synced(self):
        return self._wall_s is not None

    def set_time(self, seconds, ms=0, epoch_year=2000):
        """The wall time now: ``seconds`` since the start of ``epoch_year`` (2000 or 1970)."""
        self.read()
        if epoch_year == 1970:
            seconds -= _UNIX_2000
        ms -= self.up_ms
        self._wall_s = seconds - self.up_s + ms // 1000
        self._wall_ms = ms % 1000
        self.read()
