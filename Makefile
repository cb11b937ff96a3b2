# Two commands: `make demo` (set up + offline end-to-end demo) and `make test` (set up + lint + tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/flopmine demo

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	@sh scripts/install-browser.sh
	$(BIN)/ruff check .
	@rc=0; $(BIN)/python -m pytest -q -p no:cacheprovider || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

clean:
	rm -rf flopmine-data flopmine-demo .pytest_cache
