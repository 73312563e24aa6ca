#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="writeback over a disk below with a volatile cache (null_blk cache_size, behind a dm-delay that holds flushes): a flush goes below only when a write of the table ended below since the last flush below (the first flush always), else it only commits the cache's entries"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# dm-writecache's flush commits its own metadata and sends nothing to the
# origin, which gets only write-back. The cache filter in writeback mode
# sends a flush below too when writes went there (write-around of parts
# of blocks it lacks, writes over 32 blocks, a write-back write that went
# below after all): they must be durable after the flush. Else the flush
# is the commit alone.
nullb_mem nbc 64 cache_size=16
brd_setup 16 1
modprobe dm-vaio-cache
modprobe dm-delay
dmesg -c >/dev/null
cleanup() { for d in vm fast below; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

F=$(slow 2000)
size=$(dev_sectors /dev/nbc)
ktap_check "the disk below: null_blk with a write cache, flushes held $F ms" \
	dm_create below "0 $size delay /dev/nbc 0 0 /dev/nbc 0 0 /dev/nbc 0 $F"
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_check "disk, writeback" dm_create vm \
	"0 $size vaio /dev/mapper/below 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=writeback"
head -c 262144 /dev/urandom >/tmp/big

held_flushes() { [ "$(delay_held below flushes)" -gt 0 ] 2>/dev/null; }
# fsync_write NAME SEEK BS COUNT: a write of /tmp/big's first COUNT x BS
# bytes at byte SEEK x BS, then an fsync; "below" if a flush was seen
# held below while it ran, else "local"; its dd's status after it.
fsync_write() {
	local pid seen=local
	dd if=/tmp/big of=/dev/mapper/vm bs="$3" count="$4" seek="$2" \
		oflag=direct conv=fsync 2>/dev/null &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		held_flushes && seen=below
		sleep 0.05
	done
	wait $pid && echo "$seen ok" || echo "$seen failed"
}

ktap_eq "the table's first flush goes below (writes may have ended below before it)" \
	"$(fsync_write first 10 4k 1)" "below ok"
d=$(get dirty)
ktap_eq "a 4 KiB write into the cache, then a flush: the commit only" \
	"$(fsync_write small 11 4k 1)" "local ok"
ktap_eq "... the write is in the cache, dirty" "$(get dirty)" $((d + 1))
ktap_eq "a write of 256 KiB goes below, then a flush: below too" \
	"$(fsync_write big 4 256k 1)" "below ok"
ktap_eq "... the disk below has it (its write cache at least: the held flush above is the check)" \
	"$(dd if=/dev/nbc bs=256k skip=4 count=1 iflag=direct 2>/dev/null | md5sum)" \
	"$(md5sum </tmp/big)"
ktap_eq "a 4 KiB write into the cache again: the commit only" \
	"$(fsync_write small 12 4k 1)" "local ok"
ktap_eq "a reload: the new table's first flush goes below" \
	"$(vaio_reload vm "0 $size vaio /dev/mapper/below 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=writeback" && fsync_write small 13 4k 1)" "below ok"
ktap_eq "writethrough: every flush goes below" \
	"$(vaio_reload vm "0 $size vaio /dev/mapper/below 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=writethrough" && fsync_write small 14 4k 1)" "below ok"
ktap_eq "no warning in the kernel log" "$(dmesg | grep -c 'WARNING:\|BUG:')" 0
ktap_finish
