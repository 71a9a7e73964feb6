"""Wall clock for the ``t`` qualifier, in integer milliseconds since 1970.

Boards count ``time`` from 2000 (ESP32, STM32) or 1970 (unix, rp2), and their
floats are 32-bit, which resolve a Unix time only to 128 s, so the time is
kept as an integer.  Until the clock is known to be right (NTP, RTC or set by
the host) the clock returns None and no ``t`` is sent.
"""

_EPOCH_2000_MS = 946684800000


class Clock:
    def __init__(self, time_ns, epoch_year=1970, synced=False):
        self._time_ns = time_ns
        self._offset_ms = _EPOCH_2000_MS if epoch_year == 2000 else 0
        self.synced = synced

    def __call__(self):
        if not self.synced:
            return None
        return self._time_ns() // 1000000 + self._offset_ms
