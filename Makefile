# Stratus: `make run` serves the whole stack on http://127.0.0.1:8080,
# `make test` runs every test. Both install what they need first.

GO      ?= go
ADDR    ?= 127.0.0.1:8080
# The TURN server of `make run` (UDP and TCP; TLS beside it), for players
# whose network blocks UDP; 3478 is the edge's media port already.
TURN     ?= 0.0.0.0:3479
TURN_TLS ?= 0.0.0.0:5349
# The ready-made studio API key of the studio "dev" in `make run`.
STUDIO_DEV_KEY ?= stratus-dev-studio-key
export CGO_ENABLED = 1
# go-nvml wraps deprecated NVML calls; their warnings are noise.
export CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all setup setup-test build run example-title cluster test bench vet fuzz clean

all: build

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

# The Vulkan present layer ships beside the binary (bin/vklayer), so that
# edges need no C compiler to run Vulkan games.
build: setup
	$(GO) build -o bin/stratus ./cmd/stratus
	@bin/stratus vklayer bin/vklayer >/dev/null

# The operator token guards /v1/sessions, /v1/edges, /v1/route and
# /metrics; `stratus operator token` makes it once and keeps it after.
run: build
	@bin/stratus operator token -file run/operator.token
	bin/stratus serve -addr $(ADDR) -studio-data run/studio -studio-dev-key $(STUDIO_DEV_KEY) \
		-titles-dir run/titles -run-dir run/edge -operator-token-file run/operator.token \
		-turn $(TURN) -turn-tls $(TURN_TLS)

# With `make run` serving: onboard glxgears as the studio title "gears".
example-title: build
	ADDR=$(ADDR) scripts/example-title.sh

# One signaling node and three edges in two regions, each its own process.
cluster: build
	scripts/cluster.sh

vet:
	$(GO) vet ./...

# Fuzz seeds run as ordinary tests here; `make fuzz` explores further.
# One package at a time: the browser tests measure frame rates, and a
# parallel encoder test on a 2-core machine would starve them.
test: setup-test vet
	$(GO) test -count=1 -p 1 -timeout 30m ./...

FUZZTIME ?= 30s
fuzz: setup
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./input
	$(GO) test -run '^$$' -fuzz FuzzParseClient -fuzztime $(FUZZTIME) ./signaling
	$(GO) test -run '^$$' -fuzz FuzzDecodeMeta -fuzztime $(FUZZTIME) ./cluster
	$(GO) test -run '^$$' -fuzz FuzzDecide -fuzztime $(FUZZTIME) ./signaling/route
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./title/manifest

# Each harness prints the table recorded in benchmarks/README.md.
bench: build setup-test
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./benchmarks/encode
	$(GO) run ./benchmarks/capture
	$(GO) run ./benchmarks/render
	$(GO) run ./benchmarks/sandbox
	$(GO) run ./benchmarks/catalog
	$(GO) run ./benchmarks/latency
	$(GO) run ./benchmarks/failover
	$(GO) run ./benchmarks/gossip

clean:
	rm -rf bin run
