"""The heater interlock: the only path to a heater PWM.

Power reaches the PWM only while the permit holds:

* the control step has completed within its lease: each completed step calls
  ``renew()``, and the lease (at most 2 control periods) runs from there;
* no sensor fault is known (``fault``); a reading outside the board's ADC
  window counts as one (the thermometer reports it);
* nothing is latched (``latched``: over-temperature, over-range, and the
  two heat checks of ``heat_check``) until ``clear()``.

``heat_check(temp)``, once per control step with the measured temperature,
watches that heat and temperature agree: while the granted power stays at
or above ``floor`` for ``window`` steps the reading must rise by ``rise``
(else ``NO_RISE``: the sensor is off the block or the heater open), and
after ``window // 4`` steps at 0 W it must not rise by ``rise`` within a
window (else ``STUCK``: the heater is stuck on).  Counted in steps, not
ticks.  ``control.heatcheck`` sets the three and words the latch.

``enable`` (optional) is a second output in series with the heater, a relay
or contactor: energised while the permit holds, dropped with every latch,
fault and lapse, so it cuts a heater whose switch is stuck on.

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
NO_RISE = const(1)          # heat_check's findings, and its modes: heating at the floor ...
STUCK = const(2)            # ... and off


class Interlock:
    """Permit, power limit and PWM of one heater; ``power`` is what the PWM commands (W)."""

    def __init__(self, pwm, rated_power, period_ms, clock, enable=None):
        self.pwm = pwm
        self.enable = enable        # the relay in series with the heater, or None
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
        self.window = 60000 // period_ms    # heat_check: steps (0: off), K and W, as
        self.rise = 1.0                     # control.heatcheck sets them without a tune
        self.floor = 0.9 * self.rated_power
        self._mode = 0              # NO_RISE (heating), STUCK (off) or 0
        self._mark = 0.0            # the reading the rise is measured from
        self._steps = 0             # steps in this mode (negative: the hold-off at 0 W)
        self._release()

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
        if self.enable is not None and self.latched is None and self.fault is None:
            self.enable.value(1)

    def revoke(self, why):
        """A control step failed: the lease ends now, until the next completed step."""
        self._release()
        self._renewed_s = None
        self._lapse = why

    def check(self):
        """Heater off unless the permit holds; True while the lease holds."""
        if self.refusal() is not None:
            self._release()
        return self.lease_held()

    def set_fault(self, text):
        self._release()
        self.fault = text

    def clear_fault(self):
        self.fault = None

    def latch(self, text):
        """Heater off until ``clear()``; the first reason is kept."""
        self._release()
        if self.latched is None:
            self.latched = text

    def clear(self):
        self.latched = None
        self._mode = 0

    # --- heat and temperature agree -------------------------------------------

    def heat_check(self, temp):
        """Once per control step: NO_RISE when the heater heats and the reading
        does not rise, STUCK when it rises while the heater is off, else 0."""
        window = self.window
        power = self.power
        mode = 0 if self.latched is not None else NO_RISE if power >= self.floor else \
            STUCK if power == 0.0 else 0
        steps = self._steps + 1
        mark = self._mark
        if not window or mode != self._mode:
            self._mode = mode if window else 0
            steps = -(window >> 2) if mode == STUCK else 0      # heat still in transit
            mark = temp
        elif mode == NO_RISE:
            if temp >= mark + self.rise:
                steps, mark = 0, temp           # it warms: watch the next window
            elif steps >= window:
                return NO_RISE
        elif not mode:
            return 0
        elif steps <= 0 or steps > window:      # STUCK: the hold-off, then window by window
            steps, mark = min(steps, 1), temp
        elif temp > mark + self.rise:
            return STUCK
        elif temp < mark:
            mark = temp
        self._steps, self._mark = steps, mark
        return 0

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

    def _release(self):
        """Heater off and its relay dropped: the permit is gone."""
        self.off()
        if self.enable is not None:
            self.enable.value(0)
