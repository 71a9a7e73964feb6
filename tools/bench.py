#!/usr/bin/env python3
"""Benchmark of the SEC node under the MicroPython unix port (``make bench``).

    .venv/bin/python tools/bench.py [--quick] [--only NAME,...] [--docs]

Measures: sequential request rate over loopback TCP against a frappy-core
node with the tutorial's two modules (CPython, same run) and a MicroPython
asyncio echo server (the floor of a round trip); the ``describing`` line and
its round trip; the smallest ``-X heapsize`` passing the five-client scenario
(bisection); heap taken by importing the firmware and building the node;
code size; time and bytes per request inside the node; boot time; heap drift
over many pipelined requests (``soak.drift``).

Writes the figures to build/bench.json and a table to build/bench.md, and
prints the table.  ``--docs`` also puts the table into docs/performance.md
between its ``bench:begin``/``bench:end`` markers; the prose around it is
written by people.  A measurement that fails is a ``failed`` row; the others
still run.  Never part of ``make test``.

The frappy node is tools/frappy_node.py in a child process; /proc must show
no UDP socket of it or of our node (whose discovery is off in the bench).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import mpy_probe  # noqa: E402
import soak  # noqa: E402
from simnode import (MICROPYTHON, LineClient, SimNode, free_port, percentile,  # noqa: E402
                     read_line, stop_process, value_of)

OUT = os.path.join(ROOT, 'build')
DOC = os.path.join(ROOT, 'docs', 'performance.md')
DEFAULT_HEAP, BIG_HEAP = '256k', '1m'
READ = 'read heater:value'
BAUD = 115200


class Plan:
    """How much work each measurement does: a full run, or a quick smoke run."""

    def __init__(self, quick):
        self.quick = quick
        self.rate_reads = 1000 if quick else 3000       # per round and server
        self.rate_rounds = 1 if quick else 5            # interleaved over the servers
        self.heap_step_k = 32 if quick else 4           # bisection granularity
        self.heap_low_k, self.heap_high_k = 64, 256
        self.scenario_rounds = 2 if quick else 10       # request rounds per client
        self.boot_runs = 3 if quick else 7
        self.drift_requests = 10000 if quick else 100000


# --- servers to compare with --------------------------------------------------

class Server:
    """A child process that prints ``READY`` once it serves on ``port``."""

    def __init__(self, cmd, env=None, port=None, timeout=30):
        self.port = port
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env)
        self.pid = self.proc.pid
        if timeout and not read_line(self.proc.stdout, 'READY', timeout):
            self.stop()
            raise RuntimeError('%s did not start' % os.path.basename(cmd[1]))

    def stop(self):
        code = stop_process(self.proc)
        self.proc.stdout.close()
        return code


def frappy_server(workdir, wait=True):
    env = dict(os.environ, **{'FRAPPY_' + key: workdir for key in ('PIDDIR', 'LOGDIR', 'CONFDIR')})
    port = free_port()
    return Server([sys.executable, os.path.join(ROOT, 'tools', 'frappy_node.py'), str(port)],
                  env, port, 30 if wait else 0)


ECHO = '''import asyncio, sys
REPLY = b'reply heater:value [22.0123,{"t":1795466000.123}]\\n'
async def serve(reader, writer):
    while await reader.readline():
        writer.write(REPLY)
        await writer.drain()
async def main(port):
    await asyncio.start_server(serve, "127.0.0.1", port)
    print("READY")
    while True:
        await asyncio.sleep(3600)
asyncio.run(main(int(sys.argv[1])))
'''


def echo_server(workdir):
    path = os.path.join(workdir, 'echo.py')
    with open(path, 'w') as f:
        f.write(ECHO)
    port = free_port()
    return Server([MICROPYTHON, '-X', 'heapsize=' + DEFAULT_HEAP, path, str(port)], port=port)


def udp_sockets(pid):
    """UDP sockets the process owns (from /proc), to prove discovery is off."""
    inodes = set()
    for name in os.listdir('/proc/%d/fd' % pid):
        try:
            target = os.readlink('/proc/%d/fd/%s' % (pid, name))
        except OSError:
            continue
        if target.startswith('socket:['):
            inodes.add(target[8:-1])
    found = 0
    for proto in ('udp', 'udp6'):
        with open('/proc/%d/net/%s' % (pid, proto)) as f:
            found += sum(1 for line in f.readlines()[1:] if line.split()[9] in inodes)
    return found


# --- request rate and describe --------------------------------------------------

def round_trips(port, count, request=READ):
    """Seconds per sequential round trip, after 200 warm-up requests."""
    conn = LineClient(('127.0.0.1', port), 10)
    try:
        for _ in range(200):
            conn.ask(request)
        times = []
        for _ in range(count):
            start = time.perf_counter()
            if not conn.ask(request).startswith('reply '):
                raise AssertionError('no reply to %r' % request)
            times.append(time.perf_counter() - start)
        return times
    finally:
        conn.close()


def rates(plan, servers):
    """Interleaved rounds per server; per server the round with the median rate."""
    rounds = {name: [] for name in servers}
    for _ in range(plan.rate_rounds):
        for name, server in servers.items():
            times = round_trips(server.port, plan.rate_reads)
            rounds[name].append({'rate': len(times) / sum(times),
                                 'p50_ms': percentile(times, 0.5) * 1e3,
                                 'p99_ms': percentile(times, 0.99) * 1e3})
    return {name: sorted(runs, key=lambda r: r['rate'])[len(runs) // 2]
            for name, runs in rounds.items()}


def describe(port, runs=5):
    """Bytes of the ``describing`` line, and its round trip on a used connection (ms)."""
    conn = LineClient(('127.0.0.1', port), 10)
    try:
        for _ in range(300):
            conn.ask('ping')
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            line = conn.ask('describe')
            times.append(time.perf_counter() - start)
        return {'bytes': len(line) + 1, 'ms': statistics.median(times) * 1e3}
    finally:
        conn.close()


def network(plan, workdir, log):
    servers = {}
    try:
        servers['ours'] = SimNode(heap=DEFAULT_HEAP, discovery_port=0)
        servers['ours_big_heap'] = SimNode(heap=BIG_HEAP, discovery_port=0)
        servers['frappy'] = frappy_server(workdir)
        servers['echo'] = echo_server(workdir)
        udp = udp_sockets(servers['frappy'].pid) + udp_sockets(servers['ours'].node_pid())
        if udp:
            raise RuntimeError('%d UDP sockets in the frappy node or ours' % udp)
        log('request rate: our node, frappy, echo floor ...')
        result = {'rate': rates(plan, servers)}
        log('describe ...')
        result['describe'] = {name: describe(servers[name].port) for name in ('ours', 'frappy')}
        return result
    finally:
        for server in servers.values():
            server.stop()


# --- heap: the five-client scenario and bisection -------------------------------

SCENARIO = (
    (READ, 'reply heater:value '),
    ('read outside:value', 'reply outside:value '),
    ('change heater:_maxheaterpower 50', 'changed heater:_maxheaterpower [50.0,'),
    ('do heater:_examplecommand {"a":2.5,"b":4}', 'done heater:_examplecommand [10.0,'),
    ('check heater:target 30', 'checked heater:target [30.0,'),
    ('ping s', 'pong s '),
    ('change heater:_maxheaterpower 100', 'changed heater:_maxheaterpower [100.0,'),
)


def expect(reply, prefix):
    if not reply.startswith(prefix):
        raise AssertionError('expected %r, got %r' % (prefix, reply[:160]))
    return reply


def scenario(node, rounds, timeout=5.0):
    """4 TCP clients and the serial client: *IDN?, describe, activate, rounds of
    SCENARIO, then a heating step 22 -> 26 degC until IDLE; (heap at boot, under load)."""
    clients = [LineClient(('127.0.0.1', node.port), timeout)]
    try:
        boot = value_of(clients[0].ask('read system:_mem_alloc'))
        clients += [node.client(timeout) for _ in range(3)] + [node.serial_client(timeout)]
        for conn in clients:
            expect(conn.ask('*IDN?'), 'ISSE')
            json.loads(expect(conn.ask('describe'), 'describing . ')[13:])
            expect(conn.ask('activate'), 'active')
        for _ in range(rounds):
            for conn in clients:
                for request, prefix in SCENARIO:
                    expect(conn.ask(request), prefix)
        probe = clients[0]
        expect(probe.ask('change heater:_window 2'), 'changed ')
        expect(probe.ask('change heater:target 26'), 'changed heater:target [26.0,')
        busy, code, end = False, None, time.monotonic() + 60
        while not busy or code != 100:
            if time.monotonic() > end:
                raise AssertionError('the heating step did not settle within 60 s')
            code = value_of(expect(probe.ask('read heater:status'), 'reply '))[0]
            busy = busy or 300 <= code < 400
            for conn in clients[1:]:            # keep their updates flowing
                expect(conn.ask('ping h'), 'pong h ')
            time.sleep(0.1)
        return boot, value_of(probe.ask('read system:_mem_alloc'))
    finally:
        for conn in clients:
            conn.close()


def heap_trial(heap_k, rounds):
    """{'ok': True, 'boot', 'load'} or {'ok': False, 'why'} for one fresh node."""
    try:
        node = SimNode(heap='%dk' % heap_k, speed=20, uart=True)
    except RuntimeError as exc:
        return {'ok': False, 'why': 'no READY: ' + str(exc).splitlines()[-1]}
    try:
        boot, load = scenario(node, rounds)
        if not node.alive() or 'Error' in node.stderr:
            return {'ok': False, 'why': (node.stderr.strip().splitlines() or ['exited'])[-1]}
        return {'ok': True, 'boot': boot, 'load': load}
    except (AssertionError, OSError, EOFError, ValueError) as exc:
        return {'ok': False, 'why': '%s: %s' % (type(exc).__name__, exc)}
    finally:
        node.stop()


def bisect_heap(plan, log):
    """Smallest passing heap (k) at the plan's step; the minimum must pass twice."""
    trials = []

    def trial(k):
        result = heap_trial(k, plan.scenario_rounds)
        trials.append([k, result['ok'], result.get('why', '')])
        log('  heap %4dk: %s' % (k, 'pass' if result['ok'] else 'FAIL (%s)' % result['why']))
        return result

    low, high = plan.heap_low_k, plan.heap_high_k
    top = passing = trial(high)
    if not top['ok']:
        return {'min_k': None, 'trials': trials}
    while high - low > plan.heap_step_k:
        mid = (low + high) // 2 // plan.heap_step_k * plan.heap_step_k
        result = trial(mid)
        if result['ok']:
            high, passing = mid, result
        else:
            low = mid
    while high < plan.heap_high_k and not trial(high)['ok']:    # GC timing varies
        high += plan.heap_step_k
    return {'min_k': high, 'trials': trials, 'at_min': passing, 'top': top}


# --- boot and heap drift ---------------------------------------------------------

def time_to_idn(port, started, proc, limit_s=30):
    end = time.monotonic() + limit_s
    while time.monotonic() < end and proc.poll() is None:
        try:
            conn = LineClient(('127.0.0.1', port), 5)
        except OSError:
            time.sleep(0.002)
            continue
        try:
            expect(conn.ask('*IDN?'), 'ISSE')
            return time.perf_counter() - started
        finally:
            conn.close()
    raise RuntimeError('no *IDN? reply within %d s' % limit_s)


def boot(plan, workdir):
    """Median ms from starting the process to the first ``*IDN?`` reply: the
    micropython process as sim.py starts it (sim.py itself not counted), and frappy."""
    import sim
    config = os.path.join(workdir, 'boot.json')
    ours, frappy = [], []
    for _ in range(plan.boot_runs):
        port = free_port()
        sim.prepare_config(sim.parse_args(['--port', str(port)]), config)
        node = Server(*sim.node_command(DEFAULT_HEAP, config), port=port, timeout=0)
        try:
            ours.append(time_to_idn(port, node.started, node.proc))
        finally:
            node.stop()
    for _ in range(3):
        server = frappy_server(workdir, wait=False)
        try:
            frappy.append(time_to_idn(server.port, server.started, server.proc))
        finally:
            server.stop()
    return {'ours_ms': statistics.median(ours) * 1e3, 'frappy_ms': statistics.median(frappy) * 1e3}


def heap_drift(plan, log):
    node = SimNode(heap=DEFAULT_HEAP)
    try:
        return soak.drift(node.port, plan.drift_requests, log)
    finally:
        node.stop()


# --- the table ----------------------------------------------------------------------

def rows(r):
    """(measure, result) pairs; a failed measurement is one row saying so."""
    def kb(n):
        return '%.1f KB' % (n / 1024)

    def rate(x):
        return '%.0f/s (p50 %.3f ms, p99 %.3f ms)' % (x['rate'], x['p50_ms'], x['p99_ms'])

    sections = {
        'network': lambda n: [
            ('sequential `%s`, our node (%s heap)' % (READ, DEFAULT_HEAP), rate(n['rate']['ours'])),
            ('same, our node with a %s heap' % BIG_HEAP, rate(n['rate']['ours_big_heap'])),
            ('same, frappy-core node (CPython)', rate(n['rate']['frappy'])),
            ('ratio ours / frappy', '%.2fx' % (n['rate']['ours']['rate'] /
                                               n['rate']['frappy']['rate'])),
            ('same, MicroPython asyncio echo server (floor)', rate(n['rate']['echo'])),
            ('`describing` line, our node / frappy', '%d / %d bytes (%.2f s at %d baud)' % (
                n['describe']['ours']['bytes'], n['describe']['frappy']['bytes'],
                n['describe']['ours']['bytes'] * 10 / BAUD, BAUD)),
            ('`describe` round trip on a used connection, ours / frappy', '%.1f / %.1f ms' % (
                n['describe']['ours']['ms'], n['describe']['frappy']['ms']))],
        'heap': lambda h: [
            ('smallest heap passing the 5-client scenario (4 TCP + serial)',
             '%dk (step %dk)' % (h['min_k'], r['plan']['heap_step_k']) if h['min_k'] else
             'none up to %dk: %s' % (r['plan']['heap_high_k'], h['trials'][0][2]))] + ([
            ('system:_mem_alloc after boot / under load, at %dk' % h['min_k'],
             '%s / %s' % (kb(h['at_min']['boot']), kb(h['at_min']['load'])))]
            if h['min_k'] else []),
        'inside': lambda i: [
            ('heap taken by importing the firmware (.mpy)', '%s, of which qstr pool %s' % (
                kb(i['mem']['firmware'] - i['mem']['runtime']), kb(i['qstr']))),
            ('heap of the built node, no clients, no tasks',
             kb(i['mem']['built'] - i['mem']['firmware']))] + [
            ('inside the node, no transport: `%s`' % name, '%.1f us, %d bytes allocated' % (
                us, grown)) for name, us, grown in i['requests']],
        'code': lambda c: [('code a deploy copies: %s' % path, '%d bytes in %d files' % tuple(v))
                           for path, v in c.items()],
        'boot': lambda b: [('boot to the first `*IDN?` reply (median), ours / frappy',
                            '%.0f / %.0f ms' % (b['ours_ms'], b['frappy_ms']))],
        'drift': lambda d: [
            ('%d pipelined mixed requests, 2 connections, %s heap' % (d['requests'], DEFAULT_HEAP),
             '%.0f/s, %d wrong replies' % (d['rate'], d['wrong'])),
            ('heap drift over them (mem_alloc after collection, end - start)',
             '%+d bytes (%s)' % (d['growth'], ', '.join(str(x) for x in d['samples'])))],
    }
    out = []
    for key, make in sections.items():
        if key in r:
            out += [(key, 'failed: ' + r[key]['error'])] if 'error' in r[key] else make(r[key])
    return out


def table(r):
    m = r['machine']
    lines = ['Measured %s on %s (%d CPUs), %s, CPython %s, frappy-core %s%s.' % (
        m['date'], m['cpu'], m['nproc'], m['micropython'], m['cpython'], m['frappy'],
        '; quick run (`--quick`), not representative' if r['plan']['quick'] else ''), '',
        '| measure | result |', '|---|---|']
    return '\n'.join(lines + ['| %s | %s |' % row for row in rows(r)]) + '\n'


def machine():
    cpu = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                if line.startswith('model name')), 'unknown')
    from frappy.version import get_version
    return {'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), 'cpu': cpu,
            'nproc': os.cpu_count(),
            'micropython': subprocess.run([MICROPYTHON, '--version'], capture_output=True,
                                          text=True).stdout.strip(),
            'cpython': platform.python_version(), 'frappy': get_version()}


def into_docs(text, path=DOC, name='bench'):
    """Replace what stands between the ``<!-- name:begin -->`` and ``<!-- name:end -->``
    markers of ``path``: generated figures inside prose that people write."""
    with open(path) as f:
        doc = f.read()
    begin, end = '<!-- %s:begin -->\n' % name, '<!-- %s:end -->' % name
    if begin not in doc or end not in doc:
        raise SystemExit('%s has no %s ... %s markers' % (path, begin.strip(), end))
    head, rest = doc.split(begin, 1)
    with open(path, 'w') as f:
        f.write(head + begin + text + end + rest.split(end, 1)[1])


# --- main --------------------------------------------------------------------------

def guarded(function, *args):
    """The result of ``function``, or {'error': text} if it raised."""
    try:
        return function(*args)
    except Exception as exc:  # one failed measurement must not lose the others
        traceback.print_exc()
        return {'error': '%s: %s' % (type(exc).__name__, str(exc)[:200])}


def measure(plan, only, log):
    steps = (('inside', 'imports and the request path inside the node',
              lambda w: mpy_probe.inside(w, DEFAULT_HEAP)),
             ('code', 'code size', mpy_probe.code_size),
             ('network', 'servers', lambda w: network(plan, w, log)),
             ('heap', 'heap bisection', lambda w: bisect_heap(plan, log)),
             ('boot', 'boot time', lambda w: boot(plan, w)),
             ('drift', 'heap drift over %d requests' % plan.drift_requests,
              lambda w: heap_drift(plan, log)))
    r = {'plan': vars(plan), 'machine': machine()}
    with tempfile.TemporaryDirectory(prefix='bench-') as workdir:
        for key, label, function in steps:
            if not only or key in only:
                log(label + ' ...')
                r[key] = guarded(function, workdir)
    return r


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: fewer requests, coarse bisection (a few minutes)')
    parser.add_argument('--only', help='comma-separated: inside, code, network, heap, boot, '
                        'drift (default: all)')
    parser.add_argument('--docs', action='store_true',
                        help='also put the table into docs/performance.md (between markers)')
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(text):
        print('[%5.0f s] %s' % (time.monotonic() - started, text), file=sys.stderr, flush=True)

    results = measure(Plan(args.quick), args.only.split(',') if args.only else (), log)
    text = table(results)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'bench.json'), 'w') as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(OUT, 'bench.md'), 'w') as f:
        f.write(text)
    print(text, end='')
    log('wrote build/bench.json and build/bench.md')
    if args.docs:
        into_docs(text)
        log('wrote the table into docs/performance.md')
    return 0


if __name__ == '__main__':
    sys.exit(main())
