"""Thermal plant of the simulated board: a heated block, host only.

First-order model: ``C dT/dt = P(t - dead_time) - k (T - T_ambient)``, solved
exactly between changes of the (delayed) heater power, so the result does
not depend on how often it is advanced.  Time is the board's simulated time
in milliseconds.  Faults: ``heater_stuck_on`` heats at full power whatever
the PWM says; sensor faults are applied by the simulated ADC.
"""

import math
import random
from micropython import const

_HISTORY = const(64)


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
        self.now_ms = 0
        self._changes = [(-self.dead_ms, 0.0)]     # (time, commanded power)
        random.seed(seed)

    def command(self, now_ms, power):
        """The heater power commanded by the PWM at ``now_ms``."""
        self.advance(now_ms)
        if power != self._changes[-1][1]:
            self._changes.append((now_ms, power))
            if len(self._changes) > _HISTORY:
                self._changes.pop(0)

    def _power_at(self, t_ms):
        """Power acting on the block at t (commanded dead_time earlier)."""
        if self.stuck_on:
            return self.rated_power
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

    def sensor_temp(self, now_ms):
        """Block temperature as the sensor sees it, with gaussian noise."""
        self.advance(now_ms)
        return self.temp + self.noise * _gauss()


def _gauss():
    """Standard normal deviate (MicroPython's random has no gauss)."""
    u = random.random() or 1e-12
    return math.sqrt(-2.0 * math.log(u)) * math.cos(2.0 * math.pi * random.random())
