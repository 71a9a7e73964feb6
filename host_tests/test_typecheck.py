"""``make typecheck``: firmware/ with each real board, against that board's stubs.

The real run must find no errors beyond typecheck/known-issues.txt; a sample
with board API mistakes shows that the stubs are really in use.
"""

import json
import os
import subprocess
import sys

from helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, 'tools'))

import typecheck  # noqa: E402

BAD_SAMPLE = '''
import time
from machine import ADC, PWM, Pin

adc = ADC(Pin(34), atten=ADC.ATTN_11DB)
level: str = adc.read_uv()
PWM(Pin(25), freq=10, duty_u16=0).duty_percent(50)
time.monotonic()
'''


def test_firmware_and_boards_have_no_new_errors():
    result = subprocess.run([sys.executable, os.path.join(ROOT, 'tools', 'typecheck.py')],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    summaries = [line for line in result.stdout.splitlines()
                 if line.split(':')[0] in typecheck.BOARDS]
    assert len(summaries) == len(typecheck.BOARDS)
    assert all(', 0 new errors,' in line for line in summaries), summaries
    assert result.stdout.rstrip().endswith('typecheck: ok')


def test_board_api_mistakes_are_caught(tmp_path):
    (tmp_path / 'bad.py').write_text(BAD_SAMPLE)
    typings = os.path.join(ROOT, '.venv', 'typings', 'esp32')
    config = tmp_path / 'pyrightconfig.json'
    config.write_text(json.dumps({
        'include': ['.'], 'typeshedPath': typings, 'stubPath': typings,
        'pythonPlatform': 'Linux', 'typeCheckingMode': 'basic',
        'reportMissingModuleSource': 'none'}))
    errors, _ = typecheck.run_pyright('esp32', str(config))
    found = ' '.join(error.full for error in errors)
    assert len(errors) == 3, found
    for fragment in ('"int" is not assignable to "str"', 'duty_percent', 'monotonic'):
        assert fragment in found
