"""Strict JSON (RFC 8259) in requests, on both runtimes.

The oracle is CPython's ``json.loads`` with ``NaN``/``Infinity`` refused and
nesting limited to ``codec.MAX_DEPTH``.  Generated JSON texts (random
whitespace and number spellings) and mutations of them (a character inserted,
deleted or replaced by one that matters to JSON) must get the oracle's verdict
from ``codec.parse_json``: under CPython here, and under the MicroPython unix
port for the same inputs in one child process.  The cost of the check per
request on MicroPython is measured and printed (``-s``), not asserted.
"""

import json
import os
import subprocess

import pytest

hypothesis = pytest.importorskip('hypothesis')
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from helpers import MICROPYTHON, ROOT  # noqa: E402
from secop import codec  # noqa: E402
from secop.errors import SECoPError  # noqa: E402

KNOWN_BAD = ['050', '01.5', '5.', '[30,]', '{"a":30,}', '"bogus\\x"', '"a\tb"', '\x0b1',
             '1\x0c', '-', '1e', '.5', '+1', '[1 2]', '{a:1}', '"\\u12g4"', 'NaN',
             '-Infinity', '[1]]', '"abc', 'tru', '1\x00', '[' * 33 + ']' * 33,
             '{"a":1,"a":2}', '[{"b":{"x":1,"y":2,"x":1}}]', '{"\\u0061":1,"a":2}']
KNOWN_GOOD = ['0', '-0', '1.5e-3', '1E+5', ' [1 , 2 ]\r\n', '{"a":[1,{"b":null}]}',
              '"\\u00e9\\n\\/"', '"\u00e9"', 'true', '[' * 32 + ']' * 32,
              '{"a":{"a":1},"b":[{"a":2},{"a":3}]}']
WHITESPACE = ' \t\r\n'         # RFC 8259's
# characters that matter to JSON, for mutations
SIGNIFICANT = list('0123456789-+.eE,:[]{}"\\/ \t\r\nxu') + ['\x0b', '\x0c', '\x00', '\x1f',
                                                              'true', 'null', 'NaN']


def oracle(text):
    """True if RFC 8259 accepts ``text`` (CPython's parser, strict)."""
    def refuse(name):
        raise ValueError(name)
    def unique(pairs):
        if len(set(name for name, _ in pairs)) != len(pairs):
            raise ValueError('duplicate member name')
        return dict(pairs)
    try:
        json.loads(text, parse_constant=refuse, object_pairs_hook=unique)
    except (ValueError, RecursionError):
        return False
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:                 # the nesting limit, outside strings
        if in_string:
            if escaped:
                escaped = False
            elif ch == '\\':
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in '[{':
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ']}':
            depth -= 1
    return deepest <= codec.MAX_DEPTH


def accepted(text):
    """``parse_json``'s verdict (an empty data part, or one of whitespace only,
    means null: not tested here)."""
    assert text.strip(WHITESPACE)
    try:
        codec.parse_json(text)
    except SECoPError as err:
        assert err.name == 'BadJSON'
        return False
    return True


# --- generated inputs ---------------------------------------------------------

SPACE = st.sampled_from(['', '', ' ', '\t', '\r\n', '  '])
NUMBER = st.one_of(
    st.integers(-10 ** 20, 10 ** 20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.tuples(st.sampled_from(['', '-']), st.sampled_from(['0', '7', '12', '305']),
              st.sampled_from(['', '.5', '.25', '.0']),
              st.sampled_from(['', 'e5', 'E-3', 'e+10', 'e0'])).map(''.join))
STRING = st.text(max_size=8).map(lambda s: json.dumps(s, ensure_ascii=False)) | \
    st.text(max_size=8).map(json.dumps)


@st.composite
def json_texts(draw, depth=0):
    kind = draw(st.integers(0, 5 if depth < 4 else 2))
    if kind == 0:
        return draw(NUMBER)
    if kind == 1:
        return draw(STRING)
    if kind == 2:
        return draw(st.sampled_from(['true', 'false', 'null']))
    count = draw(st.integers(0, 3))
    if kind in (3, 4):
        items = [draw(SPACE) + draw(json_texts(depth + 1)) + draw(SPACE) for _ in range(count)]
        return '[%s]' % ','.join(items) if items else '[' + draw(SPACE) + ']'
    names = draw(st.lists(st.text(max_size=8), min_size=count, max_size=count, unique=True))
    members = ['%s%s%s:%s%s' % (draw(SPACE), json.dumps(name, ensure_ascii=draw(st.booleans())),
                                draw(SPACE), draw(SPACE), draw(json_texts(depth + 1)))
               for name in names]
    return '{%s}' % ','.join(members) if members else '{' + draw(SPACE) + '}'


@st.composite
def mutated(draw):
    text = draw(json_texts())
    for _ in range(draw(st.integers(1, 2))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.integers(0, 2))
        piece = draw(st.sampled_from(SIGNIFICANT))
        if op == 0:
            text = text[:pos] + piece + text[pos:]
        elif op == 1:
            text = text[:pos] + text[pos + 1:]
        else:
            text = text[:pos] + piece + text[pos + 1:]
    return text


def _settings(n):
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def test_known_cases_on_cpython():
    for text in KNOWN_BAD:
        assert not accepted(text), text
    for text in KNOWN_GOOD:
        assert accepted(text), text


@_settings(400)
@given(json_texts())
def test_generated_json_is_accepted(text):
    assert oracle(text), text
    assert accepted(text), text


@_settings(1500)
@given(mutated())
def test_mutated_json_gets_the_oracle_verdict(text):
    assume(text.strip(WHITESPACE))
    assert accepted(text) == oracle(text), repr(text)


# --- the same on MicroPython -------------------------------------------------

MPY_SCRIPT = '''
import sys
sys.path.insert(0, %r)
from secop import codec
from secop.errors import SECoPError
with open(sys.argv[1], 'rb') as f:
    data = f.read()
for hexline in data.split(b'\\n'):
    if not hexline:
        continue
    text = str(bytes(int(hexline[i:i + 2], 16) for i in range(0, len(hexline), 2)), 'utf-8')
    try:
        codec.parse_json(text)
        print('A')
    except SECoPError as err:
        print('R' if err.name == 'BadJSON' else 'X' + err.name)
''' % os.path.join(ROOT, 'firmware')

COST_SCRIPT = '''
import sys, gc, time
sys.path.insert(0, %r)
from secop import codec
for text in ('43.98', '"debug"', '{"a":2.5,"b":4}', '{"p":30.0,"i":0.5,"d":60.0}'):
    result = []
    for fn in (codec.check_json, codec.parse_json):
        gc.collect()
        gc.disable()
        a0 = gc.mem_alloc()
        t0 = time.ticks_us()
        for _ in range(2000):
            fn(text)
        us = time.ticks_diff(time.ticks_us(), t0) / 2000
        result.append((us, (gc.mem_alloc() - a0) // 2000))
        gc.enable()
    print('%%-30s check %%5.1f us %%3d B   whole parse %%5.1f us %%3d B' %% (
        text, result[0][0], result[0][1], result[1][0], result[1][1]))
''' % os.path.join(ROOT, 'firmware')


def _micropython_verdicts(texts, tmp_path):
    cases = tmp_path / 'cases.hex'
    cases.write_bytes(b'\n'.join(t.encode('utf-8').hex().encode() for t in texts) + b'\n')
    script = tmp_path / 'verdicts.py'
    script.write_text(MPY_SCRIPT)
    out = subprocess.run([MICROPYTHON, str(script), str(cases)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_micropython_agrees_with_the_oracle(tmp_path):
    texts = list(KNOWN_BAD) + list(KNOWN_GOOD)
    for strategy, n in ((json_texts(), 300), (mutated(), 1200)):
        @_settings(n)
        @given(strategy)
        def collect(text):
            try:
                text.encode('utf-8')
            except UnicodeError:        # a lone surrogate cannot reach the node as UTF-8
                return
            if text.strip(WHITESPACE):
                texts.append(text)
        collect()
    verdicts = _micropython_verdicts(texts, tmp_path)
    assert len(verdicts) == len(texts)
    wrong = [(t, v) for t, v in zip(texts, verdicts) if (v == 'A') != oracle(t) or v[0] == 'X']
    assert not wrong, wrong[:10]
    assert verdicts.count('R') > 100 and verdicts.count('A') > 300   # both sides exercised


def test_cost_of_the_check_on_micropython(tmp_path):
    script = tmp_path / 'cost.py'
    script.write_text(COST_SCRIPT)
    out = subprocess.run([MICROPYTHON, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    print('\nstrict JSON on MicroPython (unix port, this host):\n' + out.stdout)
    for line in out.stdout.splitlines():
        assert ' check ' in line and line.split()[4] == '0', line     # the check allocates nothing
