"""Tolerances that follow the float precision of the runtime running the tests.

The boards compute in single precision (a 24-bit mantissa, about 7 digits);
CPython and the 64-bit unix port in double (53 bits).  A tolerance written as
a number of units in the last place (ulps) of the magnitudes a computation
goes through holds on both, and stays as tight as each runtime allows.
"""


def _epsilon():
    eps = 1.0
    while 1.0 + eps / 2 > 1.0:
        eps /= 2
    return eps


EPSILON = _epsilon()        # 2**-52 in double, 2**-23 in single precision
SINGLE = EPSILON > 1e-10


def ulps(count, magnitude=1.0):
    """``count`` units in the last place of ``magnitude`` (of 1.0 if it is smaller)."""
    return count * EPSILON * max(abs(magnitude), 1.0)
