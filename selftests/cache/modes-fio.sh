#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache filter, writethrough and writearound on a small pool: fio verify with eviction running hot, reads through the cache equal the disk below, counters, sequential bypass"
TIMEOUT=600
SMP=2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The disk below: memory-backed null_blk (blk-mq: completions advance the
# bio). The cache: 8 MiB of brd, 1784 blocks of 4 KiB after the first MiB
# and the metadata, against 32 MiB of disk, so eviction never rests.
# Under the debug kernel (many times slower) a smaller disk, still 2x the pool.
mib=32
[ "${VAIO_DEBUG:-0}" = 1 ] && mib=16
nullb_mem nb $mib discard=1
nullb_mem nb2 $mib
brd_setup 8 1
size=$(dev_sectors /dev/nb)
modprobe dm-vaio-cache

ktap_check "pool created" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_eq "pool: 1784 blocks, all free" \
	"$(dmsetup status fast | awk '{ print $7, $13 }')" "1784 1784"
table() { echo "0 $size vaio /dev/nb 8 disk_id d0 filter cache fail_open 2 pool=fast mode=$1"; }
ktap_check "disk with the cache filter" dm_create vm "$(table writethrough)"

# Reads through the cache (4k, direct: each can hit), and the disk below.
same_as_below() {
	a=$(dd if=/dev/mapper/vm bs=4k iflag=direct 2>/dev/null | md5sum) &&
		b=$(dd if=/dev/nb bs=1M iflag=direct 2>/dev/null | md5sum) &&
		[ "$a" = "$b" ]
}

ktap_check "writethrough: fio verify (4k..16k, zipf)" zipf 1 --rw=randwrite
ktap_check "writethrough: verify again from the warm cache" \
	zipf 1 --rw=randwrite --verify_only
ktap_match "read hits counted ($(get read_hits))" "$(get read_hits)" '^[1-9]'
ktap_match "promotions counted ($(get promotions))" "$(get promotions)" '^[1-9]'
# The debug kernel's zipf (16 MiB) leaves room in the pool: two random
# reads of every block there fill it (the second promotes, the ghost
# filter having seen the first).
if [ "${VAIO_DEBUG:-0}" = 1 ]; then
	fio --name=fill --filename=/dev/mapper/vm --rw=randread --bs=4k \
		--direct=1 --ioengine=psync --loops=2 --output=/dev/null
fi
ktap_match "the pool filled and evicted ($(get demotions) demotions)" \
	"$(get demotions)" '^[1-9]'
ktap_eq "blocks in use are the pool's" "$(get blocks)" \
	"$(dmsetup status fast | awk '{ print $9 + $11 }')"
ktap_check "writethrough: reads through the cache equal the disk below" same_as_below
ktap_check "writethrough: 2 jobs of zipf reads and writes, 512..64k" mixed 6 2
ktap_check "... and still equal to the disk below" same_as_below
ktap_check "writethrough: fio verify, uniform reads and writes 4k..16k" \
	fio_verify /dev/mapper/vm --size=${mib}m --bsrange=4k-16k --rw=randrw --randseed=4

# The check above can fail: scribble over the cache's data area behind
# the filter's back, and cached blocks read back wrong.
h=$(get read_hits)
dd if=/dev/urandom of=/dev/ram0 bs=1M seek=2 count=6 oflag=direct 2>/dev/null
ktap_fails "a scribbled cache shows (the check can fail)" same_as_below
ktap_match "those reads were hits" "$(($(get read_hits) - h))" '^[1-9]'
ktap_check "invalidate message" dmsetup message vm 0 cache invalidate
ktap_eq "nothing cached after invalidate" "$(get blocks)" 0
ktap_check "equal again after invalidate" same_as_below

# Reads over several blocks hit when the blocks sit anywhere in the cache:
# 256k read 4k at a time in random order, then 64k at a time.
dmsetup message vm 0 cache invalidate
fio --name=scatter --filename=/dev/mapper/vm --direct=1 --rw=randread --bs=4k \
	--size=256k --randseed=9 --output=/dev/null
ktap_eq "256k cached, block by block in random order" "$(get blocks)" 64
h=$(get read_hits)
ktap_check "64k reads of it" sh -c \
	"dd if=/dev/mapper/vm of=/tmp/a bs=64k count=4 iflag=direct 2>/dev/null"
ktap_eq "each one hit" "$(($(get read_hits) - h))" 4
ktap_check "and read what the disk below has" sh -c \
	"dd if=/dev/nb of=/tmp/b bs=64k count=4 iflag=direct 2>/dev/null && cmp /tmp/a /tmp/b"

# Sequential reads of 64k: after sequential_kib (512) they bypass.
p=$(get promotions) s=$(get seq_bypass)
dd if=/dev/mapper/vm of=/dev/null bs=64k count=256 iflag=direct 2>/dev/null
ktap_match "sequential stream bypassed ($(($(get seq_bypass) - s)) reads)" \
	"$(($(get seq_bypass) - s))" '^2[0-9][0-9]$'
ktap_match "at most its first 512k promoted ($(($(get promotions) - p)) blocks)" \
	"$(($(get promotions) - p))" '^([0-9]|[0-9][0-9]|1[01][0-9]|12[0-8])$'

# Writearound: writes invalidate what they touch, the cache stays right.
ktap_check "reload as writearound" vaio_reload vm "$(table writearound)"
ktap_match "the cache stays warm across the reload ($(get blocks) blocks)" \
	"$(get blocks)" '^[1-9]'
w=$(get write_hits)
ktap_check "writearound: fio verify (4k..16k, zipf)" zipf 3 --rw=randwrite
ktap_check "writearound: 2 jobs of zipf reads and writes, 512..64k" mixed 6 5
ktap_eq "writearound: no write hit" "$(($(get write_hits) - w))" 0
ktap_match "writearound: writes invalidated ($(get invalidations))" \
	"$(get invalidations)" '^[1-9]'
ktap_check "writearound: equal to the disk below" same_as_below

# Discards drop what they cover: a small one at once, one over the whole
# disk in the pool's worker.
ktap_check "warm again" zipf 6 --rw=randwrite
b=$(get blocks)
ktap_check "discard of 1 MiB" blkdiscard -o 1048576 -l 1048576 /dev/mapper/vm
ktap_check "equal to the disk below" same_as_below
ktap_check "discard of the whole disk" blkdiscard /dev/mapper/vm
ktap_eq "nothing cached after it (was $b blocks)" "$(get blocks)" 0
ktap_check "equal to the disk below (zeroes)" same_as_below

# Another disk below under the same disk_id: nothing cached carries over.
ktap_check "warm again" zipf 7 --rw=randwrite
ktap_check "other data on the other disk" sh -c \
	"dd if=/dev/urandom of=/dev/nb2 bs=1M count=$mib oflag=direct 2>/dev/null"
ktap_check "reload onto the other disk" vaio_reload vm \
	"$(table writethrough | sed 's|/dev/nb |/dev/nb2 |')"
ktap_eq "the cache of the old disk is gone" "$(get blocks)" 0
# shellcheck disable=SC2016 # run by sh -c, expanded there
ktap_check "reads equal the new disk below" sh -c \
	'[ "$(dd if=/dev/mapper/vm bs=4k iflag=direct 2>/dev/null | md5sum)" = "$(md5sum </dev/nb2)" ]'

ktap_fails "the pool cannot go while a disk uses it" dmsetup remove fast

# The cache stays warm for the disk's return: across the removal of the
# disk and of the pool (it saves its entries; the next pool on the device
# takes the clean blocks back). A disk that ran without the cache joins
# it cold.
table2() { table "$1" | sed 's|/dev/nb |/dev/nb2 |'; }
same_as_nb2() {
	[ "$(dd if=/dev/mapper/vm bs=4k iflag=direct 2>/dev/null | md5sum)" = "$(md5sum </dev/nb2)" ]
}
ktap_check "disk removed" dmsetup remove vm
ktap_eq "no disk on the pool" "$(pool_word disks)" 0
b=$(pool_word used)
ktap_match "its blocks stay ($b)" "$b" '^[1-9]'
ktap_check "pool removed" dmsetup remove fast
ktap_check "a pool again on the same device" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_eq "it has the blocks back" "$(pool_word used)" "$b"
ktap_check "the disk again" dm_create vm "$(table2 writethrough)"
ktap_eq "they are its blocks" "$(get blocks)" "$b"
ktap_check "reads equal the disk below" same_as_nb2
ktap_match "and hit the warm cache ($(get read_hits))" "$(get read_hits)" '^[1-9]'
ktap_check "disk removed again" dmsetup remove vm
ktap_check "the disk without the cache" dm_create vm "0 $size vaio /dev/nb2 2 disk_id d0"
ktap_check "writes below the cache's back" \
	dd if=/dev/urandom of=/dev/mapper/vm bs=4k count=2048 oflag=direct
ktap_check "the cache joins the live disk" vaio_reload vm "$(table2 writethrough)"
ktap_eq "cold: the disk ran without it" "$(get blocks)" 0
ktap_check "reads equal the disk below" same_as_nb2
ktap_check "disk removed" dmsetup remove vm
ktap_check "pool removed" dmsetup remove fast
ktap_finish
