"""Shared helpers of the CPython-only host tests: paths, the simulated node
process, and a line-based raw socket client."""

import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), 'micropython')
SIM = os.path.join(ROOT, 'tools', 'sim.py')
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import process  # noqa: E402


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class SimNode:
    """``tools/sim.py`` as a child process: real firmware under real MicroPython."""

    def __init__(self, *args, heap='256k', speed=None, config=None, source=False):
        self.port = free_port()
        self.udp_port = free_port(socket.SOCK_DGRAM)     # discovery: one port per node
        cmd = [sys.executable, SIM, '--port', str(self.port), '--heap', heap,
               '--discovery-port', str(self.udp_port)]
        if speed is not None:
            cmd += ['--speed', str(speed)]
        if config:
            cmd += ['--config', config]
        if source:
            cmd.append('--source')
        cmd += list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.ready = self.proc.stdout.readline().strip()
        if not self.ready.startswith('READY '):
            self.stop()
            raise RuntimeError('sim did not start: %r\n%s' % (self.ready, self.stderr))
        fields = dict(item.split('=', 1) for item in self.ready.split()[1:])
        self.uart = fields.get('uart')
        self.udp = fields.get('udp')
        self.stderr = ''

    def client(self, timeout=10):
        return LineClient(('127.0.0.1', self.port), timeout)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        process.stop(self.proc)
        self.stderr = self.proc.stderr.read() if self.proc.stderr else ''
        return self.proc.returncode


class LineClient:
    """A raw TCP SECoP client: send lines, receive lines."""

    def __init__(self, address, timeout=10):
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buf = b''

    def send(self, line):
        if isinstance(line, str):
            line = line.encode()
        self.sock.sendall(line + b'\n')

    def recv(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        while b'\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed; pending %r' % self.buf)
            self.buf += data
        line, _, self.buf = self.buf.partition(b'\n')
        return line.decode()

    def request(self, line):
        """Send a request; returns (reply, [lines received before the reply])."""
        self.send(line)
        before = []
        while True:
            got = self.recv()
            word = got.split(' ', 1)[0]
            if word in ('update', 'error_update', 'log'):
                before.append(got)
                continue
            return got, before

    def ask(self, line):
        return self.request(line)[0]

    def close(self):
        self.sock.close()


def wait_for(predicate, timeout, interval=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def heap(conn, samples=3):
    """Allocated heap after a collection (``system:_mem_alloc``): the least of a
    few samples with requests in between, because the collector is conservative
    and a stale pointer can keep a dead object for a while."""
    values = []
    for _ in range(samples):
        conn.ask('read heater:status')
        conn.ask('read system:value')       # collects garbage, refreshes the figures
        values.append(json.loads(conn.ask('read system:_mem_alloc').split(' ', 2)[2])[0])
    return min(values)


def settled_heap(sim, probe, baseline, limit=2048, tries=10):
    """The heap once it is back under ``baseline + limit``, else its last figure.
    A closed connection's objects can stay referenced for a while, so a few more
    connections and requests are allowed to let them go; a leak stays."""
    for _ in range(tries):
        value = heap(probe)
        if value - baseline < limit:
            break
        conn = sim.client()
        conn.ask('ping')
        conn.close()
        time.sleep(0.3)
    return value
