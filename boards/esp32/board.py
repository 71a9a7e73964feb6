"""ESP32 board (classic ESP32, e.g. DevKitC / WROOM-32): ADC1 inputs, LEDC
PWM heater outputs, UART1/2, the task watchdog, and the network of
firmware/netboard.py (a Wi-Fi station that keeps itself connected, SNTP).

``Board(cfg)`` gets the ``board`` section of config.json.
"""

import asyncio

import machine
from machine import ADC, PWM, Pin

from netboard import NetworkBoard

_ATTN = {'0db': ADC.ATTN_0DB, '2.5db': ADC.ATTN_2_5DB, '6db': ADC.ATTN_6DB,
         '11db': ADC.ATTN_11DB}

# The node's copies of capabilities.py (declared there, which is not deployed;
# test_boards checks they agree): the usable ADC input per attenuation, outside
# which a reading is a sensor fault, and the UART of the REPL console.
ADC_WINDOW_UV = {'0db': (100000, 950000), '2.5db': (100000, 1250000),
                 '6db': (150000, 1750000), '11db': (150000, 3100000)}
CONSOLE = 0


def fallback_transports(config_path):
    """No transport without config.json: the Wi-Fi settings are in it."""
    return None


class Board(NetworkBoard):
    name = 'esp32'
    console = CONSOLE       # (the clock gives no ``t`` until SNTP has set the RTC)

    # --- I/O ----------------------------------------------------------------

    def adc_window(self, cfg):
        return ADC_WINDOW_UV[cfg.get('atten', '11db')]

    def adc(self, cfg):
        atten = _ATTN[cfg.get('atten', '11db')]
        return ADC(Pin(cfg['pin']), atten=atten)      # read_uv() is calibrated

    def pwm(self, cfg):
        pwm = PWM(Pin(cfg['pin']), freq=int(cfg.get('freq', 10)), duty_u16=0)
        self.pwms.append(pwm)
        return pwm

    def open_serial(self, cfg):
        uart = machine.UART(cfg.get('uart', 2), cfg.get('baudrate', 115200),
                            tx=cfg.get('tx', 17), rx=cfg.get('rx', 16),
                            rxbuf=cfg.get('rxbuf', 1024), timeout=0)
        return asyncio.StreamReader(uart), asyncio.StreamWriter(uart, {})
