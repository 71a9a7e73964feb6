"""The simulated board (host only, never deployed): the tutorial's node on a
thermal plant under the MicroPython unix port.

It offers the same small interfaces as the real boards (ADC ``read_uv``/
``read_u16``, PWM ``duty_u16``/``freq``, a serial stream), backed by
``plant.ThermalPlant``.  Simulated time runs ``speed`` times faster than
real time, and all of the firmware's time is simulated: the tick counter is
30 bits wide like a 32-bit board's ``time.ticks_ms`` and wraps ``wrap_in``
simulated seconds after boot (a day unless configured; it never starts near
0), and the wall clock starts at the host's time and runs at ``speed``.

A host hiccup is not a board stall: the host may keep the MicroPython process
from running for tens of milliseconds (a loaded machine), which at 20x is a
simulated second without a control step, and the heater interlock would
rightly declare a stall that no board would have.  So the board's clock
(``elapsed_ms``, which the firmware's ticks and the plant's physics both read)
counts real time only while the board could run: a wake scheduled through
``sleep_ms`` may come up to ``_LATE_MS`` real milliseconds late, and real time
beyond that, while a wake is overdue, is not board time.  Time spent waiting
for I/O with no wake due still counts in full.  A real stall is what the
``control_stall`` fault simulates: the loop keeps waking and its step does
nothing, so the interlock sees it in simulated time.

Board settings besides ``speed``, ``vref_uv``, ``wrap_in`` and ``plant``:
``adc_window_uv`` (the usable ADC input, [low, high] in uV; default the full
scale) and ``adc_ceiling_uv`` (where an ESP32-like ADC clips, used by the
``adc_saturation`` fault).  ``sim:_heater_power`` is the power the PWMs
command, read from them on every read; ``_fault_since`` and ``_power_since``
are the simulated times (s since boot) of the last fault injection and of the
last change of that power, so tests measure reaction times in simulated time.
Converter chips on SPI are register-level models (``chips.py``) on the same
plant.  ``sim:_fault`` injects: an open or shorted sensor, a heater stuck on, an ADC
error, a stalled control step (every loop's ``step`` does nothing while the
rest keeps serving), an open sensor on an ADC that saturates at
``adc_ceiling_uv`` (it reads a plausible temperature but for the window), a
sensor off the block (its reading relaxes toward ambient) and an open heater
(the PWM delivers nothing).  A heater's ``enable`` output is a relay in series
with the plant's heater; ``sim:_enable`` reads it (True on a board without one).
"""

import asyncio
import time
from micropython import const

from boardbase import BoardBase
from control.ntc import NTCBeta
from plant import ThermalPlant
from secop.clock import Clock
from secop.datatypes import Bool, Double, Enum
from secop.module import IDLE, WARN, Parameter, Readable, declare

_ADC_BITS = const(12)
_TICKS_PERIOD = 1 << 30        # not const: above a 32-bit runtime's small ints
# the tick arithmetic below stays within them, as time.ticks_* in C does on a
# board: a bigint per read would count as the firmware's allocation
_TICKS_MAX = const(0x3fffffff)
_TICKS_HALF = const(0x20000000)
_LATE_MS = const(10)              # real ms a scheduled wake may be late and still be board time
FAULTS = (('none', 0), ('sensor_open', 1), ('sensor_short', 2), ('heater_stuck_on', 3),
          ('adc_error', 4), ('control_stall', 5), ('adc_saturation', 6),
          ('sensor_detached', 7), ('heater_open', 8))
_STALL = const(5)
_SATURATION = const(6)
CONSOLE = None              # as capabilities.py: the output goes to tools/sim.py


def fallback_transports(config_path):
    """Transports for a node whose config.json is broken: those tools/sim.py
    wrote to fallback.json next to it (None if there is none)."""
    import json
    folder = config_path.rpartition('/')[0] or '.'
    try:
        with open(folder + '/fallback.json') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# module classes of this board (see registry), built when a config names them
def _build_sim(app, cfg, built):
    return SimControl(cfg['name'], cfg.get('description', 'simulation control'), app.clock,
                      app.board)


def _tutorial():
    from tutorial import build
    return build


class Board(BoardBase):
    name = 'sim'
    console = CONSOLE

    def __init__(self, config):
        BoardBase.__init__(self, config)
        self.speed = float(config.get('speed', 1.0))
        # an integer speed keeps the tick arithmetic in small ints (no float per read)
        self._factor = int(self.speed) if self.speed == int(self.speed) else self.speed
        window = config.get('adc_window_uv', (0, self.vref_uv))
        self.window_uv = (int(window[0]), int(window[1]))
        self.ceiling_uv = int(config.get('adc_ceiling_uv', 3100000))
        self.node = None
        self.fault_ms = 0           # simulated time of the last fault injection
        self.power_ms = 0           # simulated time the commanded power last changed
        self._ticks_at_boot = (_TICKS_PERIOD - int(config.get('wrap_in', 86400) * 1000)) \
            % _TICKS_PERIOD
        self._host_last = time.ticks_ms()
        self._host_ms = 0           # real milliseconds since boot the board could run
        self._wakes = []            # host ticks at which pending sleep_ms calls are due
        plant = config.get('plant', {})
        self.plant = ThermalPlant(
            plant.get('heat_capacity', 400.0), plant.get('loss', 1.0),
            plant.get('ambient', 22.0), plant.get('rated_power', 100.0),
            plant.get('dead_time', 3.0), plant.get('noise', 0.02), plant.get('seed', 1))
        self.fault = 0
        # the MCU's serial number (builder.default_id): the board setting unique_id
        self.unique_id = int(config.get('unique_id', 1)).to_bytes(6, 'big')

    # --- time ---------------------------------------------------------------

    def elapsed_ms(self):
        """Simulated milliseconds since boot (unbounded: for the plant's physics)."""
        now = time.ticks_ms()
        last = self._host_last
        gap = time.ticks_diff(now, last)
        if self._wakes:
            due = min(time.ticks_diff(wake, last) for wake in self._wakes)
            gap = min(gap, max(due, 0) + _LATE_MS)      # the rest is a host hiccup
        self._host_ms += gap
        self._host_last = now
        return int(self._host_ms * self._factor)

    def ticks_ms(self):
        """(ticks at boot + elapsed) modulo 2**30."""
        elapsed = self.elapsed_ms() & _TICKS_MAX
        room = _TICKS_MAX - self._ticks_at_boot
        return elapsed - room - 1 if elapsed > room else self._ticks_at_boot + elapsed

    @staticmethod
    def ticks_diff(later, earlier):
        diff = later - earlier
        if diff >= _TICKS_HALF:
            return diff - _TICKS_HALF - _TICKS_HALF
        if diff < -_TICKS_HALF:
            return diff + _TICKS_HALF + _TICKS_HALF
        return diff

    async def sleep_ms(self, ms):
        real_ms = max(1, int(ms / self.speed))
        due = time.ticks_add(time.ticks_ms(), real_ms)
        self._wakes.append(due)
        try:
            await asyncio.sleep_ms(real_ms)
        finally:
            self._wakes.remove(due)

    def clock(self):
        if self._clock is None:
            self._clock = Clock(self.ticks_ms, self.ticks_diff)
            seconds, ns = divmod(time.time_ns(), 1000000000)
            self._clock.set_time(seconds, ns // 1000000, 1970)
        return self._clock

    # --- I/O ----------------------------------------------------------------

    def adc_window(self, cfg):
        return self.window_uv

    def adc(self, cfg):
        return SimADC(self, cfg.get('channel', 'block'), self.vref_uv,
                      cfg.get('r_fixed', 10000), cfg.get('r25', 10000), cfg.get('beta', 3950))

    def spi(self, cfg, phase):
        """A register-level model of the module's converter chip (chips.py)."""
        from chips import open_spi
        return open_spi(self, cfg, phase)

    def pwm(self, cfg):
        pwm = SimOutput(self, cfg.get('freq', 10))
        self.pwms.append(pwm)
        return pwm

    def enable_output(self, cfg):
        relay = SimOutput(self, 0)
        relay.value(0)
        return relay

    def open_serial(self, cfg):
        """A pty (or any tty path) as the UART: raw, non-blocking reads (VMIN=0).
        VMIN=0 is all that keeps a read from blocking (MicroPython's readinto
        reads until the buffer is full), so nothing may change the line's
        termios after the node has opened it."""
        import termios
        stream = open(cfg['path'], 'r+b')
        fd = stream.fileno()
        termios.setraw(fd)
        attrs = termios.tcgetattr(fd)
        attrs[6][6] = 0      # VMIN: return at once, so the event loop never blocks
        attrs[6][5] = 0      # VTIME
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        return asyncio.StreamReader(stream), asyncio.StreamWriter(stream, {})

    def serial_presence(self, cfg):
        """The null-modem of tools/sim.py keeps a file (``serial.presence``)
        while its client end is open, as a cable's DTR line would tell; it
        holds the number of that client, so a quick reconnect is seen too."""
        path = cfg.get('presence')
        if not path:
            return None

        def present():
            try:
                with open(path, 'rb') as f:
                    return f.read()
            except OSError:
                return b''
        return present

    def watchdog(self, timeout_ms):
        return None

    def reset_cause(self):
        return 'power on (simulated)'

    def tasks(self, node):
        self.node = node
        return ()

    def heater_power(self):
        rated = self.plant.rated_power
        return sum(pwm.duty_u16() for pwm in self.pwms) * rated / 65535

    modules = {'sim': lambda: _build_sim, 'tutorial_loop': _tutorial}


class SimADC:
    """An NTC in a divider on a 12-bit ADC, read from the plant (or ambient)."""

    def __init__(self, board, channel, vref_uv, r_fixed, r25, beta):
        self.board = board
        self.channel = channel
        self.vref_uv = vref_uv
        self.r_fixed = r_fixed
        self.ntc = NTCBeta(r25, beta)

    def _code(self):
        board = self.board
        plant = board.plant
        if self.channel == 'ambient':
            temp = plant.ambient + plant.noise * 0.5
        else:
            if board.fault in (1, _SATURATION):
                return (1 << _ADC_BITS) - 1       # open sensor: pulled to the rail
            if board.fault == 2:
                return 0                           # shorted sensor
            if board.fault == 4:
                raise OSError(5)                   # the ADC driver fails (EIO)
            temp = plant.sensor_temp(board.elapsed_ms())
        r = self.ntc.resistance(temp)
        code = int(r / (r + self.r_fixed) * ((1 << _ADC_BITS) - 1) + 0.5)
        return min(max(code, 0), (1 << _ADC_BITS) - 1)

    def read_u16(self):
        code = self._code()
        return (code << 4) | (code >> 8)

    def read_uv(self):
        uv = self._code() * self.vref_uv // ((1 << _ADC_BITS) - 1)
        if self.board.fault == _SATURATION:
            uv = min(uv, self.board.ceiling_uv)
        return uv


class SimOutput:
    """An output of the board: a heater PWM (its duty cycle commands the plant's heater
    power) or the pin of the enable relay in series with that heater (``value``)."""

    def __init__(self, board, freq):
        self.board = board
        self._freq = freq
        self._duty = 0

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = value

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        board = self.board
        now = board.elapsed_ms()
        if value != self._duty:
            board.power_ms = now
        self._duty = value
        plant = board.plant
        plant.command(now, value * plant.rated_power / 65535)

    def value(self, on=None):
        plant = self.board.plant
        if on is None:
            return int(plant.enabled)
        plant.enabled = bool(on)
        plant.deliver(self.board.elapsed_ms())


class SimControl(Readable):
    """Simulation control: the true block temperature and fault injection."""

    implementation = 'boards.sim.SimControl'
    accessibles = declare(
        Readable.accessibles,
        ('value', Parameter('true block temperature of the simulated plant',
                            Double(unit='\u00b0C', fmtstr='%.3f'))),
        ('_fault', Parameter('inject a hardware fault into the plant', Enum(*FAULTS),
                             readonly=False)),
        ('_heater_power', Parameter('power the heater PWMs command (duty x rated power)',
                                    Double(0, unit='W'))),
        ('_fault_since', Parameter('simulated time of the last fault injection',
                                   Double(0, unit='s'))),
        ('_power_since', Parameter('simulated time the commanded power last changed',
                                   Double(0, unit='s'))),
        ('_enable', Parameter('the enable relay in series with the heater is closed',
                              Bool())),
    )

    def __init__(self, name, description, clock, board):
        Readable.__init__(self, name, description, clock)
        self.board = board
        self.poll()

    def read__heater_power(self):
        return self.board.heater_power()

    def read__fault_since(self):
        return self.board.fault_ms / 1000

    def read__power_since(self):
        return self.board.power_ms / 1000

    def read__enable(self):
        return self.board.plant.enabled

    def write__fault(self, value):
        board = self.board
        board.fault = value
        board.fault_ms = board.elapsed_ms()
        plant = board.plant
        plant.stuck_on = value == 3
        plant.open = value == 8
        plant.detach(board.fault_ms, value == 7)
        plant.deliver(board.fault_ms)
        board.control_stalled = value == _STALL
        self.set_status(IDLE if value == 0 else WARN,
                        '' if value == 0 else 'fault injected: ' + FAULTS[value][0])

    def poll(self):
        plant = self.board.plant
        plant.advance(self.board.elapsed_ms())
        self.set('value', plant.temp)
