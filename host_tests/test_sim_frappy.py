"""frappy-core's SecopClient against the node under MicroPython, over TCP and
over the serial line (a pty pair, as a USB-serial cable would be).

frappy drops the leading underscore of custom names: ``_maxheaterpower`` is
``maxheaterpower`` on the client side.
"""

import threading

import pytest
from frappy.client import SecopClient


def _exercise(client):
    client.connect(try_period=0)
    try:
        assert client.online
        assert set(client.modules) >= {'outside', 'heater', 'system', 'sim'}
        assert client.properties['equipment_id'] == 'example_heater'
        value = client.getParameter('outside', 'value', trycache=False)
        assert 15 < value.value < 30 and value.timestamp > 1.7e9
        assert client.setParameter('heater', 'maxheaterpower', 40).value == 40.0
        with pytest.raises(Exception, match='RangeError|must be between'):
            client.setParameter('heater', 'maxheaterpower', 200)
        client.execCommand('heater', 'stop')
        result, _ = client.execCommand('heater', 'examplecommand', {'a': 2.5, 'b': 4})
        assert result == 10.0
        code, text = client.getParameter('heater', 'status', trycache=False).value
        assert int(code) in (100, 200)
        gains = client.getParameter('heater', 'ctrlpars', trycache=False).value
        assert dict(gains) == {'p': 30.0, 'i': 0.5, 'd': 60.0}     # the config's pid
        assert client.setParameter('heater', 'maxheaterpower', 100).value == 100.0
    finally:
        client.disconnect()


def test_frappy_client_over_tcp(sim):
    _exercise(SecopClient('tcp://127.0.0.1:%d' % sim.port))


def test_frappy_client_over_serial(serial_sim):
    assert serial_sim.uart.startswith('/dev/pts/')
    _exercise(SecopClient('serial://%s?baudrate=115200' % serial_sim.uart))


def test_frappy_updates_and_busy_sequence(sim):
    client = SecopClient('tcp://127.0.0.1:%d' % sim.port)
    statuses = []
    done = threading.Event()

    def on_update(module, parameter, value, timestamp, readerror):
        if module == 'heater' and parameter == 'status' and value is not None:
            statuses.append(int(value[0]))
            if statuses[-1] == 100 and any(300 <= c < 400 for c in statuses):
                done.set()

    client.register_callback(None, updateEvent=on_update)
    client.connect(try_period=0)
    try:
        client.setParameter('heater', 'window', 3)
        client.setParameter('heater', 'target', 26)
        # the reply came after BUSY: the cache already says BUSY
        assert 300 <= int(client.cache['heater', 'status'].value[0]) < 400
        assert done.wait(30), statuses
        value = client.getParameter('heater', 'value', trycache=False).value
        assert abs(value - 26) < 0.2
    finally:
        client.setParameter('heater', 'target', 22)
        client.disconnect()


def test_raw_serial_line(serial_sim):
    """The pty as a plain serial terminal would use it: CR LF, noise before *IDN?."""
    import os
    import select
    import tty
    fd = os.open(serial_sim.uart, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        os.write(fd, b'\xff\xfe garbage without newline')
        os.write(fd, b'\r\n*IDN?\r\nread heater:status\r\n')
        data = b''
        lines = []
        while len(lines) < 3:
            ready, _, _ = select.select([fd], [], [], 15)
            assert ready, data
            data += os.read(fd, 4096)
            # a client skips stray lines: updates of an earlier session still activated
            lines = [line for line in data.decode().splitlines()
                     if not line.startswith(('update ', 'error_update ', 'log '))]
        assert lines[0].startswith('error')           # the noise got one error reply
        assert lines[1] == 'ISSE&SINE2020,SECoP,V2019-09-16,v1.1'
        assert lines[2].startswith('reply heater:status [[')
    finally:
        os.close(fd)
