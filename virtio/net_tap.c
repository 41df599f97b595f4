// SPDX-License-Identifier: GPL-2.0
/*
 * The TAP backend of virtio-net: an existing (or, with CAP_NET_ADMIN, new)
 * TAP interface opened through /dev/net/tun with IFF_TAP | IFF_NO_PI. No
 * IFF_VNET_HDR: the device offers no checksum or segmentation offload, so
 * the kernel never has to hand us partial checksums or GSO frames, and the
 * frames are plain Ethernet both ways (the fd backend in net.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include "lib/util.h"
#include "virtio/net.h"

struct net_backend *net_tap_create(const char *ifname)
{
	struct ifreq ifr;
	int fd;

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
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
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
	return net_fd_backend_create(fd, ifname);
}
