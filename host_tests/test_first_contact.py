"""What a newcomer meets first: the simulator's command line, its errors, Ctrl-C,
``make sim``'s port, the type check without Node.js, the tools writing only under
build/, soak's progress, and the deploy tool pointed at the wrong port.  Every error is
one line."""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from helpers import ROOT, SIM, SimNode, free_port
from simnode import read_line

TOOLS = os.path.join(ROOT, 'tools')


def sim(*args, timeout=60, **kwargs):
    """sim.py with these options; on any free port unless they name one (10767, the
    default, may be in use on the host and would turn every error into that one)."""
    port = [] if '--port' in args else ['--port', '0']
    return subprocess.run([sys.executable, SIM] + port + list(args), capture_output=True,
                          text=True, timeout=timeout, **kwargs)


def one_line_error(result, *words):
    assert result.returncode == 2, result
    assert result.stdout == ''                      # no READY
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('sim: '), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_sim_help_shows_the_defaults():
    text = sim('--help').stdout
    assert '(default: 10767)' in text and '(default: 256k, 512k' in text
    assert 'boards/sim/config.json' in text


@pytest.mark.parametrize('port', ['99999', '-1', 'http'])
def test_sim_rejects_a_port_that_is_not_one(port):
    one_line_error(sim('--port', port), 'not a TCP port')


@pytest.mark.parametrize('args, words', [
    (('--speed', '0'), ('--speed', 'from 0.001')),          # was a ZeroDivisionError per task
    (('--speed', '-1'), ('--speed', 'from 0.001')),
    (('--wrap-in', '-5'), ('--wrap-in', 'from 0')),
    (('--announce-port', '5000', '--discovery-port', '0'), ('needs UDP discovery',)),
    (('--uart', '/dev/no-such-tty'), ('/dev/no-such-tty does not exist', '--uart auto')),
    (('--state', '/no-such-folder/state.json'), ('no folder /no-such-folder',)),
    (('--config', os.path.join(ROOT, 'boards', 'esp32', 'config.json'), '--port', '0'),
     ('stopped before serving', 'check_config.py', '--board sim names 2 problems')),
])
def test_sim_says_which_option_is_wrong(args, words):
    one_line_error(sim(*args, timeout=30), *words)


def test_sim_source_boots_on_its_default_heap():
    node = SimNode('--source')              # the .py files need more heap than the .mpy
    try:
        assert node.client().ask('*IDN?').startswith('ISSE')
    finally:
        node.stop()


def test_raw_config_stays_on_loopback_and_its_port(tmp_path):
    path = tmp_path / 'config.json'         # parses: the node gets it unchecked, but local
    path.write_text('{"tcp": {"bind": "0.0.0.0", "port": 10767}, "modules": [], "discovery": '
                    '{"enabled": true, "bind": "0.0.0.0", "announce": "255.255.255.255"}}')
    port = free_port()
    node = SimNode('--raw-config', config=str(path), port=port)
    try:
        assert node.ready.split()[1:] == ['tcp=127.0.0.1:%d' % port, 'udp=' + node.udp]
        assert node.udp.startswith('127.0.0.1:')
        assert node.client().ask('*IDN?').startswith('ISSE')
    finally:
        node.stop()


def test_sim_says_when_the_port_is_taken():
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        one_line_error(sim('--port', str(port)), 'port %d' % port, 'in use', 'SIM_PORT')


def test_sim_says_what_is_wrong_with_the_config(tmp_path):
    one_line_error(sim('--config', str(tmp_path / 'missing.json')), 'cannot read --config')
    broken = tmp_path / 'broken.json'
    broken.write_text('{"modules": [')
    one_line_error(sim('--config', str(broken)), 'not valid JSON')


def test_sim_says_when_the_heap_is_too_small():
    one_line_error(sim('--heap', '64k', '--port', '0'), 'MemoryError', 'too small', '256k')
    one_line_error(sim('--heap', 'lots'), 'not a heap size')


def test_sim_ready_line_names_the_port_it_listens_on():
    node = SimNode(port=0)
    try:
        assert node.ready.split()[:2] == ['READY', 'tcp=127.0.0.1:%d' % node.port]
        conn = node.client()
        assert conn.ask('*IDN?').startswith('ISSE')
        conn.close()
    finally:
        node.stop()


def test_ctrl_c_stops_cleanly_and_leaves_nothing_behind(tmp_path):
    """Ctrl-C in a terminal signals the whole foreground process group."""
    proc = subprocess.Popen([sys.executable, SIM, '--port', '0', '--uart', 'auto'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TMPDIR=str(tmp_path)), start_new_session=True)
    try:
        assert read_line(proc.stdout, 'READY', 60)
        node_pid = int(open('/proc/%d/task/%d/children' % (proc.pid, proc.pid)).read().split()[0])
        assert os.listdir(str(tmp_path))                # sim.py's working directory
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert 'Traceback' not in proc.stderr.read().decode()
    assert os.listdir(str(tmp_path)) == []
    assert not os.path.exists('/proc/%d' % node_pid)


def test_sim_node_ends_when_sim_py_is_killed(tmp_path, monkeypatch):
    monkeypatch.setenv('TMPDIR', str(tmp_path))     # SIGKILL leaves sim.py's folder behind
    node = SimNode()
    pid = node.node_pid()
    node.proc.kill()
    node.stop()
    end = time.monotonic() + 10
    while os.path.exists('/proc/%d' % pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert not os.path.exists('/proc/%d' % pid)


def test_make_sim_port_is_sim_port():
    make = subprocess.run(['make', '-n', 'sim', 'SIM_PORT=12345'], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert 'tools/sim.py --port 12345' in make.stdout
    wrong = subprocess.run(['make', 'sim', 'PORT=12345'], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert wrong.returncode != 0
    assert 'SIM_PORT' in wrong.stdout and 'READY' not in wrong.stdout


def test_typecheck_without_node_says_so_in_one_line():
    result = subprocess.run([sys.executable, os.path.join(TOOLS, 'typecheck.py')],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PATH=os.path.dirname(sys.executable)))
    assert result.returncode == 2
    assert result.stdout.strip() == ('typecheck: pyright needs Node.js: no node on PATH '
                                     '(apt-get install nodejs)')


def docs_digest():
    digest = hashlib.sha256()
    for folder, _, names in os.walk(os.path.join(ROOT, 'docs')):
        for name in sorted(names):
            with open(os.path.join(folder, name), 'rb') as f:
                digest.update(name.encode() + f.read())
    return digest.hexdigest()


def test_every_tool_answers_help_without_a_traceback_or_a_write():
    before = docs_digest()
    for name in sorted(os.listdir(TOOLS)):
        if not name.endswith('.py'):
            continue
        with open(os.path.join(TOOLS, name)) as f:
            if "__name__ == '__main__'" not in f.read():
                continue
        result = subprocess.run([sys.executable, os.path.join(TOOLS, name), '--help'],
                                capture_output=True, text=True, timeout=60)
        text = result.stdout + result.stderr
        assert 'Traceback' not in text, text
        assert 'tools/' + name in text or 'usage:' in text, text
        assert result.returncode in (0, 1), (name, text)
    assert docs_digest() == before      # --help prints the usage: it ran draw_wiring.py


def test_bench_writes_json_and_table_under_build_only():
    before = docs_digest()
    result = subprocess.run([sys.executable, os.path.join(TOOLS, 'bench.py'), '--quick',
                             '--only', 'code,boot'], capture_output=True, text=True, timeout=110)
    assert result.returncode == 0, result.stderr
    assert '| code a deploy copies: firmware |' in result.stdout
    assert 'failed' not in result.stdout
    with open(os.path.join(ROOT, 'build', 'bench.md')) as f:
        assert f.read() == result.stdout
    assert docs_digest() == before


def test_soak_shows_progress_and_a_verdict():
    # 15 s of warm-up (with a fault cycle) and 3 s of load: the whole run, end to end
    result = subprocess.run([sys.executable, os.path.join(TOOLS, 'soak.py'), '--minutes', '0.3',
                             '--clients', '2'], capture_output=True, text=True, timeout=100)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'warm-up for 15 s, 2 clients' in result.stderr
    assert 'load starts; heap ' in result.stderr
    assert '| node alive at the end (`*IDN?` answered) | yes |' in result.stdout
    assert result.stdout.endswith('Verdict: pass\n')


def test_soak_refuses_a_run_without_load():
    for args in (('--minutes', '-1'), ('--speed', '0')):
        result = subprocess.run([sys.executable, os.path.join(TOOLS, 'soak.py')] + list(args),
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and result.stdout == '', result
        assert result.stderr.strip().endswith('--minutes and --speed must be above 0')


def test_plot_never_calls_a_run_settled_that_ended_outside_the_band():
    sys.path.insert(0, TOOLS)
    import autotune_plants
    ramp = [(t, 20.0 + t / 10) for t in range(0, 201, 10)]         # never within 0.1 K of 60
    assert autotune_plants.settle_time(ramp, 60.0) is None
    approach = ramp[:5] + [(t, 60.05) for t in range(50, 201, 10)]
    assert autotune_plants.settle_time(approach, 60.0) == 40
    assert autotune_plants.settle_time(approach + [(210, 61.0)], 60.0) is None


def test_deploy_on_the_secop_serial_line_says_so_within_seconds():
    node = SimNode(uart=True)
    try:
        started = time.monotonic()
        result = subprocess.run([sys.executable, os.path.join(TOOLS, 'deploy.py'), '--board',
                                 'sim', '--port', node.uart], capture_output=True, text=True,
                                timeout=60)
        assert time.monotonic() - started < 15
    finally:
        node.stop()
    assert result.returncode == 1
    assert "answers in SECoP, not as a MicroPython REPL: it is the node's serial line" in \
        result.stdout
    assert 'next: pass the port of the board\'s USB REPL' in result.stdout


def test_deploy_dry_run_does_not_touch_the_board():
    missing = '/dev/nonexistent-%d' % free_port()
    result = subprocess.run([sys.executable, os.path.join(TOOLS, 'deploy.py'), '--board', 'sim',
                             '--port', missing, '--dry-run'], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout
    assert 'not contacted' in result.stdout and 'would copy lib/app.mpy' in result.stdout
    assert 'dry run: nothing changed' in result.stdout
