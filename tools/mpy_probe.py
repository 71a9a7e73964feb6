"""What the firmware costs inside MicroPython, for ``make bench``.

``inside``: heap (``gc.mem_alloc`` after a collection) of importing the .mpy
firmware and of building the node from boards/sim's config, the qstr pool, and per
request the best time of 1000 ``Node.handle`` calls and the bytes of one (GC off).
``code_size``: bytes and files a deploy copies per tree.
"""

import json
import os
import re
import subprocess
import sys

import build_mpy
from simnode import MICROPYTHON, ROOT

sys.path.insert(0, ROOT)
import boards  # noqa: E402

SIM_CONFIG = os.path.join(ROOT, 'boards', 'sim', 'config.json')

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
node = app.App(config, board.Board(config.get('board', {}))).node
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


def inside(workdir, heap):
    """Heap of the imports and the built node, qstr pool, per-request time and bytes."""
    code = [build_mpy.build(os.path.join(ROOT, path), os.path.join(workdir, 'mpy', path))
            for path in ('firmware', 'boards/sim')]
    done = subprocess.run([MICROPYTHON, '-X', 'heapsize=' + heap, '-c', PROBE, SIM_CONFIG],
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
