#!/usr/bin/env bash
# Unpack Debian's arm64 QEMU (qemu-system-aarch64, from qemu-system-arm:arm64)
# and its whole Depends closure into DIR, so that it runs in the sandbox host:
#
#   bench/qemu-arm64-rootfs.sh DIR
#   tools/sandbox --add DIR:/opt/qemu -- /opt/qemu/run-qemu ARGS...
#
# The .deb files are fetched with `apt-get download` (dpkg's arm64
# architecture, which tools/install-deps adds) and kept in
# ${ARMVM_CACHE:-${XDG_CACHE_HOME:-~/.cache}/armvm}/debs. Every package is
# unpacked with dpkg-deb -x (no maintainer scripts run); documentation is
# dropped to keep the sandbox's initramfs small.
#
# DIR/run-qemu runs QEMU through the ELF interpreter of the unpacked libc6,
# with its libraries first on the search path, so it never mixes with the
# sandbox's own (cross-toolchain) libc. It prints the QEMU package version as
# DIR/VERSION holds it with `run-qemu --package-version`.
set -euo pipefail
[ $# = 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
cache=${ARMVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/armvm}/debs
mkdir -p "$cache" "$dir"
top=qemu-system-arm:arm64

# The Depends (and Pre-Depends) closure, as apt resolves it for arm64. The
# output names arm64 packages "NAME:arm64", architecture-independent and
# build-machine ones plain "NAME", and virtual ones "<NAME>" (skipped).
closure() {
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$top" | grep -v '^ ' | grep -v '^<' | sort -u
}
names=$(closure)
if ! grep -qx "$top" <<<"$names" || ! apt-cache show "$top" >/dev/null 2>&1; then
	echo "qemu-arm64-rootfs: no candidate for $top; running apt-get update" >&2
	apt-get update -q >/dev/null
	names=$(closure)
fi

# Keep arm64 packages, and plain names only when the package is Architecture:
# all (the plain names of arch-specific packages are the build machine's own).
# One apt-cache call gives each candidate's file name, NAME_VERSION_ARCH.deb
# with the epoch's ':' written as %3a, as apt-get download saves it.
# shellcheck disable=SC2086 # one package name a word
files=$(apt-cache show --no-all-versions $names | awk '
	/^Package: / { p = $2 } /^Version: / { v = $2 } /^Architecture: / { a = $2 }
	/^$/ { if (a == "arm64" || a == "all") { sub(/:/, "%3a", v); print p "_" v "_" a ".deb" } p = v = a = "" }' | sort -u)
debs=()
fetch=()
for f in $files; do
	debs+=("$cache/$f")
	name=${f%%_*}
	[ "${f##*_}" = all.deb ] || name=$name:arm64
	[ -s "$cache/$f" ] || fetch+=("$name")
done
if [ ${#fetch[@]} -gt 0 ]; then
	echo "qemu-arm64-rootfs: downloading ${#fetch[@]} packages into $cache" >&2
	(cd "$cache" && apt-get download -q "${fetch[@]}" >/dev/null)
fi

# Unpack into a fresh DIR.
find "$dir" -mindepth 1 -delete
for f in "${debs[@]}"; do
	[ -s "$f" ] || { echo "qemu-arm64-rootfs: $f missing after download" >&2; exit 1; }
	dpkg-deb -x "$f" "$dir"
done
# Not needed to run qemu-system-aarch64: documentation, iconv modules, the
# other emulators qemu-system-arm:arm64 ships.
rm -rf "$dir"/usr/share/{doc,man,info,locale,lintian,bug} "$dir"/usr/lib/aarch64-linux-gnu/gconv
find "$dir/usr/bin" -name 'qemu-system-*' ! -name qemu-system-aarch64 -delete

# Debian's libc6 ships lib/ld-linux-aarch64.so.1 as an absolute symlink,
# which would resolve to the sandbox's own loader; use the real file.
ld=$dir/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1
[ -e "$ld" ] || ld=$dir/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1
[ -e "$ld" ] || { echo "qemu-arm64-rootfs: no ld-linux-aarch64.so.1 in $dir" >&2; exit 1; }
qver=$(dpkg-deb -f "$(printf '%s\n' "${debs[@]}" | grep '/qemu-system-arm_')" Version)
echo "qemu-system-arm:arm64 $qver" >"$dir/VERSION"

# The launcher, for a DIR placed at /opt/qemu (or wherever it is: it finds
# itself). -L points QEMU at its data files (firmware ROMs, keymaps).
cat >"$dir/run-qemu" <<'EOF'
#!/bin/sh
# qemu-system-aarch64 from Debian's arm64 packages, unpacked next to this
# script by bench/qemu-arm64-rootfs.sh; run with its own libc and libraries.
d=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --package-version ]; then cat "$d/VERSION"; exit 0; fi
libs=$d/lib/aarch64-linux-gnu:$d/usr/lib/aarch64-linux-gnu
ld=$d/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1
[ -e "$ld" ] || ld=$d/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1
exec "$ld" --library-path "$libs" "$d/usr/bin/qemu-system-aarch64" -L "$d/usr/share/qemu" "$@"
EOF
chmod 755 "$dir/run-qemu"
echo "qemu-arm64-rootfs: $(cat "$dir/VERSION"), ${#debs[@]} packages, $(du -sh "$dir" | cut -f1) in $dir" >&2
