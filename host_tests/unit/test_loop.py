"""The temperature loop's logic with a scripted thermometer (both runtimes):
status sequence, ramp, limits, stop, safety latches, manual heater control."""

import unittest

import fake_ticks
from control.interlock import Interlock
from control.sensors import SensorFault
from modules.heater import HeaterModule
from modules.loop import TemperatureLoop
from precision import ulps
from secop.errors import SECoPError
from secop.node import Node

PERIOD_MS = 500


class ScriptedThermometer:
    EXTRA = ()          # no parameters of its own (a thermocouple chip's cold junction)

    def __init__(self, temp=22.0):
        self.temp = temp
        self.fault = None

    def measure(self):
        if self.fault:
            raise self.fault
        return self.temp


class FakePWM:
    """Keeps the last duty written (``duty``; None: never written)."""

    duty = None

    def duty_u16(self, value=None):
        self.duty = self.duty if value is None else value
        return self.duty


class Rig:
    """A loop, its heater module and one activated session that records updates."""

    def __init__(self, **kw):
        self.thermo = ScriptedThermometer()
        self.pwm = FakePWM()
        clock, self.ticks = fake_ticks.make_clock()
        self.output = Interlock(self.pwm, 100.0, PERIOD_MS, clock)
        self.loop = TemperatureLoop('heater', 'loop', clock, self.thermo, self.output,
                                    t_min=0.0, t_max=90.0, overtemp=100.0, window=2.0,
                                    timeout=60.0, **kw)
        self.manual = HeaterModule('heater_output', 'manual', clock, self.loop)
        self.node = Node('test', 'test', [self.loop, self.manual], clock)
        self.session = self.node.open_session()
        self.step()

    def step(self, n=1):
        for _ in range(n):
            self.ticks.advance(PERIOD_MS)
            self.loop.step(self.ticks.now, PERIOD_MS / 1000)

    def ask(self, line):
        while self.session.count:
            self.session.pop()
        self.node.handle(self.session, line.encode())
        out = []
        while self.session.count:
            entry = self.session.pop()
            out.append(entry if type(entry) is str else ''.join(entry))
        return out

    def status(self):
        return self.loop.get('status')[0]


class StatusSequence(unittest.TestCase):
    def test_busy_then_idle_after_window(self):
        rig = Rig()
        self.assertEqual(rig.status(), 100)
        rig.ask('activate')
        out = rig.ask('change heater:target 30')
        self.assertTrue(out[-1].startswith('changed heater:target [30.0,'))
        status_lines = [line for line in out if line.startswith('update heater:status')]
        self.assertTrue(status_lines[0].startswith('update heater:status [[380,'))
        rig.step()
        self.assertGreater(rig.output.power, 0)
        rig.thermo.temp = 29.95                     # within tolerance (0.1 K)
        rig.step(4)                                 # 2 s = _window
        self.assertEqual(rig.status(), 380)
        rig.step(1)
        self.assertEqual(rig.status(), 100)
        self.assertEqual(rig.loop.get('status')[1], 'at target')

    def test_target_in_the_band_of_a_stable_value_is_idle_within_3_periods(self):
        rig = Rig()
        rig.thermo.temp = 41.0
        rig.step(8)                                 # 4 s stable, longer than _window
        rig.ask('activate')
        out = rig.ask('change heater:target 41.05')
        self.assertTrue(any(line.startswith('update heater:status [[380,') for line in out))
        rig.step(3)
        self.assertEqual(rig.status(), 100)

    def test_window_counts_from_entering_the_band(self):
        rig = Rig()
        rig.thermo.temp = 30.4
        rig.step(8)                                 # stable, but outside the band of 30
        rig.ask('change heater:target 30')
        rig.step(2)
        self.assertEqual(rig.status(), 380)
        rig.thermo.temp = 30.05                     # enters the band now
        rig.step(4)
        self.assertEqual(rig.status(), 380)
        rig.step(1)
        self.assertEqual(rig.status(), 100)

    def test_leaving_the_band_restarts_the_window(self):
        rig = Rig()
        rig.ask('change heater:target 30')
        rig.thermo.temp = 30.0
        rig.step(3)
        rig.thermo.temp = 29.5
        rig.step(1)
        rig.thermo.temp = 30.0
        rig.step(4)
        self.assertEqual(rig.status(), 380)
        rig.step(1)
        self.assertEqual(rig.status(), 100)

    def test_warn_after_timeout(self):
        rig = Rig()
        rig.ask('change heater:target 80')
        rig.step(121)                               # 60.5 s > _timeout
        self.assertEqual(rig.status(), 200)

    def test_ramp_moves_the_setpoint(self):
        rig = Rig(ramp=60.0)                        # 1 K/s
        rig.ask('change heater:target 30')
        self.assertEqual(rig.status(), 370)
        rig.step(4)
        self.assertAlmostEqual(rig.loop.get('setpoint'), 24.0, delta=ulps(8, 24.0))
        rig.step(12)
        self.assertEqual(rig.loop.get('setpoint'), 30.0)
        self.assertEqual(rig.status(), 380)

    def test_stop_holds_the_present_value(self):
        rig = Rig()
        rig.ask('change heater:target 60')
        rig.thermo.temp = 41.5
        rig.step()
        out = rig.ask('do heater:stop')
        self.assertTrue(out[-1].startswith('done heater:stop'))
        self.assertEqual(rig.loop.get('target'), 41.5)
        self.assertEqual(rig.status(), 100)


class Limits(unittest.TestCase):
    def test_target_limits_narrow_the_range(self):
        rig = Rig()
        self.assertTrue(rig.ask('change heater:target_limits [10, 50]')[-1].startswith(
            'changed heater:target_limits [[10.0,50.0],'))
        self.assertEqual(rig.ask('change heater:target 60')[-1],
                         'error_change heater:target ["RangeError","60 is outside '
                         'target_limits [10, 50]",{}]\n')
        self.assertTrue(rig.ask('change heater:target 95')[-1].startswith(
            'error_change heater:target ["RangeError","95 must be between 0 and 90"'))
        self.assertTrue(rig.ask('change heater:target_limits [50, 10]')[-1].startswith(
            'error_change heater:target_limits ["RangeError"'))

    def test_maxheaterpower_limits_the_output(self):
        rig = Rig()
        rig.ask('change heater:_maxheaterpower 25')
        rig.ask('change heater:target 80')
        rig.step(3)
        self.assertLessEqual(rig.output.power, 25.0)
        self.assertEqual(rig.loop.get('_heaterpower'), rig.output.power)


class Safety(unittest.TestCase):
    def test_heater_off_at_construction(self):
        rig = Rig()
        self.assertEqual(rig.pwm.duty, 0)

    def test_sensor_fault_heater_off_and_recovery(self):
        rig = Rig()
        rig.ask('change heater:target 60')
        rig.step()
        self.assertGreater(rig.output.power, 0)
        rig.thermo.fault = SensorFault('open')
        rig.step()
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.status(), 400)
        self.assertTrue(rig.ask('read heater:value')[-1].startswith(
            'error_read heater:value ["HardwareError","sensor open circuit"'))
        self.assertTrue(rig.ask('change heater:target 50')[-1].startswith(
            'error_change heater:target ["IsError"'))
        rig.thermo.fault = None
        rig.step(2)
        self.assertEqual(rig.status(), 380)
        self.assertGreater(rig.output.power, 0)

    def test_overtemperature_latches(self):
        rig = Rig()
        rig.ask('change heater:target 60')
        rig.thermo.temp = 100.5
        rig.step()
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.status(), 400)
        rig.thermo.temp = 50.0
        rig.step(5)
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.status(), 400)
        self.assertTrue(rig.ask('change heater_output:target 10')[-1].startswith(
            'error_change heater_output:target ["IsError"'))
        rig.ask('do heater:clear_errors')
        self.assertEqual(rig.status(), 100)
        self.assertEqual(rig.loop.get('target'), 50.0)

    def test_exception_in_step_and_stall(self):
        rig = Rig()
        rig.ask('change heater:target 60')
        rig.step()
        rig.loop.fail(OSError(5))
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.status(), 400)
        rig.step()
        self.assertEqual(rig.status(), 380)
        rig.step()
        self.assertGreater(rig.pwm.duty, 0)
        rig.ticks.advance(2 * PERIOD_MS)            # the lease: two periods
        self.assertTrue(rig.loop.watch())
        self.assertGreater(rig.pwm.duty, 0)
        rig.ticks.advance(1)
        self.assertFalse(rig.loop.watch())          # no step within the lease
        self.assertEqual(rig.pwm.duty, 0)
        self.assertEqual(rig.loop.get('status')[1], 'control loop stalled')


class ManualControl(unittest.TestCase):
    def test_manual_power_takes_control_and_target_gives_it_back(self):
        rig = Rig()
        rig.ask('activate')
        out = rig.ask('change heater_output:target 12.5')
        self.assertTrue(out[-1].startswith('changed heater_output:target [12.5,'))
        updates = ''.join(out)
        self.assertIn('update heater_output:controlled_by [0,', updates)
        self.assertIn('update heater:control_active [false,', updates)
        rig.step(3)
        self.assertAlmostEqual(rig.output.power, 12.5, delta=0.01)
        out = rig.ask('change heater:target 40')
        updates = ''.join(out)
        self.assertIn('update heater:control_active [true,', updates)
        self.assertIn('update heater_output:controlled_by [1,', updates)
        self.assertTrue(out[-1].startswith('changed heater:target'))

    def test_checks_are_errors_not_crashes(self):
        rig = Rig()
        with self.assertRaises(SECoPError):
            rig.loop.check_target(95.0)
