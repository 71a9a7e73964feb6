"""MAX31855: a type K thermocouple to digital converter on SPI, read only.

One read clocks out 32 bits (SPI mode 0): the thermocouple temperature in 14
bits of 0.25 K, a fault flag, the cold junction (the chip's die) in 12 bits of
0.0625 K and three fault bits: open thermocouple (0x1), shorted to GND (0x2),
shorted to VCC (0x4).  The chip compensates the cold junction with a linear
41.276 uV/K, so its reading departs from the thermocouple's true curve by some
tenths of a kelvin between 0 and 100 degC, and more far from the cold
junction (datasheet: +-2 K from -200 to 700 degC).  A conversion takes up to
100 ms.
"""

from control.spichip import Chip, ChipFault, cold_junction, signed

_FAULTS = ((0x1, 'open', 'thermocouple open'), (0x2, 'short', 'thermocouple shorted to GND'),
           (0x4, 'short', 'thermocouple shorted to VCC'))


class MAX31855(Chip):
    NAME = 'MAX31855'
    PHASE = 0
    CONVERSION_MS = 100
    READ = b'\x00\x00\x00\x00'
    EXTRA = cold_junction()

    def convert(self, raw):
        high = (raw[0] << 8) | raw[1]      # two halves: 32 bits would be a bigint on a board
        low = (raw[2] << 8) | raw[3]
        self.module.set('_cold_junction', signed(low >> 4, 12) * 0.0625)
        if high & 1:
            for bit, kind, why in _FAULTS:
                if low & bit:
                    raise ChipFault(kind, 'MAX31855: ' + why)
            raise ChipFault('open', 'MAX31855: fault bit without a reason')
        return signed(high >> 2, 14) * 0.25
