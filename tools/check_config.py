#!/usr/bin/env python3
"""Validate a node configuration for a board before it is deployed.

    .venv/bin/python tools/check_config.py boards/esp32/config.json [--board esp32] [--no-secrets]

Prints one line per problem and exits 1, or prints ``ok`` and exits 0.  Wi-Fi
passwords come from ``secrets.json`` next to the config (as for the deploy).
The rules are boards/configcheck.py; tools/deploy.py runs them through ``load``.
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


def read_json(path, what):
    """(data, None) or (None, problem text)."""
    try:
        with open(path) as f:
            return json.load(f), None
    except OSError as exc:
        return None, '%s %s: %s' % (what, path, exc.strerror)
    except ValueError as exc:
        return None, '%s %s is not valid JSON: %s' % (what, path, exc)


def load(path, board, with_secrets=True):
    """(config or None, problems) of the config at ``path`` for ``board``."""
    config, problem = read_json(path, 'config')
    secrets_path = os.path.join(os.path.dirname(os.path.abspath(path)), 'secrets.json')
    secrets = {} if with_secrets else None      # {}: the Wi-Fi check names the missing password
    if problem is None and with_secrets and os.path.exists(secrets_path):
        secrets, problem = read_json(secrets_path, 'secrets')
        if problem is None and type(secrets) is not dict:
            problem = 'secrets %s must be a JSON object' % secrets_path
    if problem:
        return config, [problem]
    with beside(path):             # curve files are named relative to the config
        return config, configcheck.check(config, board, secrets)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config.json to check')
    parser.add_argument('--board', choices=boards.names(),
                        help='target board (default: the folder name, boards/<board>/)')
    parser.add_argument('--no-secrets', action='store_true', help='skip the Wi-Fi password checks')
    args = parser.parse_args(argv)
    board = args.board or os.path.basename(os.path.dirname(os.path.abspath(args.config)))
    if board not in boards.names():
        problems = ['cannot tell the board from the path: pass --board %s'
                    % ', '.join(boards.names())]
    else:
        problems = load(args.config, board, not args.no_secrets)[1]
    print('\n'.join(problems) or 'ok')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
