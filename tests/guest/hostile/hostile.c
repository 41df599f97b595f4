// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile bare-metal guest for armvm (issue 3, "bad input": a guest writing
 * garbage to the flash command registers or to virtio registers; issue 10:
 * the platform devices, from two vCPUs at once). It runs as a "firmware"
 * (start.S): `armvm run --firmware hostile.fd --disk D.img --cpus 2` gives
 * it the CFI flash banks, pl011, pl031, pl061 and a virtio-blk PCI function
 * to attack; its second vCPU hammers the RTC and GPIO throughout.
 *
 * Each attack ends with a marker line "HOSTILE: <name> ..." on the pl011;
 * tests/sandbox/hostile.sh checks that every marker appears, that armvm
 * survives (or stops with a one-line message), that the disk is unchanged,
 * and the results printed below. The attacks are deterministic (a fixed
 * xorshift seed), so a failure reproduces.
 *
 * Every MMIO access is a single plain load or store ([Xn] addressing, no
 * writeback, no pair) through the inline-asm accessors below, so that KVM
 * gets a valid syndrome (ISV) and hands the access to armvm: the point is
 * to attack armvm's models, not KVM's instruction decoding. With the MMU
 * off every data access is Device-nGnRnE, so an unaligned access should
 * raise an alignment fault inside the guest (the exception handler counts
 * and skips it: "alignment-faults"); the sandbox's emulated CPU does not
 * enforce that, and such accesses then reach armvm as unaligned MMIO,
 * which its models must refuse too. Guest RAM is written the same way, which
 * under the sandbox's emulated host (TCG: no caches) is coherent with
 * armvm's cacheable view; each queue case uses fresh RAM so that even on
 * real hardware armvm never reads a stale line it read before.
 *
 * Memory map (vmm/machine.c): code flash 0, variable flash 0x04000000
 * (64 MiB), pl011 0x09000000, pl031 0x09010000, pl061 0x09030000, PCIe
 * window 0x10000000, ECAM 0x3f000000,
 * RAM 0x40000000 (the test runs with --memory 256M).
 */
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

#define UART	       0x09000000UL
#define RTC	       0x09010000UL
#define GPIO	       0x09030000UL
#define FLASH_CODE     0x00000000UL
#define FLASH_VARS     0x04000000UL
#define FLASH_SIZE     0x04000000UL
#define FLASH_BLOCK    0x40000UL
#define PCI_WINDOW     0x10000000UL
#define PCI_WINDOW_END 0x3eff0000UL
#define PCI_PIO	       0x3eff0000UL
#define ECAM	       0x3f000000UL
#define RAM	       0x40000000UL
#define RAM_SIZE       0x10000000UL /* --memory 256M */
#define RAM_END	       (RAM + RAM_SIZE)

/* RAM use: counters at RAM (no .bss: the code flash is read-only), the
 * stack below 0x40100000, queues above. */
#define FAULT_COUNT RAM
#define COUNT_OK    (RAM + 8)
#define COUNT_BAD   (RAM + 16)
/* The second vCPU's mailbox: written by one side each. */
#define SEC_PASSES (RAM + 24) /* the second vCPU: rounds done */
#define SEC_STOP   (RAM + 32) /* vCPU 0: stop now */
#define SEC_DONE   (RAM + 40) /* the second vCPU: stopped */
/* The virtio function under attack: the disk, then every other one. */
#define CUR_SLOT    (RAM + 48)	 /* its device number on bus 0 */
#define CUR_BAR	    (RAM + 56)	 /* where its BAR0 is put */
#define CUR_QUEUE   (RAM + 64)	 /* the queue the queue cases use */
#define STACK2_TOP  0x400f0000UL /* 64 KiB below vCPU 0's (start.S) */
#define SCRATCH	    0x41000000UL
#define CASE_STRIDE 0x10000UL

#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_CPU_ON	0xc4000003

/* --- Accessors: one plain single-register access each ------------------ */

static inline void w8(u64 a, u32 v)
{
	asm volatile("strb %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}
static inline void w16(u64 a, u32 v)
{
	asm volatile("strh %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}
static inline void w32(u64 a, u32 v)
{
	asm volatile("str %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}
static inline void w64(u64 a, u64 v)
{
	asm volatile("str %x0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}
static inline u32 r8(u64 a)
{
	u32 v;

	asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline u32 r16(u64 a)
{
	u32 v;

	asm volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline u32 r32(u64 a)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline u64 r64(u64 a)
{
	u64 v;

	asm volatile("ldr %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline void barrier(void)
{
	asm volatile("dsb sy" : : : "memory");
}

/* --- Output ------------------------------------------------------------ */

static void putc(char c)
{
	w32(UART, (u8)c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(u64 v)
{
	int started = 0;

	puts("0x");
	for (int i = 60; i >= 0; i -= 4) {
		unsigned int d = (v >> i) & 0xf;

		if (d || started || i == 0) {
			putc("0123456789abcdef"[d]);
			started = 1;
		}
	}
}

static void putdec(u64 v)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		putc(buf[--n]);
}

/* "HOSTILE: name" then the caller adds fields and ends the line. */
static void marker(const char *name)
{
	puts("HOSTILE: ");
	puts(name);
}

static void field(const char *name, u64 v)
{
	puts(" ");
	puts(name);
	puts("=");
	puthex(v);
}

static void dfield(const char *name, u64 v)
{
	puts(" ");
	puts(name);
	puts("=");
	putdec(v);
}

static void eol(void)
{
	puts("\n");
}

void psci_off(void) __attribute__((noreturn));

/* Called from start.S for every exception; returns where to resume. */
u64 exception(u64 esr, u64 elr, u64 far)
{
	u32 ec = esr >> 26, dfsc = esr & 0x3f;

	/* Data abort at EL1 with an alignment fault: count and skip. */
	if (ec == 0x25 && dfsc == 0x21) {
		w64(FAULT_COUNT, r64(FAULT_COUNT) + 1);
		return elr + 4;
	}
	marker("UNEXPECTED-EXCEPTION");
	field("esr", esr);
	field("elr", elr);
	field("far", far);
	eol();
	psci_off();
}

/* xorshift64: deterministic garbage. */
static u64 rnd(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void fill64(u64 a, u64 len, u64 v)
{
	for (u64 i = 0; i < len; i += 8)
		w64(a + i, v);
}

/* ======================================================================
 * Flash (devices/cfi_flash.c): the variable bank takes commands as 32-bit
 * writes, each command replicated in both 16-bit halves.
 * ====================================================================== */

#define CMD(c) ((u32)(c) << 16 | (u32)(c))

static void flash_reset_mode(void)
{
	w32(FLASH_VARS, CMD(0x50)); /* clear status (and read array) */
	w32(FLASH_VARS, CMD(0xff)); /* read array */
}

/* Random 32-bit values at random word offsets of the bank, and random
 * commands at random offsets: whatever state the machine ends up in. */
static void flash_garbage(u64 *seed)
{
	for (int i = 0; i < 3000; i++) {
		u64 r = rnd(seed);
		u64 off = (r >> 8) % FLASH_SIZE & ~3UL;

		w32(FLASH_VARS + off, (u32)rnd(seed));
		if (i % 7 == 0)
			(void)r32(FLASH_VARS + off);
	}
	flash_reset_mode();
	marker("FLASH-GARBAGE");
	eol();
}

/* Every command byte 0x00..0xff, replicated, at a few offsets (bank start,
 * an odd word in the middle, the last word), each followed by a status
 * read, a data word that is junk for most commands, and a second read. */
static void flash_every_command(void)
{
	static const u64 offs[] = {0, 0x01234564, FLASH_SIZE - 4};
	u32 x = 0;

	for (unsigned int o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
		for (u32 c = 0; c <= 0xff; c++) {
			u64 a = FLASH_VARS + offs[o];

			w32(a, CMD(c));
			x ^= r32(a);
			/* 0xFFFFFFFF: as data it programs nothing (program
			 * can only clear bits); as a word count it is far
			 * too big; as a command it is read-array. */
			w32(a, 0xffffffff);
			x ^=
			    r32(FLASH_VARS + ((offs[o] + 0x1000) % FLASH_SIZE));
			flash_reset_mode();
		}
	}
	marker("FLASH-EVERY-COMMAND");
	field("xor", x);
	eol();
}

/* Commands in only one chip's half, or different ones in each half. */
static void flash_half_commands(void)
{
	static const u32 vals[] = {
	    0x00e80000, 0x000000e8, 0x00200000, 0x00000020, 0x00d00000,
	    0x000000d0, 0x00400000, 0x00000040, 0x00700090, 0x00900070,
	    0x00e80020, 0x002000e8, 0x0098ffff, 0xff98ff98, 0x12345678,
	};
	u32 x = 0;

	for (unsigned int i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		for (unsigned int j = 0; j < sizeof(vals) / sizeof(vals[0]);
		     j++) {
			w32(FLASH_VARS + 0x80000, vals[i]);
			w32(FLASH_VARS + 0x80004, vals[j]);
			x ^= r32(FLASH_VARS + 0x80000);
		}
		flash_reset_mode();
	}
	marker("FLASH-HALF-COMMANDS");
	field("xor", x);
	eol();
}

/* Buffered program (0xE8) abuse: absurd word counts, data outside the
 * buffer, the block and at the bank's end, confirm missing. */
static void flash_buffer_abuse(void)
{
	u64 last = FLASH_VARS + FLASH_SIZE - 4;
	u64 blk = FLASH_VARS + 5 * FLASH_BLOCK;
	u32 x = 0;

	/* Word counts far beyond the 32-word buffer. */
	static const u32 counts[] = {0xffff,	 0x001f001f, 0x0020,
				     0xffffffff, 0x00200020, 0x7fff0000,
				     0x0000001f, 0x001f0000};
	for (unsigned int i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		w32(blk, CMD(0xe8));
		w32(blk + 0x100, counts[i]); /* count written elsewhere */
		for (int k = 0; k < 40; k++) /* more data than any buffer */
			w32(blk + 4 * k, 0xffffffff);
		w32(blk, CMD(0xd0));
		x ^= r32(blk);
		flash_reset_mode();
	}
	/* Set up in one block, data in the next one (crosses the block). */
	w32(blk + FLASH_BLOCK - 4, CMD(0xe8));
	w32(blk + FLASH_BLOCK - 4, 0x001f001f);
	for (int k = 0; k < 32; k++)
		w32(blk + FLASH_BLOCK - 4 + 4 * k, 0xffffffff);
	w32(blk, CMD(0xd0));
	x ^= r32(blk);
	flash_reset_mode();
	/* Set up on the bank's last word; 32 data words all at the last word
	 * (the next word after it is the GIC distributor, not the flash, so
	 * the data stays at offsets inside the bank), then confirm. */
	w32(last, CMD(0xe8));
	w32(last, 0x001f001f);
	for (int k = 0; k < 32; k++)
		w32(last, 0xffffffff);
	w32(last, CMD(0xd0));
	x ^= r32(last);
	flash_reset_mode();
	/* Count, then a command instead of data, then nothing. */
	w32(blk, CMD(0xe8));
	w32(blk, 0);
	w32(blk, CMD(0x70));
	w32(blk, CMD(0x90));
	x ^= r32(blk);
	flash_reset_mode();
	/* 0xE8 twice, then confirm with no data. */
	w32(blk, CMD(0xe8));
	w32(blk, CMD(0xe8));
	w32(blk, CMD(0xd0));
	x ^= r32(blk);
	flash_reset_mode();
	/* Word program (0x40/0x10) of all ones at odd places: no change. */
	w32(last, CMD(0x40));
	w32(last, 0xffffffff);
	w32(FLASH_VARS + 4, CMD(0x10));
	w32(FLASH_VARS + 0x2000000, 0xffffffff);
	x ^= r32(FLASH_VARS);
	flash_reset_mode();
	marker("FLASH-BUFFER-ABUSE");
	field("xor", x);
	eol();
}

/* Erase confirm without setup, setup without confirm, lock commands, and
 * erase of the last block (set up at its very last word). */
static void flash_erase_abuse(void)
{
	u64 last = FLASH_VARS + FLASH_SIZE - 4;
	u32 x = 0, st;

	w32(FLASH_VARS, CMD(0xd0)); /* confirm, no setup */
	x ^= r32(FLASH_VARS);
	w32(FLASH_VARS + 0x40000, CMD(0x20)); /* setup, then junk */
	w32(FLASH_VARS + 0x40000, CMD(0x70));
	x ^= r32(FLASH_VARS);
	flash_reset_mode();
	w32(FLASH_VARS, CMD(0x60)); /* lock setup, then junk */
	w32(FLASH_VARS, 0xdeadbeef);
	w32(FLASH_VARS, CMD(0x60)); /* lock, lock-down, unlock */
	w32(FLASH_VARS, CMD(0x01));
	w32(FLASH_VARS, CMD(0x60));
	w32(FLASH_VARS, CMD(0x2f));
	w32(FLASH_VARS, CMD(0x60));
	w32(FLASH_VARS, CMD(0xd0));
	flash_reset_mode();
	/* Erase the last block, set up at the bank's last word. */
	w32(last, CMD(0x20));
	w32(last, CMD(0xd0));
	st = r32(last);
	flash_reset_mode();
	x ^= r32(last);
	/* Erase set up in one block, confirmed in another. */
	w32(FLASH_VARS + 0x03f80000, CMD(0x20));
	w32(FLASH_VARS + 0x00000100, CMD(0xd0));
	x ^= r32(FLASH_VARS);
	flash_reset_mode();
	marker("FLASH-ERASE-ABUSE");
	field("last-block-status", st);
	field("xor", x);
	eol();
}

/* 8-, 16- and 64-bit accesses in array and command modes, and unaligned
 * ones (an alignment fault in the guest, or unaligned MMIO for armvm: see
 * the top of the file). */
static void flash_sizes(void)
{
	u64 before = r64(FAULT_COUNT);
	u32 x = 0;

	for (u64 o = 0; o < 16; o++) {
		w8(FLASH_VARS + o, 0xe8);
		w8(FLASH_VARS + 0x100 + o, 0x20);
		w8(FLASH_VARS + 0x200 + o, 0xd0);
		x ^= r8(FLASH_VARS + o);
	}
	for (u64 o = 0; o < 16; o += 2) {
		w16(FLASH_VARS + o, 0xe8);
		w16(FLASH_VARS + o, 0x1f);
		w16(FLASH_VARS + o, 0xd0);
		x ^= r16(FLASH_VARS + o);
	}
	w64(FLASH_VARS, 0x00e800e800e800e8UL);
	w64(FLASH_VARS + 8, 0x00d000d000200020UL);
	x ^= (u32)r64(FLASH_VARS);
	/* Now in command mode (status), the same again: every access traps. */
	w32(FLASH_VARS, CMD(0x70));
	for (u64 o = 0; o < 16; o++) {
		w8(FLASH_VARS + o, 0x40);
		x ^= r8(FLASH_VARS + o);
	}
	for (u64 o = 0; o < 16; o += 2) {
		w16(FLASH_VARS + o, 0x40);
		x ^= r16(FLASH_VARS + o);
	}
	w64(FLASH_VARS + 8, ~0UL);
	x ^= (u32)r64(FLASH_VARS + 8);
	/* Unaligned: alignment faults in the guest, counted and skipped. */
	w32(FLASH_VARS + 1, CMD(0xe8));
	w16(FLASH_VARS + 3, 0xe8);
	x ^= r32(FLASH_VARS + 2);
	x ^= (u32)r64(FLASH_VARS + 4);
	flash_reset_mode();
	w32(FLASH_VARS + 6, CMD(0x20)); /* in array mode too */
	x ^= r32(FLASH_VARS + 6);
	marker("FLASH-ACCESS-SIZES");
	dfield("alignment-faults", r64(FAULT_COUNT) - before);
	field("xor", x);
	eol();
}

/* Reads in status, ID and CFI query modes at odd offsets and sizes, all
 * over the bank. */
static void flash_query_reads(void)
{
	static const u32 modes[] = {0x70, 0x90, 0x98};
	u32 id0 = 0, id1 = 0, qry = 0, x = 0;

	for (unsigned int m = 0; m < 3; m++) {
		w32(FLASH_VARS + 0x1230, CMD(modes[m]));
		for (u64 o = 0; o < 0x200; o += 1)
			x ^= r8(FLASH_VARS + o) << (8 * (o & 3));
		for (u64 o = 0; o < 0x200; o += 2)
			x ^= r16(FLASH_VARS + FLASH_SIZE - 0x200 + o);
		for (u64 o = 0; o < FLASH_SIZE; o += 0x3fff8)
			x ^= (u32)r64(FLASH_VARS + o);
		if (modes[m] == 0x90) {
			id0 = r32(FLASH_VARS);
			id1 = r32(FLASH_VARS + 4);
		}
		if (modes[m] == 0x98)
			qry = r8(FLASH_VARS + 0x40) |
			      r8(FLASH_VARS + 0x44) << 8 |
			      r8(FLASH_VARS + 0x48) << 16;
		flash_reset_mode();
	}
	marker("FLASH-QUERY-READS");
	field("id0", id0);
	field("id1", id1);
	field("qry", qry);
	field("xor", x);
	eol();
}

/* The code bank ignores every write (our own code included: a read-only
 * memslot whose writes exit to a model that drops them) and never leaves
 * read-array mode; past the firmware file's size there is no device. */
static void flash_code_bank(void)
{
	u32 first = r32(FLASH_CODE), again;

	w32(FLASH_CODE, 0);		     /* our own branch instruction */
	w32(FLASH_CODE, CMD(0x90));	     /* read ID: ignored */
	w32(FLASH_CODE + 0x1000, CMD(0x20)); /* erase our FV header */
	w32(FLASH_CODE + 0x1000, CMD(0xd0));
	w32(FLASH_CODE + 0x40, CMD(0xe8));
	w32(FLASH_CODE + 0x40, 0x001f001f);
	w8(FLASH_CODE + 1, 0xff);
	w16(FLASH_CODE + 2, 0xffff);
	w64(FLASH_CODE + 8, 0);
	w32(FLASH_VARS - 4, CMD(0x70)); /* past the file: no device */
	(void)r32(FLASH_VARS - 4);
	again = r32(FLASH_CODE);
	marker("FLASH-CODE-BANK");
	puts(again == first ? " unchanged=1" : " unchanged=0");
	field("word0", again);
	eol();
}

/* Back to a clean state, then a real erase + buffered program + read back:
 * the state machine still works after all of the above. The test also
 * finds the word in the variable store file (durability). */
static void flash_recovered(void)
{
	u32 st_erase, st_prog, erased, word, id;

	flash_reset_mode();
	w32(FLASH_VARS, CMD(0x20));
	w32(FLASH_VARS, CMD(0xd0));
	st_erase = r32(FLASH_VARS);
	w32(FLASH_VARS, CMD(0xff));
	erased = r32(FLASH_VARS);
	w32(FLASH_VARS, CMD(0xe8));
	w32(FLASH_VARS, 0);	     /* one word */
	w32(FLASH_VARS, 0x4c495448); /* "HTIL" */
	w32(FLASH_VARS, CMD(0xd0));
	st_prog = r32(FLASH_VARS);
	w32(FLASH_VARS, CMD(0xff));
	word = r32(FLASH_VARS);
	w32(FLASH_VARS, CMD(0x90));
	id = r32(FLASH_VARS);
	w32(FLASH_VARS, CMD(0xff));
	marker("FLASH-RECOVERED");
	puts(st_erase == 0x00800080 && erased == 0xffffffff &&
		     st_prog == 0x00800080 && word == 0x4c495448 &&
		     id == 0x00890089
		 ? " ok=1"
		 : " ok=0");
	field("erase-status", st_erase);
	field("erased", erased);
	field("program-status", st_prog);
	field("word", word);
	field("id", id);
	eol();
}

/* ======================================================================
 * PCI (devices/pci.c) and virtio-pci (virtio/pci.c, virtio/virtio.c,
 * virtio/virtqueue.c).
 * ====================================================================== */

#define DISK_SLOT 1 /* the disk comes first on bus 0 */
#define SLOT	  ((u32)r64(CUR_SLOT))
#define CFG(bus, dev, fn, reg) \
	(ECAM +                \
	 ((u64)(bus) << 20 | (u64)(dev) << 15 | (u64)(fn) << 12 | (u64)(reg)))
#define BAR_ADDR r64(CUR_BAR) /* where we put BAR0 for real */

/* virtio-pci BAR0 layout (virtio/pci.c) and common config (4.1.4.3). */
#define COMMON 0x0000
#define ISR    0x1000
#define DEVCFG 0x2000
#define NOTIFY 0x3000
#define MSIXT  0x4000
#define MSIXP  0x5000
#define BAR_SZ 0x8000

#define C_DFSEL	  0x00
#define C_DF	  0x04
#define C_GFSEL	  0x08
#define C_GF	  0x0c
#define C_MSIX	  0x10
#define C_NUMQ	  0x12
#define C_STATUS  0x14
#define C_GEN	  0x15
#define C_QSEL	  0x16
#define C_QSIZE	  0x18
#define C_QMSIX	  0x1a
#define C_QENABLE 0x1c
#define C_QNOFF	  0x1e
#define C_QDESC	  0x20
#define C_QDRIVER 0x28
#define C_QDEVICE 0x30

#define S_ACK	      1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define S_FAILED      0x80

#define F_INDIRECT (1U << 28) /* in feature word 0 */
#define F_VERSION1 (1U << 0)  /* bit 32: feature word 1 */

#define D_NEXT	   1
#define D_WRITE	   2
#define D_INDIRECT 4

/* The MSI-X capability's offset, or 0 (armvm's virtio-pci functions all have
 * one, whatever the GIC; their MSIs go to an ITS or a GICv2m frame). */
static u32 find_msix(void)
{
	u32 p = r8(CFG(0, SLOT, 0, 0x34)), guard = 0;

	while (p && guard++ < 48) {
		if (r8(CFG(0, SLOT, 0, p)) == 0x11)
			return p;
		p = r8(CFG(0, SLOT, 0, p + 1));
	}
	return 0;
}

static void bar_enable(void)
{
	w32(CFG(0, SLOT, 0, 0x10), BAR_ADDR);
	w16(CFG(0, SLOT, 0, 0x04), 0x0006); /* memory + bus master */
}

/* Configuration space garbage: every dword of the slot's 4 KiB space,
 * every byte and halfword of the header and capabilities, 64-bit
 * accesses, BAR values huge and unaligned, non-existent slots, functions
 * and buses. */
static void pci_config_garbage(u64 *seed)
{
	u32 x = 0, vid, bar_size, absent = 0;

	vid = r32(CFG(0, SLOT, 0, 0));
	for (u32 reg = 0; reg < 0x1000; reg += 4) {
		w32(CFG(0, SLOT, 0, reg), (u32)rnd(seed));
		x ^= r32(CFG(0, SLOT, 0, reg));
	}
	for (u32 reg = 0; reg < 0x100; reg++) {
		w8(CFG(0, SLOT, 0, reg), (u32)rnd(seed));
		x ^= r8(CFG(0, SLOT, 0, reg));
	}
	for (u32 reg = 0; reg < 0x100; reg += 2) {
		w16(CFG(0, SLOT, 0, reg), 0xffff);
		x ^= r16(CFG(0, SLOT, 0, reg));
	}
	for (u32 reg = 0; reg < 0x1000; reg += 0x1f8) {
		w64(CFG(0, SLOT, 0, reg), rnd(seed));
		x ^= (u32)r64(CFG(0, SLOT, 0, reg));
	}
	w64(CFG(0, SLOT, 0, 0xff8), ~0UL); /* last 8 bytes of the space */
	x ^= (u32)r64(CFG(0, SLOT, 0, 0xff8));
	/* BARs: sizing, huge, unaligned, every BAR (only BAR0 exists). */
	w32(CFG(0, SLOT, 0, 0x10), 0xffffffff);
	bar_size = r32(CFG(0, SLOT, 0, 0x10));
	static const u32 barvals[] = {0xffffffff, 0xfffffff7, 0x12345679,
				      0x3effc000, 0x3eff8000, 0x00000000,
				      0x09000000, 0x40000000, 0x0fffc000};
	for (u32 b = 0; b < 6; b++)
		for (unsigned int i = 0; i < sizeof(barvals) / 4; i++) {
			w32(CFG(0, SLOT, 0, 0x10 + 4 * b), barvals[i]);
			w16(CFG(0, SLOT, 0, 0x04), 0xffff);
			x ^= r32(CFG(0, SLOT, 0, 0x10 + 4 * b));
			/* With decoding on, poke wherever that put the BAR. */
			if (barvals[i] >= PCI_WINDOW &&
			    barvals[i] < PCI_WINDOW_END - 0x10) {
				w32((barvals[i] & ~0xfU) + 0x14, 0xff);
				x ^= r32((barvals[i] & ~0xfU) + 0x14);
			}
		}
	/* BAR0 (32 KiB, so 32 KiB aligned: it cannot straddle the 64 KiB
	 * aligned window end) in the window's last 32 KiB, and accesses just
	 * past the window (the PIO window: no device). */
	w32(CFG(0, SLOT, 0, 0x10), PCI_WINDOW_END - 0x4000);
	w32(PCI_WINDOW_END - 0x8000 + 0x14, 0);
	w32(PCI_WINDOW_END + 0x14, 0xff);
	x ^= r32(PCI_WINDOW_END + 0x3ffc);
	w16(CFG(0, SLOT, 0, 0x04), 0);
	/* Absent functions read all ones and ignore writes. */
	for (u32 dev = 0; dev < 32; dev++) {
		if (dev == SLOT)
			continue;
		w32(CFG(0, dev, 0, 0x10), 0xffffffff);
		w32(CFG(0, dev, 0, 0x04), 0xffffffff);
		absent += r32(CFG(0, dev, 0, 0)) == 0xffffffff;
	}
	for (u32 fn = 1; fn < 8; fn++) {
		w32(CFG(0, SLOT, fn, 0x04), 0xffffffff);
		absent += r32(CFG(0, SLOT, fn, 0)) == 0xffffffff;
	}
	for (u32 bus = 1; bus < 16; bus++) {
		w32(CFG(bus, SLOT, 0, 0x04), 0xffffffff);
		w64(CFG(bus, 31, 7, 0xff8), 0);
		absent += r32(CFG(bus, SLOT, 0, 0)) == 0xffffffff;
	}
	/* The memory window and the PIO window with nothing decoded. */
	for (int i = 0; i < 64; i++) {
		u64 a =
		    PCI_WINDOW + (rnd(seed) % (PCI_WINDOW_END - PCI_WINDOW));

		a &= ~7UL;
		w32(a, (u32)rnd(seed));
		x ^= r32(a);
		w64(PCI_PIO + (a & 0xfff8), 0);
	}
	marker("PCI-CONFIG-GARBAGE");
	field("vendor-device", vid);
	field("bar0-size-mask", bar_size);
	dfield("absent-all-ones", absent);
	field("xor", x);
	eol();
}

static u64 bar(u64 off)
{
	return BAR_ADDR + off;
}

static u32 status(void)
{
	return r8(bar(COMMON + C_STATUS));
}

static void dev_reset(void)
{
	w8(bar(COMMON + C_STATUS), 0);
	(void)status();
}

/* The common configuration with garbage: selectors out of range, queue
 * sizes 0/odd/huge, ring addresses outside RAM or wrapping, status out of
 * order, unsupported features, every offset and size. */
static void virtio_common_garbage(u64 *seed)
{
	u32 x = 0, st_order, st_feat, st_nov1;

	bar_enable();
	/* Feature selectors far out of range. */
	static const u32 sels[] = {2, 3, 0x80000000, 0xffffffff, 1, 0};
	for (unsigned int i = 0; i < 6; i++) {
		w32(bar(COMMON + C_DFSEL), sels[i]);
		x ^= r32(bar(COMMON + C_DF));
		w32(bar(COMMON + C_GFSEL), sels[i]);
		w32(bar(COMMON + C_GF), 0xffffffff);
		x ^= r32(bar(COMMON + C_GF));
	}
	/* Queue selectors out of range, then queue registers through them. */
	static const u32 qsels[] = {1, 2, 0x7fff, 0x8000, 0xffff, 0x400};
	for (unsigned int i = 0; i < 6; i++) {
		w16(bar(COMMON + C_QSEL), qsels[i]);
		w16(bar(COMMON + C_QSIZE), 0xffff);
		w16(bar(COMMON + C_QMSIX), 0xfffe);
		w64(bar(COMMON + C_QDESC), ~0UL);
		w64(bar(COMMON + C_QDRIVER), 0x8000000000000000UL);
		w64(bar(COMMON + C_QDEVICE), RAM_END - 2);
		w16(bar(COMMON + C_QENABLE), 1);
		x ^= r16(bar(COMMON + C_QSIZE)) ^ r16(bar(COMMON + C_QENABLE)) ^
		     r16(bar(COMMON + C_QNOFF));
		w32(bar(NOTIFY + 4 * (qsels[i] & 0x3ff)), qsels[i]);
	}
	/* Queue 0: sizes 0, odd, huge, not a power of two. */
	w16(bar(COMMON + C_QSEL), 0);
	static const u32 sizes[] = {0,	  1,	3,	7,     100,
				    1023, 1025, 0x8000, 0xffff};
	for (unsigned int i = 0; i < sizeof(sizes) / 4; i++) {
		w16(bar(COMMON + C_QSIZE), sizes[i]);
		x ^= r16(bar(COMMON + C_QSIZE));
	}
	/* Ring addresses outside RAM, wrapping at 2^64, half written. */
	static const u64 addrs[] = {0,
				    0xfffffffffffffff0UL,
				    0xffffffffffffffffUL,
				    RAM_END - 16,
				    RAM - 16,
				    0x09000000,
				    0x3f000000};
	for (unsigned int i = 0; i < sizeof(addrs) / 8; i++) {
		w64(bar(COMMON + C_QDESC), addrs[i]);
		w32(bar(COMMON + C_QDRIVER), (u32)addrs[i]);
		w32(bar(COMMON + C_QDRIVER + 4), (u32)(addrs[i] >> 32));
		w16(bar(COMMON + C_QDEVICE + 2), 0xffff);
		x ^= (u32)r64(bar(COMMON + C_QDESC));
	}
	/* Status out of order: DRIVER_OK first, everything at once, the
	 * device-only NEEDS_RESET bit from the driver. */
	dev_reset();
	w8(bar(COMMON + C_STATUS), S_DRIVER_OK);
	w8(bar(COMMON + C_STATUS), 0xff);
	st_order = status();
	w16(bar(COMMON + C_QENABLE), 1); /* enable with the ring at garbage */
	w32(bar(NOTIFY), 0);
	dev_reset();
	w8(bar(COMMON + C_STATUS), S_NEEDS_RESET);
	w8(bar(COMMON + C_STATUS), S_FAILED);
	dev_reset();
	/* FEATURES_OK with every feature bit asked for. */
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER);
	w32(bar(COMMON + C_GFSEL), 0);
	w32(bar(COMMON + C_GF), 0xffffffff);
	w32(bar(COMMON + C_GFSEL), 1);
	w32(bar(COMMON + C_GF), 0xffffffff);
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER | S_FEATURES_OK);
	st_feat = status();
	/* FEATURES_OK without VERSION_1 (a legacy driver): refused. */
	dev_reset();
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER);
	w32(bar(COMMON + C_GFSEL), 0);
	w32(bar(COMMON + C_GF), F_INDIRECT);
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER | S_FEATURES_OK);
	st_nov1 = status();
	/* Features changed after FEATURES_OK, DRIVER_OK, then cleared. */
	w32(bar(COMMON + C_GF), 0);
	w8(bar(COMMON + C_STATUS), S_ACK);
	/* Every offset of the common config (and past it) at every size. */
	for (u64 o = 0; o < 0x40; o++) {
		w8(bar(o), (u32)rnd(seed));
		x ^= r8(bar(o));
		if (!(o & 1)) {
			w16(bar(o), (u32)rnd(seed));
			x ^= r16(bar(o));
		}
		if (!(o & 3)) {
			w32(bar(o), (u32)rnd(seed));
			x ^= r32(bar(o));
		}
		if (!(o & 7)) {
			w64(bar(o), rnd(seed));
			x ^= (u32)r64(bar(o));
		}
	}
	/* Unused parts of the BAR and the ISR at wrong sizes. */
	for (u64 o = 0x40; o < BAR_SZ; o += 0x3f8) {
		w64(bar(o), ~0UL);
		x ^= (u32)r64(bar(o));
	}
	w32(bar(ISR), 0xffffffff);
	x ^= r32(bar(ISR)) ^ r16(bar(ISR + 2)) ^ r8(bar(ISR + 1));
	dev_reset();
	marker("VIRTIO-COMMON-GARBAGE");
	field("status-after-ff", st_order);
	field("status-all-features", st_feat);
	field("status-no-version1", st_nov1);
	field("xor", x);
	eol();
}

/* Notifications for queues that do not exist or are not ready, at every
 * doorbell of the notify area and at odd sizes. */
static void virtio_notify_garbage(void)
{
	for (u64 o = 0; o < 0x1000; o += 4)
		w32(bar(NOTIFY + o), (u32)o);
	w16(bar(NOTIFY + 2), 0xffff);
	w8(bar(NOTIFY + 1), 0xff);
	w64(bar(NOTIFY + 8), ~0UL);
	marker("VIRTIO-NOTIFY-GARBAGE");
	eol();
}

/* MSI-X table and PBA: writes past the last vector, into the PBA, odd
 * sizes; the enable and function-mask bits toggled; table entries left
 * unmasked with garbage addresses (KVM_SIGNAL_MSI with junk). */
static void virtio_msix_garbage(u64 *seed, u32 msix)
{
	u32 x = 0;

	for (u64 o = 0; o < 0x2000; o += 4) {
		w32(bar(MSIXT + o), (u32)rnd(seed));
		x ^= r32(bar(MSIXT + o));
	}
	for (u64 o = 0; o < 0x40; o++) {
		w8(bar(MSIXT + o), 0xff);
		x ^= r8(bar(MSIXT + o));
	}
	w64(bar(MSIXT), ~0UL);
	w64(bar(MSIXP), ~0UL);
	x ^= r32(bar(MSIXP)) ^ r32(bar(MSIXP + 4));
	if (msix) {
		/* Enable, mask all, unmask, all from config space. */
		w16(CFG(0, SLOT, 0, msix + 2), 0xffff);
		w16(CFG(0, SLOT, 0, msix + 2), 0x8000);
		w16(CFG(0, SLOT, 0, msix + 2), 0x4000);
		w16(CFG(0, SLOT, 0, msix + 2), 0);
		w32(CFG(0, SLOT, 0, msix + 4), 0xffffffff); /* table offset */
		w32(CFG(0, SLOT, 0, msix + 8), 0xffffffff); /* PBA offset */
		x ^= r32(CFG(0, SLOT, 0, msix + 4));
	}
	/* Config and queue vectors out of range. */
	w16(bar(COMMON + C_MSIX), 0x1234);
	x ^= r16(bar(COMMON + C_MSIX));
	w16(bar(COMMON + C_QSEL), 0);
	w16(bar(COMMON + C_QMSIX), 63);
	x ^= r16(bar(COMMON + C_QMSIX));
	marker("VIRTIO-MSIX-GARBAGE");
	field("msix-cap", msix);
	field("xor", x);
	eol();
}

/* Device configuration (virtio-blk's, 60 bytes) at every offset of the
 * 4 KiB area and every size. */
static void virtio_devcfg_garbage(u64 *seed, u64 *capacity)
{
	u32 x = 0;

	*capacity = r64(bar(DEVCFG));
	for (u64 o = 0; o < 0x1000; o++) {
		w8(bar(DEVCFG + o), (u32)rnd(seed));
		if (o < 0x80)
			x ^= r8(bar(DEVCFG + o));
		if (!(o & 1) && o < 0x100) {
			w16(bar(DEVCFG + o), 0xffff);
			x ^= r16(bar(DEVCFG + o));
		}
		if (!(o & 3) && o < 0x100) {
			w32(bar(DEVCFG + o), 0xffffffff);
			x ^= r32(bar(DEVCFG + o));
		}
		if (!(o & 7)) {
			w64(bar(DEVCFG + o), ~0UL);
			x ^= (u32)r64(bar(DEVCFG + o));
		}
	}
	marker("VIRTIO-DEVCFG-GARBAGE");
	field("capacity-before", *capacity);
	field("capacity-after", r64(bar(DEVCFG)));
	field("xor", x);
	eol();
}

/* --- Queues --------------------------------------------------------------- */

#define QSIZE 8

struct qcase {
	u64 base; /* fresh RAM for this case */
	u64 desc, avail, used;
};

static void desc_set(u64 table, u32 i, u64 addr, u32 len, u32 flags, u32 next)
{
	u64 d = table + 16 * i;

	w64(d, addr);
	w32(d + 8, len);
	w16(d + 12, flags);
	w16(d + 14, next);
}

/*
 * Reset the device and drive it to DRIVER_OK with queue 0 at the given
 * rings (whatever they are). Returns the status after FEATURES_OK.
 */
static u32 queue_up(u64 desc, u64 avail, u64 used, u32 features0)
{
	u32 st;

	dev_reset();
	w8(bar(COMMON + C_STATUS), S_ACK);
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER);
	w32(bar(COMMON + C_GFSEL), 0);
	w32(bar(COMMON + C_GF), features0);
	w32(bar(COMMON + C_GFSEL), 1);
	w32(bar(COMMON + C_GF), F_VERSION1);
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER | S_FEATURES_OK);
	st = status();
	w16(bar(COMMON + C_QSEL), r64(CUR_QUEUE));
	w16(bar(COMMON + C_QSIZE), QSIZE);
	w64(bar(COMMON + C_QDESC), desc);
	w64(bar(COMMON + C_QDRIVER), avail);
	w64(bar(COMMON + C_QDEVICE), used);
	w16(bar(COMMON + C_QENABLE), 1);
	w8(bar(COMMON + C_STATUS),
	   S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return st;
}

/* Ring the doorbell of the queue under test (notify_off = its index). */
static void notify_queue(void)
{
	w16(bar(NOTIFY + 4 * r64(CUR_QUEUE)), r64(CUR_QUEUE));
}

static void qcase_init(struct qcase *c, int n)
{
	c->base = SCRATCH + (u64)n * CASE_STRIDE;
	c->desc = c->base;
	c->avail = c->base + 0x1000;
	c->used = c->base + 0x2000;
	fill64(c->base, CASE_STRIDE, 0);
}

static u64 cntvct(void)
{
	u64 v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static u64 cntfrq(void)
{
	u64 v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/*
 * A notification only rings a doorbell (armvm turns it into a KVM
 * ioeventfd): the device runs the queue on its own thread, as hardware
 * would, so wait until it has answered (a used entry, or NEEDS_RESET) or
 * 200 ms have passed (a notification that should change nothing).
 */
static void settle(u64 used, u32 used_idx_before)
{
	u64 end = cntvct() + cntfrq() / 5;

	while (cntvct() < end) {
		if (status() & S_NEEDS_RESET)
			return;
		if (used && r16(used + 2) != used_idx_before)
			return;
	}
}

/* Publish head at avail ring slot 0, avail.idx = idx, ring the bell and
 * wait for the device. */
static void kick(const struct qcase *c, u32 head, u32 idx)
{
	u32 before = r16(c->used + 2);

	w16(c->avail + 4, head);
	barrier();
	w16(c->avail + 2, idx);
	barrier();
	notify_queue();
	settle(c->used, before);
}

/* Report a case: the status's NEEDS_RESET bit against what we want, and
 * optionally the request's status byte. */
static void qreport(const char *name, int want_reset, int blk_status,
		    int want_blk)
{
	u32 st = status();
	int nr = !!(st & S_NEEDS_RESET);
	int ok = nr == want_reset && blk_status == want_blk;

	marker("VQ ");
	puts(name);
	dfield("needs_reset", nr);
	dfield("want", want_reset);
	field("status", st);
	if (want_blk >= 0) {
		dfield("blk-status", (u64)(blk_status & 0xff));
		dfield("want-blk", want_blk);
	}
	puts(ok ? " ok=1" : " ok=0");
	eol();
	if (ok)
		w64(COUNT_OK, r64(COUNT_OK) + 1);
	else
		w64(COUNT_BAD, r64(COUNT_BAD) + 1);
}

/* A queue whose geometry is bad: the device needs a reset at enable. */
static void qcase_geometry(int n, const char *name, u64 desc, u64 avail,
			   u64 used, u32 size)
{
	dev_reset();
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER);
	w32(bar(COMMON + C_GFSEL), 1);
	w32(bar(COMMON + C_GF), F_VERSION1);
	w8(bar(COMMON + C_STATUS), S_ACK | S_DRIVER | S_FEATURES_OK);
	w16(bar(COMMON + C_MSIX), 0); /* config interrupt: vector 0 */
	w16(bar(COMMON + C_QSEL), r64(CUR_QUEUE));
	w16(bar(COMMON + C_QMSIX), 1);
	w16(bar(COMMON + C_QSIZE), size);
	w64(bar(COMMON + C_QDESC), desc);
	w64(bar(COMMON + C_QDRIVER), avail);
	w64(bar(COMMON + C_QDEVICE), used);
	w16(bar(COMMON + C_QENABLE), 1);
	w8(bar(COMMON + C_STATUS),
	   S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	notify_queue();
	settle(0, 0);
	(void)n;
	qreport(name, 1, -1, -1);
}

#define HDR_IN	   0
#define HDR_OUT	   1
#define HDR_GET_ID 8

/* A well-formed request: header (type, sector), data of len bytes
 * (device-writable for IN/GET_ID), status byte. Returns the status byte
 * (0xff if the device never wrote it). */
static int blk_request(int n, u32 type, u64 sector, u32 len, u64 *data_out)
{
	struct qcase c;
	u64 hdr, data, st;

	qcase_init(&c, n);
	hdr = c.base + 0x3000;
	data = c.base + 0x4000;
	st = c.base + 0x5000;
	w32(hdr, type);
	w32(hdr + 4, 0);
	w64(hdr + 8, sector);
	w8(st, 0xff);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, hdr, 16, D_NEXT, 1);
	desc_set(c.desc, 1, data, len, D_NEXT | (type == HDR_OUT ? 0 : D_WRITE),
		 2);
	desc_set(c.desc, 2, st, 1, D_WRITE, 0);
	kick(&c, 0, 1);
	if (data_out)
		*data_out = data;
	return r8(st);
}

/*
 * The malformed-queue cases every virtio device must refuse the same way
 * (virtio/virtqueue.c validates them before a device sees a chain): each
 * puts the device into NEEDS_RESET. On the queue CUR_QUEUE, whose device
 * takes its chains when notified; case n uses fresh RAM. Returns the next
 * case number.
 */
static int queue_cases(u32 msix, int n)
{
	struct qcase c;
	u64 t;

	/* MSI-X on with junk entries unmasked: the config interrupt of the
	 * NEEDS_RESETs below (vector 0) goes to a garbage address, and
	 * vector 1 to the ITS doorbell (GITS_TRANSLATER) with a device and
	 * event the guest never mapped (the ITS is not even enabled):
	 * KVM_SIGNAL_MSI must fail harmlessly. */
	if (msix) {
		w32(bar(MSIXT + 0), 0xdeadbeec);
		w32(bar(MSIXT + 4), 0xffffffff);
		w32(bar(MSIXT + 8), 0x12345678);
		w32(bar(MSIXT + 12), 0);
		w32(bar(MSIXT + 16), 0x08090040);
		w32(bar(MSIXT + 20), 0);
		w32(bar(MSIXT + 24), 0xffffffff);
		w32(bar(MSIXT + 28), 0);
		w16(CFG(0, SLOT, 0, msix + 2), 0x8000);
	}

	/* Ring geometry: outside RAM, wrapping, straddling RAM's end,
	 * misaligned, in MMIO space. */
	qcase_geometry(n++, "ring-outside-ram", 0x1000, 0x2000, 0x3000, QSIZE);
	qcase_geometry(n++, "ring-wraps-2^64", 0xfffffffffffff000UL, SCRATCH,
		       SCRATCH + 0x1000, QSIZE);
	qcase_geometry(n++, "ring-straddles-ram-end", SCRATCH, SCRATCH + 0x1000,
		       RAM_END - 8, QSIZE);
	qcase_geometry(n++, "ring-misaligned", SCRATCH + 8, SCRATCH + 0x1001,
		       SCRATCH + 0x2002, QSIZE);
	qcase_geometry(n++, "ring-in-pci-window", BAR_ADDR, BAR_ADDR + 0x1000,
		       BAR_ADDR + 0x2000, QSIZE);
	if (msix) /* the rest on INTx (the level stays up: no handler) */
		w16(CFG(0, SLOT, 0, msix + 2), 0);

	/* Descriptors pointing outside RAM, huge, wrapping. */
	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, 0x1000, 512, 0, 0);
	kick(&c, 0, 1);
	qreport("buffer-outside-ram", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, c.base + 0x3000, 0xffffffff, 0, 0);
	kick(&c, 0, 1);
	qreport("buffer-huge-length", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, 0xffffffffffffff00UL, 0x200, 0, 0);
	kick(&c, 0, 1);
	qreport("buffer-wraps-2^64", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, RAM_END - 0x100, 0x200, D_WRITE, 0);
	kick(&c, 0, 1);
	qreport("buffer-straddles-ram-end", 1, -1, -1);

	/* Chains that loop or run out of their table. */
	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, c.base + 0x3000, 16, D_NEXT, 1);
	desc_set(c.desc, 1, c.base + 0x3000, 16, D_NEXT, 0);
	kick(&c, 0, 1);
	qreport("chain-loop", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 3, c.base + 0x3000, 16, D_NEXT, 3);
	kick(&c, 3, 1);
	qreport("chain-self-loop", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, c.base + 0x3000, 16, D_NEXT, 0xffff);
	kick(&c, 0, 1);
	qreport("next-out-of-range", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	kick(&c, 0x8000, 1);
	qreport("head-out-of-range", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, c.base + 0x3000, 16, 0, 0);
	kick(&c, 0, 0x1234);
	qreport("avail-idx-runs-ahead", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, c.base + 0x3000, 16, D_WRITE | D_NEXT, 1);
	desc_set(c.desc, 1, c.base + 0x3100, 16, 0, 0);
	kick(&c, 0, 1);
	qreport("readable-after-writable", 1, -1, -1);

	/* Indirect tables: looping, nested, with NEXT, bad length, outside
	 * RAM, not negotiated, and an enormous table of junk. */
	qcase_init(&c, n++);
	t = c.base + 0x8000;
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	for (u32 i = 0; i < 4; i++)
		desc_set(t, i, c.base + 0x3000, 16, D_NEXT, (i + 1) % 4);
	desc_set(c.desc, 0, t, 4 * 16, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-loop", 1, -1, -1);

	qcase_init(&c, n++);
	t = c.base + 0x8000;
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	desc_set(t, 0, t, 16, D_INDIRECT, 0); /* points at itself */
	desc_set(c.desc, 0, t, 16, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-nested-self", 1, -1, -1);

	qcase_init(&c, n++);
	t = c.base + 0x8000;
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	desc_set(t, 0, c.base + 0x3000, 16, 0, 0);
	desc_set(c.desc, 0, t, 16, D_INDIRECT | D_NEXT, 1);
	desc_set(c.desc, 1, t, 16, D_INDIRECT | D_NEXT, 0);
	kick(&c, 0, 1);
	qreport("indirect-with-next", 1, -1, -1);

	qcase_init(&c, n++);
	t = c.base + 0x8000;
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	desc_set(c.desc, 0, t, 17, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-length-17", 1, -1, -1);

	qcase_init(&c, n++);
	t = c.base + 0x8000;
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	desc_set(c.desc, 0, t, 0, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-length-0", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	desc_set(c.desc, 0, 0xfffffffffffffff0UL, 0x20, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-wraps-2^64", 1, -1, -1);

	qcase_init(&c, n++);
	t = c.base + 0x8000;
	queue_up(c.desc, c.avail, c.used, 0); /* INDIRECT not negotiated */
	desc_set(t, 0, c.base + 0x3000, 16, 0, 0);
	desc_set(c.desc, 0, t, 16, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-not-negotiated", 1, -1, -1);

	/* 0xfffffff0 bytes: a table of 2^28 entries, most of it outside
	 * RAM; and a 256 KiB one inside RAM whose entries are all zero
	 * (address 0: outside RAM). */
	qcase_init(&c, n++);
	t = c.base + 0x8000;
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	desc_set(c.desc, 0, t, 0xfffffff0, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-huge-table", 1, -1, -1);

	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, F_INDIRECT);
	desc_set(c.desc, 0, SCRATCH + 0x800000, 0x40000, D_INDIRECT, 0);
	kick(&c, 0, 1);
	qreport("indirect-zero-entries", 1, -1, -1);
	return n;
}

static void virtio_queues(u64 capacity, u32 msix)
{
	struct qcase c;
	int n, bs;
	u64 data;

	n = queue_cases(msix, 0);

	/* virtio-blk: a request with no status byte (nowhere to report):
	 * only a header. */
	qcase_init(&c, n++);
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, c.base + 0x3000, 16, 0, 0);
	kick(&c, 0, 1);
	qreport("blk-no-status-byte", 1, -1, -1);

	/* Notify again after NEEDS_RESET, and rewrite the live queue's
	 * registers (ignored while ready); enable = 0 is ignored too. */
	w16(bar(NOTIFY), 0);
	w64(bar(COMMON + C_QDESC), 0);
	w16(bar(COMMON + C_QSIZE), 1);
	w16(bar(COMMON + C_QENABLE), 0);
	w16(bar(NOTIFY), 0);
	qreport("notify-after-needs-reset", 1, -1, -1);

	/* Well-formed requests with bad contents: the device answers with
	 * an error status and stays usable (no reset needed). None of these
	 * may write the disk (the test compares its digest). */
	bs = blk_request(n++, HDR_IN, capacity, 512, 0);
	qreport("blk-read-past-end", 0, bs, 1);
	bs = blk_request(n++, HDR_OUT, capacity, 512, 0);
	qreport("blk-write-past-end", 0, bs, 1);
	bs = blk_request(n++, HDR_OUT, 0x7fffffffffffffffUL, 512, 0);
	qreport("blk-write-sector-2^63", 0, bs, 1);
	bs = blk_request(n++, HDR_OUT, capacity - 1, 1024, 0);
	qreport("blk-write-straddles-end", 0, bs, 1);
	bs = blk_request(n++, HDR_OUT, 0, 100, 0);
	qreport("blk-write-partial-sector", 0, bs, 1);
	bs = blk_request(n++, 0xdeadbeef, 0, 512, 0);
	qreport("blk-unknown-type", 0, bs, 2);
	bs = blk_request(n++, HDR_GET_ID, 0, 20, 0);
	qreport("blk-get-id", 0, bs, 0);

	/* Finally a good read of sector 0: the device still works. */
	bs = blk_request(n++, HDR_IN, 0, 512, &data);
	qreport("blk-read-sector-0", 0, bs, 0);
	marker("VIRTIO-IO");
	puts(" sector0=");
	for (u64 i = 0; i < 21; i++) {
		u32 ch = r8(data + i);

		putc(ch >= 0x20 && ch < 0x7f ? (char)ch : '.');
	}
	eol();
	dev_reset();
	marker("VIRTIO-QUEUES");
	dfield("ok", r64(COUNT_OK));
	dfield("bad", r64(COUNT_BAD));
	eol();
}

/*
 * Every other virtio function on bus 0 (issue 10: virtio-net, -console,
 * -rng): the same register garbage and malformed queues as the disk, on
 * the queue its device takes chains from when notified (rng: requestq;
 * console: port 0's transmitq; net: transmitq), then one well-formed
 * request, which must still be served.
 */
#define VIRTIO_ID_NET	  1
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG	  4

/* One buffer for the queue under test: a broadcast Ethernet frame behind
 * a zero virtio-net header for net, text for the console, room for 64
 * random bytes for rng. 1 if the device used it and needs no reset. */
static int good_request(int n, u32 type)
{
	struct qcase c;
	u64 data;
	u32 len = 64;

	qcase_init(&c, n);
	data = c.base + 0x3000;
	if (type == VIRTIO_ID_NET) {
		/* 12-byte header (all zero: no offloads), then the frame. */
		for (u32 i = 0; i < 6; i++)
			w8(data + 12 + i, 0xff);
		w8(data + 18, 0x02); /* a locally administered source */
		w8(data + 23, 0x01);
		w8(data + 24, 0x88); /* EtherType 0x88b5: local use */
		w8(data + 25, 0xb5);
		len = 12 + 60;
	} else if (type == VIRTIO_ID_CONSOLE) {
		const char *text = "hostile\n";

		for (len = 0; text[len]; len++)
			w8(data + len, text[len]);
	}
	queue_up(c.desc, c.avail, c.used, 0);
	desc_set(c.desc, 0, data, len, type == VIRTIO_ID_RNG ? D_WRITE : 0, 0);
	kick(&c, 0, 1);
	return r16(c.used + 2) == 1 && !(status() & S_NEEDS_RESET);
}

static void virtio_other_devices(u64 *seed)
{
	u64 ok_before = r64(COUNT_OK), bad_before = r64(COUNT_BAD), cap;
	u32 found = 0, working = 0;
	int n = 48; /* past the disk's cases: fresh RAM */

	for (u32 dev = 0; dev < 32; dev++) {
		u32 id = r32(CFG(0, dev, 0, 0)), type, msix, works;

		if ((id & 0xffff) != 0x1af4 || dev == DISK_SLOT)
			continue;
		type = (id >> 16) - 0x1040;
		found++;
		w64(CUR_SLOT, dev);
		w64(CUR_BAR, PCI_WINDOW + 0x100000 * found);
		w64(CUR_QUEUE, type == VIRTIO_ID_RNG ? 0 : 1);
		marker("VIRTIO-DEVICE");
		field("id", id >> 16);
		dfield("slot", dev);
		eol();
		bar_enable();
		msix = find_msix();
		virtio_common_garbage(seed);
		virtio_notify_garbage();
		virtio_msix_garbage(seed, msix);
		virtio_devcfg_garbage(seed, &cap);
		bar_enable(); /* the garbage may have turned decoding off */
		n = queue_cases(msix, n);
		works = good_request(n++, type);
		working += works;
		marker("VIRTIO-DEVICE-WORKS");
		field("id", id >> 16);
		dfield("works", works);
		eol();
		dev_reset();
		w16(CFG(0, dev, 0, 0x04), 0);
	}
	w64(CUR_SLOT, DISK_SLOT);
	w64(CUR_BAR, PCI_WINDOW);
	w64(CUR_QUEUE, 0);
	marker("VIRTIO-OTHERS");
	dfield("devices", found);
	dfield("working", working);
	dfield("ok", r64(COUNT_OK) - ok_before);
	dfield("bad", r64(COUNT_BAD) - bad_before);
	eol();
}

/* ======================================================================
 * Platform devices (issue 10): garbage at every register of pl011, pl031
 * and pl061, in every access size, from two vCPUs at once; then each
 * still identifies itself and works for a driver that behaves.
 * ====================================================================== */

#define UART_FR	  0x18
#define UART_LCRH 0x2c
#define UART_CR	  0x30
#define UART_IMSC 0x38
#define UART_ICR  0x44
#define FR_RXFE	  (1U << 4)
#define CR_NORMAL 0x301 /* UARTEN | TXE | RXE */
#define CR_LBE	  (1U << 7)
#define LCRH_FIFO 0x70 /* 8 bits, FIFOs on */
#define RTC_DR	  0x00
#define RTC_LR	  0x08

/* PrimeCell ID: PeriphID1 << 8 | PeriphID0 (0x1011 for a pl011). */
static u32 primecell_part(u64 base)
{
	return (r32(base + 0xfe4) & 0xff) << 8 | (r32(base + 0xfe0) & 0xff);
}

/*
 * Every 32-bit register of a 4 KiB page written with garbage and read,
 * then accesses of other sizes and at unaligned offsets (the models refuse
 * them; an unaligned one may fault in the guest first: counted, skipped).
 * The pl011's data register is left out: its bytes would go to the
 * console that carries the markers (the loopback test below covers it).
 */
static void page_garbage(u64 base, u64 *seed)
{
	for (u64 off = 0; off < 0x1000; off += 4) {
		if (base == UART && off == 0)
			continue;
		w32(base + off, (u32)rnd(seed));
		(void)r32(base + off);
	}
	for (int i = 0; i < 64; i++) {
		u64 off = rnd(seed) & 0xff8, v = rnd(seed);

		if (base == UART && off == 0)
			off = 8;
		switch (i & 3) {
		case 0:
			w8(base + off + (i & 7) % 4, v);
			(void)r8(base + off + 1);
			break;
		case 1:
			w16(base + off + 2, v);
			(void)r16(base + off);
			break;
		case 2:
			w64(base + off, v);
			(void)r64(base + off);
			break;
		default:
			w32(base + off + 2, v); /* unaligned */
			(void)r32(base + off + 1);
			break;
		}
	}
}

static void uart_restore(void)
{
	w32(UART + UART_CR, CR_NORMAL);
	w32(UART + UART_LCRH, LCRH_FIFO);
	w32(UART + UART_IMSC, 0);
	w32(UART + UART_ICR, 0x7ff);
}

/* The loopback path (CR.LBE): bytes written come back as input, at most a
 * FIFO's worth; the rest is dropped, not written past the FIFO. */
static u32 uart_loopback(void)
{
	u32 n = 0;

	w32(UART + UART_LCRH, LCRH_FIFO);
	w32(UART + UART_CR, CR_NORMAL | CR_LBE);
	for (u32 i = 0; i < 40; i++)
		w32(UART, 'A' + i % 26);
	while (!(r32(UART + UART_FR) & FR_RXFE) && n < 100) {
		(void)r32(UART);
		n++;
	}
	uart_restore();
	return n;
}

/* The RTC loaded with a time reads it back, counting from there. */
static int rtc_set_and_read(void)
{
	u32 t;

	w32(RTC + RTC_LR, 0x40000000);
	t = r32(RTC + RTC_DR);
	return t >= 0x40000000 && t <= 0x40000002;
}

/* The second vCPU is at the RTC and GPIO meanwhile (second_cpu). */
static void platform_abuse(u64 *seed)
{
	for (int round = 0; round < 4; round++) {
		page_garbage(UART, seed);
		uart_restore();
		page_garbage(RTC, seed);
		page_garbage(GPIO, seed);
	}
	uart_restore();
}

/* After the second vCPU has stopped: each device still works. */
static void platform_check(void)
{
	u32 loop = uart_loopback();

	marker("PLATFORM-ABUSE");
	field("uart-id", primecell_part(UART));
	field("rtc-id", primecell_part(RTC));
	field("gpio-id", primecell_part(GPIO));
	dfield("uart-loopback", loop);
	dfield("rtc-set", rtc_set_and_read());
	eol();
}

/*
 * The second vCPU (started with PSCI CPU_ON, start.S second_entry) hammers
 * the RTC and GPIO and reads PCI configuration space while vCPU 0 runs
 * every attack above and below, so that armvm's device locks see two
 * vCPUs at once. It only reads what vCPU 0's checks depend on.
 */
void second_cpu(void)
{
	u64 seed = 0x2545f4914f6cdd1dUL, passes = 0;

	while (!r64(SEC_STOP)) {
		page_garbage(RTC, &seed);
		page_garbage(GPIO, &seed);
		for (u64 reg = 0; reg < 0x100; reg += 4)
			(void)r32(ECAM + (1UL << 15) +
				  reg); /* 00:01.0, the disk */
		w64(SEC_PASSES, ++passes);
	}
	w64(SEC_DONE, 1);
}

extern char second_entry[];

static u64 psci_cpu_on(u64 mpidr, u64 entry)
{
	register u64 x0 __asm__("x0") = PSCI_CPU_ON;
	register u64 x1 __asm__("x1") = mpidr;
	register u64 x2 __asm__("x2") = entry;
	register u64 x3 __asm__("x3") = 0;

	__asm__ volatile("hvc #0"
			 : "+r"(x0)
			 : "r"(x1), "r"(x2), "r"(x3)
			 : "memory");
	return x0;
}

/* Stop the second vCPU (waits at most 10 s by the generic timer). */
static void second_cpu_stop(u64 started)
{
	u64 end;

	w64(SEC_STOP, 1);
	end = cntvct() + 10 * cntfrq();
	while (started == 0 && !r64(SEC_DONE) && cntvct() < end)
		;
	marker("SECOND-CPU");
	field("cpu-on", started);
	dfield("passes", r64(SEC_PASSES));
	dfield("stopped", r64(SEC_DONE));
	eol();
}

void main(void)
{
	u64 seed = 0x9e3779b97f4a7c15UL, capacity, cpu_on;
	u32 msix;

	w64(FAULT_COUNT, 0);
	w64(COUNT_OK, 0);
	w64(COUNT_BAD, 0);
	w64(SEC_PASSES, 0);
	w64(SEC_STOP, 0);
	w64(SEC_DONE, 0);
	w64(CUR_SLOT, DISK_SLOT);
	w64(CUR_BAR, PCI_WINDOW);
	w64(CUR_QUEUE, 0);
	marker("START");
	eol();
	cpu_on = psci_cpu_on(1, (u64)second_entry);

	flash_garbage(&seed);
	flash_every_command();
	flash_half_commands();
	flash_buffer_abuse();
	flash_erase_abuse();
	flash_sizes();
	flash_query_reads();
	flash_code_bank();
	flash_recovered();

	pci_config_garbage(&seed);
	bar_enable();
	msix = find_msix();
	virtio_common_garbage(&seed);
	virtio_notify_garbage();
	virtio_msix_garbage(&seed, msix);
	virtio_devcfg_garbage(&seed, &capacity);
	/* The garbage above may have moved BAR0 or turned decoding off. */
	bar_enable();
	virtio_queues(capacity, msix);
	virtio_other_devices(&seed);
	platform_abuse(&seed);
	second_cpu_stop(cpu_on);
	platform_check();

	marker("DONE");
	dfield("alignment-faults", r64(FAULT_COUNT));
	eol();
}
