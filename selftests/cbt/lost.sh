#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cbt: when tracking is lost (detached and written, metadata swapped, bypassed, metadata write error) the generation changes and old changeIds are refused"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cbt.sh"

brd_setup 64 2
K=65536
size=$(dev_sectors /dev/ram0)
plain="0 $size vaio /dev/ram0 2 disk_id d0"
# recreate META [ARGS...]: d0 removed and created on META.
recreate() {
	local meta="$1"
	shift
	dm_remove d0 && dm_create d0 "$(cbt_table /dev/ram0 "/dev/mapper/$meta" "$@")"
}
refused() {	# refused DISK ID: the query fails, asking for a full backup
	vaioctl cbt changes "$1" --since "$2" 2>&1 >/dev/null | grep -q 'full backup is needed'
}

# format=1 over a device holding data (a renumbered or mistyped meta=):
# refused, the data left as it was.
ktap_check "a device with data" dm_create junk "0 40 linear /dev/ram1 8192"
cbt_wr /dev/mapper/junk 0 4
before=$(dd if=/dev/mapper/junk bs=4k count=1 iflag=direct 2>/dev/null | sha256sum)
table_refused "format=1 over data refused" "$(cbt_table /dev/ram0 /dev/mapper/junk format=1)" \
	"meta= holds data: not formatted"
ktap_eq "... and the data left" \
	"$(dd if=/dev/mapper/junk bs=4k count=1 iflag=direct 2>/dev/null | sha256sum)" "$before"
dm_remove junk
ktap_check "metadata device" dm_create m "0 40 linear /dev/ram1 0"
ktap_check "another metadata device" dm_create m2 "0 40 linear /dev/ram1 4096"
ktap_check "disk with cbt" dm_create d0 "$(cbt_table /dev/ram0 /dev/mapper/m format=1)"
cbt_wr /dev/mapper/d0 64 4
id=$(vaioctl cbt mark d0)
cbt_wr /dev/mapper/d0 128 4
ktap_eq "tracked: since the mark, block 2" "$(cbt_changes d0 "$id")" "$((2 * K)) $K"

# Detached, written, attached again.
ktap_check "table without cbt (detach)" vaio_reload d0 "$plain"
cbt_wr /dev/mapper/d0 192 4
ktap_check "cbt attached again" vaio_reload d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
start=$(cbt_start d0)
ktap_eq "a new generation" "$([ "${start%:*}" != "${id%:*}" ] && echo new)" new
ktap_check "the old changeId is refused: full backup" refused d0 "$id"
cbt_wr /dev/mapper/d0 256 4
ktap_eq "the new generation tracks from its start" "$(cbt_changes d0 "$start")" "$((4 * K)) $K"

# Detached, then removed: the metadata says tracking was lost.
id=$(vaioctl cbt mark d0)
ktap_check "detached again" vaio_reload d0 "$plain"
ktap_check "removed and created with cbt" recreate m
ktap_check "after a detach and a removal: refused" refused d0 "$id"

# Metadata replaced, then the old one given back: both are losses.
id=$(vaioctl cbt mark d0)
ktap_check "disk created again on other metadata" recreate m2 format=1
ktap_check "other metadata: refused" refused d0 "$id"
cbt_wr /dev/mapper/d0 320 4
ktap_check "the first metadata given back" recreate m
ktap_check "the first metadata's changeId refused (it missed writes)" refused d0 "$id"
ktap_check "another disk's device" dm_create x "0 2048 linear /dev/ram1 8192"
table_refused "metadata of another disk_id is refused" \
	"0 2048 vaio /dev/mapper/x 7 disk_id d9 filter cbt fail_closed 1 meta=/dev/mapper/m2" \
	"another disk's change tracking"

# The admin bypasses a fail_open cbt: the metadata says lost first.
ktap_check "cbt fail_open" vaio_reload d0 "$(CBT_FAIL=fail_open cbt_table /dev/ram0 /dev/mapper/m)"
id=$(vaioctl cbt mark d0)
ktap_check "bypassed by the admin" dmsetup message d0 0 fail cbt
ktap_eq "status: lost" "$(cbt_word d0 lost)" 1
ktap_check "bypassed: refused" refused d0 "$id"
ktap_fails "no mark while lost" vaioctl cbt mark d0
ktap_check "a new table" vaio_reload d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_check "and after it: refused" refused d0 "$id"
ktap_eq "tracking again" "$(cbt_word d0 lost)" 0

# The metadata device fails writes (fail_closed): no write passes untracked.
id=$(vaioctl cbt mark d0)
ktap_check "metadata device fails" vaio_reload m "0 40 error"
ktap_fails "a write to an untracked block fails" \
	dd if=/dev/zero of=/dev/mapper/d0 bs=4k seek=$((50 * 16)) count=1 oflag=direct
ktap_eq "cbt failed" "$(vaio_filter_state d0 cbt)" failed
ktap_check "metadata device back" vaio_reload m "0 40 linear /dev/ram1 0"
# A table loaded and cleared, never resumed: the failed one still runs, so
# tracking stays lost (no generation started for a table that never ran).
ktap_check "a new table loaded" dmsetup load d0 --table "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_check "... and cleared" dmsetup clear d0
ktap_fails "no mark while the failed table runs" vaioctl cbt mark d0
ktap_eq "status: still lost" "$(cbt_word d0 lost)" 1
ktap_check "a new table" vaio_reload d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_check "after the metadata error: refused" refused d0 "$id"
ktap_eq "tracking again after the error" "$(cbt_word d0 lost)" 0

# Another target's table takes over, the metadata device fails before the
# old table's end (DETACH cannot record the loss), and the modules restart
# (a reboot: no memory of the disk running without cbt). The suspend
# before the swap recorded it.
id=$(vaioctl cbt mark d0)
ktap_check "suspended" dmsetup suspend d0
ktap_check "the metadata device fails" vaio_reload m "0 40 error"
ktap_check "another target's table" dmsetup load d0 --table "0 $size linear /dev/ram0 0"
ktap_check "... runs" dmsetup resume d0
cbt_wr /dev/mapper/d0 384 4
ktap_check "metadata device back" vaio_reload m "0 40 linear /dev/ram1 0"
ktap_check "disks removed" dm_remove d0 m2 x
ktap_check "modules restarted (as at a reboot)" rmmod dm-vaio-cbt dm-vaio
ktap_check "... and loaded" modprobe dm-vaio-cbt
ktap_check "created with cbt" dm_create d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_check "after another target ran: refused" refused d0 "$id"
# The same with a noflush suspend, into a vaio table without cbt.
id=$(vaioctl cbt mark d0)
ktap_check "a table without cbt loaded" sh -c "echo '$plain' | dmsetup load d0"
ktap_check "noflush suspend" dmsetup suspend --noflush d0
ktap_check "the metadata device fails" vaio_reload m "0 40 error"
ktap_check "the table without cbt runs" dmsetup resume d0
cbt_wr /dev/mapper/d0 384 4
ktap_check "metadata device back" vaio_reload m "0 40 linear /dev/ram1 0"
ktap_check "disk removed" dm_remove d0
ktap_check "modules restarted" rmmod dm-vaio-cbt dm-vaio
ktap_check "... and loaded" modprobe dm-vaio-cbt
ktap_check "created with cbt" dm_create d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_check "after a noflush swap: refused" refused d0 "$id"
# The metadata fails before the suspend (so the suspend cannot record
# anything), dm-linear runs; the disk made again in this boot: the module
# remembers the loss its superblock missed.
id=$(vaioctl cbt mark d0)
ktap_check "the metadata device fails" vaio_reload m "0 40 error"
ktap_check "suspended" dmsetup suspend d0
ktap_check "another target's table" dmsetup load d0 --table "0 $size linear /dev/ram0 0"
ktap_check "... runs" dmsetup resume d0
cbt_wr /dev/mapper/d0 384 4
ktap_check "metadata device back" vaio_reload m "0 40 linear /dev/ram1 0"
ktap_check "disk removed" dm_remove d0
ktap_check "created with cbt" dm_create d0 "$(cbt_table /dev/ram0 /dev/mapper/m)"
ktap_check "a loss the superblock missed: refused" refused d0 "$id"
# A suspend and resume of the same table is no loss; while suspended the
# query is refused (the next table may be another target's).
id=$(vaioctl cbt mark d0)
ktap_check "suspended" dmsetup suspend d0
ktap_match "no answer while suspended" "$(vaioctl cbt changes d0 --since "$id" 2>&1)" \
	'suspended: ask again after its resume'
ktap_check "resumed" dmsetup resume d0
cbt_wr /dev/mapper/d0 448 4
ktap_eq "the changeId still answers" "$(cbt_changes d0 "$id")" "$((7 * K)) $K"
# Removal is a clean end: the generation goes on after it.
ktap_check "removed and created again" recreate m
ktap_eq "... the changeId still answers" "$(cbt_changes d0 "$id")" "$((7 * K)) $K"
ktap_check "disks removed" dm_remove d0 m

# The metadata on another vaio disk with cbt (M), suspended while the
# last table of the disk over it (E) closes: E's final superblock write
# waits for M, and a new table of M is not held up meanwhile.
ktap_check "metadata of M" dm_create mm "0 40 linear /dev/ram1 16384"
ktap_check "M's disk below" dm_create mdata "0 64 linear /dev/ram1 32768"
mtable="0 64 vaio /dev/mapper/mdata 8 disk_id dm filter cbt fail_closed 2 meta=/dev/mapper/mm format=1"
ktap_check "M: a vaio disk with cbt" dm_create M "$mtable"
ktap_check "E: its metadata on M" dm_create E \
	"0 $size vaio /dev/ram0 8 disk_id de filter cbt fail_closed 2 meta=/dev/mapper/M format=1"
ktap_check "E suspended" dmsetup suspend E
ktap_check "M suspended" dmsetup suspend M
dmsetup remove E &
remover=$!
sleep 1
ktap_check "E's removal waits for M" kill -0 "$remover"
rm -f /tmp/loaded
(echo "$mtable" | dmsetup load M; echo "$?" >/tmp/loaded) &
loader=$!
loaded() { [ -s /tmp/loaded ]; }
ktap_check "a new table of M loads meanwhile" wait_until 50 loaded
ktap_check "M resumed" dmsetup resume M
wait "$loader"
ktap_eq "... the load succeeded" "$(cat /tmp/loaded)" 0
wait "$remover" && rc=0 || rc=$?
ktap_eq "E's removal completes" "$rc" 0
# E made again while M is suspended: its first table's open waits for M,
# and a table of another disk with cbt is not held up meanwhile.
ktap_check "M suspended again" dmsetup suspend M
rm -f /tmp/created /tmp/other
(dm_create E "0 $size vaio /dev/ram0 7 disk_id de filter cbt fail_closed 1 meta=/dev/mapper/M"
	echo "$?" >/tmp/created) &
creator=$!
sleep 1
ktap_check "E's creation waits for M" test ! -s /tmp/created
ktap_check "another disk's metadata" dm_create om "0 40 linear /dev/ram1 40960"
ktap_check "... and its disk below" dm_create odata "0 64 linear /dev/ram1 49152"
(dm_create O "0 64 vaio /dev/mapper/odata 8 disk_id do filter cbt fail_closed 2 meta=/dev/mapper/om format=1"
	echo "$?" >/tmp/other) &
other=$!
made() { [ -s /tmp/other ]; }
ktap_check "a disk with cbt is created meanwhile" wait_until 50 made
ktap_check "M resumed" dmsetup resume M
wait "$creator" "$other"
ktap_eq "both created" "$(cat /tmp/created /tmp/other | tr '\n' ' ')" "0 0 "
ktap_check "disks removed" dm_remove E O om odata M mm mdata
ktap_finish
