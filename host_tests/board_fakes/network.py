"""Fake ``network`` for host tests of boards/esp32: host only, never deploy.

``WLAN.attempts_until_connected`` scripts the station: connect() succeeds on
that attempt (0 = never).  ``events`` records what the board code did."""

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_WRONG_PASSWORD = 202
STAT_NO_AP_FOUND = 201
STAT_CONNECT_FAIL = 203
STAT_GOT_IP = 1010
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3

events = []
attempts_until_connected = [3]
_interfaces = {}


def hostname(name=None):
    events.append(('hostname', name))


def WLAN(interface=STA_IF):
    if interface not in _interfaces:
        _interfaces[interface] = _WLAN(interface)
    return _interfaces[interface]


class _WLAN:
    def __init__(self, interface):
        self.interface = interface
        self.up = False
        self.attempts = 0
        self.linked = False
        self._status = STAT_IDLE

    def active(self, on=None):
        if on is None:
            return self.up
        self.up = bool(on)
        events.append(('active', self.interface, self.up))

    def config(self, **kwargs):
        events.append(('config', self.interface, kwargs))

    def connect(self, ssid, password):
        self.attempts += 1
        events.append(('connect', ssid, password))
        wanted = attempts_until_connected[0]
        self.linked = wanted and self.attempts >= wanted
        self._status = STAT_GOT_IP if self.linked else STAT_NO_AP_FOUND

    def disconnect(self):
        self.linked = False

    def isconnected(self):
        return self.linked

    def status(self):
        return self._status

    def ifconfig(self):
        return ('10.0.0.7' if self.interface == STA_IF else '192.168.4.1', '', '', '')
