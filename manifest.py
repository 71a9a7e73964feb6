# Freeze the SECoP node into a custom MicroPython firmware: its bytecode then runs
# from flash and no longer takes heap (docs/boards.md, "Freezing").
#
# Build from a MicroPython source checkout (v1.22 or later), one of:
#
#   cd micropython/ports/esp32
#   SECOP_BOARD=esp32 make BOARD=ESP32_GENERIC FROZEN_MANIFEST=/path/to/repo/manifest.py
#
#   cd micropython/ports/stm32
#   SECOP_BOARD=pyboard make BOARD=PYBV11 FROZEN_MANIFEST=/path/to/repo/manifest.py
#
# or include it from your own manifest: include("/path/to/repo/manifest.py", board="pyboard").
# The port's own manifest (asyncio and the rest of the standard firmware) is included
# unless port_manifest=False.  main.py and config.json stay files on the board
# (tools/deploy.py copies them); frozen modules come before /lib on sys.path, so
# after flashing such a firmware the .mpy files in /lib are no longer used.
# opt=3 drops asserts and line numbers (tracebacks say "line 1"); use opt=2 while
# debugging.
import os

options.defaults(board=os.environ.get("SECOP_BOARD", "esp32"), port_manifest=True)

if options.port_manifest:
    include("$(PORT_DIR)/boards/manifest.py")

for name in ("control", "modules", "secop", "transport"):
    package(name, base_path="firmware", opt=3)
module("app.py", base_path="firmware", opt=3)
module("builder.py", base_path="firmware", opt=3)
module("configform.py", base_path="firmware", opt=3)
module("wholetext.py", base_path="firmware", opt=3)
module("settings.py", base_path="firmware", opt=3)
module("registry.py", base_path="firmware", opt=3)
module("boardbase.py", base_path="firmware", opt=3)
module("spibus.py", base_path="firmware", opt=3)
module("netboard.py", base_path="firmware", opt=3)
module("ethernet.py", base_path="firmware", opt=3)
# the board's modules, as its declaration lists them (paths here are relative to
# this file: the manifest tool runs it from its own folder)
declaration = {}
with open("boards/%s/capabilities.py" % options.board) as f:
    exec(f.read(), declaration)
for name in declaration["DEPLOY"]:
    module(name, base_path="boards/" + options.board, opt=3)
