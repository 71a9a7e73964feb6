description = 'the SECoP heater node (secop-micropython)'
group = 'optional'

import os   # noqa: E402  (NICOS runs a setup file as Python: the address may come from outside)

devices = dict(
    heater_node = device('nicos.devices.secop.SecNodeDevice',
        description = 'the SEC node: one NICOS device per SECoP module',
        uri = 'tcp://' + os.environ.get('SECOP_NODE', '127.0.0.1:10767'),
        prefix = '',                     # devices named as the modules: heater, outside, ...
        auto_create = True,              # made from the node's description at setup load
        general_stop_whitelist = ['heater'],    # NICOS's stop() stops the loop, nothing else
    ),
)
