"""The simulated board's clock: a host hiccup is not a board stall.

At 20x the heater interlock's lease (two control periods of 0.5 s simulated)
is 50 ms of real time.  The host keeps the MicroPython process from running
for longer than that (SIGSTOP here, a loaded machine in practice): that real
time is not board time, so the heater stays on, while the ``control_stall``
fault (tested in test_sim_faults.py) is still a stall.
"""

import os
import signal
import time

import psutil

from helpers import SimNode, read_value, wait_for

SPEED = 20
HICCUP_S = 0.5          # real seconds: 10 s simulated, 10 leases, were it board time


def uptime(conn):
    read_value(conn, 'system:value')            # polls the system module: a fresh uptime
    return read_value(conn, 'system:_uptime')


def test_a_host_hiccup_is_not_a_board_stall():
    with SimNode(speed=SPEED) as sim:
        firmware = psutil.Process(sim.proc.pid).children()
        assert len(firmware) == 1, firmware
        with sim.client() as conn:
            assert conn.ask('change heater:target 40').startswith('changed')     # heating
            assert wait_for(lambda: read_value(conn, 'sim:_heater_power') > 0, 5)
            for _ in range(3):
                before = uptime(conn)
                os.kill(firmware[0].pid, signal.SIGSTOP)
                try:
                    time.sleep(HICCUP_S)
                finally:
                    os.kill(firmware[0].pid, signal.SIGCONT)
                status = read_value(conn, 'heater:status')
                assert status[0] < 400, status
                assert read_value(conn, 'sim:_heater_power') > 0
                # the board saw a late wake, not 10 s without a step
                assert uptime(conn) - before < HICCUP_S * SPEED / 2
