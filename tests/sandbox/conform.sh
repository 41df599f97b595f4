#!/bin/sh
# armvm conform on armvm, inside the sandbox host (tests/suites/62-conform).
#   conform.sh NAME JOB...
# Jobs:
#   aarch64       a whole run (the UEFI app, then Linux) of the payload in
#                 /root/conform-aarch64 (tests/conform/payload.sh): every
#                 must passes, the runs end, and no check FAILs
#   arm           the same for an aarch32 guest (/root/conform-arm:
#                 Debian's armmp-lpae kernel and the armhf program)
#   faults        the UEFI part alone, once with each planted fault of
#                 armvm run --test-fault: the matching check FAILs
# Each run's table is printed (lines starting with '# '), for the record.
# A whole run's device tree, as the firmware handed it over (fdt.dtb), is
# printed too, base64 in "DTB NAME/ARCH LINE" lines: the suite validates
# it on the build machine (dt-validate runs there, not here).
. /root/lib.sh
name=$1
shift
VMM='{armvm} run --disk {disk} --vars {vars} --memory 512M --cpus 2'

# conform LABEL DIR VMM-EXTRA [ARGS...]: one armvm conform in DIR; its
# table in /tmp/LABEL.table, its exit status in $rc.
conform() {
	_label=$1 _dir=$2 _extra=$3
	shift 3
	_t0=$(date +%s)
	(cd "$_dir" && armvm conform "$@" --dir "/tmp/$_label" \
		--vmm "$VMM $_extra") >"/tmp/$_label.table" 2>"/tmp/$_label.err"
	rc=$?
	echo "# $name/$_label: armvm conform exit status $rc after $(($(date +%s) - _t0)) s"
	sed 's/^/# /' "/tmp/$_label.table"
}

# result LABEL ID: the RESULT column of check ID in LABEL's table.
result() { awk -v id="$2" '$3 == id { print $4 }' "/tmp/$1.table"; }

# run_logs LABEL: what the VM printed, for a failure's diagnosis.
run_logs() {
	for f in /tmp/$1/run1.log /tmp/$1/run2.log; do
		[ -f "$f" ] && tail -n 25 "$f" | sed "s|^|    $f: |"
	done
	sed 's/^/    stderr: /' "/tmp/$1.err"
}

whole_run() { # ARCH
	_d=/root/conform-$1 _ids="conform.uefi-run uefi.nv-persists-restart"
	_ids="$_ids conform.linux-run linux.efivars linux.cpu-hotplug linux.console-hvc linux.timer-irq"
	# A virtio-console too, so that linux.console-hvc has one. The
	# armhf kernel panics now and then in this nested host, whatever the
	# VMM (docs/sandbox.md; guest_panicked in lib.sh, as aarch32.sh):
	# a run whose Linux part panicked is shown and retried, at most
	# twice, each with a RETRY: line that tests/run counts.
	_try=0
	while :; do
		conform "$1" "$_d" "--virtio-console pty" --arch "$1" --timeout 300 $(cat "$_d/args")
		[ "$rc" != 0 ] && [ $_try -lt 2 ] && [ -f "/tmp/$1/run2.log" ] &&
			guest_panicked "$name/$1" "/tmp/$1/run2.log" || break
		_try=$((_try + 1))
	done
	if [ "$rc" = 0 ]; then pass "$name/$1/musts-pass"; else
		fail "$name/$1/musts-pass" "armvm conform exited $rc"; run_logs "$1"; fi
	if [ -s "/tmp/$1/fdt.dtb" ]; then
		base64 "/tmp/$1/fdt.dtb" | sed "s|^|DTB $name/$1 |"
	else
		fail "$name/$1/fdt-saved" "no /tmp/$1/fdt.dtb: $(result "$1" conform.dt-schema)"
	fi
	_fails=$(awk '$4 == "FAIL" { print $3 }' "/tmp/$1.table" | tr '\n' ' ')
	[ -z "$_fails" ] && pass "$name/$1/no-fail" ||
		fail "$name/$1/no-fail" "FAIL: $_fails"
	for id in $_ids; do
		r=$(result "$1" $id)
		[ "$r" = PASS ] && pass "$name/$1/$id" ||
			fail "$name/$1/$id" "result '${r:-none}', expected PASS"
	done
}

# fault NAME TIMEOUT WITH-LINUX ID...: a run with --test-fault NAME (the
# UEFI part alone unless WITH-LINUX is yes); each ID FAILs.
fault() {
	_f=$1 _t=$2 _linux=$3
	shift 3
	if [ "$_linux" = yes ]; then
		conform "fault-$_f" /root/conform-aarch64 "--test-fault $_f" \
			--timeout "$_t" $(cat /root/conform-aarch64/args)
	else
		conform "fault-$_f" /root/conform-aarch64 "--test-fault $_f" \
			--timeout "$_t" --efi efi
	fi
	for id in "$@"; do
		r=$(result "fault-$_f" "$id")
		[ "$r" = FAIL ] && pass "$name/fault-$_f/$id" || {
			fail "$name/fault-$_f/$id" "result '${r:-none}', expected FAIL"
			run_logs "fault-$_f"
		}
	done
}

for job in "$@"; do
	case $job in
	aarch64 | arm) whole_run "$job" ;;
	faults)
		# No pl031: the firmware's GetTime fails, and Linux has no
		# rtc-efi.
		fault no-rtc 300 yes uefi.gettime linux.rtc-efi
		# Without a timer node Debian's AAVMF never reaches the app
		# (its timer driver needs the node): the run itself fails.
		fault no-timer-node 60 no conform.uefi-run
		run_logs fault-no-timer-node | tail -n 12
		fault volatile-vars 300 no uefi.nv-persists-restart
		# Only the restart lost it: within the run, the store held.
		r=$(result fault-volatile-vars uefi.nv-persists-reset)
		[ "$r" = PASS ] && pass "$name/fault-volatile-vars/reset-still-persists" ||
			fail "$name/fault-volatile-vars/reset-still-persists" "result '${r:-none}', expected PASS"
		;;
	*) fail "$name/$job" "unknown job" ;;
	esac
done
