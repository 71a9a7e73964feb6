"""The boards, seen from the host: their declarations and the config rules.

Each ``boards/<name>/`` is one board: ``board.py`` (deployed), ``config.json``
and ``capabilities.py``, the declaration of what it offers.  ``names()`` lists
the boards; ``capabilities(name)`` gives a declaration as an object (its
upper-case names as attributes, ``NAME`` added), read by path so that each
board's stays separate.  ``boards.configcheck`` checks a config against one.
Host only: nothing here is deployed.
"""

import importlib.util
import os
import types

BOARDS = os.path.dirname(os.path.abspath(__file__))
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
        spec = importlib.util.spec_from_file_location('capabilities_' + name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _cache[name] = types.SimpleNamespace(NAME=name, **{
            key: value for key, value in vars(module).items() if key.isupper()})
    return _cache[name]
