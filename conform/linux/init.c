// SPDX-License-Identifier: GPL-2.0
/*
 * armvm-conform as a guest's first process (docs/conformance.md, "The
 * conformance image"): `armvm conform` puts the static program at /init
 * of an initramfs with nothing else but /dev/console and the kernel
 * modules it was given. As PID 1 it mounts what the checks read, loads
 * those modules, and after the checks powers the VM off (PID 1 must not
 * exit: the kernel would panic, and the host would wait for its timeout).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conform/linux/init.h"

/* Where `armvm conform` puts the modules, loaded in name order (it names
 * them with a sequence number first, in the order they were given). */
#define CONFORM_MODULE_DIR "/conform/modules"

static void init_mount(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) < 0 && errno != EBUSY)
		printf("# init: mount %s on %s: %s\n", type, dir,
		       strerror(errno));
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void init_load_modules(void)
{
	struct dirent **names;
	int n, i;

	n = scandir(CONFORM_MODULE_DIR, &names, NULL, by_name);
	for (i = 0; i < n; i++) {
		char path[512];
		int fd;

		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s",
				 CONFORM_MODULE_DIR, names[i]->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			/* EEXIST: built in, or loaded as a dependency. */
			if (fd < 0 ||
			    (syscall(SYS_finit_module, fd, "", 0) < 0 &&
			     errno != EEXIST))
				printf("# init: module %s: %s\n",
				       names[i]->d_name, strerror(errno));
			if (fd >= 0)
				close(fd);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

void conform_init_start(void)
{
	init_mount("proc", "/proc", "proc");
	init_mount("sysfs", "/sys", "sysfs");
	init_mount("devtmpfs", "/dev", "devtmpfs");
	init_load_modules();
	/* The kernel's own messages would break the CONFORM lines apart on
	 * the console the host reads: only emergencies from here on. */
	{
		int fd = open("/proc/sys/kernel/printk", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				printf("# init: printk level not set\n");
			close(fd);
		}
	}
}

void conform_init_finish(void)
{
	printf("# armvm-conform: done, powering off\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* Not reached unless the kernel refused; PID 1 must not return. */
	printf("# armvm-conform: power-off failed: %s\n", strerror(errno));
	for (;;)
		pause();
}
