#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache memory tier: pool table checks, hot blocks served from memory, a write in each mode never leaves a stale copy (by hand and fio verify), reservations hold, reload and removal"
TIMEOUT=900
SMP=2
DEBUG_LANE=ci
CHECK=full                 # CI runs it in make check-debug (the debug subset); in make check 188 s: make check-full
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The disks below: memory-backed null_blk. The flash tier: 8 MiB of brd
# (1784 blocks of 4 KiB); the memory tier: 2 MiB (512 blocks), against
# 32 MiB disks. Small, so that both evict all the time. This test runs in
# the debug-kernel lane too (the memory tier's copies under KASAN), with a
# smaller disk and shorter runs.
mib=32 secs=5
[ "${VAIO_DEBUG:-0}" = 1 ] && mib=16 secs=3
nullb_mem nb $mib
nullb_mem nb2 $mib
brd_setup 8 1
size=$(dev_sectors /dev/nb)
modprobe dm-vaio-cache

pool="0 8 vaio-cache-pool /dev/ram0 format"
table_refused "memory_mib=0 is refused" "$pool memory_mib=0" \
	"memory_mib must be a number of MiB from 1 to 65536"
table_refused "memory_mib=abc is refused" "$pool memory_mib=abc" \
	"memory_mib must be a number of MiB from 1 to 65536"
table_refused "an unknown pool argument is refused" "$pool mem=2" \
	"arguments are memory_mib=, block_size=, uuid=, commit_ms=, format"
table_refused "a bad uuid is refused" "$pool uuid=x" \
	"uuid= must be a UUID"
table_refused "a seventh pool argument is refused" "$pool memory_mib=2 block_size=4096 uuid=$(cat /proc/sys/kernel/random/uuid) commit_ms=5 x" \
	"a cache device, memory_mib=, block_size=, uuid=, commit_ms=, format"
table_refused "commit_ms=0 is refused" "$pool commit_ms=0" \
	"commit_ms must be a number of ms from 1 to 3600000"
table_refused "commit_ms=3600001 is refused" "$pool commit_ms=3600001" \
	"commit_ms must be a number of ms from 1 to 3600000"
table_refused "a memory tier with 32 KiB blocks is refused (for now)" \
	"$pool memory_mib=2 block_size=32768" "memory_mib needs block_size=4096 for now"
table_refused "a memory tier larger than the cache device is refused" \
	"$pool memory_mib=16" "memory tier larger than the cache device"
ktap_check "pool with 2 MiB of memory" dm_create fast "$pool memory_mib=2"
ktap_eq "pool status: 512 memory blocks, none used" \
	"$(pool_word memory_blocks) $(pool_word memory_used)" "512 0"
ktap_match "the pool's table names its memory tier" "$(dmsetup table fast)" \
	' memory_mib=2$'
ktap_check "a reload with commit_ms=250" \
	vaio_reload fast "$pool memory_mib=2 commit_ms=250"
ktap_match "the pool's table names it" "$(dmsetup table fast)" \
	' memory_mib=2 commit_ms=250$'
ktap_check "a reload with the same memory tier" \
	vaio_reload fast "$pool memory_mib=2"
ktap_match "and the default commit_ms again" "$(dmsetup table fast)" \
	' memory_mib=2$'
dmesg -c >/dev/null
ktap_fails "a reload with another memory tier size is refused" \
	sh -c "echo '$pool memory_mib=4' | dmsetup load fast"
ktap_check "... saying why" \
	sh -c "dmesg | grep -q 'pool is in use with another memory tier size'"
dmsetup clear fast

table() {
	fm=fail_open
	[ "$2" = writeback ] && fm=fail_closed	# never bypassed
	echo "0 $size vaio /dev/$1 8 disk_id $1 filter cache $fm 2 pool=fast mode=$2"
}
ktap_check "disk with the cache filter" dm_create vm "$(table nb writethrough)"
get() { vaio_filter_get vm cache "$1"; }

# Block BLK by hand: 4 KiB of one character, direct I/O.
put() {
	head -c 4096 /dev/zero | tr '\0' "$2" |
		dd of=/dev/mapper/vm bs=4k seek="$1" count=1 oflag=direct 2>/dev/null
}
blk() { dd if=/dev/mapper/vm bs=4k skip="$1" count=1 iflag=direct 2>/dev/null | md5sum; }
want() { head -c 4096 /dev/zero | tr '\0' "$1" | md5sum; }
# heat BLK N: read it N times; the last read's sum.
heat() {
	for _ in $(seq "$2"); do
		blk "$1" >/tmp/blk.sum
	done
	cat /tmp/blk.sum
}

# A block read often is copied to memory (on its third hit) and served
# from there; a write over it, whole or in part, in each mode, is read
# back at once and after the block is hot again.
k=0
for mode in writethrough writeback writearound; do
	k=$((k + 1))
	b=$((1000 + k))
	vaio_reload vm "$(table nb $mode)"
	put $b A
	h=$(get memory_hits)
	ktap_eq "$mode: block $b read 6 times" "$(heat $b 6)" "$(want A)"
	ktap_match "$mode: ... from memory ($(($(get memory_hits) - h)) memory hits)" \
		"$(($(get memory_hits) - h))" '^[1-9]'
	put $b B
	ktap_eq "$mode: a write over it reads back new" "$(blk $b)" "$(want B)"
	ktap_eq "$mode: ... and once hot again" "$(heat $b 6)" "$(want B)"
	dio_fill /dev/mapper/vm $(((b * 8 + 3) * 512)) 512 0x43
	exp=$( (head -c 1536 /dev/zero | tr '\0' B; head -c 512 /dev/zero | tr '\0' C
		head -c 2048 /dev/zero | tr '\0' B) | md5sum)
	ktap_eq "$mode: a 512-byte write into it reads back" "$(blk $b)" "$exp"
	ktap_eq "$mode: ... and once hot again" "$(heat $b 6)" "$exp"
done
vaio_reload vm "$(table nb writethrough)"

# The reads above came from memory: with the flash tier's data scribbled
# behind the filter's back, a block in memory still reads right, a block
# only on flash does not (this shows the checks above can fail).
put 2001 D
heat 2001 6 >/dev/null
put 2002 E
blk 2002 >/dev/null
# The data area: from the superblock's data_start (a sector number at
# byte 32) on, 1784 blocks.
# (4 KiB blocks: busybox dd's O_DIRECT of less falls back to the page
# cache, whose write-back would come later.)
ds=$(od -An -tu8 -j32 -N8 /dev/ram0 | tr -d ' ')
ktap_match "the data area starts at sector $ds (a page, past the entries)" "$ds" '^2[0-9][0-9][0-9]$'
dd if=/dev/urandom of=/dev/ram0 bs=4k seek=$((ds / 8)) count=1784 oflag=direct 2>/dev/null
ktap_eq "over a scribbled flash tier, the block in memory reads right" \
	"$(blk 2001)" "$(want D)"
ktap_fails "... the block on flash only does not" \
	test "$(blk 2002)" = "$(want E)"
ktap_check "invalidate" dmsetup message vm 0 cache invalidate
ktap_eq "the memory tier is empty after it" "$(get memory_blocks)" 0
ktap_eq "... and both blocks read right" "$(blk 2001) $(blk 2002)" \
	"$(want D) $(want E)"

# fio verify in each mode, with a hot zipf set that both tiers evict
# from, and mixed reads and writes of 512 B to 64 KiB on the same blocks
# at once; the disk below must then equal what reads through the cache
# (after write-back). Under the debug kernel (CI's subset: 7 minutes for
# the three modes) in write-back only, the mode with the most paths; the
# writes by hand above ran in all three there too.
modes="writethrough writeback writearound"
[ "${VAIO_DEBUG:-0}" = 1 ] && modes=writeback
same_as_below() {
	a=$(dd if=/dev/mapper/vm bs=4k iflag=direct 2>/dev/null | md5sum) &&
		b=$(dd if=/dev/nb bs=1M iflag=direct 2>/dev/null | md5sum) &&
		[ "$a" = "$b" ]
}
hot() {
	fio --name=hot --filename=/dev/mapper/vm --ioengine=libaio --direct=1 \
		--rw=randread --bsrange=4k-16k --iodepth=8 --size=${mib}m \
		--random_distribution=zipf:1.2 --time_based --runtime="$1" \
		--output-format=json 2>/tmp/fio.err | fio_json_ok
}
# shellcheck disable=SC2086 # a list of words
for mode in $modes; do
	vaio_reload vm "$(table nb $mode)"
	h=$(get memory_hits)
	ktap_check "$mode: fio verify (4k..16k, zipf)" \
		fio_verify /dev/mapper/vm --size=${mib}m --bsrange=4k-16k \
		--random_distribution=zipf:1.2 --randseed=$k --rw=randwrite
	ktap_check "$mode: zipf reads for ${secs}s" hot $secs
	ktap_check "$mode: ... verify again" \
		fio_verify /dev/mapper/vm --size=${mib}m --bsrange=4k-16k \
		--random_distribution=zipf:1.2 --randseed=$k --rw=randwrite \
		--verify_only
	ktap_match "$mode: memory hits ($(($(get memory_hits) - h)))" \
		"$(($(get memory_hits) - h))" '^[1-9]'
	# 4 MiB read pass after pass: some of it from memory; then every
	# block of it written (4 KiB: the writethrough copy, the in-place
	# write-back write), and read back. The cache is emptied first
	# (after write-back): else the zipf blocks above fill the protected
	# part of the cache device and few of these 1024 blocks stay there.
	# Then the first pass fills the cache device, the second protects the
	# blocks there, and from the third on a hit on a protected block
	# copies it to memory. Each pass in another random order (fio ignores
	# --randseed unless --randrepeat=0): in the same order every pass
	# (fio's --loops) a least recently used tier half the size of the
	# loop never hits. A block goes to memory on a hit on the cache
	# device, not while its promotion there is in flight: after the first
	# pass the promotions land (under load they take a while).
	read4m() {
		fio --name=h --filename=/dev/mapper/vm --ioengine=libaio --iodepth=8 \
			--direct=1 --rw=randread --bs=4k --size=4m --randrepeat=0 \
			--randseed="$1" \
			--output-format=json 2>/tmp/fio.err | fio_json_ok
	}
	# reads FIRST LAST: passes with seeds FIRST..LAST
	reads() {
		local i
		for i in $(seq "$1" "$2"); do
			read4m "$i" || return 1
		done
	}
	settled() {
		local a b i
		a=$(get promotions)
		for i in $(seq 1 20); do
			sleep 0.5
			b=$(get promotions)
			[ "$a" = "$b" ] && return 0
			a=$b
		done
	}
	ktap_check "$mode: the cache emptied" dmsetup message vm 0 cache invalidate
	ktap_check "$mode: 4 MiB read once" read4m 1
	settled
	r=$(get read_hits)
	ktap_check "$mode: ... twice, 3 and 4 times" reads 2 4
	r=$(($(get read_hits) - r))
	ktap_check "$mode: ... hits on the cache device ($r of 3072)" \
		test "$r" -ge 3000
	h=$(get memory_hits)
	ktap_check "$mode: ... 5 and 6 times" reads 5 6
	ktap_match "$mode: ... from memory too ($(($(get memory_hits) - h)))" \
		"$(($(get memory_hits) - h))" '^[1-9][0-9][0-9]'
	ktap_check "$mode: fio verify of 4 KiB writes over it" \
		fio_verify /dev/mapper/vm --size=4m --bs=4k --rw=randwrite \
		--randseed=$((k + 100))
	ktap_check "$mode: 2 jobs of zipf reads and writes, 512..64k" mixed $secs $k
	[ "$mode" = writeback ] && dmsetup message vm 0 cache writeback
	ktap_check "$mode: reads through the cache equal the disk below" same_as_below
	k=$((k + 1))
done
ktap_eq "memory blocks: the pool's are the disk's" "$(pool_word memory_used)" \
	"$(get memory_blocks)"

# Reservations hold in memory too: 200 hot blocks of vm, then 600 of a
# neighbour. With no reservation vm's copies go (the check can fail);
# with reserve=50 (256 of the 512 memory blocks) they stay.
ktap_check "a neighbour disk on the pool" dm_create vm2 "$(table nb2 writethrough)"
# hotblocks DEV FIRST N: write N blocks from FIRST, then read each 3 times
# (in random order: a sequential stream is not copied to memory).
hotblocks() {
	fio --name=w --filename="$1" --ioengine=psync --direct=1 --rw=write \
		--bs=4k --offset=$(($2 * 4096)) --size=$(($3 * 4096)) \
		--output-format=json 2>/tmp/fio.err | fio_json_ok &&
		fio --name=r --filename="$1" --ioengine=psync --direct=1 --rw=randread \
			--bs=4k --offset=$(($2 * 4096)) --size=$(($3 * 4096)) \
			--loops=3 --output-format=json 2>/tmp/fio.err | fio_json_ok
}
# Under the debug kernel (CI's debug subset) only reserve=50, whose
# evictions and reservation both run there (each round about 80 s):
# make check-full runs both on the cloud kernel.
reserves="0 50"
[ "${VAIO_DEBUG:-0}" = 1 ] && reserves=50
for reserve in $reserves; do
	dmsetup message vm 0 cache invalidate
	dmsetup message vm2 0 cache invalidate
	vaio_reload vm "0 $size vaio /dev/nb 9 disk_id nb filter cache fail_open 3 pool=fast mode=writethrough reserve=$reserve"
	ktap_check "reserve=$reserve: 200 hot blocks on vm" hotblocks /dev/mapper/vm 3000 200
	ktap_eq "reserve=$reserve: ... all in memory" "$(get memory_blocks)" 200
	ktap_check "reserve=$reserve: 600 on the neighbour" hotblocks /dev/mapper/vm2 3000 600
	ktap_eq "reserve=$reserve: the memory tier is full" "$(pool_word memory_used)" 512
	left=$(get memory_blocks)
	if [ "$reserve" = 0 ]; then
		ktap_match "reserve=0: vm's copies were evicted ($left left)" "$left" '^1?[0-9]?[0-9]$'
	else
		ktap_eq "reserve=50: vm's copies stayed" "$left" 200
	fi
done
ktap_eq "vm2's memory blocks are the rest" \
	"$(vaio_filter_get vm2 cache memory_blocks)" 312

ktap_check "the disks go" dm_remove vm vm2
ktap_check "the pool goes" dm_remove fast
ktap_eq "no warning in the kernel log" "$(dmesg | grep -c 'WARNING\|BUG')" 0
ktap_finish
