"""Builds the node from a board and its JSON config, and runs it.

Order at start: the config's structure is checked (``guard``; the full rules
run on the host before a deploy, boards/configcheck.py), heater outputs off
(``board.safe_state()``); a module with a problem is replaced by one in ERROR
that says why, so its heater stays off while SECoP still serves; then the
transports and the periodic tasks.  ``problems`` in the config are ones the
host found and let through (the simulator does, to show how the node reacts):
``[module index or null, text]`` pairs, so exactly those modules stand in ERROR.
A config.json that cannot be read at all gives a minimal node (no heater)
whose description and status say what is wrong, on the transports the board
offers for that case (``fallback_transports``).

Module classes and transports come from ``registry`` by name and are imported
only when the config uses them.  Every task is supervised: an exception is logged (SECoP ``log`` and the
console) and the task restarts after a back-off.  Each loop's heater is
behind its interlock (``control.interlock``); one watch task checks them every
half control period and feeds the hardware watchdog only while every control
step keeps its lease.
"""

import asyncio
import gc
import json
from micropython import const

import registry
from secop.errors import SECoPError
from secop.module import ERROR, Readable
from secop.node import Node

FIRMWARE = 'secop-micropython 0.1.0'
_RESTART_MIN_MS = const(1000)      # back-off of a task that failed: doubles up to the max
_RESTART_MAX_MS = const(60000)


class ConfigError(Readable):
    """Stands in for a module whose configuration is invalid."""

    implementation = 'app.ConfigError'

    def __init__(self, name, clock, message):
        Readable.__init__(self, name, 'not configured: ' + message, clock)
        self.set_status(ERROR, 'config error: ' + message)
        self.set_error('value', SECoPError('Disabled', 'config error: ' + message))


class App:
    """The node, its modules and the tasks that keep them running."""

    def __init__(self, config, board, problems=None, broken=''):
        self.config = config
        self.board = board
        serial = config.get('serial', {})
        # the console is the SECoP line (Pyboard USB VCP): nothing may be printed on it
        console = board.console
        self.quiet = console is not None and serial.get('enabled', False) and \
            serial.get('uart') == console
        self.clock = board.clock()
        self.loops = []
        self.tcp = None
        self.node = None
        modules = []
        for index, cfg in enumerate(config['modules']):
            name = cfg.get('name', 'module%d' % index)
            mine = (problems or {}).get(index)     # from configcheck, by module index
            try:
                if mine:
                    raise ValueError(mine[0])
                modules.append(self.build(cfg, modules))
            except (KeyError, ValueError, TypeError) as exc:
                modules.append(ConfigError(name, self.clock, _describe_config_error(exc)))
        if broken:
            modules.append(ConfigError('config', self.clock, broken))
        node_cfg = config.get('node', {})
        access = config.get('access', {})
        writers = access.get('writers')
        self.node = Node(node_cfg.get('equipment_id', 'secop_micropython'),
                         node_cfg.get('description', 'MicroPython SECoP node'),
                         modules, self.clock, firmware=node_cfg.get('firmware', FIRMWARE),
                         secop_version=node_cfg.get('secop_version', '1.1'),
                         read_only=access.get('read_only', False),
                         allow=tuple(access.get('allow', ())),
                         writers=None if writers is None else tuple(writers))
        self.store = None
        if node_cfg.get('state'):           # settings kept on flash: restored before serving
            import settings
            settings.console = self.console
            self.store = settings.Store(str(node_cfg['state']), self.node.modules)
            self.store.restore()

    def build(self, cfg, built):
        """The module of one config entry, by its class (see registry)."""
        kind = cfg['class']
        loader = registry.MODULES.get(kind) or self.board.modules.get(kind)
        if loader is None:
            raise ValueError('unknown module class %r' % kind)
        return loader()(self, cfg, built)

    def common(self, cfg):
        """(name, description, SECoP properties) of a module's config entry."""
        props = {}
        for key in ('group', 'visibility', 'meaning', 'implementor'):
            if key in cfg:
                props[key] = cfg[key]
        return cfg['name'], cfg.get('description', cfg['name']), props

    def thermometer(self, cfg):
        from control import sensors
        from modules.temperature import Thermometer
        board = self.board
        sensor = sensors.from_config(cfg['sensor'], board.vref_uv)
        return Thermometer(board.adc(cfg['adc']), sensor, cfg.get('samples', 16),
                           board.adc_window(cfg['adc']))

    @staticmethod
    def find(modules, name):
        for module in modules:
            if module.name == name:
                return module
        raise ValueError('no module %r to refer to' % name)

    def clients(self):
        return len(self.node.sessions) if self.node else 0

    def dropped(self):
        return self.node.dropped if self.node else 0

    def reset_settings(self):
        import settings
        node = self.node
        assert node is not None     # commands arrive only once the node serves
        settings.reset(node.modules)
        if self.store is not None:
            self.store.save()

    # --- tasks --------------------------------------------------------------

    def console(self, text):
        if not self.quiet:
            print(text)

    def _report(self, name, text):
        """A task failed: SECoP ``log`` (system module, else the first) and console.
        Never raises: a MemoryError here must not end the supervisor."""
        try:
            self.console('task %s: %s' % (name, text))
            node = self.node
            if node is not None and node.modules:
                about = _find_or(node.modules, 'system', node.modules[0])
                node.log(about, 'error', 'task %s: %s' % (name, text))
        except Exception:
            pass

    async def _supervise(self, name, factory):
        """Run ``factory()``; restart it after an exception, with back-off."""
        board = self.board
        clock = self.clock
        delay = _RESTART_MIN_MS
        while True:
            started = clock.read()
            try:
                await factory()
                why = 'ended'
            except Exception as exc:
                why = 'failed: %r' % (exc,)
            if clock.diff(clock.read(), started) > _RESTART_MAX_MS:
                delay = _RESTART_MIN_MS         # it ran well for a while: a fresh start
            self._report(name, '%s; restart in %d ms' % (why, delay))
            await board.sleep_ms(delay)
            delay = min(2 * delay, _RESTART_MAX_MS)

    def start_task(self, name, factory):
        asyncio.create_task(self._supervise(name, factory))

    async def _poll(self, module):
        while True:
            self.clock.read()
            try:
                module.poll()
            except Exception as exc:  # a broken poll must not end the others
                module.log(module, 'error', 'poll failed: %r' % (exc,))
            await self.board.sleep_ms(int(module.get('pollinterval') * 1000))

    async def _control(self, loop):
        """One step per control period.  A step that raises ends the lease at once
        (``fail``); if even that raises, the supervisor restarts this task and the
        lease, not renewed meanwhile, keeps the heater off."""
        board = self.board
        clock = self.clock
        last = clock.read()
        while True:
            await board.sleep_ms(loop.period_ms)
            now = clock.read()
            try:
                loop.step(now, clock.diff(now, last) / 1000)
            except Exception as exc:
                loop.fail(exc)
            last = now

    async def _watch(self, watchdog):
        """Every half control period: each interlock switches off without a permit;
        the hardware watchdog is fed only while every control step holds its lease."""
        board = self.board
        loops = self.loops
        interval = min([loop.interlock.check_ms for loop in loops] or [500])
        while True:
            held = True
            for loop in loops:
                if not loop.watch():
                    held = False
            if held and watchdog is not None:
                watchdog.feed()
            await board.sleep_ms(interval)

    async def run(self):
        node = self.node
        assert node is not None     # built in __init__; narrows the type for pyright
        config = self.config
        served = []
        for section, default, loader in registry.TRANSPORTS:
            cfg = config.get(section, {})
            if cfg.get('enabled', default):
                what = await loader()(self, cfg)
                if what:
                    served.append(what)
        for module in node.modules:
            if module not in self.loops:
                self.start_task('poll ' + module.name, lambda m=module: self._poll(m))
        watchdog = self.board.watchdog(config.get('watchdog_ms', 0))
        for loop in self.loops:
            self.start_task('control ' + loop.name, lambda lp=loop: self._control(lp))
        self.start_task('watch', lambda: self._watch(watchdog))
        for name, factory in self.board.tasks(node):
            self.start_task(name, factory)
        store = self.store
        if store is not None:
            self.start_task('settings', lambda: store.run(self.board.sleep_ms))
        gc.collect()
        self.console('SECoP node serving ' + ' '.join(served))
        while True:
            await asyncio.sleep(3600)


def _find_or(modules, name, default):
    for module in modules:
        if module.name == name:
            return module
    return default


def _describe_config_error(exc):
    if isinstance(exc, KeyError):
        return 'missing setting %s' % exc.args[0]
    return str(exc)


_SECTIONS = ('node', 'tcp', 'discovery', 'serial', 'access', 'board')


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
    """(config, ''), or (None, why) if config.json cannot be read as a JSON object."""
    try:
        with open(path) as f:
            config = json.load(f)
    except (OSError, ValueError) as exc:
        return None, '%s cannot be read: %s' % (path, str(exc) or type(exc).__name__)
    if type(config) is not dict:
        return None, '%s must hold a JSON object' % path
    return config, ''


def main(config_path='config.json', board_module=None):
    """Entry point on a board (``main.py``) and on the host (tools/sim.py)."""
    if board_module is None:
        import board as board_module
    config, broken = load_config(config_path)
    if config is None:
        # no heater pin is known, so none has been configured or driven
        config = board_module.fallback_transports(config_path)
        if config is None:
            print('config error: %s; heater off, no transport to serve on' % broken)
            return
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
    app = App(config, board, by_module, broken)
    if broken:
        app.console('config error: %s; heater off, serving a minimal node' % broken)
    for problem in problems:
        app.console('config: ' + problem)
    try:
        asyncio.run(app.run())
    finally:
        board.safe_state()
        asyncio.new_event_loop()
