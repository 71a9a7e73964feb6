"""The second heater-safety review over SECoP on the simulated node: strict
whitespace and duplicate member names in the data part, manual 0 W at any
time and manual power from boot; the heat check (a sensor off the block, an
open heater, a heater stuck on) and the enable relay of the shipped sim config.

Reaction times are simulated time: from ``sim:_fault_since`` to
``sim:_power_since`` (0 W) and to the timestamp of the ERROR status (the relay
opens in the same step), counted from the timestamp of the reply to the
injection."""

import json
import time

from helpers import SimNode, value_of, wait_for

SPEED = 20
DETECT_S = 120          # the shipped sim config detects within this (simulated s)


def timestamp(reply):
    return json.loads(reply.split(' ', 2)[2])[1]['t']


def inject(conn, fault):
    """The fault at (simulated seconds since boot, timestamp of the reply)."""
    reply = conn.ask('change sim:_fault "%s"' % fault)
    assert reply.startswith('changed sim:_fault'), reply
    return value_of(conn.ask('read sim:_fault_since')), timestamp(reply)


def tripped(conn, fault, words):
    """Injects ``fault`` and waits for the heater's ERROR; (s to 0 W, s to ERROR)."""
    since, stamp = inject(conn, fault)
    assert wait_for(lambda: value_of(conn.ask('read heater:status'))[0] == 400,
                    DETECT_S / SPEED + 20, interval=0.02)
    reply = conn.ask('read heater:status')
    assert words in value_of(reply)[1], reply
    assert value_of(conn.ask('read sim:_heater_power')) == 0
    assert value_of(conn.ask('read sim:_enable')) is False      # the relay dropped
    off = value_of(conn.ask('read sim:_power_since')) - since
    error = timestamp(reply) - stamp
    print('%s: 0 W after %.1f s, ERROR after %.1f s (simulated)' % (fault, off, error))
    return off, error


def test_only_rfc8259_whitespace_and_no_duplicate_member_names():
    with SimNode(speed=20) as node:
        conn = node.client()
        for data in ('\x0c50\x0b', '\x0b50', '50\x0c', '50\xa0'):
            reply = conn.ask('change heater:_maxheaterpower %s' % data)
            assert reply.startswith('error_change heater:_maxheaterpower ["BadJSON"'), \
                (data, reply)
        assert conn.ask('change heater:_maxheaterpower \t50 \r').startswith('changed')
        reply = conn.ask('change heater:ctrlpars {"p": 1, "i": 0.5, "d": 60, "p": 30}')
        assert reply.startswith('error_change heater:ctrlpars ["BadJSON","data part has a '
                                'duplicate member name"'), reply
        assert value_of(conn.ask('read heater:ctrlpars'))['p'] == 30.0
        reply = conn.ask('do heater:_examplecommand {"a": 2.5, "b": 4}')
        assert reply.startswith('done heater:_examplecommand [10.0,'), reply


def test_manual_power_from_boot():
    # a control period is 50 s of real time at this speed: the first request comes
    # long before a step would have run after a period
    with SimNode(speed=0.01) as node:
        conn = node.client()
        reply = conn.ask('change heater_output:target 50')
        assert reply.startswith('changed heater_output:target [50.0,'), reply
        assert value_of(conn.ask('read sim:_heater_power')) > 49.9


def test_0_w_is_accepted_while_the_heater_is_locked():
    with SimNode(speed=20) as node:
        conn = node.client()
        assert conn.ask('change sim:_fault "sensor_open"').startswith('changed')
        assert wait_for(lambda: value_of(conn.ask('read heater:status'))[0] == 400, 10)
        reply = conn.ask('change heater_output:target 5')
        assert reply.startswith('error_change heater_output:target ["IsError"'), reply
        reply = conn.ask('change heater_output:target 0')
        assert reply.startswith('changed heater_output:target [0.0,'), reply
        assert value_of(conn.ask('read heater_output:status'))[0] == 400
        assert value_of(conn.ask('read sim:_heater_power')) == 0


def test_a_sensor_off_the_block_trips_within_two_minutes():
    with SimNode(speed=SPEED) as node:
        conn = node.client(timeout=30)
        assert value_of(conn.ask('read sim:_enable')) is True       # the permit holds
        assert conn.ask('change heater:target 80').startswith('changed')
        assert wait_for(lambda: value_of(conn.ask('read sim:_heater_power')) > 99, 10)
        time.sleep(20 / SPEED)
        off, error = tripped(conn, 'sensor_detached', 'no temperature rise: sensor off the '
                                                      'block or heater open')
        assert 0 < off <= DETECT_S and 0 < error <= DETECT_S
        assert conn.ask('change sim:_fault "none"').startswith('changed')
        assert conn.ask('do heater:clear_errors').startswith('done')
        assert value_of(conn.ask('read heater:status'))[0] == 100
        assert wait_for(lambda: value_of(conn.ask('read sim:_enable')) is True, 10)


def test_an_open_heater_trips_within_two_minutes():
    with SimNode(speed=SPEED) as node:
        conn = node.client(timeout=30)
        assert conn.ask('change heater_output:target 100').startswith('changed')
        off, error = tripped(conn, 'heater_open', 'no temperature rise')
        assert 0 < off <= DETECT_S and 0 < error <= DETECT_S
        reply = conn.ask('change heater_output:target 100')
        assert reply.startswith('error_change heater_output:target ["IsError","heater '
                                'locked: no temperature rise'), reply


def test_a_heater_stuck_on_from_boot_is_cut_by_the_relay():
    with SimNode(speed=SPEED) as node:
        conn = node.client(timeout=30)
        _, stamp = inject(conn, 'heater_stuck_on')          # no target: the PWM is at 0 W
        before = []                 # the true block temperature while the relay is closed
        end = time.monotonic() + DETECT_S / SPEED + 20
        while value_of(conn.ask('read sim:_enable')):
            before.append(value_of(conn.ask('read sim:value')))
            assert time.monotonic() < end, 'the stuck heater was never cut'
        reply = conn.ask('read heater:status')
        assert value_of(reply)[:2] == [400, 'heater stuck on, do clear_errors'], reply
        error = timestamp(reply) - stamp        # the relay opens in the same step
        print('heater_stuck_on: relay open and ERROR after %.1f s (simulated)' % error)
        assert 0 < error <= DETECT_S
        after = []
        for _ in range(20):         # 20 simulated seconds: heat in transit, then cooling
            after.append(value_of(conn.ask('read sim:value')))
            time.sleep(1 / SPEED)
        print('heater_stuck_on: block %.2f at the cut, %.2f at most after'
              % (before[-1], max(after)))
        assert max(after) - before[-1] <= 1.5
        assert after[-1] < max(after)                   # cooling again
