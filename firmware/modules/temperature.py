"""Readable temperature from an ADC channel through a sensor conversion (or from
a converter chip on SPI, control/spichip.py, which measures the same way).

``Thermometer.measure()`` gives degC or raises ``SensorFault``: for the
sensor's own faults (open, short, out of range), for a reading outside the
board's usable ADC window (``window``: an open sensor on an ADC that clips
below its reference can otherwise look like a plausible temperature), and
for an ADC that fails (``adc``: the driver raised OSError).
"""

from control.sensors import SensorFault, average
from secop.datatypes import Double
from secop.errors import SECoPError
from secop.module import ERROR, IDLE, Parameter, Readable, declare

DEGC = '\u00b0C'


def build(app, cfg, built):
    """The config class ``temperature`` (see registry)."""
    from control.sensorconfig import thermometer    # forgotten by the builder
    name, description, props = app.common(cfg)
    return TemperatureSensor(name, description, app.clock,
                             thermometer(app.board, app.clock, cfg), **props)


def fault_error(fault):
    """The SECoP error for a sensor fault (a converter chip's says what the chip reported)."""
    if fault.error is not None:
        return fault.error
    kind = fault.kind
    if kind == 'range':
        return SECoPError('OutOfRange', 'sensor reading %s the calibration range' % (
            'above' if fault.above else 'outside'))
    if kind == 'window':
        return SECoPError('HardwareError', 'ADC reading outside the usable input window '
                          '(sensor open or shorted?)')
    if kind == 'adc':
        return SECoPError('HardwareError', 'ADC read failed')
    return SECoPError('HardwareError', 'sensor %s circuit' % kind)


class Thermometer:
    """ADC channel + conversion + oversampling + the ADC's usable window (uV).
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


class TemperatureSensor(Readable):
    """A thermometer as a Readable; faults put it in ERROR until the sensor recovers."""

    implementation = 'modules.temperature.TemperatureSensor'
    accessibles = declare(
        Readable.accessibles,
        ('value', Parameter('temperature', Double(unit=DEGC, fmtstr='%.3f'))),
    )

    def __init__(self, name, description, clock, thermometer, **props):
        extra = thermometer.EXTRA
        if extra:
            self.accessibles = declare(self.accessibles, *extra)
        Readable.__init__(self, name, description, clock, **props)
        if extra:
            thermometer.attach(self)
        self.thermometer = thermometer
        self.poll()

    def poll(self):
        try:
            value = self.thermometer.measure()
        except SensorFault as fault:
            err = fault_error(fault)
            self.set_error('value', err)
            self.set_status(ERROR, err.text)
            return
        self.set('value', value)
        if self.status_code() == ERROR:
            self.set_status(IDLE, '')

    def read_value(self):
        self.poll()
