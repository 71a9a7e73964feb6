"""SECoP's module properties in a config: ``visibility``, ``meaning``, ``group``.

Either version's form is taken (the node keeps one, builder.one_form, and
sends each as the version in force wants, secop.describe): ``visibility`` a
1.x word or 2.0's three access letters; ``meaning`` a 1.x ``[function,
importance]`` pair or a 2.0 object.  ``group`` is a ``:``-separated path whose
parts must not be a module's name (case-insensitive).  Host only, like
configcheck.
"""

WORDS = ('user', 'advanced', 'expert')
LETTERS = ('www', 'wwr', 'ww-', 'wrr', 'wr-', 'w--', 'rrr', 'rr-', 'r--', '---')
_MEANING_KEYS = ('function', 'importance', 'belongs_to', 'link', 'key')


def check(ctx, where, cfg, names):
    """Report the problems of the properties of module entry ``cfg``; ``names``
    are all the modules' names, lower case."""
    if 'visibility' in cfg and cfg['visibility'] not in WORDS + LETTERS:
        ctx.add('%s: visibility %r must be one of %s (1.x) or of %s (2.0)'
                % (where, cfg['visibility'], ', '.join(WORDS), ', '.join(LETTERS)))
    if 'meaning' in cfg:
        problem = _meaning(cfg['meaning'])
        if problem:
            ctx.add('%s: meaning %s' % (where, problem))
    if 'group' in cfg:
        group = cfg['group']
        if type(group) is not str or not group:
            ctx.add('%s: group must be a non-empty string' % where)
        else:
            for part in group.split(':'):
                if part.lower() in names:
                    ctx.add("%s: group %r: '%s' is a module's name (SECoP: a group must not"
                            " clash with one)" % (where, group, part))


def _meaning(meaning):
    """What is wrong with a meaning, or ''."""
    if type(meaning) is list:
        if len(meaning) != 2 or not _word(meaning[0]):
            return 'must be [function, importance] (1.x) or an object (2.0)'
        return _importance(meaning[1])
    if type(meaning) is not dict:
        return 'must be [function, importance] (1.x) or an object (2.0)'
    for key in meaning:
        if key not in _MEANING_KEYS:
            return 'has an unknown key %r (known: %s)' % (key, ', '.join(_MEANING_KEYS))
    function = meaning.get('function')
    if function is None and 'link' not in meaning:
        return 'needs a function or a link'
    if function is not None and not _word(function):
        return 'function must be a name such as "temperature"'
    if function is None and ('importance' in meaning or 'belongs_to' in meaning):
        return 'importance and belongs_to need a function'
    if 'link' in meaning and not _word(meaning['link']):
        return 'link must be a URL'
    if 'key' in meaning and 'link' not in meaning:
        return 'key needs a link'
    if meaning.get('belongs_to', 'other') not in ('sample', 'other'):
        return 'belongs_to must be "sample" or "other"'
    return _importance(meaning.get('importance', 0))


def _importance(value):
    if type(value) is not int or not 0 <= value <= 50:
        return 'importance %r must be an integer 0..50' % (value,)
    return ''


def _word(value):
    return type(value) is str and bool(value) and ' ' not in value
