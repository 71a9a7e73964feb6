"""UDP discovery (RFC-105) of the simulated node, decoded by frappy-scan's own
``decode``; on loopback, and with real broadcasts inside a network namespace
that the test creates (skipped where ``unshare`` is not allowed)."""

import importlib.machinery
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from discovery_netns import run_in_namespace
from helpers import SimNode, free_port

FRAPPY_SCAN = os.path.join(os.path.dirname(sys.executable), 'frappy-scan')


def frappy_scan():
    """frappy's ``frappy-scan`` script as a module (its ``decode`` and ``scan``)."""
    loader = importlib.machinery.SourceFileLoader('frappy_scan', FRAPPY_SCAN)
    spec = importlib.util.spec_from_loader('frappy_scan', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def ask(port, payload, timeout=2.0):
    """Send one datagram to 127.0.0.1:port; the reply (bytes, address) or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, ('127.0.0.1', port))
        try:
            return sock.recvfrom(2048)
        except socket.timeout:
            return None


LONG_DESCRIPTION = '\U0001f321 Ofen \u00fcber 1000 \u00b0C \u2013 "quoted"\n' * 40 + 'END'


@pytest.fixture(scope='module')
def node(tmp_path_factory):
    config = json.load(open(os.path.join(os.path.dirname(__file__), '..', 'boards', 'sim',
                                         'config.json')))
    config['node']['description'] = LONG_DESCRIPTION
    path = tmp_path_factory.mktemp('discovery') / 'config.json'
    path.write_text(json.dumps(config))
    with SimNode(config=str(path)) as sim:
        yield sim


def test_reply_decodes_with_frappy_scan(node):
    assert node.udp == '127.0.0.1:%d' % node.udp_port
    reply = ask(node.udp_port, json.dumps({'SECoP': 'discover'}).encode())   # with a space
    assert reply is not None, 'no discovery reply'
    data, address = reply
    answer = frappy_scan().decode(data, address)
    assert answer is not None
    assert answer.port == node.port
    assert answer.equipment_id == 'example_heater'
    assert answer.firmware == 'secop-micropython 0.1.0 (sim)'
    assert len(data) <= 508
    assert LONG_DESCRIPTION.startswith(answer.description)
    assert len(data) > 500                      # cut only as far as needed, compact JSON
    assert data.startswith(b'{"SECoP":"node","port":')


def test_other_datagrams_get_no_reply(node):
    for payload in (b'{"SECoP":"node"}', b'["SECoP","discover"]', b'discover', b'\xff\xfe{',
                    b'{"SECoP":"discover"', b'', b'x' * 4000, b'{"secop":"discover"}'):
        assert ask(node.udp_port, payload, timeout=0.3) is None, payload
    assert ask(node.udp_port, b'{ "SECoP" : "discover", "more": [1] }') is not None
    conn = node.client()
    assert conn.ask('*IDN?').startswith('ISSE')
    conn.close()


def test_flood_is_rate_limited(node):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        for _ in range(50):
            sock.sendto(b'{"SECoP":"discover"}', ('127.0.0.1', node.udp_port))
        replies = 0
        try:
            while True:
                sock.recvfrom(2048)
                replies += 1
        except socket.timeout:
            pass
    assert 1 <= replies <= 20


def test_announcement_goes_to_the_configured_loopback_port():
    listen_port = free_port(socket.SOCK_DGRAM)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(('127.0.0.1', listen_port))
        listener.settimeout(10)
        sim = SimNode('--announce-port', str(listen_port))
        try:
            data, address = listener.recvfrom(2048)
        finally:
            sim.stop()
    answer = frappy_scan().decode(data, address)
    assert answer is not None and answer.port == sim.port


def test_discovery_port_zero_is_off():
    sim = SimNode('--discovery-port', '0')
    try:
        assert sim.udp is None
        assert ask(sim.udp_port, b'{"SECoP":"discover"}', timeout=0.3) is None
    finally:
        sim.stop()


@pytest.mark.skipif(shutil.which('unshare') is None or shutil.which('ip') is None,
                    reason='needs unshare and ip (util-linux, iproute2)')
def test_broadcast_inside_a_network_namespace():
    """frappy-scan's own ``scan()`` broadcasts; the node answers and announces itself
    by broadcast, all on a veth pair inside a namespace this test creates."""
    probe = subprocess.run(['unshare', '-rn', 'true'], capture_output=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip('unshare -rn is not allowed here: %s' % probe.stderr.decode().strip())
    result = run_in_namespace(timeout=40)
    assert result['announced'], result
    found = result['found']
    assert [(a['equipment_id'], a['port']) for a in found] == [('example_heater', 10767)], result
