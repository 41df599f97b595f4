# armvm build.
#
#   make                      build for this machine: armvm (on x86_64 only the
#                             host-side commands, e.g. `armvm image`), the unit
#                             tests and other host tools, into build/$(ARCH)/
#   make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
#                             cross-build the full arm64 armvm (kernel/kvmtool
#                             convention) into build/arm64/
#   make fuzz                 libFuzzer targets (clang, ASan+UBSan) into build/fuzz/
#   make fuzz-long            run each for FUZZ_SECONDS (default 1200) on its
#                             corpus in ~/.cache/armvm/fuzz/ (tests/suites/90-fuzz)
#   make asan                 armvm with AddressSanitizer and UBSan (gcc) into
#                             build/$(ARCH)-asan/ (with ARCH=arm64
#                             CROSS_COMPILE=... too: the sandbox's stress runs)
#   make tsan                 the unit tests with ThreadSanitizer into
#                             build/$(ARCH)-tsan/tests/ (tests/suites/11-tsan)
#   make check                run every test (same as tools/test, without apt)
#   make format               clang-format every C file
#
# Source layout (each directory is one part of the architecture):
#   lib/      portable helpers (errors, sizes, files)
#   devices/  device models (pl011, ...): portable, no KVM calls
#   virtio/   virtio core and devices: portable
#   image/    portable disk image tooling (GPT, FAT, PE)
#   vmm/      the VMM core's portable half: machine plan, devices and their
#             registry, machine layout, device tree,
#             kernel loading, options (unit-tested on any host)
#   vmm/kvm/  the VMM core's KVM glue: VM, vCPUs, run loop (arm64 only)
#   tests/unit/test_*.c   one host-native unit test program each
#   fuzz/fuzz_*.c         one libFuzzer target each (docs/fuzzing.md)

HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
CROSS_COMPILE ?=
CC := $(CROSS_COMPILE)gcc
O := build/$(ARCH)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	-Wmissing-prototypes -Wstrict-prototypes -D_GNU_SOURCE \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -I.
LDLIBS := -lfdt -lz -ljson-c -lslirp -lseccomp -lpthread
# Hardening (issue 11): PIE (Debian's gcc default, made explicit), full
# RELRO with immediate binding (-z now: the GOT is read-only once armvm
# runs), and on arm64 return-address signing and BTI landing pads
# (-mbranch-protection=standard). The executable's BTI property itself
# needs start-up objects built with it, which Debian 12's are not.
CFLAGS += -fPIE
LDFLAGS += -pie -Wl,-z,relro,-z,now
ifeq ($(ARCH),arm64)
CFLAGS += -mbranch-protection=standard
endif

# Cross builds find the arm64 libraries (libfdt, zlib, libslirp) in a sysroot made by
# tools/install-deps from Debian's arm64 packages (they are not all
# co-installable with the build machine's own -dev packages).
ifneq ($(CROSS_COMPILE),)
SYSROOT ?= build/sysroot-$(ARCH)
CFLAGS += -isystem $(SYSROOT)/usr/include
LDFLAGS += -L$(SYSROOT)/usr/lib/aarch64-linux-gnu \
	-Wl,-rpath-link,$(SYSROOT)/usr/lib/aarch64-linux-gnu
endif

# make asan / make tsan (SANITIZE=address|thread): the same sources,
# instrumented, in their own folder.
ifeq ($(SANITIZE),address)
O := build/$(ARCH)-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
else ifeq ($(SANITIZE),thread)
O := build/$(ARCH)-tsan
SAN_FLAGS := -fsanitize=thread
CFLAGS += -Wno-tsan # the virtqueue's fences; its indices are acquire/release
endif
ifneq ($(SANITIZE),)
CFLAGS += -O1 -fno-omit-frame-pointer -U_FORTIFY_SOURCE $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

PORTABLE_SRCS := $(wildcard lib/*.c devices/*.c virtio/*.c image/*.c vmm/*.c)
ifeq ($(ARCH),arm64)
VMM_SRCS := $(wildcard vmm/kvm/*.c)
CFLAGS += -DARMVM_HAVE_KVM=1
endif
ARMVM_SRCS := main.c $(PORTABLE_SRCS) $(VMM_SRCS)
ARMVM_OBJS := $(ARMVM_SRCS:%.c=$(O)/%.o)
PORTABLE_OBJS := $(PORTABLE_SRCS:%.c=$(O)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)

FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -I. \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
# The code under test is compiled once for every target.
FUZZ_OBJS := $(PORTABLE_SRCS:%.c=build/fuzz/obj/%.o)

.PHONY: all armvm unit fuzz fuzz-long asan tsan check format clean
all: armvm $(if $(CROSS_COMPILE),,unit)

armvm: $(O)/armvm
unit: $(UNIT_BINS)
fuzz: $(FUZZ_BINS)
fuzz-long:
	FUZZ_SECONDS=$${FUZZ_SECONDS:-1200} tests/suites/90-fuzz

asan:
	$(MAKE) SANITIZE=address armvm
tsan:
	$(MAKE) SANITIZE=thread unit

$(O)/armvm: $(ARMVM_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# main.c carries the git revision (armvm --version): always rebuild it, it
# is small, so that the revision is never stale.
.PHONY: FORCE
$(O)/main.o: FORCE
$(O)/main.o: VERSION_CFLAGS := -DARMVM_VERSION='"$(VERSION)"' -DARMVM_GIT_REV='"$(GIT_REV)"'

# Objects depend on the flags they were built with, so that changing them
# (here, on the command line, SANITIZE=) rebuilds what they built.
FLAGS_STAMP := $(O)/.flags
FLAGS_NOW := $(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(FLAGS_NOW)' | cmp -s - $@ || printf '%s\n' '$(FLAGS_NOW)' >$@

$(O)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(VERSION_CFLAGS) -MMD -MP -c -o $@ $<

# Unit tests link every portable object (never main.c or the KVM core).
$(O)/tests/%: tests/unit/%.c $(PORTABLE_OBJS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out $(FLAGS_STAMP),$^) $(LDLIBS)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

# fuzz_dev_*.c are fuzz_machine.c focused on one device (they include it).
build/fuzz/%: fuzz/%.c $(FUZZ_OBJS) fuzz/fuzz_machine.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

check: all
	tests/run

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build/$(ARCH) build/$(ARCH)-asan build/$(ARCH)-tsan build/fuzz

-include $(ARMVM_OBJS:.o=.d)
-include $(FUZZ_OBJS:.o=.d)
