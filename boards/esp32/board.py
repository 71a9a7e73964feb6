"""ESP32 board (classic ESP32, e.g. DevKitC / WROOM-32): ADC1 inputs, LEDC
PWM heater outputs, UART1/2, the task watchdog, a Wi-Fi station that keeps
itself connected, and SNTP for the ``t`` qualifier.

``Board(cfg)`` gets the ``board`` section of config.json.  Wi-Fi passwords
come from ``secrets.json`` next to config.json (``wifi_password``,
``ap_password``), never from config.json.  Nothing here blocks the event
loop on the network: connecting is polled, back-off is ``sleep_ms``, and the
SNTP query uses a non-blocking UDP socket (``ntptime.settime()`` would block
for DNS and up to its timeout).  DNS itself blocks (``getaddrinfo``), so the
NTP host is resolved once per Wi-Fi (re)connect, never after a failed query.  The TCP server binds 0.0.0.0, so it keeps
listening through Wi-Fi drops and serves again once the station is back.
"""

import asyncio
import json
import socket
import struct
import time
from micropython import const

import machine
import network
from machine import ADC, PWM, Pin

from boardbase import BoardBase

_ATTN = {'0db': ADC.ATTN_0DB, '2.5db': ADC.ATTN_2_5DB, '6db': ADC.ATTN_6DB,
         '11db': ADC.ATTN_11DB}
_NTP_TO_1970 = 2208988800
_EPOCH_2000 = const(946684800)

# The node's copies of capabilities.py (declared there, which is not deployed;
# test_boards checks they agree): the usable ADC input per attenuation, outside
# which a reading is a sensor fault, and the UART of the REPL console.
ADC_WINDOW_UV = {'0db': (100000, 950000), '2.5db': (100000, 1250000),
                 '6db': (150000, 1750000), '11db': (150000, 3100000)}
CONSOLE = 0


def fallback_transports(config_path):
    """No transport without config.json: the Wi-Fi settings are in it."""
    return None


def _load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _log(text):
    print(text)


class Board(BoardBase):
    name = 'esp32'
    console = CONSOLE       # (the clock gives no ``t`` until SNTP has set the RTC)

    def __init__(self, config):
        BoardBase.__init__(self, config)
        self.net = config.get('network', {})
        self.wifi = None
        if self.net.get('enabled', False):
            # creating the interface initialises lwIP, so the TCP server can
            # bind 0.0.0.0 before the station has connected
            self.wifi = Wifi(network.WLAN(network.STA_IF), self.net,
                             _load_json(config.get('secrets', 'secrets.json')))

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

    def network_up(self):
        """True while the station is connected (discovery announces on each rise)."""
        return self.wifi is not None and self.wifi.connected()

    def tasks(self, node):
        if self.wifi is None:
            return ()
        ntp = self.net.get('ntp', {})
        return (('wifi', self.wifi.run),
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
            wifi = self.wifi
            if wifi is not None and wifi.connected():
                if resolved_for != wifi.connections:
                    resolved_for = wifi.connections
                    address = _resolve(host, port)
                    if address is None:
                        _log('ntp: cannot resolve %s; no time until Wi-Fi reconnects' % host)
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
    """Station supervisor: connect without blocking, reconnect with exponential
    back-off, and after ``ap.after_failures`` failed attempts open an access
    point (while still retrying) so the node stays reachable."""

    def __init__(self, sta, cfg, secrets):
        self.sta = sta
        self.ssid = cfg.get('ssid', '')
        self.password = secrets.get('wifi_password', '')
        self.hostname = cfg.get('hostname', '')
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
        if self.hostname:
            try:
                network.hostname(self.hostname)
            except (AttributeError, OSError, ValueError):
                pass
        sta.active(True)
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
            if self.ap_password:
                ap.config(ssid=ssid, key=self.ap_password, security=network.AUTH_WPA2_PSK)
            else:
                ap.config(ssid=ssid, security=network.AUTH_OPEN)
            self.ap = ap
            _log('wifi: access point %s up as %s' % (ssid, ap.ifconfig()[0]))
        elif not on and self.ap is not None:
            self.ap.active(False)
            self.ap = None
            _log('wifi: access point off')
