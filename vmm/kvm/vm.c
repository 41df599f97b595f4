// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <libfdt.h>

#include "devices/pl011.h"
#include "devices/pci.h"
#include "lib/confine.h"
#include "lib/jail.h"
#include "lib/util.h"
#include "virtio/balloon.h"
#include "vmm/console.h"
#include "vmm/fdt.h"
#include "vmm/kvm/ioevent.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/migrate.h"
#include "vmm/kvm/snapshot.h"
#include "vmm/kvm/vm.h"
#include "vmm/machine.h"
#include "vmm/plan.h"
#include "vmm/platform.h"
#include "vmm/snapshot.h"

#define KVM_API_VERSION_EXPECTED 12
#define VCPU_KICK_SIGNAL	 SIGUSR1
#define MAX_INITRD_SIZE		 (2ULL << 30)

void vm_post_event(struct vm *vm, enum vm_event event)
{
	pthread_mutex_lock(&vm->event_lock);
	if (vm->event == VM_EVENT_NONE) {
		vm->event = event;
		pthread_cond_signal(&vm->event_cond);
	}
	pthread_mutex_unlock(&vm->event_lock);
}

bool vm_event_pending(struct vm *vm)
{
	bool pending;

	pthread_mutex_lock(&vm->event_lock);
	pending = vm->event != VM_EVENT_NONE;
	pthread_mutex_unlock(&vm->event_lock);
	return pending;
}

static size_t uart_input(void *opaque, const uint8_t *buf, size_t len)
{
	return pl011_receive(opaque, buf, len);
}

static void console_quit(void *opaque)
{
	vm_post_event(opaque, VM_EVENT_QUIT);
}

static int open_kvm(struct vm *vm)
{
	int api;

	vm->kvm_fd = kvm_open(vm->cfg->kvm_path);
	if (vm->kvm_fd < 0) {
		int e = errno;

		pr_err(
		    "%s: cannot open: %s (%s)", vm->cfg->kvm_path, strerror(e),
		    e == EACCES
			? "add your user to the 'kvm' group"
			: "armvm needs an arm64 Linux host with KVM enabled");
		return -1;
	}
	api = kvm_api_version(vm->kvm_fd);
	if (api != KVM_API_VERSION_EXPECTED) {
		pr_err("%s: KVM API version %d, expected %d", vm->cfg->kvm_path,
		       api, KVM_API_VERSION_EXPECTED);
		return -1;
	}
	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_ARM_PSCI_0_2) ||
	    !kvm_check_cap(vm->kvm_fd, KVM_CAP_ONE_REG) ||
	    !kvm_check_cap(vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT)) {
		pr_err(
		    "%s: this host's KVM lacks PSCI 0.2, ONE_REG or IMMEDIATE_EXIT (Linux 4.16 or later is needed)",
		    vm->cfg->kvm_path);
		return -1;
	}
	vm->vcpu_mmap_size = kvm_vcpu_mmap_size(vm->kvm_fd);
	if (vm->vcpu_mmap_size <= 0) {
		pr_err("%s: KVM_GET_VCPU_MMAP_SIZE failed", vm->cfg->kvm_path);
		return -1;
	}
	return 0;
}

/*
 * What this host's KVM offers, for the plan (vmm/plan.c decides from it).
 *
 * Test hooks, which only ever refuse more: ARMVM_TEST_NO_EL1_32BIT=1 in
 * the environment makes armvm treat KVM_CAP_ARM_EL1_32BIT as absent, so
 * that the refusal of a 32-bit guest is tested on hosts that have it
 * (tests/sandbox/aarch32.sh); ARMVM_TEST_NO_GICV3=1 hides the GICv3 (and
 * its ITS), so that restoring a GICv3 VM on a host without one is tested
 * on a host with one (tests/sandbox/snapshot.sh).
 */
static int probe_host(struct vm *vm, struct host_caps *host)
{
	const char *hook = getenv("ARMVM_TEST_NO_EL1_32BIT");
	int probe = kvm_create_vm(vm->kvm_fd);
	int max_vcpus;

	if (probe < 0) {
		pr_err("%s: cannot create a VM: %s", vm->cfg->kvm_path,
		       strerror(errno));
		return -1;
	}
	host->gicv3 = kvm_gic_supported(probe, 3);
	host->gicv2 = kvm_gic_supported(probe, 2);
	host->its = kvm_its_supported(probe);
	close(probe);
	hook = getenv("ARMVM_TEST_NO_GICV3");
	if (hook && !strcmp(hook, "1"))
		host->gicv3 = host->its = false;
	hook = getenv("ARMVM_TEST_NO_EL1_32BIT");
	host->el1_32bit = kvm_check_cap(vm->kvm_fd, KVM_CAP_ARM_EL1_32BIT);
	if (hook && !strcmp(hook, "1")) {
		host->el1_32bit = false;
		host->no_el1_32bit_why = "ARMVM_TEST_NO_EL1_32BIT=1";
	}
	max_vcpus = kvm_check_cap(vm->kvm_fd, KVM_CAP_MAX_VCPUS);
	host->max_vcpus = max_vcpus > 0 ? (unsigned int)max_vcpus : 0;
	return 0;
}

/* The platform's irq_sink: an SPI of the in-kernel GIC. */
static void set_irq(void *opaque, uint32_t spi, bool level)
{
	struct vm *vm = opaque;

	pthread_mutex_lock(&vm->irq_lock);
	if (vm->vm_fd >= 0 && kvm_irq_line_spi(vm->vm_fd, spi, level) < 0)
		pr_warn("cannot set interrupt SPI %u: %s", spi,
			strerror(errno));
	pthread_mutex_unlock(&vm->irq_lock);
}

/* The platform's msi_sink for KVM's GICv3 ITS, by requester id (a GICv2's
 * MSIs go to armvm's own GICv2m frame instead: vmm/platform.c). */
static bool send_msi(void *opaque, uint64_t address, uint32_t data,
		     uint32_t requester_id)
{
	struct vm *vm = opaque;
	int r = -1;

	pthread_mutex_lock(&vm->irq_lock);
	if (vm->vm_fd >= 0)
		r = kvm_signal_msi(vm->vm_fd, address, data, requester_id);
	pthread_mutex_unlock(&vm->irq_lock);
	return r > 0;
}

/* The platform's map_rom: a read-only memslot per flash bank. */
static int map_rom(void *opaque, enum machine_region region, void *host,
		   uint64_t size)
{
	struct vm *vm = opaque;
	int slot = region == MR_FLASH_CODE ? SLOT_FLASH_CODE : SLOT_FLASH_VARS;

	if (region != MR_FLASH_CODE && region != MR_FLASH_VARS) {
		errno = EINVAL;
		return -1;
	}
	return kvm_set_memory(vm->vm_fd, slot, true, machine_map[region].base,
			      size, host);
}

/*
 * Guest RAM, 2 MiB aligned in armvm's address space like in the guest's:
 * only then can KVM map it with 2 MiB blocks at stage 2 when the host backs
 * it with transparent huge pages (unaligned, every page is a 4 KiB fault:
 * ~3x the exits while booting, measured in bench/uefi-boot.sh).
 */
uint8_t *vm_alloc_ram(uint64_t size)
{
	uint64_t span = size + SZ_2M;
	uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *ram;

	if (p == MAP_FAILED)
		return NULL;
	ram = (uint8_t *)ALIGN_UP((uintptr_t)p, SZ_2M);
	/* Give back the slack on both sides. */
	if (ram > p)
		munmap(p, ram - p);
	munmap(ram + size, (p + span) - (ram + size));
	madvise(ram, size, MADV_HUGEPAGE);
	/* A core dump of armvm must not carry the guest's memory (its keys,
	 * its users' data) nor cost gigabytes (issue 11). */
	madvise(ram, size, MADV_DONTDUMP);
	return ram;
}

/* Milliseconds since `armvm run` started (cfg->started). */
static double ms_since_start(const struct vm *vm)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - vm->cfg->started.tv_sec) * 1e3 +
	       (double)(now.tv_nsec - vm->cfg->started.tv_nsec) / 1e6;
}

/* The CPU time armvm's threads have used since exec, in milliseconds: a
 * vCPU thread's time in KVM_RUN (the guest running) counts too. */
static double process_cpu_ms(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) < 0)
		return -1;
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/*
 * The boot marker's callback (devices/boot_marker.h), on the writing
 * vCPU's thread: when the guest got there and what it cost armvm so far.
 * The vCPU table is stable while a vCPU thread runs (teardown joins them
 * first).
 */
static void boot_mark(void *opaque, uint32_t value)
{
	struct vm *vm = opaque;
	uint64_t returns = 0;

	for (unsigned int i = 0; i < vm->cfg->cpus; i++)
		returns += atomic_load_explicit(&vm->vcpus[i].returns,
						memory_order_relaxed);
	pr_notice("boot marker %u: %.1f ms after start, armvm CPU %.1f ms, "
		  "%llu returns from KVM_RUN this boot",
		  value, ms_since_start(vm), process_cpu_ms(),
		  (unsigned long long)returns);
}

/*
 * Start-up cost, once a process (-v, --boot-marker): wall and CPU time
 * from `armvm run`'s start to the first KVM_RUN (issue 15 item 3;
 * Firecracker's bar is 8 CPU-ms on hardware). The CPU time counts from
 * exec: the dynamic loader's work is in it.
 */
static void report_startup(struct vm *vm)
{
	if (!armvm_verbose && !vm->cfg->boot_marker)
		return;
	if (atomic_exchange(&vm->startup_reported, true))
		return;
	pr_notice("start-up: %.1f ms after start, armvm CPU %.1f ms, at the "
		  "first KVM_RUN",
		  ms_since_start(vm), process_cpu_ms());
}

static int vm_setup(struct vm *vm, const struct vm_config *cfg,
		    struct snapshot *restore)
{
	struct platform_glue glue = {
	    .irq = {.set_level = set_irq, .opaque = vm},
	    .msi = {.send = send_msi, .opaque = vm},
	    .map_rom = map_rom,
	    .boot_mark = boot_mark,
	    .opaque = vm,
	};
	struct guest_files found = {.arch = VM_ARCH_AUTO};
	struct doorbell_sink doorbells;
	struct boot_layout layout;
	struct host_caps host = {0};

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->gic_fd = vm->its_fd = -1;
	pthread_mutex_init(&vm->irq_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_mutex_init(&vm->snapshot_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
	pthread_mutex_init(&vm->event_lock, NULL);
	pthread_cond_init(&vm->event_cond, NULL);

	/* Check the user's files first: they are the likeliest mistake. */
	if (cfg->kernel) {
		if (kernel_image_load(cfg->kernel, &vm->kernel) < 0)
			return -1;
		found.arch =
		    vm->kernel.aarch32 ? VM_ARCH_AARCH32 : VM_ARCH_AARCH64;
		found.what = cfg->kernel;
		if (cfg->initrd &&
		    read_file(cfg->initrd, &vm->initrd, &vm->initrd_size,
			      MAX_INITRD_SIZE) < 0)
			return -1;
		if (boot_plan(machine_map[MR_RAM].base, cfg->memory,
			      &vm->kernel, vm->initrd_size, &layout) < 0)
			return -1;
	}
	vm->console = console_open(STDIN_FILENO, STDOUT_FILENO);
	if (!vm->console) {
		pr_err("console: out of memory");
		return -1;
	}
	platform_init(&vm->platform, cfg, &glue, vm->console);
	/* For a UEFI boot this also reads what the disk boots. */
	if (platform_create(&vm->platform, &found) < 0)
		return -1;
	if (open_kvm(vm) < 0 || probe_host(vm, &host) < 0 ||
	    (restore && vm_restore_check_host(restore, &host) < 0) ||
	    machine_plan_decide(cfg, &found, &host, &vm->plan) < 0 ||
	    platform_apply_plan(&vm->platform, &vm->plan) < 0)
		return -1;
	vm->ioevents = ioevents_create(vm);
	if (!vm->ioevents)
		return -1;
	ioevents_sink(vm->ioevents, &doorbells);
	platform_set_doorbells(&vm->platform, &doorbells);

	vm->ram_size = vm->plan.ram_size;
	if (restore && restore->ram) {
		/* A live migration's: received into place (vm_alloc_ram). */
		if (restore->ram_size != vm->ram_size) {
			pr_err("%s: the stream's RAM is %llu bytes; the VM's "
			       "options make %llu",
			       restore->dir,
			       (unsigned long long)restore->ram_size,
			       (unsigned long long)vm->ram_size);
			return -1;
		}
		vm->ram = restore->ram;
		restore->ram = NULL;
	} else {
		vm->ram = vm_alloc_ram(vm->ram_size);
	}
	if (!vm->ram) {
		pr_err("--memory %llu MiB: cannot allocate guest RAM: %s",
		       (unsigned long long)(vm->ram_size >> 20),
		       strerror(errno));
		return -1;
	}
	/* What the devices write into RAM, for live migration
	 * (lib/guest_mem.h): one bit per host page, as KVM's dirty log. */
	vm->dirty.page_shift =
	    (unsigned int)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
	vm->dirty.pages = vm->ram_size >> vm->dirty.page_shift;
	vm->dirty.bits = calloc((vm->dirty.pages + 63) / 64, sizeof(uint64_t));
	if (!vm->dirty.bits) {
		pr_err("out of memory");
		return -1;
	}
	vm->platform.mem = (struct guest_mem){.host = vm->ram,
					      .base = machine_map[MR_RAM].base,
					      .size = vm->ram_size,
					      .dirty = &vm->dirty};
	return 0;
}

int vm_init(struct vm *vm, const struct vm_config *cfg)
{
	return vm_setup(vm, cfg, NULL);
}

int vm_init_restore(struct vm *vm, const struct vm_config *cfg,
		    struct snapshot *s)
{
	if (vm_setup(vm, cfg, s) < 0)
		return -1;
	vm->restore = s;
	return vm_restore_prepare(vm, s);
}

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

static void vcpu_fail(struct vcpu *vcpu, const char *what)
{
	pr_err("vCPU %u: %s", vcpu->index, what);
	vm_post_event(vcpu->vm, VM_EVENT_ERROR);
}

/* Wait while the VM is paused. KVM keeps the vCPU's state meanwhile. */
static void park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	/*
	 * An MMIO access served since the last KVM_RUN is complete only once
	 * KVM has put a load's value in its register and moved the PC on,
	 * which it does at the next KVM_RUN (api.rst, KVM_EXIT_MMIO). Do it
	 * now, with immediate_exit (the kick set it) so that no guest code
	 * runs: a snapshot must not catch the access half done, or the
	 * restored guest would do it again (a UART byte read twice, a flash
	 * command written twice). KVM notes the completion, and the next
	 * KVM_RUN does not complete it again.
	 */
	if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
		vcpu->run->immediate_exit = 1;
		kvm_run_vcpu(vcpu->fd, &vcpu->tls);
		vcpu->run->exit_reason = KVM_EXIT_INTR;
	}
	pthread_mutex_lock(&vm->pause_lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (vm->pause_requested && !vm->stopping)
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->parked--;
	/* The kick that brought us here must not end the next KVM_RUN. */
	vcpu->run->immediate_exit = 0;
	pthread_mutex_unlock(&vm->pause_lock);
}

/*
 * Make every vCPU thread return to its loop: out of KVM_RUN, and out of
 * a console write that waits for a full stdout. Called with pause_lock
 * held: the control thread (pause) kicks while the main thread may be
 * replacing vm->vcpus for the next boot, and pause_lock is what publishes
 * the array, its threads and their run structures (ThreadSanitizer saw a
 * pause read thread_started as a reboot wrote it).
 */
static void kick_vcpus(struct vm *vm)
{
	console_hold_output(vm->console, true);
	for (unsigned int i = 0; vm->vcpus && i < vm->cfg->cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->thread_started)
			continue;
		/* immediate_exit closes the race with a thread about to
		 * enter KVM_RUN; the signal interrupts one already in it. */
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
}

int vm_pause(struct vm *vm)
{
	struct timespec deadline;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	pthread_mutex_lock(&vm->pause_lock);
	vm->pause_requested = true;
	kick_vcpus(vm);
	while (vm->parked < vm->cfg->cpus && r == 0 && !vm->stopping)
		r = pthread_cond_timedwait(&vm->pause_cond, &vm->pause_lock,
					   &deadline);
	/*
	 * The guest's virtual counter stops with it (as QEMU's does for a
	 * stopped VM): read once here, written back at the resume, so that
	 * a paused guest, or one saved and restored, finds no time gone by
	 * (its timers do not all fire at once) and a snapshot of a paused
	 * VM is always the same. Its wall clock then lags behind; the RTC
	 * (pl031) and NTP tell it the time.
	 */
	if (r == 0 && !vm->stopping && vm->vcpus && !vm->counter_frozen &&
	    kvm_get_reg64(vm->vcpus[0].fd, kvm_reg_timer_cnt(),
			  &vm->frozen_counter) == 0)
		vm->counter_frozen = true;
	pthread_mutex_unlock(&vm->pause_lock);
	return r ? -1 : 0;
}

void vm_resume(struct vm *vm)
{
	/* Migrated: the VM runs elsewhere now, never here again. */
	if (atomic_load(&vm->migrated))
		return;
	pthread_mutex_lock(&vm->pause_lock);
	if (vm->counter_frozen && vm->vcpus &&
	    kvm_set_reg64(vm->vcpus[0].fd, kvm_reg_timer_cnt(),
			  vm->frozen_counter) < 0)
		pr_warn("resume: cannot set the guest's virtual counter "
			"back: %s",
			strerror(errno));
	vm->counter_frozen = false;
	vm->pause_requested = false;
	console_hold_output(vm->console, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_running_boot(struct vm *vm)
{
	bool ok;

	pthread_mutex_lock(&vm->pause_lock);
	ok = vm->pause_requested && !vm->stopping && vm->vcpus &&
	     vm->parked == vm->cfg->cpus;
	pthread_mutex_unlock(&vm->pause_lock);
	return ok && !vm_event_pending(vm);
}

bool vm_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->pause_lock);
	paused = vm->pause_requested;
	pthread_mutex_unlock(&vm->pause_lock);
	return paused;
}

/*
 * Test hook: ARMVM_TEST_CLOBBER_TLS=N makes each vCPU thread's Nth return
 * from KVM_RUN come back with a foreign TPIDR_EL0, as the faulty host did
 * (kvm_run_vcpu), so that the guard is tested on a host that behaves
 * (tests/sandbox/vm-boot.sh).
 */
static unsigned long test_clobber_tls_at(void)
{
	const char *hook = getenv("ARMVM_TEST_CLOBBER_TLS");

	return hook ? strtoul(hook, NULL, 10) : 0;
}

/*
 * kvm_run_vcpu found one of this thread's EL0 thread registers (reg, c)
 * changed by KVM_RUN, and put TPIDR_EL0 back. Say so: a guest that crashes
 * next is the host's fault, not its own or armvm's. With repair, a guest
 * whose register now holds armvm's value had the two swapped by the host
 * and gets its own back. Not for TPIDRRO_EL0: armvm's value there is 0,
 * which many guests' own is too, so it would prove no swap.
 */
static void report_reg_change(struct vcpu *vcpu, const char *name, uint64_t reg,
			      struct kvm_reg_change *c, bool repair)
{
	uint64_t guest = 0;
	bool read = kvm_get_reg64(vcpu->fd, reg, &guest) == 0;
	bool swapped = repair && read && guest == c->ours &&
		       kvm_set_reg64(vcpu->fd, reg, c->found) == 0;

	c->reported = c->count;
	pr_warn(
	    "vCPU %u: KVM_RUN returned with this thread's %s changed "
	    "(0x%llx, not 0x%llx; %lu times now; the guest's holds 0x%llx), "
	    "a host kernel fault%s%s",
	    vcpu->index, name, (unsigned long long)c->found,
	    (unsigned long long)c->ours, c->count, (unsigned long long)guest,
	    repair ? "; armvm put its own back" : "",
	    swapped ? " and gave the guest its own" : "");
}

static void *vcpu_thread(void *opaque)
{
	struct vcpu *vcpu = opaque;
	struct vm *vm = vcpu->vm;
	struct kvm_run *run = vcpu->run;
	char msg[160];
	int r;

	confine_thread(CONFINE_VCPU);
	report_startup(vm); /* just before its first KVM_RUN */
	while (!vm->stopping) {
		if (vm->pause_requested) {
			park(vcpu);
			continue;
		}
		r = kvm_run_vcpu(vcpu->fd, &vcpu->tls);
		/* Only the boot marker reads it: keep the exit path lean. */
		if (vm->cfg->boot_marker)
			atomic_store_explicit(
			    &vcpu->returns,
			    atomic_load_explicit(&vcpu->returns,
						 memory_order_relaxed) +
				1,
			    memory_order_relaxed);
		if (vcpu->tls.tpidr.count != vcpu->tls.tpidr.reported)
			report_reg_change(vcpu, "TPIDR_EL0",
					  kvm_reg_tpidr_el0(), &vcpu->tls.tpidr,
					  true);
		if (vcpu->tls.tpidrro.count != vcpu->tls.tpidrro.reported)
			report_reg_change(vcpu, "TPIDRRO_EL0",
					  kvm_reg_tpidrro_el0(),
					  &vcpu->tls.tpidrro, false);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == EFAULT &&
			    platform_explain_efault(&vm->platform)) {
				vm_post_event(vm, VM_EVENT_ERROR);
				break;
			}
			snprintf(msg, sizeof(msg), "KVM_RUN failed: %s",
				 strerror(errno));
			vcpu_fail(vcpu, msg);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			/* Statistics only with -v: keep the exit path lean. */
			if (armvm_verbose)
				vcpu->mmio_exits[machine_region_of(
				    run->mmio.phys_addr)]++;
			if (!bus_access(&vm->platform.bus, run->mmio.phys_addr,
					run->mmio.is_write, run->mmio.len,
					run->mmio.data))
				pr_info(
				    "vCPU %u: %s of %u bytes at 0x%llx hits no device",
				    vcpu->index,
				    run->mmio.is_write ? "write" : "read",
				    run->mmio.len,
				    (unsigned long long)run->mmio.phys_addr);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			switch (run->system_event.type) {
			case KVM_SYSTEM_EVENT_SHUTDOWN:
				vm_post_event(vm, VM_EVENT_POWEROFF);
				return NULL;
			case KVM_SYSTEM_EVENT_RESET:
				vm_post_event(vm, VM_EVENT_RESET);
				return NULL;
			case KVM_SYSTEM_EVENT_CRASH:
				vcpu_fail(
				    vcpu,
				    "the guest reported a crash (PSCI SYSTEM_EVENT_CRASH)");
				return NULL;
			default:
				break;
			}
			break;
		case KVM_EXIT_ARM_NISV:
			snprintf(
			    msg, sizeof(msg),
			    "guest access to 0x%llx that KVM cannot decode (no syndrome); stopping",
			    (unsigned long long)run->arm_nisv.fault_ipa);
			vcpu_fail(vcpu, msg);
			return NULL;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(
			    msg, sizeof(msg),
			    "KVM could not enter the guest (reason 0x%llx)",
			    (unsigned long long)
				run->fail_entry.hardware_entry_failure_reason);
			vcpu_fail(vcpu, msg);
			return NULL;
		case KVM_EXIT_INTR:
			break;
		default:
			snprintf(msg, sizeof(msg), "unexpected KVM exit %u",
				 run->exit_reason);
			vcpu_fail(vcpu, msg);
			return NULL;
		}
	}
	return NULL;
}

/* -v: where this boot's MMIO exits went (what ioeventfds and memslots
 * did not absorb). */
static void report_exits(struct vm *vm)
{
	for (unsigned int r = 0; r <= MR_COUNT; r++) {
		uint64_t n = 0;

		for (unsigned int i = 0; i < vm->cfg->cpus; i++)
			n += vm->vcpus[i].mmio_exits[r];
		if (n)
			pr_info("MMIO exits to %s: %llu",
				r < MR_COUNT ? machine_map[r].name
					     : "elsewhere",
				(unsigned long long)n);
	}
}

/* Stop every vCPU thread and close this boot's KVM objects. */
static void vm_teardown(struct vm *vm)
{
	unsigned int i;

	/* A snapshot being written reads the vCPUs and the GIC this frees:
	 * it finishes first. */
	pthread_mutex_lock(&vm->snapshot_lock);
	pthread_mutex_lock(&vm->pause_lock);
	vm->stopping = true;
	pthread_cond_broadcast(&vm->pause_cond); /* parked threads leave */
	kick_vcpus(vm);
	pthread_mutex_unlock(&vm->pause_lock);
	/* A joined thread's id must not be kicked (pthread_kill on it is
	 * undefined): it leaves the table under pause_lock. */
	for (i = 0; vm->vcpus && i < vm->cfg->cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->thread_started)
			continue;
		pthread_join(v->thread, NULL);
		pthread_mutex_lock(&vm->pause_lock);
		v->thread_started = false;
		pthread_mutex_unlock(&vm->pause_lock);
	}
	if (armvm_verbose && vm->vcpus)
		report_exits(vm);
	pthread_mutex_lock(&vm->irq_lock);
	for (i = 0; vm->vcpus && i < vm->cfg->cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run)
			munmap(v->run, vm->vcpu_mmap_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	pthread_mutex_lock(&vm->pause_lock);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->counter_frozen = false;
	pthread_mutex_unlock(&vm->pause_lock);
	if (vm->its_fd >= 0)
		close(vm->its_fd);
	if (vm->gic_fd >= 0)
		close(vm->gic_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->its_fd = vm->gic_fd = vm->vm_fd = -1;
	pthread_mutex_unlock(&vm->irq_lock);
	pthread_mutex_unlock(&vm->snapshot_lock);
	vm->stopping = false;
}

static int create_vcpus(struct vm *vm)
{
	struct vcpu *vcpus = calloc(vm->cfg->cpus, sizeof(*vcpus));

	if (!vcpus)
		return -1;
	pthread_mutex_lock(&vm->pause_lock); /* see kick_vcpus */
	vm->vcpus = vcpus;
	pthread_mutex_unlock(&vm->pause_lock);
	for (unsigned int i = 0; i < vm->cfg->cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->index = i;
		v->tls.simulate_at = test_clobber_tls_at();
		v->fd =
		    kvm_create_vcpu(vm->vm_fd, i, vm->vcpu_mmap_size, &v->run);
		if (v->fd < 0) {
			pr_err("vCPU %u: cannot create: %s", i,
			       strerror(errno));
			return -1;
		}
		if (kvm_vcpu_init(vm->vm_fd, v->fd, i > 0, vm->plan.aarch32) <
		    0) {
			pr_err("vCPU %u: KVM_ARM_VCPU_INIT failed: %s", i,
			       strerror(errno));
			return -1;
		}
		if (kvm_get_reg64(v->fd, kvm_reg_mpidr(), &v->mpidr) < 0) {
			pr_err("vCPU %u: cannot read MPIDR_EL1: %s", i,
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int create_gic(struct vm *vm)
{
	vm->gic_fd = kvm_create_gic(vm->vm_fd, vm->plan.gic_version);
	if (vm->gic_fd < 0 || kvm_init_gic(vm->gic_fd) < 0) {
		pr_err("cannot create the in-kernel GICv%d: %s",
		       vm->plan.gic_version, strerror(errno));
		return -1;
	}
	/* The ITS gives PCIe devices MSIs; the plan has one only where KVM
	 * said it can make it, and the device tree offers it then. */
	if (vm->plan.msi == MSI_ITS) {
		vm->its_fd = kvm_create_its(vm->vm_fd);
		if (vm->its_fd < 0) {
			pr_err("cannot create the GICv3 ITS: %s",
			       strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Direct boot: kernel and initrd into RAM, where boot_plan says. */
static int load_kernel(struct vm *vm, struct boot_layout *layout)
{
	const uint64_t ram_base = machine_map[MR_RAM].base;

	/* A reset loads the files again, like a power cycle; between boots
	 * armvm keeps no copy (the kernel alone is tens of MiB). */
	if (!vm->kernel.data) {
		if (kernel_image_load(vm->cfg->kernel, &vm->kernel) < 0)
			return -1;
		if (vm->kernel.aarch32 != vm->plan.aarch32) {
			pr_err("%s: changed from %s to %s since armvm started",
			       vm->cfg->kernel,
			       vm->plan.aarch32 ? "a zImage" : "an arm64 Image",
			       vm->plan.aarch32 ? "an arm64 Image"
						: "a zImage");
			return -1;
		}
		if (vm->cfg->initrd &&
		    read_file(vm->cfg->initrd, &vm->initrd, &vm->initrd_size,
			      MAX_INITRD_SIZE) < 0)
			return -1;
	}
	if (boot_plan(ram_base, vm->ram_size, &vm->kernel, vm->initrd_size,
		      layout) < 0)
		return -1;
	memcpy(vm->ram + (layout->kernel_addr - ram_base), vm->kernel.data,
	       vm->kernel.size);
	if (vm->initrd_size)
		memcpy(vm->ram + (layout->initrd_addr - ram_base), vm->initrd,
		       vm->initrd_size);
	kernel_image_free(&vm->kernel);
	free(vm->initrd);
	vm->initrd = NULL;
	return 0;
}

/*
 * For the firmware the tree carries free space up to 1 MiB, as QEMU's virt
 * machine's tree does: distributions test their images on that layout, and
 * it matters. GRUB (arm-efi) copies the tree top-down, right below the
 * initrd it has just loaded, and the firmware then loads the kernel image
 * below that copy. A packed tree's copy fitted a small hole higher up, so
 * the zImage landed right below the initrd, and its decompressor, whose
 * 64 KiB heap lies past its PE image (SizeOfImage leaves it out), overwrote
 * the initrd's first 62 KiB: "Initramfs unpacking failed: invalid magic" at
 * 512 MiB. Measured with efi=debug: QEMU's guest has the 1 MiB copy (ACPI
 * Reclaim) between the zImage and the initrd; armvm's now has it too.
 */
#define FIRMWARE_DTB_SIZE SZ_1M

/*
 * The device tree where the layout says: at the base of RAM for UEFI (the
 * stock firmware reads it there, research 1.3) and arm64 Linux (address in
 * x0), high for a zImage (address in r2). It is built in a mapping of
 * its own, unmapped at the end: libfdt's fdt_create clears the whole
 * buffer, so a static one kept 2 MiB of armvm's memory touched for the
 * VM's life, and so did a malloc'ed one (glibc served it from the heap,
 * whose top it then kept; measured in the sandbox, docs/benchmarks.md).
 */
static int write_dtb(struct vm *vm, const struct boot_layout *layout)
{
	struct device *devices[MACHINE_MAX_DEVICES];
	struct fdt_machine m = {0};
	uint64_t mpidr[MACHINE_MAX_CPUS_GICV3];
	uint8_t seed[32];
	uint8_t *dtb = mmap(NULL, DTB_MAX_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r = -1;

	if (dtb == MAP_FAILED) {
		pr_err("device tree: out of memory");
		return -1;
	}

	for (unsigned int i = 0; i < vm->cfg->cpus; i++)
		mpidr[i] = vm->vcpus[i].mpidr;
	m.nr_cpus = vm->plan.cpus;
	m.mpidr = mpidr;
	m.aarch32 = vm->plan.aarch32;
	m.gic_version = vm->plan.gic_version;
	m.gic_its = vm->plan.msi == MSI_ITS;
	m.gic_v2m = vm->platform.v2m;
	m.ram_base = machine_map[MR_RAM].base;
	m.ram_size = vm->ram_size;
	if (!vm->plan.firmware_boot) {
		m.bootargs = vm->cfg->cmdline;
		m.initrd_start = layout->initrd_addr;
		m.initrd_end = layout->initrd_addr + layout->initrd_size;
	}
	if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		m.rng_seed = seed;
	m.devices = devices;
	m.nr_devices =
	    platform_fdt_devices(&vm->platform, devices, MACHINE_MAX_DEVICES);
	m.stdout_dev = vm->platform.uart;
	m.no_timer = vm->cfg->test_faults & TEST_FAULT_NO_TIMER_NODE;
	if (fdt_build(&m, dtb, DTB_MAX_SIZE) < 0)
		goto out;
	if (vm->plan.firmware_boot &&
	    fdt_open_into(dtb, dtb, FIRMWARE_DTB_SIZE) != 0) {
		pr_err("device tree: %u bytes do not fit in %llu",
		       fdt_totalsize(dtb), FIRMWARE_DTB_SIZE);
		goto out;
	}
	memcpy(vm->ram + (layout->dtb_addr - m.ram_base), dtb,
	       fdt_totalsize(dtb));
	pr_info("device tree: %u bytes at 0x%llx", fdt_totalsize(dtb),
		(unsigned long long)layout->dtb_addr);
	r = 0;
out:
	munmap(dtb, DTB_MAX_SIZE);
	return r;
}

/* Put what the guest boots in RAM and point vCPU 0 at it. */
static int load_guest(struct vm *vm)
{
	struct boot_layout layout = {.dtb_addr = machine_map[MR_RAM].base};
	struct vcpu *boot = &vm->vcpus[0];
	bool r;

	if (!vm->plan.firmware_boot && load_kernel(vm, &layout) < 0)
		return -1;
	if (write_dtb(vm, &layout) < 0)
		return -1;
	if (vm->plan.firmware_boot) {
		/* The firmware's reset vector is at 0 (research 1.3); it
		 * takes no register arguments. */
		if (kvm_set_reg64(boot->fd, kvm_reg_pc(), 0) < 0) {
			pr_err("vCPU 0: cannot set its PC: %s",
			       strerror(errno));
			return -1;
		}
		return 0;
	}
	if (vm->plan.aarch32) {
		/* arm/booting.rst: r0 = 0, r1 = machine type (~0: none, the
		 * DT describes the machine), r2 = DTB address, SVC mode with
		 * IRQs and FIQs masked, MMU off: KVM's reset state for
		 * EL1_32BIT. r0-r14 are x0-x14 (ARM ARM "Mapping of the
		 * AArch32 registers"); KVM narrows them to 32 bits. */
		r = kvm_set_reg64(boot->fd, kvm_reg_x(0), 0) < 0 ||
		    kvm_set_reg64(boot->fd, kvm_reg_x(1), 0xffffffff) < 0 ||
		    kvm_set_reg64(boot->fd, kvm_reg_x(2), layout.dtb_addr) < 0;
	} else {
		/* arm64/booting.rst: x0 = DTB address, x1-x3 = 0, MMU off,
		 * EL1 (KVM's reset state already masks DAIF and selects
		 * EL1h). */
		r = kvm_set_reg64(boot->fd, kvm_reg_x(0), layout.dtb_addr) <
			0 ||
		    kvm_set_reg64(boot->fd, kvm_reg_x(1), 0) < 0 ||
		    kvm_set_reg64(boot->fd, kvm_reg_x(2), 0) < 0 ||
		    kvm_set_reg64(boot->fd, kvm_reg_x(3), 0) < 0;
	}
	if (r ||
	    kvm_set_reg64(boot->fd, kvm_reg_pc(), layout.kernel_addr) < 0) {
		pr_err("vCPU 0: cannot set boot registers: %s",
		       strerror(errno));
		return -1;
	}
	pr_info("kernel at 0x%llx, initrd at 0x%llx (%llu bytes)",
		(unsigned long long)layout.kernel_addr,
		(unsigned long long)layout.initrd_addr,
		(unsigned long long)layout.initrd_size);
	return 0;
}

/* One boot: fresh KVM VM, vCPUs and GIC; RAM cleared and reloaded. */
static int vm_boot(struct vm *vm)
{
	vm->vm_fd = kvm_create_vm(vm->kvm_fd);
	if (vm->vm_fd < 0) {
		pr_err("cannot create a VM: %s", strerror(errno));
		return -1;
	}
	/* Report undecodable accesses as KVM_EXIT_ARM_NISV, not -ENOSYS. */
	if (kvm_check_cap(vm->vm_fd, KVM_CAP_ARM_NISV_TO_USER))
		kvm_enable_cap(vm->vm_fd, KVM_CAP_ARM_NISV_TO_USER);
	if (kvm_set_memory(vm->vm_fd, SLOT_RAM, false, machine_map[MR_RAM].base,
			   vm->ram_size, vm->ram) < 0) {
		pr_err("cannot register guest RAM with KVM: %s",
		       strerror(errno));
		return -1;
	}
	if (create_vcpus(vm) < 0 || create_gic(vm) < 0)
		return -1;
	/* Devices back to power-on state (flash in read-array mode) before
	 * the flash slots are mapped and the guest loaded. */
	platform_reset(&vm->platform);
	/* A reboot starts with every page the guest's: the balloon's target
	 * goes with the old guest (its driver's pages did at the reset). */
	if (vm->boots && vm->platform.balloon)
		virtio_balloon_machine_reset(vm->platform.balloon);
	/*
	 * Only then the last boot's RAM goes: a device's I/O thread (a packet
	 * arriving for virtio-net) writes into guest RAM until its reset has
	 * waited for it and disabled its queues; cleared before, RAM could
	 * hold such a write when the next guest starts.
	 */
	if (vm->boots)
		madvise(vm->ram, vm->ram_size, MADV_DONTNEED);
	if (vm->restore) {
		/* The snapshot's boot: its state in place of a guest's
		 * start; the flash banks mapped as its records say. */
		if (vm_restore_boot(vm, vm->restore) < 0 ||
		    platform_map_flash(&vm->platform) < 0)
			return -1;
		/* A live migration's: the source gives the VM up only now,
		 * when nothing here can fail it any more. */
		if (vm->restore->handover_fd >= 0 &&
		    vm_migrate_hand_over(vm->restore) < 0)
			return -1;
		snapshot_close(vm->restore);
		vm->restore = NULL;
		/* A reboot reads the files again, as after any boot. */
		kernel_image_free(&vm->kernel);
		free(vm->initrd);
		vm->initrd = NULL;
		vm->initrd_size = 0;
	} else if (platform_map_flash(&vm->platform) < 0 ||
		   load_guest(vm) < 0) {
		return -1;
	}
	vm->boots++;
	console_hold_output(vm->console, false);

	pthread_mutex_lock(&vm->pause_lock); /* see kick_vcpus */
	for (unsigned int i = 0; i < vm->cfg->cpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (pthread_create(&v->thread, NULL, vcpu_thread, v)) {
			pthread_mutex_unlock(&vm->pause_lock);
			pr_err("vCPU %u: cannot start its thread", i);
			return -1;
		}
		v->thread_started = true;
	}
	pthread_mutex_unlock(&vm->pause_lock);
	return 0;
}

/* Boot, wait for an event, tear down; again on reset. */
static int vm_run_loop(struct vm *vm)
{
	struct sigaction sa = {.sa_handler = kick_handler};
	enum vm_event ev;

	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	if (console_start_input(vm->console, uart_input, vm->platform.uart,
				console_quit, vm) < 0) {
		pr_err("console: cannot start the input thread");
		return 1;
	}
	/* Set-up is done: from here the main thread only boots, waits and
	 * tears down (its profile holds the vCPUs', which it starts). */
	confine_thread(CONFINE_MAIN);
	for (;;) {
		/* Under the lock: the control thread reads it
		 * (vm_event_pending). */
		pthread_mutex_lock(&vm->event_lock);
		vm->event = VM_EVENT_NONE;
		pthread_mutex_unlock(&vm->event_lock);
		if (vm_boot(vm) < 0) {
			vm_teardown(vm);
			return 1;
		}
		pthread_mutex_lock(&vm->event_lock);
		while (vm->event == VM_EVENT_NONE)
			pthread_cond_wait(&vm->event_cond, &vm->event_lock);
		ev = vm->event;
		pthread_mutex_unlock(&vm->event_lock);
		vm_teardown(vm);

		switch (ev) {
		case VM_EVENT_RESET:
			if (vm->cfg->no_reboot) {
				pr_info("guest reset: exiting (--no-reboot)");
				return 0;
			}
			pr_info("guest reset: rebooting");
			continue;
		case VM_EVENT_POWEROFF:
			pr_info("guest powered off");
			return 0;
		case VM_EVENT_QUIT:
			return 0;
		default:
			return 1;
		}
	}
}

void vm_exit(struct vm *vm)
{
	console_close(vm->console);
	vm->console = NULL;
	platform_destroy(&vm->platform); /* removes every doorbell */
	/* After the disks: a migration's source, seeing the connection
	 * close, takes their locks back. */
	if (vm->restore)
		snapshot_close(vm->restore);
	ioevents_destroy(vm->ioevents);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	free((void *)vm->dirty.bits);
	kernel_image_free(&vm->kernel);
	free(vm->initrd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}

/*
 * --jail and --user (lib/jail.h), once every file, /dev/kvm and the control
 * socket are open and before any thread is confined: the threads started so
 * far wait in confine_thread until the gate opens (lib/confine.h), on every
 * path.
 */
static int vm_enter_jail(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int landlock_fd = -1, r = 0;

	if (cfg->jail_dir || cfg->user.set) {
		r = jail_enter(cfg->jail_dir, &cfg->user, &landlock_fd);
		if (!r)
			pr_info("jail: root %s, uid %u, gid %u",
				cfg->jail_dir ? cfg->jail_dir : "/",
				(unsigned int)getuid(), (unsigned int)getgid());
	}
	confine_release_threads(r ? -1 : landlock_fd);
	return r;
}

int vm_run(struct vm *vm)
{
	return vm_enter_jail(vm) < 0 ? 1 : vm_run_loop(vm);
}
