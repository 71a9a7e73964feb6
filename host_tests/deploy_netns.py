"""``make deploy BOARD=rp2`` (tools/deploy.py) on a virtual Pico W, inside a network
namespace of its own.

``run_in_namespace()`` re-runs this file under ``unshare -rn`` (a new user and
network namespace: the node's 0.0.0.0 is that namespace's, whose only interface is
its own loopback).  Inside, it starts host_tests/vboard/vboard.py posing as an rp2
board (its Wi-Fi station connects at once, as 127.0.0.1), deploys the shipped
boards/rp2/config.json (with a network name, a password and no discovery) and
prints the deploy's exit code and output as JSON.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEPLOY = os.path.join(ROOT, 'tools', 'deploy.py')


def run_in_namespace(timeout):
    from helpers import run_in_namespace
    return run_in_namespace(os.path.abspath(__file__), timeout)


def _config(folder):
    with open(os.path.join(ROOT, 'boards', 'rp2', 'config.json')) as f:
        config = json.load(f)
    config['board']['network']['ssid'] = 'LAB-WIFI'
    config['board']['network']['ntp']['host'] = '127.0.0.1'     # no DNS in here
    config['discovery'] = {'enabled': False}
    path = os.path.join(folder, 'config.json')
    with open(path, 'w') as f:
        json.dump(config, f)
    with open(os.path.join(folder, 'secrets.json'), 'w') as f:
        json.dump({'wifi_password': 'secret', 'ap_password': ''}, f)
    return path


def main():
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    sys.path.insert(0, HERE)
    from vboard_process import VBoard
    with tempfile.TemporaryDirectory() as folder:
        config = _config(folder)
        board = VBoard(os.path.join(folder, 'board'), port='rp2')
        try:
            done = subprocess.run([sys.executable, DEPLOY, '--board', 'rp2', '--port', board.port,
                                   '--config', config], capture_output=True, text=True,
                                  timeout=120)
            files = sorted(os.listdir(os.path.join(folder, 'board')))
        finally:
            board.stop()
    print(json.dumps({'code': done.returncode, 'output': done.stdout + done.stderr,
                      'files': files}))


if __name__ == '__main__':
    main()
