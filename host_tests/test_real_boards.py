"""boards/esp32, boards/pyboard and boards/rp2 run under the MicroPython unix port on fake
hardware modules (host_tests/board_fakes): heater pins off in safe_state, PWM
scaling, ADC, reset causes, the Wi-Fi supervisor's back-off and access point
fallback, and SNTP (against a fake server on 127.0.0.1) that never blocks the loop."""

import os
import socket
import struct
import subprocess
import sys
import threading

from helpers import MICROPYTHON, ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
NTP_1970 = 2208988800
WHEN = 1748779200            # 2025-06-01 12:00:00 UTC


def run_check(board, *args):
    path = os.pathsep.join(['.frozen', os.path.join(HERE, 'board_fakes'),
                            os.path.join(ROOT, 'firmware'), os.path.join(ROOT, 'boards', board)])
    script = os.path.join(HERE, 'boards', '%s_board_check.py' % board)
    return subprocess.run([MICROPYTHON, script] + list(args), capture_output=True, text=True,
                          env=dict(os.environ, MICROPYPATH=path), timeout=30)


class FakeSntpServer:
    """Answers every request with WHEN + 0.5 s."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        reply = bytearray(48)
        reply[0] = 0x24                                  # version 4, server mode
        reply[40:48] = struct.pack('!II', WHEN + NTP_1970, 1 << 31)
        while self.running:
            try:
                _, peer = self.sock.recvfrom(48)
            except OSError:
                continue
            self.sock.sendto(bytes(reply), peer)

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def assert_passed(result, last):
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert result.stdout.splitlines()[-1] == last, output
    assert 'FAILED' not in output


def test_esp32_board():
    server = FakeSntpServer()
    try:
        result = run_check('esp32', str(server.port))
    finally:
        server.stop()
    assert_passed(result, 'ESP32 OK')
    assert 'wifi: connected to lab as 10.0.0.7' in result.stdout
    assert 'wifi: access point setup up as 192.168.4.1' in result.stdout
    assert 'ntp: clock set from 127.0.0.1' in result.stdout
    assert 'ethernet: LAN8720 does not start: OSError(-1,)' in result.stdout
    assert 'ethernet: link up as 192.168.1.50' in result.stdout
    assert 'ethernet: link down' in result.stdout


def test_pyboard_board():
    assert_passed(run_check('pyboard'), 'PYBOARD OK')


def test_rp2_board():
    result = run_check('rp2')
    assert_passed(result, 'RP2 OK')
    assert 'wifi: connected to lab as 10.0.0.7' in result.stdout
