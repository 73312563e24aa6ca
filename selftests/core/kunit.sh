#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="KUnit suites of dm-vaio's pure logic pass (kernels with KUnit: make check-debug)"
TIMEOUT=120
DEBUG_LANE=ci
KCONFIG="CONFIG_KUNIT CONFIG_KUNIT_DEBUGFS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

k=/sys/kernel/debug/kunit
modprobe dm-vaio
if [ ! -d $k ]; then
	ktap_skip "KUnit suites" "this kernel has no KUnit; make check-debug runs them"
	ktap_finish
fi
r=$k/dm-vaio-core/results
ktap_check "suite dm-vaio-core ran at module load" grep -q "dm-vaio-core" $r
sed 's/^/# /' $r
ktap_fails "no case failed" grep -q 'not ok' $r
# As many passed as the suite's plan announces, and at least the 9 known.
plan=$(sed -n 's/^ *1\.\.\([0-9]*\)$/\1/p' $r | tail -n 1)
ktap_match "the suite plans at least 12 cases ($plan)" "$plan" '^(1[2-9]|[2-9][0-9]|[1-9][0-9]{2,})$'
ktap_eq "all $plan cases passed" "$(grep -c '^ *ok [0-9]* vaio_test_' $r)" "$plan"
ktap_check "module unloads" rmmod dm-vaio
ktap_finish
