"""Wire codec: split a request line, read strict JSON, write compact ASCII JSON.

Both directions are plain synchronous functions, byte-identical on CPython
and MicroPython.  ``json.dumps`` is not used for output because the two
runtimes differ (dict order, non-ASCII and DEL escaping, ``nan``).  Input is
RFC 8259 JSON exactly: MicroPython's ``json.loads`` accepts much more
(``050``, ``5.``, ``[1,]``, ``"\\x"``, raw control characters, VT/FF as
whitespace), so ``check_json`` checks the text first, on both runtimes, so
that they agree (also on the nesting limit).  The data part is not stripped: only RFC 8259
whitespace (space, tab, CR, LF) may surround the value.
"""

import json
import sys

from secop.errors import SECoPError

_CPYTHON = sys.implementation.name == 'cpython'


def _refuse_constant(name):
    raise ValueError('%s is not JSON' % name)


def parse_json(text):
    """Decode the data part of a request; an empty part (or RFC 8259 whitespace
    only) means ``null``.  A member name twice in one object is refused: the
    decoders would silently keep one of the two values."""
    end = len(text)
    if _skip_space(text, 0, end) == end:
        return None
    try:
        members = check_json(text)
        if _CPYTHON:
            value = json.loads(text, parse_constant=_refuse_constant)  # pyright: ignore[reportCallIssue]
        else:
            value = json.loads(text)
    except MemoryError:
        raise
    except Exception:  # ValueError, and RecursionError on CPython for deep nesting
        raise SECoPError('BadJSON', 'data part is not valid JSON')
    if members and _members(value) != members:
        raise SECoPError('BadJSON', 'data part has a duplicate member name')
    return value


def _members(value):
    """How many members the objects in ``value`` have, all together."""
    if type(value) is dict:
        count = len(value)
        for name in value:          # no values() view: iterating allocates nothing
            count += _members(value[name])
        return count
    count = 0
    if type(value) is list:
        for item in value:
            count += _members(item)
    return count


MAX_DEPTH = 32      # nesting limit (RFC 8259 section 9 allows one); no datatype needs more


def check_json(text):
    """Raise ValueError unless ``text`` is one JSON value (RFC 8259) with
    optional whitespace around it; returns how many member names it has.
    Iterative: nesting costs one bit of ``stack`` per level (1: object,
    0: array), not a Python frame."""
    end = len(text)
    i = 0
    stack = depth = members = 0
    while True:
        i = _skip_space(text, i, end)       # a value is expected at i
        c = text[i] if i < end else ''
        if c == '{' or c == '[':
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError('nested too deep')
            stack = (stack << 1) | (c == '{')
            i = _skip_space(text, i + 1, end)
            if i < end and text[i] == ('}' if c == '{' else ']'):
                depth -= 1
                stack >>= 1
                i += 1
            else:
                if c == '{':
                    i = _member_name(text, i, end)
                    members += 1
                continue
        elif c == '"':
            i = _string(text, i, end)
        elif c == '-' or '0' <= c <= '9':
            i = _number(text, i, end)
        elif text.startswith('true', i) or text.startswith('null', i):
            i += 4
        elif text.startswith('false', i):
            i += 5
        else:
            raise ValueError('value expected')
        while True:                         # after a value
            i = _skip_space(text, i, end)
            if not depth:
                if i != end:
                    raise ValueError('extra data')
                return members
            c = text[i] if i < end else ''
            if c == ',':
                i += 1
                if stack & 1:
                    i = _member_name(text, i, end)
                    members += 1
                break
            if c != ('}' if stack & 1 else ']'):
                raise ValueError('"," or end of container expected')
            depth -= 1
            stack >>= 1
            i += 1


def _skip_space(text, i, end):
    while i < end and text[i] in ' \t\n\r':
        i += 1
    return i


def _member_name(text, i, end):
    """A member name and its colon; returns the index after the colon."""
    i = _skip_space(text, i, end)
    if i >= end or text[i] != '"':
        raise ValueError('member name expected')
    i = _skip_space(text, _string(text, i, end), end)
    if i >= end or text[i] != ':':
        raise ValueError('":" expected')
    return i + 1


def _string(text, i, end):
    """The index after the string starting at ``text[i] == '"'``."""
    i += 1
    while i < end:
        c = text[i]
        if c == '"':
            return i + 1
        if c == '\\':
            c = text[i + 1] if i + 1 < end else ''
            if c == 'u':
                for h in text[i + 2:i + 6]:
                    if h not in _HEX:
                        raise ValueError('bad \\u escape')
                if i + 6 > end:
                    raise ValueError('bad \\u escape')
                i += 6
                continue
            if c not in '"\\/bfnrt' or not c:
                raise ValueError('bad escape')
            i += 2
            continue
        if c < ' ':
            raise ValueError('control character in string')
        i += 1
    raise ValueError('unterminated string')


_HEX = '0123456789abcdefABCDEF'


def _number(text, i, end):
    """The index after the number starting at ``i``: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?"""
    if text[i] == '-':
        i += 1
    if i < end and text[i] == '0':
        i += 1
    else:
        i = _digits(text, i, end)
    if i < end and text[i] == '.':
        i = _digits(text, i + 1, end)
    if i < end and text[i] in 'eE':
        i += 1
        if i < end and text[i] in '+-':
            i += 1
        i = _digits(text, i, end)
    return i


def _digits(text, i, end):
    """At least one digit."""
    start = i
    while i < end and '0' <= text[i] <= '9':
        i += 1
    if i == start:
        raise ValueError('digit expected')
    return i


def split_request(line):
    """Split ``action [specifier [data]]`` on the first two spaces only (with
    ``find`` and slices: ``split`` would allocate a list on every request)."""
    first = line.find(' ')
    if first < 0:
        return line, '', ''
    second = line.find(' ', first + 1)
    if second < 0:
        return line[:first], line[first + 1:], ''
    return line[:first], line[first + 1:second], line[second + 1:]     # the JSON: no strip()


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


def error_message(action, specifier, report):
    """``error_<action> <specifier> <report>``: the specifier echoed with its
    non-printable characters escaped, so a client can match the reply (an
    absurdly long one is clipped: escaping may make it six times longer); an
    action that is not printable ASCII gives a bare ``error`` line."""
    if not is_printable_ascii(action):
        return message('error', '', report)
    if not is_printable_ascii(specifier):     # at most 64 characters of it, escaped
        specifier = ''.join(ch if '!' <= ch <= '~' else _escape_char(ch)
                            for ch in specifier[:64]) + ('...' if len(specifier) > 64 else '')
    return message('error_' + action if action else 'error', specifier, report)


def qualifiers(seconds, ms=0):
    """The qualifier object: ``{"t":<unix s>.<ms>}``, or ``{}`` without a time.

    ``seconds`` count from 2000 (secop.clock), None if the time is unknown; the
    1970 offset, 946684800, is added in two halves of five digits, so no
    intermediate exceeds a 31-bit small int (Unix seconds are past 2**30)."""
    if seconds is None:
        return '{}'
    return '{"t":%d%05d.%03d}' % (_unix_high(seconds), _unix_low(seconds), ms)


def data_line(action, module, name, data, seconds, ms):
    """``<action> <module>:<name> [<data>,<qualifiers>]`` with its LF, formatted
    in one step: the hot path of ``read`` and of updates allocates little.
    ``data`` is JSON text or a finite float (``str`` of a float is its JSON).
    ``str.format`` takes its arguments from the stack: ``%`` would build a tuple."""
    if seconds is None:
        return '{} {}:{} [{},{{}}]\n'.format(action, module, name, data)
    return '{} {}:{} [{},{{"t":{}{:05d}.{:03d}}}]\n'.format(
        action, module, name, data, _unix_high(seconds), _unix_low(seconds), ms)


def timed_line(action, specifier, data, seconds, ms):
    """``<action> <specifier> [<data>,<qualifiers>]`` with its LF (``pong``, ``done``)."""
    if seconds is None:
        return '{} {} [{},{{}}]\n'.format(action, specifier, data)
    return '{} {} [{},{{"t":{}{:05d}.{:03d}}}]\n'.format(
        action, specifier, data, _unix_high(seconds), _unix_low(seconds), ms)


def _unix_high(seconds):
    """Unix seconds without their last five digits, from seconds since 2000."""
    return seconds // 100000 + 9466 + (seconds % 100000 + 84800) // 100000


def _unix_low(seconds):
    """The last five digits of the Unix seconds."""
    return (seconds % 100000 + 84800) % 100000


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
        if value != value or value in _INFINITIES:
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


_INF = float('inf')
_INFINITIES = (_INF, -_INF)
