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
#   make conform-linux        the Linux conformance program armvm-conform
#                             (docs/conformance.md): static for the guests in
#                             build/arm64/ and build/armhf/ (needs
#                             aarch64-linux-gnu-gcc and arm-linux-gnueabihf-gcc,
#                             from tools/install-deps), and native in
#                             build/$(ARCH)/
#   make conform-uefi         the UEFI conformance application
#                             (docs/conformance-uefi.md) with Debian's gnu-efi:
#                             build/conform/BOOTAA64.EFI and BOOTARM.EFI
#   make man                  the manual pages, build/man/*.1, from man/*.scd
#                             (needs scdoc, from tools/install-deps; not part
#                             of `all`); view one with man -l build/man/armvm.1
#   make install              install armvm, its manual pages (so needs scdoc,
#                             as `make man`), bash completion, documentation
#                             and, where the tree has it, the systemd unit
#                             systemd/armvm@.service, under PREFIX (default
#                             /usr/local) in DESTDIR (default none: the root);
#                             takes the ARCH and CROSS_COMPILE of the build.
#                             debian/rules drives it (tools/build-deb)
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
#   conform/linux/        armvm-conform, the conformance run's program
#                         inside a Linux guest (any VMM; libc only)
#   conform/uefi/         the conformance run's UEFI application (gnu-efi)
#   tests/unit/test_*.c   one host-native unit test program each
#   fuzz/fuzz_*.c         one libFuzzer target each (docs/fuzzing.md)
#   man/*.scd             the manual pages, in scdoc's format (make man)
#   completion/armvm      bash completion; it reads armvm CMD --help

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
LDLIBS := -lfdt -lz -ljson-c -lslirp -lseccomp -lext2fs -lcom_err -lpthread
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

# Cross builds find the arm64 libraries (libfdt, zlib, libslirp, libseccomp,
# libext2fs) in a sysroot made by tools/install-deps from Debian's arm64
# packages (they are not all co-installable with the build machine's own
# -dev packages).
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

PORTABLE_SRCS := $(wildcard lib/*.c devices/*.c virtio/*.c image/*.c vmm/*.c \
	conform/host/*.c)
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

.PHONY: all armvm unit fuzz fuzz-long asan tsan check format clean conform-linux \
	conform-uefi man install
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

# armvm-conform (conform/linux/, docs/conformance.md): what the conformance
# image runs inside the guest, so static and libc only, for arm64 and armhf
# guests. The native build ($(O)/armvm-conform, the repository's flags and
# sanitizers) is what tests/unit/test_conform_linux.c runs; that test also
# links the checks themselves. On an arm64 build machine the static arm64
# program is the native one.
CONFORM_SRCS := $(wildcard conform/linux/*.c)
CONFORM_OBJS := $(CONFORM_SRCS:%.c=$(O)/%.o)
CONFORM_CHECK_OBJS := $(filter-out $(O)/conform/linux/conform.o,$(CONFORM_OBJS))
CONFORM_STATIC_CFLAGS := -static -O2 -std=gnu11 -Wall -Wextra \
	-Wno-unused-parameter -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -D_GNU_SOURCE -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -I.
# Each guest's compiler and the Debian packages that bring it and its static
# libc (tools/install-deps installs them).
CONFORM_CC_arm64 := $(if $(filter arm64,$(HOST_ARCH)),gcc,aarch64-linux-gnu-gcc)
CONFORM_DEBS_arm64 := $(if $(filter arm64,$(HOST_ARCH)),gcc libc6-dev,gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
CONFORM_CC_armhf := arm-linux-gnueabihf-gcc
CONFORM_DEBS_armhf := gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
CONFORM_GUEST := build/arm64/armvm-conform build/armhf/armvm-conform

conform-linux: $(CONFORM_GUEST) $(O)/armvm-conform

# Like $(FLAGS_STAMP): a change of compiler or flags rebuilds the program.
build/arm64/.conform-flags build/armhf/.conform-flags: build/%/.conform-flags: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(CONFORM_CC_$*) $(CONFORM_STATIC_CFLAGS)' | cmp -s - $@ || \
		printf '%s\n' '$(CONFORM_CC_$*) $(CONFORM_STATIC_CFLAGS)' >$@

# Rebuilt only when a source, a header or the stamp changes. A compiler
# without a static libc (gcc -print-file-name=libc.a gives no path), or no
# compiler at all, stops here with what to install, not with gcc's error.
build/arm64/armvm-conform build/armhf/armvm-conform: build/%/armvm-conform: \
		$(CONFORM_SRCS) $(wildcard conform/linux/*.h) build/%/.conform-flags
	@case "$$($(CONFORM_CC_$*) -print-file-name=libc.a 2>/dev/null)" in \
	/*) ;; \
	*) echo "make: $@ needs $(CONFORM_CC_$*) and its static libc:" \
		"install the Debian packages $(CONFORM_DEBS_$*)" \
		"(tools/install-deps installs them)" >&2; \
	   exit 1 ;; \
	esac
	@mkdir -p $(dir $@)
	$(CONFORM_CC_$*) $(CONFORM_STATIC_CFLAGS) -o $@ $(CONFORM_SRCS)

ifeq ($(filter $(O),build/arm64 build/armhf),)
$(O)/armvm-conform: $(CONFORM_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^
endif

$(O)/tests/test_conform_linux: $(CONFORM_CHECK_OBJS) | $(O)/armvm-conform

# The UEFI conformance application (conform/uefi/, docs/conformance-uefi.md),
# built like gnu-efi's own apps: a position-independent ELF shared object
# over gnu-efi's crt0 and linker script, then copied out flat. gnu-efi
# 3.0.15's crt0 for arm and aarch64 carries its own PE/COFF header (its
# Make.defaults uses `objcopy -O binary` there, not an efi-app target), so
# the image is the sections that header describes, padded to its 512-byte
# file alignment. Debian's gnu-efi for arm64 and armhf comes from the cache
# (tools/fetch-deb; tools/install-deps fetches it). The 32-bit objects are
# built -mgeneral-regs-only: AAVMF32 starts an application with VFP off,
# and gcc uses VFP registers for 64-bit copies (an Undefined Instruction at
# the first one). Not part of `all`. The pure part (conform/uefi/pure.c) is
# also linked natively into tests/unit/test_conform_uefi.c.
conform-uefi: build/conform/BOOTAA64.EFI build/conform/BOOTARM.EFI

EFI_SRCS := conform/uefi/main.c conform/uefi/pure.c
EFI_CROSS_aa64 := aarch64-linux-gnu-
EFI_CROSS_arm := arm-linux-gnueabihf-
EFI_DEB_aa64 := arm64
EFI_DEB_arm := armhf
EFI_ARCH_aa64 := aarch64
EFI_ARCH_arm := arm
EFI_CFLAGS := -O2 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	-Wmissing-prototypes -Wstrict-prototypes -I. \
	-fpic -fshort-wchar -ffreestanding -fno-stack-protector \
	-fno-strict-aliasing -fno-merge-all-constants -DGNU_EFI_3_0
EFI_CFLAGS_arm := -marm -mgeneral-regs-only

build/conform/efi-%.so: $(EFI_SRCS) conform/uefi/pure.h
	@mkdir -p build/conform/obj-$*
	@gnuefi=$$(tools/fetch-deb $(EFI_DEB_$*) gnu-efi) && \
	inc=$$gnuefi/usr/include/efi && lib=$$gnuefi/usr/lib && \
	for f in $(EFI_SRCS); do \
		$(EFI_CROSS_$*)gcc $(EFI_CFLAGS) $(EFI_CFLAGS_$*) \
			-isystem $$inc -isystem $$inc/$(EFI_ARCH_$*) -isystem $$inc/protocol \
			-c -o build/conform/obj-$*/$$(basename $$f .c).o $$f \
			|| exit 1; \
	done && \
	$(EFI_CROSS_$*)ld -nostdlib -shared -Bsymbolic -znocombreloc \
		--no-undefined --no-warn-rwx-segments --defsym=EFI_SUBSYSTEM=0xa \
		-T $$lib/elf_$(EFI_ARCH_$*)_efi.lds $$lib/crt0-efi-$(EFI_ARCH_$*).o \
		build/conform/obj-$*/main.o build/conform/obj-$*/pure.o \
		-L$$lib -lefi -lgnuefi -o $@

build/conform/BOOTAA64.EFI: build/conform/efi-aa64.so
build/conform/BOOTARM.EFI: build/conform/efi-arm.so
build/conform/BOOTAA64.EFI build/conform/BOOTARM.EFI:
	$(EFI_CROSS_$(patsubst build/conform/efi-%.so,%,$<))objcopy \
		-j .text -j .sdata -j .data -j .dynamic -j .rodata -j .rel \
		-j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
		-O binary $< $@
	truncate -s %512 $@

$(O)/tests/test_conform_uefi: $(O)/conform/uefi/pure.o

# The manual pages (man/, scdoc(5) sources) into build/man/. Not part of
# `all`: the programs build without any documentation tool (the cross and
# sanitizer builds, a fresh root before tools/install-deps); tests/suites/
# 15-docs builds them and checks that they list the options --help lists.
# The date in the footer is the source's last commit (SOURCE_DATE_EPOCH, as
# scdoc reads it; now when it has none), so the pages are the same bytes
# wherever they are made. scdoc's own .nh comes before .TH, which turns
# hyphenation on again: one after it keeps long option lines whole.
# MAN_O: where they go (debian/rules gives the package build its own, so
# that its pages carry its changelog's date, SOURCE_DATE_EPOCH).
MAN_O := build/man
MAN_SRCS := $(wildcard man/*.scd)
MAN_PAGES := $(MAN_SRCS:man/%.scd=$(MAN_O)/%)
man: $(MAN_PAGES)

$(MAN_O)/%: man/%.scd
	@command -v scdoc >/dev/null || { echo "make: $@ needs scdoc:" \
		"install the Debian package scdoc (tools/install-deps installs it)" >&2; \
		exit 1; }
	@mkdir -p $(dir $@)
	sde=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct -- $< 2>/dev/null)}; \
	SOURCE_DATE_EPOCH=$${sde:-$$(date +%s)} scdoc <$< >$@.tmp && \
	sed -i -e '/^\.TH /a .nh' $@.tmp && mv $@.tmp $@

# make install: where each file goes, GNU style (PREFIX, DESTDIR; the
# directory variables can be given one by one, as debian/rules does for the
# unit directory). The systemd unit is installed only where the tree has
# one (the wildcard is empty otherwise). The documents keep their relative
# places (README.md, docs/*.md), so that their links between each other
# still work.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/armvm
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSTEMD_UNITS := $(wildcard systemd/*.service)
INSTALL ?= install

install: armvm man
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/docs/spec
	$(INSTALL) -m 755 $(O)/armvm $(DESTDIR)$(BINDIR)/armvm
	$(INSTALL) -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 completion/armvm $(DESTDIR)$(BASHCOMPDIR)/armvm
	$(INSTALL) -m 644 README.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 644 $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/docs/
	$(INSTALL) -m 644 docs/spec/requirements.md $(DESTDIR)$(DOCDIR)/docs/spec/
ifneq ($(SYSTEMD_UNITS),)
	$(INSTALL) -d $(DESTDIR)$(SYSTEMDUNITDIR)
	$(INSTALL) -m 644 $(SYSTEMD_UNITS) $(DESTDIR)$(SYSTEMDUNITDIR)/
endif

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
	rm -rf build/$(ARCH) build/$(ARCH)-asan build/$(ARCH)-tsan build/fuzz \
		build/armhf
	rm -f build/arm64/armvm-conform build/arm64/.conform-flags
	rm -rf build/conform build/man

-include $(ARMVM_OBJS:.o=.d)
-include $(FUZZ_OBJS:.o=.d)
-include $(CONFORM_OBJS:.o=.d)
-include $(O)/conform/uefi/pure.d
