"""Calibration curves in Lake Shore's ``.340`` format: sensor type ``curve``.

    curve = load('cernox.340')          # ValueError with the line if the file is wrong
    curve.temperature(x)                # degC from ohms (formats 3, 4) or microvolts (1, 2)

The file has a header of ``Name: value`` lines, the one that counts being
``Data Format:`` (1 mV/K, 2 V/K, 3 Ohms/K, 4 Log Ohms/K), then up to 200
breakpoints ``index units kelvin``, ascending or descending.  Between two
breakpoints the temperature is interpolated linearly in the units of the
format, as the Lake Shore instruments do: in millivolts, volts, ohms, or
in log10(ohms) for format 4.  A reading outside the curve is a range fault.

Imported only for a sensor of type ``curve`` (built by
control.sensorconfig: ``r_fixed``, or ``current_ua`` with ``gain``/``offset_uv``,
for ohm curves; an optional ``gain``/``offset_uv`` for volt curves); the breakpoints are kept in
two float arrays (1.6 KB for 200 points), not in lists of float objects.
"""

import math
from array import array

from control.sensors import SensorFault

MAX_POINTS = 200
_KELVIN = 273.15
FORMATS = {1: 'mV/K', 2: 'V/K', 3: 'Ohms/K', 4: 'Log Ohms/K'}


class Curve:
    """Breakpoints sorted by sensor units; ``fmt`` is the data format (1-4)."""

    def __init__(self, fmt, units, kelvin):
        if fmt not in FORMATS:
            raise ValueError('data format %r: only 1 (mV/K), 2 (V/K), 3 (Ohms/K) and '
                             '4 (Log Ohms/K) are supported' % (fmt,))
        n = len(units)
        if not 2 <= n <= MAX_POINTS:
            raise ValueError('%d breakpoints: 2 to %d are allowed' % (n, MAX_POINTS))
        if units[0] > units[-1]:
            units = units[::-1]
            kelvin = kelvin[::-1]
        rising = kelvin[-1] > kelvin[0]
        for i in range(1, n):
            if not units[i] > units[i - 1]:
                raise ValueError('breakpoints: units must rise or fall strictly (at %g)'
                                 % units[i])
            if (kelvin[i] > kelvin[i - 1]) != rising or kelvin[i] == kelvin[i - 1]:
                raise ValueError('breakpoints: temperatures must rise or fall strictly '
                                 '(at %g K)' % kelvin[i])
        if kelvin[0] <= 0 or kelvin[-1] <= 0:
            raise ValueError('breakpoints: temperatures must be above 0 K')
        self.fmt = fmt
        self.units = array('f', units)
        self.kelvin = array('f', kelvin)
        self.t_min = min(kelvin[0], kelvin[-1]) - _KELVIN
        self.t_max = max(kelvin[0], kelvin[-1]) - _KELVIN

    def _units(self, x):
        """Ohms or microvolts in the units of the format."""
        fmt = self.fmt
        if fmt == 1:
            return x / 1000.0
        if fmt == 2:
            return x / 1e6
        if fmt == 4:
            if not x > 0:
                raise SensorFault('range', 'resistance %g ohm' % x)
            return math.log10(x)
        return x

    def temperature(self, x):
        u = self._units(x)
        units = self.units
        low, high = 0, len(units) - 1
        if not units[low] <= u <= units[high]:     # also catches NaN
            raise SensorFault('range', '%g outside the curve' % u)
        while high - low > 1:
            mid = (low + high) // 2
            if units[mid] <= u:
                low = mid
            else:
                high = mid
        k0 = self.kelvin[low]
        k1 = self.kelvin[high]
        kelvin = k0 + (k1 - k0) * (u - units[low]) / (units[high] - units[low])
        return kelvin - _KELVIN


def _float(text, lineno):
    try:
        return float(text)
    except ValueError:
        raise ValueError('line %d: %r is not a number' % (lineno, text))


def parse(lines):
    """A Curve from the lines of a .340 file."""
    fmt = None
    declared = None
    units = []
    kelvin = []
    lineno = 0
    for line in lines:
        lineno += 1
        line = line.strip()
        if not line:
            continue
        if ':' in line:
            key, _, value = line.partition(':')
            key = key.strip().lower()
            word = value.split()[0] if value.split() else ''
            if key == 'data format':
                fmt = int(_float(word, lineno))
            elif key == 'number of breakpoints':
                declared = int(_float(word, lineno))
            continue
        fields = line.split()
        if fields[0].lower() == 'no.':
            continue                # the column heading
        if len(fields) != 3:
            raise ValueError('line %d: a breakpoint is "index units kelvin"' % lineno)
        if len(units) >= MAX_POINTS:
            raise ValueError('more than %d breakpoints' % MAX_POINTS)
        units.append(_float(fields[1], lineno))
        kelvin.append(_float(fields[2], lineno))
    if fmt is None:
        raise ValueError("no 'Data Format:' line")
    if declared is not None and declared != len(units):
        raise ValueError('%d breakpoints, the header says %d' % (len(units), declared))
    return Curve(fmt, units, kelvin)


def load(path):
    """The Curve in the file ``path`` (relative to the config's folder)."""
    try:
        with open(path) as f:
            return parse(f)
    except OSError as exc:
        raise ValueError('curve file %s cannot be read (%s)' % (path, exc))
    except ValueError as exc:
        raise ValueError('curve file %s: %s' % (path, exc))


class Amplified:
    """The sensor's own voltage behind an amplifier: the front end of volt curves."""

    def __init__(self, amplifier):
        self.amplifier = amplifier

    def resistance(self, uv):       # the name ResistiveSensor calls; here microvolts
        return self.amplifier.sensor_uv(uv)
