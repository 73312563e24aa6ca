#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cbt lists exactly the blocks written since a changeId, across marks, a reload and a remove/recreate; bad changeIds are refused"
TIMEOUT=120
DEBUG_LANE=full          # make check-debug-full only (CI's debug budget, testing.rst)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cbt.sh"

brd_setup 64 2
K=65536
# Metadata: 4 KiB superblock and 4 slots of 4 KiB (64 MiB in 64 KiB
# blocks: 1024 bits a slot), so that the fifth epoch merges the oldest.
ktap_check "metadata device of 4 slots" dm_create m "0 40 linear /dev/ram1 0"
ktap_check "a zeroed device for a refusal" dm_create z "0 40 linear /dev/ram1 2048"
table_refused "a device without cbt metadata is not formatted without format=1" \
	"$(cbt_table /dev/ram0 /dev/mapper/z)" "holds no change tracking metadata"
table_refused "block_kib= not a power of two is refused" \
	"$(cbt_table /dev/ram0 /dev/mapper/m block_kib=48)" "power of two"
table_refused "meta= is required" \
	"0 $(dev_sectors /dev/ram0) vaio /dev/ram0 6 disk_id d0 filter cbt fail_closed 0" "cbt needs meta="
ktap_eq "the refused table wrote nothing" "$(od -An -tx1 -N16 /dev/mapper/z | tr -d ' \n')" \
	00000000000000000000000000000000

ktap_check "disk with cbt, metadata formatted (format=1)" \
	dm_create d0 "$(cbt_table /dev/ram0 /dev/mapper/m format=1)"
start=$(cbt_start d0)
ktap_match "status gives the start's changeId ($start)" "$start" '^[0-9a-f]{16}:0$'
gen=${start%:*}

# Writes at known offsets: 4 KiB in block 0, 4 KiB in block 10, 1 MiB
# over blocks 80-95, 8 KiB straddling blocks 300 and 301; a read elsewhere.
cbt_wr /dev/mapper/d0 0 4
cbt_wr /dev/mapper/d0 $((10 * 64 + 4)) 4
cbt_wr /dev/mapper/d0 $((80 * 64)) 1024
cbt_wr /dev/mapper/d0 $((301 * 64 - 4)) 8
dd if=/dev/mapper/d0 of=/dev/null bs=64k skip=500 count=4 iflag=direct 2>/dev/null
exp1="0 $K
$((10 * K)) $K
$((80 * K)) $((16 * K))
$((300 * K)) $((2 * K))"
ktap_eq "changes since the start: exactly the blocks written" "$(cbt_changes d0 "$start")" "$exp1"
ktap_match "the writes waited for their bits" "$(cbt_word d0 held)" '^[1-9]'

id1=$(vaioctl cbt mark d0)
ktap_eq "mark returns the changeId of epoch 1" "$id1" "$gen:1"
ktap_eq "nothing changed since the mark" "$(cbt_changes d0 "$id1")" ""
cbt_wr /dev/mapper/d0 $((200 * 64)) 4
cbt_wr /dev/mapper/d0 0 4
ktap_eq "since the mark: only the new writes" "$(cbt_changes d0 "$id1")" "0 $K
$((200 * K)) $K"
ktap_eq "since the start: all of them" "$(cbt_changes d0 "$start")" "0 $K
$((10 * K)) $K
$((80 * K)) $((16 * K))
$((200 * K)) $K
$((300 * K)) $((2 * K))"
ktap_eq "-j gives start and length in bytes" \
	"$(vaioctl cbt changes d0 --since "$id1" -j | jq -c '[.extents[] | [.start, .length]]')" \
	"[[0,$K],[$((200 * K)),$K]]"

# Bad changeIds.
ktap_eq "a changeId of the current epoch (no such mark) is refused" \
	"$(vaioctl cbt changes d0 --since "$gen:2" 2>&1 >/dev/null | grep -c 'not closed yet')" 1
case $gen in *0) other=${gen%?}1 ;; *) other=${gen%?}0 ;; esac
ktap_eq "a changeId of another generation is refused: full backup" \
	"$(vaioctl cbt changes d0 --since "$other:1" 2>&1 >/dev/null | grep -c 'full backup is needed')" 1
ktap_eq "a malformed changeId is a usage error" \
	"$(vaioctl cbt changes d0 --since "1:2" >/dev/null 2>&1; echo $?)" 2

# A reload keeps the state (the instances share it), and tracks on.
ktap_check "table reloaded" vaio_reload d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_eq "after the reload: the same changes since the mark" "$(cbt_changes d0 "$id1")" "0 $K
$((200 * K)) $K"
cbt_wr /dev/mapper/d0 $((400 * 64)) 4
ktap_eq "writes after the reload are tracked" "$(cbt_changes d0 "$id1")" "0 $K
$((200 * K)) $K
$((400 * K)) $K"

# Removed and created again: the metadata device keeps it.
ktap_check "disk removed" dm_remove d0
ktap_check "disk created again, no format=1" dm_create d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_eq "same generation after remove/create" "$(cbt_start d0)" "$start"
ktap_eq "the same changes since the mark" "$(cbt_changes d0 "$id1")" "0 $K
$((200 * K)) $K
$((400 * K)) $K"

# More marks than slots: the oldest epochs merge, nothing is lost.
for i in 2 3 4 5; do
	id=$(vaioctl cbt mark d0)
	cbt_wr /dev/mapper/d0 $(((600 + 2 * i) * 64)) 4
done
ktap_eq "five marks: epoch 5 closed" "$id" "$gen:5"
ktap_eq "since the last mark: its write" "$(cbt_changes d0 "$id")" "$((610 * K)) $K"
ktap_eq "since mark 3 (kept apart): the writes after it" "$(cbt_changes d0 "$gen:3")" \
	"$((606 * K)) $K
$((608 * K)) $K
$((610 * K)) $K"
ktap_eq "since the start, after merges: every block written" "$(cbt_changes d0 "$start" | wc -l)" 10
ktap_match "since mark 1 (merged): a superset of its writes" \
	"$(cbt_changes d0 "$id1" | tr '\n' ' ')" "^0 $K .*$((200 * K)) $K .*$((400 * K)) $K $((604 * K)) $K"
ktap_eq "a snapshot event marks too" "$(dmsetup message d0 0 event snapshot t1 >/dev/null && cbt_word d0 epoch)" 7
ktap_eq "dmsetup message cbt mark closes epoch 7" "$(dmsetup message d0 0 cbt mark)" "$gen:7"
# A write in flight at a mark (its completion held below cbt) may land
# after the point: it is listed since the mark too.
hold=$(slow 2500)
held="0 $(dev_sectors /dev/ram0) vaio /dev/ram0 13 disk_id d0 filter cbt fail_closed 1 meta=/dev/mapper/m filter test-cache fail_open 2 mode=hold_end ms=$hold"
ktap_check "a filter below cbt holds completions $hold ms" vaio_reload d0 "$held"
# In flight: test-cache mapped it (it passed cbt), dd still waits for it.
maps=$(vaio_filter_get d0 test-cache maps)
# One bio (cbt_wr's 1 KiB pieces would go one after the other).
dd if=/dev/urandom of=/dev/mapper/d0 bs=4k seek=$((700 * 16)) count=1 oflag=direct \
	conv=notrunc 2>/dev/null &
writer=$!
in_flight() {
	[ "$(vaio_filter_get d0 test-cache maps)" -gt "$maps" ] && kill -0 "$writer"
}
ktap_check "the write is in flight below cbt" wait_until 10 in_flight
id=$(vaioctl cbt mark d0)
ktap_check "and still at the mark" kill -0 "$writer"
wait
ktap_eq "the write in flight at the mark is listed since it" "$(cbt_changes d0 "$id")" "$((700 * K)) $K"
ktap_check "disk removed" dm_remove d0 m
# Replication writes below cbt unseen (a secondary's received writes):
# the two cannot share a disk yet.
table_refused "cbt with a replication filter refused" \
	"0 $(dev_sectors /dev/ram0) vaio /dev/ram0 11 disk_id d9 filter test-replication fail_open 0 filter cbt fail_closed 1 meta=/dev/ram1" \
	"cbt cannot share a disk with replication yet"

# Through the control plane: a policy with a cbt component.
vaioctl_setup
vaioctl_bad "a policy with cbt and replication refused" \
	"cbt cannot share a disk with replication yet" \
	vaioctl policy create both cbt:meta=/dev/mapper/z test-replication
ktap_check "policy with cbt:meta=,format=1" vaioctl policy create track cbt:meta=/dev/mapper/z,format=1
ktap_check "disk created with it" vaioctl disk create d1 /dev/ram0 --policy track
cbt_wr /dev/mapper/d1 64 4
ktap_eq "vaioctl cbt by the disk's name" "$(cbt_changes d1 "$(cbt_start d1)")" "$K $K"
ktap_check "disk removed" vaioctl disk remove d1
ktap_check "metadata removed" dm_remove z
ktap_check "module unloads" rmmod dm-vaio-cbt
ktap_finish
