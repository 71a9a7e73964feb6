"""Module model (both runtimes): when updates go out, declarations."""

import unittest

import tutorial_node
from secop.errors import SECoPError
from secop.module import Parameter, Readable, declare
from secop.datatypes import Double


class UpdatePolicy(unittest.TestCase):
    def setUp(self):
        self.node = tutorial_node.make_node()
        self.session = self.node.open_session()
        self.node.handle(self.session, b'activate outside')
        tutorial_node.drain(self.session)
        self.outside = self.node.modules[0]

    def updates(self):
        return tutorial_node.drain(self.session).splitlines()

    def test_unchanged_value_is_not_sent_again(self):
        self.outside.set('value', 23.2)
        self.assertEqual(self.updates(), [])
        self.outside.set('value', 23.3)
        self.assertEqual(len(self.updates()), 1)

    def test_identical_errors_are_not_repeated_and_recovery_is_sent(self):
        err = SECoPError('HardwareError', 'sensor open circuit')
        self.outside.set_error('value', err)
        self.outside.set_error('value', SECoPError('HardwareError', 'sensor open circuit'))
        lines = self.updates()
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith('error_update outside:value ["HardwareError",'))
        self.outside.set('value', 23.2)          # same value as before the error: still sent
        self.assertEqual(len(self.updates()), 1)

    def test_non_finite_value_becomes_an_error(self):
        self.outside.set('value', float('nan'))
        lines = self.updates()
        self.assertEqual(lines, ['error_update outside:value ["ReadFailed","value is not a finite '
                                 'number",{"t":1700000000.123}]'])
        self.node.handle(self.session, b'read outside:value')
        self.assertTrue(tutorial_node.drain(self.session).startswith(
            'error_read outside:value ["ReadFailed",'))

    def test_non_finite_command_result_is_a_range_error(self):
        # an overflow that means the same in single and double precision
        heater = self.node.modules[1]
        heater.do__examplecommand = lambda arg: arg['a'] * float('inf')
        self.node.handle(self.session, b'do heater:_examplecommand {"a": 10, "b": 1}')
        self.assertEqual(self.updates(), ['error_do heater:_examplecommand ["RangeError",'
                                          '"the result is not a finite number",{}]'])

    def test_pending_updates_coalesce(self):
        for value in (1.0, 2.0, 3.0):
            self.outside.set('value', value)
        self.assertEqual(self.updates(), ['update outside:value [3.0,{"t":1700000000.123}]'])


class Declarations(unittest.TestCase):
    def test_declare_replaces_in_place_and_appends(self):
        class Probe(Readable):
            accessibles = declare(Readable.accessibles,
                                  ('value', Parameter('probe', Double(0, 1))),
                                  ('_extra', Parameter('extra', Double())))
        names = [name for name, _ in Probe.accessibles]
        self.assertEqual(names, ['value', 'status', 'pollinterval', '_extra'])
        self.assertEqual(Probe.accessibles[0][1].description, 'probe')
        self.assertEqual(Readable.accessibles[0][1].description, 'current value of the module')
