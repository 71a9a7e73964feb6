"""Resource limits of the node under MicroPython: client limit, a client that
stops reading, connection churn; the heap must stay where it was."""

import json
import socket
import time

import pytest

from helpers import LineClient, SimNode


@pytest.fixture(scope='module')
def node():
    sim = SimNode()
    yield sim
    sim.stop()


def mem_alloc(conn):
    conn.ask('read system:value')       # collects garbage, refreshes the figures
    return json.loads(conn.ask('read system:_mem_alloc').split(' ', 2)[2])[0]


def ping_time(conn):
    start = time.monotonic()
    assert conn.ask('ping x').startswith('pong x ')
    return time.monotonic() - start


def _refusal(node, request):
    extra = socket.create_connection(('127.0.0.1', node.port), timeout=5)
    extra.sendall(request)
    data = b''
    while True:
        chunk = extra.recv(1000)
        if not chunk:
            break
        data += chunk
    extra.close()
    return data


REFUSAL = b'["Impossible","too many clients: all 8 slots of this node are in use; ' \
    b'close another client and retry",{}]\n'


def test_eight_activated_clients_and_the_ninth_refused(node):
    clients = [node.client() for _ in range(8)]
    try:
        for conn in clients:
            conn.send('activate')
        for conn in clients:
            while conn.recv() != 'active':
                pass
        # one matchable error line answers the first request, then the node closes
        assert _refusal(node, b'*IDN?\n') == b'error_*IDN?  ' + REFUSAL
        assert _refusal(node, b'describe\n') == b'error_describe  ' + REFUSAL
        assert _refusal(node, b'read heater:value\n') == b'error_read heater:value ' + REFUSAL
        assert _refusal(node, b'') == b'error  ' + REFUSAL     # silent: after a second
        for conn in clients:        # the eight still work
            assert conn.ask('read heater:status').startswith('reply heater:status')
    finally:
        for conn in clients:
            conn.close()
    time.sleep(0.3)
    again = node.client()
    assert again.ask('*IDN?').startswith('ISSE')
    again.close()


def test_client_that_never_reads(node):
    probe = node.client()
    baseline = mem_alloc(probe)
    normal = max(ping_time(probe) for _ in range(10))
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(('127.0.0.1', node.port))
    stalled.sendall(b'activate\n')
    stalled.setblocking(False)
    sent = 0
    end = time.monotonic() + 10
    while time.monotonic() < end:         # describe until the node stops reading us
        try:
            sent += stalled.send(b'describe\n' * 50)
        except BlockingIOError:
            time.sleep(0.2)
            try:
                sent += stalled.send(b'describe\n')
            except BlockingIOError:
                break
    assert sent > 10000
    try:
        # a node blocked on the stalled writer would not answer at all; the bound is
        # generous so that a busy machine does not fail the test
        worst = max(ping_time(probe) for _ in range(20))
        assert worst < 2.0, (worst, normal)
        grown = mem_alloc(probe) - baseline
        assert grown < 12000, grown
        time.sleep(2)                     # updates keep being produced meanwhile
        assert mem_alloc(probe) - baseline < 12000
    finally:
        stalled.close()
        probe.close()


def test_connect_disconnect_cycles_leave_the_heap(node):
    probe = node.client()
    for _ in range(20):                  # warm up: first-use allocations
        LineClient(('127.0.0.1', node.port)).close()
    time.sleep(0.3)
    before = mem_alloc(probe)
    for i in range(200):
        # one answered request per connection paces the churn to the node's accept loop
        # (without it the listen backlog overflows and SYN retries cost a second each)
        conn = LineClient(('127.0.0.1', node.port))
        assert conn.ask('activate' if i % 2 else 'ping').split(' ')[0] in ('active', 'pong')
        conn.close()
    time.sleep(0.5)
    after = mem_alloc(probe)
    assert after - before < 1024, (before, after)      # no growth (it may shrink)
    assert json.loads(probe.ask('read system:_clients').split(' ', 2)[2])[0] == 1
    probe.close()
