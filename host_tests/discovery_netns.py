"""Discovery with real broadcasts, inside a network namespace of its own.

``run_in_namespace()`` re-runs this file under ``unshare -rn`` (a new user and
network namespace: nothing sent there reaches any other network).  Inside, it
joins two veth ends on 10.76.0.0/24, starts the firmware as a board would run
it (discovery on 0.0.0.0, announcing to 255.255.255.255), listens for the
announcement, runs frappy-scan's own ``scan()`` and prints what it found as JSON.
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
PORT = 10767


def run_in_namespace(timeout):
    from helpers import run_in_namespace
    return run_in_namespace(os.path.abspath(__file__), timeout)


def network(name='v', subnet='10.76.0'):
    """Inside the namespace: loopback up, a veth pair ``<name>0``/``<name>1`` on
    ``<subnet>.1``/``.2`` (/24), the default route (and so broadcasts) on the first."""
    for command in ('link set lo up', 'link add {0}0 type veth peer name {0}1',
                    'addr add {1}.1/24 brd + dev {0}0', 'addr add {1}.2/24 brd + dev {0}1',
                    'link set {0}0 up', 'link set {0}1 up', 'route add default dev {0}0'):
        subprocess.run(['ip'] + command.format(name, subnet).split(), check=True)


def _start_node(workdir):
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import sim      # the simulator's own command line, without its loopback-only config
    with open(sim.DEFAULT_CONFIG) as f:
        config = json.load(f)
    config['tcp'].update(bind='0.0.0.0', port=PORT)
    config['discovery'] = {'enabled': True, 'bind': '0.0.0.0', 'port': PORT,
                           'announce': '255.255.255.255', 'announce_port': PORT}
    path = os.path.join(workdir, 'config.json')
    with open(path, 'w') as f:
        json.dump(config, f)
    command, env = sim.node_command(sim.DEFAULT_HEAP, path)
    child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=workdir, text=True)
    for line in child.stdout:
        if line.startswith('SECoP node serving'):
            return child
    raise RuntimeError('node did not start')


def main():
    network()
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(('0.0.0.0', PORT))
    listener.settimeout(5)
    sys.path.insert(0, HERE)
    from test_discovery import frappy_scan
    scanner = frappy_scan()
    with tempfile.TemporaryDirectory() as workdir:
        child = _start_node(workdir)
        try:
            announced = None
            end = time.monotonic() + 5
            while announced is None and time.monotonic() < end:
                data, address = listener.recvfrom(2048)
                announced = scanner.decode(data, address)
            found = [answer._asdict() for answer in scanner.scan(max_wait=2.0)]
        finally:
            child.terminate()
            child.wait(5)
    print(json.dumps({'announced': announced and announced._asdict(), 'found': found}))


if __name__ == '__main__':
    main()
