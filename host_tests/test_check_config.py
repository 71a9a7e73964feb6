"""boards/configcheck.py rules, one small broken config each, and the CLI
tools/check_config.py; the committed configs of every board pass."""

import copy
import json
import os
import subprocess
import sys

import pytest

from helpers import ROOT, SimNode

from boards import configcheck  # noqa: E402

CLI = os.path.join(ROOT, 'tools', 'check_config.py')
SECRETS = {'wifi_password': 'secret', 'ap_password': ''}


def board_config(board):
    with open(os.path.join(ROOT, 'boards', board, 'config.json')) as f:
        return json.load(f)


def problems(board, change, secrets=SECRETS):
    """Problems of the board's committed config after ``change(config)``."""
    config = copy.deepcopy(board_config(board))
    change(config)
    return configcheck.check(config, board, secrets)


def loop(config):
    return next(m for m in config['modules'] if m['class'] in ('loop', 'tutorial_loop'))


def assert_reports(found, *fragments):
    for fragment in fragments:
        assert any(fragment in p for p in found), '%r not in %r' % (fragment, found)


@pytest.mark.parametrize('board', ['esp32', 'pyboard', 'rp2', 'sim'])
def test_committed_configs_pass(board):
    config = board_config(board)
    if board in ('esp32', 'rp2'):
        config['board']['network']['ssid'] = 'LAB-WIFI'     # the template's placeholder
    assert configcheck.check(config, board, SECRETS) == []


def test_unknown_board():
    assert_reports(configcheck.check({}, 'arduino'), 'unknown board')


def test_not_an_object():
    assert configcheck.check([], 'sim') == ['the configuration must be a JSON object']


def test_unknown_top_level_key():
    assert_reports(problems('sim', lambda c: c.update(tpc={})), "unknown top-level key 'tpc'")


def test_unknown_module_class():
    found = problems('esp32', lambda c: c['modules'].append({'name': 'x', 'class': 'sim'}))
    assert_reports(found, "unknown module class 'sim'")


def test_missing_class_and_bad_names():
    def change(config):
        config['modules'].append({'name': 'nameless'})
        config['modules'].append({'name': '9lives', 'class': 'system'})
        config['modules'].append({'name': 'SYSTEM', 'class': 'system'})
    assert_reports(problems('sim', change), 'missing class', "name '9lives'", 'used twice')


def test_missing_modules():
    assert_reports(problems('sim', lambda c: c.pop('modules')), 'modules missing')


@pytest.mark.parametrize('key', ['adc', 'sensor', 'heater', 't_min', 't_max'])
def test_missing_loop_keys(key):
    assert_reports(problems('esp32', lambda c: loop(c).pop(key)), key)


def test_sensor_errors_come_from_the_firmware():
    found = problems('esp32', lambda c: loop(c)['sensor'].pop('beta'))
    assert_reports(found, "modules[1] 'heater'.sensor: sensor type 'ntc': missing key 'beta'")
    found = problems('esp32', lambda c: loop(c)['sensor'].update(type='thermocouple'))
    assert_reports(found, "unknown type 'thermocouple'")


def test_esp32_adc_pins():
    found = problems('esp32', lambda c: loop(c)['adc'].update(pin=25))
    assert_reports(found, 'ADC2, which is unusable while Wi-Fi is on')
    found = problems('esp32', lambda c: loop(c)['adc'].update(pin=5))
    assert_reports(found, 'pin 5 is not an ADC input of the ESP32; use one of 32, 33')
    found = problems('esp32', lambda c: loop(c)['adc'].update(atten='12db'))
    assert_reports(found, 'atten must be one of')


def test_esp32_adc2_allowed_without_wifi():
    def change(config):
        config['board']['network']['enabled'] = False
        config['tcp']['enabled'] = False
        config['serial']['enabled'] = True
        loop(config)['adc']['pin'] = 27
    assert problems('esp32', change) == []


def test_esp32_heater_pins():
    for pin, why in ((34, 'input only'), (6, 'SPI flash'), (12, 'strapping pin'),
                     (1, 'REPL'), (40, 'not a GPIO')):
        found = problems('esp32', lambda c: loop(c)['heater'].update(pin=pin))
        assert_reports(found, why)


def test_pyboard_pins_and_timers():
    found = problems('pyboard', lambda c: loop(c)['adc'].update(pin='Y3'))
    assert_reports(found, "pin 'Y3' is not an ADC input of the Pyboard", 'pin Y3 is used twice')
    found = problems('pyboard', lambda c: loop(c)['heater'].update(timer=2))
    assert_reports(found, 'pin Y3 is not timer 2 channel 3; use "timer": 4, "channel": 3')
    found = problems('pyboard', lambda c: loop(c)['heater'].update(pin='X7', timer=3,
                                                                  channel=1))
    assert_reports(found, "pin 'X7' is missing from board.safe_pins",
                   'timer 3 is used internally; use "timer": 13, "channel": 1')


def test_pyboard_reserved_timer():
    def change(config):
        config['board']['safe_pins'] = ['X1']
        loop(config)['heater'].update(pin='X1', timer=5, channel=1)
    assert_reports(problems('pyboard', change), 'timer 5 drives the servo outputs; use "timer": 2')


def test_heater_pin_missing_from_safe_pins():
    found = problems('esp32', lambda c: loop(c)['heater'].update(pin=27))
    assert_reports(found, 'pin 27 is missing from board.safe_pins')
    found = problems('esp32', lambda c: c['board'].pop('safe_pins'))
    assert_reports(found, 'safe_pins missing')


def test_enable_relay_pin():
    def enable(pin):
        return lambda c: loop(c)['heater'].update(enable={'pin': pin})
    assert not any('enable' in p for p in problems('esp32', enable(26)))   # in safe_pins
    assert_reports(problems('esp32', enable(27)), 'heater.enable: pin 27 is missing from '
                                                          'board.safe_pins')
    assert_reports(problems('esp32', enable(12)), 'heater.enable: pin 12 is a strapping pin')
    assert_reports(problems('esp32', enable(25)), 'pin 25 is used twice')
    assert_reports(problems('esp32', lambda c: loop(c)['heater'].update(enable={})),
                   'heater.enable: missing pin')
    assert_reports(problems('sim', lambda c: loop(c)['heater'].update(enable=1)),
                   'heater.enable must be an object')
    assert problems('sim', lambda c: loop(c)['heater'].update(enable={})) == []   # no pins


def test_heat_check_settings():
    found = problems('sim', lambda c: loop(c).update(runaway_window=-1, runaway_rise=0,
                                                     runaway_fraction=2))
    assert_reports(found, 'runaway_window -1 out of range', 'runaway_rise 0 out of range',
                   'runaway_fraction 2 out of range')
    assert problems('sim', lambda c: loop(c).update(runaway_window=0, runaway_rise=2.5,
                                                    runaway_fraction=0.8)) == []


def test_target_range_outside_sensor_range():
    found = problems('esp32', lambda c: loop(c).update(t_max=200.0, overtemp=210.0))
    assert_reports(found, 't_max 200.0 is above the sensor range', 'beyond what the sensor')
    found = problems('esp32', lambda c: loop(c).update(t_min=-50.0))
    assert_reports(found, 't_min -50.0 is below the sensor range')
    found = problems('esp32', lambda c: loop(c).update(t_min=95.0))
    assert_reports(found, 't_min 95.0 must be below t_max')


def test_overtemp_missing_or_not_above_t_max():
    found = problems('sim', lambda c: loop(c).pop('overtemp'))
    assert_reports(found, 'overtemp missing: the heater would run without an over-temperature')
    found = problems('sim', lambda c: loop(c).update(overtemp=90.0))
    assert_reports(found, 'overtemp 90.0 must be above t_max 90.0')


@pytest.mark.parametrize('power', [None, 0, -5, 'lots', True])
def test_rated_power(power):
    def change(config):
        heater = loop(config)['heater']
        if power is None:
            heater.pop('rated_power')
        else:
            heater['rated_power'] = power
    assert_reports(problems('esp32', change), 'rated_power must be the heater power in W')


def test_loop_tuning_values():
    found = problems('sim', lambda c: loop(c).update(pid=[1, -1, 0], period=0))
    assert_reports(found, 'pid must be three numbers', 'period 0 out of range')


def test_heater_module_needs_an_earlier_loop():
    def change(config):
        config['modules'].insert(0, config['modules'].pop(2))    # heater_output first
    assert_reports(problems('sim', change), "loop 'heater' must name a loop module listed before")


def test_missing_wifi_secret():
    found = problems('esp32', lambda c: None, secrets={})
    assert_reports(found, 'wifi_password is missing', 'ap_password is missing')
    found = problems('esp32', lambda c: None,
                     secrets={'wifi_password': 'x', 'ap_password': 'short'})
    assert_reports(found, 'ap_password must be 8 to 63 characters')
    assert problems('esp32', lambda c: None, secrets=None) == []


def test_wifi_settings():
    def change(config):
        config['board']['network'].update(ssid='', backoff_min=10, backoff_max=5)
        config['board']['network']['ntp']['interval'] = 5
    assert_reports(problems('esp32', change), 'ssid missing', 'backoff_max 5 below backoff_min',
                   'interval 5 out of range')


@pytest.mark.parametrize('clients', [0, 9, 2.5])
def test_max_clients_out_of_range(clients):
    found = problems('esp32', lambda c: c['tcp'].update(max_clients=clients))
    assert_reports(found, 'max_clients')


def test_tcp_rules():
    found = problems('esp32', lambda c: c['tcp'].update(bind='192.168.1.5'))
    assert_reports(found, 'bind must be "0.0.0.0"')
    found = problems('pyboard', lambda c: c['tcp'].update(enabled=True))
    assert_reports(found, 'the Pyboard has no network')
    found = problems('sim', lambda c: c['tcp'].update(enabled=False))
    assert_reports(found, 'no transport enabled')


def test_serial_rules():
    found = problems('esp32', lambda c: c['serial'].update(enabled=True, uart=0, tx=34))
    assert_reports(found, 'uart must be one of 1, 2, not 0')
    found = problems('esp32', lambda c: c['serial'].update(enabled=True, tx=34))
    assert_reports(found, 'serial.tx: pin 34 is an input only')
    found = problems('pyboard', lambda c: c['serial'].update(uart=5))
    assert_reports(found, "uart must be one of 1, 2, 3, 4, 6, 'vcp', not 5")
    found = problems('pyboard', lambda c: c['serial'].update(uart=4) or
                     loop(c)['adc'].update(pin='X1'))
    assert_reports(found, 'pin X1 is used twice')
    found = problems('sim', lambda c: c['serial'].update(enabled=True))
    assert_reports(found, 'serial: path missing')


def test_watchdog_rules():
    found = problems('pyboard', lambda c: c.update(watchdog_ms=60000))
    assert_reports(found, 'at most 32000')
    found = problems('esp32', lambda c: c.update(watchdog_ms=1500))
    assert_reports(found, "below 4 control periods of 'heater'")
    found = problems('esp32', lambda c: c.update(modules=[m for m in c['modules']
                                                       if m['class'] in ('temperature', 'system')]))
    assert_reports(found, 'the watchdog is fed by the control loops and there is none')


def run_cli(*args):
    return subprocess.run([sys.executable, CLI] + list(args), capture_output=True, text=True,
                          timeout=30)


def test_cli_ok_and_problems(tmp_path):
    result = run_cli(os.path.join(ROOT, 'boards', 'pyboard', 'config.json'))
    assert (result.returncode, result.stdout) == (0, 'ok\n')
    config = board_config('sim')
    del loop(config)['overtemp']
    config['tcp']['max_clients'] = 20
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    result = run_cli(str(path), '--board', 'sim')
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert_reports(lines, 'overtemp missing', 'max_clients 20 out of range')


def test_cli_reads_secrets_next_to_the_config(tmp_path):
    path = tmp_path / 'config.json'
    config = board_config('esp32')
    config['board']['network']['ssid'] = 'LAB-WIFI'
    path.write_text(json.dumps(config))
    result = run_cli(str(path), '--board', 'esp32')
    assert result.returncode == 1 and 'wifi_password is missing' in result.stdout
    (tmp_path / 'secrets.json').write_text(json.dumps(SECRETS))
    assert run_cli(str(path), '--board', 'esp32').stdout == 'ok\n'
    assert run_cli(str(path), '--board', 'esp32', '--no-secrets').returncode == 0


def test_cli_invalid_json(tmp_path):
    path = tmp_path / 'config.json'
    path.write_text('{"modules": [')
    result = run_cli(str(path), '--board', 'sim')
    assert result.returncode == 1 and 'is not valid JSON' in result.stdout


def test_same_problems_under_micropython(tmp_path):
    """The checks are pure: a board could still run them (they are not deployed)."""
    config = board_config('esp32')
    loop(config)['t_max'] = 300
    del loop(config)['overtemp']
    config['tcp']['max_clients'] = 0
    config['extra'] = 1
    loop(config)['tolrance'] = 1          # the edit distance runs under MicroPython too
    (tmp_path / 'config.json').write_text(json.dumps(config))
    script = tmp_path / 'check.py'
    script.write_text('import json, configcheck\n'
                      'class Board:\n'
                      '    NAME = "esp32"\n'
                      'caps, names = Board(), {}\n'
                      'exec(open(%r).read(), names)\n'
                      'for key in names:\n'
                      '    setattr(caps, key, names[key])\n'
                      'with open("config.json") as f:\n'
                      '    config = json.load(f)\n'
                      'for problem in configcheck.check(config, caps, {}):\n'
                      '    print(problem)\n' % os.path.join(ROOT, 'boards', 'esp32',
                                                           'capabilities.py'))
    micropython = os.path.join(os.path.dirname(sys.executable), 'micropython')
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [os.path.join(ROOT, 'boards'), os.path.join(ROOT, 'firmware')]))
    result = subprocess.run([micropython, str(script)], capture_output=True, text=True,
                            cwd=str(tmp_path), env=env, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = configcheck.check(config, 'esp32', {})
    assert len(expected) == 8               # with the placeholder ssid
    assert sorted(result.stdout.splitlines()) == sorted(expected)


def test_misspelled_optional_keys_are_named_with_the_right_one():
    def typos(config):
        loop(config)['tolrance'] = 0.5
        config['tcp']['max_client'] = 2
        config['modules'][0]['smaples'] = 4
    found = problems('sim', typos)
    assert_reports(found, "modules[1] 'heater': unknown key 'tolrance' (did you mean 'tolerance'?)",
                   "tcp: unknown key 'max_client' (did you mean 'max_clients'?)",
                   "modules[0] 'outside': unknown key 'smaples' (did you mean 'samples'?)")
    unrelated = problems('sim', lambda c: c['modules'][2].update(colour='red'))
    assert_reports(unrelated, "unknown key 'colour' (known: name, class, description")


def test_the_placeholder_ssid_is_refused_before_a_deploy():
    found = configcheck.check(board_config('esp32'), 'esp32', SECRETS)
    assert found == ["board.network: ssid is still the placeholder 'YOUR-SSID': put the name of "
                     "your Wi-Fi network"]
    # at boot (no secrets to check) the node starts and falls back to its access point
    assert configcheck.check(board_config('esp32'), 'esp32', None) == []


def test_problems_are_given_by_module_index_not_by_name_in_the_text():
    """A heater module pointing at 'outside' names that module in its problem text;
    only the heater module is concerned, the sensor 'outside' is healthy."""
    config = board_config('sim')
    config['modules'][2]['loop'] = 'outside'
    by_module = {}
    found = configcheck.check(config, 'sim', None, by_module)
    assert found == ["modules[2] 'heater_output': loop 'outside' must name a loop module "
                     "listed before this one"]
    assert by_module == {2: found}


def test_pin_used_twice_concerns_both_modules():
    config = board_config('esp32')
    config['board']['network']['ssid'] = 'LAB-WIFI'
    config['modules'][1]['adc']['pin'] = 34         # the pin of 'outside' (index 0)
    by_module = {}
    found = configcheck.check(config, 'esp32', SECRETS, by_module)
    assert len(found) == 1 and 'pin 34 is used twice' in found[0]
    assert by_module == {0: found, 1: found}


def test_the_node_stands_a_module_with_a_problem_in_error_and_no_other(tmp_path):
    config = board_config('sim')
    config['modules'][2]['loop'] = 'outside'
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    node = SimNode(config=str(path))
    try:
        conn = node.client()
        assert conn.ask('read heater_output:status').split(' ', 2)[2].startswith(
            '[[400,"config error: modules[2] \'heater_output\': loop \'outside\'')
        assert conn.ask('read outside:status').startswith('reply outside:status [[100,')
        assert conn.ask('read heater:status').startswith('reply heater:status [[100,')
        conn.close()
    finally:
        node.stop()


def test_curve_file_is_checked(tmp_path):
    """A curve sensor's .340 file is read and checked, named relative to the config."""
    with open(os.path.join(ROOT, 'boards', 'sim', 'config-curve.json')) as f:
        config = json.load(f)
    path = tmp_path / 'config.json'
    path.write_text(json.dumps(config))
    run = [sys.executable, CLI, str(path), '--board', 'sim']
    missing = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and 'ntc10k_b3950.340 cannot be read' in missing.stdout
    with open(os.path.join(ROOT, 'boards', 'sim', 'ntc10k_b3950.340')) as f:
        lines = f.read().splitlines()
    (tmp_path / 'ntc10k_b3950.340').write_text('\n'.join(lines[:20]))   # breakpoints cut off
    short = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert short.returncode == 1 and 'the header says 67' in short.stdout, short.stdout
    (tmp_path / 'ntc10k_b3950.340').write_text('\n'.join(lines))
    good = subprocess.run(run, capture_output=True, text=True, timeout=60, cwd='/')
    assert good.returncode == 0 and good.stdout.strip() == 'ok', good.stdout


def test_state_file_name():
    assert problems('sim', lambda c: c['node'].update(state='state.json')) == []
    assert_reports(problems('sim', lambda c: c['node'].update(state='')), 'node: state must')


def test_an_open_sensor_that_reads_as_a_valid_temperature_is_refused():
    """ESP32 at 11 dB clips near 3.1 V: with t_min -40 an open NTC reads -33 degC."""
    def cold_range(config):
        loop(config)['sensor']['t_min'] = -40
    assert_reports(problems('esp32', cold_range), "'heater'.sensor: an open sensor "
                   'reads about 3.10 V', 'a valid temperature')
    assert_reports(problems('sim', lambda c: loop(c)['sensor'].update(t_min=-40)),
                   'an open sensor reads about 3.00 V')
    assert problems('pyboard', cold_range) == []     # its ADC reads up to the reference


def test_overtemp_outside_the_sensor_range_or_the_adc_window_is_refused():
    def above_range(config):
        loop(config).update(overtemp=160.0)
    assert_reports(problems('esp32', above_range), "overtemp 160.0 is above the sensor's range")

    def unreadable(config):            # 130 degC: the NTC reads 0.09 V, below the window
        loop(config).update(overtemp=130.0)
    assert_reports(problems('esp32', unreadable), 'overtemp 130.0 reads outside the usable input')
    assert problems('pyboard', unreadable) == []


def test_a_heater_board_without_a_watchdog_setting_is_refused():
    assert_reports(problems('esp32', lambda c: c.pop('watchdog_ms')), 'watchdog_ms missing')
    assert_reports(problems('pyboard', lambda c: c.pop('watchdog_ms')), 'watchdog_ms missing')
    assert not any('watchdog' in p for p in problems('pyboard', lambda c: c.update(watchdog_ms=0)))
    assert not any('watchdog' in p for p in problems('sim', lambda c: c.pop('watchdog_ms', 0)))


# --- converter chips on SPI (boards/spicheck.py) ------------------------------------

RTD_CHIP = {'type': 'max31865', 't_min': -50, 't_max': 400}
ESP32_SPI = {'bus': 2, 'sck': 18, 'mosi': 23, 'miso': 19, 'cs': 5}


def on_chip(spi, sensor=RTD_CHIP, module=None):
    """A change that reads a module (the loop unless named) through a chip on ``spi``."""
    def change(config):
        target = loop(config) if module is None else next(
            m for m in config['modules'] if m['name'] == module)
        target.pop('adc')
        target.pop('samples', None)
        target['sensor'] = dict(sensor)
        target['spi'] = dict(spi)
    return change


def both(*changes):
    def change(config):
        for one in changes:
            one(config)
    return change


def esp32_problems(change):
    def placed(config):
        config['board']['network']['ssid'] = 'LAB-WIFI'
        change(config)
    return problems('esp32', placed)


@pytest.mark.parametrize('chip', ['max31865', 'max31855', 'max31856'])
def test_the_simulated_chip_configs_pass(chip):
    with open(os.path.join(ROOT, 'boards', 'sim', 'config-%s.json' % chip)) as f:
        assert configcheck.check(json.load(f), 'sim', SECRETS) == []


def test_a_chip_on_the_esp32_passes_with_its_bus_pins_and_chip_select():
    assert esp32_problems(on_chip(ESP32_SPI)) == []
    # two chips of one SPI mode share a bus, each with its own chip select
    assert esp32_problems(both(on_chip(ESP32_SPI), on_chip(
        dict(ESP32_SPI, cs=4), {'type': 'max31856'}, 'outside'))) == []


def test_chip_pins_on_the_esp32():
    assert_reports(esp32_problems(on_chip({'bus': 1, 'cs': 4})),
                   'spi: bus 1 needs its pins: sck, mosi, miso')
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, cs=6))), 'spi.cs: pin 6 drives the SPI flash')
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, cs=34))), 'spi.cs: pin 34 is an input only')
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, mosi=35))), 'spi.mosi: pin 35 is an input only')
    assert esp32_problems(on_chip(dict(ESP32_SPI, miso=39))) == []      # an input is fine there
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, cs=25))), 'pin 25 is used twice')
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, sck=34))), 'pin 34 is used twice')
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, bus=3))), 'spi: bus must be one of 1, 2')
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, baudrate=10000000))),
                   'baudrate 10000000 out of range')
    assert_reports(esp32_problems(on_chip(dict(ESP32_SPI, speed=1))), "unknown key 'speed'")


def test_chips_on_one_bus_share_its_pins_and_its_spi_mode():
    found = esp32_problems(both(on_chip(ESP32_SPI), on_chip(
        dict(ESP32_SPI, cs=4), {'type': 'max31855'}, 'outside')))
    assert_reports(found, 'the MAX31865 speaks SPI mode 1 and the MAX31855 on bus 2 mode 0')
    found = esp32_problems(both(on_chip(ESP32_SPI), on_chip(
        dict(ESP32_SPI, cs=4, sck=14), {'type': 'max31856'}, 'outside')))
    assert_reports(found, 'bus 2 is already on pins 14, 23, 19')


def test_a_chip_takes_spi_and_an_adc_sensor_adc():
    def with_adc(config):
        loop(config)['adc'] = {'pin': 35}
    assert_reports(esp32_problems(both(on_chip(ESP32_SPI), with_adc)),
                   'adc is for a sensor on an ADC; a max31865 is read over SPI')

    def ntc_with_spi(config):
        loop(config)['spi'] = dict(ESP32_SPI)
    assert_reports(esp32_problems(ntc_with_spi), 'spi is for a converter chip')

    def no_spi(config):
        on_chip(ESP32_SPI)(config)
        del loop(config)['spi']
    assert_reports(esp32_problems(no_spi), 'missing spi (the bus and chip select of the max31865)')


def test_pyboard_spi_pins_are_fixed():
    assert problems('pyboard', on_chip({'bus': 1, 'cs': 'X5'})) == []
    assert_reports(problems('pyboard', on_chip({'bus': 1, 'cs': 'X5', 'sck': 'X6'})),
                   'spi: sck of bus 1 is fixed on the Pyboard (X6); remove it')
    assert_reports(problems('pyboard', on_chip({'bus': 2, 'cs': 'Y7'})), 'pin Y7 is used twice')


def test_chip_settings_come_from_the_firmware():
    assert_reports(problems('sim', on_chip({'channel': 'block'}, {'type': 'max31865', 'wires': 5})),
                   "sensor: sensor type 'max31865': 'wires' must be one of 2, 3, 4")
    assert_reports(problems('sim', on_chip({'channel': 'cellar'})),
                   'spi: channel must be one of ambient, block')


# --- the Pico W (boards/rp2) -------------------------------------------------------

def rp2_problems(change):
    def placed(config):
        config['board']['network']['ssid'] = 'LAB-WIFI'
        change(config)
    return problems('rp2', placed)


def test_rp2_pins_pwm_and_watchdog():
    def adc29(config):
        loop(config)['adc'] = {'pin': 29}
    assert_reports(rp2_problems(adc29), 'pin 29 is not an ADC input of the Pico W; use one of 26, 27, 28')

    def heater_on_the_wireless_chip(config):
        loop(config)['heater']['pin'] = 25
        config['board']['safe_pins'] = [25]
    assert_reports(rp2_problems(heater_on_the_wireless_chip),
                   'pin 25 drives the wireless chip (CYW43439) of the Pico W')

    def one_hertz(config):
        loop(config)['heater']['freq'] = 1
    assert_reports(rp2_problems(one_hertz), 'freq 1 out of range 10..40000')

    def long_watchdog(config):
        config['watchdog_ms'] = 10000
    assert_reports(rp2_problems(long_watchdog), 'the watchdog of the Pico W allows at most 8388')


def test_rp2_country():
    def country(code):
        def change(config):
            config['board']['country'] = code
        return change
    assert rp2_problems(country('DE')) == []
    for bad in ('de', 'DEU', 'D1', 49):
        assert_reports(rp2_problems(country(bad)), 'board: country must be a two-letter code')


def test_rp2_spi_pins_among_each_buses_choices():
    spi = {'bus': 0, 'sck': 18, 'mosi': 19, 'miso': 16, 'cs': 17}
    assert rp2_problems(on_chip(spi)) == []
    assert_reports(rp2_problems(on_chip(dict(spi, sck=5))),
                   'spi.sck: bus 0 can have its sck on 2, 6, 18, 22, not 5')
    assert_reports(rp2_problems(on_chip(dict(spi, bus=1))),
                   'spi.sck: bus 1 can have its sck on 10, 14, 26, not 18')
    assert_reports(rp2_problems(on_chip(dict(spi, cs=15))), 'pin 15 is used twice')


# --- wired Ethernet and the hostname (board.network) ---------------------------------

def ethernet_config():
    with open(os.path.join(ROOT, 'boards', 'esp32', 'config-ethernet.json')) as f:
        return json.load(f)


def ethernet_problems(change, secrets=SECRETS):
    config = ethernet_config()
    change(config)
    return configcheck.check(config, 'esp32', secrets)


def test_the_ethernet_config_passes_without_any_wifi_setting():
    assert ethernet_problems(lambda config: None) == []
    assert ethernet_problems(lambda config: None, secrets={}) == []     # no secrets.json
    assert 'ssid' not in json.dumps(ethernet_config())
    result = run_cli(os.path.join(ROOT, 'boards', 'esp32', 'config-ethernet.json'),
                     '--board', 'esp32')
    assert (result.returncode, result.stdout.strip()) == (0, 'ok'), result.stdout


def test_ethernet_claims_the_rmii_pins_and_its_clock():
    def heater_on_25(config):
        loop(config)['heater']['pin'] = 25
        config['board']['safe_pins'] = [25]
    assert_reports(ethernet_problems(heater_on_25), 'pin 25 is used twice: by Ethernet (RMII)')

    def clock_on_4(config):
        config['board']['network']['ethernet']['ref_clk'] = 4
    assert_reports(ethernet_problems(clock_on_4),
                   'ref_clk 4: the 50 MHz RMII clock comes in on 0 only')

    def olimex(config):
        config['board']['network']['ethernet'].update(phy_addr=0, power=12, ref_clk=17,
                                                      ref_clk_mode='out')
    assert ethernet_problems(olimex) == []

    def mdc_on_flash(config):
        config['board']['network']['ethernet']['mdc'] = 6
    assert_reports(ethernet_problems(mdc_on_flash), 'mdc: pin 6 drives the SPI flash')

    def other_phy(config):
        config['board']['network']['ethernet']['phy'] = 'ENC28J60'
    assert_reports(ethernet_problems(other_phy), 'phy must be one of LAN8720, IP101')

    def no_mdio(config):
        del config['board']['network']['ethernet']['mdio']
    assert_reports(ethernet_problems(no_mdio), 'board.network.ethernet: missing mdio pin')

    def adc2(config):
        loop(config)['adc'] = {'pin': 13}
    assert not [p for p in ethernet_problems(adc2) if 'ADC2' in p]      # no Wi-Fi: usable


def test_a_w5500_takes_its_spi_bus_alone():
    def w5500(config):
        config['board']['network']['ethernet'] = {
            'phy': 'W5500', 'spi': {'bus': 2, 'sck': 18, 'mosi': 23, 'miso': 19, 'cs': 5},
            'int': 4}
    assert ethernet_problems(w5500) == []
    found = ethernet_problems(both(w5500, on_chip(dict(ESP32_SPI, cs=13))))
    assert_reports(found, 'bus 2 carries the Ethernet W5500, which network.LAN drives alone')


def test_hostname_and_static_address():
    def underscore(config):
        config['board']['network']['hostname'] = 'secop_rack'
    assert_reports(ethernet_problems(underscore), "hostname 'secop_rack' must be a DNS name")

    def static(config):
        config['board']['network']['ipv4'] = {'address': '192.168.1.50',
                                              'gateway': '192.168.1.1', 'dns': '192.168.1.300'}
    assert_reports(ethernet_problems(static), "ipv4: dns '192.168.1.300' must be a dotted IPv4")

    def no_address(config):
        config['board']['network']['ipv4'] = {'gateway': '192.168.1.1'}
    assert_reports(ethernet_problems(no_address), '(leave it out for DHCP)')

    def wifi_static(config):
        config['board']['network']['ssid'] = 'LAB-WIFI'
        config['board']['network']['ipv4'] = {'address': '10.1.2.3'}
    assert problems('esp32', wifi_static) == []


def test_no_ethernet_on_the_pico_w():
    def wired(config):
        config['board']['network'] = {'enabled': True, 'interface': 'ethernet',
                                      'ethernet': {'phy': 'W5500'}}
    assert_reports(problems('rp2', wired), 'the Pico W has no wired Ethernet')

def test_secop_properties_in_either_version_form():
    def set_properties(**props):
        return lambda config: loop(config).update(props)
    for good in (dict(visibility='expert', meaning=['temperature_regulation', 20]),
                 dict(visibility='wwr', meaning={'function': 'temperature', 'importance': 50,
                                                 'belongs_to': 'sample'}, group='block'),
                 dict(meaning={'link': 'https://example.org/t', 'key': 'T'})):
        assert problems('sim', set_properties(**good)) == [], good
    for bad, fragment in ((dict(visibility='bogus'), "visibility 'bogus' must be one of"),
                          (dict(visibility='rw-'), 'visibility'),
                          (dict(meaning=['temperature', 51]), 'importance 51'),
                          (dict(meaning={'function': 'temperature', 'importance': 60}),
                           'importance 60'),
                          (dict(meaning={'importance': 10}), 'needs a function or a link'),
                          (dict(meaning={'function': 'temperature', 'belongs_to': 'me'}),
                           'belongs_to'),
                          (dict(meaning={'function': 'temperature', 'key': 'T'}),
                           'key needs a link'),
                          (dict(meaning='temperature'), 'must be [function, importance]'),
                          (dict(group='Outside'), "'Outside' is a module's name"),
                          (dict(group='rack:system'), "'system' is a module's name")):
        assert_reports(problems('sim', set_properties(**bad)), fragment)
