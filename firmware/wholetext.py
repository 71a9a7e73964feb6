"""Whole characters in the parsed config, loaded by the builder only when the
config's text escapes a surrogate (``\\uD8..``-``\\uDF..``).

MicroPython's ``json`` keeps each half of a ``\\uD83D\\uDE00`` escape as a
character of its own, which is not UTF-8 (a description holding one made the
discovery reply undecodable): every pair becomes one character, a lone half
U+FFFD.
"""


def whole_characters(data):
    """``data`` (parsed JSON) with its strings made whole, in place where it can be."""
    kind = type(data)
    if kind is str:
        return _whole(data)
    if kind is list:
        for i, item in enumerate(data):
            data[i] = whole_characters(item)
    elif kind is dict:
        for key in data:
            data[key] = whole_characters(data[key])
    return data


def _whole(text):
    try:
        raw = text.encode()
    except UnicodeError:                    # CPython: a lone surrogate
        raw = text.encode('utf-8', 'surrogatepass')
    if b'\xed' not in raw:
        return text
    out = bytearray()
    i, end = 0, len(raw)
    while i < end:
        unit = _surrogate(raw, i)
        if unit is None:
            out.append(raw[i])
            i += 1
            continue
        low = _surrogate(raw, i + 3)
        if unit < 0xdc00 and low is not None and low >= 0xdc00:
            out += chr(0x10000 + ((unit - 0xd800) << 10) + low - 0xdc00).encode()
            i += 6
        else:
            out += '\ufffd'.encode()
            i += 3
    return str(out, 'utf-8')


def _surrogate(raw, i):
    """The UTF-16 surrogate encoded at ``raw[i:i+3]`` (ED A0..BF xx), or None."""
    if i + 2 < len(raw) and raw[i] == 0xed and raw[i + 1] >= 0xa0:
        return 0xd000 | (raw[i + 1] & 0x3f) << 6 | raw[i + 2] & 0x3f
    return None
