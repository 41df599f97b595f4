/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hostile guest's entry, exception vectors and fake firmware-volume
 * header. armvm starts vCPU 0 at PC 0 in the code flash (EL1h, MMU and
 * caches off, interrupts masked), executing in place from a read-only
 * memslot, and only accepts a --firmware file with a UEFI firmware volume
 * signature "_FVH" at offset 0x28 of a 4 KiB block (vmm/firmware.c
 * firmware_check_code): the block at 0x1000 is such a header, jumped over.
 *
 * Layout (hostile.ld puts .text.boot first, at address 0):
 *   0x0000  branch to reset
 *   0x0800  exception vectors (VBAR_EL1 needs 2 KiB alignment)
 *   0x1000  fake EFI_FIRMWARE_VOLUME_HEADER ("_FVH" at 0x1028)
 *   0x1100  reset: vectors, stack, main(), PSCI SYSTEM_OFF; second_entry
 */
#define STACK_TOP 0x40100000 /* 1 MiB into RAM (RAM starts at 0x40000000) */
#define STACK2_TOP 0x400f0000 /* the second vCPU's, 64 KiB below */
#define PSCI_SYSTEM_OFF 0x84000008
#define PSCI_CPU_OFF 0x84000002

	.section .text.boot, "ax"
	.global _start
_start:
	b	reset

/*
 * Every exception goes to one handler that saves the caller-saved
 * registers and calls exception(esr, elr, far) in C, which returns the
 * address to resume at. Alignment faults are expected (MMU off: all data
 * accesses are Device memory, so an unaligned access faults in the guest
 * before armvm sees it); exception() skips the faulting instruction.
 */
	.macro	vector
	.balign	0x80
	b	exc_entry
	.endm

	.balign	0x800
vectors:
	.rept	16
	vector
	.endr

	.balign	0x1000
fv_header:
	.quad	0, 0		/* ZeroVector */
	.quad	0, 0		/* FileSystemGuid (none) */
	.quad	0x1000		/* FvLength */
	.ascii	"_FVH"		/* Signature, at 0x1028 */
	.word	0		/* Attributes */
	.balign	0x100, 0

reset:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	ldr	x0, =STACK_TOP
	mov	sp, x0
	bl	main
	/* PSCI SYSTEM_OFF through the hypervisor (KVM's PSCI uses HVC). */
	ldr	w0, =PSCI_SYSTEM_OFF
	hvc	#0
1:	wfi
	b	1b

exc_entry:
	sub	sp, sp, #176
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	str	x30, [sp, #160]
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	mrs	x2, far_el1
	bl	exception
	msr	elr_el1, x0
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x29, [sp, #144]
	ldr	x30, [sp, #160]
	add	sp, sp, #176
	eret

/* The second vCPU (PSCI CPU_ON from hostile.c): its own stack, then
 * second_cpu(); PSCI CPU_OFF when it returns. */
	.global	second_entry
second_entry:
	adr	x0, vectors
	msr	vbar_el1, x0
	isb
	ldr	x0, =STACK2_TOP
	mov	sp, x0
	bl	second_cpu
	ldr	w0, =PSCI_CPU_OFF
	hvc	#0
3:	wfi
	b	3b

	.global	psci_off
psci_off:
	ldr	w0, =PSCI_SYSTEM_OFF
	hvc	#0
2:	wfi
	b	2b
	.ltorg
