#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="write-through, 4 KiB and 32 KiB blocks: two writes of a cached block in flight at once (held below by dm-delay) leave it stale, not dropped; after the last one it is read again from below and cached, and reads back as the disk below has it; a write during that read makes it stale again and it is read once more after that write"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Two writes over one block in flight at once may land below in one order
# and in the cache in the other. dm-cache writes both places at once and
# keeps whichever its cache got last; vaio makes the block stale (reads go
# below) until the last write over it ended, then reads the block from
# below into the cache (a refill, counted in promotions). Before, the
# second write dropped the block, and only reads that missed brought it
# back. The disk below: 64 MiB of brd (ram1) behind "slow", a dm-delay
# that holds writes (and reads, for the last part) when reloaded so.
brd_setup 64 2
size=$(dev_sectors /dev/ram1)
modprobe dm-vaio-cache
modprobe dm-delay
cleanup() { for d in vm fast slow; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

X=10				# the block
W=2000				# ms a write is held below
R=1500				# ms a read is held below (the refill)
[ "${VAIO_DEBUG:-0}" = 1 ] && W=5000 R=4000

# delays READ_MS WRITE_MS: slow's table.
delays() { echo "0 $size delay /dev/ram1 0 $1 /dev/ram1 0 $2"; }
# vm_sum BS, below_sum BS: md5 of block X through vm, and below.
vm_sum() { dd if=/dev/mapper/vm bs="$1" skip=$X count=1 iflag=direct 2>/dev/null | md5sum; }
below_sum() { dd if=/dev/ram1 bs="$1" skip=$X count=1 iflag=direct 2>/dev/null | md5sum; }
# held_writes N: slow holds N writes.
held_writes() { [ "$(delay_held slow)" = "$1" ]; }
# hit_as_below WHAT SEEK FILE: block X reads from the cache (a hit) as
# the disk below has it, and its 4 KiB at SEEK (of 4 KiB) is FILE's (WHAT).
hit_as_below() {
	local h
	h=$(get read_hits)
	ktap_eq "$k KiB: a read of the block is a hit, and the data is the disk below's" \
		"$(vm_sum "$BS") $(($(get read_hits) - h))" "$(below_sum "$BS") 1"
	ktap_eq "$k KiB: ... with $1" \
		"$(dd if=/dev/mapper/vm bs=4k skip="$2" count=1 iflag=direct 2>/dev/null | md5sum)" \
		"$(md5sum <"$3")"
}
promoted_to() { [ "$(get promotions)" = "$1" ]; }

for BS in 4096 32768; do
	k=$((BS / 1024))
	ktap_check "$k KiB: the disk below, without delays" dm_create slow "$(delays 0 0)"
	ktap_check "$k KiB: pool" dm_create fast \
		"0 8 vaio-cache-pool /dev/ram0 block_size=$BS format"
	ktap_check "$k KiB: disk, writethrough" dm_create vm \
		"0 $size vaio /dev/mapper/slow 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=writethrough"
	head -c "$BS" /dev/urandom | dd of=/dev/ram1 bs="$BS" seek=$X oflag=direct 2>/dev/null
	for n in 1 2 3 4 5; do head -c 4096 /dev/urandom >/tmp/w$n; done
	p=$(get promotions)
	dd if=/dev/mapper/vm of=/dev/null bs="$BS" skip=$X count=1 iflag=direct 2>/dev/null
	ktap_check "$k KiB: block $X cached by a read" wait_until 50 promoted_to $((p + 1))
	p=$((p + 1))

	# Two writes of 4 KiB of the block (at 32 KiB its first and fourth
	# 4 KiB: the same block, not the same sectors), the second sent while
	# the first is held below. The first copies into the cache.
	ktap_check "$k KiB: writes held below" vaio_reload slow "$(delays 0 "$W")"
	inv=$(get invalidations)
	first=$((X * BS / 4096))
	second=$((first + (BS / 4096 - 1) / 2))	# at 4 KiB: the same
	dd if=/tmp/w1 of=/dev/mapper/vm bs=4k seek=$first oflag=direct 2>/dev/null &
	w1=$!
	ktap_check "$k KiB: the first write held below" delay_holds slow
	dd if=/tmp/w2 of=/dev/mapper/vm bs=4k seek=$second oflag=direct 2>/dev/null &
	w2=$!
	ktap_check "$k KiB: the second write held below too" wait_until 50 held_writes 2
	h=$(get read_hits)
	dd if=/dev/mapper/vm of=/dev/null bs="$BS" skip=$X count=1 iflag=direct 2>/dev/null
	ktap_eq "$k KiB: meanwhile a read of the block goes below (stale)" "$(get read_hits)" "$h"
	wait $w1 $w2
	ktap_check "$k KiB: after both, the block is read from below into the cache again" \
		wait_until 50 promoted_to $((p + 1))
	p=$((p + 1))
	ktap_eq "$k KiB: the block was not dropped" "$(get invalidations)" "$inv"
	hit_as_below "the second write's data" $second /tmp/w2

	# Again, with the refill's read held below too: a write sent while it
	# is held makes the block stale again; the refill's data is dropped,
	# and the write's end reads the block once more.
	ktap_check "$k KiB: reads and writes held below" vaio_reload slow "$(delays "$R" "$W")"
	dd if=/tmp/w3 of=/dev/mapper/vm bs=4k seek=$first oflag=direct 2>/dev/null &
	w1=$!
	delay_holds slow
	dd if=/tmp/w4 of=/dev/mapper/vm bs=4k seek=$second oflag=direct 2>/dev/null &
	w2=$!
	wait_until 50 held_writes 2
	wait $w1 $w2
	dd if=/tmp/w5 of=/dev/mapper/vm bs=4k seek=$first oflag=direct 2>/dev/null &
	w1=$!
	wait $w1
	ktap_eq "$k KiB: the write during the refill's read ended before it was cached" "$(get promotions)" "$p"
	ktap_check "$k KiB: then the block is read into the cache once more" \
		wait_until $((R / 50 + 50)) promoted_to $((p + 1))
	ktap_eq "$k KiB: still not dropped" "$(get invalidations)" "$inv"
	vaio_reload slow "$(delays 0 0)"
	hit_as_below "the last write's data" $first /tmp/w5
	cleanup
	dd if=/dev/zero of=/dev/ram0 bs=1M count=1 oflag=direct 2>/dev/null
done
ktap_finish
