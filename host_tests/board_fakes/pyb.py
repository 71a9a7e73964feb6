"""Fake ``pyb`` for host tests of boards/pyboard: host only, never deploy."""


class Pin:
    def __init__(self, name):
        self.name = name


class _Channel:
    def __init__(self, timer, number, pin, pulse_width):
        self.timer = timer
        self.number = number
        self.pin = pin.name
        self.width = pulse_width

    def pulse_width(self, value=None):
        if value is None:
            return self.width
        self.width = value


class Timer:
    PWM = 0
    CLOCK = 84000000

    def __init__(self, number, freq=1):
        self.number = number
        self.freq(freq)

    def freq(self, value=None):
        if value is None:
            return self.CLOCK // (self._period + 1)
        self._period = self.CLOCK // value - 1 if value > 1300 else 65535 // 2

    def period(self):
        return self._period

    def channel(self, number, mode, pin=None, pulse_width=0):
        return _Channel(self, number, pin, pulse_width)


class USB_VCP:
    connected = False       # DTR of the host's serial port (class-wide: one VCP)

    def isconnected(self):
        return USB_VCP.connected

    interrupt = 3               # Ctrl-C raises KeyboardInterrupt until setinterrupt(-1)

    def setinterrupt(self, char):
        USB_VCP.interrupt = char
