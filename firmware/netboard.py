"""What the boards with a network share (boards/esp32, boards/rp2): the link that
keeps itself up, its hostname, and SNTP for the ``t`` qualifier.

``NetworkBoard(cfg)`` reads ``board.network`` of config.json: a Wi-Fi station
(``Wifi``) that connects without blocking, reconnects with exponential back-off
and opens an access point after some failures, or with ``"interface": "ethernet"``
a wired link (firmware/ethernet.py, ESP32).  Either takes DHCP's address, or
the fixed ``ipv4`` ({address, netmask, gateway, dns}).  Passwords come from
``secrets.json`` next to config.json (``wifi_password``, ``ap_password``),
never from config.json.  Nothing here blocks the event loop on the network:
connecting is polled, back-off is ``sleep_ms``, and the SNTP query uses a
non-blocking UDP socket (``ntptime.settime()`` would block for DNS and up to its
timeout).  DNS itself blocks (``getaddrinfo``), so the NTP host is resolved once
per (re)connect, never after a failed query.  The TCP server binds 0.0.0.0, so
it keeps listening through link drops and serves again once the link is back.
A link offers ``connected()``, ``connections`` (successful connects so far),
``ip`` and ``run()`` (its supervising task, named ``NAME``).
"""

import asyncio
import json
import socket
import struct
import time
from micropython import const

import machine
import network

from boardbase import BoardBase

_NTP_TO_1970 = 2208988800
_EPOCH_2000 = const(946684800)


def _load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _log(text):
    print(text)


class NetworkBoard(BoardBase):
    """A board whose node serves over its network link (``self.link``, None if off)."""

    def __init__(self, config):
        BoardBase.__init__(self, config)
        self.net = config.get('network', {})
        self.link = None
        if not self.net.get('enabled', False):
            return
        hostname = self.net.get('hostname')
        if hostname:
            # before the interface starts: DHCP sends it, and the port's mDNS responder
            # (ESP32, rp2) answers <hostname>.local
            try:
                network.hostname(hostname)
            except (AttributeError, OSError, ValueError):   # firmware before 1.20
                pass
        if self.net.get('interface') == 'ethernet':
            from ethernet import Ethernet       # only for a wired config
            self.link = Ethernet(self.net, static_address)
        else:
            # creating the interface initialises lwIP, so the TCP server can
            # bind 0.0.0.0 before the station has connected
            self.link = Wifi(network.WLAN(network.STA_IF), self.net,
                             _load_json(config.get('secrets', 'secrets.json')))

    def network_up(self):
        """True while the link is up (discovery announces on each rise)."""
        return self.link is not None and self.link.connected()

    def tasks(self, node):
        link = self.link
        if link is None:
            return ()
        ntp = self.net.get('ntp', {})
        return ((link.NAME, link.run),
                ('ntp', lambda: self.sync_time(ntp.get('host', 'pool.ntp.org'),
                                               ntp.get('interval', 3600), ntp.get('port', 123))))

    # --- SNTP ---------------------------------------------------------------

    async def sync_time(self, host, interval_s, port=123, retry_s=60, timeout_ms=2000):
        """Set the RTC by SNTP whenever the station is up; the clock counts as
        synced (``t`` is sent) from the first success on.  The host is resolved
        once per connection (DNS blocks the event loop); without an address
        there is no query until the next reconnect."""
        clock = self.clock()
        address = None
        resolved_for = None         # the connection the address was resolved on
        while True:
            wait_s = 2
            link = self.link
            if link is not None and link.connected():
                if resolved_for != link.connections:
                    resolved_for = link.connections
                    address = _resolve(host, port)
                    if address is None:
                        _log('ntp: cannot resolve %s; no time until the link reconnects' % host)
                result = await sntp_query(address, timeout_ms) if address else None
                if result is None:
                    if address:
                        _log('ntp: no answer from %s, retry in %d s' % (host, retry_s))
                    wait_s = retry_s
                else:
                    _set_rtc(result[0], result[1])
                    if not clock.synced:
                        _log('ntp: clock set from %s' % host)
                    clock.set_time(result[0], result[1] // 1000, 1970)
                    wait_s = interval_s
            await asyncio.sleep(wait_s)


def static_address(nic, cfg):
    """A fixed address instead of DHCP: ``ipv4`` is {address, netmask, gateway, dns}."""
    ipv4 = cfg.get('ipv4')
    if ipv4:
        nic.ifconfig((ipv4['address'], ipv4.get('netmask', '255.255.255.0'),
                      ipv4.get('gateway', ipv4['address']), ipv4.get('dns', ipv4.get('gateway',
                                                                                  '0.0.0.0'))))


def _resolve(host, port):
    try:
        return socket.getaddrinfo(host, port)[0][-1]
    except (OSError, IndexError):
        return None


async def sntp_query(address, timeout_ms=2000):
    """(seconds since 1970, microseconds) from an SNTP server, or None."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        request = bytearray(48)
        request[0] = 0x1B                        # version 3, client mode
        sock.sendto(request, address)
        for _ in range(timeout_ms // 20):        # counted waits: no tick arithmetic here
            try:
                reply = sock.recv(48)
            except OSError:                      # EAGAIN: nothing yet
                await asyncio.sleep_ms(20)
                continue
            if len(reply) < 48:
                return None
            seconds, fraction = struct.unpack('!II', reply[40:48])
            if seconds == 0:
                return None
            return seconds - _NTP_TO_1970, (fraction * 1000000) >> 32
        return None
    except OSError:
        return None
    finally:
        sock.close()


def _set_rtc(unix_s, micros):
    offset = _EPOCH_2000 if time.gmtime(0)[0] == 2000 else 0
    tm = time.gmtime(unix_s - offset)
    machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6] + 1, tm[3], tm[4], tm[5], micros))


class Wifi:
    """Wi-Fi station supervisor: connect without blocking, reconnect with exponential
    back-off, and after ``ap.after_failures`` failed attempts open an access
    point (while still retrying) so the node stays reachable."""

    NAME = 'wifi'

    def __init__(self, sta, cfg, secrets):
        self.sta = sta
        self.cfg = cfg
        self.ssid = cfg.get('ssid', '')
        self.password = secrets.get('wifi_password', '')
        self.timeout_ms = int(cfg.get('connect_timeout', 20) * 1000)
        self.backoff_min_ms = int(cfg.get('backoff_min', 2) * 1000)
        self.backoff_max_ms = int(cfg.get('backoff_max', 300) * 1000)
        self.ap_cfg = cfg.get('ap', {})
        self.ap_password = secrets.get('ap_password', '')
        self.ap = None
        self.failures = 0
        self.connections = 0        # counts successful connects
        self.ip = None
        # statuses that end an attempt early; getattr: not every firmware has all
        self.failed = tuple(getattr(network, name, -1) for name in (
            'STAT_WRONG_PASSWORD', 'STAT_NO_AP_FOUND', 'STAT_CONNECT_FAIL'))

    def connected(self):
        return self.sta.isconnected()

    def _start(self):
        sta = self.sta
        sta.active(True)
        static_address(sta, self.cfg)
        try:
            sta.config(reconnects=0)     # this task reconnects, with back-off
        except (OSError, ValueError, TypeError):
            pass

    async def run(self):
        self._start()
        delay = self.backoff_min_ms
        while True:
            if self.sta.isconnected():
                await asyncio.sleep_ms(1000)
                continue
            if self.ip is not None:
                _log('wifi: connection to %s lost' % self.ssid)
                self.ip = None
            if await self._connect():
                delay = self.backoff_min_ms
                self.failures = 0
                self._access_point(False)
                continue
            self.failures += 1
            if self.ap_cfg.get('enabled', False) and \
                    self.failures >= self.ap_cfg.get('after_failures', 5):
                self._access_point(True)
            _log('wifi: no connection to %s (status %s), retry in %.1f s'
                 % (self.ssid, self.sta.status(), delay / 1000))
            await asyncio.sleep_ms(delay)
            delay = min(delay * 2, self.backoff_max_ms)

    async def _connect(self):
        sta = self.sta
        try:
            sta.disconnect()             # end a half-finished earlier attempt
        except OSError:
            pass
        try:
            sta.connect(self.ssid, self.password)   # returns at once on ESP32
        except OSError as exc:
            _log('wifi: connect failed: %r' % (exc,))
            return False
        for _ in range(self.timeout_ms // 250):     # counted waits: no tick arithmetic
            await asyncio.sleep_ms(250)
            if sta.isconnected():
                self.connections += 1
                self.ip = sta.ifconfig()[0]
                _log('wifi: connected to %s as %s' % (self.ssid, self.ip))
                return True
            if sta.status() in self.failed:
                break
        return False

    def _access_point(self, on):
        if on and self.ap is None:
            ap = network.WLAN(network.AP_IF)
            ap.active(True)
            ssid = self.ap_cfg.get('ssid', 'secop-node')
            # the ESP32's network.AUTH_*; the rp2 port (cyw43) has WLAN.SEC_* only
            if self.ap_password:
                security = getattr(network, 'AUTH_WPA2_PSK', None)
                ap.config(ssid=ssid, key=self.ap_password, security=network.WLAN.SEC_WPA2_WPA3
                          if security is None else security)
            else:
                ap.config(ssid=ssid, security=getattr(network, 'AUTH_OPEN', 0))
            self.ap = ap
            _log('wifi: access point %s up as %s' % (ssid, ap.ifconfig()[0]))
        elif not on and self.ap is not None:
            self.ap.active(False)
            self.ap = None
            _log('wifi: access point off')
