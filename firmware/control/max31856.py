"""MAX31856: a thermocouple to digital converter for types B, E, J, K, N, R, S, T.

The chip linearizes the thermocouple itself (its type is written to CR1) and
compensates the cold junction with its die temperature.  Set up here for
automatic conversion (a result every 100 ms or so), open-circuit detection and
the comparator fault mode, in which the fault status follows each conversion.
One read takes six registers: the cold junction (14 bits of 1/64 K), the
linearized thermocouple temperature (19 bits of 1/128 K) and the fault status.

Fault status bits, as the interlock's sensor faults: open thermocouple (0x01),
input over- or under-voltage (0x02: shorted to a supply), the thermocouple
beyond its type's range (0x40) or the chip's thresholds (0x08 high, 0x04 low)
and the cold junction beyond its range (0x80) or thresholds (0x20, 0x10): a
range fault, over-range (latched by a loop) only for a thermocouple too hot.
"""

from micropython import const

from control.spichip import Chip, ChipFault, cold_junction, signed

_WRITE = const(0x80)
_AUTO_OPEN = const(0x90)        # CR0: automatic conversion, open detection (R < 5 kOhm)
_FILTER_50HZ = const(0x01)
_FAULTS = ((0x01, 'open', 'thermocouple open'), (0x02, 'short', 'input at a supply rail'),
           (0x40, 'range', 'thermocouple beyond its range'),
           (0x08, 'range', 'thermocouple above the high threshold'),
           (0x04, 'range', 'thermocouple below the low threshold'),
           (0x80, 'range', 'cold junction beyond its range'),
           (0x20, 'range', 'cold junction above its threshold'),
           (0x10, 'range', 'cold junction below its threshold'))


class MAX31856(Chip):
    NAME = 'MAX31856'
    PHASE = 1
    CONVERSION_MS = 100
    READ = b'\x0a\x00\x00\x00\x00\x00\x00'     # CJTH, CJTL, LTCBH, LTCBM, LTCBL, SR
    SKIP = 1
    EXTRA = cold_junction()

    def __init__(self, tc_code, mains, t_min, t_max):
        """``tc_code``: the thermocouple type as CR1 codes it (control/chipconfig.py)."""
        Chip.__init__(self, t_min, t_max)
        self.tc_code = tc_code
        self._cr0 = _AUTO_OPEN | (_FILTER_50HZ if mains == 50 else 0)

    def setup(self):
        self.transfer(bytearray((_WRITE | 0x01, self.tc_code)))        # CR1: no averaging, the type
        self.transfer(bytearray((_WRITE, self._cr0)))                  # CR0 starts the conversions

    def convert(self, raw):
        self.module.set('_cold_junction', signed((raw[1] << 6) | (raw[2] >> 2), 14) / 64)
        status = raw[6]
        # 19 bits from three registers: the top 16 and the 3 after them, no bigint on a board
        temp = signed((raw[3] << 8) | raw[4], 16) / 16 + (raw[5] >> 5) / 128
        if status:
            for bit, kind, why in _FAULTS:
                if status & bit:
                    raise ChipFault(kind, 'MAX31856: %s, 0x%02x' % (why, status),
                                    bit == 0x40 and temp > 0 or bit == 0x08)
        return temp
