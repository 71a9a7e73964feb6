"""The part of ``unittest`` that the shared host tests use, for MicroPython.

The unix port from PyPI has no ``unittest``; this file is on MicroPython's
path only (``run_micropython.py`` puts it there), so CPython keeps its own.
"""


class SkipTest(Exception):
    pass


class _Raises:
    def __init__(self, expected):
        self.expected = expected
        self.exception = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            raise AssertionError('%s not raised' % self.expected.__name__)
        if issubclass(kind, self.expected):
            self.exception = value
            return True
        return False


class TestCase:
    def setUp(self):
        pass

    def tearDown(self):
        pass

    def skipTest(self, reason):
        raise SkipTest(reason)

    def fail(self, msg=''):
        raise AssertionError(msg)

    def assertEqual(self, a, b, msg=''):
        if not a == b:
            raise AssertionError(msg or '%r != %r' % (a, b))

    def assertNotEqual(self, a, b, msg=''):
        if a == b:
            raise AssertionError(msg or '%r == %r' % (a, b))

    def assertTrue(self, x, msg=''):
        if not x:
            raise AssertionError(msg or '%r is not true' % (x,))

    def assertFalse(self, x, msg=''):
        if x:
            raise AssertionError(msg or '%r is not false' % (x,))

    def assertIs(self, a, b, msg=''):
        if a is not b:
            raise AssertionError(msg or '%r is not %r' % (a, b))

    def assertIsNone(self, x, msg=''):
        self.assertIs(x, None, msg)

    def assertIsNotNone(self, x, msg=''):
        if x is None:
            raise AssertionError(msg or 'unexpectedly None')

    def assertIn(self, a, b, msg=''):
        if a not in b:
            raise AssertionError(msg or '%r not in %r' % (a, b))

    def assertNotIn(self, a, b, msg=''):
        if a in b:
            raise AssertionError(msg or '%r in %r' % (a, b))

    def assertLess(self, a, b, msg=''):
        if not a < b:
            raise AssertionError(msg or '%r not less than %r' % (a, b))

    def assertLessEqual(self, a, b, msg=''):
        if not a <= b:
            raise AssertionError(msg or '%r not less than or equal to %r' % (a, b))

    def assertGreater(self, a, b, msg=''):
        if not a > b:
            raise AssertionError(msg or '%r not greater than %r' % (a, b))

    def assertGreaterEqual(self, a, b, msg=''):
        if not a >= b:
            raise AssertionError(msg or '%r not greater than or equal to %r' % (a, b))

    def assertAlmostEqual(self, a, b, places=7, msg='', delta=None):
        if delta is not None:
            ok = abs(a - b) <= delta
        else:
            ok = round(abs(a - b), places) == 0
        if not ok:
            raise AssertionError(msg or '%r != %r within tolerance' % (a, b))

    def assertRaises(self, expected, func=None, *args, **kwargs):
        context = _Raises(expected)
        if func is None:
            return context
        with context:
            func(*args, **kwargs)
        return context


def main():
    raise SystemExit('run host_tests/run_micropython.py instead')
