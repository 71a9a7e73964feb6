"""Module model: declarations of parameters and commands, and the base classes
Readable, Writable and Drivable.

Declarations are class-level tuples of ``(name, Parameter | Command)`` in the
order they are described (MicroPython dicts do not keep insertion order).
``declare(base, ...)`` extends or overrides a base's tuple by name.  Each
module instance holds one ``Param`` per parameter with the cached value, its
timestamp and its error; ``set``/``set_error`` update it and announce the
change to the node, which queues updates for the activated connections.

Hooks a subclass may define: ``read_<param>()`` (refresh before a read),
``write_<param>(value)`` (apply a change, may return the read-back value),
``check_<param>(value)`` (extra checks of change/check, e.g. dynamic limits),
``do_<command>(argument)`` (run a command, return its result) and ``poll()``.
"""

from secop.codec import data_line, encode_str, qualifiers
from secop.datatypes import CommandType, Double, Enum, String, Struct, Tuple
from secop.errors import SECoPError

_INF = float('inf')
_INFINITIES = (_INF, -_INF)     # built once: a literal tuple would be built per test

DISABLED = 0
IDLE = 100
WARN = 200
BUSY = 300
RAMPING = 370
STABILIZING = 380
ERROR = 400


class _Declaration:
    """What parameters and commands share.  Defaults are class attributes and
    an instance stores only what differs: each attribute an instance holds
    costs heap, and a node has dozens of declarations."""

    group = ''
    visibility = ''
    checkable = False

    def _set_common(self, group, visibility, checkable):
        if group:
            self.group = group
        if visibility:
            self.visibility = visibility
        if checkable:
            self.checkable = True


class Parameter(_Declaration):
    """Declaration of a parameter (shared by all instances of a module class)."""

    kind = 'parameter'
    readonly = True
    constant = None

    def __init__(self, description, datatype, readonly=True, constant=None, default=None,
                 group='', visibility='', checkable=False):
        self.description = description
        self.datatype = datatype
        self.default = datatype.default if default is None else default
        if not readonly:
            self.readonly = False
        if constant is not None:
            self.constant = constant
        self._set_common(group, visibility, checkable)


class Command(_Declaration):
    """Declaration of a command with an optional argument and result datatype."""

    kind = 'command'

    def __init__(self, description, argument=None, result=None, group='', visibility='',
                 checkable=False):
        self.description = description
        self.datatype = CommandType(argument, result)
        self._set_common(group, visibility, checkable)


def declare(base, *items):
    """``base`` accessibles with ``items`` added; an item with a base's name replaces it."""
    names = [name for name, _ in items]
    merged = []
    for name, decl in base:
        if name in names:
            decl = items[names.index(name)][1]
        merged.append((name, decl))
    base_names = [name for name, _ in base]
    return tuple(merged) + tuple(item for item in items if item[0] not in base_names)


STATUS_CHARS = 80      # maxchars of the status text (clients size their buffers by it)


def status_type(*members):
    return Tuple(Enum(*members), String(maxchars=STATUS_CHARS))


class Param:
    """The live state of one parameter of one module instance."""

    error = None
    reader = None                   # the module's read_<name> hook, if any

    def __init__(self, module, name, decl):
        self.module = module
        self.name = name
        self.decl = decl
        self.value = decl.constant if decl.constant is not None else decl.default
        self.t_s = None             # the time of the value (secop.clock): seconds ...
        self.t_ms = 0               # ... and milliseconds

    def report(self):
        """``(is_error, json_text)``: the data report or the error report."""
        if self.error is None:
            try:
                return False, '[%s,%s]' % (self.decl.datatype.encode(self.value),
                                           qualifiers(self.t_s, self.t_ms))
            except ValueError:
                err = SECoPError('ReadFailed', 'value is not a finite number')
        else:
            err = self.error
        return True, '[%s,%s,%s]' % (encode_str(err.name), encode_str(err.text),
                                     qualifiers(self.t_s, self.t_ms))

    def line(self, action, error_action):
        """The whole message ``<action> <module>:<name> <report>`` (``error_action``
        for an error report), built with as few allocations as possible."""
        if self.error is None:
            value = self.value
            try:
                if type(value) is not float or type(self.decl.datatype) is not Double \
                        or value != value or value in _INFINITIES:
                    value = self.decl.datatype.encode(value)    # may raise ValueError
                return data_line(action, self.module.name, self.name, value, self.t_s,
                                 self.t_ms)
            except ValueError:
                pass
        return '%s %s:%s %s\n' % (error_action, self.module.name, self.name, self.report()[1])


class Module:
    """Base of every module: parameters, commands, description, announcements."""

    interface_classes = ()
    accessibles: tuple = ()
    implementation = ''

    def __init__(self, name, description, clock, **properties):
        self.name = name
        self.description = description
        self.clock = clock
        self.properties = properties
        self.announce = None       # the node's, once it serves the module (attach)
        self.log = _no_log
        self.params = []
        self._lookup = {}
        for acc_name, decl in self.accessibles:
            if decl.kind == 'parameter':
                item = Param(self, acc_name, decl)
                item.t_s = clock.wall_s
                item.t_ms = clock.wall_ms
                reader = getattr(self, 'read_' + acc_name, None)
                if reader is not None:
                    item.reader = reader
                self.params.append(item)
            else:
                item = decl
            self._lookup[acc_name] = item

    # --- used by subclasses -------------------------------------------------

    def get(self, name):
        return self._lookup[name].value

    def set(self, name, value):
        """Store a new value; announce it if it or the error state changed."""
        param = self._lookup[name]
        if type(value) is float and (value != value or value in _INFINITIES):
            self.set_error(name, SECoPError('ReadFailed', 'value is not a finite number'))
            return
        changed = param.error is not None or param.value != value
        param.value = value
        param.error = None
        param.t_s = self.clock.wall_s
        param.t_ms = self.clock.wall_ms
        if changed and self.announce:
            self.announce(param)

    def set_error(self, name, error):
        """Mark a parameter as unreadable; a repeated identical error is not re-sent."""
        param = self._lookup[name]
        if param.error == error:
            return
        param.error = error
        param.t_s = self.clock.wall_s
        param.t_ms = self.clock.wall_ms
        if self.announce:
            self.announce(param)

    def set_status(self, code, text=''):
        self.set('status', (code, text[:STATUS_CHARS]))

    def status_code(self):
        return self._lookup['status'].value[0]

    def poll(self):
        """Refresh values from the hardware; called periodically by the app."""

    # --- used by the node ---------------------------------------------------

    def attach(self, announce, log):
        """The node serves this module from now on: ``announce(param)`` queues a
        parameter's update, ``log(module, level, text)`` a ``log`` event."""
        self.announce = announce
        self.log = log

    def accessible(self, name):
        return self._lookup.get(name)

    def read(self, param):
        reader = param.reader
        if reader is not None:
            try:
                value = reader()
                if value is not None:
                    self.set(param.name, value)
            except SECoPError as err:
                self.set_error(param.name, err)
        return param

    def validate(self, param, raw, checking=False):
        """Check a requested new value; returns the internal value.  For ``check``
        (``checking``) a value its datainfo takes but a ``check_<param>`` hook
        refuses (dynamic limits: the present configuration) is ``Impossible``;
        ``RangeError`` is outside the datainfo (SECoP 2.0's check)."""
        decl = param.decl
        if decl.readonly or decl.constant is not None:
            raise SECoPError('ReadOnly', '%s:%s is read only' % (self.name, param.name))
        datatype = decl.datatype
        if type(datatype) is Struct:
            value = datatype.validate(raw, param.value)
        else:
            value = datatype.validate(raw)
        checker = getattr(self, 'check_' + param.name, None)
        if checker is not None:
            try:
                checker(value)
            except SECoPError as err:
                if checking and err.name == 'RangeError':
                    raise SECoPError('Impossible', err.text)
                raise
        return value

    def change(self, param, raw):
        value = self.validate(param, raw)
        writer = getattr(self, 'write_' + param.name, None)
        if writer is not None:
            result = writer(value)
            if result is not None:
                value = result
        self.set(param.name, value)
        return param

    def check_argument(self, command, raw):
        argument = command.datatype.argument
        if argument is None:
            if raw is not None:
                raise SECoPError('WrongType', 'this command takes no argument')
            return None
        return argument.validate(raw)

    def do(self, name, command, raw):
        """Run a command; returns the JSON text of its result (``null`` if none)."""
        arg = self.check_argument(command, raw)
        handler = getattr(self, 'do_' + name, None)
        if handler is None:
            raise SECoPError('NotImplemented', 'command %s has no implementation' % name)
        result = handler() if command.datatype.argument is None else handler(arg)
        result_type = command.datatype.result
        if result_type is None:
            return 'null'
        try:
            return result_type.encode(result)
        except ValueError:
            raise SECoPError('RangeError', 'the result is not a finite number')


def _no_log(module, level, text):
    pass


class Readable(Module):
    interface_classes = ('Readable',)
    accessibles = (
        ('value', Parameter('current value of the module', Double())),
        ('status', Parameter('current status of the module',
                             status_type(('IDLE', IDLE), ('WARN', WARN), ('ERROR', ERROR)),
                             default=(IDLE, ''))),
        ('pollinterval', Parameter('polling interval', Double(0.1, 120, unit='s'),
                                   readonly=False, default=1.0, visibility='w--')),
    )


class Writable(Readable):
    interface_classes = ('Writable',)
    accessibles = declare(
        Readable.accessibles,
        ('target', Parameter('target value of the module', Double(), readonly=False)),
    )


class Drivable(Writable):
    interface_classes = ('Drivable',)
    accessibles = declare(
        Writable.accessibles,
        ('status', Parameter('current status of the module', status_type(
            ('IDLE', IDLE), ('WARN', WARN), ('BUSY', BUSY), ('RAMPING', RAMPING),
            ('STABILIZING', STABILIZING), ('ERROR', ERROR)), default=(IDLE, ''))),
        ('stop', Command('stop the action, stay at the present value')),
    )

    def is_busy(self):
        return BUSY <= self.status_code() < ERROR
