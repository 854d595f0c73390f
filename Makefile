# xacct — see README.md.
GO       ?= go
BIN      ?= bin/xacct
FUZZTIME ?= 60s
ARCH     ?= arm64

.PHONY: build test unit e2e chaos check bench bench-e2e bench-plan bench-reconcile bench-audit bench-startup cross fuzz demo clean lambda

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)

# bin/xacct is what a user installs for AWS; bin/xacct-sandbox is xacct with
# the local sandbox (and kumo) linked in, which `xacct sandbox` runs from
# beside it (or from PATH).
LDFLAGS = -X github.com/xacct/xacct/internal/cli.version=$(VERSION) -X github.com/xacct/xacct/internal/cli.commit=$(COMMIT)
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/xacct
	$(GO) build -ldflags "$(LDFLAGS)" -o $(dir $(BIN))xacct-sandbox ./cmd/xacct-sandbox

# Two layers: unit tests (no sandbox, every package but internal/e2e), then
# the end-to-end tests (one local sandbox for the whole test binary).
E2E  := ./internal/e2e/
UNIT  = $(shell $(GO) list ./... | grep -v '/internal/e2e$$')

test:
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

unit:
	$(GO) test -race $(UNIT)

e2e:
	$(GO) test -race -timeout 30m -parallel 4 $(E2E)

# apply and destroy killed with SIGKILL at ten points each, and run under
# injected throttling and 5xx for twenty seeds (make e2e runs three points
# and one seed).
chaos:
	XACCT_KILL_POINTS=all $(GO) test -race -timeout 60m -run 'TestKilledApplyAndDestroyConverge|TestApplyAndDestroyUnderFaults' -v $(E2E)

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	@$(MAKE) --no-print-directory cross
	@$(MAKE) --no-print-directory test

# The non-Linux paths compile and are vetted: xacct cross-built for macOS
# (both architectures) and Windows, and go vet of every package for macOS
# (the sandbox and its host-build path included).
CROSS ?= darwin/arm64 darwin/amd64 windows/amd64
cross:
	@set -e; for t in $(CROSS); do echo "go build ./cmd/xacct for $$t"; GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build -o /dev/null ./cmd/xacct; done
	GOOS=darwin $(GO) vet ./...

# The metadata processor's package, reproducible: same source, same bytes.
lambda:
	$(GO) run ./lambda/mkzip -arch $(ARCH) -o dist/metadata-processor.zip

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/iampolicy/

# The benchmarks that need the sandbox: the gateway against kumo direct,
# apply and no-op plan, the processor's handler, and bench-plan's.
bench-e2e:
	$(GO) test -run='^$$' -bench=. -benchmem $(E2E)

# Apply, no-op plan and destroy of 2 and 50 groups with 50 ms added to
# every request (AWS's round trip): wall time and requests of each. Run it
# alone: it measures time.
bench-plan:
	$(GO) test -run='^$$' -bench=PlanLatency -benchtime=1x -count=3 $(E2E)

# reconcile over 10,000 and 100,000 versions (versions/s, peak memory
# growth) and --repair of 10,000 missing records at --parallelism 4 and 8.
# Run it alone: it takes about ten minutes on two cores.
bench-reconcile:
	$(GO) test -run='^$$' -bench=Reconcile -benchtime=1x -timeout=60m $(E2E)

# audit over 1,000,000 events (1,000 gzip log files of 1,000 records in
# AWS's layout), twice: in an in-memory bucket (xacct's own work: events/s,
# CPU seconds, peak live heap, and with --since 1h the GETs), then in a
# stack's log bucket on the sandbox with the built binary as a process of
# its own (wall time, events/s, xacct's peak RSS at 100,000 and 1,000,000
# events, and with --since 1h the GETs the sandbox recorded). Run it alone:
# it measures time; the load average is printed before and after.
bench-audit:
	@cat /proc/loadavg 2>/dev/null || uptime
	$(GO) test -run='^$$' -bench=Audit -benchtime=1x -timeout=20m -v ./internal/audit/
	$(GO) test -run='^$$' -bench=AuditSandbox -benchtime=1x -timeout=30m -v $(E2E)
	@cat /proc/loadavg 2>/dev/null || uptime

# The real binary's start-up: `xacct version` and a no-op plan on the
# sandbox, 50 runs each (median-ms), and the binary's size. The machine's
# load average is printed before and after: it moves the numbers.
bench-startup:
	@cat /proc/loadavg 2>/dev/null || uptime
	$(GO) test -run='^$$' -bench=Startup -benchtime=50x $(E2E)
	@cat /proc/loadavg 2>/dev/null || uptime

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseCanonical -fuzztime=$(FUZZTIME) ./internal/iampolicy/

# The README's first command: the whole pattern on the local sandbox.
demo: build
	@case "$$(uname -m)" in aarch64|arm64) a=arm64;; *) a=x86_64;; esac; \
	  $(GO) run ./lambda/mkzip -arch $$a -o dist/metadata-processor.zip
	@XACCT=$(BIN) examples/demo.sh

clean:
	rm -rf bin dist
