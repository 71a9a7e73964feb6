"""Fixed random sequences over the real interlock, loop and heater module
(both runtimes; the same rig as the hypothesis state machine in
host_tests/test_heater_safety.py): requests, faults, stalls and time steps,
the safety invariants checked after every event (see heater_rig)."""

import unittest

from heater_rig import PERIOD_MS, HeaterRig, run_random

SEEDS = (1, 2, 3, 5, 8, 13, 21, 34)


class FixedSeeds(unittest.TestCase):
    def test_random_sequences_keep_the_invariants(self):
        steps = heated = 0
        for seed in SEEDS:
            rig = run_random(seed, 300)
            steps += rig.steps
            heated += rig.heated
        # the sequences do reach the control step, and the heater is on in many of them
        self.assertGreater(steps, 300)
        self.assertGreater(heated, 100)


class Reproductions(unittest.TestCase):
    """The holes of issue 10 on the pure modules; each failed on the old code."""

    def heating_by_hand(self, watts=80):
        rig = HeaterRig()
        rig.advance(PERIOD_MS)
        self.assertTrue(rig.ask('change heater_output:target %d' % watts).startswith('changed'))
        self.assertGreater(rig.pwm.duty, 0)
        return rig

    def test_manual_power_refused_while_the_sensor_is_open(self):
        rig = HeaterRig()
        rig.set_fault('open')
        rig.advance(PERIOD_MS)
        reply = rig.ask('change heater_output:target 80')
        self.assertTrue(reply.startswith('error_change heater_output:target ["IsError"'), reply)
        self.assertEqual(rig.pwm.duty, 0)

    def test_manual_power_ends_when_the_control_step_stalls(self):
        rig = self.heating_by_hand()
        rig.stall(True)
        rig.advance(3 * PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.manual.get('target'), 0.0)
        self.assertEqual(rig.manual.status_code(), 400)

    def test_stop_ends_manual_heating(self):
        rig = self.heating_by_hand(50)
        self.assertTrue(rig.ask('do heater:stop').startswith('done'))
        self.assertEqual(rig.pwm.duty, 0)
        rig.advance(4 * PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.manual.get('value'), 0.0)

    def limited_rig(self, temp):
        """Limits [10, 50], driving to 40, then the block is at ``temp``."""
        rig = HeaterRig()
        rig.ask('change heater:target_limits [10, 50]')
        rig.ask('change heater:target 40')
        rig.set_temp(temp)
        rig.advance(PERIOD_MS)
        return rig

    def test_clear_errors_keeps_the_target_inside_the_limits(self):
        rig = self.limited_rig(100.5)
        self.assertEqual(rig.loop.status_code(), 400)
        rig.set_temp(97.0)
        rig.advance(PERIOD_MS)
        rig.ask('do heater:clear_errors')
        self.assertEqual(rig.loop.get('target'), 50.0)
        self.assertEqual(rig.loop.get('setpoint'), 50.0)

    def test_stop_keeps_the_target_inside_the_limits(self):
        rig = self.limited_rig(70.0)
        rig.ask('do heater:stop')
        self.assertEqual(rig.loop.get('target'), 50.0)

    def test_a_reading_above_the_sensor_range_latches(self):
        rig = HeaterRig()
        rig.ask('change heater:target 60')
        rig.advance(2 * PERIOD_MS)
        self.assertGreater(rig.pwm.duty, 0)
        rig.set_fault('over_range')
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        rig.set_fault('none')                   # back in range: still off
        rig.advance(4 * PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertIn('over range', rig.loop.get('status')[1])
        rig.ask('do heater:clear_errors')
        rig.ask('change heater:target 60')
        rig.advance(2 * PERIOD_MS)
        self.assertGreater(rig.pwm.duty, 0)

    def test_a_saturated_adc_is_a_sensor_fault(self):
        rig = HeaterRig()
        rig.ask('change heater:target 60')
        rig.advance(2 * PERIOD_MS)
        rig.set_fault('saturation')             # 3.1 V: -33 degC, inside the sensor range
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertIn('usable input window', rig.loop.get('status')[1])

    def test_an_exception_in_the_step_ends_manual_power_at_once(self):
        rig = self.heating_by_hand()
        rig.set_fault('crash')
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        reply = rig.ask('change heater_output:target 80')
        self.assertTrue(reply.startswith('error_change heater_output:target ["IsError"'), reply)

    def test_target_starts_at_the_measured_value_and_the_heater_stays_off(self):
        rig = HeaterRig()
        self.assertEqual(round(rig.loop.get('target'), 1), 22.0)
        rig.set_temp(20.0)                      # below that target: still nobody asked
        rig.advance(10 * PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.loop.get('status'), (100, ''))

    def test_after_clear_errors_the_heater_stays_off_until_asked(self):
        rig = self.limited_rig(100.5)
        rig.set_temp(40.0)
        rig.advance(PERIOD_MS)
        rig.ask('do heater:clear_errors')
        rig.set_temp(30.0)                      # cooler than the target it now holds
        rig.advance(10 * PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        rig.ask('change heater:target 45')
        rig.advance(2 * PERIOD_MS)
        self.assertGreater(rig.pwm.duty, 0)

    def test_heater_output_reports_who_is_in_control(self):
        rig = self.heating_by_hand(10)
        self.assertTrue(rig.manual.get('control_active'))
        rig.ask('change heater:target 30')
        self.assertFalse(rig.manual.get('control_active'))
        self.assertEqual(rig.manual.get('status')[1], 'controlled by heater')

    def test_value_is_announced_at_the_pollinterval(self):
        rig = HeaterRig()
        rig.ask('activate')
        rig.ask('change heater:pollinterval 2')
        rig.drain()
        updates = []
        for _ in range(8):                      # 4 s: 8 control steps
            rig.set_temp(23.0 + rig.now / 1000)      # changes every step
            rig.advance(PERIOD_MS)
            updates += [e for e in rig.drain() if e.startswith('update heater:value')]
        self.assertEqual(len(updates), 2)


class HeaterSafetyII(unittest.TestCase):
    """The holes of the second safety review, on the pure modules; each failed on
    the old code."""

    def test_a_lapsed_lease_stays_lapsed_however_long_the_stall(self):
        rig = Reproductions.heating_by_hand(Reproductions(), 80)
        rig.stall(True)
        rig.advance(3 * PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        # 2**30 ms (12.4 days) after the last step, in reads of the clock a few
        # days apart as the poll tasks make them: the tick difference is small again
        since = rig.now - rig.last_step
        for _ in range(4):
            rig.ticks.advance((1 << 28) - since // 4)
            rig.lock.clock.read()
        reply = rig.ask('change heater_output:target 100')
        self.assertTrue(reply.startswith('error_change heater_output:target ["IsError"'), reply)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertFalse(rig.loop.watch())

    def test_0_w_is_always_accepted(self):
        rig = HeaterRig()                       # no control step yet
        reply = rig.ask('change heater_output:target 0')
        self.assertTrue(reply.startswith('changed heater_output:target [0.0,'), reply)
        reply = rig.ask('change heater_output:target 5')
        self.assertTrue(reply.startswith('error_change heater_output:target ["IsError"'), reply)
        rig.set_fault('open')
        rig.advance(PERIOD_MS)
        reply = rig.ask('change heater_output:target 0')
        self.assertTrue(reply.startswith('changed heater_output:target [0.0,'), reply)
        self.assertEqual(rig.manual.status_code(), 400)     # still locked, and says so
        self.assertEqual(rig.pwm.duty, 0)

    def blind(self, fault, manual):
        rig = HeaterRig(plant=True)
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.relay.duty, 1)               # energised while the permit holds
        rig.ask('change heater_output:target 100' if manual else 'change heater:target 80')
        rig.advance(4 * PERIOD_MS)
        self.assertGreater(rig.pwm.duty, 60000)
        rig.set_fault(fault)
        rig.advance((rig.lock.window + 2) * PERIOD_MS)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.relay.duty, 0)
        self.assertIn('no temperature rise', rig.loop.get('status')[1])
        rig.set_fault('none')
        rig.ask('do heater:clear_errors')
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.relay.duty, 1)

    def test_a_detached_sensor_trips_the_heat_check(self):
        self.blind('detached', False)

    def test_an_open_heater_trips_the_heat_check(self):
        self.blind('heater_open', True)

    def test_heating_that_warms_the_block_does_not_trip(self):
        rig = HeaterRig(plant=True)
        rig.ask('change heater:target 80')
        rig.advance(640 * PERIOD_MS)                    # all the way up, and holding
        self.assertIsNone(rig.lock.latched)
        self.assertGreater(rig.adc.temp, 79.0)

    def test_a_stuck_heater_is_cut_by_the_relay(self):
        rig = HeaterRig(plant=True)
        rig.advance(PERIOD_MS)
        rig.set_fault('stuck')                          # from boot, no target
        rig.advance(((rig.lock.window >> 2) + rig.lock.window + 2) * PERIOD_MS)
        self.assertEqual(rig.relay.duty, 0)
        self.assertEqual(rig.loop.get('status')[1], 'heater stuck on, do clear_errors')
        cut = rig.adc.temp
        rig.advance(10 * PERIOD_MS)
        self.assertLess(rig.adc.temp, cut)

    def test_the_heat_check_follows_the_tune_unless_the_config_says(self):
        rig = HeaterRig()
        rig.loop.heat_config = (None, None, None)
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.lock.window, 60000 // PERIOD_MS)      # untuned: the defaults
        self.assertEqual(rig.lock.rise, 1.0)
        self.assertEqual(rig.lock.floor, 90.0)
        rig.loop.set('_autotune_result', {'ku': 123.7, 'pu': 16.8, 'amplitude': 0.1,
                                          'relay': 25.0, 'rule': 'tyreus-luyben-fast-i'})
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.lock.window, int(4 * 16.8 * 1000) // PERIOD_MS)
        self.assertAlmostEqual(rig.lock.rise, 0.1 * 90 * 4 * 16.8 / (123.7 * 16.8 / 6.2832),
                               places=3)
        rig.loop.heat_config = (30.0, None, 0.5)
        rig.loop.set('_autotune_result', dict(rig.loop.get('_autotune_result')))
        rig.advance(PERIOD_MS)
        self.assertEqual(rig.lock.window, 60)
        self.assertEqual(rig.lock.floor, 50.0)

    def test_limits_narrowed_below_a_tune_end_it_and_the_loop_holds_them(self):
        rig = HeaterRig(plant=True)
        rig.ask('change heater:target 60')
        rig.advance(PERIOD_MS)
        self.assertTrue(rig.ask('do heater:_autotune').startswith('done'))
        rig.advance(10 * PERIOD_MS)
        self.assertEqual(rig.loop.status_code(), 300)       # BUSY: tuning
        rig.ask('change heater:target_limits [0, 30]')
        status = rig.loop.get('status')
        self.assertEqual(status[0], 200, status)
        self.assertIn('outside target_limits', status[1])
        self.assertEqual(rig.loop.get('target'), 30.0)
        highest = 0.0
        for _ in range(400):                    # 200 s: the PID holds the clamped target
            rig.advance(PERIOD_MS)
            highest = max(highest, rig.adc.temp)
        self.assertLess(highest, 33.0)          # a small overshoot; the tune went on to 60
