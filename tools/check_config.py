#!/usr/bin/env python3
"""Validate a node configuration for a board before it is deployed.

    .venv/bin/python tools/check_config.py boards/esp32/config.json --board esp32
                                          [--secrets FILE | --no-secrets]

Prints one line per problem and exits 1, or prints ``ok`` and exits 0.
Wi-Fi passwords are read from ``secrets.json`` next to the config unless
``--secrets`` names another file; ``--no-secrets`` skips those checks.
The rules live in boards/configcheck.py (``check(config, board, secrets)``).
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, 'firmware'), os.path.join(ROOT, 'tools')]

import boards  # noqa: E402
from boards import configcheck  # noqa: E402
from datafiles import beside  # noqa: E402

BOARDS = boards.names()


def load_json(path, what):
    """(data, None) or (None, problem text)."""
    try:
        with open(path) as f:
            return json.load(f), None
    except OSError as exc:
        return None, '%s %s: %s' % (what, path, exc.strerror)
    except ValueError as exc:
        return None, '%s %s is not valid JSON: %s' % (what, path, exc)


def guess_board(path):
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return parent if parent in BOARDS else None


def load_secrets(args):
    """(secrets or None, problems)."""
    if args.no_secrets:
        return None, []
    path = args.secrets or os.path.join(os.path.dirname(os.path.abspath(args.config)),
                                        'secrets.json')
    if not os.path.exists(path) and not args.secrets:
        return {}, []     # the Wi-Fi check then names the missing password
    secrets, problem = load_json(path, 'secrets')
    if problem:
        return None, [problem]
    if type(secrets) is not dict:
        return None, ['secrets %s must be a JSON object' % path]
    return secrets, []


def problems_for(args):
    board = args.board or guess_board(args.config)
    if board is None:
        return ['cannot tell the board from the path: pass --board esp32, pyboard or sim']
    config, problem = load_json(args.config, 'config')
    if problem:
        return [problem]
    secrets, problems = load_secrets(args)
    with beside(args.config):      # curve files are named relative to the config
        return problems + configcheck.check(config, board, secrets)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config.json to check')
    parser.add_argument('--board', choices=BOARDS,
                        help='target board (default: the folder name, boards/<board>/)')
    parser.add_argument('--secrets', help='secrets.json (default: next to the config)')
    parser.add_argument('--no-secrets', action='store_true', help='skip the Wi-Fi password checks')
    args = parser.parse_args(argv)
    problems = problems_for(args)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
