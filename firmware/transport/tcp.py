"""TCP server: accepts SECoP clients up to a limit, closes idle ones."""

import asyncio
import time

from transport.connection import Connection

REFUSED = 'error  ["Impossible","too many clients, the limit is %d",{}]\n'


def peer_ip(writer):
    """The client's IPv4 address as text: a tuple on lwIP boards, a raw
    sockaddr (family, port, address) on the unix port."""
    peer = writer.get_extra_info('peername')
    if isinstance(peer, tuple):
        return peer[0]
    if peer and len(peer) >= 8:
        return '%d.%d.%d.%d' % (peer[4], peer[5], peer[6], peer[7])
    return ''


def _no_delay(writer):
    """Send small replies at once: with Nagle's algorithm and the client's delayed
    ACK, a reply that follows another unacknowledged one waits 40 ms."""
    try:
        writer.s.setsockopt(6, 1, 1)        # IPPROTO_TCP, TCP_NODELAY
    except (AttributeError, OSError):
        pass


class TcpServer:
    def __init__(self, node, host='0.0.0.0', port=10767, max_clients=4, max_line=1024,
                 idle_timeout=0):
        self.node = node
        self.host = host
        self.port = port
        self.max_clients = max_clients
        self.max_line = max_line
        self.idle_timeout_ms = int(idle_timeout * 1000)
        self.connections = []
        self.refused = 0
        self.accepted = 0
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self._serve_client, self.host, self.port)
        if self.idle_timeout_ms:
            asyncio.create_task(self._close_idle())

    async def _serve_client(self, reader, writer):
        try:
            if len(self.connections) >= self.max_clients:
                self.refused += 1
                writer.write(REFUSED % self.max_clients)
                await writer.drain()
                return
            self.accepted += 1
            _no_delay(writer)
            conn = Connection(self.node, reader, writer, False, self.max_line, peer_ip(writer))
            conn.last_rx_ms = time.ticks_ms()
            self.connections.append(conn)
            try:
                await conn.serve()
            finally:
                self.connections.remove(conn)
        except (OSError, MemoryError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
                await writer.wait_closed()
            except OSError:
                pass

    async def _close_idle(self):
        while True:
            await asyncio.sleep(1)
            now = time.ticks_ms()
            for conn in self.connections:
                if time.ticks_diff(now, conn.last_rx_ms) > self.idle_timeout_ms \
                        and conn.task is not None:
                    conn.task.cancel()
