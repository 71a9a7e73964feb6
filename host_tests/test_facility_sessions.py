"""What a facility's long-running clients need from the node under MicroPython:
idle handling that never drops an activated client, and every status event
(BUSY) delivered to every activated client, in order, before the reply.

The node runs at 5x speed with ``tcp.idle_timeout`` 3 simulated seconds;
every time limit below is in simulated time or a generous bound on a loop.
"""

import json
import os
import threading
import time

import pytest
from frappy.client import SecopClient

from helpers import ROOT, SimNode, wait_for

SPEED = 5           # the control lease is 2 periods: 200 ms of real time
IDLE_S = 3          # simulated seconds


@pytest.fixture(scope='module')
def node(tmp_path_factory):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    config['tcp']['idle_timeout'] = IDLE_S
    config.pop('discovery', None)
    path = tmp_path_factory.mktemp('idle') / 'config.json'
    path.write_text(json.dumps(config))
    with SimNode(speed=SPEED, config=str(path)) as sim:
        yield sim


def sim_time(line):
    """The ``t`` qualifier of a reply or update: the node's clock, simulated seconds."""
    return json.loads(line.split(' ', 2)[2])[-1]['t']


def test_silent_client_is_closed_and_activated_listener_stays(node):
    listener = node.client(timeout=5)
    silent = node.client(timeout=5)
    deactivated = node.client(timeout=5)
    try:
        listener.send('activate')
        deactivated.send('activate')
        for conn in (listener, deactivated):
            while conn.recv() != 'active':
                pass
        assert deactivated.ask('deactivate') == 'inactive'
        start = sim_time(deactivated.ask('read heater:value'))
        # the silent and the deactivated one go after IDLE_S simulated seconds (checked
        # every real second)
        for conn in (silent, deactivated):
            with pytest.raises((EOFError, ConnectionResetError)):
                while True:
                    conn.recv(timeout=2 + 2 * IDLE_S / SPEED)
        # meanwhile the listener, which never sent another request, kept receiving
        updates = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = listener.recv(timeout=5)
            assert line.startswith(('update ', 'error_update ')), line
            updates += 1
            if line.startswith('update heater:value ') and sim_time(line) > start + 4 * IDLE_S:
                break
        assert updates > 20
        assert listener.ask('read heater:status').startswith('reply heater:status ')
    finally:
        for conn in (listener, silent, deactivated):
            conn.close()


def test_long_running_frappy_client_keeps_its_updates(node):
    """frappy activates and then only listens (it pings after 5 s without a line)."""
    client = SecopClient('tcp://127.0.0.1:%d' % node.port)
    states = []
    seen = []
    client.register_callback(None, nodeStateChange=lambda online, state: states.append(state),
                             updateEvent=lambda m, p, v, t, e: seen.append((m, p, t)))
    client.connect(try_period=0)
    try:
        probe = node.client(timeout=5)          # tells the node's (simulated) time
        try:
            start = sim_time(probe.ask('read heater:value'))
            assert wait_for(lambda: sim_time(probe.ask('read heater:value')) > start + 5 * IDLE_S,
                            60, 0.2)
        finally:
            probe.close()
        count = len(seen)
        assert wait_for(lambda: len(seen) > count, 5)           # still receiving
        assert client.online
        assert states.count('connected') == 1 and 'reconnecting' not in states, states
        assert len([s for s in seen if s[:2] == ('heater', 'value')]) > 20
    finally:
        client.disconnect()


def _collect(conn, stop_when, limit=400):
    lines = []
    for _ in range(limit):
        line = conn.recv(timeout=10)
        lines.append(line)
        if stop_when(line):
            return lines
    raise AssertionError('no end line in %r' % lines[-5:])


def _status(line):
    return json.loads(line.split(' ', 2)[2])[0][0]


def test_every_activated_client_sees_busy_20_of_20(node):
    """A listens; B changes the target while C stops it at once; D pipelines both."""
    clients = {name: node.client(timeout=10) for name in 'ABCD'}
    frappy_statuses = []
    frappy = SecopClient('tcp://127.0.0.1:%d' % node.port)
    frappy.register_callback(('heater', 'status'), updateEvent=lambda m, p, v, t, e:
                             frappy_statuses.append(int(v[0])) if v is not None else None)
    frappy.connect(try_period=0)
    busy_seen = {name: 0 for name in 'ABCD'}
    frappy_busy = 0
    try:
        for conn in clients.values():
            conn.send('activate')
            while conn.recv() != 'active':
                pass
        for run in range(20):
            target = 40.0 + run % 3
            mark = 'ping run%d' % run
            del frappy_statuses[:]
            early = {name: [] for name in clients}
            if run % 2:
                clients['D'].send('change heater:target %s\ndo heater:stop' % target)
            else:           # C stops as soon as B's change is done
                clients['B'].send('change heater:target %s' % target)
                early['B'] = _collect(clients['B'], lambda line: line.startswith('changed '))
                clients['C'].send('do heater:stop')
            for name in 'DCBA':     # the listener last: every request is done by then
                conn = clients[name]
                conn.send(mark)
                lines = early[name] + _collect(
                    conn, lambda line: line.startswith('pong run%d ' % run))
                statuses = [_status(line) for line in lines
                            if line.startswith('update heater:status ')]
                if any(300 <= code < 400 for code in statuses):
                    busy_seen[name] += 1
                if name == ('D' if run % 2 else 'C'):   # the stopper: IDLE before `done`
                    done = [i for i, line in enumerate(lines) if line.startswith('done heater:stop')]
                    idle = [i for i, line in enumerate(lines)
                            if line.startswith('update heater:status [[1')]
                    assert done and idle and idle[-1] < done[0], lines
                # BUSY precedes the `changed` of the client that changed the target
                if any(line.startswith('changed heater:target') for line in lines):
                    first_busy = min(i for i, line in enumerate(lines) if line.startswith(
                        'update heater:status [[3'))
                    changed = [i for i, line in enumerate(lines)
                               if line.startswith('changed heater:target')][0]
                    assert first_busy < changed, lines
                    assert lines[changed].startswith('changed heater:target [%s,' % target)
            if wait_for(lambda: any(300 <= c < 400 for c in frappy_statuses), 5):
                frappy_busy += 1
            # the stop has taken effect before the next run
            assert wait_for(lambda: clients['A'].ask('read heater:status').startswith(
                'reply heater:status [[100'), 10)
        assert busy_seen == {name: 20 for name in 'ABCD'}, busy_seen
        assert frappy_busy == 20
    finally:
        frappy.disconnect()
        for conn in clients.values():
            conn.close()
