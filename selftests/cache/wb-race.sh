#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache races with writes below: a write whose cached block is written back and dropped before its data lands in the cache goes below, and a read meanwhile must not promote the old data (a slow cache device); a block written back, or copied by write-through, while a write below over it is in flight is not kept in the cache (a throttled cgroup; also with the write-back's flush held)"
TIMEOUT=300
KCONFIG="CONFIG_BLK_DEV_THROTTLING"
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

# 1. A's data heads for the cache (2 s). B, the last 512 bytes of block
# X-1 and the first 512 of X, is a write below (X-1 is not cached, and a
# write-back write lands in a block it covers in part only if that block
# is cached): block X is written back (old data) and dropped. A then
# lands on a dropped block and goes below. Meanwhile a read misses and
# promotes from below.
dd if=/tmp/a1 of=/dev/mapper/vm bs=4k seek=$X oflag=direct 2>/dev/null &
wa=$!
ktap_check "A on its way to the cache" delay_holds cdev
ktap_check "B written below over part of the block" \
	dio_fill /dev/mapper/vm $((X * 4096 - 512)) 1024 0x42
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
# B's drop; the read promotes nothing while A, a write-back write to the
# cache, is in flight (wb-lost-partial.sh says why).
ktap_eq "B's drop only: the read promoted nothing while A was in flight (invalidations 1, promotions 0)" \
	"$counts" "1 0"

ktap_check "cache device fast again" vaio_reload cdev "0 $csize linear /dev/ram0 0"

ktap_check "part 1's disk removed" dm_remove vm

# 2.-4. A write below that lands after V2, a whole-block write of the
# same block. V, 512 bytes of block Y, goes below from a cgroup whose
# writes to the device under the disk are throttled (blk-throttle:
# seconds); V2 is not (the pool's own I/O is not either). V lands last:
# the disk holds V over V2. A copy of V2 kept clean in the cache would be
# read until it goes, then the disk's: the block would change with no
# write.
Y=200
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
echo +io >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/slow
BPS=128				# V waits 4 s (16 s on the debug kernel)
[ "${VAIO_DEBUG:-0}" = 1 ] && BPS=32
# v_mapped: the cache has seen V (a write more than before it: a miss, or
# a hit when a read promoted block Y).
writes() { echo $(($(get write_misses) + $(get write_hits))); }
v_mapped() {
	for _ in $(seq 1 200); do
		[ "$(writes)" -gt "$m0" ] && return 0
		sleep 0.05
	done
	return 1
}
blk_sum() { dd if="$1" bs=4k skip=$Y count=1 iflag=direct 2>/dev/null | md5sum; }
# late_write WHAT DEV BELOW MODE [WRITEBACK]: vm in MODE over BELOW, whose
# writes reach DEV; V throttled to DEV; V2 written while V is on its way;
# WRITEBACK: then written back by the message, V still in flight after
# it (in) or finished before it ends (finished: V landed after the copy
# and ended before the write-back's flush did).
late_write() {
	what=$1 dev=$2 below=$3 mode=$4
	ktap_check "$what: disk in $mode mode" dm_create vm \
		"0 $size vaio $below 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=$mode dirty_high=90 dirty_low=80"
	ktap_check "$what: a cgroup writing $BPS bytes/s to $dev" \
		sh -c "echo '$(cat "/sys/block/${dev#/dev/}/dev") wbps=$BPS' >/sys/fs/cgroup/slow/io.max"
	m0=$(writes)
	sh -c 'echo $$ >/sys/fs/cgroup/slow/cgroup.procs &&
		exec fio --name=v --filename=/dev/mapper/vm --rw=write --bs=512 --size=512 \
			--offset='$((Y * 4096))' --direct=1 --ioengine=psync --eta=never \
			--buffer_pattern=0x56 --scramble_buffers=0 --output=/dev/null' &
	wv=$!
	ktap_check "$what: V, 512 bytes of block Y, on its way below" v_mapped
	ktap_check "$what: V2, all of block Y, meanwhile" \
		dd if=/tmp/a1 of=/dev/mapper/vm bs=4k seek=$Y oflag=direct
	# A write below in flight (not one waiting for write-back of its
	# blocks) holds no write-back write off: V2 is cached, dirty.
	[ "$mode" = writeback ] &&
		ktap_eq "$what: V2 cached, dirty" "$(get dirty)" 1
	[ -n "${5:-}" ] &&
		ktap_check "$what: written back (the writeback message)" \
			dmsetup message vm 0 cache writeback
	if [ "${5:-}" = finished ]; then
		ktap_fails "$what: V done before the write-back (the race ran)" kill -0 $wv
	else
		ktap_check "$what: V still in flight after it (the race ran)" kill -0 $wv
	fi
	wait $wv
	ktap_eq "$what: V acknowledged" "$?" 0
	on_disk=$(blk_sum "$dev")
	ktap_fails "$what: the disk below has V over V2 (V landed last)" \
		test "$on_disk" = "$(md5sum </tmp/a1)"
	ktap_eq "$what: the VM reads what the disk below holds" \
		"$(blk_sum /dev/mapper/vm)" "$on_disk"
	ktap_check "$what: the cache drops everything" \
		dmsetup message vm 0 cache invalidate
	ktap_eq "$what: ... the same" "$(blk_sum /dev/mapper/vm)" "$on_disk"
	dm_remove vm
	echo "$(cat "/sys/block/${dev#/dev/}/dev") wbps=max" >/sys/fs/cgroup/slow/io.max
}
# 2. V2 cached dirty and written back before V lands. (From 3e2a282 to
# 2026-12-07 V2 went below instead, and this part and the next said so.)
late_write "write-back" /dev/ram1 /dev/ram1 writeback in
# 3. The same with the write-back's flush below held (V lands after the
# copy and completes before that flush does): the disk below a null_blk
# with a volatile cache, under a dm-delay that holds only flushes.
nullb_mem nb0 64 cache_size=16
# Twice V's 4 s: V is submitted a second or two before the message, and
# at 4000 ms it once finished after the flush (make check, 2026-12-07).
F=8000
[ "${VAIO_DEBUG:-0}" = 1 ] && F=20000
ktap_check "a disk below whose flushes take $F ms" \
	dm_create slowflush "0 $(dev_sectors /dev/nb0) delay /dev/nb0 0 0 /dev/nb0 0 0 /dev/nb0 0 $F"
late_write "slow flush" /dev/nb0 /dev/mapper/slowflush writeback finished
dm_remove slowflush
# 4. Write-through: V2's copy in the cache while V is in flight.
late_write "write-through" /dev/ram1 /dev/ram1 writethrough

ktap_check "pool removed" dm_remove fast
dm_remove cdev
ktap_finish
