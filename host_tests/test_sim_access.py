"""Exposure control over TCP: read-only mode with an allow-list, write access
by client address, and the client limit from the config."""

import json
import os
import socket

import pytest

from helpers import ROOT, LineClient, SimNode


def node_with(tmp_path, **access):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    config['access'] = access
    config['tcp']['max_clients'] = 2
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    return SimNode(config=str(path))


def client_from(node, source_ip):
    """A client whose connection comes from ``source_ip`` (any 127.x.y.z is loopback)."""
    conn = LineClient.__new__(LineClient)
    conn.sock = socket.create_connection(('127.0.0.1', node.port), timeout=10,
                                         source_address=(source_ip, 0))
    conn.buf = b''
    return conn


@pytest.fixture
def read_only_node(tmp_path):
    node = node_with(tmp_path, read_only=True, allow=['heater:stop'])
    yield node
    node.stop()


def test_read_only_mode_with_allow_list(read_only_node):
    conn = read_only_node.client()
    assert conn.ask('change heater:target 40').startswith(
        'error_change heater:target ["ReadOnly","this node is read-only for this client '
        '(allowed: heater:stop)"')
    assert conn.ask('do heater:clear_errors').startswith('error_do heater:clear_errors ["ReadOnly"')
    assert conn.ask('do heater:stop').startswith('done heater:stop [null,')
    assert conn.ask('read heater:target').startswith('reply heater:target')
    conn.close()


def test_writers_by_address_and_client_limit(tmp_path):
    node = node_with(tmp_path, writers=['127.0.0.2'])
    try:
        reader = client_from(node, '127.0.0.1')
        writer = client_from(node, '127.0.0.2')
        assert reader.ask('change heater:_maxheaterpower 50').startswith(
            'error_change heater:_maxheaterpower ["ReadOnly"')
        assert writer.ask('change heater:_maxheaterpower 50').startswith(
            'changed heater:_maxheaterpower [50.0,')
        third = node.client()
        third.send('*IDN?')
        assert third.recv() == ('error_*IDN?  ["Impossible","too many clients: all 2 slots '
                                'of this node are in use; close another client and retry",{}]')
        third.close()
        reader.close()
        writer.close()
    finally:
        node.stop()
