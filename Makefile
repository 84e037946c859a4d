# SPDX-License-Identifier: GPL-2.0
#
# lio-rs: the Linux SCSI target (LIO) as Rust-for-Linux modules.
#
#   make            build the lio-rs modules against the cached guest kernel
#   make run        boot a VM that serves a target (the README's main job)
#   make check      every test: host tests, lint, VM suites; ends with "N passed, N failed"
#   make shell      an interactive guest (IMPL=rust|c)
#   make baseline   re-record the C LIO reference results in tools/testing/baseline/
#   make kernel     build the guest kernel into the cache (KVARIANT=debug|bench)
#   make bench      lio-rs against the C LIO, side by side in one VM (bench kernel)

KVARIANT ?= debug
IMPL ?= rust
KDIR = $(shell scripts/kernel dir $(KVARIANT))
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) CLIPPY=1

.PHONY: all modules kernel setup check run shell baseline bench clean fmt

all: modules

setup:
	scripts/setup

kernel:
	scripts/kernel build $(KVARIANT)

# Objects built against one kernel variant must not be linked against another: kbuild's
# command-line tracking cannot tell the two build directories apart.
modules: kernel
	@if [ "$$(cat .lio-rs-kdir 2>/dev/null)" != "$(KDIR)" ]; then \
		$(KMAKE) clean >/dev/null; echo "$(KDIR)" >.lio-rs-kdir; fi
	+$(KMAKE) modules

run: modules
	scripts/run-target

shell: modules
	scripts/vm shell --impl $(IMPL)

check: modules
	tools/testing/run-all

baseline: kernel
	tools/testing/record-baseline

# Builds the bench kernel and its own copy of the modules (in the cache), not the tree's.
bench: setup
	tools/testing/bench/run

fmt:
	rustfmt --edition 2021 --config-path .rustfmt.toml $(shell git ls-files '*.rs')

clean:
	+$(KMAKE) clean
	rm -rf tools/testing/host/target
