"""``do heater:_autotune`` on the simulated node, over SECoP, in simulated time.

Four plants that differ from the default block by 3x (tools/autotune_plants.py
runs them in parallel; ``oversized``, three times the heater power, overshot
0.55-0.68 K and settled after 118-122 s against 78 s before the PID held its
integral while the error closes): after the tune, a step 30 -> 55 degC must overshoot
<= 0.5 K, settle within +-0.1 K in <= 2 t_fp and hold with <= 0.05 K rms.
Then the command's edges on one node: arguments, BUSY text, stop, a target
change while tuning, a sensor fault, a tune that finds no oscillation and
target limits narrowed below the tune's target."""

import json
import os
import sys

import pytest

from helpers import ROOT, value_of

sys.path.insert(0, os.path.join(ROOT, 'tools'))

import autotune_plants  # noqa: E402

SPEED = 20
TEST_PLANTS = ('small', 'lossy', 'slow_sensor', 'oversized')


def stalled(result):
    """The host starved the simulator: simulated time ran on while the control step
    could not (the lease lapsed, heater off); says nothing about the tuning."""
    return any('stalled' in text for text in result.get('faults', ()))


def test_autotune_on_four_plants_meets_the_bar():
    results = autotune_plants.measure_all(TEST_PLANTS, SPEED)
    again = [r['plant'] for r in results if stalled(r)]
    if again:                   # once more, for the plants the host starved
        print('host too busy, measured again:', again)
        redone = dict((r['plant'], r) for r in autotune_plants.measure_all(again, SPEED))
        results = [redone.get(r['plant'], r) for r in results]
    print('\n' + autotune_plants.table(results))
    for result in results:
        assert 'error' not in result, result
        name = result['plant']
        assert not result['faults'], (name, result['faults'])
        assert result['rule'] == 'tyreus-luyben-fast-i'
        assert result['ku'] > 0 and result['pu'] > 0
        assert result['overshoot'] <= 0.5, (name, result['overshoot'])
        assert result['settle'] <= 2 * result['t_fp'], (name, result['settle'], result['t_fp'])
        assert result['rms'] <= 0.05, (name, result['rms'])


class Node(autotune_plants.Recorder):
    """One simulated node and an activated connection that keeps the heater's status."""

    def __init__(self):
        super().__init__(SPEED, timeout=20)

    ask = autotune_plants.Recorder.request

    def wait_status(self, predicate, sim_seconds=1200):
        reached = self.until(lambda r: r.status is not None and predicate(r.status),
                             sim_seconds)
        assert reached, 'status not reached; last %r' % (self.status,)
        return self.status

    def read(self, spec):
        return value_of(self.ask('read ' + spec))


@pytest.fixture(scope='module')
def node():
    node = Node()
    yield node
    node.close()


def error_class(reply):
    assert reply.startswith('error_'), reply
    return json.loads(reply.split(' ', 2)[2])[0]


def test_arguments(node):
    assert error_class(node.ask('do heater:_autotune {"amplitude": 80}')) == 'RangeError'
    assert error_class(node.ask('do heater:_autotune {"cycles": 1}')) == 'RangeError'
    assert error_class(node.ask('do heater:_autotune {"colour": 1}')) == 'WrongType'
    assert error_class(node.ask('do heater:_autotune 7')) == 'WrongType'


def test_stop_and_target_change_while_tuning(node):
    gains = node.read('heater:ctrlpars')
    assert node.ask('change heater:target 35').startswith('changed ')
    assert node.ask('do heater:_autotune null').startswith('done heater:_autotune')
    status = node.wait_status(lambda s: 'autotune:' in s[1])
    assert status[0] == 300, status                      # BUSY
    node.wait_status(lambda s: 'cycle 1 of 4' in s[1])
    assert error_class(node.ask('change heater:target 40')) == 'IsBusy'
    assert error_class(node.ask('do heater:_autotune')) == 'IsBusy'
    assert node.ask('do heater:stop').startswith('done ')
    node.wait_status(lambda s: s[0] == 100)
    assert node.read('heater:ctrlpars') == gains


def test_sensor_fault_aborts_and_keeps_the_gains(node):
    gains = node.read('heater:ctrlpars')
    assert node.ask('do heater:_autotune {"cycles": 3}').startswith('done ')
    node.wait_status(lambda s: 'autotune:' in s[1])
    assert node.ask('change sim:_fault "sensor_open"').startswith('changed ')
    status = node.wait_status(lambda s: s[0] == 400)
    assert 'autotune aborted' in status[1] and 'open' in status[1], status
    assert node.read('heater:_heaterpower') == 0.0
    assert node.read('heater:ctrlpars') == gains
    assert node.ask('change sim:_fault "none"').startswith('changed ')
    node.wait_status(lambda s: s[0] < 400)


def test_no_oscillation_ends_in_warn_with_the_gains_kept(node):
    gains = node.read('heater:ctrlpars')
    for line in ('change heater:_timeout 60', 'change heater:_maxheaterpower 20',
                 'change heater:target 80'):
        assert node.ask(line).startswith('changed '), line
    # the relay's high level is 10 W: the block cannot get near 80 degC
    assert node.ask('do heater:_autotune').startswith('done ')
    status = node.wait_status(lambda s: s[0] == 200)
    assert 'autotune failed: no oscillation' in status[1] and 'gains kept' in status[1], status
    assert node.read('heater:ctrlpars') == gains
    for line in ('change heater:_timeout 900', 'change heater:_maxheaterpower 100',
                 'do heater:stop'):
        node.ask(line)


def test_limits_narrowed_below_the_target_end_the_tune(node):
    gains = node.read('heater:ctrlpars')
    start = node.read('heater:value')
    limit = round(start + 5, 1)
    assert node.ask('change heater:target %.1f' % (start + 30)).startswith('changed ')
    assert node.ask('do heater:_autotune').startswith('done ')
    node.wait_status(lambda s: 'autotune:' in s[1])
    assert node.ask('change heater:target_limits [0, %s]' % limit).startswith('changed ')
    status = node.wait_status(lambda s: s[0] == 200)
    assert 'outside target_limits' in status[1] and 'gains kept' in status[1], status
    assert node.read('heater:target') == limit
    assert node.read('heater:ctrlpars') == gains
    first = len(node.rows)
    node.until(lambda r: False, 200)            # the loop holds the clamped target
    values = [v for _, spec, v in node.rows[first:] if spec == 'heater:value']
    assert values and max(values) <= limit + 1.5, (limit, max(values))
    assert node.read('heater:status')[0] == 200         # the WARN stands until a new target
    for line in ('change heater:target_limits [0, 90]', 'do heater:stop'):
        node.ask(line)
