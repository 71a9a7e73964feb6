"""The loop's side of ``do heater:_autotune``: runs ``control.autotune.RelayTuner``
in place of the PID, one control period at a time, and hands the result to
the loop.  Imported only while a tune runs (``Run.end`` unloads it again).
The tuner's power goes to the interlock exactly as the PID's does.  A part of
``modules.loop`` split off to keep it loaded only when needed, so it uses the
loop's internals.
"""

import sys

from secop.errors import SECoPError
from secop.module import BUSY, WARN


def start(loop, arg):
    """A Run around the loop's present target; SECoPError if it cannot start."""
    from control import autotune
    lock = loop.interlock
    timeout = loop.get('_timeout')
    try:
        tuner = autotune.RelayTuner(
            loop.get('target'), loop.get('_maxheaterpower'), arg.get('amplitude'),
            arg.get('cycles', 4), lock.power, timeout if timeout > 0 else 3600)
    except ValueError as exc:
        unload()
        raise SECoPError('RangeError', str(exc))
    refusal = lock.refusal() if lock.started() else None
    if refusal or loop._failed:
        refusal = refusal or loop.get('status')[1]
    elif not (loop._driving and loop.get('control_active')):
        refusal = 'write a target first: the tune works around it'
    if refusal:
        unload()
        raise SECoPError('IsError', refusal)
    loop.set('setpoint', loop.get('target'))
    loop.set_status(BUSY, 'autotune: ' + tuner.stage())
    loop.log(loop, 'info', 'autotune started around %.6g' % loop.get('target'))
    return Run(loop, tuner)


def unload():
    """Forget this module and control.autotune: a tune's code leaves the heap with it."""
    import control
    import modules
    for package, name in ((control, 'autotune'), (modules, 'tuning')):
        sys.modules.pop(package.__name__ + '.' + name, None)
        if hasattr(package, name):
            delattr(package, name)


class Run:
    def __init__(self, loop, tuner):
        self.loop = loop
        self.tuner = tuner
        self.start_ms = loop.clock.read()

    def end(self, code, text):
        """The tune is over (the loop drops it and this module); status ``code``
        with ``text`` unless None."""
        loop = self.loop
        loop._tuner = None
        unload()
        loop.log(loop, 'error' if code else 'info', text)
        if code is not None:
            loop.set_status(code, text)

    def abort(self, why):
        """End the tune for ``why`` (gains kept); the status text that says so."""
        text = 'autotune aborted: %s; gains kept' % why
        self.end(None, text)
        return text

    def excluded(self, target, clamped):
        """target_limits now exclude the tune's ``target``: it ends (WARN says why)
        and the loop holds ``clamped``, the target it now has."""
        loop = self.loop
        loop.set('setpoint', clamped)
        self.end(WARN, 'autotune stopped: its target %.6g is outside target_limits; '
                       'gains kept' % target)
        loop._tune_failed = True
        loop.pid.reset(loop._temp, loop.interlock.power)

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
        loop.set('ctrlpars', gains)
        loop.pid.set_gains(gains['p'], gains['i'], gains['d'])
        loop.pid.reset(temp, power)
        loop.set('_autotune_result', {'ku': result['ku'], 'pu': result['pu'],
                                      'amplitude': result['amplitude'],
                                      'relay': result['relay'], 'rule': result['rule']})
        loop._end_tune(None, 'autotune done: Ku %.4g W/K, Pu %.4g s; ctrlpars p %.4g i %.4g d %.4g'
                       % (result['ku'], result['pu'], gains['p'], gains['i'], gains['d']))
        loop._begin_drive(loop.get('target'))
        return power
