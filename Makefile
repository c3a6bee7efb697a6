# hsjp-mmpose: the two commands a newcomer runs are `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
WORK_DIR ?= work_dirs/quickstart
PYTEST_ARGS ?=

.PHONY: install demo test test-fast clean

install:  ## create .venv with the verified OpenMMLab stack (idempotent)
	@bash tools/install.sh

demo: install  ## HSJP quickstart on generated people: pretrain, fine-tune vs scratch, COCO AP table
	$(PY) tools/quickstart.py --work-dir $(WORK_DIR)

test: install  ## the whole test suite (unit + integration through mim train / mim test)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install  ## unit tests only
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

clean:
	rm -rf work_dirs .pytest_cache
