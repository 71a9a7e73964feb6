"""Static rules of the code base, checked on the source text."""

import ast
import os

from helpers import ROOT

PURE = ('firmware/secop', 'firmware/control')
HARDWARE = {'machine', 'network', 'socket', 'asyncio', 'uasyncio', 'pyb', 'esp32', 'select'}


def python_files(*folders):
    for folder in folders:
        for base, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith('.py'):
                    yield os.path.join(base, name)


def imports(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split('.')[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module.split('.')[0]


def test_protocol_core_and_control_import_no_hardware_network_or_asyncio():
    for path in python_files(*PURE):
        bad = HARDWARE & set(imports(path))
        assert not bad, '%s imports %s' % (os.path.relpath(path, ROOT), bad)


def test_no_code_path_evaluates_input():
    for path in python_files('firmware', 'boards'):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ('eval', 'exec', 'compile', '__import__'), (
                    '%s:%d calls %s' % (os.path.relpath(path, ROOT), node.lineno, node.func.id))


def test_every_module_has_a_docstring():
    for path in python_files('firmware', 'boards', 'tools', 'host_tests'):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        if os.path.basename(path) == '__init__.py' and not tree.body:
            continue
        assert ast.get_docstring(tree), os.path.relpath(path, ROOT) + ' has no docstring'
