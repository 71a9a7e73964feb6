#!/usr/bin/env python3
"""Benchmark of the SEC node under the MicroPython unix port (``make bench``).

    .venv/bin/python tools/bench.py [--quick] [--only NAME,...] [--docs]

Request rate against a frappy-core node (tools/frappy_node.py) and a MicroPython
asyncio echo server (the floor); ``describe``; the smallest ``-X heapsize`` passing
the 5-client and the Pyboard-like scenario (bisection); imports, built node, code
size and per-request cost (tools/mpy_probe.py); the 32-bit live heap of the Pyboard
and ESP32-like scenarios and the bytes per request kind, in the WebAssembly port
(``wasm32``); boot time; heap drift.  Writes build/bench.json and the table
build/bench.md; ``--docs`` also puts the table into docs/performance.md between its
``bench:begin``/``bench:end`` markers and the board table (from ``wasm32``) into
README.md between ``heap:begin``/``heap:end``.  A failed measurement is a ``failed``
row; the others still run.
"""

import argparse
import collections
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
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import mpy_probe  # noqa: E402
from simnode import (MICROPYTHON, LineClient, SimNode, free_port, heap_figures,  # noqa: E402
                     percentile, read_line, stop_process, value_of)

OUT = os.path.join(ROOT, 'build')
DOC = os.path.join(ROOT, 'docs', 'performance.md')
README = os.path.join(ROOT, 'README.md')
# what each scenario's board offers the heap (README's board table)
BOARD_HEAP = {'Pyboard': ('Pyboard v1.1', 'about 98 KB'),
              'ESP32-like': ('ESP32 without PSRAM', 'about 110 KB at start'),
              'Pico W': ('Pico W (RP2040) / Pico 2 W (RP2350)', 'about 160 KB / 400 KB')}
DEFAULT_HEAP, BIG_HEAP = '256k', '1m'
HEAP_LOW_K, HEAP_HIGH_K = 64, 320        # bisection range
READ = 'read heater:value'
BAUD = 115200
# name: TCP clients besides the serial one (none: TCP off in the config), description
SCENARIOS = {'5-client': (4, '4 TCP + serial'), 'Pyboard-like': (0, 'serial only, TCP off')}
SCENARIO = (                              # (request, reply prefix) for the scenario and drift
    (READ, 'reply heater:value '),
    ('read outside:value', 'reply outside:value '),
    ('change heater:_maxheaterpower 50', 'changed heater:_maxheaterpower [50.0,'),
    ('do heater:_examplecommand {"a":2.5,"b":4}', 'done heater:_examplecommand [10.0,'),
    ('check heater:target 30', 'checked heater:target [30.0,'),
    ('ping s', 'pong s '),
    ('change heater:_maxheaterpower 100', 'changed heater:_maxheaterpower [100.0,'),
)


# How much work each measurement does (scenario_rounds: request rounds per client)
Plan = collections.namedtuple('Plan', 'quick rate_reads rate_rounds heap_step_k '
                              'scenario_rounds boot_runs drift_requests')
FULL, QUICK = Plan(False, 3000, 5, 4, 10, 7, 100000), Plan(True, 1000, 1, 32, 2, 3, 10000)


def expect(reply, prefix):
    if not reply.startswith(prefix):
        raise AssertionError('expected %r, got %r' % (prefix, reply[:160]))
    return reply


# --- servers to compare with ---
class Server:
    """A child process serving on ``port`` once it printed a line starting with ``ready``."""

    def __init__(self, cmd, port, env=None, ready='READY'):
        self.port, self.started = port, time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env)
        if not read_line(self.proc.stdout, ready, 30):
            self.stop()
            raise RuntimeError('the %s server did not start' % os.path.basename(cmd[0]))

    def stop(self):
        stop_process(self.proc)
        self.proc.stdout.close()


def frappy_server(workdir):
    env = dict(os.environ, **{'FRAPPY_' + key: workdir for key in ('PIDDIR', 'LOGDIR', 'CONFDIR')})
    port = free_port()
    return Server([sys.executable, os.path.join(ROOT, 'tools', 'frappy_node.py'), str(port)],
                  port, env)


ECHO = '''import asyncio, sys
async def serve(reader, writer):
    while await reader.readline():
        writer.write(b'reply heater:value [22.0123,{"t":1795466000.123}]\\n')
        await writer.drain()
async def main():
    await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    print("READY")
    while True:
        await asyncio.sleep(3600)
asyncio.run(main())
'''


def echo_server():
    port = free_port()
    return Server([MICROPYTHON, '-X', 'heapsize=' + DEFAULT_HEAP, '-c', ECHO, str(port)], port)


# --- request rate and describe ---
def round_trips(port, request, count):
    """Seconds per sequential round trip of ``request`` after 200 warm-up reads, and
    the last reply."""
    with LineClient(('127.0.0.1', port), 10) as conn:
        for _ in range(200):
            conn.ask(READ)
        times = []
        for _ in range(count):
            start = time.perf_counter()
            line = expect(conn.ask(request), ('reply ', 'describing '))
            times.append(time.perf_counter() - start)
        return times, line


def network(plan, workdir, log):
    """Rates: interleaved rounds, per server the round with the median rate; describe."""
    servers = {}
    try:
        servers['ours'] = SimNode(heap=DEFAULT_HEAP, discovery_port=0)
        servers['ours_big_heap'] = SimNode(heap=BIG_HEAP, discovery_port=0)
        servers['frappy'] = frappy_server(workdir)
        servers['echo'] = echo_server()
        log('request rate: our node, frappy, echo floor ...')
        rounds = {name: [] for name in servers}
        for _ in range(plan.rate_rounds):
            for name, server in servers.items():
                times, _ = round_trips(server.port, READ, plan.rate_reads)
                rounds[name].append({'rate': len(times) / sum(times),
                                     'p50_ms': percentile(times, 0.5) * 1e3,
                                     'p99_ms': percentile(times, 0.99) * 1e3})
        result = {'rate': {name: sorted(runs, key=lambda r: r['rate'])[len(runs) // 2]
                           for name, runs in rounds.items()}, 'describe': {}}
        log('describe ...')
        for name in ('ours', 'frappy'):
            times, line = round_trips(servers[name].port, 'describe', 5)
            result['describe'][name] = {'bytes': len(line) + 1,
                                        'ms': statistics.median(times) * 1e3}
        return result
    finally:
        for server in servers.values():
            server.stop()


# --- heap: the scenarios and bisection ---
def scenario(node, tcp_clients, rounds, timeout=5.0):
    """The serial client and ``tcp_clients`` TCP ones: *IDN?, describe, activate, rounds
    of SCENARIO, then a heating step 22 -> 26 degC until IDLE; (heap at boot, under load)."""
    clients = [node.serial_client(timeout)]
    try:
        boot = value_of(clients[0].ask('read system:_mem_alloc'))
        clients += [node.client(timeout) for _ in range(tcp_clients)]
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


def heap_trial(heap_k, tcp_clients, config, rounds):
    """{'ok': True, 'boot', 'load'} or {'ok': False, 'why'} for one fresh node."""
    try:
        node = SimNode(heap='%dk' % heap_k, speed=20, uart=True, config=config)
    except RuntimeError as exc:
        return {'ok': False, 'why': 'no READY: ' + str(exc).splitlines()[-1]}
    try:
        boot, load = scenario(node, tcp_clients, rounds)
        if not node.alive() or 'Error' in node.stderr:
            return {'ok': False, 'why': (node.stderr.strip().splitlines() or ['exited'])[-1]}
        return {'ok': True, 'boot': boot, 'load': load}
    except (AssertionError, OSError, EOFError, ValueError) as exc:
        return {'ok': False, 'why': '%s: %s' % (type(exc).__name__, str(exc)[:200])}
    finally:
        node.stop()


def bisect_heap(plan, log, name, config):
    """Smallest passing heap (k) at the plan's step; the minimum must pass twice."""
    trials, last = [], {}

    def passes(k):
        last[k] = heap_trial(k, SCENARIOS[name][0], config, plan.scenario_rounds)
        trials.append([k, last[k]['ok'], last[k].get('why', '')])
        log('  %s, heap %4dk: %s' % (name, k, 'pass' if last[k]['ok'] else
                                      'FAIL (%s)' % last[k]['why']))
        return last[k]['ok']

    low, high, step = HEAP_LOW_K, HEAP_HIGH_K, plan.heap_step_k
    if not passes(high):
        return {'min_k': None, 'trials': trials}
    while high - low > step:
        mid = (low + high) // 2 // step * step
        low, high = (low, mid) if passes(mid) else (mid, high)
    while high < HEAP_HIGH_K and not passes(high):      # GC timing varies
        high += step
    return {'min_k': high, 'trials': trials, 'at_min': last[high]}


def heap(plan, workdir, log):
    with open(mpy_probe.SIM_CONFIG) as f:
        config = json.load(f)
    config['tcp']['enabled'] = False
    serial_only = os.path.join(workdir, 'serial-only.json')
    with open(serial_only, 'w') as f:
        json.dump(config, f)
    return {name: bisect_heap(plan, log, name, serial_only if name == 'Pyboard-like' else None)
            for name in SCENARIOS}


# --- boot and heap drift ---
def boot_ms(start, runs):
    """Median ms from ``start()`` starting a server to its first ``*IDN?`` reply."""
    times = []
    for _ in range(runs):
        server = start()
        try:
            with LineClient(('127.0.0.1', server.port), 5) as conn:
                expect(conn.ask('*IDN?'), 'ISSE')
            times.append(time.perf_counter() - server.started)
        finally:
            server.stop()
    return statistics.median(times) * 1e3


def boot(plan, workdir):
    """Our node: the micropython process as sim.py starts it (sim.py itself not
    counted); and frappy."""
    import sim
    config = os.path.join(workdir, 'boot.json')

    def ours():
        port = free_port()
        sim.prepare_config(sim.parse_args(['--port', str(port), '--discovery-port', '0']),
                           config)
        cmd, env = sim.node_command(DEFAULT_HEAP, config)
        return Server(cmd, port, env, 'SECoP node serving')

    return {'ours_ms': boot_ms(ours, plan.boot_runs),
            'frappy_ms': boot_ms(lambda: frappy_server(workdir), 3)}


def pipelined(conn, count, batch=64):
    """SCENARIO's requests in turn (``describe`` every 1000th), ``batch`` in flight;
    the number of replies with the wrong action."""
    wrong = 0
    for first in range(0, count, batch):
        chunk = [('describe', 'describing') if i % 1000 == 999 else SCENARIO[i % len(SCENARIO)]
                 for i in range(first, min(first + batch, count))]
        conn.write(''.join(request + '\n' for request, _ in chunk).encode())
        wrong += sum(conn.reply().split(' ', 1)[0] != prefix.split(' ', 1)[0]
                     for _, prefix in chunk)
    return wrong


def drift(plan, log, segments=5):
    """Heap (after collection, on a third connection) before, between ``segments``
    parts of the pipelined requests over two connections (one activated), and after."""
    node = SimNode(heap=DEFAULT_HEAP, discovery_port=0)
    conns = [node.client(30) for _ in range(3)]
    try:
        expect(conns[0].ask('activate'), 'active')
        per_conn = plan.drift_requests // segments // 2
        samples, wrong, elapsed = [], 0, 0.0
        with ThreadPoolExecutor(2) as pool:
            for segment in range(-1, segments):     # -1: first-use allocations, not counted
                count = 1000 if segment < 0 else per_conn
                begin = time.perf_counter()
                bad = sum(pool.map(lambda conn: pipelined(conn, count), conns[:2]))
                if segment >= 0:
                    wrong, elapsed = wrong + bad, elapsed + time.perf_counter() - begin
                time.sleep(0.2)
                samples.append(heap_figures(conns[2])[0])
                log('  %6d requests, mem_alloc %d' % ((segment + 1) * per_conn * 2, samples[-1]))
        done = per_conn * 2 * segments
        return {'requests': done, 'wrong': wrong, 'rate': done / elapsed,
                'samples': samples, 'growth': samples[-1] - samples[0]}
    finally:
        for conn in conns:
            conn.close()
        node.stop()


# --- the table ---
def kb(n):
    return '%.1f KB' % (n / 1024)


def network_rows(n):
    rates, ours, frappy = n['rate'], n['describe']['ours'], n['describe']['frappy']
    for key, label in (('ours', 'sequential `%s`, our node (%s heap)' % (READ, DEFAULT_HEAP)),
                       ('ours_big_heap', 'same, our node with a %s heap' % BIG_HEAP),
                       ('frappy', 'same, frappy-core node (CPython)'),
                       ('echo', 'same, MicroPython asyncio echo server (floor)')):
        yield label, '%.0f/s (p50 %.3f ms, p99 %.3f ms)' % (
            rates[key]['rate'], rates[key]['p50_ms'], rates[key]['p99_ms'])
    yield 'ratio ours / frappy', '%.2fx' % (rates['ours']['rate'] / rates['frappy']['rate'])
    yield '`describing` line, our node / frappy', '%d / %d bytes (%.2f s at %d baud)' % (
        ours['bytes'], frappy['bytes'], ours['bytes'] * 10 / BAUD, BAUD)
    yield '`describe` round trip on a used connection, ours / frappy', '%.1f / %.1f ms' % (
        ours['ms'], frappy['ms'])


def heap_rows(h, step):
    for name, b in h.items():
        yield ('smallest heap passing the %s scenario (%s); `system:_mem_alloc` there after '
               'boot / under load' % (name, SCENARIOS[name][1]),
               '%dk (step %dk); %s / %s' % (b['min_k'], step, kb(b['at_min']['boot']),
                                            kb(b['at_min']['load'])) if b['min_k'] else
               'none up to %dk: %s' % (HEAP_HIGH_K, b['trials'][0][2]))


def wasm32_rows(w):
    for name, scenario in w['scenarios'].items():
        steps = scenario['steps']
        yield ('32-bit live heap, %s scenario (%s; .mpy): %s' % (
            name, mpy_probe.WASM32_SCENARIOS[name][-1], ' / '.join(mpy_probe.WASM32_STEPS)),
            ' / '.join(kb(steps[step]) for step in mpy_probe.WASM32_STEPS))
        yield ('32-bit, %s scenario: of that, the qstr pool (the names of the code loaded, '
               'interned)' % name, kb(scenario['qstr']))
        for request, grown in scenario.get('requests', {}).items():
            yield ('32-bit, inside the %s node: `%s`' % (name, request),
                   '%d bytes allocated' % grown)


def readme_table(r):
    """README's board table: the 32-bit live heap of each scenario, and which runtime
    measured it."""
    w = r['wasm32']
    lines = ['| board, scenario | heap it offers | live heap of the `.mpy` deploy: after boot / '
             'one `describe` / a request mix |', '|---|---|---|']
    for name, scenario in w['scenarios'].items():
        board, offers = BOARD_HEAP[name]
        steps = scenario['steps']
        lines.append('| %s: %s | %s | %s |' % (
            board, mpy_probe.WASM32_SCENARIOS[name][-1], offers,
            ' / '.join(kb(steps[step]) for step in ('serving', 'describe', 'mix'))))
    lines.append('| ESP32 with PSRAM | 2 MB and more | fits |')
    return '\n'.join(lines) + '\n\nMeasured by `make bench` (`wasm32`, %s) in %s.\n' % (
        r['machine']['date'][:10], w['runtime'])


def rows(r):
    """(measure, result) pairs; a failed measurement is one row saying so."""
    sections = {
        'network': network_rows,
        'heap': lambda h: heap_rows(h, r['plan']['heap_step_k']),
        'inside': lambda i: [
            ('heap taken by importing the firmware (.mpy)', '%s, of which qstr pool %s' % (
                kb(i['mem']['firmware'] - i['mem']['runtime']), kb(i['qstr']))),
            ('heap of the built node, no clients, no tasks',
             kb(i['mem']['built'] - i['mem']['firmware']))] + [
            ('inside the node, no transport: `%s`' % name, '%.1f us, %d bytes allocated' % (
                us, grown)) for name, us, grown in i['requests']],
        'code': lambda c: [('code a deploy copies: %s' % path, '%d bytes in %d files' % tuple(v))
                           for path, v in c.items()],
        'sensors': lambda c: [
            ('heap of the built node with the heater on a %s, more than on its NTC (the '
             'simulator\'s chip models imported in both), 64-bit / 32-bit' % chip.upper(),
             '%s / %s' % (kb(c[chip]), kb(c['wasm32'][chip]) if 'wasm32' in c else 'not run'))
            for chip in mpy_probe.CHIPS],
        'wasm32': wasm32_rows,
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


# --- main ---
def measure(plan, only, log):
    steps = (('inside', lambda w: mpy_probe.inside(w, DEFAULT_HEAP)),
             ('sensors', lambda w: mpy_probe.sensors(w, DEFAULT_HEAP)),
             ('code', mpy_probe.code_size),
             ('wasm32', mpy_probe.wasm32_heap),
             ('network', lambda w: network(plan, w, log)),
             ('heap', lambda w: heap(plan, w, log)),
             ('boot', lambda w: boot(plan, w)),
             ('drift', lambda w: drift(plan, log)))
    r = {'plan': plan._asdict(), 'machine': machine()}
    with tempfile.TemporaryDirectory(prefix='bench-') as workdir:
        for key, function in steps:
            if not only or key in only:
                log(key + ' ...')
                try:
                    r[key] = function(workdir)
                except Exception as exc:  # one failed measurement must not lose the others
                    traceback.print_exc()
                    r[key] = {'error': '%s: %s' % (type(exc).__name__, str(exc)[:200])}
    return r


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='smoke run: fewer requests, coarse bisection (a few minutes)')
    parser.add_argument('--only', help='comma-separated: inside, sensors, code, wasm32, network, heap, '
                        'boot, drift (default: all)')
    parser.add_argument('--docs', action='store_true',
                        help='also put the table into docs/performance.md and the board table '
                        'into README.md (between markers)')
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(text):
        print('[%5.0f s] %s' % (time.monotonic() - started, text), file=sys.stderr, flush=True)

    results = measure(QUICK if args.quick else FULL, args.only.split(',') if args.only else (), log)
    text = table(results)
    os.makedirs(OUT, exist_ok=True)
    for name, content in (('bench.json', json.dumps(results, indent=1)), ('bench.md', text)):
        with open(os.path.join(OUT, name), 'w') as f:
            f.write(content)
    print(text, end='')
    written = ['build/bench.json', 'build/bench.md']
    if args.docs:
        into_docs(text)
        written.append('docs/performance.md')
        if 'error' not in results.get('wasm32', {'error': 'not run'}):
            into_docs(readme_table(results), README, 'heap')
            written.append('README.md')
    log('wrote ' + ', '.join(written))
    return 0


if __name__ == '__main__':
    sys.exit(main())
