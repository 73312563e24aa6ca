# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# KTAP output for shell selftests (Documentation/dev-tools/ktap.rst).
#
#   . "$(dirname "$0")/../lib/ktap.sh"
#   ktap_plan 3
#   ktap_check "module loads" modprobe dm-vaio
#   ktap_eq "table round-trips" "$(dmsetup table d0)" "$expected"
#   ktap_finish
#
# Exit status follows kselftest: 0 all passed, 1 any failed, 4 all skipped.

KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0
KTAP_N=0

echo "KTAP version 1"

KTAP_PLANNED=0
KTAP_PLAN=0

# The plan may come first (ktap_plan N) or is printed by ktap_finish.
ktap_plan() { echo "1..$1"; KTAP_PLANNED=1; KTAP_PLAN=$1; }
ktap_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# vaio-test --env KTAP_TIME=1: each result is preceded by the guest's
# uptime, to see where a test spends its time.
ktap_time() {
	[ "${VAIO_KTAP_TIME:-0}" = 1 ] || return 0
	echo "# uptime $(cut -d' ' -f1 /proc/uptime)"
}

ktap_ok() {
	KTAP_N=$((KTAP_N + 1)); KTAP_PASS=$((KTAP_PASS + 1))
	ktap_time
	echo "ok $KTAP_N $1"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1)); KTAP_FAIL=$((KTAP_FAIL + 1))
	ktap_time
	echo "not ok $KTAP_N $1"
}

# ktap_skip DESC REASON: only for an optional feature that is missing.
ktap_skip() {
	KTAP_N=$((KTAP_N + 1)); KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $1 # SKIP $2"
}

# ktap_check DESC CMD...: ok when CMD exits 0; its output is shown otherwise.
ktap_check() {
	local desc="$1" out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" = 0 ]; then
		ktap_ok "$desc"
	else
		ktap_diag "$*: exit $rc" "$out"
		ktap_fail "$desc"
	fi
}

# ktap_fails DESC CMD...: ok when CMD exits non-zero (bad input is refused).
ktap_fails() {
	local desc="$1" out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if [ "$rc" != 0 ]; then
		ktap_ok "$desc"
	else
		ktap_diag "$*: succeeded but should have failed" "$out"
		ktap_fail "$desc"
	fi
}

# ktap_eq DESC ACTUAL EXPECTED
ktap_eq() {
	if [ "$2" = "$3" ]; then
		ktap_ok "$1"
	else
		ktap_diag "expected: $3" "actual:   $2"
		ktap_fail "$1"
	fi
}

# ktap_match DESC TEXT REGEX (grep -E)
ktap_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ktap_ok "$1"
	else
		ktap_diag "expected to match: $3" "actual: $2"
		ktap_fail "$1"
	fi
}

# A test that checked nothing, or not what it planned, fails: it cannot
# pass by accident (a loop that ran no time, an early exit 0 before).
ktap_finish() {
	[ "$KTAP_PLANNED" = 1 ] || echo "1..$KTAP_N"
	echo "# totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	if [ "$KTAP_N" = 0 ]; then
		echo "# no test point: a test that checks nothing fails"
		exit 1
	fi
	if [ "$KTAP_PLANNED" = 1 ] && [ "$KTAP_PLAN" != "$KTAP_N" ]; then
		echo "# planned $KTAP_PLAN test points, ran $KTAP_N"
		exit 1
	fi
	[ "$KTAP_FAIL" = 0 ] || exit 1
	[ "$KTAP_PASS" = 0 ] && [ "$KTAP_SKIP" != 0 ] && exit 4
	exit 0
}
