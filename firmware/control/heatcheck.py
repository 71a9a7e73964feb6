"""The interlock's heat check (``Interlock.heat_check``) for one loop: its
window, rise and floor, set when the loop's ``_autotune_result`` changes (at
boot and after a tune), and the latch when it finds a fault.  Loaded for
that only, then forgotten; a part of ``modules.loop`` split off, so it uses
the loop's internals.

Each of the three comes from the loop's config where it is given
(``runaway_window`` s, ``runaway_rise`` K, ``runaway_fraction`` of the rated
power), else from the plant the last autotune measured, else a default.  The
tune's Ku and Pu describe a block that integrates its heat behind a dead time
of about Pu / 4, with a heat capacity of about Ku Pu / (2 pi) J/K.  The window
is 4 Pu, and the rise a tenth of what the floor power alone would give the
block in that window without any loss: well below what the block does gain
when heated that hard anywhere below its over-temperature limit.
"""

import math

from control.interlock import NO_RISE

# without a tune (control.interlock starts with these): the shipped sim config
# detects within 120 s
WINDOW_S = 60.0
RISE_K = 1.0
FRACTION = 0.9      # of the rated power: above what holding the hottest allowed
                    # temperature takes, so no steady state reads as a fault


def update(loop, found):
    """The tune result changed, or the check ``found`` a fault (NO_RISE, STUCK)."""
    result = loop.get('_autotune_result')
    if result is not loop._plant:
        loop._plant = result
        _limits(loop.interlock, loop.heat_config, result)
    if found:
        loop._trip(('no temperature rise: sensor off the block or heater open'
                    if found == NO_RISE else 'heater stuck on') + ', do clear_errors')


def _limits(lock, config, result):
    window, rise, fraction = config
    if fraction is None:
        fraction = FRACTION
    ku, pu = result.get('ku', 0.0), result.get('pu', 0.0)
    if ku > 0 and pu > 0:
        tuned_window = 4 * pu
        tuned_rise = 0.1 * fraction * lock.rated_power * tuned_window / (ku * pu / (2 * math.pi))
    else:
        tuned_window, tuned_rise = WINDOW_S, RISE_K
    lock.window = int((tuned_window if window is None else window) * 1000) // lock.period_ms
    lock.rise = tuned_rise if rise is None else rise
    lock.floor = fraction * lock.rated_power
