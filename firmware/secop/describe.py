"""The ``describing`` reply: the node's structure report, chunk by chunk.

A node is described when a client connects, not in between, so the node
imports this module for each chunk of a description it writes and forgets it
(``sys.modules``) when one is complete (``Node._description``): the .mpy
deploy loads code into the heap, and this code need not stay there.  A
description a client abandons pins no copy of it (a chunk holds none).
Datatypes, declarations and modules hold only their data; what of it a
description says, and in which SECoP version (``v2``: SECoP 2.0, see
docs/protocol.md), is decided here.
"""

from secop.codec import Raw, encode_pairs, encode_str

_VISIBILITY = {'user': 'www', 'advanced': 'ww-', 'expert': 'w--'}

def head(node):
    """The line's start: the node's properties, up to its modules."""
    pairs = [('equipment_id', node.equipment_id), ('description', node.description)]
    if node.firmware:
        pairs.append(('firmware', node.firmware))
    return 'describing . %s,"modules":{' % encode_pairs(pairs + list(node.properties))[:-1]


def module_head(sep, module, v2):
    """A module's properties, up to its accessibles."""
    return '%s%s:%s,"accessibles":{' % (sep, encode_str(module.name),
                                        encode_pairs(_module(module, v2))[:-1])


def accessible(sep, name, decl, v2):
    """One parameter or command: name and properties."""
    return '%s%s:%s' % (sep, encode_str(name), encode_pairs(_accessible(decl, v2)))


def _module(module, v2):
    props = module.properties
    pairs = [('description', module.description),
             ('interface_classes', list(module.interface_classes)),
             ('features', list(props.get('features', ())))]
    if module.implementation:
        pairs.append(('implementation', module.implementation))
    for key in ('group', 'visibility', 'meaning', 'implementor'):
        if key in props:
            value = props[key]
            if key == 'visibility':
                value = _visibility(value, v2)
            elif key == 'meaning' and v2 and type(value) in (list, tuple) and len(value) == 2:
                value = {'function': value[0], 'importance': value[1]}     # 1.x: a pair
            pairs.append((key, value))
    return pairs


def _accessible(decl, v2):
    """A parameter's or command's properties; ``checkable`` is SECoP 2.0
    (``_checkable`` in 1.1)."""
    pairs = [('description', decl.description), ('datainfo', Raw(datainfo(decl.datatype)))]
    readonly = False
    if decl.kind == 'parameter':
        constant = decl.constant
        readonly = decl.readonly or constant is not None
        pairs.append(('readonly', readonly))
        if constant is not None:
            pairs.append(('constant', Raw(decl.datatype.encode(constant))))
    if decl.group:
        pairs.append(('group', decl.group))
    if decl.visibility:
        pairs.append(('visibility', _visibility(decl.visibility, v2, readonly)))
    if decl.checkable:
        pairs.append(('checkable' if v2 else '_checkable', True))
    return pairs


def _visibility(word, v2, readonly=False):
    """A 1.x visibility word as the version wants it (2.0: three access letters)."""
    if not v2 or word not in _VISIBILITY:
        return word
    letters = _VISIBILITY[word]
    return letters.replace('w', 'r') if readonly else letters


def datainfo(dt):
    """The datainfo of a datatype (secop.datatypes, secop.moretypes) as JSON text."""
    kind = dt.TYPE
    pairs = [('type', kind)]
    if kind in ('double', 'int', 'scaled'):
        if kind == 'scaled':
            pairs.append(('scale', dt.scale))
        for key in ('min', 'max'):
            if getattr(dt, key) is not None:
                pairs.append((key, getattr(dt, key)))
        for key in ('unit', 'fmtstr'):
            if getattr(dt, key, ''):
                pairs.append((key, getattr(dt, key)))
        for key in ('absolute_resolution', 'relative_resolution'):
            if getattr(dt, key, None) is not None:
                pairs.append((key, getattr(dt, key)))
    elif kind == 'enum':
        pairs.append(('members', Raw(encode_pairs(dt.members))))
    elif kind == 'string':
        if dt.maxchars is not None:
            pairs.append(('maxchars', dt.maxchars))
        if dt.minchars:
            pairs.append(('minchars', dt.minchars))
        if dt.isUTF8:
            pairs.append(('isUTF8', True))
    elif kind == 'tuple':
        pairs.append(('members', Raw('[%s]' % ','.join(datainfo(m) for m in dt.members))))
    elif kind == 'struct':
        pairs.append(('members', Raw('{%s}' % ','.join(
            '%s:%s' % (encode_str(name), datainfo(m)) for name, m in dt.members))))
        if dt.optional:
            pairs.append(('optional', list(dt.optional)))
    elif kind == 'command':
        for key in ('argument', 'result'):
            if getattr(dt, key) is not None:
                pairs.append((key, Raw(datainfo(getattr(dt, key)))))
    elif kind == 'blob':
        pairs += [('maxbytes', dt.maxbytes), ('minbytes', dt.minbytes)]
    elif kind == 'array':
        pairs += [('members', Raw(datainfo(dt.members))), ('maxlen', dt.maxlen),
                  ('minlen', dt.minlen)]
    return encode_pairs(pairs)
