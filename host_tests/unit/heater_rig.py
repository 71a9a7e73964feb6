"""A heater under test (host only, never deployed): the real interlock, loop,
heater module and thermometer with a fake PWM, a fake enable relay, a fake
ADC and a fake clock, driven the way the app drives them (a control step
every period, the watch check every half period) and checked after every
event.  With ``plant`` the block warms by the power delivered (none with the
heater open or the relay open, full power with the heater stuck on) and loses
heat to ambient; a detached sensor reads ambient.

Shared by the hypothesis state machine (host_tests/test_heater_safety.py,
CPython) and the fixed seeds of ``run_random`` (test_heater_sequences.py,
both runtimes).  Invariants (``check``):

* the duty is above 0 and the enable relay closed only while the
  interlock's permit holds: no sensor fault known, nothing latched, a
  control step completed within the lease (plus at most the gap between two
  checks);
* with the sensor off the block or the heater open, the power stays at or
  above the heat check's floor for at most its window (plus a step) after
  the last change the rig made to the block or the faults;
* with the heater stuck on, the relay stays closed at 0 W for at most the
  hold-off and one window (plus a step);
* once a control step has run after a fault appeared, the duty is 0, so
  within one control period of any fault while the control runs;
* the duty never exceeds the power limit;
* no request gets an InternalError and no control step raises (nothing
  raises out of a handler) unless the rig makes it.
"""

import math

import fake_ticks
from control.interlock import Interlock
from control.sensorconfig import from_config
from modules.heater import HeaterModule
from modules.loop import TemperatureLoop
from control.sensors import Thermometer
from secop.node import Node

PERIOD_MS = 500
RATED = 100.0
VREF_UV = 3300000
WINDOW_UV = (150000, 3000000)   # ESP32-like usable window ...
CEILING_UV = 3100000            # ... and where that ADC saturates
SENSOR = {'type': 'ntc', 'r25': 10000, 'beta': 3950, 'r_fixed': 10000,
          't_min': -40, 't_max': 105}
OVERTEMP = 100.0
OVER_RANGE = 108.0              # above t_max, inside the ADC window
FAULTS = ('none', 'open', 'short', 'adc_error', 'saturation', 'over_range', 'crash',
          'detached', 'heater_open', 'stuck')
AMBIENT = 22.0
CAPACITY = 100.0                # J/K: 1 K/s at full power
LOSS = 1.0                      # W/K
HEAT_CHECK = (4.0, 0.5, None)   # window s, rise K (config overrides), the default floor


class FakeOutput:
    """A PWM (``duty_u16``) or a relay (``value``): what the node wrote last."""

    def __init__(self):
        self.duty = 0

    def duty_u16(self, value=None):
        if value is None:
            return self.duty
        self.duty = value

    value = duty_u16


def ntc_uv(temp):
    """The divider's voltage for the NTC of SENSOR at ``temp`` (the beta equation)."""
    r = SENSOR['r25'] * math.exp(SENSOR['beta'] * (1 / (temp + 273.15) - 1 / 298.15))
    return int(VREF_UV * r / (r + SENSOR['r_fixed']))


class FakeADC:
    """The sensor's voltage at ``temp``, or what a fault makes the ADC read."""

    def __init__(self):
        self.temp = 22.0
        self.fault = 'none'

    def read_uv(self):
        fault = self.fault
        if fault == 'open':
            return VREF_UV
        if fault == 'short':
            return 0
        if fault == 'adc_error':
            raise OSError(5)
        if fault == 'saturation':
            return CEILING_UV               # an open sensor on a clipping ADC
        if fault == 'crash':
            raise RuntimeError('step broken')   # not a sensor fault: the step raises
        return ntc_uv(self.reading())

    def reading(self):
        """The temperature the sensor sees."""
        fault = self.fault
        return OVER_RANGE if fault == 'over_range' else AMBIENT if fault == 'detached' \
            else self.temp


class HeaterRig:
    def __init__(self, start=fake_ticks.PERIOD - 5000, plant=False):
        # the tick counter wraps a few seconds in: every time difference must be wrap-safe
        clock, self.ticks = fake_ticks.make_clock(start)
        self.now = 0                # ms since the start (the rig's own bookkeeping)
        self.pwm = FakeOutput()
        self.adc = FakeADC()
        self.relay = FakeOutput()
        self.plant = plant
        self.lock = Interlock(self.pwm, RATED, PERIOD_MS, clock, self.relay)
        thermometer = Thermometer(self.adc, from_config(SENSOR, VREF_UV), 1, WINDOW_UV)
        self.loop = TemperatureLoop('heater', 'loop', clock, thermometer, self.lock,
                                    t_min=0.0, t_max=90.0, overtemp=OVERTEMP, window=2.0,
                                    timeout=60.0, heat=HEAT_CHECK)
        self.manual = HeaterModule('heater_output', 'manual', clock, self.loop)
        self.node = Node('test', 'test', [self.loop, self.manual], clock)
        self.session = self.node.open_session()
        self.stalled = False
        self.next_step = PERIOD_MS
        self.next_check = self.lock.check_ms
        self.last_step = None       # the last completed control step
        self.last_try = None        # the last control step started
        self.bad_since = None       # since when the truth is unsafe (fault or too hot)
        self.bad_steps = 0          # control steps started since then
        self.steps = 0
        self.heated = 0             # checks that found the heater on
        self.unheard = 0            # steps at or above the floor with no rise to be had
        self.stuck_steps = 0        # steps at 0 W with the heater stuck on and the relay closed
        self.heat_trips = 0         # steps that found a heat check's latch

    # --- what a client and the world do ---------------------------------------

    def drain(self):
        out = []
        while self.session.count:
            entry = self.session.pop()
            out.append(entry if type(entry) is str else ''.join(entry))
        return out

    def ask(self, line):
        self.drain()
        self.node.handle(self.session, line.encode())
        out = self.drain()
        for reply in out:
            assert 'InternalError' not in reply, (line, reply)
        self.check()
        return out[-1] if out else ''

    def set_fault(self, kind):
        self.adc.fault = kind
        self.unheard = self.stuck_steps = 0
        self._truth()

    def set_temp(self, temp):
        self.adc.temp = temp
        self.unheard = self.stuck_steps = 0
        self._truth()

    def stall(self, on):
        self.stalled = on

    def _truth(self):
        # what a step can see: a detached sensor hides the block's temperature
        # (0.01 K above the limit: the ADC's resolution near it is a few mK)
        unsafe = self.adc.fault not in ('none', 'detached', 'heater_open', 'stuck') or \
            self.adc.reading() >= OVERTEMP + 0.01
        if not unsafe:
            self.bad_since = None
        elif self.bad_since is None:
            self.bad_since = self.now
            self.bad_steps = 0

    # --- the app's tasks, in simulated time --------------------------------------

    def _to(self, ms):
        if self.plant:
            self._heat((ms - self.now) / 1000)
        self.ticks.advance(ms - self.now)
        self.now = ms

    def _heat(self, dt):
        adc = self.adc
        if adc.fault == 'heater_open' or not self.relay.duty:
            power = 0.0
        elif adc.fault == 'stuck':
            power = RATED
        else:
            power = self.pwm.duty * RATED / 65535
        adc.temp += (power - LOSS * (adc.temp - AMBIENT)) / CAPACITY * dt
        self._truth()

    def advance(self, ms):
        end = self.now + ms
        while min(self.next_step, self.next_check) <= end:
            if self.next_step <= self.next_check:
                self._to(self.next_step)
                self.next_step += PERIOD_MS
                if not self.stalled:
                    self._control_step()
            else:
                self._to(self.next_check)
                self.next_check += self.lock.check_ms
                self.loop.watch()
            self.check()
        self._to(end)
        self.check()

    def _control_step(self):
        self.last_try = self.now
        self.steps += 1
        self.bad_steps += 1
        lock = self.lock
        blind = self.adc.fault in ('detached', 'heater_open')
        self.unheard = self.unheard + 1 if blind and lock.power >= lock.floor else 0
        stuck = self.adc.fault == 'stuck' and self.relay.duty and lock.power == 0.0
        self.stuck_steps = self.stuck_steps + 1 if stuck else 0
        try:
            self.loop.step(self.ticks.now, PERIOD_MS / 1000)
        except Exception as exc:        # as app._control does
            assert self.adc.fault == 'crash', 'the control step raised %r' % (exc,)
            self.loop.fail(exc)
            return
        self.last_step = self.now
        if lock.latched is not None and ('no temperature rise' in lock.latched or
                                         'stuck' in lock.latched):
            self.heat_trips += 1

    # --- invariants ------------------------------------------------------------

    def check(self):
        lock = self.lock
        duty = self.pwm.duty
        assert 0 <= duty <= int(lock.limit / RATED * 65535), (duty, lock.limit)
        assert self.unheard <= lock.window + 1, ('heating blind', self.unheard, self.adc.fault)
        assert self.stuck_steps <= (lock.window >> 2) + lock.window + 1, \
            ('stuck heater not cut', self.stuck_steps)
        if self.relay.duty:
            self._permitted('relay closed')
        if duty == 0:
            return
        self._permitted(duty)
        assert self.bad_since is None or self.bad_steps == 0, \
            ('heater on after a step saw the fault', duty, self.adc.fault, self.adc.temp)

    def _permitted(self, what):
        lock = self.lock
        if what != 'relay closed':
            self.heated += 1
        assert lock.fault is None and lock.latched is None, (what, lock.fault, lock.latched)
        assert self.last_step is not None and \
            self.now - self.last_step <= lock.lease_ms + lock.check_ms, \
            ('heater on without a lease', what, self.now, self.last_step)


class Lcg:
    """A tiny seeded generator, the same numbers on CPython and MicroPython."""

    def __init__(self, seed):
        self.state = seed & 0x7fffffff

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7fffffff
        return (self.state >> 8) % n

    def uniform(self, low, high):
        return low + (high - low) * self.below(10001) / 10000


def run_random(seed, count):
    """``count`` random operations on a fresh rig; returns it (check() raised if wrong)."""
    rng = Lcg(seed)
    rig = HeaterRig(plant=True)
    for _ in range(count):
        op = rng.below(13)
        if op == 0:
            rig.ask('change heater:target %.3f' % rng.uniform(-10, 120))
        elif op == 1:
            rig.ask('change heater_output:target %.3f' % rng.uniform(-10, 150))
        elif op == 2:
            a, b = rng.uniform(-10, 100), rng.uniform(-10, 100)
            rig.ask('change heater:target_limits [%.3f, %.3f]' % (min(a, b), max(a, b)))
        elif op == 3:
            rig.ask('change heater:ctrlpars {"p": %.3f, "i": %.3f, "d": %.3f}' % (
                rng.uniform(0, 100), rng.uniform(0, 5), rng.uniform(0, 200)))
        elif op == 4:
            rig.ask('change heater:_maxheaterpower %.3f' % rng.uniform(-5, 120))
        elif op == 5:
            rig.ask('do heater:stop')
        elif op == 6:
            rig.ask('do heater:clear_errors')
        elif op == 7:
            rig.set_fault(FAULTS[rng.below(len(FAULTS))])
        elif op == 8:
            rig.set_fault('none')
        elif op == 9:
            rig.set_temp(rng.uniform(0, 110))
        elif op == 10:
            rig.stall(rng.below(4) == 0)
        else:
            rig.advance(rng.below(3 * PERIOD_MS) + 1)
    return rig
