"""Shared helpers of the CPython-only host tests: paths, the simulated node
process and the line client (both from tools/simnode.py), heap probes, and the
outcomes of the shared unit tests under another runtime."""

import os
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'tools'), ROOT]

from simnode import (MICROPYTHON, SIM, LineClient, SerialClient, SimNode,  # noqa: E402,F401
                     free_port, heap_figures, stop_process, value_of)


def run_in_namespace(script, timeout):
    """Run ``script`` under ``unshare -rn`` (a new user and network namespace: nothing it
    sends reaches another network); the JSON of its last line of output."""
    import json
    import subprocess
    done = subprocess.run(['unshare', '-rn', sys.executable, script],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError('namespace run failed (%d):\n%s\n%s'
                             % (done.returncode, done.stdout, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_for(predicate, timeout, interval=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def read_value(conn, spec):
    """The value of ``read <spec>`` (decoded JSON)."""
    return value_of(conn.ask('read ' + spec))


def heap(conn, samples=3):
    """Allocated heap after a collection (``system:_mem_alloc``), the least of a
    few samples (see ``simnode.heap_figures``)."""
    return heap_figures(conn, samples)[0]


def settled_heap(sim, probe, baseline, limit=2048, tries=10):
    """The heap once it is back under ``baseline + limit``, else its last figure.
    A closed connection's objects can stay referenced for a while, so a few more
    connections and requests are allowed to let them go; a leak stays."""
    for _ in range(tries):
        value = heap(probe)
        if value - baseline < limit:
            break
        conn = sim.client()
        conn.ask('ping')
        conn.close()
        time.sleep(0.3)
    return value


def unit_outcomes(output):
    """{test name: [PASS/FAIL/SKIP, its line, the lines that followed]} from the output
    of host_tests/run_micropython.py."""
    outcomes, current = {}, None
    for line in output.splitlines():
        word, _, name = line.partition(' ')
        if word in ('PASS', 'FAIL', 'SKIP'):
            current = name.split(' ')[0]
            outcomes[current] = [word, line]
        elif current is not None:
            outcomes[current].append(line)
    return outcomes


def check_unit_outcome(name, outcomes, output, runtime):
    """Pass, skip or fail as the shared unit test ``name`` did under ``runtime``."""
    assert name in outcomes, 'not run under %s:\n%s' % (runtime, output[-3000:])
    outcome = outcomes[name]
    if outcome[0] == 'SKIP':
        pytest.skip(outcome[1])
    assert outcome[0] == 'PASS', '\n'.join(outcome[1:])
