#!/usr/bin/env python3
"""Load the NICOS setup of the heater node and read ``heater`` through NICOS.

    SECOP_NODE=HOST:PORT .venv-nicos/bin/python examples/nicos/read_heater.py

Run with the NICOS of ``.venv-nicos`` (``make setup`` installs nicos 3.12.2 there from
requirements-nicos.txt; its pins clash with the main venv's).  A NICOS
``ScriptSession`` loads setup ``heater`` of the setup package ``nicos_secop`` beside
this file (``INSTRUMENT=nicos_secop.heater``): its ``SecNodeDevice`` connects and
creates one device per module, then this prints what NICOS reads of ``heater`` and
``outside``.  NICOS's logs go to a temporary folder.
"""

import os
import site
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault('INSTRUMENT', 'nicos_secop.heater')
# pip installs NICOS as its source tree, <site-packages>/opt/nicos, which is not on the path
sys.path[:0] = [os.path.join(folder, 'opt', 'nicos') for folder in site.getsitepackages()]

from nicos import config  # noqa: E402
from nicos.core.sessions.simple import ScriptSession  # noqa: E402

SCRIPT = '''
print('devices:', ' '.join(sorted(session.devices)))
print('heater: %s %s' % (heater.read(0), heater.unit))
print('heater status:', heater.status(0))
print('outside: %s %s' % (outside.read(0), outside.unit))
'''


def main():
    with tempfile.TemporaryDirectory() as work:
        config.logging_path = os.path.join(work, 'log')
        config.pid_path = os.path.join(work, 'pid')
        ScriptSession.run('heater', 'from nicos import session\n' + SCRIPT)
    return 0


if __name__ == '__main__':
    sys.exit(main())
