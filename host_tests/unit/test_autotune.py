"""control.autotune: relay feedback on a first-order plant with dead time (both runtimes).

The plant is solved exactly per step; its ultimate gain and period are known
in closed form, so the tuner's estimates are checked against them."""

import math
import unittest

from control.autotune import RULES, RelayTuner, TuneFailed, gains
from control.pid import PID

PERIOD_MS = 500


class Plant:
    """C dT/dt = P(t - L) - k (T - ambient); power changes only every period."""

    def __init__(self, heat_capacity=400.0, loss=1.0, ambient=22.0, dead_time=3.0, noise=0.0):
        self.c = heat_capacity
        self.k = loss
        self.ambient = ambient
        self.temp = ambient
        self.delay = [0.0] * int(dead_time * 1000 / PERIOD_MS)
        self.noise = noise
        self._seed = 12345

    def _uniform(self):
        """Deterministic noise in [-1, 1], the same on both runtimes."""
        self._seed = (self._seed * 1103515245 + 12345) % 2147483648
        return self._seed / 1073741824.0 - 1.0

    def step(self, power):
        self.delay.append(power)
        acting = self.delay.pop(0)
        steady = self.ambient + acting / self.k
        self.temp = steady + (self.temp - steady) * math.exp(-PERIOD_MS / 1000 * self.k / self.c)

    def read(self):
        return self.temp + self.noise * self._uniform()

    def ultimate(self):
        """(Ku in W/K, Pu in s) of the plant with the sampling's half-period delay."""
        dead = len(self.delay) * PERIOD_MS / 1000 + PERIOD_MS / 2000
        tau = self.c / self.k
        low, high = 1e-6, math.pi / dead
        for _ in range(60):    # phase(w) = -atan(w tau) - w dead falls monotonically
            w = (low + high) / 2
            if math.atan(w * tau) + w * dead < math.pi:
                low = w
            else:
                high = w
        return self.k * math.sqrt(1 + (w * tau) ** 2), 2 * math.pi / w


def tune(plant, target=30.0, max_power=100.0, **kw):
    tuner = RelayTuner(target, max_power, **kw)
    stages, powers = [], [0.0, 0.0]     # the stages seen, the least and most power
    now = 0
    while tuner.result is None:
        now += PERIOD_MS
        power = tuner.update(now, plant.read())
        powers[0] = min(powers[0], power)
        powers[1] = max(powers[1], power)
        stage = tuner.stage()
        if not stages or stages[-1] != stage:
            stages.append(stage)
        plant.step(power)
        if now > 3600 * 1000:
            raise AssertionError('tuner did not finish; stage %s' % tuner.stage())
    return tuner, stages, powers, now


class RelayTunerTest(unittest.TestCase):
    def test_estimates_the_ultimate_point(self):
        plant = Plant(noise=0.004)
        ku_true, pu_true = plant.ultimate()
        tuner, _, _, _ = tune(plant)
        result = tuner.result
        # The describing function assumes a sine; on a lag-dominant plant the cycle is a
        # triangle and the hysteresis adds delay: Ku comes out low, Pu high (safe side).
        self.assertTrue(0.5 < result['ku'] / ku_true < 1.0, (result, ku_true))
        self.assertTrue(1.0 < result['pu'] / pu_true < 1.5, (result, pu_true))
        self.assertEqual(result['rule'], 'tyreus-luyben-fast-i')
        expected = gains(result['ku'], result['pu'])
        for key in ('p', 'i', 'd'):
            self.assertAlmostEqual(result[key], expected[key], delta=1e-9)

    def test_stages_and_power_levels(self):
        tuner, stages, powers, _ = tune(Plant(), cycles=3)
        self.assertEqual(stages, ['measuring noise', 'heating to target', 'cycle 1 of 3',
                                  'cycle 2 of 3', 'cycle 3 of 3'])
        self.assertEqual(powers, [0.0, 50.0])   # the approach: twice the default amplitude
        # the relay levels sit around the power that holds 30 degC: 8 W
        self.assertLess(abs(tuner.result['relay'] - 8.0), 1.5, tuner.result)

    def test_starts_above_the_target(self):
        plant = Plant()
        plant.temp = 40.0
        tuner, stages, _, _ = tune(plant, cycles=2)
        self.assertEqual(stages[1], 'cooling to target')
        self.assertTrue(tuner.result['ku'] > 0)

    def test_gains_bring_a_step_in_without_overshoot(self):
        plant = Plant(noise=0.004)
        tuner, _, _, _ = tune(plant)
        result = tuner.result
        pid = PID(result['p'], result['i'], result['d'], 0.0, 100.0)
        pid.reset(plant.temp, 8.0)
        peak = 0.0
        for n in range(1200):       # 600 s: 30 -> 50 degC
            plant.step(pid.update(50.0, plant.read(), PERIOD_MS / 1000))
            peak = max(peak, plant.temp)
            if n > 1000:
                self.assertLess(abs(plant.temp - 50.0), 0.1)
        self.assertLess(peak - 50.0, 0.5)

    def test_a_heater_three_times_too_strong_brings_a_step_in(self):
        # 300 W on the 400 J/K, 1 W/K block (the 'oversized' plant of docs/control.md): the
        # loop leaves full power about 6 K before the target; integrating on the way gathered
        # twice the holding power, 0.6 K overshoot and a tail to 120 s (issue 14)
        plant = Plant(noise=0.004)
        tuner, _, _, now = tune(plant, max_power=300.0)
        result = tuner.result
        pid = PID(result['p'], result['i'], result['d'], 0.0, 300.0)
        # the loop takes over at the holding power the tuner found
        pid.reset(plant.temp, tuner.update(now + PERIOD_MS, plant.read()))
        dt = PERIOD_MS / 1000
        held = 0
        for _ in range(2400):                       # at most 20 min to hold 30 degC
            plant.step(pid.update(30.0, plant.read(), dt))
            held = held + 1 if abs(plant.temp - 30.0) <= 0.1 else 0
            if held * dt >= 10:
                break
        self.assertGreaterEqual(held * dt, 10)
        full_power_s = 3.0 + 400.0 * math.log((322.0 - 30.0) / (322.0 - 55.0))    # 38.8 s
        peak, outside, tail = 0.0, 0.0, []
        for n in range(1, int((2 * full_power_s + 120) / dt)):
            plant.step(pid.update(55.0, plant.read(), dt))
            peak = max(peak, plant.temp)
            if abs(plant.temp - 55.0) > 0.1:
                outside = n * dt
            if n * dt > 2 * full_power_s:
                tail.append(plant.temp - 55.0)
        self.assertLess(peak - 55.0, 0.5)
        self.assertLess(outside, 2 * full_power_s)      # settled within +-0.1 K
        self.assertLess(math.sqrt(sum(e * e for e in tail) / len(tail)), 0.05)

    def test_no_oscillation_fails(self):
        plant = Plant(loss=10.0)       # 100 W hold only 10 K over ambient: never at 40
        with self.assertRaises(TuneFailed) as caught:
            tune(plant, target=40.0, limit_s=600)
        self.assertTrue('no oscillation' in str(caught.exception), str(caught.exception))

    def test_noise_bigger_than_a_kelvin_fails(self):
        with self.assertRaises(TuneFailed) as caught:
            tune(Plant(noise=2.0))
        self.assertTrue('noisy' in str(caught.exception))

    def test_too_little_power_at_the_target_fails(self):
        # 0.05 K above ambient the block needs 0.05 W: no measurable oscillation
        with self.assertRaises(TuneFailed) as caught:
            tune(Plant(noise=0.004), target=22.05)
        self.assertTrue('further above ambient' in str(caught.exception), str(caught.exception))

    def test_arguments_are_checked(self):
        for kw in ({'amplitude': 60.0}, {'amplitude': 0.0}, {'cycles': 1}, {'cycles': 21},
                   {'rule': 'magic'}):
            with self.assertRaises(ValueError):
                RelayTuner(30.0, 100.0, **kw)
        with self.assertRaises(ValueError):
            RelayTuner(30.0, 0.0)

    def test_rules(self):
        for name, (kp, ti, td) in RULES.items():
            result = gains(100.0, 20.0, name)
            self.assertAlmostEqual(result['p'], 100.0 * kp, delta=1e-9)
            self.assertAlmostEqual(result['i'], 100.0 * kp / (ti * 20.0), delta=1e-9)
            self.assertAlmostEqual(result['d'], 100.0 * kp * td * 20.0, delta=1e-9)
