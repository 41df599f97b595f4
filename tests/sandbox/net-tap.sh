#!/bin/sh
# Runs inside tools/sandbox: virtio-net on a TAP interface with checksum and
# TCP segmentation offloads (IFF_VNET_HDR). The guest (armvm.mode=agent)
# and this host move 4 MiB each way over tap0 with TCP; the data is checked,
# and tap0's counters show that whole 64 KiB segments crossed, not
# 1514-byte frames: the offloads were negotiated and used.
#   net-tap.sh PREFIX
. /root/lib.sh
prefix=$1
HOST_IP=198.51.100.1 GUEST_IP=198.51.100.2 # TEST-NET-2
stat_of() { cat /sys/class/net/tap0/statistics/$1; }

mkdir -p /tmp/www && head -c 4194304 /dev/urandom >/tmp/www/blob
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent"
# armvm runs as root here, so it creates tap0 (users attach to a TAP
# interface made beforehand with `ip tuntap add ... user $USER`).
agent_start /tmp/tap.log --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$cmdline" \
	--cpus 2 --memory 512M --net tap=tap0 ||
	{ fail "$prefix/boot" "the guest agent did not start" /tmp/tap.log; exit 0; }
ip addr add $HOST_IP/24 dev tap0 && ip link set tap0 up &&
	httpd -p $HOST_IP:8000 -h /tmp/www &&
	guest "ip addr add $GUEST_IP/24 dev eth0 && ip link set eth0 up" &&
	guest "for i in \$(seq 50); do ping -c 1 -W 1 $HOST_IP >/dev/null && exit 0; done; exit 1" &&
	pass "$prefix/link-up" || fail "$prefix/link-up" "no ping over tap0" /tmp/tap.log

# The driver accepted the offloads (features: a string of bits, bit 0 first).
guest 'for d in /sys/bus/virtio/devices/*; do [ "$(cat $d/device)" = 0x0001 ] && echo "GUEST-FEATURES $(cat $d/features)"; done'
features=$(tr -d '\r' </tmp/tap.log | sed -n 's/^GUEST-FEATURES //p' | tail -1)
bit() { echo "$features" | cut -c$(($1 + 1)); }
[ "$(bit 0)$(bit 1)$(bit 7)$(bit 11)" = 1111 ] && pass "$prefix/offloads-negotiated" ||
	fail "$prefix/offloads-negotiated" "virtio features $features (want CSUM, GUEST_CSUM, GUEST_TSO4, HOST_TSO4)"

# Host to guest: the host's TCP hands tap0 GSO segments (GUEST_TSO4).
p0=$(stat_of tx_packets) b0=$(stat_of tx_bytes)
guest "echo \"GUEST-GOT \$(wget -q -O - http://$HOST_IP:8000/blob | md5sum | cut -d' ' -f1)\""
p1=$(stat_of tx_packets) b1=$(stat_of tx_bytes)
want=$(md5sum </tmp/www/blob | cut -d' ' -f1)
tr -d '\r' </tmp/tap.log | grep -q "^GUEST-GOT $want" && pass "$prefix/host-to-guest-data" ||
	fail "$prefix/host-to-guest-data" "guest got $(grep GUEST-GOT /tmp/tap.log)" /tmp/tap.log
avg=$(((b1 - b0) / (p1 - p0 + 1)))
echo "# host to guest: $((p1 - p0)) frames, $((b1 - b0)) bytes, $avg bytes per frame"
[ $avg -gt 1514 ] && pass "$prefix/host-to-guest-segments" ||
	fail "$prefix/host-to-guest-segments" "$avg bytes per frame: no segmentation offload"

# Guest to host: the guest's TCP sends 64 KiB segments (HOST_TSO4).
guest "mkdir -p /tmp/gw && head -c 4194304 /dev/urandom >/tmp/gw/blob && echo \"GUEST-SUM \$(md5sum </tmp/gw/blob | cut -d' ' -f1)\" && httpd -p 8080 -h /tmp/gw"
p0=$(stat_of rx_packets) b0=$(stat_of rx_bytes)
have=$(wget -q -O - http://$GUEST_IP:8080/blob | md5sum | cut -d' ' -f1)
p1=$(stat_of rx_packets) b1=$(stat_of rx_bytes)
want=$(tr -d '\r' </tmp/tap.log | sed -n 's/^GUEST-SUM //p' | tail -1)
[ -n "$want" ] && [ "$want" = "$have" ] && pass "$prefix/guest-to-host-data" ||
	fail "$prefix/guest-to-host-data" "guest has $want, host got $have"
avg=$(((b1 - b0) / (p1 - p0 + 1)))
echo "# guest to host: $((p1 - p0)) frames, $((b1 - b0)) bytes, $avg bytes per frame"
[ $avg -gt 1514 ] && pass "$prefix/guest-to-host-segments" ||
	fail "$prefix/guest-to-host-segments" "$avg bytes per frame: no segmentation offload"

agent_stop
rc=$?
[ $rc = 0 ] && pass "$prefix/exit-0" || fail "$prefix/exit-0" "armvm exit $rc" /tmp/tap.log
