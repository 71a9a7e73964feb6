"""Serial-line semantics (both runtimes): ``*IDN?`` resets the session."""

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

    def test_idn_resets_activation_and_logging(self):
        self.ask(self.serial, 'activate')
        self.ask(self.serial, 'logging  "debug"')
        self.ask(self.serial, '*IDN?')
        self.node.modules[0].set('value', 25.0)
        self.node.log(self.node.modules[0], 'error', 'x')
        self.assertEqual(tutorial_node.drain(self.serial), '')
