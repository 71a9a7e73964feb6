"""The ``curve`` sensor on the simulated node (boards/sim/config-curve.json):
``heater`` reads its thermistor through boards/sim/ntc10k_b3950.340, and
``heater:value`` tracks the plant's true temperature ``sim:value`` within
the curve's interpolation error (plus the ADC's noise), at rest and heated."""

import json
import math
import os
import subprocess
import sys
import time

from helpers import ROOT, SimNode, value_of, wait_for

CONFIG = os.path.join(ROOT, 'boards', 'sim', 'config-curve.json')
CURVE = os.path.join(ROOT, 'boards', 'sim', 'ntc10k_b3950.340')
ADC_NOISE = 0.03        # K: 12-bit ADC, 16 samples averaged, 0.02 K plant noise


def beta_log10_r(t):
    """log10 of the simulated thermistor's resistance (10 kohm, B 3950) at t degC."""
    return math.log10(10000.0) + 3950.0 * (1.0 / (t + 273.15) - 1.0 / 298.15) / math.log(10)


def interpolation_error(t):
    """How far linear interpolation in log10(R) between the file's breakpoints is off at t."""
    points = []
    with open(CURVE) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 3 and fields[0].isdigit():
                points.append((float(fields[1]), float(fields[2]) - 273.15))
    x = beta_log10_r(t)
    for (x0, t0), (x1, t1) in zip(points, points[1:]):
        if min(x0, x1) <= x <= max(x0, x1):
            return abs(t0 + (t1 - t0) * (x - x0) / (x1 - x0) - t)
    raise ValueError('%g degC is outside the curve' % t)


def differences(conn, count=20):
    """(measured - true, true, slack) for ``count`` successive readings of the heater
    (each a new ADC sample: its timestamp differs from the last one's), against the
    plant's true temperature read just before and just after; slack is how far the
    true temperature moved in between."""
    diffs = []
    last_t = None
    for _ in range(100 * count):
        before = value_of(conn.ask('read sim:value'))
        measured, qualifiers = json.loads(conn.ask('read heater:value').split(' ', 2)[2])
        after = value_of(conn.ask('read sim:value'))
        if qualifiers['t'] == last_t:
            time.sleep(0.01)            # the same reading again: wait for the next poll
            continue
        last_t = qualifiers['t']
        diffs.append((measured - (before + after) / 2, (before + after) / 2,
                      abs(after - before) / 2))
        if len(diffs) == count:
            return diffs
    raise AssertionError('the heater took no new reading')


def test_heater_value_tracks_the_true_temperature_through_the_curve():
    node = SimNode(speed=20, config=CONFIG)
    try:
        conn = node.client(timeout=20)
        assert '.340' in conn.ask('describe')
        for diffs in (differences(conn), None):
            if diffs is None:       # then heated and held at 45 degC
                assert conn.ask('change heater:target 45').startswith('changed ')
                assert wait_for(lambda: value_of(conn.ask('read heater:status'))[0] == 100,
                                60, interval=0.1), 'not settled at 45 degC'
                diffs = differences(conn)
            allowed = max(interpolation_error(t) for _, t, _ in diffs)
            mean = sum(d for d, _, _ in diffs) / len(diffs)
            moved = sum(s for _, _, s in diffs) / len(diffs)
            assert abs(mean) <= allowed + moved + ADC_NOISE / 3, (mean, allowed, moved)
            assert all(abs(d) <= allowed + s + ADC_NOISE for d, _, s in diffs), (diffs, allowed)
    finally:
        node.stop()


def test_deploy_copies_the_curve_file_next_to_the_config():
    """make deploy copies a curve sensor's .340 file to the board's root folder,
    where the firmware opens it by the name the config gives (a dry run lists it)."""
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tools', 'deploy.py'), '--board', 'sim', '--port',
         '/dev/nonexistent-curve', '--config', CONFIG, '--dry-run'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
    assert 'would copy ntc10k_b3950.340' in result.stdout, result.stdout
