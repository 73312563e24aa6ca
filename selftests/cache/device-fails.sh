#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache device fails (dm-flakey under the pool): writethrough and writearound carry on uncached, no error reaches the VM, no data is lost; writeback fails closed, counts what is at risk, and writes it back once the device returns; a write-back write failed over clean blocks goes below, nothing at risk"
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Under the debug kernel (many times slower) a smaller disk.
mib=64
[ "${VAIO_DEBUG:-0}" = 1 ] && mib=16
nullb_mem nb $mib
brd_setup 8 1
size=$(dev_sectors /dev/nb)
csize=$(dev_sectors /dev/ram0)
modprobe dm-flakey
modprobe dm-vaio-cache

same_as_below() {
	a=$(dd if=/dev/mapper/vm bs=4k iflag=direct 2>/dev/null | md5sum) &&
		b=$(dd if=/dev/nb bs=1M iflag=direct 2>/dev/null | md5sum) &&
		[ "$a" = "$b" ]
}
zipf() {
	seed=$1
	shift
	fio_verify /dev/mapper/vm --size=32m --bs=4k --random_distribution=zipf:1.2 \
		--randseed="$seed" "$@"
}

for mode in writethrough writearound; do
	ktap_check "$mode: flakey cache device, up" \
		dm_create cflaky "0 $csize flakey /dev/ram0 0 3600 0"
	ktap_check "$mode: pool on it" dm_create fast "0 8 vaio-cache-pool /dev/mapper/cflaky format"
	ktap_check "$mode: disk" dm_create vm \
		"0 $size vaio /dev/nb 8 disk_id d0 filter cache fail_open 2 pool=fast mode=$mode"
	ktap_check "$mode: fio verify, cache warm" zipf 1 --rw=randwrite
	ktap_check "$mode: verify again (hits)" zipf 1 --rw=randwrite --verify_only
	hits=$(get read_hits)
	ktap_match "$mode: reads hit the cache ($hits)" "$hits" '^[1-9]'

	# The cache device now fails every read and write.
	ktap_check "$mode: cache device goes down" \
		vaio_reload cflaky "0 $csize flakey /dev/ram0 0 0 3600"
	ktap_check "$mode: verify reads the same data, no error" \
		zipf 1 --rw=randwrite --verify_only
	ktap_eq "$mode: the pool failed" "$(pool_word state)" failed
	ktap_match "$mode: and counted errors ($(pool_word errors))" "$(pool_word errors)" '^[1-9]'
	ktap_eq "$mode: the filter says so" "$(get state)" failed
	ktap_eq "$mode: the filter stays active (the disk goes on uncached)" \
		"$(vaio_filter_state vm cache)" active
	ktap_eq "$mode: no error reached the VM" "$(vaio_stat vm errors)" 0
	h=$(get read_hits)
	ktap_check "$mode: new writes and reads verify, uncached" zipf 2 --rw=randwrite
	ktap_eq "$mode: no hit since" "$(get read_hits)" "$h"
	ktap_check "$mode: reads equal the disk below" same_as_below
	ktap_check "$mode: the cache device comes back" \
		vaio_reload cflaky "0 $csize flakey /dev/ram0 0 3600 0"
	ktap_check "$mode: still right" zipf 2 --rw=randwrite --verify_only
	dmsetup remove vm
	dmsetup remove fast
	dmsetup remove cflaky
done
ktap_match "the kernel log names the failed pool" \
	"$(dmesg | grep -c 'pool fast: cache device error')" '^[1-9]'

# Writeback: the cache holds the only copy of dirty blocks. When it fails
# a read of one fails (it is not read stale from below), the disk follows
# fail_closed, and the count of blocks at risk stays in the status and
# the log; when the device is back, removing the disk writes them back.
m=writeback
ktap_check "$m: flakey cache device, up" \
	dm_create cflaky "0 $csize flakey /dev/ram0 0 3600 0"
ktap_check "$m: pool on it" dm_create fast "0 8 vaio-cache-pool /dev/mapper/cflaky format"
ktap_check "$m: disk, fail_closed" dm_create vm \
	"0 $size vaio /dev/nb 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=$m"
dd if=/dev/urandom of=/tmp/pat bs=1M count=2 2>/dev/null
ktap_check "$m: 2 MiB written" dd if=/tmp/pat of=/dev/mapper/vm bs=4k oflag=direct
d=$(get dirty)
ktap_eq "$m: all of it dirty" "$d" 512
dmesg -c >/dev/null
ktap_check "$m: cache device goes down" \
	vaio_reload cflaky "0 $csize flakey /dev/ram0 0 0 3600"
# The writes completed before their entries were durable; the flush that
# would make them so fails on the cache device (not below): the fsync
# fails (fails when the commit's error is dropped: checked).
ktap_fails "$m: an fsync fails (the commit)" \
	dd if=/dev/null of=/dev/mapper/vm conv=notrunc,fsync
ktap_fails "$m: a read of a dirty block fails" \
	dd if=/dev/mapper/vm of=/dev/null bs=4k count=1 iflag=direct
# 8 MiB in: past the 2 MiB written, inside the debug kernel's 16 MiB disk.
ktap_fails "$m: and so does the next I/O (fail_closed)" \
	dd if=/dev/mapper/vm of=/dev/null bs=4k count=1 skip=2048 iflag=direct
ktap_eq "$m: the filter failed" "$(vaio_filter_state vm cache)" failed
ktap_eq "$m: the blocks at risk are counted" "$(get dirty)" "$d"
ktap_match "$m: and named in the log" \
	"$(dmesg | grep -c "disk d0: cache device failed, $d dirty blocks not written back")" '^[1-9]'
ktap_fails "$m: the disk below lacks them" sh -c \
	"dd if=/dev/nb bs=1M count=2 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
ktap_check "$m: the cache device comes back" \
	vaio_reload cflaky "0 $csize flakey /dev/ram0 0 3600 0"
ktap_check "$m: disk removed: its dirty blocks written back" dmsetup remove vm
ktap_check "$m: the disk below has all 2 MiB" sh -c \
	"dd if=/dev/nb bs=1M count=2 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
dmsetup remove fast

# A write-back write the cache device fails, over blocks that were clean:
# only its own data was at stake. It goes below, nothing is at risk, and
# the disk carries on uncached (fail_closed does not apply).
ktap_check "$m: a new pool on the device" \
	dm_create fast "0 8 vaio-cache-pool /dev/mapper/cflaky format"
ktap_check "$m: the disk again, fail_closed" dm_create vm \
	"0 $size vaio /dev/nb 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=$m"
ktap_check "$m: 2 MiB written" dd if=/tmp/pat of=/dev/mapper/vm bs=4k oflag=direct
ktap_check "$m: ... and written back" dmsetup message vm 0 cache writeback
ktap_eq "$m: nothing dirty, 512 blocks cached" "$(get dirty) $(get blocks)" "0 512"
ktap_check "$m: cache device goes down" \
	vaio_reload cflaky "0 $csize flakey /dev/ram0 0 0 3600"
dd if=/dev/urandom of=/tmp/pat2 bs=4k count=1 2>/dev/null
ktap_check "$m: a 4 KiB write over a clean cached block succeeds" \
	dd if=/tmp/pat2 of=/dev/mapper/vm bs=4k seek=5 oflag=direct conv=notrunc
ktap_eq "$m: the pool failed" "$(pool_word state)" failed
ktap_eq "$m: nothing is at risk" "$(get dirty)" 0
ktap_eq "$m: the filter carries on" "$(vaio_filter_state vm cache)" active
ktap_check "$m: the disk below has the write" sh -c \
	"dd if=/dev/nb bs=4k skip=5 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat2"
ktap_check "$m: and reads through the disk return it" sh -c \
	"dd if=/dev/mapper/vm bs=4k skip=5 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat2"
ktap_check "$m: I/O goes on" dd if=/tmp/pat of=/dev/mapper/vm bs=4k seek=1024 oflag=direct
dmsetup remove vm
dmsetup remove fast
dmsetup remove cflaky
ktap_finish
