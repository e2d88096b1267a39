# lake — the README's commands. `make help` lists them.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/lake-engine/lake/lake.version=$(VERSION)
BIN := bin
# Tools and downloads are cached outside the repo.
CACHE ?= $(HOME)/.cache/lake-test
STATICCHECK_VERSION ?= v0.8.2
SERVICES := bash localstack/services.sh
# Flags of cmd/lake-bench for bench-peers, e.g. BENCH_FLAGS='-reps 1 -tables orders_1m'.
BENCH_FLAGS ?=

.PHONY: help build demo test test-short services services-down bench bench-peers lint clean localstack-up localstack-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

build: ## build bin/lake and bin/lake-demo
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/lake ./cmd/lake
	$(GO) build -o $(BIN)/lake-demo ./cmd/lake-demo

demo: build ## fresh machine, no servers: make a demo shop, run three nights, query them
	bash localstack/demo.sh

test: ## start the test servers (PostgreSQL, MariaDB, S3, two Trino), then run every test
	@set -euo pipefail; eval "$$($(SERVICES) up)"; \
	$(GO) test -count=1 -timeout 20m ./...

test-short: ## unit tests only, no servers
	$(GO) test -short ./...

services: ## start the test servers; prints `export NAME=value` lines: eval "$$(make -s services)"
	@$(SERVICES) up

services-down: ## stop the test servers
	@$(SERVICES) down

bench: ## Go benchmarks that print figures, then bench-peers
	@set -euo pipefail; eval "$$($(SERVICES) up)"; \
	$(GO) test -p 1 -run '^$$' -bench . -benchtime=1x -benchmem -timeout 30m ./...
	$(MAKE) --no-print-directory bench-peers

# Only PostgreSQL and S3 are started: the peers bench needs no Trino. The
# first run generates its tables (a few minutes) and the Python venv; both
# are kept (database lake_bench, ~/.cache/lake-test/bench-venv).
bench-peers: build ## lake against raw COPY, DuckDB and ConnectorX on 1M/10M-row orders and TPC-H lineitem; writes bench/results.md
	@set -euo pipefail; eval "$$($(SERVICES) up postgres s3)"; eval "$$(bash localstack/bench/venv.sh)"; \
	$(GO) build -o $(BIN)/lake-bench ./cmd/lake-bench; \
	$(BIN)/lake-bench -lake $(BIN)/lake $(BENCH_FLAGS)

lint: ## gofmt, go vet, staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above need gofmt -w"; exit 1; }
	$(GO) vet ./...
	@test -x $(CACHE)/bin/staticcheck || GOBIN=$(CACHE)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(CACHE)/bin/staticcheck ./...

localstack-up: ## Docker: LocalStack S3 on localhost:4566 with bucket lake-dev (see README "Local dev against LocalStack")
	docker compose -f localstack/docker-compose.yml up -d --wait localstack
	docker compose -f localstack/docker-compose.yml run --rm init

localstack-down: ## Docker: stop LocalStack and drop its data
	docker compose -f localstack/docker-compose.yml down -v

clean: ## remove build output and the demo
	rm -rf $(BIN) demo
