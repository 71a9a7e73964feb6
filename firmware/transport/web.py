"""HTTP on the SECoP TCP port: a TCP connection whose first line starts ``GET ``.

Imported only when such a line arrives.  A WebSocket upgrade request goes on
as SECoP over WebSocket (``transport.websocket``, RFC-107); every other request
is answered and the connection closed (``Connection: close``), so it holds its
client slot only while the answer is written.  ``GET /`` sends the node's web
page, a gzipped file in the board's filesystem, in chunks through the
connection's one writer, never read whole into the heap.

Headers are read line by line in the connection's own input buffer, so no
header line may be longer than ``max_line``; more than ``_MAX_HEADERS`` of them
are refused.  The connection's idle timeout counts complete header lines, and
the whole head must arrive within the time the TCP server allows one request.
"""

import asyncio
import os
from micropython import const

PAGE = 'www/index.html.gz'      # relative to the working directory: / on a board
_MAX_HEADERS = const(64)
_STATUS = {200: 'OK', 400: 'Bad Request', 404: 'Not Found', 426: 'Upgrade Required',
           431: 'Request Header Fields Too Large', 503: 'Service Unavailable'}


class Lines:
    """Reads CRLF- or LF-terminated lines into the connection's buffer.

    ``line()`` returns (start, end) of the next line in ``conn.buf`` without its
    line ending, valid until the next call; None at end of input or for a line
    longer than the buffer (``too_long`` tells which)."""

    def __init__(self, conn, start, end):
        self.conn = conn
        self.start = start      # unread bytes are buf[start:end]
        self.end = end
        self.too_long = False

    async def line(self):
        conn = self.conn
        buf, view = conn.buf, conn.view
        while True:
            newline = buf.find(b'\n', self.start, self.end)
            if newline >= 0:
                conn.last_request = conn.node.clock.read()
                start = self.start
                self.start = newline + 1
                return start, newline - 1 if newline > start and buf[newline - 1] == 13 \
                    else newline
            if self.start:                      # move the partial line to the front
                self.end -= self.start
                buf[:self.end] = view[self.start:self.start + self.end]
                self.start = 0
            if self.end == len(buf):
                self.too_long = True
                return None
            count = await conn.reader.readinto(view[self.end:])
            if not count:
                return None
            self.end += count

    def unread(self):
        """Move the bytes not yet read to the front of the buffer; returns their count."""
        count = self.end - self.start
        if count and self.start:
            self.conn.buf[:count] = self.conn.view[self.start:self.end]
        return count


async def serve(conn, start, newline, end):
    """Serve the HTTP request whose request line is ``conn.buf[start:newline]``."""
    request = bytes(conn.buf[start:newline]).split()
    target = request[1].split(b'?')[0] if len(request) == 3 else None
    lines = Lines(conn, newline + 1, end)
    conn.begun(True)                # until the blank line that ends the head
    upgrade = key = version = None
    for _ in range(_MAX_HEADERS):
        span = await lines.line()
        if span is None:
            if lines.too_long:
                return await respond(conn, 431)
            return
        if span[0] == span[1]:
            break
        name, _, value = bytes(conn.buf[span[0]:span[1]]).partition(b':')
        name = name.strip().lower()
        if name == b'upgrade':
            upgrade = value.strip().lower()
        elif name == b'sec-websocket-key':
            key = value.strip()
        elif name == b'sec-websocket-version':
            version = value.strip()
    else:
        return await respond(conn, 431)
    conn.begun(False)
    if target is None:
        return await respond(conn, 400)
    if upgrade == b'websocket':
        if not key or not version:
            return await respond(conn, 400)
        if version != b'13':        # RFC 6455 4.4: say which version this node speaks
            return await respond(conn, 426)
        try:
            from transport import websocket
        except MemoryError:     # the heap cannot take its code now: say so, serve on
            return await respond(conn, 503, 'not enough memory for a WebSocket now\n')
        return await websocket.serve(conn, key, lines.unread())
    if target in (b'/', b'/index.html'):
        try:
            size = os.stat(PAGE)[6]
        except OSError:
            return await respond(conn, 404, 'the web page is not installed (%s)\n' % PAGE)
        return await respond(conn, 200, size=size, path=PAGE)
    return await respond(conn, 404)


async def respond(conn, code, text=None, size=0, path=None):
    """Queue the response on the connection's writer, wait until it is written."""
    if path is None:
        text = text or '%d %s\n' % (code, _STATUS[code])
        size = len(text)
        kind = 'text/plain; charset=utf-8'
    else:
        kind = 'text/html; charset=utf-8\r\nContent-Encoding: gzip\r\nCache-Control: no-cache'
    if code == 426:
        kind += '\r\nSec-WebSocket-Version: 13'
    head = ('HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n'
            'Connection: close\r\n\r\n' % (code, _STATUS[code], kind, size))
    written = asyncio.Event()
    conn.session.send(_chunks(conn, head, text, path, written))
    await written.wait()
    if code == 431:
        await conn.linger()


def _chunks(conn, head, text, path, written):
    """The response as chunks; the file is read in buffer-sized pieces into the
    connection's input buffer (idle now), each written before the next is read."""
    try:
        yield head
        if text:
            yield text
        if path:
            with open(path, 'rb') as f:
                while True:
                    count = f.readinto(conn.buf)
                    if not count:
                        break
                    yield conn.view[:count]
    finally:
        written.set()
