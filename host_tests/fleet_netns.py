"""A fleet of simulated nodes under one bluesky RunEngine, with discovery, inside a
network namespace of its own.

``run_in_namespace()`` re-runs this file under ``unshare -rn``.  Inside, it joins two
veth ends on 10.77.0.0/24 and starts ``NODES`` simulated boards with the shipped sim
config as a fleet would run it: no equipment_id (each takes its board's unique id),
discovery on 0.0.0.0 sharing UDP port 10767.  frappy-scan's own ``scan()`` must find every node; a RunEngine then
``count``s the ``outside`` and ``heater`` of all of them (the data keys must not
collide), and a raw listener on each node counts the updates it gets meanwhile
(``WINDOW_S``).  Prints the figures as JSON: when each discovery reply came, the
count's time, the updates per second of the whole fleet.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NODES = 8
PORT = 10767
SPEED = 10
WINDOW_S = 2.0          # the updates are counted over the count and the rest of this


def run_in_namespace(timeout):
    from helpers import run_in_namespace
    return run_in_namespace(os.path.abspath(__file__), timeout)


def _start_fleet(workdir):
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import sim
    with open(sim.DEFAULT_CONFIG) as f:
        shipped = f.read()
    children = []
    command = env = None
    for index in range(NODES):
        config = json.loads(shipped)
        del config['node']['equipment_id']              # the board's unique id instead
        config['board'].update(unique_id=0x5ec0900 + index, speed=SPEED)
        config['tcp'].update(bind='0.0.0.0', port=PORT + 1 + index)
        config['discovery'] = {'enabled': True, 'bind': '0.0.0.0', 'port': PORT}
        path = os.path.join(workdir, 'config%d.json' % index)
        with open(path, 'w') as f:
            json.dump(config, f)
        if command is None:
            command, env = sim.node_command(sim.DEFAULT_HEAP, path)
        children.append(subprocess.Popen(command[:-1] + [path], stdout=subprocess.PIPE,
                                         env=env, cwd=workdir, text=True))
    for child in children:
        for line in child.stdout:
            if line.startswith('SECoP node serving'):
                break
        else:
            raise RuntimeError('a node of the fleet did not start')
        threading.Thread(target=child.stdout.read, daemon=True).start()    # never blocks it
    return children


class Listener:
    """A raw client that activates a node and counts the updates it receives."""

    def __init__(self, port):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.sock.sendall(b'activate\n')
        self.buffer = b''
        self.updates = 0

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buffer += chunk
        except BlockingIOError:
            pass
        lines = self.buffer.split(b'\n')
        self.buffer = lines.pop()
        self.updates += sum(1 for line in lines if line.startswith(b'update '))


def _count(found):
    from bluesky import RunEngine
    from bluesky.plans import count
    from bluesky.run_engine import call_in_bluesky_event_loop
    from secop_ophyd.SECoPDevices import SECoPNodeDevice
    engine = RunEngine({})
    devices = []
    with tempfile.TemporaryDirectory() as logdir:
        for answer in found:
            device = SECoPNodeDevice('127.0.0.1:%d' % answer['port'], logdir=logdir)
            call_in_bluesky_event_loop(device.connect(), timeout=60)
            devices.append(device)
        documents = []
        started = time.monotonic()
        engine(count([d.outside for d in devices] + [d.heater for d in devices], num=3),
               lambda name, doc: documents.append((name, doc)))
        seconds = time.monotonic() - started
        for device in devices:
            call_in_bluesky_event_loop(device._client.disconnect(), timeout=10)
    events = [doc for name, doc in documents if name == 'event']
    return {'exit_status': documents[-1][1]['exit_status'], 'events': len(events),
            'keys': sorted(events[0]['data']) if events else [], 'count_s': seconds}


def main():
    sys.path.insert(0, HERE)
    from discovery_netns import network
    network('f', '10.77.0')
    from test_discovery import frappy_scan
    with tempfile.TemporaryDirectory() as workdir:
        children = _start_fleet(workdir)
        try:
            started = time.monotonic()
            found, reply_ms = [], []
            for answer in frappy_scan().scan(max_wait=1.0):
                reply_ms.append(round((time.monotonic() - started) * 1000))
                found.append(answer._asdict())
            listeners = [Listener(a['port']) for a in found]
            time.sleep(0.2)
            for listener in listeners:
                listener.drain()
                listener.updates = 0            # the initial updates of activate
            started = time.monotonic()
            result = _count(found)
            time.sleep(max(0.0, started + WINDOW_S - time.monotonic()))
            for listener in listeners:
                listener.drain()
            elapsed = time.monotonic() - started
            result.update(found=sorted((a['equipment_id'], a['port']) for a in found),
                          reply_ms=reply_ms,
                          updates_per_s=sum(l.updates for l in listeners) / elapsed)
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(5)
    print(json.dumps(result))


if __name__ == '__main__':
    asyncio.set_event_loop(asyncio.new_event_loop())
    main()
