"""settings: what is kept, restore with validation, atomic replacement, reset (both runtimes)."""

import json
import os
import time
import unittest

import fake_ticks
import settings
from secop.datatypes import Double, Struct, Tuple
from secop.module import Drivable, Parameter, declare

_GAINS = Struct(('p', Double(0)), ('i', Double(0)), ('d', Double(0)), optional=('p', 'i', 'd'))
_RESULT = Struct(('ku', Double(0)), ('rule', Double()), optional=('ku', 'rule'))


class Block(Drivable):
    """A module with kept and not kept parameters, limits as configured."""

    def __init__(self, name, t_max=90.0, gains=(30.0, 0.5, 60.0)):
        temp = Double(0, t_max)
        self.accessibles = declare(
            Drivable.accessibles,
            ('target', Parameter('target', temp, readonly=False)),
            ('ramp', Parameter('ramp', Double(0, 100), readonly=False, default=0.0)),
            ('target_limits', Parameter('limits', Tuple(temp, temp), readonly=False,
                                        default=(0.0, t_max))),
            ('ctrlpars', Parameter('gains', _GAINS, readonly=False,
                               default={'p': gains[0], 'i': gains[1], 'd': gains[2]})),
            ('_autotune_result', Parameter('result', _RESULT, default={'ku': 0.0, 'rule': 0.0})),
            ('_other', Parameter('not kept', Double(), readonly=False)),
        )
        Drivable.__init__(self, name, name, fake_ticks.make_clock()[0])
        self.pid_writes = 0

    def check_target_limits(self, value):
        if value[0] > value[1]:
            raise ValueError('min above max')

    def write_ctrlpars(self, value):
        self.pid_writes += 1


def temp_path():
    return '/tmp/secop-settings-test-%d.json' % (time.ticks_ms() if hasattr(time, 'ticks_ms')
                                                 else int(time.time() * 1000))


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.path = temp_path()

    def tearDown(self):
        for path in (self.path, self.path + '.tmp', self.path + '.bad'):
            if exists(path):
                os.remove(path)

    def changed_block(self):
        block = Block('heater')
        for name, raw in (('ramp', 2.5), ('target_limits', [10.0, 80.0]),
                          ('ctrlpars', {'p': 50.0, 'i': 1.0, 'd': 150.0}), ('target', 55.0),
                          ('_other', 7.0)):
            block.change(block.accessible(name), raw)
        block.set('_autotune_result', {'ku': 117.0, 'rule': 1.0})
        return block

    def test_round_trip_keeps_settings_but_not_the_target(self):
        store = settings.Store(self.path, [self.changed_block()])
        self.assertTrue(store.save())
        self.assertFalse(store.save())          # unchanged: not written again
        self.assertFalse(exists(self.path + '.tmp'))
        fresh = Block('heater')
        self.assertEqual(settings.Store(self.path, [fresh]).restore(), 4)
        self.assertEqual(fresh.get('ramp'), 2.5)
        self.assertEqual(tuple(fresh.get('target_limits')), (10.0, 80.0))
        self.assertEqual(fresh.get('ctrlpars'), {'p': 50.0, 'i': 1.0, 'd': 150.0})
        self.assertEqual(fresh.pid_writes, 1)   # through the write hook, like a change
        self.assertEqual(fresh.get('_autotune_result'), {'ku': 117.0, 'rule': 1.0})
        self.assertEqual(fresh.get('target'), 0.0)
        self.assertEqual(fresh.get('_other'), 0.0)

    def test_values_outside_todays_limits_are_dropped(self):
        settings.Store(self.path, [self.changed_block()]).save()
        narrower = Block('heater', t_max=60.0)      # the config changed since
        self.assertEqual(settings.Store(self.path, [narrower]).restore(), 3)
        self.assertEqual(tuple(narrower.get('target_limits')), (0.0, 60.0))
        self.assertEqual(narrower.get('ramp'), 2.5)

    def test_unknown_rows_and_bad_values_are_dropped(self):
        with open(self.path, 'w') as f:
            json.dump({'version': 1, 'settings': [
                ['heater', 'ramp', 'fast'], ['gone', 'ramp', 1.0], ['heater', 'target', 50.0],
                ['heater', 'target_limits', [70.0, 20.0]], ['heater', 'ctrlpars', {'p': -1}],
                ['heater'], 17, ['heater', 'ramp', 3.0]]}, f)
        block = Block('heater')
        self.assertEqual(settings.Store(self.path, [block]).restore(), 1)
        self.assertEqual(block.get('ramp'), 3.0)
        self.assertEqual(block.get('target'), 0.0)
        self.assertEqual(block.get('ctrlpars'), {'p': 30.0, 'i': 0.5, 'd': 60.0})

    def test_gains_kept_as_pid_come_back_as_ctrlpars(self):
        with open(self.path, 'w') as f:         # a file from before the rename
            json.dump({'version': 1, 'settings': [
                ['heater', '_pid', {'p': 45.0, 'i': 0.75, 'd': 80.0}]]}, f)
        block = Block('heater')
        store = settings.Store(self.path, [block])
        self.assertEqual(store.restore(), 1)
        self.assertEqual(block.get('ctrlpars'), {'p': 45.0, 'i': 0.75, 'd': 80.0})
        self.assertTrue(store.save())           # rewritten under the new name
        with open(self.path) as f:
            self.assertEqual(json.load(f)['settings'],
                             [['heater', 'ctrlpars', {'p': 45.0, 'i': 0.75, 'd': 80.0}]])
        self.assertFalse(store.save())

    def test_broken_file_falls_back_to_a_complete_temporary_file(self):
        store = settings.Store(self.path, [self.changed_block()])
        store.save()
        os.rename(self.path, self.path + '.tmp')    # as if reset between remove and rename
        with open(self.path, 'w') as f:
            f.write('{"version": 1, "sett')
        block = Block('heater')
        self.assertEqual(settings.Store(self.path, [block]).restore(), 4)
        self.assertEqual(block.get('ramp'), 2.5)
        self.assertFalse(exists(self.path + '.tmp'))   # renamed into place
        self.assertTrue(exists(self.path))

    def test_nothing_readable_leaves_the_config_values(self):
        with open(self.path, 'w') as f:
            f.write('\x00\x00garbage')
        block = Block('heater')
        self.assertEqual(settings.Store(self.path, [block]).restore(), 0)
        self.assertEqual(block.get('ramp'), 0.0)
        with open(self.path) as f:          # replaced by a file that holds no changes
            self.assertEqual(json.load(f), {'version': 1, 'settings': []})

    def test_a_file_without_a_list_of_settings_is_set_aside(self):
        for text in ('{"version": 1, "settings": 5}', '[1, 2]', '{"version": 1}',
                     '{"version": 1, "settings": {"a": 1}}', '7', 'null'):
            with open(self.path, 'w') as f:
                f.write(text)
            block = Block('heater')
            self.assertEqual(settings.Store(self.path, [block]).restore(), 0, text)
            with open(self.path + '.bad') as f:
                self.assertEqual(f.read(), text)
            with open(self.path) as f:          # a fresh file that holds no changes
                self.assertEqual(json.load(f), {'version': 1, 'settings': []})

    def test_a_failing_flash_never_raises(self):
        os.mkdir(self.path + '.tmp')            # every write of the temporary file fails
        try:
            block = self.changed_block()
            store = settings.Store(self.path, [block])
            self.assertEqual(store.restore(), 0)        # and its first save failed
            self.assertFalse(store.save())
            block.change(block.accessible('ramp'), 4.0)
            self.assertFalse(store.save())
        finally:
            os.rmdir(self.path + '.tmp')
        self.assertTrue(store.save())           # the flash works again: written

    def test_only_changed_settings_are_written(self):
        block = Block('heater')
        store = settings.Store(self.path, [block])
        store.restore()
        block.change(block.accessible('ramp'), 4.0)
        block.change(block.accessible('pollinterval'), 1.0)     # the configured value
        store.save()
        with open(self.path) as f:
            self.assertEqual(json.load(f)['settings'], [['heater', 'ramp', 4.0]])

    def test_reset(self):
        block = self.changed_block()
        store = settings.Store(self.path, [block])
        store.save()
        settings.reset([block])
        self.assertEqual(block.get('ramp'), 0.0)
        self.assertEqual(block.get('ctrlpars'), {'p': 30.0, 'i': 0.5, 'd': 60.0})
        self.assertEqual(block.get('_autotune_result'), {'ku': 0.0, 'rule': 0.0})
        self.assertTrue(store.save())
        self.assertFalse(store.save())
        with open(self.path) as f:
            self.assertEqual(json.load(f)['settings'], [])
