"""The simulated node as a child process, and line clients to talk to it.

One launcher for the tests, ``make bench``, ``make soak`` and ``make plot``:
``SimNode`` starts ``tools/sim.py`` (real firmware under the MicroPython unix
port), waits for its ``READY`` line, and stops it by PID.  ``LineClient``
(TCP) and ``SerialClient`` (the simulator's pty) send request lines and read
reply lines; events in front of a reply are kept or counted.
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


def free_port(kind=socket.SOCK_STREAM):
    """A TCP (or UDP) port on 127.0.0.1 that nobody used a moment ago."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def percentile(values, fraction):
    """Nearest-rank percentile (``fraction`` 0..1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def stop_process(proc, timeout=10):
    """End ``proc`` (a Popen of ours) by its PID: SIGTERM, SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def read_line(stream, prefix, timeout):
    """The first line of ``stream`` (a binary pipe) starting with ``prefix``; None if
    the writer exits or ``timeout`` seconds pass first."""
    end = time.monotonic() + timeout
    buf = b''
    fd = stream.fileno()
    while time.monotonic() < end:
        if not select.select([fd], [], [], 0.1)[0]:
            continue
        data = os.read(fd, 4096)
        if not data:
            return None
        buf += data
        while b'\n' in buf:
            line, _, buf = buf.partition(b'\n')
            if line.decode(errors='replace').startswith(prefix):
                return line.decode(errors='replace').strip()
    return None


class SimNode:
    """``tools/sim.py`` as a child process: real firmware under real MicroPython.

    ``args`` go to sim.py as they are; ``port`` 0 lets sim.py pick a free one;
    UDP discovery gets a free port of its own unless ``discovery_port`` is given.
    The node's output goes to a file (``log``, else a temporary one; ``stderr``
    reads it), so a chatty node never blocks on a full pipe.  Raises RuntimeError if it does not serve
    within ``timeout`` seconds, with the last lines of its output."""

    def __init__(self, *args, heap='256k', speed=None, config=None, source=False,
                 uart=False, port=0, timeout=60, log=None, discovery_port=None):
        self.udp_port = free_port(socket.SOCK_DGRAM) if discovery_port is None else discovery_port
        cmd = [sys.executable, SIM, '--port', str(port), '--heap', heap,
               '--discovery-port', str(self.udp_port)]
        if speed is not None:
            cmd += ['--speed', str(speed)]
        if config:
            cmd += ['--config', str(config)]
        if source:
            cmd.append('--source')
        if uart:
            cmd += ['--uart', 'auto']
        cmd += list(args)
        self._errors = open(log, 'w+b') if log else tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._errors)
        self.pid = self.proc.pid
        self.ready = read_line(self.proc.stdout, 'READY ', timeout)
        if not self.ready:
            self.stop()
            raise RuntimeError('sim did not start:\n' + '\n'.join(self.stderr.splitlines()[-5:]))
        fields = dict(item.split('=', 1) for item in self.ready.split()[1:])
        self.port = int(fields['tcp'].rpartition(':')[2]) if 'tcp' in fields else None
        self.uart = fields.get('uart')
        self.udp = fields.get('udp')

    @property
    def stderr(self):
        """Everything the node and sim.py printed so far (besides READY)."""
        self._errors.seek(0)
        return self._errors.read().decode(errors='replace')

    def client(self, timeout=10):
        return LineClient(('127.0.0.1', self.port), timeout)

    def serial_client(self, timeout=10):
        return SerialClient(self.uart, timeout)

    def alive(self):
        return self.proc.poll() is None

    def node_pid(self):
        """PID of the micropython process sim.py started (Linux), or None."""
        path = '/proc/%d/task/%d/children' % (self.pid, self.pid)
        try:
            with open(path) as f:
                children = f.read().split()
        except OSError:
            return None
        return int(children[0]) if children else None

    def stop(self):
        code = stop_process(self.proc)
        self.proc.stdout.close()
        self._errors.flush()
        return code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class LineStream:
    """SECoP lines over a byte stream; subclasses give ``write`` and ``read_some``.
    ``events`` counts the event lines skipped by ``ask``/``reply``."""

    def __init__(self):
        self.buf = b''
        self.events = 0

    def send(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.write(line + b'\n')

    def recv(self, timeout=None):
        if timeout is not None:
            self.settimeout(timeout)
        while b'\n' not in self.buf:
            self.buf += self.read_some()
        line, _, self.buf = self.buf.partition(b'\n')
        return line.decode()

    def request(self, line):
        """Send a request; returns (reply, [event lines received before the reply])."""
        self.send(line)
        return self.reply_and_events()

    def reply_and_events(self):
        before = []
        while True:
            got = self.recv()
            if got.split(' ', 1)[0] in EVENTS:
                before.append(got)
                self.events += 1
                continue
            return got, before

    def reply(self):
        return self.reply_and_events()[0]

    def ask(self, line):
        return self.request(line)[0]

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
    """(allocated, free) heap after a collection: the least allocated of a few
    samples with requests in between, because the collector is conservative and
    a stale pointer can keep a dead object for a while."""
    best = None
    for _ in range(samples):
        conn.ask('read heater:status')
        free = value_of(conn.ask('read system:value'))      # collects garbage first
        alloc = value_of(conn.ask('read system:_mem_alloc'))
        if best is None or alloc < best[0]:
            best = (alloc, free)
    return best
