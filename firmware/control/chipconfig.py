"""A converter chip (control/spichip.py) from its module's config entry, used
while the node is built (the builder forgets this module, as it does
control.sensorconfig, which hands chip types to it).
"""

CHIPS = ('max31865', 'max31855', 'max31856')
TC_TYPES = ('B', 'E', 'J', 'K', 'N', 'R', 'S', 'T')     # the MAX31856's CR1 code = index
TC_RANGES = ((250.0, 1820.0), (-200.0, 1000.0), (-210.0, 1200.0), (-200.0, 1372.0),
             (-200.0, 1300.0), (-50.0, 1768.0), (-50.0, 1768.0), (-200.0, 400.0))


def thermometer(board, clock, cfg, number):
    """The chip of a module's config entry on its bus (``board.spi``), set up."""
    chip = from_config(cfg['sensor'], number)
    chip.connect(board.spi(cfg, chip.PHASE), clock)
    return chip


def from_config(cfg, number):
    """A chip from its sensor config (see control.sensorconfig.from_config); each
    chip's module is imported only for its type.  ValueError if it is wrong.
    ``number(cfg, key, default)``: sensorconfig's reader of a number (given, so
    that this module does not import the one that imports it)."""
    kind = cfg['type']
    mains = _choice(cfg, 'mains', (50, 60), 50)
    if kind == 'max31865':
        from control.max31865 import MAX31865
        r0 = _choice(cfg, 'r0', (100, 1000), 100)
        return MAX31865(r0, number(cfg, 'r_ref', 4.3 * r0), _choice(cfg, 'wires', (2, 3, 4), 4),
                        mains, number(cfg, 't_min', -200.0), number(cfg, 't_max', 850.0))
    if kind == 'max31855':
        from control.max31855 import MAX31855
        return MAX31855(number(cfg, 't_min', -200.0), number(cfg, 't_max', 1350.0))
    if kind != 'max31856':
        raise ValueError('sensor config: unknown type %r' % (kind,))
    from control.max31856 import MAX31856
    code = TC_TYPES.index(_choice(cfg, 'tc_type', TC_TYPES, 'K'))
    low, high = TC_RANGES[code]
    return MAX31856(code, mains, number(cfg, 't_min', low), number(cfg, 't_max', high))


def _choice(cfg, key, choices, default):
    value = cfg.get(key, default)
    if value not in choices or type(value) is bool:
        raise ValueError("sensor type %r: '%s' must be one of %s, not %r" % (
            cfg['type'], key, ', '.join(str(c) for c in choices), value))
    return value
