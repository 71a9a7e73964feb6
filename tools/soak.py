#!/usr/bin/env python3
"""Soak test: the simulated node under mixed load for a while, then figures.

    .venv/bin/python tools/soak.py --minutes M [--clients N] [--speed X]
                                   [--write docs/soak.md]

Starts the firmware under MicroPython (tools/sim.py) and runs N client
threads for M minutes: reads of every parameter, changes of heater:target
within 20..60, activations and deactivations, pings, reconnects (``*IDN?``
and ``describe`` each time), and on the first client fault injections
through sim:_fault that are cleared again with ``do heater:clear_errors``.
A monitor connection samples the heap.  A warm-up of the same load (a tenth
of the run, 15 s to a minute, with one fault cycle) comes first; the heap
baseline is taken after it, the end figure after the load stopped, both with
only the monitor connected and after a garbage collection.

Prints requests served, replies by kind, errors by class, updates received,
reconnects, heap (system:_mem_alloc) and free heap (system:value) at the
start and the end, latency percentiles and whether the node stayed alive.
Exit code 1 if the node died or the heap grew by more than 2 kB.
"""

import argparse
import collections
import datetime
import json
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM = os.path.join(ROOT, 'tools', 'sim.py')
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import process  # noqa: E402

LIMIT = 4                       # the node's client limit (boards/sim/config.json)
HEAP_GROWTH_LIMIT = 2048
EVENTS = ('update', 'error_update', 'log')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=10.0,
                        help='length of the run, the warm-up included')
    parser.add_argument('--clients', type=int, default=LIMIT - 1,
                        help='load clients (the monitor takes one more connection)')
    parser.add_argument('--speed', type=float, default=10.0,
                        help='simulated seconds per real second')
    parser.add_argument('--seed', type=int, default=1, help='random seed of the load')
    parser.add_argument('--write', metavar='FILE', help='also write the report (Markdown)')
    args = parser.parse_args(argv)
    if not 1 <= args.clients < LIMIT:
        parser.error('--clients must be 1..%d (the node serves %d clients)' % (LIMIT - 1, LIMIT))
    return args


# --- the node ---------------------------------------------------------------

def firmware_version():
    """The commit the firmware comes from ('+' when the work tree differs)."""
    try:
        head = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain', 'firmware', 'boards'],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return (head or 'unknown') + ('+' if dirty else '')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class SimProcess:
    """tools/sim.py as a child process; its stderr goes to a log file."""

    def __init__(self, speed, log_path):
        self.port = free_port()
        self.log = open(log_path, 'w')
        self.proc = subprocess.Popen(
            [sys.executable, SIM, '--port', str(self.port), '--speed', str(speed)],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready = ''
        if select.select([self.proc.stdout], [], [], 60)[0]:
            ready = self.proc.stdout.readline().strip()
        if not ready.startswith('READY '):
            self.stop()
            raise RuntimeError('sim did not start (%r); see %s' % (ready, log_path))

    def alive(self):
        return self.proc.poll() is None

    def micropython_pid(self):
        """The firmware runs in the one child of tools/sim.py (Linux only)."""
        try:
            with open('/proc/%d/task/%d/children' % (self.proc.pid, self.proc.pid)) as f:
                pids = f.read().split()
            return int(pids[0]) if pids else None
        except (OSError, ValueError):
            return None

    def open_fds(self):
        pid = self.micropython_pid()
        try:
            return len(os.listdir('/proc/%d/fd' % pid)) if pid else None
        except OSError:
            return None

    def stop(self):
        code = process.stop(self.proc)
        self.log.close()
        return code


# --- statistics ---------------------------------------------------------------

class Stats:
    """Counters shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.replies = collections.Counter()        # by reply action
        self.errors = collections.Counter()         # by error class
        self.updates = 0
        self.reconnects = 0
        self.refused = 0
        self.lost = collections.Counter()           # connection lost, by request action
        self.latency = collections.defaultdict(list)  # request action -> seconds

    def reply(self, action, reply, seconds):
        kind = 'ISSE... (identification)' if reply.startswith('ISSE') else reply.split(' ', 1)[0]
        with self.lock:
            self.requests += 1
            self.replies[kind] += 1
            self.latency[action].append(seconds)
            if kind.startswith('error'):
                try:
                    self.errors[json.loads(reply.split(' ', 2)[2])[0]] += 1
                except (ValueError, IndexError):
                    self.errors['(malformed error report)'] += 1

    def add(self, name, count=1):
        with self.lock:
            setattr(self, name, getattr(self, name) + count)

    def connection_lost(self, action):
        with self.lock:
            self.lost[action] += 1


class Refused(Exception):
    """The node answered the connection with its client-limit refusal."""


class Client:
    """One SECoP connection; requests in turn, events counted on the way."""

    def __init__(self, port, stats, timeout=15):
        self.stats = stats
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.buf = b''

    def _line(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError('closed by the node')
            self.buf += data
        line, _, self.buf = self.buf.partition(b'\n')
        return line.decode('ascii')

    def ask(self, request):
        """The reply to ``request``; events before it are counted."""
        action = request.split(' ', 1)[0]
        start = time.monotonic()
        try:
            self.sock.sendall(request.encode() + b'\n')
            while True:
                line = self._line()
                if line.split(' ', 1)[0] in EVENTS:
                    self.stats.add('updates')
                    continue
                break
        except (OSError, ConnectionError, UnicodeError):
            self.stats.connection_lost(action)
            raise
        if line.startswith('error  ["Impossible","too many clients'):
            raise Refused()
        self.stats.reply(action, line, time.monotonic() - start)
        return line

    def drain_events(self, seconds):
        """Read events for a while (an activated client that does not ask)."""
        self.sock.settimeout(0.05)
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                try:
                    self._line()
                    self.stats.add('updates')
                except socket.timeout:
                    pass
        finally:
            self.sock.settimeout(15)

    def close(self):
        self.sock.close()


def value_of(reply):
    return json.loads(reply.split(' ', 2)[2])[0]


# --- load -------------------------------------------------------------------

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
            except (OSError, ConnectionError, ValueError, IndexError):
                pass
            client.close()
            time.sleep(0.2)
        return None

    def _worker(self, index, rng):
        client = self._connect()
        active = False
        next_fault = time.monotonic() + self.first_fault
        while client is not None and self._running():
            try:
                if index == 0 and time.monotonic() > next_fault:
                    self._fault_cycle(client, rng)
                    next_fault = time.monotonic() + rng.uniform(15, 30)
                    continue
                roll = rng.random()
                if roll < 0.45:
                    client.ask('read ' + rng.choice(self.params))
                elif roll < 0.65:
                    client.ask('change heater:target %.2f' % rng.uniform(20, 60))
                elif roll < 0.75:
                    client.ask('deactivate' if active else 'activate')
                    active = not active
                    if active:
                        client.drain_events(rng.uniform(0.2, 1.0))
                elif roll < 0.85:
                    client.ask('ping %d' % rng.randrange(1 << 30))
                elif roll < 0.90:
                    client.ask('read system:value')
                elif roll < 0.95:
                    client.ask('do heater:stop')
                else:
                    client.close()
                    self.stats.add('reconnects')
                    client = self._connect()
                    active = False
            except Refused:
                self.stats.add('refused')
                client.close()
                client = self._connect()
                active = False
            except (OSError, ConnectionError, ValueError, UnicodeError):
                client.close()
                self.stats.add('reconnects')
                client = self._connect()
                active = False
            time.sleep(rng.uniform(0, 0.01))
        if client is not None:
            client.close()

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


# --- monitor ----------------------------------------------------------------

def heap_figures(client, samples=3):
    """(allocated, free) heap after a collection: the least allocated of a few
    samples, because a stale pointer can keep a dead object for a while."""
    best = None
    for _ in range(samples):
        client.ask('read heater:status')
        free = value_of(client.ask('read system:value'))      # collects garbage
        alloc = value_of(client.ask('read system:_mem_alloc'))
        if best is None or alloc < best[0]:
            best = (alloc, free)
    return best


def wait_clients(client, count, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        client.ask('read system:value')                  # refreshes system:_clients
        if value_of(client.ask('read system:_clients')) == count:
            return True
        time.sleep(0.2)
    return False


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- run --------------------------------------------------------------------

def run(args):
    log_path = os.path.join(ROOT, 'build', 'soak-node.log')
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    started = datetime.datetime.now().astimezone()
    sim = SimProcess(args.speed, log_path)
    stats = Stats()
    result = {'started': started, 'args': args, 'log': log_path, 'version': firmware_version()}
    try:
        monitor = Client(sim.port, Stats())
        monitor.ask('*IDN?')
        result['boot'] = heap_figures(monitor)
        total = args.minutes * 60
        warmup = min(60.0, max(15.0, total / 10))    # long enough for one fault cycle
        t0 = time.monotonic()
        load = Load(sim.port, Stats(), args.clients, args.seed + 1000, t0 + warmup, 2.0)
        load.start()
        while time.monotonic() < t0 + warmup and sim.alive():
            time.sleep(0.5)
        load.stop()
        wait_clients(monitor, 1)
        result['start'] = heap_figures(monitor)
        result['start_fds'] = sim.open_fds()

        deadline = time.monotonic() + total - warmup
        result['seconds'] = total - warmup
        load = Load(sim.port, stats, args.clients, args.seed, deadline)
        load.start()
        samples = []
        while time.monotonic() < deadline and sim.alive():
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
            try:
                samples.append(heap_figures(monitor, 1))
            except (OSError, ConnectionError, ValueError) as exc:
                result['failure'] = 'monitor connection lost: %r' % (exc,)
                break
        load.stop()
        result['clients_back'] = wait_clients(monitor, 1)
        result['end'] = heap_figures(monitor)
        result['end_fds'] = sim.open_fds()
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
    args, stats = result['args'], result['stats']
    lines = ['# Soak test', '',
             'Command: `.venv/bin/python tools/soak.py --minutes %g --clients %d --speed %g`' % (
                 args.minutes, args.clients, args.speed),
             '', 'Date: %s' % result['started'].strftime('%Y-%m-%d %H:%M %Z'),
             '', 'Firmware: commit %s' % result['version'], '']
    if 'failure' in result:
        lines += ['**The run failed: %s** (node log: %s)' % (result['failure'], result['log']), '']
    lines += ['| Figure | Value |', '|---|---|',
              '| node alive at the end (`*IDN?` answered) | %s |' % (
                  'yes' if result['alive'] else '**no**'),
              '| requests served | %d (%.0f per second) |' % (
                  stats.requests, stats.requests / max(1.0, result.get('seconds', 0))),
              '| updates received | %d |' % stats.updates,
              '| reconnects | %d |' % stats.reconnects,
              '| refused connects (limit %d, node had not yet seen a close) | %d |' % (
                  LIMIT, stats.refused),
              '| connections lost while waiting for a reply | %d |' % sum(stats.lost.values())]
    for key, label in (('boot', 'at boot'), ('start', 'start (after warm-up)'), ('end', 'end')):
        if key in result:
            alloc, free = result[key]
            lines.append('| heap %s: system:_mem_alloc / system:value (free) | %d / %d |' % (
                label, alloc, free))
    if 'start' in result and 'end' in result:
        growth = result['end'][0] - result['start'][0]
        lines.append('| heap growth start to end | %+d bytes (limit %d) |' % (
            growth, HEAP_GROWTH_LIMIT))
        lines.append('| peak allocated / least free during the load (5 s samples) | %d / %d |' % (
            result['peak_alloc'], result['min_free']))
        lines.append('| open fds of the MicroPython process, start / end | %s / %s |' % (
            result['start_fds'], result['end_fds']))
        lines.append('| system:_clients back to 1 after the load | %s |' % (
            'yes' if result['clients_back'] else '**no**'))
    every = [s for values in stats.latency.values() for s in values]
    lines.append('| latency all requests: p50 / p99 / max | %.1f / %.1f / %.1f ms |' % (
        1000 * percentile(every, 0.5), 1000 * percentile(every, 0.99), 1000 * max(every or [0])))
    lines += ['', '## Latency by request (ms)', '', '| request | count | p50 | p99 | max |',
              '|---|---|---|---|---|']
    for action in sorted(stats.latency):
        values = stats.latency[action]
        lines.append('| %s | %d | %.1f | %.1f | %.1f |' % (
            action, len(values), 1000 * percentile(values, 0.5),
            1000 * percentile(values, 0.99), 1000 * max(values)))
    lines += ['', '## Replies by kind', '', '| reply | count |', '|---|---|']
    lines += ['| %s | %d |' % item for item in sorted(stats.replies.items())]
    lines += ['', '## Errors by class', '', '| class | count |', '|---|---|']
    lines += ['| %s | %d |' % item for item in sorted(stats.errors.items())] or ['| none | 0 |']
    if stats.lost:
        lines += ['', '## Connections lost while waiting for a reply, by request', '',
                  '| request | count |', '|---|---|']
        lines += ['| %s | %d |' % item for item in sorted(stats.lost.items())]
    return '\n'.join(lines) + '\n'


def verdict(result):
    """Problems that make the exit code non-zero."""
    problems = []
    if not result['alive']:
        problems.append('the node died or stopped answering')
    if 'start' in result and 'end' in result:
        growth = result['end'][0] - result['start'][0]
        if growth > HEAP_GROWTH_LIMIT:
            problems.append('the heap grew by %d bytes' % growth)
    else:
        problems.append('no heap figures')
    return problems


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
