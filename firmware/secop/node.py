"""The SEC node: dispatches request lines and fans out updates.

``Node.handle(session, line)`` answers one request line (bytes, LF removed)
by queueing exactly one reply on the session; updates caused by a request
are queued on every activated session before that reply, because handlers
run synchronously.  Nothing here touches sockets, hardware or asyncio.
"""

import gc
import sys

from secop.codec import clip, encode_str, error_message, error_report, message, \
    parse_json, split_request, timed_line, is_printable_ascii
from secop.errors import SECoPError, as_secop_error
from secop.module import Param
from secop.session import LOG_LEVELS, Session

IDN = {'1.1': 'ISSE&SINE2020,SECoP,V2019-09-16,v1.1', '2.0': 'ISSE,SECoP,,v2.0'}
_OUT_OF_MEMORY = 'error  ["InternalError","out of memory",{}]\n'
KEY_CHARS = 9           # a prepared describing line follows its key (secop.describe.write)
_PIECE_CHARS = 256      # read from the report's file per chunk

class Node:
    """A SEC node: identification, description, modules and their sessions."""

    def __init__(self, equipment_id, description, modules, clock, firmware='', secop_version='1.1',
                 properties=(), outbox_reserve=8, read_only=False, allow=(), writers=None,
                 description_file=None):
        self.equipment_id = equipment_id
        self.description = description
        self.firmware = firmware
        if secop_version not in IDN:
            secop_version = '1.1'           # the config check reports it
        self.v2 = secop_version == '2.0'     # what describe sends: see docs/protocol.md
        self.idn = IDN[secop_version] + '\n'
        self.properties = properties      # further (key, value) node properties
        self.description_file = description_file    # the prepared describing line, if any
        self.clock = clock
        self.modules = modules            # ordered list of Module
        self._modules = {}
        self.sessions = []
        self.nparams = 0
        self.outbox_reserve = outbox_reserve
        self.dropped = 0                  # events dropped for clients that fell behind
        # access control: SECoP has none, so the owner limits who may write
        self.read_only = read_only    # no change/do at all, except ``allow``
        self.allow = allow            # 'module:accessible' always allowed (e.g. heater:stop)
        self.writers = writers        # client addresses that may write (None: all)
        for module in modules:
            self._modules[module.name] = module
            module.attach(self.announce, self.log)
            self.nparams += len(module.params)
        self._handlers = {
            '*IDN?': self._idn, 'describe': self._describe, 'activate': self._activate,
            'deactivate': self._deactivate, 'ping': self._ping, 'read': self._read,
            'change': self._change, 'do': self._do, 'check': self._check,
            'logging': self._logging, 'help': self._help, '': self._help,
        }

    # --- sessions -----------------------------------------------------------

    def new_session(self):
        """A session for a connection slot, allocated once (at boot)."""
        return Session(self, self.nparams + self.outbox_reserve)

    def attach(self, session, serial=False, peer=None):
        """A new client on ``session``; ``peer`` is its address ('serial' for the UART)."""
        session.clear()
        session.serial = serial
        session.may_write = not self.read_only and (
            self.writers is None or (peer or ('serial' if serial else '')) in self.writers)
        self.sessions.append(session)
        return session

    def open_session(self, serial=False, peer=None):
        return self.attach(self.new_session(), serial, peer)

    def close_session(self, session):
        if session in self.sessions:
            self.sessions.remove(session)
        session.clear()

    def ready_for_request(self, session):
        """Back-pressure: a session with a full outbox is not read from."""
        return session.has_room(self.nparams)

    # --- fan-out ------------------------------------------------------------

    def announce(self, param):
        """Queue the update of ``param`` as of now on every session that wants it."""
        name = param.module.name
        line = None
        for session in self.sessions:
            if session.wants(name):
                if line is None:
                    line = self.render_update(param)
                session.push_update(param, line)

    def render_update(self, param):
        return param.line('update', 'error_update')

    def log(self, module, level, text):
        """Send a ``log`` event to the sessions that asked for this level."""
        number = _level_number(level)
        line = None
        for session in self.sessions:
            if number >= session.level_for(module.name):
                if line is None:
                    line = message('log', '%s:%s' % (module.name, level), encode_str(text))
                session.push_log(line)

    # --- requests -----------------------------------------------------------

    def handle(self, session, raw):
        """Answer one request line (bytes without the LF)."""
        self.clock.read()       # one time for everything this request sets
        try:
            self._handle(session, raw)
        except MemoryError:     # even building the error reply failed
            gc.collect()
            try:
                self._error_for_prefix(session, raw, 'out of memory', True, 'InternalError')
            except MemoryError:
                session.send(_OUT_OF_MEMORY)

    def _handle(self, session, raw):
        if raw and raw[-1] == 13:
            raw = raw[:-1]
        try:
            line = str(raw, 'utf-8')
        except UnicodeError:
            self._error_for_prefix(session, raw, 'request is not valid UTF-8', True)
            return
        if len(line) == len(raw) and line.startswith('read ') and self._read_fast(session, line):
            return
        action, specifier, data = split_request(line)
        handler = self._handlers.get(action)
        try:
            if len(line) != len(raw):
                _check_printable(specifier)     # non-ASCII somewhere in the line
            if handler is None:
                raise SECoPError('ProtocolError', 'unknown action %s' % clip(action))
            handler(session, specifier, data)
        except Exception as exc:  # every request gets exactly one reply
            self._error(session, action, specifier, as_secop_error(exc))

    def handle_oversize(self, session, head):
        """A line longer than the input buffer: one ProtocolError reply.

        ``head`` is the start of the line."""
        self._error_for_prefix(session, head, 'request longer than the input buffer', False)

    def error_line(self, head, data):
        """The error line answering the first request in ``head`` with ``data``."""
        line, newline, _ = head.partition(b'\n')
        action, specifier = _head_words(line.rstrip(b'\r'), bool(newline))
        return error_message(action, specifier, data)

    def _error_for_prefix(self, session, raw, text, whole, name='ProtocolError'):
        """An error for a line that cannot be parsed; action and specifier are
        echoed when they are complete (``whole``: the line is complete)."""
        action, specifier = _head_words(raw, whole)
        session.send(error_message(action, specifier, error_report(name, text)))

    def _error(self, session, action, specifier, err):
        session.send(error_message(action, specifier, error_report(err.name, err.text)))

    def _module(self, name):
        module = self._modules.get(name)
        if module is None:
            raise SECoPError('NoSuchModule', 'no module %s' % clip(name))
        return module

    def _accessible(self, specifier):
        colon = specifier.find(':')         # find and slices: split would allocate a list
        if colon < 0:
            raise SECoPError('ProtocolError', 'specifier must be <module>:<accessible>')
        end = specifier.find(':', colon + 1)
        if end < 0:
            name = specifier[colon + 1:]
        else:
            _check_printable(specifier)     # further parts are ignored, yet echoed
            name = specifier[colon + 1:end]
        module = self._module(specifier[:colon])
        return module, name, module.accessible(name)

    def _parameter(self, specifier):
        module, name, item = self._accessible(specifier)
        if item is None:
            raise SECoPError('NoSuchParameter', '%s has no parameter %s' % (module.name,
                                                                             clip(name)))
        if type(item) is not Param:
            raise SECoPError('NoSuchParameter', '%s:%s is a command' % (module.name, name))
        return module, item

    def _command(self, specifier):
        module, name, item = self._accessible(specifier)
        if item is None:
            raise SECoPError('NoSuchCommand', '%s has no command %s' % (module.name, clip(name)))
        if type(item) is Param:
            raise SECoPError('NoSuchCommand', '%s:%s is a parameter' % (module.name, name))
        return module, name, item

    # --- handlers -----------------------------------------------------------

    def _idn(self, session, specifier, data):
        session.reset()
        session.send(self.idn)

    def _describe(self, session, specifier, data):
        session.send(self.description_line())

    def description_line(self):
        """The ``describing`` line in chunks: the prepared line streamed from
        flash, a piece at a time (``description_file``), or built here by
        secop.describe where there is none."""
        path = self.description_file
        if path is None:
            from secop import describe
            yield from describe.chunks(self)
        else:
            offset = KEY_CHARS
            while True:
                with open(path) as f:   # reopened per piece: an abandoned reply holds no file
                    f.seek(offset)
                    piece = f.read(_PIECE_CHARS)
                if not piece:
                    break
                offset += len(piece)
                yield piece

    def _activate(self, session, specifier, data):
        if specifier:
            module = self._module(specifier.partition(':')[0])
            if not session.wants(module.name):
                session.active_modules += (module.name,)
            self._initial_updates(session, module)
            session.send(message('active', module.name))
        else:
            session.active_all = True
            session.active_modules = ()
            for module in self.modules:
                self._initial_updates(session, module)
            session.send('active\n')

    def _initial_updates(self, session, module):
        for param in module.params:
            if param.decl.constant is None:
                session.push_update(param, self.render_update(param))

    def _deactivate(self, session, specifier, data):
        if specifier:
            module = self._module(specifier.partition(':')[0])
            if session.active_all:
                session.active_all = False
                session.active_modules = tuple(m.name for m in self.modules)
            session.active_modules = tuple(name for name in session.active_modules
                                           if name != module.name)
            session.drop_updates(module)
            session.send(message('inactive', module.name))
        else:
            session.active_all = False
            session.active_modules = ()
            session.drop_updates()
            session.send('inactive\n')

    def _ping(self, session, specifier, data):
        _check_printable(specifier)
        clock = self.clock
        session.send(timed_line('pong', specifier, 'null', clock.wall_s, clock.wall_ms))

    def _read_fast(self, session, line):
        """``read <module>:<param>`` found by comparing in place, without slicing
        the line (each slice allocates): the most frequent request allocates
        little more than its reply.  False: take the general path."""
        colon = line.find(':', 5)
        if colon < 0 or line.find(':', colon + 1) >= 0 or line.find(' ', 5) >= 0:
            return False
        name_len = len(line) - colon - 1
        for module in self.modules:
            if colon - 5 == len(module.name) and line.startswith(module.name, 5):
                for param in module.params:
                    if name_len == len(param.name) and line.startswith(param.name, colon + 1):
                        try:
                            module.read(param)
                            session.send(param.line('reply', 'error_read'))
                        except Exception as exc:
                            self._error(session, 'read', line[5:], as_secop_error(exc))
                        return True
                return False
        return False

    def _read(self, session, specifier, data):
        module, param = self._parameter(specifier)
        module.read(param)
        session.send(self._reply(param, specifier, 'reply', 'error_read'))

    def _reply(self, param, specifier, action, error_action):
        """The reply to a request on ``param``, echoing the request's ``specifier``."""
        if len(specifier) == len(param.module.name) + 1 + len(param.name):
            return param.line(action, error_action)     # module:name, as the param says it
        is_error, report = param.report()
        return message(error_action if is_error else action, specifier, report)

    def _check_write(self, session, module, name):
        if not session.may_write and '%s:%s' % (module.name, name) not in self.allow:
            raise SECoPError('ReadOnly', 'this node is read-only for this client' + (
                ' (allowed: %s)' % ', '.join(self.allow) if self.allow else ''))

    def _change(self, session, specifier, data):
        module, param = self._parameter(specifier)
        self._check_write(session, module, param.name)
        if param.decl.readonly or param.decl.constant is not None:
            raise SECoPError('ReadOnly', '%s is read only' % specifier)
        module.change(param, parse_json(data))
        session.send(self._reply(param, specifier, 'changed', 'error_change'))

    def _do(self, session, specifier, data):
        module, name, command = self._command(specifier)
        self._check_write(session, module, name)
        result = module.do(name, command, parse_json(data))
        clock = self.clock
        session.send(timed_line('done', specifier, result, clock.wall_s, clock.wall_ms))

    def _check(self, session, specifier, data):
        module, name, item = self._accessible(specifier)
        if item is None:
            raise SECoPError('NoSuchParameter', '%s has no accessible %s' % (module.name,
                                                                              clip(name)))
        is_param = type(item) is Param
        if not (item.decl if is_param else item).checkable:
            raise SECoPError('NotCheckable', '%s cannot be checked' % specifier)
        raw = parse_json(data)
        if is_param:
            text = item.decl.datatype.encode(module.validate(item, raw, True))
        else:
            argument = item.datatype.argument
            value = module.check_argument(item, raw)
            text = 'null' if argument is None else argument.encode(value)
        session.send(message('checked', specifier, '[%s,{}]' % text))

    def _logging(self, session, specifier, data):
        value = parse_json(data)
        level = 'off' if value is False else value      # 1.0's false, echoed as sent
        if type(level) is not str:
            raise SECoPError('WrongType', 'level must be "debug", "info", "error" or "off"')
        number = _level_number(level)
        if number is None:
            raise SECoPError('RangeError', 'level must be "debug", "info", "error" or "off"')
        if specifier:
            module = self._module(specifier.partition(':')[0])
            if session.log_modules is None:
                session.log_modules = {}
            session.log_modules[module.name] = number
            specifier = module.name
        else:
            session.log_level = number
            session.log_modules = None
        session.send(message('logging', specifier, 'false' if value is False
                             else encode_str(value)))

    def _help(self, session, specifier, data):
        from secop import helptext
        text = helptext.HELP
        forget('secop.helptext')
        session.send(message('helping', '', encode_str(text)))


def forget(name):
    """Drop a module that has done its work (from ``sys.modules`` and its
    package), so its code is collected once nothing refers to it."""
    sys.modules.pop(name, None)
    package, _, leaf = name.rpartition('.')
    if package in sys.modules and hasattr(sys.modules[package], leaf):
        delattr(sys.modules[package], leaf)


def _check_printable(specifier):
    """A specifier that a reply would echo must be printable ASCII."""
    if not is_printable_ascii(specifier):
        raise SECoPError('ProtocolError', 'specifier must be printable ASCII')


def _level_number(name):
    for level, number in LOG_LEVELS:
        if level == name:
            return number
    return None


def _head_words(raw, whole):
    """Action and specifier of raw request bytes, as text; each only if complete."""
    parts = bytes(raw).split(b' ', 2)
    count = len(parts) + (1 if whole else 0)
    return (_text(parts[0], False) if count > 1 else '',
            _text(parts[1], True) if count > 2 and len(parts) > 1 else '')


def _text(raw, escape):
    """Bytes as text; invalid UTF-8 gives '' or (``escape``) its bytes as \\xNN."""
    try:
        return str(raw, 'utf-8')
    except UnicodeError:
        if not escape:
            return ''
        return ''.join(chr(b) if 0x21 <= b <= 0x7e else '\\x%02x' % b for b in raw[:64])
