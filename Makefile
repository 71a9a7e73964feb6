# Everything runs from a local virtualenv that the first target creates.
# `make sim` and `make test` are all a fresh clone needs.
VENV    := .venv
PY      := $(VENV)/bin/python
REQS    := requirements.txt requirements-stubs-esp32.txt requirements-stubs-pyboard.txt
STAMP   := $(VENV)/.installed-$(shell cat $(REQS) | cksum | cut -d' ' -f1)
TYPINGS := $(VENV)/typings

BOARD ?= esp32
PORT  ?= /dev/ttyUSB0

.PHONY: setup sim test bench soak plot deploy typecheck clean

setup: $(STAMP)

$(STAMP): $(REQS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -rf $(TYPINGS)
	for board in esp32 pyboard; do \
		$(PY) -m pip install --quiet --disable-pip-version-check --no-compile \
			--target $(TYPINGS)/$$board -r requirements-stubs-$$board.txt || exit 1; \
	done
	rm -f $(VENV)/.installed-*
	touch $@

sim: setup
	$(PY) tools/sim.py

test: setup
	$(PY) -m pytest host_tests

bench: setup
	$(PY) tools/bench.py

soak: setup
	$(PY) tools/soak.py --minutes $(or $(MINUTES),10)

plot: setup
	$(PY) tools/plot_step.py

deploy: setup
	$(PY) tools/deploy.py --board $(BOARD) --port $(PORT)

typecheck: setup
	$(PY) tools/typecheck.py

clean:
	rm -rf $(VENV) build
