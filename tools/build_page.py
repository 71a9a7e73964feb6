#!/usr/bin/env python3
"""Gzip the node's web page (web/index.html) into the file a node serves.

    .venv/bin/python tools/build_page.py [TARGET]

A board serves ``www/index.html.gz`` (transport/web.py): ``make deploy`` copies
it there, ``tools/sim.py`` into the simulated board's folder.  No file name and
time 0 in the gzip header, so a deploy copies it again only when the page changed.
``LIMIT``: the gzipped page's budget (host_tests/test_web.py holds it to it).
"""

import gzip
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, 'web', 'index.html')
TARGET = os.path.join(ROOT, 'build', 'www', 'index.html.gz')
BOARD_PATH = 'www/index.html.gz'
LIMIT = 12 * 1024


def build(target=TARGET):
    """Write the gzipped page if the source is newer; returns ``target``."""
    if os.path.exists(target) and os.path.getmtime(target) >= os.path.getmtime(SOURCE):
        return target
    with open(SOURCE, 'rb') as f:
        page = f.read()
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = '%s.%d' % (target, os.getpid())      # simulators may start together
    with open(partial, 'wb') as f:
        f.write(gzip.compress(page, 9, mtime=0))
    os.replace(partial, target)
    return target


if __name__ == '__main__':
    if sys.argv[1:2] and sys.argv[1].startswith('-') or len(sys.argv) > 2:
        sys.exit(__doc__)
    path = build(*sys.argv[1:])
    print('%s: %d bytes, %d gzipped (limit %d)' % (
        os.path.relpath(path), os.path.getsize(SOURCE), os.path.getsize(path), LIMIT))
