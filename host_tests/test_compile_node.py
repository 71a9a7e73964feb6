"""tools/compile_node.py: the describing line prepared on the host for each shipped
config is byte for byte the one the node builds itself (under MicroPython), and a
config it cannot build is refused in one line."""

import glob
import os
import shutil
import subprocess

import pytest

from helpers import MICROPYTHON, ROOT
import builder
import compile_node

CONFIGS = sorted(glob.glob(os.path.join(ROOT, 'boards', '*', 'config*.json')))
# the node's own describing line, built without a prepared one (sys.argv[1]: the config)
BUILT = compile_node.STAND_IN + '''
app, board = builder.start(sys.argv[1], App, StandIn)
node = app.node
assert node.description_file is None
session = node.open_session()
node.handle(session, b'describe')
sys.stdout.write(''.join(session.pop()))
'''


@pytest.mark.parametrize('config', CONFIGS, ids=lambda path: os.path.relpath(path, ROOT))
def test_prepared_line_is_the_one_the_node_builds(config, tmp_path):
    folder = os.path.dirname(config)
    for name in os.listdir(folder):     # data files (curves) beside the config
        if name.endswith('.340'):
            shutil.copy(os.path.join(folder, name), tmp_path)
    path = str(tmp_path / 'config.json')
    shutil.copy(config, path)
    env = dict(os.environ, MICROPYPATH=':'.join(
        ['.frozen', os.path.join(ROOT, 'firmware'), os.path.join(ROOT, 'boards', 'sim')]))
    built = subprocess.run([MICROPYTHON, '-c', BUILT, path], capture_output=True, text=True,
                           timeout=60, env=env, cwd=str(tmp_path))
    assert built.returncode == 0, built.stdout + built.stderr
    with open(compile_node.describe(path)) as f:
        prepared = f.read()
    with open(path, 'rb') as f:
        assert prepared[:9] == builder.config_key(f.read()) + '\n'
    assert prepared[9:] == built.stdout[built.stdout.index('describing'):]


def test_a_config_that_is_not_json_is_refused_in_one_line(tmp_path):
    path = tmp_path / 'config.json'
    path.write_text('{"modules": [')
    done = subprocess.run([os.path.join(os.path.dirname(MICROPYTHON), 'python'),
                           os.path.join(ROOT, 'tools', 'compile_node.py'), str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().count('\n') == 0 and 'cannot describe' in done.stderr
