// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP backend of virtio-net: an existing (or, with CAP_NET_ADMIN, new)
 * TAP interface opened through /dev/net/tun with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, the frames read and written by the fd backend (net_fd.c),
 * which also sets the offloads.
 * With IFF_VNET_HDR every frame carries a virtio_net_hdr_v1 (12 bytes, set
 * with TUNSETVNETHDRSZ), so a guest's 64 KiB TCP segment goes to the host
 * kernel as one write with its partial checksum, and the kernel hands the
 * guest large segments (TUNSETOFFLOAD, set from the features the driver
 * accepted; none until then). The header is little endian, as virtio 1.x
 * wants, on the little-endian hosts armvm runs on.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include "lib/util.h"
#include "virtio/net_backend.h"

struct net_backend *net_tap_create(const char *ifname)
{
	int hdr_size = VIRTIO_NET_HDR_BYTES;
	bool vnet_hdr = true;
	struct ifreq ifr;
	int fd, r;

	if (!ifname || !*ifname) {
		pr_err("tap: no interface name given");
		return NULL;
	}
	if (strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/')) {
		pr_err("%s: not a valid network interface name (1 to %d "
		       "characters, no '/')",
		       ifname, IFNAMSIZ - 1);
		return NULL;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		pr_err("%s: cannot open /dev/net/tun: %s", ifname,
		       strerror(errno));
		return NULL;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	r = ioctl(fd, TUNSETIFF, &ifr);
	if (r < 0 && errno == EINVAL) {
		/* A kernel or interface without IFF_VNET_HDR: no offloads. */
		vnet_hdr = false;
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		r = ioctl(fd, TUNSETIFF, &ifr);
	}
	if (r < 0) {
		int err = errno;

		if (err == EPERM)
			pr_err("%s: cannot attach: %s (needs CAP_NET_ADMIN, "
			       "or a TAP interface owned by this user: ip "
			       "tuntap add %s mode tap user $USER)",
			       ifname, strerror(err), ifname);
		else if (err == EBUSY)
			pr_err("%s: cannot attach: %s (in use by another "
			       "process?)",
			       ifname, strerror(err));
		else if (err == EINVAL)
			pr_err("%s: cannot attach: %s (a TUN, not a TAP, "
			       "interface?)",
			       ifname, strerror(err));
		else
			pr_err("%s: cannot attach: %s", ifname, strerror(err));
		close(fd);
		return NULL;
	}
	if (vnet_hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0) {
		pr_err("%s: cannot set the virtio-net header size: %s", ifname,
		       strerror(errno));
		close(fd);
		return NULL;
	}
	if (vnet_hdr)
		net_tap_set_offloads(fd, 0);
	return net_fd_backend_create(fd, ifname, vnet_hdr);
}
