"""The shared unit tests (host_tests/unit), run a third time under the 32-bit MicroPython
of the official WebAssembly port (tools/wasm32.py), each reported by name.

The firmware and the tests are copied into the port's own file system and run by
host_tests/run_micropython.py in one ``runPython`` call; a difference between the
64-bit unix port and a 32-bit MicroPython (small ints, float printing, a pure-Python
``binascii``) shows up by name here.
"""

import functools
import os

import pytest

import wasm32
from helpers import ROOT, check_unit_outcome, unit_outcomes

TREES = [(os.path.join(ROOT, name), '/' + name) for name in ('firmware', 'host_tests', 'boards')]
MISSING = wasm32.missing()


def _run(*args):
    """What run_micropython.py printed with ``args`` under the port."""
    steps = ['import sys\nsys.argv[:] = %r' % (['run_micropython'] + list(args)),
             'import run_micropython']
    try:
        return wasm32.run(steps, TREES, ['/host_tests'])[-1]
    except wasm32.StepFailed as exc:       # sys.exit(1) when a test failed
        return '\n'.join(exc.outputs) + '\n' + str(exc)


def _names():
    return _run('--list').split() if not MISSING else ['(the port is not installed)']


@functools.lru_cache(maxsize=1)
def _results():
    output = _run()
    return unit_outcomes(output), output


@pytest.mark.parametrize('name', _names())
def test_under_wasm32(name):
    if MISSING:
        pytest.skip(MISSING)
    check_unit_outcome(name, *_results(), 'the 32-bit MicroPython (WebAssembly port)')
