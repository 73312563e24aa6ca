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

# dm_gone: removes the device $DM if it is there, retrying while it is
# busy; exits the run if it cannot.
dm_gone() {
	local i
	dmsetup info "$DM" >/dev/null 2>&1 || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$i" -gt 1 ] && sleep 0.5
		dmsetup remove "$DM" 2>/dev/null && return 0
	done
	echo "bench: FAIL: cannot remove $DM"
	dmsetup info "$DM"
	exit 1
}
