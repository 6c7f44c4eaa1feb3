# The README's commands. Each target installs what it needs first.
GO       ?= go
BIN      := bin/healthwallet
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
SAMPLES  ?= ../shared/testdata/fhir/synthea-bundles
FUZZTIME ?= 20s

.PHONY: all deps build run test bench fuzz clean screenshots

all: build

deps:
	@bash packaging/install-deps.sh

build: deps
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/healthwallet

# Opens the app on a demo wallet (created on first run, with sample records).
run: build
	./$(BIN) demo --samples $(SAMPLES)

# The README's screenshots (docs/screenshots/*.png): the real app under Xvfb
# on a fresh demo, one screen per launch.
screenshots: build
	@bash packaging/install-deps.sh gui
	bash packaging/screenshots.sh $(BIN) $(SAMPLES) docs/screenshots

# Vet and the whole suite under the race detector, with kubo (built once,
# cached) as the interop peer.
test: deps kubo
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...

# Runs every benchmark and writes BENCHMARKS.md with the machine and figures.
# The start-up benchmark launches the app under Xvfb (installed here).
bench: deps
	@bash packaging/install-deps.sh gui
	$(GO) run ./internal/benchreport -out BENCHMARKS.md

# Runs each fuzz target for FUZZTIME.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Builds kubo (the reference IPFS implementation, for the interop tests) once
# into the user's cache directory and prints the binary's path.
kubo:
	@bash packaging/kubo/build.sh

# Our IPFS node against kubo on loopback: bitswap both ways, same CIDs, the
# private network holding, CAR import.
interop: deps kubo
	@kubo=$$(bash packaging/kubo/build.sh) && \
	  HEALTHWALLET_KUBO=$$kubo $(GO) test -race -count=1 -run 'Interop' -v ./ipfs/

.PHONY: kubo interop

clean:
	rm -rf bin dist

# Release packaging (issue 8): make package, make package-check.
-include packaging/package.mk
