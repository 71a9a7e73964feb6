"""Stateful property test (hypothesis, CPython) of heater safety over the real
interlock, loop and heater modules with a fake PWM (host_tests/unit/heater_rig):
random sequences of targets, manual power, limits, gains, power limits, stop,
clear_errors, sensor faults (open, short, ADC error, saturation, over-range,
a step that raises), stalls, over-temperature and time steps.  The rig checks
the invariants after every event: the duty is above 0 only while the permit
holds, it is 0 once a control step has run after a fault, it never exceeds
the power limit, and no request raises out of a handler.  The same rig runs a
fixed set of sequences under MicroPython (unit/test_heater_sequences.py)."""

import pytest

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule  # noqa: E402

from heater_rig import FAULTS, PERIOD_MS, HeaterRig  # noqa: E402

TEMPS = st.floats(-20, 130, allow_nan=False)
WATTS = st.floats(-10, 150, allow_nan=False)


class HeaterSafety(RuleBasedStateMachine):
    @initialize()
    def build(self):
        self.rig = HeaterRig(plant=True)

    @rule(t=TEMPS)
    def target(self, t):
        self.rig.ask('change heater:target %r' % t)

    @rule(w=WATTS)
    def manual_power(self, w):
        self.rig.ask('change heater_output:target %r' % w)

    @rule(a=TEMPS, b=TEMPS)
    def limits(self, a, b):
        self.rig.ask('change heater:target_limits [%r, %r]' % (a, b))

    @rule(p=st.floats(0, 200), i=st.floats(0, 10), d=st.floats(0, 500))
    def gains(self, p, i, d):
        self.rig.ask('change heater:ctrlpars {"p": %r, "i": %r, "d": %r}' % (p, i, d))

    @rule(w=WATTS)
    def max_power(self, w):
        self.rig.ask('change heater:_maxheaterpower %r' % w)

    @rule()
    def stop(self):
        self.rig.ask('do heater:stop')

    @rule()
    def clear_errors(self):
        self.rig.ask('do heater:clear_errors')

    @rule(kind=st.sampled_from(FAULTS))
    def fault(self, kind):
        self.rig.set_fault(kind)

    @rule(t=st.floats(0, 110))
    def block_temperature(self, t):
        self.rig.set_temp(t)

    @rule(on=st.booleans())
    def stall(self, on):
        self.rig.stall(on)

    @rule(ms=st.integers(1, 4 * PERIOD_MS))
    def time_passes(self, ms):
        self.rig.advance(ms)

    @invariant()
    def safe(self):
        self.rig.check()


HeaterSafety.TestCase.settings = settings(max_examples=300, stateful_step_count=50,
                                          deadline=None)
TestHeaterSafety = HeaterSafety.TestCase
