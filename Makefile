# jitgate's tasks. `make` (or `make help`) lists them; a target shows up there
# when its rule line carries a `## description`.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory
export PATH := /usr/local/go/bin:$(PATH)

DEV_PG := deploy/dev-postgres.sh
TESTFLAGS ?=

.PHONY: help test test-go generate check check-fmt vet check-generated build demo bench fuzz db-start db-stop

help: ## list the targets
	@echo "Usage: make TARGET"
	@echo
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

test: ## go vet and go test -race against a throwaway PostgreSQL (or TEST_DATABASE_URL); TESTFLAGS adds go test flags
	@$(DEV_PG) run -- $(MAKE) test-go

# test-go is what `test` runs inside the database it provides.
test-go:
	@if [[ -z "$${TEST_DATABASE_URL:-}$${DATABASE_URL:-}" ]]; then \
		echo "make test-go needs TEST_DATABASE_URL or DATABASE_URL; run make test, which starts a PostgreSQL" >&2; \
		exit 2; \
	fi
	go vet ./...
	go test -race -count=1 $(TESTFLAGS) ./...
	@$(MAKE) fuzz FUZZTIME=$(TEST_FUZZTIME)

generate: ## regenerate sqlc/ from queries/ and migrations/
	go tool sqlc generate

check: check-fmt vet check-generated ## gofmt, go vet, and sqlc/ up to date

check-fmt:
	@files=$$(gofmt -l .); \
	files=$$(grep -Ev '^(sqlc|bin)/|(^|/)testdata/' <<<"$$files" || true); \
	if [[ -n "$$files" ]]; then \
		echo "not gofmt'ed (run gofmt -w on them):" >&2; \
		echo "$$files" >&2; \
		exit 1; \
	fi

vet:
	go vet ./...

check-generated: ## fail when sqlc/ differs from what make generate would write
	@go tool sqlc diff || { echo "sqlc/ is stale: run make generate and commit" >&2; exit 1; }

build: ## build bin/jitgate
	go build -o bin/jitgate ./cmd/jitgate

demo: ## run jitgate locally with a fake Slack and identity provider (not yet)
	@echo "make demo: not yet — the identity/demo issue adds it; see README"

BENCH ?= .
bench: ## Go benchmarks (gateway data path, masking, recording) against a throwaway PostgreSQL; BENCH picks them by regexp
	@$(DEV_PG) run -- go test -run '^$$' -bench '$(BENCH)' -benchmem ./gateway/... ./grants/...

.PHONY: bench-pg
bench-pg: ## pgbench and a wide-row query: direct, through a plain relay, and through the gateway
	@$(DEV_PG) run -- go run ./internal/cmd/benchpg $(BENCHFLAGS)

# Every fuzz target of a parser of bytes from the network, as package:target.
FUZZ_TARGETS := ./gateway/pg:FuzzClientMessages ./gateway/pg:FuzzCopySplit ./gateway/pg/classify:FuzzClassify ./gateway/mask:FuzzAppend ./gateway/mask:FuzzShortcut ./grants:FuzzAppendJSONString
FUZZTIME ?= 60s
TEST_FUZZTIME ?= 1000x

fuzz: ## run each fuzz target for FUZZTIME (default 60s; make test runs each for 1000 inputs)
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

db-start: ## start the shared dev PostgreSQL (or find it) and print its URL
	@$(DEV_PG) start

db-stop: ## stop the shared dev PostgreSQL and delete its files
	@$(DEV_PG) stop
