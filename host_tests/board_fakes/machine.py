"""Fake ``machine`` for host tests of boards/esp32 and boards/pyboard: host only,
never deploy.  Records what the board code does to pins, PWM, RTC and WDT."""

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5

levels = {}          # pin id -> last level driven as an output
pwms = []
cause = [PWRON_RESET]
rtc = []             # datetime tuples set
adc_u16 = {}         # pin id -> raw reading


def reset_cause():
    return cause[0]


def unique_id():
    return b'\x24\x0a\xc4\x12\x34\x56'


class Pin:
    IN = 1
    OUT = 3

    def __init__(self, id, mode=-1, value=None):
        self.id = id
        if mode == Pin.OUT:
            levels[id] = value or 0


class ADC:
    ATTN_0DB, ATTN_2_5DB, ATTN_6DB, ATTN_11DB = 0, 1, 2, 3

    def __init__(self, pin, atten=None):
        self.pin = pin.id
        self.atten = atten

    def read_u16(self):
        return adc_u16.get(self.pin, 32768)

    def read_uv(self):
        return self.read_u16() * 3100000 // 65535


class PWM:
    def __init__(self, pin, freq=0, duty_u16=0):
        self.pin = pin.id
        self._freq = freq
        self.duty = duty_u16
        pwms.append(self)

    def duty_u16(self, value=None):
        if value is None:
            return self.duty
        self.duty = value


class UART:
    def __init__(self, id, baudrate=9600, **kwargs):
        self.id = id
        self.baudrate = baudrate
        self.kwargs = kwargs


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout

    def feed(self):
        pass


class RTC:
    def datetime(self, value):
        rtc.append(value)
