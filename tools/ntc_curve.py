#!/usr/bin/env python3
"""Write a Lake Shore ``.340`` curve (format 4, Log Ohms/K) for an NTC thermistor
from its datasheet's beta value, for the sensor type ``curve``.

    .venv/bin/python tools/ntc_curve.py OUT.340 [--r25 10000] [--beta 3950]
                                        [--t-min -40] [--t-max 125] [--step 5]

Breakpoints every ``step`` K from ``t_min`` to ``t_max`` (degC), descending in
resistance as instruments list them.  boards/sim/ntc10k_b3950.340, the simulated
board's thermistor, is ``--step 2.5`` (at most 0.007 K off the beta model).
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'firmware'))

from control.ntc import NTCBeta  # noqa: E402


def lines(r25, beta, t_min, t_max, step):
    model = NTCBeta(r25, beta)
    count = int(round((t_max - t_min) / step)) + 1
    out = ['Sensor Model:   NTC %g ohm B%g' % (r25, beta),
           'Serial Number:  beta-model',
           'Data Format:    4      (Log Ohms/Kelvin)',
           'SetPoint Limit: %.1f      (Kelvin)' % (t_max + 273.15),
           'Temperature coefficient:  1 (Negative)',
           'Number of Breakpoints:   %d' % count,
           '',
           'No.   Units      Temperature (K)',
           '']
    for i in range(count):
        t = t_min + i * step
        out.append('%3d  %.6f      %.3f' % (i + 1, math.log10(model.resistance(t)), t + 273.15))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,      # its usage names the defaults
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out')
    parser.add_argument('--r25', type=float, default=10000.0)
    parser.add_argument('--beta', type=float, default=3950.0)
    parser.add_argument('--t-min', type=float, default=-40.0)
    parser.add_argument('--t-max', type=float, default=125.0)
    parser.add_argument('--step', type=float, default=5.0)
    args = parser.parse_args(argv)
    with open(args.out, 'w') as f:
        f.write('\r\n'.join(lines(args.r25, args.beta, args.t_min, args.t_max, args.step)) + '\r\n')
    print('wrote', args.out)


if __name__ == '__main__':
    main()
