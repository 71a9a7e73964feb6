"""UDP discovery (SECoP RFC-105): answer ``{"SECoP":"discover"}``, announce the node.

Imported only when the config enables discovery.  One UDP socket serves both
jobs.  The reply is built once at start: at most 508 bytes (the safe UDP
payload), equipment_id and firmware whole, the description cut on a character
(hence UTF-8) boundary.  Requests are compared as parsed JSON, not as bytes.
Replies are rate limited, so a flood of small requests cannot turn the node
into an amplifier on its network.

The announcement (the same datagram, sent unasked) goes to a configured
address: the broadcast address on a board, once each time its network comes
up and then every ``interval`` seconds if that is set; nothing by default.
"""

import asyncio
import json
import socket
from micropython import const

MAX_PACKET = 508
_REQUEST_SIZE = const(512)         # a longer datagram is cut, fails to parse and is ignored
_REPLIES_PER_SECOND = const(10)
_SO_REUSEPORT = const(15)          # Linux: several nodes on one host share the port
_SO_BROADCAST_LWIP = const(0x20)   # lwIP's value, for ports whose socket module lacks the name


def node_packet(node, tcp_port):
    """The ``{"SECoP":"node",...}`` datagram (bytes) for this node and TCP port.

    ``json.dumps`` on MicroPython writes non-ASCII text as UTF-8, not escaped."""
    head = '{"SECoP":"node","port":%d,"equipment_id":%s,"firmware":%s,"description":' % (
        tcp_port, json.dumps(node.equipment_id), json.dumps(node.firmware))
    budget = MAX_PACKET - len(head.encode()) - 1        # 1: the closing brace
    description = node.description
    low, high = 0, len(description)
    while low < high:                 # the longest prefix whose JSON text fits
        middle = (low + high + 1) // 2
        if len(json.dumps(description[:middle]).encode()) <= budget:
            low = middle
        else:
            high = middle - 1
    return (head + json.dumps(description[:low]) + '}').encode()


def is_discover(data):
    try:
        request = json.loads(data)
    except (ValueError, TypeError):     # not JSON, not UTF-8
        return False
    return type(request) is dict and request.get('SECoP') == 'discover'


def open_socket(host, port):
    """A bound, non-blocking UDP socket (raises OSError if the port is taken)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for option in (_SO_REUSEPORT, getattr(socket, 'SO_BROADCAST', _SO_BROADCAST_LWIP)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, 1)
        except OSError:
            pass
    try:
        sock.bind(socket.getaddrinfo(host, port)[0][-1])
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _readable(sock):
    """Awaitable: wait until ``sock`` has a datagram (the asyncio I/O queue)."""
    yield asyncio.core._io_queue.queue_read(sock)  # type: ignore


class Discovery:
    """Answers discovery requests on one socket; optionally announces."""

    def __init__(self, sock, packet, clock):
        self.sock = sock
        self.packet = packet
        self.clock = clock          # the node's time source (secop.clock)
        self.replies = 0
        self.ignored = 0

    async def answer(self):
        sock, clock = self.sock, self.clock
        window = -1                 # the second of uptime the replies are counted in
        in_window = 0
        while True:
            await _readable(sock)  # type: ignore
            try:
                data, sender = sock.recvfrom(_REQUEST_SIZE)
            except OSError:
                continue
            if not is_discover(data):
                self.ignored += 1
                continue
            clock.read()
            if clock.up_s != window:    # uptime: any quiet time since, never a wrapped tick
                window, in_window = clock.up_s, 0
            if in_window >= _REPLIES_PER_SECOND:
                self.ignored += 1
                continue
            in_window += 1
            try:
                sock.sendto(self.packet, sender)
                self.replies += 1
            except OSError:
                pass

    async def announce(self, address, port, interval_s=0, network_up=None):
        """Send the datagram to ``address`` each time the network comes up, and
        every ``interval_s`` seconds while it stays up (0: never again)."""
        target = None
        was_up = False
        waited_s = 0
        while True:
            up = network_up is None or network_up()
            due = up and (not was_up or (interval_s and waited_s >= interval_s))
            if due:
                try:
                    if target is None:
                        target = socket.getaddrinfo(address, port)[0][-1]
                    self.sock.sendto(self.packet, target)
                    waited_s = 0
                except OSError:
                    up = False          # not really up yet: try again next round
            was_up = up
            await asyncio.sleep(2)
            waited_s += 2


def start(node, tcp_port, cfg, board):
    """Start the tasks the config asks for; returns 'udp=host:port' for the log,
    or None if the port cannot be had (the node serves on without discovery)."""
    host, port = cfg.get('bind', '0.0.0.0'), cfg.get('port', 10767)
    try:
        sock = open_socket(host, port)
    except OSError as exc:
        print('discovery: cannot listen on %s:%d: %r' % (host, port, exc))
        return None
    service = Discovery(sock, node_packet(node, tcp_port), node.clock)
    asyncio.create_task(service.answer())
    announce = cfg.get('announce')
    if announce:
        asyncio.create_task(service.announce(announce, cfg.get('announce_port', 10767),
                                             cfg.get('interval', 0),
                                             getattr(board, 'network_up', None)))
    return 'udp=%s:%d' % (host, port)


async def launch(app, cfg):
    """The config section ``discovery`` (see registry): answers for the TCP port."""
    if app.tcp is None:
        return None                 # nothing to announce without TCP
    return start(app.node, app.tcp.port, cfg, app.board) or 'udp=off'
