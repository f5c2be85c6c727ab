# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install clean

$(BIN)/sasiam: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU build lies on local disk; an unpinned resolve would fetch a CUDA build
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/sasiam

demo: install
	$(BIN)/sasiam demo --out-dir demo_output

test: install
	$(BIN)/python -m pytest -q --durations=15

clean:
	rm -rf $(VENV) demo_output
