"""Golden wire transcripts: request line -> exact reply lines (both runtimes), for the
tutorial's node and for the production modules as the app builds them."""

import unittest

from golden_transcript import replay

HERE = __file__.rpartition('/')[0] or '.'


class GoldenTranscripts(unittest.TestCase):
    def check(self, name):
        problems = replay('%s/golden/%s.txt' % (HERE, name))
        self.assertEqual(problems, [], '\n'.join(problems))

    def test_tutorial(self):
        self.check('01_tutorial')

    def test_framing(self):
        self.check('02_framing')

    def test_errors(self):
        self.check('03_errors')

    def test_datatypes(self):
        self.check('04_datatypes')

    def test_activation(self):
        self.check('05_activation')

    def test_logging_and_time(self):
        self.check('06_logging_time')

    def test_production_modules(self):
        self.check('07_production')

    def test_production_modules_in_2_0(self):
        self.check('08_production_v2')
