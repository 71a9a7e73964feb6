"""``do heater:_autotune`` in the loop (both runtimes): the tuner's power goes
through the interlock, the result lands in ctrlpars and _autotune_result, the
tuner module is loaded only while it runs, and every abort keeps the gains."""

import sys
import unittest

from test_autotune import Plant
from test_loop import Rig

GAINS = {'p': 30.0, 'i': 0.5, 'd': 60.0}


class Tuning:
    """A Rig whose thermometer reads a first-order plant heated by the interlock's power."""

    def __init__(self):
        self.rig = Rig()
        self.plant = Plant()
        self.plant.temp = 28.0      # near the target: the rig's _timeout (60 s) limits the approach
        self.rig.thermo.temp = self.plant.temp

    def step(self, n=1):
        for _ in range(n):
            self.rig.step()
            self.plant.step(self.rig.output.power)
            self.rig.thermo.temp = self.plant.temp

    def start(self, target=30.0, arg=''):
        self.rig.ask('change heater:target %g' % target)
        return self.rig.ask('do heater:_autotune' + arg)[-1]

    def text(self):
        return self.rig.loop.get('status')[1]


def loaded():
    return 'control.autotune' in sys.modules or 'modules.tuning' in sys.modules


class LoopAutotuneTest(unittest.TestCase):
    def setUp(self):
        sys.modules.pop('control.autotune', None)   # test_autotune imported it for itself
        sys.modules.pop('modules.tuning', None)

    def test_tune_sets_the_gains_and_unloads_the_tuner(self):
        t = Tuning()
        self.assertTrue(t.start().startswith('done heater:_autotune'))
        self.assertTrue(loaded())
        self.assertEqual(t.rig.status(), 300)
        self.assertEqual(t.text(), 'autotune: measuring noise')
        for _ in range(4000):
            t.step()
            if 'autotune' not in t.text():
                break
        self.assertFalse(loaded())
        self.assertTrue(t.text().startswith('heating') or t.text() == 'at target', t.text())
        result = t.rig.loop.get('_autotune_result')
        self.assertEqual(result['rule'], 'tyreus-luyben-fast-i')
        self.assertTrue(result['ku'] > 0 and result['pu'] > 0, result)
        gains = t.rig.loop.get('ctrlpars')
        self.assertAlmostEqual(gains['p'], result['ku'] / 2.2, delta=1e-6 * gains['p'])
        self.assertTrue(t.rig.status() in (380, 100))    # driving to the target with them
        self.assertEqual(t.rig.loop.pid.kp, gains['p'])

    def test_a_target_comes_first(self):
        rig = Rig()
        reply = rig.ask('do heater:_autotune')[-1]
        self.assertTrue('IsError' in reply and 'target first' in reply, reply)
        self.assertFalse(loaded())

    def test_over_temperature_aborts_with_the_heater_off(self):
        t = Tuning()
        t.start(arg=' {"cycles": 2}')
        t.step(20)
        self.assertTrue(t.rig.output.power > 0)
        t.rig.thermo.temp = 101.0
        t.rig.step()
        self.assertEqual(t.rig.output.power, 0.0)
        self.assertEqual(t.rig.status(), 400)
        self.assertTrue(t.text().startswith('autotune aborted: over temperature'), t.text())
        self.assertEqual(t.rig.loop.get('ctrlpars'), GAINS)
        self.assertFalse(loaded())

    def test_manual_heater_and_stop_end_the_tune(self):
        t = Tuning()
        t.start()
        t.step(3)
        t.rig.ask('change heater_output:target 10')
        self.assertFalse(loaded())
        self.assertEqual(t.rig.loop.get('ctrlpars'), GAINS)
        t.start()
        self.assertTrue(loaded())
        reply = t.rig.ask('change heater:target 40')[-1]
        self.assertTrue('IsBusy' in reply, reply)
        t.rig.ask('do heater:stop')
        self.assertFalse(loaded())
        self.assertEqual(t.rig.status(), 100)
