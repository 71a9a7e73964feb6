#!/usr/bin/env python3
"""Run the SEC node on the simulated board under the MicroPython unix port.

    .venv/bin/python tools/sim.py [--port N] [--heap SIZE] [--uart PATH|auto]
                                  [--speed X] [--wrap-in S] [--config FILE] [--source]
                                  [--discovery-port N] [--announce-port N] [--state PATH]
                                  [--raw-config]

Prints exactly one line ``READY [tcp=127.0.0.1:N] [udp=127.0.0.1:M] [uart=PATH]``
on stdout once the node serves, then runs until Ctrl-C or SIGTERM and leaves
nothing behind.  The node's own output, and the address of its web page, go
to stderr.  UDP discovery listens and answers on 127.0.0.1 only (``udp=off``
if its port is taken or ``--discovery-port 0``); the simulator never
broadcasts: its announcement is off unless ``--announce-port`` sends it to
127.0.0.1 on that port.  A problem the user can fix (port in
use, a missing or broken config, a heap too small to boot) is one line on
stderr starting with ``sim:``, exit code 2.  ``--uart auto`` creates a pty pair joined like a null-modem
cable and prints the client's end.  The firmware runs from .mpy files, as a
deploy copies them (compiling .py sources needs more heap than the node
itself); ``--source`` runs the .py files instead, with a larger heap.
``--state PATH`` keeps the node's settings in PATH on the host (created when
missing), as a board keeps them on its flash; without it they last one run.
"""

import argparse
import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'tools'), ROOT, os.path.join(ROOT, 'firmware')]

import build_mpy  # noqa: E402
import build_page  # noqa: E402
from boards import configcheck  # noqa: E402  (it builds sensors with firmware/'s code)
from datafiles import beside, data_files  # noqa: E402

MICROPYTHON = os.path.join(os.path.dirname(sys.executable), 'micropython')
DEFAULT_CONFIG = os.path.join(ROOT, 'boards', 'sim', 'config.json')
BUILD = os.path.join(ROOT, 'build', 'sim-mpy')
# The unix port cannot freeze code into the binary, so the firmware's bytecode,
# qstrs and objects share the 64-bit heap with the node: see docs/performance.md.
DEFAULT_HEAP = '256k'
STOPPED = (0, -signal.SIGTERM, 130)


class SimError(Exception):
    """A problem the user can fix, said in one line."""


def tcp_port(text):
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError('%r is not a TCP port (0..65535, 0: any free port)'
                                         % text)
    return port


def heap_size(text):
    match = re.fullmatch(r'(\d+)([kKmM]?)', text)
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError('%r is not a heap size (for example 256k or 1m)' % text)
    return text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=tcp_port, default=10767,
                        help='TCP port on 127.0.0.1; 0: any free port, printed in READY '
                        '(default: %(default)s)')
    parser.add_argument('--heap', type=heap_size, default=DEFAULT_HEAP,
                        help='MicroPython heap size, -X heapsize (default: %(default)s)')
    parser.add_argument('--uart', help="serial line: a tty path, or 'auto' for a new pty "
                        '(default: none)')
    parser.add_argument('--speed', type=float, help='simulated seconds per real second '
                        '(default: the config\'s board.speed, else 1)')
    parser.add_argument('--wrap-in', type=float, metavar='SECONDS',
                        help='the 30-bit tick counter wraps this many simulated seconds '
                             'after boot (default: a day)')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='node configuration, JSON (default: boards/sim/config.json)')
    parser.add_argument('--discovery-port', type=tcp_port, default=10767,
                        help='UDP discovery port on 127.0.0.1, 0: off (default: %(default)s)')
    parser.add_argument('--announce-port', type=tcp_port, default=0,
                        help='announce the node to 127.0.0.1 on this UDP port (default: 0, '
                        'never)')
    parser.add_argument('--state', help='settings file kept across runs (created when missing)')
    parser.add_argument('--source', action='store_true',
                        help='run the .py sources instead of .mpy (needs about 256k heap)')
    parser.add_argument('--raw-config', action='store_true',
                        help='give the node --config unchanged and unchecked, even if it is '
                        'not valid JSON, to see how the node deals with it; TCP and serial '
                        'come from fallback.json (default: off)')
    return parser.parse_args(argv)


# After DTR rises, the node needs a moment to see it (it looks every 20 ms): until
# then the null-modem holds the new client's bytes and drops the node's, which
# an old session may still be sending.
SETTLE_S = 0.1


class NullModem:
    """Two ptys whose masters are joined: the node opens one end, a client the other.

    Like a serial cable, bytes sent while nobody listens at the client's end
    are lost (the relay never blocks on a full buffer).  Like its DTR line,
    the file ``presence_path`` exists while a client has its end open and
    holds that client's number, so the node can end a session when its client
    goes (the node's board reads it: boards/sim ``serial_presence``).  A new
    client's first bytes wait ``SETTLE_S`` (see there)."""

    def __init__(self, presence_path):
        self.node_master, node_slave = os.openpty()
        self.client_master, client_slave = os.openpty()
        for fd in (self.node_master, node_slave, self.client_master, client_slave):
            tty.setraw(fd)
        for fd in (self.node_master, self.client_master):
            os.set_blocking(fd, False)
        self.node_path = os.ttyname(node_slave)
        self.client_path = os.ttyname(client_slave)
        os.close(client_slave)      # the client's end is open only while a client uses it
        self._node_slave = node_slave   # keep the node's end up across its reopenings
        self.presence_path = presence_path
        self.client_open = False
        self.clients = 0
        threading.Thread(target=self._relay, daemon=True).start()

    def _relay(self):
        held = b''                  # a new client's first bytes, while the line settles
        settle_until = 0.0
        while True:
            ready, _, _ = select.select([self.node_master, self.client_master], [], [], 0.02)
            if self.client_master in ready or not self.client_open:
                data = self._read(self.client_master)
                if self._client_is(data is not None):
                    settle_until = time.monotonic() + SETTLE_S
                if data:
                    held += data
            settling = time.monotonic() < settle_until
            if self.node_master in ready:
                data = self._read(self.node_master)
                if data and self.client_open and not settling:
                    self._write(self.client_master, data)
            if held and not settling:
                self._write(self.node_master, held)
                held = b''
            if not self.client_open:
                held = b''
                time.sleep(0.02)    # a closed end reads EIO at once: do not spin

    def _client_is(self, open_now):
        """Track the client's end; True when a client has just opened it."""
        if open_now == self.client_open:
            return False
        self.client_open = open_now
        if open_now:
            self.clients += 1
            with open(self.presence_path + '.new', 'w') as f:
                f.write(str(self.clients))
            os.replace(self.presence_path + '.new', self.presence_path)
        else:
            try:
                os.remove(self.presence_path)
            except OSError:
                pass
        return open_now

    @staticmethod
    def _read(fd):
        """Bytes, b'' if none are waiting, None if the other end is closed."""
        try:
            return os.read(fd, 4096)
        except BlockingIOError:
            return b''
        except OSError:
            return None

    @staticmethod
    def _write(fd, data):
        try:
            os.write(fd, data)
        except OSError:
            pass                    # buffer full or end closed: the bytes are lost


def prepare_config(args, path):
    """Write the node's config for this run; returns (null modem or None, client uart)."""
    if args.raw_config:
        return raw_config(args, path), None
    try:
        with open(args.config) as f:
            config = json.load(f)
    except OSError as exc:
        raise SimError('cannot read --config %s: %s' % (args.config, exc.strerror))
    except ValueError as exc:
        raise SimError('--config %s is not valid JSON: %s' % (args.config, exc))
    if type(config) is not dict or type(config.get('tcp', {})) is not dict:
        raise SimError('--config %s: the configuration must be a JSON object with a '
                       '"tcp" object' % args.config)
    # checked here, as make deploy does; the node is told the problems (and puts
    # the modules concerned in ERROR) instead of refusing to start, to show that
    by_module = {}
    with beside(args.config):      # curve files are named relative to the config
        problems = configcheck.check(config, 'sim', None, by_module)
    if problems:        # [module index or None, text]: the node stands those modules in ERROR
        config['problems'] = [[index, text] for index, texts in sorted(by_module.items())
                              for text in texts] + \
            [[None, text] for text in problems if not any(text in t for t in by_module.values())]
    tcp = config.setdefault('tcp', {})
    tcp['bind'] = '127.0.0.1'
    tcp['port'] = args.port
    args.tcp = tcp.get('enabled', True)
    discovery = config['discovery'] = {'enabled': args.discovery_port > 0, 'bind': '127.0.0.1',
                                       'port': args.discovery_port or 10767}
    if args.announce_port:
        discovery.update(announce='127.0.0.1', announce_port=args.announce_port)
    if args.speed is not None:
        config.setdefault('board', {})['speed'] = args.speed
    if args.wrap_in is not None:
        config.setdefault('board', {})['wrap_in'] = args.wrap_in
    if args.state:
        config.setdefault('node', {})['state'] = os.path.abspath(args.state)
    modem = None
    if args.uart:
        if args.uart == 'auto':
            modem = NullModem(os.path.join(os.path.dirname(path), 'serial-client'))
            node_path, client_path = modem.node_path, modem.client_path
            config['serial'] = {'enabled': True, 'path': node_path,
                                'presence': modem.presence_path}
        else:
            node_path = client_path = args.uart
            config['serial'] = {'enabled': True, 'path': node_path}
    for name in data_files(config):     # curves: next to the config, as on a board
        source = os.path.join(os.path.dirname(os.path.abspath(args.config)), name)
        target = os.path.join(os.path.dirname(path), name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
    with open(path, 'w') as f:
        json.dump(config, f)
    return modem, (client_path if args.uart else None)


def raw_config(args, path):
    """--raw-config: config.json copied as it is; fallback.json holds the transports the
    node serves when it cannot read it (boards/sim fallback_transports)."""
    shutil.copy(args.config, path)
    args.tcp = True
    board = {} if args.speed is None else {'speed': args.speed}
    with open(os.path.join(os.path.dirname(path), 'fallback.json'), 'w') as f:
        json.dump({'tcp': {'bind': '127.0.0.1', 'port': args.port}, 'board': board}, f)
    return None


def claim_port(port):
    """The port itself, or a free one for 0; SimError if another program listens there."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the node does
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            raise SimError('port %d on 127.0.0.1 is in use (another make sim?): choose another '
                           'with --port N (make sim SIM_PORT=N)' % port)
        return sock.getsockname()[1]


def _detach():
    """In the child: a process group of its own, so Ctrl-C in the terminal reaches only
    sim.py, which stops the node (a new session would make the node's serial line its
    controlling tty); and SIGTERM when sim.py dies, even by SIGKILL (Linux)."""
    os.setpgid(0, 0)
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def node_command(heap, config_path, source=False):
    """The micropython command line and environment that run the node."""
    if source:
        code = [os.path.join(ROOT, 'firmware'), os.path.join(ROOT, 'boards', 'sim')]
    else:
        code = [build_mpy.build(os.path.join(ROOT, 'firmware'), BUILD + '/firmware'),
                build_mpy.build(os.path.join(ROOT, 'boards', 'sim'), BUILD + '/sim')]
    env = dict(os.environ, MICROPYPATH=':'.join(['.frozen'] + code))
    return [MICROPYTHON, '-X', 'heapsize=' + heap, os.path.join(code[0], 'main.py'),
            config_path], env


def start_node(args, workdir):
    config_path = os.path.join(workdir, 'config.json')
    modem, uart_path = prepare_config(args, config_path)
    page = os.path.join(workdir, build_page.BOARD_PATH)    # where a board keeps it
    os.makedirs(os.path.dirname(page))
    shutil.copy(build_page.build(), page)
    cmd, env = node_command(args.heap, config_path, args.source)
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                             cwd=workdir, preexec_fn=_detach)
    return child, modem, uart_path


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
            served = ['tcp=127.0.0.1:%d' % args.port] if args.tcp else []
            served += [item for item in line.split() if item.startswith('udp=')]
            served += ['uart=%s' % uart_path] if uart_path else []
            print(' '.join(['READY'] + served), flush=True)
            if args.tcp:
                print('web page: http://127.0.0.1:%d/' % args.port, file=sys.stderr, flush=True)
        else:
            held.append(line)
    code = child.wait()
    if not ready and code not in STOPPED:
        last = next((line for line in reversed(held) if line.strip()), 'no output')
        hint = ''
        if 'MemoryError' in last:
            hint = ' (--heap %s is too small; the default is %s)' % (args.heap, DEFAULT_HEAP)
        elif 'EADDRINUSE' in last:
            hint = ' (port %d is in use: choose another with --port N)' % args.port
        raise SimError('the node stopped before serving: %s%s' % (last.strip(), hint))
    return 0 if code in STOPPED else code


def main(argv=None):
    args = parse_args(argv)
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.terminate()

    child = None
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workdir = tempfile.mkdtemp(prefix='secop-sim-')
    try:
        args.port = claim_port(args.port)
        child, modem, uart_path = start_node(args, workdir)
        if stopping:
            child.terminate()
        return serve(args, child, uart_path)
    except SimError as exc:
        print('sim: %s' % exc, file=sys.stderr)
        return 2
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
