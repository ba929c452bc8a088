# l2_echo / l2_multi_echo: DPDK L2 echo servers in Rust.
#   make         release binaries in target/release/
#   make demo    the kernel-bypass demo on a veth pair (root)
#   make test    every test (installs missing packages first; root runs the demo too)
#   make clean

CARGO ?= cargo
SHELL := /bin/bash

.PHONY: all build deps demo test lint clean

all: build

deps:
	@scripts/install_deps.sh

build: deps
	$(CARGO) build --release --workspace

demo: build
	scripts/demo.sh

lint: deps
	shellcheck scripts/*.sh .ci/run

test: deps lint
	$(CARGO) test --release --workspace

clean:
	$(CARGO) clean
