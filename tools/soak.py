#!/usr/bin/env python3
"""Soak test: the simulated node under mixed load for a while, then figures.

    .venv/bin/python tools/soak.py --minutes M [--clients N] [--speed X] [--write FILE]

N client threads for M minutes: reads of every parameter, changes of heater:target,
(de)activations, pings, reconnects (``*IDN?`` and ``describe``), and on the first
client plant faults (``sim:_fault``, then ``do heater:clear_errors``).  A warm-up of
the same load comes first; the heap figures after it and after the load are taken
with only the monitor connected.  Progress on stderr, then the figures; exit code 1
if the node died or the heap grew by more than 2 kB.
"""

import argparse
import collections
import datetime
import json
import os
import random
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
    if not (args.minutes > 0 and args.speed > 0):      # -1 minutes was a pass with no load
        parser.error('--minutes and --speed must be above 0')
    if not 1 <= args.clients < LIMIT:
        parser.error('--clients must be 1..%d (the node serves %d clients)' % (LIMIT - 1, LIMIT))
    return args


def open_fds(node):
    """Open file descriptors of the MicroPython process (Linux), or None."""
    try:
        return len(os.listdir('/proc/%d/fd' % node.node_pid()))
    except (OSError, TypeError):        # no such process, or no pid
        return None


class Refused(EOFError):
    """The node answered the connection with its client-limit refusal."""


class Stats:
    """Counters shared by the client threads: ``count`` by name ('requests', 'updates',
    'reconnects', 'refused', 'reply <kind>', 'error <class>', 'lost <request>') and
    ``latency`` (seconds) by request action."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = collections.Counter()
        self.latency = collections.defaultdict(list)

    def add(self, name, count=1):
        with self.lock:
            self.count[name] += count

    def ask(self, conn, request):
        """The reply to ``request`` on ``conn``, counted with the events before it."""
        action = request.split(' ', 1)[0]
        start = time.monotonic()
        try:
            line, events = conn.request(request)
        except (OSError, EOFError, UnicodeError):
            self.add('lost ' + action)
            raise
        self.add('updates', len(events))
        if '["Impossible","too many clients' in line:
            raise Refused()
        kind = 'ISSE' if line.startswith('ISSE') else line.split(' ', 1)[0]
        with self.lock:
            self.count.update(('requests', 'reply ' + kind))
            self.latency[action].append(time.monotonic() - start)
        if kind.startswith('error'):        # the class, or the start of a malformed report
            self.add('error ' + line.split(' ', 2)[-1][2:20].split('"')[0])
        return line


class Load:
    """The client threads, running until ``stop()`` or the deadline; ``params`` are
    what the reads choose from."""

    def __init__(self, port, stats, deadline, clients, params, seed, first_fault=20.0):
        self.port, self.stats, self.params = port, stats, params
        self.deadline, self.first_fault = deadline, first_fault
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._worker, args=(i, random.Random(seed + i)),
                                         daemon=True) for i in range(clients)]
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
            client = None
            try:
                client = LineClient(('127.0.0.1', self.port), 15)
                self.stats.ask(client, '*IDN?')
                self.stats.ask(client, 'describe')
                return client
            except Refused:
                self.stats.add('refused')
            except (OSError, EOFError, UnicodeError):
                pass
            if client:
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
            self.stats.ask(client, 'deactivate' if active else 'activate')
            if not active:      # a client that listens a while: its updates pile up
                time.sleep(rng.uniform(0.2, 1.0))
            return not active
        if roll >= 0.95:
            self.stats.add('reconnects')
            return None
        self.stats.ask(client, 'read ' + rng.choice(self.params) if roll < 0.45 else
                       'change heater:target %.2f' % rng.uniform(20, 60) if roll < 0.65 else
                       'ping %d' % rng.randrange(1 << 30) if roll < 0.85 else
                       'read system:value' if roll < 0.90 else 'do heater:stop')
        return active

    def _fault_cycle(self, client, rng):
        """Inject a plant fault, let it act for a few seconds, clear it."""
        self.stats.ask(client, 'change sim:_fault %d' % rng.choice((1, 2, 3)))
        end = min(self.deadline, time.monotonic() + rng.uniform(2, 5))
        while self._running() and time.monotonic() < end:
            self.stats.ask(client, rng.choice(('read heater:value', 'read heater:status',
                                               'change heater:target 40')))
            time.sleep(0.05)
        self.stats.ask(client, 'change sim:_fault 0')
        self.stats.ask(client, 'do heater:clear_errors')


def wait_clients(client, count, seconds=10):
    """Whether system:_clients comes down to ``count`` within ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        client.ask('read system:value')      # refreshes system:_clients
        if value_of(client.ask('read system:_clients')) == count:
            return True
        time.sleep(0.2)
    return False


def readable_params(conn):
    """Every parameter of the node's description as ``module:parameter``."""
    desc = json.loads(conn.ask('describe').split(' ', 2)[2])
    return ['%s:%s' % (m, a) for m, mod in desc['modules'].items()
            for a, acc in mod['accessibles'].items() if acc['datainfo']['type'] != 'command']


def load_phase(sim, monitor, stats, seconds, progress, *load_args):
    """``Load(*load_args)`` for ``seconds`` while ``monitor`` samples the heap every 5 s;
    the samples."""
    deadline = time.monotonic() + seconds
    load = Load(sim.port, stats, deadline, *load_args)
    samples = []
    try:
        while time.monotonic() < deadline and sim.alive():
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
            samples.append(heap_figures(monitor, 1))
            if len(samples) % 6 == 0:
                errors = sum(v for k, v in stats.count.items() if k.startswith('error '))
                progress('%d requests, %d errors; heap %d allocated, %d free' % (
                    stats.count['requests'], errors, samples[-1][0], samples[-1][1]))
    finally:
        load.stop()
    return samples


def run(args):
    log_path = os.path.join(ROOT, 'build', 'soak-node.log')
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    started = datetime.datetime.now().astimezone()
    total, t0 = args.minutes * 60, time.monotonic()

    def progress(text):
        print('[%4.0f/%.0f s] %s' % (time.monotonic() - t0, total, text), file=sys.stderr,
              flush=True)

    sim = SimNode(speed=args.speed, log=log_path)
    stats = Stats()
    version = subprocess.run(['git', '-C', ROOT, 'describe', '--always', '--dirty'],
                             capture_output=True, text=True).stdout.strip() or 'unknown'
    result = {'started': started, 'args': args, 'log': log_path, 'version': version}
    try:
        monitor = LineClient(('127.0.0.1', sim.port), 15)
        params = readable_params(monitor)
        result['boot'] = heap_figures(monitor)
        warmup = min(60.0, max(15.0, total / 10))    # long enough for one fault cycle
        progress('warm-up for %.0f s, %d clients' % (warmup, args.clients))
        load_phase(sim, monitor, Stats(), warmup, progress, args.clients, params,
                   args.seed + 1000, 2.0)
        wait_clients(monitor, 1)
        result['start'], result['start_fds'] = heap_figures(monitor), open_fds(sim)
        progress('load starts; heap %d allocated, %d free' % result['start'])
        result['seconds'] = total - warmup
        samples = load_phase(sim, monitor, stats, total - warmup, progress, args.clients,
                             params, args.seed)
        result['clients_back'] = wait_clients(monitor, 1)
        result['end'], result['end_fds'] = heap_figures(monitor), open_fds(sim)
        result['peak_alloc'] = max([alloc for alloc, _ in samples] or [0])
        result['min_free'] = min([free for _, free in samples] or [0])
        monitor.ask('change sim:_fault 0')          # leave the plant as it was
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
