"""Temperature converter chips on SPI (MAX31865, MAX31855, MAX31856): what they share.

A chip object is both the sensor (``t_min``/``t_max``: the host's config check
builds it like any sensor, control/chipconfig.py) and, once ``connect``ed to its
bus and chip-select pin, the thermometer a module reads (``measure()``).  The
chips convert continuously by themselves; ``measure`` reads one at most once per
conversion time (``CONVERSION_MS``) and otherwise gives the last result again, so
a reading is one SPI transfer of a few bytes and never waits for a conversion.

The fault bits a chip reports become the sensor faults the interlock already
knows (``ChipFault``, a ``SensorFault`` that names the chip's own reason): an
open or shorted sensor ('open', 'short'), a threshold or cold-junction range
fault ('range'), and a chip that does not answer or a bus that fails ('adc').
A thermocouple chip also reports its cold junction, as the read-only parameter
``_cold_junction`` of its module (``EXTRA``, set on the module it is ``attach``ed
to, as every module with a thermocouple chip attaches it).
"""

from control.sensors import SensorFault, _in_range
from secop.datatypes import Double
from secop.errors import SECoPError
from secop.module import Parameter

_TEXTS = {'open': 'sensor open circuit', 'short': 'sensor short circuit',
          'range': 'sensor reading out of range', 'adc': 'sensor chip not read'}


class ChipFault(SensorFault):
    """A fault a converter chip reported: its ``error`` names the chip and the reason."""

    def __init__(self, kind, why, above=False):
        SensorFault.__init__(self, kind, why, above)
        self.error = SECoPError('OutOfRange' if kind == 'range' else 'HardwareError',
                                '%s (%s)' % (_TEXTS[kind], why))


def cold_junction():
    """The declaration a thermocouple chip adds to its module."""
    return (('_cold_junction', Parameter('temperature of the cold junction (the chip)',
                                         Double(unit='\u00b0C', fmtstr='%.3f'))),)


def signed(value, bits):
    """``value`` read as a two's complement number of ``bits`` bits."""
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


class Chip:
    """Pacing, bus transfers and the range check; a chip subclass sets its SPI
    ``PHASE`` (clock polarity 0), ``CONVERSION_MS`` (``conversion_ms`` of one
    that depends on its settings), the ``READ`` request (the
    bytes clocked out to read its result, the register address first) and
    ``convert(raw)``."""

    NAME = ''
    PHASE = 1
    CONVERSION_MS = 100
    READ = b'\x00'
    SKIP = 0
    EXTRA = ()

    def __init__(self, t_min, t_max):
        if not t_min < t_max:
            raise ValueError('t_min must be < t_max')
        self.t_min = t_min
        self.t_max = t_max
        self.conversion_ms = self.CONVERSION_MS
        self._buf = bytearray(len(self.READ))
        self._read_at = None        # tick count of the last read
        self._result = None         # its temperature, or the fault it raised

    def connect(self, bus_cs, clock):
        """Use the bus and chip-select pin ``bus_cs`` (``board.spi``); set the chip up.
        Until then it is a sensor description only (the host's config check)."""
        self.bus, self.cs = bus_cs
        self.clock = clock
        self.cs(1)
        self.setup()

    def attach(self, module):
        """The module whose ``EXTRA`` parameters this chip publishes."""
        self.module = module

    def setup(self):
        """Write the chip's configuration (a chip with registers)."""

    def convert(self, raw):
        """degC from the bytes of a read (``raw``), or ChipFault."""
        raise NotImplementedError

    def transfer(self, buf):
        """One transfer, chip selected: clocks ``buf`` out and what the chip says into it
        (a write: a register address | 0x80 and its values)."""
        cs = self.cs
        cs(0)
        try:
            self.bus.write_readinto(buf, buf)
        finally:
            cs(1)
        return buf

    def measure(self):
        """Degrees Celsius, or SensorFault; a new reading at most once per conversion."""
        clock = self.clock
        if self._read_at is None or clock.elapsed(self._read_at) >= self.conversion_ms:
            self._read_at = clock.ticks
            try:
                buf = self._buf
                buf[:] = self.READ
                raw = self.transfer(buf)
                self._answered(raw)
                result = round(_in_range(self.convert(raw), self.t_min, self.t_max), 4)
            except SensorFault as fault:
                result = fault
            except OSError as exc:
                result = ChipFault('adc', '%s: SPI transfer failed, %r' % (self.NAME, exc))
            self._result = result
        result = self._result
        if isinstance(result, SensorFault):
            raise result
        return result

    def _answered(self, raw):
        """A bus without the chip reads all zeros or all ones."""
        first = raw[self.SKIP]
        if first == 0 or first == 255:
            for i in range(self.SKIP + 1, len(raw)):
                if raw[i] != first:
                    return
            raise ChipFault('adc', self.NAME + ' does not answer: check its SPI wiring')
