"""Runs boards/esp32/board.py under the MicroPython unix port on the fakes in
host_tests/board_fakes.  argv[1] is the UDP port of a fake SNTP server.
Prints CHECK lines; ends with 'ESP32 OK'."""

import asyncio
import socket
import sys
import time

import machine
import network

import board
import netboard

NTP_PORT = int(sys.argv[1])
NET = {'enabled': True, 'ssid': 'lab', 'hostname': 'node', 'connect_timeout': 0.3,
       'backoff_min': 0.05, 'backoff_max': 0.1,
       'ntp': {'host': '127.0.0.1', 'port': NTP_PORT, 'interval': 3600},
       'ap': {'enabled': True, 'ssid': 'setup', 'after_failures': 2}}


def check(name, condition):
    print('CHECK', name, 'ok' if condition else 'FAILED')
    if not condition:
        sys.exit(1)


def hardware():
    b = board.Board({'safe_pins': [25, 26], 'vref_uv': 3300000})
    b.safe_state()
    check('safe_state drives heater pins low', machine.levels == {25: 0, 26: 0})
    pwm = b.pwm({'pin': 25, 'freq': 10})
    pwm.duty_u16(40000)
    machine.levels[25] = 1
    b.safe_state()
    check('safe_state stops PWM and pins', pwm.duty == 0 and machine.levels[25] == 0)
    adc = b.adc({'pin': 34})
    check('adc 11 dB by default', adc.atten == machine.ADC.ATTN_11DB and adc.read_uv() > 0)
    check('adc atten from config', b.adc({'pin': 35, 'atten': '6db'}).atten == 2)
    check('watchdog off at 0', b.watchdog(0) is None and b.watchdog(8000).timeout == 8000)
    check('reset cause text', b.reset_cause() == 'power on')
    machine.cause[0] = machine.WDT_RESET
    check('watchdog reset text', b.reset_cause() == 'watchdog')
    reader, writer = b.open_serial({'uart': 2, 'tx': 17, 'rx': 16})
    uart = reader.s
    check('serial streams on the configured UART', type(uart) is machine.UART and
          writer.s is uart and (uart.id, uart.baudrate) == (2, 115200) and
          (uart.kwargs['tx'], uart.kwargs['rx'], uart.kwargs['timeout']) == (17, 16, 0))
    check('a bare UART cannot see its client', b.serial_presence({'uart': 2}) is None)
    check('no tasks without Wi-Fi', b.tasks(None) == ())
    clock = b.clock()
    check('clock unsynced, same object', clock.wall_s is None and b.clock() is clock)


async def wifi_and_time():
    b = board.Board({'safe_pins': [25], 'network': NET, 'secrets': 'missing.json'})
    tasks = [asyncio.create_task(factory()) for _, factory in b.tasks(None)]
    check('two tasks with Wi-Fi', len(tasks) == 2)
    start = time.ticks_ms()
    while not b.clock().synced and time.ticks_diff(time.ticks_ms(), start) < 8000:
        await asyncio.sleep_ms(50)
    events = network.events
    connects = [e for e in events if e[0] == 'connect']
    check('reconnects until connected', len(connects) == 3 and b.link.ip == '10.0.0.7')
    ap_on = ('active', network.AP_IF, True) in events
    ap_off = ('active', network.AP_IF, False) in events
    check('access point up after 2 failures, down once connected', ap_on and ap_off)
    check('driver reconnects disabled', ('config', network.STA_IF, {'reconnects': 0}) in events)
    check('clock synced by SNTP', b.clock().synced and b.clock().wall_s is not None)
    check('RTC set from SNTP', len(machine.rtc) == 1 and machine.rtc[0][0] == 2025
          and machine.rtc[0][7] == 500000)
    for task in tasks:
        task.cancel()


async def sntp_timeout():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(socket.getaddrinfo('127.0.0.1', 0)[0][-1])
    start = time.ticks_ms()
    ticks = [0]

    async def ticker():
        while True:
            ticks[0] += 1
            await asyncio.sleep_ms(10)
    task = asyncio.create_task(ticker())
    result = await netboard.sntp_query(socket.getaddrinfo('127.0.0.1', 9)[0][-1], 300)
    task.cancel()
    elapsed = time.ticks_diff(time.ticks_ms(), start)
    check('SNTP gives up after its timeout', result is None and 250 <= elapsed < 1000)
    check('event loop kept running during SNTP', ticks[0] >= 10)
    silent.close()


async def ntp_resolves_once_per_connection():
    """DNS blocks the event loop: a failed query must not resolve the host again."""
    resolved = []

    def resolve(host, port):
        resolved.append(host)
        return socket.getaddrinfo('127.0.0.1', 9)[0][-1]       # nobody answers there

    class Station:
        connections = 1

        def connected(self):
            return True

    original = netboard._resolve
    netboard._resolve = resolve
    b = board.Board({'safe_pins': [25], 'network': NET, 'secrets': 'missing.json'})
    b.link = Station()
    task = asyncio.create_task(b.sync_time('ntp.example', 3600, 123, retry_s=0.02,
                                           timeout_ms=30))
    await asyncio.sleep_ms(400)                 # several failed queries
    check('NTP host resolved once while queries fail', resolved == ['ntp.example'])
    b.link.connections = 2                      # Wi-Fi reconnected
    await asyncio.sleep_ms(200)
    check('NTP host resolved again after a reconnect', len(resolved) == 2)
    task.cancel()
    netboard._resolve = original


async def ethernet():
    """WT32-ETH01: a LAN8720 whose first start fails, a static address, the link
    dropping and coming back; SNTP once it is up."""
    network.events.clear()
    network.lan_start_failures[0] = 1
    network.lan_linked[0] = True
    net = {'enabled': True, 'interface': 'ethernet', 'hostname': 'rack-node',
           'backoff_min': 0.05, 'backoff_max': 0.1,
           'ethernet': {'phy': 'LAN8720', 'phy_addr': 1, 'mdc': 23, 'mdio': 18, 'power': 16,
                        'ref_clk': 0, 'ref_clk_mode': 'in'},
           'ipv4': {'address': '192.168.1.50', 'gateway': '192.168.1.1'},
           'ntp': {'host': '127.0.0.1', 'port': NTP_PORT, 'interval': 3600}}
    b = board.Board({'safe_pins': [14], 'network': net})
    check('hostname before the interface', network.events[0] == ('hostname', 'rack-node'))
    made = network.events[1][1]
    check('LAN on the RMII pins of the config', (
        made['mdc'].id, made['mdio'].id, made['power'].id, made['ref_clk'].id,
        made['ref_clk_mode'], made['phy_type'], made['phy_addr']) == (
        23, 18, 16, 0, machine.Pin.IN, network.PHY_LAN8720, 1))
    check('link and time tasks', [name for name, _ in b.tasks(None)] == ['ethernet', 'ntp'])
    check('not up before it starts', not b.network_up())
    tasks = [asyncio.create_task(factory()) for _, factory in b.tasks(None)]

    async def until(state):
        for _ in range(60):             # the link is polled once a second
            if b.network_up() == state and (b.link.ip is not None) == state:
                return True
            await asyncio.sleep_ms(50)
        return False
    check('link up', await until(True))
    network.lan_linked[0] = False
    check('link down', await until(False))
    network.lan_linked[0] = True
    check('link up again', await until(True))
    for _ in range(40):
        if b.clock().synced:
            break
        await asyncio.sleep_ms(50)
    check('started after the PHY failed once', ('lan active', True) in network.events)
    check('static address', ('lan ifconfig', ('192.168.1.50', '255.255.255.0', '192.168.1.1',
                                              '192.168.1.1')) in network.events)
    check('each rise counted', b.link.connections == 2 and b.link.ip == '192.168.1.50')
    check('clock synced by SNTP over the wire', b.clock().synced)
    for task in tasks:
        task.cancel()


def declarations():
    window = board.Board({'safe_pins': []}).adc_window
    check('ADC window at 11 dB', window({'pin': 34}) == (150000, 3100000))
    check('ADC window per attenuation', window({'pin': 34, 'atten': '0db'})[1] < 1000000)
    check('no fallback transport without config.json', board.fallback_transports('x') is None)


hardware()
declarations()
asyncio.run(wifi_and_time())
asyncio.run(sntp_timeout())
asyncio.run(ntp_resolves_once_per_connection())
asyncio.run(ethernet())
print('ESP32 OK')
