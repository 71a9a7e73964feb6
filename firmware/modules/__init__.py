"""SECoP modules of the temperature node: sensors, the temperature loop, the
heater output and diagnostics.  They use ``control/`` for the maths and
receive their I/O objects (ADC, PWM) from the board."""
