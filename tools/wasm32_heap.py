"""Inside the 32-bit MicroPython (tools/wasm32.py): the steps of the live-heap probe.

tools/mpy_probe.py runs each function here in its own ``runPython`` call and
``mark`` in the next one: the port collects garbage only once a call has returned,
so each ``MEM label bytes`` line is the live heap after a collection.  The node boots
as ``app.main`` boots it (``builder.start`` on a config.json); what its transports
allocate (slots, the discovery packet, the transport modules) is made as
``App.run`` makes it, without sockets or tasks, which this port lacks; clients are
the transports' own sessions, driven with ``node.handle``/``session.pop``, and
between rounds of requests each control loop takes a step as its task would.
"""

import gc
import json

_LOCALHOST = '127.0.0.1'
_keep = {}      # what the steps hand on, as the running node's tasks hold it


def mark(label):
    print('MEM', label, gc.mem_alloc())


def _settle():
    """End of a step's work: overwrite the stack it used (the collector is conservative:
    a stale pointer there keeps what it points to), then ask for a collection, which
    runs once the call has returned."""
    _scrub(40)
    gc.collect()


def _scrub(depth):
    if depth:
        _scrub(depth - 1)


def load_fakes(names):
    """Stand-ins for the board's built-in modules that the port lacks (machine, pyb,
    socket): measured apart, as a board has them in ROM."""
    _keep['fakes'] = [__import__(name) for name in names]


def load_firmware():
    import app
    import board
    _keep['modules'] = (app, board)
    _settle()


def boot(config_path):
    """Build the node from ``config_path`` as ``app.main`` does."""
    import builder
    from app import App
    from secop.node import forget
    try:
        app, board = builder.start(config_path, App)
    finally:
        forget('builder')
    _keep['app'], _keep['board'] = app, board
    _settle()


def serve(tcp_clients, websockets):
    """What the enabled transports allocate, then the serial client, ``tcp_clients``
    TCP clients and ``websockets`` WebSocket clients on their slots."""
    from secop.node import forget
    app, board = _keep['app'], _keep['board']
    node, config = app.node, app.config
    max_line = config.get('max_line', 1024)
    sessions = []
    cfg = config.get('tcp', {})
    if cfg.get('enabled', True):
        from transport.tcp import TcpServer
        app.tcp = TcpServer(node, cfg.get('bind', '0.0.0.0'), cfg.get('port', 10767),
                            cfg.get('max_clients', 8), max_line, cfg.get('idle_timeout', 0))
        cfg = config.get('discovery', {})
        if cfg.get('enabled', False):
            from transport import discovery
            _keep['discovery'] = discovery.Discovery(
                None, discovery.node_packet(node, app.tcp.port), node.clock)
    if config.get('serial', {}).get('enabled', False):
        from transport import serial
        from transport.connection import Slot
        _keep['serial'] = (serial, Slot(node, max_line))
        sessions.append(node.attach(_keep['serial'][1].session, True))
    forget('registry')
    _keep['watchdog'] = board.watchdog(config.get('watchdog_ms', 0))
    board.tasks(node)
    slots = app.tcp.slots if app.tcp else []
    if len(slots) < tcp_clients + websockets:
        raise ValueError('%d TCP slots for %d clients' % (len(slots), tcp_clients + websockets))
    if websockets:
        from transport import web, websocket
        _keep['web'] = (web, websocket)
    for slot in slots[:tcp_clients + websockets]:
        slot.busy = True
        sessions.append(node.attach(slot.session, False, _LOCALHOST))
    _keep['sessions'] = sessions
    _settle()


def _ask(session, line, expect):
    """Send ``line`` on ``session``; write out what it queued, as a connection's writer
    does; fail unless a reply starts with ``expect``."""
    node = _keep['app'].node
    node.handle(session, memoryview(line.encode()))
    replied = False
    while session.count:
        out = session.pop()
        if type(out) is not str:
            out = ''.join(out)      # a streamed reply (describe), chunk by chunk
        replied = replied or out.startswith(expect)
    if not replied:
        raise AssertionError('%r: no reply starting with %r' % (line, expect))


def describe():
    """One ``describe``, on the first client."""
    _ask(_keep['sessions'][0], 'describe', 'describing ')
    _settle()


def _control_step():
    """One period of the control tasks: each loop steps and is watched, the other
    modules poll."""
    app = _keep['app']
    clock = app.clock
    for loop in app.loops:
        now = clock.read()
        loop.step(now, loop.period_ms / 1000)
        loop.watch()
    for module in app.node.modules:
        if module not in app.loops:
            module.poll()


def mix(requests, rounds):
    """Every client: ``*IDN?``, ``describe``, ``activate``, then ``rounds`` of
    ``requests`` ((line, reply prefix) pairs), the control tasks stepping between rounds."""
    sessions = _keep['sessions']
    for session in sessions:
        _ask(session, '*IDN?', 'ISSE')
        _ask(session, 'describe', 'describing ')
        _ask(session, 'activate', 'active')
    for _ in range(rounds):
        _control_step()
        for session in sessions:
            for line, expect in requests:
                _ask(session, line, expect)
    _settle()


def qstr_pool():
    """The interned names (every identifier and short string of the code loaded),
    part of the live heap: ``micropython.qstr_info()`` prints a ``qstr pool:``
    line with their ``n_total_bytes``."""
    import micropython
    micropython.qstr_info()


def allocations(requests, count=10):
    """Bytes each of ``requests`` allocates inside the node (GC off), on a fresh session
    of its own once the scenario's clients have left: ``REQ [line, bytes]`` lines."""
    node = _keep['app'].node
    for session in _keep.pop('sessions'):
        node.close_session(session)
    session = node.open_session()
    for line, expect in requests:
        for _ in range(3):              # first-time allocations do not count
            _ask(session, line, expect)
        raw = memoryview(line.encode())
        gc.disable()
        before = gc.mem_alloc()
        for _ in range(count):
            node.handle(session, raw)
            session.pop()
        grown = gc.mem_alloc() - before
        gc.enable()
        print('REQ', json.dumps([line, grown // count]))
    node.close_session(session)
