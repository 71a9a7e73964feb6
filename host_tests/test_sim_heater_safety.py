"""The second heater-safety review over SECoP on the simulated node: strict
whitespace and duplicate member names in the data part, manual 0 W at any
time and manual power from boot."""

from helpers import SimNode, value_of, wait_for


def test_only_rfc8259_whitespace_and_no_duplicate_member_names():
    with SimNode(speed=20) as node:
        conn = node.client()
        for data in ('\x0c50\x0b', '\x0b50', '50\x0c', '50\xa0'):
            reply = conn.ask('change heater:_maxheaterpower %s' % data)
            assert reply.startswith('error_change heater:_maxheaterpower ["BadJSON"'), \
                (data, reply)
        assert conn.ask('change heater:_maxheaterpower \t50 \r').startswith('changed')
        reply = conn.ask('change heater:ctrlpars {"p": 1, "i": 0.5, "d": 60, "p": 30}')
        assert reply.startswith('error_change heater:ctrlpars ["BadJSON","data part has a '
                                'duplicate member name"'), reply
        assert value_of(conn.ask('read heater:ctrlpars'))['p'] == 30.0
        reply = conn.ask('do heater:_examplecommand {"a": 2.5, "b": 4}')
        assert reply.startswith('done heater:_examplecommand [10.0,'), reply


def test_manual_power_from_boot():
    # a control period is 50 s of real time at this speed: the first request comes
    # long before a step would have run after a period
    with SimNode(speed=0.01) as node:
        conn = node.client()
        reply = conn.ask('change heater_output:target 50')
        assert reply.startswith('changed heater_output:target [50.0,'), reply
        assert value_of(conn.ask('read sim:_heater_power')) > 49.9


def test_0_w_is_accepted_while_the_heater_is_locked():
    with SimNode(speed=20) as node:
        conn = node.client()
        assert conn.ask('change sim:_fault "sensor_open"').startswith('changed')
        assert wait_for(lambda: value_of(conn.ask('read heater:status'))[0] == 400, 10)
        reply = conn.ask('change heater_output:target 5')
        assert reply.startswith('error_change heater_output:target ["IsError"'), reply
        reply = conn.ask('change heater_output:target 0')
        assert reply.startswith('changed heater_output:target [0.0,'), reply
        assert value_of(conn.ask('read heater_output:status'))[0] == 400
        assert value_of(conn.ask('read sim:_heater_power')) == 0
