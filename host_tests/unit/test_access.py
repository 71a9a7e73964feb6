"""Access control: read-only mode, the allow-list of accessibles and the
client addresses that may write (both runtimes)."""

import unittest

import tutorial_node


def ask(node, session, line):
    node.handle(session, line.encode())
    return tutorial_node.drain(session)


class ReadOnlyMode(unittest.TestCase):
    def setUp(self):
        self.node = tutorial_node.make_node()
        self.node.read_only = True
        self.node.allow = ('heater:stop',)
        self.session = self.node.open_session(peer='10.0.0.5')

    def test_change_and_do_refused(self):
        self.assertEqual(
            ask(self.node, self.session, 'change heater:_maxheaterpower 10'),
            'error_change heater:_maxheaterpower ["ReadOnly","this node is read-only for this '
            'client (allowed: heater:stop)",{}]\n')
        self.assertTrue(ask(self.node, self.session, 'do heater:_examplecommand {"a":1,"b":1}')
                        .startswith('error_do heater:_examplecommand ["ReadOnly",'))
        self.assertEqual(self.node.modules[1].get('_maxheaterpower'), 100.0)

    def test_allowed_command_and_reads_work(self):
        self.assertTrue(ask(self.node, self.session, 'do heater:stop').startswith(
            'done heater:stop [null,'))
        self.assertTrue(ask(self.node, self.session, 'read heater:target').startswith('reply'))
        self.assertTrue(ask(self.node, self.session, 'check heater:target 50').startswith(
            'checked heater:target'))

    def test_idn_does_not_lift_it(self):
        ask(self.node, self.session, '*IDN?')
        self.assertTrue(ask(self.node, self.session, 'change heater:target 50').startswith(
            'error_change heater:target ["ReadOnly",'))


class Writers(unittest.TestCase):
    def setUp(self):
        self.node = tutorial_node.make_node()
        self.node.writers = ('192.168.1.10', 'serial')

    def test_listed_address_writes(self):
        session = self.node.open_session(peer='192.168.1.10')
        self.assertTrue(ask(self.node, session, 'change heater:target 50').startswith(
            'changed heater:target [50.0,'))

    def test_other_address_reads_only(self):
        session = self.node.open_session(peer='192.168.1.11')
        self.assertTrue(ask(self.node, session, 'change heater:target 50').startswith(
            'error_change heater:target ["ReadOnly","this node is read-only for this client",'))
        self.assertTrue(ask(self.node, session, 'read heater:target').startswith('reply'))

    def test_serial_line_by_name(self):
        session = self.node.open_session(serial=True)
        self.assertTrue(ask(self.node, session, 'do heater:stop').startswith('done'))
