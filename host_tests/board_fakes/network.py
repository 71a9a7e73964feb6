"""Fake ``network`` for host tests of boards/esp32 and boards/rp2: host only, never deploy.

``WLAN.attempts_until_connected`` scripts the station: connect() succeeds on
that attempt (0 = never).  ``LAN`` is the wired interface: ``lan_linked[0]`` is
its cable (link up while the interface is active), ``lan_start_failures`` how many
``active(True)`` calls fail as with a PHY that does not answer.  ``events`` records what the board code did."""

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
PHY_LAN8720 = 0
PHY_IP101 = 1
PHY_RTL8201 = 2
PHY_W5500 = 10

events = []
attempts_until_connected = [3]
lan_linked = [True]
lan_start_failures = [0]
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


class LAN:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.up = False
        self.address = ('192.168.1.80', '255.255.255.0', '192.168.1.1', '192.168.1.1')
        events.append(('lan', kwargs))

    def active(self, on=None):
        if on is None:
            return self.up
        if on and lan_start_failures[0]:
            lan_start_failures[0] -= 1
            raise OSError(-1)           # the PHY did not answer
        self.up = bool(on)
        events.append(('lan active', self.up))

    def isconnected(self):
        return self.up and lan_linked[0]

    def ifconfig(self, config=None):
        if config is None:
            return self.address
        self.address = config
        events.append(('lan ifconfig', config))
