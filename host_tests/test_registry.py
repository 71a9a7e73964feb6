"""Module classes and transports come from firmware/registry.py by name: the
app imports a kind's code only when the config uses it (checked in the
MicroPython unix port, whose sys.modules tells), and a kind registered there
is built without a change to app.py."""

import json
import os
import subprocess

from helpers import MICROPYTHON, ROOT

SCRIPT = r'''
import sys, json
import app, board, builder, registry
def loaded():
    return sorted(k for k in sys.modules if k.startswith(('modules', 'transport',
                                                          'control.interlock', 'control.pid')))
print(json.dumps(loaded()))
from secop.module import Readable

class Echo(Readable):
    implementation = 'test.Echo'

def build_echo(application, cfg, built):
    name, description, props = application.common(cfg)
    return Echo(name, description, application.clock, **props)

registry.MODULES['echo'] = lambda: build_echo
config = {'tcp': {'enabled': False},
          'modules': [{'name': 'system', 'class': 'system'},
                      {'name': 'extra', 'class': 'echo', 'group': 'plugged'}]}
built = app.App(config, board.Board({}))
builder.build(built)
node = built.node
print(json.dumps(loaded()))
print(json.dumps([type(m).__name__ for m in node.modules]))
'''


def run(tmp_path):
    script = tmp_path / 'registry_check.py'
    script.write_text(SCRIPT)
    path = os.pathsep.join(['.frozen', os.path.join(ROOT, 'firmware'),
                            os.path.join(ROOT, 'boards', 'sim')])
    done = subprocess.run([MICROPYTHON, '-X', 'heapsize=4m', str(script)], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, MICROPYPATH=path))
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_kinds_are_imported_only_when_a_config_uses_them_and_plug_in_by_name(tmp_path):
    at_import, after_build, classes = run(tmp_path)
    assert at_import == []                  # importing app and registry loads no kind
    assert 'modules.system' in after_build
    for unused in ('modules.loop', 'modules.heater', 'modules.temperature', 'transport.tcp',
                   'transport.serial', 'transport.discovery', 'control.interlock',
                   'control.pid'):
        assert unused not in after_build, unused
    assert classes == ['System', 'Echo']    # 'echo' registered by the test, app.py unchanged
