"""Temperature sensors: from an ADC voltage in microvolts to degrees Celsius.

A resistive sensor is put together from three parts:

* a front end that turns the ADC voltage into the sensor resistance and
  raises ``SensorFault('open')`` / ``SensorFault('short')`` for readings at
  the rails: ``Divider`` (sensor in a ratiometric voltage divider, here) or
  ``rtd.CurrentSource`` (sensor fed by a constant current, optionally behind
  an ``rtd.Amplifier``);
* a model from resistance to temperature: ``ntc.NTCBeta``,
  ``ntc.NTCSteinhartHart`` or ``rtd.RTD`` (Callendar-Van Dusen, IEC 60751;
  PT100 is ``RTD(100.0)``);
* the valid range [t_min, t_max].

``ResistiveSensor(front, model, t_min, t_max)`` combines them, and
``linear.LinearSensor`` does the same for voltage-output ICs (TMP36, LM35).
Both offer ``temperature(uv)`` -> degC, or SensorFault with .kind 'open',
'short' or 'range'.  An IC's output has no open/short signature (an LM35
reads 0 V at 0 degC), so a ``LinearSensor`` only reports 'range'.

``from_config(cfg, vref_uv)`` builds either from a dict, e.g. ``{"type":
"ntc", "r25": 10000, "beta": 3950, "r_fixed": 10000}`` (see ``from_config``
for the keys), and imports only the module its type needs: the models are
separate modules so that a board pays heap only for the sensors it has.

Units: microvolts (ints from the ADC; floats work too), ohms, degC.  The
parts are plain objects, so each can be used on its own (``RTD().temperature(r)``).
``average(read, n)`` smooths raw readings.
"""

_INF = float('inf')


class SensorFault(Exception):
    """A reading that is not a temperature; ``kind`` is 'open', 'short', 'range'
    or, from the thermometer, 'window' (outside the ADC's usable input) and 'adc'
    (the ADC failed).  ``above``: a 'range' reading above the top of the range."""

    def __init__(self, kind, detail='', above=False):
        super().__init__('%s: %s' % (kind, detail) if detail else kind)
        self.kind = kind
        self.above = above


def _positive(name, value):
    if not value > 0:
        raise ValueError('%s must be > 0' % name)


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


def _check_range(t_min, t_max):
    if not t_min < t_max:
        raise ValueError('t_min must be < t_max')


def _in_range(t, t_min, t_max):
    if not t_min <= t <= t_max:  # also catches NaN
        raise SensorFault('range', '%.2f degC outside [%s, %s]' % (t, t_min, t_max), t > t_max)
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


# default valid ranges: datasheet ranges of typical parts, IEC 60751 for RTDs
_RANGES = {
    'ntc': (-55.0, 150.0),
    'ntc_sh': (-55.0, 150.0),
    'pt100': (-200.0, 850.0),
    'pt1000': (-200.0, 850.0),
    'tmp36': (-40.0, 125.0),
    'lm35': (-55.0, 150.0),
    'linear': (-273.15, _INF),
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
    * ``curve``: ``file``, a Lake Shore ``.340`` calibration (control/curve.py);
      ohm formats take ``r_fixed`` or ``current_ua`` like pt100, volt formats
      optional ``gain`` and ``offset_uv``; the range defaults to the curve's

    Divider types take optional ``sensor_on_top`` (false); all resistive
    types ``margin_uv`` (0.5 % of vref), all types ``t_min`` and ``t_max``.
    """
    kind = cfg.get('type')
    if kind is None:
        raise ValueError("sensor config: missing key 'type'")
    if kind == 'curve':
        from control import curve     # only for this sensor type
        return curve.sensor(cfg, vref_uv)
    if kind not in _RANGES:
        raise ValueError('sensor config: unknown type %r' % (kind,))
    low, high = _RANGES[kind]
    t_min = _number(cfg, 't_min', low)
    t_max = _number(cfg, 't_max', high)
    if kind in _LINEAR or kind == 'linear':
        from control.linear import Linear, LinearSensor
        per_degree, offset = _LINEAR.get(kind, (_REQUIRED, 0))
        linear = Linear(_number(cfg, 'uv_per_degree', per_degree),
                        _number(cfg, 'offset_uv', offset))
        return LinearSensor(linear, t_min, t_max)
    if kind == 'ntc':
        from control.ntc import NTCBeta
        model = NTCBeta(_number(cfg, 'r25'), _number(cfg, 'beta'), _number(cfg, 't0', 25.0))
    elif kind == 'ntc_sh':
        from control.ntc import NTCSteinhartHart
        model = NTCSteinhartHart(_number(cfg, 'a'), _number(cfg, 'b'), _number(cfg, 'c'))
    else:
        from control import rtd
        model = rtd.RTD(100.0 if kind == 'pt100' else 1000.0)
        if 'current_ua' in cfg:
            amplifier = rtd.Amplifier(_number(cfg, 'gain', 1), _number(cfg, 'offset_uv', 0))
            front = rtd.CurrentSource(vref_uv, _number(cfg, 'current_ua'), amplifier,
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
