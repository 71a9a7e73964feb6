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

from helpers import MICROPYTHON, ROOT

RUNNER = os.path.join(ROOT, 'host_tests', 'run_micropython.py')


def _names():
    out = subprocess.run([MICROPYTHON, RUNNER, '--list'], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return [line for line in out.splitlines() if line]


@functools.lru_cache(maxsize=1)
def _results():
    proc = subprocess.run([MICROPYTHON, RUNNER], capture_output=True, text=True, timeout=600)
    results, current = {}, None
    for line in proc.stdout.splitlines():
        word, _, name = line.partition(' ')
        if word in ('PASS', 'FAIL', 'SKIP'):
            current = name.split(' ')[0]
            results[current] = [word, line]
        elif current is not None:
            results[current].append(line)
    return results, proc.stdout + proc.stderr


@pytest.mark.parametrize('name', _names())
def test_under_micropython(name):
    results, output = _results()
    assert name in results, 'not run under MicroPython:\n' + output[-3000:]
    outcome = results[name]
    if outcome[0] == 'SKIP':
        pytest.skip(outcome[1])
    assert outcome[0] == 'PASS', '\n'.join(outcome[1:])
