"""The simulated node as a child process, and line clients to talk to it: the one
launcher of the tests, ``make bench``, ``make soak`` and ``make plot``.

``SimNode`` starts ``tools/sim.py``, waits for its ``READY`` line and stops it by PID.
``LineClient`` (TCP) and ``SerialClient`` (the simulator's pty) send requests and read
replies.
"""

import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM = os.path.join(ROOT, 'tools', 'sim.py')
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), 'micropython')
EVENTS = ('update', 'error_update', 'log')


def free_port(kind=socket.SOCK_STREAM, port=0):
    """A TCP (or UDP) port on 127.0.0.1 that nobody used a moment ago; with ``port``,
    that one, or OSError if it is in use."""
    with socket.socket(socket.AF_INET, kind) as s:
        if port:    # as the node binds it: a port an earlier node left in TIME_WAIT is free
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', port))
        return s.getsockname()[1]


def percentile(values, fraction):
    """Nearest-rank percentile (``fraction`` 0..1); 0.0 for no values."""
    ordered = sorted(values) or [0.0]
    return ordered[round(fraction * (len(ordered) - 1))]


def stop_process(proc, timeout=10):
    """End ``proc`` (a Popen of ours) by its PID: SIGTERM, SIGKILL if it lingers."""
    proc.terminate()                # nothing if it has ended
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def read_line(stream, prefix, timeout):
    """The first line of ``stream`` (a binary pipe) starting with ``prefix``; None if
    the writer exits or ``timeout`` seconds pass first."""
    end = time.monotonic() + timeout
    buf = b''
    while time.monotonic() < end:
        if not select.select([stream], [], [], 0.1)[0]:
            continue
        data = os.read(stream.fileno(), 4096)
        if not data:
            return None
        *lines, buf = (buf + data).split(b'\n')
        for line in lines:
            text = line.decode(errors='replace')
            if text.startswith(prefix):
                return text.strip()
    return None


class SimNode:
    """``tools/sim.py`` as a child process: real firmware under real MicroPython.

    ``args`` go to sim.py as they are; ``port`` 0 lets sim.py pick a free one; UDP
    discovery gets a free port unless ``discovery_port`` is given.  The output goes to a
    file (``log``, else a temporary one; ``stderr`` reads it), so a chatty node never
    blocks on a full pipe.  RuntimeError, with the last lines of that output, if the node
    does not serve within ``timeout`` seconds."""

    def __init__(self, *args, heap=None, speed=None, config=None, uart=False, port=0,
                 timeout=60, log=None, discovery_port=None):
        self.udp_port = free_port(socket.SOCK_DGRAM) if discovery_port is None else discovery_port
        cmd = [sys.executable, SIM]
        for option, value in (('--port', port), ('--discovery-port', self.udp_port),
                              ('--heap', heap), ('--speed', speed), ('--config', config),
                              ('--uart', 'auto' if uart else None)):
            if value is not None:
                cmd += [option, str(value)]
        self._output = open(log, 'w+b') if log else tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd + list(args), stdout=subprocess.PIPE,
                                     stderr=self._output)
        self.ready = read_line(self.proc.stdout, 'READY ', timeout)
        if not self.ready:
            self.stop()
            raise RuntimeError('sim did not start:\n' + '\n'.join(self.stderr.splitlines()[-5:]))
        fields = dict(item.split('=', 1) for item in self.ready.split()[1:])
        self.port = int(fields['tcp'].rpartition(':')[2]) if 'tcp' in fields else None
        self.uart, self.udp = fields.get('uart'), fields.get('udp')

    @property
    def stderr(self):
        """Everything the node and sim.py printed so far (besides READY)."""
        self._output.seek(0)
        return self._output.read().decode(errors='replace')

    def client(self, timeout=10):
        return LineClient(('127.0.0.1', self.port), timeout)

    def serial_client(self, timeout=10):
        return SerialClient(self.uart, timeout)

    def alive(self):
        return self.proc.poll() is None

    def node_pid(self):
        """PID of the micropython process sim.py started (Linux), or None."""
        try:
            with open('/proc/%d/task/%d/children' % (self.proc.pid, self.proc.pid)) as f:
                children = f.read().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def stop(self):
        code = stop_process(self.proc)
        self.proc.stdout.close()
        return code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class LineStream:
    """SECoP lines over a byte stream; subclasses give ``write``, ``read_some`` and
    ``settimeout``.  Event lines in front of a reply are skipped or returned."""

    def __init__(self):
        self.buf = b''

    def send(self, line):
        self.write((line.encode() if isinstance(line, str) else line) + b'\n')

    def recv(self, timeout=None):
        if timeout is not None:
            self.settimeout(timeout)
        while b'\n' not in self.buf:
            self.buf += self.read_some()
        line, _, self.buf = self.buf.partition(b'\n')
        return line.decode()

    def reply(self, events=None):
        """The next line that is not an event; the events before it go to ``events``."""
        while True:
            line = self.recv()
            if line.split(' ', 1)[0] not in EVENTS:
                return line
            if events is not None:
                events.append(line)

    def request(self, line):
        """Send a request; returns (reply, [event lines received before the reply])."""
        self.send(line)
        events = []
        return self.reply(events), events

    def ask(self, line):
        self.send(line)
        return self.reply()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LineClient(LineStream):
    """A raw TCP SECoP client."""

    def __init__(self, address, timeout=10):
        LineStream.__init__(self)
        self.sock = socket.create_connection(address, timeout=timeout)

    def write(self, data):
        self.sock.sendall(data)

    def read_some(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError('connection closed; pending %r' % self.buf)
        return data

    def settimeout(self, timeout):
        self.sock.settimeout(timeout)

    def close(self):
        self.sock.close()


class SerialClient(LineStream):
    """The client end of the simulator's null-modem pty pair."""

    def __init__(self, path, timeout=10):
        LineStream.__init__(self)
        self.timeout = timeout
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)

    def write(self, data):
        end = time.monotonic() + self.timeout
        while data:
            if time.monotonic() > end:
                raise TimeoutError('serial write timed out')
            select.select([], [self.fd], [], 0.1)
            try:
                data = data[os.write(self.fd, data):]
            except BlockingIOError:
                pass

    def read_some(self):
        if not select.select([self.fd], [], [], self.timeout)[0]:
            raise TimeoutError('no reply on the serial line')
        return os.read(self.fd, 65536)

    def settimeout(self, timeout):
        self.timeout = timeout

    def close(self):
        os.close(self.fd)


def value_of(reply):
    """The value in a reply line (``reply mod:param [value, {...}]``)."""
    return json.loads(reply.split(' ', 2)[2])[0]


def heap_figures(conn, samples=3):
    """(allocated, free) heap after a collection, the least allocated of a few samples:
    the collector is conservative, a stale pointer can keep a dead object a while."""
    best = None
    for _ in range(samples):
        conn.ask('read heater:status')
        free = value_of(conn.ask('read system:value'))      # collects garbage first
        alloc = value_of(conn.ask('read system:_mem_alloc'))
        if best is None or alloc < best[0]:
            best = (alloc, free)
    return best
