/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of the guest console: armvm's stdin and stdout. When stdin
 * is a terminal it is put in raw mode (restored on every exit path) and
 * Ctrl-A x quits armvm.
 */
#ifndef ARMVM_VMM_CONSOLE_H
#define ARMVM_VMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct console;

/* Receives input bytes; returns how many it took (the UART's FIFO may be
 * full), the console keeps and retries the rest. */
typedef size_t (*console_input_fn)(void *opaque, const uint8_t *buf,
				   size_t len);

struct console *console_open(int in_fd, int out_fd);
/* pl011_output_fn-compatible: write guest output to the host. */
void console_write(void *console, const uint8_t *buf, size_t len);
/* While held, console_write() gives up instead of waiting for a full
 * stdout: the VMM holds output while it pauses or stops the vCPUs. */
void console_hold_output(struct console *c, bool hold);
/* Start the input thread; on_quit runs (on that thread) at Ctrl-A x. */
int console_start_input(struct console *c, console_input_fn in, void *in_opaque,
			void (*on_quit)(void *), void *quit_opaque);
/* Stop the input thread, restore the terminal, free. */
void console_close(struct console *c);

#endif
