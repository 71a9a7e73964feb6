"""A fleet: 8 simulated nodes with the shipped sim config, without an equipment_id,
found by one discovery broadcast and counted under one bluesky RunEngine, inside a
network namespace this test creates (host_tests/fleet_netns.py)."""

import shutil
import subprocess

import pytest

pytest.importorskip('bluesky')
pytest.importorskip('secop_ophyd')


@pytest.mark.skipif(shutil.which('unshare') is None or shutil.which('ip') is None,
                    reason='needs unshare and ip (util-linux, iproute2)')
def test_eight_nodes_one_run_engine_with_discovery():
    probe = subprocess.run(['unshare', '-rn', 'true'], capture_output=True, timeout=10)
    if probe.returncode != 0:
        pytest.skip('unshare -rn is not allowed here: %s' % probe.stderr.decode().strip())
    import fleet_netns
    result = fleet_netns.run_in_namespace(timeout=110)
    print(result)
    ids = [ident for ident, _ in result['found']]
    assert len(ids) == fleet_netns.NODES == len(set(ids)), result     # one id per board
    assert all(ident.startswith('secop_') for ident in ids), ids
    assert result['exit_status'] == 'success' and result['events'] == 3, result
    keys = result['keys']       # per node: outside's value, heater's value and target
    assert len(keys) == 3 * fleet_netns.NODES == len(set(keys)), keys
    assert {key.split('-')[0] for key in keys} == set(ids)      # each under its own node
    assert max(result['reply_ms']) <= 1000, result['reply_ms']
