"""NTC thermistor models, resistance <-> temperature (see control.sensors)."""

import math

from control.sensors import _positive

_KELVIN = 273.15


class NTCBeta:
    """NTC thermistor, beta equation: 1/T = 1/T0 + ln(R/R25)/beta.

    ``r25`` is the resistance at ``t0`` (25 degC unless given).  Exact at t0
    and at the second point the beta was measured at (B25/50: 50 degC), it
    drifts outside them: for a typical 10k B3950 part 0.6 K at 0 degC and
    5 K at -40 degC.  Use NTCSteinhartHart over wide ranges.
    """

    def __init__(self, r25, beta, t0=25.0):
        _positive('r25', r25)
        _positive('beta', beta)
        self.r25 = r25
        self.beta = beta
        self._inv_t0 = 1.0 / (t0 + _KELVIN)

    def temperature(self, r):
        return 1.0 / (self._inv_t0 + math.log(r / self.r25) / self.beta) - _KELVIN

    def resistance(self, t):
        return self.r25 * math.exp(self.beta * (1.0 / (t + _KELVIN) - self._inv_t0))


class NTCSteinhartHart:
    """NTC thermistor: 1/T = a + b ln R + c (ln R)^3, T in kelvin."""

    def __init__(self, a, b, c):
        _positive('b', b)
        self.a = a
        self.b = b
        self.c = c

    def temperature(self, r):
        x = math.log(r)
        return 1.0 / (self.a + x * (self.b + self.c * x * x)) - _KELVIN

    def resistance(self, t):
        a, b, c = self.a, self.b, self.c
        y = 1.0 / (t + _KELVIN)
        # Newton on x = ln R from the root without the small cubic term; for
        # c >= 0 the cubic is convex there, so the steps shrink monotonically.
        x = (y - a) / b
        for _ in range(20):
            step = (a + x * (b + c * x * x) - y) / (b + 3.0 * c * x * x)
            x -= step
            if abs(step) < 1e-9:
                break
        return math.exp(x)
