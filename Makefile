# l2_echo / l2_multi_echo: DPDK L2 echo servers in Rust.
#   make         release binaries in target/release/
#   make demo    the kernel-bypass demo on a veth pair (root)
#   make test    every test (installs missing packages first; a short fuzz run and
#                the ASan tests; as root also the root-only tests, the demo, the
#                bench in its short mode, the version-sensitive tests against DPDK
#                23.11.7 and 26.07 built from source, the package, the VM test and
#                arm64's lanes), each stage timed against its budget
#   make test-dpdk DPDK=V  the suite against one DPDK in a cached Debian root (root):
#                24.11 or 25.11 from Debian's packages, 23.11.7, 24.03 or 26.07
#                built from source (DPDK_SRC: a tarball, a directory of them or a
#                URL; DPDK's release URL by default)
#   make test-dpdk-all  the suite against each of those (root; the first run
#                builds what it needs: about 40 minutes)
#   make vm-test the original's setup in a QEMU guest: bind_nic.sh, l2_echo, ping,
#                --restore, a multiqueue NIC (root; part of make test; ~2 min)
#   make test-arm64  the original's platform, from this x86-64 machine: the suite
#                cross-built for arm64 and run under qemu-user, split between
#                two DPDKs (the version-sensitive tests against sid's 25.11, the
#                others against Debian 12's 22.11), then vm-test-arm64 (root;
#                part of make test; ~11 min; the first run makes two cached arm64
#                Debian roots: ~5.5 min more)
#   make vm-test-arm64  vm-test in an aarch64 guest with the cross-built binaries
#   make build-arm64    the cross-build alone: target/aarch64-unknown-linux-gnu/release
#   make bench   l2_echo/l2_multi_echo vs DPDK's testpmd, ratios (root; QUICK=1: short)
#   make compare what bypass buys: the kernel's ICMP echo, a UDP socket echo, XDP, and
#                l2_echo over af_xdp, af_packet and memif answering the same probes, side
#                by side (root; QUICK=1: short; ROWS=kernel,memif: some rows)
#   make compare-vm  the original's setting: make compare's rows inside a QEMU guest
#                (its kernel, XDP, l2_echo after bind_nic.sh) on its virtio NIC, from the
#                host (root; KVM where the CPU has it, else TCG: then counts, no timings;
#                ARCH=aarch64: the arm64 guest)
#   make soak    the reliability tests with long overload runs (SOAK_SECS, default 30)
#   make memif-stress  l2_echo's deaths per 1000 memif client departures (root; DPDK=V: in that lane,
#                UNPATCHED=1: that release without dpdk-patches/V)
#   make stress-demo  the demo and the veth tests STRESS_RUNS times (default 20)
#                under no load, a CPU-bound neighbour and heavy writeback (root)
#   make fuzz    the cargo-fuzz targets, FUZZ_SECS each (default 60; nightly toolchain)
#   make asan    unit and vdev integration tests under AddressSanitizer (nightly)
#   make install    l2_echo, l2_multi_echo, l2_load, l2_ping, l2echo-setup-hugepages,
#                l2echo-bind-nic, man pages, bash completions into PREFIX (default
#                /usr/local; DESTDIR honoured); make uninstall removes exactly those
#   make deb     target/deb/l2echo_VERSION_ARCH.deb for this machine
#   make deb-arm64  target/deb/l2echo_VERSION_arm64.deb from the cross-build (root)
#   make test-deb  installs it into a fresh Debian 12 root, runs it, removes it
#                (root; part of make test)
#   make clean
# Under sudo, GNUmakefile runs this with the invoking user's Rust (rustup) and
# gives back to them what root created (scripts/sudo_make.sh).

CARGO ?= cargo
SHELL := /bin/bash
PREFIX ?= /usr/local
# The arm64 Debian root the cross-build uses (scripts/cargo_arm64.sh).
export ARM64_ROOT ?= /var/cache/l2echo/bookworm-arm64
# DPDK's release tarballs for the from-source lanes (scripts/test_dpdk.sh):
# DPDK's own URL unless set; this workplace keeps them beside the checkout.
export DPDK_SRC ?= $(firstword $(wildcard $(CURDIR)/../shared/dpdk-src))
# The tests of what differs between DPDK versions: the build and rte_mbuf's
# layout (--lib), telemetry, EAL's lcore usage and DPDK's tools (observe),
# EAL's errors (bad_input), the echo itself (l2_echo_pcap), memif
# (reliability), the safe layer's calls (safe_layer) and l2_load, which
# writes mbufs it allocates (l2_load); l2-ping's cli builds the l2_ping that
# reliability runs.
DPDK_LANE_TEST_NAMES := cli observe bad_input l2_echo_pcap reliability safe_layer l2_load
DPDK_LANE_TESTS := --lib $(addprefix --test ,$(DPDK_LANE_TEST_NAMES))
# On arm64 the two lanes share the suite: sid's DPDK 25.11 runs the
# version-sensitive tests above, Debian 12's 22.11 (which x86 runs whole) all
# the others and the unit tests again (rte_mbuf's layout against its headers),
# so every test runs on arm64 once.
ARM64_REST_TESTS := --lib --bins $(addprefix --test ,$(filter-out $(DPDK_LANE_TEST_NAMES),\
	$(basename $(notdir $(wildcard tests/*.rs */tests/*.rs)))))
DPDK_VERSIONS := 23.11.7 24.03 24.11 25.11 26.07
DESTDIR ?=
RUST_MIN := $(shell sed -n 's/^rust-version = "\(.*\)"$$/\1/p' Cargo.toml)
# rustup's cargo when PATH lacks it (a non-login shell, sudo's secure_path);
# sbin for the tests' and scripts' tools when PATH lacks it (sudo -E, env PATH=).
export PATH := $(PATH):$(HOME)/.cargo/bin:/usr/local/sbin:/usr/sbin:/sbin

.PHONY: all build build-arm64 deps demo test test-dpdk test-dpdk-all test-arm64 vm-test vm-test-arm64 \
	soak stress-demo bench compare compare-vm fuzz asan lint clean rust docs install uninstall deb deb-arm64 test-deb mutants callgrind \
	memif-stress

all: build

deps: rust
	@scripts/install_deps.sh

# Rust itself is not a Debian package here: say how to get it, in one line.
rust:
	@v=$$($(CARGO) --version 2>/dev/null | cut -d' ' -f2); \
	if [ -z "$$v" ]; then echo "make: no Rust toolchain (cargo): install Rust $(RUST_MIN) or newer with rustup: curl --proto '=https' -sSf https://sh.rustup.rs | sh" >&2; exit 1; \
	elif [ "$$(printf '%s\n' "$(RUST_MIN)" "$${v%%-*}" | sort -V | head -n 1)" != "$(RUST_MIN)" ]; then \
	  echo "make: Rust $$v is older than the $(RUST_MIN) this needs (rust-version in Cargo.toml): rustup update stable" >&2; exit 1; fi

build: deps
	$(CARGO) build --release --workspace

demo: build
	scripts/demo.sh

lint: deps
	shellcheck scripts/*.sh scripts/vm/guest.sh scripts/vm/init .ci/run
	python3 -m unittest discover --quiet -s scripts -p 'test_*.py'
	python3 scripts/check_links.py

# Man pages and bash completions, from the clap definitions (packaging/).
docs: build
	target/release/l2echo-gen-docs target/docs

install: docs
	scripts/install.sh --prefix $(PREFIX) --destdir "$(DESTDIR)"

uninstall:
	scripts/install.sh --uninstall --prefix $(PREFIX) --destdir "$(DESTDIR)"

deb: docs
	scripts/make_deb.sh

# Man pages and completions are the same on every architecture: this machine's.
deb-arm64: docs build-arm64
	scripts/make_deb.sh --bin-dir target/aarch64-unknown-linux-gnu/release --arch arm64 \
	    --sysroot $(ARM64_ROOT)

# Not root: says it skipped, exits 0.
test-deb: deb
	scripts/test_deb.sh

# make test's stages, each timed against its budget by scripts/stage.sh: the
# seconds it took from nothing (no packages, Debian roots, DPDK builds or
# crates) on a fresh 2-core machine, with about a fifth more for a busier
# one; docs/tests.md has the measured times. The lanes build
# without LTO (scripts/test_dpdk.sh, test_arm64.sh): they test what DPDK's
# version or the architecture changes, which LTO does not; the shipped
# profile, LTO's, is tested here on x86.
STAGE := scripts/stage.sh
# As root, the tests that need root too: they are #[ignore]d for a user's
# cargo test, which counts them so (tests/common: require_root).
ROOT_TESTS := $(if $(filter 0,$(shell id -u)),--include-ignored)
ARM64_SID := ARM64_SUITE=sid ARM64_ROOT=/var/cache/l2echo/sid-arm64 CARGO_TARGET_DIR=$(CURDIR)/target/arm64-sid

test:
	@if [ -n "$$CI" ] && [ "$$(id -u)" -ne 0 ]; then \
	  echo "make test: under CI nothing may skip, and the root-only tests and lanes would: run it as root" >&2; exit 1; fi
	@$(STAGE) --begin
	@$(STAGE) deps-lint 120 $(MAKE) --no-print-directory deps lint
	@$(STAGE) suite 540 $(CARGO) test --release --workspace -- $(ROOT_TESTS)
	@$(STAGE) fuzz 180 scripts/fuzz.sh 5
	@$(STAGE) asan 270 scripts/asan.sh
	@if [ "$$(id -u)" -eq 0 ]; then $(STAGE) bench-quick 120 env QUICK=1 scripts/bench.py; \
	 else echo "bench.py QUICK=1: skipped: needs root (hugepages, namespaces)"; fi
	@$(STAGE) dpdk-23.11.7 510 scripts/test_dpdk.sh 23.11.7 $(DPDK_LANE_TESTS)
	@$(STAGE) dpdk-26.07 720 scripts/test_dpdk.sh 26.07 $(DPDK_LANE_TESTS)
	@$(STAGE) deb 120 $(MAKE) --no-print-directory test-deb
	@$(STAGE) vm-x86_64 180 $(MAKE) --no-print-directory vm-test
	@$(STAGE) arm64-22.11 600 scripts/test_arm64.sh $(ARM64_REST_TESTS)
	@$(STAGE) arm64-25.11 420 env $(ARM64_SID) scripts/test_arm64.sh $(DPDK_LANE_TESTS)
	@$(STAGE) vm-aarch64 270 scripts/vm_test.sh --arch aarch64
	@$(STAGE) --report

# Rust vs testpmd, side by side (root, a quiet machine; QUICK=1: a short run).
bench: build
	QUICK=$(QUICK) scripts/bench.py

# What bypass buys: the kernel's echo and l2_echo's on its paths, side by side (scripts/compare.py).
compare: build
	QUICK=$(QUICK) ROWS=$(ROWS) scripts/compare.py

compare-vm: build $(if $(filter aarch64,$(ARCH)),build-arm64)
	QUICK=$(QUICK) scripts/vm_test.sh --compare $(if $(ARCH),--arch $(ARCH))

# The reliability tests with 30 s of overload per memif client (make test: 3 s).
soak: deps
	SOAK_SECS=$${SOAK_SECS:-30} $(CARGO) test --release --test reliability -- --nocapture $(ROOT_TESTS)

# DPDK's memif disconnect race (#29), measured: a memif client connects to
# l2_echo, floods it and leaves, 1000 times, and the server's deaths are
# counted (scripts/memif_stress.sh; root; at most 600 s). DPDK=VERSION runs it
# in that lane's root, against the DPDK built there (with dpdk-patches/VERSION
# when from source): scripts/test_dpdk.sh VERSION --exec, which builds there.
# No $(MAKE) in the recipe, so that make -n only prints it.
memif-stress: $(if $(DPDK),,build)
	@if [ -n "$(DPDK)" ]; then L2ECHO_DPDK_UNPATCHED=$(UNPATCHED) scripts/test_dpdk.sh $(DPDK) --exec scripts/memif_stress.sh $(MEMIF_STRESS_ARGS); \
	 else scripts/memif_stress.sh $(MEMIF_STRESS_ARGS); fi

# cargo-mutants over the pure code: what no unit test would notice (scripts/mutants.sh).
mutants: deps
	scripts/mutants.sh

# The echo loop's instructions per packet, by callgrind (root: the EAL).
callgrind: build
	scripts/callgrind.sh

# Pass counts under background load (scripts/stress_demo.sh).
stress-demo: build
	STRESS_RUNS=$${STRESS_RUNS:-20} scripts/stress_demo.sh

# Each target for FUZZ_SECS; FUZZ_UPDATE=1 merges what it finds into fuzz/corpus.
fuzz:
	scripts/fuzz.sh $(if $(FUZZ_UPDATE),--update-corpus) $${FUZZ_SECS:-60}

asan: deps
	scripts/asan.sh

# Not root: says it skipped, exits 0.
test-dpdk:
	@[ -n "$(DPDK)" ] || { echo "make: which DPDK? make test-dpdk DPDK=VERSION, one of: $(DPDK_VERSIONS)" >&2; exit 2; }
	scripts/test_dpdk.sh $(DPDK)

# Every lane, each to its end; fails if any failed.
test-dpdk-all:
	@failed=; for v in $(DPDK_VERSIONS); do scripts/test_dpdk.sh $$v || failed="$$failed $$v"; done; \
	 if [ -n "$$failed" ]; then echo "make: the suite failed against DPDK$$failed" >&2; exit 1; fi

# Not root: says it skipped, exits 0.
vm-test: build
	scripts/vm_test.sh

build-arm64:
	scripts/cargo_arm64.sh build --release --workspace

# Not root: says it skipped, exits 0.
test-arm64: build
	scripts/test_arm64.sh $(ARM64_REST_TESTS)
	$(ARM64_SID) scripts/test_arm64.sh $(DPDK_LANE_TESTS)
	scripts/vm_test.sh --arch aarch64

# The host's side (l2_ping) is this machine's build; the guest's, arm64's.
vm-test-arm64: build
	@if [ "$$(id -u)" -eq 0 ]; then scripts/cargo_arm64.sh build --release --workspace; fi
	scripts/vm_test.sh --arch aarch64

clean:
	$(CARGO) clean
