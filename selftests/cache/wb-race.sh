#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="write-back races with writes below: a write whose cached block is written back and dropped before its data lands in the cache goes below, and a read meanwhile must not promote the old data (a slow cache device); a block written back while a write below over it is in flight is not kept clean in the cache (a throttled cgroup)"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The disk below: 64 MiB of brd (ram1). The cache: 8 MiB of brd (ram0)
# behind "cdev", whose data area can be made slow to write.
brd_setup 64 2
size=$(dev_sectors /dev/ram1)
csize=$(dev_sectors /dev/ram0)
modprobe dm-vaio-cache
modprobe dm-delay

X=100				# the block raced for
pat() { awk -v c="$1" 'BEGIN { for (i = 0; i < 4096; i++) printf "%s", c }'; }
pat a >/tmp/a0
pat A >/tmp/a1
# tail_sum DEV: the checksum of bytes 512..4095 of block X of DEV (B
# does not write them: every outcome has A's there).
tail_sum() {
	dd if="$1" bs=4k skip=$X count=1 iflag=direct 2>/dev/null | tail -c 3584 | md5sum
}
want=$(tail -c 3584 /tmp/a1 | md5sum)

ktap_check "cache device" dm_create cdev "0 $csize linear /dev/ram0 0"
ktap_check "pool created" dm_create fast "0 8 vaio-cache-pool /dev/mapper/cdev format"
ktap_check "disk in writeback mode" dm_create vm \
	"0 $size vaio /dev/ram1 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
ktap_check "block $X written: dirty in the cache" \
	dd if=/tmp/a0 of=/dev/mapper/vm bs=4k seek=$X oflag=direct
ktap_eq "one dirty block" "$(get dirty)" 1

# The data area of the cache device (after the superblock's data_start)
# now takes W ms to write; its reads, flushes and the metadata stay fast.
# Everything below must happen within W: 5 s (25 s on the debug kernel).
W=5000
[ "${VAIO_DEBUG:-0}" = 1 ] && W=25000
ds=$(od -An -tu8 -j32 -N8 /dev/mapper/cdev | tr -d ' ')
ktap_match "the pool's data area starts at sector $ds" "$ds" '^[1-9][0-9]*$'
ktap_check "its writes slow (dm-delay, $W ms)" vaio_reload cdev "0 $ds linear /dev/ram0 0
$ds $((csize - ds)) delay /dev/ram0 $ds 0 /dev/ram0 $ds $W /dev/ram0 $ds 0"
# a_in_flight: A's write waits in the slow data area (dm-delay's status:
# reads, writes and flushes it holds).
a_in_flight() {
	for _ in $(seq 1 100); do
		[ "$(dmsetup status cdev | awk '$3 == "delay" { print $5 }')" -gt 0 ] 2>/dev/null &&
			return 0
		sleep 0.05
	done
	return 1
}

# 1. A's data heads for the cache (2 s). B, 512 bytes of the same block,
# is a write below: the block is written back (old data) and dropped. A
# then lands on a dropped block and goes below. Meanwhile a read misses
# and promotes from below.
dd if=/tmp/a1 of=/dev/mapper/vm bs=4k seek=$X oflag=direct 2>/dev/null &
wa=$!
ktap_check "A on its way to the cache" a_in_flight
ktap_check "B written below over part of the block" \
	dio_fill /dev/mapper/vm $((X * 4096)) 512 0x42
ktap_check "a read of the block meanwhile" \
	dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$X count=1 iflag=direct
ktap_check "A still in flight after it (the race ran)" kill -0 $wa
wait $wa
ktap_eq "A acknowledged" "$?" 0
# Whatever its read promoted has landed in the cache by now. The counters
# first: the checks' own reads promote.
sleep $((W / 1000 + 1))
counts="$(get invalidations) $(get promotions)"
ktap_eq "the VM reads A's data (no stale promotion)" "$(tail_sum /dev/mapper/vm)" "$want"
ktap_eq "so does the disk below" "$(tail_sum /dev/ram1)" "$want"
# B's drop, and the drop of what the read began to promote.
ktap_eq "the read's promotion dropped (invalidations 2, promotions 0)" \
	"$counts" "2 0"

ktap_check "cache device fast again" vaio_reload cdev "0 $csize linear /dev/ram0 0"

# 2. A write below that lands after its block was written back. V, 512
# bytes of block Y, goes below from a cgroup whose writes to ram1 are
# throttled (blk-throttle: seconds). Meanwhile V2, all of block Y, is
# cached dirty, and the writeback message writes it below (not
# throttled: the pool's own I/O). V lands last: the disk holds V over
# V2. A clean copy of V2 kept in the cache would be read until it goes,
# then the disk's: the block would change with no write.
Y=200
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
echo +io >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/slow
BPS=128				# V waits 4 s (16 s on the debug kernel)
[ "${VAIO_DEBUG:-0}" = 1 ] && BPS=32
ktap_check "a cgroup writing $BPS bytes/s to ram1" \
	sh -c "echo '$(cat /sys/block/ram1/dev) wbps=$BPS' >/sys/fs/cgroup/slow/io.max"
# v_mapped: the cache has seen V (a write miss more than before it).
v_mapped() {
	for _ in $(seq 1 200); do
		[ "$(get write_misses)" -gt "$m0" ] && return 0
		sleep 0.05
	done
	return 1
}
m0=$(get write_misses)
sh -c 'echo $$ >/sys/fs/cgroup/slow/cgroup.procs &&
	exec fio --name=v --filename=/dev/mapper/vm --rw=write --bs=512 --size=512 \
		--offset='$((Y * 4096))' --direct=1 --ioengine=psync --eta=never \
		--buffer_pattern=0x56 --scramble_buffers=0 --output=/dev/null' &
wv=$!
ktap_check "V, 512 bytes of block Y, on its way below" v_mapped
ktap_check "V2, all of block Y, cached dirty meanwhile" \
	dd if=/tmp/a1 of=/dev/mapper/vm bs=4k seek=$Y oflag=direct
ktap_check "written back (the writeback message)" dmsetup message vm 0 cache writeback
ktap_check "V still in flight after it (the race ran)" kill -0 $wv
wait $wv
ktap_eq "V acknowledged" "$?" 0
blk_sum() { dd if="$1" bs=4k skip=$Y count=1 iflag=direct 2>/dev/null | md5sum; }
below=$(blk_sum /dev/ram1)
ktap_fails "the disk below has V over V2 (V landed last)" \
	test "$below" = "$(md5sum </tmp/a1)"
ktap_eq "the VM reads what the disk below holds" "$(blk_sum /dev/mapper/vm)" "$below"
ktap_check "and still after the cache drops everything" \
	dmsetup message vm 0 cache invalidate
ktap_eq "... the same" "$(blk_sum /dev/mapper/vm)" "$below"

ktap_check "disk removed" dm_remove vm
ktap_check "pool removed" dm_remove fast
dm_remove cdev
ktap_finish
