"""Resource limits of the node under MicroPython: client limit, a client that
stops reading, connection churn; the heap must stay where it was."""

import json
import socket
import time

import pytest

from frappy.client import SecopClient

from helpers import LineClient, SimNode, heap, settled_heap


@pytest.fixture(scope='module')
def node():
    with SimNode() as sim:
        yield sim


def mem_alloc(conn):
    """Allocated heap after a collection: the least of a few samples (helpers.heap)."""
    return heap(conn)


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
        alone = mem_alloc(clients[0])
        for conn in clients[1:]:
            conn.ask('ping')
        # slots (1 KB line buffer, session, outbox ring) were allocated at boot: seven
        # more clients cost what their sockets and tasks cost, less than a slot each
        grown = mem_alloc(clients[0]) - alone
        print('seven more clients: %d bytes' % grown)
        assert grown < 7 * 1024, grown
        for conn in clients:
            conn.send('activate')
        for conn in clients:
            while conn.recv() != 'active':
                pass
        # frappy shows the refusal as the answer to its *IDN?
        with pytest.raises(Exception, match='too many clients: all 8 slots'):
            SecopClient('tcp://127.0.0.1:%d' % node.port).connect(try_period=0)
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


def churn(node, cycles):
    """Connect and close ``cycles`` times; every other connection activates.  One
    answered request per connection paces the churn to the node's accept loop
    (without it the listen backlog overflows and SYN retries cost a second each)."""
    for i in range(cycles):
        with LineClient(('127.0.0.1', node.port)) as conn:
            assert conn.ask('activate' if i % 2 else 'ping').split(' ')[0] in ('active', 'pong')


def test_connect_disconnect_cycles_leave_the_heap(node):
    probe = node.client()
    churn(node, 20)                      # warm up: first-use allocations
    before = heap(probe)
    churn(node, 200)
    after = settled_heap(node, probe, before, limit=1024)
    assert after - before < 1024, (before, after)      # no growth (it may shrink)
    assert json.loads(probe.ask('read system:_clients').split(' ', 2)[2])[0] == 1
    probe.close()


def test_over_long_lines_are_throttled_like_any_request(node):
    """Over-long lines get their error reply only as the outbox has room: a
    client that sends them without reading is throttled, the heap stays."""
    probe = node.client()
    baseline = mem_alloc(probe)
    stuffer = socket.socket()
    stuffer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuffer.connect(('127.0.0.1', node.port))
    stuffer.setblocking(False)
    long_line = b'read heater:' + b'x' * 3000 + b'\n'
    sent = 0
    end = time.monotonic() + 3
    while time.monotonic() < end:
        try:
            sent += stuffer.send(long_line * 20)
        except BlockingIOError:
            time.sleep(0.1)
    try:
        assert sent > 100 * len(long_line)
        assert mem_alloc(probe) - baseline < 12000
        assert probe.ask('ping alive').startswith('pong alive ')
    finally:
        stuffer.close()
        probe.close()
