"""Files a node config refers to besides itself (calibration curves): they live
next to the config on the host and in the board's root folder, where the
firmware opens them by the name the config gives."""

import contextlib
import os


def data_files(config):
    """The relative paths of the ``.340`` files of ``curve`` sensors."""
    sensors = [module.get('sensor') for module in config.get('modules', ())
               if isinstance(module, dict)]
    return sorted({sensor['file'] for sensor in sensors if isinstance(sensor, dict)
                   and sensor.get('type') == 'curve' and isinstance(sensor.get('file'), str)})


def beside(config_path):
    """Run with the config's folder as the working folder, as the board does."""
    return contextlib.chdir(os.path.dirname(os.path.abspath(config_path)))
