"""Temperature loop: a Drivable that holds a heated block at ``target``.

The app calls ``step()`` every control period with the board's monotonic
time.  Each step measures, checks safety, ramps the setpoint, runs the PID
and asks the interlock (``control.interlock``) for the heater power; the
interlock alone drives the PWM.  A sensor fault and an over-temperature or
over-range (latched until ``clear_errors``) withdraw its permit; an
exception in the step (``fail``) switches off at once, and a step that stops
running lets the lease expire (``watch()`` from the app's watch task).

Status while driving: RAMPING while the setpoint moves, STABILIZING until
the value has stayed within ``_tolerance`` of the target for ``_window``
seconds (counted from when it entered that band, also before the change),
then IDLE; WARN if that did not happen within ``_timeout``.  The parameters
and commands are declared in ``modules.loopparams`` (loaded while the node is
built, then forgotten).
"""

from control.pid import PID
from control.sensors import SensorFault
from modules.temperature import fault_error
from secop.errors import SECoPError, as_secop_error
from secop.module import ERROR, IDLE, RAMPING, STABILIZING, WARN, Drivable
from secop.node import forget

def build(app, cfg, built, cls=None):
    """The config class ``loop`` (see registry): its heater behind an interlock.
    ``cls``: a subclass of TemperatureLoop to build instead (boards/sim/tutorial.py)."""
    from control.interlock import Interlock
    from control.sensorconfig import thermometer    # forgotten by the builder
    name, description, props = app.common(cfg)
    heater = cfg['heater']
    board = app.board
    enable = heater.get('enable')
    interlock = Interlock(board.pwm(heater), heater['rated_power'],
                          int(cfg.get('period', 1.0) * 1000), app.clock,
                          None if enable is None else board.enable_output(enable))
    gains = cfg.get('pid', (30.0, 0.5, 60.0))
    loop = (cls or TemperatureLoop)(
        name, description, app.clock, thermometer(app.board, app.clock, cfg), interlock,
        t_min=cfg.get('t_min', -50.0), t_max=cfg.get('t_max', 200.0),
        overtemp=cfg.get('overtemp'), gains=(gains[0], gains[1], gains[2]),
        tolerance=cfg.get('tolerance', 0.1), window=cfg.get('window', 30.0),
        timeout=cfg.get('timeout', 900.0), ramp=cfg.get('ramp', 0.0),
        i_band=cfg.get('i_band', 0.0), heat=(cfg.get('runaway_window'), cfg.get('runaway_rise'),
                                             cfg.get('runaway_fraction')), **props)
    app.loops.append(loop)
    return loop


class TemperatureLoop(Drivable):
    implementation = 'modules.loop.TemperatureLoop'
    EXTRA = ()          # more accessibles of a subclass: (name, declaration) pairs

    def __init__(self, name, description, clock, thermometer, interlock, t_min=-50.0,
                 t_max=200.0, overtemp=None, gains=(30.0, 0.5, 60.0), tolerance=0.1,
                 window=30.0, timeout=900.0, ramp=0.0, i_band=0.0, heat=(None, None, None),
                 **props):
        from modules.loopparams import accessibles      # the builder forgets it
        rated = interlock.rated_power
        extra = thermometer.EXTRA
        self.accessibles = accessibles(self.EXTRA + extra, rated, interlock.period_ms, t_min, t_max,
                                       gains, tolerance, window, timeout, ramp)
        Drivable.__init__(self, name, description, clock, **props)
        if extra:
            thermometer.attach(self)
        self.thermometer = thermometer
        self.interlock = interlock
        self.period_ms = interlock.period_ms
        self.pid = PID(gains[0], gains[1], gains[2], 0.0, rated, i_band=i_band)
        self.heater_module = None
        self.heat_config = heat     # the heat check's overrides (control.heatcheck)
        # the _autotune_result the heat check was set from: the interlock starts with
        # the defaults, so control.heatcheck is loaded only for a tune or an override
        self._plant = None if heat != (None, None, None) else self.get('_autotune_result')
        self._overtemp = t_max + 10.0 if overtemp is None else float(overtemp)
        self.set('_overtemp', self._overtemp)
        self._failed = False        # the last step raised or the loop stalled
        self._tuner = None          # modules.tuning.Run while _autotune runs
        self._tune_failed = False   # its WARN stands until a new target, stop or clear_errors
        self._driving = False       # a target was written: until then (and after
                                    # clear_errors) the loop holds none, heater off
        self._temp = None
        self._drive_start = 0
        self._stable_since = None
        self._published = None      # time the value was last published
        self._run = None            # recent values within one band (see _track_run)
        self._now = clock.read()
        self._first_reading()

    def _first_reading(self):
        """The target starts at the measured value (clamped into the limits)."""
        try:
            temp = self.thermometer.measure()
        except SensorFault as fault:
            self.set_error('value', fault_error(fault))
            return
        self._temp = temp
        self.set('value', temp)
        self._hold(temp)

    # --- state --------------------------------------------------------------

    def attach_heater_module(self, module):
        """The manual heater module that shares this loop's interlock."""
        self.heater_module = module

    def latched(self):
        return self.interlock.latched is not None

    def release_control(self):
        """The heater module took over: stop driving, keep measuring."""
        self._end_tune(None, 'autotune stopped: manual heater control')
        self.set('control_active', False)
        if self.is_busy():
            self.set_status(IDLE, 'manual heater control')

    def _clamped(self, temp):
        low, high = self.get('target_limits')
        return min(max(temp, low), high)

    def _hold(self, temp):
        """Target and setpoint to ``temp``, clamped into target_limits."""
        target = self._clamped(temp)
        self.set('target', target)
        self.set('setpoint', target)

    def _begin_drive(self, target):
        self._tune_failed = False
        if not self._driving:       # the PID was idle: start from the present reading
            self.pid.reset(self._temp)
            self._driving = True
        self._drive_start = self._now
        self._stable_since = self._in_band_since(target)
        if self.get('ramp') > 0 and self._temp is not None:
            self.set('setpoint', self._temp)
            self.set_status(RAMPING, 'ramping to %.6g' % target)
        else:
            self.set('setpoint', target)
            self.set_status(STABILIZING, 'heating' if self._heating(target) else 'cooling')

    def _in_band_since(self, target):
        """Since when the value has stayed within ``_tolerance`` of ``target``, if it
        has (the settle window counts from entering the band, not from the change)."""
        run, tolerance = self._run, self.get('_tolerance')
        if run is not None and run[0] >= target - tolerance and run[1] <= target + tolerance:
            return run[2]
        return None

    def _track_run(self, temp, now_ms):
        """Keep the run of recent values that spans no more than one band (2 x _tolerance):
        ``[lowest, highest, since, mark]``.  ``since`` is moved up to ``mark`` every hour,
        so it stays within two hours (tick differences are valid for days only) and
        still at least an hour, the longest ``_window``, once the run is that long."""
        run = self._run
        if run is None or max(run[1], temp) - min(run[0], temp) > 2 * self.get('_tolerance'):
            self._run = [temp, temp, now_ms, now_ms]
            return
        run[0] = min(run[0], temp)
        run[1] = max(run[1], temp)
        if self.clock.diff(now_ms, run[3]) >= 3600000:
            run[2] = run[3]
            run[3] = now_ms

    def _heating(self, target):
        return self._temp is None or target > self._temp

    def _take_control(self):
        if not self.get('control_active'):
            self.pid.reset(self._temp, self.interlock.power)
            self.set('control_active', True)
            if self.heater_module is not None:
                self.heater_module.controlled_by_loop()

    # --- SECoP hooks --------------------------------------------------------

    def check_target(self, value):
        low, high = self.get('target_limits')
        if not low <= value <= high:
            raise SECoPError('RangeError', '%.6g is outside target_limits [%.6g, %.6g]' % (
                value, low, high))

    def check_target_limits(self, value):
        if value[0] > value[1]:
            raise SECoPError('RangeError', 'target_limits: min must not exceed max')

    def write_target(self, value):
        if self._tuner is not None:
            raise SECoPError('IsBusy', 'autotune is running: stop it first')
        refusal = self.interlock.latched or self.interlock.fault
        if refusal:
            raise SECoPError('IsError', refusal)
        if self._failed:
            raise SECoPError('IsError', self.get('status')[1])
        self._begin_drive(value)
        self._take_control()        # after: its bumpless PID restart wins
        return value

    def write_target_limits(self, value):
        target = self.get('target')
        if not value[0] <= target <= value[1]:
            clamped = min(max(target, value[0]), value[1])
            self.set('target', clamped)
            if self._tuner is not None:     # its target is gone: it ends, the loop holds clamped
                self._tuner.excluded(target, clamped)
            elif self._driving and self.get('control_active') and \
                    self.interlock.refusal() is None:
                self._begin_drive(clamped)

    def write__maxheaterpower(self, value):
        self.pid.out_max = value
        self.interlock.set_limit(value)
        self._publish_power()

    def write_ctrlpars(self, gains):
        self.pid.set_gains(gains['p'], gains['i'], gains['d'])

    def read_value(self):
        return self._temp       # the latest measurement; None keeps a fault's error

    def do_stop(self):
        """Manual mode: the heater goes off.  Loop mode: hold the present value."""
        self._end_tune(None, 'autotune stopped; gains kept')
        self._tune_failed = False
        if not self.get('control_active'):
            self.interlock.off()
            if self.heater_module is not None:
                self.heater_module.stopped()
        elif self._temp is not None:
            self._hold(self._temp)
        self._publish_power()
        if self.is_busy() or self.status_code() == WARN:
            self.set_status(IDLE, 'stopped')

    def do_clear_errors(self):
        self._tune_failed = False
        lock = self.interlock
        temp = self._temp
        if lock.latched is not None and temp is not None and lock.fault is None \
                and temp < self._overtemp:
            lock.clear()
            self.log(self, 'info', 'errors cleared')
            self._driving = False           # heater off until a client asks for a target
            self._hold(temp)
            self.pid.reset(temp, 0.0)
            self.set_status(IDLE, 'errors cleared')
        elif self.status_code() == WARN:
            self.set_status(IDLE, '')

    # --- autotune (modules/tuning.py, control/autotune.py: loaded while it runs) --

    def check_argument(self, command, raw):
        if command is not self.accessible('_autotune'):
            return Drivable.check_argument(self, command, raw)
        if raw is None:
            return {}           # no argument: the defaults
        arg = Drivable.check_argument(self, command, raw) or {}
        return {key: arg[key] for key in raw}   # what the client left out takes the default

    def do__autotune(self, arg):
        if self._tuner is not None:
            raise SECoPError('IsBusy', 'autotune is running: stop it first')
        from modules import tuning
        self._tuner = tuning.start(self, arg)      # SECoPError if it cannot start

    def _abort_tune(self, why):
        """The status text for ``why``; a running tune ends (gains kept) and says so."""
        return why if self._tuner is None else self._tuner.abort(why)

    def _end_tune(self, code, text):
        """Drop the tuner (and its module); status ``code`` with ``text`` unless None."""
        if self._tuner is not None:
            self._tuner.end(code, text)

    # --- control ------------------------------------------------------------

    def step(self, now_ms, dt):
        """One control period; ``dt`` in seconds since the previous step."""
        self._now = now_ms
        lock = self.interlock
        try:
            temp = self.thermometer.measure()
        except SensorFault as fault:
            self._sensor_fault(fault)
            lock.renew()
            self._publish_power()
            return
        fresh = self._temp is None        # the value showed an error until now
        self._temp = temp
        self._track_run(temp, now_ms)
        self._publish_value(temp, now_ms, fresh)
        if temp >= self._overtemp:
            self._trip('over temperature: %.2f >= %.2f, do clear_errors' % (temp, self._overtemp))
        plant = self.get('_autotune_result')
        found = lock.heat_check(temp) if plant is self._plant else 0
        if found or plant is not self._plant:
            from control import heatcheck       # after a tune (checks from the next step on),
            heatcheck.update(self, found)       # for a config's override, on a fault
            forget('control.heatcheck')
        if self._failed or lock.fault is not None:
            self.log(self, 'info', 'sensor recovered' if lock.fault else 'control recovered')
            self._failed = False
            lock.clear_fault()
            if lock.latched is None:
                self.pid.reset(temp, 0.0)
                self._resume()
        if lock.latched is not None or not self.get('control_active'):
            lock.renew()            # manual mode: the manual request stands while permitted
            self._publish_power()
            return
        target = self.get('target')
        if self._tuner is not None:
            setpoint = target
            power = self._tuner.step(now_ms, temp)
        elif self._driving:
            setpoint = self._ramp_setpoint(target, dt)
            power = self.pid.update(setpoint, temp, dt) if dt > 0 else lock.power
        else:
            setpoint = target
            power = 0.0
        lock.renew()
        lock.request(power)
        self._publish_power()
        if self._tuner is None and (self.is_busy() or
                                    (self.status_code() == WARN and not self._tune_failed)):
            self._update_status(temp, target, setpoint, now_ms)

    def _sensor_fault(self, fault):
        lock = self.interlock
        err = fault_error(fault)
        self._temp = None
        self._run = None
        if fault.kind == 'range' and fault.above:
            self._trip('over range: %s, do clear_errors' % err.text)
        new = lock.fault != err.text
        lock.set_fault(err.text)
        self.set_error('value', err)
        self._publish_power()
        if new:
            self.log(self, 'error', 'heater off: ' + err.text)
        if lock.latched is None:
            self.set_status(ERROR, self._abort_tune(err.text))

    def _trip(self, text):
        lock = self.interlock
        if lock.latched is None:
            lock.latch(text)
            self._publish_power()
            self.log(self, 'error', 'heater off: ' + text)
            self.set_status(ERROR, self._abort_tune(text))
        lock.off()

    def _publish_value(self, temp, now_ms, fresh):
        """``value`` is announced every ``pollinterval`` (and at once after an error)."""
        last = self._published
        if fresh or last is None or \
                self.clock.diff(now_ms, last) >= self.get('pollinterval') * 1000:
            self.set('value', temp)
            self._published = now_ms

    def _resume(self):
        if self._driving and self.get('control_active'):
            self._begin_drive(self.get('target'))
        else:
            self.set_status(IDLE, '')

    def _ramp_setpoint(self, target, dt):
        setpoint = self.get('setpoint')
        rate = self.get('ramp')
        if rate > 0 and setpoint != target:
            limit = rate / 60.0 * dt
            setpoint = setpoint + max(-limit, min(limit, target - setpoint))
        else:
            setpoint = target
        self.set('setpoint', setpoint)
        return setpoint

    def _update_status(self, temp, target, setpoint, now_ms):
        if setpoint != target:
            self.set_status(RAMPING, 'ramping to %.6g' % target)
            return
        if abs(temp - target) <= self.get('_tolerance'):
            if self._stable_since is None:
                self._stable_since = now_ms
            if self.clock.diff(now_ms, self._stable_since) >= self.get('_window') * 1000:
                self.set_status(IDLE, 'at target')
                return
        else:
            self._stable_since = None
        timeout = self.get('_timeout')
        if timeout and self.clock.diff(now_ms, self._drive_start) > timeout * 1000:
            self.set_status(WARN, 'target not reached within %.6g s' % timeout)
        elif self.status_code() != WARN:
            self.set_status(STABILIZING, 'heating' if self._heating(target) else 'cooling')

    def _publish_power(self):
        power = self.interlock.power
        self.set('_heaterpower', power)
        if self.heater_module is not None:
            self.heater_module.refresh()

    def fail(self, exc):
        """An exception in the control path: the lease ends (heater off) first,
        then ERROR and one log line."""
        self.interlock.revoke('control step failed')
        first = not self._failed
        self._failed = True
        self._publish_power()
        err = as_secop_error(exc)
        self.set_status(ERROR, self._abort_tune('control failed: ' + err.text))
        if first:
            self.log(self, 'error', 'heater off: control failed: ' + err.text)

    def watch(self):
        """From the watch task: heater off once the permit is gone; True while
        the control step keeps its lease (the hardware watchdog is fed then)."""
        lock = self.interlock
        held = lock.check()
        if not held and lock.started() and not self._failed:
            self._failed = True
            self._published = None      # tick marks of before a stall are not compared
            self._run = None
            self.set_status(ERROR, self._abort_tune('control loop stalled'))
            self.log(self, 'error', 'heater off: control loop stalled')
        self._publish_power()
        return held
