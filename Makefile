# xacct — see README.md.
GO       ?= go
BIN      ?= bin/xacct
FUZZTIME ?= 60s
ARCH     ?= arm64

.PHONY: build test check bench fuzz demo clean lambda

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)

build:
	$(GO) build -ldflags "-X github.com/xacct/xacct/internal/cli.version=$(VERSION) -X github.com/xacct/xacct/internal/cli.commit=$(COMMIT)" -o $(BIN) ./cmd/xacct

test:
	$(GO) test -race ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) test -race ./...

# The metadata processor's package, reproducible: same source, same bytes.
lambda:
	$(GO) run ./lambda/mkzip -arch $(ARCH) -o dist/metadata-processor.zip

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/iampolicy/

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseCanonical -fuzztime=$(FUZZTIME) ./internal/iampolicy/

# The README's first command: the whole pattern on the local sandbox.
demo: build
	@case "$$(uname -m)" in aarch64|arm64) a=arm64;; *) a=x86_64;; esac; \
	  $(GO) run ./lambda/mkzip -arch $$a -o dist/metadata-processor.zip
	@XACCT=$(BIN) examples/demo.sh

clean:
	rm -rf bin dist
