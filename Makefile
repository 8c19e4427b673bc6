# The two commands of the README: `make up` runs the live stack, `make test` the tests.
# Both do their own set-up (venv, project, redis-server, chromium) and skip finished work.
VENV ?= .venv
STAMP := $(VENV)/.installed

.PHONY: up test lint setup clean

up: setup
	$(VENV)/bin/safer up $(ARGS)

test: setup
	scripts/bootstrap.sh browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

setup: $(STAMP)
	@scripts/bootstrap.sh runtime

$(STAMP): pyproject.toml scripts/bootstrap.sh
	scripts/bootstrap.sh python
	@touch $@

clean:
	rm -rf $(VENV) .safer .mypy_cache .pytest_cache .ruff_cache
