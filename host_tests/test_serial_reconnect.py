"""Serial clients that come and go over the simulated null-modem (a pty pair):
a new client's ``*IDN?`` gets the identification as its first line, also right
after a client left without ``deactivate``, while a client that stays and only
listens keeps its updates.  The mechanism (the line's DTR ends the session) is
described in docs/protocol.md and firmware/transport/serial.py.
"""

import os
import select
import subprocess
import sys
import time
import tty

from frappy.client import SecopClient

from helpers import read_value, wait_for

IDN = b'ISSE&SINE2020,SECoP,V2019-09-16,v1.1'

FRAPPY_ONCE = '''
import sys
from frappy.client import SecopClient
client = SecopClient('serial://%s?baudrate=115200' % sys.argv[1])
client.connect(try_period=0)        # *IDN?, describe, activate: then the node streams
print(client.secop_version, client.getParameter('heater', 'value', trycache=False).value)
client.disconnect()                 # frappy closes the port without deactivate
'''


def open_line(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return fd


def read_lines(fd, count, seconds=10):
    data = b''
    end = time.monotonic() + seconds
    while data.count(b'\n') < count and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            data += os.read(fd, 65536)
    return data.split(b'\n')[:count]


def serial_client_left(tcp):
    """The node has seen the serial client leave: only the TCP probe is a client."""
    read_value(tcp, 'system:value')         # refreshes system:_clients
    return read_value(tcp, 'system:_clients') == 1


def test_first_line_after_idn_100_of_100(serial_sim):
    good = 0
    with serial_sim.client() as tcp:
        for cycle in range(100):
            fd = open_line(serial_sim.uart)
            try:
                os.write(fd, b'*IDN?\n')
                first = read_lines(fd, 1)[0]
                good += first == IDN
                if cycle % 2 == 0:
                    # leave activated, without deactivate: the next one comes at once
                    os.write(fd, b'activate heater\n')
                    lines = read_lines(fd, 3)
                    assert all(line.startswith(b'update heater:') for line in lines), \
                        (cycle, good, lines)
            finally:
                os.close(fd)
            # the next client comes as soon as the line showed the change (the
            # simulated cable is a thread, which a loaded host may hold up)
            assert wait_for(lambda: serial_client_left(tcp), 10, interval=0.01), cycle
    assert good == 100


def test_20_frappy_processes_reconnect_while_the_node_streams(serial_sim):
    outcomes = []
    for _ in range(20):
        proc = subprocess.run([sys.executable, '-c', FRAPPY_ONCE, serial_sim.uart],
                              capture_output=True, text=True, timeout=60)
        # frappy prints "<equipment_id> ready" first
        outcomes.append(proc.returncode == 0 and '\n%s ' % IDN.decode() in proc.stdout
                        or proc.stdout + proc.stderr[-300:])
    assert outcomes == [True] * 20


def test_listening_serial_client_keeps_its_updates(serial_sim):
    client = SecopClient('serial://%s?baudrate=115200' % serial_sim.uart)
    values = []
    client.register_callback(('heater', 'value'),
                             updateEvent=lambda m, p, v, t, e: values.append(t))
    client.connect(try_period=0)
    try:
        time.sleep(3)                       # 60 simulated seconds, no request
        # a loaded host gives the node less time: a bound, not a count in wall-clock time
        assert wait_for(lambda: len(values) > 20, 30), len(values)
        assert client.online
        assert values[-1] > time.time() - 5 * 20     # still arriving (simulated clock)
    finally:
        client.disconnect()
