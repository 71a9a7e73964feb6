"""Runs boards/rp2/board.py under the MicroPython unix port on the fakes in
host_tests/board_fakes.  Prints CHECK lines; ends with 'RP2 OK'."""

import asyncio
import sys

import machine
import network
import rp2

import board


def check(name, condition):
    print('CHECK', name, 'ok' if condition else 'FAILED')
    if not condition:
        sys.exit(1)


def hardware():
    b = board.Board({'safe_pins': [15], 'vref_uv': 3300000})
    b.safe_state()
    check('safe_state drives heater pins low', machine.levels == {15: 0})
    pwm = b.pwm({'pin': 15, 'freq': 10})
    check('PWM starts off at its frequency', pwm.pin == 15 and pwm._freq == 10 and pwm.duty == 0)
    pwm.duty_u16(40000)
    b.safe_state()
    check('safe_state stops the PWM', pwm.duty == 0)
    adc = b.adc({'pin': 26})
    for code in (0, 1, 2048, 4095):
        machine.adc_u16[26] = (code << 4) | (code >> 8)       # as the port scales 12 bits
        check('ADC code %d as a ratio of vref' % code, adc.read_uv() == code * 3300000 // 4095)
    check('usable ADC window', b.adc_window({'pin': 26}) == (50000, 3250000))
    reader, writer = b.open_serial({'uart': 1, 'baudrate': 9600})
    uart = reader.s
    check('serial on the UART and its default pins', (uart.id, uart.baudrate) == (1, 9600)
          and 'tx' not in uart.kwargs and uart.kwargs['timeout'] == 0 and writer.s is uart)
    check('watchdog', b.watchdog(0) is None and b.watchdog(8000).timeout == 8000)
    check('no tasks without a network', b.tasks(None) == ())
    check('no fallback transport without config.json', board.fallback_transports('x') is None)


async def wifi():
    network.attempts_until_connected[0] = 1
    net = {'enabled': True, 'ssid': 'lab', 'hostname': 'pico', 'connect_timeout': 0.3,
           'ntp': {'host': '127.0.0.1', 'port': 9}}
    b = board.Board({'safe_pins': [15], 'network': net, 'secrets': 'missing.json',
                     'country': 'DE'})
    check('regulatory domain set before the station starts', rp2.countries == ['DE'])
    tasks = [asyncio.create_task(factory()) for _, factory in b.tasks(None)]
    check('link and time tasks', [name for name, _ in b.tasks(None)] == ['wifi', 'ntp'])
    for _ in range(40):
        if b.link.ip is not None:       # connect() returned and the address is read
            break
        await asyncio.sleep_ms(50)
    check('station connected', b.network_up() and b.link.ip == '10.0.0.7')
    check('hostname set', ('hostname', 'pico') in network.events)
    for task in tasks:
        task.cancel()


hardware()
asyncio.run(wifi())
print('RP2 OK')
