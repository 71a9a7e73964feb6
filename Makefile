# Everything runs from a local virtualenv that the first target creates.
# `make sim` and `make test` are all a fresh clone needs.
VENV    := .venv
PY      := $(VENV)/bin/python
PYTHON  ?= python3
# a board's MicroPython stubs (STUBS in boards/<board>/capabilities.py) for make typecheck,
# each with its own stamp in its folder: a new or changed stubs file installs that board's only
STUBS   := $(wildcard requirements-stubs-*.txt)
STAMP   := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
TYPINGS := $(VENV)/typings
stub_stamp = $(TYPINGS)/$(patsubst requirements-stubs-%.txt,%,$(1))/.installed-$(shell cat $(1) | cksum | cut -d' ' -f1)
STUB_STAMPS := $(foreach req,$(STUBS),$(call stub_stamp,$(req)))
# one setup at a time: `make sim` and `make test` started together share one venv
LOCK    := .setup.lock
PIP     := $(PY) -m pip install --quiet --disable-pip-version-check
# fastcs-secop needs Python >= 3.12: a second small venv for its test (host_tests/test_fastcs.py)
FASTCS_VENV  := .venv-fastcs
# NICOS pins its own packages: a third venv for examples/nicos (host_tests/test_examples.py)
NICOS_VENV  := .venv-nicos
NICOS_STAMP := $(NICOS_VENV)/.installed-$(shell cat requirements-nicos.txt | cksum | cut -d' ' -f1)
FASTCS_STAMP := $(FASTCS_VENV)/.installed-$(shell cat requirements-fastcs.txt | cksum | cut -d' ' -f1)
# the 32-bit MicroPython (the WebAssembly port, from npm) of the wasm32 tests and bench
WASM       := tools/wasm32
WASM_STAMP := $(WASM)/node_modules/.installed-$(shell cat $(WASM)/package-lock.json | cksum | cut -d' ' -f1)
PY312 ?= $(firstword $(wildcard /root/.pyenv/versions/3.1[2-9]*/bin/python3) \
                     $(shell command -v python3.13 python3.12 2>/dev/null))

BOARD    ?= esp32
PORT     ?= /dev/ttyUSB0
SIM_PORT ?= 10767

.PHONY: setup sim test bench soak plot deploy typecheck clean

setup:
	@flock $(LOCK) sh -c "$(MAKE) --no-print-directory -q $(STAMP) || $(MAKE) --no-print-directory $(STAMP)"
	@flock $(LOCK) sh -c "$(MAKE) --no-print-directory -q $(STUB_STAMPS) || $(MAKE) --no-print-directory $(STUB_STAMPS)"
	@flock $(LOCK) sh -c "$(MAKE) --no-print-directory -q $(FASTCS_STAMP) || $(MAKE) --no-print-directory $(FASTCS_STAMP)"
	@flock $(LOCK) sh -c "$(MAKE) --no-print-directory -q $(NICOS_STAMP) || $(MAKE) --no-print-directory $(NICOS_STAMP)"
	@flock $(LOCK) sh -c "$(MAKE) --no-print-directory -q $(WASM_STAMP) || $(MAKE) --no-print-directory $(WASM_STAMP)"

$(WASM_STAMP): $(WASM)/package.json $(WASM)/package-lock.json
	@if ! command -v npm >/dev/null; then \
		echo "setup: note: no npm on PATH: the 32-bit MicroPython (wasm32) tests are skipped"; \
	else \
		echo "setup: installing the 32-bit MicroPython (WebAssembly port, npm) into $(WASM)"; \
		(cd $(WASM) && npm ci --silent --no-audit --no-fund) && \
		rm -f $(WASM)/node_modules/.installed-* && touch $@; \
	fi

$(FASTCS_STAMP): requirements-fastcs.txt
	@if [ -z "$(PY312)" ]; then \
		echo "setup: note: no Python >= 3.12 found (PY312=...): the fastcs-secop test is skipped"; \
	else \
		echo "setup: installing requirements-fastcs.txt into $(FASTCS_VENV) ($(PY312))"; \
		{ test -x $(FASTCS_VENV)/bin/python || $(PY312) -m venv $(FASTCS_VENV); } && \
		$(FASTCS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
			-r requirements-fastcs.txt && \
		rm -f $(FASTCS_VENV)/.installed-* && touch $@; \
	fi

$(NICOS_STAMP): requirements-nicos.txt
	@echo "setup: installing requirements-nicos.txt into $(NICOS_VENV)"
	@{ test -x $(NICOS_VENV)/bin/python || $(PYTHON) -m venv $(NICOS_VENV); } && \
		$(NICOS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
			$$(grep -E '^(numpy|toml|setuptools|wheel)==' requirements-nicos.txt) && \
		$(NICOS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
			--no-build-isolation -r requirements-nicos.txt && \
		rm -f $(NICOS_VENV)/.installed-* && touch $@

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "setup: needs Python >= 3.11 (the numpy, matplotlib and hypothesis pins); $(PYTHON) is %d.%d: run make setup PYTHON=python3.X" % sys.version_info[:2])'
	@test -x $(PY) || $(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "setup: $(PYTHON) cannot create a virtualenv: install python3-venv"; exit 1; }
	@command -v node >/dev/null || echo "setup: note: no node on PATH; make typecheck needs Node.js for pyright (apt-get install nodejs)"
	@test -x $(PY) || { echo "setup: creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "setup: installing requirements.txt into $(VENV) (the first time takes a few minutes)"
	@$(PIP) -r requirements.txt
	@touch $@
	@echo "setup: done"

# one board's stubs: $(1) is its requirements-stubs-<board>.txt
define STUB_RULE
$(call stub_stamp,$(1)): $(1) | $(STAMP)
	@echo "setup: installing the MicroPython stubs of $(1) for make typecheck"
	@rm -rf $$(dir $$@)
	@$(PIP) --no-compile --target $$(dir $$@) -r $(1)
	@touch $$@
endef
$(foreach req,$(STUBS),$(eval $(call STUB_RULE,$(req))))

sim: setup
ifeq ($(origin PORT),command line)
	@echo "make sim: PORT is the serial port of make deploy; the simulator's TCP port is SIM_PORT=N"; exit 2
endif
	$(PY) tools/sim.py --port $(SIM_PORT)

test: setup
	$(PY) -m pytest host_tests

bench: setup
	$(PY) tools/bench.py

soak: setup
	$(PY) tools/soak.py --minutes $(or $(MINUTES),10)

plot: setup
	$(PY) tools/autotune_plants.py --step

deploy: setup
	$(PY) tools/deploy.py --board $(BOARD) --port $(PORT)

typecheck: setup
	$(PY) tools/typecheck.py

clean:
	rm -rf $(VENV) $(FASTCS_VENV) $(NICOS_VENV) $(WASM)/node_modules build $(LOCK)
