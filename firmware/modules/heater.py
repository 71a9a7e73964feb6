"""The manual heater module: heater power in watts, set by hand.

Writing ``target`` takes control from the loop and asks the loop's interlock
(``control.interlock``) for that power: it is a request under the same permit
as the loop's, never a write to the PWM.  While the permit is withdrawn (a
sensor fault, a latched error, a stalled control step) a write above 0 W is
refused with IsError (0 W is always accepted); when the interlock drops the power, ``target`` goes to 0 W, so
heat comes back only when someone asks again.  ``do <loop>:stop`` ends
manual heating the same way.
"""

from secop.datatypes import Bool, Double, Enum
from secop.errors import SECoPError
from secop.module import ERROR, IDLE, Parameter, Writable, declare


def build(app, cfg, built):
    """The config class ``heater`` (see registry): manual power of a loop's heater."""
    from modules.loop import TemperatureLoop
    name, description, props = app.common(cfg)
    loop = app.find(built, cfg['loop'])
    if not isinstance(loop, TemperatureLoop):
        raise ValueError('%s is not a working temperature loop' % cfg['loop'])
    return HeaterModule(name, description, app.clock, loop, **props)


class HeaterModule(Writable):
    """Manual heater power (W); ``controlled_by`` and ``control_active`` tell who
    is in charge (SECoP 1.1 coupled modules)."""

    implementation = 'modules.heater.HeaterModule'

    def __init__(self, name, description, clock, loop, **props):
        interlock = loop.interlock
        rated = interlock.rated_power
        self.accessibles = declare(
            Writable.accessibles,
            ('value', Parameter('present heater power', Double(0, rated, unit='W'))),
            ('target', Parameter('manual heater power', Double(0, rated, unit='W'),
                                 readonly=False)),
            ('controlled_by', Parameter('who sets the heater power', Enum(
                ('self', 0), (loop.name, 1)), default=1)),
            ('control_active', Parameter('this module sets the heater power', Bool())),
        )
        Writable.__init__(self, name, description, clock, **props)
        self.interlock = interlock
        self.loop = loop
        self.set_status(IDLE, 'controlled by ' + loop.name)
        loop.attach_heater_module(self)

    def write_target(self, value):
        refusal = self.interlock.refusal()
        if refusal is not None and value > 0.0:     # 0 W is always safe to ask for
            raise SECoPError('IsError', 'heater locked: ' + refusal)
        self.take_control()
        self.set('value', self.interlock.request(value))
        self.set_status(IDLE, 'manual')
        self.refresh()
        return value

    def take_control(self):
        if self.get('controlled_by') != 0:
            self.set('controlled_by', 0)
            self.set('control_active', True)
            self.loop.release_control()

    def controlled_by_loop(self):
        """The loop took control back."""
        self.set('controlled_by', 1)
        self.set('control_active', False)
        self.set_status(IDLE, 'controlled by ' + self.loop.name)

    def stopped(self):
        """``stop`` on the loop in manual mode: 0 W."""
        self.set('target', 0.0)
        self.set('value', 0.0)
        self.set_status(IDLE, 'stopped')

    def refresh(self):
        """After each control step and check: power and status as the interlock has them."""
        lock = self.interlock
        self.set('value', lock.power)
        if not self.get('control_active'):
            return
        refusal = lock.refusal()
        if refusal is not None:
            if self.get('target') != 0.0:
                self.set('target', 0.0)       # the request is dropped
            self.set_status(ERROR, 'heater locked: ' + refusal)
        elif self.status_code() == ERROR:
            self.set_status(IDLE, 'manual')

    def poll(self):
        self.refresh()
