# Two commands on a fresh machine:  `make run`  (the web app at http://127.0.0.1:8000)  and  `make test`  (CI).
# Settings: DATA (reference data, default ../shared/data) and STORE (local store, default .store).
PYTHON ?= python3
VENV   ?= .venv
DATA   ?= ../shared/data
STORE  ?= .store
HOST   ?= 127.0.0.1
PORT   ?= 8000
BIN    := $(VENV)/bin
export TARIFFSTACK_DATA_DIR := $(DATA)
export TARIFFSTACK_STORE_DIR := $(STORE)

.PHONY: run demo test install store lint bench bench-web lists clean

$(BIN)/tariffstack: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/tariffstack

$(STORE)/mfn.parquet: $(BIN)/tariffstack
	$(BIN)/tariffstack build-store

store: $(STORE)/mfn.parquet

run: store
	$(BIN)/tariffstack serve --host $(HOST) --port $(PORT)

demo: store
	$(BIN)/tariffstack calc examples/entry_lines.json --compact | $(BIN)/python scripts/show_results.py
	$(BIN)/tariffstack explain --hts 7306.30.5010 --date 2025-08-10 --value 100000

test: store
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/pytest -q

bench: store
	$(BIN)/python bench/bench_engine.py

bench-web: store
	$(BIN)/python bench/bench_web.py

lists: install
	$(BIN)/python scripts/gen_lists.py --data $(DATA)

clean:
	rm -rf $(VENV) $(STORE)
