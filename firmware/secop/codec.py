"""Wire codec: split a request line, and write compact ASCII JSON.

Both directions are plain synchronous functions, byte-identical on CPython
and MicroPython.  ``json.dumps`` is not used for output because the two
runtimes differ (dict order, non-ASCII and DEL escaping, ``nan``), and
``json.loads`` on CPython is told to refuse ``NaN``/``Infinity``.
"""

import json
import sys

from secop.errors import SECoPError

_CPYTHON = sys.implementation.name == 'cpython'


def _refuse_constant(name):
    raise ValueError('%s is not JSON' % name)


def parse_json(text):
    """Decode the data part of a request; an empty part means ``null``."""
    if not text:
        return None
    if '\x00' in text:          # MicroPython's json.loads stops at a NUL
        raise SECoPError('BadJSON', 'data part is not valid JSON')
    try:
        if _CPYTHON:
            return json.loads(text, parse_constant=_refuse_constant)  # pyright: ignore[reportCallIssue]
        return json.loads(text)
    except MemoryError:
        raise
    except Exception:  # ValueError, and RecursionError on CPython for deep nesting
        raise SECoPError('BadJSON', 'data part is not valid JSON')


def split_request(line):
    """Split ``action [specifier [data]]`` on the first two spaces only."""
    parts = line.split(' ', 2)
    count = len(parts)
    if count == 3:
        return parts[0], parts[1], parts[2].strip()
    return parts[0], parts[1] if count == 2 else '', ''


def clip(text, length=40):
    """Client-supplied text shortened for an error message."""
    return text if len(text) <= length else text[:length] + '...'


def is_printable_ascii(text):
    """True for a string of printable ASCII without spaces (safe to echo)."""
    for ch in text:
        if not '!' <= ch <= '~':
            return False
    return True


def message(action, specifier='', data=None):
    """One outgoing line, LF included; ``data`` is already JSON text."""
    if data is None:
        return '%s %s\n' % (action, specifier) if specifier else action + '\n'
    return '%s %s %s\n' % (action, specifier, data)


def qualifiers(seconds, ms=0):
    """The qualifier object: ``{"t":<unix s>.<ms>}``, or ``{}`` without a time.

    ``seconds`` count from 2000 (secop.clock), None if the time is unknown; the
    1970 offset, 946684800, is added in two halves of five digits, so no
    intermediate exceeds a 31-bit small int (Unix seconds are past 2**30)."""
    if seconds is None:
        return '{}'
    low = seconds % 100000 + 84800
    return '{"t":%d%05d.%03d}' % (seconds // 100000 + 9466 + low // 100000, low % 100000, ms)


def error_report(name, text):
    return '[%s,%s,{}]' % (encode_str(name), encode_str(text))


def _escape_char(ch):
    code = ord(ch)
    if ch == '"':
        return '\\"'
    if ch == '\\':
        return '\\\\'
    if ch == '\n':
        return '\\n'
    if ch == '\r':
        return '\\r'
    if ch == '\t':
        return '\\t'
    if 0x20 <= code < 0x7f:
        return chr(code)        # not ch: MicroPython keeps overlong UTF-8 bytes in it
    if code > 0xffff:
        code -= 0x10000
        return '\\u%04x\\u%04x' % (0xd800 | (code >> 10), 0xdc00 | (code & 0x3ff))
    return '\\u%04x' % code


_SHORT_ESCAPES = (('\\', '\\\\'), ('"', '\\"'), ('\n', '\\n'), ('\r', '\\r'),
                  ('\t', '\\t'))


def encode_str(text):
    """JSON string literal in pure ASCII.

    Printable ASCII (with quotes, backslashes, CR, LF, TAB) is escaped with
    ``str.replace``; only other characters are escaped one by one, which
    builds a list as long as the text."""
    try:
        raw = text.encode()
    except UnicodeError:        # a lone surrogate (CPython)
        raw = b''
    if len(raw) == len(text):
        for byte in raw:
            if (byte < 0x20 and byte not in (9, 10, 13)) or byte == 0x7f:
                break
        else:
            for old, new in _SHORT_ESCAPES:
                if old in text:
                    text = text.replace(old, new)
            return '"%s"' % text
    return '"%s"' % ''.join(_escape_char(ch) for ch in text)


def encode(value):
    """Compact ASCII JSON of a plain value (None, bool, int, float, str, list, tuple, dict).

    Dict keys are written in sorted order so both runtimes agree; a
    non-finite float raises ValueError, because NaN and Infinity are not JSON.
    """
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is float:
        if value != value or value in (_INF, -_INF):
            raise ValueError('non-finite number')
        return repr(value)
    if kind is str:
        return encode_str(value)
    if kind is list or kind is tuple:
        return '[%s]' % ','.join(encode(item) for item in value)
    if kind is dict:
        return '{%s}' % ','.join(
            '%s:%s' % (encode_str(key), encode(value[key])) for key in sorted(value))
    raise TypeError('cannot encode %s' % kind.__name__)


def encode_pairs(pairs):
    """A JSON object from ordered ``(key, value)`` pairs; values that are
    ``Raw`` are inserted as they are (already encoded JSON)."""
    return '{%s}' % ','.join(
        '%s:%s' % (encode_str(key), val.text if type(val) is Raw else encode(val))
        for key, val in pairs)


class Raw:
    """JSON text that ``encode_pairs`` inserts without re-encoding."""

    def __init__(self, text):
        self.text = text


_INF = float('inf')
