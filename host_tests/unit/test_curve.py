"""control.curve: Lake Shore .340 files, interpolation per format, range faults (both runtimes)."""

import math
import os
import unittest

from control import curve
from control.sensorconfig import from_config
from control.sensors import SensorFault

HERE = __file__.rpartition('/')[0] or '.'
SIM_CURVE = HERE + '/../../boards/sim/ntc10k_b3950.340'


def text(fmt, rows, declared=None):
    head = ['Sensor Model:   TEST', 'Data Format:    %d      (whatever)' % fmt,
            'Number of Breakpoints:   %d' % (len(rows) if declared is None else declared),
            '', 'No.   Units      Temperature (K)', '']
    return head + ['%3d  %s      %s' % (i + 1, u, k) for i, (u, k) in enumerate(rows)]


class Beta:
    """The simulated board's thermistor, 10 kohm B3950 (the forward direction)."""

    def resistance(self, t):
        return 10000.0 * math.exp(3950.0 * (1.0 / (t + 273.15) - 1.0 / 298.15))


DIODE = [('0.09', '475.0'), ('0.5', '300.0'), ('1.0', '77.0'), ('1.6', '4.0')]   # V, falling


class ParseTest(unittest.TestCase):
    def test_volts_descending_and_ascending_agree(self):
        down = curve.parse(text(2, DIODE))
        up = curve.parse(text(2, DIODE[::-1]))
        for c in (down, up):
            self.assertAlmostEqual(c.temperature(500000), 300.0 - 273.15, delta=1e-3)
            # linear in volts between 0.5 V (300 K) and 1.0 V (77 K)
            self.assertAlmostEqual(c.temperature(750000), (300.0 + 77.0) / 2 - 273.15,
                                   delta=1e-3)
            self.assertAlmostEqual(c.t_min, 4.0 - 273.15, delta=1e-3)
            self.assertAlmostEqual(c.t_max, 475.0 - 273.15, delta=1e-3)

    def test_millivolts(self):
        c = curve.parse(text(1, [('100', '300'), ('200', '200')]))
        self.assertAlmostEqual(c.temperature(150000), 250.0 - 273.15, delta=1e-3)

    def test_ohms_linear_in_ohms(self):
        c = curve.parse(text(3, [('100.0', '273.15'), ('200.0', '533.15')]))
        self.assertAlmostEqual(c.temperature(150.0), 130.0, delta=1e-3)

    def test_log_ohms_interpolates_in_log(self):
        c = curve.parse(text(4, [('2.0', '400.0'), ('4.0', '200.0')]))   # 100 ohm .. 10 kohm
        # 1 kohm is log 3: half way in log space, not in ohms
        self.assertAlmostEqual(c.temperature(1000.0), 300.0 - 273.15, delta=1e-3)
        self.assertAlmostEqual(c.temperature(10000.0), 200.0 - 273.15, delta=1e-3)

    def test_outside_the_curve_is_a_range_fault(self):
        c = curve.parse(text(2, DIODE))
        for uv in (50000, 1700000, float('nan')):
            with self.assertRaises(SensorFault) as caught:
                c.temperature(uv)
            self.assertEqual(caught.exception.kind, 'range')
        with self.assertRaises(SensorFault):
            curve.parse(text(4, [('2.0', '400.0'), ('4.0', '200.0')])).temperature(0.0)

    def test_bad_files_are_refused(self):
        cases = [
            (text(5, DIODE), 'data format'),
            (text(2, DIODE, declared=5), 'header says 5'),
            (text(2, [('0.5', '300'), ('0.5', '200')]), 'strictly'),
            (text(2, [('0.5', '300'), ('0.6', '200'), ('0.7', '250')]), 'temperatures'),
            (text(2, [('0.5', '300')]), '2 to 200'),
            (text(2, [('0.5', 'warm'), ('0.6', '200')]), 'not a number'),
            (text(2, [('0.5', '300'), ('0.6', '-2')]), 'above 0 K'),
            (text(2, DIODE)[:1] + text(2, DIODE)[2:], 'Data Format'),
            (text(2, DIODE) + ['5 1.7'], 'index units kelvin'),
            (text(2, [(str(0.001 * i), str(500 - i)) for i in range(1, 202)]), 'more than 200'),
        ]
        for lines, words in cases:
            with self.assertRaises(ValueError) as caught:
                curve.parse(lines)
            self.assertTrue(words in str(caught.exception), (words, str(caught.exception)))

    def test_two_hundred_breakpoints_are_fine(self):
        c = curve.parse(text(3, [(str(100 + i), str(10 + i)) for i in range(200)]))
        self.assertAlmostEqual(c.temperature(150.5), 60.5 - 273.15, delta=1e-3)


class SensorTest(unittest.TestCase):
    def test_the_simulated_boards_curve_matches_its_thermistor(self):
        sensor = from_config({'type': 'curve', 'file': SIM_CURVE, 'r_fixed': 10000}, 3300000)
        self.assertAlmostEqual(sensor.t_min, -40.0, delta=1e-3)
        self.assertAlmostEqual(sensor.t_max, 125.0, delta=1e-3)
        ntc = Beta()
        worst = 0.0
        for i in range(161):
            t = 20.0 + i * 0.25
            r = ntc.resistance(t)
            uv = 3300000 * r / (r + 10000)
            worst = max(worst, abs(sensor.temperature(uv) - t))
        self.assertLess(worst, 0.008)       # 2.5 K breakpoints, log interpolation
        self.assertGreater(worst, 0.0005)   # and it does interpolate
        r = ntc.resistance(130.0)           # above the curve, well inside the ADC's span
        with self.assertRaises(SensorFault) as caught:
            sensor.temperature(3300000 * r / (r + 10000))
        self.assertEqual(caught.exception.kind, 'range')

    def test_config_errors(self):
        with self.assertRaises(ValueError) as caught:
            from_config({'type': 'curve', 'r_fixed': 10000}, 3300000)
        self.assertTrue("'file'" in str(caught.exception))
        with self.assertRaises(ValueError) as caught:
            from_config({'type': 'curve', 'file': '/nonexistent.340', 'r_fixed': 1}, 3300000)
        self.assertTrue('cannot be read' in str(caught.exception))

    def test_volt_curve_behind_an_amplifier(self):
        path = '/tmp/secop-curve-test-diode.340'
        with open(path, 'w') as f:
            f.write('\n'.join(text(2, DIODE)))
        try:
            sensor = from_config({'type': 'curve', 'file': path, 'gain': 2,
                                  'offset_uv': 100000}, 3300000)
        finally:
            os.remove(path)
        self.assertAlmostEqual(sensor.temperature(1100000), 300.0 - 273.15, delta=1e-3)
        # 0.295 V at the sensor, half way between 0.09 V (475 K) and 0.5 V (300 K)
        self.assertAlmostEqual(sensor.temperature(2 * 295000 + 100000), 387.5 - 273.15,
                               delta=1e-3)
