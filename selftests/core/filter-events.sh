#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="control events reach filters in class order; a veto leaves the disk as it was"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 64
q=16384 # 8 MiB in sectors
three="12 filter test-cache fail_open 0 filter test-qos fail_open 0 filter test-replication fail_open 0"
dm_create ev "0 $((2 * q)) vaio /dev/ram0 $three"
get() { vaio_filter_get ev "$1" "ev_$2"; }
dd if=/dev/urandom of=/tmp/pat bs=1M count=8 2>/dev/null
dd if=/tmp/pat of=/dev/mapper/ev bs=1M oflag=direct 2>/dev/null

ktap_eq "attach: qos first" "$(get test-qos attach)" 1:0
ktap_eq "attach: replication second" "$(get test-replication attach)" 1:1
ktap_eq "attach: cache last" "$(get test-cache attach)" 1:2
ktap_eq "resume delivered" "$(get test-cache resume)" 1:2

ktap_match "snapshot accepted" "$(dmsetup message ev 0 event snapshot tag1)" \
	'snapshot tag1 delivered to 3 filters'
ktap_eq "snapshot: qos first" "$(get test-qos snapshot)" 1:0
ktap_eq "snapshot: replication second" "$(get test-replication snapshot)" 1:1
ktap_eq "snapshot: cache last" "$(get test-cache snapshot)" 1:2
dmsetup message ev 0 test-replication veto snapshot
ktap_fails "snapshot vetoed by one filter" dmsetup message ev 0 event snapshot tag2
ktap_match "the veto is logged with its reason" "$(dmesg | tail -n 5)" \
	'test-replication vetoed snapshot tag2: vetoed by test filter'
for t in test-qos test-replication test-cache; do
	ktap_match "veto: $t never got snapshot tag2" "$(get $t snapshot)" '^1:'
done
dmsetup message ev 0 test-replication veto none
ktap_check "snapshot after the veto is lifted" dmsetup message ev 0 event snapshot tag3
ktap_match "delivered again" "$(get test-cache snapshot)" '^2:'
ktap_fails "bad snapshot tag refused" dmsetup message ev 0 event snapshot 'a/b'
ktap_fails "snapshot without a tag refused" dmsetup message ev 0 event snapshot

ktap_check "suspend" dmsetup suspend ev
ktap_eq "suspend delivered in class order" "$(get test-cache suspend)" 1:2
dmsetup resume ev

# Grow: a reload with a larger length.
ktap_check "grow to 24 MiB" vaio_reload ev "0 $((3 * q)) vaio /dev/ram0 $three"
ktap_eq "grow: new size" "$(dev_sectors /dev/mapper/ev)" $((3 * q))
ktap_eq "grow: qos first" "$(get test-qos grow)" 1:0
ktap_eq "grow: cache last" "$(get test-cache grow)" 1:2
ktap_eq "grow: continuing filters are not attached again" "$(get test-qos attach)" 0:0
table=$(dmsetup table ev)
ktap_fails "grow vetoed" vaio_reload ev "0 $((4 * q)) vaio /dev/ram0 13 filter test-cache fail_open 0 filter test-qos fail_open 1 veto=grow filter test-replication fail_open 0"
ktap_match "grow veto: its reason" "$(dmesg | tail -n 5)" 'vaio: A filter vetoed the grow'
ktap_eq "grow veto: size unchanged" "$(dev_sectors /dev/mapper/ev)" $((3 * q))
ktap_eq "grow veto: table unchanged" "$(dmsetup table ev)" "$table"
ktap_fails "shrink refused while filters are attached" \
	vaio_reload ev "0 $q vaio /dev/ram0 $three"
ktap_match "shrink: its reason" "$(dmesg | tail -n 5)" 'Cannot shrink a disk that has filters'

# Attach and detach on the live disk.
four="filter test-cache fail_open 0 filter test-qos fail_open 0 filter test-replication fail_open 0 filter test-inspection fail_open"
ktap_fails "attach vetoed" vaio_reload ev "0 $((3 * q)) vaio /dev/ram0 17 $four 1 veto=attach"
ktap_match "attach veto: its reason" "$(dmesg | tail -n 5)" 'vaio: A filter vetoed its attach'
ktap_eq "attach veto: table unchanged" "$(dmsetup table ev)" "$table"
ktap_check "attach test-inspection" vaio_reload ev "0 $((3 * q)) vaio /dev/ram0 16 $four 0"
ktap_eq "attach: only the new filter is attached" \
	"$(get test-inspection attach) $(get test-qos attach)" "1:0 0:0"
dmsetup message ev 0 inspection veto detach
ktap_fails "detach vetoed" vaio_reload ev "0 $((3 * q)) vaio /dev/ram0 $three"
ktap_match "detach veto: its reason" "$(dmesg | tail -n 5)" 'vaio: A filter vetoed its detach'
ktap_eq "detach veto: the filter stays" "$(vaio_filters ev)" \
	"test-qos test-inspection test-replication test-cache"
dmsetup message ev 0 inspection veto none
ktap_check "detach test-inspection" vaio_reload ev "0 $((3 * q)) vaio /dev/ram0 $three"
ktap_eq "detached" "$(vaio_filters ev)" "test-qos test-replication test-cache"
dd if=/dev/mapper/ev of=/tmp/back bs=1M count=8 iflag=direct 2>/dev/null
ktap_check "data intact through all of it" cmp /tmp/pat /tmp/back
dm_remove ev
ktap_finish
