# Warden — every entry point a developer or CI needs. Uses the project's own pinned Node 24 and
# pnpm (installed from the npm registry into tools/), whatever node the machine has.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLS_BIN := $(CURDIR)/tools/node_modules/.bin
export PATH := $(TOOLS_BIN):$(PATH)
export WARDEN_CACHE ?= $(HOME)/.cache/warden

NODE_STAMP := tools/node_modules/.installed
DEPS_STAMP := node_modules/.modules.yaml

.PHONY: help tools install servers up down status demo test test-unit test-integration test-e2e \
        lint typecheck format proto proto-check bench clean deploy-tools deploy-check

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(NODE_STAMP): tools/package.json tools/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (any Node >= 18 with npm)"; exit 1; }
	@# `npm install` from the lock rather than `npm ci`: pnpm lists optional binaries for other platforms
	@# that this registry does not serve (404), so they are missing from the lock and `npm ci` refuses.
	npm install --prefix tools --no-audit --no-fund --no-save --loglevel=error
	@touch $@

tools: $(NODE_STAMP) ## install the pinned Node 24 and pnpm into tools/

$(DEPS_STAMP): $(NODE_STAMP) package.json pnpm-lock.yaml pnpm-workspace.yaml $(wildcard apps/*/package.json libs/*/package.json services/*/package.json test/package.json)
	pnpm install --frozen-lockfile
	@touch $@

install: $(DEPS_STAMP) ## install the workspace dependencies

servers: ## build nats-server, Temporal CLI, FerretDB, the Temporal test server and promtool (cached by version)
	scripts/build-servers.sh all

deploy-tools: ## build helm and kubeconform, fetch the Kubernetes JSON schemas (deploy/ checks; ~3 min once, cached)
	scripts/build-servers.sh deploy-tools

deploy-check: install deploy-tools ## helm lint/template + kubeconform, promtool check config, nats-server -t, compose schema
	scripts/build-servers.sh promtool
	scripts/build-servers.sh nats
	pnpm exec vitest run --project integration test/ops/deploy-helm.test.ts
	pnpm exec vitest run --project unit test/unit/deploy

up: install servers ## start NATS, Temporal (+UI), FerretDB and the Warden services in the background
	node scripts/dev-env.ts up

demo: up ## bring everything up, then drive it through the source material's scenarios
	node scripts/demo.ts

down: tools ## stop exactly what `make up` started
	node scripts/dev-env.ts down

status: tools ## show what `make up` started and whether it answers
	node scripts/dev-env.ts status

test: install servers ## the whole test suite: unit, integration and end-to-end against real servers
	pnpm exec vitest run

test-unit: install ## unit tests only (no servers)
	pnpm exec vitest run --project unit

test-integration: install servers ## integration tests against real servers
	pnpm exec vitest run --project integration

test-e2e: install servers ## end-to-end and fault tests
	pnpm exec vitest run --project e2e

lint: install ## eslint (type-aware) and prettier
	pnpm exec eslint .
	pnpm exec prettier --check .

typecheck: install ## tsc --noEmit over the whole workspace
	pnpm exec tsc -p tsconfig.json

format: install ## prettier --write
	pnpm exec prettier --write .

proto: install ## buf lint + generate TypeScript into libs/contracts/src/gen
	scripts/proto.sh generate

proto-check: install ## buf lint, breaking-change check and generated-code drift check
	scripts/proto.sh check

bench: install servers ## every benchmark, one at a time (BENCH=<substring> picks some; prints medians, p99, peer ratios)
	node scripts/bench.ts

clean: ## remove installed node_modules (keeps the server cache in $(WARDEN_CACHE))
	rm -rf node_modules apps/*/node_modules libs/*/node_modules services/*/node_modules test/node_modules tools/node_modules
