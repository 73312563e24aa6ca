#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="filters withdraw discard and write-zeroes, and ask for flush and FUA; a write-back cache gets the VM's flushes over a disk below without a volatile cache"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# Issue 17, defect 7 (in part). The core offered discard, secure erase and
# write-zeroes whatever the filters could pass on, and the device's flush
# and FUA came from the disk below alone: over brd (no volatile cache) a
# write-back cache on another device never got the VM's flushes.

# The disk below: null_blk with discard (brd has none in 6.1) and no
# volatile cache. The cache pool: brd. No in-tree test device here offers
# write-zeroes, so no_write_zeroes=1 is given but not checked (it takes
# the path of no_discard=1).
nullb_mem nb 64 discard=1 || exit 1
brd_setup 16
size=$(dev_sectors /dev/nb)
ktap_diag "below: discard $(cat /sys/block/nb/queue/discard_max_bytes), write-zeroes $(cat /sys/block/nb/queue/write_zeroes_max_bytes), $(cat /sys/block/nb/queue/write_cache)"
modprobe dm-vaio-test
modprobe dm-vaio-cache
cleanup() { for d in ql vm fast; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

ktap_check "a filter that withdraws nothing" \
	dm_create ql "0 $size vaio /dev/nb 4 filter test-qos fail_open 0"
ktap_match "discard offered (the disk below has it)" "$(dm_queue ql discard_max_bytes)" '^[1-9]'
ktap_eq "no volatile cache (none below)" "$(dm_queue ql write_cache)" "write through"
ktap_check "discard works" blkdiscard -o 0 -l 1048576 /dev/mapper/ql
ktap_check "no_discard=1 no_write_zeroes=1 needs_flush=1" vaio_reload ql \
	"0 $size vaio /dev/nb 7 filter test-qos fail_open 3 no_discard=1 no_write_zeroes=1 needs_flush=1"
ktap_eq "no discard" "$(dm_queue ql discard_max_bytes)" 0
ktap_eq "flush and FUA offered" "$(dm_queue ql write_cache)" "write back"
ktap_fails "a discard is refused" blkdiscard -o 0 -l 1048576 /dev/mapper/ql
ktap_check "back to a filter that withdraws nothing" vaio_reload ql \
	"0 $size vaio /dev/nb 4 filter test-qos fail_open 0"
ktap_match "discard offered again" "$(dm_queue ql discard_max_bytes)" '^[1-9]'
dm_remove ql

ktap_check "cache pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_check "write-through cache" dm_create vm \
	"0 $size vaio /dev/nb 8 disk_id vm filter cache fail_open 2 pool=fast mode=writethrough"
# Offered in every mode: a device stacked on the disk keeps the flag it
# found when its table loaded, across a reload to write-back
# (cache/flush-stacked).
ktap_eq "write-through: flush and FUA offered too" "$(dm_queue vm write_cache)" "write back"
ktap_check "write-back cache" vaio_reload vm \
	"0 $size vaio /dev/nb 8 disk_id vm filter cache fail_closed 2 pool=fast mode=writeback"
ktap_eq "write-back: flush and FUA offered" "$(dm_queue vm write_cache)" "write back"
dm_remove vm fast

# A cache device of 4 KiB blocks over a disk of 512-byte ones: the VM's data
# goes to both, so the disk takes the larger block size; a 512-byte write
# would have failed on the cache device and failed the cache.
nullb_mem c4k 16 blocksize=4096 || exit 1
ktap_check "cache pool on a 4 KiB-block device" dm_create fast "0 8 vaio-cache-pool /dev/c4k format"
ktap_check "write-through cache over 512-byte blocks" dm_create vm \
	"0 $size vaio /dev/nb 8 disk_id vm filter cache fail_open 2 pool=fast mode=writethrough"
ktap_eq "the disk has the cache device's block size" "$(dm_queue vm logical_block_size)" 4096
ktap_check "fio verify through the cache" fio_verify /dev/mapper/vm --size=8m
ktap_eq "the cache is still active" "$(vaio_filter_state vm cache)" active
ktap_check "without the cache, 512-byte blocks again" vaio_reload vm "0 $size vaio /dev/nb 2 disk_id vm"
ktap_eq "512" "$(dm_queue vm logical_block_size)" 512
# The VM sized its I/O by the running disk's blocks: no table may grow them.
dmesg -c >/dev/null
ktap_fails "the cache on 4 KiB blocks refused on the running disk" sh -c \
	"echo '0 $size vaio /dev/nb 8 disk_id vm filter cache fail_open 2 pool=fast mode=writethrough' | dmsetup load vm"
ktap_match "with its reason" "$(dmesg -c | grep -o 'larger blocks than the running disk' | head -n1)" larger
ktap_eq "still 512" "$(dm_queue vm logical_block_size)" 512
nullb_mem d4k 16 blocksize=4096 || exit 1
dmesg -c >/dev/null
ktap_fails "nor a move to a disk below of 4 KiB blocks" sh -c \
	"echo '0 $(dev_sectors /dev/d4k) vaio /dev/d4k 2 disk_id vm' | dmsetup load vm"
ktap_match "with its reason" "$(dmesg -c | grep -o 'larger blocks than the running disk' | head -n1)" larger
ktap_eq "still 512" "$(dm_queue vm logical_block_size)" 512
dm_remove vm fast
ktap_finish
