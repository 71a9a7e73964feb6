"""A heater under test (host only, never deployed): the real interlock, loop,
heater module and thermometer with a fake PWM, a fake ADC and a fake clock,
driven the way the app drives them (a control step every period, the watch
check every half period) and checked after every event.

Shared by the hypothesis state machine (host_tests/test_heater_safety.py,
CPython) and the fixed seeds of ``run_random`` (test_heater_sequences.py,
both runtimes).  Invariants (``check``):

* the duty is above 0 only while the interlock's permit holds: no sensor
  fault known, nothing latched, a control step completed within the lease
  (plus at most the gap between two checks);
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
FAULTS = ('none', 'open', 'short', 'adc_error', 'saturation', 'over_range', 'crash')


class FakePWM:
    def __init__(self):
        self.duty = 0

    def duty_u16(self, value=None):
        if value is None:
            return self.duty
        self.duty = value


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
        return ntc_uv(OVER_RANGE if fault == 'over_range' else self.temp)


class HeaterRig:
    def __init__(self, start=fake_ticks.PERIOD - 5000):
        # the tick counter wraps a few seconds in: every time difference must be wrap-safe
        clock, self.ticks = fake_ticks.make_clock(start)
        self.now = 0                # ms since the start (the rig's own bookkeeping)
        self.pwm = FakePWM()
        self.adc = FakeADC()
        self.lock = Interlock(self.pwm, RATED, PERIOD_MS, clock)
        thermometer = Thermometer(self.adc, from_config(SENSOR, VREF_UV), 1, WINDOW_UV)
        self.loop = TemperatureLoop('heater', 'loop', clock, thermometer, self.lock,
                                    t_min=0.0, t_max=90.0, overtemp=OVERTEMP, window=2.0,
                                    timeout=60.0)
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
        self._truth()

    def set_temp(self, temp):
        self.adc.temp = temp
        self._truth()

    def stall(self, on):
        self.stalled = on

    def _truth(self):
        unsafe = self.adc.fault != 'none' or self.adc.temp >= OVERTEMP
        if not unsafe:
            self.bad_since = None
        elif self.bad_since is None:
            self.bad_since = self.now
            self.bad_steps = 0

    # --- the app's tasks, in simulated time --------------------------------------

    def _to(self, ms):
        self.ticks.advance(ms - self.now)
        self.now = ms

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
        try:
            self.loop.step(self.ticks.now, PERIOD_MS / 1000)
        except Exception as exc:        # as app._control does
            assert self.adc.fault == 'crash', 'the control step raised %r' % (exc,)
            self.loop.fail(exc)
            return
        self.last_step = self.now

    # --- invariants ------------------------------------------------------------

    def check(self):
        lock = self.lock
        duty = self.pwm.duty
        assert 0 <= duty <= int(lock.limit / RATED * 65535), (duty, lock.limit)
        if duty == 0:
            return
        self.heated += 1
        assert lock.fault is None and lock.latched is None, (duty, lock.fault, lock.latched)
        assert self.last_step is not None and \
            self.now - self.last_step <= lock.lease_ms + lock.check_ms, \
            ('heater on without a lease', duty, self.now, self.last_step)
        assert self.bad_since is None or self.bad_steps == 0, \
            ('heater on after a step saw the fault', duty, self.adc.fault, self.adc.temp)


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
    rig = HeaterRig()
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
