# l2_echo / l2_multi_echo: DPDK L2 echo servers in Rust.
#   make         release binaries in target/release/
#   make demo    the kernel-bypass demo on a veth pair (root)
#   make test    every test (installs missing packages first; a short fuzz run and
#                the ASan tests; as root also the demo, the bench in its short
#                mode, the suite against DPDK 24.11 (test-dpdk24) and the VM test
#                (vm-test))
#   make test-dpdk24  the suite against DPDK 24.11 in a cached Debian 13 root (root;
#                the first run makes the root: a few minutes)
#   make vm-test the original's setup in a QEMU guest: bind_nic.sh, l2_echo, ping,
#                --restore, a multiqueue NIC (root; part of make test; ~2-3 min)
#   make test-arm64  the original's platform, from this x86-64 machine: the suite
#                cross-built for arm64 and run under qemu-user, then vm-test-arm64
#                (root; part of make test; the first run makes a cached arm64
#                Debian root: ~6 min)
#   make vm-test-arm64  vm-test in an aarch64 guest with the cross-built binaries
#   make build-arm64    the cross-build alone: target/aarch64-unknown-linux-gnu/release
#   make bench   l2_echo/l2_multi_echo vs DPDK's testpmd, ratios (root; QUICK=1: short)
#   make soak    the reliability tests with long overload runs (SOAK_SECS, default 30)
#   make fuzz    the cargo-fuzz targets, FUZZ_SECS each (default 60; nightly toolchain)
#   make asan    unit and vdev integration tests under AddressSanitizer (nightly)
#   make clean

CARGO ?= cargo
SHELL := /bin/bash

.PHONY: all build build-arm64 deps demo test test-dpdk24 test-arm64 vm-test vm-test-arm64 \
	soak bench fuzz asan lint clean

all: build

deps:
	@scripts/install_deps.sh

build: deps
	$(CARGO) build --release --workspace

demo: build
	scripts/demo.sh

lint: deps
	shellcheck scripts/*.sh scripts/vm/guest.sh scripts/vm/init .ci/run

test: deps lint
	$(CARGO) test --release --workspace
	scripts/fuzz.sh 5
	scripts/asan.sh
	@if [ "$$(id -u)" -eq 0 ]; then QUICK=1 scripts/bench.py; \
	 else echo "bench.py QUICK=1: skipped: needs root (hugepages, namespaces)"; fi
	scripts/test_dpdk24.sh
	@$(MAKE) --no-print-directory vm-test
	@$(MAKE) --no-print-directory test-arm64

# Rust vs testpmd, side by side (root, a quiet machine; QUICK=1: a short run).
bench: build
	QUICK=$(QUICK) scripts/bench.py

# The reliability tests with 30 s of overload per memif client (make test: 3 s).
soak: deps
	SOAK_SECS=$${SOAK_SECS:-30} $(CARGO) test --release --test reliability -- --nocapture

# Each target for FUZZ_SECS; FUZZ_UPDATE=1 merges what it finds into fuzz/corpus.
fuzz:
	scripts/fuzz.sh $(if $(FUZZ_UPDATE),--update-corpus) $${FUZZ_SECS:-60}

asan: deps
	scripts/asan.sh

# Not root: says it skipped, exits 0.
test-dpdk24:
	scripts/test_dpdk24.sh

# Not root: says it skipped, exits 0.
vm-test: build
	scripts/vm_test.sh

build-arm64:
	scripts/cargo_arm64.sh build --release --workspace

# Not root: says it skipped, exits 0.
test-arm64: build
	scripts/test_arm64.sh
	scripts/vm_test.sh --arch aarch64

# The host's side (l2_ping) is this machine's build; the guest's, arm64's.
vm-test-arm64: build
	@if [ "$$(id -u)" -eq 0 ]; then scripts/cargo_arm64.sh build --release --workspace; fi
	scripts/vm_test.sh --arch aarch64

clean:
	$(CARGO) clean
