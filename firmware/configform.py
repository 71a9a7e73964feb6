"""A module's ``visibility`` and ``meaning`` in the one form the node keeps, SECoP
2.0's (three access letters; an object), whichever version's form the config
uses: secop.describe sends them as the version in force wants.  Loaded by the
builder only for a node that describes itself (a prepared describing line says
them already).
"""

_WORDS = {'user': 'www', 'advanced': 'ww-', 'expert': 'w--'}   # SECoP 1.x visibility


def one_form(config):
    """The parsed config, in place."""
    for cfg in config.get('modules') or ():
        if type(cfg) is dict:
            word = cfg.get('visibility')
            if word in _WORDS:
                cfg['visibility'] = _WORDS[word]
            meaning = cfg.get('meaning')
            if type(meaning) is list and len(meaning) == 2:     # 1.x: [function, importance]
                cfg['meaning'] = {'function': meaning[0], 'importance': meaning[1]}
    return config
