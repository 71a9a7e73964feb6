"""Settings that survive a reboot (``tools/sim.py --state``): written within
10 s of simulated time, restored before the node serves, the target never;
``system:_reset_settings``; and 100 SIGKILLs of the node during a burst of
writes always leave a file that boots with a consistent set of values."""

import json
import os
import random
import signal
import time

from helpers import SimNode, wait_for

CHANGES = [('heater:ctrlpars', {'p': 40.0, 'i': 0.25, 'd': 90.0}), ('heater:ramp', 2.0),
           ('heater:target_limits', [10.0, 70.0]), ('heater:_maxheaterpower', 60.0),
           ('heater:_tolerance', 0.2), ('heater:_window', 20.0), ('heater:_timeout', 600.0),
           ('system:pollinterval', 5.0)]


def report(conn, spec):
    """(value, timestamp in simulated seconds) of a read."""
    reply = conn.ask('read ' + spec)
    assert reply.startswith('reply '), reply
    data = json.loads(reply.split(' ', 2)[2])
    return data[0], data[1]['t']


def value(conn, spec):
    return report(conn, spec)[0]


def stored(path):
    try:
        with open(path) as f:
            return json.load(f)['settings']
    except (OSError, ValueError):
        return None


def test_settings_survive_a_restart(tmp_path):
    state = str(tmp_path / 'state.json')
    speed = 5
    node = SimNode('--state', state, speed=speed)
    try:
        assert stored(state) == []          # created at the first boot, no changes yet
        conn = node.client()
        for spec, new in CHANGES:
            assert conn.ask('change %s %s' % (spec, json.dumps(new))).startswith('changed ')
        reply = conn.ask('change heater:target 45')
        started = json.loads(reply.split(' ', 2)[2])[1]['t']
        assert wait_for(lambda: len(stored(state) or ()) == len(CHANGES), 10 / speed + 10,
                        interval=0.01)
        assert report(conn, 'heater:value')[1] - started <= 10.0 + 0.5    # on flash within 10 s
        conn.close()
    finally:
        node.stop()
    node = SimNode('--state', state, speed=speed)
    try:
        conn = node.client()
        for spec, new in CHANGES:
            got = value(conn, spec)
            assert (list(got) if isinstance(got, list) else got) == new, spec
        assert value(conn, 'heater:target') != 45.0        # never restored
        assert value(conn, 'heater:_heaterpower') == 0.0
        assert 'settings: 8 restored' in _stderr_after_stop(node)
        node = SimNode('--state', state, speed=speed)
        conn = node.client()
        assert conn.ask('do system:_reset_settings').startswith('done system:_reset_settings')
        assert value(conn, 'heater:ramp') == 0.0
        assert value(conn, 'heater:ctrlpars') == {'p': 30.0, 'i': 0.5, 'd': 60.0}
        assert wait_for(lambda: stored(state) == [], 10 / speed + 10)
    finally:
        node.stop()


def test_stored_value_outside_todays_limits_is_dropped(tmp_path):
    state = tmp_path / 'state.json'
    state.write_text(json.dumps({'version': 1, 'settings': [
        ['heater', 'target_limits', [0.0, 150.0]], ['heater', 'ramp', 3.0]]}))
    node = SimNode('--state', str(state), speed=5)
    try:
        conn = node.client()
        assert value(conn, 'heater:ramp') == 3.0
        assert value(conn, 'heater:target_limits') == [0.0, 90.0]
    finally:
        log = _stderr_after_stop(node)
    assert "settings: dropped ['heater', 'target_limits', [0.0, 150.0]]" in log, log


def test_a_bad_state_file_or_a_failing_flash_never_stops_the_node(tmp_path):
    state = tmp_path / 'state.json'
    state.write_text('{"version": 1, "settings": 5}')
    os.mkdir(str(state) + '.tmp')               # and no write can succeed
    node = SimNode('--state', str(state), speed=50)
    try:
        conn = node.client()
        assert conn.ask('change heater:ramp 2').startswith('changed heater:ramp')
        assert conn.ask('do system:_reset_settings').startswith('done system:_reset_settings')
        assert conn.ask('read heater:ramp').startswith('reply heater:ramp [0.0,')
    finally:
        log = _stderr_after_stop(node)
    assert (tmp_path / 'state.json.bad').read_text() == '{"version": 1, "settings": 5}'
    assert 'settings: %s holds no settings' % state in log, log
    assert 'settings: not saved: ' in log, log


def _stderr_after_stop(node):
    node.stop()
    return node.stderr


def test_sigkill_during_writes_never_breaks_the_state_file(tmp_path):
    """100 kills at random moments of a burst of changes; each boot restores one
    consistent set of gains (p, i, d from the same change), never an older one."""
    state = str(tmp_path / 'state.json')
    rng = random.Random(14)
    sent = 0                # the counter of the last change sent
    restored = 0            # the counter restored at the last boot (0: config values)
    kills = 0
    for _ in range(100):
        node = SimNode('--state', state, speed=200)     # a write every 25 ms of real time
        try:
            conn = node.client(timeout=5)
            pid = value(conn, 'heater:ctrlpars')
            if pid != {'p': 30.0, 'i': 0.5, 'd': 60.0}:
                n = int(pid['p'])
                assert pid == {'p': float(n), 'i': n + 0.25, 'd': n + 0.5}, pid
                assert restored <= n <= sent, (restored, n, sent)
                restored = n
            end = time.monotonic() + rng.uniform(0.02, 0.12)
            while time.monotonic() < end:
                sent += 1
                conn.send('change heater:ctrlpars ' + json.dumps(
                    {'p': sent, 'i': sent + 0.25, 'd': sent + 0.5}))
                conn.recv()
            os.kill(node.node_pid(), signal.SIGKILL)
            kills += 1
            conn.close()
        finally:
            node.stop()
        data = stored(state)
        assert data is not None or os.path.exists(state + '.tmp'), 'no readable state file'
    assert kills == 100
    print('%d changes sent, the last boot restored change %d' % (sent, restored))
    assert restored > 0         # the writes did land between the kills
