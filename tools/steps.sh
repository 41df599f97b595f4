# Named steps for the README's commands (tools/demo, tools/test,
# tools/fresh-check), sourced by them (bash). A failing step says which step
# failed, with its exit status, right below the failing tool's own last
# lines: never a silent exit.
#
#   step NAME CMD...        run CMD, its output shown as it comes
#   quiet_step NAME CMD...  run CMD, its output shown only when it fails
step() {
	local name=$1 rc=0
	shift
	"$@" || rc=$?
	[ $rc = 0 ] || step_failed "$name" $rc ""
}
quiet_step() {
	local name=$1 rc=0 log
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1 || rc=$?
	[ $rc = 0 ] || step_failed "$name" $rc "$log"
	rm -f "$log"
}
step_failed() { # NAME STATUS [LOG]
	if [ -n "$3" ]; then
		echo "${0##*/}: the last lines of '$1':" >&2
		grep -v '^$' "$3" | tail -n 20 | sed 's/^/  /' >&2
		rm -f "$3"
	fi
	echo "${0##*/}: $1 failed (exit status $2)" >&2
	exit 1
}
