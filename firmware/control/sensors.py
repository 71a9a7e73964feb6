"""Temperature sensors: from an ADC voltage in microvolts to degrees Celsius.

A resistive sensor is put together from three parts:

* a front end that turns the ADC voltage into the sensor resistance and
  raises ``SensorFault('open')`` / ``SensorFault('short')`` for readings at
  the rails: ``Divider`` (sensor in a ratiometric voltage divider) or
  ``CurrentSource`` (sensor fed by a constant current, optionally behind an
  ``Amplifier``);
* a model from resistance to temperature: ``NTCBeta``, ``NTCSteinhartHart``
  or ``RTD`` (Callendar-Van Dusen, IEC 60751; PT100 is ``RTD(100.0)``);
* the valid range [t_min, t_max].

``ResistiveSensor(front, model, t_min, t_max)`` combines them, and
``LinearSensor(linear, t_min, t_max)`` does the same for voltage-output ICs
(``Linear``: TMP36, LM35).  Both offer::

    temperature(uv) -> degC; SensorFault with .kind 'open', 'short' or 'range'
    voltage(t)      -> uv at the ADC (the inverse, for tests and simulation)

An IC's output has no open/short signature (an LM35 reads 0 V at 0 degC), so
a ``LinearSensor`` only reports 'range'.  ``from_config(cfg, vref_uv)``
builds either from a dict, e.g. ``{"type": "ntc", "r25": 10000, "beta":
3950, "r_fixed": 10000}``; see ``from_config`` for the keys.

Units: microvolts (ints from the ADC; floats work too), ohms, degC.  The
parts are plain objects, so each can be used on its own (``RTD().temperature(r)``).
``average(read, n)`` smooths raw readings.
"""

import math

_KELVIN = 273.15
_INF = float('inf')


class SensorFault(Exception):
    """A reading that is not a temperature; ``kind`` is 'open', 'short' or 'range'."""

    def __init__(self, kind, detail=''):
        super().__init__('%s: %s' % (kind, detail) if detail else kind)
        self.kind = kind


def _positive(name, value):
    if not value > 0:
        raise ValueError('%s must be > 0' % name)


# --- front ends: ADC voltage -> resistance --------------------------------

class Divider:
    """Sensor and ``r_fixed`` in series across the ADC reference.

    The sensor is the lower resistor (to ground) unless ``sensor_on_top``.
    A reading within ``margin_uv`` (default 0.5 % of vref) of a rail means an
    open or a shorted sensor.
    """

    def __init__(self, vref_uv, r_fixed, sensor_on_top=False, margin_uv=None):
        _positive('vref_uv', vref_uv)
        _positive('r_fixed', r_fixed)
        if margin_uv is None:
            margin_uv = vref_uv // 200
        self.vref_uv = vref_uv
        self.r_fixed = r_fixed
        self.sensor_on_top = sensor_on_top
        self._low = margin_uv
        self._high = vref_uv - margin_uv
        # the fault each rail means: an open lower sensor pulls the node up to vref
        self._at_low, self._at_high = ('open', 'short') if sensor_on_top else ('short', 'open')

    def resistance(self, uv):
        if uv <= self._low:
            raise SensorFault(self._at_low)
        if uv >= self._high:
            raise SensorFault(self._at_high)
        if self.sensor_on_top:
            return self.r_fixed * (self.vref_uv - uv) / uv
        return self.r_fixed * uv / (self.vref_uv - uv)

    def voltage(self, r):
        return self.vref_uv * (self.r_fixed if self.sensor_on_top else r) / (r + self.r_fixed)


class Amplifier:
    """``adc_uv = gain * sensor_uv + offset_uv`` (gain > 0)."""

    def __init__(self, gain, offset_uv=0):
        _positive('gain', gain)
        self.gain = gain
        self.offset_uv = offset_uv

    def sensor_uv(self, adc_uv):
        return (adc_uv - self.offset_uv) / self.gain

    def adc_uv(self, sensor_uv):
        return sensor_uv * self.gain + self.offset_uv


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

    def voltage(self, r):
        return self.amplifier.adc_uv(r * self.current_ua)


# --- models: resistance <-> temperature -----------------------------------

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

    def voltage(self, t):
        return self.offset_uv + t * self.uv_per_degree


# --- complete sensors ------------------------------------------------------

def _check_range(t_min, t_max):
    if not t_min < t_max:
        raise ValueError('t_min must be < t_max')


def _in_range(t, t_min, t_max):
    if not t_min <= t <= t_max:  # also catches NaN
        raise SensorFault('range', '%.2f degC outside [%s, %s]' % (t, t_min, t_max))
    return t


class ResistiveSensor:
    """``front`` (Divider, CurrentSource) + ``model`` (NTCBeta, NTCSteinhartHart, RTD)."""

    def __init__(self, front, model, t_min, t_max):
        _check_range(t_min, t_max)
        self.front = front
        self.model = model
        self.t_min = t_min
        self.t_max = t_max

    def temperature(self, uv):
        return _in_range(self.model.temperature(self.front.resistance(uv)), self.t_min, self.t_max)

    def voltage(self, t):
        return self.front.voltage(self.model.resistance(t))


class LinearSensor:
    """A ``Linear`` voltage-output sensor with a valid range."""

    def __init__(self, linear, t_min, t_max):
        _check_range(t_min, t_max)
        self.linear = linear
        self.t_min = t_min
        self.t_max = t_max

    def temperature(self, uv):
        return _in_range(self.linear.temperature(uv), self.t_min, self.t_max)

    def voltage(self, t):
        return self.linear.voltage(t)


# default valid ranges: datasheet ranges of typical parts, IEC 60751 for RTDs
_RANGES = {
    'ntc': (-55.0, 150.0),
    'ntc_sh': (-55.0, 150.0),
    'pt100': (-200.0, 850.0),
    'pt1000': (-200.0, 850.0),
    'tmp36': (-40.0, 125.0),
    'lm35': (-55.0, 150.0),
    'linear': (-_KELVIN, _INF),
}
_LINEAR = {'tmp36': (10000, 500000), 'lm35': (10000, 0)}
_REQUIRED = object()


def _number(cfg, key, default=_REQUIRED):
    if key not in cfg:
        if default is _REQUIRED:
            raise ValueError("sensor type %r: missing key '%s'" % (cfg['type'], key))
        return default
    value = cfg[key]
    kind = type(value)
    if kind is not int and kind is not float:  # also refuses bool
        raise ValueError("sensor config: '%s' must be a number" % key)
    return value


def _divider(cfg, vref_uv):
    on_top = cfg.get('sensor_on_top', False)
    if type(on_top) is not bool:
        raise ValueError("sensor config: 'sensor_on_top' must be true or false")
    return Divider(vref_uv, _number(cfg, 'r_fixed'), on_top, _number(cfg, 'margin_uv', None))


def from_config(cfg, vref_uv):
    """A ResistiveSensor or LinearSensor from a config dict; ValueError if it is wrong.

    ``type`` and its keys:

    * ``ntc``: ``r25``, ``beta``, ``r_fixed``; optional ``t0`` (25)
    * ``ntc_sh``: ``a``, ``b``, ``c``, ``r_fixed``
    * ``pt100``, ``pt1000``: ``r_fixed`` (divider), or ``current_ua`` with
      optional ``gain`` (1) and ``offset_uv`` (0) (current source)
    * ``tmp36``, ``lm35``: optional ``uv_per_degree``, ``offset_uv``
    * ``linear``: ``uv_per_degree``, optional ``offset_uv`` (0)

    Divider types take optional ``sensor_on_top`` (false); all resistive
    types ``margin_uv`` (0.5 % of vref), all types ``t_min`` and ``t_max``.
    """
    kind = cfg.get('type')
    if kind is None:
        raise ValueError("sensor config: missing key 'type'")
    if kind not in _RANGES:
        raise ValueError('sensor config: unknown type %r' % (kind,))
    low, high = _RANGES[kind]
    t_min = _number(cfg, 't_min', low)
    t_max = _number(cfg, 't_max', high)
    if kind in _LINEAR or kind == 'linear':
        per_degree, offset = _LINEAR.get(kind, (_REQUIRED, 0))
        linear = Linear(_number(cfg, 'uv_per_degree', per_degree),
                        _number(cfg, 'offset_uv', offset))
        return LinearSensor(linear, t_min, t_max)
    if kind == 'ntc':
        model = NTCBeta(_number(cfg, 'r25'), _number(cfg, 'beta'), _number(cfg, 't0', 25.0))
    elif kind == 'ntc_sh':
        model = NTCSteinhartHart(_number(cfg, 'a'), _number(cfg, 'b'), _number(cfg, 'c'))
    else:
        model = RTD(100.0 if kind == 'pt100' else 1000.0)
        if 'current_ua' in cfg:
            amplifier = Amplifier(_number(cfg, 'gain', 1), _number(cfg, 'offset_uv', 0))
            front = CurrentSource(vref_uv, _number(cfg, 'current_ua'), amplifier,
                                  _number(cfg, 'margin_uv', None))
            return ResistiveSensor(front, model, t_min, t_max)
    return ResistiveSensor(_divider(cfg, vref_uv), model, t_min, t_max)


# --- smoothing ---------------------------------------------------------------

def average(read, n):
    """Mean of ``n`` calls of ``read()`` (ints), rounded to the nearest int."""
    if n < 1:
        raise ValueError('n must be >= 1')
    total = 0
    for _ in range(n):
        total += read()
    return (2 * total + n) // (2 * n)
