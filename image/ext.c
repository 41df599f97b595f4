// SPDX-License-Identifier: GPL-2.0
/*
 * ext2/3/4 through libext2fs, read-only and bounded (image/ext.h): the
 * guest OS checks (IMG-7..IMG-10) read the kernel configuration and the
 * module tree from the root file system with it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2_err.h>
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

#include "image/ext.h"
#include "lib/util.h"

/* Where libext2fs reads: the partition, inside the image source. */
struct ext_src {
	const struct img_src *s;
	uint64_t base, len;
};

struct ext_vol {
	ext2_filsys fs;
	struct ext_src src;
	uint64_t dir_budget; /* directory bytes still to be read */
};

#define SB_OFF 1024

/*
 * Bounds on what a hostile file system can make us do: the group
 * descriptors libext2fs holds, a directory's size, all the directory
 * bytes one volume's lookups read, a path, the symlinks in one lookup.
 */
#define EXT_MAX_DESC_BYTES (32u << 20)
#define EXT_MAX_DIR_SIZE   (16u << 20)
#define EXT_DIR_BUDGET	   (256ull << 20)
#define EXT_MAX_PATH	   4096
#define EXT_MAX_LINKS	   8

/* --- the I/O manager: reads inside the partition, never a write ------- */

static errcode_t img_io_open(const char *name, int flags, io_channel *out);
static errcode_t img_io_close(io_channel ch);
static errcode_t img_io_set_blksize(io_channel ch, int blksize);
static errcode_t img_io_read_blk(io_channel ch, unsigned long block, int count,
				 void *data);
static errcode_t img_io_read_blk64(io_channel ch, unsigned long long block,
				   int count, void *data);
static errcode_t img_io_write_blk(io_channel ch, unsigned long block, int count,
				  const void *data);
static errcode_t img_io_write_blk64(io_channel ch, unsigned long long block,
				    int count, const void *data);
static errcode_t img_io_write_byte(io_channel ch, unsigned long offset,
				   int count, const void *data);
static errcode_t img_io_flush(io_channel ch);
static errcode_t img_io_set_option(io_channel ch, const char *option,
				   const char *arg);

static struct struct_io_manager img_io_manager = {
    .magic = EXT2_ET_MAGIC_IO_MANAGER,
    .name = "armvm image I/O manager",
    .open = img_io_open,
    .close = img_io_close,
    .set_blksize = img_io_set_blksize,
    .read_blk = img_io_read_blk,
    .write_blk = img_io_write_blk,
    .flush = img_io_flush,
    .write_byte = img_io_write_byte,
    .set_option = img_io_set_option,
    .read_blk64 = img_io_read_blk64,
    .write_blk64 = img_io_write_blk64,
};

/*
 * libext2fs opens a channel by name: the name carries the address of the
 * ext_src (made by ext_open(), never by the file system's contents).
 */
static errcode_t img_io_open(const char *name, int flags, io_channel *out)
{
	struct ext_src *src = NULL;
	io_channel ch;

	if (!name || sscanf(name, "armvm-img:%p", (void **)&src) != 1 || !src)
		return EXT2_ET_BAD_DEVICE_NAME;
	if (flags & IO_FLAG_RW)
		return EXT2_ET_RO_FILSYS;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return EXT2_ET_NO_MEMORY;
	ch->name = strdup(name);
	if (!ch->name) {
		free(ch);
		return EXT2_ET_NO_MEMORY;
	}
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = &img_io_manager;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = src;
	*out = ch;
	return 0;
}

static errcode_t img_io_close(io_channel ch)
{
	if (--ch->refcount > 0)
		return 0;
	free(ch->name);
	free(ch);
	return 0;
}

static errcode_t img_io_set_blksize(io_channel ch, int blksize)
{
	if (blksize <= 0 || blksize > EXT2_MAX_BLOCK_SIZE)
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

long ext_io_read(const struct img_src *s, uint64_t base, uint64_t len,
		 unsigned int blksize, uint64_t block, int count, void *data)
{
	uint64_t size, off;

	/* count < 0: -count bytes (libext2fs's convention). */
	size = count < 0 ? (uint64_t) - (int64_t)count
			 : (uint64_t)count * (uint64_t)blksize;
	if (!blksize || block > UINT64_MAX / blksize)
		return EXT2_ET_LLSEEK_FAILED;
	off = block * blksize;
	if (size > SIZE_MAX || !range_ok(off, size, len) ||
	    img_read(s, base + off, data, (size_t)size)) {
		if (size <= SIZE_MAX)
			memset(data, 0, (size_t)size);
		return EXT2_ET_SHORT_READ;
	}
	return 0;
}

static errcode_t img_io_read_blk64(io_channel ch, unsigned long long block,
				   int count, void *data)
{
	const struct ext_src *src = ch->private_data;

	return ext_io_read(src->s, src->base, src->len,
			   (unsigned int)ch->block_size, block, count, data);
}

static errcode_t img_io_read_blk(io_channel ch, unsigned long block, int count,
				 void *data)
{
	return img_io_read_blk64(ch, block, count, data);
}

static errcode_t img_io_write_blk64(io_channel ch, unsigned long long block,
				    int count, const void *data)
{
	return EXT2_ET_RO_FILSYS;
}

static errcode_t img_io_write_blk(io_channel ch, unsigned long block, int count,
				  const void *data)
{
	return EXT2_ET_RO_FILSYS;
}

static errcode_t img_io_write_byte(io_channel ch, unsigned long offset,
				   int count, const void *data)
{
	return EXT2_ET_RO_FILSYS;
}

static errcode_t img_io_flush(io_channel ch)
{
	return 0;
}

static errcode_t img_io_set_option(io_channel ch, const char *option,
				   const char *arg)
{
	return EXT2_ET_INVALID_ARGUMENT;
}

/* --- the volume ---------------------------------------------------------- */

bool ext_probe(const struct img_src *s, uint64_t base, uint64_t len)
{
	uint8_t m[2];

	return len >= SB_OFF + 1024 &&
	       !img_read(s, base + SB_OFF + 56, m, sizeof(m)) &&
	       get_le16(m) == EXT2_SUPER_MAGIC;
}

static void why_err(char *why, size_t whylen, const char *what, errcode_t e)
{
	set_err(why, whylen, "%s: %s", what, error_message(e));
}

/*
 * The superblock's geometry against the partition, before libext2fs
 * allocates anything after it: a file system larger than its partition
 * (truncated, or lying) is refused here.
 */
static int check_super(const struct img_src *s, uint64_t base, uint64_t len,
		       char *why, size_t whylen)
{
	uint8_t sb[1024];
	uint32_t log_bs, incompat, first, bpg, dsz = 32;
	uint64_t blocks, bs, groups;

	if (len < SB_OFF + sizeof(sb) ||
	    img_read(s, base + SB_OFF, sb, sizeof(sb))) {
		snprintf(why, whylen,
			 "no superblock: the partition is %" PRIu64 " bytes",
			 len);
		return -1;
	}
	if (get_le16(sb + 56) != EXT2_SUPER_MAGIC) {
		snprintf(why, whylen, "no ext2/3/4 superblock magic (0x%04x)",
			 get_le16(sb + 56));
		return -1;
	}
	log_bs = get_le32(sb + 24);
	if (log_bs > EXT2_MAX_BLOCK_LOG_SIZE - EXT2_MIN_BLOCK_LOG_SIZE) {
		snprintf(why, whylen,
			 "superblock: s_log_block_size %u, at most %d", log_bs,
			 EXT2_MAX_BLOCK_LOG_SIZE - EXT2_MIN_BLOCK_LOG_SIZE);
		return -1;
	}
	bs = 1024ull << log_bs;
	incompat = get_le32(sb + 96);
	blocks = get_le32(sb + 4);
	if (incompat & EXT4_FEATURE_INCOMPAT_64BIT)
		blocks |= (uint64_t)get_le32(sb + 0x150) << 32;
	if (!blocks || blocks > len / bs) {
		snprintf(why, whylen,
			 "superblock: %" PRIu64 " blocks of %" PRIu64
			 " bytes, but the partition is %" PRIu64 " bytes",
			 blocks, bs, len);
		return -1;
	}
	/*
	 * libext2fs reads (and allocates) a descriptor per group: bounded
	 * here. mke2fs makes groups of 256 blocks or more.
	 */
	first = get_le32(sb + 20);
	bpg = get_le32(sb + 32);
	if (bpg < 256 || !get_le32(sb + 40) || first >= blocks) {
		snprintf(why, whylen,
			 "superblock: %u blocks and %u inodes per group, "
			 "the first data block %u",
			 bpg, get_le32(sb + 40), first);
		return -1;
	}
	if (incompat & EXT4_FEATURE_INCOMPAT_64BIT)
		dsz = get_le16(sb + 0xfe);
	groups = (blocks - first + bpg - 1) / bpg;
	if (dsz > 64 || groups * dsz > EXT_MAX_DESC_BYTES) {
		snprintf(why, whylen,
			 "superblock: %" PRIu64
			 " group descriptors of %u bytes, more than %u bytes "
			 "or 64 bytes each",
			 groups, dsz, EXT_MAX_DESC_BYTES);
		return -1;
	}
	/*
	 * libext2fs copies inline data (files, directories, symlinks)
	 * past the buffers it sizes by i_size, and ea_inode lets those
	 * copies reach 64 KiB: neither is read.
	 */
	if (incompat & (EXT4_FEATURE_INCOMPAT_INLINE_DATA |
			EXT4_FEATURE_INCOMPAT_EA_INODE)) {
		snprintf(why, whylen,
			 "the file system uses %s, which image check does not "
			 "read",
			 incompat & EXT4_FEATURE_INCOMPAT_INLINE_DATA
			     ? "inline_data"
			     : "ea_inode");
		return -1;
	}
	return 0;
}

struct ext_vol *ext_open(const struct img_src *s, uint64_t base, uint64_t len,
			 char *why, size_t whylen)
{
	struct ext_vol *v;
	char name[64];
	errcode_t e;

	static bool err_table;

	/* error_message() has libext2fs's texts from here on. */
	if (!err_table) {
		initialize_ext2_error_table();
		err_table = true;
	}
	if (check_super(s, base, len, why, whylen))
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	v->src.s = s;
	v->src.base = base;
	v->src.len = len;
	v->dir_budget = EXT_DIR_BUDGET;
	snprintf(name, sizeof(name), "armvm-img:%p", (void *)&v->src);
	/* Read-only (no EXT2_FLAG_RW): no journal replay, no MMP, no write. */
	e = ext2fs_open2(name, NULL, EXT2_FLAG_64BITS, 0, 0, &img_io_manager,
			 &v->fs);
	if (e) {
		why_err(why, whylen, "libext2fs cannot open the file system",
			e);
		free(v);
		return NULL;
	}
	return v;
}

void ext_close(struct ext_vol *v)
{
	if (!v)
		return;
	ext2fs_close_free(&v->fs);
	free(v);
}

/* --- directories: read by i_size, block by block ------------------------ */

/*
 * An extent-mapped inode's tree at most EXT4_MAX_EXTENT_DEPTH (5, as
 * Linux allows) deep: libext2fs descends as deep as the root's eh_depth
 * says (up to 65535 levels, a block read each) for every block mapped.
 */
#define EXT_MAX_EXTENT_DEPTH 5

static int map_ok(const struct ext2_inode *inode, ext2_ino_t ino,
		  const char *path, char *why, size_t whylen)
{
	const uint8_t *eh = (const uint8_t *)inode->i_block;

	if (!(inode->i_flags & EXT4_EXTENTS_FL))
		return 0;
	if (get_le16(eh) != EXT3_EXT_MAGIC ||
	    get_le16(eh + 6) > EXT_MAX_EXTENT_DEPTH) {
		snprintf(why, whylen,
			 "%s: inode %u: extent header magic 0x%04x, depth %u "
			 "(expected 0x%04x, at most %d)",
			 path, ino, get_le16(eh), get_le16(eh + 6),
			 EXT3_EXT_MAGIC, EXT_MAX_EXTENT_DEPTH);
		return -1;
	}
	return 0;
}

/*
 * Each named entry of directory ino: fn returns non-zero to stop. The
 * walk covers the blocks under i_size only (at most EXT_MAX_DIR_SIZE,
 * mapped one by one with ext2fs_bmap2, whose extent walk only descends),
 * whatever the extent tree maps beyond it, and the volume's budget of
 * directory bytes bounds all the walks of one check together: a hostile
 * image cannot make IMG-7..IMG-10 read without end. An unreadable or
 * corrupt block is an error naming the block, never a name not found.
 * Returns 0, or -1 with why.
 */
static int dir_walk(struct ext_vol *v, ext2_ino_t ino, struct ext2_inode *inode,
		    const char *path,
		    int (*fn)(const char *name, int len, ext2_ino_t child,
			      void *arg),
		    void *arg, char *why, size_t whylen)
{
	unsigned int bs = v->fs->blocksize;
	uint64_t size = EXT2_I_SIZE(inode), nblk;
	errcode_t e;
	char *buf;
	int ret = -1;

	if (inode->i_flags & EXT4_INLINE_DATA_FL) {
		snprintf(why, whylen, "%s: an inline-data directory", path);
		return -1;
	}
	if (size > EXT_MAX_DIR_SIZE) {
		snprintf(why, whylen,
			 "%s: a directory of %" PRIu64 " bytes, more than %u",
			 path, size, EXT_MAX_DIR_SIZE);
		return -1;
	}
	if (map_ok(inode, ino, path, why, whylen))
		return -1;
	nblk = (size + bs - 1) / bs;
	if (nblk * bs > v->dir_budget) {
		snprintf(why, whylen,
			 "%s: more than %llu bytes of directories read", path,
			 EXT_DIR_BUDGET);
		return -1;
	}
	v->dir_budget -= nblk * bs;
	buf = malloc(bs);
	if (!buf) {
		snprintf(why, whylen, "%s: out of memory", path);
		return -1;
	}
	for (uint64_t lblk = 0; lblk < nblk; lblk++) {
		unsigned int off = 0, rec_len;
		blk64_t pblk = 0;

		e = ext2fs_bmap2(v->fs, ino, inode, NULL, 0, lblk, NULL, &pblk);
		if (e) {
			snprintf(why, whylen,
				 "%s: directory inode %u, block %" PRIu64
				 " of %" PRIu64 ": %s",
				 path, ino, lblk, nblk, error_message(e));
			goto out;
		}
		if (!pblk)
			continue; /* a hole: nothing in it */
		e = ext2fs_read_dir_block4(v->fs, pblk, buf, 0, ino);
		if (e) {
			snprintf(why, whylen,
				 "%s: directory block at byte %" PRIu64
				 " of the partition: %s",
				 path, (uint64_t)pblk * bs, error_message(e));
			goto out;
		}
		for (; off + 8 <= bs; off += rec_len) {
			struct ext2_dir_entry *d = (void *)(buf + off);
			int n = ext2fs_dirent_name_len(d);

			if (ext2fs_get_rec_len(v->fs, d, &rec_len) ||
			    rec_len < 8 || rec_len % 4 || rec_len > bs - off ||
			    (unsigned int)n + 8 > rec_len) {
				snprintf(why, whylen,
					 "%s: directory entry at byte %" PRIu64
					 " of the partition: rec_len %u, name "
					 "%d bytes (expected a multiple of 4, "
					 "8 + the name to %u)",
					 path, (uint64_t)pblk * bs + off,
					 rec_len, n, bs - off);
				goto out;
			}
			if (d->inode && n && fn(d->name, n, d->inode, arg)) {
				ret = 0; /* fn stopped the walk */
				goto out;
			}
		}
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

struct find_ctx {
	const char *name;
	size_t len;
	ext2_ino_t ino;
};

static int find_one(const char *name, int len, ext2_ino_t child, void *arg)
{
	struct find_ctx *c = arg;

	if ((size_t)len != c->len || memcmp(name, c->name, c->len))
		return 0;
	c->ino = child;
	return 1;
}

/*
 * A symlink's target into out[EXT_MAX_PATH]: a fast link from i_block, a
 * slow one from its one block; an inline-data link is refused (libext2fs
 * copies those past the buffer it sizes by i_size).
 */
static int link_target(struct ext_vol *v, ext2_ino_t ino,
		       struct ext2_inode *inode, char *out, const char *path,
		       char *why, size_t whylen)
{
	uint64_t size = EXT2_I_SIZE(inode);
	blk64_t pblk = 0;
	errcode_t e;
	char *buf;

	if (inode->i_flags & EXT4_INLINE_DATA_FL) {
		snprintf(
		    why, whylen,
		    "%s: symlink inode %u holds inline data (IMG-7..IMG-10 "
		    "read only block-mapped ones)",
		    path, ino);
		return -1;
	}
	if (!size || size >= EXT_MAX_PATH || size > v->fs->blocksize) {
		snprintf(why, whylen,
			 "%s: symlink inode %u of %" PRIu64
			 " bytes (expected 1 to %u)",
			 path, ino, size,
			 EXT_MAX_PATH - 1 < v->fs->blocksize
			     ? EXT_MAX_PATH - 1
			     : v->fs->blocksize);
		return -1;
	}
	if (size < sizeof(inode->i_block)) {
		/* A fast link: the target is in i_block, i_size bounds it. */
		memcpy(out, inode->i_block, (size_t)size);
	} else {
		if (map_ok(inode, ino, path, why, whylen))
			return -1;
		e = ext2fs_bmap2(v->fs, ino, inode, NULL, 0, 0, NULL, &pblk);
		if (e || !pblk) {
			snprintf(why, whylen,
				 "%s: symlink inode %u of %" PRIu64
				 " bytes: %s",
				 path, ino, size,
				 e ? error_message(e) : "no block mapped");
			return -1;
		}
		buf = malloc(v->fs->blocksize);
		if (!buf) {
			snprintf(why, whylen, "%s: out of memory", path);
			return -1;
		}
		e = io_channel_read_blk64(v->fs->io, pblk, 1, buf);
		if (!e)
			memcpy(out, buf, (size_t)size);
		free(buf);
		if (e) {
			snprintf(why, whylen,
				 "%s: symlink block at byte %" PRIu64
				 " of the partition: %s",
				 path, (uint64_t)pblk * v->fs->blocksize,
				 error_message(e));
			return -1;
		}
	}
	out[size] = 0;
	if (strlen(out) != size) {
		snprintf(why, whylen, "%s: a NUL in a symlink's target", path);
		return -1;
	}
	return 0;
}

/*
 * Resolve an absolute path, one component at a time in bounded directory
 * walks, following symlinks (the last component's too) relative to the
 * file system's root, at most EXT_MAX_LINKS of them: no loop, no way out.
 * Returns 0, 1 when a component does not exist, or -1; why either way.
 */
static int lookup(struct ext_vol *v, const char *path, ext2_ino_t *ino,
		  struct ext2_inode *inode, char *why, size_t whylen)
{
	char *rest = NULL, *target = NULL, *p;
	ext2_ino_t cur = EXT2_ROOT_INO;
	int links = 0, ret = -1;
	errcode_t e;

	if (path[0] != '/' || strlen(path) >= EXT_MAX_PATH) {
		snprintf(why, whylen, "%.100s: not an absolute path", path);
		return -1;
	}
	rest = malloc(EXT_MAX_PATH);
	target = malloc(EXT_MAX_PATH);
	if (!rest || !target) {
		snprintf(why, whylen, "%s: out of memory", path);
		goto out;
	}
	snprintf(rest, EXT_MAX_PATH, "%s", path);
	e = ext2fs_read_inode(v->fs, cur, inode);
	for (p = rest; !e;) {
		struct find_ctx c = {0};
		char *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		c.name = p;
		c.len = (size_t)(end - p);
		/* ENOTDIR: a name that is not there, as the kernel sees it. */
		if (!LINUX_S_ISDIR(inode->i_mode)) {
			snprintf(why, whylen,
				 "%s: %.*s not found: inode %u is not a "
				 "directory",
				 path, (int)c.len, c.name, cur);
			ret = 1;
			goto out;
		}
		if (dir_walk(v, cur, inode, path, find_one, &c, why, whylen))
			goto out;
		if (!c.ino) {
			snprintf(why, whylen, "%s: %.*s not found", path,
				 (int)c.len, c.name);
			ret = 1;
			goto out;
		}
		e = ext2fs_read_inode(v->fs, c.ino, inode);
		if (e) {
			snprintf(why, whylen, "%s: %.*s: inode %u: %s", path,
				 (int)c.len, c.name, c.ino, error_message(e));
			goto out;
		}
		if (!LINUX_S_ISLNK(inode->i_mode)) {
			cur = c.ino;
			p = end;
			continue;
		}
		if (++links > EXT_MAX_LINKS) {
			e = EXT2_ET_SYMLINK_LOOP;
			break;
		}
		if (link_target(v, c.ino, inode, target, path, why, whylen))
			goto out;
		/* The target, then what follows the link: a new rest. */
		if (strlen(target) + 1 + strlen(end) >= EXT_MAX_PATH) {
			snprintf(why, whylen, "%s: a path of %d bytes or more",
				 path, EXT_MAX_PATH);
			goto out;
		}
		memmove(rest + strlen(target) + 1, end, strlen(end) + 1);
		memcpy(rest, target, strlen(target));
		rest[strlen(target)] = '/';
		p = rest;
		if (target[0] == '/')
			cur = EXT2_ROOT_INO;
		/* The directory the link is in (read before: no error). */
		e = ext2fs_read_inode(v->fs, cur, inode);
	}
	if (e) {
		why_err(why, whylen, path, e);
		goto out;
	}
	*ino = cur;
	ret = 0;
out:
	/* Names from symlink targets are the guest's: one line, printable. */
	if (ret)
		escape_controls(why, whylen);
	free(rest);
	free(target);
	return ret;
}

enum ext_type ext_stat(struct ext_vol *v, const char *path, char *why,
		       size_t whylen)
{
	struct ext2_inode inode;
	ext2_ino_t ino;
	int r = lookup(v, path, &ino, &inode, why, whylen);

	if (r)
		return r > 0 ? EXT_NONE : EXT_ERROR;
	if (LINUX_S_ISREG(inode.i_mode))
		return EXT_FILE;
	if (LINUX_S_ISDIR(inode.i_mode))
		return EXT_DIR;
	return EXT_OTHER;
}

bool ext_needs_recovery(const struct ext_vol *v)
{
	return ext2fs_has_feature_journal_needs_recovery(v->fs->super);
}

int ext_read_file(struct ext_vol *v, const char *path, size_t max, char **buf,
		  size_t *len, char *why, size_t whylen)
{
	struct ext2_inode inode;
	ext2_file_t f;
	ext2_ino_t ino;
	uint64_t size;
	size_t done = 0;
	char *b;
	errcode_t e = 0;
	int r;

	*buf = NULL;
	*len = 0;
	r = lookup(v, path, &ino, &inode, why, whylen);
	if (r)
		return r;
	if (!LINUX_S_ISREG(inode.i_mode)) {
		snprintf(why, whylen, "%s: not a regular file (mode 0%o)", path,
			 inode.i_mode);
		return -1;
	}
	/* libext2fs copies inline data past its buffer (see lookup). */
	if (inode.i_flags & EXT4_INLINE_DATA_FL) {
		snprintf(why, whylen, "%s: an inline-data file", path);
		return -1;
	}
	if (map_ok(&inode, ino, path, why, whylen))
		return -1;
	size = EXT2_I_SIZE(&inode);
	if (size > max) {
		snprintf(why, whylen,
			 "%s: %" PRIu64 " bytes, more than the %zu read", path,
			 size, max);
		return -1;
	}
	/* The inode checked above, not a second read of it. */
	e = ext2fs_file_open2(v->fs, ino, &inode, 0, &f);
	if (e) {
		why_err(why, whylen, path, e);
		return -1;
	}
	b = malloc((size_t)size + 1);
	if (!b) {
		ext2fs_file_close(f);
		snprintf(why, whylen, "%s: out of memory", path);
		return -1;
	}
	while (done < size) {
		unsigned int got = 0;

		e = ext2fs_file_read(f, b + done, (unsigned int)(size - done),
				     &got);
		if (e || !got)
			break;
		done += got;
	}
	ext2fs_file_close(f);
	if (e || done != size) {
		snprintf(why, whylen,
			 "%s: inode %u, at byte %zu of %" PRIu64 ": %s", path,
			 ino, done, size,
			 e ? error_message(e) : "the file ends early");
		free(b);
		return -1;
	}
	b[done] = 0;
	*buf = b;
	*len = done;
	return 0;
}

struct list_ctx {
	int (*fn)(const char *name, void *arg);
	void *arg;
	unsigned int left;
	bool cut;
};

static int list_one(const char *name, int len, ext2_ino_t child, void *arg)
{
	struct list_ctx *c = arg;
	char n[EXT2_NAME_LEN + 1];

	if (len > EXT2_NAME_LEN)
		return 0;
	memcpy(n, name, (size_t)len);
	n[len] = 0;
	if (!strcmp(n, ".") || !strcmp(n, ".."))
		return 0;
	if (!c->left) {
		c->cut = true;
		return 1;
	}
	c->left--;
	return c->fn(n, c->arg);
}

int ext_list_dir(struct ext_vol *v, const char *path, unsigned int max,
		 int (*fn)(const char *name, void *arg), void *arg, char *why,
		 size_t whylen)
{
	struct list_ctx c = {fn, arg, max, false};
	struct ext2_inode inode;
	ext2_ino_t ino;
	int r;

	r = lookup(v, path, &ino, &inode, why, whylen);
	if (r)
		return r;
	if (!LINUX_S_ISDIR(inode.i_mode)) {
		snprintf(why, whylen, "%s: not a directory", path);
		return -1;
	}
	if (dir_walk(v, ino, &inode, path, list_one, &c, why, whylen))
		return -1;
	if (c.cut) {
		snprintf(why, whylen,
			 "%s: more than %u entries, the rest unread", path,
			 max);
		return 2;
	}
	return 0;
}
