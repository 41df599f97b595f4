/* SPDX-License-Identifier: GPL-2.0 */
/* armvm-conform as the conformance image's /init (conform/linux/init.c). */
#ifndef ARMVM_CONFORM_LINUX_INIT_H
#define ARMVM_CONFORM_LINUX_INIT_H

/* Mount /proc, /sys and /dev and load the image's modules. */
void conform_init_start(void);
/* Flush, sync and power the VM off; never returns. */
void conform_init_finish(void) __attribute__((noreturn));

#endif
