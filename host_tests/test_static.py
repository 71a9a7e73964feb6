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


TICKS = ('ticks_ms', 'ticks_us', 'ticks_cpu', 'ticks_diff', 'ticks_add')
TIME_SOURCE = os.path.join('firmware', 'secop', 'clock.py')
TICK_EMULATOR = os.path.join('boards', 'sim', 'board.py')   # 30-bit ticks from the host's


def _name(node):
    return getattr(node, 'id', None) or getattr(node, 'attr', '')


def tick_valued(tree):
    """Names that hold tick counts: any name with 'tick' or 'now' in it, what is
    assigned from ``<clock>.read()`` or ``<clock>.ticks``, and what is assigned
    from those in turn."""
    names = set()
    while True:
        before = len(names)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assign):
                continue
            value = node.value
            from_clock = (isinstance(value, ast.Call) and _name(value.func) == 'read'
                          and 'clock' in _name(getattr(value.func, 'value', None)).lower()) \
                or (isinstance(value, ast.Attribute) and value.attr == 'ticks') \
                or _name(value) in names
            if from_clock:
                names.update(_name(t) for t in node.targets if _name(t))
        if len(names) == before:
            return names


def test_one_time_source():
    """Only secop.clock reads and compares tick counts (they wrap every 2**30 ms):
    nowhere else a ``time.ticks_*`` call, and no subtraction of a tick count;
    a real board hands ``time.ticks_ms``/``ticks_diff`` to ``Clock()`` and nothing more."""
    for path in python_files('firmware', 'boards'):
        rel = os.path.relpath(path, ROOT)
        if rel in (TIME_SOURCE, TICK_EMULATOR):
            continue
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        ticks = tick_valued(tree)
        handed_over = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == 'Clock':
                handed_over.update(id(arg) for arg in node.args)
        for node in ast.walk(tree):
            where = '%s:%d' % (rel, getattr(node, 'lineno', 0))
            if isinstance(node, ast.Attribute) and node.attr in TICKS:
                assert id(node) in handed_over, where + ': %s outside secop.clock' % node.attr
            if isinstance(node, ast.ImportFrom) and node.module in ('time', 'utime'):
                names = {alias.name for alias in node.names}
                assert not names & set(TICKS), where + ': imports ticks functions'
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
                for side in (node.left, node.right):
                    name = _name(side)
                    lowered = name.lower()
                    assert not (name in ticks or 'tick' in lowered or 'now' in lowered), (
                        where + ': subtracts %s, a tick count: use clock.diff or clock.elapsed'
                        % name)


def test_strings_can_be_frozen():
    """Every string constant is valid UTF-8: mpy-tool cannot freeze a lone surrogate
    (``'\\ud800'``), so such a literal breaks the frozen firmware (manifest.py)."""
    for path in python_files('firmware', 'boards'):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    node.value.encode('utf-8')
                except UnicodeEncodeError:
                    raise AssertionError('%s:%d: a surrogate in a string literal' % (
                        os.path.relpath(path, ROOT), node.lineno))


def firmware_modules():
    """{dotted name: path} of every module under firmware/."""
    found = {}
    for path in python_files('firmware'):
        rel = os.path.relpath(path, os.path.join(ROOT, 'firmware'))[:-3].replace(os.sep, '.')
        found[rel[:-len('.__init__')] if rel.endswith('.__init__') else rel] = path
    return found


def firmware_imports(path, known):
    """The firmware modules ``path`` imports, at its top or inside a function."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ['%s.%s' % (node.module, alias.name) for alias in node.names]
        else:
            continue
        yield from (name for name in names if name in known)


def test_no_import_cycle_in_the_firmware():
    known = firmware_modules()
    graph = {name: set(firmware_imports(path, known)) - {name} for name, path in known.items()}
    done, trail = set(), []

    def visit(name):
        if name in trail:
            raise AssertionError('import cycle: ' + ' -> '.join(trail[trail.index(name):] + [name]))
        if name not in done:
            trail.append(name)
            for other in sorted(graph[name]):
                visit(other)
            trail.pop()
            done.add(name)

    for name in sorted(graph):
        visit(name)
