"""SECoP datatypes: validate incoming values, encode outgoing ones.

``validate(value)`` takes a decoded JSON value and returns the internal
value or raises SECoPError with WrongType (wrong JSON type or shape) or
RangeError (right type, outside the limits).  ``encode(value)`` gives the
JSON text of an internal value; ``secop.describe.datainfo`` describes one.
``bool`` is checked before ``int`` everywhere: on MicroPython
``isinstance(True, int)`` is False, on CPython it is True.  The types no
module of the firmware uses (scaled, blob, array) are in ``secop.moretypes``,
loaded only by a module that declares one.
"""

from secop.codec import clip, encode, encode_str
from secop.errors import SECoPError

_INF = float('inf')
_INFINITIES = (_INF, -_INF)     # built once: a literal tuple would be built per test


def _wrong(text):
    return SECoPError('WrongType', text)


def _range(text):
    return SECoPError('RangeError', text)


def _is_number(value):
    kind = type(value)
    return kind is int or kind is float


def _is_whole(value):
    kind = type(value)
    return kind is int or (kind is float and value == value and value not in _INFINITIES
                           and value == int(value))


def _clamp_zero(low, high):
    """The value nearest to zero within [low, high]: a harmless default."""
    return low if low > 0 else (high if high < 0 else 0)


def _num(value):
    """Shortest readable text of a limit for error messages (0.0 -> 0)."""
    if type(value) is float and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


class DataType:
    """Base class; subclasses set ``TYPE`` (what ``secop.describe`` reads) and
    the attributes their datainfo holds."""

    TYPE = ''
    default = None

    def encode(self, value):
        return encode(value)

    def validate(self, value):
        raise NotImplementedError


class _Numeric(DataType):
    """Shared min/max/unit/fmtstr handling of double and scaled."""

    min = max = absolute_resolution = relative_resolution = None
    unit = fmtstr = ''

    def _check_range(self, value):
        low, high = self.min, self.max
        if (low is not None and value < low) or (high is not None and value > high):
            if high is None:
                raise _range('%s must be at least %s' % (_num(value), _num(low)))
            if low is None:
                raise _range('%s must be at most %s' % (_num(value), _num(high)))
            raise _range('%s must be between %s and %s' % (_num(value), _num(low), _num(high)))

    def _set_unit(self, unit, fmtstr, absolute_resolution, relative_resolution):
        if unit:
            self.unit = unit
        if fmtstr:
            self.fmtstr = fmtstr
        if absolute_resolution is not None:
            self.absolute_resolution = absolute_resolution
        if relative_resolution is not None:
            self.relative_resolution = relative_resolution

class Double(_Numeric):
    TYPE = 'double'
    default = 0.0

    def __init__(self, min=None, max=None, unit='', fmtstr='', absolute_resolution=None,
                 relative_resolution=None):
        if min is not None:
            self.min = float(min)
        if max is not None:
            self.max = float(max)
        self._set_unit(unit, fmtstr, absolute_resolution, relative_resolution)
        default = _clamp_zero(-_INF if min is None else float(min),
                              _INF if max is None else float(max)) * 1.0
        if default:
            self.default = default

    def validate(self, value):
        if not _is_number(value):
            raise _wrong('expected a number, got %s' % encode_type(value))
        try:
            value = float(value)
        except OverflowError:       # an integer beyond the float range
            raise _range('value out of range')
        if value != value or value in _INFINITIES:
            raise _range('value out of range')
        self._check_range(value)
        return value

    def encode(self, value):
        value = float(value)
        if value != value or value in _INFINITIES:
            raise ValueError('non-finite number')
        return repr(value)

class Int(DataType):
    TYPE = 'int'

    def __init__(self, min=-(1 << 24), max=1 << 24):
        self.min = min      # no unit: SECoP's int SHOULD have none (scaled or double for one)
        self.max = max
        self.default = _clamp_zero(min, max)

    def validate(self, value):
        if not _is_whole(value):
            raise _wrong('expected an integer, got %s' % encode_type(value))
        value = int(value)
        if not self.min <= value <= self.max:
            raise _range('%d must be between %d and %d' % (value, self.min, self.max))
        return value

class Bool(DataType):
    TYPE = 'bool'
    default = False

    def validate(self, value):
        if value is True or value is False:
            return value
        if type(value) is int and value in (0, 1):
            return value == 1
        raise _wrong('expected true or false, got %s' % encode_type(value))

    def encode(self, value):
        return 'true' if value else 'false'


class Enum(DataType):
    """Members given as ordered ``(name, number)`` pairs; names accepted on input."""

    TYPE = 'enum'

    def __init__(self, *members):
        self.members = members
        self.default = members[0][1]

    def validate(self, value):
        if type(value) is str:
            for name, number in self.members:
                if name == value:
                    return number
            raise _range('%s is not a member of %s' % (encode_str(clip(value)), self._names()))
        if not _is_whole(value):
            raise _wrong('expected an enum member (number or name), got %s' % encode_type(value))
        value = int(value)
        for _, number in self.members:
            if number == value:
                return number
        raise _range('%d is not a member of %s' % (value, self._names()))

    def _names(self):
        return '{%s}' % ', '.join('%s=%d' % pair for pair in self.members)

class String(DataType):
    TYPE = 'string'
    default = ''

    maxchars = None
    minchars = 0
    isUTF8 = False
    default = ''

    def __init__(self, maxchars=None, minchars=0, isUTF8=False):
        if maxchars is not None:
            self.maxchars = maxchars
        if minchars:
            self.minchars = minchars
            self.default = ' ' * minchars
        if isUTF8:
            self.isUTF8 = True

    def validate(self, value):
        if type(value) is not str:
            raise _wrong('expected a string, got %s' % encode_type(value))
        length = len(value)
        try:
            size = len(value.encode())
        except UnicodeError:
            raise _range('not valid unicode (lone surrogate)')
        if size != length:
            length -= _surrogate_pairs(value)
        if self.maxchars is not None and length > self.maxchars:
            raise _range('string longer than %d characters' % self.maxchars)
        if length < self.minchars:
            raise _range('string shorter than %d characters' % self.minchars)
        if not self.isUTF8 and size != length:
            raise _range('only ASCII characters are allowed')
        return value

def _surrogate_pairs(text):
    """Pairs of UTF-16 surrogates in ``text``: MicroPython's json decodes the
    escaped pair of a character beyond U+FFFF into two characters."""
    pairs = 0
    high = False
    for ch in text:
        code = ord(ch)      # code points, not surrogate literals: those cannot be frozen
        if 0xd800 <= code <= 0xdbff:
            high = True
            continue
        if high and 0xdc00 <= code <= 0xdfff:
            pairs += 1
        high = False
    return pairs


class Tuple(DataType):
    TYPE = 'tuple'

    def __init__(self, *members):
        self.members = members
        self.default = tuple(m.default for m in members)

    def validate(self, value):
        if type(value) is not list and type(value) is not tuple:
            raise _wrong('expected an array of %d elements, got %s' % (
                len(self.members), encode_type(value)))
        if len(value) != len(self.members):
            raise _wrong('expected %d elements, got %d' % (len(self.members), len(value)))
        return tuple(m.validate(v) for m, v in zip(self.members, value))

    def encode(self, value):
        return '[%s]' % ','.join(m.encode(v) for m, v in zip(self.members, value))

class Struct(DataType):
    """Members as ordered ``(name, datatype)`` pairs; ``optional`` names may be
    left out of a ``change``/``do`` (a change keeps their present values)."""

    TYPE = 'struct'

    def __init__(self, *members, optional=()):
        self.members = members
        self.optional = optional
        self.default = dict((name, dt.default) for name, dt in members)

    def validate(self, value, previous=None):
        if type(value) is not dict:
            raise _wrong('expected an object, got %s' % encode_type(value))
        for key in value:
            if not self._member(key):
                raise _wrong('unknown member %s' % encode_str(clip(key)))
        result = {}
        for name, dt in self.members:
            if name in value:
                try:
                    result[name] = dt.validate(value[name])
                except SECoPError as err:
                    raise SECoPError(err.name, '%s: %s' % (name, err.text))
            elif name in self.optional and previous is not None:
                result[name] = previous[name]
            elif name in self.optional:
                result[name] = dt.default
            else:
                raise _wrong('missing member %s' % encode_str(name))
        return result

    def _member(self, key):
        for name, dt in self.members:
            if name == key:
                return dt
        return None

    def encode(self, value):
        return '{%s}' % ','.join('%s:%s' % (encode_str(name), dt.encode(value[name]))
                                 for name, dt in self.members)

class CommandType(DataType):
    """The datainfo of a command: an optional argument and an optional result."""

    TYPE = 'command'

    def __init__(self, argument=None, result=None):
        self.argument = argument
        self.result = result

def encode_type(value):
    """JSON type name of a decoded value, for WrongType messages."""
    if value is None:
        return 'null'
    if value is True or value is False:
        return 'a boolean'
    kind = type(value)
    if kind is int or kind is float:
        return 'a number'
    if kind is str:
        return 'a string'
    if kind is list:
        return 'an array'
    if kind is dict:
        return 'an object'
    return kind.__name__

