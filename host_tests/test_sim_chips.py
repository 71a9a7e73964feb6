"""The converter chips on the simulated node (boards/sim/config-max31865.json,
-max31855.json, -max31856.json): the tutorial's heater reads the block through a
register-level model of each chip (boards/sim/chips.py) and the firmware's own
driver; ``heater:value`` follows the plant's true temperature ``sim:value`` at a
steady target within 0.3 K (RTD) or 1.0 K (thermocouple), a thermocouple chip's
cold junction is a read-only parameter of its own, and an open sensor is the
chip's open fault: ERROR, the heater at 0 W within one control period of
simulated time."""

import json
import os

import pytest

from helpers import ROOT, SimNode, value_of, wait_for

SPEED = 20
PERIOD = 0.5            # s of simulated time: the control period of the sim configs
TARGET = 30.0
CHIPS = (('max31865', 0.3, 'MAX31865: RTD open'), ('max31855', 1.0, 'MAX31855: thermocouple open'),
         ('max31856', 1.0, 'MAX31856: thermocouple open'))


def config(name):
    return os.path.join(ROOT, 'boards', 'sim', 'config-%s.json' % name)


def report(conn, spec):
    """(value, simulated timestamp) of ``read <spec>``."""
    value, qualifiers = json.loads(conn.ask('read ' + spec).split(' ', 2)[2])
    return value, qualifiers['t']


def tracking_errors(conn, count=20):
    """measured - true for ``count`` new readings of the heater, each against the true
    temperature read just before and after (the mean of the two), and their slack."""
    errors, last = [], None
    while len(errors) < count:
        before = value_of(conn.ask('read sim:value'))
        measured, t = report(conn, 'heater:value')
        after = value_of(conn.ask('read sim:value'))
        if t != last:
            last = t
            errors.append((measured - (before + after) / 2, abs(after - before) / 2))
    return errors


@pytest.mark.parametrize('chip,limit,open_text', CHIPS)
def test_heater_follows_the_block_through_the_chip_and_an_open_sensor_is_0_W(
        chip, limit, open_text):
    with SimNode(speed=SPEED, config=config(chip)) as node:
        conn = node.client(timeout=20)
        assert conn.ask('change heater:target %s' % TARGET).startswith('changed ')
        assert wait_for(lambda: abs(value_of(conn.ask('read sim:value')) - TARGET) < 0.1
                        and value_of(conn.ask('read heater:status'))[0] < 400, 60, 0.1), \
            'the block did not reach the target'
        errors = tracking_errors(conn)
        worst = max(abs(e) - slack for e, slack in errors)
        print('%s: tracking error at %.0f degC: %.3f K at most, mean %+.3f K' % (
            chip, TARGET, worst, sum(e for e, _ in errors) / len(errors)))
        assert worst <= limit, errors
        if chip != 'max31865':
            cold = value_of(conn.ask('read heater:_cold_junction'))
            assert abs(cold - 22.0) < 0.5, cold         # the chip at the plant's ambient
            assert conn.ask('change heater:_cold_junction 5').startswith(
                'error_change heater:_cold_junction ["ReadOnly",')
        else:
            assert 'NoSuchParameter' in conn.ask('read heater:_cold_junction')
        assert conn.ask('change heater:target %s' % (TARGET + 10)).startswith('changed ')
        assert wait_for(lambda: value_of(conn.ask('read sim:_heater_power')) > 0, 10, 0.05)
        assert conn.ask('change sim:_fault "sensor_open"').startswith('changed ')
        assert wait_for(lambda: value_of(conn.ask('read sim:_heater_power')) == 0, 10, 0.05)
        since = value_of(conn.ask('read sim:_fault_since'))
        off = value_of(conn.ask('read sim:_power_since'))
        print('%s: open sensor to 0 W in %.3f s of simulated time' % (chip, off - since))
        assert 0 <= off - since <= PERIOD + 0.1
        status = value_of(conn.ask('read heater:status'))
        assert status[0] == 400 and open_text in status[1], status
        assert conn.ask('read heater:value').startswith(
            'error_read heater:value ["HardwareError","sensor open circuit (%s' % open_text)
        assert conn.ask('change sim:_fault "none"').startswith('changed ')
        assert wait_for(lambda: value_of(conn.ask('read heater:status'))[0] < 400, 10, 0.05)
