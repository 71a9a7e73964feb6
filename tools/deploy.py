#!/usr/bin/env python3
"""Deploy the SEC node to a board over its USB serial port, and check it answers.

    .venv/bin/python tools/deploy.py --board esp32 --port /dev/ttyUSB0 [--config FILE]
        [--verify-tcp HOST:PORT | --verify-serial PATH[:BAUD] | --no-verify] [--dry-run]
    .venv/bin/python tools/deploy.py --board sim --port /dev/pts/N [--tcp-port N]

Six steps: check the config (tools/check_config.py); compile firmware/ and the
board's modules to .mpy; compare the board's files by SHA-256; copy what
differs and remove stale files that would shadow the new modules; reset and
watch the console until the node serves; ask ``*IDN?`` and ``describe``.
``--board sim`` deploys to a host_tests/vboard virtual board (TCP on
127.0.0.1).  The conversation with the board is tools/board_link.py;
docs/boards.md section 5 describes the layout on the board and the options.
"""

import argparse
import datetime
import glob
import hashlib
import json
import os
import shutil
import socket
import sys
import time
from pathlib import PurePosixPath

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'tools'), ROOT, os.path.join(ROOT, 'firmware')]

import boards  # noqa: E402
from board_link import (WATCHDOG, Failure, detail, inventory, mpremote,  # noqa: E402
                        probe_repl, reset_and_watch)
import build_mpy  # noqa: E402
import build_page  # noqa: E402
import check_config  # noqa: E402
import compile_node  # noqa: E402
from simnode import free_port  # noqa: E402
from datafiles import data_files  # noqa: E402

FIRMWARE = os.path.join(ROOT, 'firmware')


class Item:
    """One file to have on the board: its local source and its path there."""

    def __init__(self, local, remote):
        self.local, self.remote = local, remote
        with open(local, 'rb') as f:
            data = f.read()
        self.size, self.sha256 = len(data), hashlib.sha256(data).hexdigest()


def step(number, text):
    print('[%d/6] %s' % (number, text), flush=True)


def build(caps, stage):
    """Compile firmware/ and the board's ``DEPLOY`` modules; main.py's Item and theirs."""
    fw_out = build_mpy.build(FIRMWARE, os.path.join(stage, 'firmware'))
    board_out = build_mpy.build(os.path.join(ROOT, 'boards', caps.NAME),
                                os.path.join(stage, 'board'))
    sources = sorted(glob.glob('**/*.py', root_dir=FIRMWARE, recursive=True))
    modules = [(fw_out, rel) for rel in sources if rel not in build_mpy.KEEP_SOURCE] + \
        [(board_out, rel) for rel in caps.DEPLOY]
    return [Item(os.path.join(FIRMWARE, 'main.py'), 'main.py')] + [
        Item(os.path.join(out, rel[:-3] + '.mpy'), 'lib/' + rel[:-3] + '.mpy')
        for out, rel in modules]


def _stale(path, wanted, roots):
    """A file that would shadow or outlive the deployed modules."""
    if path in wanted or not path.endswith(('.py', '.mpy')):
        return False
    stem = path.rsplit('.', 1)[0]
    if '/' not in path:         # top level: app.py beats lib/app.mpy
        return path not in ('main.py', 'boot.py') and stem in roots
    if stem + '.mpy' in wanted:  # lib/x.py beats lib/x.mpy
        return True
    parts = path.split('/')
    return parts[0] == 'lib' and len(parts) > 2 and parts[1] in roots


def sync(port, caps, items, inv):
    """Step 4: copy what differs, remove what is stale, set the RTC if the board wants it."""
    wanted = {item.remote for item in items}
    roots = {path.split('/')[1].split('.')[0] for path in wanted if path.startswith('lib/')}
    copy = [item for item in items if inv.files.get(item.remote) != item.sha256]
    remove = sorted(path for path in inv.files if _stale(path, wanted, roots))
    remove_dirs = sorted(d for d in inv.dirs if '/' not in d and d in roots)
    if not (copy or remove or remove_dirs):
        step(4, 'sync: all %d files up to date, nothing to copy' % len(items))
    else:
        step(4, 'sync: %d to copy, %d up to date, %d stale to remove'
             % (len(copy), len(items) - len(copy), len(remove) + len(remove_dirs)))
    commands = ['exec', WATCHDOG % caps.WDT_GRACE_MS]
    for path in remove:
        detail('remove %s (would shadow or outlive the new modules)' % path)
        commands += ['+', 'fs', 'rm', ':' + path]
    for path in remove_dirs:
        detail('remove %s/ (a package there shadows lib/%s)' % (path, path))
        commands += ['+', 'fs', 'rm', '-r', ':' + path]
    folders = {str(p) for item in copy for p in PurePosixPath(item.remote).parents[:-1]}
    for path in sorted(folders - inv.dirs):       # a parent sorts before its children
        commands += ['+', 'fs', 'mkdir', ':' + path]
    for item in copy:
        detail('copy %s (%d bytes)' % (item.remote, item.size))
        commands += ['+', 'fs', 'cp', '-f', item.local, ':' + item.remote]
    if caps.SET_RTC:
        now = datetime.datetime.now(datetime.timezone.utc)
        fields = (now.year, now.month, now.day, now.isoweekday(), now.hour, now.minute,
                  now.second, 0)
        commands += ['+', 'exec', 'import machine\nmachine.RTC().datetime(%r)' % (fields,)]
    if len(commands) > 2:
        mpremote(port, commands)
        detail('done' + (', RTC set to UTC' if caps.SET_RTC else ''))


def ask(stream, request):
    """The reply to ``request`` on ``stream`` (write, readline), events skipped."""
    stream.write((request + '\n').encode())
    stream.flush()
    while True:
        line = stream.readline()
        if not line:
            raise OSError('no reply to %s' % request)
        text = line.decode('utf-8', 'replace').strip()
        if text and not text.startswith('update '):
            return text


def check_answers(stream, where, todo):
    """Asks ``*IDN?`` and ``describe``; returns a summary of the node."""
    try:
        idn = ask(stream, '*IDN?')
        if 'SECoP' not in idn:
            raise ValueError('*IDN? was answered with %r: is another program listening there?'
                             % idn)
        reply = ask(stream, 'describe')
        if not reply.startswith('describing . '):
            raise ValueError('describe was answered with %r' % reply[:200])
        description = json.loads(reply[len('describing . '):])
    except (OSError, ValueError) as exc:
        raise Failure('no proper answer from the node on %s: %s' % (where, exc), todo)
    return '%s; %s: %s' % (idn, description.get('equipment_id', '?'),
                           ', '.join(description.get('modules', {})))


def verify_tcp(host, port, timeout=15):
    step(6, 'verify tcp %s:%d' % (host, port))
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection((host, port), 5)
            break
        except OSError as exc:
            if time.monotonic() > deadline:
                raise Failure('cannot connect to %s:%d: %s' % (host, port, exc),
                              'is your computer on the board\'s network? try ping %s and '
                              'nc %s %d' % (host, host, port))
            time.sleep(0.3)
    with sock, sock.makefile('rwb') as stream:
        detail(check_answers(stream, '%s:%d' % (host, port), 'look at the node\'s console '
                             'output (mpremote connect <port> repl)'))


def verify_serial(path, baud):
    step(6, 'verify on %s' % path)
    import serial
    try:
        line = serial.serial_for_url(path, baud, timeout=5)
    except (OSError, ValueError) as exc:
        raise Failure('cannot open %s: %s' % (path, exc),
                      'check the serial adapter and the path of its port')
    with line:
        detail(check_answers(line, path, 'check wiring (TX to RX), baud rate and that '
                             'serial.enabled is true'))


def verify(args, config, console):
    """Step 6: ask the node where it serves, or where the options say."""
    tcp = config.get('tcp', {})
    port = tcp.get('port', 10767)
    if args.no_verify:
        step(6, 'verify: skipped (--no-verify)')
    elif args.verify_serial:
        path, _, baud = args.verify_serial.partition(':')
        verify_serial(path, int(baud or config.get('serial', {}).get('baudrate', 115200)))
    elif args.verify_tcp:
        host, _, port = args.verify_tcp.rpartition(':')
        verify_tcp(host, int(port))
    elif not tcp.get('enabled', True):
        step(6, 'verify: the node serves %s; to talk to it, pass --verify-serial PATH[:BAUD]'
             % console.serving)
    elif args.caps.HOST_ONLY or console.ip:
        verify_tcp('127.0.0.1' if args.caps.HOST_ONLY else console.ip, port)
    elif console.access_point:
        raise Failure('Wi-Fi did not connect; the board opened its access point at %s'
                      % console.access_point,
                      'check board.network.ssid in config.json and wifi_password in secrets.json;'
                      ' or join the access point and run with --verify-tcp %s:%d'
                      % (console.access_point, port))
    else:
        raise Failure('Wi-Fi did not connect within %d s' % args.timeout,
                      'check board.network.ssid and wifi_password (console status 201: network '
                      'not found, 202: wrong password), or pass --verify-tcp HOST:PORT')


def prepared(config_path, stage, names, folder):
    """The Items of the config and of its describing line, prepared on the host
    (tools/compile_node.py) from exactly the config.json the board gets."""
    for name in names:      # data files (curves) beside the config, as on the board
        target = os.path.join(os.path.dirname(config_path), name)
        if not os.path.exists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(os.path.join(folder, name), target)
    try:
        line = compile_node.describe(config_path, os.path.join(stage, compile_node.DESCRIPTION))
    except compile_node.CompileError as exc:
        raise Failure(str(exc), 'run the config in the simulator: .venv/bin/python '
                      'tools/sim.py --config %s' % os.path.relpath(config_path))
    return [Item(line, compile_node.DESCRIPTION), Item(config_path, 'config.json')]


def run(args):
    caps = args.caps = boards.capabilities(args.board)
    path = args.config or os.path.join(ROOT, 'boards', args.board, 'config.json')
    step(1, 'check %s for %s' % (os.path.relpath(path), args.board))
    config, problems = check_config.load(path, args.board)
    for problem in problems:
        detail('problem: ' + problem)
    if problems:
        raise Failure('%s has %d problem(s), listed above' % (path, len(problems)),
                      'fix them, check again with: .venv/bin/python tools/check_config.py %s '
                      '--board %s' % (os.path.relpath(path), args.board))
    detail('ok')
    example = example_id(config)
    if example:
        detail('warning: equipment_id %r is a shipped example: every board deployed with it '
               'is that node, and clients key their data on it (a bluesky count over two '
               'collides); set your own or leave it out (the board\'s unique id is used)'
               % example)

    stage = os.path.join(ROOT, 'build', 'deploy', args.board)
    items = build(caps, stage)
    step(2, 'build: %d modules compiled to .mpy in %s' % (len(items) - 1, os.path.relpath(stage)))
    if config.get('tcp', {}).get('enabled', True):      # the web page (transport/web.py)
        items.append(Item(build_page.build(), build_page.BOARD_PATH))
    folder = os.path.dirname(os.path.abspath(path))
    names = data_files(config)
    if os.path.exists(os.path.join(folder, 'secrets.json')):
        names.append('secrets.json')
    items += [Item(os.path.join(folder, name), name) for name in names]
    if args.dry_run:
        step(3, 'dry run: the board on %s is not contacted' % args.port)
        for item in items + prepared(path, stage, names, folder):
            detail('would copy %s (%d bytes) unless the board has it already'
                   % (item.remote, item.size))
        detail('dry run: nothing changed')
        return 0
    probe_repl(args.port)
    inv = inventory(args.port, caps, [item.remote for item in items] +
                    [compile_node.DESCRIPTION, 'config.json'])
    step(3, 'connect %s: MicroPython %s (%s), %d files' % (args.port, inv.version, inv.platform,
                                                          len(inv.files)))
    if caps.HOST_ONLY:      # a vboard: TCP on loopback only, on the port it already uses
        config['tcp'] = dict(config.get('tcp', {}), bind='127.0.0.1',
                             port=args.tcp_port or inv.tcp_port or free_port())
        path = os.path.join(stage, 'config.json')
        with open(path, 'w') as f:
            json.dump(config, f, indent=1)
    items += prepared(path, stage, names, folder)
    sync(args.port, caps, items, inv)

    want_ip = caps.WIFI and not (args.verify_tcp or args.verify_serial or args.no_verify)
    step(5, '%s reset; waiting for the node (up to %d s)' % (caps.RESET, args.timeout))
    console = reset_and_watch(args.port, caps.RESET, args.timeout, want_ip)
    if console.serving is None:
        raise Failure('the node did not report "SECoP node serving" within %d s' % args.timeout,
                      'read the console lines above; mpremote connect %s repl shows the '
                      'REPL' % args.port)
    verify(args, config, console)
    print('deploy ok', flush=True)
    return 0


def example_id(config):
    """The config's equipment_id if it is one of the shipped example configs' ids."""
    ident = (config.get('node') or {}).get('equipment_id')
    for path in glob.glob(os.path.join(ROOT, 'boards', '*', 'config*.json')):
        with open(path) as f:
            if ident and ident == json.load(f).get('node', {}).get('equipment_id'):
                return ident
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--board', required=True, choices=boards.names())
    parser.add_argument('--port', required=True, help='serial port of the REPL (or a vboard pty)')
    parser.add_argument('--config', help='config.json (default: boards/<board>/config.json)')
    parser.add_argument('--verify-tcp', metavar='HOST:PORT', help='ask the node there')
    parser.add_argument('--verify-serial', metavar='PATH[:BAUD]', help='ask the node on this line')
    parser.add_argument('--no-verify', action='store_true', help='stop after the reset')
    parser.add_argument('--tcp-port', type=int, help='sim only: TCP port of the node')
    parser.add_argument('--timeout', type=float, default=30, help='seconds to wait for the node')
    parser.add_argument('--dry-run', action='store_true', help='check and build, list what a '
                        'deploy copies; the board is not contacted')
    try:
        return run(parser.parse_args(argv))
    except Failure as exc:
        print('deploy failed: %s\n  next: %s' % exc.args, flush=True)
        return 1


if __name__ == '__main__':
    sys.exit(main())
