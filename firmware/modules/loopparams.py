"""The parameters and commands of a temperature loop (``modules.loop``), as its
config sets their limits and defaults.

Only the loop's constructor uses this, so the builder forgets the module once
the node is built: the code that declares them need not stay in the heap (the
declarations stay, with the loop).  ``extra``: more (name, declaration) pairs
of a subclass (boards/sim/tutorial.py).
"""

from modules.temperature import DEGC
from secop.datatypes import Bool, Double, Int, String, Struct, Tuple
from secop.module import Command, Drivable, Parameter, declare

_GAINS = Struct(('p', Double(0)), ('i', Double(0)), ('d', Double(0)), optional=('p', 'i', 'd'))
_TUNED = Struct(('ku', Double(0, unit='W/K')), ('pu', Double(0, unit='s')),
                ('amplitude', Double(0, unit='K')), ('relay', Double(0, unit='W')),
                ('rule', String(maxchars=24)), optional=('ku', 'pu', 'amplitude', 'relay', 'rule'))
_NOT_TUNED = {'ku': 0.0, 'pu': 0.0, 'amplitude': 0.0, 'relay': 0.0, 'rule': ''}


def accessibles(extra, rated, period_ms, t_min, t_max, gains, tolerance, window, timeout, ramp):
    temp = Double(t_min, t_max, unit=DEGC)
    return declare(
        Drivable.accessibles,
        ('value', Parameter('current value of the module', Double(unit=DEGC, fmtstr='%.3f'))),
        ('target', Parameter('target value of the module', temp, readonly=False,
                             checkable=True)),
        ('setpoint', Parameter('present setpoint of the loop (follows the ramp)',
                               Double(unit=DEGC, fmtstr='%.3f'))),
        ('ramp', Parameter('setpoint ramp rate, 0 = jump to the target',
                           Double(0, 100, unit='K/min'), readonly=False, default=ramp)),
        ('target_limits', Parameter('further limits of target', Tuple(temp, temp),
                                    readonly=False, default=(t_min, t_max),
                                    visibility='w--')),
        ('control_active', Parameter('the loop drives the heater', Bool(), default=True)),
        ('pollinterval', Parameter(
            'interval of value updates (the control step keeps its period)',
            Double(0.1, 120, unit='s'), readonly=False, visibility='w--',
            default=min(max(period_ms / 1000, 0.1), 120.0))),
        ('_maxheaterpower', Parameter('maximum allowed heater power',
                                      Double(0, rated, unit='W'), readonly=False,
                                      default=rated)),
        ('_heaterpower', Parameter('present heater power', Double(0, rated, unit='W'))),
        ('_tolerance', Parameter('half width of the band that counts as at target',
                                 Double(0.001, 100, unit='K'), readonly=False,
                                 default=tolerance)),
        ('_window', Parameter('time the value must stay within tolerance',
                              Double(0, 3600, unit='s'), readonly=False, default=window)),
        ('_timeout', Parameter('WARN if not at target within this time, 0 = never',
                               Double(0, 86400, unit='s'), readonly=False, default=timeout)),
        ('ctrlpars', Parameter('PID gains: p in W/K, i in W/(K s), d in W s/K', _GAINS,
                               readonly=False, visibility='w--',
                               default={'p': gains[0], 'i': gains[1], 'd': gains[2]})),
        ('_overtemp', Parameter('over-temperature limit: heater off, latched ERROR',
                                Double(unit=DEGC), visibility='w--')),
        ('clear_errors', Command('leave ERROR after an over-temperature or fault')),
        ('_autotune', Command(
            'relay autotune around the present target; sets ctrlpars (argument optional)',
            argument=Struct(('amplitude', Double(0, rated, unit='W')), ('cycles', Int(2, 20)),
                            optional=('amplitude', 'cycles')), visibility='w--')),
        ('_autotune_result', Parameter(
            'last autotune: ultimate gain and period, oscillation and relay amplitude, rule',
            _TUNED, default=_NOT_TUNED, visibility='w--')),
        *extra
    )
