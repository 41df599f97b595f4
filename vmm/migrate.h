/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live-migration stream (issue 13 part 3; docs/migration.md): how one
 * armvm sends a running VM to another over a socket. Portable: no KVM here
 * (the source's loop is vmm/kvm/migrate.c); tests/unit/test_migrate.c and
 * fuzz/fuzz_migrate.c.
 *
 * Addresses: "unix:PATH" or "tcp:HOST:PORT" (HOST a name or an address,
 * IPv6 in brackets: "tcp:[::1]:4444").
 *
 * The stream, source to destination, little-endian:
 *
 *   header  32 bytes: "ARMVMMIG", version (u32, 1), page size (u32, a power
 *           of two from 4 KiB to 64 KiB), RAM size (u64, a non-zero
 *           multiple of the page size), 8 bytes 0
 *   records each a 16-byte head: type (u32), count (u32), offset (u64)
 *           PAGES  count pages (1..MIGRATE_RUN_PAGES) of RAM starting at
 *                  offset (page-aligned, inside RAM), their bytes follow
 *           ZERO   count pages at offset are all zero (no bytes follow)
 *           STATE  the snapshot body (vmm/snapshot.h's state sections):
 *                  count 0, offset = its length (1..MIGRATE_STATE_MAX),
 *                  then its SHA-256 (32 bytes), then the body
 *           END    count 0, offset 0: nothing follows
 *   Pages may come any number of times (each pass of the pre-copy sends
 *   the pages the guest wrote since the last); the last copy wins. STATE
 *   comes once, just before END.
 *
 * Then the hand-over: the destination, once the VM is built and its state
 * loaded, sends one byte 'R' (ready); the source, on reading it, gives the
 * VM up and sends 'G' (go); the destination runs the VM on reading it.
 * Either side closing the connection before that is a failed migration:
 * the source runs on, the destination exits.
 *
 * Everything the destination reads is hostile input (a peer may be anyone
 * who can reach the address): each record is checked before it is used,
 * and a bad one ends the migration with a one-line message naming the
 * record's byte offset in the stream and what was expected.
 */
#ifndef ARMVM_VMM_MIGRATE_H
#define ARMVM_VMM_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIGRATE_VERSION	    1
#define MIGRATE_HEADER_SIZE 32
#define MIGRATE_RUN_PAGES   256
#define MIGRATE_STATE_MAX   (64u << 20)
/* Largest guest RAM a destination accepts (the config's own limit is
 * checked again when the VM is built). */
#define MIGRATE_RAM_MAX (1ULL << 40)

enum migrate_record {
	MIGRATE_PAGES = 1,
	MIGRATE_ZERO = 2,
	MIGRATE_STATE = 3,
	MIGRATE_END = 4,
};

/* The handshake bytes. */
#define MIGRATE_READY 'R'
#define MIGRATE_GO    'G'

/*
 * Connect to addr: a connected socket, or -1 after a one-line message
 * naming addr (nobody listening, a bad address). The socket has send and
 * receive timeouts of timeout_ms, and sending on a closed peer returns
 * EPIPE rather than raising SIGPIPE.
 */
int migrate_connect(const char *addr, int timeout_ms);
/* Listen on addr (a unix socket's path must not exist): the listening
 * socket, or -1 after a message. */
int migrate_listen(const char *addr);
/* Accept one connection, close the listening socket (and remove a unix
 * socket's path): the connected socket with receive and send timeouts of
 * timeout_ms, or -1 after a message. */
int migrate_accept(int listen_fd, const char *addr, int timeout_ms);

/* The sending side. Every function returns 0, or -1 after a one-line
 * message (out->failed is then set, and every later call returns -1). */
struct migrate_out {
	int fd;
	uint32_t page_size;
	uint64_t ram_size;
	uint64_t bytes;		    /* sent so far, headers included */
	uint64_t pages, zero_pages; /* PAGES and ZERO pages sent */
	bool failed;
};

void migrate_out_init(struct migrate_out *out, int fd, uint32_t page_size,
		      uint64_t ram_size);
int migrate_send_header(struct migrate_out *out);
/*
 * Send pages [first, first + count) of ram (page indices): runs of pages
 * that are not all zero as PAGES records (at most MIGRATE_RUN_PAGES each,
 * written straight from ram), runs of zero pages as ZERO records, or not at
 * all when skip_zero (the first pass: the destination's RAM starts zero).
 */
int migrate_send_pages(struct migrate_out *out, const uint8_t *ram,
		       uint64_t first, uint64_t count, bool skip_zero);
/* STATE (with the body's SHA-256), then END. */
int migrate_send_state(struct migrate_out *out, const uint8_t *body,
		       size_t len);

/*
 * The receiving side: read the header, make RAM with alloc_ram(size) (zero
 * filled; NULL is an error), apply records until END. On success in holds
 * the RAM and the state body (malloc'd; the caller owns both, freeing RAM
 * with free_ram). -1 after a one-line message naming what (the caller then
 * owns nothing: whatever was allocated is freed).
 */
struct migrate_in {
	uint8_t *ram;
	uint64_t ram_size;
	uint32_t page_size;
	uint8_t *state;
	size_t state_len;
	uint64_t bytes; /* read, headers included */
};

int migrate_receive(int fd, struct migrate_in *in,
		    uint8_t *(*alloc_ram)(uint64_t size),
		    void (*free_ram)(uint8_t *ram, uint64_t size));

/* One handshake byte: 0, or -1 after a message (the peer closed, timed
 * out, or sent another byte). */
int migrate_send_byte(int fd, char byte);
int migrate_expect_byte(int fd, char byte, const char *what);

#endif
