"""Serial transport: one client on a UART (or a pty on the host).

The same Connection code as TCP serves the line, in one slot allocated when
the transport starts.  A serial line cannot tell when its client changes, and
clients (frappy) leave without ``deactivate``: a node that kept streaming
would put an ``update`` in front of the next client's ``*IDN?`` reply.  So,
where the board can see its client (``present()``: DTR on the Pyboard's USB
VCP, the simulated null-modem's open end), a session lives exactly while the
client is there: nothing is sent while nobody is, and a new client starts
with a fresh, inactive session, so the first line it gets is the answer to
its first request.  Where it cannot (a bare UART), ``*IDN?`` still drops
every pending update (see Node), and a client should ``deactivate`` before
it leaves.  When the stream ends (end of file, I/O error) it is reopened and
a fresh session starts, as after a reconnect.
"""

import asyncio
from micropython import const

from transport.connection import Connection, Slot


_POLL_MS = const(20)       # how often the client's presence is looked at


async def serve_serial(node, open_stream, max_line=1024, retry_ms=500, present=None):
    """``open_stream()`` returns a (reader, writer) pair of asyncio streams;
    ``present()``, if the board can tell, a true value while a client is on
    the line (a new value for a new client, where the board can tell that).
    The stream stays open across clients (reopening a tty may flush what a new
    client has just sent) and is reopened only when it fails."""
    slot = Slot(node, max_line)
    reader = writer = None
    while True:
        watcher = None
        gone = [False]
        try:
            if writer is None:
                reader, writer = open_stream()
            client = None
            while present is not None and not client:
                await asyncio.sleep_ms(_POLL_MS)
                client = present()
            conn = Connection(node, reader, writer, slot, True)
            if present is not None:
                watcher = asyncio.create_task(_end_when_gone(conn, present, client, gone))
            await conn.serve()
        except (OSError, MemoryError):
            pass
        if watcher is not None:
            watcher.cancel()
        if gone[0]:
            continue                # the client left; the line is fine
        if writer is not None:      # release the device before opening it again
            try:
                writer.close()
                await writer.wait_closed()
            except (OSError, AttributeError):
                pass
            writer = None
        await asyncio.sleep_ms(retry_ms)


async def _end_when_gone(conn, present, client, gone):
    while present() == client:
        await asyncio.sleep_ms(_POLL_MS)
    gone[0] = True
    if conn.task is not None:
        conn.task.cancel()          # the session ends with its client


async def launch(app, cfg):
    """The config section ``serial`` (see registry): a supervised task serves the line."""
    board = app.board
    app.start_task('serial', lambda: serve_serial(
        app.node, lambda: board.open_serial(cfg), app.config.get('max_line', 1024),
        present=board.serial_presence(cfg)))
    return 'uart=%s' % cfg.get('path', cfg.get('uart', ''))
