"""SECoP error classes.

One exception type carries the wire name of its class, so handlers raise
``SECoPError('RangeError', '...')`` and the node turns it into
``error_<action> <specifier> ["RangeError","...",{}]``.
"""


class SECoPError(Exception):
    """An error that is reported on the wire under its SECoP class name."""

    def __init__(self, name, text=''):
        super().__init__(name, text)
        self.name = name
        self.text = text

    def __eq__(self, other):
        return (isinstance(other, SECoPError) and other.name == self.name
                and other.text == self.text)

    def __hash__(self):
        return hash((self.name, self.text))


def as_secop_error(exc):
    """Map any exception to a SECoPError (unexpected ones become InternalError)."""
    if isinstance(exc, SECoPError):
        return exc
    if isinstance(exc, MemoryError):
        return SECoPError('InternalError', 'out of memory')
    return SECoPError('InternalError', '%s: %s' % (type(exc).__name__, exc))
