"""examples/epics_ioc.py inside a network namespace of its own: the simulated node,
the IOC (fastcs-secop, EPICS PV Access) and a p4p client that finds the PVs by
broadcast search, reads one and writes one.

``run_in_namespace()`` re-runs this file under ``unshare -rn``; inside, a veth pair on
10.78.0.0/24 carries the search broadcasts.  Prints one JSON object.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FASTCS_PYTHON = os.path.join(ROOT, '.venv-fastcs', 'bin', 'python')
PORT = 10767
CLIENT = '''
import json, sys
from p4p.client.thread import Context
ctx = Context('pva')
import time
for _ in range(100):            # 0.0 until the IOC's first scan of the node
    value = ctx.get('SECOP:Heater:Value', timeout=20)
    if float(value):
        break
    time.sleep(0.1)
ctx.put('SECOP:Heater:_maxheaterpower', 42.0, timeout=20)
limits = ctx.get('SECOP:Heater:TargetLimits', timeout=20)
print(json.dumps({'value': float(value), 'limits': str(limits)}))
'''


def run_in_namespace(timeout):
    from helpers import run_in_namespace
    return run_in_namespace(os.path.abspath(__file__), timeout)


def _start_node(workdir):
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import sim
    with open(sim.DEFAULT_CONFIG) as f:
        config = json.load(f)
    config['tcp'].update(bind='127.0.0.1', port=PORT)
    config['discovery'] = {'enabled': False}
    path = os.path.join(workdir, 'config.json')
    with open(path, 'w') as f:
        json.dump(config, f)
    command, env = sim.node_command(sim.DEFAULT_HEAP, path)
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env, cwd=workdir)
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', PORT), timeout=1).close()
            return child
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('node did not start')


def main():
    sys.path.insert(0, HERE)
    from discovery_netns import network
    network('e', '10.78.0')
    with tempfile.TemporaryDirectory() as workdir:
        node = _start_node(workdir)
        ioc = subprocess.Popen([FASTCS_PYTHON, os.path.join(ROOT, 'examples', 'epics_ioc.py'),
                                '127.0.0.1:%d' % PORT], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        try:
            client = subprocess.run([FASTCS_PYTHON, '-c', CLIENT], capture_output=True,
                                    text=True, timeout=60)
            with socket.create_connection(('127.0.0.1', PORT), timeout=5) as sock:
                sock.sendall(b'read heater:_maxheaterpower\n')
                reply = sock.makefile().readline()
        finally:
            ioc.terminate()
            node.terminate()
            ioc_err = ioc.communicate(timeout=10)[1]
            node.wait(5)
    result = json.loads(client.stdout.strip().splitlines()[-1]) if client.returncode == 0 \
        else {'client_error': client.stderr[-2000:], 'ioc': ioc_err[-2000:]}
    result['node_reply'] = reply.strip()
    print(json.dumps(result))


if __name__ == '__main__':
    main()
