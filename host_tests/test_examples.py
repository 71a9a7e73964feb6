"""The shipped examples (examples/), each run as a facility would run it, against the
simulated node: bluesky_scan.py with secop-ophyd and a RunEngine; nicos/read_heater.py
with NICOS 3.12.2 from its own venv (.venv-nicos, made by make setup); epics_ioc.py
(fastcs-secop, EPICS PV Access) in a network namespace, with a p4p client."""

import os
import shutil
import subprocess
import sys

import pytest

from helpers import ROOT, read_value

EXAMPLES = os.path.join(ROOT, 'examples')
NICOS_PYTHON = os.path.join(ROOT, '.venv-nicos', 'bin', 'python')
FASTCS_PYTHON = os.path.join(ROOT, '.venv-fastcs', 'bin', 'python')


def test_bluesky_scan_moves_the_heater_and_prints_a_table(sim):
    pytest.importorskip('secop_ophyd')
    raw = sim.client()
    try:
        assert raw.ask('change heater:_window 2').startswith('changed')    # a short settle
        target = round(read_value(raw, 'heater:value') + 0.5, 1)
        done = subprocess.run([sys.executable, os.path.join(EXAMPLES, 'bluesky_scan.py'),
                               '127.0.0.1:%d' % sim.port, '--target', str(target)],
                              capture_output=True, text=True, timeout=100)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith('heater: ') and 'moving to %.3f' % target in lines[0]
        assert lines[1].split() == ['seq', 'example_heater-heater', 'example_heater-heater-target',
                                    'example_heater-outside-value'], lines
        rows = [line.split() for line in lines[2:]]
        assert [row[0] for row in rows] == ['1', '2', '3']
        assert all(abs(float(row[1]) - target) < 0.3 for row in rows), rows
        assert read_value(raw, 'heater:status')[0] == 100
    finally:
        raw.ask('change heater:_window 30')
        raw.close()


def test_nicos_loads_the_setup_and_reads_the_heater(sim):
    if not os.access(NICOS_PYTHON, os.X_OK):
        pytest.skip('no .venv-nicos: make setup installs NICOS (requirements-nicos.txt)')
    done = subprocess.run([NICOS_PYTHON, os.path.join(EXAMPLES, 'nicos', 'read_heater.py')],
                          capture_output=True, text=True, timeout=100,
                          env=dict(os.environ, SECOP_NODE='127.0.0.1:%d' % sim.port))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {line.split(':')[0]: line.split(':', 1)[1].split() for line in done.stdout.splitlines()
             if ':' in line}
    # SecNodeDevice made one NICOS device per module, named as the module (prefix '')
    assert set(lines['devices']) >= {'heater_node', 'heater', 'outside', 'heater_output',
                                     'system'}, done.stdout
    raw = sim.client()
    try:
        value = read_value(raw, 'heater:value')
    finally:
        raw.close()
    assert abs(float(lines['heater'][0]) - value) < 0.5 and lines['heater'][1] == '\u00b0C'
    assert 10 < float(lines['outside'][0]) < 40


@pytest.mark.skipif(shutil.which('unshare') is None or shutil.which('ip') is None,
                    reason='needs unshare and ip (util-linux, iproute2)')
def test_epics_ioc_serves_the_node_as_pvs():
    if not os.access(FASTCS_PYTHON, os.X_OK):
        pytest.skip('no .venv-fastcs: make setup found no Python >= 3.12 (set PY312=...)')
    probe = subprocess.run(['unshare', '-rn', 'true'], capture_output=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip('unshare -rn is not allowed here: %s' % probe.stderr.decode().strip())
    import epics_netns
    result = epics_netns.run_in_namespace(timeout=110)
    assert 'client_error' not in result, result
    assert 10 < result['value'] < 40, result                # SECOP:Heater:Value, found by search
    assert result['node_reply'].startswith('reply heater:_maxheaterpower [42.0,'), result
    assert "'[0.0,90.0]'" in result['limits'], result       # a tuple, raw: its JSON text
