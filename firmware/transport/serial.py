"""Serial transport: one client on a UART (or a pty on the host).

The same Connection code as TCP serves the line; when the other end goes
away (end of file, I/O error) the stream is reopened and a fresh session
starts, as after a reconnect.  ``*IDN?`` resets the session.
"""

import asyncio

from transport.connection import Connection, Slot


async def serve_serial(node, open_stream, max_line=1024, retry_ms=500):
    """``open_stream()`` returns a (reader, writer) pair of asyncio streams."""
    slot = Slot(node, max_line)
    while True:
        writer = None
        try:
            reader, writer = open_stream()
            await Connection(node, reader, writer, slot, True).serve()
        except (OSError, MemoryError):
            pass
        if writer is not None:      # release the device before opening it again
            try:
                writer.close()
                await writer.wait_closed()
            except (OSError, AttributeError):
                pass
        await asyncio.sleep_ms(retry_ms)
