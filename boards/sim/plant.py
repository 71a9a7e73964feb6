"""Thermal plant of the simulated board: a heated block, host only.

First-order model: ``C dT/dt = P(t - dead_time) - k (T - T_ambient)``, solved
exactly between changes of the (delayed) heater power, so the result does
not depend on how often it is advanced.  Time is the board's simulated time
in milliseconds.  The power delivered is what the PWM commands, or full
power with the heater stuck on, nothing with the heater open, and nothing
while the enable relay in series is open (``enabled``; closed on a board
without one).  A detached sensor reads a temperature that relaxes toward
ambient while the block keeps its own; the other sensor faults are applied
by the simulated ADC.
"""

import math
import random
from micropython import const

_HISTORY = const(64)
_DETACHED_MS = const(20000)    # time constant of a sensor off the block, in air


class ThermalPlant:
    def __init__(self, heat_capacity=400.0, loss=1.0, ambient=22.0, rated_power=100.0,
                 dead_time=3.0, noise=0.02, seed=1):
        self.heat_capacity = heat_capacity
        self.loss = loss
        self.ambient = ambient
        self.rated_power = rated_power
        self.dead_ms = int(dead_time * 1000)
        self.noise = noise
        self.temp = ambient
        self.stuck_on = False
        self.open = False           # the heater wire is broken
        self.enabled = True         # the enable relay in series is closed
        self._pwm = 0.0             # the power the PWM commands
        self._detached = None       # (time, reading) when the sensor came off the block
        self.now_ms = 0
        self._changes = [(-self.dead_ms, 0.0)]     # (time, commanded power)
        random.seed(seed)

    def command(self, now_ms, power):
        """The heater power commanded by the PWM at ``now_ms``."""
        self._pwm = power
        self.deliver(now_ms)

    def detach(self, now_ms, off):
        """The sensor comes off the block (``off``) or is back on it at ``now_ms``."""
        self.advance(now_ms)
        if not off:
            self._detached = None
        elif self._detached is None:
            self._detached = (now_ms, self.temp)

    def deliver(self, now_ms):
        """The power delivered from ``now_ms`` on, after a change of the PWM, the relay
        (``enabled``) or a heater fault (``stuck_on``, ``open``)."""
        self.advance(now_ms)
        power = 0.0 if self.open or not self.enabled else \
            self.rated_power if self.stuck_on else self._pwm
        if power != self._changes[-1][1]:
            self._changes.append((now_ms, power))
            if len(self._changes) > _HISTORY:
                self._changes.pop(0)

    def _power_at(self, t_ms):
        """Power acting on the block at t (delivered dead_time earlier)."""
        power = self._changes[0][1]
        for when, value in self._changes:
            if when + self.dead_ms > t_ms:
                break
            power = value
        return power

    def advance(self, now_ms):
        t = self.now_ms
        while t < now_ms:
            # the next moment the acting power changes, or now
            end = now_ms
            for when, _ in self._changes:
                if t < when + self.dead_ms < end:
                    end = when + self.dead_ms
            power = self._power_at(t)
            steady = self.ambient + power / self.loss
            decay = math.exp(-(end - t) / 1000.0 * self.loss / self.heat_capacity)
            self.temp = steady + (self.temp - steady) * decay
            t = end
        self.now_ms = max(self.now_ms, now_ms)
        while len(self._changes) > 1 and self._changes[1][0] + self.dead_ms <= self.now_ms:
            self._changes.pop(0)

    def sensor_temp(self, at_ms):
        """Block temperature as the sensor sees it at ``at_ms`` (simulated ms since
        boot), with gaussian noise."""
        self.advance(at_ms)
        temp = self.temp
        if self._detached is not None:
            since, start = self._detached
            temp = self.ambient + (start - self.ambient) * math.exp(
                (since - at_ms) / _DETACHED_MS)
        return temp + self.noise * _gauss()


def _gauss():
    """Standard normal deviate (MicroPython's random has no gauss)."""
    u = random.random() or 1e-12
    return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * random.random())
