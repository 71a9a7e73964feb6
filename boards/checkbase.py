"""The small rules configcheck builds on: numbers in range, flags, SECoP names,
known keys (with the nearest one for a misspelling), and the pins a config
claims, checked against the board's declaration (ADC inputs, outputs, pins
used twice).  Host only, MicroPython-compatible like configcheck.
"""


def known_keys(ctx, where, cfg, known):
    """Reports every key of ``cfg`` that is not in ``known``, with the nearest known one."""
    for key in cfg:
        if key not in known:
            near = [k for k in known if distance(key, k) <= 2]
            ctx.add('%s: unknown key %r%s' % (where, key, " (did you mean '%s'?)" % near[0]
                                               if near else ' (known: %s)' % ', '.join(known)))


def distance(a, b):
    """Edit distance (insertions, deletions, substitutions) of two short strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a):
        last, row[0] = row[0], i + 1
        for j, cb in enumerate(b):
            last, row[j + 1] = row[j + 1], min(row[j + 1] + 1, row[j] + 1, last + (ca != cb))
    return row[-1]


# --- small value checks ---------------------------------------------------------

def is_number(value):
    return type(value) in (int, float)


def number(ctx, where, cfg, key, low=None, high=None, required=False, integer=False):
    """The value if it is a number within [low, high]; reports and returns None otherwise."""
    if key not in cfg:
        if required:
            ctx.add('%s: missing %s' % (where, key))
        return None
    value = cfg[key]
    kind = 'an integer' if integer else 'a number'
    if not (type(value) is int if integer else is_number(value)):
        ctx.add('%s: %s must be %s, not %r' % (where, key, kind, value))
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        ctx.add('%s: %s %r out of range %s..%s' % (where, key, value,
                                                    '' if low is None else low,
                                                    '' if high is None else high))
        return None
    return value


def flag(ctx, where, cfg, key):
    value = cfg.get(key, False)
    if type(value) is not bool:
        ctx.add('%s: %s must be true or false, not %r' % (where, key, value))
        return False
    return value


def identifier(name):
    """A SECoP name: an ASCII letter or _, then letters, digits or _; 63 at most."""
    if type(name) is not str or not 0 < len(name) <= 63:
        return False
    for index, c in enumerate(name):
        if not ('a' <= c <= 'z' or 'A' <= c <= 'Z' or c == '_' or (index and '0' <= c <= '9')):
            return False
    return True


# --- pins -----------------------------------------------------------------------------

def use_pin(ctx, pin, user, label=None):
    ctx.pins.append((pin, user, label or 'pin %s' % (pin,), ctx.module))


def claim_pin(ctx, where, cfg):
    """The section's pin, recorded for the double-use check; None if missing."""
    if 'pin' not in cfg:
        ctx.add('%s: missing pin' % where)
        return None
    use_pin(ctx, cfg['pin'], where)
    return cfg['pin']


def adc_pin(ctx, where, cfg):
    caps = ctx.caps
    if caps.ADC_CHANNELS:
        channel = cfg.get('channel')
        if channel not in caps.ADC_CHANNELS:
            ctx.add('%s: channel must be one of %s, not %r' % (
                where, ', '.join(caps.ADC_CHANNELS), channel))
        return
    pin = claim_pin(ctx, where, cfg)
    if pin is None or pin in caps.ADC_PINS:
        pass
    elif pin in caps.ADC_NOT_WITH_WIFI and ctx.wifi:
        ctx.add('%s: pin %r is on ADC2, which is unusable while Wi-Fi is on; use one of %s'
                % (where, pin, listing(caps.ADC_PINS)))
    elif pin not in caps.ADC_PINS_WITHOUT_WIFI:
        ctx.add('%s: pin %r is not an ADC input of %s; use one of %s'
                % (where, pin, caps.TITLE, listing(caps.ADC_PINS)))
    atten = cfg.get('atten', '11db')
    if caps.ADC_ATTENUATIONS and atten not in caps.ADC_ATTENUATIONS:
        ctx.add('%s: atten must be one of %s, not %r' % (
            where, ', '.join(caps.ADC_ATTENUATIONS), atten))


def output_pin(ctx, where, pin):
    """Reports a pin that cannot drive a heater; True if it can."""
    caps = ctx.caps
    if pin in caps.OUTPUT_PINS:
        return True
    why = 'cannot output PWM on %s' % caps.TITLE if caps.TIMERS else 'is not a GPIO of %s' \
        % caps.TITLE
    for pins, note in caps.PIN_NOTES:
        if pin in pins:
            why = note
            break
    ctx.add('%s: pin %r %s; use one of %s' % (where, pin, why, listing(caps.OUTPUT_PINS)))
    return False


def listing(pins):
    return ', '.join(str(pin) for pin in pins)


def check_pins(ctx):
    seen = {}
    for pin, user, label, module in ctx.pins:
        if pin in seen:
            first, other = seen[pin]
            ctx.add('%s is used twice: by %s and by %s' % (label, first, user),
                    tuple(m for m in (other, module) if m is not None))
        else:
            seen[pin] = (user, module)
