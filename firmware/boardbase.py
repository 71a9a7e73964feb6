"""What every board shares: the one base of ``boards/<name>/board.py``.

A board subclasses ``BoardBase`` and supplies its hardware (``adc``,
``adc_window``, ``pwm``, ``open_serial``) and whatever else differs; the SPI
of converter chips (``spi``) is machine.SPI on every real board.  The
defaults here: settings from the config's ``board`` section, the board's tick
counter as the node's clock, heater outputs off through every PWM made and
every safe pin, the machine watchdog and reset cause, no serial presence, no
network tasks, no module classes of its own (``modules``).  ``machine`` is imported only by
the methods that use it, so a board without it (the simulator) overrides them.
"""

import asyncio
import time

from secop.clock import Clock

_RESET_CAUSES = (('PWRON_RESET', 'power on'), ('HARD_RESET', 'hard reset'),
                 ('WDT_RESET', 'watchdog'), ('DEEPSLEEP_RESET', 'deep sleep wake'),
                 ('SOFT_RESET', 'soft reset'))


class BoardBase:
    name = 'base'
    console = None          # the console's serial port ('vcp', a UART id), if any
    control_stalled = False     # the simulator's control_stall fault: no control step runs

    def __init__(self, config):
        self.config = config
        self.vref_uv = int(config.get('vref_uv', 3300000))
        self.safe_pins = config.get('safe_pins', ())
        self.pwms = []
        self._clock = None

    # --- time ---------------------------------------------------------------

    async def sleep_ms(self, ms):
        await asyncio.sleep_ms(ms)

    def clock(self):
        """The node's time source, made once (``started`` may set the wall time)."""
        if self._clock is None:
            self._clock = Clock(time.ticks_ms, time.ticks_diff)
            self.started(self._clock)
        return self._clock

    def started(self, clock):
        """The clock was just made: a board that knows the wall time sets it here."""

    # --- I/O ----------------------------------------------------------------

    def safe_state(self):
        """Every heater output off; works before anything else is set up."""
        for pwm in self.pwms:
            try:
                pwm.duty_u16(0)
            except (OSError, ValueError):
                pass
        if self.safe_pins:
            from machine import Pin
            for pin in self.safe_pins:
                Pin(pin, Pin.OUT, value=0)

    def spi(self, cfg, phase):
        """(SPI bus, chip-select pin) of the converter chip of module entry ``cfg``."""
        from spibus import open_spi
        return open_spi(cfg, phase)

    def enable_output(self, cfg):
        """The heater's enable relay: a pin driven high while the interlock permits."""
        from machine import Pin
        return Pin(cfg['pin'], Pin.OUT, value=0)

    def serial_presence(self, cfg):
        """A bare UART cannot see its client come and go."""
        return None

    def watchdog(self, timeout_ms):
        if not timeout_ms:
            return None
        import machine
        return machine.WDT(timeout=timeout_ms)

    def reset_cause(self):
        import machine
        cause = machine.reset_cause()
        for attr, text in _RESET_CAUSES:
            if getattr(machine, attr, None) == cause:
                return text
        return 'unknown (%d)' % cause

    def tasks(self, node):
        """(name, coroutine function) of the board's own tasks (Wi-Fi, time)."""
        return ()

    # module classes the board adds, as in registry.MODULES: class -> loader of build()
    modules = {}
