#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a filter that reports a failure from its dtr leaves no work on the freed target (KASAN in the debug lane); one reported from its ctr raises the disk's event once the table is live"
TIMEOUT=300
# Without KASAN a use after free may pass unseen: the debug lane is the oracle.
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# dtr_error=1: test-qos reports a failure from its ->dtr(), as replication's
# teardown does. Before the fix the report queued the target's event work
# after vaio_free() had cancelled it; the work then ran on the freed target.
brd_setup 64
size=$(dev_sectors /dev/ram0)
QOS="filter test-qos fail_open 1 dtr_error=1"
CACHE="filter test-cache fail_closed 1 dtr_error=1"
TEARDOWN="failure injected at teardown"

# Reports since the last dmesg -c naming $TEARDOWN.
teardown_reports() { dmesg -c | grep -c "$TEARDOWN"; }

dmesg -c >/dev/null

# Removal: the last table's dtr, after the disk's detach. (Three times: the
# core logs a failure at most 10 times in 5 seconds, and the counts below
# must stay under that.)
ok=0
for i in 1 2 3; do
	dm_create de "0 $size vaio /dev/ram0 10 $QOS $CACHE" || break
	dd if=/dev/urandom of=/dev/mapper/de bs=64k count=16 oflag=direct 2>/dev/null || break
	dm_remove de || break
	ok=$i
done
ktap_eq "3 disks created, written and removed" "$ok" 3
ktap_eq "each removal reported both filters' teardown failures" \
	"$(teardown_reports)" 6

# Reload: the old table's dtr, while the disk lives on in the new one.
dm_create de "0 $size vaio /dev/ram0 10 $QOS $CACHE"
ktap_check "data through the first table" fio_verify /dev/mapper/de --size=16m --randseed=1
ktap_check "reload with a plain test-qos" vaio_reload de "0 $size vaio /dev/ram0 4 filter test-qos fail_open 0"
ktap_eq "the old table's dtr reported twice" "$(teardown_reports)" 2
ktap_eq "the new table's test-qos is active" "$(vaio_filter_state de test-qos)" active
ktap_check "the data reads back through the new table" fio_verify /dev/mapper/de \
	--size=16m --randseed=1 --rw=read --verify_only
ktap_check "the disk is removed" dm_remove de

# A table load that fails: the filters built so far are destroyed in ctr
# (test-cache refuses ms= without mode=delay, after test-qos was built).
ktap_fails "a load failing after a dtr_error filter" sh -c \
	"echo '0 $size vaio /dev/ram0 10 $QOS filter test-cache fail_open 1 ms=5' |
	 dmsetup create bad"
ktap_eq "the failed load's test-qos reported once" "$(teardown_reports)" 1
ktap_check "no device left behind" sh -c '! dmsetup info bad >/dev/null 2>&1'
dmsetup remove bad 2>/dev/null

# ctr_error=1: a failure reported while the table is being built. Its event
# waits for the resume: raised on the unbound table it was lost (dm's event
# number stayed 0), and the work could walk a half-built chain.
evnr() { dmsetup info "$1" | sed -n 's/^Event number: *//p'; }
ktap_check "a table whose test-qos fails in its ctr" dm_create ce \
	"0 $size vaio /dev/ram0 5 filter test-qos fail_open 1 ctr_error=1"
ktap_eq "the filter is bypassed" "$(vaio_filter_state ce test-qos)" bypassed
n=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	n=$(evnr ce)
	[ "$n" -ge 1 ] && break
	sleep 0.2
done
ktap_match "the failure raised the disk's dm event ($n)" "$n" '^[1-9]'
ktap_check "fio verify through the bypassed filter" fio_verify /dev/mapper/ce --size=8m
ktap_check "the disk is removed" dm_remove ce
dmesg -c >/dev/null

# Work queued on a freed target would run about now, or at module unload.
sleep 2
ktap_check "dm-vaio-test unloads" rmmod dm-vaio-test
ktap_check "dm-vaio unloads" rmmod dm-vaio
ktap_eq "no kernel warning" \
	"$(dmesg | grep -E 'BUG|WARNING|Oops|Call Trace|ODEBUG|KASAN')" ""
ktap_finish
