"""The text of the ``helping`` reply: loaded for a ``help`` request and
forgotten after it (``Node._help``), so it does not stay in the heap."""

HELP = ('SECoP node. Requests: *IDN? | describe | activate [module] | deactivate [module] | '
        'read module:param | change module:param json | do module:command [json] | '
        'check module:accessible json | ping [token] | logging [module] "debug|info|error|off". '
        'Start with *IDN? and describe.')
