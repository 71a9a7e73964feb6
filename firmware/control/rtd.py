"""Platinum RTDs: the Callendar-Van Dusen model and the constant-current front
end with its amplifier (see control.sensors)."""

import math

from control.sensors import SensorFault, _positive

_INF = float('inf')


class Amplifier:
    """``adc_uv = gain * sensor_uv + offset_uv`` (gain > 0)."""

    def __init__(self, gain, offset_uv=0):
        _positive('gain', gain)
        self.gain = gain
        self.offset_uv = offset_uv

    def sensor_uv(self, adc_uv):
        return (adc_uv - self.offset_uv) / self.gain


class CurrentSource:
    """Sensor fed by ``current_ua``, its voltage read through ``amplifier``.

    uV / uA gives ohms directly.  An open sensor drives the amplifier to the
    top rail; a shorted one reads the amplifier offset (or 0 V if the offset
    is negative), so readings within ``margin_uv`` of those are faults.
    """

    def __init__(self, vref_uv, current_ua, amplifier=None, margin_uv=None):
        _positive('vref_uv', vref_uv)
        _positive('current_ua', current_ua)
        if amplifier is None:
            amplifier = Amplifier(1)
        if margin_uv is None:
            margin_uv = vref_uv // 200
        self.current_ua = current_ua
        self.amplifier = amplifier
        self._low = max(amplifier.offset_uv, 0) + margin_uv
        self._high = vref_uv - margin_uv

    def resistance(self, uv):
        if uv >= self._high:
            raise SensorFault('open')
        if uv <= self._low:
            raise SensorFault('short')
        return self.amplifier.sensor_uv(uv) / self.current_ua


class RTD:
    """Platinum RTD, Callendar-Van Dusen per IEC 60751; ``r0`` is R at 0 degC.

    R = r0 (1 + a t + b t^2 + c (t - 100) t^3), the c term only below 0 degC.
    """

    def __init__(self, r0=100.0, a=3.9083e-3, b=-5.775e-7, c=-4.183e-12):
        _positive('r0', r0)
        self.r0 = r0
        self.a = a
        self.b = b
        self.c = c

    def resistance(self, t):
        z = t * (self.a + self.b * t)
        if t < 0:
            z += self.c * (t - 100.0) * t * t * t
        return self.r0 * (1.0 + z)

    def temperature(self, r):
        a, b = self.a, self.b
        z = (r - self.r0) / self.r0
        d = a * a + 4.0 * b * z
        if d < 0:
            return _INF  # above the top of the parabola: no real temperature
        # root of b t^2 + a t - z = 0, written as 2z / (a + sqrt(d)) because
        # (-a + sqrt(d)) / 2b cancels badly in 32-bit floats
        t = 2.0 * z / (a + math.sqrt(d))
        if z < 0:
            c = self.c
            for _ in range(10):
                step = (t * (a + b * t + c * (t - 100.0) * t * t) - z) \
                    / (a + 2.0 * b * t + c * t * t * (4.0 * t - 300.0))
                t -= step
                if abs(step) < 1e-6:
                    break
        return t
