#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="two write-back disks share a pool, each below its own dirty_high, together over it: the pool-wide mark writes both back, each in proportion, and the pool keeps room for new blocks; the data below and through the cache agree"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Pool: 1784 blocks. dirty_high=60, dirty_low=50: each disk may hold 1070
# dirty blocks and writes back to 892 once over; so does the pool, for
# all its disks together. a writes 900 blocks, b 850: each alone below
# its mark, together (1750) above the pool's, and near all it holds.
two_disks_pool
size=$(dev_sectors /dev/nba)
table() { # disk
	echo "0 $size vaio /dev/nb$1 11 disk_id $1 filter cache fail_closed 5 pool=fast mode=writeback dirty_high=60 dirty_low=50 sequential_kib=0"
}
ktap_check "disk a, writeback" dm_create a "$(table a)"
ktap_check "disk b, writeback" dm_create b "$(table b)"
ktap_eq "pool: 1784 blocks, none dirty" "$(pool_word blocks) $(pool_word dirty)" "1784 0"

# put DISK SEED BLOCKS [FIO ARGS]: BLOCKS blocks of 4 KiB from 0, written
# once each in random order, verified.
put() {
	local dev=/dev/mapper/"$1" seed="$2" n="$3"
	shift 3
	fio_verify "$dev" --size=$((n * 4))k --bs=4k --randseed="$seed" "$@"
}
ktap_check "a: 900 blocks written" put a 1 900
sleep 1
ktap_eq "a: all dirty, below its mark: none written back" \
	"$(vaio_filter_get a cache dirty) $(vaio_filter_get a cache writeback_kib)" "900 0"
ktap_check "b: 850 blocks written" put b 2 850
# Over the pool's mark (1070): both write back, each to its share of 892
# (a batch at a time: once there, writes after it may take the pool up
# again, to the mark at most).
under_mark() { [ "$(pool_word dirty)" -le 1070 ]; }
wait_until 100 under_mark
da=$(vaio_filter_get a cache dirty) db=$(vaio_filter_get b cache dirty)
ktap_diag "dirty: pool $(pool_word dirty), a $da, b $db"
ktap_check "the pool is under its mark (1070)" under_mark
ktap_check "a wrote back, though below its own mark" \
	test "$(vaio_filter_get a cache writeback_kib)" -gt 0
ktap_check "each keeps dirty blocks, neither all (a $da, b $db)" \
	test "$da" -ge 100 -a "$da" -lt 900 -a "$db" -ge 100 -a "$db" -lt 850
ktap_check "b's blocks went into the cache" \
	test "$(vaio_filter_get b cache write_misses)" -ge 850
# Room for new blocks: 200 more on b, from block 1024 on, all cached.
m=$(vaio_filter_get b cache write_misses)
ktap_check "b: 200 new blocks written" fio_verify /dev/mapper/b --size=800k \
	--offset=4m --bs=4k --randseed=3
ktap_eq "... all into the cache" "$(($(vaio_filter_get b cache write_misses) - m))" 200
ktap_check "a reads back its data" put a 1 900 --verify_only
ktap_check "b reads back its data" put b 2 850 --verify_only
ktap_check "a written back" dmsetup message a 0 cache writeback
ktap_check "b written back" dmsetup message b 0 cache writeback
ktap_eq "nothing dirty" "$(pool_word dirty)" 0
sum() { dd if="$1" bs=4k count=900 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1; }
blockdev --flushbufs /dev/nba /dev/nbb
ktap_eq "a and the disk below agree" "$(sum /dev/mapper/a)" "$(sum /dev/nba)"
ktap_eq "b and the disk below agree" "$(sum /dev/mapper/b)" "$(sum /dev/nbb)"
dmsetup remove a
dmsetup remove b
dmsetup remove fast
ktap_finish
