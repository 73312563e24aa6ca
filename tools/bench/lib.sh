# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers of the guest sides of tools/bench (busybox sh), sourced after
# selftests/lib/vaio.sh.

# rotate N WORD...: the words, rotated left N times (the order of the
# configurations in repeat N).
rotate() {
	local n="$1"
	shift
	n=$((n % $#))
	while [ "$n" -gt 0 ]; do
		set -- "$@" "$1"
		shift
		n=$((n - 1))
	done
	echo "$*"
}

# dm_gone [DEV...]: removes each device (by default $DM) that is there,
# retrying while it is busy; exits the run if one cannot go.
dm_gone() {
	local d i
	[ $# -gt 0 ] || set -- "$DM"
	for d in "$@"; do
		dmsetup info "$d" >/dev/null 2>&1 || continue
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ "$i" -gt 1 ] && sleep 0.5
			dmsetup remove "$d" 2>/dev/null && continue 2
		done
		echo "bench: FAIL: cannot remove $d"
		dmsetup info "$d"
		exit 1
	done
	return 0
}
