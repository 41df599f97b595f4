// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/confine.h"
#include "lib/util.h"
#include "vmm/console.h"

#define ESCAPE_CHAR 0x01 /* Ctrl-A */

struct console {
	int in_fd, out_fd;
	bool is_tty;
	pthread_t thread;
	bool thread_running;
	int stop_pipe[2];
	int output_held; /* atomic: console_hold_output() */
	console_input_fn input;
	void *input_opaque;
	void (*on_quit)(void *);
	void *quit_opaque;
};

/*
 * The terminal state to restore. It is process-wide on purpose: the atexit
 * and signal handlers that restore it can reach nothing else.
 */
static struct termios saved_termios;
static int saved_termios_fd = -1;

static void restore_terminal(void)
{
	if (saved_termios_fd >= 0)
		tcsetattr(saved_termios_fd, TCSANOW, &saved_termios);
}

static void restore_terminal_on_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

struct console *console_open(int in_fd, int out_fd)
{
	static const int fatal[] = {SIGTERM, SIGINT, SIGHUP,  SIGQUIT,
				    SIGSEGV, SIGBUS, SIGABRT, SIGFPE};
	struct console *c = calloc(1, sizeof(*c));
	struct termios raw;

	if (!c)
		return NULL;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	/* Guest output to a closed pipe must not kill armvm. */
	signal(SIGPIPE, SIG_IGN);
	if (isatty(in_fd) && tcgetattr(in_fd, &saved_termios) == 0) {
		c->is_tty = true;
		saved_termios_fd = in_fd;
		atexit(restore_terminal);
		for (unsigned int i = 0; i < ARRAY_SIZE(fatal); i++)
			signal(fatal[i], restore_terminal_on_signal);
		raw = saved_termios;
		cfmakeraw(&raw);
		/* Keep output processing so that host-side messages stay
		 * readable; the guest sends \r\n itself. */
		raw.c_oflag |= OPOST;
		tcsetattr(in_fd, TCSANOW, &raw);
	}
	return c;
}

/*
 * Called on a vCPU thread (pl011 transmit). A full stdout (a pipe nobody
 * reads, a terminal stopped with Ctrl-S) holds that vCPU back, as a full
 * UART would, but never a pause or a teardown: the write waits in short
 * polls, and while the VMM holds output it drops what cannot be written
 * at once.
 */
void console_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct console *c = opaque;

	while (len) {
		struct pollfd p = {.fd = c->out_fd, .events = POLLOUT};
		ssize_t n;

		if (poll(&p, 1, 0) <= 0) {
			/* Full (or a signal came): wait, unless held. */
			if (__atomic_load_n(&c->output_held, __ATOMIC_ACQUIRE))
				return;
			poll(&p, 1, 50);
			continue;
		}
		if (p.revents & (POLLERR | POLLNVAL))
			return; /* output gone: drop, the guest goes on */
		/* At most PIPE_BUF bytes: a writable pipe takes them whole. */
		n = write(c->out_fd, buf, len < 512 ? len : 512);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void console_hold_output(struct console *c, bool hold)
{
	if (c)
		__atomic_store_n(&c->output_held, hold, __ATOMIC_RELEASE);
}

/* Hand bytes to the guest, waiting while its receive FIFO is full. */
static bool feed(struct console *c, const uint8_t *buf, size_t len)
{
	while (len) {
		size_t n = c->input(c->input_opaque, buf, len);
		struct pollfd p = {.fd = c->stop_pipe[0], .events = POLLIN};

		buf += n;
		len -= n;
		if (len && poll(&p, 1, 5) > 0)
			return false;
	}
	return true;
}

static void *input_thread(void *opaque)
{
	struct console *c = opaque;
	bool escape = false;
	uint8_t buf[256], out[256];

	confine_thread(CONFINE_CONSOLE_INPUT);
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = c->in_fd, .events = POLLIN},
		    {.fd = c->stop_pipe[0], .events = POLLIN}};
		size_t nout = 0;
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(c->in_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* End of input: nothing more to send; wait for stop. */
			poll(&p[1], 1, -1);
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (!c->is_tty) {
				out[nout++] = buf[i];
			} else if (escape) {
				escape = false;
				if (buf[i] == 'x' || buf[i] == 'X') {
					c->on_quit(c->quit_opaque);
					return NULL;
				}
				out[nout++] = buf[i];
			} else if (buf[i] == ESCAPE_CHAR) {
				escape = true;
			} else {
				out[nout++] = buf[i];
			}
		}
		if (!feed(c, out, nout))
			break;
	}
	return NULL;
}

int console_start_input(struct console *c, console_input_fn in, void *in_opaque,
			void (*on_quit)(void *), void *quit_opaque)
{
	c->input = in;
	c->input_opaque = in_opaque;
	c->on_quit = on_quit;
	c->quit_opaque = quit_opaque;
	if (pipe2(c->stop_pipe, O_CLOEXEC) < 0)
		return -1;
	if (pthread_create(&c->thread, NULL, input_thread, c))
		return -1;
	c->thread_running = true;
	return 0;
}

void console_close(struct console *c)
{
	if (!c)
		return;
	if (c->thread_running) {
		if (write(c->stop_pipe[1], "x", 1) < 0)
			pr_warn("console: cannot stop the input thread");
		pthread_join(c->thread, NULL);
	}
	if (c->stop_pipe[0] >= 0) {
		close(c->stop_pipe[0]);
		close(c->stop_pipe[1]);
	}
	restore_terminal();
	free(c);
}
