"""A NICOS setup package with one instrument, ``heater``: the SECoP heater node
(examples/nicos/read_heater.py loads it)."""
