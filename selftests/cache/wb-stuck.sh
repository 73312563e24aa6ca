#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache write-back gets past a block the disk below cannot write: the coldest dirty block fails every time, the other dirty blocks still go below, under dirty_high in the background, all of them at the writeback message (which fails); once the disk below takes it, that block goes too and the disk below equals what the VM reads"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The disk below: block 0 (sectors 0-7) an error target, the rest
# null_blk. Pool: 1784 blocks on brd; dirty_high=20 (356 blocks),
# dirty_low=10 (178).
nullb_mem nb 64
brd_setup 8 1
size=$(dev_sectors /dev/nb)
modprobe dm-vaio-cache
ktap_check "disk below, block 0 failing" dm_create below \
	"0 8 error
8 $((size - 8)) linear /dev/nb 8"
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_check "disk, writeback" dm_create vm \
	"0 $size vaio /dev/mapper/below 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=20 dirty_low=10"

# Block 0 written first: the least recently used dirty block, where the
# background write-back starts. Then 500 more, one at a time: past the
# high mark.
ktap_check "block 0 written" dio_fill /dev/mapper/vm 0 4096 0x5a
ktap_check "blocks 1-500 written" \
	fio --name=w --filename=/dev/mapper/vm --rw=write --bs=4k \
	--offset=4096 --size=$((500 * 4096)) --direct=1 --ioengine=psync \
	--randrepeat=0 --eta=never --output=/dev/null

# Background write-back runs from above dirty_high down to dirty_low,
# while the writes go on: it leaves the disk under dirty_high (where it
# ends between the two depends on when the last writes came).
dirty_at_most() { [ "$(get dirty)" -le "$1" ]; }
ktap_check "background write-back under dirty_high (356) in 30 s" \
	wait_until 300 dirty_at_most 356
echo "# dirty $(get dirty), written back $(get writeback_kib) KiB, errors $(get writeback_errors)"
ktap_match "write-back errors counted" "$(get writeback_errors)" '^[1-9]'
ktap_match "block 0 still dirty" "$(get dirty)" '^[1-9]'

# Asked for, write-back fails (block 0), but past it: every other block
# goes below, each alone once its batch failed.
ktap_fails "writeback message fails (block 0)" dmsetup message vm 0 cache writeback
ktap_eq "only block 0 left dirty" "$(get dirty)" 1

# The disk below takes block 0 again: all of it goes below.
ktap_check "disk below whole" vaio_reload below "0 $size linear /dev/nb 0"
ktap_check "writeback message" dmsetup message vm 0 cache writeback
ktap_eq "nothing dirty" "$(get dirty)" 0
a=$(dd if=/dev/mapper/vm bs=64k count=32 iflag=direct 2>/dev/null | md5sum)
b=$(dd if=/dev/nb bs=64k count=32 iflag=direct 2>/dev/null | md5sum)
ktap_eq "the disk below equals what the VM reads" "$b" "$a"

ktap_check "disk removed" dmsetup remove vm
ktap_check "pool removed" dmsetup remove fast
ktap_check "disk below removed" dmsetup remove below
ktap_finish
