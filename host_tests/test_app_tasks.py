"""Task supervision of firmware/app.py under the MicroPython unix port
(host_tests/app_checks/tasks_check.py on the simulated board): a task that
raises is reported and restarted with back-off; a control task whose step and
even whose failure report raise lets the lease expire, so the heater goes off
and the watchdog starves, and it runs again after the restart; nothing is
printed on a console that carries SECoP (Pyboard USB VCP)."""

import os
import subprocess

from helpers import MICROPYTHON, ROOT

HERE = os.path.dirname(os.path.abspath(__file__))


def test_tasks_are_supervised():
    path = os.pathsep.join(['.frozen', os.path.join(ROOT, 'firmware'),
                            os.path.join(ROOT, 'boards', 'sim')])
    result = subprocess.run(
        [MICROPYTHON, '-X', 'heapsize=4m', os.path.join(HERE, 'app_checks', 'tasks_check.py'),
         os.path.join(ROOT, 'boards', 'sim', 'config.json')],
        capture_output=True, text=True, env=dict(os.environ, MICROPYPATH=path), timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert result.stdout.splitlines()[-1] == 'TASKS OK', output
