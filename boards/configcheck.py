"""Checks a node configuration against a board: one message per problem.

    check(config, board, secrets=None, by_module=None) -> list of problem strings

``[]`` means ok.  ``by_module``, a dict if given, is filled with the problems
that concern each module, by its index in ``modules`` (a module with one is
built as a stand-in in ERROR by the app): structured, not matched by text.

``board`` is a board's name or its declaration (boards/<name>/capabilities.py):
every board-specific rule comes from the declaration, so a new board needs no
change here.  ``secrets`` is the parsed
secrets.json (Wi-Fi passwords); None skips the checks that need it.  Every
message says where the problem is and, where it is not obvious, what to do.
Sensor settings are checked by building the sensor with the firmware's own
``control.sensorconfig.from_config``, so both always agree.

Runs on the host only: ``tools/check_config.py``, ``make deploy`` (which
refuses a config with problems) and the simulator.  It is not deployed: on a
board it cost more heap than the node's own modules (11.6 KB of .mpy, a
25 KB peak at boot); the firmware checks only the structure it needs to start
(``builder.guard``).  The rules stay MicroPython-compatible all the same.
"""

import registry
from control import chipconfig, sensorconfig

try:
    from boards import propcheck
    from boards.checkbase import (adc_pin, check_pins, claim_pin, flag, identifier, is_number,
                                  known_keys, listing, number, output_pin, use_pin)
except ImportError:                 # MicroPython: boards/ itself is on the path
    import propcheck
    from checkbase import (adc_pin, check_pins, claim_pin, flag, identifier, is_number,
                           known_keys, listing, number, output_pin, use_pin)

TOP_LEVEL = ('node', 'tcp', 'discovery', 'serial', 'access', 'max_line', 'watchdog_ms', 'board',
             'modules')
MODULE_CLASSES = tuple(registry.MODULES)      # the firmware's module classes, by name
MAX_CLIENTS = 8
PLACEHOLDERS = ('YOUR-SSID',)   # in the committed templates: to be replaced before a deploy

# The keys each part of the config may have: a misspelled optional key
# ("tolrance") would otherwise be ignored silently and its default used.
_SECTION_KEYS = {
    'node': ('equipment_id', 'description', 'firmware', 'secop_version', 'state', 'implementor',
             'timeout'),
    'tcp': ('enabled', 'bind', 'port', 'max_clients', 'idle_timeout'),
    'discovery': ('enabled', 'bind', 'port', 'announce', 'announce_port', 'interval'),
    'serial': ('enabled', 'path', 'uart', 'baudrate', 'rxbuf', 'tx', 'rx', 'presence'),
    'access': ('read_only', 'allow', 'writers'),
}
_MODULE_KEYS = ('name', 'class', 'description', 'group', 'visibility', 'meaning', 'implementor')
_SENSOR_KEYS = ('adc', 'spi', 'sensor', 'samples')
_CLASS_KEYS = {
    'temperature': _SENSOR_KEYS,
    'loop': _SENSOR_KEYS + ('heater', 't_min', 't_max', 'overtemp', 'pid', 'period', 'tolerance',
                            'window', 'timeout', 'ramp', 'i_band', 'runaway_window',
                            'runaway_rise', 'runaway_fraction'),
    'heater': ('loop',),
    'system': (),
}

def check(config, board, secrets=None, by_module=None):
    """All problems of ``config`` on ``board``, one string each (see the module doc).
    ``board`` is a board's name or its declaration (``boards.capabilities``)."""
    if type(board) is str:
        from boards import capabilities, names
        try:
            board = capabilities(board)
        except KeyError:
            return ['unknown board %r: use %s' % (board, ', '.join(names()))]
    if type(config) is not dict:
        return ['the configuration must be a JSON object']
    problems = []
    ctx = _Context(config, board, secrets, problems, by_module)
    for key in config:
        if key not in TOP_LEVEL:
            problems.append("unknown top-level key %r (known: %s)" % (key, ', '.join(TOP_LEVEL)))
    _check_node(ctx)
    _check_board(ctx)
    _check_modules(ctx)
    _check_tcp(ctx)
    _check_discovery(ctx)
    _check_serial(ctx)
    _check_access(ctx)
    _check_watchdog(ctx)
    check_pins(ctx)
    return problems


class _Context:
    """The config being checked, the problems found and the pins in use."""

    def __init__(self, config, caps, secrets, problems, by_module):
        self.config = config
        self.caps = caps
        self.board = caps.NAME
        self.secrets = secrets
        self.problems = problems
        self.by_module = by_module
        self.module = None      # index of the module being checked
        self.pins = []          # (pin, user, label, module index) for the double-use check
        self.loops = []         # (index, config) of the loop modules, for the watchdog check
        self.spi_buses = {}     # bus -> (pins, SPI mode, chip) of its first chip (spicheck)
        board_cfg = config.get('board', {})
        self.board_cfg = board_cfg if type(board_cfg) is dict else {}
        net = self.board_cfg.get('network', {})
        self.network = type(net) is dict and net.get('enabled', False) is True
        self.wifi = self.network and net.get('interface', 'wifi') != 'ethernet'

    def add(self, text, modules=None):
        """A problem; it concerns ``modules`` (indexes), else the module being checked."""
        self.problems.append(text)
        if modules is None:
            modules = () if self.module is None else (self.module,)
        if self.by_module is not None:
            for index in modules:
                self.by_module.setdefault(index, []).append(text)

    def section(self, key):
        value = self.config.get(key, {})
        if type(value) is not dict:
            self.add('%s must be a JSON object' % key)
            return {}
        if key in _SECTION_KEYS:
            known_keys(self, key, value, _SECTION_KEYS[key])
        return value


# --- node ------------------------------------------------------------------------

def _check_node(ctx):
    node = ctx.section('node')
    if 'equipment_id' in node and not identifier(node['equipment_id']):
        ctx.add('node: equipment_id %r must be an identifier (letters, digits, _)'
                % (node['equipment_id'],))
    if node.get('secop_version', '1.1') not in ('1.1', '2.0'):
        ctx.add('node: secop_version must be "1.1" or "2.0"')
    implementor = node.get('implementor')
    if implementor is not None and (type(implementor) is not str or not implementor):
        ctx.add('node: implementor must be a non-empty name, e.g. "lab.example.org"')
    number(ctx, 'node', node, 'timeout', 1, 3600)
    state = node.get('state')
    if state is not None and (type(state) is not str or not state):
        ctx.add('node: state must be the name of the settings file, e.g. "state.json"')
    number(ctx, 'config', ctx.config, 'max_line', 64, 65536, integer=True)


# --- board section -------------------------------------------------------------------

def _check_board(ctx):
    cfg = ctx.section('board')
    where = 'board'
    number(ctx, where, cfg, 'vref_uv', 1000000, 5000000, integer=True)
    for key, low, high, integer in ctx.caps.SETTINGS:
        number(ctx, where, cfg, key, low, high, integer=integer)
    country = cfg.get('country')        # the Wi-Fi regulatory domain (boards/rp2)
    if country is not None and not (type(country) is str and len(country) == 2
                                    and country.isalpha() and country.isupper()):
        ctx.add('board: country must be a two-letter code such as "DE", not %r' % (country,))
    if ctx.caps.OUTPUT_PINS is None:
        return
    safe = cfg.get('safe_pins')
    if type(safe) is not list:
        ctx.add('board: safe_pins missing: list every heater pin, so safe_state() can '
                'switch them off before anything else runs')
    else:
        for pin in safe:
            output_pin(ctx, 'board.safe_pins', pin)
    if ctx.caps.WIFI:
        _check_network(ctx, cfg.get('network', {}))
    elif 'network' in cfg:
        ctx.add('board: %s has no network; remove board.network' % ctx.caps.TITLE)


def _check_network(ctx, net):
    where = 'board.network'
    if type(net) is not dict:
        ctx.add('%s must be a JSON object' % where)
        return
    if not flag(ctx, where, net, 'enabled'):
        return
    interface = net.get('interface', 'wifi')
    if interface not in ('wifi', 'ethernet'):
        ctx.add('%s: interface must be "wifi" or "ethernet", not %r' % (where, interface))
        return
    hostname = net.get('hostname')
    if hostname is not None and not _hostname(hostname):
        ctx.add('%s: hostname %r must be a DNS name of 1 to 63 letters, digits and hyphens '
                '(no underscore; it is also <hostname>.local by mDNS)' % (where, hostname))
    _check_ipv4(ctx, where, net.get('ipv4'))
    low = number(ctx, where, net, 'backoff_min', 0.1, 3600)
    high = number(ctx, where, net, 'backoff_max', 0.1, 86400)
    if low is not None and high is not None and high < low:
        ctx.add('%s: backoff_max %r below backoff_min %r' % (where, high, low))
    ntp = net.get('ntp', {})
    if type(ntp) is not dict:
        ctx.add('%s.ntp must be a JSON object' % where)
    else:
        if 'host' in ntp and (type(ntp['host']) is not str or not ntp['host']):
            ctx.add('%s.ntp: host must be a host name or IP address' % where)
        number(ctx, where + '.ntp', ntp, 'interval', 60, 604800)
    if interface == 'ethernet':
        _check_ethernet(ctx, where + '.ethernet', net.get('ethernet'))
        return
    if type(net.get('ssid')) is not str or not net.get('ssid'):
        ctx.add('%s: ssid missing: the name of the Wi-Fi network to join' % where)
    elif net['ssid'] in PLACEHOLDERS and ctx.secrets is not None:
        ctx.add('%s: ssid is still the placeholder %r: put the name of your Wi-Fi network'
                % (where, net['ssid']))
    number(ctx, where, net, 'connect_timeout', 1, 120)
    ap = net.get('ap', {})
    ap_on = type(ap) is dict and flag(ctx, where + '.ap', ap, 'enabled')
    if ap_on:
        if 'ssid' in ap and (type(ap['ssid']) is not str or not 0 < len(ap['ssid']) <= 32):
            ctx.add('%s.ap: ssid must be 1 to 32 characters' % where)
        number(ctx, where + '.ap', ap, 'after_failures', 1, 1000, integer=True)
    _check_secrets(ctx, ap_on)


def _hostname(name):
    if type(name) is not str or not 0 < len(name) <= 63 or name[0] == '-' or name[-1] == '-':
        return False
    return all('a' <= c <= 'z' or 'A' <= c <= 'Z' or '0' <= c <= '9' or c == '-' for c in name)


def _address(text):
    parts = text.split('.') if type(text) is str else ()
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _check_ipv4(ctx, where, ipv4):
    """A fixed address instead of DHCP: {address, netmask, gateway, dns}."""
    if ipv4 is None:
        return
    if type(ipv4) is not dict or 'address' not in ipv4:
        ctx.add('%s.ipv4: must be {"address": ..., "netmask": ..., "gateway": ..., "dns": ...} '
                '(leave it out for DHCP)' % where)
        return
    for key in ('address', 'netmask', 'gateway', 'dns'):
        if key in ipv4 and not _address(ipv4[key]):
            ctx.add('%s.ipv4: %s %r must be a dotted IPv4 address' % (where, key, ipv4[key]))


def _check_ethernet(ctx, where, eth):
    caps = ctx.caps
    if not caps.ETHERNET_PHYS:
        ctx.add('board.network: %s has no wired Ethernet; use "interface": "wifi"' % caps.TITLE)
        return
    if type(eth) is not dict:
        ctx.add('%s missing: the PHY and its pins (phy, mdc, mdio, ...)' % where)
        return
    phy = eth.get('phy', 'LAN8720')
    if phy not in caps.ETHERNET_PHYS:
        ctx.add('%s: phy must be one of %s, not %r' % (where, ', '.join(caps.ETHERNET_PHYS), phy))
        return
    number(ctx, where, eth, 'phy_addr', 0, 31, integer=True)
    if phy == 'W5500':
        _check_w5500(ctx, where, eth)
        return
    known_keys(ctx, where, eth, ('phy', 'phy_addr', 'mdc', 'mdio', 'power', 'ref_clk',
                                 'ref_clk_mode'))
    for key in ('mdc', 'mdio', 'power'):
        if key in eth:
            use_pin(ctx, eth[key], '%s.%s' % (where, key))
            if eth[key] not in caps.STRAPPING_PINS:     # no heater: a strapping pin will do
                output_pin(ctx, '%s.%s' % (where, key), eth[key])
        elif key != 'power':
            ctx.add('%s: missing %s pin' % (where, key))
    mode = eth.get('ref_clk_mode', 'in')
    clock_pins = caps.RMII_CLOCK_PINS.get(mode)
    if clock_pins is None:
        ctx.add('%s: ref_clk_mode must be "in" or "out", not %r' % (where, mode))
    else:
        clock = eth.get('ref_clk', clock_pins[0])
        if clock not in clock_pins:
            ctx.add('%s: ref_clk %r: the 50 MHz RMII clock comes %s on %s only'
                    % (where, clock, mode, listing(clock_pins)))
        use_pin(ctx, clock, '%s.ref_clk' % where)
    for pin in caps.RMII_PINS:
        use_pin(ctx, pin, 'Ethernet (RMII)')


class _W5500:
    NAME = 'W5500'
    PHASE = 0


def _check_w5500(ctx, where, eth):
    known_keys(ctx, where, eth, ('phy', 'phy_addr', 'spi', 'int'))
    spi = eth.get('spi')
    if type(spi) is not dict:
        ctx.add('%s: missing spi (bus, sck, mosi, miso, cs of the W5500)' % where)
    else:
        try:
            from boards import spicheck     # CPython: boards/ is a package
        except ImportError:
            import spicheck                 # MicroPython: boards/ itself is on the path
        spicheck.check(ctx, where, spi, _W5500)
    if 'int' not in eth:
        ctx.add('%s: missing int (the W5500 interrupt pin)' % where)
    else:
        use_pin(ctx, eth['int'], where + '.int')


def _check_secrets(ctx, ap_on):
    secrets = ctx.secrets
    if secrets is None:
        return
    hint = ' in secrets.json (copy boards/%s/secrets.example.json to secrets.json)' % ctx.board
    if type(secrets.get('wifi_password')) is not str:
        ctx.add('Wi-Fi is enabled but wifi_password is missing' + hint)
    if ap_on:
        password = secrets.get('ap_password')
        if type(password) is not str:
            ctx.add('the fallback access point is enabled but ap_password is missing' + hint
                    + '; use "" for an open access point')
        elif password and not 8 <= len(password) <= 63:
            ctx.add('ap_password must be 8 to 63 characters (WPA2), or "" for an open access point')


# --- modules ----------------------------------------------------------------------------

def _check_modules(ctx):
    modules = ctx.config.get('modules')
    if type(modules) is not list or not modules:
        ctx.add('modules missing: a list with at least one module')
        return
    names = []
    classes = MODULE_CLASSES + tuple(ctx.caps.MODULES)
    for index, cfg in enumerate(modules):
        ctx.module = index
        where = 'modules[%d]' % index
        if type(cfg) is not dict:
            ctx.add('%s must be a JSON object' % where)
            continue
        name = cfg.get('name')
        if not identifier(name):
            ctx.add('%s: name %r must be an identifier (letters, digits, _; at most 63)'
                    % (where, name))
        elif str(name).lower() in names:
            ctx.add('%s: module name %r used twice (names are case-insensitive)' % (where, name))
        else:
            where = "%s '%s'" % (where, name)
        names.append(name.lower() if type(name) is str else name)
        kind = cfg.get('class')
        if kind is None:
            ctx.add('%s: missing class (one of %s)' % (where, ', '.join(classes)))
            continue
        if kind not in classes:
            ctx.add('%s: unknown module class %r (known on %s: %s)'
                    % (where, kind, ctx.board, ', '.join(classes)))
            continue
        keys = _CLASS_KEYS.get(kind, ctx.caps.MODULES.get(kind))
        if type(keys) is str:               # a board's class that is checked like that one
            kind = keys
            keys = _CLASS_KEYS[kind]
        if keys is not None:                # a class that declares its keys
            known_keys(ctx, where, cfg, _MODULE_KEYS + keys)
        if kind in ('temperature', 'loop'):
            sensor = _check_sensor(ctx, where, cfg)
            if kind == 'loop':
                _check_loop(ctx, where, cfg, sensor)
            if sensor is not None and type(cfg.get('adc')) is dict:
                _check_sensor_safety(ctx, where, cfg, sensor, kind)
        elif kind == 'heater':
            _check_heater_module(ctx, where, cfg, modules[:index])
    for index, cfg in enumerate(modules):
        if type(cfg) is dict:
            ctx.module = index
            propcheck.check(ctx, 'modules[%d] %r' % (index, cfg.get('name')), cfg, names)
    ctx.module = None


def _check_sensor(ctx, where, cfg):
    """Checks adc (or a chip's spi) and sensor; returns the sensor (with t_min/t_max) or None."""
    sensor_cfg = cfg.get('sensor')
    chip = type(sensor_cfg) is dict and sensor_cfg.get('type') in chipconfig.CHIPS
    adc = cfg.get('adc')
    if chip:
        for key in ('adc', 'samples'):
            if key in cfg:
                ctx.add('%s: %s is for a sensor on an ADC; a %s is read over SPI (spi)'
                        % (where, key, sensor_cfg['type']))
        if type(cfg.get('spi')) is not dict:
            ctx.add('%s: missing spi (the bus and chip select of the %s)'
                    % (where, sensor_cfg['type']))
    elif 'spi' in cfg:
        ctx.add('%s: spi is for a converter chip (sensor type %s)'
                % (where, ', '.join(chipconfig.CHIPS)))
    elif type(adc) is not dict:
        ctx.add('%s: missing adc (the input the sensor is wired to)' % where)
    else:
        adc_pin(ctx, where + '.adc', adc)
    number(ctx, where, cfg, 'samples', 1, 256, integer=True)
    if type(sensor_cfg) is not dict:
        ctx.add('%s: missing sensor (type and constants of the temperature sensor)' % where)
        return None
    vref = ctx.board_cfg.get('vref_uv', 3300000)
    try:
        sensor = sensorconfig.from_config(sensor_cfg, vref if is_number(vref) and vref > 0
                                          else 3300000)
    except (ValueError, TypeError, KeyError) as exc:
        ctx.add('%s.sensor: %s' % (where, exc))
        return None
    if chip and type(cfg.get('spi')) is dict:
        try:
            from boards import spicheck         # CPython: boards/ is a package
        except ImportError:
            import spicheck                     # MicroPython: boards/ itself is on the path
        spicheck.check(ctx, where, cfg['spi'], sensor)
    return sensor


def _check_sensor_safety(ctx, where, cfg, sensor, kind):
    """ADC window and over-temperature rules (boards/sensorcheck.py)."""
    try:
        from boards import sensorcheck      # CPython: boards/ is a package
    except ImportError:
        import sensorcheck                  # MicroPython: boards/ itself is on the path
    overtemp = cfg.get('overtemp') if kind == 'loop' else None
    for text in sensorcheck.problems(ctx.caps, ctx.board_cfg, cfg['adc'], sensor,
                                     overtemp if is_number(overtemp) else None):
        ctx.add('%s.sensor: %s' % (where, text))


def _check_loop(ctx, where, cfg, sensor):
    ctx.loops.append((ctx.module, cfg))
    _check_heater_output(ctx, where, cfg.get('heater'))
    t_min = number(ctx, where, cfg, 't_min', required=True)
    t_max = number(ctx, where, cfg, 't_max', required=True)
    if t_min is not None and t_max is not None and not t_min < t_max:
        ctx.add('%s: t_min %r must be below t_max %r' % (where, t_min, t_max))
    if sensor is not None:
        if t_min is not None and t_min < sensor.t_min:
            ctx.add('%s: t_min %r is below the sensor range (%s..%s)'
                    % (where, t_min, sensor.t_min, sensor.t_max))
        if t_max is not None and t_max > sensor.t_max:
            ctx.add('%s: t_max %r is above the sensor range (%s..%s): the heater would be '
                    'allowed to drive the block beyond what the sensor can measure'
                    % (where, t_max, sensor.t_min, sensor.t_max))
    if 'overtemp' not in cfg:
        ctx.add('%s: overtemp missing: the heater would run without an over-temperature limit'
                % where)
    else:
        overtemp = number(ctx, where, cfg, 'overtemp')
        if overtemp is not None and t_max is not None and not overtemp > t_max:
            ctx.add('%s: overtemp %r must be above t_max %r' % (where, overtemp, t_max))
    _check_gains(ctx, where, cfg.get('pid', [0, 0, 0]))
    number(ctx, where, cfg, 'period', 0.05, 60)
    number(ctx, where, cfg, 'tolerance', 0.001, 100)
    number(ctx, where, cfg, 'window', 0, 3600)
    number(ctx, where, cfg, 'timeout', 0, 86400)
    number(ctx, where, cfg, 'ramp', 0, 100)
    number(ctx, where, cfg, 'runaway_window', 0, 3600)
    number(ctx, where, cfg, 'runaway_rise', 0.01, 100)
    number(ctx, where, cfg, 'runaway_fraction', 0.05, 1)


def _check_gains(ctx, where, pid):
    if type(pid) is not list or len(pid) != 3 or \
            not all(is_number(g) and g >= 0 for g in pid):
        ctx.add('%s: pid must be three numbers >= 0 [p, i, d], not %r' % (where, pid))


def _check_heater_output(ctx, where, heater):
    where = where + '.heater'
    if type(heater) is not dict:
        ctx.add('%s missing: pin, freq and rated_power of the heater output' % where)
        return
    power = heater.get('rated_power')
    if not is_number(power) or power <= 0:  # pyright: ignore[reportOptionalOperand]
        ctx.add('%s: rated_power must be the heater power in W (> 0), not %r' % (where, power))
    no_pins = ctx.caps.OUTPUT_PINS is None
    number(ctx, where, heater, 'freq', ctx.caps.PWM_FREQ_MIN, ctx.caps.PWM_FREQ_MAX,
           required=not no_pins)
    if 'enable' in heater:
        _check_enable(ctx, where + '.enable', heater['enable'])
    if no_pins:
        return
    pin = claim_pin(ctx, where, heater)
    if pin is None or not _safe_output(ctx, where, pin):
        return
    if ctx.caps.TIMERS:
        _check_timer(ctx, where, heater, pin)


def _check_enable(ctx, where, enable):
    """The relay in series with the heater: an output pin that boots low."""
    if type(enable) is not dict:
        ctx.add('%s must be an object: {"pin": ...} of the relay in series with the heater'
                % where)
        return
    pins = ctx.caps.ENABLE_PINS
    if pins is None:
        return
    pin = claim_pin(ctx, where, enable)
    if pin is None or not _safe_output(ctx, where, pin):
        return
    if pin not in pins:
        ctx.add('%s: pin %r cannot drive the relay; use one of %s' % (where, pin, listing(pins)))


def _safe_output(ctx, where, pin):
    """An output pin that safe_state() switches off at boot; False if no output."""
    if not output_pin(ctx, where, pin):
        return False
    safe = ctx.board_cfg.get('safe_pins')
    if type(safe) is list and pin not in safe:
        ctx.add('%s: pin %r is missing from board.safe_pins, so safe_state() would not '
                'switch it off at boot' % (where, pin))
    return True


def _check_timer(ctx, where, heater, pin):
    timer = heater.get('timer')
    channel = heater.get('channel')
    timers, reserved = ctx.caps.TIMERS, ctx.caps.RESERVED_TIMERS
    choices = [pair for pair in timers[pin] if pair[0] not in reserved]
    if (timer, channel) not in timers[pin]:
        ctx.add('%s: pin %s is not timer %r channel %r; use %s' % (
            where, pin, timer, channel,
            ' or '.join('"timer": %d, "channel": %d' % pair for pair in choices)))
    elif timer in reserved:
        ctx.add('%s: timer %d %s; use %s' % (
            where, timer, reserved[timer],
            ' or '.join('"timer": %d, "channel": %d' % pair for pair in choices)))
    else:
        use_pin(ctx, ('timer', timer, channel), where, 'timer %d channel %d' % (timer, channel))


def _check_heater_module(ctx, where, cfg, before):
    loop = cfg.get('loop')
    for other in before:
        if type(other) is dict and other.get('name') == loop and 'loop' in (
                other.get('class'), ctx.caps.MODULES.get(other.get('class'))):
            return
    ctx.add('%s: loop %r must name a loop module listed before this one' % (where, loop))


# --- transports ------------------------------------------------------------------------------

def _check_tcp(ctx):
    tcp = ctx.section('tcp')
    where = 'tcp'
    if not tcp.get('enabled', True):
        return
    if not ctx.caps.NETWORK:
        ctx.add('tcp: %s has no network; set "tcp": {"enabled": false}' % ctx.caps.TITLE)
        return
    number(ctx, where, tcp, 'port', 1, 65535, integer=True)
    number(ctx, where, tcp, 'max_clients', 1, MAX_CLIENTS, integer=True)
    number(ctx, where, tcp, 'idle_timeout', 0, 86400)
    bind = tcp.get('bind', '0.0.0.0')
    if ctx.caps.WIFI and bind != '0.0.0.0':
        ctx.add('tcp: bind must be "0.0.0.0" on %s: an address bound to one interface '
                'stops serving when Wi-Fi reconnects with another one' % ctx.caps.TITLE)
    if ctx.caps.WIFI and not ctx.network:
        ctx.add('tcp: enabled, but board.network is not: nothing would reach the server')


def _check_discovery(ctx):
    cfg = ctx.section('discovery')
    if not flag(ctx, 'discovery', cfg, 'enabled'):
        return              # (without TCP it stays off: there is no port to announce)
    for key in ('port', 'announce_port'):
        number(ctx, 'discovery', cfg, key, 1, 65535, integer=True)
    number(ctx, 'discovery', cfg, 'interval', 0, 86400)


def _check_serial(ctx):
    serial = ctx.section('serial')
    where = 'serial'
    tcp = ctx.config.get('tcp', {})
    tcp_on = ctx.caps.NETWORK and (type(tcp) is not dict or tcp.get('enabled', True))
    if not flag(ctx, where, serial, 'enabled'):
        if not tcp_on:
            ctx.add('no transport enabled: enable tcp or serial')
        return
    uarts = ctx.caps.UARTS
    if uarts is None:
        if type(serial.get('path')) is not str:
            ctx.add('serial: path missing: the tty (pty) the node serves')
        return
    number(ctx, where, serial, 'baudrate', 300, 2000000, integer=True)
    number(ctx, where, serial, 'rxbuf', 64, 16384, integer=True)
    uart = serial.get('uart')
    if uart not in uarts:
        ctx.add('serial: uart must be one of %s, not %r' % (
            ', '.join(repr(u) if type(u) is str else str(u) for u in uarts), uart))
        return
    if uarts[uart] is not None:         # the UART's own pins
        for pin in uarts[uart]:
            use_pin(ctx, pin, 'serial (UART %d)' % uart)
        return
    for key in ('tx', 'rx'):
        if key not in serial:
            ctx.add('serial: missing %s pin' % key)
            continue
        pin = serial[key]
        use_pin(ctx, pin, 'serial.' + key)
        if key == 'tx':
            output_pin(ctx, 'serial.tx', pin)
        elif pin not in ctx.caps.OUTPUT_PINS and pin not in ctx.caps.INPUT_ONLY_PINS:
            ctx.add('serial.rx: pin %r cannot be a UART input' % (pin,))


# --- access ---------------------------------------------------------------------------------

def _check_access(ctx):
    access = ctx.section('access')
    flag(ctx, 'access', access, 'read_only')
    for key in ('allow', 'writers'):
        value = access.get(key)
        if value is not None and (type(value) is not list
                                  or any(type(item) is not str for item in value)):
            ctx.add('access.%s must be a list of strings' % key)
    for item in access.get('allow') or ():
        if type(item) is str and item.count(':') != 1:
            ctx.add("access.allow: %r must be 'module:accessible'" % (item,))


# --- watchdog --------------------------------------------------------------------------------

def _check_watchdog(ctx):
    wdt = number(ctx, 'config', ctx.config, 'watchdog_ms', 0, integer=True)
    if ctx.caps.OUTPUT_PINS is None:        # no hardware watchdog to check
        return
    if not wdt:
        if ctx.loops and 'watchdog_ms' not in ctx.config:
            ctx.add('watchdog_ms missing: a board that drives a heater needs its hardware '
                    'watchdog, fed only while the control steps run (e.g. 8000; 0 switches '
                    'it off knowingly)')
        return
    if not ctx.loops:
        ctx.add('watchdog_ms: the watchdog is fed by the control loops and there is none; '
                'set watchdog_ms to 0')
        return
    if wdt < 1000:
        ctx.add('watchdog_ms: %d is too short, use at least 1000' % wdt)
    limit = ctx.caps.WATCHDOG_MAX_MS
    if limit and wdt > limit:
        ctx.add('watchdog_ms: the watchdog of %s allows at most %d' % (ctx.caps.TITLE, limit))
    for index, loop in ctx.loops:
        period = loop.get('period', 1.0)
        if is_number(period) and wdt < 4 * period * 1000:
            ctx.add("watchdog_ms: %d is below 4 control periods of '%s' (%d ms)"
                    % (wdt, loop.get('name'), 4 * period * 1000), (index,))
