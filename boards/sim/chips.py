"""Register-level models of the converter chips on the simulated board (host only,
never deployed): MAX31865 (RTD), MAX31855 and MAX31856 (thermocouple).

``open_spi(board, cfg, phase)`` gives the (bus, chip-select) pair that
firmware/spibus.py gives on a real board, for the chip its module's ``sensor.type`` names, reading the
plant through the ``spi.channel`` ('block' or 'ambient').  Each model answers
SPI transfers as its data sheet describes: registers, the transfer function,
the resolution, some noise and the fault bits; ``sim:_fault`` 'sensor_open'
and 'adc_saturation' open the sensor, 'sensor_short' shorts it (an RTD, or a
thermocouple to a supply rail, which is what these chips can detect) and
'adc_error' makes the bus fail.  A transfer while the chip is not selected, or
in another SPI mode than the chip's, reads what a real bus would: all ones, or
the bits shifted by one.

The thermocouple's cold junction is the chip's die, at the plant's ambient; its
sensor reads ``_CJ_ERROR`` too warm, as a real one is off by some tenths.  A
MAX31855 compensates the cold junction linearly (41.276 uV/K), so it is given
the thermocouple voltage from the type K reference function (NIST ITS-90).
"""

import math
import random

_CJ_ERROR = 0.2                 # K: the cold-junction sensor's error
_RTD_NOISE = 0.005              # K rms of the RTD chip's own conversion
_TC_NOISE = 0.03                # K rms of a thermocouple chip's input stage
_OPEN, _SHORT, _BUS, _SATURATION = 1, 2, 4, 6


def open_spi(board, cfg, phase):
    kind = cfg['sensor']['type']
    channel = cfg['spi'].get('channel', 'block')
    if kind == 'max31865':
        chip = SimMAX31865(board, channel, cfg['sensor'])
    elif kind == 'max31855':
        chip = SimMAX31855(board, channel)
    else:
        chip = SimMAX31856(board, channel)
    chip.phase = phase
    return chip, chip.select


def _gauss():
    u = random.random() or 1e-12
    return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * random.random())


def type_k_mv(t):
    """Type K thermocouple voltage (mV, reference junction at 0 degC) at ``t`` degC."""
    if t < 0:
        coefficients = (0.0, 0.394501280250e-1, 0.236223735980e-4, -0.328589067840e-6,
                        -0.499048287770e-8, -0.675090591730e-10, -0.574103274280e-12,
                        -0.310888728940e-14, -0.104516093650e-16, -0.198892668780e-19,
                        -0.163226974860e-22)
        extra = 0.0
    else:
        coefficients = (-0.176004136860e-1, 0.389212049750e-1, 0.185587700320e-4,
                        -0.994575928740e-7, 0.318409457190e-9, -0.560728448890e-12,
                        0.560750590590e-15, -0.320207200030e-18, 0.971511471520e-22,
                        -0.121047212750e-25)
        extra = 0.118597600000 * math.exp(-0.118343200000e-3 * (t - 126.9686) ** 2)
    total = 0.0
    for c in reversed(coefficients):
        total = total * t + c
    return total + extra


class SimChip:
    """What the three models share: the chip select, faults, the SPI mode."""

    PHASE = 1

    def __init__(self, board, channel):
        self.board = board
        self.channel = channel
        self.phase = self.PHASE
        self.selected = False

    def select(self, level):
        """The chip-select pin: low selects the chip."""
        self.selected = not level

    def hot(self):
        """The sensor's temperature: the block (or ambient) with the plant's noise."""
        plant = self.board.plant
        if self.channel == 'ambient':
            return plant.ambient + plant.noise * _gauss()
        return plant.sensor_temp(self.board.elapsed_ms())

    def fault(self):
        fault = self.board.fault
        if fault == _BUS:
            raise OSError(5)        # the SPI driver fails (EIO)
        return 'open' if fault in (_OPEN, _SATURATION) else 'short' if fault == _SHORT else ''

    def write_readinto(self, out, into):
        fault = self.fault() if self.channel == 'block' else ''
        if not self.selected:
            into[:] = b'\xff' * len(into)
            return
        self.transfer(bytes(out), into, fault)
        if self.phase != self.PHASE:        # sampled on the wrong edge: a bit late
            carry = 1
            for i in range(len(into)):
                byte = into[i]
                into[i] = (carry << 7) | (byte >> 1)
                carry = byte & 1


class RegisterChip(SimChip):
    """A chip with registers: a transfer starts with an address, bit 7 set to write."""

    SIZE = 8

    def __init__(self, board, channel, defaults):
        SimChip.__init__(self, board, channel)
        self.regs = bytearray(defaults)

    def transfer(self, out, into, fault):
        address = out[0] & 0x7F
        into[0] = 0xFF
        if out[0] & 0x80:
            for i, value in enumerate(out[1:]):
                self.store((address + i) % self.SIZE, value)
            return
        self.convert(fault)
        for i in range(1, len(into)):
            into[i] = self.regs[(address + i - 1) % self.SIZE]

    def store(self, register, value):
        self.regs[register] = value


class SimMAX31865(RegisterChip):
    """RTD against ``r_ref`` as a 15-bit ratio; faults latch until cleared."""

    def __init__(self, board, channel, sensor):
        RegisterChip.__init__(self, board, channel, b'\x00\x00\x00\xff\xff\x00\x00\x00')
        from control.rtd import RTD         # the firmware's model, as the chip's driver loads it
        r0 = sensor.get('r0', 100)
        self.rtd = RTD(r0)
        self.r_ref = sensor.get('r_ref', 4.3 * r0)

    def store(self, register, value):
        if register == 0:
            if value & 0x02:
                self.regs[7] = 0            # fault status clear (self-clearing bit)
            value &= ~0x02
        if register not in (1, 2, 7):       # results and status are read only
            self.regs[register] = value

    def convert(self, fault):
        regs = self.regs
        if regs[0] & 0xC0 != 0xC0:          # no bias or no automatic conversion: no new result
            return
        if fault == 'open':
            code = 0x7FFF                   # the input pulled to full scale
        elif fault == 'short':
            code = 0
        else:
            r = self.rtd.resistance(self.hot() + _RTD_NOISE * _gauss())
            code = min(max(int(r / self.r_ref * 32768), 0), 0x7FFF)
        if code >= ((regs[3] << 8) | regs[4]) >> 1:
            regs[7] |= 0x80
        if code < ((regs[5] << 8) | regs[6]) >> 1:
            regs[7] |= 0x40
        regs[1] = code >> 7
        regs[2] = ((code << 1) & 0xFF) | (1 if regs[7] else 0)


class SimMAX31855(SimChip):
    """32 bits out, nothing in: the linearly compensated type K reading."""

    PHASE = 0

    def transfer(self, out, into, fault):
        cold = self.board.plant.ambient
        cj_code = int(round((cold + _CJ_ERROR) / 0.0625)) & 0xFFF
        low = cj_code << 4
        high = 0
        if fault:
            high = 1
            low |= 0x1 if fault == 'open' else 0x4      # open, or shorted to VCC
        else:
            hot = self.hot() + _TC_NOISE * _gauss()
            reading = cold + _CJ_ERROR + (type_k_mv(hot) - type_k_mv(cold)) / 0.041276
            high = (int(math.floor(reading / 0.25)) & 0x3FFF) << 2
        for i, byte in enumerate((high >> 8, high & 0xFF, low >> 8, low & 0xFF)):
            into[i] = byte


class SimMAX31856(RegisterChip):
    """Linearized thermocouple and cold junction, fault status in comparator mode."""

    SIZE = 16

    def __init__(self, board, channel):
        RegisterChip.__init__(self, board, channel,
                              b'\x00\x03\xff\x7f\xc0\x7f\xff\x80\x00\x00\x00\x00\x00\x00\x00\x00')

    def store(self, register, value):
        if register < 0x0C:                 # results and status are read only
            self.regs[register] = value

    def convert(self, fault):
        regs = self.regs
        if not regs[0] & 0x80:              # automatic conversion off: no new result
            return
        cold = self.board.plant.ambient + _CJ_ERROR
        cj = int(math.floor(cold * 64)) & 0x3FFF
        regs[0x0A] = cj >> 6
        regs[0x0B] = (cj << 2) & 0xFF
        status = 0
        if fault == 'open':
            status = 0x01 if regs[0] & 0x30 else 0      # only with open detection on
        elif fault == 'short':
            status = 0x02
        else:
            # the chip adds its cold junction's reading to the thermocouple's difference
            hot = self.hot() + _CJ_ERROR + _TC_NOISE * _gauss()
            code = int(math.floor(hot * 128)) & 0x7FFFF
            regs[0x0C] = code >> 11
            regs[0x0D] = (code >> 3) & 0xFF
            regs[0x0E] = (code << 5) & 0xFF
        if not -55 <= cold <= 125:
            status |= 0x80
        regs[0x0F] = status
