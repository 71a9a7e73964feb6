"""Replays golden wire transcripts against the tutorial node.

Transcript format (one file per topic in ``golden/``)::

    # comment
    > request line          sent by client A (``\\xNN`` for any byte)
    < expected reply line   received by client A, exactly
    B> / B<                 the same for a second client B
    !clock none             switch the node's clock (none | <ms>)

After each request, the lines queued for every client must equal the ``<``
lines that follow it, in order, for each client separately.
"""

import tutorial_node


def unescape(text):
    """Request text to bytes; ``\\xNN`` stands for any byte (CR is ``\\x0d``)."""
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i:i + 2] == '\\x':
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out.extend(text[i].encode())
            i += 1
    return bytes(out)


def parse(path):
    """List of steps: (client, request bytes or None, {client: [expected lines]})."""
    steps = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            client = 'A'
            if line[0] in 'BC' and line[1:2] in '<>':
                client, line = line[0], line[1:]
            if line.startswith('!clock '):
                steps.append((number, 'clock', line[7:], {}))
            elif line.startswith('> ') or line == '>':
                steps.append((number, client, unescape(line[2:]), {}))
            elif line.startswith('< '):
                steps[-1][3].setdefault(client, []).append(line[2:] + '\n')
            else:
                raise ValueError('%s:%d: cannot parse %r' % (path, number, line))
    return steps


def replay(path):
    """Run a transcript; returns a list of mismatch descriptions (empty = pass)."""
    clock = tutorial_node.FixedClock()
    node = tutorial_node.make_node(clock)
    sessions = {'A': node.open_session(), 'B': node.open_session(), 'C': node.open_session()}
    problems = []
    for number, client, request, expected in parse(path):
        if client == 'clock':
            clock.set(None if request == 'none' else int(request))
            continue
        node.handle(sessions[client], request)
        for name in sorted(sessions):
            got = tutorial_node.drain(sessions[name])
            want = ''.join(expected.get(name, ()))
            if got != want:
                problems.append('%s:%d %s> %r\n  expected %r\n  got      %r' % (
                    path, number, client, request, want, got))
    return problems
