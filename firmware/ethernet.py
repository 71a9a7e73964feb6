"""Wired Ethernet on the ESP32 (``network.LAN``), supervised as the Wi-Fi station is
(firmware/netboard.py): loaded only by a config whose ``board.network.interface``
is "ethernet".

``phy`` names the PHY: an RMII one on the ESP32's EMAC (LAN8720, IP101, RTL8201,
DP83848, KSZ8041, KSZ8081; the data pins are fixed, the config gives ``mdc``,
``mdio``, optional ``power``, ``ref_clk`` and ``ref_clk_mode`` "in" or "out", and
``phy_addr``), or an SPI W5500 where the firmware has it (``spi``: bus, sck,
mosi, miso, cs; ``int``).  WT32-ETH01: LAN8720 at 1, MDC 23, MDIO 18, power 16,
50 MHz clock in on GPIO 0; Olimex ESP32-POE: LAN8720 at 0, power 12, clock out
on GPIO 17.

The link comes up by itself (DHCP, or the static ``ipv4`` of netboard); ``run``
starts the interface, retrying with back-off while the PHY does not answer, then
watches the link once a second: each rise counts in ``connections`` (discovery
announces, SNTP resolves its host again) and is logged with the address.
"""

import asyncio

import network
from machine import Pin


def lan(cfg):
    """The ``network.LAN`` of ``cfg`` (``board.network.ethernet``)."""
    # by name: the ESP32 stubs declare another port's LAN (no mdc, spi, isconnected, ...)
    make = getattr(network, 'LAN')
    phy = cfg.get('phy', 'LAN8720')
    kind = getattr(network, 'PHY_' + phy)
    if phy == 'W5500':
        from machine import SPI
        spi = cfg['spi']
        bus = SPI(spi['bus'], baudrate=spi.get('baudrate', 20000000), sck=Pin(spi['sck']),
                  mosi=Pin(spi['mosi']), miso=Pin(spi['miso']))
        return make(spi=bus, cs=Pin(spi['cs']), int=Pin(cfg['int']), phy_type=kind,
                    phy_addr=cfg.get('phy_addr', 0))
    extra = {}
    if 'power' in cfg:
        extra['power'] = Pin(cfg['power'])
    if 'ref_clk' in cfg:
        extra['ref_clk'] = Pin(cfg['ref_clk'])
        extra['ref_clk_mode'] = Pin.OUT if cfg.get('ref_clk_mode') == 'out' else Pin.IN
    return make(mdc=Pin(cfg['mdc']), mdio=Pin(cfg['mdio']), phy_type=kind,
                phy_addr=cfg.get('phy_addr', 0), **extra)


class Ethernet:
    """The wired link: ``connected()``, ``connections``, ``ip``, ``run()`` (see netboard)."""

    NAME = 'ethernet'

    def __init__(self, cfg, static_address):
        self.cfg = cfg
        self._static_address = static_address     # netboard's, shared with Wi-Fi
        self.phy = cfg.get('ethernet', {}).get('phy', 'LAN8720')
        self.backoff_min_ms = int(cfg.get('backoff_min', 2) * 1000)
        self.backoff_max_ms = int(cfg.get('backoff_max', 300) * 1000)
        self.connections = 0
        self.ip = None
        self.up = False             # the interface is active
        # made now: creating it initialises lwIP, so the TCP server can bind 0.0.0.0
        self.nic = self._make()

    def _make(self):
        try:
            return lan(self.cfg.get('ethernet', {}))
        except (OSError, ValueError) as exc:
            print('ethernet: %s: %r' % (self.phy, exc))
            return None

    def connected(self):
        nic = self.nic
        return self.up and nic is not None and nic.isconnected()

    async def _start(self):
        """The interface up, retried with back-off while the PHY does not answer."""
        delay = self.backoff_min_ms
        while True:
            nic = self.nic or self._make()
            if nic is not None:
                self.nic = nic
                try:
                    nic.active(True)
                    self._static_address(nic, self.cfg)
                    self.up = True
                    return nic
                except (OSError, ValueError) as exc:
                    print('ethernet: %s does not start: %r' % (self.phy, exc))
            print('ethernet: retry in %.1f s' % (delay / 1000))
            await asyncio.sleep_ms(delay)
            delay = min(delay * 2, self.backoff_max_ms)

    async def run(self):
        nic = await self._start()
        while True:
            linked = nic.isconnected()
            if linked and self.ip is None:
                self.connections += 1
                self.ip = nic.ifconfig()[0]
                print('ethernet: link up as %s' % self.ip)
            elif not linked and self.ip is not None:
                print('ethernet: link down')
                self.ip = None
            await asyncio.sleep_ms(1000)
