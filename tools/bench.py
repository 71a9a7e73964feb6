#!/usr/bin/env python3
"""Benchmark of the SEC node under the MicroPython unix port (``make bench``).

    .venv/bin/python tools/bench.py [--quick] [--output FILE]

Measures, in one run: the request rate over loopback TCP against a
frappy-core node with the same two modules under CPython (and against a
MicroPython asyncio echo server, the floor of a round trip); the smallest
``-X heapsize`` that passes a fixed five-client scenario (bisection); the
heap taken by importing the firmware; code size; the size of the
``describing`` line; boot time; heap growth over 100 000 requests; and the
time the node spends per request without any transport.

Prints the table and writes it, with the analysis and the method, to
docs/performance.md (``--quick``: fewer requests and a coarse bisection,
about a minute, written to build/performance-quick.md unless ``--output`` is
given).  It is never part of ``make test``.  A measurement that fails is
reported as failed in the table; the others still run.

The frappy node runs in a child process started by this script
(``--serve-frappy PORT``): frappy's own Server, SecNode and Dispatcher, and
frappy's TCP request handler on a listener bound to 127.0.0.1.  UDP discovery
is never started (``Server.run()``, which starts it, is not called, and
``UDPListener`` is replaced by a function that raises); the benchmark checks
in /proc that the process owns no UDP socket.  Every process started here is
stopped by its PID.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import process  # noqa: E402

import build_mpy  # noqa: E402
import sim  # noqa: E402

PYTHON = sys.executable
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), 'micropython')
SIM = os.path.join(ROOT, 'tools', 'sim.py')
SIM_CONFIG = os.path.join(ROOT, 'boards', 'sim', 'config.json')
DOC = os.path.join(ROOT, 'docs', 'performance.md')
QUICK_DOC = os.path.join(ROOT, 'build', 'performance-quick.md')

READ = 'read heater:value'
BAUD = 115200
BIG_HEAP = '1m'                 # "no heap pressure", for comparison with the default
HEAP_TARGET_K = 64
RATE_TARGET = 1.5
GROWTH_LIMIT = 1024
DELAYED_ACK_S = 0.040           # Linux's minimum delayed-ACK timeout
EVENTS = ('update', 'error_update', 'log')


class Plan:
    """How much work each measurement does: a full run, or a quick smoke run."""

    def __init__(self, quick):
        self.quick = quick
        self.rate_reads = 1000 if quick else 3000       # per round and server
        self.rate_rounds = 1 if quick else 5            # interleaved over the servers
        self.busy_seconds = 1.5 if quick else 5.0       # each 4-client mode
        self.describe_runs = 3 if quick else 5
        self.heap_step_k = 32 if quick else 4           # bisection granularity
        self.heap_low_k, self.heap_high_k = 64, 256
        self.scenario_rounds = 2 if quick else 10       # request rounds per client
        self.scenario_runs = 1 if quick else 2          # a heap passes if every run passes
        self.boot_runs = 3 if quick else 7
        self.soak_requests = 10000 if quick else 100000
        self.soak_seconds = 90 if quick else 400        # hard limit of the soak
        self.pipeline = 64                              # requests in flight per connection


# --- processes ----------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Child:
    """A process of ours: stdout is read for its READY line, stderr goes to a file."""

    def __init__(self, cmd, env=None, cwd=None):
        self.errfile = tempfile.TemporaryFile()
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.errfile,
                                     env=env, cwd=cwd)
        self.pid = self.proc.pid

    def wait_line(self, prefix, timeout):
        """The first stdout line starting with ``prefix``, or None (exited, timed out)."""
        end = time.monotonic() + timeout
        buf = b''
        fd = self.proc.stdout.fileno()
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            data = os.read(fd, 4096)
            if not data:
                return None
            buf += data
            while b'\n' in buf:
                line, _, buf = buf.partition(b'\n')
                text = line.decode(errors='replace')
                if text.startswith(prefix):
                    return text
        return None

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        self.errfile.seek(0)
        return self.errfile.read().decode(errors='replace')

    def stop(self):
        code = process.stop(self.proc)
        self.proc.stdout.close()
        return code


class SimNode(Child):
    """The firmware under MicroPython through tools/sim.py (which forwards the
    node's output to its stderr, so nothing blocks on a full pipe)."""

    def __init__(self, heap=sim.DEFAULT_HEAP, speed=None, uart=False, timeout=20):
        self.port = free_port()
        cmd = [PYTHON, SIM, '--port', str(self.port), '--heap', heap]
        if speed is not None:
            cmd += ['--speed', str(speed)]
        if uart:
            cmd += ['--uart', 'auto']
        Child.__init__(self, cmd)
        self.ready = self.wait_line('READY ', timeout)
        fields = dict(item.split('=', 1) for item in (self.ready or '').split()[1:])
        self.uart = fields.get('uart')

    def node_pid(self):
        """PID of the micropython process that sim.py started."""
        path = '/proc/%d/task/%d/children' % (self.pid, self.pid)
        try:
            with open(path) as f:
                children = f.read().split()
        except OSError:
            return None
        return int(children[0]) if children else None


class FrappyNode(Child):
    """frappy-core's node (see serve_frappy) in a CPython child process; frappy's
    pid, log and config directories are ``workdir``."""

    def __init__(self, workdir, timeout=30, wait=True):
        self.port = free_port()
        env = dict(os.environ)
        for key in ('PIDDIR', 'LOGDIR', 'CONFDIR'):
            env['FRAPPY_' + key] = workdir
        Child.__init__(self, [PYTHON, os.path.abspath(__file__), '--serve-frappy',
                              str(self.port)], env=env)
        self.ready = self.wait_line('READY ', timeout) if wait else None


class EchoNode(Child):
    """A MicroPython asyncio server that answers every line with a fixed reply."""

    SCRIPT = (
        'import asyncio, sys\n'
        'REPLY = b\'reply heater:value [22.0123,{"t":1795466000.123}]\\n\'\n'
        'async def serve(reader, writer):\n'
        '    while True:\n'
        '        line = await reader.readline()\n'
        '        if not line:\n'
        '            break\n'
        '        writer.write(REPLY)\n'
        '        await writer.drain()\n'
        'async def main(port):\n'
        '    await asyncio.start_server(serve, "127.0.0.1", port)\n'
        '    print("READY")\n'
        '    while True:\n'
        '        await asyncio.sleep(3600)\n'
        'asyncio.run(main(int(sys.argv[1])))\n')

    def __init__(self, workdir, timeout=10):
        self.port = free_port()
        path = os.path.join(workdir, 'echo.py')
        with open(path, 'w') as f:
            f.write(self.SCRIPT)
        Child.__init__(self, [MICROPYTHON, '-X', 'heapsize=' + sim.DEFAULT_HEAP, path,
                              str(self.port)])
        self.ready = self.wait_line('READY', timeout)


def socket_inventory(pid):
    """The sockets a process owns: [(protocol, local address, state)], from /proc."""
    inodes = set()
    fd_dir = '/proc/%d/fd' % pid
    for name in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        if target.startswith('socket:['):
            inodes.add(target[8:-1])
    found = []
    for proto in ('tcp', 'tcp6', 'udp', 'udp6'):
        with open('/proc/%d/net/%s' % (pid, proto)) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    found.append((proto, _proc_address(fields[1]), fields[3]))
    return found


def _proc_address(text):
    host, port = text.split(':')
    if len(host) == 8:
        host = socket.inet_ntop(socket.AF_INET, bytes.fromhex(host)[::-1])
    return '%s:%d' % (host, int(port, 16))


def check_loopback_only(pid):
    """No UDP socket and only loopback listeners; returns a one-line account."""
    sockets = socket_inventory(pid)
    udp = [s for s in sockets if s[0].startswith('udp')]
    listening = [s[1] for s in sockets if s[0].startswith('tcp') and s[2] == '0A']
    if udp:
        raise RuntimeError('process %d owns UDP sockets: %r' % (pid, udp))
    if any(not address.startswith('127.0.0.1:') for address in listening):
        raise RuntimeError('process %d listens beyond loopback: %r' % (pid, listening))
    return 'PID %d owns %d socket(s), listening on %s; UDP sockets: 0' % (
        pid, len(sockets), ', '.join(listening) or 'nothing')


# --- clients ------------------------------------------------------------------

class LineConn:
    """Line-based SECoP client over some byte stream; counts the events it skips."""

    def __init__(self, timeout=10.0):
        self.timeout = timeout
        self.buf = b''
        self.events = 0

    def send(self, line):
        self.write(line.encode() + b'\n')

    def recv(self):
        while b'\n' not in self.buf:
            self.buf += self.read_some()
        line, _, self.buf = self.buf.partition(b'\n')
        return line.decode()

    def ask(self, line):
        """Send one request; the reply, after any events in front of it."""
        self.send(line)
        return self.reply()

    def reply(self):
        while True:
            line = self.recv()
            if line.split(' ', 1)[0] in EVENTS:
                self.events += 1
                continue
            return line


class SocketConn(LineConn):
    def __init__(self, port, timeout=10.0):
        LineConn.__init__(self, timeout)
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)

    def write(self, data):
        self.sock.sendall(data)

    def read_some(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError('the node closed the connection')
        return data

    def close(self):
        self.sock.close()


class SerialConn(LineConn):
    """The client end of sim.py's null-modem pty pair."""

    def __init__(self, path, timeout=10.0):
        LineConn.__init__(self, timeout)
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)

    def write(self, data):
        end = time.monotonic() + self.timeout
        while data:
            if time.monotonic() > end:
                raise TimeoutError('serial write timed out')
            select.select([], [self.fd], [], 0.1)
            try:
                data = data[os.write(self.fd, data):]
            except BlockingIOError:
                pass

    def read_some(self):
        ready, _, _ = select.select([self.fd], [], [], self.timeout)
        if not ready:
            raise TimeoutError('no reply on the serial line')
        return os.read(self.fd, 65536)

    def close(self):
        os.close(self.fd)


def payload(reply):
    """The JSON data part of a reply line."""
    return json.loads(reply.split(' ', 2)[2])


def expect(reply, prefix):
    if not reply.startswith(prefix):
        raise AssertionError('expected %r, got %r' % (prefix, reply[:200]))
    return reply


def activate(conn, limit=1000):
    """``activate``; the initial updates (at most ``limit``) are read and dropped."""
    conn.send('activate')
    for _ in range(limit):
        line = conn.recv()
        if line == 'active':
            return
        if not line.startswith('update '):
            raise AssertionError('activate: %r' % line[:200])
    raise AssertionError('activate: no reply after %d updates' % limit)


def read_mem_alloc(conn):
    """``system:_mem_alloc`` (the read collects garbage first)."""
    return payload(expect(conn.ask('read system:_mem_alloc'), 'reply '))[0]


def wait_for_other_clients_to_leave(port, limit_s=5):
    """The node notices closed connections a little later, and it takes 4 clients at most."""
    conn = SocketConn(port)
    try:
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            reply = conn.ask('read system:_clients')
            if not reply.startswith('reply ') or payload(reply)[0] <= 1:
                return
            time.sleep(0.05)
    finally:
        conn.close()


class Drain(threading.Thread):
    """Reads and counts the lines an activated, otherwise idle client receives."""

    def __init__(self, conn):
        threading.Thread.__init__(self, daemon=True)
        self.conn = conn
        self.stopping = threading.Event()
        self.lines = 0

    def run(self):
        self.conn.sock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                self.conn.recv()
                self.lines += 1
            except socket.timeout:
                continue
            except (OSError, EOFError):
                return

    def stop(self):
        self.stopping.set()
        self.join(5)


# --- statistics ---------------------------------------------------------------

def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def latency_summary(latencies, elapsed=None):
    total = elapsed if elapsed is not None else sum(latencies)
    return {'n': len(latencies), 'rate': len(latencies) / total,
            'p50_ms': percentile(latencies, 0.5) * 1e3,
            'p99_ms': percentile(latencies, 0.99) * 1e3}


def timed_reads(conn, count, seconds, request=READ):
    """Sequential round trips; the latency of each, stopping at ``count`` or ``seconds``."""
    latencies = []
    end = time.monotonic() + seconds
    clock = time.perf_counter
    while len(latencies) < count and time.monotonic() < end:
        start = clock()
        reply = conn.ask(request)
        latencies.append(clock() - start)
        if not reply.startswith('reply '):
            raise AssertionError('unexpected reply %r' % reply)
    return latencies


# --- 1. request rate ----------------------------------------------------------

def single_client_rate(port, count, request=READ):
    conn = SocketConn(port)
    try:
        timed_reads(conn, 200, 5, request)                  # warm up
        return latency_summary(timed_reads(conn, count, 60, request))
    finally:
        conn.close()


def compare_rates(plan, servers):
    """Interleaved rounds of sequential reads; per server the round with the median rate."""
    rounds = {name: [] for name in servers}
    for _ in range(plan.rate_rounds):
        for name, server in servers.items():
            rounds[name].append(single_client_rate(server.port, plan.rate_reads))
    result = {}
    for name, runs in rounds.items():
        runs.sort(key=lambda r: r['rate'])
        result[name] = dict(runs[len(runs) // 2], rounds=[round(r['rate']) for r in runs])
    result['ratio'] = result['ours']['rate'] / result['frappy']['rate']
    result['ratio_big_heap'] = result['ours_big_heap']['rate'] / result['frappy']['rate']
    return result


def activated_rate(port, seconds, all_reading):
    """Four activated clients during a heating step; one or all four do sequential reads."""
    wait_for_other_clients_to_leave(port)
    conns = []
    try:
        for _ in range(4):
            conns.append(SocketConn(port))
            activate(conns[-1])
        expect(conns[0].ask('change heater:target 40'), 'changed ')
        readers = conns if all_reading else conns[:1]
        drains = [Drain(conn) for conn in conns if conn not in readers]
        for drain in drains:
            drain.start()
        results = [None] * len(readers)

        def work(i):
            try:
                results[i] = timed_reads(readers[i], 10 ** 6, seconds)
            except Exception as exc:  # reported below
                results[i] = exc

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(readers))]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 30)
        elapsed = time.perf_counter() - start
        for drain in drains:
            drain.stop()
        for i, result in enumerate(results):
            if not isinstance(result, list):
                raise RuntimeError('reading client %d: %r' % (i + 1, result))
        summary = latency_summary([x for r in results for x in r], elapsed)
        events = sum(c.events for c in readers) + sum(d.lines for d in drains)
        summary['updates_per_client_s'] = events / elapsed / len(conns)
        return summary
    finally:
        for conn in conns:
            conn.close()


def with_fallback(function, servers, *args):
    """``function(port, *args)`` on our node; if that fails (Firmware findings 2), again
    on our node with the big heap. The result says which heap, and the first failure."""
    result = guarded(function, servers['ours'].port, *args)
    if 'error' not in result:
        result['heap'] = sim.DEFAULT_HEAP
        return result
    again = guarded(function, servers['ours_big_heap'].port, *args)
    again.update(heap=BIG_HEAP, default_heap_error=result['error'])
    return again


def activated_rates(plan, servers):
    result = {}
    for mode, all_reading in (('one', False), ('all', True)):
        result['ours', mode] = with_fallback(activated_rate, servers, plan.busy_seconds,
                                             all_reading)
        result['frappy', mode] = guarded(activated_rate, servers['frappy'].port,
                                         plan.busy_seconds, all_reading)
    return result


def describe_latency(port, quickack):
    """``describe`` on a connection that has carried traffic (delayed ACKs are on by then)."""
    conn = SocketConn(port)
    try:
        for _ in range(300):
            expect(conn.ask('ping'), 'pong')
        start = time.perf_counter()
        conn.send('describe')
        while b'\n' not in conn.buf:
            if quickack:        # ACK every segment at once
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            conn.buf += conn.read_some()
        elapsed = time.perf_counter() - start
        line = conn.recv()
        return elapsed, len(line) + 1
    finally:
        conn.close()


def describe_node(port, runs):
    plain = [describe_latency(port, False) for _ in range(runs)]
    quick = [describe_latency(port, True) for _ in range(runs)]
    return {'bytes': plain[0][1], 'ms': statistics.median(t for t, _ in plain) * 1e3,
            'quickack_ms': statistics.median(t for t, _ in quick) * 1e3}


def describe_figures(plan, servers):
    ours = with_fallback(describe_node, servers, plan.describe_runs)
    if 'error' in ours:
        raise RuntimeError(ours['error'])
    return {'ours': ours, 'frappy': describe_node(servers['frappy'].port, plan.describe_runs)}


# --- 2. heap: the five-client scenario and bisection ---------------------------

SCENARIO_REQUESTS = (
    (READ, 'reply heater:value '),
    ('read outside:value', 'reply outside:value '),
    ('change heater:_maxheaterpower 50', 'changed heater:_maxheaterpower [50.0,'),
    ('do heater:_examplecommand {"a":2.5,"b":4}', 'done heater:_examplecommand [10.0,'),
    ('check heater:target 30', 'checked heater:target [30.0,'),
    ('ping s', 'pong s '),
    ('change heater:_maxheaterpower 100', 'changed heater:_maxheaterpower [100.0,'),
)


def heating_step(probe, others, limit_s=60):
    """target 22 -> 26 degC (2 s window); returns when the loop is IDLE again."""
    expect(probe.ask('change heater:_window 2'), 'changed ')
    expect(probe.ask('change heater:target 26'), 'changed heater:target [26.0,')
    seen_busy = False
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        code = payload(expect(probe.ask('read heater:status'), 'reply '))[0][0]
        seen_busy = seen_busy or 300 <= code < 400
        if seen_busy and code == 100:
            return
        for conn in others:              # keep their updates flowing
            expect(conn.ask('ping h'), 'pong h ')
        time.sleep(0.1)
    raise AssertionError('heating step did not settle within %d s' % limit_s)


def run_scenario(node, rounds, timeout=5.0):
    """4 TCP clients + the serial client: identify, describe, activate, requests, a step."""
    probe = SocketConn(node.port, timeout)
    clients = [probe]
    try:
        mem_boot = read_mem_alloc(probe)
        clients += [SocketConn(node.port, timeout) for _ in range(3)]
        clients.append(SerialConn(node.uart, timeout))
        for conn in clients:
            expect(conn.ask('*IDN?'), 'ISSE')
        for conn in clients:
            payload(expect(conn.ask('describe'), 'describing . '))
        for conn in clients:
            activate(conn)
        for _ in range(rounds):
            for conn in clients:
                for request, prefix in SCENARIO_REQUESTS:
                    expect(conn.ask(request), prefix)
        heating_step(probe, clients[1:])
        mem_load = read_mem_alloc(probe)
        for conn in clients:
            expect(conn.ask('ping end'), 'pong end ')
        return mem_boot, mem_load
    finally:
        for conn in clients:
            conn.close()


def heap_trial(heap_k, rounds, runs):
    """Does the node pass the scenario ``runs`` times in ``-X heapsize=<heap_k>k``?"""
    for _ in range(runs):
        result = scenario_run(heap_k, rounds)
        if not result['ok']:
            break
    return result


def scenario_run(heap_k, rounds):
    node = SimNode(heap='%dk' % heap_k, speed=20, uart=True)
    try:
        if not node.ready:
            return {'ok': False, 'why': 'no READY: ' + last_line(node.stderr())}
        try:
            mem_boot, mem_load = run_scenario(node, rounds)
        except (AssertionError, OSError, EOFError, ValueError) as exc:
            return {'ok': False, 'why': '%s: %s' % (type(exc).__name__, exc)}
        errors = node.stderr()
        if not node.alive() or 'Error' in errors:
            return {'ok': False, 'why': last_line(errors) if errors else 'node exited'}
        return {'ok': True, 'mem_boot': mem_boot, 'mem_load': mem_load}
    finally:
        node.stop()


def last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else '(no output)'


def bisect_heap(plan, log):
    """Smallest passing heap (k), bisected at the plan's granularity, then confirmed."""
    step = plan.heap_step_k
    low, high = plan.heap_low_k, plan.heap_high_k
    trials = []

    def trial(k):
        result = heap_trial(k, plan.scenario_rounds, plan.scenario_runs)
        trials.append((k, result['ok'], result.get('why', '')))
        log('  heap %4dk: %s' % (k, 'pass' if result['ok'] else 'FAIL (%s)' % result['why']))
        return result

    top = trial(high)
    if not top['ok']:
        return {'min_k': None, 'trials': trials, 'top': top}
    if trial(low)['ok']:
        return {'min_k': low, 'trials': trials, 'top': top, 'at_min': top}
    passing = top
    while high - low > step:
        mid = (low + high) // 2 // step * step
        result = trial(mid)
        if result['ok']:
            high, passing = mid, result
        else:
            low = mid
    for _ in range(3):                  # GC timing varies: the minimum must pass twice
        again = trial(high)
        if again['ok']:
            passing = again
            break
        high += step
    return {'min_k': high, 'trials': trials, 'top': top, 'at_min': passing}


# --- 2b, 3. imports, code size and the request path, measured inside MicroPython ---

IMPORT_SCRIPT = '''
import gc, json, sys, micropython
def mark(label):
    gc.collect()
    print('MEM', label, gc.mem_alloc())
def qstrs(label):
    print('QSTR', label, end=' ')
    micropython.qstr_info()
mark('empty'); qstrs('empty')
import asyncio, time
mark('runtime'); qstrs('runtime')
import app, board
mark('firmware'); qstrs('firmware')
with open(sys.argv[1]) as f:
    config = json.load(f)
node = app.App(config, board.Board(config.get('board', {})))
mark('built')
print('MEMINFO')
micropython.mem_info()
'''

# REQUESTS is put in by request_profile(): this micropython binary dies ("FATAL:
# uncaught NLR") on a command-line argument of about 256 bytes or more.
PROFILE_SCRIPT = '''
import gc, json, sys, time
REQUESTS = %s
import app, board
with open(sys.argv[1]) as f:
    config = json.load(f)
node = app.App(config, board.Board(config.get('board', {}))).node
session = node.open_session()
for name, line in REQUESTS:
    raw = memoryview(line.encode())
    best = 1e9
    for rep in range(7):
        gc.collect()
        t0 = time.ticks_us()
        for i in range(1000):
            node.handle(session, raw)
            session.pop()
        best = min(best, time.ticks_diff(time.ticks_us(), t0) / 1000)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for i in range(2):              # few: the heap may be the node's, and the GC is off
        node.handle(session, raw)
        session.pop()
    grown = (gc.mem_alloc() - before) // 2
    gc.enable()
    print('REQ', json.dumps([name, best, grown]))
gc.collect()
t0 = time.ticks_us()
for i in range(10):
    gc.collect()
print('GC', time.ticks_diff(time.ticks_us(), t0) / 10, gc.mem_alloc(), gc.mem_free())
'''

PROFILE_REQUESTS = (
    ('read heater:value', READ),
    ('read outside:value (16 ADC samples)', 'read outside:value'),
    ('change heater:_maxheaterpower', 'change heater:_maxheaterpower 40'),
    ('do heater:_examplecommand', 'do heater:_examplecommand {"a":2.5,"b":4}'),
    ('ping', 'ping'),
)


def build_deploy(workdir):
    """The .mpy trees a deploy copies: firmware/, and each board's directory."""
    trees = {'firmware': build_mpy.build(os.path.join(ROOT, 'firmware'),
                                         os.path.join(workdir, 'firmware'))}
    for board in ('sim', 'esp32', 'pyboard'):
        src = os.path.join(ROOT, 'boards', board)
        if os.path.exists(os.path.join(src, 'board.py')):
            trees[board] = build_mpy.build(src, os.path.join(workdir, board))
    return trees


def tree_size(path):
    """(bytes, files) of what a deploy copies: the .mpy files and main.py/boot.py."""
    total = files = 0
    for folder, _, names in os.walk(path):
        for name in names:
            if name.endswith('.mpy') or name in build_mpy.KEEP_SOURCE:
                total += os.path.getsize(os.path.join(folder, name))
                files += 1
    return total, files


def source_size(path):
    total = 0
    for folder, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        total += sum(os.path.getsize(os.path.join(folder, n)) for n in names
                     if n.endswith('.py'))
    return total


def code_size(trees):
    sizes = {name: tree_size(path) for name, path in trees.items()}
    sizes['firmware_source'] = source_size(os.path.join(ROOT, 'firmware'))
    return sizes


def run_micropython(script, code_dirs, heap, args, workdir):
    path = os.path.join(workdir, 'probe.py')
    with open(path, 'w') as f:
        f.write(script)
    env = dict(os.environ, MICROPYPATH=':'.join(['.frozen'] + code_dirs))
    done = subprocess.run([MICROPYTHON, '-X', 'heapsize=' + heap, path] + args,
                          capture_output=True, text=True, env=env, timeout=120, cwd=workdir)
    if done.returncode:
        raise RuntimeError('micropython probe failed: %s' % last_line(done.stdout +
                                                                        done.stderr))
    return done.stdout


def import_heap(trees, workdir):
    """Heap (gc.mem_alloc) and qstr pool taken by the runtime libraries, the firmware's
    imports and the built node, in a big heap so the GC does not interfere."""
    out = run_micropython(IMPORT_SCRIPT, [trees['firmware'], trees['sim']], BIG_HEAP,
                          [SIM_CONFIG], workdir)
    mem, qstr = {}, {}
    for line in out.splitlines():
        if line.startswith('MEM '):
            _, label, value = line.split()
            mem[label] = int(value)
        elif line.startswith('QSTR '):
            label = line.split()[1]
            qstr[label] = int(re.search(r'n_total_bytes=(\d+)', line).group(1))
    mem_info = out.split('MEMINFO', 1)[1].strip()
    return {'mem': mem, 'qstr': qstr, 'mem_info': mem_info}


def request_profile(trees, workdir, heap):
    """Time and heap per request inside the node (no transport)."""
    script = PROFILE_SCRIPT % json.dumps(PROFILE_REQUESTS)
    out = run_micropython(script, [trees['firmware'], trees['sim']], heap, [SIM_CONFIG],
                          workdir)
    rows, gc_line = [], None
    for line in out.splitlines():
        if line.startswith('REQ '):
            rows.append(json.loads(line[4:]))
        elif line.startswith('GC '):
            _, us, alloc, free = line.split()
            gc_line = {'collect_us': float(us), 'alloc': int(alloc), 'free': int(free)}
    return {'heap': heap, 'rows': rows, 'gc': gc_line}


def request_profiles(trees, workdir):
    return {'default': request_profile(trees, workdir, sim.DEFAULT_HEAP),
            'big': request_profile(trees, workdir, BIG_HEAP)}


# --- 5. boot time -------------------------------------------------------------

def time_to_idn(port, started, proc, limit_s=30):
    """Seconds from ``started`` until the server at ``port`` answers ``*IDN?``."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end and proc.poll() is None:
        try:
            conn = SocketConn(port, timeout=5)
        except OSError:
            time.sleep(0.002)
            continue
        try:
            expect(conn.ask('*IDN?'), 'ISSE')
            return time.perf_counter() - started
        finally:
            conn.close()
    raise RuntimeError('no *IDN? reply within %d s' % limit_s)


def boot_node_once(workdir):
    """The micropython process alone (as sim.py starts it, without sim.py itself)."""
    port = free_port()
    config = os.path.join(workdir, 'boot-config.json')
    sim.prepare_config(sim.parse_args(['--port', str(port)]), config)
    code = [build_mpy.build(os.path.join(ROOT, 'firmware'), sim.BUILD + '/firmware'),
            build_mpy.build(os.path.join(ROOT, 'boards', 'sim'), sim.BUILD + '/sim')]
    env = dict(os.environ, MICROPYPATH=':'.join(['.frozen'] + code))
    child = Child([MICROPYTHON, '-X', 'heapsize=' + sim.DEFAULT_HEAP,
                   os.path.join(code[0], 'main.py'), config], env=env, cwd=workdir)
    try:
        return time_to_idn(port, child.started, child.proc)
    finally:
        child.stop()


def boot_frappy_once(workdir):
    child = FrappyNode(workdir, wait=False)
    try:
        return time_to_idn(child.port, child.started, child.proc)
    finally:
        child.stop()


def boot_times(plan, workdir):
    ours = [boot_node_once(workdir) for _ in range(plan.boot_runs)]
    frappy = [boot_frappy_once(workdir) for _ in range(max(3, plan.boot_runs // 2))]
    return {'ours_ms': statistics.median(ours) * 1e3, 'ours_runs': len(ours),
            'frappy_ms': statistics.median(frappy) * 1e3, 'frappy_runs': len(frappy)}


# --- 6. heap growth over many requests ------------------------------------------

SOAK_MIX = (
    (READ, 'reply'),
    ('read outside:value', 'reply'),
    ('change heater:_maxheaterpower 40', 'changed'),
    ('ping', 'pong'),
    ('do heater:_examplecommand {"a":2.5,"b":4}', 'done'),
    ('read heater:status', 'reply'),
    ('change heater:_maxheaterpower 100', 'changed'),
    ('check heater:target 30', 'checked'),
    ('read system:_clients', 'reply'),
    ('do heater:stop', 'done'),
)


def soak_requests(start, count):
    """The mixed request stream: SOAK_MIX in turn, ``describe`` every 1000th request."""
    for i in range(start, start + count):
        if i % 1000 == 999:
            yield 'describe', 'describing'
        else:
            yield SOAK_MIX[i % len(SOAK_MIX)]


def pipelined(conn, start, count, batch, deadline):
    """Send ``batch`` requests at a time, then read their replies; (done, errors)."""
    done = errors = 0
    stream = soak_requests(start, count)
    while done < count and time.monotonic() < deadline:
        chunk = [item for _, item in zip(range(min(batch, count - done)), stream)]
        conn.write(''.join(request + '\n' for request, _ in chunk).encode())
        for _, word in chunk:
            if conn.reply().split(' ', 1)[0] != word:
                errors += 1
        done += len(chunk)
    return done, errors


def soak_segment(conns, start, count, batch, deadline):
    """Every connection sends ``count`` requests at once (a thread each); (done, errors)."""
    results = [None] * len(conns)

    def work(i):
        try:
            results[i] = pipelined(conns[i], start, count, batch, deadline)
        except Exception as exc:  # reported by the caller
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(conns))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic()) + 60)
    for i, result in enumerate(results):
        if not isinstance(result, tuple):
            raise RuntimeError('connection %d after %d requests: %r' % (i + 1, start, result))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def soak(plan, log, heap=sim.DEFAULT_HEAP):
    """``soak_requests`` over two connections (one activated), in five segments; the
    heap (after collection) at the start, between segments and at the end."""
    node = SimNode(heap=heap)
    opened = []
    try:
        if not node.ready:
            raise RuntimeError('node did not start: ' + last_line(node.stderr()))
        opened = [SocketConn(node.port, timeout=30) for _ in range(3)]
        conns, probe = opened[:2], opened[2]
        activate(conns[0])
        deadline = time.monotonic() + plan.soak_seconds
        soak_segment(conns, 0, 2000, plan.pipeline, deadline)   # first-use allocations
        time.sleep(0.3)
        samples = [min(read_mem_alloc(probe) for _ in range(3))]
        segments = 5
        per_conn = plan.soak_requests // segments // len(conns)
        total = errors = 0
        elapsed = 0.0
        for segment in range(segments):
            start = time.perf_counter()
            done, wrong = soak_segment(conns, segment * per_conn, per_conn, plan.pipeline,
                                       deadline)
            elapsed += time.perf_counter() - start
            total, errors = total + done, errors + wrong
            time.sleep(0.2)
            samples.append(min(read_mem_alloc(probe) for _ in range(3)))
            log('  %6d requests, %5.0f/s, mem_alloc %d' % (total, total / elapsed,
                                                           samples[-1]))
        return {'requests': total, 'errors': errors, 'rate': total / elapsed,
                'samples': samples, 'growth': samples[-1] - samples[0],
                'alive': node.alive(), 'heap': heap}
    finally:
        for conn in opened:
            conn.close()
        node.stop()


# --- the frappy node (child process) ------------------------------------------------

def _frappy_modules():
    """The tutorial's two modules written for frappy-core; the heater's value moves
    towards the target and changes every 0.5 s, like the node's control period."""
    from frappy.core import BUSY, IDLE, Command, Drivable, FloatRange, Parameter, \
        Readable, StructOf

    class Outside(Readable):
        value = Parameter('temperature outside', FloatRange(unit='degC'))

        def read_value(self):
            return 22.0

    class Heater(Drivable):
        value = Parameter('current temperature', FloatRange(unit='degC'))
        target = Parameter('target temperature', FloatRange(0, 90, unit='degC'),
                           readonly=False, default=22.0)
        maxheaterpower = Parameter('maximum allowed heater power',
                                   FloatRange(0, 100, unit='W'), readonly=False, default=100)
        _start = (0.0, 22.0)        # (time, temperature) when the target was last set

        def read_value(self):
            t0, temp0 = self._start
            now = math.floor(time.time() * 2) / 2
            return round(self.target + (temp0 - self.target) * math.exp(-(now - t0) / 20), 4)

        def read_status(self):
            if abs(self.read_value() - self.target) > 0.1:
                return BUSY, 'heating'
            return IDLE, ''

        def write_target(self, target):
            self._start = (time.time(), self.read_value())
            return target

        @Command()
        def stop(self):
            """Stop heating, stay at current temperature."""
            self.target = self.read_value()

        @Command(StructOf(a=FloatRange(0, 10), b=FloatRange()), result=FloatRange())
        def examplecommand(self, a, b):
            """Do some calculation."""
            return a * b

    return Outside, Heater


def serve_frappy(port):
    """frappy's Server without ``run()``: modules, dispatcher, a loopback TCP listener."""
    import frappy.server
    from frappy.config import Mod
    from frappy.lib import generalConfig
    from frappy.logging import init_remote_logging, logger
    from frappy.protocol.interface.tcp import DualStackTCPServer, TCPRequestHandler

    def no_discovery(*args, **kwargs):
        raise RuntimeError('UDP discovery must not start in the benchmark')

    frappy.server.UDPListener = no_discovery
    generalConfig.init()
    logger.init('info')             # frappy-server's default log level
    outside, heater = _frappy_modules()

    class BenchServer(frappy.server.Server):
        def __init__(self):         # pylint: disable=super-init-not-called
            self.name = 'bench'
            self.log = logger.log.getChild(self.name, True)
            init_remote_logging(self.log)
            self.node_cfg = {'cls': 'frappy.protocol.dispatcher.Dispatcher',
                             'equipment_id': 'example_heater',
                             'description': 'a basic example temperature SEC node.'}
            self.module_cfg = {}
            for mod in (Mod('outside', outside, 'Outside temperature monitor.',
                            pollinterval=1.0),
                        Mod('heater', heater, 'Example Heater', pollinterval=0.5)):
                self.module_cfg[mod.pop('name')] = mod
            self._testonly = False
            self.discovery = None
            self.interfaces = {}

    class LoopbackTCPServer(DualStackTCPServer):
        """frappy's TCPServer, bound to 127.0.0.1 instead of every interface."""
        daemon_threads = True
        allow_reuse_address = True

        def __init__(self, srv):
            self.dispatcher = srv.dispatcher
            self.log = srv.log.getChild('tcp')
            self.name = 'tcp'
            self.detailed_errors = False
            DualStackTCPServer.__init__(self, ('127.0.0.1', port), TCPRequestHandler)

    server = BenchServer()
    server._processCfg()
    listener = LoopbackTCPServer(server)
    server.interfaces = {'tcp://127.0.0.1:%d' % port: listener}
    print('READY tcp=127.0.0.1:%d' % port, flush=True)
    listener.serve_forever()


# --- report: the table ----------------------------------------------------------------

def machine_info():
    model = 'unknown'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    version = subprocess.run([MICROPYTHON, '--version'], capture_output=True,
                             text=True).stdout.strip()
    from frappy.version import get_version
    return {'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
            'nproc': os.cpu_count(), 'cpu': model, 'kernel': platform.release(),
            'micropython': version, 'cpython': platform.python_version(),
            'frappy': get_version()}


def guarded(function, *args):
    """The result of ``function``, or {'error': text} if it raised."""
    try:
        return function(*args)
    except Exception as exc:  # one failed measurement must not lose the others
        traceback.print_exc()
        return {'error': '%s: %s' % (type(exc).__name__, str(exc)[:200])}


def verdict(ok):
    return 'met' if ok else '**missed**'


def plain_verdict(ok):
    return 'met' if ok else 'missed'


def kb(n):
    return '%.1f KB' % (n / 1024)


def latency_text(s):
    return '%.0f/s (p50 %.3f ms, p99 %.3f ms)' % (s['rate'], s['p50_ms'], s['p99_ms'])


def failed(r, key):
    """A row saying why a section has no result, or None if it has one."""
    if 'error' in r[key] and key != 'soak':      # soak_rows tells more
        return [(key, 'failed: ' + r[key]['error'], '', '')]
    return None


def rate_rows(r):
    rate = r['rate']
    return [
        ('1 client, sequential `%s`, our node (%s heap)' % (READ, sim.DEFAULT_HEAP),
         latency_text(rate['ours']), '', ''),
        ('same, frappy-core node (CPython)', latency_text(rate['frappy']), '', ''),
        ('ratio ours / frappy', '%.2fx' % rate['ratio'], '>= %.1fx' % RATE_TARGET,
         verdict(rate['ratio'] >= RATE_TARGET)),
        ('same, our node with a %s heap' % BIG_HEAP, '%s = %.2fx frappy' % (
            latency_text(rate['ours_big_heap']), rate['ratio_big_heap']), '', ''),
        ('same, MicroPython asyncio echo server (floor)', latency_text(rate['echo']), '', ''),
    ]


def node_label(result):
    """'our node (heap)', and why the default heap was not used, if it was not."""
    label = 'our node (%s heap)' % result.get('heap', '?')
    if 'default_heap_error' in result:
        label += '; with %s it failed: %s' % (sim.DEFAULT_HEAP, result['default_heap_error'])
    return label


def activated_rows(r):
    rows = []
    for name in ('ours', 'frappy'):
        for mode, text in (('one', '1 reading, 3 receiving'), ('all', 'all 4 reading')):
            a = r['activated'][name, mode]
            label = node_label(a) if name == 'ours' else 'frappy'
            if 'error' in a:
                result = 'failed: ' + a['error']
            else:
                result = '%s, %.1f updates/s per client' % (latency_text(a),
                                                            a['updates_per_client_s'])
            rows.append(('4 activated clients (%s), %s' % (text, label), result, '', ''))
    return rows


def heap_rows(r):
    heap, plan = r['heap'], r['plan']
    if 'error' in heap:
        return [('smallest heap passing the 5-client scenario', 'failed: ' + heap['error'],
                 '%dk' % HEAP_TARGET_K, verdict(False))]
    if not heap['min_k']:
        return [('smallest heap passing the 5-client scenario',
                 'none up to %dk: %s' % (plan.heap_high_k, heap['top']['why']),
                 '%dk' % HEAP_TARGET_K, verdict(False))]
    at_min = heap['at_min']
    rows = [('smallest heap passing the 5-client scenario (4 TCP + serial)',
             '%dk (bisection step %dk)' % (heap['min_k'], plan.heap_step_k),
             '%dk' % HEAP_TARGET_K, verdict(heap['min_k'] <= HEAP_TARGET_K)),
            ('system:_mem_alloc after boot / under that load, at %dk' % heap['min_k'],
             '%s / %s' % (kb(at_min['mem_boot']), kb(at_min['mem_load'])), '', '')]
    top = heap['top']
    rows.append(('same at %dk' % plan.heap_high_k,
                 '%s / %s' % (kb(top['mem_boot']), kb(top['mem_load'])), '', ''))
    return rows


def import_rows(r):
    mem, qstr = r['imports']['mem'], r['imports']['qstr']
    return [
        ('heap taken by importing the firmware (.mpy; asyncio is frozen in the binary)',
         '%s, of which qstr pool %s' % (kb(mem['firmware'] - mem['runtime']),
                                        kb(qstr['firmware'] - qstr['runtime'])), '', ''),
        ('heap of the built node (modules, parameters), no clients, no tasks',
         kb(mem['built'] - mem['firmware']), '', ''),
    ]


def code_rows(r):
    code = r['code']
    rows = [('code a deploy copies: firmware/',
             '%d bytes in %d files (the .py sources: %d bytes)' % (
                 code['firmware'][0], code['firmware'][1], code['firmware_source']), '', '')]
    for board in ('sim', 'esp32', 'pyboard'):
        if board in code:
            rows.append(('code a deploy copies: boards/%s' % board,
                         '%d bytes in %d files' % code[board], '', ''))
    return rows


def describe_rows(r):
    desc = r['describe']
    return [
        ('`describing` line, our node (5 modules)', '%d bytes = %.2f s at %d baud 8N1' % (
            desc['ours']['bytes'], desc['ours']['bytes'] * 10 / BAUD, BAUD), '', ''),
        ('`describing` line, frappy node (2 modules)', '%d bytes' % desc['frappy']['bytes'],
         '', ''),
        ('`describe` round trip on a used TCP connection, %s / frappy' % node_label(
            desc['ours']),
         '%.1f ms / %.1f ms (client with TCP_QUICKACK: %.1f ms / %.1f ms)' % (
             desc['ours']['ms'], desc['frappy']['ms'], desc['ours']['quickack_ms'],
             desc['frappy']['quickack_ms']), '', ''),
    ]


def boot_rows(r):
    boot = r['boot']
    return [('boot to the first `*IDN?` reply (median), our node / frappy',
             '%.0f ms (%d runs) / %.0f ms (%d runs)' % (
                 boot['ours_ms'], boot['ours_runs'], boot['frappy_ms'], boot['frappy_runs']),
             '', '')]


def soak_rows(r):
    if 'error' not in r['soak']:
        return soak_result_rows(r['soak'], r['plan'])
    rows = [('%d mixed requests, %s heap' % (r['plan'].soak_requests, sim.DEFAULT_HEAP),
             'failed: ' + r['soak']['error'], '', '')]
    again = r.get('soak_big_heap', {'error': 'not run'})
    if 'error' in again:
        return rows + [('same, %s heap' % BIG_HEAP, 'failed: ' + again['error'], '', '')]
    return rows + soak_result_rows(again, r['plan'])


def soak_result_rows(s, plan):
    complete = s['requests'] >= plan.soak_requests and s['errors'] == 0 and s['alive']
    return [
        ('%d mixed requests, pipelined, 2 connections, %s heap' % (s['requests'], s['heap']),
         '%.0f/s, %d wrong replies' % (s['rate'], s['errors']), '', ''),
        ('heap growth over them (mem_alloc after collection, end - start)',
         '%+d bytes (%d -> %d)' % (s['growth'], s['samples'][0], s['samples'][-1]),
         '<= %d bytes' % GROWTH_LIMIT, verdict(complete and s['growth'] <= GROWTH_LIMIT)),
    ]


def profile_rows(r):
    default, big = r['profile']['default'], r['profile']['big']
    rows = []
    for (name, us, grown), (_, us_big, _) in zip(default['rows'], big['rows']):
        rows.append(('inside the node, no transport: %s' % name,
                     '%.1f us (%.1f us with a %s heap), %d bytes allocated' % (
                         us, us_big, BIG_HEAP, grown), '', ''))
    rows.append(('gc.collect() with the node built, %s heap' % default['heap'],
                 '%.0f us (%s live, %s free)' % (
                     default['gc']['collect_us'], kb(default['gc']['alloc']),
                     kb(default['gc']['free'])), '', ''))
    return rows


SECTIONS = (
    ('rate', rate_rows), ('activated', activated_rows), ('heap', heap_rows),
    ('imports', import_rows), ('code', code_rows), ('describe', describe_rows),
    ('boot', boot_rows), ('soak', soak_rows), ('profile', profile_rows),
)


def table_rows(r):
    rows = []
    for key, make in SECTIONS:
        rows += failed(r, key) or make(r)
    return rows


def render_table(rows):
    lines = ['| measure | result | target | |', '|---|---|---|---|']
    lines += ['| %s | %s | %s | %s |' % row for row in rows]
    return '\n'.join(lines)


# --- report: the document ----------------------------------------------------------

def render_doc(r, table):
    info, plan = r['machine'], r['plan']
    mode = 'quick smoke run (`--quick`), not representative' if plan.quick else 'full run'
    heap_trials = r['heap'].get('trials', [])
    parts = [
        '# Performance',
        '',
        'Written by `tools/bench.py` (`make bench`, %s). Do not edit by hand: run it again.'
        % mode,
        '',
        '- date: %s' % info['date'],
        '- machine: %d CPUs, %s, Linux %s' % (info['nproc'], info['cpu'], info['kernel']),
        '- versions: %s; CPython %s; frappy-core %s' % (info['micropython'], info['cpython'],
                                                        info['frappy']),
        '- the MicroPython unix port is 64-bit: pointers and object headers take 8 bytes, so',
        '  objects take about twice the heap they take on a 32-bit board (ESP32, STM32).',
        '- this machine is a VM with 2 CPUs shared by the node, the clients and the other',
        '  server: single runs vary by 30 % and more, so rates are medians of interleaved rounds.'
        if info['nproc'] <= 2 else '- rates are medians of interleaved rounds.',
        '',
        '## Results',
        '',
        table,
        '',
        '## Analysis',
        '',
        analysis(r),
        '',
        FINDINGS,
        '',
        METHOD % {'reads': plan.rate_reads, 'rounds': plan.rate_rounds,
                  'heap': sim.DEFAULT_HEAP, 'big_heap': BIG_HEAP,
                  'busy': plan.busy_seconds, 'step': plan.heap_step_k,
                  'low': plan.heap_low_k, 'high': plan.heap_high_k,
                  'scenario_rounds': plan.scenario_rounds, 'describe_runs': plan.describe_runs,
                  'scenario_runs': plan.scenario_runs,
                  'boot_runs': plan.boot_runs, 'soak': plan.soak_requests,
                  'pipeline': plan.pipeline, 'frappy_check': r['frappy_sockets'],
                  'node_check': r['node_sockets']},
        '',
        '## Heap bisection trials',
        '',
        '\n'.join('- %dk: %s' % (k, 'pass' if ok else 'fail (%s)' % why)
                  for k, ok, why in heap_trials) or '-',
        '',
    ]
    if 'error' not in r['imports']:
        parts += ['## mem_info() of the built node (no clients, %s heap)' % BIG_HEAP, '',
                  '```', r['imports']['mem_info'], '```', '']
    return '\n'.join(parts)


def analysis(r):
    """Why the missed targets are missed, with this run's numbers."""
    paragraphs = []
    for keys, explain in ((('rate', 'profile'), rate_analysis),
                          (('heap', 'imports'), heap_analysis),
                          (('describe', 'activated'), nagle_analysis),
                          ((), growth_analysis)):
        if all('error' not in r[key] for key in keys):
            paragraphs.append(explain(r))
    return '\n\n'.join(p for p in paragraphs if p)


def rate_analysis(r):
    rate, prof = r['rate'], r['profile']['default']
    # medians: a burst of load from elsewhere on the machine moves the means (the rates)
    ours_us, big_us = rate['ours']['p50_ms'] * 1e3, rate['ours_big_heap']['p50_ms'] * 1e3
    frappy_us, echo_us = rate['frappy']['p50_ms'] * 1e3, rate['echo']['p50_ms'] * 1e3
    needed_us = frappy_us / RATE_TARGET
    name, read_us, read_bytes = prof['rows'][0]
    gc_us, alloc, free = prof['gc']['collect_us'], prof['gc']['alloc'], prof['gc']['free']
    text = [
        '**Request rate (target %s).** A sequential round trip is latency-bound: the client '
        'sends one line and waits. Median round trips in this run: our node %.0f us with the '
        'default %s heap, %.0f us with a %s heap, frappy %.0f us, and a MicroPython asyncio '
        'server that only answers each line with a fixed reply %.0f us; %.1fx frappy means '
        '%.0f us.' % (
            plain_verdict(rate['ratio'] >= RATE_TARGET), ours_us, sim.DEFAULT_HEAP, big_us,
            BIG_HEAP, frappy_us, echo_us, RATE_TARGET, needed_us)]
    if needed_us <= echo_us:
        text.append('That is below the echo floor: no request handling, however fast, reaches '
                    'it on this machine, where the loopback round trip (two context switches, '
                    'the client\'s own CPython work, the event loop\'s poll) dominates.')
    else:
        text.append('Above the echo floor that leaves %.0f us per request for the node\'s own '
                    'work; it uses %.0f us with the default heap and %.0f us with the big '
                    'one.' % (needed_us - echo_us, ours_us - echo_us, big_us - echo_us))
    text.append(
        'Inside the node, without transport, `%s` takes %.1f us and allocates %d bytes. The '
        'default heap is %d%% full once the node is built (the imported code lives there, see '
        'Heap), so a collection (%.0f us with this live set) is due every %.0f such requests '
        'at most, and allocations of more than one block search a nearly full, fragmented '
        'heap; hence the gain with the big heap.' % (
            name, read_us, read_bytes, 100 * alloc / (alloc + free), gc_us,
            free / read_bytes if read_bytes else float('inf')))
    if echo_us < needed_us < echo_us + read_us:
        text.append('The handling alone takes longer than the time left above the floor, so '
                    'the target needs a request path about %.1fx faster as well as less heap '
                    'pressure.' % (read_us / (needed_us - echo_us)))
    text.append('frappy answers in the thread that read the request, without an event loop.')
    return ' '.join(text)


def flaky_band(heap):
    """Heap sizes at which the node booted but failed the scenario (finding 2), as text."""
    booted = sorted({k for k, ok, why in heap['trials']
                     if not ok and not why.startswith('no READY')})
    if not booted:
        return ''
    return (' (at %s it boots but failed a scenario run; the failures look like finding 2, '
            'a 1 KB block missing in a fragmented heap, and come and go from run to run)'
            % ', '.join('%dk' % k for k in booted))


def heap_analysis(r):
    heap, imp = r['heap'], r['imports']
    if not heap.get('min_k'):
        return ''
    mem, qstr = imp['mem'], imp['qstr']
    imports = mem['firmware'] - mem['runtime']
    at_min = heap['at_min']
    without_code = at_min['mem_load'] - imports
    return (
        '**Heap (target %dk: %s by %dk).** The node needs %dk%s. Importing the firmware from '
        '.mpy takes %s of heap on the unix port (%s of it the qstr pool, the rest bytecode, '
        'constant tables, function and class objects; the .mpy files are %s on disk), because '
        'the unix port loads .mpy code into the GC heap; a board runs the same modules frozen '
        'into flash, where bytecode and qstrs take no heap. The built node (modules, '
        'parameters, datatypes) adds %s; the tasks, the listener and five sessions (each with '
        'a 1 KB line buffer) bring `system:_mem_alloc` to %s under the scenario\'s load. '
        'Without the imported code the live heap is %s on this 64-bit port, roughly half, %s, '
        'on a 32-bit board with frozen firmware, which leaves room in 64k for the garbage '
        'between collections; the bench cannot show that here, because the unix port binary '
        'would have to be rebuilt with the firmware frozen in.' % (
            HEAP_TARGET_K, plain_verdict(False), heap['min_k'] - HEAP_TARGET_K, heap['min_k'],
            flaky_band(heap),
            kb(imports), kb(qstr['firmware'] - qstr['runtime']),
            kb(r['code']['firmware'][0]) if 'error' not in r['code'] else '?',
            kb(mem['built'] - mem['firmware']), kb(at_min['mem_load']), kb(without_code),
            kb(without_code / 2))) if heap['min_k'] > HEAP_TARGET_K else ''


def nagle_analysis(r):
    desc, soaked = r['describe']['ours'], soak_result(r)
    pipeline_cap = 2 * r['plan'].pipeline / DELAYED_ACK_S
    measured = '%.0f/s' % soaked['rate'] if soaked else 'not measured'
    frappy_runs = [r['activated']['frappy', mode] for mode in ('one', 'all')]
    worst = max((a['p99_ms'] for a in frappy_runs if 'error' not in a), default=0)
    frappy_text = ''
    if worst > DELAYED_ACK_S * 1e3 / 2:
        frappy_text = (
            ' frappy, without TCP_NODELAY, shows it with activated clients (p99 %.1f ms): a read of '
            'a changed value sends an update to every activated client, the reader included, '
            'just before the reply.' % worst)
    return (
        '**Segments and delayed ACKs.** On a connection that has carried traffic, `describe` '
        'takes %.1f ms; with the client acknowledging every segment at once (TCP_QUICKACK) '
        '%.1f ms. The node sets TCP_NODELAY on every accepted socket and writes queued lines in '
        'batches of up to 512 bytes before one `drain()`, so neither Nagle\'s algorithm nor '
        'the client\'s %.0f ms delayed ACK holds replies back; before that change `describe` took '
        'about 43 ms and two pipelined connections about 2900 requests/s. Without it the cap '
        'would be %d replies in flight per connection, one segment per ACK, about %.0f '
        'requests/s; measured: %s.%s' % (
            desc['ms'], desc['quickack_ms'], DELAYED_ACK_S * 1e3, r['plan'].pipeline,
            pipeline_cap, measured,
            frappy_text))


def soak_result(r):
    """The soak that ran through: with the default heap, else with the big one, else None."""
    for key in ('soak', 'soak_big_heap'):
        if key in r and 'error' not in r[key]:
            return r[key]
    return None


def growth_analysis(r):
    s = soak_result(r)
    failed_default = ''
    if 'error' in r['soak']:
        failed_default = (' With the default %s heap the run failed (%s): see Firmware '
                          'findings 2.' % (sim.DEFAULT_HEAP, r['soak']['error']))
    if s is None:
        return '**Heap growth (target not measured).**' + failed_default
    return ('**Heap growth (target %s).** %d requests with a %s heap changed '
            '`system:_mem_alloc` after collection by %+d bytes; before, between the five '
            'segments and after: %s.%s' % (
                plain_verdict(s['growth'] <= GROWTH_LIMIT and s['errors'] == 0), s['requests'],
                s['heap'], s['growth'], ', '.join(str(x) for x in s['samples']),
                failed_default))


FINDINGS = r'''## Firmware findings, and what was done

1. **Nagle + delayed ACK on TCP** (found by this bench: `describe` 43 ms on a used connection,
   pipelined requests capped near 2900/s). Fixed: `transport/tcp.py` sets TCP_NODELAY on each
   accepted socket (by number, 6 and 1: the unix port has no named constants; lwIP takes the
   same), and `transport/connection.py` writes queued lines in batches of up to 512 bytes
   before one `drain()`.
2. **A MemoryError while writing `describing`** (with the 192k heap) ended the writer task but
   left the reader waiting, so the client got neither reply nor close. Fixed: a failing writer
   cancels the connection's task, so the client sees the end at once; `encode_str` escapes
   printable ASCII with `str.replace` and goes character by character only for other
   characters, so the node description no longer needs a 1 KB list; a MemoryError while an
   error reply is built is answered with a fixed `error  ["InternalError","out of memory",{}]`
   line; the simulator's default heap is now 256k, above the 192k the scenario needs.
   Not done: preallocating the line buffers of all `max_clients` connections at start.
3. **Request path allocations**: the request is decoded once, split once, the `read_<name>`
   hooks are looked up once at start, doubles are written without the generic encoder, and
   the specifier's characters are checked only where a reply would echo them: `read
   heater:value` went from about 1150 to about 930 allocated bytes and 28 to 22 us inside the
   node. The rest (the decoded line, the report, the reply line) is the price of building
   replies as strings; on a board, freezing the firmware frees the heap the code takes and
   makes collections rarer.
'''

METHOD = '''## Method

- **Request rate**: one TCP client on 127.0.0.1 sends `read heater:value` and waits for the
  reply, %(reads)d times per round after 200 warm-up requests; %(rounds)d rounds interleave our
  node (`tools/sim.py`, %(heap)s heap, real time), the same with a %(big_heap)s heap, the
  frappy-core node and the echo server; per server the round with the median rate is reported,
  with p50/p99 over its round trips. Rate = requests / sum of round-trip times.
- **Activated clients**: four TCP clients send `activate`, then `change heater:target 40`
  starts a heating step so updates flow; for %(busy)s s either client 1 reads while clients 2-4
  only receive (a thread each drains their sockets), or all four read (a thread each; the
  client threads share one CPython process). Rate = requests / wall time.
- **Fallback**: a measurement on our node that fails with the %(heap)s heap (Firmware
  findings 2) is repeated on our node with the %(big_heap)s heap; the table names the heap
  used and the failure. The same holds for the heap-growth run.
- **frappy node**: a subclass of frappy-core's `Server` whose `run()` (which would start UDP
  discovery) is never called; `Server._processCfg()` builds frappy's `SecNode`, `Dispatcher`
  and the modules `outside` (Readable) and `heater` (Drivable: target 0..90, `_maxheaterpower`
  0..100 W, `stop`, `_examplecommand` struct{a: 0..10, b} -> double; its value approaches
  the target and changes every 0.5 s, poll interval 0.5 s); frappy's `TCPRequestHandler`
  serves on a `DualStackTCPServer` bound to 127.0.0.1; frappy's logger at level info, as
  `frappy-server` runs by default. `frappy.server.UDPListener` is replaced by a function that
  raises. Checked in `/proc/<pid>/fd` and `/proc/<pid>/net/{tcp,tcp6,udp,udp6}`:
  frappy: %(frappy_check)s; our node: %(node_check)s.
- **Echo floor**: a MicroPython asyncio server (`readline`, `write`, `drain`) that answers
  every line with a fixed 50-byte reply: the round trip without any SECoP work.
- **Heap scenario** (`tools/sim.py --uart auto --speed 20 --heap N`): one TCP client reads
  `system:_mem_alloc` (after boot); three more TCP clients and the serial client (pty)
  connect; each sends `*IDN?`, `describe` (the JSON must parse) and `activate`; then
  %(scenario_rounds)d rounds in which every client sends `read heater:value`, `read
  outside:value`, `change heater:_maxheaterpower 50`, `do heater:_examplecommand
  {"a":2.5,"b":4}`, `check heater:target 30`, `ping`, `change heater:_maxheaterpower 100`,
  each reply checked; then a heating step (window 2 s, target 22 -> 26 degC) until the loop
  is IDLE again, pinging the other clients meanwhile; `system:_mem_alloc` again (under load);
  a last ping on every client. It passes if every reply is right, the node is alive and its
  stderr shows no error; every client waits at most 5 s for a reply. A heap size passes if
  %(scenario_runs)d runs in a row pass (a fresh node each). Bisection between %(low)dk and
  %(high)dk down to %(step)dk; the minimum found must pass once more (else the next step up
  is tried).
- **Imports**: a MicroPython script with the deploy's .mpy files on MICROPYPATH
  (`.frozen:<firmware>:<boards/sim>`) and a %(big_heap)s heap: `gc.mem_alloc()` after
  `gc.collect()` and `micropython.qstr_info()` before and after `import asyncio, time` (the
  runtime, frozen into the binary) and `import app, board` (every firmware module), and after
  building the node from boards/sim/config.json.
- **Code size**: `tools/build_mpy.build()` of firmware/ and of each board directory with a
  board.py into a temporary directory: the .mpy files plus main.py, as a deploy copies them.
- **describe**: the `describing` line's length including LF; at 115200 baud 8N1 a byte takes
  10 bit times. The round trip is timed on a connection after 300 pings, median of
  %(describe_runs)d, with and without TCP_QUICKACK set on the client before every `recv`.
- **Boot**: from starting the micropython process (as sim.py starts it, without sim.py) or
  the frappy child process until the first `*IDN?` reply, connecting every 2 ms; median of
  %(boot_runs)d runs (frappy: at least 3).
- **Heap growth**: %(soak)d requests from a fixed mix (read, change, ping, do, check, and
  `describe` every 1000th) over two connections (one activated), %(pipeline)d requests in
  flight per connection, every reply's action checked, after 2000 warm-up requests per
  connection; the node has the default heap. `system:_mem_alloc` (the read collects first;
  the minimum of three reads on a third connection) before, between five segments and after.
- **Inside the node**: a MicroPython script builds the node from boards/sim/config.json and
  calls `Node.handle()` + `Session.pop()` 1000 times per request type (best of 7), in the
  default and in the big heap, and counts the bytes allocated with the GC disabled.
'''


# --- main --------------------------------------------------------------------------

def measure(plan, log):
    workdir = tempfile.mkdtemp(prefix='bench-')
    previous = os.environ.get('TMPDIR')
    # sim.py leaves a temporary directory behind per run: make it one inside ours
    os.environ['TMPDIR'] = workdir
    try:
        return measure_in(plan, log, workdir)
    finally:
        if previous is None:
            del os.environ['TMPDIR']
        else:
            os.environ['TMPDIR'] = previous
        shutil.rmtree(workdir, ignore_errors=True)


def measure_in(plan, log, workdir):
    r = {'plan': plan, 'machine': machine_info()}
    log('code size, imports, request path inside the node ...')
    trees = build_deploy(os.path.join(workdir, 'deploy'))
    r['code'] = guarded(code_size, trees)
    r['imports'] = guarded(import_heap, trees, workdir)
    r['profile'] = guarded(request_profiles, trees, workdir)
    log('request rate: our node, frappy, echo floor ...')
    network = guarded(network_measurements, plan, workdir, log)
    for key in ('rate', 'describe', 'activated'):
        r[key] = network.get(key, network)
    r['frappy_sockets'] = network.get('frappy_sockets', '?')
    r['node_sockets'] = network.get('node_sockets', '?')
    log('heap bisection ...')
    r['heap'] = guarded(bisect_heap, plan, log)
    log('boot time ...')
    r['boot'] = guarded(boot_times, plan, workdir)
    log('heap growth over %d requests ...' % plan.soak_requests)
    r['soak'] = guarded(soak, plan, log)
    if 'error' in r['soak']:
        log('  failed (%s); again with a %s heap' % (r['soak']['error'], BIG_HEAP))
        r['soak_big_heap'] = guarded(soak, plan, log, BIG_HEAP)
    return r


def network_measurements(plan, workdir, log):
    """Rates, describe and activated clients, with all servers running side by side."""
    servers = {'ours': SimNode(), 'ours_big_heap': SimNode(heap=BIG_HEAP),
               'frappy': FrappyNode(workdir), 'echo': EchoNode(workdir)}
    try:
        for name, server in servers.items():
            if not server.ready:
                raise RuntimeError('%s did not start: %s' % (name, last_line(server.stderr())))
        node_pid = servers['ours'].node_pid()
        r = {'frappy_sockets': check_loopback_only(servers['frappy'].pid),
             'node_sockets': (check_loopback_only(node_pid) if node_pid else
                              'micropython process not found')}
        r['rate'] = compare_rates(plan, servers)
        log('describe ...')
        r['describe'] = guarded(describe_figures, plan, servers)
        log('4 activated clients ...')
        r['activated'] = activated_rates(plan, servers)
        r['frappy_sockets'] = check_loopback_only(servers['frappy'].pid) + (
            ', when it started and again after the measurements')
        return r
    finally:
        for server in servers.values():
            server.stop()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: fewer requests, coarse bisection (about a minute)')
    parser.add_argument('--output', help='Markdown file to write (default: %s, or %s with '
                        '--quick)' % (os.path.relpath(DOC, ROOT), os.path.relpath(QUICK_DOC, ROOT)))
    parser.add_argument('--serve-frappy', type=int, metavar='PORT', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.serve_frappy:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        serve_frappy(args.serve_frappy)
        return 0
    plan = Plan(args.quick)
    started = time.monotonic()

    def log(text):
        print('[%5.0f s] %s' % (time.monotonic() - started, text), file=sys.stderr, flush=True)

    results = measure(plan, log)
    table = render_table(table_rows(results))
    print(table)
    output = args.output or (QUICK_DOC if plan.quick else DOC)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, 'w') as f:
        f.write(render_doc(results, table))
    log('wrote %s' % os.path.relpath(output, ROOT))
    return 0


if __name__ == '__main__':
    sys.exit(main())
