"""What a Pyboard v1.1 (STM32F405) offers the node, declared once.

Plain data, no imports: boards/configcheck.py checks configs against it,
tools/deploy.py, tools/typecheck.py and manifest.py read it (host only, by
path, through boards/__init__.py).
"""

TITLE = 'the Pyboard'
PLATFORM = 'pyboard'
NETWORK = False
WIFI = False                    # board.network: the Wi-Fi station and access point
# board section: numeric settings of this board (name, low, high, integer)
SETTINGS = (('rtc_valid_from', 2000, 2100, True),)

# ADC channels on the header.
ADC_CHANNELS = None             # a simulator's named inputs; boards have pins
ADC_PINS = ('X1', 'X2', 'X3', 'X4', 'X5', 'X6', 'X7', 'X8', 'X11', 'X12',
            'X19', 'X20', 'X21', 'X22', 'Y11', 'Y12')
ADC_PINS_WITHOUT_WIFI = ()
ADC_NOT_WITH_WIFI = ()
ADC_ATTENUATIONS = None

# PWM: the timer channels (not the complementary CHxN ones) each header pin can
# output.  Timer 3 is internal, 5 drives the servo outputs, 6 paces ADC/DAC
# transfers: listed, but refused.
TIMERS = {
    'X1': ((2, 1), (5, 1)), 'X2': ((2, 2), (5, 2)), 'X3': ((2, 3), (5, 3), (9, 1)),
    'X4': ((2, 4), (5, 4), (9, 2)), 'X6': ((2, 1),), 'X7': ((13, 1), (3, 1)),
    'X8': ((14, 1), (3, 2)), 'X9': ((4, 1),), 'X10': ((4, 2),), 'X17': ((2, 2),),
    'Y1': ((8, 1), (3, 1)), 'Y2': ((8, 2), (3, 2)), 'Y3': ((4, 3), (10, 1)),
    'Y4': ((4, 4), (11, 1)), 'Y7': ((12, 1),), 'Y8': ((12, 2),), 'Y9': ((2, 3),),
    'Y10': ((2, 4),),
}
RESERVED_TIMERS = {3: 'is used internally', 5: 'drives the servo outputs',
                   6: 'paces ADC/DAC transfers'}
OUTPUT_PINS = tuple(TIMERS)
ENABLE_PINS = OUTPUT_PINS       # heater.enable, the relay in series: any output pin
INPUT_ONLY_PINS = ()
STRAPPING_PINS = ()
PIN_NOTES = ()
PWM_FREQ_MAX = 40000
PWM_FREQ_MIN = 1

# SPI buses of the converter chips: each one's fixed (sck, mosi, miso); a chip
# select is any digital output of the header (X5 and Y5 are the buses' NSS).
SPI_BUSES = {1: ('X6', 'X8', 'X7'), 2: ('Y6', 'Y8', 'Y7')}
GPIO_OUTPUTS = tuple('X%d' % n for n in range(1, 13)) + tuple('X%d' % n for n in range(17, 23)) \
    + tuple('Y%d' % n for n in range(1, 13))

ETHERNET_PHYS = ()              # no wired Ethernet
RMII_PINS = ()
RMII_CLOCK_PINS = {}

# Serial line: each UART's fixed (TX, RX) pins; 'vcp' is the USB virtual port.
UARTS = {1: ('X9', 'X10'), 2: ('X3', 'X4'), 3: ('Y9', 'Y10'), 4: ('X1', 'X2'),
         6: ('Y1', 'Y2'), 'vcp': ()}
WATCHDOG_MAX_MS = 32000         # the independent watchdog's longest timeout
CONSOLE = 'vcp'                 # the REPL is on the USB VCP: SECoP there means no print

# The ADC's usable input (uV): the STM32 converts 0 V..VDDA linearly and the
# sensor dividers are ratiometric to the same 3.3 V, so the whole scale; the
# dividers' margins catch a sensor at a rail.  board.py keeps a copy.
ADC_WINDOW_UV = (0, 3300000)

# Deploy: a soft reset keeps the USB port; the RTC is the wall clock, so the deploy sets it.
# Module classes this board adds to the firmware's (class -> its config keys).
MODULES = {}

HOST_ONLY = False               # runs on a board, not on this machine
RESET = 'soft'
WDT_GRACE_MS = 30000
SET_RTC = True
DEPLOY = ('board.py',)
STUBS = 'requirements-stubs-pyboard.txt'
