"""Shared helpers of the CPython-only host tests: paths, the simulated node
process and the line client (both from tools/simnode.py), and heap probes."""

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'tools'), ROOT]

from simnode import (MICROPYTHON, SIM, LineClient, SerialClient, SimNode,  # noqa: E402,F401
                     free_port, heap_figures, stop_process, value_of)


def wait_for(predicate, timeout, interval=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def read_value(conn, spec):
    """The value of ``read <spec>`` (decoded JSON)."""
    return value_of(conn.ask('read ' + spec))


def heap(conn, samples=3):
    """Allocated heap after a collection (``system:_mem_alloc``), the least of a
    few samples (see ``simnode.heap_figures``)."""
    return heap_figures(conn, samples)[0]


def settled_heap(sim, probe, baseline, limit=2048, tries=10):
    """The heap once it is back under ``baseline + limit``, else its last figure.
    A closed connection's objects can stay referenced for a while, so a few more
    connections and requests are allowed to let them go; a leak stays."""
    for _ in range(tries):
        value = heap(probe)
        if value - baseline < limit:
            break
        conn = sim.client()
        conn.ask('ping')
        conn.close()
        time.sleep(0.3)
    return value
