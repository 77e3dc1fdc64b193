# Review Station: make setup | make demo | make test
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STATION := $(VENV)/bin/station
DEBS := ffmpeg unar libarchive13 tmux age openssh-client
DEMO_DIR ?= demo-station
export LANG := C.UTF-8
export LC_ALL := C.UTF-8

.PHONY: setup demo test bench clean

setup:
	@bash scripts/apt-missing.sh $(DEBS)
	@$(MAKE) -s $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

demo: setup
	@echo "Building the sample station in $(DEMO_DIR)/ ..."
	@$(PY) sample_data/build.py --station $(DEMO_DIR)
	@$(STATION) --db $(DEMO_DIR)/station.db

test: setup
	@$(PY) -m pytest -q

bench: setup
	@$(PY) benchmarks/ingest.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
