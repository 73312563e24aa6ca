#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="KUnit suite of the cache filter's index and replacement policy passes (kernels with KUnit: make check-debug)"
TIMEOUT=120
DEBUG_LANE=ci
KCONFIG="CONFIG_KUNIT CONFIG_KUNIT_DEBUGFS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

k=/sys/kernel/debug/kunit
modprobe dm-vaio-cache
if [ ! -d $k ]; then
	ktap_skip "KUnit suite" "this kernel has no KUnit; make check-debug runs it"
	ktap_finish
fi
r=$k/dm-vaio-cache/results
ktap_check "suite dm-vaio-cache ran at module load" test -f $r
sed 's/^/# /' $r
ktap_fails "no case failed" grep -q 'not ok' $r
plan=$(sed -n 's/^ *1\.\.\([0-9]*\)$/\1/p' $r | tail -n 1)
ktap_match "the suite plans at least 10 cases ($plan)" "$plan" '^[1-9][0-9]+$'
ktap_eq "all $plan cases passed" "$(grep -c '^ *ok [0-9]* cache_test_' $r)" "$plan"
ktap_check "module unloads" rmmod dm-vaio-cache
ktap_finish
