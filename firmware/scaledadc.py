"""An ADC that offers only ``read_u16`` (Pyboard, rp2) as microvolts of a
ratiometric reference: ``read_uv`` = code * vref_uv / 65535, without a bigint."""

from micropython import const

_FULL = const(65535)


class ScaledADC:
    """``read_u16()`` scaled to microvolts with the reference voltage.

    ``code * vref_uv`` exceeds a small int (2**30) for most codes, and the node
    reads 16 samples per measurement: the product is split so that every step
    stays a small int and a reading allocates nothing (exact: the same result
    as ``code * vref_uv // 65535``)."""

    def __init__(self, adc, vref_uv):
        self.adc = adc
        self.vref_uv = vref_uv
        self._whole = vref_uv // _FULL      # vref_uv = whole * 65535 + part
        self._part = vref_uv % _FULL

    def read_u16(self):
        return self.adc.read_u16()

    def read_uv(self):
        code = self.adc.read_u16()
        part = self._part
        high = (code >> 8) * part           # (code * part) // 65535 in two steps
        return code * self._whole + (high // _FULL << 8) + (
            ((high % _FULL) << 8) + (code & 255) * part) // _FULL
