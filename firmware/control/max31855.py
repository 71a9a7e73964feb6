"""MAX31855: a type K thermocouple to digital converter on SPI, read only.

One read clocks out 32 bits (SPI mode 0): the thermocouple temperature in 14
bits of 0.25 K, a fault flag, the cold junction (the chip's die) in 12 bits of
0.0625 K and three fault bits: open thermocouple (0x1), shorted to GND (0x2),
shorted to VCC (0x4).  A conversion takes up to 100 ms.

The chip's temperature assumes a straight line, 41.276 uV/K, which type K
follows only near 500 degC: read as it is, it is 0.75 K off at 0 degC and 2 K at
400 degC.  ``convert`` undoes the line to the thermocouple's voltage, adds the
cold junction's voltage and takes the temperature from the NIST ITS-90 type K
inverse (within 0.05 K from -200 to 1372 degC), as the MAX31856 does itself.
"""

from control.spichip import Chip, ChipFault, cold_junction, signed

_FAULTS = ((0x1, 'open', 'thermocouple open'), (0x2, 'short', 'thermocouple shorted to GND'),
           (0x4, 'short', 'thermocouple shorted to VCC'))
_SLOPE_MV = 0.041276        # mV/K: the chip's line
# type K mV at the cold junction, -40 to 125 degC: a cubic through ITS-90 (within 12 mK)
_COLD = (-2.88922106e-04, 3.94227833e-02, 2.66151199e-05, -1.12072688e-07)
# ITS-90 inverse type K, degC from mV: below 0 mV, to 20.644 mV (500 degC), above
_BELOW = (0.0, 2.5173462e1, -1.1662878, -1.0833638, -8.9773540e-1, -3.7342377e-1,
          -8.6632643e-2, -1.0450598e-2, -5.1920577e-4)
_MIDDLE = (0.0, 2.508355e1, 7.860106e-2, -2.503131e-1, 8.315270e-2, -1.228034e-2,
           9.804036e-4, -4.413030e-5, 1.057734e-6, -1.052755e-8)
_ABOVE = (-1.318058e2, 4.830222e1, -1.646031, 5.464731e-2, -9.650715e-4, 8.802193e-6,
          -3.110810e-8)


def _polynomial(coefficients, x):
    total = 0.0
    for i in range(len(coefficients) - 1, -1, -1):
        total = total * x + coefficients[i]
    return total


class MAX31855(Chip):
    NAME = 'MAX31855'
    PHASE = 0
    CONVERSION_MS = 100
    READ = b'\x00\x00\x00\x00'
    EXTRA = cold_junction()

    def decode(self, raw):
        """(thermocouple, cold junction) in degC as the chip gives them, or ChipFault."""
        high = (raw[0] << 8) | raw[1]      # two halves: 32 bits would be a bigint on a board
        low = (raw[2] << 8) | raw[3]
        cold = signed(low >> 4, 12) * 0.0625
        if high & 1:
            for bit, kind, why in _FAULTS:
                if low & bit:
                    raise ChipFault(kind, 'MAX31855: ' + why)
            raise ChipFault('open', 'MAX31855: fault bit without a reason')
        return signed(high >> 2, 14) * 0.25, cold

    def convert(self, raw):
        low = (raw[2] << 8) | raw[3]
        self.module.set('_cold_junction', signed(low >> 4, 12) * 0.0625)
        hot, cold = self.decode(raw)
        mv = (hot - cold) * _SLOPE_MV + _polynomial(_COLD, cold)
        return _polynomial(_BELOW if mv < 0 else _MIDDLE if mv < 20.644 else _ABOVE, mv)
