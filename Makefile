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
LANACTL := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/release/lanactl

# make check runs the whole in-guest suite on Debian 13's stock kernel (its
# own image and modules, on a trixie root: the kernel users boot) and on
# our debug kernel (KASAN, lockdep, kmemleak...: qemu/kernel-debug.config),
# two guests at once (tests/run-both.sh). The plain guest kernel is still
# built: style, bench and demo use it, and with KDIR= it is the first lane
# again (make test-guest runs it alone). The debug kernel's checks cost
# about five times the time under emulation (pktgen far more): there the
# load and replace tests' counts are scaled down, and the files are shared
# out between the two guests. DEBUG_TESTS picks the debug kernel's files by
# name (all when empty). With KDIR= both kernels are that tree.
DEBUG_TESTS ?=
DEBUG_FUZZ_COUNT ?= 5000
DEBUG_LOAD_OPS ?= 500
DEBUG_REPLACE_FRAMES ?= 50000
# The fault-injection test (t91, the debug kernel only) fails every
# DEBUG_FAULTS_STRIDE-th allocation of each command in make check; make
# faults fails every one.
DEBUG_FAULTS_STRIDE ?= 40

# Every recipe that runs the kernel's make or cargo sources the pinned
# toolchain settings first.
ENV := . qemu/env.sh &&

.PHONY: all setup kernel kernel-debug module module-debug module-stock test-stock dkms-src dkms-install test-dkms test-stock-suite bench-stock print-version tools install-module install-tools uninstall uninstall-module uninstall-tools probe lanactl install check style fmt test-host test-install test-helpers test-guest test-debug test-both fuzz faults demo bench clean help

all: module lanactl

help:
	@echo "make demo     build what is missing, boot a guest, push traffic through a graph"
	@echo "make check    every test: style gates, host tests, in-guest suite"
	@echo "make bench    deterministic packet-path and control-plane cost (QEMU -icount)"
	@echo "make fuzz     the load tests with a long netlink fuzz (FUZZ_COUNT=200000)"
	@echo "make faults   every allocation of every command fails in turn (debug kernel;"
	@echo "              FAULTS_CASES=REGEX runs the cases it matches, e.g. \"rm|bind\")"
	@echo "make module   build lana.ko (into out/module)"
	@echo "make module-stock   lana.ko for Debian 13's stock kernel (out/module-stock)"
	@echo "make test-stock     boot Debian 13's stock kernel, load that lana.ko, count frames;"
	@echo "                    the DKMS install in a Debian 13 build root (test-dkms)"
	@echo "make test-stock-suite   the in-guest suite on Debian 13's stock kernel"
	@echo "make dkms-install   lana.ko by DKMS for the running kernel (KVER= another);"
	@echo "                    make dkms-src DESTDIR= stages /usr/src/lana-VERSION"
	@echo "make lanactl  build the lanactl CLI, its completions and man pages (out/)"
	@echo "make install  install lana.ko (modules_install + depmod), lanactl, completions,"
	@echo "              man pages (DESTDIR=, PREFIX=/usr; KDIR= for your kernel);"
	@echo "              install-module and install-tools do either half"
	@echo "make uninstall      take back what make install put in place (same options)"
	@echo "make kernel   fetch and build the guest kernel (cached)"
	@echo "make kernel-debug   the same with KASAN, lockdep, kmemleak"
	@echo "make test-guest     the in-guest suite (TESTS=t57 for one file)"
	@echo "make test-debug     the suite on the debug kernel (DEBUG_TESTS=t96 for one file)"
	@echo "make test-both      both kernels at once, two guests (what check runs)"
	@echo "make setup    install host dependencies (idempotent)"

setup:
	@bash qemu/setup-host.sh

# The kernel tree to build against: $(KDIR), or the cached guest kernel.
kernel: setup
	@mkdir -p $(OUT)
	@if [ -n "$(KDIR)" ]; then echo "$(abspath $(KDIR))"; else bash qemu/kernel.sh; fi >$(OUT)/kdir.new
	@mv $(OUT)/kdir.new $(OUT)/kdir
	@echo "kernel: $$(cat $(OUT)/kdir)"

# The debug guest kernel: the same fragment plus qemu/kernel-debug.config.
kernel-debug: setup
	@mkdir -p $(OUT)
	@if [ -n "$(KDIR)" ]; then echo "$(abspath $(KDIR))"; \
		else bash qemu/kernel.sh qemu/kernel.config qemu/kernel-debug.config; fi >$(OUT)/kdir-debug.new
	@mv $(OUT)/kdir-debug.new $(OUT)/kdir-debug
	@echo "kernel-debug: $$(cat $(OUT)/kdir-debug)"

module: kernel
	@mkdir -p $(OUT)/module
	$(ENV) $(MAKE) -C "$$(cat $(OUT)/kdir)" M=$(CURDIR) MO=$(OUT)/module LLVM=$(LLVM) modules

module-debug: kernel-debug
	@mkdir -p $(OUT)/module-debug
	$(ENV) $(MAKE) -C "$$(cat $(OUT)/kdir-debug)" M=$(CURDIR) MO=$(OUT)/module-debug LLVM=$(LLVM) modules

# lana.ko for Debian 13's stock kernel (linux-image-$(LANA_STOCK_KVER)),
# built in a trixie build root with that kernel's own compilers, against
# its config and Module.symvers, by dkms/build.sh as DKMS builds it on a
# Debian 13 machine (qemu/stock-kernel.sh: cached; the first run fetches
# and prepares for about 10 minutes).
export LANA_STOCK_KVER ?= 7.3.4+deb13-amd64
module-stock: setup
	@mkdir -p $(OUT)/module-stock
	bash qemu/stock-kernel.sh >$(OUT)/stock.new
	@mv $(OUT)/stock.new $(OUT)/stock
	bash qemu/stock-run.sh "$$(cat $(OUT)/stock)" --bind $(CURDIR) /lana/mod \
		--bind $(OUT)/module-stock /lana/out \
		bash /lana/mod/dkms/build.sh $(LANA_STOCK_KVER) /lana/mod /lana/out

# The DKMS package: the module's source as DKMS takes it
# ($(DESTDIR)/usr/src/lana-VERSION, dkms.conf with the version), and, with
# no DESTDIR, dkms add and install (for the running kernel; the
# dkms/build.sh it runs says what a kernel or a compiler lacks). --force:
# the version stays while the source changes, and the new source must
# replace the module DKMS built before.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml)
DKMS_SRC = $(DESTDIR)/usr/src/lana-$(VERSION)
dkms-src:
	rm -rf $(DKMS_SRC) && install -d $(DKMS_SRC)
	cp -r Kbuild LICENSE fbcore fbs vlink $(DKMS_SRC)/
	install -d $(DKMS_SRC)/dkms && install -m 0644 dkms/*.sh $(DKMS_SRC)/dkms/
	sed 's/@VERSION@/$(VERSION)/' dkms/dkms.conf >$(DKMS_SRC)/dkms.conf

dkms-install: dkms-src
	$(if $(DESTDIR),,[ -d /var/lib/dkms/lana/$(VERSION) ] || dkms add lana/$(VERSION))
	$(if $(DESTDIR),,dkms install --force lana/$(VERSION) $(if $(KVER),-k $(KVER)))

# README's Debian 13 install, run in make module-stock's build root (a
# Debian 13 system): make dkms-install KVER=the stock kernel, make tools
# install-tools; the module DKMS installs and the lanactl installed go to
# $(OUT)/debian13 for test-stock's guest (qemu/stock-dkms.sh).
test-dkms: module-stock
	bash qemu/stock-dkms.sh "$$(cat $(OUT)/stock)" $(CURDIR) $(OUT)/debian13

print-version:
	@echo $(VERSION)

# Boots Debian's stock kernel itself (its vmlinuz and modules, on a trixie
# guest root: qemu/stock-guest.sh) and runs qemu/guest-stock-smoke.sh: the
# module loads, and a graph counts pktgen's frames; the module DKMS built
# loads by modprobe and on demand (make check runs it; its test-both runs
# the whole in-guest suite there).
test-stock: module-stock test-dkms lanactl
	bash qemu/stock-guest.sh >$(OUT)/stock-guest.new
	@mv $(OUT)/stock-guest.new $(OUT)/stock-guest
	read -r root kimg <$(OUT)/stock-guest && dir=$$root/lana-smoke && rm -rf "$$dir" && \
		mkdir -p "$$dir" && cp $(OUT)/module-stock/lana.ko $(OUT)/debian13/lanactl tests/guest/pktgen.sh \
		qemu/guest-stock-smoke.sh "$$dir/" && cp $(OUT)/debian13/lana.ko "$$dir/lana-dkms.ko" && \
		bash qemu/stock-vm.sh "$$root" "$$kimg" "$$dir" bash /lana-smoke/guest-stock-smoke.sh /lana-smoke; \
		cat "$$dir/result.txt"; tail -n1 "$$dir/result.txt" | grep -qx passed

# The benchmark floor: a C rx_handler that frees every frame (qemu/probe).
probe: kernel
	@mkdir -p $(OUT)/probe
	$(ENV) $(MAKE) -C "$$(cat $(OUT)/kdir)" M=$(CURDIR)/qemu/probe MO=$(OUT)/probe LLVM=$(LLVM) modules

# lanactl, its shell completions and its manual pages (lanactl(8), one per
# subcommand and lana-graph(5), written by lanactl).
lanactl: setup
	$(ENV) $(MAKE) --no-print-directory tools

# The same with the cargo on PATH, and no make setup: what a Debian 13 user
# builds lanactl with (trixie's cargo and libpcap-dev).
tools:
	cargo build --release --locked -p lanactl
	@rm -rf $(OUT)/man && mkdir -p $(OUT)/completions $(OUT)/man
	$(LANACTL) completions bash >$(OUT)/completions/lanactl.bash
	$(LANACTL) completions zsh >$(OUT)/completions/_lanactl
	$(LANACTL) completions fish >$(OUT)/completions/lanactl.fish
	$(LANACTL) man $(OUT)/man >/dev/null

# Installs what make module and make lanactl built (run those first, with
# the same KDIR=): the module with the kernel tree's modules_install (to
# lib/modules/RELEASE/updates), lanactl to $(SBINDIR), its completions and
# manual pages where bash-completion, zsh, fish and man look for them, and
# lana.service (the graph in /etc/lana/graph.toml at boot).
# Onto this machine (no DESTDIR), depmod then indexes the module, so that
# its aliases load it on demand; into a staging DESTDIR (a package), no
# module index is written: the package's own depmod makes it.
# Under /usr, zsh's completions go where Debian's packages put theirs;
# elsewhere (/usr/local), to the site directory zsh searches there.
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
ZSHDIR ?= $(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
install: install-module install-tools

install-module:
	@[ -f $(MODULE) ] || { echo "install: run make module first (with the KDIR= to install for)"; exit 1; }
	$(MAKE) -C "$$(cat $(OUT)/kdir)" M=$(CURDIR) MO=$(OUT)/module LLVM=$(LLVM) \
		INSTALL_MOD_PATH=$(abspath $(DESTDIR)) $(if $(DESTDIR),DEPMOD=true) modules_install
	$(if $(DESTDIR),,depmod -a "$$(cat "$$(cat $(OUT)/kdir)/include/config/kernel.release")")

install-tools:
	@[ -x $(LANACTL) ] && [ -f $(OUT)/man/lanactl.8 ] || \
		{ echo "install: run make lanactl first"; exit 1; }
	install -D -m 0755 $(LANACTL) $(DESTDIR)$(SBINDIR)/lanactl
	install -D -m 0644 $(OUT)/completions/lanactl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/lanactl
	install -D -m 0644 $(OUT)/completions/_lanactl $(DESTDIR)$(ZSHDIR)/_lanactl
	install -D -m 0644 $(OUT)/completions/lanactl.fish \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/lanactl.fish
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(OUT)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(OUT)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/lanactl|$(SBINDIR)/lanactl|' lanactl/lana.service \
		>$(DESTDIR)$(UNITDIR)/lana.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/lana.service

# Takes back what make install put in place (the same PREFIX= and KDIR=);
# a module installed by DKMS goes with `dkms remove lana/VERSION --all`.
uninstall: uninstall-tools uninstall-module

uninstall-module:
	@[ -f $(OUT)/kdir ] || { echo "uninstall: run make module first (with the KDIR= installed for)"; exit 1; }
	release=$$(cat "$$(cat $(OUT)/kdir)/include/config/kernel.release") && \
		rm -f $(DESTDIR)/lib/modules/$$release/updates/lana.ko* && \
		$(if $(DESTDIR),true,depmod -a $$release)

uninstall-tools:
	rm -f $(DESTDIR)$(SBINDIR)/lanactl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/lanactl \
		$(DESTDIR)$(ZSHDIR)/_lanactl \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/lanactl.fish \
		$(DESTDIR)$(MANDIR)/man8/lanactl.8 $(DESTDIR)$(MANDIR)/man8/lanactl-*.8 \
		$(DESTDIR)$(MANDIR)/man5/lana-graph.5 $(DESTDIR)$(UNITDIR)/lana.service

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
	bash tests/harness-selftest.sh

# make install into out/install, check what it put there, and that make
# uninstall takes all of it back; the same under PREFIX=/usr/local.
test-install: module lanactl
	@for prefix in /usr /usr/local; do \
		stage=$(OUT)/install$${prefix//\//-}; rm -rf $$stage; \
		$(MAKE) --no-print-directory install DESTDIR=$$stage PREFIX=$$prefix >/dev/null; \
		bash tests/install.sh $$stage $$prefix; \
		$(MAKE) --no-print-directory uninstall DESTDIR=$$stage PREFIX=$$prefix >/dev/null; \
		left=$$(find $$stage -type f); \
		[ -z "$$left" ] || { echo "uninstall left: $$left"; exit 1; }; \
	done

# Test helpers: eBPF programs (clang -target bpf) and their aya loader,
# the fault-injection preload, the netlink fuzzer.
test-helpers: setup
	@mkdir -p $(OUT)/bpf
	clang-19 -O2 -target bpf -I/usr/include/$$(gcc -dumpmachine) \
		-c tests/bpf/filters.c -o $(OUT)/bpf/filters.o
	@mkdir -p $(OUT)/faults
	gcc -O2 -Wall -Werror -shared -fPIC tests/faults/fail_nth.c -o $(OUT)/faults/fail_nth.so
	$(ENV) cargo build --release --locked -p bpf-pin -p genl-fuzz

test-guest: module lanactl test-helpers
	$(ENV) bash tests/run.sh "$$(cat $(OUT)/kdir)" $(MODULE) $(LANACTL) "$(TESTS)"

# The in-guest suite on Debian 13's stock kernel: its own vmlinuz and
# modules on the trixie guest root of qemu/stock-guest.sh, the lana.ko of
# make module-stock (TESTS= picks files by name).
test-stock-suite: module-stock lanactl test-helpers
	bash qemu/stock-guest.sh >$(OUT)/stock-guest.new
	@mv $(OUT)/stock-guest.new $(OUT)/stock-guest
	read -r root kimg <$(OUT)/stock-guest && $(ENV) LANA_GUEST_ROOT=$$root \
		bash tests/run.sh "$$kimg" $(OUT)/module-stock/lana.ko $(LANACTL) "$(TESTS)"

test-debug: module-debug lanactl test-helpers
	$(ENV) FUZZ_COUNT=$(DEBUG_FUZZ_COUNT) LOAD_OPS=$(DEBUG_LOAD_OPS) \
		REPLACE_FRAMES=$(DEBUG_REPLACE_FRAMES) FAULTS_STRIDE=$(DEBUG_FAULTS_STRIDE) bash tests/run.sh \
		"$$(cat $(OUT)/kdir-debug)" $(OUT)/module-debug/lana.ko $(LANACTL) "$(DEBUG_TESTS)"

# The long fuzz: the load tests (t96) with FUZZ_COUNT messages (default
# 200 000; make check sends 20 000), on the plain kernel.
FUZZ_COUNT ?= 200000
fuzz: module lanactl test-helpers
	$(ENV) FUZZ_COUNT=$(FUZZ_COUNT) bash tests/run.sh "$$(cat $(OUT)/kdir)" $(MODULE) $(LANACTL) t96

# Fault injection on the debug kernel: every allocation of every command
# fails in turn (t91; make check fails every DEBUG_FAULTS_STRIDE-th). The
# whole sweep takes hours: FAULTS_CASES (an extended regex over the case
# descriptions, e.g. "rm|bind") runs part of it; exported, not quoted into
# the recipe, so that quotes pass as they are (make still expands a `$`:
# write `$$` for a regex's end).
FAULTS_CASES ?=
export FAULTS_CASES
faults: module-debug lanactl test-helpers
	$(ENV) FAULTS_STRIDE=1 bash tests/run.sh "$$(cat $(OUT)/kdir-debug)" \
		$(OUT)/module-debug/lana.ko $(LANACTL) t91

# Both kernels at once, one guest per core: what make check runs.
test-both: module module-debug lanactl test-helpers $(if $(KDIR),,module-stock)
	$(if $(KDIR),kdir=$$(cat $(OUT)/kdir) module=$(MODULE) root=, \
		bash qemu/stock-guest.sh >$(OUT)/stock-guest.new && mv $(OUT)/stock-guest.new $(OUT)/stock-guest && \
		read -r root kdir <$(OUT)/stock-guest && module=$(OUT)/module-stock/lana.ko) && \
	$(ENV) DEBUG_FUZZ_COUNT=$(DEBUG_FUZZ_COUNT) DEBUG_LOAD_OPS=$(DEBUG_LOAD_OPS) \
		DEBUG_REPLACE_FRAMES=$(DEBUG_REPLACE_FRAMES) DEBUG_FAULTS_STRIDE=$(DEBUG_FAULTS_STRIDE) \
		LANA_A_GUEST_ROOT=$$root bash tests/run-both.sh "$$kdir" "$$module" \
		"$$(cat $(OUT)/kdir-debug)" $(OUT)/module-debug/lana.ko $(LANACTL) "$(DEBUG_TESTS)"

check: style test-host test-install test-stock test-both
	@echo "make check: all passed"

demo: module lanactl
	$(ENV) bash qemu/demo.sh "$$(cat $(OUT)/kdir)" $(MODULE) $(LANACTL)

bench: module probe lanactl bench-stock
	$(ENV) bash qemu/bench.sh "$$(cat $(OUT)/kdir)" $(MODULE) $(OUT)/probe/lana_probe.ko $(LANACTL)

# The same on Debian 13's stock kernel (its image on the stock guest root),
# with its module and probe: ratios against the floor of that boot.
bench-stock: module-stock lanactl
	@mkdir -p $(OUT)/probe-stock
	bash qemu/stock-run.sh "$$(cat $(OUT)/stock)" --bind $(CURDIR) /lana/mod \
		--bind $(OUT)/probe-stock /lana/out \
		bash /lana/mod/dkms/build.sh $(LANA_STOCK_KVER) /lana/mod/qemu/probe /lana/out
	bash qemu/stock-guest.sh >$(OUT)/stock-guest.new
	@mv $(OUT)/stock-guest.new $(OUT)/stock-guest
	read -r root kimg <$(OUT)/stock-guest && $(ENV) LANA_GUEST_ROOT=$$root LANA_BENCH_OUT=$(OUT)/bench-stock \
		bash qemu/bench.sh "$$kimg" $(OUT)/module-stock/lana.ko $(OUT)/probe-stock/lana_probe.ko $(LANACTL)

clean:
	rm -rf $(OUT)
	cargo clean
