"""Hardware faults injected through ``sim:_fault`` over SECoP: the heater goes
off within one control period, the status says ERROR, clients are told, and
the node recovers (after an over-temperature only with ``clear_errors``)."""

import json
import os
import time

import pytest

from helpers import ROOT, SimNode

SPEED = 20
PERIOD = 0.5           # s of simulated time: the control period of the sim config


@pytest.fixture(scope='module')
def node(tmp_path_factory):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    heater = next(m for m in config['modules'] if m['name'] == 'heater')
    heater.update(t_max=35.0, overtemp=40.0, window=3.0)   # trips within seconds
    # no heat check and no enable relay: a stuck heater runs into the over-temperature
    # limit (test_sim_heater_safety.py has them)
    heater.update(runaway_window=0)
    del heater['heater']['enable']
    path = tmp_path_factory.mktemp('faults') / 'config.json'
    path.write_text(json.dumps(config))
    with SimNode(speed=SPEED, config=str(path)) as sim:
        yield sim


class Watcher:
    """An activated client that records every event with its simulated time."""

    def __init__(self, node):
        self.conn = node.client(timeout=20)
        self.conn.ask('*IDN?')
        self.conn.send('logging heater "error"')
        assert self.conn.recv() == 'logging heater "error"'
        self.conn.send('activate heater')
        while self.conn.recv() != 'active heater':
            pass

    def request(self, line):
        reply, events = self.conn.request(line)
        return reply, [self.parse(e) for e in events]

    def parse(self, line):
        action, spec, data = line.split(' ', 2)
        return action, spec, json.loads(data)

    def until(self, predicate, timeout=20):
        """Events until one satisfies ``predicate``; returns them all."""
        seen = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            event = self.parse(self.conn.recv())
            seen.append(event)
            if predicate(event):
                return seen
        raise AssertionError('not seen within %s s: %s' % (timeout, seen[-10:]))

    def close(self):
        self.conn.close()


def is_status(code_test):
    return lambda e: e[0] == 'update' and e[1] == 'heater:status' and code_test(e[2][0][0])


def power_is(test):
    return lambda e: e[0] == 'update' and e[1] == 'heater:_heaterpower' and test(e[2][0])


def heating(watcher):
    reply, _ = watcher.request('change heater:target 30')
    assert reply.startswith('changed heater:target [30.0,')
    watcher.until(power_is(lambda p: p > 0))


def inject(watcher, fault):
    reply, events = watcher.request('change sim:_fault "%s"' % fault)
    assert reply.startswith('changed sim:_fault ['), reply
    return json.loads(reply.split(' ', 2)[2])[1]['t']


@pytest.mark.parametrize('fault,kind', [('sensor_open', 'HardwareError'),
                                        ('sensor_short', 'HardwareError'),
                                        ('adc_error', None)])
def test_sensor_path_fault_switches_heater_off_and_recovers(node, fault, kind):
    w = Watcher(node)
    try:
        heating(w)
        t_fault = inject(w, fault)
        events = w.until(power_is(lambda p: p == 0))
        t_off = events[-1][2][1]['t']
        assert t_off - t_fault <= PERIOD + 0.1, "heater off after one period (simulated time)"
        events += w.until(is_status(lambda c: c >= 400))
        if kind:
            assert ('error_update', 'heater:value') in [(a, s) for a, s, _ in events]
            err = [d for a, s, d in events if a == 'error_update' and s == 'heater:value'][0]
            assert err[0] == kind
            reply = w.conn.ask('read heater:value')
            assert reply.startswith('error_read heater:value ["%s",' % kind)
        if not any(e[0] == 'log' for e in events):
            events += w.until(lambda e: e[0] == 'log', timeout=2)
        logs = [e for e in events if e[0] == 'log']
        assert logs[0][1] == 'heater:error' and 'heater off' in logs[0][2], logs
        reply, _ = w.request('change heater:target 31')
        assert reply.startswith('error_change heater:target ["IsError",')
        time.sleep(0.2)
        assert w.conn.ask('read heater:_heaterpower').startswith('reply heater:_heaterpower [0.0,')
        inject(w, 'none')
        w.until(is_status(lambda c: 300 <= c < 400))        # drives to the target again
        w.until(power_is(lambda p: p > 0))
    finally:
        inject(w, 'none')
        w.conn.ask('change heater:target 22')
        w.close()


def test_overtemperature_latches_until_clear_errors(node):
    w = Watcher(node)
    try:
        heating(w)
        inject(w, 'heater_stuck_on')                       # heats at 100 W regardless
        events = w.until(is_status(lambda c: c >= 400), timeout=30)
        assert 'over temperature' in events[-1][2][0][1]
        assert w.conn.ask('read heater:_heaterpower').startswith(
            'reply heater:_heaterpower [0.0,')
        inject(w, 'none')
        # still too hot: clear_errors keeps the error
        reply, events = w.request('do heater:clear_errors')
        assert reply.startswith('done heater:clear_errors')
        status = json.loads(w.conn.ask('read heater:status').split(' ', 2)[2])[0]
        assert status[0] >= 400
        # the block cools below the limit, yet the error stays latched...
        end = time.monotonic() + 30
        while json.loads(w.conn.ask('read sim:value').split(' ', 2)[2])[0] >= 39.5:
            assert time.monotonic() < end
            time.sleep(0.2)
        time.sleep(0.5)
        status = json.loads(w.conn.ask('read heater:status').split(' ', 2)[2])[0]
        assert status[0] >= 400
        assert w.conn.ask('read heater:_heaterpower').startswith(
            'reply heater:_heaterpower [0.0,')
        # ...until clear_errors
        reply, events = w.request('do heater:clear_errors')
        assert reply.startswith('done heater:clear_errors')
        status = json.loads(w.conn.ask('read heater:status').split(' ', 2)[2])[0]
        assert status[0] == 100
    finally:
        inject(w, 'none')
        w.conn.ask('change heater:target 22')
        w.close()


def test_bad_config_keeps_the_heater_off_and_says_why(tmp_path):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    heater = next(m for m in config['modules'] if m['name'] == 'heater')
    heater['t_max'] = 200.0                  # above the sensor's range and the overtemp
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    node = SimNode(config=str(path), speed=50)
    try:
        conn = node.client()
        status = json.loads(conn.ask('read heater:status').split(' ', 2)[2])[0]
        assert status[0] == 400 and status[1].startswith('config error: '), status
        assert conn.ask('read heater:value').startswith('error_read heater:value ["Disabled",')
        assert conn.ask('read heater_output:status').split(' ', 2)[2].startswith('[[400,')
        assert conn.ask('read outside:status').startswith('reply outside:status [[100,')
        assert conn.ask('change heater:target 30').startswith('error_change heater:target')
        assert conn.ask('change heater_output:target 50').startswith('error_change ')
        # 60 simulated seconds: 50 W, or the loop at full power, would heat the 400 J/K
        # block by several kelvin; the plant stays at the ambient 22 degC
        start = json.loads(conn.ask('read sim:value').split(' ', 2)[2])[0]
        time.sleep(1.2)
        value = json.loads(conn.ask('read sim:value').split(' ', 2)[2])[0]
        assert abs(value - 22.0) < 0.3 and abs(value - start) < 0.3, (start, value)
        conn.close()
    finally:
        node.stop()
    assert 'config: ' in node.stderr
