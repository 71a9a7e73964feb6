#!/usr/bin/env python3
"""Prepare on the host what a node serves but never needs to compute.

    .venv/bin/python tools/compile_node.py CONFIG [OUT]

A node's ``describing`` reply (its structure report) follows from its
config.json alone, so it is made here, once, and the board streams it from
flash instead of holding the code and the text that build it.  This runs the
firmware's own builder and ``secop.describe`` under the MicroPython unix port,
on the simulated board (the reply does not depend on the hardware: the
simulated ADC and PWM stand in for any board's), and writes OUT (default:
describing.txt beside CONFIG), headed by the checksum of CONFIG's bytes: a board
uses the line only for the config.json it was made from (``builder``).
``make deploy`` copies it with the config; the simulator prepares it for the
config it runs.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

from simnode import MICROPYTHON  # noqa: E402

DESCRIPTION = 'describing.txt'      # beside config.json, on a board as on the host
# run under MicroPython with firmware/ and boards/sim on its path
STAND_IN = '''
import sys
sys.path = [p for p in sys.path if p not in ('', '.')]   # the config's folder: data files only
import board as sim
import builder
from app import App


class StandIn:
    """The simulated board, whatever board the config is for: its section is
    another board's hardware (pins, safe_pins), which the reply never shows."""

    fallback_transports = sim.fallback_transports

    @staticmethod
    def Board(config):
        return sim.Board({})
'''
_SCRIPT = STAND_IN + '''
from secop import describe
config, why, key = builder.load_config(sys.argv[1])
if config is None:
    raise SystemExit('compile_node: ' + why)
app, board = builder.start(sys.argv[1], App, StandIn, kept=False, prepared=False)
describe.write(app.node, sys.argv[2], key)
'''


class CompileError(Exception):
    pass


def describe(config_path, out=None):
    """Write the describing line of the node of ``config_path``; returns its path."""
    out = out or os.path.join(os.path.dirname(os.path.abspath(config_path)), DESCRIPTION)
    code = [os.path.join(ROOT, 'firmware'), os.path.join(ROOT, 'boards', 'sim')]
    done = subprocess.run([MICROPYTHON, '-c', _SCRIPT, os.path.abspath(config_path), out],
                          capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.abspath(config_path)),
                          env=dict(os.environ, MICROPYPATH=':'.join(['.frozen'] + code)))
    if done.returncode or not os.path.exists(out):
        lines = (done.stdout + done.stderr).strip().splitlines() or ['no output']
        raise CompileError('cannot describe %s: %s' % (config_path, lines[-1]))
    return out


if __name__ == '__main__':
    if len(sys.argv) not in (2, 3) or sys.argv[1].startswith('-'):
        sys.exit(__doc__)
    try:
        print(describe(*sys.argv[1:]))
    except CompileError as exc:
        sys.exit(str(exc))
