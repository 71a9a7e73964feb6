"""Socket-level fuzzing of the real node under MicroPython.

Garbage of every kind goes to the node over raw TCP: random bytes, invalid
UTF-8, NUL bytes, truncated requests, lines over the 1024-byte input buffer
(sent in chunks), deeply nested and huge JSON, NaN/Infinity, values of the
wrong type for every writable parameter of the description, unknown and
custom actions, ``do`` with wrong arguments, and well-formed requests with
random data (which must never end in InternalError).  On a connection that is
not activated every LF-terminated line must get exactly one reply (an
over-long line counts once), every byte sent back must be printable ASCII
or LF, error replies must be well-formed, the node must stay alive, and
after the fuzzing the heap must be where it was.  The random generator has
a fixed seed, so a failure can be reproduced.
"""

import json
import random
import socket
import threading
import time

import pytest

from helpers import SimNode, heap, settled_heap, wait_for

SEED = 20260707
MAX_LINE = 1024              # the node's input buffer (config "max_line")
UPDATE_ACTIONS = (b'update', b'error_update', b'log')
# the error classes of the specification (1.0/1.1, and NotCheckable from 2.0)
CLASSES = ('ProtocolError', 'NoSuchModule', 'NoSuchParameter', 'NoSuchCommand', 'ReadOnly',
           'NotCheckable', 'WrongType', 'RangeError', 'BadJSON', 'NotImplemented',
           'HardwareError', 'CommandRunning', 'CommunicationFailed', 'TimeoutError', 'IsBusy',
           'IsError', 'Disabled', 'Impossible', 'ReadFailed', 'OutOfRange', 'InternalError')


@pytest.fixture(scope='module')
def node():
    with SimNode(speed=10) as sim:
        yield sim


@pytest.fixture(scope='module')
def description(node):
    conn = node.client()
    reply = conn.ask('describe')
    conn.close()
    return json.loads(reply.split(' ', 2)[2])


# --- helpers ----------------------------------------------------------------

class Wire:
    """A raw connection; a reader thread collects everything the node sends,
    so the node is never throttled by us while we send."""

    def __init__(self, port, timeout=20):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.timeout = timeout
        self.received = bytearray()
        self.lines = []
        self.eof = False
        self._cond = threading.Condition()
        self._sentinels = 0
        self._consumed = 0
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        pending = b''
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b''
            with self._cond:
                if not data:
                    self.eof = True
                    self._cond.notify_all()
                    return
                self.received += data
                pending += data
                *complete, pending = pending.split(b'\n')
                self.lines.extend(complete)
                self._cond.notify_all()

    def send(self, data, chunk=None, pause=0.0):
        """Send bytes, optionally in chunks of at most ``chunk`` bytes."""
        if not chunk:
            self.sock.sendall(data)
            return
        for start in range(0, len(data), chunk):
            self.sock.sendall(data[start:start + chunk])
            if pause:
                time.sleep(pause)

    def replies(self):
        """Send a sentinel ping and return the replies (not updates) to all
        requests sent since the last call, the sentinel's pong excluded."""
        self._sentinels += 1
        token = b'fuzz-sentinel-%d' % self._sentinels
        self.sock.sendall(b'ping ' + token + b'\n')
        end = time.monotonic() + self.timeout
        with self._cond:
            while True:
                for i in range(self._consumed, len(self.lines)):
                    if self.lines[i].startswith(b'pong ' + token + b' '):
                        got = self.lines[self._consumed:i]
                        self._consumed = i + 1
                        return [line for line in got
                                if line.split(b' ', 1)[0] not in UPDATE_ACTIONS]
                left = end - time.monotonic()
                if self.eof or left <= 0:
                    raise AssertionError('no sentinel reply (eof=%s); last lines %r' % (
                        self.eof, [line[:120] for line in self.lines[-5:]]))
                self._cond.wait(left)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes the reader thread's recv
        except OSError:
            pass
        self.sock.close()
        self._thread.join(5)


def _refuse(name):
    raise ValueError(name)


def check_reply(line):
    """A reply is printable ASCII; an error reply carries a well-formed report."""
    assert all(32 <= byte < 127 for byte in line), line[:200]
    text = line.decode()
    if text.startswith('error'):
        action, specifier, data = (text.split(' ', 2) + ['', ''])[:3]
        report = json.loads(data, parse_constant=_refuse)
        assert type(report) is list and len(report) == 3, text[:200]
        assert report[0] in CLASSES, text[:200]
        assert type(report[1]) is str and type(report[2]) is dict, text[:200]
    return text


def check_output(wire):
    """Everything the node sent on the wire is printable ASCII or LF."""
    bad = [byte for byte in wire.received if not (32 <= byte < 127 or byte == 10)]
    assert not bad, 'non-ASCII output bytes %r' % bad[:20]


def exchange(port, requests, chunk=None, pause=0.0):
    """Send ``requests`` (bytes) on a fresh connection; one reply per LF."""
    wire = Wire(port)
    try:
        payload = b''.join(requests)
        wire.send(payload, chunk, pause)
        got = wire.replies()
        assert len(got) == payload.count(b'\n'), (
            'sent %d lines, got %d replies: %r' % (
                payload.count(b'\n'), len(got), [line[:100] for line in got[-10:]]))
        check_output(wire)
        return [check_reply(line) for line in got]
    finally:
        wire.close()


def error_class(reply):
    """``(action, specifier, class)`` of an error reply, None for a success."""
    if not reply.startswith('error'):
        return None
    action, specifier, data = reply.split(' ', 2)
    return action, specifier, json.loads(data)[0]


def clients(conn):
    conn.ask('read system:value')       # refreshes system:_clients too
    return json.loads(conn.ask('read system:_clients').split(' ', 2)[2])[0]


def assert_alive(node):
    assert node.alive()
    conn = node.client(timeout=10)
    try:
        assert conn.ask('*IDN?').startswith('ISSE')
    finally:
        conn.close()


def line(text):
    return (text if isinstance(text, bytes) else text.encode()) + b'\n'


# --- generators -------------------------------------------------------------

def random_lines(rng, count, max_len=1500):
    """Random byte lines (no LF inside), some printable, some of any byte."""
    out = []
    for i in range(count):
        size = rng.choice((0, 1, 2, rng.randrange(200), rng.randrange(max_len)))
        if i % 3 == 0:
            body = bytes(rng.randrange(32, 127) for _ in range(size))
        else:
            body = bytes(rng.randrange(256) for _ in range(size)).replace(b'\n', b'')
        out.append(body + (b'\r\n' if i % 7 == 0 else b'\n'))
    return out


def garbage_lines(rng):
    """Hand-made nasty lines: bytes the parser must survive."""
    invalid_utf8 = (b'\xff', b'\xc3\x28', b'\xe2\x82', b'\xf0\x9f\x98', b'\xed\xa0\x80',
                    b'\x80\x80', b'\xf8\x88\x80\x80\x80', b'\xf4\x90\x80\x80', b'\xc0\x80')
    lines = [b'', b'\r', b'\x00', b'\x00' * 50, b' ', b'  ', b'   x', b'\t\t', b'\x7f',
             b'\x1b[2J\x1b[H', b'read\x00 heater:value', b'read heater:value\x00',
             b'read heater\x00:value', b'change heater:target \x005',
             b'ping \x00', b'*IDN?\x00', b'\x00*IDN?', b'describe\r\r', b'\r\r\r']
    for bad in invalid_utf8:
        lines += [bad, b'read ' + bad, b'read heater:' + bad, bad + b' heater:value',
                  b'change heater:target "' + bad + b'"', b'ping ' + bad, b'do heater:stop ' + bad]
    for _ in range(20):
        lines.append(bytes(rng.choice(b'\x00\xff\xfe\x80 :"[{}],\r\\') for _ in range(
            rng.randrange(1, 300))))
    return [line(item) for item in lines]


def truncated_lines():
    """Prefixes of valid requests, each terminated early by an LF."""
    full = [b'*IDN?', b'describe', b'read heater:value',
            b'change heater:ctrlpars {"p": 20.0, "i": 0.2}',
            b'do heater:_examplecommand {"a": 2.5, "b": 4}', b'change heater:target_limits [0, 90]',
            b'ping token', b'logging heater "off"']
    out = []
    for request in full:
        for cut in range(1, len(request)):
            out.append(line(request[:cut]))
    return out


def json_lines():
    """Deeply nested, huge, non-finite and otherwise hostile JSON data parts."""
    room = MAX_LINE - 40           # data part that still fits into the buffer
    values = [
        b'[' * 5, b'[' * 100, b'[' * 400, b']' * 400, b'{' * 400, b'{"a":' * 150,
        b'[' * 200 + b']' * 200, b'[' * 490 + b']' * 490, b'[' * room, b'{"":' * (room // 4),
        b'[' + b'1,' * (room // 2 - 2) + b'1]',
        b'"' + b'a' * (room - 2) + b'"',
        b'"' + b'\\u0000' * (room // 6 - 1) + b'"',
        b'"' + b'\\ud800' * (room // 6 - 1) + b'"',
        b'"\\ud83d\\ude00"', b'"\\uffff"', b'"\\u"', b'"\\x41"', b'"\\',
        b'9' * room, b'-' + b'9' * (room - 1), b'0.' + b'0' * (room - 3) + b'1',
        b'1e' + b'9' * 50, b'1e-' + b'9' * 50,
        b'{"p":' + b'9' * 500 + b'}',
        b'{"' + b'k' * (room - 10) + b'":1}',
        b'NaN', b'nan', b'Infinity', b'-Infinity', b'inf', b'-inf', b'1e999', b'-1e999',
        b'[NaN]', b'[1e999,1e999]', b'{"p":NaN}', b'{"p":Infinity}', b'{"p":1e999}',
        b'{"a":NaN,"b":1}', b'{"a":1,"b":1e999}', b'{"a":1,"b":-1e999}',
        b'', b'null', b'true', b'{}', b'[]', b'""', b'[1,]', b'{"a":}', b'{,}', b'01',
        b'1.', b'.5', b'+1', b'0x10', b"'a'", b'{"a":1}{"b":2}', b'1 2', b'[1] [2]',
    ]
    targets = [b'change heater:target ', b'change heater:ctrlpars ', b'change heater:target_limits ',
               b'change sim:_fault ', b'do heater:_examplecommand ', b'check heater:target ',
               b'logging heater ', b'do heater:stop ']
    return [line(target + value) for target in targets for value in values]


def long_lines(rng):
    """Lines around and far over the input buffer: (bytes, chunk size)."""
    x = b'x'
    heads = [b'', b'read heater:value ', b'change heater:target_limits [', b'\xff\xfe ',
             b'ping ', b'do heater:_examplecommand {"a":']
    out = [(b'ping ' + x * (MAX_LINE - 6) + b'\n', None),     # fills the buffer exactly
           (x * MAX_LINE + b'\n', None),            # one byte too long
           (x * (MAX_LINE + 1) + b'\n', None)]
    for head in heads:
        for size in (5000, 100000):
            body = head + bytes(rng.randrange(32, 127) for _ in range(200)) * (size // 200)
            out.append((body.replace(b'\n', b'') + b'\n', rng.choice((1000, 1500, 4096, 8192))))
    return out


def wrong_values(datainfo):
    """Data parts (JSON text, None for none at all) that a parameter or
    argument of this datainfo must refuse."""
    kind = datainfo['type']
    common = [None, {}, [], '"x"', '[[]]', '{"a":[]}']
    if kind in ('double', 'scaled', 'int'):
        out = common + ['true', 'false', '"1"', '[1]', '{"v":1}', '1e999', '-1e999']
        if 'max' in datainfo:
            out += [repr(datainfo['max'] + 1), '1' + '0' * 400]
        if 'min' in datainfo:
            out += [repr(datainfo['min'] - 1), '-1' + '0' * 400]
        if kind != 'double':
            out += ['1.5', '0.1']
        return out
    if kind == 'enum':
        high = max(datainfo['members'].values())
        return common + ['true', '1.5', str(high + 1), '-1', '"nosuchmember"', '1e300',
                         '9' * 400]
    if kind == 'bool':
        return common + ['2', '-1', '"true"', '0.5', '[true]']
    if kind == 'string':
        out = common[:1] + ['1', 'true', '[]', '{}']
        if 'maxchars' in datainfo:
            out.append('"%s"' % ('s' * (datainfo['maxchars'] + 1)))
        return out
    if kind == 'tuple':
        size = len(datainfo['members'])
        return common + ['1', '"ab"', '[%s]' % ','.join(['1'] * (size + 1)),
                         '[%s]' % ','.join(['1'] * (size - 1)),
                         '[%s]' % ','.join(['"x"'] * size), '[%s]' % ','.join(['null'] * size)]
    if kind == 'struct':
        name = list(datainfo['members'])[0]
        return [None, '[]', '1', '"x"', '{"no_such_member":1}', '{"%s":"x"}' % name,
                '{"%s":null}' % name, '{"%s":[1]}' % name, '{"%s":-1e999}' % name]
    if kind == 'array':
        return common[:1] + ['1', '"x"', '{}', '[%s]' % ','.join(['1'] * (datainfo['maxlen'] + 1))]
    return common


def writable_parameters(description):
    for mname, module in description['modules'].items():
        for aname, acc in module['accessibles'].items():
            if acc['datainfo']['type'] != 'command' and not acc.get('readonly', True):
                yield '%s:%s' % (mname, aname), acc['datainfo']


def random_json(rng, depth=0, names=()):
    """A random JSON value as text (compact, ASCII); sometimes not quite JSON."""
    kind = rng.randrange(12 if depth < 3 else 8)
    if kind == 0:
        return rng.choice(('null', 'true', 'false', 'NaN', 'Infinity', '-Infinity', '1e999'))
    if kind in (1, 2):
        return str(rng.choice((0, 1, 2, 3, 4, -1, 100, 3600, 2 ** 24, 2 ** 31, 2 ** 63,
                               -2 ** 63, 10 ** 30, rng.randrange(-1000, 1000))))
    if kind in (3, 4):
        return repr(rng.choice((0.5, -0.0, 1e308, -1e308, 5e-324, 1e-7, 0.1, 20.0, 89.99,
                                90.0, 100.0, rng.uniform(-200, 200))))
    if kind in (5, 6, 7):
        chars = [rng.choice('abc _:"\\\u00e9\u20ac\U0001f600\x00\x7f\n') for _ in
                 range(rng.randrange(12))]
        return json.dumps(''.join(chars))
    if kind in (8, 9):
        return '[%s]' % ','.join(random_json(rng, depth + 1, names)
                                 for _ in range(rng.randrange(4)))
    keys = list(names) + ['x', '']
    return '{%s}' % ','.join('%s:%s' % (json.dumps(rng.choice(keys)),
                                        random_json(rng, depth + 1, names))
                             for _ in range(rng.randrange(4)))


def grammar_lines(rng, description, count):
    """Well-formed requests with random specifiers and random data, mostly
    change/do/check on accessibles that take data."""
    every = ['', '.', ':', 'heater:', 'heater:nosuch', 'nosuch:value', 'heater:value:extra']
    writable, commands = [], []
    for mname, module in description['modules'].items():
        every.append(mname)
        for aname, acc in module['accessibles'].items():
            spec = '%s:%s' % (mname, aname)
            every.append(spec)
            if acc['datainfo']['type'] == 'command':
                commands.append(spec)
            elif not acc.get('readonly', True):
                writable.append(spec)
    members = ['a', 'b', 'p', 'i', 'd']
    out = []
    for _ in range(count):
        action = rng.choice(['change'] * 6 + ['do'] * 3 + ['check'] * 2 + [
            'read', 'activate', 'deactivate', 'ping', 'logging', 'describe', 'help', ''])
        pool = {'change': writable, 'check': writable, 'do': commands}.get(action, every)
        spec = rng.choice(pool if rng.random() < 0.8 else every)
        if action == 'logging':
            data = rng.choice(('"debug"', '"info"', '"error"', '"off"', 'false', '"x"', '1'))
        else:
            data = random_json(rng, names=members)
        out.append(line('%s %s %s' % (action, spec, data)))
    return out


# --- tests ------------------------------------------------------------------

@pytest.mark.parametrize('index', range(len(long_lines(random.Random(0)))))
def test_long_lines_in_chunks(node, index):
    data, chunk = long_lines(random.Random(SEED + 2))[index]
    # short pauses make the node read the 5 kB lines piecewise
    replies = exchange(node.port, [data], chunk=chunk, pause=0.001 if len(data) < 20000 else 0)
    assert len(replies) == 1
    if len(data) > MAX_LINE:
        assert 'longer than the input buffer' in replies[0], replies[0][:200]
    if data.startswith(b'read heater:value '):
        assert replies[0].startswith('error_read heater:value ["ProtocolError",'), replies[0]
    assert_alive(node)


def test_long_lines_back_to_back(node):
    """Over-long lines and short requests interleaved on one connection."""
    rng = random.Random(SEED + 3)
    requests = []
    for data, _ in long_lines(rng):
        requests += [data, b'read heater:status\n']
    replies = exchange(node.port, requests, chunk=3000)
    assert all(r.startswith('reply heater:status ') for r in replies[1::2]), replies[1::2]
    assert_alive(node)


def _fuzz_round(port, rng):
    """One mixed round: a sample of everything above, on a few connections."""
    exchange(port, random_lines(rng, 40))
    exchange(port, garbage_lines(rng)[:60])
    exchange(port, rng.sample(json_lines(), 80))
    exchange(port, [b'x' * 5000 + b'\n', b'ping a\n', b'\xff' * 3000 + b'\n'], chunk=2000)


def _warm_up(node, rng):
    """First-use allocations: one fuzz round, and the most connections at once
    (the event loop's poll table and maps keep their high-water size)."""
    _fuzz_round(node.port, rng)
    extra = [node.client() for _ in range(4)]       # 3 served (with the probe), 1 refused
    for conn in extra:
        conn.close()


def test_heap_returns_to_baseline_after_fuzzing(node):
    probe = node.client()
    try:
        _warm_up(node, random.Random(SEED + 4))
        assert wait_for(lambda: clients(probe) == 1, 5)
        baseline = heap(probe)
        rng = random.Random(SEED + 5)
        for _ in range(4):
            _fuzz_round(node.port, rng)
        assert wait_for(lambda: clients(probe) == 1, 5)
        after = settled_heap(node, probe, baseline)
        assert after - baseline < 2048, (baseline, after)
    finally:
        probe.close()
    assert_alive(node)


def test_random_bytes_get_one_reply_per_line(node):
    rng = random.Random(SEED)
    for _ in range(8):
        exchange(node.port, random_lines(rng, 250))
    assert_alive(node)


def test_nul_invalid_utf8_and_control_bytes(node):
    rng = random.Random(SEED + 1)
    replies = exchange(node.port, garbage_lines(rng))
    for reply in replies:
        assert reply.startswith(('error', 'helping ')), reply[:200]
    assert_alive(node)


def test_truncated_requests(node):
    replies = exchange(node.port, truncated_lines())
    assert any(reply.startswith('error_read heater:') for reply in replies)
    assert_alive(node)


def test_hostile_json(node):
    replies = exchange(node.port, json_lines())
    for reply in replies:
        assert not reply.startswith('changed heater:target_limits'), reply[:200]
        assert '1e999' not in reply and 'NaN' not in reply and 'nfinity' not in reply
    change_errors = [error_class(r)[2] for r in replies if r.startswith('error_change')]
    assert 'BadJSON' in change_errors and 'WrongType' in change_errors
    assert_alive(node)


def test_wrong_types_for_every_writable_parameter(node, description):
    requests, expected = [], []
    for spec, datainfo in writable_parameters(description):
        for value in wrong_values(datainfo):
            requests.append(line('change %s %s' % (spec, value) if value is not None
                                 else 'change %s' % spec))
            expected.append(spec)
    assert len(requests) > 100
    replies = exchange(node.port, requests)
    for spec, reply in zip(expected, replies):
        got = error_class(reply)
        assert got is not None, 'accepted: %s' % reply[:200]
        assert got[:2] == ('error_change', spec), reply[:200]
        assert got[2] in ('WrongType', 'RangeError', 'BadJSON'), reply[:200]
    assert_alive(node)


def test_unknown_and_custom_actions(node):
    # 'update' is left out: its reply error_update would not be counted as a reply
    actions = ['foo', '_foo', '_', '__', 'READ', 'Read', 'read_', '*idn?', '*IDN', 'IDN?',
               'describe_', 'describing', 'error_read', 'reply', 'changed', 'done',
               'active', 'pong', 'helping', 'error', 'error_', 'check_', 'a' * 63, '_' * 63,
               '_x:y', 'read:', '!"#$%&()*+,-./', '{}', '[1]', '""', 'null', '0']
    requests = []
    for action in actions:
        requests += [line(action), line(action + ' heater:value'),
                     line(action + ' heater:value [1,{}]'), line(action + '  "x"')]
    replies = exchange(node.port, requests)
    for request, reply in zip(requests, replies):
        action, rest = (request[:-1].decode().split(' ', 1) + [''])[:2]
        specifier = rest.split(' ', 1)[0]
        expect = 'error_%s %s ["ProtocolError",' % (action, specifier)
        assert reply.startswith(expect), (request, reply[:200])
    assert_alive(node)


def test_do_with_wrong_arguments(node, description):
    requests, classes = [], []

    def add(text, *allowed):
        requests.append(line(text))
        classes.append(allowed)

    for mname, module in description['modules'].items():
        for aname, acc in module['accessibles'].items():
            spec = '%s:%s' % (mname, aname)
            info = acc['datainfo']
            if info['type'] != 'command':
                add('do %s' % spec, 'NoSuchCommand')
                continue
            argument = info.get('argument')
            if argument is None:
                for value in ('5', '"x"', '[]', '{}', 'true', '[null]', '1e999'):
                    add('do %s %s' % (spec, value), 'WrongType', 'RangeError')
            else:
                for value in wrong_values(argument):
                    if value is None and spec == 'heater:_autotune':
                        continue        # its argument is optional: none means the defaults
                    add('do %s %s' % (spec, value) if value is not None else 'do ' + spec,
                        'WrongType', 'RangeError', 'BadJSON')
        add('do %s:no_such_command' % mname, 'NoSuchCommand')
        add('do %s:no_such_command 1' % mname, 'NoSuchCommand')
        add('do %s' % mname, 'ProtocolError')
    add('do no_such_module:stop', 'NoSuchModule')
    add('do', 'ProtocolError', 'NoSuchModule')
    add('do :', 'NoSuchModule')
    add('do heater:_examplecommand {"a":1', 'BadJSON')
    add('do heater:_examplecommand {"a":1,"b":2,"c":3}', 'WrongType')
    add('do heater:_examplecommand {"a":11,"b":2}', 'RangeError')
    add('do heater:_examplecommand {"a":10,"b":1e308}', 'RangeError')
    add('do heater:_examplecommand {"a":"1","b":2}', 'WrongType')
    add('do heater:_examplecommand [1,2]', 'WrongType')
    replies = exchange(node.port, requests)
    for request, allowed, reply in zip(requests, classes, replies):
        got = error_class(reply)
        assert got is not None and got[0] == 'error_do', (request, reply[:200])
        assert got[2] in allowed, (request, reply[:200])
    assert_alive(node)


def test_well_formed_requests_with_random_data(node, description):
    """Valid actions and specifiers with random data: a handler that raises
    anything but a SECoP error shows up as InternalError."""
    rng = random.Random(SEED + 6)
    try:
        for _ in range(4):
            requests = grammar_lines(rng, description, 300)
            for request, reply in zip(requests, exchange(node.port, requests)):
                got = error_class(reply)
                assert got is None or got[2] != 'InternalError', (request, reply[:200])
    finally:
        exchange(node.port, [line(request) for request in (
            'change sim:_fault 0', 'do heater:clear_errors', 'change heater:target_limits [0,90]',
            'change heater:ramp 0', 'change system:pollinterval 10', 'change sim:pollinterval 1',
            'change outside:pollinterval 1', 'change heater:pollinterval 1',
            'change heater_output:pollinterval 1')])
    assert_alive(node)


# --- bugs the fuzzer found once (fixed): regressions ---------------------

def test_long_control_character_input_gets_its_proper_error(node):
    room = MAX_LINE - 40
    replies = exchange(node.port, [
        line(b'change heater:ctrlpars {"' + b'\x01' * room + b'":1}'),
        line(b'do heater:_examplecommand {"' + b'\x01' * (room - 10) + b'":1}')] * 2)
    for reply in replies:
        assert error_class(reply)[2] in ('WrongType', 'BadJSON'), reply[:120]


def test_memory_error_in_an_error_reply_still_gets_a_reply():
    sim = SimNode(speed=10, heap='224k')     # tight: the boot leaves about 40k
    try:
        requests = [line(b'\x00' * 900 + b' heater:value'),
                    line('\u00e9'.encode() * 450 + b' heater:value')] * 3
        try:
            exchange(sim.port, requests)
        except OSError as exc:          # a reset: the node closed with our data unread
            raise AssertionError('connection dropped: %r' % exc)
        assert_alive(sim)
    finally:
        sim.stop()


def test_nul_inside_the_data_part_is_bad_json(node):
    replies = exchange(node.port, [line(b'change heater:_maxheaterpower 100\x00garbage'),
                                   line(b'change heater:target_limits [0,90]\x00]'),
                                   line(b'do heater:_examplecommand {"a":1,"b":2}\x00x')])
    assert all(error_class(r) and error_class(r)[2] == 'BadJSON' for r in replies), replies


def test_overlong_utf8_is_not_echoed_raw(node):
    exchange(node.port, [line(bad + tail) for bad in (b'\xc0\xaf', b'\xe0\x80\xaf', b'\xc1\x81')
                         for tail in (b'', b' heater:value')])
