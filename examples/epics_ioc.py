#!/usr/bin/env python3
"""Serve the SEC node as EPICS PVs (PV Access), with fastcs-secop.

    .venv-fastcs/bin/python examples/epics_ioc.py HOST:PORT [--prefix SECOP]

fastcs-secop reads the node's description and makes one fastcs controller per
module, one attribute per parameter and one per command; fastcs serves them over
EPICS PV Access (p4p), each as ``<prefix>:<Module>:<Parameter>`` (module names in
PascalCase).  The quirks this node needs (``SecopQuirks``):

- ``raw_tuple``, ``raw_struct``: ``status``, ``target_limits``, ``ctrlpars`` and
  ``_autotune_result`` are a tuple or a struct, which a PV of EPICS Channel Access
  cannot hold; raw, each is its JSON text in a string PV (PV Access could hold a
  table, but one form for both keeps a CA IOC and this one alike).
- ``max_description_length``: a record's description holds 40 characters in
  Channel Access, and this node describes its parameters in longer sentences.

Runs until interrupted.  Needs fastcs[epicspva] (p4p), installed into .venv-fastcs
by make setup (requirements-fastcs.txt).
"""

import argparse
import sys

from fastcs.connections import IPConnectionSettings
from fastcs.control_system import FastCS
from fastcs.transports.epics.pva.transport import EpicsPVATransport
from fastcs_secop import SecopController, SecopControllerSettings, SecopQuirks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('address', help='HOST:PORT of the SEC node')
    parser.add_argument('--prefix', default='SECOP', help='PV prefix (default: SECOP)')
    args = parser.parse_args(argv)
    host, _, port = args.address.rpartition(':')
    controller = SecopController(SecopControllerSettings(
        connection=IPConnectionSettings(ip=host, port=int(port)),
        quirks=SecopQuirks(raw_tuple=True, raw_struct=True, max_description_length=40)))
    controller.set_path([args.prefix])
    FastCS(controller, [EpicsPVATransport()]).run(interactive=False)
    return 0


if __name__ == '__main__':
    sys.exit(main())
