/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ARM PrimeCell GPIO (PL061) carrying the VM's power button (issue 5 item
 * 4): pin 3, active high, described to the guest by a gpio-keys node as
 * KEY_POWER, like QEMU's virt machine. Linux's gpio-keys driver turns the
 * press into an input event; the guest's userspace decides to shut down.
 */
#ifndef ARMVM_DEVICES_PL061_H
#define ARMVM_DEVICES_PL061_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/device.h"

#define PL061_NR_PINS 8
/* The power button's pin (QEMU virt's), and its Linux key code KEY_POWER. */
#define PL061_POWER_PIN 3
#define PL061_KEY_POWER 116
/* How long pl061_press_power() holds the button down. */
#define PL061_PRESS_MS 100

/*
 * A 4 KiB PL061 at base driving spi (level, high while any enabled
 * interrupt is pending). Its fdt_node adds the pl061 node (phandle
 * PHANDLE_GPIO) and a root "gpio-keys" node with the power key. Returns
 * NULL (after pr_err) on failure.
 */
struct device *pl061_create(uint64_t base, uint32_t spi, struct irq_sink irq);

/*
 * Drive an input pin from the host (pins >= PL061_NR_PINS are ignored). The
 * level persists across device reset, like a wire. A change on a pin the
 * guest has as an input latches an edge interrupt per GPIOIS/IBE/IEV; level
 * interrupts follow the pin. Thread-safe.
 */
void pl061_set_input(struct device *dev, unsigned int pin, bool level);

/*
 * Press and release the power button: pin 3 high, PL061_PRESS_MS of sleep
 * in the caller, then low. Blocks the caller that long (the control
 * socket's thread; never a vCPU thread). A press is only noticed by a
 * running guest: while the vCPUs are paused both edges latch, but Linux's
 * gpio-keys debounce then reads the released level and reports nothing.
 * Returns true when the guest had the pin's interrupt enabled (GPIOIE),
 * i.e. a driver was listening; false means the press was probably ignored
 * (no gpio-keys driver, or firmware still running).
 */
bool pl061_press_power(struct device *dev);

#endif
