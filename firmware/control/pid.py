"""PID controller with anti-windup, derivative on measurement and bumpless transfer.

    pid = PID(kp, ki, kd, out_min=0.0, out_max=1.0, d_filter=0.0)
    out = pid.update(setpoint, measurement, dt)   # dt in s; out in [out_min, out_max]
    pid.reset(measurement=None, output=None)      # next update returns ``output``
    pid.set_gains(kp, ki, kd)                     # P and I changes do not bump

Units: ``kp`` output per K, ``ki`` output per K and s, ``kd`` output s per K;
``d_filter`` is the time constant in s of a first-order low-pass on the
derivative (0: none); ``i_band`` (K) limits integration to errors within
the band (0: always), so a step does not wind the integral up on its way.

* The derivative acts on the measurement, not the error, so a setpoint
  step gives no derivative kick.
* The integral is kept as an output term (the sum of ki * error * dt), so a
  change of ki never makes the output jump.
* Anti-windup: the integral may not push the output further into
  saturation; it stops growing where the output reaches the limit, but may
  always move back.  When the error reverses after a long saturation the
  output leaves the limit at once.
* Conditional integration: an error that the measurement, at its present
  rate, closes within ``CLOSING`` derivative times (Td = kd / kp) is a
  transient, not an offset, and is not integrated: the integral holds while
  the error predicted CLOSING Td ahead, error - CLOSING Td rate, has the
  other sign.  Without this, on a lag-dominant plant the integral gathers
  during the approach after a large step an amount set by the heater's
  power (the output leaves full power at an error that grows with it), not
  the change of holding power the new setpoint needs; the surplus comes out
  as overshoot and a slow tail (docs/control.md).  With kd = 0 every error
  is integrated.
"""

CLOSING = 4.0   # derivative times; the loop leaves full power about 3.2 Td before the
                # setpoint with gains from control.autotune, so the whole approach is held


class PID:
    def __init__(self, kp, ki, kd, out_min=0.0, out_max=1.0, d_filter=0.0, i_band=0.0):
        if not out_min < out_max:
            raise ValueError('out_min must be < out_max')
        if d_filter < 0:
            raise ValueError('d_filter must be >= 0')
        self.kp = kp
        self.ki = ki
        self.kd = kd
        self.out_min = out_min
        self.out_max = out_max
        self.d_filter = d_filter
        self.i_band = i_band
        self.reset()

    def reset(self, measurement=None, output=None):
        """Restart; with ``output`` the next update returns it (clamped).

        Give ``measurement`` (the current value) to have a derivative from the
        first update on.  The integral for ``output`` is set at the next
        update, because only then the setpoint is known.
        """
        self._integral = 0.0
        self._previous = measurement
        self._rate = 0.0  # filtered d(measurement)/dt
        self._error = None
        self._hold = output

    def set_gains(self, kp, ki, kd):
        """New gains; the integral absorbs the change of the P term.

        A change of the D term is left alone: it fades with the rate, whereas
        folding it into the integral would leave a lasting offset.
        """
        if self._error is not None:
            self._integral += (self.kp - kp) * self._error
        self.kp = kp
        self.ki = ki
        self.kd = kd

    def update(self, setpoint, measurement, dt):
        if not dt > 0:
            raise ValueError('dt must be > 0')
        error = setpoint - measurement
        if self._previous is not None:
            rate = (measurement - self._previous) / dt
            self._rate += (rate - self._rate) * dt / (self.d_filter + dt)
        self._previous = measurement
        self._error = error
        p = self.kp * error
        d = -self.kd * self._rate
        low = self.out_min
        high = self.out_max
        if self._hold is not None:
            self._integral = min(max(self._hold, low), high) - p - d
            self._hold = None
        else:
            old = self._integral
            i = old
            # p + CLOSING d = kp (error - CLOSING Td rate): the error CLOSING Td ahead
            ahead = p + CLOSING * d
            if (not self.i_band or -self.i_band <= error <= self.i_band) and \
                    not (ahead < 0 < error or error < 0 < ahead):
                i += self.ki * error * dt
            top = high - p - d
            bottom = low - p - d
            if i > top:
                i = min(i, max(top, old))
            elif i < bottom:
                i = max(i, min(bottom, old))
            self._integral = i
        out = p + self._integral + d
        return high if out > high else (low if out < low else out)
