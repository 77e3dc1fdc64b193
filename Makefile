# Review Station: make setup | make demo | make test
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STATION := $(VENV)/bin/station
# libgl1, libglib2.0-0: OpenCV (under the title-card OCR, rapidocr-onnxruntime) links them
DEBS := ffmpeg unar libarchive13 tmux age openssh-client mmdebstrap libreoffice-writer-nogui antiword libgl1 libglib2.0-0
# benchmarks/ocr.py: the title cards' fonts and the Tesseract engine it compares with
BENCH_DEBS := mediaconch tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei fonts-wqy-microhei fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming
# tests/test_summary.py and test_submit.py open the 汇总表 and forms in LibreOffice; test_submit.py reads the
# ZIPs back with bsdtar and the converted PDFs with pdftotext; test_titlecard_ocr.py draws its cards in WenQuanYi
TEST_DEBS := libreoffice-calc-nogui libreoffice-writer-nogui libarchive-tools poppler-utils fonts-wqy-zenhei
DEMO_DIR ?= demo-station
# The sample's campaigns are the 2024 notices: the demo runs as on a day of that cycle (deadline clock only).
DEMO_NOW ?= 2024-04-20T09:00
export LANG := C.UTF-8
export LC_ALL := C.UTF-8

.PHONY: setup demo test test-long lint bench bench-ocr bench-bundle bench-tui clean lock kit

setup:
	@bash scripts/apt-missing.sh $(DEBS)
	@python3 kit/lock.py --check
	@$(MAKE) -s $(VENV)/.installed

# The exact pins of requirements-test.lock (runtime pins identical to requirements.lock, which the kit ships).
$(VENV)/.installed: pyproject.toml requirements.lock requirements-test.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-test.lock
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

# Regenerate the lock files after changing dependencies in pyproject.toml (needs network).
LOCK_VENV := .cache/lock-venv
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { python3 -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/pip install -q --disable-pip-version-check pip-tools==7.5.2; }
	@python3 kit/lock.py --pip-compile $(LOCK_VENV)/bin/pip-compile

# The offline install kit: dist/review-station-offline-<version>-debian12-<arch>.tar.gz
kit: setup
	@$(PY) kit/build.py --out dist

demo: setup
	@echo "Building the sample station in $(DEMO_DIR)/ ..."
	@STATION_NOW=$${STATION_NOW:-$(DEMO_NOW)} $(PY) sample_data/build.py --station $(DEMO_DIR)
	@STATION_NOW=$${STATION_NOW:-$(DEMO_NOW)} $(STATION) --db $(DEMO_DIR)/station.db

test: setup lint
	@bash scripts/apt-missing.sh $(TEST_DEBS)
	@$(PY) -m pytest -q

# The guardrails: formatting, lint (pyflakes, import order, bugbear) and types (store/, exporters/, workflows/).
lint: setup
	@$(VENV)/bin/ruff format --check --quiet . || { echo "ruff format: run $(VENV)/bin/ruff format ."; exit 1; }
	@$(VENV)/bin/ruff check --quiet .
	@$(VENV)/bin/mypy

# kill -9 at 50 seeded points per command (import, export, receive) instead of make test's 10
test-long: setup
	@INTERRUPT_POINTS=50 $(PY) -m pytest -q tests/test_interrupts.py

bench: setup
	@bash scripts/apt-missing.sh $(BENCH_DEBS) || echo "benchmarks/checks.py will skip its MediaConch row"
	@$(PY) benchmarks/ingest.py
	@$(PY) benchmarks/checks.py

# title-card OCR: RapidOCR against Tesseract chi_sim on 48 generated cards (cached in .cache/)
bench-ocr: setup
	@bash scripts/apt-missing.sh $(BENCH_DEBS)
	@$(PY) benchmarks/ocr.py

bench-bundle: setup
	@$(PY) benchmarks/bundle.py

bench-tui: setup
	@$(PY) benchmarks/tui.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
