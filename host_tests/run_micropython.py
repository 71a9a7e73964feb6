"""Run the shared unit tests (host_tests/unit) under the MicroPython unix port.

    micropython host_tests/run_micropython.py [--list] [name-prefix ...]

Prints one ``PASS``/``FAIL``/``SKIP`` line per test, the traceback of each
failure, and ``N passed, N failed`` at the end; exits 1 if anything failed.
CPython runs the same files with pytest.
"""

import os
import sys

HERE = __file__.rpartition('/')[0] or '.'
ROOT = HERE.rpartition('/')[0] or '.'
sys.path[:0] = [HERE + '/mpy_lib', HERE + '/unit', ROOT + '/firmware']

import unittest  # noqa: E402  (the one from mpy_lib)


def collect():
    tests = []
    for filename in sorted(os.listdir(HERE + '/unit')):
        if not (filename.startswith('test_') and filename.endswith('.py')):
            continue
        modname = filename[:-3]
        module = __import__(modname)
        for cname in sorted(dir(module)):
            cls = getattr(module, cname)
            if isinstance(cls, type) and issubclass(cls, unittest.TestCase) \
                    and cls is not unittest.TestCase:
                for mname in sorted(dir(cls)):
                    if mname.startswith('test'):
                        tests.append(('%s::%s::%s' % (modname, cname, mname), cls, mname))
    return tests


def run(tests):
    passed = failed = skipped = 0
    for name, cls, mname in tests:
        case = cls()
        try:
            case.setUp()
            try:
                getattr(case, mname)()
            finally:
                case.tearDown()
        except unittest.SkipTest as exc:
            skipped += 1
            print('SKIP', name, exc)
        except Exception as exc:
            failed += 1
            print('FAIL', name)
            sys.print_exception(exc)
        else:
            passed += 1
            print('PASS', name)
    line = '%d passed, %d failed' % (passed, failed)
    if skipped:
        line += ', %d skipped' % skipped
    print(line)
    return failed


def main():
    args = sys.argv[1:]
    tests = collect()
    if args and args[0] == '--list':
        for name, _, _ in tests:
            print(name)
        return
    if args:
        tests = [t for t in tests if any(t[0].startswith(p) for p in args)]
    if run(tests):
        sys.exit(1)


main()
