"""Converter chips on SPI (control/spichip.py, max31865/55/56): the firmware's
drivers against the simulator's register-level models (boards/sim/chips.py) and
against the data sheets' example words: conversions, pacing to the conversion
time, fault bits as sensor faults, and the config entries."""

import random
import sys
import unittest

from control.sensorconfig import from_config
from control.sensors import SensorFault
from fake_ticks import make_clock

HERE = __file__.rpartition('/')[0] or '.'
sys.path.append(HERE + '/../../boards/sim')
import chips  # noqa: E402  (the simulator's models, host only)


class Plant:
    """A block held at ``temp`` without noise, ambient 22 degC."""

    ambient = 22.0
    noise = 0.0

    def __init__(self, temp):
        self.temp = temp

    def sensor_temp(self, now_ms):
        return self.temp


class Bench:
    """What the chip models read of a simulated board: the plant, the fault, the time."""

    def __init__(self, temp):
        self.plant = Plant(temp)
        self.fault = 0

    def elapsed_ms(self):
        return 0


class CountingBus:
    """A chip model's bus that counts the reads and keeps the register writes."""

    def __init__(self, chip):
        self.chip = chip
        self.reads = 0
        self.writes = []

    def write_readinto(self, out, into):
        if out[0] & 0x80:
            self.writes.append(bytes(out))
        else:
            self.reads += 1
        self.chip.write_readinto(out, into)


class Module:
    """Records what a chip publishes to its module."""

    def __init__(self):
        self.values = {}

    def set(self, name, value):
        self.values[name] = value


def connected(sensor_cfg, temp, phase=None):
    """(driver, bench, bus, ticks) of a chip on its model, connected."""
    chip = from_config(sensor_cfg, 3300000)
    bench = Bench(temp)
    random.seed(1)          # the models' noise
    model, select = chips.open_spi(bench, {'sensor': sensor_cfg, 'spi': {'channel': 'block'}},
                                chip.PHASE if phase is None else phase)
    bus = CountingBus(model)
    clock, ticks = make_clock(1000)
    chip.attach(Module())
    chip.connect((bus, select), clock)
    return chip, bench, bus, ticks


def fault_of(chip):
    try:
        chip.measure()
    except SensorFault as fault:
        return fault
    raise AssertionError('no fault')


class MAX31865Test(unittest.TestCase):
    PT100 = {'type': 'max31865'}

    def test_setup_writes_the_low_threshold_then_bias_auto_50_hz_and_clears(self):
        chip, _, bus, _ = connected(self.PT100, 25.0)
        self.assertEqual(bus.writes, [b'\x85\x01\x00', b'\x80\xc3'])
        _, _, bus, _ = connected({'type': 'max31865', 'wires': 3, 'mains': 60}, 25.0)
        self.assertEqual(bus.writes[-1], b'\x80\xd2')

    def test_reads_the_block_within_the_15_bit_resolution(self):
        for temp in (-50.0, 0.0, 22.0, 60.0, 200.0, 390.0):
            chip, _, _, _ = connected(self.PT100, temp)
            # one code is 430/32768 ohm, 0.034 K at 0 degC (the model truncates), noise 0.005 K
            self.assertTrue(-0.06 <= chip.measure() - temp <= 0.03, (temp, chip.measure()))
        chip, _, _, _ = connected({'type': 'max31865', 'r0': 1000}, 60.0)
        self.assertAlmostEqual(chip.measure(), 60.0, delta=0.06)

    def test_reads_at_most_once_per_conversion(self):
        chip, bench, bus, ticks = connected(self.PT100, 30.0)
        first = chip.measure()
        bench.plant.temp = 40.0
        self.assertEqual((chip.measure(), bus.reads), (first, 1))
        ticks.advance(20)
        chip.clock.read()
        self.assertEqual(chip.measure(), first)
        ticks.advance(1)            # 21 ms: the 50 Hz conversion time
        chip.clock.read()
        self.assertAlmostEqual(chip.measure(), 40.0, delta=0.06)
        self.assertEqual(bus.reads, 2)

    def test_open_short_and_bus_faults(self):
        chip, bench, bus, ticks = connected(self.PT100, 30.0)
        for fault, kind, text in ((1, 'open', 'RTD open'), (2, 'short', 'RTD shorted'),
                                  (4, 'adc', 'SPI')):
            bench.fault = fault
            ticks.advance(21)
            chip.clock.read()
            found = fault_of(chip)
            self.assertEqual(found.kind, kind)
            self.assertIn('MAX31865', found.error.text)
            self.assertIn(text, found.error.text)
            self.assertIs(fault_of(chip), found)        # within the conversion time: the same
        self.assertEqual(bus.writes[-1], b'\x80\xc3')   # the fault status cleared after a fault
        bench.fault = 0
        ticks.advance(21)
        chip.clock.read()
        self.assertAlmostEqual(chip.measure(), 30.0, delta=0.06)

    def test_out_of_range_and_no_chip(self):
        chip, _, _, _ = connected(dict(self.PT100, t_max=100), 150.0)
        fault = fault_of(chip)
        self.assertEqual((fault.kind, fault.above), ('range', True))
        chip, _, _, _ = connected(self.PT100, 30.0, phase=0)     # the wrong SPI mode
        reading = _try(chip)
        self.assertTrue(isinstance(reading, SensorFault) or abs(reading - 30.0) > 1.0, reading)
        chip = from_config(self.PT100, 3300000)
        clock, _ = make_clock()
        chip.connect((Floating(), lambda level: None), clock)
        fault = fault_of(chip)
        self.assertEqual(fault.kind, 'adc')
        self.assertIn('does not answer', fault.error.text)


def _try(chip):
    try:
        return chip.measure()
    except SensorFault as fault:
        return fault


class Floating:
    """A bus with nothing on it: MISO pulled up."""

    def write_readinto(self, out, into):
        for i in range(len(into)):
            into[i] = 0xFF


class Words:
    """A bus that answers every read with ``data`` after the address byte(s)."""

    def __init__(self, data):
        self.data = data

    def write_readinto(self, out, into):
        into[len(into) - len(self.data):] = self.data


def on_words(sensor_cfg, data):
    chip = from_config(sensor_cfg, 3300000)
    module = Module()
    chip.attach(module)
    clock, _ = make_clock()
    chip.connect((Words(data), lambda level: None), clock)
    return chip, module


class MAX31855Test(unittest.TestCase):
    def test_data_sheet_words(self):
        # +1600.00 degC, cold junction +127.0000; -250.00, -55.0000 (data sheet tables 4 and 5)
        chip = from_config({'type': 'max31855'}, 3300000)
        self.assertEqual(chip.decode(b'\x64\x00\x7f\x00'), (1600.0, 127.0))
        self.assertEqual(chip.decode(b'\xf0\x60\xc9\x00'), (-250.0, -55.0))

    def test_fault_bits(self):
        for low, kind, text in ((0x01, 'open', 'open'), (0x02, 'short', 'GND'),
                                (0x04, 'short', 'VCC')):
            chip, module = on_words({'type': 'max31855'}, bytes((0x01, 0x91, 0x16, low)))
            fault = fault_of(chip)
            self.assertEqual(fault.kind, kind)
            self.assertIn(text, fault.error.text)
            self.assertEqual(module.values['_cold_junction'], 22.0)    # still reported

    def test_the_chips_line_is_undone_along_type_k(self):
        # the chip's reading of a 100.0 degC junction with its cold junction at 25.0 degC:
        # 25 + (4.096 - 1.000 mV) / 41.276 uV/K = 100.0 on the line
        chip, module = on_words({'type': 'max31855'}, b'\x06\x40\x19\x00')      # 100.00, 25.0
        self.assertAlmostEqual(chip.measure(), 100.0, delta=0.3)
        for hot in (0.0, 30.0, 60.0, 100.0, 400.0, 1000.0):
            chip, _, _, _ = connected({'type': 'max31855'}, hot)
            # the model's cold junction reads 0.2 K warm; the 0.25 K steps are truncated
            self.assertAlmostEqual(chip.measure(), hot + 0.2 - 0.125, delta=0.2, msg=hot)
        self.assertEqual(chip.EXTRA[0][0], '_cold_junction')


class MAX31856Test(unittest.TestCase):
    def test_data_sheet_words(self):
        # thermocouple +1600.00 and -250.00 degC, cold junction +127.984375 and -55
        chip, module = on_words({'type': 'max31856', 't_min': -270, 't_max': 1800},
                                b'\x7f\xfc\x64\x00\x00\x00')
        self.assertEqual(chip.measure(), 1600.0)
        self.assertEqual(module.values['_cold_junction'], 127.984375)
        chip, module = on_words({'type': 'max31856', 't_min': -270, 't_max': 1800},
                                b'\xc9\x00\xf0\x60\x00\x00')
        self.assertEqual(chip.measure(), -250.0)
        self.assertEqual(module.values['_cold_junction'], -55.0)
        chip, _ = on_words({'type': 'max31856'}, b'\x16\x00\x01\x90\x20\x00')  # 25.0078125
        self.assertEqual(chip.measure(), 25.0078)

    def test_setup_writes_the_type_then_starts_conversions(self):
        chip, _, bus, _ = connected({'type': 'max31856', 'tc_type': 'T', 'mains': 60}, 25.0)
        self.assertEqual(bus.writes, [b'\x81\x07', b'\x80\x90'])
        self.assertAlmostEqual(chip.measure(), 25.2, delta=0.15)   # its cold junction, noise

    def test_fault_bits(self):
        for status, kind, above in ((0x01, 'open', False), (0x02, 'short', False),
                                    (0x08, 'range', True), (0x80, 'range', False),
                                    (0x40, 'range', True)):
            chip, _ = on_words({'type': 'max31856'}, bytes((0x16, 0, 0x01, 0x90, 0, status)))
            fault = fault_of(chip)
            self.assertEqual((fault.kind, fault.above), (kind, above), status)
            self.assertIn('0x%02x' % status, fault.error.text)
        bench_chip, bench, _, ticks = connected({'type': 'max31856'}, 40.0)
        bench.fault = 1
        ticks.advance(100)
        bench_chip.clock.read()
        self.assertEqual(fault_of(bench_chip).kind, 'open')


class ModuleTest(unittest.TestCase):
    def test_a_thermocouple_module_publishes_its_cold_junction(self):
        from modules.temperature import TemperatureSensor
        chip, bench, _, ticks = connected({'type': 'max31856'}, 40.0)
        sensor = TemperatureSensor('tc', 'thermocouple', chip.clock, chip)
        self.assertAlmostEqual(sensor.get('value'), 40.2, delta=0.15)
        self.assertAlmostEqual(sensor.get('_cold_junction'), 22.1875, delta=0.001)
        self.assertTrue(sensor.accessible('_cold_junction').decl.readonly)
        bench.fault = 1
        ticks.advance(100)
        chip.clock.read()
        sensor.poll()
        self.assertEqual(sensor.get('status')[0], 400)
        self.assertIn('MAX31856: thermocouple open', sensor.get('status')[1])

    def test_an_rtd_module_has_no_cold_junction(self):
        from modules.temperature import TemperatureSensor
        chip, _, _, _ = connected({'type': 'max31865'}, 40.0)
        sensor = TemperatureSensor('rtd', 'rtd', chip.clock, chip)
        self.assertIsNone(sensor.accessible('_cold_junction'))
        self.assertAlmostEqual(sensor.get('value'), 40.0, delta=0.06)


class ConfigTest(unittest.TestCase):
    def refused(self, cfg, text):
        try:
            from_config(cfg, 3300000)
        except ValueError as exc:
            self.assertIn(text, str(exc))
            return
        raise AssertionError('accepted %r' % (cfg,))

    def test_settings_and_defaults(self):
        chip = from_config({'type': 'max31865', 'r0': 1000}, 3300000)
        self.assertEqual((chip.r_ref, chip.t_min, chip.t_max, chip.PHASE), (4300.0, -200.0, 850.0, 1))
        chip = from_config({'type': 'max31856', 'tc_type': 'T'}, 3300000)
        self.assertEqual((chip.t_min, chip.t_max), (-200.0, 400.0))
        self.assertEqual(from_config({'type': 'max31855'}, 3300000).PHASE, 0)

    def test_bad_settings(self):
        self.refused({'type': 'max31865', 'wires': 5}, "'wires' must be one of 2, 3, 4")
        self.refused({'type': 'max31865', 'r0': 500}, "'r0' must be one of 100, 1000")
        self.refused({'type': 'max31865', 'r_ref': 0}, 'r_ref must be > 0')
        self.refused({'type': 'max31856', 'tc_type': 'X'}, "'tc_type' must be one of B, E")
        self.refused({'type': 'max31855', 'mains': True}, "'mains' must be one of 50, 60")
        self.refused({'type': 'max31855', 't_min': 10, 't_max': 0}, 't_min must be < t_max')
