"""Readable temperature from a thermometer (control.sensors.Thermometer: an ADC
channel through a sensor conversion, or a converter chip on SPI,
control/spichip.py, which measures the same way); its faults put the module in
ERROR with the SECoP error that says what failed.
"""

from control.sensors import SensorFault
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
