"""The deploy's conversation with a board over its USB serial port (host side).

``probe_repl`` makes sure the port answers like a MicroPython REPL within
seconds; ``mpremote`` runs one mpremote session; ``inventory`` lists the
board's files with their SHA-256 (and holds off its watchdog while the node
is stopped); ``reset_and_watch`` resets the board and reads its console until
the node serves.  Every failure is a ``Failure``: what went wrong and what to
do next.
"""

import os
import re
import subprocess
import sys
import time

MPREMOTE = os.path.join(os.path.dirname(sys.executable), 'mpremote')
MPY_BYTECODE = 6                # what mpy-cross writes; MicroPython 1.19+ loads it
SERVING = re.compile(r'SECoP node serving(.*)')
WIFI_UP = re.compile(r'wifi: connected to .* as (\S+)')
AP_UP = re.compile(r'wifi: access point .* up as (\S+)')


class Failure(Exception):
    """What went wrong, and what to do next."""

    def __init__(self, what, todo):
        Exception.__init__(self, what)
        self.what = what
        self.todo = todo


def detail(text):
    print('      ' + text, flush=True)


def mpremote(port, commands, timeout=300):
    """Run one mpremote session; returns its stdout lines or raises Failure."""
    try:
        proc = subprocess.run([MPREMOTE, 'connect', port] + commands, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure('mpremote did not finish within %d s' % timeout,
                      'press the board\'s reset button and run the deploy again')
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 or 'Traceback' in proc.stdout:
        raise Failure('mpremote failed on %s:\n%s' % (port, _indent(output.strip())),
                      _advice(output, port))
    return proc.stdout.splitlines()


def _advice(output, port):
    if 'failed to access' in output or 'No such file' in output:
        return ('check the USB cable and the port name (ls /dev/ttyUSB* /dev/ttyACM*), that '
                'you may use it (group dialout), and that no other program (screen, minicom, '
                'Thonny, an open mpremote repl) holds %s' % port)
    if 'could not enter raw repl' in output:
        return ('the board does not answer on its REPL: press its reset button and run again; '
                'if MicroPython is not flashed yet, follow docs/boards.md section 1')
    if 'ENOSPC' in output or 'Errno 28' in output:
        return 'the board\'s filesystem is full: remove files with mpremote fs rm, or reflash'
    return 'read the mpremote output above; mpremote connect %s repl opens the REPL' % port


def _indent(text):
    return '\n'.join('      | ' + line for line in text.splitlines())


_INVENTORY = r'''
import os, sys
try:
    import hashlib, binascii
except ImportError:
    hashlib = None
def _hash(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b[:n])
    return binascii.hexlify(h.digest()).decode()
def _walk(d, deep):
    for e in (os.ilistdir(d) if d else os.ilistdir()):
        p = d + '/' + e[0] if d else e[0]
        if e[1] == 0x4000:
            print('D', p)
            if deep or p in ('lib', 'www'):
                _walk(p, True)
        else:
            print('F', p, _hash(p) if hashlib and p in _want else '-')
print('V', sys.platform, getattr(sys.implementation, '_mpy', 0) & 0xff,
      '.'.join([str(x) for x in sys.implementation.version[:3]]))
_want = %r
_walk('', False)
'''

WATCHDOG = r'''
try:
    import json
    with open('config.json') as f:
        _c = json.load(f)
    print('P', _c.get('tcp', {}).get('port', 0))
    if _c.get('watchdog_ms'):
        import machine
        machine.WDT(timeout=%d).feed()
except Exception:
    pass
'''


def probe_repl(port, timeout=3.0):
    """Fail within seconds unless ``port`` answers like a MicroPython REPL: Ctrl-C twice,
    then Ctrl-A must bring the raw REPL's banner; Ctrl-B leaves it again."""
    import serial
    try:
        line = serial.serial_for_url(port, 115200, timeout=0.1)
    except (OSError, ValueError) as exc:
        raise Failure('cannot open %s: %s' % (port, exc), _advice('failed to access', port))
    with line:
        line.write(b'\r\x03\x03')
        time.sleep(0.2)
        seen = line.read(4096)
        line.write(b'\r\x01')
        deadline = time.monotonic() + timeout
        while b'raw REPL; CTRL-B to exit' not in seen and time.monotonic() < deadline:
            seen += line.read(4096)
        if b'raw REPL; CTRL-B to exit' in seen:
            line.write(b'\x02')
            return
        line.write(b'\n*IDN?\n')                # no REPL: a SECoP node answers this
        time.sleep(1.0)
        seen += line.read(4096)
    if b'ISSE' in seen or b'SECoP' in seen:
        raise Failure('%s answers in SECoP, not as a MicroPython REPL: it is the node\'s serial '
                      'line (serial.path/serial.uart in config.json)' % port,
                      'pass the port of the board\'s USB REPL with --port (ls /dev/ttyUSB* '
                      '/dev/ttyACM*; the REPL is the one that answers mpremote connect PORT repl)')
    raise Failure('no MicroPython REPL on %s within %.0f s (got %r)' % (port, timeout, seen[-80:]),
                  _advice('could not enter raw repl', port))


class Inventory:
    """The board's files: ``files`` path -> sha256 ('-' if not hashed), ``dirs``."""

    def __init__(self, lines):
        self.files = {}
        self.dirs = set()
        self.platform = self.version = ''
        self.mpy = 0
        self.tcp_port = 0
        for line in lines:
            fields = line.split()
            if not fields:
                continue
            if fields[0] == 'F' and len(fields) == 3:
                self.files[fields[1]] = fields[2]
            elif fields[0] == 'D' and len(fields) == 2:
                self.dirs.add(fields[1])
            elif fields[0] == 'V' and len(fields) == 4:
                self.platform, self.mpy, self.version = fields[1], int(fields[2]), fields[3]
            elif fields[0] == 'P' and len(fields) == 2 and fields[1].isdigit():
                self.tcp_port = int(fields[1])


def inventory(port, board, wanted):
    grace = WATCHDOG % board.WDT_GRACE_MS
    lines = mpremote(port, ['exec', grace + _INVENTORY % (sorted(wanted),)])
    inv = Inventory(lines)
    if inv.platform != board.PLATFORM:
        raise Failure('the board on %s runs MicroPython for %r, not %s'
                      % (port, inv.platform, board.NAME),
                      'pass the right --board, or flash the %s firmware (docs/boards.md)'
                      % board.NAME)
    if inv.mpy < MPY_BYTECODE:
        raise Failure('MicroPython %s on the board cannot load .mpy version %d'
                      % (inv.version, MPY_BYTECODE),
                      'flash MicroPython 1.19 or later (docs/boards.md section 1)')
    return inv


# --- 5. reset and console --------------------------------------------------------------

class Console:
    """What the node printed after the reset."""

    def __init__(self):
        self.serving = None
        self.ip = None
        self.access_point = None
        self.lines = []


def reset_and_watch(port, mode, timeout, want_ip):
    import serial
    with serial.serial_for_url(port, 115200, timeout=0.1) as line:
        line.write(b'\r\x03\x03')
        time.sleep(0.1)
        line.reset_input_buffer()
        if mode == 'hard':
            line.write(b'\r\x01')
            _read_until(line, b'raw REPL; CTRL-B to exit\r\n>', 5)
            line.write(b'import machine\nmachine.reset()\n\x04')
            rest = _read_until(line, b'OK', 5)
        else:
            line.write(b'\r\x02')
            _read_until(line, b'>>> ', 5)
            line.write(b'\x04')          # Ctrl-D at the REPL: soft reset, runs main.py
            rest = b''
        return _watch(line, rest, timeout, want_ip, port)


def _read_until(line, token, timeout):
    """Reads past ``token``; returns what came after it."""
    data = b''
    deadline = time.monotonic() + timeout
    while token not in data and time.monotonic() < deadline:
        data += line.read(256)
    if token not in data:
        raise Failure('the board did not answer on its REPL: %r' % data[-200:],
                      'press the board\'s reset button and run the deploy again')
    return data.split(token, 1)[1]


def _watch(line, pending, timeout, want_ip, port):
    console = Console()
    traceback = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending += line.read(256)
        *complete, pending = pending.split(b'\n')
        for raw in complete:
            text = raw.decode('utf-8', 'replace').strip('\r')
            console.lines.append(text)
            detail('| ' + text)
            if traceback is not None:
                traceback.append(text)
                if not text.startswith(' '):
                    raise Failure('the node stopped with an error:\n' + _indent('\n'.join(
                        traceback)), 'fix the cause shown above; in mpremote connect %s repl, '
                                     'import main shows the same error' % port)
            elif text.startswith('Traceback'):
                traceback = [text]
            _note(console, text)
        if console.serving is not None and (not want_ip or console.ip or console.access_point):
            return console
    return console


def _note(console, text):
    match = SERVING.search(text)
    if match:
        console.serving = match.group(1).strip()
    match = WIFI_UP.search(text)
    if match:
        console.ip = match.group(1)
    match = AP_UP.search(text)
    if match:
        console.access_point = match.group(1)
