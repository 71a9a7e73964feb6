"""The tutorial's example node (seed-bare-protocol.txt) on fixed values, plus a
module ``aux`` that covers the remaining datatypes and properties.

Used by the golden transcripts; deterministic: the clock is fixed.
"""

from secop.datatypes import Bool, Double, Enum, Int, String, Struct
from secop.errors import SECoPError
from secop.moretypes import Array, Blob, Scaled
from secop.module import BUSY, IDLE, Command, Drivable, Parameter, Readable, Writable, declare
from secop.node import Node

T0 = 1700000000123   # ms


class FixedClock:
    """Stands still at ``t_ms`` (Unix milliseconds; None: no time known)."""

    def __init__(self, t_ms=T0):
        self.set(t_ms)

    def set(self, t_ms):
        self.wall_s = None if t_ms is None else t_ms // 1000 - 946684800
        self.wall_ms = 0 if t_ms is None else t_ms % 1000

    def read(self):
        pass


class Outside(Readable):
    implementation = 'example.sensors.Temperature'
    accessibles = declare(
        Readable.accessibles,
        ('value', Parameter('temperature outside', Double(unit='\u00b0C'))),
    )


class Heater(Drivable):
    implementation = 'example.actuators.Heater'
    accessibles = declare(
        Drivable.accessibles,
        ('value', Parameter('current value of the module', Double(unit='\u00b0C'))),
        ('target', Parameter('target value of the module', Double(-50, 300, unit='\u00b0C'),
                             readonly=False, checkable=True)),
        ('stop', Command('Stop heating, stay at current temperature.')),
        ('_maxheaterpower', Parameter('maximum allowed heater power', Double(0, 100, unit='W'),
                                      readonly=False, default=100.0)),
        ('_examplecommand', Command(
            'Do some calculation.',
            argument=Struct(('a', Double(0, 10)), ('b', Double())), result=Double(),
            checkable=True)),
    )

    def write_target(self, value):
        self.set_status(BUSY, 'heating')

    def do_stop(self):
        self.set('target', self.get('value'))
        self.set_status(IDLE, '')

    def do__examplecommand(self, arg):
        return arg['a'] * arg['b']


class Aux(Writable):
    accessibles = declare(
        Writable.accessibles,
        ('target', Parameter('target', Scaled(0.1, 0, 2500, unit='V'), readonly=False)),
        ('value', Parameter('value', Scaled(0.1, 0, 2500, unit='V'))),
        ('_mode', Parameter('mode', Enum(('off', 0), ('on', 1)), readonly=False)),
        ('_count', Parameter('a counter', Int(0, 10), readonly=False)),
        ('_flag', Parameter('a flag', Bool(), readonly=False)),
        ('_label', Parameter('a label', String(maxchars=8), readonly=False)),
        ('_note', Parameter('utf-8 text', String(maxchars=20, isUTF8=True), readonly=False)),
        ('_data', Parameter('raw bytes', Blob(4), readonly=False)),
        ('_list', Parameter('a list', Array(Int(0, 9), 3), readonly=False)),
        ('ctrlpars', Parameter('gains', Struct(('p', Double()), ('i', Double()), ('d', Double()),
                                           optional=('i', 'd')),
                           readonly=False, default={'p': 1.0, 'i': 2.0, 'd': 3.0})),
        ('_serial', Parameter('serial number', String(), constant='SN-1')),
        ('_broken', Parameter('a value that cannot be read', Double())),
        ('_reset', Command('reset the counter', result=Int(0, 10), group='admin')),
    )

    def __init__(self, *args, **kw):
        Writable.__init__(self, *args, **kw)
        self.set_error('_broken', SECoPError('HardwareError', 'sensor disconnected'))

    def read__broken(self):
        raise SECoPError('HardwareError', 'sensor disconnected')

    def do__reset(self):
        self.set('_count', 0)
        return 0


def make_node(clock=None, secop_version='1.1'):
    clock = clock or FixedClock()
    outside = Outside('outside', 'Outside temperature monitor.', clock)
    outside.set('value', 23.2)
    heater = Heater('heater', 'Example Heater', clock)
    heater.set('value', 22.5)
    heater.set('target', 22.5)
    aux = Aux('aux', 'all datatypes', clock, group='test')
    return Node('example_heater', 'a basic example temperature SEC node.',
                [outside, heater, aux], clock, firmware='ExampleSECoPFirmware',
                secop_version=secop_version)


def drain(session):
    """Everything queued on a session, as the writer would send it."""
    out = []
    while session.count:
        entry = session.pop()
        if type(entry) is str:
            out.append(entry)
        else:
            out.append(''.join(entry))
    return ''.join(out)
