"""The shared unit tests (host_tests/unit), run again under the MicroPython unix port.

pytest runs the files in ``unit/`` directly on CPython; this module runs the
same tests under ``micropython`` (one process for all of them) and reports
each one as its own pytest test, so a difference between the runtimes shows
up by name.
"""

import functools
import os
import subprocess

import pytest

from helpers import MICROPYTHON, ROOT, check_unit_outcome, unit_outcomes

RUNNER = os.path.join(ROOT, 'host_tests', 'run_micropython.py')


def _names():
    out = subprocess.run([MICROPYTHON, RUNNER, '--list'], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return [line for line in out.splitlines() if line]


@functools.lru_cache(maxsize=1)
def _results():
    proc = subprocess.run([MICROPYTHON, RUNNER], capture_output=True, text=True, timeout=600)
    return unit_outcomes(proc.stdout), proc.stdout + proc.stderr


@pytest.mark.parametrize('name', _names())
def test_under_micropython(name):
    check_unit_outcome(name, *_results(), 'MicroPython')
