"""One client connection over any asyncio stream (TCP socket, UART, pty).

A connection runs in a ``Slot``: the line buffer and the session, allocated
once at boot for each client the node admits, so serving a client allocates
no buffers and a fragmented heap cannot refuse one.  The reader assembles
lines in the slot's buffer with ``readinto``
(``readline`` has no length limit on MicroPython); a line longer than the
buffer gets one ProtocolError reply and the rest of it is discarded as it
arrives.  The writer is the only task that writes and drains the stream
(two tasks draining one stream corrupt it).  A session whose outbox is full
is not read from until the writer has made room, so a client that does not
read its replies is throttled by TCP instead of growing the heap.  When
writing fails (the peer is gone, or the heap is exhausted halfway through a
line) the whole connection ends: a cut line cannot be repaired.  The writer
drains only when the stream kept bytes back (``unsent``): a drain always
yields to the scheduler, and a reply the socket took whole needs none, which
saves a scheduler round per request.

``unsent`` and ``no_delay`` are the only places in the firmware that look
inside MicroPython's ``asyncio.StreamWriter`` (its ``out_buf`` and its socket
``s``: not API, so kept here, each behind one function).
"""

import asyncio
from micropython import const

_LINGER_MS = const(1000)   # after refusing a request, how long to swallow the rest of it
_BATCH = const(512)        # bytes of queued lines written before waiting for the stream


def unsent(writer):
    """True if the stream kept bytes back that only ``drain()`` sends:
    MicroPython's ``write()`` tries one non-blocking send and keeps the rest."""
    return bool(writer.out_buf)


def no_delay(writer):
    """Send small replies at once: with Nagle's algorithm and the client's delayed
    ACK, a reply that follows another unacknowledged one waits 40 ms."""
    try:
        writer.s.setsockopt(6, 1, 1)        # IPPROTO_TCP, TCP_NODELAY
    except (AttributeError, OSError):
        pass


class Slot:
    """What one client needs, allocated at boot: a line buffer and a session."""

    def __init__(self, node, max_line):
        self.buf = bytearray(max_line)
        self.view = memoryview(self.buf)
        self.session = node.new_session()
        self.busy = False


class Connection:
    """Serves one session on a reader/writer stream pair until either side ends.
    ``encoder``: what turns each entry the session pops into what is written
    (None: the lines as they are; transport.websocket sets its framing)."""

    encoder = None

    def __init__(self, node, reader, writer, slot, serial=False, peer=None):
        self.node = node
        self.reader = reader
        self.writer = writer
        self.buf = slot.buf
        self.view = slot.view
        self.session = node.attach(slot.session, serial, peer)
        self.last_request = node.clock.read()    # tick count of the last complete request
        self.pending = None         # tick count when the unfinished request began, if any
        self._queued = asyncio.Event()
        self._room = asyncio.Event()
        self._closing = False
        self.session.wake = self._queued.set
        self.task = asyncio.current_task()   # the task serving this connection

    async def linger(self):
        """After refusing a request: swallow what the client still sends, for a
        while; closing with unread input would reset the connection and lose the
        answer (HTTP 431, a WebSocket closed for a protocol error)."""
        try:
            await asyncio.wait_for_ms(self._discard(), _LINGER_MS)
        except asyncio.TimeoutError:
            pass

    async def _discard(self):
        while await self.reader.readinto(self.buf):
            pass

    async def serve(self):
        """Run until the peer closes, an I/O error occurs or ``close()`` is called."""
        writer_task = asyncio.create_task(self._write_loop())
        try:
            await self._read_loop()
        except (OSError, MemoryError, asyncio.CancelledError):
            pass
        finally:
            self._closing = True
            self.node.close_session(self.session)
            writer_task.cancel()

    async def _read_loop(self):
        node, session, buf, view = self.node, self.session, self.buf, self.view
        size = len(buf)
        filled = 0              # bytes of an unfinished line at the start of buf
        discarding = False      # inside a line that was too long: drop it up to its LF
        first = not session.serial  # a TCP connection's first line may start HTTP
        while not self._closing:
            count = await self.reader.readinto(view[filled:])
            if not count:
                return
            end = filled + count
            line_start = 0
            newline = buf.find(b'\n', filled, end)
            while newline >= 0 and not self._closing:
                if discarding:
                    discarding = False
                else:
                    if first and buf.find(b'GET ', line_start, line_start + 4) == line_start:
                        from transport import web     # lazy: HTTP, WebSocket (RFC-107)
                        return await web.serve(self, line_start, newline, end)
                    first = False
                    await self._wait_for_room()
                    node.handle(session, view[line_start:newline])
                    self.last_request = node.clock.ticks    # read by handle()
                    self.pending = None     # the next request begins after this one
                line_start = newline + 1
                newline = buf.find(b'\n', line_start, end)
            filled = end - line_start
            self.begun(filled)
            if line_start and filled:
                buf[:filled] = view[line_start:end]
            if filled == size:
                if not discarding:
                    await self._wait_for_room()
                    node.handle_oversize(session, view[:filled])
                    discarding = True
                filled = 0

    def begun(self, unfinished):
        """Whether a request is under way: the time it began is kept while it is."""
        if not unfinished:
            self.pending = None
        elif self.pending is None:
            self.pending = self.node.clock.read()

    async def _wait_for_room(self):
        """Back-pressure: a reply is queued only when the outbox has room."""
        while not self.node.ready_for_request(self.session) and not self._closing:
            self._room.clear()
            await self._room.wait()

    async def _write_loop(self):
        session, writer = self.session, self.writer
        try:
            while True:
                while not session.count:
                    if self._closing:
                        return
                    self._queued.clear()
                    await self._queued.wait()
                pending = 0
                while session.count and pending < _BATCH:
                    out = session.pop()
                    if self.encoder is not None:
                        out = self.encoder.encode(out)
                    self._room.set()
                    if type(out) is str:
                        writer.write(out)
                        pending += len(out)
                    else:
                        for chunk in out:
                            writer.write(chunk)
                            await writer.drain()
                if unsent(writer):      # what the socket did not take at once
                    await writer.drain()
        except (OSError, MemoryError):
            task = self.task
            if not self._closing and task is not None:
                self._closing = True
                task.cancel()           # ends the reader, and with it the connection
