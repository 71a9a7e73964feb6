"""Drives fastcs-secop against a SEC node (run by test_fastcs.py with the Python
>= 3.12 of .venv-fastcs): builds the controllers from ``describe``, reads
every attribute, writes one parameter and runs a command, and prints one JSON
object with what happened.

    .venv-fastcs/bin/python host_tests/fastcs_driver.py PORT
"""

import asyncio
import json
import logging
import sys

from fastcs.attributes import AttrR, AttrW
from fastcs.connections import IPConnectionSettings
from fastcs_secop import SecopController, SecopControllerSettings
from fastcs_secop._io import SecopAttributeIO, SecopRawAttributeIO


class Errors(logging.Handler):
    """fastcs-secop logs failed writes and commands instead of raising them."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


async def main(port):
    errors = Errors()
    logging.getLogger().addHandler(errors)
    controller = SecopController(SecopControllerSettings(
        connection=IPConnectionSettings(ip='127.0.0.1', port=port)))
    await controller.initialise()
    connection = controller._connection
    ios = {False: SecopAttributeIO(connection=connection),
           True: SecopRawAttributeIO(connection=connection)}
    read, failed, lengths = {}, {}, {}
    for module_name, module in controller.sub_controllers.items():
        for name, attr in module.attributes.items():
            if not isinstance(attr, AttrR):
                continue
            key = '%s:%s' % (module_name, name)
            raw = type(attr.io_ref).__name__.startswith('SecopRaw')
            try:
                await ios[raw].update(attr)
                value = attr.get()
                read[key] = value if isinstance(value, (int, float, str, bool)) else repr(value)
            except Exception as exc:        # reported, not raised: every attribute is tried
                failed[key] = '%s: %s' % (type(exc).__name__, exc)
            length = getattr(attr.datatype, 'length', None)
            if length is not None:
                lengths[key] = length
    heater = controller.sub_controllers['heater']
    power = heater.attributes['_maxheaterpower']
    assert isinstance(power, AttrW)
    await ios[False].send(power, 42.0)
    stop = heater.sub_controllers['stop']
    await stop.execute()
    print(json.dumps({'read': read, 'failed': failed, 'lengths': lengths,
                      'errors': errors.messages}))
    await controller._connection.close()


if __name__ == '__main__':
    asyncio.run(main(int(sys.argv[1])))
