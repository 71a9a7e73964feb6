"""The SECoP tutorial's heater on the simulated board: the production temperature
loop plus the tutorial's example command ``_examplecommand`` (returns a * b).

Config class ``tutorial_loop`` (boards/sim/config.json); real boards use ``loop``,
which has no such command.
"""

from modules.loop import TemperatureLoop
from modules.loop import build as build_loop
from secop.datatypes import Double, Struct
from secop.module import Command


class TutorialLoop(TemperatureLoop):
    implementation = 'boards.sim.TutorialLoop'
    EXTRA = (('_examplecommand', Command(
        'Do some calculation: returns a * b.',
        argument=Struct(('a', Double(0, 10)), ('b', Double())), result=Double())),)

    def do__examplecommand(self, arg):
        return arg['a'] * arg['b']


def build(app, cfg, built):
    return build_loop(app, cfg, built, TutorialLoop)
