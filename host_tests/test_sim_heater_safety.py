"""The second heater-safety review over SECoP on the simulated node: strict
whitespace and duplicate member names in the data part, manual 0 W at any
time and manual power from boot."""

from helpers import SimNode, value_of


def test_only_rfc8259_whitespace_and_no_duplicate_member_names():
    with SimNode(speed=20) as node:
        conn = node.client()
        for data in ('\x0c50\x0b', '\x0b50', '50\x0c', '50\xa0'):
            reply = conn.ask('change heater:_maxheaterpower %s' % data)
            assert reply.startswith('error_change heater:_maxheaterpower ["BadJSON"'), \
                (data, reply)
        assert conn.ask('change heater:_maxheaterpower \t50 \r').startswith('changed')
        reply = conn.ask('change heater:_pid {"p": 1, "i": 0.5, "d": 60, "p": 30}')
        assert reply.startswith('error_change heater:_pid ["BadJSON","data part has a '
                                'duplicate member name"'), reply
        assert value_of(conn.ask('read heater:_pid'))['p'] == 30.0
        reply = conn.ask('do heater:_examplecommand {"a": 2.5, "b": 4}')
        assert reply.startswith('done heater:_examplecommand [10.0,'), reply
