"""control.pid: P, I on a simulated plant, anti-windup, no derivative kick, bumpless transfer."""

import unittest

from control.pid import CLOSING, PID
from precision import ulps

AMBIENT = 20.0
# the terms of these PID updates stay below 100: a few ulps of that is exact arithmetic
EXACT = ulps(8, 100.0)


class Plant:
    """First-order heater: full power holds ``gain`` K above ambient, time constant ``tau`` s."""

    def __init__(self, gain=100.0, tau=50.0):
        self.gain = gain
        self.tau = tau
        self.t = AMBIENT

    def step(self, power, dt):
        self.t += dt * (self.gain * power - (self.t - AMBIENT)) / self.tau
        return self.t


def run(pid, plant, setpoint, seconds, dt=0.5):
    out = None
    for _ in range(int(seconds / dt)):
        out = pid.update(setpoint, plant.t, dt)
        plant.step(out, dt)
    return out


class ProportionalTest(unittest.TestCase):
    def test_proportional_only(self):
        pid = PID(2.0, 0.0, 0.0, -100.0, 100.0)
        self.assertAlmostEqual(pid.update(10.0, 7.0, 1.0), 6.0, delta=EXACT)
        self.assertAlmostEqual(pid.update(10.0, 12.0, 1.0), -4.0, delta=EXACT)
        self.assertAlmostEqual(pid.update(10.0, 12.0, 1.0), -4.0, delta=EXACT)

    def test_clamping(self):
        pid = PID(1.0, 0.0, 0.0)
        self.assertEqual(pid.update(100.0, 0.0, 1.0), 1.0)
        self.assertEqual(pid.update(0.0, 100.0, 1.0), 0.0)
        self.assertAlmostEqual(pid.update(0.5, 0.0, 1.0), 0.5, delta=EXACT)
        pid = PID(1.0, 0.0, 0.0, -2.0, 3.0)
        self.assertEqual(pid.update(10.0, 0.0, 1.0), 3.0)
        self.assertEqual(pid.update(-10.0, 0.0, 1.0), -2.0)

    def test_proportional_leaves_offset(self):
        plant = Plant()
        run(PID(0.05, 0.0, 0.0), plant, 50.0, 1000)
        self.assertAlmostEqual(plant.t, 45.0, delta=0.01)  # 30 K / (1 + 100 * 0.05)

    def test_bad_arguments(self):
        self.assertRaises(ValueError, PID, 1.0, 0.0, 0.0, 1.0, 1.0)
        self.assertRaises(ValueError, PID, 1.0, 0.0, 0.0, 0.0, 1.0, -1.0)
        pid = PID(1.0, 0.0, 0.0)
        self.assertRaises(ValueError, pid.update, 1.0, 0.0, 0.0)


class IntegralTest(unittest.TestCase):
    def test_removes_steady_state_error(self):
        plant = Plant()
        out = run(PID(0.05, 0.002, 0.0), plant, 50.0, 2000)
        self.assertAlmostEqual(plant.t, 50.0, delta=0.01)
        self.assertAlmostEqual(out, 0.3, delta=1e-3)  # 30 K above ambient at 100 K per unit

    def test_integral_units(self):
        pid = PID(0.0, 0.5, 0.0, -100.0, 100.0)
        self.assertAlmostEqual(pid.update(1.0, 0.0, 2.0), 1.0, delta=EXACT)
        self.assertAlmostEqual(pid.update(1.0, 0.0, 0.5), 1.25, delta=EXACT)

    def test_anti_windup_high(self):
        plant = Plant()
        pid = PID(0.05, 0.002, 0.0)
        # 200 degC is out of reach (120 at full power): saturated for an hour
        self.assertEqual(run(pid, plant, 200.0, 3600), 1.0)
        self.assertAlmostEqual(plant.t, 120.0, delta=0.1)
        self.assertLess(pid.update(100.0, plant.t, 0.5), 1.0)
        run(pid, plant, 100.0, 300)
        self.assertAlmostEqual(plant.t, 100.0, delta=1.0)

    def test_anti_windup_low(self):
        plant = Plant()
        pid = PID(0.05, 0.002, 0.0)
        self.assertEqual(run(pid, plant, 0.0, 3600), 0.0)  # below ambient: heater off
        self.assertGreater(pid.update(40.0, plant.t, 0.5), 0.0)
        run(pid, plant, 40.0, 300)
        self.assertAlmostEqual(plant.t, 40.0, delta=1.0)

    def test_integral_may_leave_saturation(self):
        pid = PID(0.0, 1.0, 0.0)
        for _ in range(10):
            pid.update(1.0, 0.0, 1.0)
        self.assertEqual(pid.update(1.0, 0.0, 1.0), 1.0)
        self.assertAlmostEqual(pid.update(0.0, 0.5, 0.2), 0.9, delta=EXACT)


class ConditionalIntegrationTest(unittest.TestCase):
    """An error the measurement closes within CLOSING derivative times is not integrated."""

    def pid(self, start, kd=2.0):
        pid = PID(1.0, 1.0, kd, -100.0, 100.0)     # Td = kd / kp = 2 s
        pid.update(10.0, start, 1.0)                # integral 10 - start, no rate yet
        return pid

    def test_an_error_that_closes_fast_is_held(self):
        pid = self.pid(4.0)
        # 1 K/s towards the setpoint with 5 K left: closed in 5 s < 4 Td = 8 s
        self.assertAlmostEqual(pid.update(10.0, 5.0, 1.0), 5.0 + 6.0 - 2.0, delta=EXACT)
        self.assertAlmostEqual(pid._integral, 6.0, delta=EXACT)

    def test_an_error_that_closes_slowly_is_integrated(self):
        pid = self.pid(0.0)
        self.assertGreater(9.0, CLOSING * 2.0)
        # 1 K/s with 9 K left: closed in 9 s, later than 4 Td: integrated as ever
        self.assertAlmostEqual(pid.update(10.0, 1.0, 1.0), 9.0 + 19.0 - 2.0, delta=EXACT)

    def test_a_growing_error_is_integrated(self):
        pid = self.pid(0.0)
        pid.update(-10.0, 1.0, 1.0)                 # moving away from the setpoint
        self.assertAlmostEqual(pid._integral, 10.0 - 11.0, delta=EXACT)

    def test_without_derivative_every_error_is_integrated(self):
        pid = self.pid(8.0, kd=0.0)
        pid.update(10.0, 9.0, 1.0)                  # would close in 1 s
        self.assertAlmostEqual(pid._integral, 3.0, delta=EXACT)


class DerivativeTest(unittest.TestCase):
    def test_no_kick_on_setpoint_step(self):
        pid = PID(1.0, 0.0, 10.0, -100.0, 100.0)
        pid.update(5.0, 5.0, 1.0)
        pid.update(5.0, 5.0, 1.0)
        self.assertAlmostEqual(pid.update(10.0, 5.0, 1.0), 5.0, delta=EXACT)

    def test_acts_on_measurement(self):
        pid = PID(1.0, 0.0, 10.0, -100.0, 100.0)
        self.assertAlmostEqual(pid.update(5.0, 5.0, 1.0), 0.0, delta=EXACT)  # no history yet
        self.assertAlmostEqual(pid.update(5.0, 6.0, 0.5), -1.0 - 20.0, delta=EXACT)
        self.assertAlmostEqual(pid.update(5.0, 6.0, 0.5), -1.0, delta=EXACT)

    def test_filter(self):
        pid = PID(0.0, 0.0, 10.0, -100.0, 100.0, d_filter=4.0)
        pid.update(0.0, 0.0, 1.0)
        # a rate of 1 K/s through a 4 s low-pass sampled at 1 s: 1/5 of it first
        self.assertAlmostEqual(pid.update(0.0, 1.0, 1.0), -2.0, delta=EXACT)
        self.assertAlmostEqual(pid.update(0.0, 1.0, 1.0), -1.6, delta=EXACT)

    def test_reset_measurement_gives_derivative_at_once(self):
        pid = PID(0.0, 0.0, 10.0, -100.0, 100.0)
        pid.reset(measurement=4.0)
        self.assertAlmostEqual(pid.update(0.0, 5.0, 1.0), -10.0, delta=EXACT)


class BumplessTest(unittest.TestCase):
    def settled(self):
        plant = Plant()
        pid = PID(0.05, 0.002, 0.1)
        out = run(pid, plant, 50.0, 2000)
        return pid, plant, out

    def test_reset_to_output(self):
        pid, plant, _ = self.settled()
        pid.reset(plant.t, 0.7)
        self.assertAlmostEqual(pid.update(30.0, plant.t, 0.5), 0.7, delta=EXACT)
        # from there on it integrates as usual: towards the new setpoint
        self.assertLess(pid.update(30.0, plant.t, 0.5), 0.7)

    def test_reset_output_clamped(self):
        pid = PID(1.0, 0.1, 0.0)
        pid.reset(output=5.0)
        self.assertEqual(pid.update(0.0, 0.0, 1.0), 1.0)
        self.assertAlmostEqual(pid.update(0.0, 0.5, 1.0), 0.45, delta=EXACT)

    def test_reset_clears(self):
        pid = PID(1.0, 1.0, 0.0, -100.0, 100.0)
        for _ in range(5):
            pid.update(1.0, 0.0, 1.0)
        pid.reset()
        self.assertAlmostEqual(pid.update(1.0, 0.0, 1.0), 2.0, delta=EXACT)

    def test_set_gains(self):
        plant = Plant()
        pid = PID(0.05, 0.002, 0.0)
        run(pid, plant, 50.0, 10)
        self.assertGreater(50.0 - plant.t, 5.0)  # mid-way: the P term is large
        out = pid.update(50.0, plant.t, 0.5)
        pid.set_gains(0.2, 0.01, 0.0)
        self.assertAlmostEqual(pid.update(50.0, plant.t, 1e-6), out, delta=1e-6)
        run(pid, plant, 50.0, 1000)
        self.assertAlmostEqual(plant.t, 50.0, delta=0.01)

    def test_set_gains_then_new_gains_act(self):
        pid = PID(1.0, 0.0, 0.0, -100.0, 100.0)
        self.assertAlmostEqual(pid.update(10.0, 2.0, 1.0), 8.0, delta=EXACT)
        pid.set_gains(3.0, 0.0, 0.0)
        self.assertAlmostEqual(pid.update(10.0, 2.0, 1.0), 8.0, delta=EXACT)
        self.assertAlmostEqual(pid.update(10.0, 4.0, 1.0), 2.0, delta=EXACT)  # 8 - 3 * 2

    def test_set_gains_before_update(self):
        pid = PID(1.0, 0.0, 0.0, -100.0, 100.0)
        pid.set_gains(2.0, 0.0, 0.0)
        self.assertAlmostEqual(pid.update(10.0, 2.0, 1.0), 16.0, delta=EXACT)


if __name__ == '__main__':
    unittest.main()
