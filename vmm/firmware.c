// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "vmm/firmware.h"

static bool json_array_has(json_object *arr, const char *s)
{
	size_t n;

	if (!arr || !json_object_is_type(arr, json_type_array))
		return false;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		const char *v =
		    json_object_get_string(json_object_array_get_idx(arr, i));

		if (v && !strcmp(v, s))
			return true;
	}
	return false;
}

static const char *json_path_string(json_object *o, const char *a,
				    const char *b, const char *c)
{
	json_object *x;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (b && !json_object_object_get_ex(x, b, &x))
		return NULL;
	if (c && !json_object_object_get_ex(x, c, &x))
		return NULL;
	return json_object_is_type(x, json_type_string)
		   ? json_object_get_string(x)
		   : NULL;
}

/* Does this descriptor (docs/interop/firmware.json) fit? */
static bool descriptor_fits(json_object *d, const char *arch,
			    struct firmware_paths *out)
{
	json_object *interfaces, *targets, *features = NULL;
	const char *device = json_path_string(d, "mapping", "device", NULL);
	const char *code =
	    json_path_string(d, "mapping", "executable", "filename");
	const char *tmpl =
	    json_path_string(d, "mapping", "nvram-template", "filename");
	bool arch_ok = false;
	size_t n;

	if (!json_object_object_get_ex(d, "interface-types", &interfaces) ||
	    !json_array_has(interfaces, "uefi") || !device ||
	    strcmp(device, "flash") || !code)
		return false;
	json_object_object_get_ex(d, "features", &features);
	if (json_array_has(features, "secure-boot") ||
	    json_array_has(features, "enrolled-keys"))
		return false;
	if (!json_object_object_get_ex(d, "targets", &targets) ||
	    !json_object_is_type(targets, json_type_array))
		return false;
	n = json_object_array_length(targets);
	for (size_t i = 0; i < n; i++) {
		const char *a =
		    json_path_string(json_object_array_get_idx(targets, i),
				     "architecture", NULL, NULL);

		if (a && !strcmp(a, arch))
			arch_ok = true;
	}
	if (!arch_ok || access(code, R_OK))
		return false;
	snprintf(out->code, sizeof(out->code), "%s", code);
	snprintf(out->vars_template, sizeof(out->vars_template), "%s",
		 tmpl && !access(tmpl, R_OK) ? tmpl : "");
	return true;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int firmware_find(const char *arch, const char *descriptor_dir,
		  struct firmware_paths *out, bool report)
{
	struct dirent **names;
	int n = scandir(descriptor_dir, &names, NULL, name_cmp);
	bool found = false;

	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		size_t len = strlen(names[i]->d_name);
		json_object *d;

		if (!found && len > 5 &&
		    !strcmp(names[i]->d_name + len - 5, ".json")) {
			snprintf(path, sizeof(path), "%s/%s", descriptor_dir,
				 names[i]->d_name);
			d = json_object_from_file(path);
			if (d && descriptor_fits(d, arch, out))
				found = true;
			json_object_put(d);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (!found) {
		if (!report)
			return -1;
		pr_err(
		    "no UEFI firmware for %s found in %s: install Debian's %s package, or give --firmware FILE",
		    arch, descriptor_dir,
		    strcmp(arch, "arm") ? "qemu-efi-aarch64" : "qemu-efi-arm");
		return -1;
	}
	return 0;
}

int firmware_check_code(const char *path, uint64_t *size)
{
	static const uint32_t scan_limit = 2 << 20;
	struct stat st;
	uint8_t sig[4];
	bool fv = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		pr_err("--firmware %s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > FLASH_BANK_SIZE) {
		pr_err(
		    "--firmware %s: expected a firmware image file of 1 byte to %llu MiB",
		    path, FLASH_BANK_SIZE >> 20);
		close(fd);
		return -1;
	}
	/* A UEFI firmware volume header has "_FVH" at offset 0x28 (PI spec
	 * vol. 3, 3.2.1); an FD holds volumes at 4 KiB boundaries. */
	for (uint32_t off = 0; off < scan_limit && off + 0x2c <= st.st_size;
	     off += 0x1000) {
		if (pread(fd, sig, 4, off + 0x28) == 4 &&
		    !memcmp(sig, "_FVH", 4)) {
			fv = true;
			break;
		}
	}
	close(fd);
	if (!fv) {
		pr_err(
		    "--firmware %s: not a UEFI firmware image (no firmware volume header in its first %u MiB)",
		    path, scan_limit >> 20);
		return -1;
	}
	*size = st.st_size;
	return 0;
}

static int check_vars_size(const char *path, uint64_t size)
{
	if (size < VARS_MIN_SIZE || size > FLASH_BANK_SIZE ||
	    size % FLASH_BLOCK_SIZE) {
		pr_err(
		    "variable store %s: %llu bytes, expected a multiple of 256 KiB from 768 KiB to 64 MiB (e.g. a copy of AAVMF_VARS.fd)",
		    path, (unsigned long long)size);
		return -1;
	}
	return 0;
}

/* Copy template (or make a blank store) into path, atomically. */
static int vars_create(const char *path, const char *template)
{
	char tmp[PATH_MAX];
	uint8_t buf[1 << 16];
	int in = -1, out;
	ssize_t n;
	off_t size = FLASH_BANK_SIZE;
	struct stat st;

	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		pr_err("variable store %s: cannot create: %s", path,
		       strerror(errno));
		return -1;
	}
	if (template && *template) {
		in = open(template, O_RDONLY | O_CLOEXEC);
		if (in < 0 || fstat(in, &st) < 0) {
			pr_err("variable store template %s: cannot open: %s",
			       template, strerror(errno));
			goto fail;
		}
		size = st.st_size;
		/* Keep it sparse: the template is mostly zeros. */
		for (off_t off = 0; (n = read(in, buf, sizeof(buf))) > 0;
		     off += n) {
			bool zero = true;

			for (ssize_t i = 0; i < n && zero; i++)
				zero = !buf[i];
			if (!zero && pwrite(out, buf, n, off) != n) {
				pr_err("variable store %s: write error: %s",
				       tmp, strerror(errno));
				goto fail;
			}
		}
		if (n < 0) {
			pr_err("variable store template %s: read error: %s",
			       template, strerror(errno));
			goto fail;
		}
		close(in);
		in = -1;
	}
	if (ftruncate(out, size) < 0 || fsync(out) < 0) {
		pr_err("variable store %s: cannot write: %s", tmp,
		       strerror(errno));
		goto fail;
	}
	close(out);
	if (rename(tmp, path) < 0) {
		pr_err("variable store %s: cannot create: %s", path,
		       strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The new name must outlive a crash as the contents do (issue 11). */
	if (fsync_parent_dir(path) < 0) {
		pr_err("variable store %s: cannot sync its directory: %s", path,
		       strerror(errno));
		return -1;
	}
	return 0;
fail:
	if (in >= 0)
		close(in);
	close(out);
	unlink(tmp);
	return -1;
}

int vars_prepare(const char *path, const char *template, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT) {
			pr_err("variable store %s: %s", path, strerror(errno));
			return -1;
		}
		if (vars_create(path, template) < 0)
			return -1;
		if (stat(path, &st) < 0) {
			pr_err("variable store %s: %s", path, strerror(errno));
			return -1;
		}
		pr_info("created variable store %s from %s", path,
			template && *template ? template : "nothing (blank)");
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("variable store %s: not a regular file", path);
		return -1;
	}
	if (check_vars_size(path, st.st_size) < 0)
		return -1;
	*size = st.st_size;
	return 0;
}
