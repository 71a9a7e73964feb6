"""The SPI buses of a real board for converter chips (control/spichip.py,
through ``BoardBase.spi``; the simulator's board models its chips instead).

Each bus is made once, in the SPI mode of the first chip on it (the config
check refuses chips of different modes on one bus), with its pins from the
config where the board lets the config choose them (``sck``, ``mosi``,
``miso``; a Pyboard's are fixed).  Loaded only by a config with a chip.
"""

_buses = {}


def open_spi(cfg, phase):
    """(machine.SPI, chip-select Pin) for the chip of module entry ``cfg``."""
    from machine import SPI, Pin
    cfg = cfg['spi']
    bus = cfg['bus']
    spi = _buses.get(bus)
    if spi is None:
        pins = {}
        for key in ('sck', 'mosi', 'miso'):
            if key in cfg:
                pins[key] = Pin(cfg[key])
        spi = _buses[bus] = SPI(bus, baudrate=cfg.get('baudrate', 1000000), polarity=0,
                                phase=phase, **pins)
    return spi, Pin(cfg['cs'], Pin.OUT, value=1)
