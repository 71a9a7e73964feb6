#!/usr/bin/env python3
"""Type-check the firmware and each real board against that board's MicroPython stubs.

    .venv/bin/python tools/typecheck.py [--board esp32|pyboard]

Runs pyright (basic mode) once per board that declares stubs (``STUBS`` in
boards/<board>/capabilities.py): firmware/ + boards/<board>/ against
.venv/typings/<board> (installed by ``make setup`` from that requirements
file), which replaces CPython's standard library, so host-only code (tools/,
host_tests/, boards/sim/) is not checked here.  The pyright configuration is
written to build/typecheck/<board>/pyrightconfig.json.

Errors listed in typecheck/known-issues.txt (real problems reported to the
firmware's owners, matched by file, rule and message, not by line) are
counted but do not fail the run; every other error does.  Listed entries
that no longer occur are named, so the list can be shortened.
Exit status: 0 no new errors, 1 new errors, 2 pyright could not run.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import boards  # noqa: E402
PYRIGHT = os.path.join(os.path.dirname(sys.executable), 'pyright')
BOARDS = tuple(name for name in boards.names() if boards.capabilities(name).STUBS)
KNOWN = os.path.join(ROOT, 'typecheck', 'known-issues.txt')


class Diagnostic:
    def __init__(self, raw):
        self.path = os.path.relpath(raw['file'], ROOT).replace(os.sep, '/')
        self.line = raw['range']['start']['line'] + 1
        self.column = raw['range']['start']['character'] + 1
        self.rule = raw.get('rule', '')
        self.message = raw['message'].splitlines()[0].strip()
        self.full = raw['message'].replace('\xa0', ' ')

    def key(self):
        return (self.path, self.rule, self.message)

    def __str__(self):
        return '%s:%d:%d: error: %s (%s)' % (self.path, self.line, self.column,
                                              self.full.replace('\n', ' / '), self.rule)


def load_known(path=KNOWN):
    """Entries ``path | rule | message``; '#' starts a comment line."""
    known = set()
    if not os.path.exists(path):
        return known
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                parts = [part.strip() for part in line.split('|', 2)]
                if len(parts) == 3:
                    known.add(tuple(parts))
    return known


def run_pyright(board, config=None):
    """The error diagnostics and the summary of one board's run (or of ``config``)."""
    if shutil.which('node') is None:    # else pyright tries to download Node.js itself
        raise RuntimeError('pyright needs Node.js: no node on PATH (apt-get install nodejs)')
    typings = os.path.join(ROOT, '.venv', 'typings', board)
    if not os.path.isdir(typings):
        raise RuntimeError('%s is missing: run make setup' % os.path.relpath(typings, ROOT))
    config = config or write_config(board, typings)
    proc = subprocess.run([PYRIGHT, '-p', config, '--outputjson'], cwd=ROOT,
                          capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError('pyright failed (exit %d):\n%s%s' % (proc.returncode, proc.stdout,
                                                                proc.stderr))
    errors = [Diagnostic(raw) for raw in report.get('generalDiagnostics', ())
              if raw.get('severity') == 'error']
    return errors, report.get('summary', {})


def write_config(board, typings):
    """The pyright configuration of a board: firmware/ and boards/<board>/ on its stubs."""
    path = os.path.join(ROOT, 'build', 'typecheck', board, 'pyrightconfig.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    code = [os.path.relpath(os.path.join(ROOT, part), os.path.dirname(path))
            for part in ('firmware', 'boards/' + board)]      # pyright wants them relative
    typings = os.path.relpath(typings, os.path.dirname(path))
    with open(path, 'w') as f:
        json.dump({'include': code, 'extraPaths': code, 'typeshedPath': typings,
                   'stubPath': typings, 'pythonPlatform': 'Linux', 'typeCheckingMode': 'basic',
                   'reportMissingModuleSource': 'none'}, f, indent=1)
    return path


def check_board(board, known, seen):
    errors, summary = run_pyright(board)
    if not summary.get('filesAnalyzed'):
        print('%s: pyright checked no file: see build/typecheck/%s' % (board, board))
        return 1
    new = [e for e in errors if e.key() not in known]
    seen.update(e.key() for e in errors)
    for error in new:
        print(error)
    print('%s: %d files, %d new errors, %d known (typecheck/known-issues.txt), %d warnings'
          % (board, summary.get('filesAnalyzed', 0), len(new), len(errors) - len(new),
             summary.get('warningCount', 0)))
    return len(new)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--board', choices=BOARDS, help='check one board only')
    args = parser.parse_args(argv)
    known = load_known()
    seen = set()
    new = 0
    try:
        for board in ([args.board] if args.board else BOARDS):
            new += check_board(board, known, seen)
    except RuntimeError as exc:
        print('typecheck: %s' % exc)
        return 2
    if not args.board:
        for entry in sorted(known - seen):
            print('fixed, remove from typecheck/known-issues.txt: %s' % ' | '.join(entry))
    print('typecheck: %s' % ('ok' if not new else '%d new errors' % new))
    return 1 if new else 0


if __name__ == '__main__':
    sys.exit(main())
