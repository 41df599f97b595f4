/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread seccomp confinement (issue 11). Each kind of thread armvm runs
 * installs, once its own set-up is done, an allow-list of the system calls
 * (and ioctl requests) its job needs; anything else stops armvm with
 * SIGSYS (or, with --seccomp=log, is allowed and logged by the kernel).
 *
 * A filter is inherited by the threads its thread creates later, and the
 * most restrictive of the stacked filters wins: so the main thread's list
 * contains the vCPU list (it starts the vCPUs of every boot), and the control
 * thread's contains the device I/O list (it starts hot-plugged devices'
 * threads). docs/design.md lists each profile and what it still allows.
 */
#ifndef ARMVM_LIB_CONFINE_H
#define ARMVM_LIB_CONFINE_H

#include <stdbool.h>

enum confine_kind {
	CONFINE_MAIN,	       /* the main thread, once the machine is set up */
	CONFINE_VCPU,	       /* KVM_RUN and the MMIO exits it serves */
	CONFINE_DOORBELL,      /* virtqueue notifications (ioeventfds) */
	CONFINE_DEVICE_IO,     /* virtio-net / virtio-console backends */
	CONFINE_CONTROL,       /* --api-socket requests, hot-plug */
	CONFINE_CONSOLE_INPUT, /* stdin to the pl011 */
	CONFINE_RTC,	       /* the pl031's alarm timer */
	CONFINE_PROBE,	       /* the boot-file probe child (image/probe.c) */
	CONFINE_VSOCK,	       /* virtio-vsock's bridge to UNIX sockets */
	CONFINE_KINDS
};

enum confine_mode {
	CONFINE_MODE_KILL, /* default: a forbidden call stops armvm (SIGSYS) */
	CONFINE_MODE_LOG,  /* allowed, logged by the kernel (dmesg, audit) */
	CONFINE_MODE_OFF,
};

/* "kill", "log", "off"; false for anything else. */
bool confine_mode_parse(const char *s, enum confine_mode *mode);

/*
 * Once, on the main thread, before any thread starts: the process-wide
 * mode, and in kill mode the SIGSYS handler that names the thread and the
 * call before armvm dies. ARMVM_TEST_SECCOMP=KIND (a kind's name, as
 * confine_kind_name gives) makes that thread attempt execve once its filter
 * is in force: the tests' proof that each profile is. -1 with a message
 * when the kernel has no seccomp filters (and the mode is not off).
 */
int confine_setup(enum confine_mode mode);

/*
 * The jail (lib/jail.h) comes after set-up has started threads: between
 * confine_hold_threads (before the first thread) and
 * confine_release_threads, every thread waits in confine_thread, still
 * unconfined, so that the chroot and the new user reach it; then it applies
 * the Landlock ruleset (landlock_fd, or -1 for none) itself, since Landlock
 * restricts one thread at a time. Release is idempotent, and due on every
 * path (threads are joined at the end).
 */
void confine_hold_threads(void);
void confine_release_threads(int landlock_fd);

/*
 * The calling thread's filter (after the jail's gate, above). A filter that cannot be installed (out of
 * memory: confine_setup has checked the kernel) ends armvm with exit status
 * 1 after a message: no thread runs unconfined when confinement is on.
 */
void confine_thread(enum confine_kind kind);

const char *confine_kind_name(enum confine_kind kind);

#endif
