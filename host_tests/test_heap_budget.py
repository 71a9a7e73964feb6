"""The 32-bit live heap and the bytes per request stay under their ceilings
(tools/heap_budget.json), measured in MicroPython's WebAssembly port on the .mpy deploy
layout (tools/mpy_probe.py ``wasm32_heap``).  Each check prints the figure, its ceiling
and the board's target; the targets are not asserted until the figures reach them."""

import json
import os

import pytest

import mpy_probe
import wasm32
from helpers import ROOT

with open(os.path.join(ROOT, 'tools', 'heap_budget.json')) as f:
    BUDGET = json.load(f)
MISSING = wasm32.missing()
AFTER_BOOT = ('serving', 'describe', 'mix')


@pytest.fixture(scope='module')
def figures(tmp_path_factory):
    if MISSING:
        pytest.skip(MISSING)
    return mpy_probe.wasm32_heap(str(tmp_path_factory.mktemp('wasm32')))['scenarios']


def within(what, figure, limits):
    target = limits['target']
    line = '%s: %d bytes, ceiling %d, target %s' % (
        what, figure, limits['ceiling'], 'none' if target is None else target)
    print(line)
    assert figure <= limits['ceiling'], line + ' (over the ceiling)'


@pytest.mark.parametrize('scenario', sorted(BUDGET['live_heap']))
def test_live_heap_under_its_ceiling(figures, scenario):
    steps = figures[scenario]['steps']
    for step in AFTER_BOOT:
        print('%s %s: %d bytes' % (scenario, step, steps[step]))
    within(scenario + ' live heap', max(steps[step] for step in AFTER_BOOT),
           BUDGET['live_heap'][scenario])


@pytest.mark.parametrize('request_line', sorted(BUDGET['request_bytes']))
def test_request_allocations_under_their_ceiling(figures, request_line):
    within(request_line, figures['ESP32-like']['requests'][request_line],
           BUDGET['request_bytes'][request_line])


@pytest.mark.parametrize('scenario', sorted(BUDGET['board_request_bytes']))
def test_a_board_measurement_allocates_little(figures, scenario):
    """A measurement on the board's own ADC code: 16 samples, each scaled in small ints
    (a bigint per sample took it to about 1.9 KB on 32 bits)."""
    for request_line, limits in BUDGET['board_request_bytes'][scenario].items():
        within('%s %s' % (scenario, request_line), figures[scenario]['requests'][request_line],
               limits)


def test_every_scenario_and_request_kind_has_a_budget(figures):
    assert set(figures) == set(BUDGET['live_heap'])
    assert set(figures['ESP32-like']['requests']) == set(BUDGET['request_bytes'])
    for scenario, limits in BUDGET['board_request_bytes'].items():
        assert set(figures[scenario]['requests']) == set(limits)
