#!/usr/bin/env python3
"""Type-check the firmware and each real board against that board's MicroPython stubs.

    .venv/bin/python tools/typecheck.py [--board esp32|pyboard]

pyright (basic mode) checks firmware/ and boards/<board>/ of each board with
stubs (``STUBS`` in its capabilities.py, installed by ``make setup`` into
.venv/typings/<board>), which replace CPython's standard library; the config
goes to build/typecheck/<board>/.  Errors listed in typecheck/known-issues.txt
(by file, rule and first line of the message) pass; entries that no longer
occur are named.  Exit status: 0 no new errors, 1 new errors, 2 pyright could
not run.
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
    """One pyright error; ``key`` is how typecheck/known-issues.txt names it."""

    def __init__(self, raw):
        path = os.path.relpath(raw['file'], ROOT).replace(os.sep, '/')
        start = raw['range']['start']
        rule = raw.get('rule', '')
        self.full = raw['message'].replace('\xa0', ' ')
        self.key = (path, rule, raw['message'].splitlines()[0].strip())
        self.text = '%s:%d:%d: error: %s (%s)' % (path, start['line'] + 1, start['character'] + 1,
                                                  self.full.replace('\n', ' / '), rule)


def load_known(path=KNOWN):
    """Entries ``path | rule | message``; '#' starts a comment line."""
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        rows = [line.split('|', 2) for line in f
                if line.strip() and not line.lstrip().startswith('#')]
    return {tuple(part.strip() for part in row) for row in rows if len(row) == 3}


def run_pyright(board, config=None):
    """The error diagnostics and the summary of one board's run (or of ``config``)."""
    if shutil.which('node') is None:    # else pyright tries to download Node.js itself
        raise RuntimeError('pyright needs Node.js: no node on PATH (apt-get install nodejs)')
    typings = os.path.join(ROOT, '.venv', 'typings', board)
    if not os.path.isdir(typings):
        raise RuntimeError('%s is missing: run make setup' % os.path.relpath(typings, ROOT))
    proc = subprocess.run([PYRIGHT, '-p', config or write_config(board, typings), '--outputjson'],
                          cwd=ROOT, capture_output=True, text=True)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError('pyright failed (exit %d):\n%s%s' % (proc.returncode, proc.stdout,
                                                                proc.stderr))
    if not report.get('summary', {}).get('filesAnalyzed'):
        raise RuntimeError('%s: pyright checked no file: see build/typecheck/%s' % (board, board))
    return ([Diagnostic(raw) for raw in report.get('generalDiagnostics', ())
             if raw.get('severity') == 'error'], report['summary'])


def write_config(board, typings):
    """The pyright configuration of a board: firmware/ and boards/<board>/ on its stubs."""
    path = os.path.join(ROOT, 'build', 'typecheck', board, 'pyrightconfig.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    code = [os.path.relpath(os.path.join(ROOT, part), os.path.dirname(path))
            for part in ('firmware', 'boards/' + board)]      # pyright wants them relative
    typings = os.path.relpath(typings, os.path.dirname(path))
    # firmware/netboard.py runs on boards with a network only, firmware/ethernet.py on
    # those with wired Ethernet: other ports' network modules have other interfaces
    caps = boards.capabilities(board)
    exclude = [os.path.relpath(os.path.join(ROOT, 'firmware', name), os.path.dirname(path))
               for name, runs in (('netboard.py', caps.NETWORK),
                                  ('ethernet.py', caps.ETHERNET_PHYS)) if not runs]
    with open(path, 'w') as f:
        json.dump({'include': code, 'exclude': exclude, 'extraPaths': code, 'typeshedPath': typings,
                   'stubPath': typings, 'pythonPlatform': 'Linux', 'typeCheckingMode': 'basic',
                   'reportMissingModuleSource': 'none'}, f, indent=1)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--board', choices=BOARDS, help='check one board only')
    args = parser.parse_args(argv)
    known, seen, new = load_known(), set(), 0
    try:
        for board in [args.board] if args.board else BOARDS:
            errors, summary = run_pyright(board)
            fresh = [error for error in errors if error.key not in known]
            seen.update(error.key for error in errors)
            for error in fresh:
                print(error.text)
            print('%s: %d files, %d new errors, %d known (typecheck/known-issues.txt), '
                  '%d warnings' % (board, summary['filesAnalyzed'], len(fresh),
                                   len(errors) - len(fresh), summary.get('warningCount', 0)))
            new += len(fresh)
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
