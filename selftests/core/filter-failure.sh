#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a failing filter: fail_open bypasses it, fail_closed errors its disk, a second disk never notices"
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 128 2
size=$(dev_sectors /dev/ram0)
dm_create d1 "0 $size vaio /dev/ram0 8 filter test-qos fail_open 0 filter test-cache fail_closed 0"
dm_create d2 "0 $size vaio /dev/ram1 4 filter test-qos fail_open 0"

# The neighbour writes and verifies throughout.
fio_verify /dev/mapper/d2 --size=96m --loops=4 --verify_backlog=512 >/tmp/n.log 2>&1 &
npid=$!

ktap_check "d1 data before any failure" fio_verify /dev/mapper/d1 --size=16m --randseed=1
ev=$(dmsetup info -c --noheadings -o events d1)
ktap_check "fail_open: filter reports a failure" dmsetup message d1 0 test-qos error
ktap_eq "fail_open: filter shows bypassed" "$(vaio_filter_state d1 test-qos)" bypassed
ktap_check "fail_open: a dm event wakes dmsetup wait" timeout 10 dmsetup wait d1 "$ev"
maps=$(vaio_filter_get d1 test-qos maps)
ktap_check "fail_open: the disk keeps running, data intact" \
	fio_verify /dev/mapper/d1 --offset=16m --size=16m --randseed=2
ktap_eq "fail_open: the bypassed filter sees no bios" "$(vaio_filter_get d1 test-qos maps)" "$maps"
ktap_fails "a bypassed filter is not reactivated while I/O runs" \
	dmsetup message d1 0 reactivate test-qos
ktap_match "... the device must be suspended" "$(dmesg | tail -n 3)" \
	'filter test-qos was bypassed: reactivate it with the device suspended'
ktap_check "reactivate the bypassed filter (suspended)" vaio_reactivate d1 test-qos
ktap_eq "active again" "$(vaio_filter_state d1 test-qos)" active
ktap_check "a reactivated filter sees bios again" sh -c \
	"dd if=/dev/mapper/d1 of=/dev/null bs=4k count=8 iflag=direct 2>/dev/null &&
	 [ \$(dmsetup status d1 | grep -o 'maps [0-9]*' | head -1 | cut -d' ' -f2) -gt $maps ]"

ktap_check "fail_closed: filter reports a failure" dmsetup message d1 0 test-cache error
ktap_eq "fail_closed: filter shows failed" "$(vaio_filter_state d1 test-cache)" failed
ktap_fails "fail_closed: reads error" dd if=/dev/mapper/d1 of=/dev/null bs=4k count=1 iflag=direct
ktap_fails "fail_closed: writes error" dd if=/dev/zero of=/dev/mapper/d1 bs=4k count=1 oflag=direct
ktap_match "fail_closed: the refused I/O is counted as errors" "$(vaio_stat d1 errors)" '^[1-9]' 
dmsetup message d1 0 test-cache refuse_reactivate 1
ktap_fails "a filter may refuse reactivation" dmsetup message d1 0 reactivate test-cache
ktap_eq "still failed" "$(vaio_filter_state d1 test-cache)" failed
dmsetup message d1 0 test-cache refuse_reactivate 0
ktap_check "reactivate the failed filter" dmsetup message d1 0 reactivate test-cache
ktap_check "fail_closed: I/O works again, nothing written was lost" sh -c \
	". /vaio/selftests/lib/vaio.sh; fio_verify /dev/mapper/d1 --size=16m --randseed=1 --verify_only &&
	 fio_verify /dev/mapper/d1 --offset=16m --size=16m --randseed=2 --verify_only"
ktap_fails "reactivate needs a filter of this disk" dmsetup message d1 0 reactivate test-encryption

wait "$npid"
rc=$?
[ "$rc" = 0 ] || tail -n 20 /tmp/n.log | sed 's/^/# /'
ktap_eq "the other disk's fio verify never noticed" "$rc" 0
ktap_eq "the other disk counted no errors" "$(vaio_stat d2 errors)" 0
ktap_eq "the other disk's filter stayed active" "$(vaio_filter_state d2 test-qos)" active
dm_remove d1 d2
ktap_finish
