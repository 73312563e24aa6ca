#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache in writeback: a write P into a cached block, whose block is written back and dropped before P's data lands, goes below; a read meanwhile must not promote the block from below (which lacks P), or a later write of another part of it would keep P's sectors old in the cache"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Found by review (helper 80) once write-back writes of part of a cached
# block land in it. The cache: 8 MiB of brd (ram0) behind "cdev", the
# first block of its data area (slot 0) made slow to write; the disk
# below: 64 MiB of brd (ram1). 4 KiB blocks.
brd_setup 64 2
size=$(dev_sectors /dev/ram1)
csize=$(dev_sectors /dev/ram0)
modprobe dm-vaio-cache
modprobe dm-delay
cleanup() { for d in vm fast cdev; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

B=100
W=3000
[ "${VAIO_DEBUG:-0}" = 1 ] && W=15000
pat() { awk -v c="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", c }'; }
pat O 4096 >/tmp/o
pat N 512 >/tmp/n
pat Q 512 >/tmp/q

ktap_check "cache device" dm_create cdev "0 $csize linear /dev/ram0 0"
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/mapper/cdev format"
ktap_check "disk in writeback mode" dm_create vm \
	"0 $size vaio /dev/ram1 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
ktap_check "block $B written whole (O): cached, dirty" \
	dd if=/tmp/o of=/dev/mapper/vm bs=4k seek=$B oflag=direct
ds=$(od -An -tu8 -j32 -N8 /dev/mapper/cdev | tr -d ' ')
ktap_eq "it is in slot 0 (sector $ds of the cache device)" \
	"$(dd if=/dev/mapper/cdev bs=512 skip="$ds" count=8 iflag=direct 2>/dev/null | md5sum)" \
	"$(md5sum </tmp/o)"
ktap_check "written back: clean" dmsetup message vm 0 cache writeback
ktap_eq "nothing dirty" "$(get dirty)" 0
ktap_check "slot 0's writes slow (dm-delay, $W ms)" vaio_reload cdev "0 $ds linear /dev/ram0 0
$ds 8 delay /dev/ram0 $ds 0 /dev/ram0 $ds $W /dev/ram0 $ds 0
$((ds + 8)) $((csize - ds - 8)) linear /dev/ram0 $((ds + 8))"

# P, 512 bytes of block B, lands in slot 0, slowly. Meanwhile the block is
# written back (without P) and dropped; two reads of it miss; Q, another
# 512 bytes of it, is written. P then finds its block gone and goes below.
dio_fill /dev/mapper/vm $((B * 4096)) 512 0x4e &
wp=$!
ktap_check "P on its way to slot 0" delay_holds cdev
ktap_check "the cache invalidated meanwhile (B written back, dropped)" \
	dmsetup message vm 0 cache invalidate
pr=$(get promotions)
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$B count=1 iflag=direct 2>/dev/null
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$B count=1 iflag=direct 2>/dev/null
sleep 0.3
ktap_check "Q, another 512 bytes of B" \
	dio_fill /dev/mapper/vm $((B * 4096 + 2048)) 512 0x51
ktap_check "P still in flight after it (the race ran)" kill -0 $wp
wait $wp
ktap_eq "P acknowledged" "$?" 0
ktap_eq "no read promoted B while P was in flight" "$(get promotions)" "$pr"
ktap_eq "the VM reads P" "$(sector_sum /dev/mapper/vm $((B * 8)))" "$(md5sum </tmp/n)"
ktap_eq "the VM reads Q" "$(sector_sum /dev/mapper/vm $((B * 8 + 4)))" "$(md5sum </tmp/q)"
ktap_check "write back" dmsetup message vm 0 cache writeback
ktap_eq "the disk below has P" "$(sector_sum /dev/ram1 $((B * 8)))" "$(md5sum </tmp/n)"
ktap_eq "and Q" "$(sector_sum /dev/ram1 $((B * 8 + 4)))" "$(md5sum </tmp/q)"
ktap_eq "and O around them" "$(sector_sum /dev/ram1 $((B * 8 + 2)))" \
	"$(head -c 512 /tmp/o | md5sum)"
ktap_finish
