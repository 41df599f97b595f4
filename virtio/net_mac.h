/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MAC addresses for virtio-net devices: a default derived from the
 * device's name, and parsing the user's mac=. Apart from the device model
 * (net.c) because neither needs a device: the caller fills
 * virtio_net_config.mac with them before the device is made.
 */
#ifndef ARMVM_VIRTIO_NET_MAC_H
#define ARMVM_VIRTIO_NET_MAC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The default MAC of a device called id: 02:61:72:xx:xx:xx ("\2ar": a
 * locally administered unicast prefix, not QEMU's 52:54:00), where xx:xx:xx
 * are the low 24 bits of the 32-bit FNV-1a hash of id. Deterministic: the
 * same id gets the same MAC in every run (two VMs on one bridge need
 * different ids, or mac=).
 */
void net_default_mac(const char *id, uint8_t mac[6]);
/* "52:54:00:12:34:56" (hex, ':' or '-'); refuses multicast addresses and
 * all zeros. */
bool net_parse_mac(const char *s, uint8_t mac[6]);

#endif
