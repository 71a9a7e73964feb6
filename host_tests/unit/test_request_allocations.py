"""Bytes one request allocates inside the node (MicroPython only: CPython has no
comparable heap).  Every allocation on a board feeds the next collection, which
stalls the control loop for milliseconds."""

import gc
import sys
import unittest

import tutorial_node

MICROPYTHON = sys.implementation.name == 'micropython'
READ_LIMIT = 400            # bytes per ``read`` on the 64-bit unix port (issue 11)


def allocated(node, session, line, count=10):
    raw = memoryview(line)
    for _ in range(3):                  # warm up: first-time allocations do not count
        node.handle(session, raw)
        session.pop()
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for _ in range(count):
            node.handle(session, raw)
            session.pop()
        return (gc.mem_alloc() - before) // count
    finally:
        gc.enable()


class RequestAllocations(unittest.TestCase):
    def setUp(self):
        if not MICROPYTHON:
            self.skipTest('heap figures are MicroPython figures')
        self.node = tutorial_node.make_node()
        self.session = self.node.open_session()

    def test_read_allocates_little_more_than_its_reply(self):
        self.assertLessEqual(allocated(self.node, self.session, b'read heater:value'),
                             READ_LIMIT)

    def test_read_with_a_timestamp_and_without_one_alike(self):
        with_time = allocated(self.node, self.session, b'read outside:value')
        self.node.clock.set(None)
        self.assertLessEqual(allocated(self.node, self.session, b'read outside:value'),
                             with_time)
