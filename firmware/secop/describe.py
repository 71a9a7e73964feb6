"""The ``describing`` reply: the node's structure report.

The reply depends on the configuration only, so the host prepares it
(tools/compile_node.py runs the firmware's own node under MicroPython and
``write``s the line to describing.txt beside config.json) and a board streams
it from flash (``Node``): this module is not loaded on a board that serves a
prepared reply.  It is imported where there is none: on the host, in the
tests, and on a board whose config.json was changed after the deploy (the
file's key, the config's checksum, no longer matches).  Datatypes,
declarations and modules hold only their data; what of it a report says,
and in which SECoP version (``v2``: SECoP 2.0, see docs/protocol.md), is
decided here.  The report is written in short chunks: a node builds none of
more than a few hundred characters, and a heap with holes finds room for them.
"""

from secop.codec import encode, encode_str

def chunks(node):
    """The ``describing`` line in short chunks, with its LF."""
    v2 = node.v2
    yield head(node)
    comma = ''
    for module in node.modules:
        yield module_head(comma, module, v2)
        comma = ','
        sep = ''
        for name, decl in module.accessibles:
            yield accessible(sep, name, decl)
            yield datainfo(decl.datatype)
            yield accessible_end(decl, v2)
            sep = ','
        yield '}}'
    yield '}}\n'


def write(node, path, key):
    """Prepare the ``describing`` line of ``node`` at ``path``, marked with ``key``
    (8 hex digits: the checksum of the config.json it describes,
    ``builder.config_key``) in the line before it, ``node.KEY_CHARS`` characters
    with its LF."""
    with open(path, 'w') as f:
        f.write(key + '\n')
        for chunk in chunks(node):
            f.write(chunk)


def head(node):
    """The line's start: the node's properties, up to its modules."""
    pairs = [('equipment_id', encode_str(node.equipment_id)),
             ('description', encode_str(node.description))]
    if node.firmware:
        pairs.append(('firmware', encode_str(node.firmware)))
    for key, value in node.properties:
        pairs.append((key, encode(value)))
    return 'describing . {%s,"modules":{' % _members(pairs)


def module_head(sep, module, v2):
    """A module's properties, up to its accessibles."""
    return '%s%s:{%s,"accessibles":{' % (sep, encode_str(module.name),
                                         _members(_module(module, v2)))


def accessible(sep, name, decl):
    """A parameter or command, up to its datainfo (``datainfo``, then ``accessible_end``:
    three chunks, so that no chunk of a description is long)."""
    return '%s%s:{"description":%s,"datainfo":' % (sep, encode_str(name),
                                                   encode_str(decl.description))


def accessible_end(decl, v2):
    """The properties after the datainfo; ``checkable`` is SECoP 2.0 (``_checkable``
    in 1.1)."""
    pairs = []
    readonly = False
    if decl.kind == 'parameter':
        constant = decl.constant
        readonly = decl.readonly or constant is not None
        pairs.append(('readonly', 'true' if readonly else 'false'))
        if constant is not None:
            pairs.append(('constant', decl.datatype.encode(constant)))
    if decl.group:
        pairs.append(('group', encode_str(decl.group)))
    if decl.visibility:
        pairs.append(('visibility', encode_str(_visibility(decl.visibility, v2, readonly))))
    if decl.checkable:
        pairs.append(('checkable' if v2 else '_checkable', 'true'))
    return ',%s}' % _members(pairs) if pairs else '}'


def _members(pairs):
    """The inside of a JSON object from ordered (key, JSON text) pairs."""
    return ','.join('%s:%s' % (encode_str(key), text) for key, text in pairs)


def _module(module, v2):
    props = module.properties
    pairs = [('description', encode_str(module.description)),
             ('interface_classes', encode(module.interface_classes)),
             ('features', encode(props.get('features', ())))]
    if module.implementation:
        pairs.append(('implementation', encode_str(module.implementation)))
    for key in ('group', 'visibility', 'meaning', 'implementor'):
        if key in props:
            value = props[key]
            if key == 'visibility':
                value = _visibility(value, v2)
            elif key == 'meaning':
                value = _meaning(value, v2)
            if value is not None:
                pairs.append((key, encode(value)))
    return pairs


def _visibility(letters, v2, readonly=False):
    """The node's visibility (SECoP 2.0's three access letters for expert, advanced
    and user) as the version wants it: 2.0 without a ``w`` on a read-only
    parameter; 1.x the word of the lowest level that sees the accessible."""
    if type(letters) is not str or len(letters) != 3:
        return letters          # not the node's form: let through as configured
    if v2:
        return letters.replace('w', 'r') if readonly else letters
    return 'user' if letters[2] != '-' else 'advanced' if letters[1] != '-' else 'expert'


def _meaning(meaning, v2):
    """The node's meaning (SECoP 2.0's object) as the version wants it: 1.x a
    ``[function, importance]`` pair (importance 0 where none is given), nothing
    for a meaning without a function (a ``link`` only)."""
    if v2 or type(meaning) is not dict:
        return meaning
    if 'function' not in meaning:
        return None
    return [meaning['function'], meaning.get('importance', 0)]


def datainfo(dt):
    """The datainfo of a datatype (secop.datatypes, secop.moretypes) as JSON text.
    (In small functions: each is loaded as one piece of heap, in a heap with holes.)"""
    kind = dt.TYPE
    pairs = [('type', encode_str(kind))]
    if kind in ('double', 'int', 'scaled'):
        _numeric(dt, kind, pairs)
    elif kind in ('enum', 'tuple', 'struct', 'array'):
        _composite(dt, kind, pairs)
    else:
        _simple(dt, kind, pairs)
    return '{%s}' % _members(pairs)


def _numeric(dt, kind, pairs):
    keys = ('scale', 'min', 'max') if kind == 'scaled' else ('min', 'max')
    for key in keys + ('unit', 'fmtstr', 'absolute_resolution', 'relative_resolution'):
        value = getattr(dt, key, None)
        if value is not None and value != '':
            pairs.append((key, encode(value)))


def _composite(dt, kind, pairs):
    if kind == 'enum':
        pairs.append(('members', '{%s}' % _members(
            (name, str(number)) for name, number in dt.members)))
    elif kind == 'tuple':
        pairs.append(('members', '[%s]' % ','.join(datainfo(m) for m in dt.members)))
    elif kind == 'struct':
        pairs.append(('members', '{%s}' % _members(
            (name, datainfo(m)) for name, m in dt.members)))
        if dt.optional:
            pairs.append(('optional', encode(dt.optional)))
    else:
        pairs += [('members', datainfo(dt.members)), ('maxlen', str(dt.maxlen)),
                  ('minlen', str(dt.minlen))]


def _simple(dt, kind, pairs):
    if kind == 'string':
        if dt.maxchars is not None:
            pairs.append(('maxchars', str(dt.maxchars)))
        if dt.minchars:
            pairs.append(('minchars', str(dt.minchars)))
        if dt.isUTF8:
            pairs.append(('isUTF8', 'true'))
    elif kind == 'command':
        for key in ('argument', 'result'):
            if getattr(dt, key) is not None:
                pairs.append((key, datainfo(getattr(dt, key))))
    elif kind == 'blob':
        pairs += [('maxbytes', str(dt.maxbytes)), ('minbytes', str(dt.minbytes))]
