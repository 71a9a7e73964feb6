#!/usr/bin/env python3
"""Move the node's heater with bluesky, then count its outside temperature.

    .venv/bin/python examples/bluesky_scan.py HOST:PORT [--target DEGC] [--num N]

secop-ophyd makes one ophyd-async device of the whole node (``SECoPNodeDevice``),
with one child device per module, named after the node's ``equipment_id``.  A
RunEngine ``mv``s ``heater`` (it returns once the drive is IDLE again: at target
and stable for ``_window``), then ``count``s ``outside`` and ``heater`` and prints
the events as a table.  Without ``--target`` the heater goes 0.5 degC above its
present value.  Exits 0 when the run succeeded.
"""

import argparse
import sys
import tempfile

import bluesky.plan_stubs as bps
from bluesky import RunEngine
from bluesky.plans import count
from bluesky.run_engine import call_in_bluesky_event_loop
from secop_ophyd.SECoPDevices import SECoPNodeDevice


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('address', help='HOST:PORT of the SEC node')
    parser.add_argument('--target', type=float, help='heater target in degC')
    parser.add_argument('--num', type=int, default=3, help='readings to count')
    args = parser.parse_args(argv)

    engine = RunEngine({})
    with tempfile.TemporaryDirectory() as logdir:
        node = SECoPNodeDevice(args.address, logdir=logdir)
        call_in_bluesky_event_loop(node.connect(), timeout=60)
        try:
            present = call_in_bluesky_event_loop(node.heater.read(), timeout=10)
            start = next(iter(present.values()))['value']
            target = args.target if args.target is not None else round(start + 0.5, 1)
            print('heater: %.3f degC, moving to %.3f degC' % (start, target))
            engine(bps.mv(node.heater, target))

            events = []
            engine(count([node.outside, node.heater], num=args.num),
                   lambda name, doc: events.append(doc) if name == 'event' else None)
        finally:
            # secop-ophyd offers no public disconnect: its frappy client closes the line
            call_in_bluesky_event_loop(node._client.disconnect(), timeout=10)
    keys = sorted(events[0]['data']) if events else []
    print(' '.join(['seq'] + keys))
    for event in events:
        print(' '.join(['%3d' % event['seq_num']] + ['%.3f' % event['data'][k] for k in keys]))
    return 0 if len(events) == args.num else 1


if __name__ == '__main__':
    sys.exit(main())
