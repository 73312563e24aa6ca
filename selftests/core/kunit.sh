#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="KUnit suites of dm-vaio's pure logic pass (kernels with KUnit: make check-debug)"
TIMEOUT=120
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
ktap_match "all 7 cases passed" "$(grep -c '^ *ok [0-9]* vaio_test_' $r)" '^7$'
ktap_check "module unloads" rmmod dm-vaio
ktap_finish
