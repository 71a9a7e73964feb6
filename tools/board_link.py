"""The deploy's conversation with a board over its USB serial port (host side).

``probe_repl`` fails within seconds unless the port answers like a MicroPython
REPL (mpremote would hang there); ``mpremote`` runs one mpremote session;
``inventory`` lists the board's files with their SHA-256; ``reset_and_watch``
resets the board and reads its console until the node serves.  Every failure
is a ``Failure(what went wrong, what to do next)``.
"""

import json
import os
import re
import subprocess
import sys
import time
import types

MPREMOTE = os.path.join(os.path.dirname(sys.executable), 'mpremote')
MPY_BYTECODE = 6                # what mpy-cross writes; MicroPython 1.19+ loads it
RAW_REPL = b'raw REPL; CTRL-B to exit'
CONSOLE = {'serving': re.compile(r'SECoP node serving(.*)'),       # what the node prints
           'ip': re.compile(r'(?:wifi: connected to .*|ethernet: link up) as (\S+)'),
           'access_point': re.compile(r'wifi: access point .* up as (\S+)')}


class Failure(Exception):
    """``Failure(what went wrong, what to do next)``."""


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


# Run on the board first in every session that stops the node: nothing feeds the
# watchdog until the reset, so hold it off (WDT_GRACE_MS); keeps the node's TCP port.
WATCHDOG = r'''
_port = 0
try:
    import json
    with open('config.json') as f:
        _c = json.load(f)
    _port = _c.get('tcp', {}).get('port', 0)
    if _c.get('watchdog_ms'):
        import machine
        machine.WDT(timeout=%d).feed()
except Exception:
    pass
'''

_INVENTORY = r'''
import os, sys, json, hashlib, binascii
def _hash(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        n = f.readinto(b)
        while n:
            h.update(b[:n])
            n = f.readinto(b)
    return binascii.hexlify(h.digest()).decode()
_inv = {'platform': sys.platform, 'mpy': getattr(sys.implementation, '_mpy', 0) & 0xff,
        'version': '.'.join([str(x) for x in sys.implementation.version[:3]]),
        'tcp_port': _port, 'files': {}, 'dirs': []}
def _walk(d, deep):
    for e in (os.ilistdir(d) if d else os.ilistdir()):
        p = d + '/' + e[0] if d else e[0]
        if e[1] == 0x4000:
            _inv['dirs'].append(p)
            if deep or p in ('lib', 'www'):
                _walk(p, True)
        else:
            _inv['files'][p] = _hash(p) if p in _want else '-'
_want = %r
_walk('', False)
print(json.dumps(_inv))
'''


def inventory(port, board, wanted):
    """The board's ``files`` (path -> SHA-256, '-' unless ``wanted``), ``dirs``, its
    MicroPython (``platform``, ``mpy``, ``version``) and the node's ``tcp_port``."""
    lines = mpremote(port, ['exec', WATCHDOG % board.WDT_GRACE_MS
                            + _INVENTORY % (sorted(wanted),)])
    try:
        inv = types.SimpleNamespace(**json.loads(lines[-1]))
    except (IndexError, ValueError):
        raise Failure('unexpected answer from the board on %s: %r' % (port, lines[-3:]),
                      _advice('', port))
    inv.dirs = set(inv.dirs)
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


def _open(port):
    import serial
    try:
        return serial.serial_for_url(port, 115200, timeout=0.1)
    except (OSError, ValueError) as exc:
        raise Failure('cannot open %s: %s' % (port, exc), _advice('failed to access', port))


def _interrupt(line):
    """Stop the running program (Ctrl-C twice) and drop what it printed."""
    line.write(b'\r\x03\x03')
    time.sleep(0.2)
    line.reset_input_buffer()


def _read(line, token, timeout):
    """What the board sends until ``token`` or for ``timeout`` s."""
    data = b''
    deadline = time.monotonic() + timeout
    while token not in data and time.monotonic() < deadline:
        data += line.read(256)
    return data


def _expect(line, token):
    """Reads past ``token``; returns what came after it."""
    data = _read(line, token, 5)
    if token not in data:
        raise Failure('the board did not answer on its REPL: %r' % data[-200:],
                      'press the board\'s reset button and run the deploy again')
    return data.split(token, 1)[1]


def probe_repl(port, timeout=3.0):
    """Fail within seconds unless Ctrl-A on ``port`` brings the raw REPL's banner."""
    with _open(port) as line:
        _interrupt(line)
        line.write(b'\r\x01')
        seen = _read(line, RAW_REPL, timeout)
        if RAW_REPL in seen:
            line.write(b'\x02')                 # back to the friendly REPL
            return
        line.write(b'\n*IDN?\n')                # no REPL: a SECoP node answers this
        seen += _read(line, b'SECoP', 1.0)
    if b'SECoP' in seen:
        raise Failure('%s answers in SECoP, not as a MicroPython REPL: it is the node\'s serial '
                      'line (serial.path/serial.uart in config.json)' % port,
                      'pass the port of the board\'s USB REPL with --port (ls /dev/ttyUSB* '
                      '/dev/ttyACM*; the REPL is the one that answers mpremote connect PORT repl)')
    raise Failure('no MicroPython REPL on %s within %.0f s (got %r)' % (port, timeout, seen[-80:]),
                  _advice('could not enter raw repl', port))


def reset_and_watch(port, mode, timeout, want_ip):
    """Reset the board ('hard' or 'soft') and read its console until the node serves
    (and with ``want_ip`` Wi-Fi is up) or ``timeout`` s pass; what it said, by ``CONSOLE``."""
    with _open(port) as line:
        _interrupt(line)
        if mode == 'hard':
            line.write(b'\r\x01')
            _expect(line, RAW_REPL + b'\r\n>')
            line.write(b'import machine\nmachine.reset()\n\x04')
            rest = _expect(line, b'OK')
        else:
            line.write(b'\r\x02')
            _expect(line, b'>>> ')
            line.write(b'\x04')          # Ctrl-D at the REPL: soft reset, runs main.py
            rest = b''
        return _watch(line, rest, timeout, want_ip, port)


def _watch(line, pending, timeout, want_ip, port):
    console = types.SimpleNamespace(**dict.fromkeys(CONSOLE))
    traceback = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending += line.read(256)
        *complete, pending = pending.split(b'\n')
        for raw in complete:
            text = raw.decode('utf-8', 'replace').strip('\r')
            detail('| ' + text)
            if traceback is not None:
                traceback.append(text)
                if not text.startswith(' '):
                    raise Failure('the node stopped with an error:\n' + _indent('\n'.join(
                        traceback)), 'fix the cause shown above; in mpremote connect %s repl, '
                                     'import main shows the same error' % port)
            elif text.startswith('Traceback'):
                traceback = [text]
            for name, pattern in CONSOLE.items():
                match = pattern.search(text)
                if match:
                    setattr(console, name, match.group(1).strip())
        if console.serving is not None and (console.ip or console.access_point or not want_ip):
            break
    return console
