"""Relay-feedback autotune (Astrom-Hagglund) for the temperature loop.

    tuner = RelayTuner(target, max_power, amplitude=None, cycles=4, start_power=0.0)
    power = tuner.update(t_ms, temp)     # every control period; TuneFailed on failure
    tuner.stage()                        # 'measuring noise', 'heating to target', 'cycle 2 of 4'
    tuner.result                         # a dict once finished, else None

``t_ms`` counts milliseconds since the tune began (``clock.elapsed(started)``
in the loop), not ticks: tick counts wrap, and only secop.clock compares them.

Pure logic: the loop feeds it measurements and sends the power it asks for
through the same output (and interlock) as the PID.  Imported only while a
tune runs.

How it works:

1. Noise: 16 readings at the loop's present power; the spread of their
   second differences (a slope cancels out) gives the sensor noise and the
   relay's hysteresis ``h`` = max(0.02 K, 4 sigma), so noise cannot flip it.
2. Approach: the high level until the value passes ``target + h``.
3. Relay: high when the value falls under ``target - h``, low when it
   rises over ``target + h``.  The levels sit symmetric around a
   bias, so heating and cooling half periods match: first ``amplitude``
   (from 0 to 2 amplitude), then after each cycle the mean power of that
   cycle, which is what the block loses at the target.  A heater cannot cool,
   so the relay amplitude ``d`` is at most the bias (and the headroom above
   it).  A cycle runs from one switch to high to the next.
4. Every cycle after the first is measured: period ``Pu`` and half the
   peak-to-peak amplitude ``a``.  With the describing function of a relay
   with hysteresis the ultimate gain is ``Ku = 4 d / (pi sqrt(a^2 - h^2))``.
5. Gains from the rule in ``RULES`` (see docs/control.md for the plant
   measurements behind the choice).

Times are integer milliseconds (float32 boards lose milliseconds after
hours); gains are in W/K, W/(K s), W s/K like the loop's ``ctrlpars``.
"""

import math

NOISE_SAMPLES = 16
MIN_HYSTERESIS = 0.02       # K
MAX_HYSTERESIS = 1.0        # K: noisier than this is no temperature sensor
MIN_RELAY = 0.01            # of max_power: a smaller relay amplitude measures nothing
# rule name: (Kp / Ku, Ti / Pu, Td / Pu).  The default keeps Tyreus-Luyben's P and D but
# integrates 2.75 times faster: control.pid holds the integral while the error closes,
# so the overshoot that Tyreus-Luyben's slow integral limits does not build up
RULES = {
    'tyreus-luyben-fast-i': (1 / 2.2, 0.8, 1 / 6.3),
    'tyreus-luyben': (1 / 2.2, 2.2, 1 / 6.3),
    'no-overshoot': (0.2, 0.5, 1 / 3),
}
DEFAULT_RULE = 'tyreus-luyben-fast-i'


class TuneFailed(Exception):
    """The tune cannot finish; the text says why."""


class RelayTuner:
    def __init__(self, target, max_power, amplitude=None, cycles=4, start_power=0.0,
                 limit_s=1800, rule=DEFAULT_RULE):
        if not max_power > 0:
            raise ValueError('max_power must be > 0')
        if amplitude is None:
            amplitude = max_power / 4
        if not 0 < amplitude <= max_power / 2:
            raise ValueError('amplitude must be in (0, %g] W' % (max_power / 2))
        if not 2 <= cycles <= 20:
            raise ValueError('cycles must be in [2, 20]')
        if rule not in RULES:
            raise ValueError('unknown rule %r' % (rule,))
        self.target = target
        self.max_power = max_power
        self.amplitude = amplitude
        self.cycles = cycles
        self.limit_ms = int(limit_s * 1000)
        self.rule = rule
        self.result = None
        self.hysteresis = MIN_HYSTERESIS
        self._start_power = min(max(start_power, 0.0), max_power)
        self._bias = amplitude
        self._high = True           # the relay's present level
        self._samples = []          # readings while measuring the noise
        self._measuring = True
        self._switch_ms = None      # the last switch of the relay
        self._switched = None       # the first switch: the approach is over
        self._cycle = 0             # completed cycles
        self._cycle_began = None    # time of the switch to high that began the cycle
        self._peak = self._trough = target
        self._energy = 0.0          # W ms over the present cycle
        self._previous_ms = None
        self._power = self._start_power
        self._measured = []         # (period ms, amplitude K, relay amplitude W) per cycle

    # --- stage ----------------------------------------------------------------

    def stage(self):
        if self._measuring:
            return 'measuring noise'
        if self._cycle_began is None and self._switched is None:
            return 'heating to target' if self._high else 'cooling to target'
        return 'cycle %d of %d' % (min(self._cycle + 1, self.cycles), self.cycles)

    def _levels(self):
        d = min(self._bias, self.max_power - self._bias)
        d = min(d, self.amplitude) if self._cycle else d
        return self._bias + d, self._bias - d, d

    # --- one control period ---------------------------------------------------

    def update(self, t_ms, temp):
        """The power (W) for the next period."""
        if self._previous_ms is not None:
            self._energy += self._power * (t_ms - self._previous_ms)
        self._previous_ms = t_ms
        if self._measuring:
            return self._measure_noise(t_ms, temp)
        if self._switch_ms is not None and t_ms - self._switch_ms > self.limit_ms:
            raise TuneFailed('no oscillation: %.3g not crossed in %d s'
                             % (self.target, self.limit_ms // 1000))
        self._peak = max(self._peak, temp)
        self._trough = min(self._trough, temp)
        h = self.hysteresis
        if self._high and temp > self.target + h:
            self._high = False
            self._switch(t_ms)
        elif not self._high and temp < self.target - h:
            self._high = True
            self._switch(t_ms)
            self._begin_cycle(t_ms)
        if self.result is not None:
            return self._power
        high, low, _ = self._levels()
        self._power = high if self._high else low
        return self._power

    def _switch(self, t_ms):
        self._switch_ms = t_ms
        if self._switched is None:
            self._switched = t_ms

    def _measure_noise(self, t_ms, temp):
        samples = self._samples
        samples.append(temp)
        if len(samples) >= NOISE_SAMPLES:
            total = 0.0
            for i in range(2, len(samples)):
                dd = samples[i] - 2 * samples[i - 1] + samples[i - 2]
                total += dd * dd
            sigma = math.sqrt(total / (len(samples) - 2) / 6)   # var(dd) = 6 sigma^2
            if 4 * sigma > MAX_HYSTERESIS:
                raise TuneFailed('sensor too noisy: %.3g K rms' % sigma)
            self.hysteresis = max(MIN_HYSTERESIS, 4 * sigma)
            self._measuring = False
            self._samples = []
            self._high = temp < self.target
            self._switch_ms = t_ms
            self._power = self._levels()[0] if self._high else 0.0
        return self._power

    def _begin_cycle(self, t_ms):
        if self._cycle_began is not None:
            period = t_ms - self._cycle_began
            d = self._levels()[2]
            self._measured.append((period, (self._peak - self._trough) / 2, d))
            self._bias = min(max(self._energy / period, 0.0), self.max_power)
            if self._levels()[2] < self.max_power * MIN_RELAY:
                raise TuneFailed('%.2g W hold %.3g: tune further above ambient'
                                 % (self._bias, self.target))
            self._cycle += 1
            if self._cycle >= self.cycles:
                self._finish()
                return
        self._cycle_began = t_ms
        self._energy = 0.0
        self._peak = self._trough = self.target

    def _finish(self):
        measured = self._measured[1:]       # the first cycle only found the bias
        n = len(measured)
        period = sum(m[0] for m in measured) / n / 1000
        amplitude = sum(m[1] for m in measured) / n
        d = sum(m[2] for m in measured) / n
        h = self.hysteresis
        if amplitude < 1.25 * h:
            raise TuneFailed('oscillation %.2g K within the noise band %.2g K'
                             % (amplitude, h))
        ku = 4 * d / (math.pi * math.sqrt(amplitude * amplitude - h * h))
        self.result = gains(ku, period, self.rule)
        self.result.update({'ku': ku, 'pu': period, 'amplitude': amplitude,
                            'relay': d, 'hysteresis': h})
        self._power = self._bias


def gains(ku, pu, rule=DEFAULT_RULE):
    """PID gains {'p', 'i', 'd', 'rule'} from the ultimate gain and period."""
    kp_ratio, ti_ratio, td_ratio = RULES[rule]
    kp = kp_ratio * ku
    return {'p': kp, 'i': kp / (ti_ratio * pu), 'd': kp * td_ratio * pu, 'rule': rule}
