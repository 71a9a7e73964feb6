"""Serial-line semantics (both runtimes): ``*IDN?`` resets the session and a
changed description is answered with ``error_closed`` until ``*IDN?``."""

import unittest

import tutorial_node


class SerialSession(unittest.TestCase):
    def setUp(self):
        self.node = tutorial_node.make_node()
        self.serial = self.node.open_session(serial=True)
        self.tcp = self.node.open_session()

    def ask(self, session, line):
        self.node.handle(session, line.encode())
        return tutorial_node.drain(session)

    def test_error_closed_until_idn(self):
        self.ask(self.serial, 'activate')
        self.node.description_changed()
        self.assertEqual(tutorial_node.drain(self.serial), 'error_closed\n')
        self.assertEqual(self.ask(self.serial, 'read outside:value'), 'error_closed\n')
        self.assertEqual(self.ask(self.serial, 'describe'), 'error_closed\n')
        self.assertEqual(self.ask(self.serial, '*IDN?'), 'ISSE&SINE2020,SECoP,V2019-09-16,v1.0\n')
        self.assertTrue(self.ask(self.serial, 'read outside:value').startswith('reply'))
        # the description change deactivated the line: no updates any more
        self.node.modules[0].set('value', 24.0)
        self.assertEqual(tutorial_node.drain(self.serial), '')

    def test_tcp_sessions_are_left_to_the_transport(self):
        self.node.description_changed()
        self.assertEqual(tutorial_node.drain(self.tcp), '')

    def test_idn_resets_activation_and_logging(self):
        self.ask(self.serial, 'activate')
        self.ask(self.serial, 'logging  "debug"')
        self.ask(self.serial, '*IDN?')
        self.node.modules[0].set('value', 25.0)
        self.node.log(self.node.modules[0], 'error', 'x')
        self.assertEqual(tutorial_node.drain(self.serial), '')
