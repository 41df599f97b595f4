/* SPDX-License-Identifier: GPL-2.0 */
/* `armvm run` options. */
#ifndef ARMVM_VMM_CONFIG_H
#define ARMVM_VMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "lib/confine.h"
#include "vmm/config_file.h"
#include "lib/jail.h"

/*
 * The transport a virtio device is placed on: a PCI function on the PCIe
 * host's bus 0 (virtio 1.2 section 4.1), or a virtio-mmio slot (4.2).
 * --transport sets it for every device given on the command line; --disk
 * and --net take transport= for one device. Once parsed, no device is left
 * at VM_TRANSPORT_DEFAULT.
 */
enum vm_transport {
	VM_TRANSPORT_DEFAULT, /* the device's own: --transport's */
	VM_TRANSPORT_PCI,
	VM_TRANSPORT_MMIO,
};

/* "pci" or "mmio" (for messages). */
const char *vm_transport_name(enum vm_transport t);

#define MAX_DISKS 16

struct disk_config {
	const char *path;
	bool readonly;
	bool writethrough; /* cache=writethrough (virtio_blk_set_writeback) */
	enum vm_transport transport;
};

#define MAX_NETS    8
#define MAX_HOSTFWD 16

/* --net user[,hostfwd=RULE]...[,mac=MAC] | tap=NAME[,mac=MAC], and
 * [,transport=pci|mmio] for either. */
struct net_config {
	const char *backend; /* "user" or "tap" */
	const char *tap;     /* tap: the interface */
	const char *mac;     /* NULL: derived from the device id */
	const char *hostfwd[MAX_HOSTFWD];
	unsigned int nr_hostfwd;
	bool host_loopback; /* user: 10.0.2.2 reaches this host's loopback */
	enum vm_transport transport;
};

/* --vsock [cid=N,]path=PATH: virtio-vsock bridged to UNIX sockets. */
struct vsock_opts {
	const char *path; /* NULL: no vsock device */
	uint64_t cid;	  /* the guest's CID (default 3) */
};

/* The vCPUs' execution state at EL1 (PLAT-1). */
enum vm_arch {
	VM_ARCH_AUTO, /* from the kernel file, or the disk's boot files */
	VM_ARCH_AARCH64,
	VM_ARCH_AARCH32, /* KVM_ARM_VCPU_EL1_32BIT */
};

/*
 * Faults `--test-fault` plants in the VM, so that armvm conform's own
 * tests can show each of its checks fail (tests/sandbox/conform.sh). Each
 * makes the VM break a rule of the specification: never for real use.
 */
enum test_fault {
	TEST_FAULT_NO_RTC = 1u << 0,	    /* no pl031 (FW-5) */
	TEST_FAULT_NO_TIMER_NODE = 1u << 1, /* no timer in the DT (PLAT-4) */
	TEST_FAULT_VOLATILE_VARS = 1u << 2, /* --vars not kept (FW-3) */
};

struct vm_config {
	/* Direct kernel boot when kernel is set; UEFI firmware otherwise. */
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	unsigned int cpus;
	uint64_t memory;
	int gic_version; /* 0: the best the host offers */
	enum vm_arch arch;
	bool no_reboot; /* guest reset ends armvm instead of rebooting */
	const char *kvm_path;
	struct disk_config disks[MAX_DISKS];
	unsigned int nr_disks;
	const char *firmware; /* NULL: the distribution's (firmware_find) */
	const char *vars;     /* the instance's variable store file */
	const char *instance; /* or a named instance that holds it */
	struct net_config nets[MAX_NETS];
	unsigned int nr_nets;
	bool virtio_console_pty;  /* a virtio-console (hvc0) on a new pty */
	bool no_rng;		  /* leave out the virtio-rng device */
	bool no_balloon;	  /* leave out the virtio-balloon device */
	bool boot_marker;	  /* --boot-marker (devices/boot_marker.h) */
	unsigned int test_faults; /* --test-fault: TEST_FAULT_* bits */
	struct vsock_opts vsock;  /* --vsock */
	/* --transport: rng, balloon, console and vsock, and the disks and
	 * nets that name none (each then holds its own) */
	enum vm_transport transport;
	unsigned int hotplug_slots; /* PCIe root ports for hot-plug */
	const char *api_socket;	    /* control socket path, or NULL */
	enum confine_mode seccomp;  /* per-thread filters (lib/confine.h) */
	const char *jail_dir;	    /* --jail: the root once set up, or NULL */
	struct jail_user user;	    /* --user: who armvm becomes then */
	/* --restore DIR: the VM comes from a snapshot, which holds every
	 * option but those of the process (vm_config_restore). */
	const char *restore;
	/* --incoming ADDR: the VM comes from a live migration (vmm/migrate.h),
	 * whose stream holds every option but those of the process. */
	const char *incoming;
	/* When `armvm run` started (CLOCK_MONOTONIC; set by its caller after
	 * parsing): the boot marker's and -v's start-up times count from it. */
	struct timespec started;
	/* --config FILE: read, its options among argv (vm_config_parse) */
	const char *config_file;
	/* The arguments parsed (argv[0] is "run"): what a snapshot keeps.
	 * With a configuration file, the file's options then the command
	 * line's, all copies held in owned (vm_config_release). */
	int argc;
	char **argv;
	struct strv owned;
	/* Copies of the values the parser splits (--disk, --net, --vsock):
	 * the devices' strings point into them, argv stays whole. */
	struct strv values;
};

/* Flags of an `armvm run` option beside getopt's has_arg. */
#define RUN_OPT_REPEAT	0x1 /* given many times: an array in a file */
#define RUN_OPT_NO_FILE 0x2 /* command line only: config, instance, help */

/* One of `armvm run`'s options: getopt's struct option, without flag. */
struct run_option {
	const char *name;
	int has_arg; /* getopt's no_argument, required_argument */
	int val;     /* getopt's: the short option, or an OPT_* */
	unsigned int flags;
};

/* run's options, ending with one whose name is NULL. */
const struct run_option *vm_run_options(void);

/* The stock firmware places its PEI memory in the first 128 MiB (research
 * 1.3: less crashes it right after its banner). */
#define FIRMWARE_MIN_MEMORY (128ULL << 20)

/* An aarch32 guest's RAM ends at 4 GiB: the 32-bit firmware maps nothing
 * above (research 7) and a kernel without LPAE cannot address it. */
#define AARCH32_MEMORY_MAX (3ULL << 30)

#define DEFAULT_CPUS	      1
#define DEFAULT_MEMORY	      (512ULL << 20)
#define DEFAULT_CMDLINE	      "console=ttyAMA0"
#define DEFAULT_HOTPLUG_SLOTS 4
/* Each root port takes a bus of the 16 the ECAM window decodes. */
#define MAX_HOTPLUG_SLOTS 15

/*
 * Parse `run`'s arguments (argv[0] is "run"). With --instance NAME, the
 * instance's config.json comes first, then --config FILE's options, then
 * the command line's, each overriding those before it: a value option
 * takes its last value; a repeatable option (disk, net, test-fault) given
 * on the command line replaces the files' (they do not add up). Returns 0
 * and fills cfg, 1 if --help was printed, or -1 after a one-line error
 * naming the option (and for a file, the file, line and column).
 */
int vm_config_parse(struct vm_config *cfg, int argc, char **argv);

/*
 * The arguments vm_config_parse parses for argv: the configuration files'
 * options, then the command line's (without --config). 0 with args filled
 * (argv[0] "run", NULL-terminated: args->n - 1 arguments), 1 when argv
 * names no file (args empty: argv as it is), -1 after a message.
 */
int vm_config_expand(int argc, char **argv, struct strv *args);

/* Free what vm_config_parse kept of a configuration file (cfg->owned). */
void vm_config_release(struct vm_config *cfg);

/* Whether option (a long name, no "--") takes value, as vm_config_parse
 * would check it alone: 0, or -1 after a message naming the option. */
int vm_config_check_value(const char *option, const char *value);

void vm_config_usage(FILE *f);

/*
 * --restore: parse the arguments a snapshot was taken with (saved, argv[0]
 * "run"), then the process options given now (this run's argv, --restore
 * left out), which win. Fills cfg as vm_config_parse does; the strings
 * must outlive cfg. 0, or -1 after a one-line message.
 */
int vm_config_restore(struct vm_config *cfg, int saved_argc, char **saved_argv,
		      int argc, char **argv);

/* What the options allow once the execution state is known (--arch, or
 * chosen from the kernel or disk): 0, or -1 after a one-line message. */
int vm_config_check_arch(const struct vm_config *cfg, bool aarch32);

#endif
