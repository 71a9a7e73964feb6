"""Runs firmware/app.py's task supervision under the MicroPython unix port on
the simulated board (host only).  Prints CHECK lines; ends with 'TASKS OK'."""

import asyncio
import json
import sys

import app
import builder
import board

_said = []


def check(name, condition):
    print('CHECK', name, 'ok' if condition else 'FAILED')
    if not condition:
        sys.exit(1)


class Watchdog:
    feeds = 0

    def feed(self):
        Watchdog.feeds += 1


async def until(condition, limit_ms=5000):
    """Wait (bounded, in real time) until ``condition()``; its last value."""
    waited = 0
    while not condition() and waited < limit_ms:
        await asyncio.sleep_ms(5)
        waited += 5
    return condition()


def node_app(config_path):
    with open(config_path) as f:
        config = json.load(f)
    config['tcp'] = {'enabled': False}
    config['board']['speed'] = 50
    config['modules'] = [m for m in config['modules']
                         if m['class'] in ('loop', 'tutorial_loop', 'heater')]
    sim = board.Board(config['board'])
    node = app.App(config, sim)
    builder.build(node)
    node.console = _said.append
    return node, sim


async def a_failing_task_restarts_with_back_off(node):
    runs = []

    async def broken():
        runs.append(1)
        raise ValueError('broken')
    node.start_task('demo', broken)
    check('a failing task restarts', await until(lambda: len(runs) >= 3))
    lines = [line for line in _said if line.startswith('task demo')]
    check('each failure is reported with its back-off',
          lines[:2] == ["task demo: failed: ValueError('broken',); restart in 1000 ms",
                        "task demo: failed: ValueError('broken',); restart in 2000 ms"]
          or lines[:2] == ["task demo: failed: ValueError('broken'); restart in 1000 ms",
                           "task demo: failed: ValueError('broken'); restart in 2000 ms"])


async def a_control_task_that_cannot_run_lets_the_lease_expire(node, sim):
    loop = node.loops[0]
    manual = node.node.modules[1]
    node.start_task('control heater', lambda: node._control(loop))
    node.start_task('watch', lambda: node._watch(Watchdog()))
    await until(loop.interlock.started)
    manual.change(manual.accessible('target'), 80.0)
    check('manual power on', sim.heater_power() > 79)
    check('the watchdog is fed while the steps run', await until(lambda: Watchdog.feeds > 0))

    def step(now, dt):
        raise OSError(5)

    def fail(exc):
        raise MemoryError()            # even reporting the failure fails
    loop.step = step
    loop.fail = fail
    check('heater off once the lease expired', await until(lambda: sim.heater_power() == 0))
    fed = Watchdog.feeds
    await asyncio.sleep_ms(40)          # 2 s simulated
    check('the watchdog is no longer fed', Watchdog.feeds == fed)
    check('the control task was restarted',
          any(line.startswith('task control heater: failed: MemoryError') for line in _said))
    del loop.step
    del loop.fail
    check('steps run again after the restart', await until(lambda: Watchdog.feeds > fed))
    check('manual power stays off until asked again', sim.heater_power() == 0)


async def main():
    node, sim = node_app(sys.argv[1])
    await a_failing_task_restarts_with_back_off(node)
    await a_control_task_that_cannot_run_lets_the_lease_expire(node, sim)


asyncio.run(main())
quiet = app.App({'modules': [], 'tcp': {'enabled': False},
                 'serial': {'enabled': True, 'uart': 'vcp'}}, board.Board({}))
check('the console is silent when it is not the SECoP line', not quiet.quiet)


class VcpBoard(board.Board):
    console = 'vcp'


quiet = app.App({'modules': [], 'serial': {'enabled': True, 'uart': 'vcp'}}, VcpBoard({}))
check('nothing is printed on a console that carries SECoP', quiet.quiet)
print('TASKS OK')
