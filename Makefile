# `make demo` and `make test` do all set-up on a fresh machine: a virtual environment with ddif-core and
# the plugins (image, video, audio, voxel) installed in editable mode (pip; torch comes from the ordinary index), then the job.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DDIF := $(VENV)/bin/ddif
STAMP := $(VENV)/.ddif-installed
FMNIST := /usr/share/datasets/fashion-mnist

.PHONY: demo test install data bench clean isolation

install: $(STAMP)

$(STAMP): pyproject.toml plugins/image/pyproject.toml plugins/video/pyproject.toml plugins/audio/pyproject.toml plugins/voxel/pyproject.toml docs/plugins/tutorial/ddif-signal/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e . -e plugins/image -e plugins/video -e plugins/audio -e plugins/voxel -e docs/plugins/tutorial/ddif-signal 'pytest>=7'
	touch $(STAMP)

# Debian's dataset-fashion-mnist holds the real Fashion-MNIST IDX files used by the demo.
data:
	@if [ -f $(FMNIST)/train-images-idx3-ubyte.gz ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's dataset-fashion-mnist (the real Fashion-MNIST files)"; \
		apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null; \
	else \
		echo "error: Fashion-MNIST not found in $(FMNIST); run 'sudo apt-get install dataset-fashion-mnist'" \
		     "or put the four IDX files in a folder and run: $(DDIF) run --modality image --preset demo --data-root DIR" >&2; \
		exit 1; \
	fi

demo: install data
	$(DDIF) run --modality image --preset demo

test: install
	$(PY) -m pytest

# Each first-party plugin alone with ddif-core (a venv seeing only third-party packages): lists exactly its
# modalities, runs one iteration, and answers another modality with the pip install hint (.ci/run calls it).
isolation: install
	$(PY) tools/check_isolation.py

bench: install data
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) runs .pytest_cache
