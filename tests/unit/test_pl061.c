// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pl061 model against the PL061 TRM (ARM DDI 0190B) and
 * the way Linux's gpio-pl061 and gpio-keys drive it.
 */
#include <pthread.h>
#include <time.h>

#include <libfdt.h>

#include "devices/pl061.h"
#include "tests/unit/check.h"
#include "tests/unit/fdt_check.h"
#include "tests/unit/state_check.h"

static pthread_mutex_t gpio_irq_lock = PTHREAD_MUTEX_INITIALIZER;
static bool gpio_irq_level;
static int gpio_irq_changes;
static uint32_t gpio_irq_spi;

static void gpio_set_level(void *opaque, uint32_t spi, bool level)
{
	pthread_mutex_lock(&gpio_irq_lock);
	gpio_irq_level = level;
	gpio_irq_changes++;
	gpio_irq_spi = spi;
	pthread_mutex_unlock(&gpio_irq_lock);
}

static bool gpio_level(void)
{
	bool l;

	pthread_mutex_lock(&gpio_irq_lock);
	l = gpio_irq_level;
	pthread_mutex_unlock(&gpio_irq_lock);
	return l;
}

static struct device *gpio_make(void)
{
	struct irq_sink irq = {.set_level = gpio_set_level};

	gpio_irq_level = false;
	gpio_irq_changes = 0;
	return pl061_create(0x9030000, 7, irq);
}

#define R(d, off)     ((uint32_t)(d)->ops->mmio_read((d), (off), 4))
#define W(d, off, v)  (d)->ops->mmio_write((d), (off), 4, (v))
#define RB(d, off)    ((uint32_t)(d)->ops->mmio_read((d), (off), 1))
#define WB(d, off, v) (d)->ops->mmio_write((d), (off), 1, (v))
#define DATA(mask)    ((uint64_t)(mask) << 2)

#define GPIODIR	  0x400
#define GPIOIS	  0x404
#define GPIOIBE	  0x408
#define GPIOIEV	  0x40c
#define GPIOIE	  0x410
#define GPIORIS	  0x414
#define GPIOMIS	  0x418
#define GPIOIC	  0x41c
#define GPIOAFSEL 0x420

static void primecell_ids(void)
{
	static const uint8_t want[8] = {0x61, 0x10, 0x04, 0x00,
					0x0d, 0xf0, 0x05, 0xb1};
	struct device *d = gpio_make();

	CHECK(d != NULL);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(R(d, 0xfe0 + 4 * i), want[i]);
		CHECK_EQ(RB(d, 0xfe0 + 4 * i), want[i]);
	}
	W(d, 0xfe0, 0x55); /* read-only */
	CHECK_EQ(R(d, 0xfe0), 0x61);
	CHECK_EQ(d->size, 0x1000);
	d->ops->destroy(d);
}

static void reset_values(void)
{
	struct device *d = gpio_make();
	static const uint32_t regs[] = {GPIODIR, GPIOIS,  GPIOIBE, GPIOIEV,
					GPIOIE,	 GPIORIS, GPIOMIS, GPIOAFSEL};

	for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		CHECK_EQ(R(d, regs[i]), 0);
	CHECK_EQ(R(d, DATA(0xff)), 0);
	/* Registers keep what is written, 8 bits wide. */
	for (unsigned int i = 0; i < 5; i++) {
		W(d, regs[i], 0x1a5);
		CHECK_EQ(R(d, regs[i]), 0xa5);
	}
	W(d, GPIOAFSEL, 0x3c);
	CHECK_EQ(R(d, GPIOAFSEL), 0x3c);
	/* RIS/MIS are read-only, IC write-only. */
	W(d, GPIOIS, 0);
	W(d, GPIORIS, 0xff);
	W(d, GPIOMIS, 0xff);
	CHECK_EQ(R(d, GPIORIS), 0);
	CHECK_EQ(R(d, GPIOIC), 0);
	d->ops->reset(d);
	for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		CHECK_EQ(R(d, regs[i]), 0);
	d->ops->destroy(d);
}

static void masked_data_access(void)
{
	struct device *d = gpio_make();

	W(d, GPIODIR, 0xf0); /* pins 4-7 outputs, 0-3 inputs */
	/* Only the pins in address bits [9:2] are written... */
	W(d, DATA(0xff), 0xff);
	CHECK_EQ(R(d, DATA(0xff)), 0xf0); /* inputs read their (low) pins */
	W(d, DATA(0x30), 0x00);
	CHECK_EQ(R(d, DATA(0xff)), 0xc0);
	W(d, DATA(0x00), 0x00); /* no pin addressed: no change */
	CHECK_EQ(R(d, DATA(0xff)), 0xc0);
	/* ...and read: the others read as zero. */
	CHECK_EQ(R(d, DATA(0x80)), 0x80);
	CHECK_EQ(R(d, DATA(0x40 | 0x01)), 0x40);
	CHECK_EQ(R(d, DATA(0x0f)), 0);
	/* Linux's accessors: writeb(v << pin, base + BIT(pin + 2)). */
	WB(d, 1u << (4 + 2), 1u << 4);
	CHECK_EQ(RB(d, 1u << (4 + 2)), 1u << 4);
	WB(d, 1u << (4 + 2), 0);
	CHECK_EQ(RB(d, 1u << (4 + 2)), 0);
	/* Input pins read what the host drives. */
	pl061_set_input(d, 2, true);
	CHECK_EQ(R(d, DATA(0x04)), 0x04);
	CHECK_EQ(R(d, DATA(0xff)), 0xc4);
	/* Host levels on output pins are not seen. */
	pl061_set_input(d, 7, false);
	CHECK_EQ(R(d, DATA(0x80)), 0x80);
	/* An input turned output shows the latch; back to input, the wire. */
	W(d, GPIODIR, 0xf4);
	CHECK_EQ(R(d, DATA(0x04)), 0x04); /* latched by the 0xff write */
	W(d, DATA(0x04), 0x00);
	CHECK_EQ(R(d, DATA(0x04)), 0);
	pl061_set_input(d, 2, false);
	W(d, GPIODIR, 0xf0);
	CHECK_EQ(R(d, DATA(0x04)), 0);
	/* Out-of-range pins are ignored. */
	pl061_set_input(d, 8, true);
	pl061_set_input(d, 1000, true);
	CHECK_EQ(R(d, DATA(0x0f)), 0);
	d->ops->destroy(d);
}

static void edge_interrupts(void)
{
	struct device *d = gpio_make();

	/* Rising edge on pin 0 (IS 0, IBE 0, IEV 1), enabled. */
	W(d, GPIOIEV, 0x01);
	W(d, GPIOIE, 0x01);
	CHECK(!gpio_level());
	pl061_set_input(d, 0, true);
	CHECK_EQ(R(d, GPIORIS), 0x01);
	CHECK_EQ(R(d, GPIOMIS), 0x01);
	CHECK(gpio_level());
	CHECK_EQ(gpio_irq_spi, 7);
	/* Latched: stays after the pin falls, until cleared. */
	pl061_set_input(d, 0, false);
	CHECK(gpio_level());
	W(d, GPIOIC, 0x01);
	CHECK_EQ(R(d, GPIORIS), 0);
	CHECK(!gpio_level());
	/* A falling edge does not match IEV 1. */
	pl061_set_input(d, 0, true);
	W(d, GPIOIC, 0x01);
	pl061_set_input(d, 0, false);
	CHECK_EQ(R(d, GPIORIS), 0);
	/* Setting an input to the level it has is no edge. */
	pl061_set_input(d, 0, false);
	CHECK_EQ(R(d, GPIORIS), 0);

	/* Falling edge on pin 1 (IEV 0). */
	W(d, GPIOIE, 0x02);
	pl061_set_input(d, 1, true);
	CHECK_EQ(R(d, GPIORIS), 0);
	pl061_set_input(d, 1, false);
	CHECK_EQ(R(d, GPIORIS), 0x02);
	CHECK(gpio_level());
	W(d, GPIOIC, 0xff);
	CHECK(!gpio_level());

	/* Both edges on pin 3 (IBE overrides IEV). */
	W(d, GPIOIBE, 0x08);
	W(d, GPIOIE, 0x08);
	pl061_set_input(d, 3, true);
	CHECK_EQ(R(d, GPIORIS), 0x08);
	W(d, GPIOIC, 0x08);
	pl061_set_input(d, 3, false);
	CHECK_EQ(R(d, GPIORIS), 0x08);
	W(d, GPIOIC, 0x08);

	/* Masked: latched in RIS, not in MIS, line low; enabling raises it. */
	W(d, GPIOIE, 0x00);
	pl061_set_input(d, 3, true);
	CHECK_EQ(R(d, GPIORIS), 0x08);
	CHECK_EQ(R(d, GPIOMIS), 0);
	CHECK(!gpio_level());
	W(d, GPIOIE, 0x08);
	CHECK(gpio_level());
	CHECK_EQ(R(d, GPIOMIS), 0x08);
	/* Byte-wide clear, as Linux does. */
	WB(d, GPIOIC, 0x08);
	CHECK(!gpio_level());

	/* Edges from the guest's own outputs are seen too (the pin). */
	W(d, GPIOIBE, 0x00);
	W(d, GPIOIEV, 0x10);
	W(d, GPIOIE, 0x10);
	W(d, GPIODIR, 0x10);
	W(d, DATA(0x10), 0x10);
	CHECK_EQ(R(d, GPIORIS), 0x10);
	W(d, GPIOIC, 0x10);

	/* Reset clears latched edges and drops the line. */
	W(d, DATA(0x10), 0x00);
	W(d, DATA(0x10), 0x10);
	CHECK(gpio_level());
	d->ops->reset(d);
	CHECK(!gpio_level());
	CHECK_EQ(R(d, GPIORIS), 0);
	d->ops->destroy(d);
}

static void level_interrupts(void)
{
	struct device *d = gpio_make();

	/* High-level on pin 5 (IS 1, IEV 1). */
	W(d, GPIOIS, 0x20);
	W(d, GPIOIEV, 0x20);
	W(d, GPIOIE, 0x20);
	CHECK(!gpio_level());
	pl061_set_input(d, 5, true);
	CHECK_EQ(R(d, GPIORIS), 0x20);
	CHECK(gpio_level());
	/* Clearing does not help while the level lasts. */
	W(d, GPIOIC, 0x20);
	CHECK_EQ(R(d, GPIORIS), 0x20);
	CHECK(gpio_level());
	pl061_set_input(d, 5, false);
	CHECK_EQ(R(d, GPIORIS), 0);
	CHECK(!gpio_level());
	/* Low-level (IEV 0): pending while the pin is low. */
	W(d, GPIOIEV, 0x00);
	CHECK_EQ(R(d, GPIORIS), 0x20);
	CHECK(gpio_level());
	W(d, GPIOIE, 0x00);
	CHECK(!gpio_level());
	CHECK_EQ(R(d, GPIOMIS), 0);
	/* A latched edge disappears when the pin turns level-sensitive. */
	W(d, GPIOIS, 0x00);
	W(d, GPIOIBE, 0x40);
	pl061_set_input(d, 6, true);
	CHECK_EQ(R(d, GPIORIS), 0x40);
	W(d, GPIOIS, 0x40);
	W(d, GPIOIEV, 0x00);
	CHECK_EQ(R(d, GPIORIS), 0); /* pin 6 high, low-level wanted */
	d->ops->destroy(d);
}

/* The sequence Linux's gpio-keys makes on pl061: input, both edges. */
static void power_key_linux_setup(struct device *d)
{
	uint32_t v;

	v = RB(d, GPIODIR);
	WB(d, GPIODIR, v & ~(1u << PL061_POWER_PIN));
	v = RB(d, GPIOIS);
	WB(d, GPIOIS, v & ~(1u << PL061_POWER_PIN));
	v = RB(d, GPIOIBE);
	WB(d, GPIOIBE, v | (1u << PL061_POWER_PIN));
	WB(d, GPIOIC, 1u << PL061_POWER_PIN);
	v = RB(d, GPIOIE);
	WB(d, GPIOIE, v | (1u << PL061_POWER_PIN));
}

struct press_watch {
	struct device *d;
	bool saw_high_pin;
	bool stop;
};

/* Plays the guest while the button is held: the line goes up, the pin
 * reads high, the handler clears the interrupt. */
static void *press_watcher(void *arg)
{
	struct press_watch *w = arg;
	struct device *d = w->d;
	struct timespec ts = {0, 1000000};

	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		/* Only the press is acknowledged, so that the release
		 * edge stays pending for the test to see. */
		if (gpio_level() && RB(d, DATA(1u << PL061_POWER_PIN))) {
			w->saw_high_pin = true;
			WB(d, GPIOIC, 1u << PL061_POWER_PIN);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void power_key_press(void)
{
	struct device *d = gpio_make();
	struct press_watch w = {.d = d};
	struct timespec t0, t1;
	pthread_t th;
	long ms;

	/* Nobody listening yet (firmware, no driver): reported as such. */
	CHECK(!pl061_press_power(d));
	CHECK_EQ(R(d, DATA(0xff)), 0); /* released */

	power_key_linux_setup(d);
	CHECK(!gpio_level());
	CHECK_EQ(pthread_create(&th, NULL, press_watcher, &w), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(pl061_press_power(d));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= PL061_PRESS_MS && ms < PL061_PRESS_MS + 1000);
	__atomic_store_n(&w.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	/* The release edge is pending when the press returns. */
	CHECK_EQ(R(d, GPIORIS), 1u << PL061_POWER_PIN);
	CHECK(gpio_level());
	CHECK(w.saw_high_pin);
	CHECK_EQ(R(d, DATA(1u << PL061_POWER_PIN)), 0);
	WB(d, GPIOIC, 1u << PL061_POWER_PIN);
	CHECK(!gpio_level());
	d->ops->destroy(d);
}

static void hostile_accesses(void)
{
	struct device *d = gpio_make();

	W(d, GPIODIR, 0xff);
	W(d, DATA(0xff), 0x5a);
	/* Unaligned, 8-byte and reserved: read as zero, ignored on write. */
	for (uint64_t off = 0; off < 0x1000; off++) {
		if (off & 3) {
			CHECK_EQ(d->ops->mmio_read(d, off, 1), 0);
			d->ops->mmio_write(d, off, 1, 0xff);
		}
	}
	CHECK_EQ(d->ops->mmio_read(d, DATA(0xff), 8), 0);
	d->ops->mmio_write(d, DATA(0xff), 8, 0);
	d->ops->mmio_write(d, GPIODIR, 8, 0);
	for (uint64_t off = 0x424; off < 0xfe0; off += 4) {
		CHECK_EQ(R(d, off), 0);
		W(d, off, 0xffffffff);
	}
	CHECK_EQ(R(d, GPIODIR), 0xff);
	CHECK_EQ(R(d, DATA(0xff)), 0x5a);
	/* Upper bits of a 32-bit write are dropped. */
	W(d, GPIOIE, 0xffffff00);
	CHECK_EQ(R(d, GPIOIE), 0);
	d->ops->destroy(d);
}

static void fdt_nodes(void)
{
	struct device *d = gpio_make();
	char buf[4096];
	const fdt32_t *p;
	const char *s;
	int node, keys, key, len;

	CHECK_EQ(one_device_fdt(d, buf, sizeof(buf)), 0);

	node = fdt_path_offset(buf, "/gpio@9030000");
	CHECK(node >= 0);
	CHECK_EQ(fdt_node_check_compatible(buf, node, "arm,pl061"), 0);
	CHECK_EQ(fdt_node_check_compatible(buf, node, "arm,primecell"), 0);
	p = fdt_getprop(buf, node, "reg", &len);
	CHECK(p && len == 16);
	if (p && len == 16) {
		CHECK_EQ(fdt32_to_cpu(p[1]), 0x9030000);
		CHECK_EQ(fdt32_to_cpu(p[3]), 0x1000);
	}
	p = fdt_getprop(buf, node, "interrupts", &len);
	CHECK(p && len == 12);
	if (p && len == 12) {
		CHECK_EQ(fdt32_to_cpu(p[0]), 0); /* SPI */
		CHECK_EQ(fdt32_to_cpu(p[1]), 7);
		CHECK_EQ(fdt32_to_cpu(p[2]), 4); /* level-high */
	}
	CHECK(fdt_getprop(buf, node, "gpio-controller", &len) && len == 0);
	p = fdt_getprop(buf, node, "#gpio-cells", &len);
	CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == 2);
	CHECK(fdt_getprop(buf, node, "interrupt-controller", &len) && len == 0);
	p = fdt_getprop(buf, node, "#interrupt-cells", &len);
	CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == 2);
	p = fdt_getprop(buf, node, "clocks", &len);
	CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == PHANDLE_APB_PCLK);
	s = fdt_getprop(buf, node, "clock-names", &len);
	CHECK(s && len == 9 && !strcmp(s, "apb_pclk"));
	CHECK_EQ(fdt_get_phandle(buf, node), PHANDLE_GPIO);
	CHECK_EQ(fdt_node_offset_by_phandle(buf, PHANDLE_GPIO), node);

	keys = fdt_path_offset(buf, "/gpio-keys");
	CHECK(keys >= 0);
	CHECK_EQ(fdt_node_check_compatible(buf, keys, "gpio-keys"), 0);
	key = fdt_subnode_offset(buf, keys, "button-poweroff");
	CHECK(key >= 0);
	s = fdt_getprop(buf, key, "label", &len);
	CHECK(s && !strcmp(s, "GPIO Key Poweroff"));
	p = fdt_getprop(buf, key, "linux,code", &len);
	CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == 116); /* KEY_POWER */
	p = fdt_getprop(buf, key, "gpios", &len);
	CHECK(p && len == 12);
	if (p && len == 12) {
		/* <&gpio 3 GPIO_ACTIVE_HIGH>, resolving to the pl061. */
		CHECK_EQ(fdt_node_offset_by_phandle(buf, fdt32_to_cpu(p[0])),
			 node);
		CHECK_EQ(fdt32_to_cpu(p[1]), 3);
		CHECK_EQ(fdt32_to_cpu(p[2]), 0);
	}
	d->ops->destroy(d);
}

static void *gpio_make_obj(void)
{
	return gpio_make();
}

static const struct state_model gpio_model = {
    .make = gpio_make_obj,
    .destroy = state_dev_destroy,
    .save = state_dev_save,
    .restore = state_dev_restore,
};

/* Snapshot (issue 13): configuration, outputs, inputs and latched edges
 * survive, and restoring latches no new edge. */
static void snapshot_round_trip(void)
{
	struct device *d = gpio_make(), *e;
	struct state_writer w;

	W(d, GPIODIR, 0xf0);
	W(d, DATA(0xff), 0xa5); /* outputs 7..4 read 1010 */
	W(d, GPIOIS, 0x01);	/* pin 0 level, high */
	W(d, GPIOIEV, 0x01);
	W(d, GPIOIBE, 0x02); /* pin 1 both edges */
	W(d, GPIOIE, 0x02);
	W(d, GPIOAFSEL, 0x80);
	pl061_set_input(d, 1, true);
	CHECK_EQ(R(d, GPIORIS), 0x02);
	CHECK(gpio_level());
	state_save(&gpio_model, d, &w);
	d->ops->destroy(d);

	e = state_roundtrip(&gpio_model, &w);
	CHECK(e != NULL);
	if (e) {
		CHECK(gpio_level());
		CHECK_EQ(R(e, GPIORIS), 0x02);
		CHECK_EQ(R(e, DATA(0xff)), 0xa2);
		CHECK_EQ(R(e, GPIOAFSEL), 0x80);
		W(e, GPIOIC, 0x02);
		CHECK(!gpio_level());
		pl061_set_input(e, 1, false); /* falling: latched again */
		CHECK(gpio_level());
		e->ops->destroy(e);
	}
	state_prefixes_fail(&gpio_model, &w);
	/* An edge latched on pin 0, which is level-sensitive. */
	state_corrupt_fails(&gpio_model, &w, 8, 1, 0x03, "edge");
	sw_free(&w);
}

int main(void)
{
	check_suite = "pl061";
	RUN(primecell_ids);
	RUN(reset_values);
	RUN(masked_data_access);
	RUN(edge_interrupts);
	RUN(level_interrupts);
	RUN(power_key_press);
	RUN(hostile_accesses);
	RUN(fdt_nodes);
	RUN(snapshot_round_trip);
	return check_main_end();
}
