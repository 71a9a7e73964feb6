"""pytest set-up shared by all host tests: the firmware is importable as on a board."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for path in (os.path.join(ROOT, 'firmware'), os.path.join(HERE, 'unit')):
    if path not in sys.path:
        sys.path.insert(0, path)
