"""Builds the node from a board and its JSON config, and runs it.

Order at start: the config's structure is checked (``guard``; the full rules
run on the host before a deploy, boards/configcheck.py), heater outputs off
(``board.safe_state()``); a module with a problem is replaced by one in ERROR
that says why, so its heater stays off while SECoP still serves; then the
transports and the periodic tasks.  ``problems`` in the config are ones the
host found and let through (the simulator does, to show how the node reacts):
``[module index or null, text]`` pairs, so exactly those modules stand in ERROR.
"""

import asyncio
import gc
import json
import time

from control import sensors
from modules.heater import HeaterModule, HeaterOutput
from modules.loop import TemperatureLoop
from modules.system import System
from modules.temperature import TemperatureSensor, Thermometer
from secop.errors import SECoPError
from secop.module import ERROR, Readable
from secop.node import Node
from transport.serial import serve_serial
from transport.tcp import TcpServer

FIRMWARE = 'secop-micropython 0.1.0'


class ConfigError(Readable):
    """Stands in for a module whose configuration is invalid."""

    implementation = 'app.ConfigError'

    def __init__(self, name, clock, message):
        Readable.__init__(self, name, 'not configured: ' + message, clock)
        self.set_status(ERROR, 'config error: ' + message)
        self.set_error('value', SECoPError('Disabled', 'config error: ' + message))


class App:
    """The node, its modules and the tasks that keep them running."""

    def __init__(self, config, board, problems=None):
        self.config = config
        self.board = board
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
                modules.append(self._module(cfg, modules))
            except (KeyError, ValueError, TypeError) as exc:
                modules.append(ConfigError(name, self.clock, _describe_config_error(exc)))
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
            self.store = settings.Store(str(node_cfg['state']), self.node.modules)
            self.store.restore()

    def _module(self, cfg, built):
        kind = cfg['class']
        name = cfg['name']
        description = cfg.get('description', name)
        props = {}
        for key in ('group', 'visibility', 'meaning', 'implementor'):
            if key in cfg:
                props[key] = cfg[key]
        clock = self.clock
        if kind == 'temperature':
            return TemperatureSensor(name, description, clock, self._thermometer(cfg), **props)
        if kind == 'loop':
            heater = cfg['heater']
            output = HeaterOutput(self.board.pwm(heater), heater['rated_power'])
            gains = cfg.get('pid', (30.0, 0.5, 60.0))
            loop = TemperatureLoop(
                name, description, clock, self._thermometer(cfg), output,
                t_min=cfg.get('t_min', -50.0), t_max=cfg.get('t_max', 200.0),
                overtemp=cfg.get('overtemp'), gains=(gains[0], gains[1], gains[2]),
                tolerance=cfg.get('tolerance', 0.1), window=cfg.get('window', 30.0),
                timeout=cfg.get('timeout', 900.0), ramp=cfg.get('ramp', 0.0),
                i_band=cfg.get('i_band', 0.0), **props)
            loop.period_ms = int(cfg.get('period', 1.0) * 1000)
            self.loops.append(loop)
            return loop
        if kind == 'heater':
            loop = _find(built, cfg['loop'])
            if not isinstance(loop, TemperatureLoop):
                raise ValueError('%s is not a working temperature loop' % cfg['loop'])
            return HeaterModule(name, description, clock, loop, **props)
        if kind == 'system':
            return System(name, description, clock, self._clients, self.board.reset_cause(),
                          self._dropped, self._reset_settings, **props)
        module = self.board.module(kind, cfg, clock)
        if module is None:
            raise ValueError('unknown module class %r' % kind)
        return module

    def _thermometer(self, cfg):
        sensor = sensors.from_config(cfg['sensor'], self.board.vref_uv)
        return Thermometer(self.board.adc(cfg['adc']), sensor, cfg.get('samples', 16))

    def _clients(self):
        return len(self.node.sessions) if self.node else 0

    def _dropped(self):
        return self.node.dropped if self.node else 0

    def _reset_settings(self):
        import settings
        node = self.node
        assert node is not None     # commands arrive only once the node serves
        settings.reset(node.modules)
        if self.store is not None:
            self.store.save()

    # --- tasks --------------------------------------------------------------

    async def _poll(self, module):
        while True:
            self.clock.read()
            try:
                module.poll()
            except Exception as exc:  # a broken poll must not end the others
                module.log(module, 'error', 'poll failed: %r' % (exc,))
            await asyncio.sleep_ms(int(module.get('pollinterval') * 1000))

    async def _control(self, loop):
        board = self.board
        last = board.monotonic_ms()
        while True:
            await board.sleep_ms(loop.period_ms)
            now = board.monotonic_ms()
            try:
                loop.step(now, time.ticks_diff(now, last) / 1000)
                loop.progress_ms = now
            except Exception as exc:
                loop.fail(exc)
            last = now

    async def _watch(self, loop, watchdog):
        """Heater off if a control step is overdue; the WDT is fed only while steps run."""
        board = self.board
        loop.progress_ms = board.monotonic_ms()
        limit = 3 * loop.period_ms
        stalled = False
        while True:
            await board.sleep_ms(loop.period_ms)
            late = time.ticks_diff(board.monotonic_ms(), loop.progress_ms) > limit
            if late and not stalled:
                loop.stalled()
            stalled = late
            if watchdog is not None and not late:
                watchdog.feed()

    async def run(self):
        node = self.node
        assert node is not None     # built in __init__; narrows the type for pyright
        config = self.config
        max_line = config.get('max_line', 1024)
        tcp = config.get('tcp', {})
        served = []
        if tcp.get('enabled', True):
            self.tcp = TcpServer(self.node, tcp.get('bind', '0.0.0.0'), tcp.get('port', 10767),
                                 tcp.get('max_clients', 8), max_line, tcp.get('idle_timeout', 0))
            await self.tcp.start()
            served.append('tcp=%s:%d' % (self.tcp.host, self.tcp.port))
            discovery = config.get('discovery', {})
            if discovery.get('enabled', False):
                from transport import discovery as udp      # lazy: only when enabled
                served.append(udp.start(node, self.tcp.port, discovery, self.board) or 'udp=off')
        serial = config.get('serial', {})
        if serial.get('enabled', False):
            asyncio.create_task(serve_serial(
                self.node, lambda: self.board.open_serial(serial), max_line,
                present=self.board.serial_presence(serial)))
            served.append('uart=%s' % serial.get('path', serial.get('uart', '')))
        for module in node.modules:
            if module not in self.loops:
                asyncio.create_task(self._poll(module))
        watchdog = self.board.watchdog(config.get('watchdog_ms', 0))
        for loop in self.loops:
            asyncio.create_task(self._control(loop))
            asyncio.create_task(self._watch(loop, watchdog))
        for task in self.board.tasks(self.node):
            asyncio.create_task(task)
        if self.store is not None:
            asyncio.create_task(self.store.run(self.board.sleep_ms))
        gc.collect()
        print('SECoP node serving', ' '.join(served))
        while True:
            await asyncio.sleep(3600)


def _find(modules, name):
    for module in modules:
        if module.name == name:
            return module
    raise ValueError('no module %r to refer to' % name)


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
    with open(path) as f:
        return json.load(f)


def main(config_path='config.json', board_module=None):
    """Entry point on a board (``main.py``) and on the host (tools/sim.py)."""
    if board_module is None:
        import board as board_module
    config = load_config(config_path)
    if type(config) is not dict:
        config = {}
    problems = guard(config)
    by_module = {}
    for index, text in config.pop('problems', ()):     # found on the host (tools/sim.py)
        problems.append(text)
        if index is not None:
            by_module.setdefault(index, []).append(text)
    board = board_module.Board(config.get('board', {}))
    board.safe_state()
    for problem in problems:
        print('config:', problem)
    try:
        asyncio.run(App(config, board, by_module).run())
    finally:
        board.safe_state()
        asyncio.new_event_loop()
