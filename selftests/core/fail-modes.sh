#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="fail modes: a filter type says which it allows, reactivation only through the filter, a failure during it is not lost, a bypassed cache comes back empty"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# Issue 17, defect 4. Bypassing an encryption filter writes plaintext, a
# bypassed write-back cache serves stale data; a filter reactivated without
# being asked may serve what went stale while it was bypassed.

brd_setup 64 2
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio-test
modprobe dm-vaio-cache
cleanup() {
	for d in fm vm fast; do dmsetup remove $d 2>/dev/null; done
	rm -f /tmp/pat.*
}
trap cleanup EXIT

# 1. Fail modes refused at table load, and by the control plane.
table_refused "encryption is never fail_open" \
	"0 $size vaio /dev/ram0 4 filter test-encryption fail_open 0" \
	"filter type does not allow fail_open"
table_refused "a filter's own rule for its arguments" \
	"0 $size vaio /dev/ram0 5 filter test-qos fail_open 1 no_fail_open=1" \
	"test filter: no_fail_open=1 needs fail_closed"
table_refused "a write-back cache is never fail_open" \
	"0 $size vaio /dev/ram0 6 filter cache fail_open 2 pool=fast mode=writeback" \
	"cache: mode=writeback needs fail_closed"
ktap_check "encryption fail_closed loads" \
	dm_create fm "0 $size vaio /dev/ram0 4 filter test-encryption fail_closed 0"
dm_remove fm
vaioctl_setup
vaioctl_bad "vaioctl: encryption with fail=open" \
	"component 'test-encryption': filter type does not allow fail_open" \
	vaioctl policy create p1 test-encryption:fail=open
# Without fail=, a type that allows closed only gets it (recorded).
ktap_check "vaioctl: encryption without fail= taken" vaioctl policy create p0 test-encryption
ktap_eq "... as fail=closed" "$(vaioctl -j policy show p0 | jq -r '.components[0]')" \
	"test-encryption:fail=closed"
ktap_check "... policy p0 deleted" vaioctl policy delete p0
vaioctl_bad "vaioctl: a write-back cache without fail=closed" \
	"component 'cache:pool=fast,mode=writeback': cache: mode=writeback needs fail_closed" \
	vaioctl policy create p1 cache:pool=fast,mode=writeback
ktap_check "vaioctl: with fail=closed" \
	vaioctl policy create p1 cache:pool=fast,mode=writeback,fail=closed

# 2. A type without ->reactivate() is not reactivated; a reload brings it
# back, attached as to a disk that ran without it.
t="0 $size vaio /dev/ram0 4 filter test-qos-b fail_open 0"
ktap_check "test-qos-b (no reactivate)" dm_create fm "$t"
ktap_check "it fails (fail_open)" dmsetup message fm 0 test-qos-b error
ktap_eq "bypassed" "$(vaio_filter_state fm test-qos-b)" bypassed
ktap_fails "reactivate refused" vaio_reactivate fm test-qos-b
ktap_match "... and why" "$(dmesg | tail -n 5)" 'filter test-qos-b cannot be reactivated: reload the table'
ktap_eq "still bypassed" "$(vaio_filter_state fm test-qos-b)" bypassed
dmesg -c >/dev/null
ktap_check "the same table again" vaio_reload fm "$t"
ktap_eq "a new instance, active" "$(vaio_filter_state fm test-qos-b)" active
ktap_match "the bypassed one was detached" "$(dmesg)" 'vaio-test: fm: test-qos-b: detach$'
ktap_match "the new one attached, not as to a new disk" "$(dmesg)" 'vaio-test: fm: test-qos-b: attach$'
dm_remove fm

# 3. A failure the filter reports while it is reactivated wins.
ktap_check "test-qos" dm_create fm "0 $size vaio /dev/ram0 4 filter test-qos fail_open 0"
dmsetup message fm 0 test-qos error
dmsetup message fm 0 test-qos error_on_reactivate 1
ktap_fails "reactivate, failing again meanwhile, refused" vaio_reactivate fm test-qos
ktap_eq "still bypassed" "$(vaio_filter_state fm test-qos)" bypassed
ktap_match "... and why" "$(dmesg | tail -n 5)" 'failed again while it was reactivated: failure injected during reactivate'
dmsetup message fm 0 test-qos error_on_reactivate 0
ktap_check "reactivated once it holds" vaio_reactivate fm test-qos
ktap_eq "active" "$(vaio_filter_state fm test-qos)" active
ktap_fails "fail needs a filter of the disk" dmsetup message fm 0 fail cache
ktap_check "the admin fails it" dmsetup message fm 0 fail test-qos
ktap_eq "bypassed by the admin" "$(vaio_filter_state fm test-qos)" bypassed
ktap_match "... logged so" "$(dmesg | tail -n 3)" 'filter test-qos failed: failed by the admin; bypassing it'
dm_remove fm

# 4. A write-through cache bypassed and reactivated does not serve what it
# held from before.
head -c 4096 /dev/urandom >/tmp/pat.A
head -c 4096 /dev/urandom >/tmp/pat.B
ktap_check "cache pool" dm_create fast "0 8 vaio-cache-pool /dev/ram1 format"
ktap_check "write-through cache, fail_open" dm_create vm \
	"0 $size vaio /dev/ram0 8 disk_id vm filter cache fail_open 2 pool=fast mode=writethrough"
put4k /tmp/pat.A /dev/mapper/vm 0
blk4k /dev/mapper/vm 0 >/dev/null
hits=$(vaio_filter_get vm cache read_hits)
ktap_eq "block 0 reads back" "$(blk4k /dev/mapper/vm 0)" "$(md5sum </tmp/pat.A)"
ktap_check "... from the cache" test "$(vaio_filter_get vm cache read_hits)" -gt "$hits"
ktap_check "the admin takes the cache out" dmsetup message vm 0 fail cache
ktap_eq "bypassed" "$(vaio_filter_state vm cache)" bypassed
put4k /tmp/pat.B /dev/mapper/vm 0
ktap_fails "not while the disk runs" dmsetup message vm 0 reactivate cache
ktap_check "reactivated, suspended" vaio_reactivate vm cache
ktap_eq "active" "$(vaio_filter_state vm cache)" active
ktap_eq "block 0 is what was written while bypassed" "$(blk4k /dev/mapper/vm 0)" "$(md5sum </tmp/pat.B)"

# 5. Removed while bypassed: the cache keeps nothing for the next device.
wt="0 $size vaio /dev/ram0 8 disk_id vm filter cache fail_open 2 pool=fast mode=writethrough"
put4k /tmp/pat.A /dev/mapper/vm 0
blk4k /dev/mapper/vm 0 >/dev/null
ktap_eq "block 0 cached again" "$(blk4k /dev/mapper/vm 0)" "$(md5sum </tmp/pat.A)"
ktap_check "the admin takes the cache out" dmsetup message vm 0 fail cache
put4k /tmp/pat.B /dev/mapper/vm 0
ktap_check "removed while bypassed" dm_remove vm
ktap_check "created again" dm_create vm "$wt"
ktap_eq "block 0 is what was written while bypassed" "$(blk4k /dev/mapper/vm 0)" "$(md5sum </tmp/pat.B)"
dm_remove vm fast
ktap_finish
