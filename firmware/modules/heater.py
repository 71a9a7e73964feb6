"""Heater output: a PWM channel scaled to watts, and the manual heater module.

``HeaterOutput.off()`` is the one way the firmware switches the heater off;
every fault path ends there.
"""

from secop.datatypes import Double, Enum
from secop.errors import SECoPError
from secop.module import IDLE, Parameter, Writable, declare

_FULL = 65535


class HeaterOutput:
    """Power in watts on a PWM pin (``duty_u16``), limited to ``limit`` W."""

    def __init__(self, pwm, rated_power):
        self.pwm = pwm
        self.rated_power = float(rated_power)
        self.limit = self.rated_power
        self.power = 0.0
        self.off()

    def set_power(self, watts):
        watts = min(max(watts, 0.0), self.limit)
        duty = int(watts / self.rated_power * _FULL)      # rounds down: never above limit
        self.pwm.duty_u16(duty)
        self.power = duty * self.rated_power / _FULL

    def off(self):
        self.pwm.duty_u16(0)
        self.power = 0.0


class HeaterModule(Writable):
    """Manual heater power (W).  Writing ``target`` takes control from the loop;
    ``controlled_by`` tells who is in charge (SECoP 1.1 coupled modules)."""

    implementation = 'modules.heater.HeaterModule'

    def __init__(self, name, description, clock, loop, **props):
        output = loop.output
        rated = output.rated_power
        self.accessibles = declare(
            Writable.accessibles,
            ('value', Parameter('present heater power', Double(0, rated, unit='W'))),
            ('target', Parameter('manual heater power', Double(0, rated, unit='W'),
                                 readonly=False)),
            ('controlled_by', Parameter('who sets the heater power', Enum(
                ('self', 0), (loop.name, 1)), default=1)),
        )
        Writable.__init__(self, name, description, clock, **props)
        self.output = output
        self.loop = loop
        loop.attach_heater_module(self)

    def write_target(self, value):
        if self.loop.latched():
            raise SECoPError('IsError', 'heater locked: %s' % self.loop.get('status')[1])
        self.take_control()
        self.output.set_power(value)
        self.set('value', self.output.power)
        self.set_status(IDLE, 'manual')
        return value

    def take_control(self):
        if self.get('controlled_by') != 0:
            self.set('controlled_by', 0)
            self.loop.release_control()

    def poll(self):
        self.set('value', self.output.power)
