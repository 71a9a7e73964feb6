"""Each board is declared in one place, boards/<name>/capabilities.py: every
declaration names the same things, the files it deploys exist, its stubs
install where make typecheck looks, and the tools take their board list from
the declarations (a new folder with a declaration is a new board)."""

import os
import subprocess
import sys

import pytest

from helpers import ROOT

import boards  # noqa: E402  (the repository root is on the path through helpers)

NAMES = boards.names()


def fields(name):
    return set(vars(boards.capabilities(name)))


def test_every_board_declares_the_same_things():
    assert NAMES == ['esp32', 'pyboard', 'rp2', 'sim']
    assert all(fields(name) == fields(NAMES[0]) for name in NAMES)


@pytest.mark.parametrize('name', NAMES)
def test_declared_files_exist_and_stubs_match_the_setup(name):
    caps = boards.capabilities(name)
    for module in caps.DEPLOY:
        assert os.path.isfile(os.path.join(ROOT, 'boards', name, module)), module
    if caps.STUBS:
        assert caps.STUBS == 'requirements-stubs-%s.txt' % name        # see the Makefile
        assert os.path.isfile(os.path.join(ROOT, caps.STUBS))
    assert caps.RESET in ('hard', 'soft')
    if caps.TIMERS:                     # every PWM output has its timer channels declared
        assert set(caps.OUTPUT_PINS) == set(caps.TIMERS)


def test_tools_offer_the_declared_boards():
    for tool in ('deploy.py', 'check_config.py'):
        text = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', tool), '--help'],
                              capture_output=True, text=True, timeout=60).stdout
        assert '{esp32,pyboard,rp2,sim}' in text, tool


def test_unknown_board_names_the_declared_ones():
    from boards import configcheck
    assert configcheck.check({}, 'arduino') == ["unknown board 'arduino': use esp32, pyboard, rp2, sim"]


@pytest.mark.parametrize('name', NAMES)
def test_the_node_copies_of_the_declarations_agree(name):
    """board.py keeps what the node needs at run time (capabilities.py is not
    deployed): the usable ADC window and the REPL's console."""
    import ast
    with open(os.path.join(ROOT, 'boards', name, 'board.py')) as f:
        tree = ast.parse(f.read())
    copies = {target.id: ast.literal_eval(node.value) for node in tree.body
              if isinstance(node, ast.Assign) for target in node.targets
              if getattr(target, 'id', None) in ('ADC_WINDOW_UV', 'CONSOLE')}
    caps = boards.capabilities(name)
    assert copies['CONSOLE'] == caps.CONSOLE
    assert copies.get('ADC_WINDOW_UV') == caps.ADC_WINDOW_UV    # the simulator: a setting
