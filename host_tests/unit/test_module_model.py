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

    def test_every_update_carries_the_value_of_its_event(self):
        for value in (1.0, 2.0, 3.0):
            self.outside.set('value', value)
        self.assertEqual(self.updates(), ['update outside:value [%s,{"t":1700000000.123}]' % v
                                          for v in ('1.0', '2.0', '3.0')])

    def test_full_outbox_keeps_newest_value_and_every_status(self):
        session, node = self.session, self.node
        for i in range(session.capacity):           # a client that stopped reading
            self.outside.set('value', float(i))
        self.outside.set_status(200, 'warm')
        self.outside.set_status(100, '')
        for i in range(3 * session.capacity):
            self.outside.set('value', 100.0 + i)
        self.outside.set_status(200, 'hot')
        self.assertLessEqual(session.count, session.capacity)
        lines = self.updates()
        statuses = [line for line in lines if 'outside:status' in line]
        self.assertEqual([line.split(' ', 2)[2][:12] for line in statuses],
                         ['[[200,"warm"', '[[100,""],{"', '[[200,"hot"]'])
        values = [line for line in lines if 'outside:value' in line]
        self.assertEqual(values[-1], 'update outside:value [%s,{"t":1700000000.123}]'
                         % (100.0 + 3 * session.capacity - 1))
        numbers = [float(line.split('[', 1)[1].split(',', 1)[0]) for line in values]
        self.assertEqual(numbers, sorted(set(numbers)))     # in the order of the events
        self.assertEqual(node.dropped, 4 * session.capacity + 3 - len(lines))

    def test_log_lines_count_against_the_outbox(self):
        session, node = self.session, self.node
        node.handle(session, b'logging  "debug"')
        self.updates()
        for i in range(3 * session.capacity):
            node.log(self.outside, 'info', 'flapping %d' % i)
        self.assertEqual(session.count, session.capacity)
        self.assertEqual(node.dropped, 2 * session.capacity)
        self.outside.set_status(200, 'flapping')    # a status is never lost to a log flood
        self.assertIn('update outside:status [[200,"flapping"]', '\n'.join(self.updates()))


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

