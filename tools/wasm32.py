#!/usr/bin/env python3
"""The 32-bit MicroPython of the official WebAssembly port, for tests and bench.

    .venv/bin/python tools/wasm32.py [--tree HOST=TARGET ...] [--path DIR ...] STEP ...

``run(steps, trees, path)`` copies host folders (``.py`` or the ``.mpy`` deploy layout of
tools/build_mpy.py) into the port's file system and runs each step in one ``runPython``
call (tools/wasm32.mjs); it returns what each step printed.  Its live heap and allocation
figures are a board's (32-bit words); its heap grows on demand, so it cannot bisect the
smallest heap (the unix port does), and ``gc.collect()`` takes effect only once a step has
returned: collect in one step, read ``gc.mem_alloc()`` in the next.  No sockets; floats
are double.  ``make setup`` installs the pinned port (tools/wasm32/package.json).
"""

import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, 'tools', 'wasm32.mjs')
PACKAGE = os.path.join(ROOT, 'tools', 'wasm32', 'node_modules', '@micropython',
                       'micropython-webassembly-pyscript')
HEAPSIZE = 1024 * 1024      # where the heap starts; it grows on demand


class StepFailed(RuntimeError):
    """A step raised: ``step`` is its index, ``outputs`` what the steps up to it printed."""

    def __init__(self, step, kind, traceback, outputs):
        super().__init__('step %d raised %s:\n%s' % (step, kind, traceback.rstrip()))
        self.step, self.kind, self.outputs = step, kind, outputs


def missing():
    """Why the port cannot run here (one line), or None."""
    if not shutil.which('node'):
        return 'no node on PATH: the 32-bit MicroPython (WebAssembly port) needs Node.js'
    if not os.path.exists(os.path.join(PACKAGE, 'micropython.mjs')):
        return 'the 32-bit MicroPython is not installed (make setup installs tools/wasm32)'
    return None


def version():
    """The pinned port's package version."""
    with open(os.path.join(PACKAGE, 'package.json')) as f:
        return json.load(f)['version']


def run(steps, trees=(), path=(), heapsize=HEAPSIZE, timeout=120):
    """What each step printed (one string per step).  ``trees``: (host folder, target
    folder) pairs copied in; ``path``: folders put in front of ``sys.path``.  Raises
    StepFailed when a step raises, RuntimeError when the port itself fails."""
    why = missing()
    if why:
        raise RuntimeError(why)
    job = {'heapsize': heapsize, 'trees': [list(pair) for pair in trees],
           'path': list(path), 'steps': list(steps)}
    done = subprocess.run(['node', RUNNER], input=json.dumps(job), capture_output=True,
                          text=True, timeout=timeout)
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise RuntimeError('tools/wasm32.mjs failed (exit %d): %s' % (
            done.returncode, (done.stderr or done.stdout).strip()[-2000:])) from None
    error = result['error']
    if error:
        raise StepFailed(error['step'], error['type'], error['traceback'], result['outputs'])
    return result['outputs']


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tree', action='append', default=[], metavar='HOST=TARGET',
                        help='copy the host folder HOST to TARGET in the port')
    parser.add_argument('--path', action='append', default=[], metavar='DIR',
                        help='put DIR (in the port) in front of sys.path')
    parser.add_argument('steps', nargs='+', metavar='STEP', help='Python code, one runPython each')
    args = parser.parse_args(argv)
    trees = [tree.split('=', 1) for tree in args.tree]
    try:
        outputs = run(args.steps, trees, args.path)
    except StepFailed as exc:
        print('\n'.join(out for out in exc.outputs if out))
        print(exc, file=sys.stderr)
        return 1
    print('\n'.join(out for out in outputs if out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
