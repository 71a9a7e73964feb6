#!/usr/bin/env python3
"""Step response of the temperature loop on the simulated board, measured
over SECoP from the real firmware under MicroPython.

    .venv/bin/python tools/plot_step.py [--target 60] [--seconds 600] [--speed 20] [--docs]

Starts ``tools/sim.py``, activates ``heater`` and ``heater_output``, changes
``heater:target`` and records every update with its simulated time.  Prints
the figures of the performance bar (overshoot, time to settle within
+-0.1 K, steady-state rms error, time to IDLE) and writes a PNG of value,
target and heater power over time, plus a Markdown summary, under build/
(``--docs``: docs/step_response.png, and the figures into docs/control.md
between its ``plot:begin``/``plot:end`` markers).  "Settled"
means the value stayed within the band until the end of the run; a run that
ends outside it reports "never".
"""

import argparse
import json
import math
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
from simnode import SimNode  # noqa: E402

BAND = 0.1          # K: "settled" band
STEADY = 120.0      # s: the last part of the run used for the rms error
RATED = 100.0       # W: heater of the simulated plant


def record(node, target, seconds, speed):
    """Change the target and collect (sim s, kind, value) until ``seconds`` pass."""
    conn = node.client(timeout=30)
    conn.ask('*IDN?')
    for module in ('heater', 'heater_output'):
        conn.send('activate ' + module)
        while conn.recv() != 'active ' + module:
            pass
    start_value = json.loads(conn.ask('read heater:value').split(' ', 2)[2])[0]
    conn.send('change heater:target %g' % target)
    t_step = None
    rows = []
    deadline = time.monotonic() + seconds / speed + 30
    shown = 0
    while time.monotonic() < deadline:
        line = conn.recv()
        action, spec, data = line.split(' ', 2)
        if action == 'changed':
            t_step = json.loads(data)[1]['t']
            continue
        if action != 'update':
            continue
        value, qual = json.loads(data)
        if t_step is None:
            continue
        sim_t = qual['t'] - t_step         # timestamps are in simulated time
        if sim_t > seconds:
            break
        if sim_t >= shown:
            print('simulated %3.0f of %.0f s' % (sim_t, seconds), file=sys.stderr, flush=True)
            shown += seconds / 10
        if spec == 'heater:value':
            rows.append((sim_t, 'value', value))
        elif spec == 'heater_output:value':
            rows.append((sim_t, 'power', value))
        elif spec == 'heater:status':
            rows.append((sim_t, 'status', value[0]))
    conn.ask('change heater:target %g' % start_value)
    conn.close()
    return start_value, rows


def figures(start, target, rows, seconds):
    values = [(t, v) for t, kind, v in rows if kind == 'value']
    overshoot = max(v for _, v in values) - target if target > start else \
        target - min(v for _, v in values)
    settle = settle_time(values, target)
    steady = [v - target for t, v in values if t > seconds - STEADY]
    rms = math.sqrt(sum(e * e for e in steady) / len(steady))
    idle = next((t for t, kind, v in rows if kind == 'status' and v < 300 and t > 0), None)
    # the plant needs this long at full power: C/k * ln((P/k) / (P/k - (T1 - T0)))
    full_power = 400.0 * math.log(RATED / (RATED - (target - start)))
    return {'overshoot_K': overshoot, 'settle_s': settle, 'rms_K': rms, 'idle_s': idle,
            'full_power_s': full_power,
            'settle_ratio': None if settle is None else settle / full_power}


def settle_time(values, target):
    """The time of the last sample outside the band, if the run ended inside it."""
    outside = [t for t, v in values if abs(v - target) > BAND]
    if not values or (outside and outside[-1] == values[-1][0]):
        return None
    return outside[-1] if outside else 0.0


def plot(rows, target, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(8, 6),
                                   gridspec_kw={'height_ratios': [3, 1]})
    values = [(t, v) for t, kind, v in rows if kind == 'value']
    power = [(t, v) for t, kind, v in rows if kind == 'power']
    ax1.plot([t for t, _ in values], [v for _, v in values], label='heater:value')
    ax1.axhline(target, color='k', linestyle='--', linewidth=0.8, label='target')
    ax1.set_ylabel('temperature (\u00b0C)')
    ax1.legend(loc='lower right')
    ax1.grid(True, alpha=0.3)
    ax2.step([t for t, _ in power], [v for _, v in power], where='post', color='tab:red')
    ax2.set_ylabel('heater (W)')
    ax2.set_xlabel('simulated time since the change (s)')
    ax2.grid(True, alpha=0.3)
    fig.suptitle('Step response on the simulated plant (firmware under MicroPython)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def format_s(seconds):
    return 'never' if seconds is None else '%.0f s' % seconds


def figures_text(png, doc, start, target, result, args):
    """The measured figures: a paragraph, a table and the plot, as Markdown."""
    bar = [('overshoot', '%.3f K' % result['overshoot_K'], '<= 0.3 K'),
           ('time to settle within +-0.1 K', format_s(result['settle_s']),
            '<= %.0f s (1.5 x %.0f s at full power)' % (1.5 * result['full_power_s'],
                                                          result['full_power_s'])),
           ('steady-state rms error (last %d s)' % STEADY, '%.4f K' % result['rms_K'],
            '<= 0.03 K'),
           ('status back to IDLE', format_s(result['idle_s']), 'settled + _window (30 s)')]
    lines = ['Step %.1f -> %.1f degC on the simulated plant (100 W, 400 J/K, 1 W/K, 3 s dead '
             'time, 0.02 K noise, 12-bit ADC) with the default gains p=30 W/K, i=0.5 W/(K s), '
             'd=60 W s/K and a 0.5 s control period. Measured over SECoP from the real '
             'firmware under MicroPython at %gx simulated speed by `make plot` '
             '(`tools/plot_step.py`), %s.' % (start, target, args.speed,
                                              time.strftime('%Y-%m-%d')), '',
             '| figure | measured | bar |', '|---|---|---|']
    lines += ['| %s | %s | %s |' % row for row in bar]
    lines += ['', '![step response](%s)' % os.path.relpath(png, os.path.dirname(doc)), '']
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--target', type=float, default=60.0)
    parser.add_argument('--seconds', type=float, default=600.0, help='simulated seconds')
    parser.add_argument('--speed', type=float, default=20.0)
    parser.add_argument('--docs', action='store_true', help='write docs/step_response.png '
                        'and docs/control.md (default: build/step_response.{png,md})')
    args = parser.parse_args(argv)
    if args.docs:
        png, doc = os.path.join(ROOT, 'docs', 'step_response.png'), \
            os.path.join(ROOT, 'docs', 'control.md')
    else:
        png, doc = os.path.join(ROOT, 'build', 'step_response.png'), \
            os.path.join(ROOT, 'build', 'step_response.md')
        os.makedirs(os.path.dirname(png), exist_ok=True)
    node = SimNode(speed=args.speed)
    try:
        start, rows = record(node, args.target, args.seconds, args.speed)
    finally:
        node.stop()
    result = figures(start, args.target, rows, args.seconds)
    for key, value in result.items():
        print('%-14s %s' % (key, '%.4g' % value if value is not None else 'never'))
    plot(rows, args.target, png)
    text = figures_text(png, doc, start, args.target, result, args)
    if args.docs:
        bench.into_docs(text, doc, 'plot')
    else:
        with open(doc, 'w') as f:
            f.write('# Step response\n\n' + text)
    print('wrote', os.path.relpath(png, ROOT), os.path.relpath(doc, ROOT))


if __name__ == '__main__':
    main()
