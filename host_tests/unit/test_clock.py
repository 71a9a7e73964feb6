"""secop.clock on a 30-bit tick counter (both runtimes): elapsed times and uptime
across the wrap, timestamps as small ints, and their text."""

import unittest

import tutorial_node
from fake_ticks import PERIOD, make_clock
from secop.codec import qualifiers

SMALL_INT_MAX = (1 << 30) - 1       # the largest small int on a 32-bit board


class Elapsed(unittest.TestCase):
    def test_elapsed_and_uptime_across_the_wrap(self):
        clock, ticks = make_clock(PERIOD - 1500)
        start = clock.ticks
        for _ in range(5):
            ticks.advance(1000)
            clock.read()
        self.assertLess(clock.ticks, start)          # the counter wrapped
        self.assertEqual(clock.elapsed(start), 5000)
        self.assertEqual((clock.up_s, clock.up_ms), (5, 0))
        self.assertEqual(clock.uptime(), 5.0)

    def test_uptime_runs_past_the_tick_period(self):
        clock, ticks = make_clock(123456789)
        step = PERIOD // 2 - 1                      # the longest valid difference
        for _ in range(5):                          # 31 days in all
            ticks.advance(step)
            clock.read()
        self.assertEqual(clock.up_s * 1000 + clock.up_ms, 5 * step)
        self.assertLessEqual(clock.up_s, SMALL_INT_MAX)

    def test_diff_is_signed(self):
        clock, _ = make_clock()
        self.assertEqual(clock.diff(5, PERIOD - 5), 10)
        self.assertEqual(clock.diff(PERIOD - 5, 5), -10)


class Stamps(unittest.TestCase):
    def test_unknown_wall_time_gives_no_stamp(self):
        clock, _ = make_clock(777)
        self.assertFalse(clock.synced)
        self.assertIsNone(clock.wall_s)

    def test_stamp_follows_the_uptime(self):
        clock, ticks = make_clock(PERIOD - 700)
        clock.set_time(5, 7)                          # 2000-01-01 00:00:05.007
        self.assertEqual((clock.wall_s, clock.wall_ms), (5, 7))
        ticks.advance(1995)
        self.assertEqual((clock.wall_s, clock.wall_ms), (5, 7))     # as of the last read
        clock.read()
        self.assertEqual((clock.wall_s, clock.wall_ms), (7, 2))

    def test_unix_epoch_and_milliseconds_before_the_uptime(self):
        clock, ticks = make_clock()
        ticks.advance(2900)
        clock.read()
        clock.set_time(1700000000, 123, epoch_year=1970)
        self.assertEqual((clock.wall_s, clock.wall_ms), (1700000000 - 946684800, 123))
        ticks.advance(900)
        clock.read()
        self.assertEqual(qualifiers(clock.wall_s, clock.wall_ms), '{"t":1700000001.023}')


class Text(unittest.TestCase):
    def test_unix_seconds_from_seconds_since_2000(self):
        for seconds, text in ((0, '946684800'), (15199, '946699999'), (15200, '946700000'),
                              (753315200, '1700000000'), (SMALL_INT_MAX, '2020426623'),
                              (-1, '946684799')):
            self.assertEqual(qualifiers(seconds, 9), '{"t":%s.009}' % text)
        self.assertEqual(qualifiers(None), '{}')

    def test_ping_carries_the_time(self):
        clock, ticks = make_clock(PERIOD - 1)
        clock.set_time(5, 7)
        node = tutorial_node.make_node(clock)
        session = node.open_session()
        ticks.advance(1)
        node.handle(session, b'ping x')
        self.assertEqual(tutorial_node.drain(session), 'pong x [null,{"t":946684805.008}]\n')
