"""Replays golden wire transcripts against the tutorial node.

Transcript format (one file per topic in ``golden/``)::

    # comment
    > request line          sent by client A (``\\xNN`` for any byte)
    < expected reply line   received by client A, exactly
    B> / B<                 the same for a second client B
    !clock none             switch the node's clock (none | <ms>)
    !node production [2.0]  (first line) replay against production_node, not the tutorial's
                            (in SECoP 2.0 if given)

After each request, the lines queued for every client must equal the ``<``
lines that follow it, in order, for each client separately; ``{*}`` in an
expected line stands for any text (a figure that differs between runtimes,
such as the free heap).  In an expected
line, ``@name.json`` stands for the JSON in ``golden/name.json`` without the
whitespace between its tokens: long JSON (a description) is kept once,
pretty-printed, so its diffs read well.  ``python golden_transcript.py``
pretty-prints a JSON line from stdin in that layout.
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


def compact(text):
    """JSON text without the whitespace between tokens (strings stay as they are)."""
    out = []
    in_string = escaped = False
    for c in text:
        if in_string:
            escaped = not escaped and c == '\\'
            in_string = escaped or c != '"'
        elif c in ' \n\t\r':
            continue
        else:
            in_string = c == '"'
        out.append(c)
    return ''.join(out)


def _members(text):
    """The members of a compact JSON object or array, as compact texts."""
    parts, depth, start, in_string, escaped = [], 0, 1, False, False
    for i, c in enumerate(text):
        if in_string:
            escaped = not escaped and c == '\\'
            in_string = escaped or c != '"'
        elif c == '"':
            in_string = True
        elif c in '{[':
            depth += 1
        elif c in '}]':
            depth -= 1
        if depth == 1 and c == ',' and not in_string or depth == 0:
            if text[start:i]:
                parts.append(text[start:i])
            start = i + 1
    return parts


def pretty(text, indent='', width=96):
    """Compact JSON laid out one member per line where it does not fit ``width``."""
    if len(indent) + len(text) <= width or text[0] not in '{[':
        return text
    inner = indent + ' '
    lines = []
    for member in _members(text):
        key, value = '', member
        if text[0] == '{':
            split = len(_string_end(member)) + 1            # past the key and the colon
            key, value = member[:split], member[split:]
        lines.append(inner + key + pretty(value, inner, width))
    return text[0] + '\n' + ',\n'.join(lines) + '\n' + indent + text[-1]


def _string_end(text):
    """The JSON string at the start of ``text``."""
    escaped = False
    for i in range(1, len(text)):
        if escaped:
            escaped = False
        elif text[i] == '\\':
            escaped = True
        elif text[i] == '"':
            return text[:i + 1]
    raise ValueError('unterminated string')


def expand(line, folder):
    """An expected line with ``@name.json`` replaced by that file's compact JSON."""
    if '@' in line and line.endswith('.json'):
        head, _, name = line.rpartition('@')
        with open('%s/%s' % (folder, name)) as f:
            return head + compact(f.read())
    return line


def parse(path):
    """List of steps: (client, request bytes or None, {client: [expected lines]})."""
    folder = path.rpartition('/')[0] or '.'
    steps = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            client = 'A'
            if line[0] in 'BC' and line[1:2] in '<>':
                client, line = line[0], line[1:]
            if line.startswith('!clock ') or line.startswith('!node '):
                directive, _, argument = line[1:].partition(' ')
                steps.append((number, directive, argument.strip(), {}))
            elif line.startswith('> ') or line == '>':
                steps.append((number, client, unescape(line[2:]), {}))
            elif line.startswith('< '):
                steps[-1][3].setdefault(client, []).append(expand(line[2:], folder) + '\n')
            else:
                raise ValueError('%s:%d: cannot parse %r' % (path, number, line))
    return steps


def matches(got, want):
    """The lines received equal the expected ones, ``{*}`` standing for any text."""
    got, want = got.split('\n'), want.split('\n')
    if len(got) != len(want):
        return False
    for line, pattern in zip(got, want):
        parts = pattern.split('{*}')
        if len(parts) == 1:
            if line != pattern:
                return False
            continue
        if not (line.startswith(parts[0]) and line.endswith(parts[-1])):
            return False
        at = len(parts[0])
        for part in parts[1:-1]:
            at = line.find(part, at)
            if at < 0:
                return False
            at += len(part)
        if at > len(line) - len(parts[-1]):
            return False
    return True


def replay(path):
    """Run a transcript; returns a list of mismatch descriptions (empty = pass)."""
    steps = parse(path)
    clock = tutorial_node.FixedClock()
    if steps and steps[0][1] == 'node':
        import production_node
        node = production_node.make_node(secop_version=steps[0][2].partition(' ')[2] or '1.1')
    else:
        node = tutorial_node.make_node(clock)
    sessions = {'A': node.open_session(), 'B': node.open_session(), 'C': node.open_session()}
    problems = []
    for number, client, request, expected in steps:
        if client == 'clock':
            clock.set(None if request == 'none' else int(request))
            continue
        if client == 'node':
            continue
        node.handle(sessions[client], request)
        for name in sorted(sessions):
            got = tutorial_node.drain(sessions[name])
            want = ''.join(expected.get(name, ()))
            if not matches(got, want):
                problems.append('%s:%d %s> %r\n  expected %r\n  got      %r' % (
                    path, number, client, request, want, got))
    return problems


if __name__ == '__main__':
    import sys
    print(pretty(compact(sys.stdin.read())))
