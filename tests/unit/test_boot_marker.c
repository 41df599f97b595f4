// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the boot marker (devices/boot_marker.c): MARK reads its
 * magic and reports every 32-bit write with its value, COUNT counts them,
 * a hostile guest's other accesses do nothing, and its device-tree node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include "devices/boot_marker.h"
#include "vmm/machine.h"
#include "tests/unit/check.h"
#include "tests/unit/fdt_check.h"

#define BASE 0x090c0000ULL

static uint32_t marks[8];
static unsigned int nr_marks;

static void record_mark(void *opaque, uint32_t value)
{
	CHECK(opaque == &nr_marks);
	if (nr_marks < sizeof(marks) / sizeof(marks[0]))
		marks[nr_marks] = value;
	nr_marks++;
}

static struct device *marker(void)
{
	nr_marks = 0;
	return boot_marker_create(BASE, record_mark, &nr_marks);
}

/* The machine map places it where the header says, clear of the others
 * (test_machine checks that no two regions overlap). */
static void machine_map_region(void)
{
	const struct machine_region_desc *r = &machine_map[MR_BOOT_MARKER];

	CHECK_EQ(r->base, BASE);
	CHECK_EQ(r->size, BOOT_MARKER_SIZE);
	CHECK_EQ(machine_region_of(BASE + 4), MR_BOOT_MARKER);
}

/* Each 32-bit write to MARK is one mark, with the value written; COUNT
 * follows, and reset does not clear it (marks of several boots). */
static void marks_and_count(void)
{
	struct device *d = marker();

	CHECK(d);
	if (!d)
		return;
	CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_MARK, 4), BOOT_MARKER_MAGIC);
	CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_COUNT, 4), 0);
	d->ops->mmio_write(d, BOOT_MARKER_MARK, 4, 1);
	d->ops->mmio_write(d, BOOT_MARKER_MARK, 4, 0xffffffff);
	CHECK_EQ(nr_marks, 2);
	CHECK_EQ(marks[0], 1);
	CHECK_EQ(marks[1], 0xffffffff);
	CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_COUNT, 4), 2);
	d->ops->reset(d);
	d->ops->mmio_write(d, BOOT_MARKER_MARK, 4, 7);
	CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_COUNT, 4), 3);
	CHECK_EQ(marks[2], 7);
	d->ops->destroy(d);
}

/* Other widths and offsets: reads are zero, writes mark nothing. */
static void hostile_accesses(void)
{
	static const unsigned int widths[] = {1, 2, 8};
	static const uint64_t offsets[] = {0x001, 0x002, 0x008, 0x00c, 0xffc};
	struct device *d = marker();

	if (!d)
		return;
	for (unsigned int i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		d->ops->mmio_write(d, BOOT_MARKER_MARK, widths[i], 1);
		CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_MARK, widths[i]), 0);
	}
	for (unsigned int i = 0; i < sizeof(offsets) / sizeof(offsets[0]);
	     i++) {
		d->ops->mmio_write(d, offsets[i], 4, 1);
		CHECK_EQ(d->ops->mmio_read(d, offsets[i], 4), 0);
	}
	/* COUNT is read-only. */
	d->ops->mmio_write(d, BOOT_MARKER_COUNT, 4, 5);
	CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_COUNT, 4), 0);
	CHECK_EQ(nr_marks, 0);
	d->ops->destroy(d);
	/* Without a callback, marks are counted all the same. */
	d = boot_marker_create(BASE, NULL, NULL);
	CHECK(d);
	if (!d)
		return;
	d->ops->mmio_write(d, BOOT_MARKER_MARK, 4, 1);
	CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_COUNT, 4), 1);
	d->ops->destroy(d);
}

/* A guest writing in a loop: the first BOOT_MARKER_REPORTS marks are
 * reported, the rest only counted (one warning), so the log stays short. */
static void reports_capped(void)
{
	struct device *d = marker();
	FILE *log = tmpfile();
	char line[256];
	int saved = dup(2), warnings = 0;

	if (!d || !log || saved < 0)
		return;
	fflush(stderr);
	dup2(fileno(log), 2);
	for (unsigned int i = 0; i < BOOT_MARKER_REPORTS + 6; i++)
		d->ops->mmio_write(d, BOOT_MARKER_MARK, 4, i);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK_EQ(nr_marks, BOOT_MARKER_REPORTS);
	CHECK_EQ(d->ops->mmio_read(d, BOOT_MARKER_COUNT, 4),
		 BOOT_MARKER_REPORTS + 6);
	rewind(log);
	while (fgets(line, sizeof(line), log))
		warnings += strstr(line, "boot marker") != NULL;
	CHECK_EQ(warnings, 1);
	fclose(log);
	d->ops->destroy(d);
}

/* boot-marker@90c0000, compatible "armvm,boot-marker", reg; no interrupt. */
static void fdt_node(void)
{
	static uint8_t buf[4096];
	struct device *d = marker();
	const void *p;
	int node, len;

	if (!d)
		return;
	CHECK_EQ(one_device_fdt(d, buf, sizeof(buf)), 0);
	node = fdt_path_offset(buf, "/boot-marker@90c0000");
	CHECK(node >= 0);
	p = fdt_getprop(buf, node, "compatible", &len);
	CHECK(p && len == sizeof("armvm,boot-marker") &&
	      !strcmp(p, "armvm,boot-marker"));
	p = fdt_getprop(buf, node, "reg", &len);
	CHECK(p && len == 16);
	CHECK(p && fdt64_to_cpu(((const fdt64_t *)p)[0]) == BASE &&
	      fdt64_to_cpu(((const fdt64_t *)p)[1]) == BOOT_MARKER_SIZE);
	CHECK(!fdt_getprop(buf, node, "interrupts", &len));
	d->ops->destroy(d);
}

int main(void)
{
	check_suite = "boot_marker";
	RUN(machine_map_region);
	RUN(marks_and_count);
	RUN(hostile_accesses);
	RUN(reports_capped);
	RUN(fdt_node);
	return check_main_end();
}
