"""Safety rules for a temperature sensor on a board's ADC (host only, not
deployed; configcheck calls them for every temperature and loop module).

    problems(caps, board_cfg, adc_cfg, sensor, overtemp=None) -> [text, ...]

* An open (or, with the sensor on top of the divider, a shorted) resistive
  sensor pulls the ADC input to the reference.  An ADC that clips below it
  (ESP32 at 11 dB: about 3.1 V) then reads near the top of its usable window,
  so that reading must not be a valid temperature of the sensor: otherwise
  the loop would see a plausible cold (NTC) or hot (RTD) block and heat.
* ``overtemp`` must lie inside the sensor's range and read inside the ADC's
  window, so a runaway heater trips the latched over-temperature instead of
  a sensor fault that clears itself.

The usable window of each board's ADC is declared in its capabilities
(``caps.ADC_WINDOW_UV``, per attenuation on the ESP32; tools/boards.py); the
simulator takes it from its board section (``adc_window_uv``).  Pure, like
configcheck: the same answers under MicroPython.
"""

from control.sensors import SensorFault

_SAMPLES = 256


def adc_window(caps, board_cfg, adc_cfg):
    """(low, high) usable input of this ADC in uV, or None if unknown."""
    window = caps.ADC_WINDOW_UV
    if window is None:      # the simulator: a board setting
        window = board_cfg.get('adc_window_uv', (0, board_cfg.get('vref_uv', 3300000)))
    elif isinstance(window, dict):
        window = window.get(adc_cfg.get('atten', '11db'))
    if not (isinstance(window, (list, tuple)) and len(window) == 2):
        return None
    return window[0], window[1]


def _temperature(sensor, uv):
    try:
        return sensor.temperature(uv)
    except (SensorFault, ValueError, ZeroDivisionError):
        return None


def problems(caps, board_cfg, adc_cfg, sensor, overtemp=None):
    window = adc_window(caps, board_cfg, adc_cfg)
    if window is None:
        return []
    low, high = window
    found = []
    front = getattr(sensor, 'front', None)
    vref = getattr(front, 'vref_uv', None)
    if vref is not None:
        reading = min(vref, high)
        temp = _temperature(sensor, reading)
        if temp is not None:
            what = 'a shorted' if getattr(front, 'sensor_on_top', False) else 'an open'
            found.append(
                '%s sensor reads about %.2f V on this ADC (its usable input ends at %.2f V), '
                'which this sensor maps to %.1f degC, a valid temperature: narrow the '
                "sensor's t_min/t_max to exclude it, or change r_fixed"
                % (what, reading / 1e6, high / 1e6, temp))
    if overtemp is None:
        return found
    if overtemp > sensor.t_max:
        found.append("overtemp %r is above the sensor's range (up to %s): a runaway heater "
                     'would read out of range before it trips' % (overtemp, sensor.t_max))
        return found
    temps = [_temperature(sensor, low + (high - low) * i // _SAMPLES) for i in range(_SAMPLES + 1)]
    valid = [t for t in temps if t is not None]
    if not valid or not min(valid) <= overtemp <= max(valid):
        found.append('overtemp %r reads outside the usable input of the ADC (%.2f..%.2f V): '
                     'a runaway heater would look like a sensor fault, not trip the latched '
                     'over-temperature' % (overtemp, low / 1e6, high / 1e6))
    return found
