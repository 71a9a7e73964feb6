"""fastcs-secop 0.2.0 (the EPICS/Tango bridge) against the simulated node over
TCP.  It needs Python >= 3.12, so it runs from its own virtualenv
(``.venv-fastcs``, built by ``make setup`` from requirements-fastcs.txt with a
Python 3.12 found on the machine) in a subprocess: host_tests/fastcs_driver.py
reads every attribute, writes ``heater:_maxheaterpower`` and runs
``heater:stop``."""

import json
import os
import re
import subprocess

import pytest

from helpers import ROOT, read_value

FASTCS_PYTHON = os.path.join(ROOT, '.venv-fastcs', 'bin', 'python')
DRIVER = os.path.join(ROOT, 'host_tests', 'fastcs_driver.py')


def test_fastcs_reads_everything_writes_and_runs_a_command(driving_sim):
    if not os.access(FASTCS_PYTHON, os.X_OK):
        pytest.skip('no .venv-fastcs: make setup found no Python >= 3.12 (set PY312=...)')
    raw = driving_sim.client()
    try:
        # stop holds the present value: at 20 W the block settles at 42 degC (ambient 22 +
        # 20 W / 1 W/K), so a target of 60 is never reached however long the host keeps the
        # driver from running, and a target still above 50 after stop means stop failed
        raw.ask('change heater:_maxheaterpower 20')
        assert raw.ask('change heater:target 60').startswith('changed')
        assert read_value(raw, 'heater:status')[0] >= 300           # driving: stop will matter
        proc = subprocess.run([FASTCS_PYTHON, DRIVER, str(driving_sim.port)], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result['failed'] == {} and result['errors'] == [], result
        desc = json.loads(raw.ask('describe')[len('describing . '):])
        expected = {'%s:%s' % (m, a) for m, mod in desc['modules'].items()
                    for a, acc in mod['accessibles'].items()
                    if acc['datainfo']['type'] != 'command'}
        assert set(result['read']) == expected
        # the status text has maxchars, so fastcs sizes it (not a <U65536 per value)
        assert "'<U80'" in result['read']['heater:status']
        assert re.search(r"'p'.*'i'.*'d'", result['read']['heater:ctrlpars'])    # the PID gains
        assert read_value(raw, 'heater:_maxheaterpower') == 42.0       # written through fastcs
        status = read_value(raw, 'heater:status')                      # stopped through fastcs
        assert status[0] < 300, status
        assert read_value(raw, 'heater:target') < 50
    finally:
        raw.ask('change heater:_maxheaterpower 100')
        raw.close()
