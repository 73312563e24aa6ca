#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache write-back writes neighbouring dirty blocks together, in the order of their blocks: 1 MiB written in random order reaches the disk below in a few large writes, and equals what the VM reads"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The disk below: null_blk (blk-mq, so that bios merge in a plug, up to
# its largest request); its write requests counted in /sys/block/nb/stat. Pool: 1784 blocks on brd; dirty_high=90: the
# background write-back leaves the 256 blocks alone until asked.
nullb_mem nb 64
brd_setup 8 1
size=$(dev_sectors /dev/nb)
modprobe dm-vaio-cache
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_check "disk, writeback" dm_create vm \
	"0 $size vaio /dev/nb 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"

writes_below() { awk '{ print $5 }' /sys/block/nb/stat; }
echo "# largest request below: $(cat /sys/block/nb/queue/max_sectors_kb) KiB"

# 256 blocks of 4 KiB, each written once, in random order: slots are
# taken in the order of the writes, so slot order is not block order.
# (1024k, not 1m: fio_verify shrinks sizes in MiB under the debug kernel.)
ktap_check "1 MiB written in random 4 KiB blocks, verified" \
	fio_verify /dev/mapper/vm --size=1024k --bs=4k --iodepth=1 --randseed=7
ktap_eq "all 256 blocks dirty, none written back" \
	"$(get dirty) $(get writeback_kib)" "256 0"
before=$(writes_below)
ktap_check "writeback message" dmsetup message vm 0 cache writeback
after=$(writes_below)
ktap_eq "all written back" "$(get dirty) $(get writeback_kib)" "0 1024"
# 256 blocks in batches of 64 neighbours: 4 requests at best (more if a
# request holds fewer than 64 blocks), a few more where a batch starts in
# the middle of a run. Slot order, one
# write per block, made 256 (or close: neighbours met by chance).
n=$((after - before))
echo "# $n write requests below for 256 blocks"
ktap_check "at most 32 write requests below ($n)" test "$n" -le 32

# What the VM reads (through the cache), what the disk below holds.
a=$(dd if=/dev/mapper/vm bs=64k count=16 iflag=direct 2>/dev/null | md5sum)
b=$(dd if=/dev/nb bs=64k count=16 iflag=direct 2>/dev/null | md5sum)
ktap_eq "the disk below equals what the VM reads" "$b" "$a"

ktap_check "disk removed" dmsetup remove vm
ktap_check "pool removed" dmsetup remove fast
ktap_finish
