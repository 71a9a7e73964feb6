#!/usr/bin/env python3
"""Soak test: the simulated node under mixed load for a while, then figures.

    .venv/bin/python tools/soak.py --minutes M [--clients N] [--speed X]
                                   [--write docs/soak.md]

Runs N client threads against the simulated node for M minutes: reads of
every parameter, changes of heater:target within 20..60, (de)activations,
pings, reconnects (``*IDN?`` and ``describe`` each time), and on the first
client fault injections through sim:_fault, cleared again with ``do
heater:clear_errors``.  A warm-up of the same load (a tenth of the run, 15 s
to a minute) comes first; the heap baseline is taken after it, the end figure
after the load, both with only the monitor connected, after a collection.
Prints progress on stderr, then the figures; exit code 1 if the node died or
the heap grew by more than 2 kB.  ``drift()`` is the fixed pipelined stream
``make bench`` uses for its heap-drift figure.
"""

import argparse
import collections
import datetime
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

from simnode import LineClient, SimNode, heap_figures, percentile, value_of  # noqa: E402

LIMIT = 8                       # the node's client limit (boards/sim/config.json)
HEAP_GROWTH_LIMIT = 2048


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--minutes', type=float, default=10.0, help='the warm-up included')
    parser.add_argument('--clients', type=int, default=LIMIT - 1, help='besides the monitor')
    parser.add_argument('--speed', type=float, default=10.0, help='simulated s per real s')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--write', metavar='FILE', help='also write the report (Markdown)')
    args = parser.parse_args(argv)
    if not 1 <= args.clients < LIMIT:
        parser.error('--clients must be 1..%d (the node serves %d clients)' % (LIMIT - 1, LIMIT))
    return args



def firmware_version():
    """The commit the firmware comes from ('-dirty' when the work tree differs)."""
    try:
        return subprocess.run(['git', '-C', ROOT, 'describe', '--always', '--dirty'],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return 'unknown'


def open_fds(node):
    """Open file descriptors of the MicroPython process (Linux), or None."""
    try:
        return len(os.listdir('/proc/%d/fd' % node.node_pid()))
    except (OSError, TypeError):        # no such process, or no pid
        return None



class Stats:
    """Counters shared by the client threads: ``count`` by name ('requests', 'updates',
    'reconnects', 'refused', 'reply <kind>', 'error <class>', 'lost <request>') and
    ``latency`` (seconds) by request action."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = collections.Counter()
        self.latency = collections.defaultdict(list)

    def reply(self, action, reply, seconds):
        kind = 'ISSE' if reply.startswith('ISSE') else reply.split(' ', 1)[0]
        with self.lock:
            self.count.update(('requests', 'reply ' + kind))
            self.latency[action].append(seconds)
        if kind.startswith('error'):        # the class, or the start of a malformed report
            self.add('error ' + reply.split(' ', 2)[-1][2:20].split('"')[0])

    def add(self, name, count=1):
        with self.lock:
            self.count[name] += count


class Refused(Exception):
    """The node answered the connection with its client-limit refusal."""


class Client(LineClient):
    """One SECoP connection whose replies, latencies and events go to ``stats``."""

    def __init__(self, port, stats, timeout=15):
        LineClient.__init__(self, ('127.0.0.1', port), timeout)
        self.stats = stats

    def ask(self, request):
        """The reply to ``request``; events before it are counted."""
        action = request.split(' ', 1)[0]
        start = time.monotonic()
        try:
            line, events = self.request(request)
        except (OSError, EOFError, UnicodeError):
            self.stats.add('lost ' + action)
            raise
        self.stats.add('updates', len(events))
        if '["Impossible","too many clients' in line:     # the refusal
            raise Refused()
        self.stats.reply(action, line, time.monotonic() - start)
        return line

    def drain_events(self, seconds):
        """Read events for a while (an activated client that does not ask)."""
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                try:
                    self.recv(0.05)
                    self.stats.add('updates')
                except socket.timeout:
                    pass
        finally:
            self.sock.settimeout(15)



class Load:
    """The client threads, from ``start()`` until ``stop()`` or the deadline."""

    def __init__(self, port, stats, clients, seed, deadline, first_fault=20.0):
        self.port = port
        self.stats = stats
        self.deadline = deadline
        self.first_fault = first_fault
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._worker, args=(i, random.Random(seed + i)),
                                         daemon=True) for i in range(clients)]
        self.params = []

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(30)

    def _running(self):
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def _connect(self):
        """Connect, identify and describe; retries while the node still counts
        a connection we closed (the refusal)."""
        while self._running():
            try:
                client = Client(self.port, self.stats)
            except OSError:
                time.sleep(0.2)
                continue
            try:
                client.ask('*IDN?')
                desc = json.loads(client.ask('describe').split(' ', 2)[2])
                if not self.params:
                    self.params = ['%s:%s' % (m, a) for m, mod in desc['modules'].items()
                                   for a, acc in mod['accessibles'].items()
                                   if acc['datainfo']['type'] != 'command']
                return client
            except Refused:
                self.stats.add('refused')
            except (OSError, EOFError, ValueError, IndexError):
                pass
            client.close()
            time.sleep(0.2)
        return None

    def _worker(self, index, rng):
        client, active = self._connect(), False
        next_fault = time.monotonic() + self.first_fault
        while client is not None and self._running():
            try:
                if index == 0 and time.monotonic() > next_fault:
                    self._fault_cycle(client, rng)
                    next_fault = time.monotonic() + rng.uniform(15, 30)
                    continue
                active = self._request(client, rng, active)
            except Refused:
                self.stats.add('refused')
                active = None
            except (OSError, EOFError, ValueError, UnicodeError):
                self.stats.add('reconnects')
                active = None
            if active is None:
                client.close()
                client, active = self._connect(), False
            time.sleep(rng.uniform(0, 0.01))
        if client is not None:
            client.close()

    def _request(self, client, rng, active):
        """One request of the mix; returns whether the client is activated, None to
        reconnect."""
        roll = rng.random()
        if 0.65 <= roll < 0.75:
            client.ask('deactivate' if active else 'activate')
            if not active:
                client.drain_events(rng.uniform(0.2, 1.0))
            return not active
        if roll >= 0.95:
            self.stats.add('reconnects')
            return None
        client.ask('read ' + rng.choice(self.params) if roll < 0.45 else
                   'change heater:target %.2f' % rng.uniform(20, 60) if roll < 0.65 else
                   'ping %d' % rng.randrange(1 << 30) if roll < 0.85 else
                   'read system:value' if roll < 0.90 else 'do heater:stop')
        return active

    def _fault_cycle(self, client, rng):
        """Inject a plant fault, let it act for a few seconds, clear it."""
        client.ask('change sim:_fault %d' % rng.choice((1, 2, 3)))
        end = min(self.deadline, time.monotonic() + rng.uniform(2, 5))
        while self._running() and time.monotonic() < end:
            client.ask(rng.choice(('read heater:value', 'read heater:status',
                                   'change heater:target 40')))
            time.sleep(0.05)
        client.ask('change sim:_fault 0')
        client.ask('do heater:clear_errors')



def wait_clients(client, count, seconds=10):
    """Whether system:_clients comes down to ``count`` within ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        client.ask('read system:value')                  # refreshes system:_clients
        if value_of(client.ask('read system:_clients')) == count:
            return True
        time.sleep(0.2)
    return False



DRIFT_MIX = ('read heater:value', 'read outside:value', 'change heater:_maxheaterpower 40',
             'ping', 'do heater:_examplecommand {"a":2.5,"b":4}', 'read heater:status',
             'change heater:_maxheaterpower 100', 'check heater:target 30',
             'read system:_clients', 'do heater:stop')
REPLY_TO = {'read': 'reply', 'change': 'changed', 'ping': 'pong', 'do': 'done',
            'check': 'checked', 'describe': 'describing'}


def pipelined(conn, start, count, batch, deadline):
    """DRIFT_MIX in turn (``describe`` every 1000th), ``batch`` requests in flight;
    returns the number of wrong replies."""
    wrong = 0
    for first in range(start, start + count, batch):
        if time.monotonic() > deadline:
            raise TimeoutError('heap drift run took too long')
        chunk = ['describe' if i % 1000 == 999 else DRIFT_MIX[i % len(DRIFT_MIX)]
                 for i in range(first, min(first + batch, start + count))]
        conn.write(''.join(request + '\n' for request in chunk).encode())
        for request in chunk:
            if conn.reply().split(' ', 1)[0] != REPLY_TO[request.split(' ', 1)[0]]:
                wrong += 1
    return wrong


def drift(port, requests, log, batch=64, seconds=400, segments=5):
    """The heap (after collection) before, between ``segments`` parts of ``requests``
    pipelined requests over two connections (one activated), and after."""
    opened = [LineClient(('127.0.0.1', port), 30) for _ in range(3)]
    conns, probe = opened[:2], opened[2]
    try:
        conns[0].send('activate')
        while conns[0].recv() != 'active':
            pass
        deadline = time.monotonic() + seconds
        per_conn = requests // segments // len(conns)
        samples, wrong, elapsed = [], 0, 0.0
        for segment in range(-1, segments):         # -1: first-use allocations, not counted
            count = 1000 if segment < 0 else per_conn
            results = [None] * len(conns)

            def work(i, first=max(0, segment) * per_conn):
                try:
                    results[i] = pipelined(conns[i], first, count, batch, deadline)
                except Exception as exc:  # reported below
                    results[i] = exc

            threads = [threading.Thread(target=work, args=(i,)) for i in range(len(conns))]
            begin = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(seconds + 60)
            if segment >= 0:
                elapsed += time.perf_counter() - begin
            for result in results:
                if not isinstance(result, int):
                    raise RuntimeError('heap drift: %r' % (result,))
                wrong += result if segment >= 0 else 0
            time.sleep(0.2)
            samples.append(heap_figures(probe)[0])
            log('  %6d requests, mem_alloc %d' % (max(0, segment + 1) * per_conn * 2,
                                                  samples[-1]))
        done = per_conn * len(conns) * segments
        return {'requests': done, 'wrong': wrong, 'rate': done / elapsed,
                'samples': samples, 'growth': samples[-1] - samples[0]}
    finally:
        for conn in opened:
            conn.close()



def progress(t0, total, text):
    print('[%4.0f/%.0f s] %s' % (time.monotonic() - t0, total, text), file=sys.stderr,
          flush=True)


def run(args):
    log_path = os.path.join(ROOT, 'build', 'soak-node.log')
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    started = datetime.datetime.now().astimezone()
    sim = SimNode(speed=args.speed, log=log_path)
    stats = Stats()
    result = {'started': started, 'args': args, 'log': log_path, 'version': firmware_version()}
    total = args.minutes * 60
    t0 = time.monotonic()
    try:
        monitor = Client(sim.port, Stats())
        monitor.ask('*IDN?')
        result['boot'] = heap_figures(monitor)
        warmup = min(60.0, max(15.0, total / 10))    # long enough for one fault cycle
        progress(t0, total, 'warm-up for %.0f s, %d clients' % (warmup, args.clients))
        load = Load(sim.port, Stats(), args.clients, args.seed + 1000, t0 + warmup, 2.0)
        load.start()
        while time.monotonic() < t0 + warmup and sim.alive():
            time.sleep(0.5)
        load.stop()
        wait_clients(monitor, 1)
        result['start'] = heap_figures(monitor)
        result['start_fds'] = open_fds(sim)
        progress(t0, total, 'load starts; heap %d allocated, %d free' % result['start'])

        deadline = time.monotonic() + total - warmup
        result['seconds'] = total - warmup
        load = Load(sim.port, stats, args.clients, args.seed, deadline)
        load.start()
        samples = []
        while time.monotonic() < deadline and sim.alive():
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
            try:
                samples.append(heap_figures(monitor, 1))
            except (OSError, EOFError, ValueError) as exc:
                result['failure'] = 'monitor connection lost: %r' % (exc,)
                break
            if len(samples) % 6 == 0:
                errors = sum(v for k, v in stats.count.items() if k.startswith('error '))
                progress(t0, total, '%d requests, %d errors; heap %d allocated, %d free' % (
                    stats.count['requests'], errors, samples[-1][0], samples[-1][1]))
        load.stop()
        result['clients_back'] = wait_clients(monitor, 1)
        result['end'] = heap_figures(monitor)
        result['end_fds'] = open_fds(sim)
        result['peak_alloc'] = max([alloc for alloc, _ in samples] or [0])
        result['min_free'] = min([free for _, free in samples] or [0])
        # leave the plant as it was
        monitor.ask('change sim:_fault 0')
        monitor.ask('do heater:clear_errors')
        result['idn'] = monitor.ask('*IDN?').startswith('ISSE')
        monitor.close()
    except Exception as exc:  # a failed run is reported, not raised
        result['failure'] = repr(exc)
    finally:
        result['alive'] = sim.alive() and result.get('idn', False)
        sim.stop()
    result['stats'] = stats
    return result


def report(result):
    """The figures as Markdown text."""
    args, stats, count = result['args'], result['stats'], result['stats'].count
    lines = ['# Soak test', '',
             'Command: `.venv/bin/python tools/soak.py --minutes %g --clients %d --speed %g`, '
             '%s, firmware %s' % (args.minutes, args.clients, args.speed,
                                  result['started'].strftime('%Y-%m-%d %H:%M %Z'),
                                  result['version']), '']
    if 'failure' in result:
        lines += ['**The run failed: %s** (node log: %s)' % (result['failure'], result['log']), '']
    rows = [('node alive at the end (`*IDN?` answered)', 'yes' if result['alive'] else '**no**'),
            ('requests per second', '%.0f' % (count['requests'] / max(1.0, result.get('seconds',
                                                                                      0))))]
    for key, label in (('boot', 'at boot'), ('start', 'start (after warm-up)'), ('end', 'end')):
        if key in result:
            rows.append(('heap %s: system:_mem_alloc / free' % label, '%d / %d' % result[key]))
    if 'start' in result and 'end' in result:
        rows += [('heap growth start to end', '%+d bytes (limit %d)' % (
                     result['end'][0] - result['start'][0], HEAP_GROWTH_LIMIT)),
                 ('peak allocated / least free during the load (5 s samples)', '%d / %d' % (
                     result['peak_alloc'], result['min_free'])),
                 ('open fds of the MicroPython process, start / end', '%s / %s' % (
                     result['start_fds'], result['end_fds'])),
                 ('system:_clients back to 1 after the load',
                  'yes' if result['clients_back'] else '**no**')]
    rows += sorted(count.items())       # requests, replies, errors, refused, lost, ...
    lines += ['| figure | value |', '|---|---|'] + ['| %s | %s |' % row for row in rows]
    lines += ['', '## Latency by request (ms)', '', '| request | count | p50 | p99 | max |',
              '|---|---|---|---|---|']
    every = [('all', [x for values in stats.latency.values() for x in values])]
    for action, values in every + sorted(stats.latency.items()):
        lines.append('| %s | %d | %.1f | %.1f | %.1f |' % (
            action, len(values), 1000 * percentile(values, 0.5),
            1000 * percentile(values, 0.99), 1000 * max(values or [0])))
    return '\n'.join(lines) + '\n'


def verdict(result):
    """Problems that make the exit code non-zero."""
    problems = [] if result['alive'] else ['the node died or stopped answering']
    if 'start' not in result or 'end' not in result:
        return problems + ['no heap figures']
    growth = result['end'][0] - result['start'][0]
    return problems + (['the heap grew by %d bytes' % growth]
                       if growth > HEAP_GROWTH_LIMIT else [])


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    text = report(result)
    problems = verdict(result)
    text += '\nVerdict: %s\n' % ('; '.join(problems) if problems else 'pass')
    print(text, end='')
    if args.write:
        with open(args.write, 'w') as f:
            f.write(text)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
