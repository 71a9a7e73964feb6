"""What the simulated board offers the node, declared once (host only).

Plain data, no imports, like the real boards' declarations: the simulator
has two ADC channels on its thermal plant instead of pins, any number of
heater outputs, a pty as its serial line (``serial.path``) and no watchdog.
"""

TITLE = 'the simulated board'
PLATFORM = 'linux'
NETWORK = True                  # loopback only (tools/sim.py binds 127.0.0.1)
WIFI = False
SETTINGS = (('speed', 0.001, 10000, False), ('wrap_in', 0, 6 * 86400, False),
            ('adc_ceiling_uv', 0, 5000000, True), ('unique_id', 0, 0xffffffff, True))

ADC_CHANNELS = ('ambient', 'block')
ADC_PINS = ()
ADC_PINS_WITHOUT_WIFI = ()
ADC_NOT_WITH_WIFI = ()
ADC_ATTENUATIONS = None
OUTPUT_PINS = None              # a heater needs no pin
ENABLE_PINS = None              # heater.enable: a simulated relay, no pin
INPUT_ONLY_PINS = ()
STRAPPING_PINS = ()
PIN_NOTES = ()
TIMERS = None
RESERVED_TIMERS = {}
PWM_FREQ_MAX = 1000000
PWM_FREQ_MIN = 1
SPI_BUSES = None                # a converter chip reads a channel: spi.channel (chips.py)
GPIO_OUTPUTS = None
ETHERNET_PHYS = ()              # loopback only
RMII_PINS = ()
RMII_CLOCK_PINS = {}

UARTS = None                    # serial.path: a tty
CONSOLE = None                  # the node's output goes to tools/sim.py, not to a client
WATCHDOG_MAX_MS = None
ADC_WINDOW_UV = None            # a board setting here: board.adc_window_uv (default: full scale)

# Module classes this board adds to the firmware's (class -> its config keys).
MODULES = {'sim': (), 'tutorial_loop': 'loop'}    # (a class name: checked like it)

HOST_ONLY = True                # a vboard on this machine: TCP on 127.0.0.1
RESET = 'hard'
WDT_GRACE_MS = 10000
SET_RTC = False
DEPLOY = ('board.py', 'plant.py', 'tutorial.py', 'chips.py')
STUBS = None                    # host only: not type-checked against board stubs
