"""Settings that survive a reboot: the node's ``"state"`` file on flash.

    store = Store(path, modules)
    store.restore()             # at boot, before the node serves
    await store.run(sleep_ms)   # writes changes, at most once per ``INTERVAL_MS``
    reset(modules)              # back to the config's values (``system:_reset_settings``)

Only the parameters named in ``PERSISTED`` are kept, and of those only the
ones that differ from the config, so an edit of the config still takes
effect for every setting nobody changed over SECoP.  ``target`` is never
kept: after a reboot the heater stays off until a client asks for a
temperature.
A restored value passes the same checks as a ``change`` from a client, so a
value outside today's limits (the config may have changed) is dropped with a
log line and the config's value stays.  A parameter renamed since (``RENAMED``)
is restored under its new name, and written so at the next save.

Flash wear: the file is written only when a kept value changed, and at most
once per ``INTERVAL_MS`` of board time, so a change is on flash within 10 s.
Atomic: the text goes to ``<path>.tmp`` first, which is then renamed over the
file.  FAT cannot rename onto an existing file, so there the old file is
removed first; a reset between the two steps leaves the complete temporary
file, which ``restore`` then uses.  The file holds a list of
``[module, parameter, value]``, so its text is the same for the same values.

Nothing in the file and no flash error stops the node: a file that holds no
list of settings is set aside as ``<path>.bad`` and logged, a row that cannot
be applied is dropped and logged, and a failed write is logged and retried.
"""

import json
import os

PERSISTED = ('pollinterval', 'ramp', 'target_limits', '_maxheaterpower', '_tolerance',
             '_window', '_timeout', 'ctrlpars', '_autotune_result')
INTERVAL_MS = 5000
VERSION = 1
RENAMED = {'_pid': 'ctrlpars'}     # a file written before the rename keeps its gains


def kept(modules):
    """(module, Param) of every kept setting, in the order of the description."""
    for module in modules:
        for param in module.params:
            if param.name in PERSISTED and param.decl.constant is None:
                yield module, param


def dump(modules):
    """The file's text: the kept settings that differ from the config."""
    rows = []
    for module, param in kept(modules):
        value = param.value
        if not _same(value, param.decl.default):
            rows.append([module.name, param.name, value])
    return json.dumps({'version': VERSION, 'settings': rows})


def _same(a, b):
    """Equal, a tuple and a list alike (a validated value may be either)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def apply(module, param, raw):
    """Set a kept parameter as a client's ``change`` would; raises if it is refused."""
    if param.decl.readonly:             # a result the node publishes, e.g. _autotune_result
        module.set(param.name, param.decl.datatype.validate(raw))
    else:
        module.change(param, raw)


def reset(modules):
    """Every kept setting back to its configured value; the store then writes an
    empty list."""
    for module, param in kept(modules):
        apply(module, param, param.decl.default)


console = print     # set by the app: silent where the console is the SECoP line


def _log(text):
    console('settings: ' + text)


class Store:
    def __init__(self, path, modules):
        self.path = path
        self.modules = modules
        self._saved = None          # the text on flash
        self._failure = None        # the last write error, logged once

    def _read(self):
        """The stored rows, from the file or else a complete temporary file; or None.
        A file that holds no list of settings is set aside (``<path>.bad``)."""
        for path in (self.path, self.path + '.tmp'):
            try:
                with open(path) as f:
                    data = json.load(f)
            except OSError:
                continue        # no such file
            except Exception as exc:
                data = exc
            rows = data.get('settings') if type(data) is dict and \
                data.get('version') == VERSION else None
            if type(rows) is not list:
                _set_aside(path, repr(data)[:40])
                continue
            if path != self.path:
                _replace(path, self.path)       # finish the interrupted replacement
            return rows
        return None

    def restore(self):
        """Apply the stored settings; returns how many were taken."""
        rows = self._read()
        if rows is None:
            _log('%s: none stored, config values in use' % self.path)
            self.save()                 # the file exists from the first boot on
            return 0
        lookup = {}
        for module, param in kept(self.modules):
            lookup[module.name + ':' + param.name] = (module, param)
        taken = 0
        stale = False
        for row in rows:
            try:
                name = '%s:%s' % (row[0], RENAMED.get(row[1], row[1]))
                if name not in lookup:
                    raise ValueError('no such setting')
                module, param = lookup[name]
                apply(module, param, row[2])
                taken += 1
                if row[1] in RENAMED:
                    stale = True        # the file still has the old name: rewrite it
            except Exception as exc:
                _log('dropped %r: %s' % (row, getattr(exc, 'text', None) or exc))
        self._saved = None if stale else dump(self.modules)
        _log('%d restored from %s' % (taken, self.path))
        return taken

    def save(self):
        """Write the settings if they differ from the file; True if written.  Never
        raises: a full or failing flash is logged (once while it keeps failing the
        same way) and the node serves on."""
        try:
            text = dump(self.modules)
            if text == self._saved:
                return False
            tmp = self.path + '.tmp'
            with open(tmp, 'w') as f:
                f.write(text)
            _replace(tmp, self.path)
        except Exception as exc:
            why = repr(exc)
            if why != self._failure:
                _log('not saved: ' + why)
            self._failure = why
            return False
        self._saved = text
        self._failure = None
        return True

    async def run(self, sleep_ms):
        while True:
            await sleep_ms(INTERVAL_MS)
            self.save()


def _replace(source, path):
    try:
        os.rename(source, path)
    except OSError:                 # FAT: the target must not exist
        os.remove(path)
        os.rename(source, path)


def _set_aside(path, what):
    """An unusable state file: renamed to ``<path>.bad`` (the last one kept), logged."""
    bad = path + '.bad'
    try:
        _replace(path, bad)
    except OSError:
        bad = 'nowhere'
    _log('%s holds no settings (%s): set aside as %s' % (path, what, bad))
