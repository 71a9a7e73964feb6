"""The virtual rp2 board's ``rp2`` module: the Wi-Fi regulatory domain only.
Host only, never deploy."""

_country = ['XX']


def country(code=None):
    if code is None:
        return _country[0]
    _country[0] = code
