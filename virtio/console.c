// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2 section 5.3): port 0 only, queues receiveq(0)
 * and transmitq(0) (5.3.2); feature SIZE (5.3.3); config cols, rows,
 * max_nr_ports (5.3.4).
 *
 * Input: the I/O thread reads in_fd into a buffer only when the buffer is
 * empty, and moves it into the guest's receive buffers on its own thread,
 * through virtio_queue_notify() (so under the receive queue's processing
 * lock, only while the device is live). With no receive buffers it waits
 * for the guest's kick; input typed before the driver runs waits too.
 *
 * Output: transmit runs where the transmit queue's notification is served
 * (the doorbell thread or a vCPU, see virtio.h) with non-blocking writes;
 * when out_fd is full the chain in progress is kept and the I/O thread
 * waits for POLLOUT, then finishes it (5.3.6.2: buffers are returned once
 * written). Linux's hvc driver waits for each buffer to come back, so the
 * guest's console output waits meanwhile; nothing is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "lib/confine.h"
#include "lib/util.h"
#include "virtio/console.h"

#define CFG_COLS      0
#define CFG_ROWS      2
#define CFG_MAX_PORTS 4
#define CFG_BYTES     8

#define INBUF_BYTES	     4096
#define CONSOLE_MAX_WARNINGS 10
/* A terminal with nobody on the other end is tried again this often. */
#define TTY_RETRY_MS 200

struct virtio_console {
	struct virtio_dev vdev; /* first: container_of by cast */
	char *name;
	uint8_t config[CFG_BYTES]; /* under vdev.lock */

	/* The fds, under fd_lock. */
	pthread_mutex_t fd_lock;
	int in_fd, out_fd;
	bool in_tty, out_tty, out_socket;
	bool in_eof;   /* input ended (or failed): not polled */
	bool out_dead; /* output failed for good: discarded */
	int64_t in_retry_ms;

	/* I/O thread. */
	pthread_t thread;
	bool thread_started;
	int wake_fd;
	atomic_bool stop, rx_kick, tx_kick, tx_blocked, fds_changed;
	atomic_uint warnings;

	/* Input, touched by the I/O thread only. */
	uint8_t inbuf[INBUF_BYTES];
	size_t in_len, in_off;
	struct virtq_elem rx_elem;

	/* Output, under the transmit queue's processing lock. */
	struct virtq_elem tx_elem;
	bool tx_held;
	uint64_t tx_off;
	struct iovec tx_iov[VIRTQ_MAX_SIZE];
};

static __thread struct virtio_console *console_io_thread_of;

static struct virtio_console *to_con(struct virtio_dev *d)
{
	return (struct virtio_console *)d;
}

static void con_warn(struct virtio_console *c, const char *what, int err)
{
	if (atomic_fetch_add(&c->warnings, 1) >= CONSOLE_MAX_WARNINGS)
		return;
	pr_warn("%s: %s: %s", c->name, what, strerror(err));
}

static void con_wake(struct virtio_console *c)
{
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: a wake-up is pending already. */
	}
}

static uint64_t con_get_features(struct virtio_dev *d)
{
	return 1ULL << VIRTIO_CONSOLE_F_SIZE;
}

static void con_config_read(struct virtio_dev *d, uint32_t offset, void *buf,
			    uint32_t len)
{
	memcpy(buf, to_con(d)->config + offset, len);
}

/* Without EMERG_WRITE nothing in the config space is writable. */
static void con_config_write(struct virtio_dev *d, uint32_t offset,
			     const void *buf, uint32_t len)
{
}

/* ---- fds ---- */

static void set_fd_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* With fd_lock held (or before the thread runs). */
static void install_fds(struct virtio_console *c, int in_fd, int out_fd)
{
	int type;
	socklen_t len = sizeof(type);

	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->out_fd >= 0 && c->out_fd != c->in_fd)
		close(c->out_fd);
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	if (in_fd >= 0)
		set_fd_flags(in_fd);
	if (out_fd >= 0 && out_fd != in_fd)
		set_fd_flags(out_fd);
	c->in_tty = in_fd >= 0 && isatty(in_fd);
	c->out_tty = out_fd >= 0 && isatty(out_fd);
	c->out_socket = out_fd >= 0 && getsockopt(out_fd, SOL_SOCKET, SO_TYPE,
						  &type, &len) == 0;
	c->in_eof = in_fd < 0;
	c->out_dead = out_fd < 0;
	c->in_retry_ms = 0;
}

void virtio_console_attach(struct virtio_dev *d, int in_fd, int out_fd)
{
	struct virtio_console *c = to_con(d);

	pthread_mutex_lock(&c->fd_lock);
	install_fds(c, in_fd, out_fd);
	atomic_store(&c->fds_changed, true);
	pthread_mutex_unlock(&c->fd_lock);
	atomic_store(&c->tx_blocked, false);
	atomic_store(&c->tx_kick, true); /* output waiting may go now */
	con_wake(c);
}

/* ---- Input (5.3.6.1) ---- */

static void rx_deliver(struct virtio_console *c)
{
	struct virtq_elem *e = &c->rx_elem;
	unsigned int done = 0;

	while (c->in_off < c->in_len) {
		uint64_t n;
		int r = virtio_pop(&c->vdev, VIRTIO_CONSOLE_RXQ, e);

		if (r != VIRTQ_GOT)
			break;
		if (e->out_num) {
			virtio_set_needs_reset(
			    &c->vdev,
			    "receive buffer with device-readable parts");
			return;
		}
		n = c->in_len - c->in_off;
		if (n > e->in_len)
			n = e->in_len;
		virtq_elem_write(e, 0, c->inbuf + c->in_off, n);
		c->in_off += n;
		virtio_push(&c->vdev, VIRTIO_CONSOLE_RXQ, e, (uint32_t)n);
		done++;
	}
	if (done)
		virtio_notify_used(&c->vdev, VIRTIO_CONSOLE_RXQ);
}

/* On the I/O thread: read more input if the buffer is empty. */
static void read_input(struct virtio_console *c)
{
	ssize_t r;

	pthread_mutex_lock(&c->fd_lock);
	if (c->in_eof || c->in_fd < 0 || c->in_off < c->in_len) {
		pthread_mutex_unlock(&c->fd_lock);
		return;
	}
	do {
		r = read(c->in_fd, c->inbuf, sizeof(c->inbuf));
	} while (r < 0 && errno == EINTR);
	if (r > 0) {
		c->in_len = (size_t)r;
		c->in_off = 0;
	} else if (r == 0 || errno != EAGAIN) {
		/* A terminal whose other end closed (EIO) may be opened
		 * again: retry later. Anything else has ended. */
		if (c->in_tty)
			c->in_retry_ms = monotonic_ms() + TTY_RETRY_MS;
		else
			c->in_eof = true;
	}
	pthread_mutex_unlock(&c->fd_lock);
}

/* ---- Output (5.3.6.2) ---- */

/* Write what is left of the held chain. true when it is all written (or
 * dropped), false when out_fd would block. Takes fd_lock. */
static bool tx_write(struct virtio_console *c)
{
	struct virtq_elem *e = &c->tx_elem;
	bool finished = false;

	pthread_mutex_lock(&c->fd_lock);
	while (!finished) {
		uint64_t skip = c->tx_off;
		unsigned int cnt = 0;
		ssize_t r;

		if (c->out_dead || c->tx_off >= e->out_len) {
			finished = true;
			break;
		}
		for (unsigned int i = 0; i < e->out_num; i++) {
			uint64_t seg = e->iov[i].iov_len;

			if (skip >= seg) {
				skip -= seg;
				continue;
			}
			c->tx_iov[cnt].iov_base =
			    (uint8_t *)e->iov[i].iov_base + skip;
			c->tx_iov[cnt].iov_len = seg - skip;
			skip = 0;
			cnt++;
		}
		if (c->out_socket) {
			struct msghdr msg = {.msg_iov = c->tx_iov,
					     .msg_iovlen = cnt};

			r = sendmsg(c->out_fd, &msg,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
		} else {
			r = writev(c->out_fd, c->tx_iov,
				   cnt > 1024 ? 1024 : (int)cnt);
		}
		if (r > 0) {
			c->tx_off += (uint64_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && errno == EAGAIN) {
			break;
		} else if (c->out_tty) {
			/* Nobody on the terminal's other end: drop. */
			finished = true;
		} else {
			con_warn(c, "console output failed; discarding",
				 r < 0 ? errno : EPIPE);
			c->out_dead = true;
			finished = true;
		}
	}
	pthread_mutex_unlock(&c->fd_lock);
	return finished;
}

static void tx_process(struct virtio_console *c)
{
	struct virtq_elem *e = &c->tx_elem;
	unsigned int done = 0;

	for (;;) {
		if (!c->tx_held) {
			if (virtio_pop(&c->vdev, VIRTIO_CONSOLE_TXQ, e) !=
			    VIRTQ_GOT)
				break;
			if (e->in_num) {
				virtio_set_needs_reset(&c->vdev,
						       "transmit buffer with "
						       "device-writable parts");
				return;
			}
			c->tx_held = true;
			c->tx_off = 0;
		}
		if (!tx_write(c)) {
			/* The I/O thread resumes on POLLOUT. */
			atomic_store(&c->tx_blocked, true);
			if (console_io_thread_of != c)
				con_wake(c);
			break;
		}
		virtio_push(&c->vdev, VIRTIO_CONSOLE_TXQ, e, 0);
		c->tx_held = false;
		if (++done % 32 == 0)
			virtio_notify_used(&c->vdev, VIRTIO_CONSOLE_TXQ);
	}
	if (done % 32)
		virtio_notify_used(&c->vdev, VIRTIO_CONSOLE_TXQ);
}

static void con_queue_notify(struct virtio_dev *d, unsigned int q)
{
	struct virtio_console *c = to_con(d);

	if (q == VIRTIO_CONSOLE_TXQ) {
		tx_process(c);
	} else if (q == VIRTIO_CONSOLE_RXQ) {
		if (console_io_thread_of == c) {
			rx_deliver(c);
		} else {
			atomic_store(&c->rx_kick, true);
			con_wake(c);
		}
	}
}

/* Device reset (all processing locks and d->lock held): the chain held
 * for output belongs to the old driver; pending input is kept. */
static void con_reset(struct virtio_dev *d)
{
	struct virtio_console *c = to_con(d);

	c->tx_held = false;
	c->tx_off = 0;
	atomic_store(&c->tx_blocked, false);
}

/*
 * Record (docs/snapshot.md): the config space's cols and rows (5.3.4) as
 * the guest last read them; max_nr_ports is fixed at 1 (no MULTIPORT, so
 * no port or control-queue state). The transmit chain being written is
 * given back (con_queue_held) and written again whole after the restore,
 * to the new process's output; input read from the host but not yet given
 * to the guest stays with the old process.
 */
static void con_save(struct virtio_dev *d, struct state_writer *w)
{
	struct virtio_console *c = to_con(d);

	sw_u16(w, get_le16(c->config + CFG_COLS));
	sw_u16(w, get_le16(c->config + CFG_ROWS));
}

static int con_restore(struct virtio_dev *d, struct state_reader *r)
{
	struct virtio_console *c = to_con(d);
	uint16_t cols = sr_u16(r), rows = sr_u16(r);

	if (r->failed)
		return -1;
	put_le16(c->config + CFG_COLS, cols);
	put_le16(c->config + CFG_ROWS, rows);
	return 0;
}

static uint16_t con_queue_held(struct virtio_dev *d, unsigned int q)
{
	return q == VIRTIO_CONSOLE_TXQ && to_con(d)->tx_held;
}

/* ---- The I/O thread ---- */

static void *con_io_thread(void *arg)
{
	struct virtio_console *c = arg;

	confine_thread(CONFINE_DEVICE_IO);
	console_io_thread_of = c;
	while (!atomic_load(&c->stop)) {
		struct pollfd p[3];
		int n = 1, in_idx = -1, out_idx = -1, timeout = -1;
		bool rx_new = false;

		if (atomic_exchange(&c->tx_kick, false))
			virtio_queue_notify(&c->vdev, VIRTIO_CONSOLE_TXQ);
		p[0].fd = c->wake_fd;
		p[0].events = POLLIN;
		pthread_mutex_lock(&c->fd_lock);
		if (c->in_fd >= 0 && !c->in_eof && c->in_off >= c->in_len) {
			int64_t wait = c->in_retry_ms - monotonic_ms();

			if (wait <= 0) {
				in_idx = n++;
				p[in_idx].fd = c->in_fd;
				p[in_idx].events = POLLIN;
			} else {
				timeout = (int)wait;
			}
		}
		if (c->out_fd >= 0 && !c->out_dead &&
		    atomic_load(&c->tx_blocked)) {
			out_idx = n++;
			p[out_idx].fd = c->out_fd;
			p[out_idx].events = POLLOUT;
		}
		atomic_store(&c->fds_changed, false);
		pthread_mutex_unlock(&c->fd_lock);
		for (int i = 0; i < n; i++)
			p[i].revents = 0;
		if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			con_warn(c, "poll", errno);
			usleep(10000);
		}
		if (p[0].revents & POLLIN) {
			uint64_t v;

			if (read(c->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: nothing pending. */
			}
		}
		if (atomic_load(&c->fds_changed))
			continue; /* the polled fds may be gone */
		if (in_idx > 0 && p[in_idx].revents) {
			read_input(c);
			rx_new = c->in_off < c->in_len;
		}
		if (out_idx > 0 && p[out_idx].revents) {
			atomic_store(&c->tx_blocked, false);
			virtio_queue_notify(&c->vdev, VIRTIO_CONSOLE_TXQ);
		}
		if ((atomic_exchange(&c->rx_kick, false) || rx_new) &&
		    c->in_off < c->in_len)
			virtio_queue_notify(&c->vdev, VIRTIO_CONSOLE_RXQ);
	}
	return NULL;
}

static void con_stop(struct virtio_dev *d)
{
	struct virtio_console *c = to_con(d);

	if (!c->thread_started)
		return;
	atomic_store(&c->stop, true);
	con_wake(c);
	pthread_join(c->thread, NULL);
	c->thread_started = false;
}

static void con_free(struct virtio_console *c)
{
	install_fds(c, -1, -1);
	pthread_mutex_destroy(&c->fd_lock);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c->name);
	free(c);
}

static void con_destroy(struct virtio_dev *d)
{
	con_stop(d);
	con_free(to_con(d));
}

static const struct virtio_device_ops con_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .num_queues = 2,
    .queue_max_size = VIRTIO_CONSOLE_QUEUE_SIZE,
    .config_size = CFG_BYTES,
    .get_features = con_get_features,
    .config_read = con_config_read,
    .config_write = con_config_write,
    .queue_notify = con_queue_notify,
    .reset = con_reset,
    .stop = con_stop,
    .destroy = con_destroy,
    .save = con_save,
    .restore = con_restore,
    .queue_held = con_queue_held,
};

struct virtio_dev *virtio_console_create(const char *name, int in_fd,
					 int out_fd, struct guest_mem *mem)
{
	struct virtio_console *c;
	int err;

	if (!name)
		name = "virtio-console";
	c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name))) {
		pr_err("%s: out of memory", name);
		free(c);
		goto close_fds;
	}
	c->in_fd = c->out_fd = -1;
	pthread_mutex_init(&c->fd_lock, NULL);
	install_fds(c, in_fd, out_fd);
	in_fd = out_fd = -1;
	put_le32(c->config + CFG_MAX_PORTS, 1);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		pr_err("%s: cannot create an eventfd: %s", name,
		       strerror(errno));
		con_free(c);
		return NULL;
	}
	if (!virtio_dev_init(&c->vdev, &con_ops, mem)) {
		pr_err("%s: out of memory", name);
		con_free(c);
		return NULL;
	}
	err = pthread_create(&c->thread, NULL, con_io_thread, c);
	if (err) {
		pr_err("%s: cannot start the I/O thread: %s", name,
		       strerror(err));
		virtio_destroy(&c->vdev);
		return NULL;
	}
	c->thread_started = true;
	return &c->vdev;
close_fds:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0 && out_fd != in_fd)
		close(out_fd);
	return NULL;
}

void virtio_console_set_size(struct virtio_dev *d, uint16_t cols, uint16_t rows)
{
	struct virtio_console *c = to_con(d);
	bool changed;

	pthread_mutex_lock(&d->lock);
	changed = get_le16(c->config + CFG_COLS) != cols ||
		  get_le16(c->config + CFG_ROWS) != rows;
	put_le16(c->config + CFG_COLS, cols);
	put_le16(c->config + CFG_ROWS, rows);
	pthread_mutex_unlock(&d->lock);
	if (changed)
		virtio_config_changed(d);
}
