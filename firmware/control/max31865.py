"""MAX31865: an RTD (PT100, PT1000) to digital converter on SPI, 2, 3 or 4 wires.

The chip measures the RTD against its reference resistor ``r_ref`` as a 15-bit
ratio, ``R = code / 32768 * r_ref``; control.rtd's Callendar-Van Dusen model
turns R into degC.  It converts continuously (V_BIAS on, automatic mode): a
result every 20 ms with the 50 Hz filter, 16.7 ms with the 60 Hz one.  One read
takes the seven registers from the RTD result to the fault status.

Fault status bits, as the interlock's sensor faults (datasheet table 'Fault
Status Register'): RTD at or above the high threshold (0x80, the default
threshold is full scale: an open RTD), below the low threshold (0x40, set here
to 1/128 of full scale: a shorted RTD), the force and sense inputs outside
0.85 V_BIAS (0x20, 0x10, 0x08: an open lead) and over/under-voltage (0x04: an
input shorted to a supply).  A fault is cleared after it is read, so the next
conversion shows whether it stands.
"""

from micropython import const

from control.rtd import RTD
from control.sensors import _positive
from control.spichip import Chip, ChipFault

_WRITE = const(0x80)
_BIAS_AUTO = const(0xC0)        # configuration: V_BIAS on, automatic conversion
_THREE_WIRE = const(0x10)
_CLEAR = const(0x02)            # fault status clear
_FILTER_50HZ = const(0x01)
_LOW_THRESHOLD = const(0x0100)  # 15-bit code 128, shifted left by one as the register holds it
_FAULTS = ((0x80, 'open', 'RTD open or at full scale'), (0x40, 'short', 'RTD shorted'),
           (0x20, 'open', 'REFIN- open'), (0x10, 'open', 'force lead open'),
           (0x08, 'open', 'RTDIN- open'), (0x04, 'short', 'input at a supply rail'))


class MAX31865(Chip):
    NAME = 'MAX31865'
    PHASE = 1
    READ = b'\x01\x00\x00\x00\x00\x00\x00\x00'     # RTD MSB, LSB, thresholds, fault status
    SKIP = 1

    def __init__(self, r0, r_ref, wires, mains, t_min, t_max):
        Chip.__init__(self, t_min, t_max)
        _positive('r_ref', r_ref)
        self.rtd = RTD(r0)
        self.r_ref = r_ref
        self.conversion_ms = 21 if mains == 50 else 17
        self._config = _BIAS_AUTO | (_THREE_WIRE if wires == 3 else 0) | \
            (_FILTER_50HZ if mains == 50 else 0)

    def setup(self):
        self.transfer(bytearray((_WRITE | 0x05, _LOW_THRESHOLD >> 8, _LOW_THRESHOLD & 0xFF)))
        self.transfer(bytearray((_WRITE, self._config | _CLEAR)))

    def convert(self, raw):
        status = raw[7]
        if raw[2] & 1 or status:
            self.transfer(bytearray((_WRITE, self._config | _CLEAR)))
            for bit, kind, why in _FAULTS:
                if status & bit:
                    raise ChipFault(kind, 'MAX31865: %s, 0x%02x' % (why, status))
            raise ChipFault('open', 'MAX31865: fault bit without a status')
        return self.temperature(((raw[1] << 8) | raw[2]) >> 1)

    def temperature(self, code):
        """degC of a 15-bit RTD code (no range check)."""
        return self.rtd.temperature(code * self.r_ref / 32768)
