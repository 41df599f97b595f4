// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/device.h"
#include "lib/confine.h"
#include "lib/util.h"
#include "vmm/kvm/ioevent.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/vm.h"

#define MAX_DOORBELLS 256

struct doorbell {
	bool used;
	uint32_t generation; /* tells a stale epoll event from a new user */
	int efd;
	struct doorbell_spec spec;
};

struct ioevents {
	struct vm *vm;
	/* The table; held while a doorbell rings, so that remove() waits for
	 * a ring in progress and none starts after it. */
	pthread_mutex_t lock;
	struct doorbell bells[MAX_DOORBELLS];
	int epfd, stopfd;
	pthread_t thread;
	bool supported;
};

/*
 * Assign or deassign d's ioeventfd. With datamatch only a write of that
 * value signals it (several doorbells may then share an address, as
 * virtio-mmio's queues share QueueNotify); a deassign must name the same
 * address, width and value as the assign did.
 */
static int kvm_ioeventfd(struct vm *vm, const struct doorbell *d, bool assign)
{
	struct kvm_ioeventfd e = {
	    .datamatch = d->spec.datamatch ? d->spec.value : 0,
	    .addr = d->spec.gpa,
	    .len = d->spec.len,
	    .fd = d->efd,
	    .flags = (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN) |
		     (d->spec.datamatch ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &e);
}

static void *add(void *opaque, const struct doorbell_spec *spec)
{
	struct ioevents *io = opaque;
	struct doorbell *d = NULL;
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned int i;

	if (!io->supported)
		return NULL;
	pthread_mutex_lock(&io->lock);
	for (i = 0; i < MAX_DOORBELLS && io->bells[i].used; i++)
		;
	if (i == MAX_DOORBELLS)
		goto out;
	d = &io->bells[i];
	d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->spec = *spec;
	ev.data.u64 = (uint64_t)d->generation << 32 | i;
	if (d->efd < 0 || kvm_ioeventfd(io->vm, d, true) < 0) {
		/* The write stays an MMIO exit: slower, the same result. */
		pr_info("doorbell at 0x%llx: no ioeventfd: %s",
			(unsigned long long)spec->gpa, strerror(errno));
		if (d->efd >= 0)
			close(d->efd);
		d = NULL;
		goto out;
	}
	if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, d->efd, &ev) < 0) {
		kvm_ioeventfd(io->vm, d, false);
		close(d->efd);
		d = NULL;
		goto out;
	}
	d->used = true;
out:
	pthread_mutex_unlock(&io->lock);
	return d;
}

static void remove_bell(void *opaque, void *handle)
{
	struct ioevents *io = opaque;
	struct doorbell *d = handle;

	pthread_mutex_lock(&io->lock);
	/* After a reboot the KVM VM is a new one that never had it: the
	 * deassign then fails, harmlessly. */
	kvm_ioeventfd(io->vm, d, false);
	epoll_ctl(io->epfd, EPOLL_CTL_DEL, d->efd, NULL);
	close(d->efd);
	d->used = false;
	d->generation++;
	pthread_mutex_unlock(&io->lock);
}

static void *io_thread(void *opaque)
{
	struct ioevents *io = opaque;
	struct epoll_event evs[32];
	uint64_t count;

	confine_thread(CONFINE_DOORBELL);
	for (;;) {
		int n = epoll_wait(io->epfd, evs, ARRAY_SIZE(evs), -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)evs[i].data.u64;
			uint32_t gen = evs[i].data.u64 >> 32;
			struct doorbell *d;

			if (idx == UINT32_MAX)
				return NULL; /* stop */
			pthread_mutex_lock(&io->lock);
			d = &io->bells[idx];
			if (d->used && d->generation == gen &&
			    read(d->efd, &count, sizeof(count)) ==
				sizeof(count))
				d->spec.ring(d->spec.arg, d->spec.n);
			pthread_mutex_unlock(&io->lock);
		}
	}
	return NULL;
}

struct ioevents *ioevents_create(struct vm *vm)
{
	struct ioevents *io = calloc(1, sizeof(*io));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT32_MAX};

	if (!io)
		return NULL;
	io->vm = vm;
	io->supported = kvm_check_cap(vm->kvm_fd, KVM_CAP_IOEVENTFD);
	pthread_mutex_init(&io->lock, NULL);
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	io->stopfd = eventfd(0, EFD_CLOEXEC);
	if (io->epfd < 0 || io->stopfd < 0 ||
	    epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->stopfd, &ev) < 0 ||
	    pthread_create(&io->thread, NULL, io_thread, io)) {
		pr_err("cannot start the I/O thread: %s", strerror(errno));
		if (io->epfd >= 0)
			close(io->epfd);
		if (io->stopfd >= 0)
			close(io->stopfd);
		free(io);
		return NULL;
	}
	return io;
}

void ioevents_sink(struct ioevents *io, struct doorbell_sink *sink)
{
	sink->add = add;
	sink->remove = remove_bell;
	sink->opaque = io;
}

void ioevents_quiesce(struct ioevents *io, bool quiesce)
{
	uint64_t count;

	if (!quiesce) {
		pthread_mutex_unlock(&io->lock);
		return;
	}
	/* No ring starts while the table's lock is held; a doorbell the
	 * guest rang before it stopped is served here, so that its queue's
	 * work is done before the queue is saved. */
	pthread_mutex_lock(&io->lock);
	for (unsigned int i = 0; i < MAX_DOORBELLS; i++) {
		struct doorbell *d = &io->bells[i];

		if (d->used &&
		    read(d->efd, &count, sizeof(count)) == sizeof(count))
			d->spec.ring(d->spec.arg, d->spec.n);
	}
}

void ioevents_destroy(struct ioevents *io)
{
	uint64_t one = 1;

	if (!io)
		return;
	if (write(io->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(io->thread, NULL);
	close(io->epfd);
	close(io->stopfd);
	pthread_mutex_destroy(&io->lock);
	free(io);
}
