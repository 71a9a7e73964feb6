"""TCP server: serves SECoP clients in slots allocated at boot, closes idle ones.

A client beyond ``max_clients`` is refused (``transport.refusal``, loaded
only then): one error line answers its first request, or a first request
``do <module>:stop`` is handled, so stop gets through when every slot is
taken.  A connection is idle when it is not activated and has completed
no request (a SECoP line, an HTTP header line, a WebSocket frame) for
``idle_timeout`` seconds: a client that activated and only listens is never
dropped.  Any connection is closed when one request takes longer than
``_REQUEST_S`` from its first byte to its end (``Connection.pending``).
"""

import asyncio
from micropython import const

from secop.node import forget
from transport.connection import Connection, Slot, no_delay

_REQUEST_MS = const(30000)         # the longest one request may take to arrive whole


def peer_ip(writer):
    """The client's IPv4 address as text: a tuple on lwIP boards, a raw
    sockaddr (family, port, address) on the unix port."""
    peer = writer.get_extra_info('peername')
    if isinstance(peer, tuple):
        return peer[0]
    if peer and len(peer) >= 8:
        return '%d.%d.%d.%d' % (peer[4], peer[5], peer[6], peer[7])
    return ''


class TcpServer:
    def __init__(self, node, host='0.0.0.0', port=10767, max_clients=8, max_line=1024,
                 idle_timeout=0):
        self.node = node
        self.host = host
        self.port = port
        self.max_clients = max_clients
        self.slots = [Slot(node, max_line) for _ in range(max_clients)]
        self.idle_timeout_ms = int(idle_timeout * 1000)
        self.connections = []
        self.server = None
        self.spare = None           # the session of a refused client's stop (transport.refusal)

    async def start(self, sleep_ms):
        """Serve; ``sleep_ms``: the board's (the checks below run in board time)."""
        self.server = await asyncio.start_server(self._serve_client, self.host, self.port)
        asyncio.create_task(self._close_idle(sleep_ms))

    async def _serve_client(self, reader, writer):
        try:
            slot = self._free_slot()
            if slot is None:
                from transport import refusal       # only while every slot is taken
                no_delay(writer)
                try:
                    await refusal.refuse(self, reader, writer, peer_ip(writer))
                finally:
                    forget('transport.refusal')
                return
            slot.busy = True
            no_delay(writer)
            conn = Connection(self.node, reader, writer, slot, False, peer_ip(writer))
            self.connections.append(conn)
            try:
                await conn.serve()
            finally:
                self.connections.remove(conn)
                slot.busy = False
        except (OSError, MemoryError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
                await writer.wait_closed()
            except OSError:
                pass

    def _free_slot(self):
        for slot in self.slots:
            if not slot.busy:
                return slot
        return None

    async def _close_idle(self, sleep_ms):
        while True:
            await sleep_ms(1000)
            clock = self.node.clock
            clock.read()
            for conn in self.connections:
                pending = conn.pending
                if conn.session.is_active():
                    conn.last_request = clock.ticks     # never idle: the mark stays recent
                    late = False
                else:
                    late = 0 < self.idle_timeout_ms < clock.elapsed(conn.last_request)
                if (late or pending is not None and clock.elapsed(pending) > _REQUEST_MS) \
                        and conn.task is not None:
                    conn.task.cancel()


async def launch(app, cfg):
    """The config section ``tcp`` (see registry): serve, and say where."""
    server = app.tcp = TcpServer(app.node, cfg.get('bind', '0.0.0.0'), cfg.get('port', 10767),
                                 cfg.get('max_clients', 8), app.config.get('max_line', 1024),
                                 cfg.get('idle_timeout', 0))
    await server.start(app.board.sleep_ms)
    return 'tcp=%s:%d' % (server.host, server.port)
