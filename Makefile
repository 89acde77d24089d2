# plumb: top-level Makefile. `make help` lists the targets.
#
# The module itself is described by Kbuild (kernel build rules); this file
# drives it, builds the launcher and the tests, and runs them.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Newest Debian amd64 headers installed; never `uname -r` (see README).
KDIR ?= $(shell scripts/kernels.sh kdir)

CC ?= gcc
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-truncation=2 \
	-Wformat-overflow=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wold-style-definition -Wmissing-declarations -Wredundant-decls \
	-Wnested-externs -Wundef -Wpointer-arith -Wcast-align -Wcast-qual \
	-Wwrite-strings -Wvla -Wnull-dereference -Wimplicit-fallthrough \
	-Wlogical-op -Wduplicated-cond -Wduplicated-branches -Wdouble-promotion \
	-Wsign-compare -Wmissing-include-dirs -Wunused -Wuninitialized \
	-Wstrict-overflow=2 -Wswitch-default -Walloca
USER_CFLAGS := -std=gnu11 -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
	$(WARN) -Iinclude/uapi -Iinclude $(EXTRA_CFLAGS)

UAPI := include/uapi/linux/plumb.h
# The management plane's generic netlink family.
UAPI_GENL := include/uapi/linux/plumb_genl.h
# Userspace's names for the uapi's values (exit reasons, the management
# plane's reasons, events and states).
NAMES := include/plumb/names.h

# The launcher: user/ (commands), core/ (the VM), dev/ and virtio/
# (devices), boot/ (loaders), mgmt/ (the management plane's commands);
# headers are included from user/.
USER_DIRS := user user/core user/dev user/virtio user/boot user/mgmt
USER_SRCS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.c))
USER_HDRS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.h))
# Everything but main(): the unit tests link it too.
USER_LIB_SRCS := $(filter-out user/main.c,$(USER_SRCS)) user/boot/default_guest.S
# libnl-route for virtio-net's tap, libnl-genl and json-c for the
# management plane (system headers: no warnings of theirs).
USER_PKGS := libnl-route-3.0 libnl-genl-3.0 json-c
NL_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(USER_PKGS)))
USER_CFLAGS += $(NL_CFLAGS)
USER_LIBS := -lpthread $(shell pkg-config --libs $(USER_PKGS))
INTEG_SRCS := $(wildcard tests/integration/t_*.c)
INTEG_BINS := $(INTEG_SRCS:.c=)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:.c=)

.PHONY: all module user tests-bin deps bench bench-bus demo libvirt-check check check-full check-kvm-ref check-unit check-build \
	check-svm check-vmx check-harness check-pic-loop fuzz install clean help \
	soak soak-bin kut

all: module user tests-bin

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user: user/plumb

user/plumb: $(USER_SRCS) $(USER_HDRS) $(UAPI) $(UAPI_GENL) $(NAMES) \
		user/boot/default_guest.S user/guest/default.elf
	$(CC) $(USER_CFLAGS) -Iuser -o $@ $(USER_SRCS) user/boot/default_guest.S \
		$(USER_LIBS)

# plumb's own multiboot guests: 32-bit freestanding C, loaded at 1 MiB.
GUEST_CFLAGS := -m32 -march=i686 -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-builtin -fno-delete-null-pointer-checks \
	-mgeneral-regs-only -O2 -g -Wall -Wextra -Werror -Iuser/guest
GUEST_LIB := user/guest/start.S user/guest/lib.c user/guest/lib.h \
	user/guest/guest.lds
user/guest/default.elf tests/guests/mbcheck.elf tests/guests/vcheck.elf tests/guests/qbench.elf: $(GUEST_LIB)
user/guest/default.elf: user/guest/default.c
tests/guests/mbcheck.elf: tests/guests/mbcheck.c
tests/guests/vcheck.elf: tests/guests/vcheck.c
tests/guests/qbench.elf: tests/guests/qbench.c
user/guest/default.elf tests/guests/mbcheck.elf tests/guests/vcheck.elf tests/guests/qbench.elf:
	$(CC) $(GUEST_CFLAGS) -nostdlib -static -no-pie -Wl,-m,elf_i386 \
		-Wl,-T,user/guest/guest.lds -Wl,-z,noexecstack -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments \
		-o $@ user/guest/start.S user/guest/lib.c \
		$(filter-out user/guest/lib.c,$(filter %.c,$^))

# Test guests: NAME-MODE.bin from tests/guests/NAME.S, loaded at 0x1000.
GUEST_BINS := $(addprefix tests/guests/,hello-16.bin hello-32.bin \
	hello-64.bin cpuid-32.bin msr-64.bin triple-32.bin loop-64.bin \
	memsum-64.bin mmio-64.bin rep-32.bin burst-64.bin spin-64.bin \
	avx-64.bin bench-64.bin apic-64.bin ipi-64.bin sipi-64.bin modes-16.bin \
	postspin-64.bin smpup-64.bin xcr0-64.bin pkru-64.bin wbinvd-64.bin \
	dbg-64.bin dbloop-64.bin acloop-32.bin timerloop-64.bin softint-64.bin \
	events-64.bin dirty-32.bin)

tests-bin: $(INTEG_BINS) $(UNIT_BINS) $(GUEST_BINS) tests/guests/mbcheck.elf \
	tests/guests/vcheck.elf tests/guests/qbench.elf \
	bench/exitbench tests/guests/bootinit

# /init of the initramfs that Linux guests boot into (run_linux.sh).
tests/guests/bootinit: tests/guests/bootinit.c
	$(CC) -static -Os $(WARN) -o $@ $<

# The launcher's per-exit cost from N vCPU threads, no guest (bench/README.md).
bench/busbench: bench/busbench.c $(USER_LIB_SRCS) $(USER_HDRS) $(UAPI) \
		user/guest/default.elf
	$(CC) $(USER_CFLAGS) -Iuser -o $@ $< $(USER_LIB_SRCS) $(USER_LIBS)

bench-bus: bench/busbench
	bench/busbench.sh

bench/exitbench: bench/exitbench.c tests/integration/vmlib.c \
		tests/integration/vmlib.h $(UAPI) $(NAMES)
	$(CC) $(USER_CFLAGS) -o $@ $< tests/integration/vmlib.c

# t_guest: its main and one file per subject (tests/integration/guest/).
T_GUEST_SRCS := tests/integration/t_guest.c $(wildcard tests/integration/guest/*.c)
tests/integration/t_guest: $(T_GUEST_SRCS) tests/integration/guest/guest.h \
		tests/integration/testlib.h tests/integration/vmlib.c \
		tests/integration/vmlib.h $(UAPI) $(NAMES)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $(T_GUEST_SRCS) tests/integration/vmlib.c

# t_mgmt reads the management plane through libnl-genl.
tests/integration/t_mgmt: tests/integration/t_mgmt.c tests/integration/testlib.h \
		tests/integration/vmlib.c tests/integration/vmlib.h $(UAPI) $(NAMES) \
		include/uapi/linux/plumb_genl.h
	$(CC) $(USER_CFLAGS) -pthread -o $@ $< tests/integration/vmlib.c \
		$(shell pkg-config --libs libnl-genl-3.0)

# The two ABI fuzzers (/dev/plumb, /dev/plumb-kvm) and what they share.
FUZZ_BINS := tests/integration/t_fuzz tests/integration/t_kvmfuzz
$(FUZZ_BINS): %: %.c tests/integration/fuzzlib.c tests/integration/fuzzlib.h \
		tests/integration/vmlib.c tests/integration/vmlib.h $(UAPI) $(NAMES)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $< tests/integration/fuzzlib.c \
		tests/integration/vmlib.c

tests/integration/t_%: tests/integration/t_%.c tests/integration/testlib.h \
		tests/integration/vmlib.c tests/integration/vmlib.h $(UAPI) $(NAMES)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $< tests/integration/vmlib.c

tests/guests/%.bin: tests/guests/guest.h $(wildcard tests/guests/*.S)
	$(CC) -c -x assembler-with-cpp -DMODE=$(word 2,$(subst -, ,$*)) \
		-o tests/guests/$*.o tests/guests/$(word 1,$(subst -, ,$*)).S
	ld -m elf_x86_64 -Ttext=0x1000 -e _start -o tests/guests/$*.elf \
		tests/guests/$*.o
	objcopy -O binary -j .text tests/guests/$*.elf $@

# UAPI_HEADER, UAPI_GENL_HEADER: tests that check a list against the
# headers read them (tests/unit/uapi_defines.h).
tests/unit/%: tests/unit/%.c $(UAPI) $(UAPI_GENL) tests/unit/uapi_defines.h
	$(CC) $(USER_CFLAGS) -DUAPI_HEADER='"$(CURDIR)/$(UAPI)"' \
		-DUAPI_GENL_HEADER='"$(CURDIR)/$(UAPI_GENL)"' \
		$$(pkg-config --cflags check) -o $@ $< $$(pkg-config --libs check)

# Every exit reason the uapi header defines has a name: the test reads it.
tests/unit/test_names: $(NAMES) $(UAPI_GENL)

# The management plane's parser and renderer, on messages built in memory
# as the module builds them, and its socket layer against a fake kernel in
# libnl's send and receive hooks (no module).
MGMT_LIB_SRCS := user/mgmt/msg.c user/mgmt/render.c user/mgmt/genl.c
tests/unit/test_mgmt: tests/unit/test_mgmt.c $(MGMT_LIB_SRCS) user/mgmt/mgmt.h \
		$(UAPI_GENL) $(NAMES)
	$(CC) $(USER_CFLAGS) -Iuser $$(pkg-config --cflags check) -o $@ $< \
		$(MGMT_LIB_SRCS) $$(pkg-config --libs check) $(USER_LIBS)

# The APIC model is kernel code built for userspace too (kmod/apic.h).
tests/unit/test_apic: tests/unit/test_apic.c kmod/apic.c kmod/apic.h
	$(CC) $(USER_CFLAGS) -Ikmod $$(pkg-config --cflags check) -o $@ $< \
		kmod/apic.c $$(pkg-config --libs check)

# The speculation policy is kernel code built for userspace too (kmod/spec.h).
tests/unit/test_spec: tests/unit/test_spec.c kmod/spec.c kmod/spec.h
	$(CC) $(USER_CFLAGS) -Ikmod $$(pkg-config --cflags check) -o $@ $< \
		kmod/spec.c $$(pkg-config --libs check)

# Loaders and devices are tested through the launcher's own code.
tests/unit/test_loaders tests/unit/test_devices tests/unit/test_virtio: tests/unit/%: tests/unit/%.c \
		$(USER_LIB_SRCS) $(USER_HDRS) $(UAPI) user/guest/default.elf
	$(CC) $(USER_CFLAGS) -Iuser $$(pkg-config --cflags check) -o $@ $< \
		$(USER_LIB_SRCS) $$(pkg-config --libs check) $(USER_LIBS)

# The XSETBV rules are kernel code built for userspace too (kmod/xcr0.h).
tests/unit/test_xcr0: tests/unit/test_xcr0.c kmod/xcr0.c kmod/xcr0.h kmod/pure.h
	$(CC) $(USER_CFLAGS) -Ikmod $$(pkg-config --cflags check) -o $@ $< \
		kmod/xcr0.c $$(pkg-config --libs check)

# SET_SREGS' state checks are kernel code built for userspace too.
tests/unit/test_sregs: tests/unit/test_sregs.c kmod/sregs.c kmod/sregs.h kmod/pure.h $(UAPI)
	$(CC) $(USER_CFLAGS) -Ikmod $$(pkg-config --cflags check) -o $@ $< \
		kmod/sregs.c $$(pkg-config --libs check)

# The decoder is kernel code built for userspace too (kmod/decode.h).
tests/unit/test_decode: tests/unit/test_decode.c kmod/decode.c kmod/decode.h
	$(CC) $(USER_CFLAGS) -Ikmod $$(pkg-config --cflags check) -o $@ $< \
		kmod/decode.c $$(pkg-config --libs check)

# The soak tests' programs (not part of tests-bin: make soak only).
SOAK_BINS := tests/soak/t_soak tests/guests/soakser-64.bin
soak-bin: $(SOAK_BINS)
tests/soak/t_soak: tests/soak/t_soak.c tests/integration/testlib.h \
		tests/integration/vmlib.c tests/integration/vmlib.h $(UAPI) $(NAMES)
	$(CC) $(USER_CFLAGS) -Itests/integration -o $@ $< tests/integration/vmlib.c

deps:
	scripts/deps.sh

# Not a test: plumb against Debian's KVM in the emulated hosts (bench/).
bench:
	bench/run.sh

# Not in check: libvirt (Debian's) boots a guest on plumb's KVM ABI in an
# emulated host (tests/libvirt/run.sh; HOST, default qemu-svm-6.12).
libvirt-check:
	tests/libvirt/run.sh $(HOST)

# Boots plumb's default guest: here if /dev/plumb exists, else emulated.
demo: user tests-bin
	@scripts/demo.sh

# Chaos and kill tests in the emulated hosts; not part of check or CI
# (docs/testing.md "Soak"). HOST, SEED, GUESTS, KILLS, MINUTES, VMS.
soak: user tests-bin soak-bin
	tests/soak/soak.sh

# kvm-unit-tests (built outside the tree, KUT=DIR) through their own
# run_tests.sh in an emulated host: QEMU on plumb's KVM personality, QEMU
# on Debian's KVM, plumb's launcher. Not part of check or CI (an hour and
# more; docs/testing.md "kvm-unit-tests"). HOST, KUT_DRIVERS, KUT_TESTS,
# KUT_TIMEOUT.
# make check, and the matrices' long tails on the Bochs hosts too ("full"
# in tests.cfg: the Debian 6.1 guests, 64 vCPUs, QEMU's virtio and reboot
# cases on VMX). Not in CI: more than an hour.
check-full: user tests-bin
	PLUMB_FULL=1 tests/run.sh all

# The QEMU cases against Debian's KVM, which check the tests themselves.
check-kvm-ref: user tests-bin
	PLUMB_KVM_REF=1 tests/run.sh host $(or $(HOST),qemu-svm-6.12) qemu_kvm_boot1,qemu_kvm_boot2,qemu_kvm_virtio,qemu_kvm_microvm,qemu_kvm_reboot

kut: user tests-bin
	tests/kut/run-kut.sh

# Each prints a final "N passed, N failed" line; results under build/results.
check: user tests-bin
	tests/run.sh all
check-unit: tests-bin
	tests/run.sh unit
check-build:
	tests/run.sh build
check-svm: user tests-bin
	tests/run.sh svm
check-vmx: user tests-bin
	tests/run.sh vmx
check-harness: user tests-bin
	tests/run.sh harness
# Not in check: 5 to 8 minutes a round (docs/testing.md, decision 112).
check-pic-loop: user tests-bin
	tests/harness/pic-loop.sh $(or $(ROUNDS),2)

# The ABI fuzzers in the emulated hosts, one at a time (tests/fuzz.sh):
# FUZZ_ABI=kvm for /dev/plumb-kvm, FUZZ_SECS for a time limit.
SEED ?= 1
OPS ?= 100000
fuzz: user tests-bin
	tests/fuzz.sh $(SEED) $(OPS) $(HOST)

install: user
	install -D -m 0755 user/plumb $(DESTDIR)/usr/local/bin/plumb
	ln -sf plumb $(DESTDIR)/usr/local/bin/plumb-qemu	# QEMU-compatible entry
	install -D -m 0644 packaging/60-plumb.rules \
		$(DESTDIR)/etc/udev/rules.d/60-plumb.rules
	install -D -m 0644 packaging/plumb-memlock.conf \
		$(DESTDIR)/etc/security/limits.d/plumb-memlock.conf
	install -D -m 0644 docs/plumb.1 $(DESTDIR)/usr/local/share/man/man1/plumb.1

clean:
	-[ -d "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f user/plumb $(INTEG_BINS) $(UNIT_BINS) tests/guests/*.bin \
		tests/guests/*.o tests/guests/*.elf user/guest/*.elf \
		tests/guests/bootinit tests/soak/t_soak bench/busbench
	rm -rf build/kmod build/results build/initramfs build/hosts

help:
	@echo "make deps         install every Debian package needed (root)"
	@echo "make demo         boot plumb's default guest (in an emulated host if needed)"
	@echo "make              build plumb.ko (KDIR=$(KDIR)), user/plumb and the tests"
	@echo "make check        unit + build + every emulated host; ends 'N passed, N failed'"
	@echo "make check-unit   ABI pins (Check)"
	@echo "make check-build  W=1 and sparse builds on 6.1 and 6.12, DKMS on both"
	@echo "make check-svm    QEMU SVM hosts (6.1, 6.12), Bochs zambezi, no-VT hosts"
	@echo "make check-vmx    Bochs corei7_haswell_4770 host"
	@echo "make check-harness  proves the harness fails a broken module"
	@echo "make bench-bus    the launcher's per-exit cost from 1-64 vCPU threads (no guest)"
	@echo "make fuzz SEED=1 OPS=100000 [HOST=qemu-svm-6.1] [FUZZ_OPTS='--no sregs']"
	@echo "                  the ABI fuzzer in each VT host (default: all), one at a time"
	@echo "make fuzz FUZZ_ABI=kvm SEED=1 OPS=10000000 FUZZ_SECS=3600 HOST=qemu-svm-6.12"
	@echo "                  the KVM ABI's fuzzer (/dev/plumb-kvm), an hour"
	@echo "make soak         chaos and kill tests, not in check: [HOST=qemu-svm-6.1]"
	@echo "                  [SEED=] [GUESTS=10000] [KILLS=100] [MINUTES=10] [VMS=32]"
	@echo "make kut KUT=DIR  kvm-unit-tests under QEMU on plumb, QEMU on KVM and plumb, not in check:"
	@echo "                  [HOST=qemu-svm-6.12] [KUT_DRIVERS=plumb,kvm,launcher] [KUT_TESTS=...]"
	@echo "make check-pic-loop ROUNDS=N  linux_pic/linux_pit, 16 per round (5-8 min each)"
