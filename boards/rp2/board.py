"""Raspberry Pi Pico W / Pico 2 W (rp2 port): ADC on GP26-28, heater PWM on any
GPIO, UART0/1, the watchdog (at most 8.3 s on an RP2040), the SPI buses of the
converter chips, and the network of firmware/netboard.py (a Wi-Fi station
through the CYW43439 that keeps itself connected, SNTP).

``Board(cfg)`` gets the ``board`` section of config.json; pins are GPIO numbers.
The ADC offers ``read_u16`` only: its 12-bit code is read as a ratio of the
board's 3V3 (``vref_uv``), which feeds both the ADC reference and the sensor
dividers.
``country`` (e.g. "DE") sets the Wi-Fi regulatory domain before the station
starts.
"""

import asyncio

import machine
from machine import ADC, PWM, Pin

from netboard import NetworkBoard

# The node's copies of capabilities.py (declared there, which is not deployed;
# test_boards checks they agree): the usable ADC input and the REPL's port.
ADC_WINDOW_UV = (50000, 3250000)
CONSOLE = None


def fallback_transports(config_path):
    """No transport without config.json: the Wi-Fi settings are in it."""
    return None


class Board(NetworkBoard):
    name = 'rp2'
    console = CONSOLE       # the REPL is on USB (the clock gives no ``t`` until SNTP)

    def __init__(self, config):
        country = config.get('country')
        if country:
            import rp2
            rp2.country(country)
        NetworkBoard.__init__(self, config)

    # --- I/O ----------------------------------------------------------------

    def adc_window(self, cfg):
        return ADC_WINDOW_UV

    def adc(self, cfg):
        return RatioADC(ADC(Pin(cfg['pin'])), self.vref_uv)

    def pwm(self, cfg):
        pwm = PWM(Pin(cfg['pin']), freq=int(cfg.get('freq', 10)), duty_u16=0)
        self.pwms.append(pwm)
        return pwm

    def open_serial(self, cfg):
        # the port's default pins, as capabilities.py declares them: UART0 GP0/GP1, UART1 GP4/GP5
        uart = machine.UART(cfg.get('uart', 0), cfg.get('baudrate', 115200),
                            rxbuf=cfg.get('rxbuf', 1024), timeout=0)
        return asyncio.StreamReader(uart), asyncio.StreamWriter(uart, {})


class RatioADC:
    """The 12-bit converter (``read_u16`` carries its code shifted up by 4) as microvolts
    of ``vref_uv``: ``code * vref_uv // 4095``, with vref_uv split so that every step
    stays a small int on a 32-bit board and a reading allocates nothing (exact)."""

    def __init__(self, adc, vref_uv):
        self.adc = adc
        self._whole, self._part = divmod(vref_uv, 4095)

    def read_uv(self):
        code = self.adc.read_u16() >> 4
        return code * self._whole + code * self._part // 4095
