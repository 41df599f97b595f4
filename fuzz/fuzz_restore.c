// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: snapshot records (issue 13, docs/snapshot.md) are as
 * hostile as a guest, so arbitrary bytes go to the restore of each device
 * model, freshly created with a fixed configuration and reset. Input: byte
 * 0 picks the model (its low 7 bits). With bit 7 clear, bytes 1-2
 * (little-endian) give the record's length, then comes the record; with
 * bit 7 set, the record is a fresh model's own, patched: byte 1 is a count
 * of 3-byte patches (le16 offset modulo the length, a byte), which gets
 * PCI functions past their 4 KiB configuration space. What follows is
 * guest RAM's first bytes (rings and buffers for restored queues). Besides ASan and UBSan, checked: a failed restore
 * says why; a record that restores saves again to bytes that restore into
 * another fresh model and save identically (virtio devices restored
 * quiesced, so that nothing runs in between); un-quiescing then runs the
 * restored queues, and nothing is written outside guest RAM (guard pages).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/cfi_flash.h"
#include "devices/pci.h"
#include "devices/pcie_port.h"
#include "devices/pl011.h"
#include "devices/pl031.h"
#include "devices/pl061.h"
#include "lib/state.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/pci.h"
#include "virtio/rng.h"
#include "virtio/vsock.h"

#define FZ_RAM_BASE   0x40000000ULL
#define FZ_RAM_SIZE   (1u << 20)
#define FZ_GUARD      4096
#define FZ_FLASH_SIZE 0x80000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum fz_kind {
	FZ_PL011,
	FZ_PL031,
	FZ_PL061,
	FZ_FLASH,
	FZ_MMIO_BLK,
	FZ_MMIO_RNG,
	FZ_PCI_BLK,
	FZ_PCI_RNG,
	FZ_PCI_BALLOON,
	FZ_PCI_NET,
	FZ_PCI_CONSOLE,
	FZ_PCI_VSOCK,
	FZ_PORT,
	FZ_KINDS
};

static struct {
	uint8_t *ram_area;
	struct guest_mem mem;
	char disk[2][64]; /* two models live at once: each locks its own */
	char vsock_dir[64], vsock_path[2][80]; /* two models live at once */
	uint8_t *flash;
} fz;

/* One model of a kind, with what it needs to be saved and freed. */
struct fz_model {
	enum fz_kind kind;
	struct device *dev;	 /* platform devices, virtio-mmio */
	struct pci_host *host;	 /* PCI kinds: the function is slot 1 */
	struct pci_function *fn; /* that function */
	struct pcie_port *port;	 /* FZ_PORT: with a virtio-rng below */
	struct virtio_dev *vdev;
	int peer;    /* virtio-net's backend socket, console's input */
	bool second; /* the copy made to restore the save into */
};

static void fz_set_level(void *opaque, uint32_t spi, bool level)
{
}

static bool fz_send_msi(void *opaque, uint64_t a, uint32_t d, uint32_t rid)
{
	return true;
}

static void fz_uart_out(void *opaque, const uint8_t *buf, size_t len)
{
}

static time_t fz_now(void *opaque)
{
	return 1700000000;
}

static int fz_set_mapped(void *opaque, bool map)
{
	return 0;
}

static void fz_init(void)
{
	int fd;

	fz.ram_area =
	    mmap(NULL, FZ_RAM_SIZE + 2 * FZ_GUARD, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fz.ram_area == MAP_FAILED)
		abort();
	/* Guard pages: a device writing past guest RAM faults at once. */
	mprotect(fz.ram_area, FZ_GUARD, PROT_NONE);
	mprotect(fz.ram_area + FZ_GUARD + FZ_RAM_SIZE, FZ_GUARD, PROT_NONE);
	fz.mem = (struct guest_mem){.host = fz.ram_area + FZ_GUARD,
				    .base = FZ_RAM_BASE,
				    .size = FZ_RAM_SIZE};
	for (int i = 0; i < 2; i++) {
		snprintf(fz.disk[i], sizeof(fz.disk[i]),
			 "/tmp/armvm-fuzz-restore.XXXXXX");
		fd = mkstemp(fz.disk[i]);
		if (fd < 0 || ftruncate(fd, 1 << 20))
			abort();
		close(fd);
	}
	snprintf(fz.vsock_dir, sizeof(fz.vsock_dir),
		 "/tmp/armvm-fuzz-restore-vsock.XXXXXX");
	if (!mkdtemp(fz.vsock_dir))
		abort();
	for (int i = 0; i < 2; i++)
		snprintf(fz.vsock_path[i], sizeof(fz.vsock_path[i]), "%s/v%d",
			 fz.vsock_dir, i);
	fz.flash = malloc(FZ_FLASH_SIZE);
	if (!fz.flash)
		abort();
}

static struct virtio_dev *fz_virtio(struct fz_model *m)
{
	struct virtio_net_config ncfg = {.id = "net0"};
	struct virtio_vsock_config vcfg = {.guest_cid = 3,
					   .path = fz.vsock_path[m->second]};
	int sv[2], fds[2];

	switch (m->kind) {
	case FZ_MMIO_BLK:
	case FZ_PCI_BLK:
		return virtio_blk_create(fz.disk[m->second], false, &fz.mem);
	case FZ_MMIO_RNG:
	case FZ_PCI_RNG:
		return virtio_rng_create(&fz.mem);
	case FZ_PCI_BALLOON:
		return virtio_balloon_create(&fz.mem);
	case FZ_PCI_NET:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
			abort();
		m->peer = sv[1];
		ncfg.backend = net_fd_backend_create(sv[0], "fuzz", false);
		return virtio_net_create(&ncfg, &fz.mem);
	case FZ_PCI_CONSOLE:
		if (pipe(fds))
			abort();
		m->peer = fds[1];
		return virtio_console_create(
		    "hvc0", fds[0], open("/dev/null", O_WRONLY), &fz.mem);
	case FZ_PCI_VSOCK:
		return virtio_vsock_create(&vcfg, &fz.mem);
	default:
		return NULL;
	}
}

static void fz_make(struct fz_model *m, enum fz_kind kind, bool second)
{
	static const struct pl031_config rtc = {.now = fz_now};
	struct irq_sink irq = {.set_level = fz_set_level};
	struct cfi_flash_config fcfg = {
	    .name = "flash-vars",
	    .base = 0x04000000,
	    .size = FZ_FLASH_SIZE,
	    .data = fz.flash,
	    .writable = true,
	    .sync_fd = -1,
	    .set_mapped = fz_set_mapped,
	};

	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->peer = -1;
	m->second = second;
	switch (kind) {
	case FZ_PL011:
		m->dev = pl011_create(0x09000000, 1, irq, fz_uart_out, NULL);
		break;
	case FZ_PL031:
		m->dev = pl031_create(0x09010000, 2, irq, &rtc);
		break;
	case FZ_PL061:
		m->dev = pl061_create(0x09030000, 7, irq);
		break;
	case FZ_FLASH:
		m->dev = cfi_flash_create(&fcfg);
		break;
	case FZ_MMIO_BLK:
	case FZ_MMIO_RNG:
		m->vdev = fz_virtio(m);
		if (m->vdev)
			m->dev = virtio_mmio_create(0x0a000000, 16, irq,
						    m->vdev, NULL);
		break;
	default:
		m->host = pci_host_create(0x3f000000, 0x1000000, 0x10000000,
					  0x2eff0000, 3, irq);
		if (!m->host)
			abort();
		pci_host_set_msi(m->host,
				 (struct msi_sink){.send = fz_send_msi},
				 PCI_MSI_MAP, 0);
		if (kind == FZ_PORT) {
			m->port = pcie_port_create(1);
			m->vdev = virtio_rng_create(&fz.mem);
			m->fn = m->port ? pcie_port_function(m->port) : NULL;
			if (!m->port || !m->vdev ||
			    pci_host_add(m->host, m->fn, 1) < 0 ||
			    pcie_port_plug(m->port,
					   virtio_pci_create(m->vdev, true)))
				abort();
			return;
		}
		m->vdev = fz_virtio(m);
		m->fn = m->vdev ? virtio_pci_create(m->vdev, true) : NULL;
		if (!m->fn || pci_host_add(m->host, m->fn, 1) < 0)
			abort();
		return;
	}
	if (!m->dev)
		abort();
}

static void fz_free(struct fz_model *m)
{
	if (m->dev)
		m->dev->ops->destroy(m->dev);
	if (m->host)
		pci_host_destroy(m->host);
	if (m->peer >= 0)
		close(m->peer);
}

static void fz_save(struct fz_model *m, struct state_writer *w)
{
	sw_init(w);
	if (m->dev) {
		m->dev->ops->save(m->dev, w);
		return;
	}
	pci_host_ecam(m->host)->ops->save(pci_host_ecam(m->host), w);
	pci_function_save(m->fn, w);
	if (m->port)
		pci_function_save(pcie_port_child(m->port), w);
}

static int fz_restore(struct fz_model *m, const uint8_t *buf, size_t len)
{
	struct state_reader r;
	int ret;

	sr_init(&r, buf, len);
	if (m->dev) {
		ret = m->dev->ops->restore(m->dev, &r);
	} else {
		ret = pci_host_ecam(m->host)->ops->restore(
		    pci_host_ecam(m->host), &r);
		if (!ret)
			ret = pci_function_restore(m->fn, &r);
		if (!ret && m->port)
			ret =
			    pci_function_restore(pcie_port_child(m->port), &r);
	}
	if (!ret)
		ret = sr_done(&r);
	if (ret && (!r.failed || !r.why[0]))
		abort(); /* a failed restore names what was wrong */
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_model a, b;
	struct state_writer w1, w2;
	enum fz_kind kind;
	size_t len;
	const uint8_t *rec = data + 3, *ram;
	struct state_writer base = {0};

	if (!fz.ram_area)
		fz_init();
	if (size < 3)
		return 0;
	kind = (enum fz_kind)((data[0] & 0x7f) % FZ_KINDS);
	memset(fz.flash, 0xff, FZ_FLASH_SIZE);
	if (data[0] & 0x80) {
		size_t n = data[1];

		if (size < 2 + 3 * n)
			return 0;
		fz_make(&a, kind, false);
		fz_save(&a, &base);
		fz_free(&a);
		for (size_t i = 0; i < n && base.len; i++) {
			const uint8_t *p = data + 2 + 3 * i;

			base.buf[(p[0] | (size_t)p[1] << 8) % base.len] = p[2];
		}
		rec = base.buf;
		len = base.len;
		ram = data + 2 + 3 * n;
		size -= 2 + 3 * n;
	} else {
		len = data[1] | (size_t)data[2] << 8;
		size -= 3;
		if (len > size)
			len = size;
		ram = rec + len;
		size -= len;
	}
	memset(fz.mem.host, 0, FZ_RAM_SIZE);
	memcpy(fz.mem.host, ram, size < FZ_RAM_SIZE ? size : FZ_RAM_SIZE);

	fz_make(&a, kind, false);
	if (a.vdev)
		virtio_quiesce(a.vdev, true);
	if (fz_restore(&a, rec, len) == 0) {
		fz_save(&a, &w1);
		fz_make(&b, kind, true);
		if (b.vdev)
			virtio_quiesce(b.vdev, true);
		if (w1.failed || fz_restore(&b, w1.buf, w1.len))
			abort(); /* a saved record must restore */
		fz_save(&b, &w2);
		if (w2.len != w1.len || memcmp(w1.buf, w2.buf, w1.len))
			abort(); /* and save the same again */
		sw_free(&w2);
		sw_free(&w1);
		fz_free(&b);
	}
	/* What waited runs now: the restored queues, on this thread. */
	if (a.vdev)
		virtio_quiesce(a.vdev, false);
	fz_free(&a);
	sw_free(&base);
	return 0;
}
