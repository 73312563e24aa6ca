#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="the device under vaio fails I/O (fail_make_request): clean errors up through the filters, recovery after"
TIMEOUT=300
BATCH=no             # fault injection's knobs outlive the test
DEBUG_LANE=ci
KCONFIG="CONFIG_FAIL_MAKE_REQUEST CONFIG_FAULT_INJECTION_DEBUG_FS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

F=/sys/kernel/debug/fail_make_request
if [ ! -d $F ]; then
	ktap_skip "fail_make_request" "this kernel has no fault injection; make check-debug runs this"
	ktap_finish
fi
brd_setup 32
size=$(dev_sectors /dev/ram0)
ktap_check "vaio with two filters" dm_create fm \
	"0 $size vaio /dev/ram0 9 filter test-qos fail_open 1 mode=defer filter test-replication fail_closed 0"
ktap_check "data written before the fault" fio_verify /dev/mapper/fm --size=8m --randseed=1

echo 0 >$F/verbose
echo 100 >$F/probability
echo -1 >$F/times
echo 0 >$F/space
echo 1 >/sys/block/ram0/make-it-fail
ktap_fails "writes fail while the device fails" \
	dd if=/dev/zero of=/dev/mapper/fm bs=4k seek=4096 count=1 oflag=direct
ktap_fails "reads fail while the device fails" \
	dd if=/dev/mapper/fm of=/dev/null bs=4k count=1 iflag=direct
echo 0 >/sys/block/ram0/make-it-fail
echo 0 >$F/times

ktap_match "the errors are counted" "$(vaio_stat fm errors)" '^[1-9]'
ktap_eq "every bio a filter mapped came back to it" \
	"$(vaio_filter_get fm test-replication end_ios)" "$(vaio_filter_get fm test-replication maps)"
ktap_eq "device errors are not filter failures" "$(vaio_filter_state fm test-replication)" active
ktap_check "after the fault: the earlier data is intact" \
	fio_verify /dev/mapper/fm --size=8m --randseed=1 --verify_only
ktap_check "after the fault: new writes verify" \
	fio_verify /dev/mapper/fm --offset=16m --size=8m
dm_remove fm
ktap_finish
