"""host_tests/vboard/vboard.py as a child process of a test: start, wait for ``VBOARD <pty>``,
stop by PID (its MicroPython child is found by PID too and must be gone)."""

import os
import select
import subprocess
import sys

from helpers import ROOT, stop_process

VBOARD = os.path.join(ROOT, 'host_tests', 'vboard', 'vboard.py')
MPREMOTE = os.path.join(os.path.dirname(sys.executable), 'mpremote')


class VBoard:
    def __init__(self, root, timeout=10, port=None):
        """``port``: the MicroPython port the board poses as (vboard.py --port)."""
        self.root = root
        self.proc = subprocess.Popen([sys.executable, VBOARD, root] + (['--port', port] if port
                                                                       else []),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not select.select([self.proc.stdout], [], [], timeout)[0]:
            self.stop()
            raise RuntimeError('vboard did not start within %d s' % timeout)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != 'VBOARD':
            self.stop()
            raise RuntimeError('vboard did not start: %r %s' % (line, self.proc.stderr.read()))
        self.port = line[1]

    def children(self):
        """PIDs of the processes vboard started (its MicroPython)."""
        try:
            with open('/proc/%d/task/%d/children' % (self.proc.pid, self.proc.pid)) as f:
                return [int(pid) for pid in f.read().split()]
        except OSError:
            return []

    def mpremote(self, *args, timeout=20):
        return subprocess.run([MPREMOTE, 'connect', self.port] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def stop(self):
        code = stop_process(self.proc)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        return code
