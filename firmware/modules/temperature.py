"""Readable temperature from an ADC channel through a sensor conversion."""

from control.sensors import SensorFault, average
from secop.datatypes import Double
from secop.errors import SECoPError
from secop.module import ERROR, IDLE, Parameter, Readable, declare

DEGC = '\u00b0C'


def fault_error(fault):
    """The SECoP error for a sensor fault: open/short circuit or out of range."""
    if fault.kind == 'range':
        return SECoPError('OutOfRange', 'sensor reading outside the calibration range')
    return SECoPError('HardwareError', 'sensor %s circuit' % fault.kind)


class Thermometer:
    """ADC channel + conversion + oversampling: ``measure()`` gives degC or raises."""

    def __init__(self, adc, sensor, samples=16):
        self.adc = adc
        self.sensor = sensor
        self.samples = samples

    def measure(self):
        # 0.1 mK steps: far below any ADC's resolution, and short on the wire
        return round(self.sensor.temperature(average(self.adc.read_uv, self.samples)), 4)


class TemperatureSensor(Readable):
    """A thermometer as a Readable; faults put it in ERROR until the sensor recovers."""

    implementation = 'modules.temperature.TemperatureSensor'
    accessibles = declare(
        Readable.accessibles,
        ('value', Parameter('temperature', Double(unit=DEGC, fmtstr='%.3f'))),
    )

    def __init__(self, name, description, clock, thermometer, **props):
        Readable.__init__(self, name, description, clock, **props)
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
