#!/usr/bin/env python3
"""Run the SEC node on the simulated board under the MicroPython unix port.

    .venv/bin/python tools/sim.py [--port N] [--uart auto] [--speed X] ...   (--help: all)

Prints one line ``READY [tcp=127.0.0.1:N] [udp=127.0.0.1:M] [uart=PATH]`` on stdout once
the node serves, then runs until Ctrl-C or SIGTERM and leaves nothing behind; the node's
output goes to stderr.  A problem the user can fix (port in use, a missing or broken
config, a heap too small to boot) is one line on stderr starting with ``sim:``, exit
code 2.  Everything stays on 127.0.0.1: the simulator never broadcasts.
"""

import argparse
import contextlib
import ctypes
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tty

from simnode import MICROPYTHON, ROOT, free_port, stop_process

sys.path[:0] = [ROOT, os.path.join(ROOT, 'firmware')]

import boards  # noqa: E402
import build_mpy  # noqa: E402
import build_page  # noqa: E402
from boards import configcheck  # noqa: E402  (it builds sensors with firmware/'s code)
from datafiles import beside, data_files  # noqa: E402
import compile_node  # noqa: E402

DEFAULT_CONFIG = os.path.join(ROOT, 'boards', 'sim', 'config.json')
# The unix port cannot freeze code into the binary, so the firmware's bytecode,
# qstrs and objects share the 64-bit heap with the node: see docs/performance.md.
DEFAULT_HEAP, SOURCE_HEAP = '256k', '512k'        # .mpy; .py (--source)
STOPPED = (0, -signal.SIGTERM, 130)


class SimError(Exception):
    """A problem the user can fix, said in one line."""


def tcp_port(text):
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError('%r is not a TCP port (0..65535, 0: any)' % text)
    return int(text)


def heap_size(text):
    if not re.fullmatch(r'[1-9]\d*[kKmM]?', text):
        raise argparse.ArgumentTypeError('%r is not a heap size (for example 256k or 1m)' % text)
    return text


def board_setting(name):
    """An argparse type: a number in the range the simulated board declares for ``name``."""
    low, high = next(setting[1:3] for setting in boards.capabilities('sim').SETTINGS
                     if setting[0] == name)

    def parse(text):
        with contextlib.suppress(ValueError):
            if low <= float(text) <= high:
                return float(text)
        raise argparse.ArgumentTypeError('%r is not a number from %g to %g' % (text, low, high))
    return parse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(2, 'sim: %s (--help: the options)\n' % message)
    add = parser.add_argument
    add('--port', type=tcp_port, default=10767,
        help='TCP port on 127.0.0.1, 0: any free port (default: %(default)s)')
    add('--heap', type=heap_size,
        help='MicroPython heap, -X heapsize (default: %s, %s with --source)'
        % (DEFAULT_HEAP, SOURCE_HEAP))
    add('--uart', help="serial line: a tty path, or 'auto': a new pty pair (a null-modem)")
    add('--speed', type=board_setting('speed'),
        help="simulated seconds per real second (default: the config's)")
    add('--wrap-in', type=board_setting('wrap_in'), metavar='S',
        help='the tick counter wraps S simulated seconds after boot (default: a day)')
    add('--config', default=DEFAULT_CONFIG,
        help='node configuration, JSON (default: boards/sim/config.json)')
    add('--discovery-port', type=tcp_port, default=10767,
        help='UDP discovery port, 0: off (default: %(default)s)')
    add('--announce-port', type=tcp_port, default=0, help='announce to this UDP port, 0: never')
    add('--state', help='keep the settings in this file across runs (default: for one run)')
    add('--source', action='store_true',
        help='run the .py files, not the .mpy a deploy copies (they need about 256k more heap)')
    add('--raw-config', action='store_true',
        help='give the node --config unchecked, even if it is not JSON (then its minimal node '
        'serves on --port)')
    args = parser.parse_args(argv)
    args.heap = args.heap or (SOURCE_HEAP if args.source else DEFAULT_HEAP)
    if args.announce_port and not args.discovery_port:
        parser.error('--announce-port needs UDP discovery, which --discovery-port 0 switches off')
    return args


# A new client's first bytes wait this long: the node looks for a new client every
# 20 ms, and must not answer them from an old session that is still sending.
SETTLE_S = 0.1


class NullModem:
    """Two ptys joined like a null-modem cable: the node opens one end, a client the other.

    As on a cable, bytes sent while no client is on the line are lost (the relay never
    blocks on a full buffer).  As DTR, the file ``presence`` exists while a client has its
    end open and holds that client's number (boards/sim ``serial_presence`` reads it)."""

    def __init__(self, presence):
        self.node_master, node_slave = os.openpty()
        self.client_master, client_slave = os.openpty()
        for fd in (self.node_master, node_slave, self.client_master, client_slave):
            tty.setraw(fd)
        for fd in (self.node_master, self.client_master):
            os.set_blocking(fd, False)
        self.node_path, self.client_path = os.ttyname(node_slave), os.ttyname(client_slave)
        os.close(client_slave)          # open only while a client uses it
        self._node_slave = node_slave   # keeps the node's end up across its reopenings
        self.presence = presence
        threading.Thread(target=self._relay, daemon=True).start()

    def _relay(self):
        clients, client_open, held, settle_until = 0, False, b'', 0.0
        while True:
            ready, _, _ = select.select([self.node_master, self.client_master], [], [], 0.02)
            if self.client_master in ready or not client_open:
                data = _read(self.client_master)
                if client_open != (data is not None):
                    client_open = not client_open
                    if client_open:
                        clients += 1
                        settle_until = time.monotonic() + SETTLE_S
                    self._set_presence(clients if client_open else None)
                held += data or b''
            settling = time.monotonic() < settle_until
            if self.node_master in ready:
                data = _read(self.node_master)
                if data and client_open and not settling:
                    _write(self.client_master, data)
            if held and not settling:
                _write(self.node_master, held)
                held = b''
            if not client_open:
                held = b''
                time.sleep(0.02)        # a closed end reads EIO at once: do not spin

    def _set_presence(self, client):
        if client is None:
            with contextlib.suppress(OSError):
                os.remove(self.presence)
        else:
            with open(self.presence + '.new', 'w') as f:
                f.write(str(client))
            os.replace(self.presence + '.new', self.presence)


def _read(fd):
    """Bytes, b'' if none are waiting, None if the other end is closed."""
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b''
    except OSError:
        return None


def _write(fd, data):
    with contextlib.suppress(OSError):      # buffer full or end closed: the bytes are lost
        os.write(fd, data)


def prepare_config(args, path):
    """Write the node's config for this run to ``path``; the client's serial line, or None."""
    if args.raw_config:     # fallback.json: what the node serves if it cannot read the config
        board = {} if args.speed is None else {'speed': args.speed}
        with open(os.path.join(os.path.dirname(path), 'fallback.json'), 'w') as f:
            json.dump({'tcp': {'bind': '127.0.0.1', 'port': args.port}, 'board': board}, f)
    try:
        with open(args.config) as f:
            config = json.load(f)
        if type(config) is not dict or type(config.get('modules', [])) is not list or any(
                type(config.get(key, {})) is not dict for key in ('tcp', 'board', 'node')):
            raise TypeError('the configuration must be a JSON object, its "modules" a list, '
                            'its "tcp", "board" and "node" objects')
    except OSError as exc:
        raise SimError('cannot read --config %s: %s' % (args.config, exc.strerror))
    except (TypeError, ValueError) as exc:
        if args.raw_config:     # as it is: the node says what is wrong with it
            shutil.copy(args.config, path)
            return None
        raise SimError('--config %s: %s%s' % (
            args.config, 'not valid JSON: ' if isinstance(exc, ValueError) else '', exc))
    # checked here, as make deploy does; the node is told the problems (and puts
    # the modules concerned in ERROR) instead of refusing to start, to show that.
    # --raw-config: unchecked, but on 127.0.0.1 like any other (below)
    by_module = {}
    with beside(args.config):      # curve files are named relative to the config
        problems = [] if args.raw_config else configcheck.check(config, 'sim', None, by_module)
    args.problems = len(problems)
    if problems:        # [module index or None, text]: the node stands those modules in ERROR
        config['problems'] = [[index, text] for index, texts in sorted(by_module.items())
                              for text in texts] + \
            [[None, text] for text in problems if not any(text in t for t in by_module.values())]
    config.setdefault('tcp', {}).update(bind='127.0.0.1', port=args.port)
    discovery = config['discovery'] = {'enabled': args.discovery_port > 0, 'bind': '127.0.0.1',
                                       'port': args.discovery_port or 10767}
    if args.announce_port:
        discovery.update(announce='127.0.0.1', announce_port=args.announce_port)
    if args.speed is not None:
        config.setdefault('board', {})['speed'] = args.speed
    if args.wrap_in is not None:
        config.setdefault('board', {})['wrap_in'] = args.wrap_in
    if args.state:
        folder = os.path.dirname(os.path.abspath(args.state))
        if not os.path.isdir(folder):
            raise SimError('--state %s: there is no folder %s' % (args.state, folder))
        config.setdefault('node', {})['state'] = os.path.abspath(args.state)
    if args.uart not in (None, 'auto') and not os.path.exists(args.uart):
        raise SimError("--uart %s does not exist (--uart auto: a new pty pair)" % args.uart)
    client_path = args.uart
    if args.uart == 'auto':
        modem = NullModem(os.path.join(os.path.dirname(path), 'serial-client'))
        client_path = modem.client_path
        config['serial'] = {'enabled': True, 'path': modem.node_path, 'presence': modem.presence}
    elif args.uart:
        config['serial'] = {'enabled': True, 'path': args.uart}
    for name in data_files(config):     # curves: next to the config, as on a board
        source, target = os.path.join(os.path.dirname(os.path.abspath(args.config)), name), \
            os.path.join(os.path.dirname(path), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isfile(source):      # a missing one: the node says so (module in ERROR)
            shutil.copyfile(source, target)
    with open(path, 'w') as f:
        json.dump(config, f)
    if not args.raw_config:     # as make deploy does: a board's unchecked config has none
        try:
            compile_node.describe(path)
        except compile_node.CompileError as exc:
            raise SimError(str(exc))
    return client_path


def _detach():
    """In the child: a process group of its own, so Ctrl-C in the terminal reaches only
    sim.py, which stops the node (a new session would make the node's serial line its
    controlling tty); and SIGTERM when sim.py dies, even by SIGKILL (Linux)."""
    os.setpgid(0, 0)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG


def node_command(heap, config_path, source=False):
    """The micropython command line and environment that run the node."""
    if source:
        code = [os.path.join(ROOT, 'firmware'), os.path.join(ROOT, 'boards', 'sim')]
    else:
        build = os.path.join(ROOT, 'build', 'sim-mpy')
        code = [build_mpy.build(os.path.join(ROOT, 'firmware'), build + '/firmware'),
                build_mpy.build(os.path.join(ROOT, 'boards', 'sim'), build + '/sim')]
    env = dict(os.environ, MICROPYPATH=':'.join(['.frozen'] + code))
    return [MICROPYTHON, '-X', 'heapsize=' + heap, os.path.join(code[0], 'main.py'),
            config_path], env


def serve(args, child, uart_path):
    """Forward the node's output to stderr, READY to stdout; the node's exit code.
    Output before READY is held back: if the node stops before serving, its last
    line says why, in one line instead of a traceback."""
    held = []
    ready = False
    for raw in child.stdout:
        line = raw.decode(errors='replace').rstrip('\n')
        if ready:
            print(line, file=sys.stderr, flush=True)
        elif line.startswith('SECoP node serving'):
            ready = True
            for early in held:
                print(early, file=sys.stderr)
            served = [item for item in line.split() if item.startswith(('tcp=', 'udp='))]
            served += ['uart=%s' % uart_path] if uart_path else []
            print(' '.join(['READY'] + served), flush=True)
            if 'tcp=127.0.0.1:%d' % args.port in served:
                print('web page: http://127.0.0.1:%d/' % args.port, file=sys.stderr, flush=True)
        else:
            held.append(line)
    code = child.wait()
    if not ready and code not in STOPPED:
        last = next((line for line in reversed(held) if line.strip()), 'no output')
        hint = ''
        if 'MemoryError' in last:
            hint = ' (--heap %s is too small; the default is %s)' % (args.heap, DEFAULT_HEAP)
        elif getattr(args, 'problems', 0):
            hint = ' (tools/check_config.py %s --board sim names %d problems of this config)' % (
                args.config, args.problems)
        raise SimError('the node stopped before serving: %s%s' % (last.strip(), hint))
    return 0 if code in STOPPED else code


def main(argv=None):
    args = parse_args(argv)
    child = None

    def stop(signum, frame):
        if child is None:
            raise SystemExit(0)     # before the node starts: just clean up
        child.terminate()           # serve() sees its output end

    workdir = tempfile.mkdtemp(prefix='secop-sim-')
    try:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            args.port = free_port(port=args.port)
        except OSError:
            raise SimError('port %d on 127.0.0.1 is in use (another make sim?): choose another '
                           'with --port N (make sim SIM_PORT=N)' % args.port)
        config_path = os.path.join(workdir, 'config.json')
        uart_path = prepare_config(args, config_path)
        page = os.path.join(workdir, build_page.BOARD_PATH)    # where a board keeps it
        os.makedirs(os.path.dirname(page))
        shutil.copy(build_page.build(), page)
        cmd, env = node_command(args.heap, config_path, args.source)
        child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 env=env, cwd=workdir, preexec_fn=_detach)
        return serve(args, child, uart_path)
    except SimError as exc:
        print('sim: %s' % exc, file=sys.stderr)
        return 2
    finally:
        if child is not None:
            stop_process(child)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
