// SPDX-License-Identifier: GPL-2.0
/*
 * `armvm image build`: a raw, sparse GPT disk image with a FAT32 ESP
 * (IMG-1..IMG-6), made by armvm's own GPT and FAT writers: no root, no
 * loop devices, no external tools. The image is written to a temporary
 * file next to the output, checked with the checker, then renamed: no
 * partial image is ever left behind. Identifiers are derived from the
 * inputs, so the same inputs and SOURCE_DATE_EPOCH give the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "image/build.h"
#include "image/check.h"
#include "image/fat_write.h"
#include "image/gpt.h"
#include "image/guid.h"
#include "image/pe.h"
#include "lib/sha256.h"
#include "lib/util.h"

#define ALIGN_LBAS	2048u /* 1 MiB */
#define MAX_EXTRA_PARTS 16
#define MAX_BOOT_EFI	(256u << 20)

struct part_spec {
	const char *spec;
	char name[72];
	uint8_t type[16], uuid[16];
	bool have_uuid;
	uint64_t size; /* 0: the rest of the disk */
	const char *file;
	uint64_t first_lba, last_lba;
};

struct build {
	const char *out;
	uint64_t size, esp_size;
	bool force, no_check;
	const char *label;
	uint8_t disk_guid[16];
	bool have_disk_guid, have_volid;
	uint32_t volid;
	struct part_spec parts[MAX_EXTRA_PARTS];
	int nparts;
	struct fatw fat;
	uint64_t bytes_written, bytes_read;
	struct progress progress; /* the ESP's files, then the partitions' */
};

static char tmp_path[4096];

static void on_signal(int sig)
{
	/* Leave nothing behind, even when interrupted. */
	if (tmp_path[0])
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int parse_part(struct part_spec *p, const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *kv;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->spec = spec;
	guid_parse(gpt_type_by_name("linux"), p->type);
	snprintf(p->name, sizeof(p->name), "data");
	for (kv = strtok_r(copy, ",", &save); kv && !rc;
	     kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');

		if (!v) {
			rc = -1;
			break;
		}
		*v++ = 0;
		if (!strcmp(kv, "name") && strlen(v) < 36) {
			snprintf(p->name, sizeof(p->name), "%s", v);
		} else if (!strcmp(kv, "type")) {
			const char *g = gpt_type_by_name(v);

			rc = guid_parse(g ? g : v, p->type) ? 0 : -1;
		} else if (!strcmp(kv, "uuid")) {
			rc = guid_parse(v, p->uuid) ? 0 : -1;
			p->have_uuid = true;
		} else if (!strcmp(kv, "size")) {
			rc = parse_size(v, 1, &p->size) && p->size ? 0 : -1;
		} else if (!strcmp(kv, "file")) {
			p->file = spec + (v - copy);
		} else {
			rc = -1;
		}
	}
	if (p->file) {
		/* The file name runs to the next comma of the original. */
		size_t l = strcspn(p->file, ",");
		char *f = strndup(p->file, l);

		p->file = f;
	}
	free(copy);
	return rc;
}

static int add_boot_efi(struct build *b, const char *file, bool seen[3])
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	struct pe_info pi;
	ssize_t n;
	char why[300], dest[40];
	int rc;

	if (fd < 0 || fstat(fd, &st)) {
		pr_err("image build: --boot-efi '%s': %s", file,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_BOOT_EFI) {
		pr_err(
		    "image build: --boot-efi '%s': expected a regular file of at most 256 MiB",
		    file);
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		pr_err("image build: --boot-efi '%s': cannot read it", file);
		free(buf);
		return -1;
	}
	rc = pe_identify(buf, (size_t)n, &pi);
	free(buf);
	if (rc) {
		pr_err(
		    "image build: --boot-efi '%s': not a PE/COFF EFI application: %s",
		    file, pi.err);
		return -1;
	}
	if (pi.arch == PE_ARCH_NONE) {
		pr_err(
		    "image build: --boot-efi '%s': machine 0x%04x (%s): expected an aarch64 (0xaa64) or aarch32 (0x1c2) EFI application",
		    file, pi.machine, pe_machine_name(pi.machine));
		return -1;
	}
	if (pi.subsystem != PE_SUBSYSTEM_EFI_APPLICATION) {
		pr_err(
		    "image build: --boot-efi '%s': subsystem %u: expected 10 (EFI application)",
		    file, pi.subsystem);
		return -1;
	}
	if (pi.arch == PE_ARCH_AARCH64 && pi.magic != PE_MAGIC_PE32PLUS) {
		pr_err(
		    "image build: --boot-efi '%s': an aarch64 image must be PE32+ (magic 0x20b), found 0x%x",
		    file, pi.magic);
		return -1;
	}
	if (seen[pi.arch]) {
		pr_err("image build: --boot-efi '%s': a second %s boot file",
		       file, pe_arch_name(pi.arch));
		return -1;
	}
	seen[pi.arch] = true;
	snprintf(dest, sizeof(dest), "/EFI/BOOT/%s",
		 pe_arch_boot_name(pi.arch));
	if (fatw_add(&b->fat, dest, file, why, sizeof(why))) {
		pr_err("image build: --boot-efi: %s", why);
		return -1;
	}
	return 0;
}

static int add_spec(struct build *b, const char *opt, const char *spec,
		    const char *rel_dir)
{
	/* SRC:DEST, split at the last ':' (FAT names cannot hold one). */
	const char *colon = strrchr(spec, ':');
	char *src, why[400];
	int rc;

	if (!colon || colon == spec || !colon[1]) {
		pr_err("image build: %s '%s': expected SRC:DEST", opt, spec);
		return -1;
	}
	if (rel_dir && spec[0] != '/') {
		if (asprintf(&src, "%s/%.*s", rel_dir, (int)(colon - spec),
			     spec) < 0)
			return -1;
	} else {
		src = strndup(spec, (size_t)(colon - spec));
	}
	rc = fatw_add(&b->fat, colon + 1, src, why, sizeof(why));
	if (rc)
		pr_err("image build: %s '%s': %s", opt, spec, why);
	free(src);
	return rc;
}

static int add_manifest(struct build *b, const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, *dir, *fcopy;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, rc = 0;

	if (!f) {
		pr_err("image build: --manifest '%s': %s", file,
		       strerror(errno));
		return -1;
	}
	fcopy = strdup(file);
	dir = dirname(fcopy);
	while (!rc && (len = getline(&line, &cap, f)) >= 0) {
		char opt[64];
		char *p = line;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		snprintf(opt, sizeof(opt), "--manifest line %d:", lineno);
		rc = add_spec(b, opt, p, dir);
	}
	free(line);
	free(fcopy);
	fclose(f);
	return rc;
}

/* A GUID from the digest of all inputs (RFC 4122 version 4 layout). */
static void derive(const uint8_t digest[32], const char *what, unsigned int idx,
		   uint8_t out[16])
{
	struct sha256 h;
	uint8_t d[32], ib[4];

	sha256_init(&h);
	sha256_update(&h, digest, 32);
	sha256_update(&h, what, strlen(what));
	put_le32(ib, idx);
	sha256_update(&h, ib, 4);
	sha256_final(&h, d);
	memcpy(out, d, 16);
	out[7] = (uint8_t)((out[7] & 0x0F) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3F) | 0x80);
}

static int copy_part(struct build *b, int fd, struct part_spec *p,
		     struct sha256 *h)
{
	int in = open(p->file, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = malloc(1u << 20);
	uint64_t off = p->first_lba * GPT_LBA_SIZE, done = 0;
	uLong crc = crc32(0, NULL, 0);
	uint8_t tag[12];
	int rc = -1;

	if (in < 0 || !buf) {
		progress_end(&b->progress);
		pr_err("image build: --partition '%s': '%s': %s", p->spec,
		       p->file, strerror(errno));
		goto out;
	}
	while (1) {
		ssize_t r = read(in, buf, 1u << 20);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			progress_end(&b->progress);
			pr_err("image build: '%s': %s", p->file,
			       strerror(errno));
			goto out;
		}
		if (!r)
			break;
		if (done + (uint64_t)r > p->size) {
			progress_end(&b->progress);
			pr_err(
			    "image build: --partition '%s': '%s' grew beyond the partition",
			    p->spec, p->file);
			goto out;
		}
		b->bytes_read += (uint64_t)r;
		progress_add(&b->progress, (uint64_t)r);
		crc = crc32(crc, buf, (uInt)r);
		if (write_sparse(fd, buf, (size_t)r, off + done,
				 &b->bytes_written)) {
			progress_end(&b->progress);
			pr_err("image build: writing '%s' into the image: %s",
			       p->file, strerror(errno));
			goto out;
		}
		done += (uint64_t)r;
	}
	put_le64(tag, done);
	put_le32(tag + 8, (uint32_t)crc);
	sha256_update(h, tag, sizeof(tag));
	rc = 0;
out:
	if (in >= 0)
		close(in);
	free(buf);
	return rc;
}

/* The bytes of the partitions' files (--partition ...,file=), as they
 * are now: for the progress line only (copy_part checks what it reads). */
static uint64_t parts_file_bytes(const struct build *b)
{
	uint64_t n = 0;
	struct stat st;

	for (int i = 0; i < b->nparts; i++)
		if (b->parts[i].file && !stat(b->parts[i].file, &st) &&
		    S_ISREG(st.st_mode))
			n += (uint64_t)st.st_size;
	return n;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
		      uint64_t *written)
{
	return write_sparse(fd, buf, len, off, written);
}

/* Plan the partitions: ESP first at 1 MiB, then the others, aligned. */
static int plan(struct build *b, uint64_t disk_lbas)
{
	uint64_t last = gpt_last_usable(disk_lbas), next;
	uint64_t esp_lbas;

	if (disk_lbas < ALIGN_LBAS + 2 * 34 + 1 || last < ALIGN_LBAS) {
		pr_err("image build: --size %" PRIu64
		       ": too small for a GPT disk with an ESP",
		       b->size);
		return -1;
	}
	/* Partitions that fill the disk end on a 1 MiB boundary too. */
	if (!b->esp_size)
		b->esp_size = b->nparts ? 256ull << 20
					: ALIGN_DOWN(last + 1 - ALIGN_LBAS,
						     (uint64_t)ALIGN_LBAS) *
					      GPT_LBA_SIZE;
	if (b->esp_size % GPT_LBA_SIZE) {
		pr_err("image build: --esp-size %" PRIu64
		       ": expected a multiple of 512 bytes",
		       b->esp_size);
		return -1;
	}
	esp_lbas = b->esp_size / GPT_LBA_SIZE;
	if (ALIGN_LBAS + esp_lbas - 1 > last) {
		pr_err("image build: --esp-size %" PRIu64
		       "M does not fit in a disk of --size %" PRIu64
		       "M (%" PRIu64 "M usable after the first MiB)",
		       b->esp_size >> 20, b->size >> 20,
		       (last + 1 - ALIGN_LBAS) >> 11);
		return -1;
	}
	next = ALIGN_UP(ALIGN_LBAS + esp_lbas, (uint64_t)ALIGN_LBAS);
	for (int i = 0; i < b->nparts; i++) {
		struct part_spec *p = &b->parts[i];
		struct stat st;

		if (p->file) {
			if (stat(p->file, &st) || !S_ISREG(st.st_mode)) {
				pr_err(
				    "image build: --partition '%s': '%s': %s",
				    p->spec, p->file,
				    errno ? strerror(errno)
					  : "not a regular file");
				return -1;
			}
			if (!p->size)
				p->size = ALIGN_UP((uint64_t)st.st_size,
						   (uint64_t)SZ_1M);
			if ((uint64_t)st.st_size > p->size) {
				pr_err(
				    "image build: --partition '%s': '%s' (%" PRIu64
				    " bytes) does not fit in size %" PRIu64,
				    p->spec, p->file, (uint64_t)st.st_size,
				    p->size);
				return -1;
			}
		}
		if (!p->size && i != b->nparts - 1) {
			pr_err(
			    "image build: --partition '%s': only the last partition may omit size= (it takes the rest of the disk)",
			    p->spec);
			return -1;
		}
		p->first_lba = next;
		if (p->size)
			p->last_lba = next + ALIGN_UP(p->size, 512) / 512 - 1;
		else if (ALIGN_DOWN(last + 1, (uint64_t)ALIGN_LBAS) > next)
			p->last_lba =
			    ALIGN_DOWN(last + 1, (uint64_t)ALIGN_LBAS) - 1;
		else
			p->last_lba = last;
		if (next > last || p->last_lba > last) {
			pr_err(
			    "image build: --partition '%s': does not fit: %" PRIu64
			    " bytes left on the disk",
			    p->spec, next > last ? 0 : (last + 1 - next) * 512);
			return -1;
		}
		next = ALIGN_UP(p->last_lba + 1, (uint64_t)ALIGN_LBAS);
	}
	return 0;
}

static int finish(struct build *b, int fd, struct sha256 *h)
{
	uint64_t disk_lbas = b->size / GPT_LBA_SIZE;
	struct gpt_part gp[1 + MAX_EXTRA_PARTS];
	struct gpt_layout *gl = malloc(sizeof(*gl));
	uint8_t digest[32], vid[16];
	int rc = -1;

	if (!gl)
		return -1;
	sha256_final(h, digest);
	if (!b->have_disk_guid)
		derive(digest, "disk", 0, b->disk_guid);
	memset(gp, 0, sizeof(gp));
	gp[0].index = 1;
	guid_parse(GPT_TYPE_ESP, gp[0].type);
	derive(digest, "part", 1, gp[0].uuid);
	gp[0].first_lba = ALIGN_LBAS;
	gp[0].last_lba = ALIGN_LBAS + b->esp_size / GPT_LBA_SIZE - 1;
	snprintf(gp[0].name, sizeof(gp[0].name), "EFI System Partition");
	for (int i = 0; i < b->nparts; i++) {
		struct gpt_part *g = &gp[i + 1];

		g->index = (unsigned int)i + 2;
		memcpy(g->type, b->parts[i].type, 16);
		if (b->parts[i].have_uuid)
			memcpy(g->uuid, b->parts[i].uuid, 16);
		else
			derive(digest, "part", g->index, g->uuid);
		g->first_lba = b->parts[i].first_lba;
		g->last_lba = b->parts[i].last_lba;
		snprintf(g->name, sizeof(g->name), "%s", b->parts[i].name);
	}
	if (b->have_volid) {
		b->fat.volume_id = b->volid;
	} else {
		derive(digest, "volume-id", 0, vid);
		b->fat.volume_id = get_le32(vid);
	}
	if (fatw_write_boot(&b->fat, fd, ALIGN_LBAS * GPT_LBA_SIZE,
			    (char[200]){0}, 200))
		goto io;
	if (gpt_build(disk_lbas, b->disk_guid, gp, 1 + b->nparts, gl))
		goto io;
	if (pwrite_all(fd, gl->pmbr, 512, 0, &b->bytes_written) ||
	    pwrite_all(fd, gl->primary, 512, 512, &b->bytes_written) ||
	    pwrite_all(fd, gl->array, GPT_ARRAY_BYTES, 1024,
		       &b->bytes_written) ||
	    pwrite_all(fd, gl->array, GPT_ARRAY_BYTES,
		       (disk_lbas - 1 - GPT_ARRAY_LBAS) * GPT_LBA_SIZE,
		       &b->bytes_written) ||
	    pwrite_all(fd, gl->backup, 512, (disk_lbas - 1) * GPT_LBA_SIZE,
		       &b->bytes_written))
		goto io;
	rc = 0;
	goto out;
io:
	pr_err("image build: writing the partition table of '%s': %s", b->out,
	       strerror(errno));
out:
	free(gl);
	return rc;
}

static int self_check(struct build *b, int fd)
{
	struct chk_report rep;
	struct img_src s;
	int bad = 0;

	if (img_src_fd(&s, fd))
		return -1;
	image_check(&s, CHK_ARCH_ANY, CHK_NO_GUEST, &rep);
	for (int i = 0; i < rep.n; i++) {
		const struct chk_result *r = &rep.r[i];

		/* An ESP without boot files is allowed (with a warning). */
		if (r->status != CHK_FAIL || !strcmp(r->id, "IMG-4.boot-path"))
			continue;
		pr_err("image build: self-check of '%s' failed: %s: %s", b->out,
		       r->id, r->evidence);
		bad++;
	}
	if (!bad && !rep.boots[1] && !rep.boots[2])
		pr_warn(
		    "image build: '%s' has no \\EFI\\BOOT\\BOOTAA64.EFI or BOOTARM.EFI: it boots nothing (IMG-4)",
		    b->out);
	chk_report_free(&rep);
	return bad ? -1 : 0;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"size", required_argument, NULL, 's'},
	    {"esp-size", required_argument, NULL, 'e'},
	    {"boot-efi", required_argument, NULL, 'b'},
	    {"add", required_argument, NULL, 'a'},
	    {"manifest", required_argument, NULL, 'm'},
	    {"partition", required_argument, NULL, 'p'},
	    {"esp-label", required_argument, NULL, 'l'},
	    {"disk-guid", required_argument, NULL, 'g'},
	    {"volume-id", required_argument, NULL, 'i'},
	    {"force", no_argument, NULL, 'f'},
	    {"no-check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct build *b = calloc(1, sizeof(*b));
	/* Files are added after the geometry is known: keep them. */
	const char **adds = calloc((size_t)argc, sizeof(char *));
	char *types = calloc((size_t)argc, 1);
	int nadds = 0, c, fd = -1, rc = 1;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	bool seen[3] = {false};
	char why[400], *dircopy = NULL, *basecopy = NULL;
	struct sha256 h;
	struct stat st;
	mode_t um;

	if (!b || !adds || !types) {
		pr_err("image build: out of memory");
		return 1;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 'e': {
			uint64_t v;

			if (!parse_size(optarg, 1, &v) || !v) {
				pr_err(
				    "image build: --%s '%s': expected a size such as %s",
				    c == 's' ? "size" : "esp-size", optarg,
				    c == 's' ? "2G" : "256M");
				goto out;
			}
			if (c == 's')
				b->size = v;
			else
				b->esp_size = v;
			break;
		}
		case 'b':
		case 'a':
		case 'm':
			types[nadds] = (char)c;
			adds[nadds++] = optarg;
			break;
		case 'p':
			if (b->nparts == MAX_EXTRA_PARTS) {
				pr_err(
				    "image build: more than %d --partition options",
				    MAX_EXTRA_PARTS);
				goto out;
			}
			if (parse_part(&b->parts[b->nparts], optarg)) {
				pr_err(
				    "image build: --partition '%s': expected name=NAME,type=TYPE,size=SIZE,file=IMAGE (type: linux, root-arm64, root-arm, xbootldr, swap, basic-data, esp or a GUID)",
				    optarg);
				goto out;
			}
			b->nparts++;
			break;
		case 'l':
			b->label = optarg;
			break;
		case 'g':
			if (!guid_parse(optarg, b->disk_guid)) {
				pr_err(
				    "image build: --disk-guid '%s': expected a GUID such as 01234567-89AB-CDEF-0123-456789ABCDEF",
				    optarg);
				goto out;
			}
			b->have_disk_guid = true;
			break;
		case 'i': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 16);
			if (errno || *end || !*optarg || v > 0xFFFFFFFFul) {
				pr_err(
				    "image build: --volume-id '%s': expected 8 hex digits such as 1234ABCD",
				    optarg);
				goto out;
			}
			b->volid = (uint32_t)v;
			b->have_volid = true;
			break;
		}
		case 'f':
			b->force = true;
			break;
		case 'n':
			b->no_check = true;
			break;
		case 'v':
			armvm_verbose = true;
			break;
		case 'h':
			printf("See: armvm image --help\n");
			rc = 0;
			goto out;
		default:
			goto out;
		}
	}
	if (optind != argc - 1) {
		pr_err(
		    "image build: expected one OUT argument (see armvm image --help)");
		goto out;
	}
	b->out = argv[optind];
	if (!b->size) {
		pr_err("image build: --size is required (e.g. --size 2G)");
		goto out;
	}
	if (b->size % GPT_LBA_SIZE) {
		pr_err("image build: --size %" PRIu64
		       ": expected a multiple of 512 bytes",
		       b->size);
		goto out;
	}
	if (!b->force && !lstat(b->out, &st)) {
		pr_err("image build: '%s' exists; use --force to overwrite it",
		       b->out);
		goto out;
	}
	if (plan(b, b->size / GPT_LBA_SIZE))
		goto out;
	if (fatw_init(&b->fat, b->esp_size, why, sizeof(why))) {
		pr_err("image build: --esp-size %" PRIu64 "M: %s",
		       b->esp_size >> 20, why);
		goto out;
	}
	b->fat.hidden_sectors = ALIGN_LBAS;
	if (sde) {
		char *end;
		long long t;

		errno = 0;
		t = strtoll(sde, &end, 10);
		if (errno || *end || !*sde || t < 0) {
			pr_err(
			    "image build: SOURCE_DATE_EPOCH '%s': expected seconds since 1970",
			    sde);
			goto out;
		}
		b->fat.have_epoch = true;
		b->fat.epoch = (time_t)t;
	}
	if (b->label) {
		size_t l = strlen(b->label);

		if (!l || l > 11) {
			pr_err(
			    "image build: --esp-label '%s': expected 1 to 11 characters",
			    b->label);
			goto out;
		}
		memset(b->fat.label, ' ', 11);
		for (size_t i = 0; i < l; i++) {
			char ch = b->label[i];

			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			if (!((ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || strchr(" _-", ch))) {
				pr_err(
				    "image build: --esp-label '%s': expected letters, digits, '-' or '_'",
				    b->label);
				goto out;
			}
			b->fat.label[i] = ch;
		}
	}
	for (int i = 0; i < nadds; i++) {
		int r = types[i] == 'b'	  ? add_boot_efi(b, adds[i], seen)
			: types[i] == 'a' ? add_spec(b, "--add", adds[i], NULL)
					  : add_manifest(b, adds[i]);

		if (r)
			goto out;
	}
	if (fatw_layout(&b->fat, why, sizeof(why))) {
		pr_err("image build: %s", why);
		goto out;
	}

	/* The temporary file, in the output's directory for rename(). */
	dircopy = strdup(b->out);
	basecopy = strdup(b->out);
	snprintf(tmp_path, sizeof(tmp_path), "%s/.%s.tmp-XXXXXX",
		 dirname(dircopy), basename(basecopy));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fd = mkstemp(tmp_path);
	if (fd < 0) {
		pr_err("image build: cannot create '%s' in '%s': %s", b->out,
		       dirname(dircopy), strerror(errno));
		tmp_path[0] = 0;
		goto out;
	}
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) || ftruncate(fd, (off_t)b->size)) {
		pr_err("image build: '%s': cannot make a file of %" PRIu64
		       " bytes: %s",
		       b->out, b->size, strerror(errno));
		goto out;
	}

	sha256_init(&h);
	{
		uint8_t hdr[32];

		put_le64(hdr, b->size);
		put_le64(hdr + 8, b->esp_size);
		put_le64(hdr + 16, b->fat.have_epoch ? (uint64_t)b->fat.epoch
						     : UINT64_MAX);
		memcpy(hdr + 24, b->fat.label, 8);
		sha256_update(&h, "armvm image v1", 14);
		sha256_update(&h, hdr, sizeof(hdr));
		for (int i = 0; i < b->nparts; i++) {
			sha256_update(&h, b->parts[i].name,
				      strlen(b->parts[i].name) + 1);
			sha256_update(&h, b->parts[i].type, 16);
		}
	}
	/* A progress line on a terminal: copying the files is the long part
	 * of a large tree's build (issue 16 part 5). */
	progress_start(&b->progress, stderr, "image build",
		       fatw_file_bytes(&b->fat) + parts_file_bytes(b));
	b->fat.progress = &b->progress;
	if (fatw_write_data(&b->fat, fd, ALIGN_LBAS * GPT_LBA_SIZE, &h, why,
			    sizeof(why))) {
		progress_end(&b->progress);
		pr_err("image build: %s", why);
		goto out;
	}
	for (int i = 0; i < b->nparts; i++)
		if (b->parts[i].file && copy_part(b, fd, &b->parts[i], &h))
			goto out;
	progress_end(&b->progress);
	if (finish(b, fd, &h))
		goto out;
	if (fdatasync(fd)) {
		pr_err("image build: '%s': %s", b->out, strerror(errno));
		goto out;
	}
	if (!b->no_check && self_check(b, fd))
		goto out;
	/* Refuse to replace a file that appeared meanwhile, unless --force. */
	if (b->force ? rename(tmp_path, b->out)
		     : renameat2(AT_FDCWD, tmp_path, AT_FDCWD, b->out,
				 RENAME_NOREPLACE)) {
		pr_err("image build: cannot create '%s': %s", b->out,
		       strerror(errno));
		goto out;
	}
	tmp_path[0] = 0;
	if (fsync_parent_dir(b->out) < 0) {
		pr_err("image build: '%s': cannot sync its directory: %s",
		       b->out, strerror(errno));
		goto out;
	}
	b->bytes_written += b->fat.bytes_written;
	b->bytes_read += b->fat.bytes_read;
	pr_info("image build: wrote '%s': %" PRIu64 " bytes, %" PRIu64
		" bytes of data written, %" PRIu64
		" bytes read from the inputs",
		b->out, b->size, b->bytes_written, b->bytes_read);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp_path[0])
		unlink(tmp_path);
	tmp_path[0] = 0;
	fatw_free(&b->fat);
	for (int i = 0; i < b->nparts; i++)
		free((char *)b->parts[i].file);
	free(dircopy);
	free(basecopy);
	free(adds);
	free(types);
	free(b);
	return rc;
}
