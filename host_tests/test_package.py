"""Packaging: package.json (``mpremote mip install``) lists every firmware module
and installs from relative URLs; manifest.py (freezing) names existing files."""

import json
import os

import pytest

from helpers import ROOT

import boards  # noqa: E402  (the repository root is on the path through helpers)
from vboard_process import VBoard

FIRMWARE = os.path.join(ROOT, 'firmware')


def firmware_modules():
    """Paths relative to firmware/ of every module that belongs in /lib."""
    found = set()
    for folder, dirs, files in os.walk(FIRMWARE):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in files:
            if name.endswith('.py'):
                found.add(os.path.relpath(os.path.join(folder, name), FIRMWARE))
    found.discard('main.py')     # runs from the top of the filesystem, not /lib
    return found


def load_package(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return json.load(f)


def test_package_json_lists_every_firmware_module():
    urls = load_package('package.json')['urls']
    targets = [target for target, _ in urls]
    assert len(targets) == len(set(targets))
    missing = firmware_modules() - set(targets)
    assert not missing, 'add to package.json: %s' % sorted(missing)
    for target, url in urls:
        assert url == 'firmware/' + target
        assert os.path.isfile(os.path.join(ROOT, url)), url


@pytest.mark.parametrize('board', ['esp32', 'pyboard'])
def test_board_package_json(board):
    for target, url in load_package('boards', board, 'package.json')['urls']:
        assert os.path.isfile(os.path.join(ROOT, 'boards', board, url)), url


class ManifestRecorder:
    """Runs manifest.py with the manifest API recording what it would freeze."""

    def __init__(self, **options):
        self.files = set()
        self.includes = []
        self.options = options

    def run(self):
        recorder = self

        class Options:
            def defaults(self, **kwargs):
                for key, value in kwargs.items():
                    recorder.options.setdefault(key, value)

            def __getattr__(self, name):
                return recorder.options.get(name)

        def package(name, base_path='.', opt=None):
            assert opt == 3
            top = os.path.join(ROOT, base_path)
            for folder, dirs, files in os.walk(os.path.join(top, name)):
                dirs[:] = [d for d in dirs if d != '__pycache__']
                self.files.update(os.path.relpath(os.path.join(folder, f), ROOT)
                                  for f in files if f.endswith('.py'))

        def module(path, base_path='.', opt=None):
            assert opt == 3
            full = os.path.join(ROOT, base_path, path)
            assert os.path.isfile(full), full
            self.files.add(os.path.relpath(full, ROOT))

        with open(os.path.join(ROOT, 'manifest.py')) as f:
            code = f.read()
        cwd = os.getcwd()
        os.chdir(ROOT)              # as MicroPython's manifest tool does
        try:
            exec(code, {'options': Options(), 'include': self.includes.append,
                        'package': package, 'module': module})
        finally:
            os.chdir(cwd)
        return self


@pytest.mark.parametrize('board', ['esp32', 'pyboard', 'rp2'])
def test_manifest_freezes_firmware_and_board(board):
    recorder = ManifestRecorder(board=board).run()
    expected = set('firmware/' + path for path in firmware_modules())
    expected.add('boards/%s/board.py' % board)
    assert recorder.files == expected
    assert recorder.includes == ['$(PORT_DIR)/boards/manifest.py']
    assert ManifestRecorder(board=board, port_manifest=False).run().includes == []


@pytest.mark.parametrize('board', ['esp32', 'pyboard'])
def test_board_package_json_installs_what_the_board_declares(board):
    declared = boards.capabilities(board).DEPLOY
    assert [url for _, url in load_package('boards', board, 'package.json')['urls']] == \
        list(declared)


def test_mip_installs_package_json_from_relative_urls(tmp_path):
    vboard = VBoard(str(tmp_path))
    try:
        result = vboard.mpremote('mip', 'install', '--target', 'lib',
                                 os.path.join(ROOT, 'package.json'), timeout=60)
    finally:
        vboard.stop()
    # mip has been known to exit 0 after a failure: judge by its output
    assert result.returncode == 0 and 'partially installed' not in result.stdout, \
        result.stdout + result.stderr
    for target, url in load_package('package.json')['urls']:
        with open(os.path.join(ROOT, url), 'rb') as f, \
                open(os.path.join(str(tmp_path), 'lib', target), 'rb') as g:
            assert f.read() == g.read(), target
