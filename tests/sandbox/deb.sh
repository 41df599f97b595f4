#!/bin/sh
# Runs inside tools/sandbox: armvm's arm64 Debian package, installed with
# dpkg instead of the binary tools/sandbox copies in (issue 16). Install,
# the package's status and files (each as the package's md5sums has it),
# the installed /usr/bin/armvm's --version, a boot of the test guest with
# it (as vm-boot.sh boots it), then removal.
#   deb.sh PREFIX DEB VERSION
# dpkg is busybox's applet, which checks the package's Depends against
# /var/lib/dpkg/status: the host starts with one naming the library
# packages whose libraries it carries (tests/suites/52-deb writes it), so
# a Depends the host cannot meet fails the install. That dpkg has no -s or
# -L: their answers are read where they keep them (the status file, the
# package's .list file), or from them when the dpkg here has them.
. /root/lib.sh
prefix=$1 deb=$2 version=$3
log=/tmp/deb.log

# The armvm tools/sandbox put at /usr/bin/armvm goes first: from here on,
# any armvm there is the package's.
rm -f /usr/bin/armvm
if command -v armvm >/dev/null 2>&1; then
	fail "$prefix/setup" "an armvm is still on PATH after removing /usr/bin/armvm: $(command -v armvm)"
	exit 1
fi
if [ ! -f /var/lib/dpkg/status ] || [ ! -f "$deb" ]; then
	fail "$prefix/setup" "missing /var/lib/dpkg/status or $deb"
	exit 1
fi
mkdir -p /var/lib/dpkg/info /var/lib/dpkg/updates

# dpkg -i.
if dpkg -i "$deb" >$log 2>&1; then
	pass "$prefix/install"
else
	fail "$prefix/install" "dpkg -i $deb exited $?" $log
	exit 1
fi

# dpkg -s armvm: installed, this version.
if dpkg -s armvm >/tmp/deb-status 2>/dev/null; then :; else
	sed -n '/^Package: armvm$/,/^$/p' /var/lib/dpkg/status >/tmp/deb-status
fi
if grep -qx 'Status: install ok installed' /tmp/deb-status &&
	grep -qx "Version: $version" /tmp/deb-status; then
	pass "$prefix/status"
else
	fail "$prefix/status" "armvm is not 'install ok installed' at version $version" /tmp/deb-status
fi

# dpkg -L armvm: the package's files are listed, and each is on disk as
# the package's md5sums has it.
if dpkg -L armvm >/tmp/deb-list 2>/dev/null; then :; else
	cat /var/lib/dpkg/info/armvm.list >/tmp/deb-list 2>/dev/null
fi
missing=""
for f in /usr/bin/armvm /usr/share/man/man1/armvm.1.gz /usr/share/man/man1/armvm-run.1.gz \
	/usr/share/bash-completion/completions/armvm /usr/share/doc/armvm/copyright; do
	grep -q "^\.\{0,1\}$f\$" /tmp/deb-list && [ -f "$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	fail "$prefix/files" "not listed or not installed:$missing" /tmp/deb-list
elif ! (cd / && md5sum -c /var/lib/dpkg/info/armvm.md5sums) >$log 2>&1; then
	fail "$prefix/files" "installed files differ from the package's md5sums" $log
else
	pass "$prefix/files"
fi

# The installed armvm, and no other, runs.
out=$(/usr/bin/armvm --version 2>&1)
rc=$?
if [ $rc = 0 ] && [ "$(command -v armvm)" = /usr/bin/armvm ] &&
	echo "$out" | grep -q "^armvm $version "; then
	pass "$prefix/version"
else
	fail "$prefix/version" "/usr/bin/armvm --version exit $rc: '$out'; armvm on PATH: $(command -v armvm)"
fi

# A guest boots with it (lib.sh runs `armvm`: the package's, checked above).
boot_and_check "$prefix/boot-2cpu" 2 512M

# dpkg -r: gone again.
if dpkg -r armvm >$log 2>&1; then
	left=""
	for f in /usr/bin/armvm /usr/share/man/man1/armvm.1.gz /usr/share/bash-completion/completions/armvm; do
		[ ! -e "$f" ] || left="$left $f"
	done
	if dpkg -s armvm >/tmp/deb-status 2>/dev/null; then :; else
		sed -n '/^Package: armvm$/,/^$/p' /var/lib/dpkg/status >/tmp/deb-status
	fi
	if [ -n "$left" ]; then
		fail "$prefix/remove" "still there after dpkg -r:$left" $log
	elif grep -qx 'Status: install ok installed' /tmp/deb-status; then
		fail "$prefix/remove" "dpkg still has armvm installed" /tmp/deb-status
	else
		pass "$prefix/remove"
	fi
else
	fail "$prefix/remove" "dpkg -r armvm exited $?" $log
fi
