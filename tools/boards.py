"""The boards' declarations, read on the host: ``boards/<name>/capabilities.py``.

``names()`` lists the boards; ``capabilities(name)`` gives a board's
declaration as an object (its upper-case names as attributes, ``NAME`` added).
The files are plain data, read by path so that each board's stays separate.
"""

import os
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = os.path.join(ROOT, 'boards')
_cache = {}


def names():
    return sorted(name for name in os.listdir(BOARDS)
                  if os.path.exists(os.path.join(BOARDS, name, 'capabilities.py')))


def capabilities(name):
    """The declaration of board ``name``; KeyError if there is no such board."""
    if name not in _cache:
        path = os.path.join(BOARDS, str(name), 'capabilities.py')
        if not os.path.isfile(path):
            raise KeyError(name)
        namespace = {}
        with open(path) as f:
            exec(compile(f.read(), path, 'exec'), namespace)
        _cache[name] = types.SimpleNamespace(NAME=name, **{
            key: value for key, value in namespace.items() if key.isupper()})
    return _cache[name]
