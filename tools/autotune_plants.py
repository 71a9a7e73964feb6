#!/usr/bin/env python3
"""Autotune on simulated plants, measured over SECoP from the firmware under MicroPython.

    .venv/bin/python tools/autotune_plants.py [--plants NAME ...] [--speed 10] [--docs]

For each plant (``PLANTS``: the default block and blocks that differ from it
by 3x in heat capacity, loss, heater power, dead time and noise) it starts
``tools/sim.py`` with those plant parameters, sets ``heater:target`` to 30
degC, runs ``do heater:_autotune``, waits until the loop holds 30 degC with
the new gains, then steps the target to 55 degC and records the response.
Figures (all in simulated time, from the updates' timestamps): overshoot,
time to settle within +-0.1 K for good, steady-state rms error over the last
``STEADY`` s, and the bar ``2 t_fp`` with the full-power time

    t_fp = dead_time + (C/k) ln((T_top - T_start) / (T_top - T_end)),  T_top = ambient + P/k

Writes build/plants/<plant>.png, plants.json and plants.md; ``--docs``
copies the figures to docs/plants/ and the table into docs/control.md
between its ``plants:begin``/``plants:end`` markers.  The plants run in
parallel, one simulator each.
"""

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))

import bench  # noqa: E402
from simnode import SimNode, value_of  # noqa: E402

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
    plant = dict(DEFAULT)
    plant.update(PLANTS[name][0])
    return plant


def full_power_time(plant, start=START, end=END):
    """t_fp: dead time plus the time the block needs at full power from start to end."""
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
    """One activated connection; collects (sim time, spec, value) of the updates."""

    def __init__(self, node, timeout=30):
        self.conn = node.client(timeout=timeout)
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

    def until(self, predicate, sim_seconds, speed):
        """Read updates until ``predicate(self)``; False after ``sim_seconds`` (simulated)."""
        end = time.monotonic() + sim_seconds / speed * 1.5 + 30
        start = self.now
        while time.monotonic() < end:
            self._note(self.conn.recv())
            if predicate(self):
                return True
            if start is not None and self.now - start > sim_seconds:
                return False
        return False

    def close(self):
        self.conn.close()


def measure(name, speed, log=None):
    """Tune on plant ``name`` and step it; returns the figures and the recorded rows."""
    plant = plant_of(name)
    folder = tempfile.mkdtemp(prefix='plant-')
    config = write_config(plant, folder)
    try:
        node = SimNode(speed=speed, config=config, log=log)
    except RuntimeError:        # simulators started together can race for a free port
        node = SimNode(speed=speed, config=config, log=log)
    try:
        rec = Recorder(node)
        assert rec.request('change heater:target %g' % START).startswith('changed ')
        reply = rec.request('do heater:_autotune')
        if not reply.startswith('done '):
            return {'plant': name, 'error': reply}
        tuned = rec.until(lambda r: r.status is not None and 'autotune' not in r.status[1],
                          4000, speed)
        result = value_of(rec.request('read heater:_autotune_result'))
        gains = value_of(rec.request('read heater:_pid'))
        if not tuned or not result['ku'] > 0:
            texts = [v[1] for _, spec, v in rec.rows if spec == 'heater:status' and
                     v[0] in (200, 400)]
            return {'plant': name, 'error': 'autotune did not finish: %s' % (texts or
                                                                              [rec.status],),
                    'faults': texts}
        settled = rec.until(lambda r: r.status[0] == 100, 1500, speed)
        if not settled:
            return {'plant': name, 'error': 'not settled at %g: %s' % (START, rec.status)}
        t_fp = full_power_time(plant)
        seconds = 2 * t_fp + STEADY + 30
        reply = rec.request('change heater:target %g' % END)
        t_step = json.loads(reply.split(' ', 2)[2])[1]['t']
        first = len(rec.rows)
        rec.until(lambda r: r.now - t_step > seconds, seconds + 60, speed)
        rows = [(t - t_step, spec, v) for t, spec, v in rec.rows[first:]]
        rec.close()
    finally:
        node.stop()
        shutil.rmtree(folder, ignore_errors=True)
    out = figures(rows, seconds)
    out['faults'] = sorted(set(v[1] for _, spec, v in rows
                               if spec == 'heater:status' and v[0] >= 400))
    out.update(plant=name, ku=result['ku'], pu=result['pu'], amplitude=result['amplitude'],
               relay=result['relay'], rule=result['rule'], p=gains['p'], i=gains['i'],
               d=gains['d'], t_fp=t_fp, rows=rows)
    return out


def figures(rows, seconds):
    values = [(t, v) for t, spec, v in rows if spec == 'heater:value']
    overshoot = max(v for _, v in values) - END
    settle = 0.0
    for t, v in values:
        if abs(v - END) > BAND:
            settle = t
    tail = [v - END for t, v in values if t > seconds - STEADY]
    rms = math.sqrt(sum(e * e for e in tail) / len(tail)) if tail else float('nan')
    return {'overshoot': overshoot, 'settle': settle, 'rms': rms, 'seconds': seconds}


def passes(result):
    return 'error' not in result and not result['faults'] and result['overshoot'] <= 0.5 and \
        result['settle'] <= 2 * result['t_fp'] and result['rms'] <= 0.05


def measure_all(names, speed, log_folder=None):
    """Runs the plants in parallel; returns their results in the order of ``names``."""
    results = {}

    def run(name):
        log = os.path.join(log_folder, name + '.log') if log_folder else None
        try:
            results[name] = measure(name, speed, log)
        except Exception as exc:        # one plant's trouble must not hide the others
            results[name] = {'plant': name, 'error': repr(exc)}

    threads = [threading.Thread(target=run, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[name] for name in names]


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
        verdict = 'met' if passes(r) else '**missed**'
        if r['faults']:
            verdict += ' (%s)' % '; '.join(r['faults'])
        lines.append(head + ' %.1f | %.1f | %.3g, %.3g, %.3g | %.3f | %.0f | %.0f | %.4f | %s |' % (
            r['ku'], r['pu'], r['p'], r['i'], r['d'], r['overshoot'], r['settle'],
            2 * r['t_fp'], r['rms'], verdict))
    return '\n'.join(lines)


def plot(result, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = result['rows']
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(7, 4.5),
                                   gridspec_kw={'height_ratios': [3, 1]})
    values = [(t, v) for t, spec, v in rows if spec == 'heater:value']
    power = [(t, v) for t, spec, v in rows if spec == 'heater_output:value']
    ax1.plot([t for t, _ in values], [v for _, v in values], label='heater:value')
    ax1.axhline(END, color='k', linestyle='--', linewidth=0.8, label='target')
    ax1.axvline(2 * result['t_fp'], color='tab:green', linestyle=':', label='2 t_fp')
    ax1.set_ylim(START - 1, END + 1.5)
    ax1.set_ylabel('\u00b0C')
    ax1.legend(loc='lower right')
    ax1.grid(True, alpha=0.3)
    ax2.step([t for t, _ in power], [v for _, v in power], where='post', color='tab:red')
    ax2.set_ylabel('heater (W)')
    ax2.set_xlabel('simulated s since the target changed %g -> %g \u00b0C' % (START, END))
    ax2.grid(True, alpha=0.3)
    fig.suptitle('%s: %s; p=%.3g i=%.3g d=%.3g' % (result['plant'], PLANTS[result['plant']][1],
                                                   result['p'], result['i'], result['d']))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write_docs(results, out):
    folder = os.path.join(ROOT, 'docs', 'plants')
    os.makedirs(folder, exist_ok=True)
    lines = [table(results), '']
    for r in results:
        if 'error' not in r:
            shutil.copy(os.path.join(out, r['plant'] + '.png'), folder)
            lines.append('![%s](plants/%s.png)' % (r['plant'], r['plant']))
    bench.into_docs('\n'.join(lines) + '\n', os.path.join(ROOT, 'docs', 'control.md'), 'plants')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--plants', nargs='*', default=list(PLANTS), choices=list(PLANTS))
    parser.add_argument('--speed', type=float, default=10.0)
    parser.add_argument('--out', default=os.path.join(ROOT, 'build', 'plants'))
    parser.add_argument('--docs', action='store_true',
                        help='copy the figures to docs/plants and the table into docs/control.md')
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    results = measure_all(args.plants, args.speed, args.out)
    for r in results:
        if 'error' not in r:
            plot(r, os.path.join(args.out, r['plant'] + '.png'))
    with open(os.path.join(args.out, 'plants.json'), 'w') as f:
        json.dump([{k: v for k, v in r.items() if k != 'rows'} for r in results], f, indent=1)
    text = table(results)
    with open(os.path.join(args.out, 'plants.md'), 'w') as f:
        f.write(text + '\n')
    print(text)
    if args.docs:
        write_docs(results, args.out)
        print('docs/control.md and docs/plants/ updated')


if __name__ == '__main__':
    main()
