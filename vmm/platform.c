// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/cfi_flash.h"
#include "devices/boot_marker.h"
#include "devices/gicv2m.h"
#include "devices/pci.h"
#include "devices/pcie_port.h"
#include "devices/pl011.h"
#include "devices/pl031.h"
#include "devices/pl061.h"
#include "lib/jail.h"
#include "lib/util.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/net_backend.h"
#include "virtio/net_mac.h"
#include "virtio/rng.h"
#include "virtio/pci.h"
#include "virtio/vsock.h"
#include "virtio/virtio.h"
#include "image/check.h"
#include "vmm/console.h"
#include "vmm/firmware.h"
#include "vmm/instance.h"
#include "vmm/machine.h"
#include "vmm/platform.h"
#include "vmm/snapshot.h"

/* The network backend a net_config asks for; NULL after pr_err. */
static struct net_backend *make_backend(const struct net_config *net)
{
	struct net_hostfwd fwds[MAX_HOSTFWD];

	if (!strcmp(net->backend, "tap"))
		return net_tap_create(net->tap);
	for (unsigned int i = 0; i < net->nr_hostfwd; i++) {
		if (!net_parse_hostfwd(net->hostfwd[i], &fwds[i])) {
			pr_err(
			    "hostfwd '%s': expected tcp::HOSTPORT-:GUESTPORT (or udp:, with addresses)",
			    net->hostfwd[i]);
			return NULL;
		}
	}
	return net_slirp_create(fwds, net->nr_hostfwd, net->host_loopback);
}

static struct virtio_dev *make_net(struct platform *p, const char *id,
				   const struct net_config *net)
{
	struct virtio_net_config cfg = {.id = id};

	if (net->mac && !net_parse_mac(net->mac, cfg.mac)) {
		pr_err(
		    "mac '%s': expected six hex bytes like 02:00:00:12:34:56",
		    net->mac);
		return NULL;
	}
	if (!net->mac)
		net_default_mac(id, cfg.mac);
	cfg.backend = make_backend(net);
	if (!cfg.backend)
		return NULL;
	return virtio_net_create(&cfg, &p->mem);
}

/* A virtio device of spec's type; NULL after pr_err. */
static struct virtio_dev *
make_vdev(struct platform *p, const struct vm_device_spec *spec, const char *id)
{
	struct virtio_dev *vdev = NULL;

	if (!strcmp(spec->type, "block")) {
		if (!spec->path) {
			pr_err("block device: expected a path");
			return NULL;
		}
		vdev = virtio_blk_create(spec->path, spec->readonly, &p->mem);
		if (vdev && spec->writethrough)
			virtio_blk_set_writeback(vdev, false);
	} else if (!strcmp(spec->type, "net") && spec->net) {
		vdev = make_net(p, id, spec->net);
	} else if (!strcmp(spec->type, "rng")) {
		vdev = virtio_rng_create(&p->mem);
	} else {
		pr_err("device type '%s': expected block or net", spec->type);
		return NULL;
	}
	return vdev;
}

static struct machine_device *find_device(struct platform *p, const char *id)
{
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (!strcmp(p->devices[i].id, id))
			return &p->devices[i];
	return NULL;
}

/*
 * Enter a device in the registry under id (devices_lock held, or before
 * any other thread runs). The caller fills in the model's pointers. NULL
 * after a message when the table is full.
 */
static struct machine_device *register_device(struct platform *p,
					      enum machine_device_kind kind,
					      const char *id)
{
	struct machine_device *d;

	if (p->nr_devices == MACHINE_MAX_DEVICES) {
		pr_err("%s: too many devices (at most %d)", id,
		       MACHINE_MAX_DEVICES);
		return NULL;
	}
	d = &p->devices[p->nr_devices++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	snprintf(d->id, sizeof(d->id), "%s", id);
	return d;
}

/* Leave the registry, keeping the others in their order (that of reset
 * and of the device tree). */
static void unregister_device(struct platform *p, struct machine_device *d)
{
	unsigned int i = d - p->devices;

	memmove(d, d + 1, (p->nr_devices - i - 1) * sizeof(*d));
	p->nr_devices--;
}

/* A model with registers of its own: on the bus and in the registry. Takes
 * dev (destroyed on failure; NULL: out of memory). */
static int add_mmio_model(struct platform *p, const char *id,
			  struct device *dev)
{
	struct machine_device *d;

	if (!dev) {
		pr_err("%s: out of memory", id);
		return -1;
	}
	if (bus_add(&p->bus, dev) < 0 ||
	    !(d = register_device(p, MDEV_MMIO, id))) {
		dev->ops->destroy(dev);
		return -1;
	}
	d->dev = dev;
	return 0;
}

/*
 * The one place a virtio device meets its transport (issue 12), for the
 * devices given at start-up and hot-plugged alike:
 *
 * - with a port: a PCI function in that hot-plug slot (hot-plug is
 *   PCIe's, PLAT-5; virtio-mmio there is refused);
 * - VM_TRANSPORT_MMIO: the next free virtio-mmio slot (virtio 1.2 section
 *   4.2; slot i at 0x0a000000 + i * 0x200, level SPI 16 + i, taken in the
 *   order the devices are made, vmm/machine.h), a device model on the bus
 *   like the UART (reset, its device-tree node, teardown), with doorbells
 *   on QueueNotify from the VM's doorbell thread;
 * - otherwise: a PCI function on bus 0 (section 4.1).
 *
 * Then it enters the registry under id, with what spec says for
 * device-list. Takes vdev: freed on failure, after a one-line message that
 * names what.
 */
static int attach_virtio(struct platform *p, struct virtio_dev *vdev,
			 const struct vm_device_spec *spec, const char *id,
			 struct pcie_port *port, const char *what)
{
	bool mmio = spec->transport == VM_TRANSPORT_MMIO;
	struct pci_function *fn = NULL;
	struct machine_device *d;
	struct device *dev = NULL;
	uint64_t base;
	uint32_t spi;

	if (mmio && port) {
		pr_err("%s: hot-plugged devices go on PCIe root ports only "
		       "(transport pci); virtio-mmio devices are given at "
		       "start-up",
		       what);
		virtio_destroy(vdev);
		return -1;
	}
	if (p->nr_devices == MACHINE_MAX_DEVICES) {
		pr_err("%s: too many devices (at most %d)", what,
		       MACHINE_MAX_DEVICES);
		virtio_destroy(vdev);
		return -1;
	}
	if (mmio) {
		if (machine_virtio_mmio_slot(p->mmio_slots, &base, &spi) < 0) {
			pr_err("%s: no virtio-mmio slot left (all %d taken; "
			       "put some devices on transport=pci)",
			       what, MACHINE_VIRTIO_MMIO_SLOTS);
			virtio_destroy(vdev);
			return -1;
		}
		dev = virtio_mmio_create(base, spi, p->glue.irq, vdev,
					 &p->doorbells);
		if (!dev) {
			virtio_destroy(vdev);
			pr_err("%s: out of memory", what);
			return -1;
		}
		if (bus_add(&p->bus, dev) < 0) {
			dev->ops->destroy(dev);
			return -1;
		}
		pr_info("%s: virtio-mmio slot %u at 0x%llx, SPI %u", what,
			p->mmio_slots, (unsigned long long)base, spi);
		p->mmio_slots++;
	} else {
		/* MSI-X is offered always: without an ITS the guest finds no
		 * MSI domain in the device tree and falls back to INTx. */
		fn = virtio_pci_create(vdev, true);
		if (!fn) {
			virtio_destroy(vdev);
			pr_err("%s: out of memory", what);
			return -1;
		}
		if (port) {
			if (pcie_port_plug(port, fn) < 0) {
				fn->ops->destroy(fn);
				pr_err("the hot-plug slot is busy");
				return -1;
			}
		} else {
			if (pci_host_add(p->pci, fn, -1) < 0) {
				fn->ops->destroy(fn);
				return -1;
			}
			pr_info("%s: PCI 00:%02x.0", what, fn->devfn >> 3);
		}
	}
	/* Room was checked above: this cannot fail. */
	d = register_device(p, mmio ? MDEV_VIRTIO_MMIO : MDEV_VIRTIO_PCI, id);
	d->dev = dev;
	d->fn = fn;
	d->vdev = vdev;
	d->port = port;
	snprintf(d->type, sizeof(d->type), "%s", spec->type);
	snprintf(d->path, sizeof(d->path), "%s", spec->path ? spec->path : "");
	d->readonly = spec->readonly;
	d->writethrough = spec->writethrough;
	d->transport = mmio ? VM_TRANSPORT_MMIO : VM_TRANSPORT_PCI;
	return 0;
}

/* A device given on the command line, on its transport, registered under
 * id; what names it in messages. */
static int add_startup_device(struct platform *p,
			      const struct vm_device_spec *spec, const char *id,
			      const char *what)
{
	struct virtio_dev *vdev = make_vdev(p, spec, id);

	if (!vdev || attach_virtio(p, vdev, spec, id, NULL, what) < 0)
		return -1;
	return 0;
}

static int create_disks(struct platform *p)
{
	const struct vm_config *cfg = p->cfg;

	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *dc = &cfg->disks[i];
		struct vm_device_spec spec = {.type = "block",
					      .path = dc->path,
					      .readonly = dc->readonly,
					      .writethrough = dc->writethrough,
					      .transport = dc->transport};
		char id[16], what[PATH_MAX + 64];

		snprintf(id, sizeof(id), "disk%u", i);
		snprintf(what, sizeof(what), "disk %s (virtio-blk%s%s)",
			 dc->path, dc->readonly ? ", read-only" : "",
			 dc->writethrough ? ", write-through" : "");
		if (add_startup_device(p, &spec, id, what) < 0)
			return -1;
	}
	return 0;
}

/* The balloon (IMG-9 has guests carry its driver); the control socket's
 * balloon command sets its size. */
static int create_balloon(struct platform *p)
{
	struct vm_device_spec spec = {.type = "balloon",
				      .transport = p->cfg->transport};
	struct virtio_dev *vdev = virtio_balloon_create(&p->mem);

	if (!vdev || attach_virtio(p, vdev, &spec, "balloon", NULL,
				   "virtio-balloon") < 0)
		return -1;
	p->balloon = vdev;
	return 0;
}

/* --net devices, then virtio-rng, the balloon and the virtio-console, each
 * on its transport. */
static int create_other_devices(struct platform *p)
{
	const struct vm_config *cfg = p->cfg;
	struct virtio_dev *vdev;

	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		struct vm_device_spec spec = {
		    .type = "net",
		    .net = &cfg->nets[i],
		    .path = cfg->nets[i].tap ? cfg->nets[i].tap : "user",
		    .transport = cfg->nets[i].transport,
		};
		char id[16], what[64];

		snprintf(id, sizeof(id), "net%u", i);
		snprintf(what, sizeof(what), "%s (virtio-net, %s)", id,
			 spec.path);
		if (add_startup_device(p, &spec, id, what) < 0)
			return -1;
	}
	if (!cfg->no_rng) {
		/* Entropy for the firmware (EFI_RNG_PROTOCOL) and the OS. */
		struct vm_device_spec spec = {.type = "rng",
					      .transport = cfg->transport};

		if (add_startup_device(p, &spec, "rng", "virtio-rng") < 0)
			return -1;
	}
	if (!cfg->no_balloon && create_balloon(p) < 0)
		return -1;
	if (cfg->virtio_console_pty) {
		int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		struct vm_device_spec spec = {.type = "console",
					      .transport = cfg->transport};

		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
			pr_err("--virtio-console pty: cannot make a pty: %s",
			       strerror(errno));
			return -1;
		}
		spec.path = ptsname(master);
		vdev = virtio_console_create("hvc0", master, master, &p->mem);
		if (!vdev || attach_virtio(p, vdev, &spec, "hvc0", NULL,
					   "virtio-console (hvc0)") < 0)
			return -1;
		/* Where a user (or test) connects: the pty's other end. */
		fprintf(stderr, "armvm: virtio-console (hvc0) on %s\n",
			ptsname(master));
	}
	return 0;
}

/*
 * --vsock: virtio-vsock on its transport, listening on its path now. Under
 * --jail its connections to PATH_PORT are made from inside the jail, so
 * the path must be in it; the listening socket keeps the name given. Not
 * hot-pluggable: a VM has one CID, and a jailed armvm could not make the
 * socket file.
 */
static int create_vsock(struct platform *p)
{
	const struct vsock_opts *o = &p->cfg->vsock;
	struct virtio_vsock_config vc = {.guest_cid = o->cid, .path = o->path};
	struct vm_device_spec spec = {
	    .type = "vsock", .path = o->path, .transport = p->cfg->transport};
	char inner[PATH_MAX];
	struct virtio_dev *vdev;

	if (!o->path)
		return 0;
	if (p->cfg->jail_dir) {
		if (jail_inner_path(p->cfg->jail_dir, o->path, inner,
				    sizeof(inner)) < 0) {
			pr_err("--vsock path=%s: must be inside --jail %s (the "
			       "guest's connections to PATH_PORT are made "
			       "from there): %s",
			       o->path, p->cfg->jail_dir, strerror(errno));
			return -1;
		}
		vc.connect_path = inner;
	}
	vdev = virtio_vsock_create(&vc, &p->mem);
	if (!vdev ||
	    attach_virtio(p, vdev, &spec, "vsock", NULL, "virtio-vsock") < 0)
		return -1;
	pr_info("vsock: guest CID %llu, host programs connect to %s",
		(unsigned long long)o->cid, o->path);
	return 0;
}

/* The hot-plug slots: root ports after the start-up devices on bus 0,
 * "port1" on. */
static int create_ports(struct platform *p)
{
	for (unsigned int i = 0; i < p->cfg->hotplug_slots; i++) {
		struct machine_device *d;
		char id[16];

		snprintf(id, sizeof(id), "port%u", i + 1);
		p->ports[i] = pcie_port_create(i + 1);
		if (!p->ports[i] ||
		    pci_host_add(p->pci, pcie_port_function(p->ports[i]), -1) <
			0 ||
		    !(d = register_device(p, MDEV_ROOT_PORT, id)))
			return -1;
		d->fn = pcie_port_function(p->ports[i]);
		d->port = p->ports[i];
	}
	return 0;
}

/* Free what the guest released after an unplug timed out (devices_lock
 * held). */
static void reap_ports(struct platform *p)
{
	for (unsigned int i = 0; i < p->cfg->hotplug_slots; i++) {
		struct pci_function *fn = pcie_port_reap(p->ports[i]);

		if (!fn)
			continue;
		for (unsigned int j = 0; j < p->nr_devices; j++) {
			if (p->devices[j].fn != fn)
				continue;
			unregister_device(p, &p->devices[j]);
			break;
		}
		fn->ops->destroy(fn);
	}
}

/*
 * A file mapped into armvm that shrinks under it (another program truncates
 * the variable store, or the firmware in place) turns the next access to
 * the lost pages into SIGBUS in armvm, or into EFAULT from KVM_RUN when the
 * guest reads them through a memslot. Either ends the VM with a message
 * that names the file, not with a signal (issue 11). A signal handler can
 * find the ranges only in static memory: this table is the one global of
 * the platform, filled before any vCPU runs, emptied at destroy.
 */
enum { MAPPED_CODE, MAPPED_VARS, MAPPED_FILES };
static struct mapped_file {
	const uint8_t *start;
	uint64_t size;
	char msg[PATH_MAX + 160];
	size_t len;
} mapped_files[MAPPED_FILES];

static void sigbus_handler(int sig, siginfo_t *si, void *ucontext)
{
	const uint8_t *addr = si->si_addr;

	for (int i = 0; i < MAPPED_FILES; i++) {
		const struct mapped_file *m = &mapped_files[i];

		if (m->start && addr >= m->start && addr < m->start + m->size) {
			if (write(STDERR_FILENO, m->msg, m->len) < 0) {
				/* nothing more to do */
			}
			_exit(1);
		}
	}
	/* Not ours: the default action when the access is retried. */
	signal(SIGBUS, SIG_DFL);
}

static void guard_mapped_file(int which, const char *what, const char *path,
			      const struct flash_backing *b)
{
	struct mapped_file *m = &mapped_files[which];
	struct sigaction sa = {.sa_sigaction = sigbus_handler,
			       .sa_flags = SA_SIGINFO};

	snprintf(
	    m->msg, sizeof(m->msg),
	    "armvm: %s %s: the file shrank while armvm used it (truncated by another program?); stopping\n",
	    what, path);
	m->len = strlen(m->msg);
	m->size = b->map_size;
	m->start = b->map;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

bool platform_explain_efault(struct platform *p)
{
	struct stat st;

	if (p->vars.fd < 0 || !mapped_files[MAPPED_VARS].start ||
	    fstat(p->vars.fd, &st) < 0 ||
	    (uint64_t)st.st_size >= p->vars.map_size)
		return false;
	if (write(STDERR_FILENO, mapped_files[MAPPED_VARS].msg,
		  mapped_files[MAPPED_VARS].len) < 0) {
		/* the caller stops the VM anyway */
	}
	return true;
}

/* The code bank: the firmware file mapped read-only, padded with zeros to
 * whole erase blocks (the tail past the file is anonymous memory). */
static int map_code(struct platform *p, const char *path)
{
	struct flash_backing *b = &p->code;
	uint64_t size;
	void *file;
	int fd;

	if (firmware_check_code(path, &size) < 0)
		return -1;
	b->map_size = ALIGN_UP(size, FLASH_BLOCK_SIZE);
	b->map = mmap(NULL, b->map_size, PROT_READ,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->map == MAP_FAILED || fd < 0) {
		pr_err("--firmware %s: cannot map: %s", path, strerror(errno));
		b->map = NULL;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	file = mmap(b->map, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	close(fd);
	if (file == MAP_FAILED) {
		pr_err("--firmware %s: cannot map: %s", path, strerror(errno));
		return -1;
	}
	b->fd = -1;
	return 0;
}

/*
 * The variable bank: the instance's store, mapped shared so that what the
 * firmware programs lands in the file (the flash model syncs it before it
 * reports completion), and locked so that two armvm processes never share
 * one. Without a store (no --vars, no --instance) it is anonymous memory:
 * variables for this run only, and never anything written to the image.
 */
static int map_vars(struct platform *p, const char *path, const char *template)
{
	struct flash_backing *b = &p->vars;
	uint64_t size;

	b->fd = -1;
	if (!path) {
		b->map_size = FLASH_BANK_SIZE;
		b->map =
		    mmap(NULL, b->map_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (b->map == MAP_FAILED) {
			b->map = NULL;
			pr_err("variable store: out of memory");
			return -1;
		}
		pr_info(
		    "no --vars or --instance: UEFI variables last for this run only");
		return 0;
	}
	if (vars_prepare(path, template, &size) < 0)
		return -1;
	b->fd = open(path, O_RDWR | O_CLOEXEC);
	if (b->fd < 0) {
		pr_err("variable store %s: cannot open: %s", path,
		       strerror(errno));
		return -1;
	}
	if (flock(b->fd, LOCK_EX | LOCK_NB) < 0) {
		pr_err("variable store %s: in use by another armvm process",
		       path);
		return -1;
	}
	b->map_size = size;
	b->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		pr_err("variable store %s: cannot map: %s", path,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* cfi_flash set_mapped: read-array mode is read-only guest memory. */
static int vars_set_mapped(void *opaque, bool map)
{
	struct platform *p = opaque;

	if (p->glue.map_rom(p->glue.opaque, MR_FLASH_VARS, p->vars.map,
			    map ? p->vars.map_size : 0) < 0) {
		pr_warn("flash-vars: cannot %s its memory slot: %s",
			map ? "map" : "unmap", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * What a UEFI boot's disk says of the execution state (PLAT-1; the plan
 * decides, vmm/plan.c): with --arch auto, the architectures of the boot
 * disk's removable-media boot files (IMG-4: \EFI\BOOT\BOOTAA64.EFI,
 * BOOTARM.EFI; aarch64 when it has both), found with the PE reader of
 * `armvm image check`.
 */
static int probe_boot_disk(struct platform *p, struct guest_files *found)
{
	static const char *const file[] = {
	    [PE_ARCH_AARCH64] = "BOOTAA64.EFI", [PE_ARCH_ARM] = "BOOTARM.EFI"};
	const struct vm_config *cfg = p->cfg;
	struct image_boot ib;
	char why[600];
	bool aarch32;

	/*
	 * The disk is the guest's to write: it is read only when the
	 * execution state must come from it, and then in a confined child.
	 */
	if (!cfg->nr_disks || cfg->arch != VM_ARCH_AUTO)
		return 0;
	if (image_probe_boot(cfg->disks[0].path, &ib, why, sizeof(why)) < 0) {
		/* A firmware of the user's own may boot anything. */
		if (cfg->firmware)
			return 0;
		pr_err(
		    "%s (give --arch aarch64 or --arch aarch32 to boot it anyway)",
		    why);
		return -1;
	}
	aarch32 = !ib.boots[PE_ARCH_AARCH64];
	found->arch = aarch32 ? VM_ARCH_AARCH32 : VM_ARCH_AARCH64;
	found->what = cfg->disks[0].path;
	pr_info("%s: boots %s%s; an %s guest", cfg->disks[0].path,
		ib.boots[PE_ARCH_AARCH64] ? file[PE_ARCH_AARCH64] : "",
		ib.boots[PE_ARCH_AARCH64] && ib.boots[PE_ARCH_ARM]
		    ? " and BOOTARM.EFI"
		: ib.boots[PE_ARCH_ARM] ? file[PE_ARCH_ARM]
					: "",
		aarch32 ? "aarch32" : "aarch64");
	return 0;
}

static int create_flash(struct platform *p)
{
	const struct vm_config *cfg = p->cfg;
	const char *arch = p->plan->aarch32 ? "arm" : "aarch64";
	struct firmware_paths fw = {0};
	char vars_path[PATH_MAX];
	const char *vars = cfg->vars;
	struct cfi_flash_config code_cfg = {0}, vars_cfg = {0};

	if (!cfg->firmware &&
	    firmware_find(arch, FIRMWARE_DESCRIPTOR_DIR, &fw, true) < 0)
		return -1;
	if (cfg->firmware) {
		/* The distribution's template, if there is one, still fits
		 * a firmware of the same family; otherwise a blank store. */
		struct firmware_paths dist;

		snprintf(fw.code, sizeof(fw.code), "%s", cfg->firmware);
		if (firmware_find(arch, FIRMWARE_DESCRIPTOR_DIR, &dist,
				  false) == 0)
			snprintf(fw.vars_template, sizeof(fw.vars_template),
				 "%s", dist.vars_template);
	}
	if (cfg->instance) {
		if (instance_dir(cfg->instance, vars_path,
				 sizeof(vars_path) - 8) < 0)
			return -1;
		strcat(vars_path, "/vars.fd");
		vars = vars_path;
	}
	/* --test-fault volatile-vars: the store lasts for this run only, as
	 * without --vars (a VM that breaks FW-3, for armvm conform's tests). */
	if (cfg->test_faults & TEST_FAULT_VOLATILE_VARS)
		vars = NULL;
	snprintf(p->vars_path, sizeof(p->vars_path), "%s", vars ? vars : "");
	snprintf(p->code_path, sizeof(p->code_path), "%s", fw.code);
	if (map_code(p, fw.code) < 0 || map_vars(p, vars, fw.vars_template) < 0)
		return -1;
	guard_mapped_file(MAPPED_CODE, "firmware", fw.code, &p->code);
	if (vars)
		guard_mapped_file(MAPPED_VARS, "variable store", vars,
				  &p->vars);
	pr_info("firmware %s, variables %s", fw.code,
		vars ? vars : "(this run only)");

	code_cfg.name = "flash-code";
	code_cfg.base = machine_map[MR_FLASH_CODE].base;
	code_cfg.size = p->code.map_size;
	code_cfg.data = p->code.map;
	code_cfg.writable = false;
	code_cfg.sync_fd = -1;
	p->flash_code = cfi_flash_create(&code_cfg);

	vars_cfg.name = "flash-vars";
	vars_cfg.base = machine_map[MR_FLASH_VARS].base;
	vars_cfg.size = p->vars.map_size;
	vars_cfg.data = p->vars.map;
	vars_cfg.writable = true;
	vars_cfg.sync_fd = p->vars.fd;
	vars_cfg.set_mapped = vars_set_mapped;
	vars_cfg.opaque = p;
	p->flash_vars = cfi_flash_create(&vars_cfg);
	if (add_mmio_model(p, "flash-code", p->flash_code) < 0) {
		p->flash_code = NULL;
		return -1;
	}
	if (add_mmio_model(p, "flash-vars", p->flash_vars) < 0) {
		p->flash_vars = NULL;
		return -1;
	}
	return 0;
}

void platform_init(struct platform *p, const struct vm_config *cfg,
		   const struct platform_glue *glue, struct console *console)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->glue = *glue;
	p->console = console;
	p->code.fd = p->vars.fd = -1;
	pthread_mutex_init(&p->devices_lock, NULL);
}

int platform_create(struct platform *p, struct guest_files *found)
{
	const struct machine_region_desc *ecam = &machine_map[MR_PCIE_ECAM];
	const struct machine_region_desc *mmio = &machine_map[MR_PCIE_MMIO];
	const struct irq_sink irq = p->glue.irq;
	struct machine_device *d;

	if (add_mmio_model(p, "uart",
			   pl011_create(machine_map[MR_UART].base,
					machine_map[MR_UART].spi, irq,
					console_write, p->console)) < 0 ||
	    add_mmio_model(p, "gpio",
			   pl061_create(machine_map[MR_GPIO].base,
					machine_map[MR_GPIO].spi, irq)) < 0)
		return -1;
	p->uart = p->devices[0].dev;
	p->gpio = p->devices[1].dev;
	p->pci = pci_host_create(ecam->base, ecam->size, mmio->base, mmio->size,
				 mmio->spi, irq);
	if (!p->pci) {
		pr_err("out of memory creating the devices");
		return -1;
	}
	/* The host bridge: its configuration window is the entry (reset and
	 * the device tree go through it); the memory window is only routed. */
	if (bus_add(&p->bus, pci_host_ecam(p->pci)) < 0 ||
	    bus_add(&p->bus, pci_host_mmio(p->pci)) < 0 ||
	    !(d = register_device(p, MDEV_PCI_HOST, "pcie")))
		return -1;
	d->dev = pci_host_ecam(p->pci);
	if (create_disks(p) < 0)
		return -1;
	/* The disks checked, and before any thread starts (the pl031's, the
	 * virtio backends'): the probe forks a child that allocates, and a
	 * lock (an allocator's, with sanitizers) held by another thread at
	 * the fork would never be released in it. */
	if (!p->cfg->kernel && probe_boot_disk(p, found) < 0)
		return -1;
	/* --test-fault no-rtc: a VM that breaks FW-5, for armvm conform's
	 * tests; no device, no node. */
	if (p->cfg->test_faults & TEST_FAULT_NO_RTC)
		goto rtc_done;
	p->rtc = pl031_create(machine_map[MR_RTC].base, machine_map[MR_RTC].spi,
			      irq, NULL);
	if (add_mmio_model(p, "rtc", p->rtc) < 0) {
		p->rtc = NULL;
		return -1;
	}
rtc_done:
	if (p->cfg->boot_marker &&
	    add_mmio_model(p, "boot-marker",
			   boot_marker_create(machine_map[MR_BOOT_MARKER].base,
					      p->glue.boot_mark,
					      p->glue.opaque)) < 0)
		return -1;
	if (create_other_devices(p) < 0 || create_vsock(p) < 0 ||
	    create_ports(p) < 0)
		return -1;
	return 0;
}

/*
 * The one place the PCI host learns who takes its functions' MSIs, as the
 * plan says: KVM's ITS (the glue's sink, by requester id), the GICv2m
 * frame (its own sink: an MSI is a write to its MSI_SETSPI_NS), or
 * nobody. The sink is set here too: no function sends an MSI before the
 * guest enables MSI-X, so none is lost meanwhile.
 */
static int create_msi_controller(struct platform *p,
				 const struct machine_plan *plan)
{
	const struct machine_region_desc *r = &machine_map[MR_GIC_V2M];

	switch (plan->msi) {
	case MSI_ITS:
		pci_host_set_msi(p->pci, p->glue.msi, PCI_MSI_MAP,
				 PHANDLE_GIC_ITS);
		break;
	case MSI_GICV2M:
		p->v2m =
		    gicv2m_create(r->base, r->spi, r->nr_spis, p->glue.irq);
		if (!p->v2m)
			return -1;
		if (bus_add(&p->bus, p->v2m) < 0) {
			p->v2m->ops->destroy(p->v2m);
			p->v2m = NULL;
			return -1;
		}
		pci_host_set_msi(p->pci, gicv2m_msi_sink(p->v2m),
				 PCI_MSI_PARENT, PHANDLE_GIC_V2M);
		break;
	case MSI_NONE:
		pci_host_set_msi(p->pci, (struct msi_sink){0}, PCI_MSI_NONE, 0);
		break;
	}
	return 0;
}

int platform_apply_plan(struct platform *p, const struct machine_plan *plan)
{
	p->plan = plan;
	if (create_msi_controller(p, plan) < 0)
		return -1;
	if (plan->firmware_boot && create_flash(p) < 0)
		return -1;
	return 0;
}

void platform_set_doorbells(struct platform *p,
			    const struct doorbell_sink *doorbells)
{
	p->doorbells = *doorbells;
	pci_host_set_doorbells(p->pci, doorbells);
}

bool platform_press_power(struct platform *p)
{
	return pl061_press_power(p->gpio);
}

int platform_map_flash(struct platform *p)
{
	if (!p->plan->firmware_boot)
		return 0;
	/* The code bank executes in place: a read-only slot whose writes
	 * exit as MMIO to a bank that ignores them (research 2.4). */
	if (p->glue.map_rom(p->glue.opaque, MR_FLASH_CODE, p->code.map,
			    p->code.map_size) < 0) {
		pr_err("cannot map the firmware: %s", strerror(errno));
		return -1;
	}
	if (cfi_flash_array_mode(p->flash_vars) && vars_set_mapped(p, true) < 0)
		return -1;
	return 0;
}

static void unmap_backing(struct flash_backing *b)
{
	if (b->map)
		munmap(b->map, b->map_size);
	if (b->fd >= 0) {
		fdatasync(b->fd);
		close(b->fd); /* also drops the lock */
	}
	b->map = NULL;
	b->fd = -1;
}

/*
 * Every device back to its power-on state, in the order they were made
 * (the PCI host resets its functions, root ports and what is plugged in
 * them, itself).
 */
void platform_reset(struct platform *p)
{
	pthread_mutex_lock(&p->devices_lock);
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		struct device *dev = p->devices[i].dev;

		if (dev && dev->ops->reset)
			dev->ops->reset(dev);
	}
	pthread_mutex_unlock(&p->devices_lock);
}

unsigned int platform_fdt_devices(struct platform *p, struct device **out,
				  unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&p->devices_lock);
	for (unsigned int i = 0; i < p->nr_devices && n < max; i++)
		if (p->devices[i].dev && p->devices[i].dev->ops->fdt_node)
			out[n++] = p->devices[i].dev;
	pthread_mutex_unlock(&p->devices_lock);
	return n;
}

void platform_destroy(struct platform *p)
{
	/*
	 * The models with registers of their own (a virtio-mmio transport
	 * takes its device with it), then the PCI host, which owns its two
	 * windows and every function (a virtio-pci function its device; the
	 * balloon goes with its transport).
	 */
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		struct machine_device *d = &p->devices[i];

		if (d->kind == MDEV_MMIO || d->kind == MDEV_VIRTIO_MMIO)
			d->dev->ops->destroy(d->dev);
	}
	p->nr_devices = 0;
	if (p->v2m)
		p->v2m->ops->destroy(p->v2m);
	p->v2m = NULL;
	pci_host_destroy(p->pci);
	p->pci = NULL;
	p->uart = p->rtc = p->gpio = p->flash_code = p->flash_vars = NULL;
	p->balloon = NULL;
	memset(mapped_files, 0, sizeof(mapped_files));
	unmap_backing(&p->code);
	unmap_backing(&p->vars);
}

int platform_device_add(struct platform *p, const struct vm_device_spec *spec,
			char *id_out, size_t id_size)
{
	struct pcie_port *port = NULL;
	struct virtio_dev *vdev;
	char id[MACHINE_DEVICE_ID_MAX];
	int ret = -1;

	pthread_mutex_lock(&p->devices_lock);
	reap_ports(p);
	if (spec->id && (!*spec->id || strlen(spec->id) >= sizeof(id))) {
		pr_err("id '%s': expected 1 to %zu characters", spec->id,
		       sizeof(id) - 1);
		goto out;
	}
	if (spec->id && find_device(p, spec->id)) {
		pr_err("id '%s' is already in use", spec->id);
		goto out;
	}
	for (unsigned int i = 0; i < p->cfg->hotplug_slots && !port; i++)
		if ((!spec->slot || spec->slot == i + 1) &&
		    !pcie_port_child(p->ports[i]) &&
		    !pcie_port_unplug_pending(p->ports[i]))
			port = p->ports[i];
	if (!port) {
		pr_err(
		    "no free hot-plug slot (all %u in use; see --hotplug-slots)",
		    p->cfg->hotplug_slots);
		goto out;
	}
	if (spec->id) {
		snprintf(id, sizeof(id), "%s", spec->id);
	} else {
		for (unsigned int n = 0;; n++) {
			snprintf(id, sizeof(id), "%s%u", spec->type, n);
			if (!find_device(p, id))
				break;
		}
	}
	vdev = make_vdev(p, spec, id);
	if (!vdev || attach_virtio(p, vdev, spec, id, port, id) < 0)
		goto out;
	snprintf(id_out, id_size, "%s", id);
	ret = 0;
out:
	pthread_mutex_unlock(&p->devices_lock);
	return ret;
}

int platform_device_del(struct platform *p, const char *id)
{
	struct pci_function *removed = NULL;
	struct machine_device *d;
	int r;

	pthread_mutex_lock(&p->devices_lock);
	reap_ports(p);
	d = find_device(p, id);
	if (!d || d->kind != MDEV_VIRTIO_PCI || !d->port) {
		if (!d)
			pr_err("no device with id '%s'", id);
		else
			pr_err(
			    "device '%s' was given at start-up and is not hot-pluggable",
			    id);
		pthread_mutex_unlock(&p->devices_lock);
		return -1;
	}
	/* No wait here: the guest takes seconds (Linux's pciehp waits 5 s
	 * after the button), and the control thread must stay free for
	 * other requests (quit among them). A later release is collected
	 * by reap_ports(). */
	r = pcie_port_unplug(d->port, 0, &removed);
	if (r == 0) {
		unregister_device(p, d);
		removed->ops->destroy(removed);
	}
	pthread_mutex_unlock(&p->devices_lock);
	return r == 0 ? 1 : 0;
}

unsigned int platform_device_list(struct platform *p,
				  struct machine_device *out, unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&p->devices_lock);
	reap_ports(p);
	for (unsigned int i = 0; i < p->nr_devices && n < max; i++)
		if (p->devices[i].vdev)
			out[n++] = p->devices[i];
	pthread_mutex_unlock(&p->devices_lock);
	return n;
}

/* ---- Snapshots ---- */

void platform_quiesce(struct platform *p, bool quiesce)
{
	pthread_mutex_lock(&p->devices_lock);
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (p->devices[i].vdev)
			virtio_quiesce(p->devices[i].vdev, quiesce);
	pthread_mutex_unlock(&p->devices_lock);
}

int platform_hand_over_files(struct platform *p, bool release, bool quiet)
{
	int r = 0;

	/* Releasing stops at the first failure (the caller takes every
	 * lock back); taking back goes on to every file. */
	pthread_mutex_lock(&p->devices_lock);
	for (unsigned int i = 0; i < p->nr_devices && !(release && r); i++)
		if (p->devices[i].vdev &&
		    !strcmp(p->devices[i].type, "block") &&
		    virtio_blk_hand_over(p->devices[i].vdev, release, quiet) <
			0)
			r = -1;
	pthread_mutex_unlock(&p->devices_lock);
	if ((release && r) || p->vars.fd < 0)
		return r;
	if (release && msync(p->vars.map, p->vars.map_size, MS_SYNC) < 0) {
		pr_err("variable store %s: cannot make it durable: %s",
		       p->vars_path, strerror(errno));
		return -1;
	}
	if (flock(p->vars.fd, release ? LOCK_UN : LOCK_EX | LOCK_NB) < 0) {
		if (!quiet)
			pr_err("variable store %s: cannot %s its lock: %s",
			       p->vars_path, release ? "drop" : "take back",
			       strerror(errno));
		return -1;
	}
	return r;
}

/* The slot a hot-plugged device is in (1...), 0 if none. */
static unsigned int slot_of(const struct platform *p,
			    const struct machine_device *d)
{
	for (unsigned int i = 0; i < p->cfg->hotplug_slots; i++)
		if (d->kind == MDEV_VIRTIO_PCI && d->port &&
		    d->port == p->ports[i])
			return i + 1;
	return 0;
}

/* A file the VM uses: its path, size and inode, appended to list and
 * counted in *n. -1 after a message if it cannot be found (under --jail
 * the paths given are outside the root). */
static int save_file(struct state_writer *list, unsigned int *n,
		     const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		pr_err("snapshot: %s %s: %s%s", what, path, strerror(errno),
		       errno == ENOENT ? " (snapshots do not work under "
					 "--jail yet)"
				       : "");
		return -1;
	}
	sw_string(list, what);
	sw_string(list, path);
	sw_u64(list, (uint64_t)st.st_size);
	sw_u64(list, (uint64_t)st.st_ino);
	(*n)++;
	return 0;
}

/* A count, then the entries that were counted. */
static void put_counted(struct state_writer *w, unsigned int n,
			struct state_writer *list)
{
	sw_u32(w, n);
	sw_bytes(w, list->buf, list->len);
	if (list->failed)
		w->failed = true;
	sw_free(list);
}

static int save_files(struct platform *p, struct state_writer *w)
{
	const struct vm_config *cfg = p->cfg;
	struct state_writer list;
	unsigned int n = 0;
	int r = 0;

	sw_init(&list);
	for (unsigned int i = 0; i < cfg->nr_disks && !r; i++)
		r = save_file(&list, &n, "disk", cfg->disks[i].path);
	for (unsigned int i = 0; i < p->nr_devices && !r; i++)
		if (slot_of(p, &p->devices[i]) &&
		    !strcmp(p->devices[i].type, "block"))
			r = save_file(&list, &n, "disk", p->devices[i].path);
	/* The firmware too: the guest's RAM holds its runtime services. */
	if (!r && p->code_path[0])
		r = save_file(&list, &n, "firmware", p->code_path);
	if (!r && p->vars.fd >= 0)
		r = save_file(&list, &n, "variable store", p->vars_path);
	put_counted(w, n, &list);
	return r;
}

static void save_device(const struct machine_device *d, struct state_writer *w)
{
	switch (d->kind) {
	case MDEV_MMIO:
	case MDEV_PCI_HOST:
	case MDEV_VIRTIO_MMIO:
		if (d->dev->ops->save)
			d->dev->ops->save(d->dev, w);
		break;
	case MDEV_ROOT_PORT:
	case MDEV_VIRTIO_PCI:
		pci_function_save(d->fn, w);
		break;
	}
}

int platform_save(struct platform *p, struct state_writer *body)
{
	struct state_writer devices, hotplug, plugged, files, rec;
	char tag[SNAPSHOT_TAG_MAX + 1];
	unsigned int nr_hotplug = 0;
	int ret = -1;

	sw_init(&devices);
	sw_init(&hotplug);
	sw_init(&plugged);
	sw_init(&files);
	pthread_mutex_lock(&p->devices_lock);
	/* A device the guest released after a device-del leaves now, not
	 * at restore: its slot's record says empty. */
	reap_ports(p);
	sw_u32(&devices, p->nr_devices);
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		const struct machine_device *d = &p->devices[i];
		unsigned int slot = slot_of(p, d);

		sw_string(&devices, d->id);
		sw_u8(&devices, (uint8_t)d->kind);
		if (!slot)
			continue;
		if (strcmp(d->type, "block") && strcmp(d->type, "rng")) {
			pr_err("snapshot: hot-plugged %s device '%s': only "
			       "block and rng devices can be plugged again "
			       "at restore so far",
			       d->type, d->id);
			goto out;
		}
		sw_string(&plugged, d->id);
		sw_string(&plugged, d->type);
		sw_string(&plugged, d->path);
		sw_bool(&plugged, d->readonly);
		sw_bool(&plugged, d->writethrough);
		sw_u32(&plugged, slot);
		nr_hotplug++;
	}
	put_counted(&hotplug, nr_hotplug, &plugged);
	if (save_files(p, &files) < 0)
		goto out;
	snapshot_add_section(body, "devices", &devices);
	snapshot_add_section(body, "hotplug", &hotplug);
	snapshot_add_section(body, "files", &files);
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		const struct machine_device *d = &p->devices[i];

		sw_init(&rec);
		save_device(d, &rec);
		snprintf(tag, sizeof(tag), "dev:%s", d->id);
		snapshot_add_section(body, tag, &rec);
		sw_free(&rec);
	}
	ret = body->failed ? -1 : 0;
	if (ret)
		pr_err("snapshot: out of memory");
out:
	pthread_mutex_unlock(&p->devices_lock);
	sw_free(&devices);
	sw_free(&hotplug);
	sw_free(&plugged);
	sw_free(&files);
	return ret;
}

/* The files must be the ones the snapshot was taken with. */
static int check_files(const struct snapshot *s)
{
	char what[32], path[PATH_MAX];
	struct state_reader r;
	uint32_t n;

	if (snapshot_section(s, "files", &r) < 0)
		return -1;
	n = sr_u32_max(&r, MAX_DISKS + MAX_HOTPLUG_SLOTS + 2, "files");
	for (uint32_t i = 0; i < n && !r.failed; i++) {
		uint64_t size, ino;
		struct stat st;

		sr_string(&r, what, sizeof(what), "file kind");
		sr_string(&r, path, sizeof(path), "path");
		size = sr_u64(&r);
		ino = sr_u64(&r);
		if (r.failed)
			break;
		if (stat(path, &st) < 0) {
			pr_err("--restore %s: %s %s: %s", s->dir, what, path,
			       strerror(errno));
			return -1;
		}
		if ((uint64_t)st.st_size != size) {
			pr_err("--restore %s: %s %s is %llu bytes; the "
			       "snapshot's was %llu (expected the same file)",
			       s->dir, what, path,
			       (unsigned long long)st.st_size,
			       (unsigned long long)size);
			return -1;
		}
		if ((uint64_t)st.st_ino != ino) {
			pr_err("--restore %s: %s %s is another file than the "
			       "snapshot's (inode %llu, was %llu)",
			       s->dir, what, path,
			       (unsigned long long)st.st_ino,
			       (unsigned long long)ino);
			return -1;
		}
	}
	if (sr_done(&r) < 0) {
		pr_err("--restore %s/state: files: %s", s->dir, r.why);
		return -1;
	}
	return 0;
}

static int replay_hotplug(struct platform *p, const struct snapshot *s)
{
	char id[MACHINE_DEVICE_ID_MAX], type[16], path[PATH_MAX], out[64];
	struct state_reader r;
	uint32_t n;

	if (snapshot_section(s, "hotplug", &r) < 0)
		return -1;
	n = sr_u32_max(&r, p->cfg->hotplug_slots, "hot-plugged devices");
	for (uint32_t i = 0; i < n && !r.failed; i++) {
		struct vm_device_spec spec = {
		    .id = id, .type = type, .transport = VM_TRANSPORT_PCI};

		sr_string(&r, id, sizeof(id), "device id");
		sr_string(&r, type, sizeof(type), "device type");
		sr_string(&r, path, sizeof(path), "path");
		spec.readonly = sr_bool(&r);
		spec.writethrough = sr_bool(&r);
		spec.slot = sr_u32_max(&r, p->cfg->hotplug_slots, "slot");
		if (r.failed)
			break;
		if (strcmp(type, "block") && strcmp(type, "rng")) {
			sr_fail(&r, "device '%s' of type '%s'", id, type);
			break;
		}
		spec.path = path[0] ? path : NULL;
		if (platform_device_add(p, &spec, out, sizeof(out)) < 0)
			return -1;
	}
	if (sr_done(&r) < 0) {
		pr_err("--restore %s/state: hotplug: %s", s->dir, r.why);
		return -1;
	}
	return 0;
}

/* The registry now must list the snapshot's devices, in its order. */
static int check_registry(struct platform *p, const struct snapshot *s)
{
	char id[MACHINE_DEVICE_ID_MAX];
	struct state_reader r;
	uint32_t n;

	if (snapshot_section(s, "devices", &r) < 0)
		return -1;
	n = sr_u32_max(&r, MACHINE_MAX_DEVICES, "devices");
	if (!r.failed && n != p->nr_devices)
		sr_fail(&r, "%u devices, but this VM has %u", n, p->nr_devices);
	for (uint32_t i = 0; i < n && !r.failed; i++) {
		uint8_t kind;

		sr_string(&r, id, sizeof(id), "device id");
		kind = sr_u8(&r);
		if (!r.failed && (strcmp(id, p->devices[i].id) ||
				  kind != p->devices[i].kind))
			sr_fail(&r, "device %u is '%s', but this VM's is '%s'",
				i, id, p->devices[i].id);
	}
	if (sr_done(&r) < 0) {
		pr_err("--restore %s: the snapshot's devices differ from "
		       "this VM's: %s",
		       s->dir, r.why);
		return -1;
	}
	return 0;
}

int platform_restore_devices(struct platform *p, const struct snapshot *s)
{
	if (check_files(s) < 0 || replay_hotplug(p, s) < 0)
		return -1;
	return check_registry(p, s);
}

static int restore_device(struct machine_device *d, struct state_reader *r)
{
	switch (d->kind) {
	case MDEV_MMIO:
	case MDEV_PCI_HOST:
	case MDEV_VIRTIO_MMIO:
		return d->dev->ops->restore ? d->dev->ops->restore(d->dev, r)
					    : 0;
	case MDEV_ROOT_PORT:
	case MDEV_VIRTIO_PCI:
		return pci_function_restore(d->fn, r);
	}
	return -1;
}

int platform_restore_state(struct platform *p, const struct snapshot *s)
{
	char tag[SNAPSHOT_TAG_MAX + 1];
	int ret = 0;

	pthread_mutex_lock(&p->devices_lock);
	for (unsigned int i = 0; i < p->nr_devices && !ret; i++) {
		struct machine_device *d = &p->devices[i];
		struct state_reader r;

		snprintf(tag, sizeof(tag), "dev:%s", d->id);
		ret = snapshot_section(s, tag, &r);
		if (ret)
			break;
		if (restore_device(d, &r) < 0 || sr_done(&r) < 0) {
			pr_err("--restore %s/state: device '%s': %s", s->dir,
			       d->id, r.why[0] ? r.why : "refused");
			ret = -1;
		}
	}
	pthread_mutex_unlock(&p->devices_lock);
	return ret;
}
