#!/usr/bin/env python3
"""The SECoP tutorial's node on frappy-core, for ``make bench`` to compare with.

    .venv/bin/python tools/frappy_node.py PORT

frappy's Server without ``run()`` (no config files, no UDP discovery: its
``UDPListener`` raises), the tutorial's ``outside`` and ``heater``, frappy's TCP
handler bound to 127.0.0.1.  Prints ``READY`` once it serves; SIGTERM ends it.
"""

import math
import sys
import time


def serve(port):
    import frappy.server
    from frappy.config import Mod
    from frappy.core import BUSY, IDLE, Command, Drivable, FloatRange, Parameter, Readable, \
        StructOf
    from frappy.lib import generalConfig
    from frappy.logging import init_remote_logging, logger
    from frappy.protocol.interface.tcp import DualStackTCPServer, TCPRequestHandler

    class Outside(Readable):
        value = Parameter('temperature outside', FloatRange(unit='degC'))

        def read_value(self):
            return 22.0

    class Heater(Drivable):     # its value approaches the target, changing every 0.5 s
        value = Parameter('current temperature', FloatRange(unit='degC'))
        target = Parameter('target temperature', FloatRange(0, 90, unit='degC'),
                           readonly=False, default=22.0)
        maxheaterpower = Parameter('maximum allowed heater power',
                                   FloatRange(0, 100, unit='W'), readonly=False, default=100)
        _start = (0.0, 22.0)

        def read_value(self):
            t0, temp0 = self._start
            now = math.floor(time.time() * 2) / 2
            return round(self.target + (temp0 - self.target) * math.exp(-(now - t0) / 20), 4)

        def read_status(self):
            return (BUSY, 'heating') if abs(self.read_value() - self.target) > 0.1 else (IDLE, '')

        def write_target(self, target):
            self._start = (time.time(), self.read_value())
            return target

        @Command()
        def stop(self):
            """Stop heating, stay at current temperature."""
            self.target = self.read_value()

        @Command(StructOf(a=FloatRange(0, 10), b=FloatRange()), result=FloatRange())
        def examplecommand(self, a, b):
            """Do some calculation."""
            return a * b

    def no_discovery(*args, **kwargs):
        raise RuntimeError('UDP discovery must not start in the benchmark')

    class BenchServer(frappy.server.Server):
        def __init__(self):         # pylint: disable=super-init-not-called
            self.name = 'bench'
            self.log = logger.log.getChild(self.name, True)
            init_remote_logging(self.log)
            self.node_cfg = {'cls': 'frappy.protocol.dispatcher.Dispatcher',
                             'equipment_id': 'example_heater',
                             'description': 'a basic example temperature SEC node.'}
            self.module_cfg = {mod.pop('name'): mod for mod in (
                Mod('outside', Outside, 'Outside temperature monitor.', pollinterval=1),
                Mod('heater', Heater, 'Example Heater', pollinterval=0.5))}
            self._testonly = False

    class LoopbackTCPServer(DualStackTCPServer):
        daemon_threads = True
        allow_reuse_address = True

        def __init__(self, srv):
            self.dispatcher, self.log, self.name = srv.dispatcher, srv.log.getChild('tcp'), 'tcp'
            self.detailed_errors = False
            DualStackTCPServer.__init__(self, ('127.0.0.1', port), TCPRequestHandler)

    frappy.server.UDPListener = no_discovery
    generalConfig.init()
    logger.init('info')             # frappy-server's default log level
    server = BenchServer()
    server._processCfg()
    listener = LoopbackTCPServer(server)
    server.interfaces = {'tcp://127.0.0.1:%d' % port: listener}
    print('READY tcp=127.0.0.1:%d' % port, flush=True)
    listener.serve_forever()


if __name__ == '__main__':
    serve(int(sys.argv[1])) if sys.argv[1:2] and sys.argv[1].isdigit() else sys.exit(__doc__)
