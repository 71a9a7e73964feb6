"""Fake ``rp2`` for host tests of boards/rp2: host only, never deploy."""

countries = []


def country(code=None):
    countries.append(code)
