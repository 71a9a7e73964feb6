"""HTTP and SECoP over WebSocket (RFC-107) on the simulated node's TCP port:
the page (gzip, size, nothing external), 404, slow and half requests, and a
WebSocket session with the ``websockets`` client and with hand-made frames."""

import asyncio
import base64
import gzip
import hashlib
import json
import os
import re
import socket
import struct
import time

import pytest
import websockets

import build_page
from helpers import ROOT, SimNode, wait_for

PAGE = os.path.join(ROOT, 'web', 'index.html')


@pytest.fixture(scope='module')
def node(tmp_path_factory):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    config['tcp']['idle_timeout'] = 3
    config['node']['description'] += ' (\u00b0C, \U0001f321)'  # a frame's length is in bytes
    path = tmp_path_factory.mktemp('web') / 'config.json'
    path.write_text(json.dumps(config))
    with SimNode(config=str(path), speed=10) as sim:
        yield sim


def http_get(port, request, timeout=10):
    """Send raw request bytes; the whole response up to the server's close."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b''
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk


def split_response(data):
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode().split('\r\n')
    headers = dict(line.split(': ', 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def clients(node):
    conn = node.client()
    try:
        return json.loads(conn.ask('read system:_clients').split(' ', 2)[2])[0]
    finally:
        conn.close()


def test_page_is_gzipped_small_and_self_contained(node):
    status, headers, body = split_response(
        http_get(node.port, b'GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n'))
    assert status == 200
    assert headers['content-encoding'] == 'gzip' and headers['connection'] == 'close'
    assert headers['content-type'].startswith('text/html')
    assert int(headers['content-length']) == len(body) <= build_page.LIMIT
    page = gzip.decompress(body)
    with open(PAGE, 'rb') as f:
        assert page == f.read()
    text = page.decode()
    assert re.findall(r'https?://', text.replace('http://www.w3.org/2000/svg', '')) == []
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', text)


def test_other_paths_get_404_and_no_slot_is_kept(node):
    before = clients(node)
    for target in (b'/favicon.ico', b'/../config.json', b'/www/index.html.gz'):
        status, headers, body = split_response(
            http_get(node.port, b'GET ' + target + b' HTTP/1.1\r\n\r\n'))
        assert status == 404 and headers['connection'] == 'close', target
    for _ in range(6):          # more requests than client slots, one after the other
        assert split_response(http_get(node.port, b'GET /?x=1 HTTP/1.0\r\n\r\n'))[0] == 200
    assert wait_for(lambda: clients(node) == before, 5)


def test_bad_requests(node):
    assert split_response(http_get(node.port, b'GET /\r\n\r\n'))[0] == 400
    assert split_response(http_get(
        node.port, b'GET / HTTP/1.1\r\nX: ' + b'a' * 2000 + b'\r\n\r\n'))[0] == 431
    assert split_response(http_get(
        node.port, b'GET / HTTP/1.1\r\n' + b'X: y\r\n' * 100 + b'\r\n'))[0] == 431
    assert split_response(http_get(
        node.port, b'GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n'))[0] == 400
    upgrade = b'GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Key: eA==\r\n'
    assert split_response(http_get(node.port, upgrade + b'\r\n'))[0] == 400    # no version
    status, headers, _ = split_response(http_get(
        node.port, upgrade + b'Sec-WebSocket-Version: 8\r\n\r\n'))
    assert status == 426 and headers['sec-websocket-version'] == '13'       # RFC 6455 4.4


def test_slow_request_is_served_and_half_request_times_out(node):
    # half a simulated second between pieces: a line completes within the idle timeout
    # (3 s), which counts complete lines only
    with socket.create_connection(('127.0.0.1', node.port), timeout=10) as sock:
        for piece in (b'GE', b'T / HT', b'TP/1.1\r', b'\nHost: x\r\n', b'\r\n'):
            sock.sendall(piece)
            time.sleep(0.05)
        assert sock.recv(12) == b'HTTP/1.1 200'
    with socket.create_connection(('127.0.0.1', node.port), timeout=10) as half:
        half.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
        other = node.client()
        assert other.ask('*IDN?').startswith('ISSE')     # served meanwhile
        other.close()
        half.settimeout(10)
        assert half.recv(100) == b''       # closed by the idle timeout (3 s), no answer


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_websocket_session(node):
    async def session():
        async with websockets.connect('ws://127.0.0.1:%d/' % node.port) as ws:
            await ws.send('*IDN?')
            assert (await ws.recv()).startswith('ISSE')
            await ws.send('describe')
            action, specifier, data = (await ws.recv()).split(' ', 2)
            assert (action, specifier) == ('describing', '.')
            assert 'heater' in json.loads(data)['modules']
            await ws.send('activate\n')
            seen = []
            while True:
                message = await ws.recv()
                assert message.endswith('\n') and message.count('\n') == 1
                if message == 'active\n':
                    break
                seen.append(message.split(' ', 2)[1])
            assert 'heater:value' in seen and 'heater:status' in seen
            await ws.send('change heater:target 31')
            got = []
            while not got or not got[-1].startswith('changed'):
                got.append(await ws.recv())
            assert got[-1].startswith('changed heater:target [31.0,')
            assert any(m.startswith('update heater:target [31.0,') for m in got)
            assert any(re.match(r'update heater:status \[\[3\d\d,', m) for m in got)   # BUSY
            await ws.send('change heater:target 1000')
            while not (message := await ws.recv()).startswith('error_'):
                pass
            assert message.startswith('error_change heater:target ["RangeError"')
            await ws.send('read heater:value\nread outside:value\n')     # two lines, two replies
            replies = [m for m in [await ws.recv() for _ in range(8)] if m.startswith('reply')]
            assert [m.split()[1] for m in replies[:2]] == ['heater:value', 'outside:value']
            await ws.send('do heater:stop')
            while not (message := await ws.recv()).startswith('done'):
                pass
            await ws.close()
            assert ws.close_code == 1000
    run(session())
    assert wait_for(lambda: clients(node) == 0, 5)


def test_websocket_follows_the_access_rules(tmp_path):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    config['access'] = {'writers': ['10.1.2.3'], 'allow': ['heater:stop']}
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    sim = SimNode(config=str(path))

    async def session():
        async with websockets.connect('ws://127.0.0.1:%d/' % sim.port) as ws:
            await ws.send('change heater:target 40')
            assert (await ws.recv()).startswith('error_change heater:target ["ReadOnly"')
            await ws.send('do heater:stop')
            assert (await ws.recv()).startswith('done heater:stop')
    try:
        run(session())
    finally:
        sim.stop()


class RawWebSocket:
    """A WebSocket client made by hand, to send frames no library would."""

    def __init__(self, port, buffer=None):
        self.sock = socket.socket()
        if buffer:
            for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                self.sock.setsockopt(socket.SOL_SOCKET, option, buffer)
        self.sock.settimeout(10)
        self.sock.connect(('127.0.0.1', port))
        key = base64.b64encode(os.urandom(16))
        self.sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
                          b'Connection: Upgrade\r\nSec-WebSocket-Key: ' + key +
                          b'\r\nSec-WebSocket-Version: 13\r\n\r\n')
        head = b''
        while b'\r\n\r\n' not in head:
            head += self.sock.recv(1)
        expected = base64.b64encode(hashlib.sha1(
            key + b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest())
        assert b'101 Switching Protocols' in head and expected in head

    def send(self, payload, opcode=1, final=True, masked=True):
        header = bytes([(0x80 if final else 0) | opcode])
        length = len(payload)
        if length < 126:
            header += bytes([(0x80 if masked else 0) | length])
        else:
            header += bytes([(0x80 if masked else 0) | 126]) + struct.pack('>H', length)
        if masked:
            mask = os.urandom(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            header += mask
        self.sock.sendall(header + payload)

    def _exactly(self, count):
        data = b''
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def recv(self):
        """(opcode, final, payload) of the next frame."""
        first, second = self._exactly(2)
        length = second & 0x7f
        assert not second & 0x80, 'server frames are not masked'
        if length == 126:
            length = struct.unpack('>H', self._exactly(2))[0]
        elif length == 127:
            length = struct.unpack('>Q', self._exactly(8))[0]
        return first & 0x0f, bool(first & 0x80), self._exactly(length)

    def close_code(self):
        """Skip data frames up to the server's close frame; its code."""
        while True:
            opcode, _, payload = self.recv()
            if opcode == 8:
                assert self.sock.recv(10) == b''    # and the connection ends
                return struct.unpack('>H', payload[:2])[0]

    def close(self):
        self.sock.close()


def test_fragments_ping_and_describe_stream(node):
    ws = RawWebSocket(node.port)
    try:
        ws.send(b'read heat', final=False)
        ws.send(b'ping-in-between', opcode=9)           # control frame between fragments
        ws.send(b'er:value', opcode=0)
        assert ws.recv() == (10, True, b'ping-in-between')
        opcode, final, payload = ws.recv()
        assert opcode == 1 and final and payload.startswith(b'reply heater:value [')
        ws.send(b'describe')
        opcode, final, payload = ws.recv()          # RFC-107: one message, one frame
        assert opcode == 1 and final and payload.endswith(b'}\n') and len(payload) > 4096
        message = payload.decode()
        assert message.startswith('describing . {') and json.loads(message.split(' ', 2)[2])
        ws.send('read heater:\u00e9'.encode()[:-1], final=False)    # UTF-8 is checked
        ws.send('read heater:\u00e9'.encode()[-1:], opcode=0)       # per message
        assert ws.recv()[2].startswith(b'error_read heater:\\u00e9 ["ProtocolError"')
    finally:
        ws.close()


def test_describe_is_one_frame_without_a_prepared_line_too(tmp_path):
    """--raw-config: no describing.txt, the node builds its line and measures it first."""
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    config['node']['description'] += ' (\u00b0C, \U0001f321)'
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    with SimNode('--raw-config', config=str(path), speed=10) as sim:
        assert not os.path.exists(tmp_path / 'describing.txt')
        ws = RawWebSocket(sim.port)
        try:
            ws.send(b'describe')
            opcode, final, payload = ws.recv()
            assert opcode == 1 and final and payload.endswith(b'}\n')
            assert json.loads(payload.decode().split(' ', 2)[2])['description'].endswith(
                '\U0001f321)')
        finally:
            ws.close()


@pytest.mark.parametrize('frame, code', [
    (dict(payload=b'x' * 2000), 1009),                  # longer than max_line
    (dict(payload=b'*IDN?', opcode=2), 1003),           # binary
    (dict(payload=b'*IDN?', masked=False), 1002),       # clients must mask
    (dict(payload=b'*IDN?', opcode=0), 1002),           # continuation of nothing
    (dict(payload=b'x' * 200, opcode=9), 1002),         # control frame too long
    (dict(payload=b'\x03\xe8', opcode=8), 1000),        # the client closes
    (dict(payload=b'\xff\xfe bad utf-8'), 1007),        # a text message must be UTF-8
])
def test_bad_frames_close_with_a_code(node, frame, code):
    ws = RawWebSocket(node.port)
    try:
        ws.send(**frame)
        assert ws.close_code() == code
    finally:
        ws.close()


def test_client_that_does_not_read_is_bounded(node):
    probe = node.client()
    ws = RawWebSocket(node.port, buffer=4096)
    try:
        ws.sock.setblocking(False)
        sent = 0
        for _ in range(20000):
            try:
                ws.send(b'read heater:value')
                sent += 1
            except BlockingIOError:
                break
        assert sent < 20000          # the node stopped reading, TCP pushed back
        assert probe.ask('*IDN?').startswith('ISSE')
    finally:
        ws.close()
        probe.close()


def _module_level_imports(tree):
    """Imported module names outside any function (at import time of the file)."""
    import ast
    names = []
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names += ['%s.%s' % (node.module, alias.name) for alias in node.names]
        stack.extend(ast.iter_child_nodes(node))
    return names


def test_web_and_discovery_code_is_imported_only_when_needed():
    import ast
    lazy = {'transport.web', 'transport.websocket', 'transport.discovery'}
    found = {}
    for folder, _, files in os.walk(os.path.join(ROOT, 'firmware')):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                with open(path) as f:
                    early = lazy.intersection(_module_level_imports(ast.parse(f.read())))
                if early:
                    found[os.path.relpath(path, ROOT)] = early
    assert found == {}
