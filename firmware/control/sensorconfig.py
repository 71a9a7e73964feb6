"""A sensor from its config entry (``from_config``) and a module's thermometer
(``thermometer``), used while the node is built.

The builder forgets this module once the node is built (``app.forget``), so
the config keys, defaults and their error texts do not stay in the heap;
control.sensors holds the parts that measure.
"""

from control.sensors import Divider, ResistiveSensor, Thermometer

_INF = float('inf')

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


def thermometer(board, clock, cfg):
    """The thermometer of a module's config entry: the sensor on its ADC input
    (``adc``), or a converter chip on the board's SPI (``spi``)."""
    if _chip(cfg['sensor']):
        from control.chipconfig import thermometer
        return thermometer(board, clock, cfg, _number)
    return Thermometer(board.adc(cfg['adc']), from_config(cfg['sensor'], board.vref_uv),
                       cfg.get('samples', 16), board.adc_window(cfg['adc']))


def _chip(cfg):
    """A converter chip's type (control/chipconfig.py reads its settings)."""
    kind = cfg.get('type')
    return type(kind) is str and kind[:6] == 'max318'


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
    * ``max31865`` (RTD converter): optional ``r0`` (100: PT100, or 1000),
      ``r_ref`` (430, 4300 for a PT1000), ``wires`` (2, 3, 4: 4), ``mains`` (50, 60: 50)
    * ``max31855`` (type K thermocouple converter)
    * ``max31856`` (thermocouple converter): optional ``tc_type`` ('K'; B, E, J, N,
      R, S, T), ``mains`` (50)

    A chip is returned not yet connected to its bus (``thermometer`` does that).

    Divider types take optional ``sensor_on_top`` (false); all resistive
    types ``margin_uv`` (0.5 % of vref), all types ``t_min`` and ``t_max``.
    """
    kind = cfg.get('type')
    if kind is None:
        raise ValueError("sensor config: missing key 'type'")
    if kind == 'curve':
        return _curve(cfg, vref_uv)
    if _chip(cfg):
        from control.chipconfig import from_config as chip
        return chip(cfg, _number)
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


def _curve(cfg, vref_uv):
    """A ResistiveSensor reading ``cfg['file']``; ohm curves take the front end of a
    PT100 (``r_fixed``, or ``current_ua`` with ``gain``/``offset_uv``), volt curves
    an optional ``gain``/``offset_uv``."""
    path = cfg.get('file')
    if type(path) is not str:
        raise ValueError("sensor type 'curve': missing key 'file' (a .340 file)")
    from control import curve     # only for this sensor type
    model = curve.load(path)
    if model.fmt >= 3 and 'current_ua' not in cfg:
        front = _divider(cfg, vref_uv)
    else:
        from control import rtd
        amplifier = rtd.Amplifier(_number(cfg, 'gain', 1), _number(cfg, 'offset_uv', 0))
        if model.fmt >= 3:
            front = rtd.CurrentSource(vref_uv, _number(cfg, 'current_ua'), amplifier,
                                      _number(cfg, 'margin_uv', None))
        else:
            front = curve.Amplified(amplifier)
    return ResistiveSensor(front, model, _number(cfg, 't_min', model.t_min),
                           _number(cfg, 't_max', model.t_max))

