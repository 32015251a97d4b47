# Two commands from a fresh clone: `make demo` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export KERAS_BACKEND := torch
export OMP_NUM_THREADS := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test install clean validate release bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/labkit demo 02-linear-models-gradcheck

test: $(STAMP)
	$(BIN)/python -m pytest -q

validate: $(STAMP)
	$(BIN)/labkit validate --all

release: $(STAMP)
	$(BIN)/labkit release

bench: $(STAMP)
	$(BIN)/python benchmarks/isolation_overhead.py
	$(BIN)/python benchmarks/warm_pool.py
	$(BIN)/python benchmarks/throughput.py --labs 02 06-keras-on-torch --n 50 200

clean:
	rm -rf $(VENV) demo-out
