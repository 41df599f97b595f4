# Kernel modules for an initramfs: the modules named and what they depend on
# (read from each .ko's modinfo "depends=", since Debian's package ships no
# modules.dep), copied under ROOT/lib/modules/VERSION with a small
# modules.dep so busybox modprobe works. Sourced by tools/sandbox and
# tests/guest/mkinitramfs (bash).
#
#   collect_modules MODULE_DIR ROOT NAME...
# prints the load order, one path (as seen from ROOT) a line; fails with a
# message on stderr for a module that neither exists nor is built in.
collect_modules() {
	local mdir=$1 root=$2 kver f n
	shift 2
	kver=$(basename "$mdir")
	local -A ko_path=() ko_done=()
	local -a order=()
	# Expansions, not basename: one fork per module (~4,000) took most
	# of a minute on a loaded machine, at every sandbox boot.
	while IFS= read -r f; do
		n=${f##*/} n=${n%.ko}
		ko_path[${n//-/_}]=${f#"$mdir"/}
	done < <(find "$mdir/kernel" -name '*.ko')
	_collect_one() { # NAME
		local n=${1//-/_} dep deps
		[ -z "${ko_done[$n]:-}" ] || return 0
		ko_done[$n]=1
		if [ -z "${ko_path[$n]:-}" ]; then
			grep -q "/$1.ko\$\|/${n}.ko\$" "$mdir/modules.builtin" 2>/dev/null && return 0
			echo "no kernel module named '$1' in $mdir" >&2
			return 1
		fi
		deps=$(tr '\0' '\n' <"$mdir/${ko_path[$n]}" | sed -n 's/^depends=//p' | tr ',' ' ')
		for dep in $deps; do _collect_one "$dep" || return 1; done
		mkdir -p "$root/lib/modules/$kver/$(dirname "${ko_path[$n]}")"
		cp "$mdir/${ko_path[$n]}" "$root/lib/modules/$kver/${ko_path[$n]}"
		echo "${ko_path[$n]}: $(for dep in $deps; do printf '%s ' "${ko_path[${dep//-/_}]:-}"; done)" |
			sed 's/ *$//' >>"$root/lib/modules/$kver/modules.dep"
		order+=("/lib/modules/$kver/${ko_path[$n]}")
	}
	mkdir -p "$root/lib/modules/$kver"
	for n in "$@"; do _collect_one "$n" || return 1; done
	touch "$root/lib/modules/$kver/modules.dep"
	cp "$mdir"/modules.builtin "$mdir"/modules.order "$root/lib/modules/$kver/" 2>/dev/null || true
	[ ${#order[@]} = 0 ] || printf '%s\n' "${order[@]}"
}
