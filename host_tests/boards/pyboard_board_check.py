"""Runs boards/pyboard/board.py under the MicroPython unix port on the fakes in
host_tests/board_fakes.  Prints CHECK lines; ends with 'PYBOARD OK'."""

import sys

import machine
import pyb

import board


def check(name, condition):
    print('CHECK', name, 'ok' if condition else 'FAILED')
    if not condition:
        sys.exit(1)


b = board.Board({'safe_pins': ['Y3'], 'vref_uv': 3300000, 'rtc_valid_from': 2025})
b.safe_state()
check('safe_state drives heater pins low', machine.levels == {'Y3': 0})
pwm = b.pwm({'pin': 'Y3', 'timer': 4, 'channel': 3, 'freq': 10})
check('timer channel on the pin', pwm.channel.pin == 'Y3' and pwm.timer.number == 4
      and pwm.channel.number == 3 and pwm.channel.width == 0)
period = pwm.timer.period() + 1
pwm.duty_u16(65535)
check('full duty keeps the output on', pwm.channel.width == period)
pwm.duty_u16(32768)
check('half duty', pwm.channel.width == 32768 * period // 65535 and pwm.duty_u16() == 32768)
pwm.freq(2000)
check('new frequency keeps the duty', pwm.channel.width == 32768 * (pwm.timer.period() + 1)
      // 65535)
b.safe_state()
check('safe_state switches PWM off', pwm.channel.width == 0 and pwm.duty_u16() == 0)
machine.adc_u16['X19'] = 65535
adc = b.adc({'pin': 'X19'})
check('adc scaled by vref', adc.read_uv() == 3300000 and b.adc({'pin': 'X20'}).read_uv()
      == 32768 * 3300000 // 65535)
exact = True
for code in list(range(0, 65536, 97)) + [65534, 65535]:
    machine.adc_u16['X19'] = code
    exact = exact and adc.read_uv() == code * 3300000 // 65535
check('adc scaling exact over the whole range', exact)
check('clock synced when the RTC year is plausible', b.clock().synced)
later = board.Board({'rtc_valid_from': 2100})
check('clock not synced before rtc_valid_from', not later.clock().synced)
check('no network tasks', b.tasks(None) == () and b.modules == {})
reader, writer = b.open_serial({'uart': 'vcp'})
check('serial on the USB VCP', type(reader.s) is pyb.USB_VCP and writer.s is reader.s)
check('Ctrl-C on the VCP is data, not KeyboardInterrupt', pyb.USB_VCP.interrupt == -1)
reader, writer = b.open_serial({'uart': 6, 'baudrate': 57600})
check('serial on a UART', type(writer.s) is machine.UART and reader.s is writer.s and
      (writer.s.id, writer.s.baudrate, writer.s.kwargs['timeout']) == (6, 57600, 0))
present = b.serial_presence({'uart': 'vcp'})
pyb.USB_VCP.connected = True
check('VCP client seen through DTR', present() and b.serial_presence({'uart': 6}) is None)
pyb.USB_VCP.connected = False
check('VCP client gone when DTR drops', not present())
print('PYBOARD OK')
