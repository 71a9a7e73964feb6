"""The heater-safety holes of issue 10, reproduced over SECoP on the simulated
node as a new user would, each ending with the heater at 0 W.

The heater power is read from the PWM (``sim:_heater_power``); reaction times
are simulated time, from ``sim:_fault_since`` (when a fault was injected) to
``sim:_power_since`` (when the commanded power last changed), never a
wall-clock latency.  SLACK allows for the event loop of a busy host waking a
task late (simulated time runs SPEED times faster than the host's)."""

import json
import os
import time

import pytest

from helpers import ROOT, SimNode, value_of

SPEED = 5
PERIOD = 0.5            # s of simulated time: the control period of the sim config
LEASE = 2 * PERIOD      # a stalled step keeps its permit this long, checked every PERIOD / 2
SLACK = 0.25


@pytest.fixture(scope='module')
def node(tmp_path_factory):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    config['board']['plant']['heat_capacity'] = 100.0       # 1 K/s at full power
    modules = config['modules']
    heater = next(m for m in modules if m['name'] == 'heater')
    heater.update(t_max=35.0, overtemp=40.0)
    # no heat check and no enable relay: a stuck heater runs into the over-temperature
    # limit (test_sim_heater_safety.py has them)
    heater.update(runaway_window=0)
    del heater['heater']['enable']
    probe = dict(next(m for m in modules if m['name'] == 'outside'), name='probe',
                 adc={'channel': 'block'}, description='a second sensor on the block')
    modules.insert(1, probe)
    path = tmp_path_factory.mktemp('safety') / 'config.json'
    path.write_text(json.dumps(config))
    sim = SimNode(speed=SPEED, config=str(path))
    yield sim
    sim.stop()


@pytest.fixture
def conn(node):
    client = node.client(timeout=20)
    until(client, 'heater:status', lambda s: s[0] < 400)     # the last test's fault is gone
    yield client
    client.ask('change sim:_fault "none"')
    client.ask('do heater:clear_errors')
    client.ask('change heater:target_limits [0, 35]')
    client.ask('change heater:target 22')
    client.close()


def read(conn, spec):
    return value_of(conn.ask('read ' + spec))


def until(conn, spec, test, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = read(conn, spec)
        if test(value):
            return value
        time.sleep(0.02)
    raise AssertionError('%s never satisfied the test; last %r' % (spec, value))


def inject(conn, fault):
    assert conn.ask('change sim:_fault "%s"' % fault).startswith('changed sim:_fault')
    return read(conn, 'sim:_fault_since')


def off_after(conn, since):
    """Simulated seconds from ``since`` until the PWM commanded 0 W."""
    until(conn, 'sim:_heater_power', lambda p: p == 0)
    return read(conn, 'sim:_power_since') - since


def manual(conn, watts):
    end = time.monotonic() + 10
    while True:         # until the control step has run once after boot
        reply = conn.ask('change heater_output:target %s' % watts)
        if 'control not running yet' not in reply or time.monotonic() > end:
            break
        time.sleep(0.05)
    assert reply.startswith('changed heater_output:target'), reply
    until(conn, 'sim:_heater_power', lambda p: abs(p - watts) < 0.01)


def test_target_starts_at_the_measured_value(conn):
    assert abs(read(conn, 'heater:target') - read(conn, 'sim:value')) < 0.5


def test_manual_power_while_the_sensor_is_open_never_reaches_the_heater(conn):
    manual(conn, 80)
    since = inject(conn, 'sensor_open')
    assert off_after(conn, since) <= PERIOD + SLACK
    until(conn, 'heater:status', lambda s: s[0] == 400)
    reply = conn.ask('change heater_output:target 80')
    assert reply.startswith('error_change heater_output:target ["IsError","heater locked: '), \
        reply
    assert read(conn, 'sim:_heater_power') == 0
    assert read(conn, 'heater_output:target') == 0     # the dropped request is gone


def test_a_stalled_control_step_ends_manual_power(conn):
    manual(conn, 80)
    since = inject(conn, 'control_stall')
    assert off_after(conn, since) <= LEASE + PERIOD / 2 + PERIOD + SLACK
    status = until(conn, 'heater:status', lambda s: s[0] == 400)
    assert status[1] == 'control loop stalled'
    assert read(conn, 'heater_output:status')[0] == 400
    assert conn.ask('ping x').startswith('pong x')        # everything else keeps serving
    assert read(conn, 'outside:status')[0] == 100


def test_stop_ends_manual_heating(conn):
    manual(conn, 50)
    assert conn.ask('do heater:stop').startswith('done heater:stop')
    assert read(conn, 'sim:_heater_power') == 0
    time.sleep(4 * PERIOD / SPEED)
    assert read(conn, 'sim:_heater_power') == 0
    assert read(conn, 'heater_output:value') == 0
    assert read(conn, 'heater_output:status') == [100, 'stopped']


def test_loop_takes_control_back_and_says_so(conn):
    manual(conn, 10)
    assert read(conn, 'heater_output:control_active') is True
    assert conn.ask('change heater:target 25').startswith('changed')
    assert read(conn, 'heater_output:control_active') is False
    assert read(conn, 'heater_output:status') == [100, 'controlled by heater']


def test_saturated_adc_switches_the_heater_off(conn):
    assert conn.ask('change heater:target 35').startswith('changed')
    until(conn, 'sim:_heater_power', lambda p: p > 0)
    since = inject(conn, 'adc_saturation')          # open sensor, ADC clips at 3.1 V: -33 degC
    assert off_after(conn, since) <= PERIOD + SLACK
    status = until(conn, 'heater:status', lambda s: s[0] == 400)
    assert 'usable input window' in status[1]


def test_adc_error_of_a_plain_temperature_module_is_an_error(conn):
    inject(conn, 'adc_error')
    reply = conn.ask('read probe:value')
    assert reply.startswith('error_read probe:value ["HardwareError","ADC read failed"'), reply
    assert read(conn, 'probe:status')[0] == 400
    inject(conn, 'none')
    until(conn, 'probe:status', lambda s: s[0] == 100)


def test_clear_errors_keeps_the_target_inside_the_limits(conn):
    assert conn.ask('change heater:target_limits [10, 30]').startswith('changed')
    assert conn.ask('change heater:target 30').startswith('changed')
    inject(conn, 'heater_stuck_on')                 # runs away to the over-temperature
    status = until(conn, 'heater:status', lambda s: s[0] == 400, timeout=60)
    assert 'over temperature' in status[1]
    assert read(conn, 'sim:_heater_power') == 0     # what the PWM commands, though stuck
    inject(conn, 'none')
    until(conn, 'heater:value', lambda t: t < 39.5, timeout=60)
    assert conn.ask('do heater:clear_errors').startswith('done')
    assert read(conn, 'heater:status')[0] == 100
    assert read(conn, 'heater:target') == 30.0       # not the hot value that tripped it


def test_broken_config_json_serves_a_minimal_node(tmp_path):
    path = tmp_path / 'config.json'
    path.write_text('{"modules": [ {"name": "heater",, } ]')     # a syntax error
    sim = SimNode('--raw-config', config=str(path))
    try:
        conn = sim.client()
        description = json.loads(conn.ask('describe').split(' ', 2)[2])
        assert 'config error' in description['description']
        assert list(description['modules']) == ['config']
        status = read(conn, 'config:status')
        assert status[0] == 400 and 'cannot be read' in status[1], status
        conn.close()
    finally:
        sim.stop()
    assert 'config error' in sim.stderr and 'heater off' in sim.stderr
