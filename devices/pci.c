// SPDX-License-Identifier: GPL-2.0
/*
 * PCI configuration space, BARs and INTx (PCI Local Bus 3.0 chapter 6), and
 * the ECAM host bridge (PCI Express Base 4.0 section 7.2.2; Linux binding
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml).
 */
#include <libfdt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "lib/util.h"

void pci_function_init(struct pci_function *fn, const char *name,
		       uint16_t vendor, uint16_t device, uint8_t revision,
		       uint32_t class_code, uint16_t subsys_vendor,
		       uint16_t subsys_id, bool intx)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&fn->cfg_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	memset(fn->cfg, 0, sizeof(fn->cfg));
	memset(fn->wmask, 0, sizeof(fn->wmask));
	memset(fn->w1cmask, 0, sizeof(fn->w1cmask));
	memset(fn->bar_size, 0, sizeof(fn->bar_size));
	fn->name = name;
	put_le16(fn->cfg + PCI_VENDOR_ID, vendor);
	put_le16(fn->cfg + PCI_DEVICE_ID, device);
	fn->cfg[PCI_REVISION_ID] = revision;
	fn->cfg[PCI_CLASS_PROG] = class_code & 0xff;
	fn->cfg[PCI_CLASS_PROG + 1] = (class_code >> 8) & 0xff;
	fn->cfg[PCI_CLASS_PROG + 2] = (class_code >> 16) & 0xff;
	put_le16(fn->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put_le16(fn->cfg + PCI_SUBSYSTEM_ID, subsys_id);
	/* Command: memory decode, bus mastering, INTx disable are ours to
	 * honour; the rest of the register is fixed at zero. */
	put_le16(fn->wmask + PCI_COMMAND, PCI_COMMAND_MEMORY |
					      PCI_COMMAND_MASTER |
					      PCI_COMMAND_INTX_DISABLE);
	/* Status error bits are RW1C; none ever set, but clearing is legal. */
	put_le16(fn->w1cmask + PCI_STATUS, 0xf900);
	fn->cfg[PCI_INTERRUPT_LINE] = 0xff;
	fn->wmask[PCI_INTERRUPT_LINE] = 0xff;	   /* scratch for software */
	fn->cfg[PCI_INTERRUPT_PIN] = intx ? 1 : 0; /* INTA# */
	fn->next_cap = 0x40;
}

void pci_function_add_bar(struct pci_function *fn, int bar, uint64_t size,
			  bool is64)
{
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t mask = ~(size - 1);

	fn->bar_size[bar] = size;
	fn->cfg[off] = is64 ? PCI_BAR_MEM64 : 0;
	/* Address bits below the size read as zero: sizing by writing ones
	 * reads back the size (PCI 3.0 section 6.2.5.1). */
	put_le32(fn->wmask + off, (uint32_t)mask & ~0xfu);
	if (is64)
		put_le32(fn->wmask + off + 4, (uint32_t)(mask >> 32));
}

void pci_bridge_init(struct pci_function *fn, const char *name, uint16_t vendor,
		     uint16_t device)
{
	pci_function_init(fn, name, vendor, device, 0, 0x060400, 0, 0, true);
	fn->is_bridge = true;
	fn->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	/* Type 1 has no subsystem ids at 0x2c; clear what init put there. */
	put_le32(fn->cfg + PCI_SUBSYSTEM_VENDOR_ID, 0);
	/* Bus numbers, latency timer. */
	memset(fn->wmask + PCI_PRIMARY_BUS, 0xff, 4);
	/* Only the memory window (bits 15:4 of base and limit). No I/O and
	 * no prefetchable window: the host bridge has no I/O aperture, and a
	 * bridge without them reads those registers as zero (PCI-to-PCI
	 * Bridge 1.2, 3.2.5.6 and 3.2.5.10), so firmware allocates neither;
	 * EDK2 fails the whole root bridge when it cannot. */
	put_le32(fn->wmask + 0x20, 0xfff0fff0);
	put_le16(fn->wmask + PCI_BRIDGE_CONTROL, 0x0fff);
}

uint32_t pci_requester_id(const struct pci_function *fn)
{
	uint32_t bus = fn->parent ? fn->parent->cfg[PCI_SECONDARY_BUS] : 0;

	return bus << 8 | fn->devfn;
}

uint8_t pci_add_capability(struct pci_function *fn, uint8_t id, uint8_t len)
{
	uint8_t off = fn->next_cap, *p;

	if (!len || (unsigned int)off + len > 0x100)
		return 0;
	/* Link it at the end of the list. */
	p = &fn->cfg[PCI_CAPABILITY_LIST];
	while (*p)
		p = &fn->cfg[*p + 1];
	*p = off;
	fn->cfg[off] = id;
	fn->cfg[off + 1] = 0;
	put_le16(fn->cfg + PCI_STATUS,
		 get_le16(fn->cfg + PCI_STATUS) | PCI_STATUS_CAP_LIST);
	fn->next_cap = ALIGN_UP(off + len, 4);
	return off;
}

uint64_t pci_bar_address(const struct pci_function *fn, int bar)
{
	uint32_t off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t addr;

	if (!fn->bar_size[bar] ||
	    !(get_le16(fn->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return 0;
	addr = get_le32(fn->cfg + off) & ~0xfULL;
	if (fn->cfg[off] & PCI_BAR_MEM64)
		addr |= (uint64_t)get_le32(fn->cfg + off + 4) << 32;
	return addr;
}

static void intx_update(struct pci_function *fn);

void pci_set_intx(struct pci_function *fn, bool level)
{
	pthread_mutex_lock(&fn->cfg_lock);
	fn->intx_level = level;
	intx_update(fn);
	pthread_mutex_unlock(&fn->cfg_lock);
}

uint32_t pci_config_read(struct pci_function *fn, uint32_t offset,
			 unsigned int size)
{
	uint32_t v = 0;

	/* Naturally aligned accesses of 1, 2 or 4 bytes; others read zero. */
	if ((size != 1 && size != 2 && size != 4) || offset % size ||
	    offset + size > PCI_CFG_SIZE)
		return 0;
	pthread_mutex_lock(&fn->cfg_lock);
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)fn->cfg[offset + i] << (8 * i);
	pthread_mutex_unlock(&fn->cfg_lock);
	return v;
}

void pci_config_write(struct pci_function *fn, uint32_t offset,
		      unsigned int size, uint32_t value)
{
	if ((size != 1 && size != 2 && size != 4) || offset % size ||
	    offset + size > PCI_CFG_SIZE)
		return;
	pthread_mutex_lock(&fn->cfg_lock);
	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = value >> (8 * i), w = fn->wmask[offset + i];
		uint8_t c = fn->w1cmask[offset + i];

		fn->cfg[offset + i] = (fn->cfg[offset + i] & ~w) | (b & w);
		fn->cfg[offset + i] &= ~(b & c);
	}
	if (offset < PCI_COMMAND + 2 && offset + size > PCI_COMMAND)
		intx_update(fn); /* InterruptDisable may have changed */
	pthread_mutex_unlock(&fn->cfg_lock);
	/* Without the lock: the model takes its own locks, then this one. */
	if (fn->ops && fn->ops->config_written)
		fn->ops->config_written(fn, offset, size);
}

void pci_function_reset(struct pci_function *fn)
{
	pthread_mutex_lock(&fn->cfg_lock);
	/* Power-on values of what the guest may change. */
	put_le16(fn->cfg + PCI_COMMAND, 0);
	for (int bar = 0; bar < PCI_NUM_BARS; bar++) {
		uint32_t off = PCI_BASE_ADDRESS_0 + 4 * bar;

		if (!fn->bar_size[bar])
			continue;
		put_le32(fn->cfg + off, get_le32(fn->cfg + off) & 0xf);
		if (fn->cfg[off] & PCI_BAR_MEM64)
			put_le32(fn->cfg + off + 4, 0);
	}
	fn->cfg[PCI_INTERRUPT_LINE] = 0xff;
	fn->intx_level = false;
	if (fn->is_bridge)
		memset(fn->cfg + PCI_PRIMARY_BUS, 0, 3);
	pthread_mutex_unlock(&fn->cfg_lock);
	if (fn->ops && fn->ops->reset)
		fn->ops->reset(fn);
	pthread_mutex_lock(&fn->cfg_lock);
	intx_update(fn);
	pthread_mutex_unlock(&fn->cfg_lock);
}

/* Record layout: docs/snapshot.md, "PCI functions". */
int pci_function_save(struct pci_function *fn, struct state_writer *w)
{
	pthread_mutex_lock(&fn->cfg_lock);
	sw_bytes(w, fn->cfg, PCI_CFG_SIZE);
	sw_bool(w, fn->intx_level);
	pthread_mutex_unlock(&fn->cfg_lock);
	if (fn->ops && fn->ops->save)
		fn->ops->save(fn, w);
	return w->failed ? -1 : 0;
}

int pci_function_restore(struct pci_function *fn, struct state_reader *r)
{
	uint8_t *cfg = malloc(PCI_CFG_SIZE);
	bool level;

	if (!cfg) {
		sr_fail(r, "%s: out of memory", fn->name);
		return -1;
	}
	sr_bytes(r, cfg, PCI_CFG_SIZE);
	level = sr_bool(r);
	if (r->failed) {
		free(cfg);
		return -1;
	}
	pthread_mutex_lock(&fn->cfg_lock);
	/* As pci_config_write merges a guest's bytes (PCI 3.0 6.2: read-only
	 * bits keep the function's values; a BAR's wmask drops the address
	 * bits below its size, 6.2.5.1), except that RW1C bits are taken as
	 * they were: the function had set them. */
	for (unsigned int i = 0; i < PCI_CFG_SIZE; i++) {
		uint8_t w = fn->wmask[i], c = fn->w1cmask[i];

		fn->cfg[i] = (fn->cfg[i] & ~(w | c)) | (cfg[i] & (w | c));
	}
	fn->intx_level = level;
	intx_update(fn);
	pthread_mutex_unlock(&fn->cfg_lock);
	free(cfg);
	if (fn->ops && fn->ops->restore && fn->ops->restore(fn, r)) {
		if (!r->failed)
			sr_fail(r, "%s: bad record", fn->name);
		return -1;
	}
	return r->failed ? -1 : 0;
}

/* --- The host bridge ---------------------------------------------------- */

/* Private to this file: the rest of armvm goes through pci.h's functions. */
struct pci_host {
	struct device ecam;   /* the configuration window */
	struct device mmio;   /* the memory window, routed to BARs */
	pthread_mutex_t lock; /* the hierarchy, busy counts, INTx counts */
	pthread_cond_t idle;  /* a function's busy count dropped to zero */
	struct pci_function *slots[PCI_MAX_SLOTS];
	unsigned int intx_count[4]; /* functions asserting each of INTA-D */
	uint32_t intx_spi_base;	    /* SPI of swizzled line 0 */
	uint64_t mmio_base, mmio_size;
	uint64_t ecam_base, ecam_size;
	struct irq_sink irq;
	/* Set before the guest runs and read without the lock. */
	struct msi_sink msi;
	struct doorbell_sink doorbells;
	enum pci_msi_parent msi_parent; /* the DT's: an ITS, a frame, none */
	uint32_t msi_phandle;
};

uint32_t pci_host_intx_spi(const struct pci_host *host, uint8_t devfn,
			   uint8_t pin)
{
	/* The standard swizzle (PCI-to-PCI Bridge 1.2, 9.1) that the
	 * interrupt-map below describes: INTA# of slot s reaches line s % 4. */
	return host->intx_spi_base + ((pin - 1u + (devfn >> 3)) % 4);
}

/* The host line fn's INTx pin reaches: the swizzle at every bridge on the
 * way up (PCI-to-PCI Bridge 1.2, 9.1), then the host's interrupt-map,
 * which is the same swizzle. */
static unsigned int intx_line(const struct pci_function *fn)
{
	unsigned int line = fn->cfg[PCI_INTERRUPT_PIN] - 1u;

	for (const struct pci_function *f = fn; f; f = f->parent)
		line += f->devfn >> 3;
	return line % 4;
}

/* Add (delta 1) or remove (-1) one assertion of a shared line; several
 * functions share each line, high while any of them asserts it. Host lock
 * held. */
static void intx_count(struct pci_host *host, unsigned int line, int delta)
{
	host->intx_count[line] += delta;
	if (host->irq.set_level && (host->intx_count[line] == 0 ||
				    (delta > 0 && host->intx_count[line] == 1)))
		host->irq.set_level(host->irq.opaque,
				    host->intx_spi_base + line,
				    host->intx_count[line] > 0);
}

/* Recompute fn's contribution to its shared INTx line (fn->cfg_lock held,
 * so that what it decides from cannot change meanwhile). */
static void intx_update(struct pci_function *fn)
{
	struct pci_host *host = fn->host;
	uint8_t pin = fn->cfg[PCI_INTERRUPT_PIN];
	bool disabled =
	    get_le16(fn->cfg + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;
	bool assert = fn->intx_level && !disabled;
	uint16_t status = get_le16(fn->cfg + PCI_STATUS);

	/* Status.InterruptStatus shows the function's own request. */
	put_le16(fn->cfg + PCI_STATUS, fn->intx_level
					   ? status | PCI_STATUS_INTERRUPT
					   : status & ~PCI_STATUS_INTERRUPT);
	if (!host || pin < 1 || pin > 4)
		return;
	pthread_mutex_lock(&host->lock);
	/* Detached meanwhile (hot-unplug): it no longer drives any line. */
	if (fn->host == host && assert != fn->intx_asserted) {
		fn->intx_asserted = assert;
		intx_count(host, intx_line(fn), assert ? 1 : -1);
	}
	pthread_mutex_unlock(&host->lock);
}

static struct pci_host *ecam_to_host(const struct device *dev)
{
	return (struct pci_host *)((const char *)dev -
				   offsetof(struct pci_host, ecam));
}

static struct pci_host *mmio_to_host(const struct device *dev)
{
	return (struct pci_host *)((const char *)dev -
				   offsetof(struct pci_host, mmio));
}

/* ECAM: offset = bus << 20 | device << 15 | function << 12 | register. */
static struct pci_function *ecam_function(struct pci_host *host,
					  uint64_t offset)
{
	unsigned int bus = offset >> 20, slot = (offset >> 15) & 31,
		     func = (offset >> 12) & 7;

	/* Single-function devices: on bus 0, and as device 0 behind a root
	 * port, on the bus the guest numbered its secondary bus. */
	if (func != 0)
		return NULL;
	if (bus == 0)
		return host->slots[slot];
	if (slot != 0)
		return NULL;
	for (unsigned int s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_function *port = host->slots[s];

		if (port && port->is_bridge &&
		    port->cfg[PCI_SECONDARY_BUS] == bus)
			return port->child;
	}
	return NULL;
}

/* Mark fn in use for one access (host lock held); see pci_host_set_child. */
static struct pci_function *get_fn(struct pci_host *host,
				   struct pci_function *fn)
{
	if (fn)
		fn->busy++;
	return fn;
}

static void put_fn(struct pci_host *host, struct pci_function *fn)
{
	pthread_mutex_lock(&host->lock);
	if (--fn->busy == 0)
		pthread_cond_broadcast(&host->idle);
	pthread_mutex_unlock(&host->lock);
}

void pci_host_set_child(struct pci_host *host, struct pci_function *port,
			struct pci_function *child)
{
	struct pci_function *old;

	pthread_mutex_lock(&host->lock);
	old = port->child;
	port->child = child;
	if (child) {
		child->host = host;
		child->parent = port;
		child->devfn = 0;
	}
	/* Accesses already routed to the old device finish first; then it
	 * lets go of its interrupt line and of the host for good. */
	while (old && old->busy)
		pthread_cond_wait(&host->idle, &host->lock);
	if (old) {
		if (old->intx_asserted)
			intx_count(host, intx_line(old), -1);
		old->intx_asserted = false;
		old->host = NULL;
		old->parent = NULL;
	}
	pthread_mutex_unlock(&host->lock);
}

static uint64_t ecam_read(struct device *dev, uint64_t offset,
			  unsigned int size)
{
	struct pci_host *host = ecam_to_host(dev);
	struct pci_function *fn;
	uint64_t v;

	pthread_mutex_lock(&host->lock);
	fn = get_fn(host, ecam_function(host, offset));
	pthread_mutex_unlock(&host->lock);
	if (!fn) /* no function: all ones (master abort) */
		return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	if (size == 8) {
		v = pci_config_read(fn, offset & 0xfff, 4);
		v |= (uint64_t)pci_config_read(fn, (offset & 0xfff) + 4, 4)
		     << 32;
	} else {
		v = pci_config_read(fn, offset & 0xfff, size);
	}
	put_fn(host, fn);
	return v;
}

static void ecam_write(struct device *dev, uint64_t offset, unsigned int size,
		       uint64_t value)
{
	struct pci_host *host = ecam_to_host(dev);
	struct pci_function *fn;

	pthread_mutex_lock(&host->lock);
	fn = get_fn(host, ecam_function(host, offset));
	pthread_mutex_unlock(&host->lock);
	if (!fn)
		return;
	if (size == 8) {
		pci_config_write(fn, offset & 0xfff, 4, (uint32_t)value);
		pci_config_write(fn, (offset & 0xfff) + 4, 4,
				 (uint32_t)(value >> 32));
	} else {
		pci_config_write(fn, offset & 0xfff, size, (uint32_t)value);
	}
	put_fn(host, fn);
}

static bool bar_hit(struct pci_function *fn, uint64_t addr, unsigned int size,
		    int *bar, uint64_t *off)
{
	for (int b = 0; fn && b < PCI_NUM_BARS; b++) {
		uint64_t base = pci_bar_address(fn, b);

		if (base && addr >= base && addr - base < fn->bar_size[b] &&
		    size <= fn->bar_size[b] - (addr - base)) {
			*bar = b;
			*off = addr - base;
			return true;
		}
	}
	return false;
}

/* Find the BAR the guest programmed at addr (host lock held). Bridge
 * windows are not checked: the guest keeps BARs apart anyway, and a BAR
 * outside its port's window is the guest's own misconfiguration. */
static struct pci_function *bar_at(struct pci_host *host, uint64_t addr,
				   unsigned int size, int *bar, uint64_t *off)
{
	for (unsigned int s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_function *fn = host->slots[s];

		if (fn && bar_hit(fn, addr, size, bar, off))
			return fn;
		if (fn && fn->child && bar_hit(fn->child, addr, size, bar, off))
			return fn->child;
	}
	return NULL;
}

static uint64_t window_read(struct device *dev, uint64_t offset,
			    unsigned int size)
{
	struct pci_host *host = mmio_to_host(dev);
	struct pci_function *fn;
	uint64_t off;
	int bar;

	uint64_t v = 0;

	pthread_mutex_lock(&host->lock);
	fn = get_fn(host, bar_at(host, dev->base + offset, size, &bar, &off));
	pthread_mutex_unlock(&host->lock);
	if (!fn)
		return 0;
	if (fn->ops->bar_read)
		v = fn->ops->bar_read(fn, bar, off, size);
	put_fn(host, fn);
	return v;
}

static void window_write(struct device *dev, uint64_t offset, unsigned int size,
			 uint64_t value)
{
	struct pci_host *host = mmio_to_host(dev);
	struct pci_function *fn;
	uint64_t off;
	int bar;

	pthread_mutex_lock(&host->lock);
	fn = get_fn(host, bar_at(host, dev->base + offset, size, &bar, &off));
	pthread_mutex_unlock(&host->lock);
	if (!fn)
		return;
	if (fn->ops->bar_write)
		fn->ops->bar_write(fn, bar, off, size, value);
	put_fn(host, fn);
}

static int host_fdt_node(const struct device *dev, void *fdt)
{
	struct pci_host *host = ecam_to_host(dev);
	/* ranges: one MMIO32 window, identity-mapped (the stock firmware
	 * needs exactly that: research 4, pci-host-ecam-generic). */
	fdt32_t ranges[7] = {
	    cpu_to_fdt32(0x02000000),
	    cpu_to_fdt32(host->mmio_base >> 32),
	    cpu_to_fdt32((uint32_t)host->mmio_base),
	    cpu_to_fdt32(host->mmio_base >> 32),
	    cpu_to_fdt32((uint32_t)host->mmio_base),
	    cpu_to_fdt32(host->mmio_size >> 32),
	    cpu_to_fdt32((uint32_t)host->mmio_size),
	};
	fdt32_t bus_range[2] = {0,
				cpu_to_fdt32(host->ecam_size / (1 << 20) - 1)};
	fdt32_t map[4 * 4 * 10],
	    mask[4] = {cpu_to_fdt32(0x1800), 0, 0, cpu_to_fdt32(7)};
	fdt32_t msi_map[4] = {0, cpu_to_fdt32(host->msi_phandle), 0,
			      cpu_to_fdt32(0x10000)};
	int err = 0, n = 0;

	/* interrupt-map: child (devfn << 8, 0, 0, pin) -> GIC SPI, for the
	 * four slots modulo 4 and the four pins (the swizzle above). The GIC
	 * node has #address-cells = 2, hence two zero parent address cells. */
	for (unsigned int slot = 0; slot < 4; slot++) {
		for (unsigned int pin = 1; pin <= 4; pin++) {
			map[n++] = cpu_to_fdt32(slot << 11);
			map[n++] = 0;
			map[n++] = 0;
			map[n++] = cpu_to_fdt32(pin);
			map[n++] = cpu_to_fdt32(PHANDLE_GIC);
			map[n++] = 0;
			map[n++] = 0;
			map[n++] = cpu_to_fdt32(FDT_GIC_SPI);
			map[n++] = cpu_to_fdt32(
			    pci_host_intx_spi(host, slot << 3, pin));
			map[n++] = cpu_to_fdt32(FDT_IRQ_LEVEL_HIGH);
		}
	}
	err |= fdt_begin_node_at(fdt, "pcie", host->mmio_base) < 0;
	err |=
	    fdt_property_string(fdt, "compatible", "pci-host-ecam-generic") < 0;
	err |= fdt_property_string(fdt, "device_type", "pci") < 0;
	err |= fdt_property_u32(fdt, "#address-cells", 3) < 0;
	err |= fdt_property_u32(fdt, "#size-cells", 2) < 0;
	err |= fdt_property_u32(fdt, "#interrupt-cells", 1) < 0;
	err |= fdt_property_reg64(fdt, host->ecam_base, host->ecam_size) < 0;
	err |= fdt_property(fdt, "bus-range", bus_range, sizeof(bus_range)) < 0;
	err |= fdt_property_u32(fdt, "linux,pci-domain", 0) < 0;
	err |= fdt_property(fdt, "dma-coherent", NULL, 0) < 0;
	err |= fdt_property(fdt, "ranges", ranges, sizeof(ranges)) < 0;
	err |= fdt_property(fdt, "interrupt-map-mask", mask, sizeof(mask)) < 0;
	err |= fdt_property(fdt, "interrupt-map", map, n * sizeof(fdt32_t)) < 0;
	if (host->msi_parent == PCI_MSI_MAP)
		err |=
		    fdt_property(fdt, "msi-map", msi_map, sizeof(msi_map)) < 0;
	else if (host->msi_parent == PCI_MSI_PARENT)
		err |=
		    fdt_property_u32(fdt, "msi-parent", host->msi_phandle) < 0;
	err |= fdt_end_node(fdt) < 0;
	return err ? -1 : 0;
}

static void host_reset(struct device *dev)
{
	pci_host_reset(ecam_to_host(dev));
}

/* Which slots hold a function, and which of those a device below (a root
 * port's child): the shape the functions' own records were saved for. */
static void host_shape(struct pci_host *host, uint32_t *slots,
		       uint32_t *children)
{
	*slots = *children = 0;
	pthread_mutex_lock(&host->lock);
	for (unsigned int s = 0; s < PCI_MAX_SLOTS; s++) {
		if (host->slots[s])
			*slots |= 1u << s;
		if (host->slots[s] && host->slots[s]->child)
			*children |= 1u << s;
	}
	pthread_mutex_unlock(&host->lock);
}

/*
 * Record (docs/snapshot.md): the host bridge keeps no state of its own
 * (INTx line counts follow from the functions, restored one by one);
 * its record is the hierarchy, which the restore checks the caller
 * rebuilt the same.
 */
static void host_save(struct device *dev, struct state_writer *w)
{
	uint32_t slots, children;

	host_shape(ecam_to_host(dev), &slots, &children);
	sw_u32(w, slots);
	sw_u32(w, children);
}

static int host_restore(struct device *dev, struct state_reader *r)
{
	uint32_t slots, children, want_slots, want_children;

	host_shape(ecam_to_host(dev), &want_slots, &want_children);
	slots = sr_u32(r);
	children = sr_u32(r);
	if (!r->failed && (slots != want_slots || children != want_children))
		sr_fail(r,
			"pcie: slots 0x%x with devices below 0x%x, the host "
			"has 0x%x and 0x%x",
			slots, children, want_slots, want_children);
	return r->failed ? -1 : 0;
}

static const struct device_ops ecam_ops = {
    .reset = host_reset,
    .mmio_read = ecam_read,
    .mmio_write = ecam_write,
    .fdt_node = host_fdt_node,
    .save = host_save,
    .restore = host_restore,
};

/* The memory window has no node of its own; the host bridge's describes it. */
static const struct device_ops window_ops = {
    .mmio_read = window_read,
    .mmio_write = window_write,
};

struct pci_host *pci_host_create(uint64_t ecam_base, uint64_t ecam_size,
				 uint64_t mmio_base, uint64_t mmio_size,
				 uint32_t intx_spi_base, struct irq_sink irq)
{
	struct pci_host *host = calloc(1, sizeof(*host));

	if (!host)
		return NULL;
	pthread_mutex_init(&host->lock, NULL);
	pthread_cond_init(&host->idle, NULL);
	host->ecam = (struct device){.ops = &ecam_ops,
				     .name = "pcie",
				     .base = ecam_base,
				     .size = ecam_size,
				     .spi = intx_spi_base};
	host->mmio = (struct device){.ops = &window_ops,
				     .name = "pcie-mmio",
				     .base = mmio_base,
				     .size = mmio_size};
	host->ecam_base = ecam_base;
	host->ecam_size = ecam_size;
	host->mmio_base = mmio_base;
	host->mmio_size = mmio_size;
	host->intx_spi_base = intx_spi_base;
	host->irq = irq;
	return host;
}

int pci_host_add(struct pci_host *host, struct pci_function *fn, int slot)
{
	int ret = -1;

	pthread_mutex_lock(&host->lock);
	if (slot < 0) {
		/* Slot 0 stays empty, as on QEMU's virt. */
		for (slot = 1; slot < PCI_MAX_SLOTS && host->slots[slot];
		     slot++)
			;
	}
	if (slot >= 1 && slot < PCI_MAX_SLOTS && !host->slots[slot]) {
		fn->host = host;
		fn->devfn = slot << 3;
		host->slots[slot] = fn;
		ret = slot;
	}
	pthread_mutex_unlock(&host->lock);
	if (ret < 0)
		pr_err("%s: no free PCI slot (at most %d devices)", fn->name,
		       PCI_MAX_SLOTS - 1);
	return ret;
}

void pci_host_reset(struct pci_host *host)
{
	for (unsigned int s = 0; s < PCI_MAX_SLOTS; s++) {
		if (!host->slots[s])
			continue;
		pci_function_reset(host->slots[s]);
		if (host->slots[s]->child)
			pci_function_reset(host->slots[s]->child);
	}
}

struct device *pci_host_ecam(struct pci_host *host)
{
	return &host->ecam;
}

struct device *pci_host_mmio(struct pci_host *host)
{
	return &host->mmio;
}

void pci_host_set_msi(struct pci_host *host, struct msi_sink sink,
		      enum pci_msi_parent parent, uint32_t phandle)
{
	host->msi = sink;
	host->msi_parent = parent;
	host->msi_phandle = phandle;
}

bool pci_host_send_msi(struct pci_host *host, uint64_t address, uint32_t data,
		       uint32_t requester_id)
{
	if (!host->msi.send)
		return false;
	return host->msi.send(host->msi.opaque, address, data, requester_id);
}

void pci_host_set_doorbells(struct pci_host *host,
			    const struct doorbell_sink *sink)
{
	host->doorbells = *sink;
}

struct doorbell_sink pci_host_doorbells(const struct pci_host *host)
{
	return host->doorbells;
}

void pci_host_destroy(struct pci_host *host)
{
	if (!host)
		return;
	for (unsigned int s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_function *fn = host->slots[s];

		if (fn && fn->child && fn->child->ops &&
		    fn->child->ops->destroy)
			fn->child->ops->destroy(fn->child);
		if (fn && fn->ops && fn->ops->destroy)
			fn->ops->destroy(fn);
	}
	pthread_cond_destroy(&host->idle);
	pthread_mutex_destroy(&host->lock);
	free(host);
}
