// SPDX-License-Identifier: GPL-2.0
/*
 * ARM PrimeCell GPIO (PL061), after the PL061 Technical Reference Manual
 * (ARM DDI 0190B). Eight pins; the host drives the input side of each pin
 * (pl061_set_input), the guest the output side of the pins it sets as
 * outputs in GPIODIR. Interrupt detection watches the pin value, whatever
 * drives it, as the hardware's does. There is no alternate function behind
 * GPIOAFSEL: it is stored and read back only.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <libfdt.h>

#include "devices/pl061.h"
#include "lib/util.h"

/* Register offsets (TRM 3.2, table 3-1). */
#define GPIODATA      0x000 /* 0x000-0x3fc: address bits [9:2] mask the pins */
#define GPIODIR	      0x400
#define GPIOIS	      0x404
#define GPIOIBE	      0x408
#define GPIOIEV	      0x40c
#define GPIOIE	      0x410
#define GPIORIS	      0x414
#define GPIOMIS	      0x418
#define GPIOIC	      0x41c
#define GPIOAFSEL     0x420
#define GPIOPERIPHID0 0xfe0

/* PrimeCell identification (TRM 3.3.11-3.3.12): part 0x061, ARM, r0. */
static const uint8_t pl061_id[8] = {0x61, 0x10, 0x04, 0x00,
				    0x0d, 0xf0, 0x05, 0xb1};

struct pl061 {
	struct device dev;
	pthread_mutex_t lock;

	uint8_t in;   /* host-driven input levels */
	uint8_t out;  /* GPIODATA's output latch (pins with DIR set) */
	uint8_t pins; /* the pin values interrupt detection last saw */
	uint8_t dir, is, ibe, iev, ie, afsel;
	uint8_t edges; /* latched edge interrupts, cleared by GPIOIC */
	bool irq_level;
};

static struct pl061 *to_pl061(const struct device *dev)
{
	return (struct pl061 *)dev;
}

static uint8_t pin_values(const struct pl061 *g)
{
	return (uint8_t)((g->out & g->dir) | (g->in & ~g->dir));
}

static uint8_t raw_status(const struct pl061 *g)
{
	/* Level-sensitive pins report their condition while it lasts (IEV 1:
	 * high, 0: low); edge-sensitive ones what was latched. */
	uint8_t level = (uint8_t)(~(g->pins ^ g->iev) & g->is);

	return (uint8_t)((g->edges & ~g->is) | level);
}

/*
 * Called with the lock held after any state change: sample the pins, latch
 * the edges the configuration asks for (IBE: both; else IEV 1: rising, 0:
 * falling) and drive the line.
 */
static void update(struct pl061 *g)
{
	uint8_t now = pin_values(g);
	uint8_t changed = g->pins ^ now;
	bool level;

	g->edges |= changed & ~g->is & (g->ibe | ~(now ^ g->iev));
	g->pins = now;
	level = (raw_status(g) & g->ie) != 0;
	if (level != g->irq_level) {
		g->irq_level = level;
		device_set_irq(&g->dev, level);
	}
}

static void pl061_reset(struct device *dev)
{
	struct pl061 *g = to_pl061(dev);

	pthread_mutex_lock(&g->lock);
	g->out = g->dir = g->is = g->ibe = g->iev = g->ie = g->afsel = 0;
	/* Every pin is an input again; what it reads is not an edge. */
	g->pins = pin_values(g);
	g->edges = 0;
	update(g);
	pthread_mutex_unlock(&g->lock);
}

static uint64_t pl061_read(struct device *dev, uint64_t offset,
			   unsigned int size)
{
	struct pl061 *g = to_pl061(dev);
	uint32_t v = 0;

	/* Linux's gpio-pl061 uses byte accesses, EDK2's 32-bit ones: both are
	 * register-aligned. Registers are 8 bits wide. */
	if (offset & 3 || size > 4)
		return 0;
	if (offset >= GPIOPERIPHID0 && offset < GPIOPERIPHID0 + 0x20)
		return pl061_id[(offset - GPIOPERIPHID0) / 4];

	pthread_mutex_lock(&g->lock);
	if (offset < GPIODIR) {
		v = g->pins & (offset >> 2);
	} else {
		switch (offset) {
		case GPIODIR:
			v = g->dir;
			break;
		case GPIOIS:
			v = g->is;
			break;
		case GPIOIBE:
			v = g->ibe;
			break;
		case GPIOIEV:
			v = g->iev;
			break;
		case GPIOIE:
			v = g->ie;
			break;
		case GPIORIS:
			v = raw_status(g);
			break;
		case GPIOMIS:
			v = raw_status(g) & g->ie;
			break;
		case GPIOAFSEL:
			v = g->afsel;
			break;
		default: /* GPIOIC (write-only), reserved, test: read as zero */
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return v;
}

static void pl061_write(struct device *dev, uint64_t offset, unsigned int size,
			uint64_t value)
{
	struct pl061 *g = to_pl061(dev);
	uint8_t v = (uint8_t)value;
	uint8_t mask;

	if (offset & 3 || size > 4)
		return;

	pthread_mutex_lock(&g->lock);
	if (offset < GPIODIR) {
		/* Only the addressed pins change (TRM 3.3.1); the latch holds
		 * input pins' bits too, which show once they become outputs. */
		mask = (uint8_t)(offset >> 2);
		g->out = (uint8_t)((g->out & ~mask) | (v & mask));
	} else {
		switch (offset) {
		case GPIODIR:
			g->dir = v;
			break;
		case GPIOIS:
			g->is = v;
			/* A pin turned level-sensitive drops its stale edge. */
			g->edges &= ~v;
			break;
		case GPIOIBE:
			g->ibe = v;
			break;
		case GPIOIEV:
			g->iev = v;
			break;
		case GPIOIE:
			g->ie = v;
			break;
		case GPIOIC:
			g->edges &= ~v;
			break;
		case GPIOAFSEL:
			g->afsel = v;
			break;
		default: /* read-only, reserved, ID: ignored */
			break;
		}
	}
	update(g);
	pthread_mutex_unlock(&g->lock);
}

void pl061_set_input(struct device *dev, unsigned int pin, bool level)
{
	struct pl061 *g = to_pl061(dev);

	if (pin >= PL061_NR_PINS)
		return;
	pthread_mutex_lock(&g->lock);
	if (level)
		g->in |= (uint8_t)(1u << pin);
	else
		g->in &= (uint8_t) ~(1u << pin);
	update(g);
	pthread_mutex_unlock(&g->lock);
}

bool pl061_press_power(struct device *dev)
{
	struct pl061 *g = to_pl061(dev);
	struct timespec ts = {0, PL061_PRESS_MS * 1000000L};
	bool listening;

	pthread_mutex_lock(&g->lock);
	listening = (g->ie >> PL061_POWER_PIN) & 1;
	pthread_mutex_unlock(&g->lock);

	pl061_set_input(dev, PL061_POWER_PIN, true);
	/* Long enough for gpio-keys' debounce (5 ms by default) to sample the
	 * pressed level; short enough to feel like a press. */
	while (nanosleep(&ts, &ts) < 0)
		;
	pl061_set_input(dev, PL061_POWER_PIN, false);
	return listening;
}

static int pl061_fdt_node(const struct device *dev, void *fdt)
{
	static const char compat[] = "arm,pl061\0arm,primecell";
	fdt32_t gpios[3] = {cpu_to_fdt32(PHANDLE_GPIO),
			    cpu_to_fdt32(PL061_POWER_PIN),
			    cpu_to_fdt32(0) /* GPIO_ACTIVE_HIGH */};
	int err = 0;

	err |= fdt_begin_node_at(fdt, "gpio", dev->base);
	err |= fdt_property(fdt, "compatible", compat, sizeof(compat));
	err |= fdt_property_reg64(fdt, dev->base, dev->size);
	err |= fdt_property_spi(fdt, dev->spi, FDT_IRQ_LEVEL_HIGH);
	err |= fdt_property(fdt, "gpio-controller", NULL, 0);
	err |= fdt_property_u32(fdt, "#gpio-cells", 2);
	/* The PL061 is an interrupt controller for its lines (GPIOIE..IC);
	 * Linux's binding (gpio/pl061-gpio.yaml) requires saying so. */
	err |= fdt_property(fdt, "interrupt-controller", NULL, 0);
	err |= fdt_property_u32(fdt, "#interrupt-cells", 2);
	err |= fdt_property_u32(fdt, "clocks", PHANDLE_APB_PCLK);
	err |= fdt_property_string(fdt, "clock-names", "apb_pclk");
	err |= fdt_property_u32(fdt, "phandle", PHANDLE_GPIO);
	err |= fdt_end_node(fdt);

	/* The power button, as QEMU's virt describes it (Linux gpio-keys
	 * binding, whose key nodes are named button-*, key-*, ...); the
	 * driver requests both edges of the line. */
	err |= fdt_begin_node(fdt, "gpio-keys");
	err |= fdt_property_string(fdt, "compatible", "gpio-keys");
	err |= fdt_begin_node(fdt, "button-poweroff");
	err |= fdt_property_string(fdt, "label", "GPIO Key Poweroff");
	err |= fdt_property_u32(fdt, "linux,code", PL061_KEY_POWER);
	err |= fdt_property(fdt, "gpios", gpios, sizeof(gpios));
	err |= fdt_end_node(fdt);
	err |= fdt_end_node(fdt);
	return err ? -1 : 0;
}

/*
 * Record (docs/snapshot.md): the host-driven input levels, the output
 * latch, GPIODIR, IS, IBE, IEV, IE, AFSEL and the latched edges, one byte
 * each. The pins' last sampled values are not saved: they are the pin
 * values themselves (update() keeps them so), recomputed here.
 */
static void pl061_save(struct device *dev, struct state_writer *w)
{
	struct pl061 *g = to_pl061(dev);

	pthread_mutex_lock(&g->lock);
	sw_u8(w, g->in);
	sw_u8(w, g->out);
	sw_u8(w, g->dir);
	sw_u8(w, g->is);
	sw_u8(w, g->ibe);
	sw_u8(w, g->iev);
	sw_u8(w, g->ie);
	sw_u8(w, g->afsel);
	sw_u8(w, g->edges);
	pthread_mutex_unlock(&g->lock);
}

static int pl061_restore(struct device *dev, struct state_reader *r)
{
	struct pl061 *g = to_pl061(dev);
	uint8_t v[9];
	bool level;

	sr_bytes(r, v, sizeof(v));
	/* Only edge-sensitive pins latch (TRM 3.3.3: GPIOIS 0); writing IS
	 * drops a level pin's edge, so a latched edge on one is corrupt. */
	if (!r->failed && (v[8] & v[3]))
		sr_fail(r,
			"pl061: edge 0x%x latched on level-sensitive pins 0x%x",
			v[8], v[3]);
	if (r->failed)
		return -1;

	pthread_mutex_lock(&g->lock);
	g->in = v[0];
	g->out = v[1];
	g->dir = v[2];
	g->is = v[3];
	g->ibe = v[4];
	g->iev = v[5];
	g->ie = v[6];
	g->afsel = v[7];
	g->edges = v[8];
	g->pins = pin_values(g); /* no edge: nothing changed for the guest */
	level = (raw_status(g) & g->ie) != 0;
	g->irq_level = level;
	device_set_irq(&g->dev, level);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

static void pl061_destroy(struct device *dev)
{
	struct pl061 *g = to_pl061(dev);

	pthread_mutex_destroy(&g->lock);
	free(g);
}

static const struct device_ops pl061_ops = {
    .reset = pl061_reset,
    .mmio_read = pl061_read,
    .mmio_write = pl061_write,
    .fdt_node = pl061_fdt_node,
    .destroy = pl061_destroy,
    .save = pl061_save,
    .restore = pl061_restore,
};

struct device *pl061_create(uint64_t base, uint32_t spi, struct irq_sink irq)
{
	struct pl061 *g = calloc(1, sizeof(*g));

	if (!g) {
		pr_err("pl061: out of memory");
		return NULL;
	}
	g->dev.ops = &pl061_ops;
	g->dev.name = "pl061";
	g->dev.base = base;
	g->dev.size = 0x1000;
	g->dev.spi = spi;
	g->dev.irq = irq;
	pthread_mutex_init(&g->lock, NULL);
	pl061_reset(&g->dev);
	return &g->dev;
}
