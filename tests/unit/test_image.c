// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the image readers and writers (GPT, FAT, PE, SHA-256). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/build.h"
#include "image/check.h"
#include "image/fat.h"
#include "image/fat_write.h"
#include "image/gpt.h"
#include "image/guid.h"
#include "image/pe.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "tests/unit/check.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256_vectors(void)
{
	/* FIPS 180-4 examples (one and two blocks). */
	const char *m2 =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct sha256 c;
	uint8_t d[32];
	char h[65];

	sha256_init(&c);
	sha256_update(&c, "abc", 3);
	sha256_final(&c, d);
	hex(d, 32, h);
	CHECK_STR(
	    h,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_init(&c);
	for (size_t i = 0; i < strlen(m2); i++)
		sha256_update(&c, m2 + i, 1);
	sha256_final(&c, d);
	hex(d, 32, h);
	CHECK_STR(
	    h,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_guid(void)
{
	static const uint8_t esp[16] = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8,
					0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0,
					0xC9, 0x3E, 0xC9, 0x3B};
	uint8_t g[16];
	char s[GUID_STR_LEN];

	CHECK(guid_parse(GPT_TYPE_ESP, g));
	CHECK(!memcmp(g, esp, 16));
	guid_format(g, s);
	CHECK_STR(s, GPT_TYPE_ESP);
	CHECK(!guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93", g));
	CHECK(!guid_parse("C12A7328+F81F-11D2-BA4B-00A0C93EC93B", g));
	CHECK(gpt_type_by_name("ESP") != NULL);
	CHECK(gpt_type_by_name("nope") == NULL);
}

static void test_utf16(void)
{
	uint16_t u[8];
	uint8_t le[8];
	char out[16];

	CHECK_EQ(utf8_to_utf16("a\xc3\xa9", u, 8), 2);
	CHECK_EQ(u[1], 0xE9);
	CHECK_EQ(utf8_to_utf16("\xf0\x9f\x98\x80", u, 8), 2); /* surrogates */
	CHECK_EQ(u[0], 0xD83D);
	CHECK_EQ(utf8_to_utf16("\xc3", u, 8), -1);     /* truncated */
	CHECK_EQ(utf8_to_utf16("\xc0\xaf", u, 8), -1); /* overlong */
	CHECK_EQ(utf8_to_utf16("abc", u, 2), -1);      /* too long */
	put_le16(le, 'O');
	put_le16(le + 2, 0xE9);
	put_le16(le + 4, 0);
	utf16le_to_utf8(le, 4, out, sizeof(out));
	CHECK_STR(out, "O\xc3\xa9");
}

#define DISK_LBAS 4096u

static uint8_t *make_gpt(void)
{
	uint8_t *disk = calloc(DISK_LBAS, 512);
	struct gpt_layout *l = malloc(sizeof(*l));
	struct gpt_part p = {.index = 1, .first_lba = 2048, .last_lba = 4000};
	uint8_t g[16] = {1, 2, 3};

	guid_parse(GPT_TYPE_ESP, p.type);
	memset(p.uuid, 7, 16);
	strcpy(p.name, "EFI System Partition");
	if (gpt_build(DISK_LBAS, g, &p, 1, l))
		return NULL;
	memcpy(disk, l->pmbr, 512);
	memcpy(disk + 512, l->primary, 512);
	memcpy(disk + 1024, l->array, GPT_ARRAY_BYTES);
	memcpy(disk + (DISK_LBAS - 33) * 512ull, l->array, GPT_ARRAY_BYTES);
	memcpy(disk + (DISK_LBAS - 1) * 512ull, l->backup, 512);
	free(l);
	return disk;
}

static void test_gpt_roundtrip(void)
{
	uint8_t *disk = make_gpt();
	struct img_src s;
	struct gpt_copy p, b;
	struct gpt_part parts[4];
	struct pmbr_info m;
	char why[200];

	CHECK(disk != NULL);
	if (!disk)
		return;
	img_src_mem(&s, disk, DISK_LBAS * 512ull);
	pmbr_parse(disk, &m);
	CHECK(m.signature);
	CHECK_EQ(m.ee_slot, 0);
	CHECK_EQ(m.ee_start, 1);
	CHECK_EQ(m.ee_size, DISK_LBAS - 1);
	gpt_read_copy(&s, 1, &p);
	gpt_read_copy(&s, DISK_LBAS - 1, &b);
	CHECK_EQ(p.status, GPT_OK);
	CHECK_EQ(b.status, GPT_OK);
	CHECK_EQ(p.h.first_usable, 34);
	CHECK_EQ(p.h.last_usable, DISK_LBAS - 34);
	CHECK(gpt_copies_agree(&p, &b, why, sizeof(why)));
	CHECK_EQ(gpt_entries(&p, parts, 4), 1);
	CHECK_EQ(parts[0].first_lba, 2048);
	CHECK_STR(parts[0].name, "EFI System Partition");
	gpt_copy_free(&p);
	gpt_copy_free(&b);

	/* One flipped bit in the header: the CRC says so. */
	disk[512 + 60] ^= 1;
	gpt_read_copy(&s, 1, &p);
	CHECK_EQ(p.status, GPT_ERR_CRC);
	disk[512 + 60] ^= 1;
	/* In the entry array: the array CRC says so. */
	disk[1024 + 60] ^= 1;
	gpt_read_copy(&s, 1, &p);
	CHECK_EQ(p.status, GPT_ERR_ARRAY_CRC);
	gpt_copy_free(&p);
	disk[1024 + 60] ^= 1;
	/* No header there, or no block at all. */
	gpt_read_copy(&s, 2, &p);
	CHECK_EQ(p.status, GPT_ERR_SIGNATURE);
	gpt_read_copy(&s, DISK_LBAS, &p);
	CHECK_EQ(p.status, GPT_ERR_MISSING);
	free(disk);
}

/* A PE/COFF image with one section; fields patched by the tests. */
static size_t make_pe(uint8_t *b, uint16_t machine, uint16_t magic)
{
	bool plus = magic == PE_MAGIC_PE32PLUS;
	uint16_t optsize = plus ? 240 : 224;
	uint8_t *opt = b + 64 + 24, *sect = opt + optsize;

	memset(b, 0, 0x400);
	b[0] = 'M';
	b[1] = 'Z';
	put_le32(b + 0x3C, 64);
	memcpy(b + 64, "PE\0\0", 4);
	put_le16(b + 68, machine);
	put_le16(b + 70, 1);
	put_le16(b + 84, optsize);
	put_le16(opt, magic);
	put_le32(opt + 16, 0x1000); /* entry */
	put_le32(opt + 32, 0x1000);
	put_le32(opt + 36, 0x200);
	put_le32(opt + 56, 0x2000);
	put_le32(opt + 60, 0x200);
	put_le16(opt + 68, 10);
	put_le32(opt + (plus ? 108 : 92), 16);
	memcpy(sect, ".text", 5);
	put_le32(sect + 8, 0x1000);
	put_le32(sect + 12, 0x1000);
	put_le32(sect + 16, 0x200);
	put_le32(sect + 20, 0x200);
	return 0x400;
}

static void test_pe(void)
{
	uint8_t b[0x400];
	struct pe_info pi;
	size_t n = make_pe(b, PE_MACHINE_AARCH64, PE_MAGIC_PE32PLUS);

	CHECK_EQ(pe_identify(b, n, &pi), 0);
	CHECK_EQ(pi.arch, PE_ARCH_AARCH64);
	CHECK_EQ(pi.subsystem, 10);
	CHECK_EQ(pi.magic, PE_MAGIC_PE32PLUS);
	CHECK_STR(pe_arch_boot_name(pi.arch), "BOOTAA64.EFI");

	n = make_pe(b, PE_MACHINE_ARMTHUMB_MIXED, PE_MAGIC_PE32);
	CHECK_EQ(pe_identify(b, n, &pi), 0);
	CHECK_EQ(pi.arch, PE_ARCH_ARM);
	CHECK_EQ(pe_identify(b, n, &pi), 0);
	n = make_pe(b, PE_MACHINE_ARMNT, PE_MAGIC_PE32);
	CHECK_EQ(pe_identify(b, n, &pi), 0);
	CHECK_EQ(pi.arch, PE_ARCH_NONE);

	/* Truncated: the section's raw data ends past the file. */
	n = make_pe(b, PE_MACHINE_AARCH64, PE_MAGIC_PE32PLUS);
	CHECK_EQ(pe_identify(b, 0x300, &pi), -1);
	CHECK_EQ(pi.error, PE_ERR_TRUNCATED);
	CHECK(pi.have_optional); /* machine etc. still reported */
	CHECK_EQ(pe_identify(b, 63, &pi), -1);
	CHECK_EQ(pi.error, PE_ERR_MZ);
	put_le32(b + 0x3C, 0xFFFFFFF0);
	CHECK_EQ(pe_identify(b, n, &pi), -1);
	CHECK_EQ(pi.error, PE_ERR_SIGNATURE);
	n = make_pe(b, PE_MACHINE_AARCH64, 0x30B);
	CHECK_EQ(pe_identify(b, n, &pi), -1);
	CHECK_EQ(pi.error, PE_ERR_MAGIC);
	n = make_pe(b, PE_MACHINE_AARCH64, PE_MAGIC_PE32PLUS);
	put_le32(b + 64 + 24 + 16, 0x5000); /* entry outside .text */
	CHECK_EQ(pe_identify(b, n, &pi), -1);
	CHECK_EQ(pi.error, PE_ERR_ENTRY);
}

static void test_fat_min_size(void)
{
	struct fatw w;
	char why[300];

	/* 33 MiB is the first whole MiB with 65525 clusters of 512 B. */
	CHECK_EQ(fatw_min_size(), 33ull << 20);
	CHECK_EQ(fatw_init(&w, 32ull << 20, why, sizeof(why)), -1);
	CHECK(strstr(why, "the minimum is 33M") != NULL);
	fatw_free(&w);
	CHECK_EQ(fatw_init(&w, 33ull << 20, why, sizeof(why)), 0);
	CHECK(w.clusters >= FAT32_MIN_CLUSTERS);
	CHECK((uint64_t)w.fatsz * 512 / 4 >= w.clusters + 2ull);
	fatw_free(&w);
}

static int write_tmp(const char *dir, const char *name, const char *data,
		     char *path, size_t plen)
{
	FILE *f;

	snprintf(path, plen, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(data, f);
	return fclose(f);
}

static void test_fat_roundtrip(void)
{
	char dir[] = "/tmp/armvm-test-fat.XXXXXX", p[4][300], why[300];
	struct fatw w;
	struct sha256 h;
	struct img_src s;
	struct fat_vol v;
	struct fat_dirent e1, e2, e;
	struct fat_tree_report r;
	uint64_t size = 40ull << 20;
	int fd = memfd_create("fat", 0);
	uint8_t *buf;

	CHECK(fd >= 0 && mkdtemp(dir));
	CHECK(!write_tmp(dir, "a", "boot", p[0], sizeof(p[0])));
	CHECK(!write_tmp(dir, "b", "first", p[1], sizeof(p[1])));
	CHECK(!write_tmp(dir, "c", "second", p[2], sizeof(p[2])));
	CHECK(!write_tmp(dir, "d", "", p[3], sizeof(p[3])));
	CHECK(!ftruncate(fd, (off_t)size));
	CHECK_EQ(fatw_init(&w, size, why, sizeof(why)), 0);
	w.have_epoch = true;
	w.epoch = 1700000000;
	CHECK_EQ(fatw_add(&w, "/EFI/BOOT/BOOTAA64.EFI", p[0], why, sizeof(why)),
		 0);
	CHECK_EQ(fatw_add(&w, "/dir/Long Name 1.txt", p[1], why, sizeof(why)),
		 0);
	CHECK_EQ(fatw_add(&w, "/dir/Long Name 2.txt", p[2], why, sizeof(why)),
		 0);
	CHECK_EQ(fatw_add(&w, "/dir/empty", p[3], why, sizeof(why)), 0);
	/* FAT names are case-insensitive: this one collides. */
	CHECK_EQ(fatw_add(&w, "/DIR/long name 1.TXT", p[2], why, sizeof(why)),
		 -1);
	CHECK_EQ(fatw_add(&w, "/dir/bad:name", p[2], why, sizeof(why)), -1);
	CHECK_EQ(fatw_add(&w, "/x", "/nonexistent/file", why, sizeof(why)), -1);
	CHECK_EQ(fatw_layout(&w, why, sizeof(why)), 0);
	sha256_init(&h);
	CHECK_EQ(fatw_write_data(&w, fd, 0, &h, why, sizeof(why)), 0);
	w.volume_id = 0x1234ABCD;
	CHECK_EQ(fatw_write_boot(&w, fd, 0, why, sizeof(why)), 0);
	fatw_free(&w);

	CHECK_EQ(img_src_fd(&s, fd), 0);
	CHECK_EQ(fat_open(&v, &s, 0, size, why, sizeof(why)), 0);
	CHECK_EQ(v.type, 32);
	CHECK_EQ(v.count_type, 32);
	CHECK_EQ(
	    fat_lookup(&v, "efi\\boot\\bootaa64.efi", &e, why, sizeof(why)), 0);
	CHECK_EQ(e.size, 4);
	CHECK_EQ(fat_lookup(&v, "/Dir/LONG NAME 1.TXT", &e1, why, sizeof(why)),
		 0);
	CHECK_EQ(fat_lookup(&v, "/dir/Long Name 2.txt", &e2, why, sizeof(why)),
		 0);
	CHECK_STR(e1.name, "Long Name 1.txt");
	CHECK(strcmp(e1.short_name, e2.short_name) != 0);
	CHECK_EQ(fat_lookup(&v, e2.short_name, &e, why, sizeof(why)), 1);
	CHECK_EQ(fat_lookup(&v, "/dir/nope", &e, why, sizeof(why)), 1);
	CHECK_EQ(fat_read_file(&v, &e2, &buf, 100, why, sizeof(why)), 0);
	CHECK(!memcmp(buf, "second", 6));
	free(buf);
	fat_check_tree(&v, &r);
	CHECK_EQ(r.chain_errors, 0);
	CHECK_EQ(r.dir_errors, 0);
	CHECK_EQ(r.files, 4);
	CHECK_EQ(r.dirs, 3);
	CHECK_EQ(r.lost_clusters, 0);
	fat_close(&v);
	close(fd);
	for (int i = 0; i < 4; i++)
		unlink(p[i]);
	rmdir(dir);
}

/* The builder end to end, and the API `armvm run` uses to pick a state. */
static void test_build_and_find_boot(void)
{
	char dir[] = "/tmp/armvm-test-build.XXXXXX", pe[300], img[300];
	char size[] = "64M", why[300];
	uint8_t b[0x400];
	struct image_boot ib;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(pe, sizeof(pe), "%s/arm.efi", dir);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	f = fopen(pe, "w");
	CHECK(f &&
	      fwrite(b, 1, make_pe(b, PE_MACHINE_ARMTHUMB_MIXED, PE_MAGIC_PE32),
		     f) == 0x400);
	if (f)
		fclose(f);
	{
		char *argv[] = {"build",      img, "--size", size,
				"--boot-efi", pe,  NULL};

		CHECK_EQ(cmd_build(6, argv), 0);
		/* A second build without --force is refused. */
		CHECK_EQ(cmd_build(6, argv), 1);
	}
	CHECK_EQ(image_find_boot(img, &ib, why, sizeof(why)), 0);
	CHECK(ib.boots[PE_ARCH_ARM]);
	CHECK(!ib.boots[PE_ARCH_AARCH64]);
	CHECK(ib.compliant);
	CHECK_EQ(ib.pe[PE_ARCH_ARM].machine, PE_MACHINE_ARMTHUMB_MIXED);
	/* The same through the confined child. */
	memset(&ib, 0xff, sizeof(ib));
	CHECK_EQ(image_probe_boot(img, &ib, why, sizeof(why)), 0);
	CHECK(ib.boots[PE_ARCH_ARM] && !ib.boots[PE_ARCH_AARCH64]);
	CHECK_EQ(ib.pe[PE_ARCH_ARM].machine, PE_MACHINE_ARMTHUMB_MIXED);
	/* A reader that dies costs the probe, with the signal named. */
	setenv("ARMVM_TEST_PROBE_CRASH", "1", 1);
	CHECK_EQ(image_probe_boot(img, &ib, why, sizeof(why)), -1);
	unsetenv("ARMVM_TEST_PROBE_CRASH");
	/* "stopped on signal 11" (sanitizers may turn it into an exit). */
	CHECK(strstr(why, "the image reader") != NULL);
	unlink(img);
	CHECK_EQ(image_probe_boot(img, &ib, why, sizeof(why)), -1);
	CHECK(strstr(why, "cannot open") != NULL);
	CHECK_EQ(image_find_boot(img, &ib, why, sizeof(why)), -1);
	unlink(pe);
	rmdir(dir);
}

int main(void)
{
	check_suite = "image";
	RUN(test_sha256_vectors);
	RUN(test_guid);
	RUN(test_utf16);
	RUN(test_gpt_roundtrip);
	RUN(test_pe);
	RUN(test_fat_min_size);
	RUN(test_fat_roundtrip);
	RUN(test_build_and_find_boot);
	return check_main_end();
}
