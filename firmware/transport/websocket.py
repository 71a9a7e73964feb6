"""SECoP over WebSocket (RFC-107, RFC 6455) on a TCP connection after its HTTP upgrade.

Imported by ``transport.web`` when a browser asks for the upgrade.  The
connection keeps its session, client slot, access rights and bounded outbox;
only the framing changes:

- out: the connection's one writer still writes every byte.  The session's
  ``pop`` is wrapped so that each SECoP message leaves as one TEXT frame (its
  LF kept, which RFC-107 allows); the one streamed reply, ``describe``, too:
  its length is known first (``_line_bytes``: the prepared line's file size,
  or a first pass over the line the node builds), then the frame header and
  the chunks go out as they come, so the line is never built whole.  Control
  frames and the handshake are queued already framed (``Frames``).
- in: frames are read into the connection's input buffer and unmasked there.
  A message (fragments joined) longer than that buffer (``max_line``) closes
  the connection with 1009; an unmasked or malformed frame with 1002, a binary
  one with 1003, a text message that is not UTF-8 with 1007.  Each line of a
  text message is one SECoP request.
"""

import asyncio
import binascii
import hashlib
import os
from micropython import const

from secop.node import KEY_CHARS

_GUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0, 1, 2, 8, 9, 10
NORMAL, PROTOCOL_ERROR, UNSUPPORTED, NOT_UTF8, TOO_BIG = 1000, 1002, 1003, 1007, 1009
_CLOSE_WAIT_MS = const(2000)       # how long a close frame may take to leave


def accept_key(key):
    """``Sec-WebSocket-Accept`` for the client's ``Sec-WebSocket-Key`` (bytes)."""
    # (the Pyboard's stubs lack sha1.digest; that board has no network anyway)
    digest = hashlib.sha1(key + _GUID).digest()  # pyright: ignore[reportAttributeAccessIssue]
    return binascii.b2a_base64(digest)[:-1].decode()


def frame_header(opcode, length, final=True):
    """The header of an unmasked (server) frame."""
    first = (0x80 if final else 0) | opcode
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return bytes((first, 126, length >> 8, length & 0xff))
    return bytes((first, 127)) + length.to_bytes(8, 'big')


class Frames:
    """Frames ready to write (the handshake, control frames): a session entry
    that passes the framing as it is; ``written`` is set once they are out."""

    def __init__(self, *frames):
        self.frames = frames
        self.written = asyncio.Event()

    def __iter__(self):
        yield from self.frames
        self.written.set()


class Framing:
    """The connection's encoder once it is a WebSocket (``Connection.encoder``):
    each session entry leaves as one frame."""

    def __init__(self, node):
        self.node = node

    def encode(self, out):
        if type(out) is Frames:
            return out
        if type(out) is str:
            data = out.encode()
            return (frame_header(_TEXT, len(data)) + data,)
        return _one_frame(out, _line_bytes(self.node))


def _one_frame(chunks, length):
    yield frame_header(_TEXT, length)
    yield from chunks


def _line_bytes(node):
    """The length in bytes of the ``describing`` line (the one reply queued as
    chunks): the prepared line's file less its key, or a first pass over the
    line the node builds, one chunk at a time as it is sent."""
    path = node.description_file
    if path is not None:
        return os.stat(path)[6] - KEY_CHARS
    length = 0
    for chunk in node.description_line():
        length += len(chunk.encode())
    return length


async def serve(conn, key, unread):
    """Answer the upgrade, then serve SECoP frames until either side closes.

    ``unread`` bytes that followed the request wait at the start of ``conn.buf``."""
    session = conn.session
    session.send(Frames('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
                        'Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n'
                        % accept_key(key)))
    conn.encoder = Framing(conn.node)
    try:
        code = await Reader(conn, unread).run()
    except EOFError:
        return
    await _close(session, code)
    if code != NORMAL:
        await conn.linger()


async def _close(session, code):
    """Send a close frame with ``code`` and wait (bounded) until it is written."""
    frame = Frames(frame_header(_CLOSE, 2) + bytes((code >> 8, code & 0xff)))
    session.send(frame)
    try:
        await asyncio.wait_for_ms(frame.written.wait(), _CLOSE_WAIT_MS)
    except asyncio.TimeoutError:
        pass


class Reader:
    """Reads client frames from the connection's input buffer.

    Layout of ``conn.buf``: a text message being gathered from fragments at
    ``[0:start]``, bytes received but not yet parsed at ``[start:filled]``."""

    def __init__(self, conn, filled):
        self.conn = conn
        self.start = 0
        self.filled = filled

    async def _need(self, count):
        """True once ``count`` unparsed bytes are in the buffer, False if they cannot
        fit in it (the message is too big); EOFError at the end of the input."""
        conn = self.conn
        while self.filled - self.start < count:
            if self.filled == len(conn.buf):
                return False
            received = await conn.reader.readinto(conn.view[self.filled:])
            if not received:
                raise EOFError
            self.filled += received
        return True

    def _consume(self, count):
        """Drop ``count`` parsed bytes at ``start``, keeping what follows them."""
        start, rest = self.start, self.filled - self.start - count
        if rest:
            self.conn.buf[start:start + rest] = self.conn.view[start + count:self.filled]
        self.filled = start + rest

    async def run(self):
        """Serve frames until one ends the connection; returns the close code to send."""
        buf = self.conn.buf
        while True:
            if not await self._need(2):
                return TOO_BIG
            self.conn.begun(True)       # a frame under way
            at = self.start
            first, second = buf[at], buf[at + 1]
            opcode, final, length = first & 0x0f, first & 0x80, second & 0x7f
            if first & 0x70 or not second & 0x80:       # extension bits, or not masked
                return PROTOCOL_ERROR
            head = 6 + (2 if length == 126 else 8 if length == 127 else 0)
            if not await self._need(head):
                return TOO_BIG
            if length == 126:
                length = buf[at + 2] << 8 | buf[at + 3]
            elif length == 127:
                length = int.from_bytes(bytes(buf[at + 2:at + 10]), 'big')
            mask = bytes(buf[at + head - 4:at + head])
            self._consume(head)
            if opcode >= _CLOSE and (length > 125 or not final):
                return PROTOCOL_ERROR
            if at + length > len(buf) or not await self._need(length):
                return TOO_BIG
            self.conn.begun(False)      # the frame is complete
            self.conn.last_request = self.conn.node.clock.read()
            for i in range(length):
                buf[at + i] ^= mask[i & 3]
            if opcode == _CLOSE:
                return NORMAL
            if opcode == _PING:
                await self._room()
                pong = frame_header(_PONG, length) + bytes(buf[at:at + length])
                self.conn.session.send(Frames(pong))
            elif opcode == (_TEXT if at == 0 else _CONTINUATION):
                self.start = at + length        # the payload joins the message
                if final:
                    if not _is_utf8(self.conn.view[:self.start]):
                        return NOT_UTF8
                    await self._requests()
                continue
            elif opcode != _PONG:
                return UNSUPPORTED if opcode == _BINARY else PROTOCOL_ERROR
            self._consume(length)

    async def _requests(self):
        """Hand each line of the gathered message to the node (a trailing LF ends
        the last line, it does not start another), then drop the message."""
        conn = self.conn
        buf, view, end = conn.buf, conn.view, self.start
        line_start = 0
        while True:
            newline = buf.find(b'\n', line_start, end)
            await self._room()
            conn.node.handle(conn.session, view[line_start:end if newline < 0 else newline])
            if newline < 0 or newline + 1 == end:
                break
            line_start = newline + 1
        self.start = 0
        self._consume(end)

    async def _room(self):
        """Back-pressure as on TCP: a session with a full outbox is not read from."""
        node, session = self.conn.node, self.conn.session
        while not node.ready_for_request(session):
            await asyncio.sleep_ms(20)


def _is_utf8(data):
    """A text message must be UTF-8 as a whole (RFC 6455 8.1), else close 1007."""
    try:
        str(data, 'utf-8')
    except UnicodeError:
        return False
    return True
