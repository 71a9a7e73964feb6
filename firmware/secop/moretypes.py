"""The SECoP datatypes that no module of this firmware declares: scaled, blob
and array.  A module that needs one imports it from here, so the others do not
pay for their code in the heap (see secop.datatypes for the common ones).
"""

import binascii

from secop.datatypes import DataType, _Numeric, _clamp_zero, _is_whole, _range, _wrong, \
    encode_type

_BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'


class Scaled(_Numeric):
    """An integer on the wire, ``int * scale`` inside the node."""

    TYPE = 'scaled'

    def __init__(self, scale, min, max, unit='', fmtstr='', absolute_resolution=None,
                 relative_resolution=None):
        self.scale = scale
        self.min = int(min)
        self.max = int(max)
        self._set_unit(unit, fmtstr, absolute_resolution, relative_resolution)
        self.default = _clamp_zero(self.min, self.max) * scale

    def validate(self, value):
        if not _is_whole(value):
            raise _wrong('expected an integer, got %s' % encode_type(value))
        value = int(value)
        self._check_range(value)
        return value * self.scale

    def encode(self, value):
        return str(int(round(value / self.scale)))


class Blob(DataType):
    """Bytes inside the node, base64 on the wire."""

    TYPE = 'blob'
    default = b''

    def __init__(self, maxbytes, minbytes=0):
        self.maxbytes = maxbytes
        self.minbytes = minbytes
        self.default = bytes(minbytes)

    def validate(self, value):
        if type(value) is not str:
            raise _wrong('expected a base64 string, got %s' % encode_type(value))
        # a2b_base64 skips characters outside the alphabet: check them first
        if len(value) % 4 or value.rstrip('=').strip(_BASE64) or value[-3:].count('=') != \
                len(value) - len(value.rstrip('=')):
            raise _wrong('invalid base64')
        try:     # bytes: a pure-Python binascii (the WebAssembly port's) takes no str
            raw = binascii.a2b_base64(value.encode())
        except Exception:
            raise _wrong('invalid base64')
        if not self.minbytes <= len(raw) <= self.maxbytes:
            raise _range('blob must have %d to %d bytes' % (self.minbytes, self.maxbytes))
        return raw

    def encode(self, value):
        return '"%s"' % binascii.b2a_base64(value).decode().strip()


class Array(DataType):
    TYPE = 'array'

    def __init__(self, members, maxlen, minlen=0):
        self.members = members
        self.maxlen = maxlen
        self.minlen = minlen
        self.default = [members.default] * minlen

    def validate(self, value):
        if type(value) is not list and type(value) is not tuple:
            raise _wrong('expected an array, got %s' % encode_type(value))
        if not self.minlen <= len(value) <= self.maxlen:
            raise _range('array must have %d to %d elements' % (self.minlen, self.maxlen))
        check = self.members.validate
        return [check(item) for item in value]

    def encode(self, value):
        enc = self.members.encode
        return '[%s]' % ','.join(enc(item) for item in value)
