// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the whole machine as a guest sees it (issue 10; QEMU's
 * generic-fuzz is the model). The input is a sequence of operations on the
 * MMIO bus that armvm routes vCPU exits to (vmm/bus.c): pl011, pl031,
 * pl061, the PCIe host bridge's ECAM and memory window, two root ports
 * (virtio-rng hot-plugged below one), and virtio-blk, -net, -console,
 * -rng, -balloon and -vsock over virtio-pci with MSI-X, a second
 * virtio-blk and a virtio-rng on virtio-mmio (slots 0 and 1, as
 * --transport mmio places them, with doorbells on QueueNotify), plus
 * writes into guest RAM (rings, descriptors, buffers) and frames, console
 * input, UART input and balloon requests (a target, statistics) arriving
 * from the host. Each input starts from a reset machine whose BARs are
 * assigned as the firmware would, so that short inputs reach the devices'
 * registers. ASan and UBSan catch what goes wrong; the guest RAM has guard
 * pages around it that must stay untouched; a virtio-mmio device's line
 * must be high exactly while its InterruptStatus is non-zero, and each
 * reset must leave it one doorbell per queue.
 *
 * Operation: 16 bytes: kind, size selector, region, pad, 32-bit offset,
 * 64-bit value. The kind is the first byte modulo 6, except that bytes
 * from 0xfc up are the balloon's host side (added later: the corpora of
 * the other kinds keep their meaning); the pad picks the balloon request.
 *
 * The same harness is also built once per device (fuzz/fuzz_dev_*.c define
 * FZ_FOCUS and include this file): the machine is the same, but only that
 * device's registers (and, for a PCI function, its configuration space) are
 * regions, and only its host-side input arrives, so that every operation
 * of an input goes to one surface.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/gicv2m.h"
#include "devices/pci.h"
#include "devices/pcie_port.h"
#include "devices/pl011.h"
#include "devices/pl031.h"
#include "devices/pl061.h"
#include "lib/guest_mem.h"
#include "lib/util.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/net_backend.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"
#include "virtio/vsock.h"
#include "vmm/bus.h"
#include "vmm/machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum fz_focus {
	FZ_ALL,
	FZ_PL011,
	FZ_PL031,
	FZ_PL061,
	FZ_PCI_HOST,
	FZ_PCIE_PORT,
	FZ_VIRTIO_BLK,
	FZ_VIRTIO_NET,
	FZ_VIRTIO_CONSOLE,
	FZ_VIRTIO_RNG,
	FZ_VIRTIO_BALLOON,
	FZ_VIRTIO_VSOCK,
	FZ_VIRTIO_MMIO, /* the virtio-mmio transports (blk and rng) */
	FZ_GICV2M,	/* the GICv2m frame: only in its focused build */
};

#ifndef FZ_FOCUS
#define FZ_FOCUS FZ_ALL
#endif

static bool fz_focused(enum fz_focus f)
{
	return FZ_FOCUS == FZ_ALL || FZ_FOCUS == f;
}

#define FZ_RAM_SIZE (1u << 20)
#define FZ_GUARD    4096u
#define FZ_BAR(i)   (0x10000000ull + (uint64_t)(i)*0x100000)

/* virtio-vsock's slot: after the root ports (5, 6) and the balloon (7). */
#define FZ_VSOCK_SLOT 8

/* virtio-mmio slots taken: virtio-blk in 0, virtio-rng in 1; their
 * queues, which is how many doorbells each reset must leave. */
#define FZ_MMIO_SLOTS  2
#define FZ_MMIO_QUEUES 2

enum fz_kind {
	FZ_READ,
	FZ_WRITE,
	FZ_POKE_RAM,  /* 8 bytes into guest RAM at offset */
	FZ_NET_FRAME, /* a frame from the host's network side */
	FZ_CON_INPUT, /* bytes typed at virtio-console's host side */
	FZ_UART_INPUT,
	FZ_KINDS,
	FZ_BALLOON_HOST = FZ_KINDS, /* the control socket's balloon commands */
};
/* First bytes that select FZ_BALLOON_HOST. */
#define FZ_BALLOON_HOST_BYTE 0xfc

static struct fz_machine {
	uint8_t *ram_area; /* guard | RAM | guard */
	struct guest_mem mem;
	struct mmio_bus bus;
	struct pci_host *pci;
	struct pcie_port *port[2];
	struct device *uart;
	struct virtio_dev *net, *con, *balloon;
	struct device *mmio[FZ_MMIO_SLOTS];
	int net_peer, con_in;
	uint64_t region_base[24], region_size[24];
	unsigned int nr_regions;
} m;

/* Each SPI's level as the devices last set it (the virtio-mmio checks). */
static bool fz_level[MACHINE_NR_SPIS];
/* Doorbells the virtio-mmio transports hold (a KVM ioeventfd each in
 * armvm; here nothing rings them: QueueNotify writes arrive as MMIO). */
static int fz_bells;

static time_t fz_clock;
static time_t fz_now(void *opaque)
{
	return __atomic_load_n(&fz_clock, __ATOMIC_RELAXED);
}

static void fz_set_level(void *opaque, uint32_t spi, bool level)
{
	if (spi < MACHINE_NR_SPIS)
		__atomic_store_n(&fz_level[spi], level, __ATOMIC_RELAXED);
}

static void *fz_bell_add(void *opaque, const struct doorbell_spec *spec)
{
	uint64_t base = machine_map[MR_VIRTIO_MMIO].base;

	/* QueueNotify of a slot, 4 bytes, one queue's index. */
	if (spec->gpa < base || (spec->gpa - base) % VIRTIO_MMIO_SIZE != 0x50 ||
	    spec->len != 4 || !spec->datamatch || spec->value != spec->n)
		abort();
	fz_bells++;
	return &fz_bells;
}

static void fz_bell_remove(void *opaque, void *handle)
{
	if (handle != &fz_bells || --fz_bells < 0)
		abort();
}

static const struct doorbell_sink fz_doorbells = {.add = fz_bell_add,
						  .remove = fz_bell_remove};

/* Each virtio-mmio device's line: high exactly while its InterruptStatus
 * (0x60) is not zero (virtio 1.2 4.2.2, level-triggered). */
static void fz_check_mmio_irq(void)
{
	for (unsigned int i = 0; i < FZ_MMIO_SLOTS; i++) {
		struct device *d = m.mmio[i];
		bool level =
		    __atomic_load_n(&fz_level[d->spi], __ATOMIC_RELAXED);

		if (level != (d->ops->mmio_read(d, 0x60, 4) != 0))
			abort();
	}
}

static bool fz_send_msi(void *opaque, uint64_t addr, uint32_t data,
			uint32_t rid)
{
	return true;
}

static void fz_uart_out(void *opaque, const uint8_t *buf, size_t len)
{
}

static void fz_region(enum fz_focus f, uint64_t base, uint64_t size)
{
	if (!fz_focused(f))
		return;
	if (m.nr_regions == ARRAY_SIZE(m.region_base))
		abort(); /* a region left out would never be fuzzed */
	m.region_base[m.nr_regions] = base;
	m.region_size[m.nr_regions++] = size;
}

/* Bus 0's virtio functions by slot (FZ_VIRTIO_BLK + i is slot
 * fz_virtio_slot[i]'s focus); the root ports are at 5 and 6. */
static const unsigned int fz_virtio_slot[] = {1, 2, 3, 4, 7};

/* The configuration space of bus:slot.0 in the ECAM window. */
static uint64_t fz_ecam(unsigned int busnr, unsigned int slot)
{
	return machine_map[MR_PCIE_ECAM].base + (busnr << 20) + (slot << 15);
}

static struct pci_function *fz_virtio(struct virtio_dev *d)
{
	struct pci_function *fn = d ? virtio_pci_create(d, true) : NULL;

	if (!fn)
		abort();
	return fn;
}

static void fz_create(void)
{
	static const struct pl031_config rtc_cfg = {.now = fz_now};
	struct irq_sink irq = {.set_level = fz_set_level};
	char path[] = "/tmp/armvm-fuzz-disk.XXXXXX";
	char path2[] = "/tmp/armvm-fuzz-disk.XXXXXX";
	int fd = mkstemp(path), fd2 = mkstemp(path2), sv[2], pipe_in[2],
	    devnull;
	struct virtio_net_config ncfg = {.id = "net0"};
	static char vdir[] = "/tmp/armvm-fuzz-vsock.XXXXXX", vpath[64];
	struct virtio_vsock_config vcfg = {.guest_cid = 3, .path = vpath};

	m.ram_area =
	    mmap(NULL, FZ_RAM_SIZE + 2 * FZ_GUARD, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.ram_area == MAP_FAILED || fd < 0 || ftruncate(fd, 1 << 20) ||
	    fd2 < 0 || ftruncate(fd2, 256 << 10) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) || pipe(pipe_in))
		abort();
	close(fd);
	close(fd2);
	/* Guard pages: a device touching them faults at once. */
	mprotect(m.ram_area, FZ_GUARD, PROT_NONE);
	mprotect(m.ram_area + FZ_GUARD + FZ_RAM_SIZE, FZ_GUARD, PROT_NONE);
	m.mem = (struct guest_mem){.host = m.ram_area + FZ_GUARD,
				   .base = machine_map[MR_RAM].base,
				   .size = FZ_RAM_SIZE};

	m.uart = pl011_create(machine_map[MR_UART].base,
			      machine_map[MR_UART].spi, irq, fz_uart_out, NULL);
	if (!m.uart || bus_add(&m.bus, m.uart) < 0 ||
	    bus_add(&m.bus,
		    pl031_create(machine_map[MR_RTC].base,
				 machine_map[MR_RTC].spi, irq, &rtc_cfg)) < 0 ||
	    bus_add(&m.bus, pl061_create(machine_map[MR_GPIO].base,
					 machine_map[MR_GPIO].spi, irq)) < 0)
		abort();
	m.pci = pci_host_create(
	    machine_map[MR_PCIE_ECAM].base, machine_map[MR_PCIE_ECAM].size,
	    machine_map[MR_PCIE_MMIO].base, machine_map[MR_PCIE_MMIO].size,
	    machine_map[MR_PCIE_MMIO].spi, irq);
	if (!m.pci)
		abort();
	/* No DT is made here, so the msi-map's phandle goes unused. The
	 * GICv2m frame (a GICv2 machine's) is only in fuzz_dev_gicv2m, so
	 * that the whole machine's corpus keeps its meaning; there the PCI
	 * functions' MSIs go through it, as in armvm. */
	if (FZ_FOCUS == FZ_GICV2M) {
		struct device *frame = gicv2m_create(
		    machine_map[MR_GIC_V2M].base, machine_map[MR_GIC_V2M].spi,
		    machine_map[MR_GIC_V2M].nr_spis, irq);

		if (!frame || bus_add(&m.bus, frame) < 0)
			abort();
		pci_host_set_msi(m.pci, gicv2m_msi_sink(frame), PCI_MSI_PARENT,
				 0);
	} else {
		pci_host_set_msi(m.pci, (struct msi_sink){.send = fz_send_msi},
				 PCI_MSI_MAP, 0);
	}
	if (bus_add(&m.bus, pci_host_ecam(m.pci)) < 0 ||
	    bus_add(&m.bus, pci_host_mmio(m.pci)) < 0)
		abort();

	ncfg.backend = net_fd_backend_create(sv[0], "fuzz", false);
	m.net_peer = sv[1];
	m.net = virtio_net_create(&ncfg, &m.mem);
	devnull = open("/dev/null", O_WRONLY);
	m.con = virtio_console_create("hvc0", pipe_in[0], devnull, &m.mem);
	m.con_in = pipe_in[1];
	/* The harness must not wait for a guest that does not read. */
	fcntl(m.con_in, F_SETFL, O_NONBLOCK);
	if (pci_host_add(m.pci,
			 fz_virtio(virtio_blk_create(path, false, &m.mem)),
			 1) < 0 ||
	    pci_host_add(m.pci, fz_virtio(m.net), 2) < 0 ||
	    pci_host_add(m.pci, fz_virtio(m.con), 3) < 0 ||
	    pci_host_add(m.pci, fz_virtio(virtio_rng_create(&m.mem)), 4) < 0)
		abort();
	m.balloon = virtio_balloon_create(&m.mem);
	if (pci_host_add(m.pci, fz_virtio(m.balloon), 7) < 0)
		abort();
	unlink(path);
	for (int i = 0; i < 2; i++) {
		m.port[i] = pcie_port_create(i + 1);
		if (!m.port[i] ||
		    pci_host_add(m.pci, pcie_port_function(m.port[i]), 5 + i) <
			0)
			abort();
	}
	if (pcie_port_plug(m.port[0], fz_virtio(virtio_rng_create(&m.mem))))
		abort();
	/* virtio-vsock's host side listens in a directory of its own;
	 * its packets are fuzz_virtio_vsock's, its registers here. */
	if (!mkdtemp(vdir))
		abort();
	snprintf(vpath, sizeof(vpath), "%s/v", vdir);
	if (pci_host_add(m.pci, fz_virtio(virtio_vsock_create(&vcfg, &m.mem)),
			 FZ_VSOCK_SLOT) < 0)
		abort();
	unlink(vpath); /* it listens on, nameless */
	rmdir(vdir);
	/* virtio-mmio, as attach_virtio places devices (vmm/platform.c):
	 * a disk in slot 0, the rng in slot 1, on the bus. */
	for (unsigned int i = 0; i < FZ_MMIO_SLOTS; i++) {
		struct virtio_dev *vdev =
		    i == 0 ? virtio_blk_create(path2, false, &m.mem)
			   : virtio_rng_create(&m.mem);
		uint64_t base;
		uint32_t spi;

		if (!vdev || machine_virtio_mmio_slot(i, &base, &spi) < 0)
			abort();
		m.mmio[i] =
		    virtio_mmio_create(base, spi, irq, vdev, &fz_doorbells);
		if (!m.mmio[i] || bus_add(&m.bus, m.mmio[i]) < 0)
			abort();
	}
	unlink(path2);

	fz_region(FZ_PL011, machine_map[MR_UART].base,
		  machine_map[MR_UART].size);
	fz_region(FZ_PL031, machine_map[MR_RTC].base, machine_map[MR_RTC].size);
	fz_region(FZ_PL061, machine_map[MR_GPIO].base,
		  machine_map[MR_GPIO].size);
	fz_region(FZ_PCI_HOST, machine_map[MR_PCIE_ECAM].base,
		  8u << 20); /* buses 0-7 */
	/* The ports' own configuration spaces, and bus 1 behind port 0. */
	fz_region(FZ_PCIE_PORT, fz_ecam(0, 5), 2u << 15);
	fz_region(FZ_PCIE_PORT, fz_ecam(1, 0), 4096);
	for (unsigned int i = 0; i < ARRAY_SIZE(fz_virtio_slot); i++) {
		/* Each virtio function's configuration space and BAR 0. */
		unsigned int slot = fz_virtio_slot[i];

		fz_region(FZ_VIRTIO_BLK + i, fz_ecam(0, slot), 4096);
		fz_region(FZ_VIRTIO_BLK + i, FZ_BAR(slot), 0x4000);
	}
	fz_region(FZ_VIRTIO_VSOCK, fz_ecam(0, FZ_VSOCK_SLOT), 4096);
	fz_region(FZ_VIRTIO_VSOCK, FZ_BAR(FZ_VSOCK_SLOT), 0x4000);
	for (unsigned int i = 0; i < FZ_MMIO_SLOTS; i++)
		fz_region(FZ_VIRTIO_MMIO, m.mmio[i]->base, m.mmio[i]->size);
	if (FZ_FOCUS == FZ_GICV2M)
		fz_region(FZ_GICV2M, machine_map[MR_GIC_V2M].base,
			  machine_map[MR_GIC_V2M].size);
}

static void fz_cfg(unsigned int busnr, unsigned int slot, unsigned int reg,
		   unsigned int len, uint64_t val)
{
	uint8_t v[8];

	put_le64(v, val);
	bus_access(&m.bus, fz_ecam(busnr, slot) + reg, true, len, v);
}

/*
 * The host's side of the balloon, as the control socket drives it: a
 * target (sometimes more than RAM, or not whole pages: refused), a request
 * for statistics, a look at them; never a wait that would stall the input.
 */
static void fz_balloon_host(uint8_t op, uint64_t val)
{
	struct virtio_balloon_info info;
	struct virtio_balloon_ticket t;
	char err[160];

	switch (op % 4) {
	case 0:
		virtio_balloon_set_target(m.balloon,
					  val % (FZ_RAM_SIZE + 3 * 4096), err,
					  sizeof(err));
		break;
	case 1:
		virtio_balloon_set_target(m.balloon, (val % 257) * 4096, err,
					  sizeof(err));
		break;
	case 2:
		if (virtio_balloon_request_stats(m.balloon, &t, err,
						 sizeof(err)) == 0)
			virtio_balloon_wait_stats(m.balloon, &t, 0, &info);
		break;
	default:
		virtio_balloon_get_info(m.balloon, &info);
		if (info.actual > ((uint64_t)UINT32_MAX << 12) ||
		    info.target > FZ_RAM_SIZE ||
		    info.discarded > info.inflated * 4096 + info.reported)
			abort(); /* the device's accounts must add up */
		break;
	}
}

/* What the firmware leaves: bus numbers for the ports, BAR 0 of each
 * virtio function assigned, memory decoding and bus mastering on. */
static void fz_enumerate(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(fz_virtio_slot); i++) {
		unsigned int s = fz_virtio_slot[i];

		fz_cfg(0, s, PCI_BASE_ADDRESS_0, 4, FZ_BAR(s));
		fz_cfg(0, s, PCI_COMMAND, 2,
		       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	}
	fz_cfg(0, FZ_VSOCK_SLOT, PCI_BASE_ADDRESS_0, 4, FZ_BAR(FZ_VSOCK_SLOT));
	fz_cfg(0, FZ_VSOCK_SLOT, PCI_COMMAND, 2,
	       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	for (unsigned int p = 0; p < 2; p++) {
		fz_cfg(0, 5 + p, PCI_SECONDARY_BUS, 1, 1 + p);
		fz_cfg(0, 5 + p, PCI_SUBORDINATE_BUS, 1, 1 + p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int sizes[] = {1, 2, 4, 8};

	if (!m.pci)
		fz_create();
	bus_reset_all(&m.bus);
	if (fz_bells != FZ_MMIO_QUEUES)
		abort(); /* a reset lost or leaked a doorbell */
	/* The host's target too, so that every input starts alike. */
	virtio_balloon_machine_reset(m.balloon);
	memset(m.mem.host, 0, FZ_RAM_SIZE);
	__atomic_store_n(&fz_clock, 1700000000, __ATOMIC_RELAXED);
	fz_enumerate();

	for (; size >= 16; data += 16, size -= 16) {
		enum fz_kind kind = data[0] >= FZ_BALLOON_HOST_BYTE
					? FZ_BALLOON_HOST
					: data[0] % FZ_KINDS;
		unsigned int len = sizes[data[1] & 3];
		unsigned int r = data[2] % m.nr_regions;
		uint32_t off = get_le32(data + 4);
		uint64_t val = get_le64(data + 8);
		uint8_t v[8];

		put_le64(v, val);
		switch (kind) {
		case FZ_READ:
		case FZ_WRITE:
			bus_access(&m.bus,
				   m.region_base[r] + off % m.region_size[r],
				   kind == FZ_WRITE, len, v);
			break;
		case FZ_POKE_RAM:
			memcpy(m.mem.host + off % (FZ_RAM_SIZE - 8), v, 8);
			break;
		case FZ_NET_FRAME: {
			uint8_t frame[128];

			if (!fz_focused(FZ_VIRTIO_NET))
				break;
			memset(frame, data[3], sizeof(frame));
			memcpy(frame, v, 8);
			net_deliver(m.net, frame, 14 + off % 100);
			break;
		}
		case FZ_CON_INPUT:
			if (!fz_focused(FZ_VIRTIO_CONSOLE))
				break;
			if (write(m.con_in, v, len) < 0) {
				/* a full pipe: the guest does not read */
			}
			break;
		case FZ_UART_INPUT:
			if (fz_focused(FZ_PL011))
				pl011_receive(m.uart, v, len);
			break;
		case FZ_BALLOON_HOST:
			if (fz_focused(FZ_VIRTIO_BALLOON))
				fz_balloon_host(data[3], val);
			break;
		default:
			break;
		}
		__atomic_add_fetch(&fz_clock, data[3] & 1, __ATOMIC_RELAXED);
		fz_check_mmio_irq();
	}
	return 0;
}
