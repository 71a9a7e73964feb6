"""control.sensors: sensor models against published tables, front ends, faults, config."""

import math
import unittest

from control.linear import Linear, LinearSensor
from control.ntc import NTCBeta, NTCSteinhartHart
from control.rtd import RTD, Amplifier, CurrentSource
from control.sensorconfig import from_config
from control.sensors import Divider, ResistiveSensor, SensorFault, average
from precision import ulps

VREF = 3300000
# Rounding errors scale with the magnitudes a model works in: an NTC model
# computes in kelvin; an RTD's temperature is about (R/R0 - 1) / A, so its
# error is that of R/R0 times 1/A = 256 K.
KELVIN = 273.15
RTD_SCALE = 256.0


# The forward direction, temperature -> ADC voltage, is needed only by the tests
# (the firmware never computes it), so it lives here.

def linear_uv(linear, t):
    return linear.offset_uv + t * linear.uv_per_degree


def front_uv(front, r):
    """The ADC voltage a Divider or CurrentSource gives for sensor resistance ``r``."""
    if isinstance(front, Divider):
        return front.vref_uv * (front.r_fixed if front.sensor_on_top else r) / (r + front.r_fixed)
    amp = front.amplifier
    return r * front.current_ua * amp.gain + amp.offset_uv


def sensor_uv(sensor, t):
    return front_uv(sensor.front, sensor.model.resistance(t))

# IEC 60751 table, PT100 (ohm, rounded to 0.01)
IEC_PT100 = ((-200, 18.52), (-100, 60.26), (-50, 80.31), (0, 100.00), (50, 119.40),
             (100, 138.51), (200, 175.86), (400, 247.09), (850, 390.48))

# steinhart-hart fitted at -20, 25 and 100 degC to a published 10k B3950 table
SH_A, SH_B, SH_C = 1.19678e-3, 2.21302e-4, 1.52267e-7
PUBLISHED_3950 = ((-40, 283381.1), (0, 32580.7), (10, 20000.3), (80, 1242.9))


class RTDTest(unittest.TestCase):
    def test_pt100_table_resistance(self):
        rtd = RTD(100.0)
        for t, r in IEC_PT100:
            self.assertAlmostEqual(rtd.resistance(t), r, delta=0.005)

    def test_pt100_table_temperature(self):
        rtd = RTD(100.0)
        for t, r in IEC_PT100:
            # 0.005 ohm of table rounding is at most 0.013 K
            self.assertAlmostEqual(rtd.temperature(r), t, delta=0.015)

    def test_pt1000_table(self):
        rtd = RTD(1000.0)
        for t, r in IEC_PT100:
            self.assertAlmostEqual(rtd.resistance(t), 10 * r, delta=0.05)
            self.assertAlmostEqual(rtd.temperature(10 * r), t, delta=0.015)

    def test_round_trip(self):
        rtd = RTD(100.0)
        for t in range(-200, 851, 10):
            self.assertAlmostEqual(rtd.temperature(rtd.resistance(t)), t, delta=1e-3)

    def test_continuous_at_zero(self):
        rtd = RTD(100.0)
        self.assertAlmostEqual(rtd.temperature(100.0), 0.0, delta=ulps(4, RTD_SCALE))
        self.assertLess(rtd.temperature(99.999), 0.0)
        self.assertGreater(rtd.temperature(100.001), 0.0)

    def test_beyond_model(self):
        self.assertEqual(RTD(100.0).temperature(1e6), float('inf'))


class NTCTest(unittest.TestCase):
    def test_beta_at_t0(self):
        ntc = NTCBeta(10000, 3950)
        self.assertAlmostEqual(ntc.resistance(25), 10000, delta=ulps(4, 10000))
        self.assertAlmostEqual(ntc.temperature(10000), 25, delta=ulps(4, KELVIN + 25))

    def test_beta_published_50(self):
        # B25/50 is defined by the 25 and 50 degC points; tables give 3.59k
        self.assertAlmostEqual(NTCBeta(10000, 3950).resistance(50), 3600, delta=72)

    def test_beta_published_0(self):
        # outside 25..50 the beta equation drifts: 33.62k against 32.58k in a
        # published table (3.2 %), which still reads within 1 K
        ntc = NTCBeta(10000, 3950)
        self.assertAlmostEqual(ntc.resistance(0), 32580.7, delta=0.035 * 32580.7)
        self.assertAlmostEqual(ntc.temperature(32580.7), 0, delta=1.0)

    def test_beta_other_t0(self):
        ntc = NTCBeta(5000, 3950, t0=50.0)
        self.assertAlmostEqual(ntc.temperature(5000), 50, delta=ulps(4, KELVIN + 50))

    def test_beta_round_trip(self):
        ntc = NTCBeta(10000, 3950)
        for t in range(-55, 151, 5):
            self.assertAlmostEqual(ntc.temperature(ntc.resistance(t)), t,
                                   delta=ulps(16, KELVIN + t))

    def test_steinhart_hart_published(self):
        ntc = NTCSteinhartHart(SH_A, SH_B, SH_C)
        for t, r in PUBLISHED_3950:
            self.assertAlmostEqual(ntc.temperature(r), t, delta=1.0)
            self.assertAlmostEqual(ntc.resistance(t), r, delta=0.05 * r)

    def test_steinhart_hart_round_trip(self):
        ntc = NTCSteinhartHart(SH_A, SH_B, SH_C)
        for t in range(-55, 151, 5):
            self.assertAlmostEqual(ntc.temperature(ntc.resistance(t)), t,
                                   delta=ulps(16, KELVIN + t))
        for r in (100, 1000, 10000, 100000, 1000000):
            self.assertAlmostEqual(ntc.resistance(ntc.temperature(r)), r, delta=ulps(64, r))

    def test_steinhart_hart_without_c_is_beta(self):
        beta = NTCBeta(10000, 3950)
        sh = NTCSteinhartHart(1 / 298.15 - math.log(10000) / 3950, 1 / 3950, 0.0)
        for t in (-40, 0, 25, 60, 125):
            r = beta.resistance(t)
            self.assertAlmostEqual(sh.resistance(t), r, delta=ulps(64, r))
            self.assertAlmostEqual(sh.temperature(r), t, delta=ulps(16, KELVIN + t))


class LinearTest(unittest.TestCase):
    def test_tmp36(self):
        tmp36 = Linear(10000, 500000)
        self.assertAlmostEqual(tmp36.temperature(750000), 25.0, delta=ulps(4, 25.0))
        self.assertAlmostEqual(tmp36.temperature(500000), 0.0, delta=ulps(4))
        self.assertAlmostEqual(tmp36.temperature(100000), -40.0, delta=ulps(4, 40.0))
        self.assertAlmostEqual(linear_uv(tmp36, 125), 1750000, delta=ulps(4, 1750000))

    def test_lm35(self):
        lm35 = Linear(10000)
        self.assertAlmostEqual(lm35.temperature(250000), 25.0, delta=ulps(4, 25.0))
        self.assertAlmostEqual(lm35.temperature(0), 0.0, delta=ulps(4))
        self.assertAlmostEqual(linear_uv(lm35, 100), 1000000, delta=ulps(4, 1000000))

    def test_zero_slope(self):
        self.assertRaises(ValueError, Linear, 0)

    def test_range(self):
        sensor = LinearSensor(Linear(10000, 500000), -40, 125)
        self.assertAlmostEqual(sensor.temperature(750000), 25.0, delta=ulps(4, 25.0))
        with self.assertRaises(SensorFault) as cm:
            sensor.temperature(0)  # -50 degC: a dead TMP36
        self.assertEqual(cm.exception.kind, 'range')


class DividerTest(unittest.TestCase):
    def test_sensor_to_ground(self):
        divider = Divider(VREF, 10000)
        self.assertAlmostEqual(divider.resistance(VREF // 2), 10000, delta=ulps(8, 10000))
        self.assertAlmostEqual(divider.resistance(VREF // 4), 10000 / 3, delta=ulps(8, 10000))
        self.assertAlmostEqual(front_uv(divider, 30000), VREF * 3 / 4, delta=ulps(8, VREF))

    def test_sensor_on_top(self):
        divider = Divider(VREF, 10000, sensor_on_top=True)
        self.assertAlmostEqual(divider.resistance(VREF // 4), 30000, delta=ulps(8, 30000))
        self.assertAlmostEqual(front_uv(divider, 30000), VREF / 4, delta=ulps(8, VREF))

    def test_round_trip(self):
        for on_top in (False, True):
            divider = Divider(VREF, 4700, on_top)
            for r in (100, 1000, 4700, 33000, 300000):
                # the round trip amplifies rounding by its condition number, 1 + r/rf + rf/r
                self.assertAlmostEqual(divider.resistance(front_uv(divider, r)), r,
                                       delta=ulps(8 * (1 + r / 4700 + 4700 / r), r))

    def fault(self, front, uv):
        with self.assertRaises(SensorFault) as cm:
            front.resistance(uv)
        return cm.exception.kind

    def test_open_and_short(self):
        bottom = Divider(VREF, 10000)
        top = Divider(VREF, 10000, sensor_on_top=True)
        self.assertEqual(self.fault(bottom, VREF), 'open')
        self.assertEqual(self.fault(bottom, 0), 'short')
        self.assertEqual(self.fault(top, 0), 'open')
        self.assertEqual(self.fault(top, VREF), 'short')

    def test_default_margin(self):
        divider = Divider(VREF, 10000)  # 0.5 % of 3.3 V = 16500 uV
        self.assertEqual(self.fault(divider, 16500), 'short')
        self.assertGreater(divider.resistance(16501), 0)
        self.assertEqual(self.fault(divider, VREF - 16500), 'open')
        self.assertGreater(divider.resistance(VREF - 16501), 0)

    def test_custom_margin(self):
        divider = Divider(VREF, 10000, margin_uv=100000)
        self.assertEqual(self.fault(divider, 99000), 'short')
        self.assertEqual(self.fault(divider, VREF - 99000), 'open')

    def test_fault_message(self):
        fault = SensorFault('range', 'too hot')
        self.assertEqual(fault.kind, 'range')
        self.assertIn('too hot', str(fault))
        self.assertEqual(str(SensorFault('open')), 'open')

    def test_bad_arguments(self):
        self.assertRaises(ValueError, Divider, VREF, 0)
        self.assertRaises(ValueError, Divider, 0, 10000)


class CurrentSourceTest(unittest.TestCase):
    def setUp(self):
        # PT100 at 1 mA, 100 mV at 0 degC, gain 10 and 0.1 V offset
        self.front = CurrentSource(VREF, 1000, Amplifier(10, 100000))

    def test_amplifier(self):
        amp = Amplifier(10, 100000)
        self.assertAlmostEqual(amp.sensor_uv(1100000), 100000, delta=ulps(4, 1100000))
        self.assertAlmostEqual(amp.sensor_uv(100000), 0.0, delta=ulps(4, 100000))
        self.assertRaises(ValueError, Amplifier, 0)

    def test_resistance(self):
        self.assertAlmostEqual(self.front.resistance(1100000), 100.0, delta=ulps(8, 100.0))
        self.assertAlmostEqual(front_uv(self.front, 138.51), 1485100, delta=ulps(8, 1485100))

    def test_pt100(self):
        sensor = ResistiveSensor(self.front, RTD(100.0), -200, 850)
        self.assertAlmostEqual(sensor.temperature(1100000), 0.0, delta=ulps(8, RTD_SCALE))
        self.assertAlmostEqual(sensor.temperature(1485100), 100.0, delta=0.015)
        self.assertAlmostEqual(sensor.temperature(sensor_uv(sensor, -150)), -150,
                               delta=ulps(16, RTD_SCALE))

    def test_faults(self):
        for uv, kind in ((VREF, 'open'), (VREF - 16000, 'open'), (100000, 'short'),
                         (116000, 'short'), (0, 'short')):
            with self.assertRaises(SensorFault) as cm:
                self.front.resistance(uv)
            self.assertEqual(cm.exception.kind, kind)

    def test_without_amplifier(self):
        front = CurrentSource(VREF, 1000)
        self.assertAlmostEqual(front.resistance(100000), 100.0, delta=ulps(4, 100.0))
        self.assertRaises(SensorFault, front.resistance, 10000)


class ResistiveSensorTest(unittest.TestCase):
    def setUp(self):
        self.sensor = ResistiveSensor(Divider(VREF, 10000), NTCBeta(10000, 3950), -40, 125)

    def test_temperature(self):
        self.assertAlmostEqual(self.sensor.temperature(VREF // 2), 25.0,
                               delta=ulps(16, KELVIN + 25))
        for t in (-39, 0, 60, 124):
            uv = int(round(sensor_uv(self.sensor, t)))
            self.assertAlmostEqual(self.sensor.temperature(uv), t, delta=0.05)

    def test_rails(self):
        for uv, kind in ((VREF, 'open'), (0, 'short')):
            with self.assertRaises(SensorFault) as cm:
                self.sensor.temperature(uv)
            self.assertEqual(cm.exception.kind, kind)

    def test_range(self):
        for t in (-45, 130):
            with self.assertRaises(SensorFault) as cm:
                self.sensor.temperature(int(round(sensor_uv(self.sensor, t))))
            self.assertEqual(cm.exception.kind, 'range')

    def test_bad_range(self):
        self.assertRaises(ValueError, ResistiveSensor, Divider(VREF, 10000), RTD(), 10, 10)


class FromConfigTest(unittest.TestCase):
    def test_ntc(self):
        sensor = from_config({'type': 'ntc', 'r25': 10000, 'beta': 3950, 'r_fixed': 10000}, VREF)
        self.assertAlmostEqual(sensor.temperature(VREF // 2), 25.0, delta=ulps(16, KELVIN + 25))
        self.assertEqual((sensor.t_min, sensor.t_max), (-55.0, 150.0))

    def test_ntc_on_top(self):
        sensor = from_config({'type': 'ntc', 'r25': 10000, 'beta': 3950, 'r_fixed': 30000,
                              'sensor_on_top': True}, VREF)
        self.assertAlmostEqual(sensor.temperature(VREF * 3 // 4), 25.0,
                               delta=ulps(16, KELVIN + 25))

    def test_ntc_sh(self):
        sensor = from_config({'type': 'ntc_sh', 'a': SH_A, 'b': SH_B, 'c': SH_C,
                              'r_fixed': 10000}, VREF)
        uv = int(round(sensor_uv(sensor, 40)))
        self.assertAlmostEqual(sensor.temperature(uv), 40, delta=0.05)

    def test_pt_divider(self):
        for kind, r0 in (('pt100', 100), ('pt1000', 1000)):
            sensor = from_config({'type': kind, 'r_fixed': 10 * r0}, VREF)
            self.assertAlmostEqual(sensor.temperature(VREF // 11), 0.0, delta=0.01)
            self.assertEqual((sensor.t_min, sensor.t_max), (-200.0, 850.0))

    def test_pt100_current_source(self):
        sensor = from_config({'type': 'pt100', 'current_ua': 1000, 'gain': 10,
                              'offset_uv': 100000}, VREF)
        self.assertAlmostEqual(sensor.temperature(1485100), 100.0, delta=0.015)
        with self.assertRaises(SensorFault) as cm:
            sensor.temperature(VREF)
        self.assertEqual(cm.exception.kind, 'open')

    def test_linear_types(self):
        self.assertAlmostEqual(from_config({'type': 'tmp36'}, VREF).temperature(750000), 25.0,
                               delta=ulps(4, 25.0))
        self.assertAlmostEqual(from_config({'type': 'lm35'}, VREF).temperature(250000), 25.0,
                               delta=ulps(4, 25.0))
        linear = from_config({'type': 'linear', 'uv_per_degree': 20000, 'offset_uv': 400000},
                             VREF)
        self.assertAlmostEqual(linear.temperature(900000), 25.0, delta=ulps(4, 25.0))
        custom = from_config({'type': 'tmp36', 'uv_per_degree': 19500, 'offset_uv': 400000},
                             VREF)
        self.assertAlmostEqual(custom.temperature(400000 + 19500 * 30), 30.0, delta=ulps(4, 30.0))

    def test_range_from_config(self):
        sensor = from_config({'type': 'tmp36', 't_min': 0, 't_max': 50}, VREF)
        self.assertAlmostEqual(sensor.temperature(950000), 45.0, delta=ulps(4, 45.0))
        with self.assertRaises(SensorFault) as cm:
            sensor.temperature(1050000)  # 55 degC
        self.assertEqual(cm.exception.kind, 'range')

    def error(self, cfg):
        with self.assertRaises(ValueError) as cm:
            from_config(cfg, VREF)
        return str(cm.exception)

    def test_unknown_type(self):
        self.assertIn('thermocouple', self.error({'type': 'thermocouple'}))
        self.assertIn("'type'", self.error({'r25': 10000}))

    def test_missing_keys(self):
        self.assertIn("'r25'", self.error({'type': 'ntc', 'beta': 3950, 'r_fixed': 1}))
        self.assertIn("'beta'", self.error({'type': 'ntc', 'r25': 10000, 'r_fixed': 1}))
        self.assertIn("'r_fixed'", self.error({'type': 'ntc', 'r25': 10000, 'beta': 3950}))
        self.assertIn("'c'", self.error({'type': 'ntc_sh', 'a': 1e-3, 'b': 2e-4,
                                         'r_fixed': 1}))
        self.assertIn("'r_fixed'", self.error({'type': 'pt100'}))
        self.assertIn("'uv_per_degree'", self.error({'type': 'linear'}))

    def test_wrong_values(self):
        self.assertIn("'r25'", self.error({'type': 'ntc', 'r25': '10k', 'beta': 3950,
                                           'r_fixed': 1}))
        self.assertIn("'gain'", self.error({'type': 'pt100', 'current_ua': 1000, 'gain': True}))
        self.assertIn('sensor_on_top', self.error({'type': 'pt1000', 'r_fixed': 1000,
                                                   'sensor_on_top': 1}))
        self.assertIn('beta', self.error({'type': 'ntc', 'r25': 10000, 'beta': -1,
                                          'r_fixed': 1}))
        self.assertIn('t_min', self.error({'type': 'lm35', 't_min': 50, 't_max': 0}))


class SmoothingTest(unittest.TestCase):
    def test_average(self):
        samples = iter([10, 11, 11, 12])
        self.assertEqual(average(lambda: next(samples), 4), 11)
        self.assertEqual(average(lambda: 7, 1), 7)

    def test_average_rounds(self):
        samples = iter([1, 2])
        self.assertEqual(average(lambda: next(samples), 2), 2)
        samples = iter([1, 1, 2])
        self.assertEqual(average(lambda: next(samples), 3), 1)
        samples = iter([-1, -1, -2])
        self.assertEqual(average(lambda: next(samples), 3), -1)

    def test_average_calls(self):
        calls = []

        def read():
            calls.append(1)
            return 3

        self.assertEqual(average(read, 16), 3)
        self.assertEqual(len(calls), 16)
        self.assertRaises(ValueError, average, read, 0)


if __name__ == '__main__':
    unittest.main()
