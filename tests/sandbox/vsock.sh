#!/bin/sh
# Runs inside tools/sandbox: virtio-vsock through armvm's UNIX-socket bridge
# (issue 12), with a real Linux guest (its vmw_vsock_virtio_transport) and
# /root/vsock-echo (tests/guest/vsock-echo.c) at both ends: the guest's
# /bin/vsock-echo on AF_VSOCK, this host's on the bridge's sockets.
#   vsock.sh PREFIX
. /root/lib.sh
prefix=$1
V=/tmp/v.sock
ECHO=/root/vsock-echo
cmdline="console=ttyAMA0 quiet armvm.cpus=2 armvm.mem=536870912 armvm.mode=agent"
rm -f $V ${V}_*
agent_start /tmp/vs.log --kernel "$KERNEL" --initrd "$INITRD" --cmdline "$cmdline" \
	--cpus 2 --memory 512M --vsock cid=7,path=$V ||
	{ fail "$prefix/boot" "the guest agent did not start" /tmp/vs.log; exit 0; }

# Host to guest: an echo service in the guest, a host program through PATH.
guest 'vsock-echo listen 5000 1 >/tmp/listen.log 2>&1 & for i in $(seq 50); do grep -q VSOCK-LISTENING /tmp/listen.log && break; sleep 0.1; done'
timeout 30 $ECHO unix-connect $V 5000 host-to-guest >/tmp/hg.out 2>&1
grep -q "^VSOCK-OK " /tmp/hg.out && grep -q "host-to-guest" /tmp/hg.out &&
	pass "$prefix/host-to-guest" || fail "$prefix/host-to-guest" "$(tr '\n' '|' </tmp/hg.out)" /tmp/vs.log
# A guest port nobody listens on: closed without an OK line.
timeout 40 $ECHO unix-connect $V 5001 nobody >/tmp/hn.out 2>&1
rc=$?
[ $rc = 1 ] && grep -q "VSOCK-CONNECT-FAILED" /tmp/hn.out &&
	pass "$prefix/host-to-closed-port" || fail "$prefix/host-to-closed-port" "exit $rc: $(tr '\n' '|' </tmp/hn.out)" /tmp/vs.log

# Guest to host: PATH_6000 is this host's echo service.
$ECHO unix-listen ${V}_6000 >/tmp/hl.out 2>&1 &
lpid=$!
for i in $(seq 50); do [ -S ${V}_6000 ] && break; sleep 0.1; done
guest 'vsock-echo connect 2 6000 guest-to-host >/tmp/gh.out 2>&1; echo "GUEST-GH $(tr "\n" "|" </tmp/gh.out)"'
grep -q "GUEST-GH.*guest-to-host" /tmp/vs.log && pass "$prefix/guest-to-host" ||
	fail "$prefix/guest-to-host" "$(grep GUEST-GH /tmp/vs.log)" /tmp/vs.log
kill $lpid 2>/dev/null
# A host port nobody listens on: the guest's connect fails at once.
guest 'vsock-echo connect 2 6001 nobody >/tmp/gn.out 2>&1; echo "GUEST-GN $? $(tr "\n" "|" </tmp/gn.out)"'
grep -q "GUEST-GN 1 .*VSOCK-CONNECT-FAILED" /tmp/vs.log && pass "$prefix/guest-to-closed-port" ||
	fail "$prefix/guest-to-closed-port" "$(grep GUEST-GN /tmp/vs.log)" /tmp/vs.log

agent_stop
rc=$?
[ $rc = 0 ] && pass "$prefix/powerdown" || fail "$prefix/powerdown" "armvm exit $rc" /tmp/vs.log
exit 0
