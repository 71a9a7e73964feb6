"""What an ESP32 (WROOM/WROVER dev board) offers the node, declared once.

Plain data, no imports: boards/configcheck.py checks configs against it,
tools/deploy.py, tools/typecheck.py and manifest.py read it (host only, by
path, through boards/__init__.py).
"""

TITLE = 'the ESP32'
PLATFORM = 'esp32'              # sys.platform on the board (the deploy checks it)
NETWORK = True                  # Wi-Fi: tcp and discovery can be enabled
WIFI = True                    # board.network: the Wi-Fi station and access point
# board section: numeric settings of this board (name, low, high, integer)
SETTINGS = ()

# ADC inputs.  ADC1 pins always work; ADC2's converter is taken by the Wi-Fi
# driver, so those pins work only while Wi-Fi is off (its strapping pins never).
ADC_CHANNELS = None             # a simulator's named inputs; boards have pins
ADC_PINS = (32, 33, 34, 35, 36, 39)
ADC_PINS_WITHOUT_WIFI = (4, 13, 14, 25, 26, 27)
ADC_NOT_WITH_WIFI = (0, 2, 4, 12, 13, 14, 15, 25, 26, 27)      # all of ADC2
ADC_ATTENUATIONS = ('0db', '2.5db', '6db', '11db')

# Outputs (heater PWM, serial TX), and why every other pin cannot be one.
OUTPUT_PINS = (4, 13, 14, 16, 17, 18, 19, 21, 22, 23, 25, 26, 27, 32, 33)
ENABLE_PINS = OUTPUT_PINS       # heater.enable, the relay in series: any output pin
INPUT_ONLY_PINS = (34, 35, 36, 37, 38, 39)
STRAPPING_PINS = (0, 2, 5, 12, 15)      # read at boot; outputs after it (a PHY's power enable)
PIN_NOTES = (
    ((6, 7, 8, 9, 10, 11), 'drives the SPI flash'),
    (INPUT_ONLY_PINS, 'is an input only'),
    (STRAPPING_PINS, 'is a strapping pin: it can glitch high at boot and switch the heater on'),
    ((1, 3), 'carries the REPL (UART0)'),
)
PWM_FREQ_MAX = 40000            # Hz, LEDC at 10-bit resolution and above
PWM_FREQ_MIN = 1                # Hz
TIMERS = None                   # LEDC: any output pin, no timer to choose
RESERVED_TIMERS = {}

# SPI buses of the converter chips (bus id -> fixed (sck, mosi, miso), or None:
# the config names them): HSPI and VSPI reach any GPIO through the matrix
# (VSPI's own pins are 18, 23, 19).  A chip select is any digital output.
SPI_BUSES = {1: None, 2: None}
GPIO_OUTPUTS = OUTPUT_PINS + (5,)      # GPIO 5 (VSPI's CS) must be high at boot, as a CS idles

# Wired Ethernet (board.network "interface": "ethernet", firmware/ethernet.py): the
# PHYs network.LAN drives (W5500 on SPI where the firmware has it, the others on the
# EMAC's RMII), the RMII data pins (fixed), and where its 50 MHz clock may come in
# (GPIO 0, from the PHY board's oscillator) or go out (GPIO 16 or 17).
ETHERNET_PHYS = ('LAN8720', 'IP101', 'RTL8201', 'DP83848', 'KSZ8041', 'KSZ8081', 'W5500')
RMII_PINS = (19, 21, 22, 25, 26, 27)
RMII_CLOCK_PINS = {'in': (0,), 'out': (16, 17)}

# Serial line: UART ids the node may use; pins come from the config (tx, rx).
UARTS = {1: None, 2: None}      # UART0 is the REPL
CONSOLE = 0                     # the UART of the REPL: nothing of the node's may print there
WATCHDOG_MAX_MS = None          # no limit that matters for the node

# The ADC's usable input per attenuation (uV, calibrated read_uv); a reading
# outside it is a sensor fault.  At 11 dB the ADC saturates near 3.1 V, below
# a 3.3 V divider reference (ESP-IDF ADC docs).  board.py keeps a copy for the
# node (test_boards checks they agree).
ADC_WINDOW_UV = {'0db': (100000, 950000), '2.5db': (100000, 1250000),
                 '6db': (150000, 1750000), '11db': (150000, 3100000)}

# Deploy: reset after copying; how long the watchdog is held off while files are
# copied (nothing feeds it then); whether the deploy sets the RTC (SNTP does here).
# Module classes this board adds to the firmware's (class -> its config keys).
MODULES = {}

HOST_ONLY = False               # runs on a board, not on this machine
RESET = 'hard'
WDT_GRACE_MS = 300000
SET_RTC = False
DEPLOY = ('board.py',)          # this folder's modules a deploy copies (and manifest freezes)
STUBS = 'requirements-stubs-esp32.txt'      # typecheck: the board's MicroPython stubs
