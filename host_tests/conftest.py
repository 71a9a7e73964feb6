"""pytest set-up shared by all host tests: the firmware is importable as on a
board, and ``sim`` fixtures start the real firmware under MicroPython."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for path in (os.path.join(ROOT, 'firmware'), os.path.join(ROOT, 'tools'), os.path.join(HERE, 'unit'),
             HERE):
    if path not in sys.path:
        sys.path.insert(0, path)

from helpers import SimNode  # noqa: E402


@pytest.fixture(scope='module')
def sim():
    """One simulated node for a test module, at 20x speed."""
    with SimNode(speed=20) as node:
        yield node


@pytest.fixture(scope='module')
def serial_sim():
    """One simulated node with a serial line (a pty pair) for a test module, at 20x speed."""
    with SimNode(uart=True, speed=20) as node:
        yield node


@pytest.fixture(scope='module')
def driving_sim():
    """A simulated node at 4x speed, for tests whose clients drive the heater and
    wait for real clients (frappy, bluesky, fastcs) that think in wall-clock time:
    at 4x their own timeouts stay far from the plant's time constants."""
    node = SimNode(speed=4)
    yield node
    node.stop()


@pytest.fixture
def client(sim):
    with sim.client() as conn:
        yield conn
