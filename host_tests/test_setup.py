"""``make setup`` on first contact: requirements checked up front, one line each,
and one setup at a time (``make sim`` and ``make test`` started together)."""

import fcntl
import os
import subprocess
import sys

import pytest

from helpers import ROOT

# A Python that answers like an old one, or like one without the venv module:
# it runs the Makefile's ``-c`` checks with ``sys.version_info`` replaced.
FAKE_PYTHON = '''#!%s
import sys
version, has_venv = %r, %r
code = sys.argv[2]
if 'ensurepip' in code and not has_venv:
    sys.exit(1)
sys.version_info = version
exec(code)
'''


def fake_python(tmp_path, version, has_venv=True):
    path = tmp_path / 'python3'
    path.write_text(FAKE_PYTHON % (sys.executable, version, has_venv))
    path.chmod(0o755)
    return str(path)


def make_setup(tmp_path, *args, **kwargs):
    """``make setup`` into a venv under tmp_path, so the real one is never touched."""
    return subprocess.run(['make', '--no-print-directory', '-C', ROOT, 'setup',
                           'VENV=%s' % (tmp_path / 'venv'), 'LOCK=%s' % (tmp_path / 'lock')]
                          + list(args), capture_output=True, text=True, timeout=60, **kwargs)


def our_lines(result):
    return [line for line in (result.stdout + result.stderr).splitlines()
            if not line.startswith('make')]


@pytest.mark.parametrize('version, has_venv, says', [
    ((3, 9, 0), True, 'setup: needs Python >= 3.11 (the numpy, matplotlib and hypothesis pins); '),
    ((3, 12, 1), False, 'cannot create a virtualenv: install python3-venv'),
])
def test_setup_says_what_the_python_lacks_in_one_line(tmp_path, version, has_venv, says):
    result = make_setup(tmp_path, 'PYTHON=' + fake_python(tmp_path, version, has_venv))
    assert result.returncode != 0
    lines = our_lines(result)
    assert len(lines) == 1 and says in lines[0], lines
    if version < (3, 11):
        assert 'is 3.9: run make setup PYTHON=python3.X' in lines[0]
    assert 'Traceback' not in result.stderr
    assert not (tmp_path / 'venv').exists()


def test_a_second_setup_waits_for_the_first(tmp_path):
    """While one setup holds the lock, another does nothing; it goes on when the lock is free.
    Holding the lock stands for a first setup that is still installing."""
    lock_path = tmp_path / 'lock'
    with open(lock_path, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        second = subprocess.Popen(
            ['make', '--no-print-directory', '-C', ROOT, 'setup', 'LOCK=%s' % lock_path,
             'PYTHON=' + fake_python(tmp_path, (3, 9, 0))],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                second.wait(timeout=3)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    out, _ = second.communicate(timeout=60)
    # the real venv is set up (make test needs it), so the second setup has nothing to do
    # and never runs the Python check that the fake would fail
    assert second.returncode == 0, out
    assert 'needs Python' not in out
