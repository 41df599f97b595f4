// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the guest OS rules IMG-7..IMG-10 (image/guest.c): the
 * .config reader, the rule decisions, and the ext2/3/4 reader's refusals.
 * tests/suites/30-image checks whole images (mke2fs, a Debian kernel).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

#include "image/ext.h"
#include "image/guest.h"
#include "tests/unit/check.h"

/* Every option IMG-7..IMG-10 ask for, as Debian's arm64 kernel sets them. */
static const char debian_like[] =
    "#\n# Automatically generated file; DO NOT EDIT.\n#\n"
    "CONFIG_ARM_GIC=y\n"
    "CONFIG_ARM_GIC_MAX_NR=1\n"
    "CONFIG_ARM_GIC_V2M=y\n"
    "CONFIG_ARM_GIC_V3=y\n"
    "CONFIG_SERIAL_AMBA_PL011=y\n"
    "CONFIG_SERIAL_AMBA_PL011_CONSOLE=y\n"
    "CONFIG_HVC_XEN=y\n"
    "CONFIG_HVC_XEN_FRONTEND=y\n"
    "CONFIG_VIRTIO_CONSOLE=m\n"
    "CONFIG_VIRTIO_PCI=m\n"
    "CONFIG_VIRTIO_PCI_LEGACY=y\n"
    "CONFIG_VIRTIO_MMIO=m\n"
    "CONFIG_VIRTIO_BLK=m\n"
    "CONFIG_VIRTIO_NET=m\n"
    "CONFIG_VIRTIO_BALLOON=m\n"
    "CONFIG_XEN_BLKDEV_FRONTEND=m\n"
    "CONFIG_XEN_NETDEV_FRONTEND=m\n"
    "CONFIG_XEN_BALLOON=y\n"
    "CONFIG_RTC_DRV_EFI=y\n"
    "# CONFIG_IKCONFIG is not set\n";

/* debian_like with one line replaced. */
static char *with(const char *from, const char *to)
{
	const char *p = strstr(debian_like, from);
	size_t n = sizeof(debian_like) + strlen(to);
	char *s = malloc(n);

	if (!p || !s) {
		free(s);
		return NULL;
	}
	snprintf(s, n, "%.*s%s%s", (int)(p - debian_like), debian_like, to,
		 p + strlen(from));
	return s;
}

static void test_kconfig_get(void)
{
	static const char c[] = "CONFIG_A=y\n"
				"CONFIG_AB=m\n"
				"# CONFIG_B is not set\n"
				"CONFIG_C=n\n"
				"CONFIG_D=\"text\"\n"
				"CONFIG_E=y\r\n"
				"#CONFIG_F=y\n"
				"  CONFIG_G=y\n"
				"CONFIG_H=m\n"
				"CONFIG_H=y\n"
				"# CONFIG_I is not set, really\n"
				"CONFIG_J=";

	CHECK_EQ(kconfig_get(c, strlen(c), "A"), KCONFIG_Y);
	/* A name that is another's prefix: CONFIG_ARM_GIC, ARM_GIC_V3. */
	CHECK_EQ(kconfig_get(c, strlen(c), "AB"), KCONFIG_M);
	CHECK_EQ(kconfig_get(c, strlen(c), "B"), KCONFIG_NO);
	CHECK_EQ(kconfig_get(c, strlen(c), "C"), KCONFIG_NO);
	CHECK_EQ(kconfig_get(c, strlen(c), "D"), KCONFIG_OTHER);
	CHECK_EQ(kconfig_get(c, strlen(c), "E"), KCONFIG_Y);
	/* Only lines as kconfig writes them count. */
	CHECK_EQ(kconfig_get(c, strlen(c), "F"), KCONFIG_ABSENT);
	CHECK_EQ(kconfig_get(c, strlen(c), "G"), KCONFIG_ABSENT);
	/* The last line wins, as in kconfig's merge. */
	CHECK_EQ(kconfig_get(c, strlen(c), "H"), KCONFIG_Y);
	CHECK_EQ(kconfig_get(c, strlen(c), "I"), KCONFIG_ABSENT);
	/* No value (neither y nor m), no newline at the end of the text. */
	CHECK_EQ(kconfig_get(c, strlen(c), "J"), KCONFIG_OTHER);
	CHECK_EQ(kconfig_get(c, strlen(c), "Z"), KCONFIG_ABSENT);
	/* The length bounds the scan (no NUL needed). */
	CHECK_EQ(kconfig_get(c, 5, "A"), KCONFIG_ABSENT);
	CHECK_EQ(kconfig_get(c, 0, "A"), KCONFIG_ABSENT);
}

/* Module trees for the tests: all there, or all but one. */
static int all_modules(void *ctx, const char *mod, char *why, size_t whylen)
{
	return 1;
}

static int no_virtio_console(void *ctx, const char *mod, char *why,
			     size_t whylen)
{
	return strcmp(mod, "drivers/char/virtio_console") != 0;
}

/* A module tree that cannot be read where virtio_console would be. */
static int console_unreadable(void *ctx, const char *mod, char *why,
			      size_t whylen)
{
	if (strcmp(mod, "drivers/char/virtio_console"))
		return 1;
	snprintf(why, whylen, "/lib/modules/v/kernel/drivers/char: bad");
	return -2;
}

static const struct guest_result *rule(const struct guest_report *g,
				       const char *id)
{
	for (int i = 0; i < GUEST_RULES; i++)
		if (!strcmp(g->r[i].id, id))
			return &g->r[i];
	return NULL;
}

/*
 * guest_eval ("v", "w", every module there) on debian_like with one line
 * replaced; false when the line is not in it.
 */
static bool eval_with(const char *from, const char *to, struct guest_report *g)
{
	char *c = with(from, to);

	CHECK(c);
	if (!c)
		return false;
	guest_eval(c, strlen(c), "v", "w", all_modules, NULL, g);
	free(c);
	return true;
}

static void test_eval_debian_like_passes(void)
{
	struct guest_report g;

	guest_eval(debian_like, strlen(debian_like), "6.1.0-27-arm64",
		   "/boot/config-6.1.0-27-arm64 on partition 2", all_modules,
		   NULL, &g);
	for (int i = 0; i < GUEST_RULES; i++) {
		CHECK_EQ(g.r[i].status, CHK_PASS);
		CHECK(strstr(g.r[i].evidence, "kernel 6.1.0-27-arm64:"));
		CHECK(!strstr(g.r[i].evidence, "on trust"));
	}
	CHECK(strstr(rule(&g, "IMG-9")->evidence, "VIRTIO_BALLOON=m"));
	/* Without a module tree, =m is taken on trust and said so. */
	guest_eval(debian_like, strlen(debian_like), "6.1.0-27-arm64", "x",
		   NULL, NULL, &g);
	CHECK_EQ(rule(&g, "IMG-9")->status, CHK_PASS);
	CHECK(strstr(rule(&g, "IMG-9")->evidence, "=m taken on trust"));
	/* All built in: no module needed. */
	CHECK_EQ(rule(&g, "IMG-8")->status, CHK_PASS);
	CHECK(!strstr(rule(&g, "IMG-8")->evidence, "on trust"));
}

static void test_eval_missing_options(void)
{
	struct guest_report g;
	char *c;

	c = with("CONFIG_HVC_XEN=y\n", "# CONFIG_HVC_XEN is not set\n");
	CHECK(c);
	if (!c)
		return;
	guest_eval(c, strlen(c), "6.1.0-27-arm64",
		   "/boot/config-6.1.0-27-arm64 on partition 2", all_modules,
		   NULL, &g);
	CHECK_EQ(rule(&g, "IMG-7")->status, CHK_FAIL);
	CHECK_STR(
	    rule(&g, "IMG-7")->evidence,
	    "kernel 6.1.0-27-arm64: CONFIG_HVC_XEN is not set (/boot/config-6.1.0-27-arm64 on partition 2)");
	/* IMG-9 needs the Xen console too (check.c makes a should a warn). */
	CHECK_EQ(rule(&g, "IMG-9")->status, CHK_FAIL);
	CHECK_EQ(rule(&g, "IMG-8")->status, CHK_PASS);
	CHECK_EQ(rule(&g, "IMG-10")->status, CHK_PASS);
	free(c);

	/* GICv3 absent (no line at all): IMG-8 names it, not ARM_GIC. */
	if (eval_with("CONFIG_ARM_GIC_V3=y\n", "", &g)) {
		CHECK_EQ(rule(&g, "IMG-8")->status, CHK_FAIL);
		CHECK_STR(rule(&g, "IMG-8")->evidence,
			  "kernel v: CONFIG_ARM_GIC_V3 is not set (w)");
		CHECK_EQ(rule(&g, "IMG-7")->status, CHK_PASS);
	}

	if (eval_with("CONFIG_RTC_DRV_EFI=y\n", "CONFIG_RTC_DRV_EFI=n\n", &g)) {
		CHECK_EQ(rule(&g, "IMG-10")->status, CHK_FAIL);
		CHECK(
		    strstr(rule(&g, "IMG-10")->evidence, "CONFIG_RTC_DRV_EFI"));
	}

	/* A bool option cannot be a module. */
	if (eval_with("CONFIG_ARM_GIC=y\n", "CONFIG_ARM_GIC=m\n", &g))
		CHECK_EQ(rule(&g, "IMG-8")->status, CHK_FAIL);

	/* Several missing: each is named. */
	if (eval_with("CONFIG_VIRTIO_PCI=m\nCONFIG_VIRTIO_PCI_LEGACY=y\n"
		      "CONFIG_VIRTIO_MMIO=m\n",
		      "", &g))
		CHECK(strstr(
		    rule(&g, "IMG-9")->evidence,
		    "CONFIG_VIRTIO_PCI is not set; CONFIG_VIRTIO_MMIO is not set"));
}

static void test_eval_module_missing(void)
{
	struct guest_report g;

	guest_eval(debian_like, strlen(debian_like), "6.1.0-27-arm64", "w",
		   no_virtio_console, NULL, &g);
	CHECK_EQ(rule(&g, "IMG-7")->status, CHK_FAIL);
	CHECK_STR(
	    rule(&g, "IMG-7")->evidence,
	    "kernel 6.1.0-27-arm64: CONFIG_VIRTIO_CONSOLE=m, but virtio_console.ko is not in /lib/modules/6.1.0-27-arm64/kernel/drivers/char (w)");
	CHECK_EQ(rule(&g, "IMG-9")->status, CHK_FAIL);
	CHECK_EQ(rule(&g, "IMG-8")->status, CHK_PASS);
}

/*
 * An unreadable module tree is neither "absent" nor "there" (reviewer
 * finding: errors read as not found): the rule is not checked, and says
 * why, unless another option already fails it.
 */
static void test_eval_module_unreadable(void)
{
	struct guest_report g;
	char *c;

	guest_eval(debian_like, strlen(debian_like), "v", "w",
		   console_unreadable, NULL, &g);
	CHECK_EQ(rule(&g, "IMG-7")->status, CHK_NOT_CHECKED);
	CHECK_STR(rule(&g, "IMG-7")->evidence,
		  "kernel v: CONFIG_VIRTIO_CONSOLE=m, but virtio_console.ko "
		  "cannot be looked up: /lib/modules/v/kernel/drivers/char: "
		  "bad (w)");
	CHECK_EQ(rule(&g, "IMG-8")->status, CHK_PASS);
	/* IMG-9 also fails on its own: FAIL, both said. */
	c = with("CONFIG_VIRTIO_MMIO=m\n", "");
	CHECK(c);
	if (!c)
		return;
	guest_eval(c, strlen(c), "v", "w", console_unreadable, NULL, &g);
	CHECK_EQ(rule(&g, "IMG-9")->status, CHK_FAIL);
	CHECK(strstr(rule(&g, "IMG-9")->evidence,
		     "CONFIG_VIRTIO_MMIO is not set; CONFIG_VIRTIO_CONSOLE=m, "
		     "but virtio_console.ko cannot be looked up"));
	free(c);
}

static void test_not_checked(void)
{
	struct guest_report g;

	guest_not_checked(&g, "no kernel configuration");
	for (int i = 0; i < GUEST_RULES; i++) {
		CHECK_EQ(g.r[i].status, CHK_NOT_CHECKED);
		CHECK_STR(g.r[i].evidence, "no kernel configuration");
	}
	CHECK_STR(g.r[0].id, "IMG-7");
	CHECK_STR(g.r[3].id, "IMG-10");
}

/* A superblock that lies is refused before libext2fs allocates for it. */
static void test_ext_refuses(void)
{
	static uint8_t fs[64 << 10];
	struct img_src s;
	char why[200];

	memset(fs, 0, sizeof(fs));
	img_src_mem(&s, fs, sizeof(fs));
	CHECK(!ext_probe(&s, 0, sizeof(fs)));
	CHECK(!ext_open(&s, 0, sizeof(fs), why, sizeof(why)));
	CHECK(strstr(why, "magic"));
	fs[1024 + 56] = 0x53, fs[1024 + 57] = 0xEF;
	CHECK(ext_probe(&s, 0, sizeof(fs)));
	/* 2^32 - 1 blocks of 1 KiB in a 64 KiB partition. */
	memset(fs + 1024 + 4, 0xff, 4);
	CHECK(!ext_open(&s, 0, sizeof(fs), why, sizeof(why)));
	CHECK(strstr(why, "4294967295 blocks of 1024 bytes"));
	/* A block size beyond 64 KiB. */
	fs[1024 + 4] = 64, fs[1024 + 5] = fs[1024 + 6] = fs[1024 + 7] = 0;
	fs[1024 + 24] = 7;
	CHECK(!ext_open(&s, 0, sizeof(fs), why, sizeof(why)));
	CHECK(strstr(why, "s_log_block_size 7"));
	/* Groups of fewer than 256 blocks (libext2fs takes 8). */
	fs[1024 + 24] = 0;
	fs[1024 + 32] = 64; /* blocks per group */
	fs[1024 + 40] = 16; /* inodes per group */
	CHECK(!ext_open(&s, 0, sizeof(fs), why, sizeof(why)));
	CHECK(strstr(why, "64 blocks and 16 inodes per group"));
	/* Plausible geometry, nothing else: libext2fs's own error, as text. */
	fs[1024 + 33] = 1; /* 256 + 64 blocks per group */
	CHECK(!ext_open(&s, 0, sizeof(fs), why, sizeof(why)));
	CHECK_STR(why, "libext2fs cannot open the file system: The ext2 "
		       "superblock is corrupt");
	/* Too short for a superblock. */
	CHECK(!ext_probe(&s, 0, 1500));
	CHECK(!ext_open(&s, 0, 1500, why, sizeof(why)));
}

/*
 * The group descriptors libext2fs would allocate, bounded before it
 * sees the superblock: the partition is as large as the superblock says
 * (1 TiB, only the superblock is read).
 */
static void test_ext_descriptor_cap(void)
{
	static uint8_t fs[4096];
	struct img_src s;
	char why[200];

	memset(fs, 0, sizeof(fs));
	img_src_mem(&s, fs, sizeof(fs));
	fs[1024 + 56] = 0x53, fs[1024 + 57] = 0xEF;
	fs[1024 + 40] = 16; /* inodes per group */
	/* 2^30 blocks of 1 KiB in groups of 256: 4 Mi descriptors. */
	fs[1024 + 7] = 0x40;
	fs[1024 + 33] = 1;
	CHECK(!ext_open(&s, 0, 1ull << 40, why, sizeof(why)));
	CHECK_STR(why, "superblock: 4194304 group descriptors of 32 bytes, "
		       "more than 33554432 bytes or 64 bytes each");
	/* Groups of 8192 blocks: 131072 of 32 bytes, 4 MiB, accepted. */
	fs[1024 + 33] = 0x20;
	CHECK(!ext_open(&s, 0, 1ull << 40, why, sizeof(why)));
	CHECK(strstr(why, "libext2fs cannot open"));
	/* 64bit with 1024-byte descriptors (libext2fs accepts them). */
	fs[1024 + 96] = 0x80;	    /* incompat: 64bit */
	fs[1024 + 0xfe + 1] = 0x04; /* s_desc_size 1024 */
	CHECK(!ext_open(&s, 0, 1ull << 40, why, sizeof(why)));
	CHECK(strstr(why, "group descriptors of 1024 bytes"));
	/* inline_data, ea_inode: refused outright. */
	fs[1024 + 0xfe + 1] = 0;
	fs[1024 + 0xfe] = 64;
	fs[1024 + 97] = 0x80; /* incompat: inline_data */
	CHECK(!ext_open(&s, 0, 1ull << 40, why, sizeof(why)));
	CHECK(strstr(why, "uses inline_data"));
	fs[1024 + 97] = 0x04; /* incompat: ea_inode */
	CHECK(!ext_open(&s, 0, 1ull << 40, why, sizeof(why)));
	CHECK(strstr(why, "uses ea_inode"));
}

/* The I/O manager reads inside its partition, and nothing else. */
static void test_ext_io_read(void)
{
	static uint8_t img[8192];
	uint8_t buf[2048];
	struct img_src s;

	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i / 1024 + 1);
	img_src_mem(&s, img, sizeof(img));
	/* The partition is [2048, 6144): block 1 of 1 KiB is image KiB 3. */
	CHECK_EQ(ext_io_read(&s, 2048, 4096, 1024, 1, 1, buf), 0);
	CHECK_EQ(buf[0], 4);
	CHECK_EQ(buf[1023], 4);
	/* A negative count is a byte count. */
	memset(buf, 0xee, sizeof(buf));
	CHECK_EQ(ext_io_read(&s, 2048, 4096, 1024, 3, -100, buf), 0);
	CHECK_EQ(buf[99], 6);
	CHECK_EQ(buf[100], 0xee);
	/* Past the partition's end (not the image's): refused, zeroed. */
	CHECK(ext_io_read(&s, 2048, 4096, 1024, 3, 2, buf) != 0);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[2047], 0);
	CHECK(ext_io_read(&s, 2048, 4096, 1024, 4, -1, buf) != 0);
	CHECK(ext_io_read(&s, 2048, 4096, 1024, 3, -1025, buf) != 0);
	/* Offsets that wrap. */
	CHECK(ext_io_read(&s, 2048, 4096, 1024, UINT64_MAX / 1024 + 1, 1,
			  buf) != 0);
	CHECK(ext_io_read(&s, 2048, 4096, 1024, UINT64_MAX / 1024, 1, buf) !=
	      0);
	CHECK(ext_io_read(&s, 2048, 4096, 0, 0, 1, buf) != 0);
	/* Nothing: fine. */
	CHECK_EQ(ext_io_read(&s, 2048, 4096, 1024, 4, 0, buf), 0);
}

/*
 * A small ext2 file system made with libext2fs in a temporary file: the
 * hostile shapes mke2fs does not make (a guest can write any of them)
 * are made by changing inodes through fs, then tfs_sync(); the reader
 * under test reads the file through s.
 */
struct tfs {
	char file[64];
	int fd;
	ext2_filsys fs;
	struct img_src s;
};

static bool tfs_sync(struct tfs *t)
{
	return !ext2fs_flush(t->fs) && !img_src_fd(&t->s, t->fd);
}

static bool tfs_make(struct tfs *t, unsigned int blocks)
{
	struct ext2_super_block p;
	errcode_t e;

	memset(t, 0, sizeof(*t));
	snprintf(t->file, sizeof(t->file), "/tmp/armvm-test-guest.XXXXXX");
	t->fd = mkstemp(t->file);
	if (t->fd < 0)
		return false;
	if (ftruncate(t->fd, (off_t)blocks * 1024))
		return false;
	memset(&p, 0, sizeof(p));
	p.s_blocks_count = blocks;
	p.s_inodes_count = 128;
	p.s_rev_level = EXT2_DYNAMIC_REV;
	ext2fs_set_feature_filetype(&p);
	e = ext2fs_initialize(t->file, EXT2_FLAG_RW, &p, unix_io_manager,
			      &t->fs);
	if (!e)
		e = ext2fs_allocate_tables(t->fs);
	if (!e)
		e = ext2fs_mkdir(t->fs, EXT2_ROOT_INO, EXT2_ROOT_INO, 0);
	return !e && tfs_sync(t);
}

static void tfs_free(struct tfs *t)
{
	if (t->fs)
		ext2fs_close_free(&t->fs);
	if (t->fd >= 0) {
		close(t->fd);
		unlink(t->file);
	}
}

/* The inode of a path of the (well-formed, made here) file system. */
static ext2_ino_t tfs_ino(struct tfs *t, const char *path)
{
	ext2_ino_t ino = 0;

	if (ext2fs_namei(t->fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino))
		return 0;
	return ino;
}

static ext2_ino_t tfs_mkdir(struct tfs *t, const char *dir, const char *name)
{
	char path[256];

	if (ext2fs_mkdir(t->fs, tfs_ino(t, dir), 0, name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "",
		 name);
	return tfs_ino(t, path);
}

/* A name for ino in directory dir, the directory grown when full. */
static bool tfs_link(struct tfs *t, ext2_ino_t dir, const char *name,
		     ext2_ino_t ino, int type)
{
	errcode_t e = ext2fs_link(t->fs, dir, name, ino, type);

	if (e == EXT2_ET_DIR_NO_SPACE && !ext2fs_expand_dir(t->fs, dir))
		e = ext2fs_link(t->fs, dir, name, ino, type);
	return !e;
}

static ext2_ino_t tfs_file(struct tfs *t, const char *dir, const char *name,
			   const char *text)
{
	struct ext2_inode inode;
	ext2_ino_t d = tfs_ino(t, dir), ino;
	ext2_file_t f;
	unsigned int n;

	if (!d || ext2fs_new_inode(t->fs, d, LINUX_S_IFREG | 0644, 0, &ino))
		return 0;
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = LINUX_S_IFREG | 0644;
	inode.i_links_count = 1;
	ext2fs_inode_alloc_stats2(t->fs, ino, 1, 0);
	if (ext2fs_write_new_inode(t->fs, ino, &inode) ||
	    !tfs_link(t, d, name, ino, EXT2_FT_REG_FILE) ||
	    ext2fs_file_open(t->fs, ino, EXT2_FILE_WRITE, &f))
		return 0;
	if (ext2fs_file_write(f, text, (unsigned int)strlen(text), &n)) {
		ext2fs_file_close(f);
		return 0;
	}
	return ext2fs_file_close(f) ? 0 : ino;
}

static bool tfs_symlink(struct tfs *t, const char *dir, const char *name,
			const char *target)
{
	return !ext2fs_symlink(t->fs, tfs_ino(t, dir), 0, name, target);
}

/* Read, change (fn), write back the inode of path. */
static bool tfs_poke(struct tfs *t, const char *path,
		     void (*fn)(struct ext2_inode *inode, void *arg), void *arg)
{
	struct ext2_inode inode;
	ext2_ino_t ino = tfs_ino(t, path);

	if (!ino || ext2fs_read_inode(t->fs, ino, &inode))
		return false;
	fn(&inode, arg);
	return !ext2fs_write_inode(t->fs, ino, &inode);
}

static void set_size(struct ext2_inode *inode, void *arg)
{
	uint64_t size = *(uint64_t *)arg;

	inode->i_size = (uint32_t)size;
	inode->i_size_high = (uint32_t)(size >> 32);
}

/* The reviewer's heap overflow: libext2fs's namei copies an inline-data
 * symlink's data (60 bytes and more) into a buffer of i_size (0). */
static void set_inline(struct ext2_inode *inode, void *arg)
{
	inode->i_flags |= EXT4_INLINE_DATA_FL;
	inode->i_size = 0;
}

static void set_block0(struct ext2_inode *inode, void *arg)
{
	inode->i_block[0] = *(uint32_t *)arg;
}

/* An extent tree 9 levels deep (Linux allows 5). */
static void set_deep_extents(struct ext2_inode *inode, void *arg)
{
	uint8_t *eh = (uint8_t *)inode->i_block;

	inode->i_flags |= EXT4_EXTENTS_FL;
	memset(inode->i_block, 0, sizeof(inode->i_block));
	eh[0] = 0x0a, eh[1] = 0xf3; /* magic */
	eh[4] = 4;		    /* eh_max */
	eh[6] = 9;		    /* eh_depth */
}

/*
 * Paths resolved by image/ext.c itself (not libext2fs's namei, which
 * overflows its buffer on inline-data symlinks): relative, absolute, ".."
 * and slow symlinks, at most 8 of them, loops and bad links said so.
 */
static void test_ext_symlinks(void)
{
	uint64_t big = 5000;
	struct ext_vol *v = NULL;
	struct tfs t;
	char why[300], *buf = NULL, name[8], target[8];
	size_t len = 0;
	bool ok;

	ok = tfs_make(&t, 1024) && tfs_mkdir(&t, "/", "boot") &&
	     tfs_mkdir(&t, "/", "usr") && tfs_mkdir(&t, "/usr", "lib") &&
	     tfs_mkdir(&t, "/usr/lib", "modules") &&
	     tfs_mkdir(&t, "/usr/lib/modules", "v") &&
	     tfs_file(&t, "/boot", "config-v", "CONFIG_ARM_GIC=y\n") &&
	     tfs_symlink(&t, "/", "lib", "usr/lib") &&
	     tfs_symlink(&t, "/boot", "up", "../lib/modules") &&
	     tfs_symlink(&t, "/", "abs", "/usr/lib/modules/v") &&
	     tfs_symlink(&t, "/", "slow",
			 "usr/lib/././././././././././././././././././././././"
			 "./././././././modules") &&
	     tfs_symlink(&t, "/", "slowbig",
			 "usr/lib/././././././././././././././././././././././"
			 "./././././././modules") &&
	     tfs_symlink(&t, "/", "inl", "usr/lib") &&
	     tfs_symlink(&t, "/", "la", "lb") &&
	     tfs_symlink(&t, "/", "lb", "la") &&
	     tfs_symlink(&t, "/", "c8", "boot");
	/* c0 -> c1 -> ... -> c8 -> boot: c1 is 8 links, c0 is 9. */
	for (int i = 7; ok && i >= 0; i--) {
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(target, sizeof(target), "c%d", i + 1);
		ok = tfs_symlink(&t, "/", name, target);
	}
	ok = ok && tfs_poke(&t, "/inl", set_inline, NULL) &&
	     tfs_poke(&t, "/slowbig", set_size, &big) && tfs_sync(&t);
	CHECK(ok);
	if (ok)
		v = ext_open(&t.s, 0, t.s.size, why, sizeof(why));
	CHECK(v);
	if (!v) {
		tfs_free(&t);
		return;
	}
	CHECK_EQ(ext_stat(v, "/lib/modules/v", why, sizeof(why)), EXT_DIR);
	CHECK_EQ(ext_stat(v, "/boot/up/v", why, sizeof(why)), EXT_DIR);
	CHECK_EQ(ext_stat(v, "/abs", why, sizeof(why)), EXT_DIR);
	CHECK_EQ(ext_stat(v, "/slow/v/", why, sizeof(why)), EXT_DIR);
	CHECK_EQ(ext_stat(v, "/c1", why, sizeof(why)), EXT_DIR);
	CHECK_EQ(
	    ext_read_file(v, "/c1/config-v", 100, &buf, &len, why, sizeof(why)),
	    0);
	CHECK(buf && !strcmp(buf, "CONFIG_ARM_GIC=y\n"));
	CHECK_EQ(len, 17);
	free(buf);
	CHECK_EQ(ext_stat(v, "/c0", why, sizeof(why)), EXT_ERROR);
	CHECK_STR(why, "/c0: Too many symbolic links encountered.");
	CHECK_EQ(ext_stat(v, "/la/x", why, sizeof(why)), EXT_ERROR);
	CHECK_STR(why, "/la/x: Too many symbolic links encountered.");
	/* Absent, and a file taken for a directory: not found. */
	CHECK_EQ(ext_stat(v, "/lib/modules/w", why, sizeof(why)), EXT_NONE);
	CHECK_STR(why, "/lib/modules/w: w not found");
	CHECK_EQ(ext_stat(v, "/boot/config-v/x", why, sizeof(why)), EXT_NONE);
	CHECK(strstr(why, "x not found: inode "));
	CHECK_EQ(ext_read_file(v, "/boot/nothing", 100, &buf, &len, why,
			       sizeof(why)),
		 1);
	/* Hostile links: refused, and said so. */
	CHECK_EQ(ext_stat(v, "/inl/modules", why, sizeof(why)), EXT_ERROR);
	CHECK(strstr(why, "/inl/modules: symlink inode "));
	CHECK(strstr(why, "holds inline data"));
	CHECK_EQ(ext_stat(v, "/slowbig/v", why, sizeof(why)), EXT_ERROR);
	CHECK(strstr(why, " of 5000 bytes (expected 1 to 1024)"));
	ext_close(v);
	tfs_free(&t);
}

static int count_entry(const char *name, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

/*
 * Directories: entries and bytes read are bounded (a long /boot, a huge
 * i_size, a budget for all the walks of a volume), and an unreadable or
 * corrupt directory is an error naming where, not a name not found.
 */
static void test_ext_directories(void)
{
	uint64_t huge = 1ull << 30, max = 16u << 20;
	uint32_t far = 0x7fffffff;
	struct ext_vol *v = NULL;
	ext2_ino_t boot, cfg, bad;
	unsigned int n = 0;
	struct tfs t;
	char why[300], name[32], *buf = NULL;
	uint8_t blk[1024];
	size_t len;
	bool ok;
	int i;

	ok = tfs_make(&t, 4096) && (boot = tfs_mkdir(&t, "/", "boot")) &&
	     (cfg = tfs_file(&t, "/boot", "config-v", "CONFIG_ARM_GIC=y\n")) &&
	     tfs_mkdir(&t, "/", "big") && tfs_mkdir(&t, "/", "holes") &&
	     (bad = tfs_mkdir(&t, "/", "bad")) && tfs_mkdir(&t, "/", "far") &&
	     tfs_mkdir(&t, "/", "deep") &&
	     tfs_file(&t, "/", "farfile", "CONFIG_ARM_GIC=y\n");
	/* 5000 more names in /boot: a listing stops at its max. */
	for (i = 0; ok && i < 5000; i++) {
		snprintf(name, sizeof(name), "x%05d", i);
		ok = tfs_link(&t, boot, name, cfg, EXT2_FT_REG_FILE);
	}
	ok = ok && tfs_poke(&t, "/big", set_size, &huge) &&
	     tfs_poke(&t, "/holes", set_size, &max) &&
	     tfs_poke(&t, "/far", set_block0, &far) &&
	     tfs_poke(&t, "/farfile", set_block0, &far) &&
	     tfs_poke(&t, "/deep", set_deep_extents, NULL);
	/* /bad's block: an entry of rec_len 3. */
	if (ok) {
		struct ext2_inode inode;

		memset(blk, 0, sizeof(blk));
		blk[0] = 2, blk[4] = 3, blk[6] = 1, blk[8] = 'x';
		ok = !ext2fs_read_inode(t.fs, bad, &inode) &&
		     !io_channel_write_blk64(t.fs->io, inode.i_block[0], 1,
					     blk) &&
		     tfs_sync(&t);
	}
	CHECK(ok);
	if (ok)
		v = ext_open(&t.s, 0, t.s.size, why, sizeof(why));
	CHECK(v);
	if (!v) {
		tfs_free(&t);
		return;
	}
	CHECK_EQ(
	    ext_list_dir(v, "/boot", 4096, count_entry, &n, why, sizeof(why)),
	    2);
	CHECK_EQ(n, 4096);
	CHECK_STR(why, "/boot: more than 4096 entries, the rest unread");
	n = 0;
	CHECK_EQ(
	    ext_list_dir(v, "/boot", 6000, count_entry, &n, why, sizeof(why)),
	    0);
	CHECK_EQ(n, 5001);
	CHECK_EQ(ext_stat(v, "/big/x", why, sizeof(why)), EXT_ERROR);
	CHECK_STR(why, "/big/x: a directory of 1073741824 bytes, more than "
		       "16777216");
	CHECK_EQ(ext_stat(v, "/bad/x", why, sizeof(why)), EXT_ERROR);
	CHECK(strstr(why, "/bad/x: directory entry at byte "));
	CHECK(strstr(why, " of the partition: rec_len 3, name 1 bytes"));
	CHECK_EQ(ext_stat(v, "/far/x", why, sizeof(why)), EXT_ERROR);
	CHECK_STR(why, "/far/x: directory block at byte 2199023254528 of the "
		       "partition: Attempt to read block from filesystem "
		       "resulted in short read");
	CHECK_EQ(
	    ext_read_file(v, "/farfile", 100, &buf, &len, why, sizeof(why)),
	    -1);
	CHECK(strstr(why, "/farfile: inode "));
	CHECK(strstr(why, ", at byte 0 of 17: "));
	CHECK_EQ(ext_stat(v, "/deep/x", why, sizeof(why)), EXT_ERROR);
	CHECK(strstr(why, "extent header magic 0xf30a, depth 9 (expected "
			  "0xf30a, at most 5)"));
	/*
	 * 16 MiB of holes per walk (and 1 KiB of root): the volume's 256 MiB
	 * of directory reads run out at the 16th.
	 */
	for (i = 0; i < 20; i++)
		if (ext_stat(v, "/holes/x", why, sizeof(why)) != EXT_NONE)
			break;
	CHECK_EQ(i, 15);
	CHECK(strstr(why, "bytes of directories read"));
	ext_close(v);
	tfs_free(&t);
}

int main(void)
{
	check_suite = "guest";
	RUN(test_kconfig_get);
	RUN(test_eval_debian_like_passes);
	RUN(test_eval_missing_options);
	RUN(test_eval_module_missing);
	RUN(test_eval_module_unreadable);
	RUN(test_not_checked);
	RUN(test_ext_refuses);
	RUN(test_ext_descriptor_cap);
	RUN(test_ext_io_read);
	RUN(test_ext_symlinks);
	RUN(test_ext_directories);
	return check_main_end();
}
