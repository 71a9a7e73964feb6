"""The node across the wrap of the board's 30-bit tick counter, in simulated time.

``tools/sim.py --wrap-in S`` makes the simulated ``ticks_ms`` wrap S simulated
seconds after boot (a real board: 12.4 days).  Each test starts a drive shortly
before the wrap whose outcome falls after it: the settle window must still end
in IDLE, ``_timeout`` must still give WARN, ``system:_uptime`` must keep
counting.  Subtracting tick counts instead of ``ticks_diff`` fails all three.
Time is read from the node (``system:_uptime``), never from the host's clock.
"""

import time

import pytest

from helpers import SimNode, read_value

SPEED = 20
WRAP_S = 60             # simulated seconds from boot to the wrap
LEAD_S = 8              # the drive starts this long before the wrap
PERIOD_S = 0.5          # the sim config's control period


def uptime(conn):
    read_value(conn, 'system:value')            # polls the system module: a fresh uptime
    return read_value(conn, 'system:_uptime')


def until(conn, predicate, sim_seconds):
    """Poll until ``predicate(status code)``; (code, uptime) at that moment.  Bounded
    in simulated time, and in real time should the simulation stall."""
    end = uptime(conn) + sim_seconds
    deadline = time.monotonic() + sim_seconds / SPEED * 4 + 10
    while time.monotonic() < deadline:
        code = read_value(conn, 'heater:status')[0]
        now = uptime(conn)
        if predicate(code) or now > end:
            return code, now
        time.sleep(0.02)
    raise AssertionError('the simulation stalled')


@pytest.fixture
def node():
    sim = SimNode('--wrap-in', str(WRAP_S), speed=SPEED)
    conn = sim.client()
    try:
        assert uptime(conn) < WRAP_S - LEAD_S - 2, 'booted too late to start before the wrap'
        yield conn
    finally:
        conn.close()
        sim.stop()


def wait_until(conn, uptime_s):
    until(conn, lambda code: False, uptime_s - uptime(conn))


def change(conn, **settings):
    for name, value in settings.items():
        assert conn.ask('change heater:%s %s' % (name, value)).startswith('changed ')


def test_settle_window_ends_after_the_wrap(node):
    # the block has been still since boot: a target at its value is at target once the
    # window, counted from when the value entered the band, has passed: after the wrap
    change(node, _tolerance=0.5)
    wait_until(node, WRAP_S - LEAD_S)
    change(node, _window=WRAP_S + 4, target='%.3f' % read_value(node, 'heater:value'))
    started = uptime(node)
    assert started < WRAP_S and read_value(node, 'heater:status')[0] != 100
    code, now = until(node, lambda code: code == 100, 4 * LEAD_S)
    assert code == 100, 'still %d at uptime %.1f s: the window never ended' % (code, now)
    assert WRAP_S < now < WRAP_S + 4 + LEAD_S + 3 * PERIOD_S


def test_timeout_fires_after_the_wrap(node):
    change(node, _maxheaterpower=0, _tolerance=0.001, _timeout=2 * LEAD_S)
    wait_until(node, WRAP_S - LEAD_S)
    change(node, target='%.3f' % (read_value(node, 'heater:value') + 0.3))
    started = uptime(node)
    assert started < WRAP_S
    code, now = until(node, lambda code: code == 200, 4 * LEAD_S)
    assert code == 200, 'no WARN by uptime %.1f s: _timeout did not fire' % now
    assert now > WRAP_S and now - started < 2 * LEAD_S + 3 * PERIOD_S + 1


def test_uptime_counts_on_across_the_wrap(node):
    wait_until(node, WRAP_S - LEAD_S)
    before = uptime(node)
    until(node, lambda code: False, 2 * LEAD_S)
    after = uptime(node)
    assert before < WRAP_S < after
    assert 2 * LEAD_S <= after - before < 2 * LEAD_S + 2
