#!/usr/bin/env python3
"""A virtual MicroPython board for mpremote: the unix port's REPL on a pty.

    .venv/bin/python host_tests/vboard/vboard.py ROOT [--heap SIZE] [--link PATH] [--port PORT]

ROOT is the board's filesystem (created if missing): MicroPython runs with
ROOT as its working directory and ``MICROPYPATH=.frozen:ROOT/lib:<shim>``,
as a board has ``['', '.frozen', '/lib']``.  Once the board is up, one line
``VBOARD <pty>`` goes to stdout; then ``mpremote connect <pty> ...`` works as
with a board on a serial port.  SIGTERM or SIGINT stops it (exit code 0).

Behaves like a board where mpremote and the deploy tool can tell:

* the pty is raw, so ``\\r\\n`` passes unchanged; the inner pty keeps ISIG
  and is the controlling tty of MicroPython, so Ctrl-C interrupts main.py;
* a soft reset (Ctrl-D at the REPL or raw REPL, ``machine.soft_reset()``)
  prints ``MPY: soft reboot`` and starts a new MicroPython, back in the raw
  REPL if it was there, otherwise running main.py;
* a hard reset (``machine.reset()`` from the shim, exit code 99)
  starts a new MicroPython running main.py;
* ``machine.reset_cause()`` tells power on, hard or soft reset;
* ``--port rp2`` makes it a board of that MicroPython port where the deploy looks:
  ``sys.platform`` as the deploy's inventory prints it, and that port's modules
  from ``host_tests/vboard/<port>/`` (a Wi-Fi station that connects at once, on
  127.0.0.1: run such a board inside a network namespace, as its node binds 0.0.0.0).
  The shim's ``machine`` has pins, ADC (every input reads half scale), PWM and UART.

Output nobody reads is dropped once the pty buffer is full, as on a UART.
"""

import argparse
import os
import select
import signal
import subprocess
import sys
import termios
import time
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.path.join(HERE, 'shim')
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), 'micropython')
HARD_RESET_EXIT = 99
RAW_BANNER = b'raw REPL; CTRL-B to exit\r\n>'
CTRL_A, CTRL_B = 0x01, 0x02


class Stop(Exception):
    """Raised by the signal handlers to end the main loop."""


def _take_terminal():
    """In the child, after setsid: make stdin (the inner pty) the controlling tty."""
    import fcntl
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _raw_with_signals(fd):
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] |= termios.ISIG           # ^C still raises KeyboardInterrupt
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class VirtualBoard:
    def __init__(self, root, micropython=MICROPYTHON, heap=None, port=None):
        self.root = root
        self.micropython = micropython
        self.heap = heap
        self.modules = [os.path.join(HERE, port)] if port else []
        # the deploy's inventory line, as the port's sys.platform would make it
        self.platform = (b'"platform": "linux"', b'"platform": "%s"' % port.encode()) \
            if port else None
        self._held = b''                 # output that may be the start of that text
        os.makedirs(os.path.join(root, 'lib'), exist_ok=True)
        self.host, self._host_slave = os.openpty()
        tty.setraw(self.host)
        tty.setraw(self._host_slave)     # kept open: a closing client does not hang up
        os.set_blocking(self.host, False)
        self.path = os.ttyname(self._host_slave)
        self.child = None
        self.board = None                # master side of the child's pty
        self.raw = False

    # --- the MicroPython process -------------------------------------------

    def start(self, run_main, cause):
        master, slave = os.openpty()
        _raw_with_signals(slave)
        args = [self.micropython]
        if self.heap:
            args += ['-X', 'heapsize=' + self.heap]
        if run_main and os.path.exists(os.path.join(self.root, 'main.py')):
            args += ['-i', 'main.py']
        env = dict(os.environ, VBOARD_RESET_CAUSE=cause,
                   MICROPYPATH=':'.join(['.frozen', os.path.join(self.root, 'lib')] + self.modules
                                        + [SHIM]))
        self.child = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                      cwd=self.root, env=env, close_fds=True,
                                      start_new_session=True, preexec_fn=_take_terminal)
        os.close(slave)
        self.board = master

    def _enter_raw_repl(self):
        """After a soft reset in the raw REPL: back into it, as a board stays there."""
        os.write(self.board, b'\r\x01')
        seen = b''
        deadline = time.monotonic() + 5
        while not seen.endswith(RAW_BANNER) and time.monotonic() < deadline:
            if select.select([self.board], [], [], 0.05)[0]:
                try:
                    seen += os.read(self.board, 4096)
                except OSError:
                    break
        self.to_host(RAW_BANNER)

    def restart(self, code):
        os.close(self.board)
        self.board = None
        time.sleep(0.05)                 # no busy loop if main.py exits at once
        if code == HARD_RESET_EXIT:
            self.raw = False
            self.start(run_main=True, cause='hard')
            return
        self.to_host(b'MPY: soft reboot\r\n')
        self.start(run_main=not self.raw, cause='soft')
        if self.raw:
            self._enter_raw_repl()

    def stop(self):
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(2)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        for fd in (self.board, self.host, self._host_slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass

    # --- relaying --------------------------------------------------------------

    def to_host(self, data):
        try:
            os.write(self.host, data)
        except BlockingIOError:
            pass                         # nobody reads the port: drop, like a UART

    def from_host(self):
        try:
            data = os.read(self.host, 4096)
        except (BlockingIOError, OSError):
            return
        for byte in data:
            if byte == CTRL_A:
                self.raw = True
            elif byte == CTRL_B:
                self.raw = False
        view = memoryview(data)
        while view:
            written = os.write(self.board, view)
            view = view[written:]

    def from_board(self):
        try:
            data = os.read(self.board, 4096)
        except OSError:                  # EIO: the child has closed its side
            data = b''
        if data:
            self.to_host(self._as_port(data))
        elif self.child.poll() is not None:
            self.restart(self.child.wait())

    def _as_port(self, data):
        """``data`` with the unix port's platform replaced by the one this board poses as;
        a tail that may begin that text waits for the next read."""
        if self.platform is None:
            return data
        old, new = self.platform
        data = (self._held + data).replace(old, new)
        keep = 0
        for size in range(min(len(old) - 1, len(data)), 0, -1):
            if old.startswith(data[-size:]):
                keep = size
                break
        self._held = data[len(data) - keep:]
        return data[:len(data) - keep]

    def serve(self):
        while True:
            ready = select.select([self.host, self.board], [], [], 0.2)[0]
            if not ready and self._held:         # nothing followed: it was not that text
                self.to_host(self._held)
                self._held = b''
            if self.host in ready:
                self.from_host()
            if self.board in ready or self.child.poll() is not None:
                self.from_board()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help="the board's filesystem (a directory)")
    parser.add_argument('--heap', help='MicroPython heap size, e.g. 256k (default 2M)')
    parser.add_argument('--link', help='also make this symlink to the pty')
    parser.add_argument('--micropython', default=MICROPYTHON, help='unix-port executable')
    parser.add_argument('--port', choices=('rp2',),
                        help='pose as a board of this MicroPython port (sys.platform, network)')
    args = parser.parse_args(argv)

    def stop(signum, frame):
        raise Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    board = VirtualBoard(os.path.abspath(args.root), args.micropython, args.heap, args.port)
    try:
        board.start(run_main=True, cause='power')
        if args.link:
            if os.path.lexists(args.link):
                os.unlink(args.link)
            os.symlink(board.path, args.link)
        print('VBOARD', board.path, flush=True)
        board.serve()
    except Stop:
        pass
    finally:
        board.stop()
        if args.link and os.path.islink(args.link):
            os.unlink(args.link)
    return 0


if __name__ == '__main__':
    sys.exit(main())
