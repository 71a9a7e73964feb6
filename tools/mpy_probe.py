"""What the firmware costs inside MicroPython, for ``make bench``.

``inside``: heap (``gc.mem_alloc`` after a collection) of importing the .mpy
firmware and of building the node from boards/sim's config, the qstr pool, and per
request the best time of 1000 ``Node.handle`` calls and the bytes of one (GC off).
``code_size``: bytes and files a deploy copies per tree.
``wasm32``: the 32-bit live heap (tools/wasm32.py, steps in tools/wasm32_heap.py) of
the .mpy deploy layout at each step of two scenarios, and the bytes each request
kind allocates there (GC off).
"""

import json
import os
import re
import shutil
import subprocess
import sys

import build_mpy
import compile_node
import wasm32
from simnode import MICROPYTHON, ROOT

sys.path.insert(0, ROOT)
import boards  # noqa: E402

SIM_CONFIG = os.path.join(ROOT, 'boards', 'sim', 'config.json')
PYBOARD_CONFIG = os.path.join(ROOT, 'boards', 'pyboard', 'config.json')
RP2_CONFIG = os.path.join(ROOT, 'boards', 'rp2', 'config.json')
FAKES = os.path.join(ROOT, 'host_tests', 'board_fakes')
WASM32_STEPS = ('import', 'built', 'serving', 'describe', 'mix')
# the request mix of both scenarios (line, reply prefix); the sim's tutorial loop adds two
MIX = (('read heater:value', 'reply heater:value '),
       ('read outside:value', 'reply outside:value '),
       ('check heater:target 30', 'checked heater:target [30.0,'),
       ('change heater:target 30', 'changed heater:target [30.0,'),
       ('ping s', 'pong s '),
       ('do heater:stop', 'done heater:stop '))
TUTORIAL_MIX = (('change heater:_maxheaterpower 50', 'changed heater:_maxheaterpower [50.0,'),
                ('do heater:_examplecommand {"a":2.5,"b":4}', 'done heater:_examplecommand [10.0,'))
# the request kinds whose allocations are measured (on the ESP32-like node)
REQUESTS = (('read heater:value', 'reply '), ('read outside:value', 'reply '),
            ('change heater:_maxheaterpower 40', 'changed '), ('ping', 'pong '),
            ('do heater:_examplecommand {"a":2.5,"b":4}', 'done '))
# on a real board's ADC (the Pyboard's, through its fakes): what one measurement costs
BOARD_REQUESTS = (('read outside:value', 'reply '),)
# name: board folder, config, TCP clients, WebSocket clients, built-in modules faked, what
WASM32_SCENARIOS = {
    'Pyboard': ('pyboard', PYBOARD_CONFIG, 0, 0, ('machine', 'pyb'),
                'the shipped Pyboard config on boards/pyboard, serial only'),
    'ESP32-like': ('sim', SIM_CONFIG, 4, 1, ('socket',), 'the sim config with serial on: '
                   '4 TCP clients, serial, 1 WebSocket client, discovery'),
    'Pico W': ('rp2', RP2_CONFIG, 4, 1, ('machine', 'network', 'rp2', 'socket'),
               'the shipped rp2 config (Wi-Fi) with serial on: 4 TCP clients, serial, '
               '1 WebSocket client, discovery'),
}
# the port has no socket module; transport.discovery only imports it before it opens one
SOCKET_STANDIN = '"""socket for the heap probe: the WebAssembly port has none."""\n'

PROBE = '''
import gc, json, sys, time, micropython
def mark(label):
    gc.collect()
    print('MEM', label, gc.mem_alloc())
mark('runtime')
import app, board
mark('firmware')
print('QSTR', end=' ')
micropython.qstr_info()
with open(sys.argv[1]) as f:
    config = json.load(f)
built = app.App(config, board.Board(config.get('board', {})))
import builder
builder.build(built)
node = built.node
mark('built')
session = node.open_session()
for name in ('read heater:value', 'read outside:value', 'change heater:_maxheaterpower 40',
             'do heater:_examplecommand {"a":2.5,"b":4}', 'ping'):
    raw = memoryview(name.encode())
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
    node.handle(session, raw)
    session.pop()
    print('REQ', json.dumps([name, best, gc.mem_alloc() - before]))
    gc.enable()
'''


def inside(workdir, heap, config=SIM_CONFIG, probe=None):
    """Heap of the imports and the built node, qstr pool, per-request time and bytes."""
    code = [build_mpy.build(os.path.join(ROOT, path), os.path.join(workdir, 'mpy', path))
            for path in ('firmware', 'boards/sim')]
    done = subprocess.run([MICROPYTHON, '-X', 'heapsize=' + heap, '-c', probe or PROBE, config],
                          capture_output=True, text=True, timeout=300, cwd=workdir,
                          env=dict(os.environ, MICROPYPATH=':'.join(['.frozen'] + code)))
    if done.returncode:
        raise RuntimeError((done.stdout + done.stderr).strip().splitlines()[-1])
    result = {'heap': heap, 'mem': {}, 'requests': []}
    for line in done.stdout.splitlines():
        if line.startswith('MEM '):
            result['mem'][line.split()[1]] = int(line.split()[2])
        elif line.startswith('QSTR '):
            result['qstr'] = int(re.search(r'n_total_bytes=(\d+)', line).group(1))
        elif line.startswith('REQ '):
            result['requests'].append(json.loads(line[4:]))
    return result


CHIPS = ('max31865', 'max31855', 'max31856')


def sensors(workdir, heap):
    """What a converter chip costs a board: the built node with the tutorial heater read
    through each chip (boards/sim/config-<chip>.json) against its NTC (config.json), with
    the simulator's register models (boards/sim/chips.py, which a board does not load)
    imported with the firmware in both; ``model``: what importing those takes.  64-bit
    (the unix port), and 32-bit (``wasm32``: the ESP32-like scenario's built node) where
    that port is installed."""
    probe = PROBE.replace('import app, board\n', 'import app, board, chips\n')
    assert probe != PROBE
    bare = inside(workdir, heap)['mem']
    base = inside(workdir, heap, probe=probe)['mem']
    result = {'model': base['firmware'] - bare['firmware']}
    for chip in CHIPS:
        config = os.path.join(ROOT, 'boards', 'sim', 'config-%s.json' % chip)
        result[chip] = inside(workdir, heap, config, probe)['mem']['built'] - base['built']
    if wasm32.missing():
        return result
    built = {}
    for chip in ('',) + CHIPS:
        config = os.path.join(ROOT, 'boards', 'sim', 'config%s.json' % ('-' + chip if chip else ''))
        scenario = ('sim', config, 4, 1, ('socket', 'chips'), '')
        built[chip] = wasm32_scenario(workdir, 'chip', 1, scenario)['steps']['built']
    result['wasm32'] = {chip: built[chip] - built[''] for chip in CHIPS}
    return result


def code_size(workdir):
    """Bytes and files a deploy copies (.mpy and main.py): firmware/, and per board
    the modules its declaration lists."""
    sizes = {}
    for path in ['firmware'] + ['boards/' + name for name in boards.names()]:
        out = build_mpy.build(os.path.join(ROOT, path), os.path.join(workdir, 'size', path))
        files = [os.path.join(folder, name) for folder, _, names in os.walk(out)
                 for name in names if name.endswith('.mpy') or name in build_mpy.KEEP_SOURCE]
        if path != 'firmware':
            deployed = [name[:-3] + '.mpy' for name in boards.capabilities(path[7:]).DEPLOY]
            files = [f for f in files if os.path.basename(f) in deployed]
        sizes[path] = [sum(os.path.getsize(f) for f in files), len(files)]
    return sizes


def wasm32_scenario(workdir, name, rounds=3, scenario=None):
    """{'steps': {step: live heap in bytes}} of one scenario (``scenario``: one not in
    WASM32_SCENARIOS, in their form), without the runtime's own heap and the fakes'
    (``runtime``, ``fakes``), and for the ESP32-like one ``requests``: {request: bytes it
    allocates}."""
    board, config_path, tcp_clients, websockets, fakes, _ = scenario or WASM32_SCENARIOS[name]
    code = [build_mpy.build(os.path.join(ROOT, path), os.path.join(workdir, 'mpy', path))
            for path in ('firmware', 'boards/' + board)]
    run = os.path.join(workdir, 'wasm32-' + board)
    os.makedirs(run, exist_ok=True)
    shutil.copy(os.path.join(ROOT, 'tools', 'wasm32_heap.py'), run)
    with open(os.path.join(run, 'socket.py'), 'w') as f:
        f.write(SOCKET_STANDIN)
    with open(config_path) as f:
        config = json.load(f)
    config['serial']['enabled'] = True      # the ESP32 scenario's serial client
    with open(os.path.join(run, 'config.json'), 'w') as f:
        json.dump(config, f)
    compile_node.describe(os.path.join(run, 'config.json'))     # as make deploy copies it
    trees = [(run, '/run'), (code[0], '/firmware'), (code[1], '/board'), (FAKES, '/fakes')]
    mix = MIX + (TUTORIAL_MIX if board == 'sim' else ())
    work = ['import wasm32_heap as probe', 'probe.load_fakes(%r)' % (fakes,),
            'probe.load_firmware()', "probe.boot('/run/config.json')",
            'probe.serve(%d, %d)' % (tcp_clients, websockets), 'probe.describe()',
            'probe.mix(%r, %d)' % (mix, rounds)]
    steps = []
    for code_line, label in zip(work, ('runtime', 'fakes') + WASM32_STEPS):
        steps += [code_line, 'probe.mark(%r)' % label]
    steps.append('probe.qstr_pool()')
    steps.append('probe.allocations(%r)' % (REQUESTS if board == 'sim' else BOARD_REQUESTS,))
    outputs = wasm32.run(steps, trees, ['/run', '/board', '/firmware', '/fakes'])
    mem, requests, qstr = {}, {}, None
    for line in '\n'.join(outputs).splitlines():
        if line.startswith('MEM '):
            mem[line.split()[1]] = int(line.split()[2])
        elif line.startswith('qstr pool:'):
            qstr = int(re.search(r'n_total_bytes=(\d+)', line).group(1))
        elif line.startswith('REQ '):
            request, grown = json.loads(line[4:])
            requests[request] = grown
    result = {'runtime': mem['runtime'], 'fakes': mem['fakes'] - mem['runtime'],
              'steps': {step: mem[step] - mem['fakes'] for step in WASM32_STEPS},
              'qstr': qstr}
    if requests:
        result['requests'] = requests
    return result


def wasm32_heap(workdir, runs=2):
    """Both scenarios in the 32-bit MicroPython (WebAssembly port), each step's least
    figure of ``runs`` runs (see ``wasm32_scenario``): the collector is conservative, and
    in some runs a word that looks like a pointer kept 2.4 KB of garbage alive."""
    scenarios = {}
    for name in WASM32_SCENARIOS:
        results = [wasm32_scenario(workdir, name) for _ in range(runs)]
        scenarios[name] = best = results[0]
        for result in results[1:]:
            for step, size in result['steps'].items():
                best['steps'][step] = min(best['steps'][step], size)
    return {'runtime': 'MicroPython %s, WebAssembly port (32-bit)' % wasm32.version(),
            'scenarios': scenarios}
