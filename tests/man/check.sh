#!/usr/bin/env bash
# The manual pages (man/*.scd, built by `make man` into build/man/) and the
# bash completion (completion/armvm) against the program:
#
#   man/options/CMD       the page lists exactly the options `armvm CMD
#                         --help` lists (short and long), naming any that
#                         is in one and not in the other
#   man/code/CMD          --help lists every long option the code's getopt
#                         table accepts, and no other
#   man/render/PAGE       man -l renders the page without a warning
#   man/detects-missing   the comparison itself fails a page with an
#                         option taken out (it can fail)
#   completion/...        completions of a few command lines, called as
#                         bash calls them (COMP_WORDS, COMP_CWORD)
#
# Needs build/$(uname -m)/armvm and build/man/ (tests/suites/15-docs
# makes both).
set -u
cd "$(dirname "$0")/../.." || exit 1
armvm=$PWD/build/$(uname -m | sed s/aarch64/arm64/)/armvm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

# armvm and each command (its page is armvm-CMD.1), and the sources of
# its getopt table (armvm's own options are compared by hand in main.c).
cmds=(armvm run image ctl instance ps conform)
declare -A code=([run]=vmm/config.c [image]="image/cli.c image/build.c"
	[ctl]=vmm/ctl.c [instance]=vmm/instance.c [ps]=vmm/ps.c
	[conform]=conform/host/conform.c)

[ -x "$armvm" ] || { fail man/setup "no $armvm (make)"; exit 1; }

# help_options CMD: the options `armvm CMD --help` defines, one a line,
# sorted: its definition lines are indented at most 6 spaces ("  -c,
# --cpus N", "      --no-rng"); deeper lines are descriptions.
help_options() {
	"$armvm" ${1:+"$1"} --help |
		grep -oE '^ {1,6}(-[A-Za-z], )?--[a-z][a-z0-9-]*' |
		grep -oE -- '--?[A-Za-z][a-z0-9-]*' | sort -u
}

# page_options PAGE.1: the options the page's OPTIONS section defines: its
# terms, the lines in bold that an indented (.RS) description follows.
page_options() {
	awk '/^\.SH / { opts = ($0 ~ /^\.SH "?OPTIONS"?$/) }
		opts && prev ~ /^\\fB-/ && /^\.RS/ { print prev }
		{ prev = $0 }' "$1" |
		grep -oE -- '\\fB--?[A-Za-z][a-z0-9-]*\\fR' |
		sed -e 's/^\\fB//' -e 's/\\fR$//' | sort -u
}

# compare NAME A B WHAT-A WHAT-B: PASS when the sorted lists A and B are
# the same, else FAIL naming what only one of them has.
compare() {
	local only_a only_b
	only_a=$(comm -23 "$2" "$3" | tr '\n' ' ')
	only_b=$(comm -13 "$2" "$3" | tr '\n' ' ')
	if [ -z "$only_a$only_b" ] && [ -s "$2" ]; then
		pass "$1"
	else
		fail "$1" "${only_a:+in $4, not in $5: $only_a}${only_a:+${only_b:+; }}${only_b:+in $5, not in $4: $only_b}$([ -s "$2" ] || echo "$4 lists no option")"
	fi
}

for name in "${cmds[@]}"; do
	c=${name#armvm}
	p=build/man/armvm${c:+-$c}.1
	if ! help_options "$c" >"$work/help" 2>"$work/err"; then
		fail "man/options/$name" "armvm $c --help failed: $(head -c 300 "$work/err")"
		continue
	fi
	if [ ! -f "$p" ]; then
		fail "man/options/$name" "no $p (make man)"
	else
		page_options "$p" >"$work/page"
		compare "man/options/$name" "$work/help" "$work/page" "armvm $c --help" "$p"
	fi
	# The getopt table's long options (the code) against --help's.
	[ -n "${code[$name]:-}" ] || continue
	# shellcheck disable=SC2086 # a list of files
	grep -ohE '\{"[a-z][a-z0-9-]*", *(no|required|optional)_argument' ${code[$name]} |
		sed -e 's/^{"\([^"]*\)".*/--\1/' | sort -u >"$work/code"
	grep -- '^--' "$work/help" >"$work/help-long"
	compare "man/code/$name" "$work/code" "$work/help-long" "${code[$name]}" "armvm $c --help"
done

# The comparison fails a page that lacks an option --help has (and names
# it): armvm-run.1 without its --no-rng.
if [ -f build/man/armvm-run.1 ]; then
	help_options run >"$work/help"
	sed -e '/^\\fB--no-rng\\fR$/,/^\.RE$/d' build/man/armvm-run.1 >"$work/planted.1"
	page_options "$work/planted.1" >"$work/page"
	out=$(compare planted "$work/help" "$work/page" help page)
	case $out in
	"FAIL: planted: in help, not in page: --no-rng ") pass man/detects-missing ;;
	*) fail man/detects-missing "an armvm-run.1 without --no-rng gave: $out" ;;
	esac
fi

# Each page renders without a warning (man --warnings: groff -ww).
for p in build/man/*.1; do
	[ -f "$p" ] || { fail man/render "no build/man/*.1 (make man)"; break; }
	n=$(basename "$p")
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc != 0 ] || [ -s "$work/err" ]; then
		fail "man/render/$n" "man -l exit $rc: $(head -c 400 "$work/err" | tr '\n' ' ')"
	elif ! grep -q '^NAME' "$work/out" || ! grep -q '^SYNOPSIS' "$work/out"; then
		fail "man/render/$n" "no NAME or SYNOPSIS section in what man shows"
	else
		pass "man/render/$n"
	fi
done

# --- bash completion -------------------------------------------------------
# complete WORDS...: what _armvm offers for the command line "armvm WORDS"
# with the cursor at the end of the last word, one a line, sorted (in a
# bash of its own, as a shell that sourced the file would have it).
complete_words() {
	ARMVM_INSTANCE_DIR=$work/instances bash -c '
		source completion/armvm || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		_armvm
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' complete "$armvm" "$@" 2>&1
}
# expect NAME WANT WORDS...: the completions are exactly WANT (words, any order).
expect() {
	local name=$1 want got
	# shellcheck disable=SC2086 # the words, split
	want=$(printf '%s\n' $2 | sort)
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then
		pass "completion/$name"
	else
		fail "completion/$name" "armvm $* <TAB> gave '$(tr '\n' ' ' <<<"$got")', want '$(tr '\n' ' ' <<<"$want")'"
	fi
}
mkdir -p "$work/instances/web" "$work/instances/db" "$work/instances/.hidden"
expect command run r
expect commands "run image ctl instance ps conform" ""
expect run-option --memory run --me
expect run-option-values "2 3 auto" run --cpus 2 --gic ""
expect run-option-value-after-equals "kill log off" run --seccomp = ""
expect run-instance "web db" run --disk x.img --instance ""
expect instance-command "create list show start stop delete" instance ""
expect instance-names "web" instance show w
expect instance-delete-names "web db" instance delete ""
expect instance-create-run-options "--memory" instance create new --me
expect instance-list-options "--names" instance list --n
expect ctl-instance "web" ctl we
expect image-command build image b
expect image-check-arch "aarch64 arm any" image check --arch ""
expect image-build-options-only-build "--no-check" image build --no-
expect ctl-command "balloon balloon-info balloon-stats" ctl /run/vm.sock ba
expect ctl-no-options-after-socket "" ctl /run/vm.sock status --r
expect conform-arch "aarch64 arm" conform --arch ""
# A file option completes file names (this script's own folder).
expect run-file-option tests/man run --kernel tests/ma
# Every option of run's --help is offered after "--".
help_options run | grep -- '^--' >"$work/help"
complete_words run -- >"$work/offered"
compare completion/run-all-options "$work/help" "$work/offered" "armvm run --help" "armvm run --<TAB>"
exit 0
