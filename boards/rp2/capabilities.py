"""What a Raspberry Pi Pico W or Pico 2 W (RP2040 / RP2350, rp2 port) offers the
node, declared once.

Plain data, no imports: boards/configcheck.py checks configs against it,
tools/deploy.py, tools/typecheck.py and manifest.py read it (host only, by
path, through boards/__init__.py).  Pins are GPIO numbers (GP15 is 15).
"""

TITLE = 'the Pico W'
PLATFORM = 'rp2'                # sys.platform on the board (the deploy checks it)
NETWORK = True                  # Wi-Fi (CYW43439): tcp and discovery can be enabled
WIFI = True                     # board.network: the Wi-Fi station and access point
# board section: numeric settings of this board (name, low, high, integer)
SETTINGS = ()

# ADC inputs: GP26-28 (ADC0-2).  ADC3 (GP29) is VSYS/3 and shares its pin with the
# wireless chip's SPI clock on the W boards.
ADC_CHANNELS = None             # a simulator's named inputs; boards have pins
ADC_PINS = (26, 27, 28)
ADC_PINS_WITHOUT_WIFI = ()
ADC_NOT_WITH_WIFI = ()
ADC_ATTENUATIONS = None

# Outputs (heater PWM, serial TX, chip selects): every GPIO on the header.  Each
# pin has a PWM slice ((n >> 1) & 7) and channel; two pins of one slice share its
# frequency.  GP23-25 and GP29 drive the wireless chip on the W boards.
OUTPUT_PINS = tuple(range(0, 23)) + (26, 27, 28)
ENABLE_PINS = OUTPUT_PINS       # heater.enable, the relay in series: any output pin
INPUT_ONLY_PINS = ()
STRAPPING_PINS = ()
PIN_NOTES = (
    ((23, 24, 25, 29), "drives the wireless chip (CYW43439) of the Pico W"),
)
PWM_FREQ_MAX = 40000            # Hz
PWM_FREQ_MIN = 10               # Hz: the 16-bit counter and 8-bit divider at 125/150 MHz stop near 8 Hz
TIMERS = None                   # any output pin has a PWM slice
RESERVED_TIMERS = {}

# SPI buses of the converter chips: the pins each bus can use, (sck, mosi, miso)
# choices; a chip select is any output.
SPI_BUSES = {0: ((2, 6, 18, 22), (3, 7, 19), (0, 4, 16, 20)),
             1: ((10, 14, 26), (11, 15, 27), (8, 12, 28))}
GPIO_OUTPUTS = OUTPUT_PINS

ETHERNET_PHYS = ()              # no wired Ethernet
RMII_PINS = ()
RMII_CLOCK_PINS = {}

# Serial line: each UART's fixed (TX, RX) pins here (both can move; these are the
# defaults of the rp2 port).  The REPL is on USB, not on a UART.
UARTS = {0: (0, 1), 1: (4, 5)}
CONSOLE = None
WATCHDOG_MAX_MS = 8388          # the RP2040's watchdog counter: 8.3 s (the RP2350's is longer)

# The ADC's usable input (uV, read_u16 scaled by vref_uv).  The ADC's reference is
# the board's 3V3 through a filter, so a divider from 3V3 is ratiometric and needs
# no calibration; its offset keeps the lowest tens of mV unusable and the RP2040's
# converter has missing codes (erratum E11: +-8 LSB steps near 0.4, 1.2, 2.0 and
# 2.8 V, a fraction of a kelvin on an NTC divider), so the window leaves 50 mV at
# either end.  board.py keeps a copy.
ADC_WINDOW_UV = (50000, 3250000)

# Deploy: a soft reset keeps the USB port; SNTP sets the time as on the ESP32; the
# watchdog cannot be held off for longer than its 8.3 s while files are copied.
# Module classes this board adds to the firmware's (class -> its config keys).
MODULES = {}

HOST_ONLY = False               # runs on a board, not on this machine
RESET = 'soft'
WDT_GRACE_MS = 8000
SET_RTC = False
DEPLOY = ('board.py',)
STUBS = 'requirements-stubs-rp2.txt'        # typecheck: micropython-rp2-rpi-pico2-w-stubs
