// SPDX-License-Identifier: GPL-2.0
/* `armvm image build|check`: option parsing and dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image/build.h"
#include "image/check.h"
#include "image/image.h"
#include "lib/util.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: armvm image build OUT --size SIZE [OPTIONS]\n"
	    "       armvm image check IMAGE [--arch aarch64|arm|any] [--json]\n"
	    "\n"
	    "build: write a raw GPT disk image with a FAT32 EFI System Partition,\n"
	    "       without root (see docs/image.md). Options:\n"
	    "  --size SIZE             disk size (e.g. 2G)\n"
	    "  --esp-size SIZE         ESP size (default: the whole disk, or 256M\n"
	    "                          when there are other partitions)\n"
	    "  --boot-efi FILE         put FILE at \\EFI\\BOOT\\BOOTAA64.EFI or\n"
	    "                          BOOTARM.EFI, after its PE machine type\n"
	    "  --add SRC:DEST          copy a file or a directory (recursively)\n"
	    "                          into the ESP at DEST\n"
	    "  --manifest FILE         many SRC:DEST lines (# comments)\n"
	    "  --partition SPEC        another partition: name=N,type=T,size=S,file=IMG\n"
	    "                          (type: linux, root-arm64, root-arm, xbootldr,\n"
	    "                          swap, basic-data, esp or a GUID)\n"
	    "  --esp-label LABEL       FAT volume label (default ESP)\n"
	    "  --disk-guid GUID        default: derived from the inputs\n"
	    "  --volume-id HEX         FAT volume id (default: derived)\n"
	    "  --force                 overwrite OUT if it exists\n"
	    "  --no-check              skip the final self-check\n"
	    "  -v, --verbose           say what was written, on stderr\n"
	    "  Timestamps come from SOURCE_DATE_EPOCH when set (UTC).\n"
	    "\n"
	    "check: report each IMG rule of the ARM VM System Specification:\n"
	    "  pass, fail, warn or not-checked, with evidence. Exit status 0 only\n"
	    "  when every \"must\" passes. IMG-7..IMG-10 read the guest kernel's\n"
	    "  /boot/config-<version> and /lib/modules/<version> from the ext2/3/4\n"
	    "  Linux partitions (or config-<version> on the ESP); not-checked when\n"
	    "  there is none (docs/image.md).\n"
	    "  --arch A                aarch64, arm or any (default any: at least\n"
	    "                          one of BOOTAA64.EFI and BOOTARM.EFI)\n"
	    "  --json                  one JSON object instead of lines\n"
	    "\n"
	    "  -h, --help              show this help\n");
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"arch", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum chk_arch arch = CHK_ARCH_ANY;
	bool json = false;
	struct chk_report rep;
	struct img_src s;
	int c, fd, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (!strcmp(optarg, "aarch64"))
				arch = CHK_ARCH_AARCH64;
			else if (!strcmp(optarg, "arm"))
				arch = CHK_ARCH_ARM;
			else if (!strcmp(optarg, "any"))
				arch = CHK_ARCH_ANY;
			else {
				pr_err(
				    "image check: --arch '%s': expected aarch64, arm or any",
				    optarg);
				return 2;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		pr_err(
		    "image check: expected one IMAGE argument (see armvm image --help)");
		return 2;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("image check: '%s': %s", argv[optind], strerror(errno));
		return 2;
	}
	if (img_src_fd(&s, fd)) {
		pr_err("image check: '%s': cannot stat", argv[optind]);
		close(fd);
		return 2;
	}
	rc = image_check(&s, arch, 0, &rep);
	chk_print(&rep, stdout, json, argv[optind]);
	chk_report_free(&rep);
	close(fd);
	return rc;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "build"))
		return cmd_build(argc - 1, argv + 1);
	pr_err("image: unknown command '%s' (expected 'build' or 'check')",
	       argv[1]);
	return 2;
}
