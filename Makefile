# Everything runs from a local virtualenv that the first target creates.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: setup sim test bench soak deploy typecheck clean

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

sim: setup
	$(PY) tools/sim.py

test: setup
	$(PY) -m pytest host_tests

clean:
	rm -rf $(VENV) build
