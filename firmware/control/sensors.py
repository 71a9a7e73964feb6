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

``sensorconfig.from_config(cfg, vref_uv)`` builds either from a dict, e.g.
``{"type": "ntc", "r25": 10000, "beta": 3950, "r_fixed": 10000}``, and imports
only the module its type needs: the models are separate modules so that a
board pays heap only for the sensors it has.

Units: microvolts (ints from the ADC; floats work too), ohms, degC.  The
parts are plain objects, so each can be used on its own (``RTD().temperature(r)``).
``average(read, n)`` smooths raw readings.  Converter chips on SPI (MAX31865,
MAX31855, MAX31856) are sensor types too: see control/spichip.py.
"""

class SensorFault(Exception):
    """A reading that is not a temperature; ``kind`` is 'open', 'short', 'range'
    or, from the thermometer, 'window' (outside the ADC's usable input) and 'adc'
    (the ADC failed).  ``above``: a 'range' reading above the top of the range.
    ``error``: the SECoP error a converter chip's fault reads as (control/spichip.py)."""

    error = None

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


# --- smoothing ---------------------------------------------------------------

def average(read, n):
    """Mean of ``n`` calls of ``read()`` (ints), rounded to the nearest int."""
    if n < 1:
        raise ValueError('n must be >= 1')
    total = 0
    for _ in range(n):
        total += read()
    return (2 * total + n) // (2 * n)


class Thermometer:
    """ADC channel + conversion + oversampling + the ADC's usable window (uV).

    ``measure()`` gives degC or raises ``SensorFault``: for the sensor's own
    faults (open, short, out of range), for a reading outside the board's usable
    ADC window (``window``: an open sensor on an ADC that clips below its
    reference can otherwise look like a plausible temperature), and for an ADC
    that fails (``adc``: the driver raised OSError).
    ``EXTRA``: parameters a thermometer adds to its module (a converter chip's cold
    junction, control/spichip.py), which then ``attach``es it to publish them."""

    EXTRA = ()

    def __init__(self, adc, sensor, samples=16, window_uv=None):
        self.adc = adc
        self.sensor = sensor
        self.samples = samples
        self.window_uv = window_uv

    def measure(self):
        try:
            uv = average(self.adc.read_uv, self.samples)
        except OSError as exc:
            raise SensorFault('adc', repr(exc))
        window = self.window_uv
        if window is not None and not window[0] <= uv <= window[1]:
            raise SensorFault('window', '%d uV' % uv)
        # 0.1 mK steps: far below any ADC's resolution, and short on the wire
        return round(self.sensor.temperature(uv), 4)
