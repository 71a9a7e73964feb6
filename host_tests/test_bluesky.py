"""secop-ophyd with a bluesky RunEngine against the simulated node (TCP), as a
beamline's bluesky session would use it: ``bps.mv(heater, T)`` returns once
the drive is IDLE again, and a ``count`` reads ``outside`` and ``heater``
into the run's documents."""


import pytest

bluesky = pytest.importorskip('bluesky')
secop_ophyd = pytest.importorskip('secop_ophyd')

import bluesky.plan_stubs as bps  # noqa: E402
from bluesky import RunEngine  # noqa: E402
from bluesky.plans import count  # noqa: E402
from bluesky.run_engine import call_in_bluesky_event_loop  # noqa: E402
from secop_ophyd.SECoPDevices import SECoPNodeDevice  # noqa: E402

from helpers import read_value  # noqa: E402


def test_move_completes_at_idle_and_count_reads_into_documents(driving_sim, tmp_path):
    raw = driving_sim.client()
    assert raw.ask('change heater:_window 2').startswith('changed')    # a short settle
    start = read_value(raw, 'heater:value')
    RE = RunEngine({})
    device = SECoPNodeDevice('127.0.0.1:%d' % driving_sim.port, logdir=str(tmp_path))
    call_in_bluesky_event_loop(device.connect(), timeout=60)
    try:
        target = round(start + 1.0, 1)
        RE(bps.mv(device.heater, target))
        status = read_value(raw, 'heater:status')
        assert status[0] == 100, status         # returned at IDLE, not before
        assert abs(read_value(raw, 'heater:value') - target) < 0.2

        documents = []
        RE(count([device.outside, device.heater], num=3), lambda name, doc:
           documents.append((name, doc)))
        names = [name for name, _ in documents]
        assert names[0] == 'start' and names[-1] == 'stop' and names.count('event') == 3
        assert documents[-1][1]['exit_status'] == 'success'
        event = [doc for name, doc in documents if name == 'event'][0]
        keys = set(event['data'])
        # devices are named after the node's equipment_id
        assert 'example_heater-outside-value' in keys, keys
        assert 'example_heater-heater' in keys, keys          # the heater's value
        assert 10 < event['data']['example_heater-outside-value'] < 40
        assert abs(event['data']['example_heater-heater'] - target) < 0.3
        gains = call_in_bluesky_event_loop(device.heater.ctrlpars.get_value(), timeout=10)
        assert gains.dtype.names == ('p', 'i', 'd')         # the PID gains, a struct
        assert (gains['p'], gains['i'], gains['d']) == (30.0, 0.5, 60.0)
    finally:
        raw.ask('change heater:target 22')
        raw.close()
        call_in_bluesky_event_loop(device._client.disconnect(), timeout=10) \
            if hasattr(device, '_client') else None
