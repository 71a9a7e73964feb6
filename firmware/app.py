"""The running node: its tasks, the heater watch, and the entry point.

``builder`` reads and checks the config and builds the node (``App.__init__``
calls it), then is forgotten (``sys.modules``) so that the .mpy deploy gets
its code and texts back as heap; what it built refers only to this and the
other modules.  Module classes and transports come from ``registry`` by name
and are imported only when the config uses them; ``registry`` is forgotten
too once the transports run.  Every task is supervised: an exception is
logged (SECoP ``log`` and the console) and the task restarts after a
back-off.  Each loop's heater is behind its interlock (``control.interlock``);
one watch task checks them every half control period and feeds the hardware
watchdog only while every control step keeps its lease.
"""

import asyncio
import gc
from micropython import const

from secop.node import Node, forget

_RESTART_MIN_MS = const(1000)      # back-off of a task that failed: doubles up to the max
_RESTART_MAX_MS = const(60000)


class App:
    """The node, its modules and the tasks that keep them running."""

    def __init__(self, config, board):
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
        self.node: Node | None = None     # built by the builder
        self.store = None

    def common(self, cfg):
        """(name, description, SECoP properties) of a module's config entry."""
        props = {}
        for key in ('group', 'visibility', 'meaning', 'implementor'):
            if key in cfg:
                props[key] = cfg[key]
        return cfg['name'], cfg.get('description', cfg['name']), props

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
            clock.read()
            started = clock.up_s        # uptime: a task may run for longer than ticks compare
            try:
                await factory()
                why = 'ended'
            except Exception as exc:
                why = 'failed: %r' % (exc,)
            clock.read()
            if clock.up_s - started > _RESTART_MAX_MS // 1000:
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
        while True:             # the first step at once: the lease holds from boot
            now = clock.read()
            if not board.control_stalled:
                try:
                    loop.step(now, clock.diff(now, last) / 1000)
                except Exception as exc:
                    loop.fail(exc)
            last = now
            await board.sleep_ms(loop.period_ms)

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
        for loop in self.loops:     # before the transports: a step has run when clients come
            self.start_task('control ' + loop.name, lambda lp=loop: self._control(lp))
        import registry
        for section, default, loader in registry.TRANSPORTS:
            cfg = config.get(section, {})
            if cfg.get('enabled', default):
                transport = loader()
                what = await transport.launch(self, cfg)
                if what:
                    served.append(what)
                else:
                    forget(transport.__name__)      # nothing to serve: its code goes
        forget('registry')
        for module in node.modules:
            if module not in self.loops:
                self.start_task('poll ' + module.name, lambda m=module: self._poll(m))
        watchdog = self.board.watchdog(config.get('watchdog_ms', 0))
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


def main(config_path='config.json', board_module=None):
    """Entry point on a board (``main.py``) and on the host (tools/sim.py)."""
    import builder
    try:
        started = builder.start(config_path, App, board_module)
    finally:
        forget('builder')
    if started is None:
        return
    app, board = started
    try:
        asyncio.run(app.run())
    finally:
        board.safe_state()
        asyncio.new_event_loop()
