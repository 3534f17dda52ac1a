# Sunday Mining — everything goes through the project's own virtual environment.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint typecheck unit demo serve migrate clean bench

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## make test: lint, type-check, every test, the IaC checks and the Lambda builds (what CI runs)
test: lint typecheck unit iac build

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

## make demo: the app on the embedded default (SQLite store, local folders)
demo: $(STAMP)
	$(BIN)/sunday-mining-dev demo

serve: $(STAMP)
	$(BIN)/sunday-mining serve

migrate: $(STAMP)
	$(BIN)/sunday-mining migrate

## make bench: every benchmark against its floor, written to BENCHMARKS.md (a few minutes)
bench: $(STAMP)
	$(BIN)/python -m bench.run

## make image-check: build the voice worker image and run it against a loopback app and fake
## Discord (lease, READY, a batch, HEALTHCHECK, SIGTERM, two containers). Needs root: it
## installs docker.io and mmdebstrap when missing and runs its own dockerd (infra/scripts/image_check.py).
.PHONY: image-check
image-check: $(STAMP)
	$(BIN)/python infra/scripts/image_check.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis var build

## make build: every Lambda function's deployable folder (python3.12 arm64 wheels, offline, no
## Docker) under build/lambda/<LogicalId>, with its unzipped size. `sam build` runs the same
## recipes (infra/Makefile).
LAMBDA_FUNCTIONS := InteractionsFunction PricingRefreshFunction ReportsFunction RefineryNoticesFunction

.PHONY: build iac
build: $(STAMP)
	@for fn in $(LAMBDA_FUNCTIONS); do \
	  $(MAKE) --no-print-directory -f infra/Makefile build-$$fn ARTIFACTS_DIR=$(CURDIR)/build/lambda/$$fn \
	    PIP="$(CURDIR)/$(BIN)/python -m pip" || exit 1; \
	done
	@echo "unzipped size of each artifact:"
	@for fn in $(LAMBDA_FUNCTIONS); do du -sh --apparent-size build/lambda/$$fn; done
	$(BIN)/python infra/scripts/check_artifacts.py build/lambda

## make iac: cfn-lint, then checkov on the SAM template and on its SAM-expanded form (offline).
## The tools live in build/iac/venv (see infra/requirements-iac.txt for why not .venv).
IAC_VENV := build/iac/venv
IAC_STAMP := $(IAC_VENV)/.installed

$(IAC_STAMP): infra/requirements-iac.txt
	@test -d $(IAC_VENV) || $(PYTHON) -m venv $(IAC_VENV)
	$(IAC_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-iac.txt
	@touch $(IAC_STAMP)

SAM_VENV := build/iac/sam-venv
SAM_STAMP := $(SAM_VENV)/.installed

$(SAM_STAMP): infra/requirements-sam.txt
	@test -d $(SAM_VENV) || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-sam.txt
	@touch $(SAM_STAMP)

iac: $(IAC_STAMP) $(SAM_STAMP)
	$(IAC_VENV)/bin/cfn-lint infra/template.yaml
	$(IAC_VENV)/bin/python infra/scripts/sam_translate.py infra/template.yaml build/iac/template.cfn.json
	$(IAC_VENV)/bin/cfn-lint build/iac/template.cfn.json
	$(IAC_VENV)/bin/checkov --framework cloudformation --skip-download --quiet --compact -f infra/template.yaml
	$(IAC_VENV)/bin/checkov --config-file infra/checkov-translated.yaml -f build/iac/template.cfn.json
	@# Offline: --lint runs cfn-lint inside the SAM CLI; neither needs AWS credentials.
	cd infra && SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 ../$(SAM_VENV)/bin/sam validate --lint
