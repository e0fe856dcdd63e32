# Greenroom — the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
DEMO_DIR ?= .greenroom-demo
LISTEN ?= 127.0.0.1:8000

.PHONY: coverage help run build web web-deps test test-deps lint rust-test test-faults api-fuzz docs-test web-test browser-test package-test schema package bench bench-soak bench-agent soak fuzz clean

help:
	@echo "make run    build hub, agent and dashboard, then run the demo (3 agents) on http://$(LISTEN)"
	@echo "make test   everything: fmt, clippy, Rust unit + integration tests (SQLite and MongoDB) under coverage with its floors, fuzz properties replayed, fault suite, API fuzzing, docs check, web lint/unit tests, GraphQL schema lint, browser test, package install test (as root)"
	@echo "make test-faults  (root; part of make test) the fault suite: agents on hosts of their own (network namespaces), links cut, lossy and slow, agent and hub killed, clocks off, disks full; writes docs/reliability.md's table"
	@echo "make api-fuzz  (part of make test) schemathesis against every REST operation and generated GraphQL operations of a real hub: no 5xx, no INTERNAL or code-less GraphQL error, no hang (API_FUZZ_SECONDS per run, default 60)"
	@echo "make coverage  line coverage of hub, agent, pki, proto, cli (cargo-llvm-cov over the whole Rust suite) and web/src (vitest V8), against the floors in scripts/coverage-floor.json"
	@echo "make schema regenerate schema.graphql from the hub"
	@echo "make bench   benchmarks (release build, docs/performance.md): fan-out to 10..5,000 agents, idle fleet, API under load, live output, agent footprint, Ansible beside (PEERS=ansible,salt adds Salt); fan-out on MongoDB and 2 replicas"
	@echo "make bench-soak an hour of steady mixed load: the hub's memory must stay flat"
	@echo "make soak   30 minutes, 500 load-generator agents, executions every 10 s and a fault every 3 min (hub killed/frozen, agents frozen past and within their lease): nothing stuck, lost or doubled, memory bounded; report in docs/reliability.md"
	@echo "make fuzz   every cargo-fuzz target (agent protocol, config loaders, template renderer, shell-word reader, connection-string masker, CSRs) for FUZZ_SECONDS each (default 60)"
	@echo "make bench-agent agent footprint: idle RSS, idle CPU, binary size"
	@echo "make package .deb and .rpm for hub, agent and the greenroom CLI (target/debian, target/generate-rpm)"
	@echo "make package-test  (root, Debian; part of make test) build the packages from the debug binaries, install, run, upgrade, remove and purge them here"

build:
	$(CARGO) build --workspace --bins

web-deps:
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 (apt-get install -y nodejs npm)"; exit 1; }
	@if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then cd web && npm ci --no-audit --no-fund; fi

web: web-deps
	cd web && npm run build

run: build web
	./target/debug/greenroom-hub demo --listen $(LISTEN) --agents 3 --data-dir $(DEMO_DIR) --web-dir web/dist

schema: build
	./target/debug/greenroom-hub schema > schema.graphql
	cd web && npm run codegen

test-deps: web-deps
	@bash scripts/test-deps.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test: test-deps build
	@bash scripts/rust-test.sh

test-faults: build
	@bash scripts/faults.sh

api-fuzz: build
	@bash scripts/api-fuzz.sh

coverage: test-deps
	@bash scripts/coverage.sh

web-test: web
	cd web && npm run lint && npm run lint:schema && npm test -- --coverage

browser-test: build web
	bash scripts/browser-test.sh

docs-test: build
	bash scripts/docs-check.sh target/debug

# Installs the .debs on this machine (as root), runs them, upgrades, removes and purges them.
package-test: build web
	bash scripts/package-test.sh

# The suites one after another, each with its elapsed time (a CI log then shows where the
# time went); the first that fails stops the run, named.
TEST_SUITES = test-deps lint rust-test test-faults api-fuzz docs-test web-test browser-test package-test
test:
	@for s in $(TEST_SUITES); do \
		t0=$$(date +%s); \
		if ! $(MAKE) --no-print-directory $$s; then \
			echo "make test: $$s FAILED after $$(( $$(date +%s) - t0 )) s"; exit 1; \
		fi; \
		echo "make test: $$s passed in $$(( $$(date +%s) - t0 )) s"; \
	done; \
	echo "make test: all suites passed"

PEERS ?= ansible
# The agent is built and shipped with its own profile (`release-agent` in Cargo.toml: size
# over speed, for its idle memory); the benchmarks run that build.
AGENT_BUILD = $(CARGO) build --profile release-agent -p greenroom-agent
bench bench-soak bench-agent: export AGENT_BIN = $(CURDIR)/target/release-agent/greenroom-agent
bench:
	$(CARGO) build --release -p greenroom-hub -p greenroom-loadgen
	$(AGENT_BUILD)
	ulimit -n 65536 2>/dev/null; python3 bench/run.py --peers $(PEERS)
	python3 bench/execution_latency.py --bin-dir target/release
	bash bench/fanout_stores.sh target/release 500

bench-soak:
	$(CARGO) build --release -p greenroom-hub -p greenroom-loadgen
	$(AGENT_BUILD)
	ulimit -n 65536 2>/dev/null; python3 bench/run.py --only soak

soak:
	$(CARGO) build --release -p greenroom-hub -p greenroom-loadgen
	ulimit -n 65536 2>/dev/null; python3 bench/soak.py --minutes $(or $(SOAK_MINUTES),30)

fuzz:
	bash scripts/fuzz.sh

bench-agent:
	$(CARGO) build --release -p greenroom-hub
	$(AGENT_BUILD)
	bash bench/agent_footprint.sh target/release 60

package: web
	@command -v cargo-deb >/dev/null || $(CARGO) install --locked cargo-deb
	@command -v cargo-generate-rpm >/dev/null || $(CARGO) install --locked cargo-generate-rpm
	$(CARGO) build --release -p greenroom-hub -p greenroom-cli
	$(AGENT_BUILD)
	# The packages' assets name target/release/…: a staged target dir holds what ships.
	rm -rf target/package && mkdir -p target/package/release/completions target/debian target/generate-rpm
	cp target/release/greenroom-hub target/release/greenroom target/release-agent/greenroom-agent target/package/release/
	./target/release/greenroom completions bash > target/package/release/completions/greenroom.bash
	./target/release/greenroom completions zsh > target/package/release/completions/_greenroom
	./target/release/greenroom completions fish > target/package/release/completions/greenroom.fish
	for p in greenroom-agent greenroom-hub greenroom-cli; do \
	  CARGO_TARGET_DIR=$(CURDIR)/target/package $(CARGO) deb --no-build -p $$p -o $(CURDIR)/target/debian/ || exit 1; done
	for d in agent hub cli; do \
	  CARGO_TARGET_DIR=$(CURDIR)/target/package $(CARGO) generate-rpm -p $$d --target-dir $(CURDIR)/target/package -o $(CURDIR)/target/generate-rpm/ || exit 1; done
	@ls -1 target/debian/*.deb target/generate-rpm/*.rpm

clean:
	$(CARGO) clean
	rm -rf web/dist $(DEMO_DIR)
