#!/usr/bin/env python3
"""Step responses and autotune on simulated plants: the firmware under MicroPython,
measured over SECoP in simulated time.

    .venv/bin/python tools/autotune_plants.py [--plants NAME ...] [--speed 10] [--docs]
    .venv/bin/python tools/autotune_plants.py --step [--target 60] [--seconds 600] [--docs]

``--step`` (``make plot``): the default plant and gains stepped to ``--target``
(build/step_response.*).  Otherwise each of ``PLANTS``, one simulator each, in
parallel, is tuned at 30 degC by ``do heater:_autotune``, stepped to 55 degC and
measured against the bar of docs/control.md (build/plants/).  ``--docs``: figures
into docs/, tables into docs/control.md between its ``plot:``/``plants:`` markers.
"""

import argparse
import concurrent.futures
import json
import math
import os
import shutil
import sys
import tempfile
import time
from contextlib import closing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
from simnode import SimNode, value_of  # noqa: E402

OUT = os.path.join(ROOT, 'build', 'plants')
BAND = 0.1              # K: settled band
STEADY = 120.0          # s: the tail of the run used for the rms error
START, END = 30.0, 55.0
DEFAULT = {'heat_capacity': 400.0, 'loss': 1.0, 'ambient': 22.0, 'rated_power': 100.0,
           'dead_time': 3.0, 'noise': 0.02, 'seed': 1}
# name: (differences from the default plant, what it stands for)
PLANTS = {
    'default': ({}, 'the simulated block'),
    'small': ({'heat_capacity': 133.0}, 'a third of the heat capacity'),
    'large': ({'heat_capacity': 1200.0}, 'three times the heat capacity'),
    'lossy': ({'loss': 3.0, 'rated_power': 300.0}, '3x loss and 3x heater'),
    'insulated': ({'loss': 0.33}, 'a third of the loss'),
    'slow_sensor': ({'dead_time': 9.0}, 'three times the dead time'),
    'fast': ({'heat_capacity': 133.0, 'loss': 0.33, 'rated_power': 33.0, 'dead_time': 1.0,
              'noise': 0.06}, 'C, k, P, dead time / 3, noise x 3'),
    'oversized': ({'rated_power': 300.0}, 'three times the heater power'),
}


def plant_of(name):
    return dict(DEFAULT, **PLANTS[name][0])


def full_power_time(plant, start=START, end=END):
    """t_fp = dead time + (C/k) ln((T_top - start) / (T_top - end)), T_top = ambient + P/k:
    the time the block needs at full power from start to end."""
    c, k = plant['heat_capacity'], plant['loss']
    top = plant['ambient'] + plant['rated_power'] / k
    return plant['dead_time'] + c / k * math.log((top - start) / (top - end))


def write_config(plant, folder):
    """The simulated board's config with this plant; returns its path."""
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    config.setdefault('board', {})['plant'] = plant
    for module in config['modules']:
        if 'heater' in module and 'adc' in module:      # the loop (tutorial_loop on the sim)
            module['heater']['rated_power'] = plant['rated_power']
            module['window'] = 10.0         # IDLE 10 s after settling: shorter runs
    path = os.path.join(folder, 'config.json')
    with open(path, 'w') as f:
        json.dump(config, f)
    return path


class Recorder:
    """A simulated node and an activated connection to it; collects (sim time, spec,
    value) of the updates.  Closing it stops the node."""

    def __init__(self, speed, config=None, log=None, timeout=30):
        self.node = SimNode(speed=speed, config=config, log=log)
        self.speed = speed
        self.conn = self.node.client(timeout=timeout)
        self.conn.ask('*IDN?')
        for module in ('heater', 'heater_output'):
            self.conn.send('activate ' + module)
            while self.conn.recv() != 'active ' + module:
                pass
        self.rows = []
        self.status = None
        self.now = None

    def request(self, line):
        reply, events = self.conn.request(line)
        for event in events:
            self._note(event)
        return reply

    def _note(self, line):
        action, spec, data = line.split(' ', 2)
        if action != 'update':
            return
        value, qual = json.loads(data)
        self.now = qual.get('t', self.now)
        self.rows.append((self.now, spec, value))
        if spec == 'heater:status':
            self.status = value

    def until(self, predicate, sim_seconds):
        """Read updates until ``predicate(self)``; False after ``sim_seconds`` (simulated)."""
        end = time.monotonic() + sim_seconds / self.speed * 1.5 + 30
        start = self.now
        while time.monotonic() < end:
            self._note(self.conn.recv())
            if predicate(self):
                return True
            if start is not None and self.now - start > sim_seconds:
                return False
        return False

    def step(self, target, seconds, progress=False):
        """Change the target and record ``seconds`` (simulated); the rows, timed from the
        change.  ``progress``: a line on stderr every tenth of the run."""
        reply = self.request('change heater:target %g' % target)
        t_step = json.loads(reply.split(' ', 2)[2])[1]['t']
        first = len(self.rows)
        shown = [-1]

        def done(r):
            tenth = int((r.now - t_step) * 10 // seconds)
            if progress and tenth > shown[0]:
                shown[0] = tenth
                print('simulated %3.0f of %.0f s' % (r.now - t_step, seconds), file=sys.stderr,
                      flush=True)
            return r.now - t_step > seconds
        self.until(done, seconds + 60)
        return [(t - t_step, spec, v) for t, spec, v in self.rows[first:]]

    def close(self):
        self.conn.close()
        self.node.stop()


def status_texts(rows, codes):
    """The heater's status texts whose code is in ``codes``."""
    return sorted(set(v[1] for _, spec, v in rows if spec == 'heater:status' and v[0] in codes))


def measure(name, speed, log=None):
    """Tune on plant ``name`` and step it; returns the figures and the recorded rows."""
    plant = plant_of(name)
    with tempfile.TemporaryDirectory(prefix='plant-') as folder, \
            closing(Recorder(speed, write_config(plant, folder), log)) as rec:
        assert rec.request('change heater:target %g' % START).startswith('changed ')
        reply = rec.request('do heater:_autotune')
        if not reply.startswith('done '):
            return {'plant': name, 'error': reply}
        tuned = rec.until(lambda r: r.status is not None and 'autotune' not in r.status[1], 4000)
        result = value_of(rec.request('read heater:_autotune_result'))
        gains = value_of(rec.request('read heater:ctrlpars'))
        if not tuned or not result['ku'] > 0:
            faults = status_texts(rec.rows, (200, 400))
            return {'plant': name, 'faults': faults,
                    'error': 'autotune did not finish: %s' % (faults or [rec.status])}
        if not rec.until(lambda r: r.status[0] == 100, 1500):
            return {'plant': name, 'error': 'not settled at %g: %s' % (START, rec.status)}
        t_fp = full_power_time(plant)
        seconds = 2 * t_fp + STEADY + 30
        rows = rec.step(END, seconds)
    out = figures(rows, seconds)
    out.update(plant=name, start=START, end=END, t_fp=t_fp, rows=rows,
               faults=status_texts(rows, (400,)), **gains, **result)
    return out


def series(rows, spec):
    return [(t, v) for t, s, v in rows if s == spec]


def figures(rows, seconds, end=END):
    values = series(rows, 'heater:value')
    tail = [v - end for t, v in values if t > seconds - STEADY]
    return {'overshoot': max(v for _, v in values) - end, 'settle': settle_time(values, end),
            'rms': math.sqrt(sum(e * e for e in tail) / len(tail)) if tail else float('nan'),
            'seconds': seconds}


def settle_time(values, target):
    """The time of the last sample outside the band, None if the run ended outside it."""
    outside = [t for t, v in values if abs(v - target) > BAND]
    if not values or (outside and outside[-1] == values[-1][0]):
        return None
    return outside[-1] if outside else 0.0


def measure_all(names, speed, log_folder=None):
    """Runs the plants in parallel; returns their results in the order of ``names``."""
    def run(name):
        try:
            return measure(name, speed, log_folder and os.path.join(log_folder, name + '.log'))
        except Exception as exc:        # one plant's trouble must not hide the others
            return {'plant': name, 'error': repr(exc)}

    with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
        return list(pool.map(run, names))


def seconds_text(seconds, unit=''):
    return 'never' if seconds is None else '%.0f%s' % (seconds, unit)


def table(results):
    lines = ['| plant | C (J/K) | k (W/K) | P (W) | dead time (s) | noise (K) | Ku (W/K) | '
             'Pu (s) | p, i, d | overshoot (K) | settled (s) | 2 t_fp (s) | rms (K) | bar |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in results:
        plant = plant_of(r['plant'])
        head = '| %s | %g | %g | %g | %g | %g |' % (
            r['plant'], plant['heat_capacity'], plant['loss'], plant['rated_power'],
            plant['dead_time'], plant['noise'])
        if 'error' in r:
            lines.append(head + ' %s | | | | | | | | |' % r['error'])
            continue
        met = not r['faults'] and r['overshoot'] <= 0.5 and r['rms'] <= 0.05 and \
            r['settle'] is not None and r['settle'] <= 2 * r['t_fp']
        verdict = 'met' if met else '**missed**'
        if r['faults']:
            verdict += ' (%s)' % '; '.join(r['faults'])
        lines.append(head + ' %.1f | %.1f | %.3g, %.3g, %.3g | %.3f | %s | %.0f | %.4f | %s |' % (
            r['ku'], r['pu'], r['p'], r['i'], r['d'], r['overshoot'], seconds_text(r['settle']),
            2 * r['t_fp'], r['rms'], verdict))
    return '\n'.join(lines)


def plot(result, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(7, 4.5),
                                   gridspec_kw={'height_ratios': [3, 1]})
    ax1.plot(*zip(*series(result['rows'], 'heater:value')), label='heater:value')
    ax1.axhline(result['end'], color='k', linestyle='--', linewidth=0.8, label='target')
    ax1.axvline(2 * result['t_fp'], color='tab:green', linestyle=':', label='2 t_fp')
    low, high = sorted((result['start'], result['end']))
    ax1.set_ylim(low - 1, high + 1.5)
    ax1.set_ylabel('\u00b0C')
    ax1.legend(loc='lower right')
    ax2.step(*zip(*series(result['rows'], 'heater_output:value')), where='post',
             color='tab:red')
    ax2.set_ylabel('heater (W)')
    ax2.set_xlabel('simulated s since the target changed %g -> %g \u00b0C' % (
        result['start'], result['end']))
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
    fig.suptitle('%s: %s; p=%.3g i=%.3g d=%.3g' % (result['plant'], PLANTS[result['plant']][1],
                                                   result['p'], result['i'], result['d']))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main_step(args):
    """``make plot``: the default plant and gains stepped from where it stands to ``--target``."""
    with closing(Recorder(args.speed)) as rec:
        start = value_of(rec.request('read heater:value'))
        gains = value_of(rec.request('read heater:ctrlpars'))
        rows = rec.step(args.target, args.seconds, progress=True)
    r = figures(rows, args.seconds, args.target)
    idle = [t for t, spec, v in rows if spec == 'heater:status' and v[0] < 300 and t > 0]
    r.update(plant='default', start=start, end=args.target, rows=rows, **gains,
             idle=idle[0] if idle else None, t_fp=full_power_time(DEFAULT, start, args.target))
    folder = os.path.join(ROOT, 'docs' if args.docs else 'build')
    os.makedirs(folder, exist_ok=True)
    plot(r, os.path.join(folder, 'step_response.png'))
    bar = [('overshoot', '%.3f K' % r['overshoot'], '<= 0.3 K'),
           ('time to settle within +-0.1 K', seconds_text(r['settle'], ' s'),
            '<= %.0f s (2 t_fp)' % (2 * r['t_fp'])),
           ('steady-state rms error (last %d s)' % STEADY, '%.4f K' % r['rms'], '<= 0.03 K'),
           ('status back to IDLE', seconds_text(r['idle'], ' s'), 'settled + _window')]
    lines = ['Step %.1f -> %.1f degC on the default simulated plant (%s) with the default gains '
             'p=%g, i=%g, d=%g, measured over SECoP from the real firmware under MicroPython at '
             '%gx simulated speed by `make plot` (`tools/autotune_plants.py --step`), %s.' % (
                 r['start'], r['end'], ', '.join('%s %g' % kv for kv in sorted(DEFAULT.items())),
                 r['p'], r['i'], r['d'], args.speed, time.strftime('%Y-%m-%d')), '',
             '| figure | measured | bar |', '|---|---|---|']
    lines += ['| %s | %s | %s |' % row for row in bar]
    text = '\n'.join(lines + ['', '![step response](step_response.png)', ''])
    print(text)
    if args.docs:
        bench.into_docs(text, os.path.join(folder, 'control.md'), 'plot')
    else:
        with open(os.path.join(folder, 'step_response.md'), 'w') as f:
            f.write('# Step response\n\n' + text)
    print('wrote step_response.png and', 'control.md' if args.docs else 'step_response.md',
          'in', os.path.relpath(folder, ROOT))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--plants', nargs='*', default=list(PLANTS), choices=list(PLANTS))
    parser.add_argument('--speed', type=float, help='simulated speed (default 10, --step 20)')
    parser.add_argument('--step', action='store_true', help='one step of the default plant')
    parser.add_argument('--target', type=float, default=60.0, help='--step: the new target')
    parser.add_argument('--seconds', type=float, default=600.0, help='--step: simulated s')
    parser.add_argument('--docs', action='store_true',
                        help='the figures into docs/ and the tables into docs/control.md')
    args = parser.parse_args(argv)
    args.speed = args.speed or (20.0 if args.step else 10.0)
    if args.step:
        return main_step(args)
    os.makedirs(OUT, exist_ok=True)
    results = measure_all(args.plants, args.speed, OUT)
    text = table(results)
    with open(os.path.join(OUT, 'plants.json'), 'w') as f:
        json.dump([{k: v for k, v in r.items() if k != 'rows'} for r in results], f, indent=1)
    with open(os.path.join(OUT, 'plants.md'), 'w') as f:
        f.write(text + '\n')
    print(text)
    plotted = [r for r in results if 'error' not in r]
    for r in plotted:
        plot(r, os.path.join(OUT, r['plant'] + '.png'))
    if args.docs:
        docs = os.path.join(ROOT, 'docs', 'plants')
        os.makedirs(docs, exist_ok=True)
        for r in plotted:
            shutil.copy(os.path.join(OUT, r['plant'] + '.png'), docs)
        images = ''.join('![{0}](plants/{0}.png)\n'.format(r['plant']) for r in plotted)
        bench.into_docs(text + '\n\n' + images, os.path.join(ROOT, 'docs', 'control.md'), 'plants')
        print('docs/control.md and docs/plants/ updated')


if __name__ == '__main__':
    main()
