#!/usr/bin/env python3
"""Deploy the SEC node to a board over its USB serial port, and check it answers.

    .venv/bin/python tools/deploy.py --board esp32 --port /dev/ttyUSB0
        [--config FILE] [--verify-tcp HOST:PORT | --verify-serial PATH[:BAUD] | --no-verify]
        [--reset hard|soft] [--dry-run]
    .venv/bin/python tools/deploy.py --board sim --port /dev/pts/N [--tcp-port N]

Steps: check the config (boards/configcheck.py); compile firmware/ and the
board's modules to bytecode .mpy (loads on MicroPython 1.19 and later);
list the board's files with their SHA-256; copy only what differs, and remove
stale ``.py`` files that would shadow the ``.mpy`` (``foo.py`` beats
``foo.mpy``); reset the board and watch its console until the node serves;
then ask ``*IDN?`` and ``describe`` over TCP (or a serial line).

Layout on the board: ``main.py``, ``config.json`` (and ``secrets.json`` if
there is one next to the config) at the top, compiled modules in ``lib/``.
``--board sim`` deploys the simulated board (what its capabilities.py lists) to a
host_tests/vboard/vboard.py virtual board, with TCP on 127.0.0.1 and a free port (the
one the board already uses, when it has one).  Every failure says what to
do next.  Before mpremote runs, the port must answer like a MicroPython REPL
within seconds (a node's SECoP serial line does not).  ``--dry-run`` checks
and builds, lists what a deploy copies, and does not touch the board.  The
conversation with the board (REPL, mpremote, console) is tools/board_link.py.
"""

import argparse
import datetime
import hashlib
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'tools'), ROOT, os.path.join(ROOT, 'firmware')]

import boards  # noqa: E402
from board_link import (WATCHDOG, Failure, detail, inventory, mpremote,  # noqa: E402
                        probe_repl, reset_and_watch)
import build_mpy  # noqa: E402
import build_page  # noqa: E402
from boards import configcheck  # noqa: E402
from simnode import LineClient, free_port  # noqa: E402
from datafiles import beside, data_files  # noqa: E402

FIRMWARE = os.path.join(ROOT, 'firmware')
# while files are copied the node is stopped and nothing feeds the watchdog
STEPS = 6


class Item:
    """One file to have on the board: its local source and its path there."""

    def __init__(self, local, remote):
        self.local = local
        self.remote = remote
        with open(local, 'rb') as f:
            data = f.read()
        self.size = len(data)
        self.sha256 = hashlib.sha256(data).hexdigest()


def step(number, text):
    print('[%d/%d] %s' % (number, STEPS, text), flush=True)


# --- 1. config -----------------------------------------------------------------

def _read_json(path, hint):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise Failure('cannot read %s: %s' % (path, exc), hint)


def load_config(args):
    path = args.config or os.path.join(ROOT, 'boards', args.board, 'config.json')
    config = _read_json(path, 'give an existing config.json with --config, or fix its JSON syntax')
    secrets_path = os.path.join(os.path.dirname(os.path.abspath(path)), 'secrets.json')
    secrets = None
    if args.caps.WIFI:
        secrets = {}
        if os.path.exists(secrets_path):
            secrets = _read_json(secrets_path, 'fix its JSON syntax (see secrets.example.json)')
    return path, config, secrets_path if os.path.exists(secrets_path) else None, secrets


def sim_config(config, tcp_port):
    """The simulated board's config for a vboard: TCP on loopback only."""
    config = json.loads(json.dumps(config))
    tcp = config.setdefault('tcp', {})
    tcp['bind'] = '127.0.0.1'
    tcp['port'] = tcp_port
    return config


def check_config(args, path, config, secrets):
    with beside(path):             # curve files are named relative to the config
        problems = configcheck.check(config, args.caps, secrets)
    if problems:
        for problem in problems:
            detail('problem: ' + problem)
        raise Failure('%s has %d problem(s), listed above' % (path, len(problems)),
                      'fix them, check again with: .venv/bin/python tools/check_config.py %s '
                      '--board %s' % (os.path.relpath(path), args.board))


# --- 2. build --------------------------------------------------------------------

def build(caps, stage):
    """Compile firmware/ and the modules the board declares (``DEPLOY``); returns the
    Items except config/secrets."""
    fw_out = build_mpy.build(FIRMWARE, os.path.join(stage, 'firmware'))
    board_out = build_mpy.build(os.path.join(ROOT, 'boards', caps.NAME),
                                os.path.join(stage, 'board'))
    items = [Item(os.path.join(FIRMWARE, 'main.py'), 'main.py')]
    modules = [(fw_out, rel) for rel in sorted(_sources(FIRMWARE))
               if rel not in build_mpy.KEEP_SOURCE] + [(board_out, rel) for rel in caps.DEPLOY]
    for out, rel in modules:
        mpy = rel[:-3] + '.mpy'
        items.append(Item(os.path.join(out, mpy), 'lib/' + mpy))
    return items


def _sources(top):
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in files:
            if name.endswith('.py'):
                yield os.path.relpath(os.path.join(folder, name), top).replace(os.sep, '/')


# --- 4. sync -----------------------------------------------------------------------

class Plan:
    def __init__(self, items, inv, shadowing_roots):
        self.copy = [item for item in items if inv.files.get(item.remote) != item.sha256]
        self.same = len(items) - len(self.copy)
        wanted = set(item.remote for item in items)
        self.remove = sorted(path for path in inv.files if _stale(path, wanted, shadowing_roots))
        self.remove_dirs = sorted(d for d in inv.dirs if '/' not in d and d in shadowing_roots)
        needed = set()
        for item in self.copy:
            parts = item.remote.split('/')[:-1]
            for depth in range(1, len(parts) + 1):
                needed.add('/'.join(parts[:depth]))
        self.mkdirs = sorted(needed - inv.dirs, key=lambda d: (d.count('/'), d))

    def empty(self):
        return not (self.copy or self.remove or self.remove_dirs)


def _stale(path, wanted, roots):
    """A file that would shadow or outlive the deployed modules."""
    if path in wanted or not path.endswith(('.py', '.mpy')):
        return False
    stem = path[:-3] if path.endswith('.py') else path[:-4]
    if '/' not in path:         # top level: app.py beats lib/app.mpy
        return path != 'main.py' and path != 'boot.py' and stem in roots
    if stem + '.mpy' in wanted:  # lib/x.py beats lib/x.mpy
        return True
    parts = path.split('/')
    return parts[0] == 'lib' and len(parts) > 2 and parts[1] in roots


def shadowing_roots(items):
    """Top-level module and package names of the deployed lib/."""
    return set(item.remote.split('/')[1].split('.')[0] for item in items
               if item.remote.startswith('lib/'))


def sync(port, board, plan, set_rtc):
    commands = ['exec', WATCHDOG % board.WDT_GRACE_MS]
    for path in plan.remove:
        commands += ['+', 'fs', 'rm', ':' + path]
    for path in plan.remove_dirs:
        commands += ['+', 'fs', 'rm', '-r', ':' + path]
    for path in plan.mkdirs:
        commands += ['+', 'fs', 'mkdir', ':' + path]
    for item in plan.copy:
        commands += ['+', 'fs', 'cp', '-f', item.local, ':' + item.remote]
    if set_rtc:
        commands += ['+', 'exec', _rtc_now()]
    mpremote(port, commands)


def _rtc_now():
    now = datetime.datetime.now(datetime.timezone.utc)
    return 'import machine\nmachine.RTC().datetime((%d, %d, %d, %d, %d, %d, %d, 0))' % (
        now.year, now.month, now.day, now.isoweekday(), now.hour, now.minute, now.second)


# --- 6. verify ----------------------------------------------------------------------------

def ask(stream_write, stream_readline, request):
    stream_write((request + '\n').encode())
    while True:
        line = stream_readline()
        if not line:
            raise OSError('connection closed')
        text = line.decode('utf-8', 'replace').strip()
        if text and not text.startswith('update '):
            return text


def check_answers(exchange):
    """``exchange(request) -> reply``: checks *IDN? and describe; returns a summary."""
    idn = exchange('*IDN?')
    if 'SECoP' not in idn:
        raise Failure('*IDN? was answered with %r, not a SECoP identification' % idn,
                      'is another program listening there? check host and port')
    reply = exchange('describe')
    if not reply.startswith('describing . '):
        raise Failure('describe was answered with %r' % reply[:200],
                      'look at the node\'s console output (mpremote connect <port> repl)')
    description = json.loads(reply[len('describing . '):])
    return '%s; %s: %s' % (idn, description.get('equipment_id', '?'),
                           ', '.join(description.get('modules', {})))


def verify_tcp(host, port, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = LineClient((host, port), 5)
            break
        except OSError as exc:
            if time.monotonic() > deadline:
                raise Failure('cannot connect to %s:%d: %s' % (host, port, exc),
                              'is your computer on the board\'s network? try ping %s and '
                              'nc %s %d' % (host, host, port))
            time.sleep(0.3)
    try:
        return check_answers(conn.ask)
    except (OSError, EOFError, ValueError) as exc:
        raise Failure('the node at %s:%d did not answer properly: %s' % (host, port, exc),
                      'look at the node\'s console output (mpremote connect <port> repl)')
    finally:
        conn.close()


def verify_serial(path, baud):
    import serial
    try:
        line = serial.serial_for_url(path, baud, timeout=5)
    except (OSError, ValueError) as exc:
        raise Failure('cannot open %s: %s' % (path, exc),
                      'check the serial adapter and the path of its port')
    with line:
        try:
            return check_answers(lambda request: ask(line.write, line.readline, request))
        except (OSError, ValueError) as exc:
            raise Failure('no proper answer on %s: %s' % (path, exc),
                          'check wiring (TX to RX), baud rate and that serial.enabled is true')


# --- the whole run --------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--board', required=True, choices=boards.names())
    parser.add_argument('--port', required=True, help='serial port of the REPL (or a vboard pty)')
    parser.add_argument('--config', help='config.json (default: boards/<board>/config.json)')
    parser.add_argument('--verify-tcp', metavar='HOST:PORT', help='ask the node there')
    parser.add_argument('--verify-serial', metavar='PATH[:BAUD]', help='ask the node on this line')
    parser.add_argument('--no-verify', action='store_true', help='stop after the reset')
    parser.add_argument('--reset', choices=('hard', 'soft'), help='default: soft on the Pyboard '
                        '(its USB port stays), hard elsewhere')
    parser.add_argument('--tcp-port', type=int, help='sim only: TCP port of the node')
    parser.add_argument('--timeout', type=float, default=30, help='seconds to wait for the node')
    parser.add_argument('--dry-run', action='store_true', help='check and build, list what a '
                        'deploy copies; the board is not contacted')
    return parser.parse_args(argv)


def run(args):
    args.caps = boards.capabilities(args.board)
    path, config, secrets_path, secrets = load_config(args)
    step(1, 'check %s for %s' % (os.path.relpath(path), args.board))
    if args.caps.HOST_ONLY:
        config = sim_config(config, args.tcp_port or 10767)
    check_config(args, path, config, secrets)
    detail('ok')

    stage = os.path.join(ROOT, 'build', 'deploy', args.board)
    items = build(args.caps, stage)
    step(2, 'build: %d modules compiled to .mpy in %s' % (len(items) - 1, os.path.relpath(stage)))
    if config.get('tcp', {}).get('enabled', True):      # the web page (transport/web.py)
        items.append(Item(build_page.build(), build_page.BOARD_PATH))

    for name in data_files(config):
        items.append(Item(os.path.join(os.path.dirname(os.path.abspath(path)), name), name))
    if args.dry_run:
        step(3, 'dry run: the board on %s is not contacted' % args.port)
        extra = [Item(path, 'config.json')] + ([Item(secrets_path, 'secrets.json')]
                                                if secrets_path else [])
        for item in items + extra:
            detail('would copy %s (%d bytes) unless the board has it already' % (item.remote,
                                                                                 item.size))
        detail('dry run: nothing changed')
        return 0
    probe_repl(args.port)
    wanted = [item.remote for item in items] + ['config.json', 'secrets.json']
    inv = inventory(args.port, args.caps, wanted)
    step(3, 'connect %s: MicroPython %s (%s), %d files' % (args.port, inv.version, inv.platform,
                                                          len(inv.files)))
    if args.caps.HOST_ONLY:
        config = sim_config(config, args.tcp_port or inv.tcp_port or free_port())
        path = os.path.join(stage, 'config.json')
        with open(path, 'w') as f:
            json.dump(config, f, indent=1)
    items.append(Item(path, 'config.json'))
    if secrets_path:
        items.append(Item(secrets_path, 'secrets.json'))

    plan = Plan(items, inv, shadowing_roots(items))
    report_plan(plan)
    set_rtc = args.caps.SET_RTC
    if not plan.empty() or set_rtc:
        sync(args.port, args.caps, plan, set_rtc)
        detail('done' + (', RTC set to UTC' if set_rtc else ''))

    mode = args.reset or args.caps.RESET
    want_ip = args.caps.WIFI and not (args.verify_tcp or args.verify_serial
                                             or args.no_verify)
    step(5, '%s reset; waiting for the node (up to %d s)' % (mode, args.timeout))
    console = reset_and_watch(args.port, mode, args.timeout, want_ip)
    if console.serving is None:
        raise Failure('the node did not report "SECoP node serving" within %d s' % args.timeout,
                      'read the console lines above; mpremote connect %s repl shows the '
                      'REPL' % args.port)
    verify(args, config, console)
    print('deploy ok', flush=True)
    return 0


def report_plan(plan):
    if plan.empty():
        step(4, 'sync: all %d files up to date, nothing to copy' % plan.same)
        return
    step(4, 'sync: %d to copy, %d up to date, %d stale to remove'
         % (len(plan.copy), plan.same, len(plan.remove) + len(plan.remove_dirs)))
    for path in plan.remove:
        detail('remove %s (would shadow or outlive the new modules)' % path)
    for path in plan.remove_dirs:
        detail('remove %s/ (a package there shadows lib/%s)' % (path, path))
    for item in plan.copy:
        detail('copy %s (%d bytes)' % (item.remote, item.size))


def verify(args, config, console):
    if args.no_verify:
        step(6, 'verify: skipped (--no-verify)')
        return
    if args.verify_serial:
        path, _, baud = args.verify_serial.partition(':')
        step(6, 'verify on %s' % path)
        detail(verify_serial(path, int(baud or config.get('serial', {}).get('baudrate', 115200))))
        return
    host, port = _tcp_target(args, config, console)
    if host is None:
        step(6, 'verify: the node serves %s; to talk to it, pass --verify-serial PATH[:BAUD]'
             % console.serving)
        return
    step(6, 'verify tcp %s:%d' % (host, port))
    detail(verify_tcp(host, port))


def _tcp_target(args, config, console):
    tcp = config.get('tcp', {})
    if args.verify_tcp:
        host, _, port = args.verify_tcp.rpartition(':')
        return host, int(port)
    if not tcp.get('enabled', True):
        return None, None
    port = tcp.get('port', 10767)
    if args.caps.HOST_ONLY:
        return '127.0.0.1', port
    if console.ip:
        return console.ip, port
    if console.access_point:
        raise Failure('Wi-Fi did not connect; the board opened its access point at %s'
                      % console.access_point,
                      'check board.network.ssid in config.json and wifi_password in secrets.json;'
                      ' or join the access point and run with --verify-tcp %s:%d'
                      % (console.access_point, port))
    raise Failure('Wi-Fi did not connect within %d s' % args.timeout,
                  'check board.network.ssid and wifi_password (console status 201: network not '
                  'found, 202: wrong password), or pass --verify-tcp HOST:PORT')


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except Failure as exc:
        print('deploy failed: %s' % exc.what, flush=True)
        print('  next: %s' % exc.todo, flush=True)
        return 1


if __name__ == '__main__':
    sys.exit(main())
