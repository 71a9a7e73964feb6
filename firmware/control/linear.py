"""Voltage-output temperature ICs (TMP36, LM35, any linear part), see control.sensors."""

from control.sensors import _check_range, _in_range


class Linear:
    """Voltage-output sensor: uv = offset_uv + uv_per_degree * t.

    TMP36 is ``Linear(10000, 500000)``, LM35 ``Linear(10000, 0)``.
    """

    def __init__(self, uv_per_degree, offset_uv=0):
        if not uv_per_degree:
            raise ValueError('uv_per_degree must not be 0')
        self.uv_per_degree = uv_per_degree
        self.offset_uv = offset_uv

    def temperature(self, uv):
        return (uv - self.offset_uv) / self.uv_per_degree


class LinearSensor:
    """A ``Linear`` voltage-output sensor with a valid range."""

    def __init__(self, linear, t_min, t_max):
        _check_range(t_min, t_max)
        self.linear = linear
        self.t_min = t_min
        self.t_max = t_max

    def temperature(self, uv):
        return _in_range(self.linear.temperature(uv), self.t_min, self.t_max)
