"""Boot: read config.json, check its structure, build the modules and the node.

Order at start: the config's structure is checked (``guard``; the full rules
run on the host before a deploy, boards/configcheck.py), heater outputs off
(``board.safe_state()``); a module with a problem is replaced by one in ERROR
that says why, so its heater stays off while SECoP still serves; then the app
starts the transports and the periodic tasks.  ``problems`` in the config are
ones the host found and let through (the simulator does, to show how the node
reacts): ``[module index or null, text]`` pairs, so exactly those modules stand
in ERROR.  A config.json that cannot be read at all gives a minimal node (no
heater) whose description and status say what is wrong, on the transports the
board offers for that case (``fallback_transports``).

This module runs once: ``app`` forgets it afterwards, so nothing built here
keeps a reference to its functions, except a ``ConfigError`` module (its class
keeps this module in the heap: a node with a config error is short of that
module anyway).  It is not called boot.py: a board runs a file of that name
by itself.
"""

import json

import registry
from secop.errors import SECoPError
from secop.module import ERROR, Readable
from secop.node import Node, forget

FIRMWARE = 'secop-micropython 0.1.0'
_SECTIONS = ('node', 'tcp', 'discovery', 'serial', 'access', 'board')
_DESCRIBED = ('description', 'group', 'visibility', 'meaning', 'implementor')   # read by describe only


class ConfigError(Readable):
    """Stands in for a module whose configuration is invalid."""

    implementation = 'builder.ConfigError'

    def __init__(self, name, clock, message):
        Readable.__init__(self, name, 'not configured: ' + message, clock)
        self.set_status(ERROR, 'config error: ' + message)
        self.set_error('value', SECoPError('Disabled', 'config error: ' + message))


def build(app, problems=None, broken='', description_file=None):
    """The modules of ``app.config`` (see registry) and the node, ``app.node``.
    ``problems``: {module index: [text]} the host found (``start``)."""
    problems = problems or {}
    config = app.config
    if description_file is None:        # this node describes itself
        import configform
        configform.one_form(config)
        forget('configform')
    else:                               # what only the description says is in its file
        for cfg in config['modules']:
            for key in _DESCRIBED:
                cfg.pop(key, None)
    modules = []
    for index, cfg in enumerate(config['modules']):
        name = cfg.get('name', 'module%d' % index)
        mine = problems.get(index)     # from configcheck, by module index
        try:
            if mine:
                raise ValueError(mine[0])
            kind = cfg['class']
            loader = registry.MODULES.get(kind) or app.board.modules.get(kind)
            if loader is None:
                raise ValueError('unknown module class %r' % kind)
            modules.append(loader()(app, cfg, modules))
        except (KeyError, ValueError, TypeError) as exc:
            modules.append(ConfigError(name, app.clock, 'missing setting %s' % exc.args[0]
                                       if isinstance(exc, KeyError) else str(exc)))
    if broken:
        modules.append(ConfigError('config', app.clock, broken))
    forget('control.sensorconfig')
    forget('control.chipconfig')
    forget('modules.loopparams')
    config['modules'] = ()      # each module took what it needs from its entry
    node_cfg = config.get('node', {})
    access = config.get('access', {})
    writers = access.get('writers')
    app.node = Node(node_cfg.get('equipment_id') or default_id(app.board),
                    node_cfg.get('description', 'MicroPython SECoP node'),
                    modules, app.clock, firmware=node_cfg.get('firmware', FIRMWARE),
                    secop_version=node_cfg.get('secop_version', '1.1'),
                    properties=() if description_file else tuple(
                        (key, node_cfg[key]) for key in ('implementor', 'timeout')
                        if key in node_cfg),
                    read_only=access.get('read_only', False),
                    allow=tuple(access.get('allow', ())),
                    writers=None if writers is None else tuple(writers),
                    description_file=description_file)


def _restore_settings(app, path):
    """The settings kept on flash, restored before the node serves."""
    import settings
    settings.console = app.console
    app.store = settings.Store(path, app.node.modules)
    app.store.restore()


def default_id(board):
    """``secop_`` and the board's unique id in hex (``machine.unique_id()``, the MCU's
    serial number; a board without ``machine`` may hold bytes in ``unique_id``): every
    board of a fleet deployed with one config is a node of its own, and clients
    key their data on the id."""
    uid = getattr(board, 'unique_id', None)
    try:
        if uid is None:
            import machine
            uid = machine.unique_id()
    except (AttributeError, ImportError, OSError):
        return 'secop_micropython'
    return 'secop_' + ''.join('%02x' % byte for byte in uid)


def guard(config):
    """The structure the node needs to start, checked on the device; the full
    rules run on the host (tools/check_config.py; ``make deploy`` refuses a
    config with problems).  A section that is not an object is left out; a
    module entry that is not an object with a unique name stands in ERROR."""
    problems = []
    for key in _SECTIONS:
        if type(config.get(key, {})) is not dict:
            problems.append('%r must be a JSON object: left out' % key)
            del config[key]
    modules = config.get('modules')
    if type(modules) is not list:
        problems.append("'modules' must be a list")
        modules = config['modules'] = []
    names = []
    for i, cfg in enumerate(modules):
        name = cfg.get('name') if type(cfg) is dict else None
        if type(name) is not str or name in names:
            name = 'module%d' % i
            modules[i] = {'name': name}
            problems.append("'%s': not an object with a unique name" % name)
        names.append(name)
    return problems


def load_config(path):
    """(config, '', key), or (None, why, None) if config.json cannot be read as a
    JSON object; ``key`` is the file's checksum (``config_key``)."""
    try:
        with open(path, 'rb') as f:
            text = f.read()
        config = json.loads(text)
    except (OSError, ValueError) as exc:
        return None, '%s cannot be read: %s' % (path, str(exc) or type(exc).__name__), None
    if type(config) is not dict:
        return None, '%s must hold a JSON object' % path, None
    if b'\\ud' in text or b'\\uD' in text:      # an escaped surrogate, perhaps
        import wholetext
        wholetext.whole_characters(config)
        forget('wholetext')
    return config, '', config_key(text)


def config_key(data):
    """The Fletcher-32 checksum of config.json's bytes, 8 hex digits: the key of the
    describing line prepared for it.  (``binascii.crc32`` is not on every port, and in
    some it is Python code that would stay loaded.)"""
    low = high = 0
    for byte in data:
        low = (low + byte) % 65535
        high = (high + low) % 65535
    return '%04x%04x' % (high, low)


def prepared_description(config_path, key):
    """The ``describing`` line the host prepared for this config
    (tools/compile_node.py writes describing.txt beside config.json), or None if
    there is none or it was made for another config: then the node builds its own."""
    path = config_path.rpartition('/')[0] or '.'
    path += '/describing.txt'
    try:
        with open(path) as f:
            mark = f.read(8)
    except OSError:
        return None
    return path if mark == key else None


def start(config_path, app_class, board_module=None, kept=True, prepared=True):
    """(app, board) ready to run, heater outputs off; None if there is nothing
    to serve on.  ``app_class``: app.App (given, so that this module need not
    import the app that imports it); ``kept``: restore the settings kept on flash
    (``node.state``); ``prepared``: serve the prepared describing line if one
    matches.  tools/compile_node.py builds the node without either: it writes
    that line, from a node that describes itself."""
    if board_module is None:
        import board as board_module
    config, broken, key = load_config(config_path)
    if config is None:
        # no heater pin is known, so none has been configured or driven
        config = board_module.fallback_transports(config_path)
        if config is None:
            print('config error: %s; heater off, no transport to serve on' % broken)
            return None
        config['node'] = {'equipment_id': 'broken_config',
                          'description': 'config error: ' + broken}
        config['modules'] = []
    problems = guard(config)
    by_module = {}
    for index, text in config.pop('problems', ()):     # found on the host (tools/sim.py)
        problems.append(text)
        if index is not None:
            by_module.setdefault(index, []).append(text)
    board = board_module.Board(config.get('board', {}))
    board.safe_state()
    app = app_class(config, board)
    build(app, by_module, broken, prepared_description(config_path, key) if prepared else None)
    state = config.get('node', {}).get('state')
    if state and kept:
        _restore_settings(app, str(state))
    if broken:
        app.console('config error: %s; heater off, serving a minimal node' % broken)
    for problem in problems:
        app.console('config: ' + problem)
    return app, board
