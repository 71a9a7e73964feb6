"""The heater interlock: the only path to a heater PWM.

Power reaches the PWM only while the permit holds:

* the control step has completed within its lease: each completed step calls
  ``renew()``, and the lease (at most 2 control periods) runs from there;
* no sensor fault is known (``fault``); a reading outside the board's ADC
  window counts as one (the thermometer reports it);
* nothing is latched (``latched``: over-temperature, over-range) until ``clear()``.

Whoever wants heat, the loop's PID or the manual heater module, asks with
``request(watts)`` and gets the power granted: 0 W without a permit.
``check()`` runs at least every half control period (the app's watch
task): it switches the heater off once the permit is gone, and its result
(the lease holds) is what feeds the hardware watchdog.  A request is not
remembered: once the heater has been switched off, power comes back only
when someone asks again.

Time is the node's clock (``secop.clock.Clock``), read here
(``clock.read()``), so no caller can hand in a stale time.  The lease is
measured on its uptime, which never wraps (a tick difference is valid for
days only), and a lapse is kept until the next ``renew()``, whatever the
time since.
"""

from micropython import const

_FULL = const(65535)
_NOT_STARTED = 'control not running yet'
_OVERDUE = 'control step overdue'


class Interlock:
    """Permit, power limit and PWM of one heater; ``power`` is what the PWM commands (W)."""

    def __init__(self, pwm, rated_power, period_ms, clock):
        self.pwm = pwm
        self.clock = clock
        self.rated_power = float(rated_power)
        self.limit = self.rated_power
        self.period_ms = period_ms
        self.lease_ms = 2 * period_ms
        self.check_ms = max(1, period_ms // 2)    # the longest gap allowed between check()s
        self.power = 0.0
        self.fault = None           # text of the present sensor fault
        self.latched = None         # text of a latched error, until clear()
        self._renewed_s = None      # uptime of the last completed control step (s, ms) ...
        self._renewed_ms = 0        # ... None: no lease
        self._lapse = _NOT_STARTED      # why there is no lease
        self.off()

    # --- permit -------------------------------------------------------------

    def lease_held(self):
        if self._renewed_s is None:
            return False
        clock = self.clock
        clock.read()
        if (clock.up_s - self._renewed_s) * 1000 + clock.up_ms - self._renewed_ms \
                <= self.lease_ms:
            return True
        self._renewed_s = None      # lapsed: until the next renew()
        self._lapse = _OVERDUE
        return False

    def started(self):
        """A control step has completed at least once."""
        return self._lapse is not _NOT_STARTED

    def refusal(self):
        """Why the heater may not be on now; None while the permit holds."""
        if self.latched is not None:
            return self.latched
        if self.fault is not None:
            return self.fault
        if not self.lease_held():
            return self._lapse
        return None

    def renew(self):
        """A control step has completed."""
        clock = self.clock
        clock.read()
        self._renewed_s = clock.up_s
        self._renewed_ms = clock.up_ms
        self._lapse = None

    def revoke(self, why):
        """A control step failed: the lease ends now, until the next completed step."""
        self.off()
        self._renewed_s = None
        self._lapse = why

    def check(self):
        """Heater off unless the permit holds; True while the lease holds."""
        if self.refusal() is not None:
            self.off()
        return self.lease_held()

    def set_fault(self, text):
        self.off()
        self.fault = text

    def clear_fault(self):
        self.fault = None

    def latch(self, text):
        """Heater off until ``clear()``; the first reason is kept."""
        self.off()
        if self.latched is None:
            self.latched = text

    def clear(self):
        self.latched = None

    # --- power --------------------------------------------------------------

    def request(self, watts):
        """Ask for ``watts``; returns the power granted (0.0 without a permit)."""
        if not watts > 0.0 or self.refusal() is not None:     # NaN is no power either
            self.off()
            return 0.0
        duty = int(min(watts, self.limit) / self.rated_power * _FULL)   # rounds down
        self.pwm.duty_u16(duty)
        self.power = duty * self.rated_power / _FULL
        return self.power

    def set_limit(self, watts):
        """A new power limit; power above it is cut at once."""
        self.limit = min(max(watts, 0.0), self.rated_power)
        if self.power > self.limit:
            self.request(self.limit)

    def off(self):
        self.pwm.duty_u16(0)
        self.power = 0.0
