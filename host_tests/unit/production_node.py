"""The production node (modules temperature, loop, heater, system), built by the
app from a config, on a deterministic board: fixed ADC readings, recorded PWM
duty, a fake tick counter and the wall clock set to ``tutorial_node.T0``.

Used by the golden transcripts (``!node production``); runs on both runtimes.
"""

import gc
import json

import app
import builder
import fake_ticks
import tutorial_node

if not hasattr(gc, 'mem_free'):         # CPython: the figures system reports (not compared)
    gc.mem_free = lambda: 100000
    gc.mem_alloc = lambda: 50000


class FixedADC:
    def __init__(self, uv):
        self.uv = uv

    def read_uv(self):
        return self.uv


class RecordingPWM:
    duty = 0

    def duty_u16(self, value=None):
        self.duty = self.duty if value is None else value
        return self.duty


class GoldenBoard:
    """Only what the app asks of a board; every answer fixed."""

    name = 'golden'
    console = None
    vref_uv = 3300000

    def __init__(self):
        self.pwms = []
        self._clock, self.ticks = fake_ticks.make_clock(1000)
        self._clock.set_time(tutorial_node.T0 // 1000, tutorial_node.T0 % 1000, 1970)

    def clock(self):
        return self._clock

    def adc(self, cfg):
        return FixedADC(cfg['uv'])

    def adc_window(self, cfg):
        return (0, self.vref_uv)

    def pwm(self, cfg):
        self.pwms.append(RecordingPWM())
        return self.pwms[-1]

    def reset_cause(self):
        return 'power on'

    modules = {}


NTC = {'type': 'ntc', 'r25': 10000, 'beta': 3950, 'r_fixed': 10000, 't_min': -40,
       't_max': 125}
CONFIG = {
    'node': {'equipment_id': 'golden_heater', 'description': 'the production modules',
             'firmware': 'secop-micropython (golden)', 'implementor': 'secop-micropython',
             'timeout': 10},
    'tcp': {'enabled': False},
    'modules': [
        {'name': 'outside', 'class': 'temperature', 'description': 'Outside temperature.',
         'adc': {'uv': 1650000}, 'sensor': NTC, 'samples': 4},
        {'name': 'heater', 'class': 'loop', 'description': 'Heated block',
         'meaning': ['temperature_regulation', 20],
         'adc': {'uv': 1500000}, 'sensor': NTC, 'samples': 4,
         'heater': {'pin': 0, 'freq': 10, 'rated_power': 100.0},
         't_min': 0.0, 't_max': 90.0, 'overtemp': 100.0, 'period': 0.5,
         'pid': [30.0, 0.5, 60.0], 'tolerance': 0.1, 'window': 30.0, 'timeout': 900.0},
        {'name': 'heater_output', 'class': 'heater', 'loop': 'heater',
         'description': 'Heater power; writing target switches the loop off (manual mode).'},
        {'name': 'system', 'class': 'system', 'description': 'Diagnostics.'},
    ],
}


def make_node(clock=None, modules=None, **node):
    """The node of CONFIG, with ``node`` settings added and ``modules`` ({name: keys})
    merged into the modules' entries (``clock`` is ignored: the board's fake ticks
    drive it).  The builder consumes the config it is given, so it gets a copy."""
    config = json.loads(json.dumps(CONFIG))
    config['node'].update(node)
    for entry in config['modules']:
        entry.update((modules or {}).get(entry['name'], {}))
    built = app.App(config, GoldenBoard())
    builder.build(built)
    return built.node
