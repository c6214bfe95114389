# lana-rs: see README.md. `make demo` shows the main job; `make check` runs
# every test. Everything is built from scratch on a fresh Debian-like host;
# downloads and the kernel build are cached under $(LANA_CACHE).
#
# KDIR=/path/to/a/rust/enabled/kernel/build uses your own kernel tree instead
# of the project's guest kernel.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

LLVM ?= -19
export LANA_CACHE ?= $(HOME)/.cache/lana-rs
OUT := $(CURDIR)/out
MODULE := $(OUT)/module/lana.ko
LANACTL := $(CURDIR)/target/release/lanactl

# Every recipe that runs the kernel's make or cargo sources the pinned
# toolchain settings first.
ENV := . qemu/env.sh &&

.PHONY: all setup kernel module probe lanactl check style fmt test-host test-helpers test-guest demo bench clean help

all: module lanactl

help:
	@echo "make demo     build what is missing, boot a guest, push traffic through a graph"
	@echo "make check    every test: style gates, host tests, in-guest suite"
	@echo "make bench    deterministic packet-path cost (QEMU -icount), table of ratios"
	@echo "make module   build lana.ko (into out/module)"
	@echo "make lanactl  build the lanactl CLI"
	@echo "make kernel   fetch and build the guest kernel (cached)"
	@echo "make setup    install host dependencies (idempotent)"

setup:
	@bash qemu/setup-host.sh

# The kernel tree to build against: $(KDIR), or the cached guest kernel.
kernel: setup
	@mkdir -p $(OUT)
	@if [ -n "$(KDIR)" ]; then echo "$(abspath $(KDIR))"; else bash qemu/kernel.sh; fi >$(OUT)/kdir.new
	@mv $(OUT)/kdir.new $(OUT)/kdir
	@echo "kernel: $$(cat $(OUT)/kdir)"

module: kernel
	@mkdir -p $(OUT)/module
	$(ENV) $(MAKE) -C "$$(cat $(OUT)/kdir)" M=$(CURDIR) MO=$(OUT)/module LLVM=$(LLVM) modules

# The benchmark floor: a C rx_handler that frees every frame (qemu/probe).
probe: kernel
	@mkdir -p $(OUT)/probe
	$(ENV) $(MAKE) -C "$$(cat $(OUT)/kdir)" M=$(CURDIR)/qemu/probe MO=$(OUT)/probe LLVM=$(LLVM) modules

lanactl: setup
	$(ENV) cargo build --release --locked -p lanactl

# Style gates: userspace (cargo fmt, clippy), kernel code (rustfmt with the
# kernel's configuration, and a CLIPPY=1 module build with no warnings).
style: kernel
	$(ENV) cargo fmt --all -- --check
	$(ENV) cargo clippy --locked --all-targets -- -D warnings
	$(ENV) bash qemu/kernel-style.sh "$$(cat $(OUT)/kdir)" $(OUT)/clippy $(LLVM)

# Formats everything the style gates check.
fmt: kernel
	$(ENV) cargo fmt --all
	$(ENV) src=$$(cat $(OUT)/kdir); [ -e "$$src/source" ] && src=$$src/source; \
		rustfmt --edition 2021 --config-path "$$src/.rustfmt.toml" fbcore/lana.rs

test-host: setup
	$(ENV) cargo test --locked

# Test helpers: eBPF programs (clang -target bpf) and their aya loader.
test-helpers: setup
	@mkdir -p $(OUT)/bpf
	clang-19 -O2 -target bpf -I/usr/include/$$(gcc -dumpmachine) \
		-c tests/bpf/filters.c -o $(OUT)/bpf/filters.o
	$(ENV) cargo build --release --locked -p bpf-pin

test-guest: module lanactl test-helpers
	$(ENV) bash tests/run.sh "$$(cat $(OUT)/kdir)" $(MODULE) $(LANACTL) "$(TESTS)"

check: style test-host test-guest
	@echo "make check: all passed"

demo: module lanactl
	$(ENV) bash qemu/demo.sh "$$(cat $(OUT)/kdir)" $(MODULE) $(LANACTL)

bench: module probe lanactl
	$(ENV) bash qemu/bench.sh "$$(cat $(OUT)/kdir)" $(MODULE) $(OUT)/probe/lana_probe.ko $(LANACTL)

clean:
	rm -rf $(OUT)
	cargo clean
