"""The loop's side of ``do heater:_autotune``: runs ``control.autotune.RelayTuner``
in place of the PID, one control period at a time, and hands the result to
the loop.  Imported only while a tune runs (the loop unloads it afterwards).
The tuner's power goes to the interlock exactly as the PID's does.  A part of
``modules.loop`` split off to keep it loaded only when needed, so it uses the
loop's internals.
"""

from secop.errors import SECoPError
from secop.module import BUSY, WARN


def start(loop, arg):
    """A Run around the loop's present target; SECoPError if it cannot start."""
    from control import autotune
    from modules.loop import _unload_tuner
    lock = loop.interlock
    timeout = loop.get('_timeout')
    try:
        tuner = autotune.RelayTuner(
            loop.get('target'), loop.get('_maxheaterpower'), arg.get('amplitude'),
            arg.get('cycles', 4), lock.power, timeout if timeout > 0 else 3600)
    except ValueError as exc:
        _unload_tuner()
        raise SECoPError('RangeError', str(exc))
    refusal = lock.refusal() if lock.started() else None
    if refusal or loop._failed:
        refusal = refusal or loop.get('status')[1]
    elif not (loop._driving and loop.get('control_active')):
        refusal = 'write a target first: the tune works around it'
    if refusal:
        _unload_tuner()
        raise SECoPError('IsError', refusal)
    loop.set('setpoint', loop.get('target'))
    loop.set_status(BUSY, 'autotune: ' + tuner.stage())
    loop.log(loop, 'info', 'autotune started around %.6g' % loop.get('target'))
    return Run(loop, tuner)


class Run:
    def __init__(self, loop, tuner):
        self.loop = loop
        self.tuner = tuner
        self.start_ms = loop.clock.read()

    def step(self, now_ms, temp):
        """The tuner's power for this period; ends the tune when it is done or failed."""
        loop = self.loop
        tuner = self.tuner
        power_now = loop.interlock.power
        try:
            power = tuner.update(loop.clock.diff(now_ms, self.start_ms), temp)
        except Exception as exc:        # TuneFailed, or a bug: the PID takes over again
            loop._end_tune(WARN, 'autotune failed: %s; gains kept' % (exc,))
            loop._tune_failed = True
            loop.pid.reset(temp, power_now)
            return power_now
        result = tuner.result
        if result is None:
            loop.set_status(BUSY, 'autotune: ' + tuner.stage())
            return power
        gains = {'p': result['p'], 'i': result['i'], 'd': result['d']}
        loop.set('_pid', gains)
        loop.pid.set_gains(gains['p'], gains['i'], gains['d'])
        loop.pid.reset(temp, power)
        loop.set('_autotune_result', {'ku': result['ku'], 'pu': result['pu'],
                                      'amplitude': result['amplitude'],
                                      'relay': result['relay'], 'rule': result['rule']})
        loop._end_tune(None, 'autotune done: Ku %.4g W/K, Pu %.4g s; _pid p %.4g i %.4g d %.4g'
                       % (result['ku'], result['pu'], gains['p'], gains['i'], gains['d']))
        loop._begin_drive(loop.get('target'))
        return power
