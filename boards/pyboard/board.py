"""Pyboard v1.1 (STM32F405): ADC on the X/Y header pins, heater PWM on a
``pyb.Timer`` channel, SECoP over a UART (or the USB virtual COM port), the
independent watchdog.  The Pyboard has no network: its transport is serial.

``Board(cfg)`` gets the ``board`` section of config.json.  Pins are header
names ('X19', 'Y3'); a heater names its pin and the timer channel behind it
(``"heater": {"pin": "Y3", "timer": 4, "channel": 3, ...}``), see
capabilities.py for the valid combinations.  The wall clock is the RTC,
trusted (``t`` sent) once it shows a year from ``rtc_valid_from`` on, i.e.
after ``tools/deploy.py`` or a battery-backed RTC has set it.
"""

import asyncio
import time
from micropython import const

import machine
import pyb
from machine import ADC, Pin

from boardbase import BoardBase

_FULL = const(65535)

# The node's copies of capabilities.py (declared there, which is not deployed;
# test_boards checks they agree): the usable ADC input and the REPL's port.
ADC_WINDOW_UV = (0, 3300000)
CONSOLE = 'vcp'


def fallback_transports(config_path):
    """A node whose config.json is broken still answers on the USB VCP."""
    return {'tcp': {'enabled': False}, 'serial': {'enabled': True, 'uart': 'vcp'}}


class Board(BoardBase):
    name = 'pyboard'
    console = CONSOLE

    def started(self, clock):
        """``t`` is sent only if the RTC has been set (a year from rtc_valid_from on)."""
        if time.gmtime()[0] >= int(self.config.get('rtc_valid_from', 2025)):
            seconds, ns = divmod(time.time_ns(), 1000000000)
            clock.set_time(seconds, ns // 1000000, time.gmtime(0)[0])

    # --- I/O ----------------------------------------------------------------

    def adc_window(self, cfg):
        return ADC_WINDOW_UV

    def adc(self, cfg):
        return ScaledADC(ADC(Pin(cfg['pin'])), self.vref_uv)

    def pwm(self, cfg):
        pwm = TimerPWM(cfg['pin'], cfg['timer'], cfg['channel'], cfg.get('freq', 10))
        self.pwms.append(pwm)
        return pwm

    def open_serial(self, cfg):
        port = cfg.get('uart', 6)
        if port == 'vcp':
            stream = pyb.USB_VCP()
            stream.setinterrupt(-1)     # a 0x03 from a client is data, not Ctrl-C
        else:
            stream = machine.UART(port, cfg.get('baudrate', 115200),
                                  rxbuf=cfg.get('rxbuf', 1024), timeout=0)
        return asyncio.StreamReader(stream), asyncio.StreamWriter(stream, {})

    def serial_presence(self, cfg):
        """On the USB VCP, DTR tells whether a client has the port open."""
        if cfg.get('uart', 6) == 'vcp':
            return pyb.USB_VCP().isconnected
        return None


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


class TimerPWM:
    """A ``pyb.Timer`` channel in PWM mode, offered as ``duty_u16``."""

    def __init__(self, pin, timer, channel, freq):
        self.timer = pyb.Timer(timer, freq=freq)
        self.channel = self.timer.channel(channel, pyb.Timer.PWM, pin=pyb.Pin(pin),
                                          pulse_width=0)
        self._duty = 0

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        value = min(max(int(value), 0), _FULL)
        # compare = period + 1 keeps the output high for the whole period
        ticks = value * (self.timer.period() + 1) // _FULL
        self.channel.pulse_width(ticks)
        self._duty = value

    def freq(self, value=None):
        if value is None:
            return self.timer.freq()
        self.timer.freq(value)
        self.duty_u16(self._duty)        # the pulse width is in ticks of the old period
