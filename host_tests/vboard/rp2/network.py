"""The virtual rp2 board's ``network`` (host_tests/vboard/vboard.py --port rp2): a
Wi-Fi station that connects at once and is 127.0.0.1.  Host only, never deploy."""

STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_GOT_IP = 3
STAT_CONNECT_FAIL = -1
STAT_NO_AP_FOUND = -2
STAT_WRONG_PASSWORD = -3
_name = ['PicoW']


def hostname(name=None):
    if name is None:
        return _name[0]
    _name[0] = name


def country(code=None):
    return 'XX'


class WLAN:
    SEC_OPEN = 0
    SEC_WPA2_WPA3 = 20971524

    def __init__(self, interface=STA_IF):
        self.interface = interface
        self.up = False
        self.linked = False

    def active(self, on=None):
        if on is None:
            return self.up
        self.up = bool(on)

    def config(self, *args, **kwargs):
        if 'reconnects' in kwargs:
            raise ValueError('unknown config param')       # as the rp2 port says

    def connect(self, ssid, key=None):
        self.linked = self.up

    def disconnect(self):
        self.linked = False

    def isconnected(self):
        return self.linked

    def status(self):
        return STAT_GOT_IP if self.linked else STAT_IDLE

    def ifconfig(self):
        return ('127.0.0.1', '255.0.0.0', '127.0.0.1', '127.0.0.1')
