"""Closed-loop temperature control: sensor conversions (``sensors``) and the PID (``pid``)."""
