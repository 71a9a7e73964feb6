"""Rules for a converter chip's SPI connection (host only, not deployed;
configcheck calls it for every module whose sensor is a chip).

    check(ctx, where, spi, chip)

The simulator's chips read a named plant channel (``spi.channel``).  On a board
a chip names its ``bus`` (one the board declares in ``SPI_BUSES``) and its chip
select ``cs`` (a digital output of its own); the bus pins come from the board
where they are fixed, else from the config, among the board's choices for that
bus, or (``sck``, ``mosi``: outputs, ``miso``: any input) any capable pin.  Chips on one bus share its pins and must speak its SPI mode (the
bus is set up once, for the first; a W5500 Ethernet controller, checked here
too, takes its bus alone); a chip select or bus pin used for anything else is
a pin used twice.  ``baudrate`` at most 5 MHz (all three chips).
"""

try:
    from boards.checkbase import known_keys, listing, number, output_pin, use_pin
except ImportError:                 # MicroPython: boards/ itself is on the path
    from checkbase import known_keys, listing, number, output_pin, use_pin

_PINS = ('sck', 'mosi', 'miso')


def check(ctx, where, spi, chip):
    where += '.spi'
    caps = ctx.caps
    if caps.SPI_BUSES is None:      # the simulator
        known_keys(ctx, where, spi, ('channel',))
        if spi.get('channel', 'block') not in caps.ADC_CHANNELS:
            ctx.add('%s: channel must be one of %s, not %r' % (
                where, ', '.join(caps.ADC_CHANNELS), spi.get('channel')))
        return
    known_keys(ctx, where, spi, ('bus', 'cs', 'baudrate') + _PINS)
    number(ctx, where, spi, 'baudrate', 100000, 5000000, integer=True)
    bus = spi.get('bus')
    if bus not in caps.SPI_BUSES:
        ctx.add('%s: bus must be one of %s, not %r' % (where, listing(caps.SPI_BUSES), bus))
        return
    _chip_select(ctx, where, spi)
    pins = _bus_pins(ctx, where, spi, bus)
    if pins is None:
        return
    first = ctx.spi_buses.get(bus)
    if first is None:
        ctx.spi_buses[bus] = (pins, chip.PHASE, chip.NAME)
        for key, pin in zip(_PINS, pins):
            use_pin(ctx, pin, 'SPI bus %s %s' % (bus, key))
        return
    if 'W5500' in (first[2], chip.NAME):
        ctx.add('%s: bus %s carries the Ethernet W5500, which network.LAN drives alone: put '
                'the %s on another bus' % (where, bus, chip.NAME if first[2] == 'W5500'
                                          else first[2]))
        return
    if first[0] != pins:
        ctx.add('%s: bus %s is already on pins %s (sck, mosi, miso); a bus has one set'
                % (where, bus, listing(first[0])))
    if first[1] != chip.PHASE:
        ctx.add('%s: the %s speaks SPI mode %d and the %s on bus %s mode %d: put it on '
                'another bus' % (where, chip.NAME, chip.PHASE, first[2], bus, first[1]))


def _bus_pins(ctx, where, spi, bus):
    """(sck, mosi, miso) of ``bus`` as the board fixes them or the config names them;
    None if one is missing.  A board declares each pin as fixed (a pin), a choice
    (a tuple of pins) or, with None for the bus, any capable pin."""
    caps = ctx.caps
    declared = caps.SPI_BUSES[bus] or (None, None, None)
    pins, missing = [], []
    for key, allowed in zip(_PINS, declared):
        if allowed is not None and type(allowed) is not tuple:
            if key in spi:
                ctx.add('%s: %s of bus %s is fixed on %s (%s); remove it'
                        % (where, key, bus, caps.TITLE, allowed))
            pins.append(allowed)
            continue
        pin = spi.get(key)
        pins.append(pin)
        if pin is None:
            missing.append(key)
        elif allowed is not None:
            if pin not in allowed:
                ctx.add('%s.%s: bus %s can have its %s on %s, not %r'
                        % (where, key, bus, key, listing(allowed), pin))
        elif key != 'miso':
            output_pin(ctx, '%s.%s' % (where, key), pin)
        elif pin not in caps.OUTPUT_PINS and pin not in caps.INPUT_ONLY_PINS:
            ctx.add('%s.miso: pin %r cannot be an input' % (where, pin))
    if missing:
        ctx.add('%s: bus %s needs its pins: %s' % (where, bus, ', '.join(missing)))
        return None
    return tuple(pins)


def _chip_select(ctx, where, spi):
    if 'cs' not in spi:
        ctx.add('%s: missing cs (the chip-select pin)' % where)
        return
    cs = spi['cs']
    use_pin(ctx, cs, where + '.cs')
    if cs not in ctx.caps.GPIO_OUTPUTS:
        output_pin(ctx, where + '.cs', cs)      # says why, with the board's outputs
