# xacct — see README.md.
GO       ?= go
BIN      ?= bin/xacct
FUZZTIME ?= 60s
ARCH     ?= arm64

.PHONY: build test check bench fuzz demo clean lambda

build:
	$(GO) build -o $(BIN) ./cmd/xacct

test:
	$(GO) test -race ./...

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race ./...

# The metadata processor's package, reproducible: same source, same bytes.
lambda:
	$(GO) run ./lambda/mkzip -arch $(ARCH) -o dist/metadata-processor.zip

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/iampolicy/

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseCanonical -fuzztime=$(FUZZTIME) ./internal/iampolicy/

# Until the sandbox and plan/apply land (issues 3-6), the demo exercises the
# policy engine offline on the pattern's own requests.
demo: build
	@for f in examples/requests/developer-assume-role.json examples/requests/developer-put.json \
	          examples/requests/tester-put.json examples/requests/developer-plain-http.json; do \
		echo "== $$f"; ./$(BIN) policy simulate --file $$f || exit 1; echo; \
	done

clean:
	rm -rf bin dist
