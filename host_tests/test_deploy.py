"""tools/deploy.py end to end on a virtual board (host_tests/vboard/vboard.py), without hardware.

One vboard serves the module: the first deploy copies everything and the node
answers ``*IDN?`` and ``describe`` over TCP after the reset; a second deploy
copies nothing; stale ``.py`` files that would shadow the ``.mpy`` are removed;
a hard reset from mpremote and the Pyboard's soft reset restart the node; a bad
config stops the deploy before the board is touched; the rp2 board deploys to a
vboard posing as a Pico W, inside a network namespace.  Processes are stopped by
PID at the end.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

import builder

from helpers import ROOT, LineClient, free_port
from vboard_process import VBoard

DEPLOY = os.path.join(ROOT, 'tools', 'deploy.py')


def deploy(port, *args):
    return subprocess.run([sys.executable, DEPLOY, '--board', 'sim', '--port', port] + list(args),
                          capture_output=True, text=True, timeout=60)


def ask(tcp_port, request, timeout=10):
    client = LineClient(('127.0.0.1', tcp_port), timeout)
    try:
        client.send(request)
        return client.recv()
    finally:
        client.close()


def wait_for_node(tcp_port, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return ask(tcp_port, '*IDN?')
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope='module')
def board(tmp_path_factory):
    vboard = VBoard(str(tmp_path_factory.mktemp('vboard')))
    yield vboard
    children = vboard.children()
    assert vboard.stop() == 0
    for pid in children:
        assert not os.path.exists('/proc/%d' % pid), 'MicroPython %d outlived vboard' % pid


@pytest.fixture(scope='module')
def deployed(board):
    tcp_port = free_port()
    result = deploy(board.port, '--tcp-port', str(tcp_port))
    assert result.returncode == 0, result.stdout + result.stderr
    return tcp_port, result.stdout


def test_first_deploy_copies_all_and_node_answers(board, deployed):
    tcp_port, out = deployed
    assert '0 up to date' in out and 'deploy ok' in out
    assert "warning: equipment_id 'example_heater' is a shipped example" in out
    assert 'verify tcp 127.0.0.1:%d' % tcp_port in out
    idn = ask(tcp_port, '*IDN?')
    assert idn.startswith('ISSE') and ',SECoP,' in idn
    reply = ask(tcp_port, 'describe')
    assert reply.startswith('describing . ')
    modules = json.loads(reply[len('describing . '):])['modules']
    assert list(modules)[:2] == ['outside', 'heater']
    # the line prepared on the host for exactly the board's config.json is what it serves
    with open(os.path.join(board.root, 'config.json'), 'rb') as f:
        key = builder.config_key(f.read()) + '\n'
    with open(os.path.join(board.root, 'describing.txt')) as f:
        assert f.read() == key + reply + '\n'
    for path in ('main.py', 'config.json', 'lib/app.mpy', 'lib/board.mpy', 'lib/plant.mpy',
                 'lib/secop/node.mpy', 'lib/transport/tcp.mpy'):
        assert os.path.isfile(os.path.join(board.root, path)), path
    assert not [name for _, _, names in os.walk(os.path.join(board.root, 'lib'))
                for name in names if name.endswith('.py')]


def test_second_deploy_copies_nothing(board, deployed):
    tcp_port, _ = deployed
    result = deploy(board.port)           # keeps the TCP port the board already uses
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'up to date, nothing to copy' in result.stdout, result.stdout
    assert 'copy ' not in result.stdout
    assert 'verify tcp 127.0.0.1:%d' % tcp_port in result.stdout
    assert 'SECoP' in ask(tcp_port, '*IDN?')


def test_stale_py_files_are_removed(board, deployed):
    tcp_port, _ = deployed
    shadow = "raise ImportError('stale source shadows the deployed .mpy')\n"
    stale = ('lib/secop/node.py', 'app.py', 'lib/secop/retired.mpy')
    for path in stale:
        with open(os.path.join(board.root, path), 'w') as f:
            f.write(shadow)
    result = deploy(board.port)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in stale:
        assert 'remove %s' % path in result.stdout
        assert not os.path.exists(os.path.join(board.root, path))
    assert 'nothing to copy' not in result.stdout     # removals are changes
    assert 'SECoP' in ask(tcp_port, '*IDN?')


def test_hard_reset_restarts_the_node(board, deployed):
    tcp_port, _ = deployed
    cause = board.mpremote('exec', 'import machine; print(machine.reset_cause())')
    assert cause.stdout.strip() == '5'      # mpremote soft-resets on connect
    assert board.mpremote('reset').returncode == 0
    assert 'SECoP' in wait_for_node(tcp_port)


def test_bad_config_stops_before_the_board(board, tmp_path):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config.json')) as f:
        config = json.load(f)
    del config['modules'][1]['overtemp']
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    result = deploy(board.port, '--config', str(path))
    assert result.returncode == 1
    assert 'overtemp missing' in result.stdout
    assert 'next: fix them' in result.stdout
    assert '[3/6]' not in result.stdout


def test_soft_reset_runs_main_again(board, deployed):
    """The Pyboard's reset (RESET = 'soft'): Ctrl-D at the friendly REPL restarts main.py,
    and the deploy reads "SECoP node serving" off the console."""
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import board_link
    tcp_port, _ = deployed
    console = board_link.reset_and_watch(board.port, 'soft', 20, want_ip=False)
    assert console.serving.startswith('tcp=127.0.0.1:%d' % tcp_port), console
    assert 'SECoP' in ask(tcp_port, '*IDN?')


@pytest.mark.skipif(shutil.which('unshare') is None or shutil.which('ip') is None,
                    reason='needs unshare and ip (util-linux, iproute2)')
def test_make_deploy_board_rp2_on_a_virtual_pico_w():
    """The rp2 board deployed as ``make deploy BOARD=rp2`` does it, to a vboard posing as
    a Pico W, inside a network namespace the test creates (the node binds 0.0.0.0):
    its Wi-Fi comes up, the deploy finds the node at that address and reads describe."""
    probe = subprocess.run(['unshare', '-rn', 'true'], capture_output=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip('unshare -rn is not allowed here: %s' % probe.stderr.decode().strip())
    import deploy_netns
    result = deploy_netns.run_in_namespace(timeout=110)
    output = result['output']
    assert result['code'] == 0, output
    assert 'MicroPython' in output and '(rp2)' in output
    assert 'copy lib/netboard.mpy' in output and 'copy lib/board.mpy' in output
    assert 'wifi: connected to LAB-WIFI as 127.0.0.1' in output
    assert 'pico_heater: outside, heater, heater_output, system' in output
    assert output.rstrip().endswith('deploy ok')
    assert result['files'] == ['config.json', 'describing.txt', 'lib', 'main.py', 'secrets.json',
                               'www']


def test_the_deploy_reads_the_address_of_either_link_off_the_console():
    import board_link
    found = board_link.CONSOLE['ip']
    assert found.search('wifi: connected to LAB-WIFI as 192.168.1.57').group(1) == '192.168.1.57'
    assert found.search('ethernet: link up as 10.0.5.9').group(1) == '10.0.5.9'
    assert found.search('ethernet: link down') is None


def test_an_own_equipment_id_or_none_gets_no_warning():
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import deploy as deploy_tool
    assert deploy_tool.example_id({'node': {'equipment_id': 'pico_heater'}}) == 'pico_heater'
    assert deploy_tool.example_id({'node': {'equipment_id': 'lab3_furnace'}}) is None
    assert deploy_tool.example_id({'node': {}}) is None
