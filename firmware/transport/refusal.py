"""A TCP client beyond the node's slots (``transport.tcp``): one error line
answers its first request (``error_<action> <specifier> ["Impossible",...]``,
so frappy shows it as the answer to ``*IDN?``), unless that request is
``do <module>:stop``: it is handled, in one session the server keeps for
that, with the access rules of any other, so stop gets through when every
slot is taken.  Then the connection is closed.  Imported only while a client
is refused, then forgotten.
"""

import asyncio
from micropython import const

_REFUSED = '["Impossible","too many clients: all %d slots of this node are in use; ' \
    'close another client and retry",{}]'
_FIRST_LINE_S = const(1)           # how long a refused client may take to send its request


async def refuse(server, reader, writer, peer):
    """Answer the client at ``peer`` (its address) on ``server``, a TcpServer."""
    try:
        head = await asyncio.wait_for(reader.read(80), _FIRST_LINE_S)
    except asyncio.TimeoutError:
        head = b''
    node = server.node
    line, newline, _ = head.partition(b'\n')
    line = line.rstrip(b'\r')
    if newline and line.startswith(b'do ') and line.endswith(b':stop'):
        if server.spare is None:
            server.spare = node.new_session()
        session = node.attach(server.spare, False, peer)
        node.handle(session, line)      # synchronous: no other refusal interleaves
        reply = session.pop()
        node.close_session(session)
    else:
        reply = node.error_line(head, _REFUSED % server.max_clients)
    writer.write(reply)
    await writer.drain()
