#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache in writeback: a block written back counts as dirty until its entry says clean on the cache device; a write below over it waits till then, so that a crash meanwhile cannot bring the old data back over an acknowledged write"
TIMEOUT=300
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Found by review (helper 83). Write-back of block B: copied below,
# flushed below, then its entry committed clean. Before 2026-12-07 B
# counted as clean as soon as the commit began: a write of 256 KiB over
# it (too long for the cache: it goes below) went below and was
# acknowledged while B's entry on the cache device still said dirty; a
# crash then, and the next pool on the device wrote B's old data back
# over it. Here the commit's writes to the entry page are held W ms by
# dm-delay; the crash is a copy of both devices taken meanwhile.
# ram0: the cache (8 MiB), ram1: the disk below, ram2 and ram3: the copy.
brd_setup 64 4
size=$(dev_sectors /dev/ram1)
CS=16384
modprobe dm-vaio-cache
modprobe dm-delay
cleanup() { for d in vm fast cdev; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

B=100
W=3000
[ "${VAIO_DEBUG:-0}" = 1 ] && W=15000
vm_table() { # DISK_BELOW
	echo "0 $size vaio $1 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
}
blk_sum() { dd if="$1" bs=4k skip=$B count=1 iflag=direct 2>/dev/null | md5sum; }

ktap_check "cache device" dm_create cdev "0 $CS linear /dev/ram0 0"
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/mapper/cdev format"
ktap_check "disk in writeback mode" dm_create vm "$(vm_table /dev/ram1)"
head -c 4096 /dev/urandom >/tmp/d0
d0=$(md5sum </tmp/d0)
# (fsync: a flush, after which the write and its entry are durable.)
ktap_check "block $B written: dirty in slot 0" \
	dd if=/tmp/d0 of=/dev/mapper/vm bs=4k seek=$B oflag=direct conv=fsync
ktap_eq "one dirty block" "$(get dirty)" 1
# Slot 0's entry is in the entry page at sector 2048.
ktap_check "the entry page's writes held $W ms" vaio_reload cdev "0 2048 linear /dev/ram0 0
2048 8 delay /dev/ram0 2048 0 /dev/ram0 2048 $W
2056 $((CS - 2056)) linear /dev/ram0 2056"
dmsetup message vm 0 cache writeback &
wm=$!
ktap_check "write-back of $B: its commit held" delay_holds cdev
dio_fill /dev/mapper/vm $(((B - 16) * 4096)) 262144 0x62 &
wp=$!
sleep 1
kill -0 $wp 2>/dev/null && ack=no || ack=yes
# The crash: both devices as they are now.
dd if=/dev/ram0 of=/dev/ram2 bs=1M count=$((CS / 2048)) 2>/dev/null
dd if=/dev/ram1 of=/dev/ram3 bs=1M 2>/dev/null
ktap_eq "the write of 256 KiB over $B waits for the commit (acknowledged: $ack)" "$ack" no
wait $wm
ktap_check "write-back done" test $? -eq 0
wait $wp
ktap_check "the write done" test $? -eq 0
b1=$(head -c 4096 /dev/zero | tr '\0' 'b' | md5sum)
ktap_eq "$B reads the write" "$(blk_sum /dev/mapper/vm)" "$b1"
ktap_eq "nothing dirty" "$(get dirty)" 0
ktap_check "disk, pool and cache device removed" sh -c \
	"dmsetup remove vm && dmsetup remove fast && dmsetup remove cdev"

# After the crash: the pool on the copy finds B dirty (its old data)
# and the disk reads it; right only if the write was not acknowledged.
ktap_check "a pool on the copy of the cache device" sh -c \
	"echo '0 $CS linear /dev/ram2 0' | dmsetup create cdev && dmsetup mknodes cdev &&
	 echo '0 8 vaio-cache-pool /dev/mapper/cdev' | dmsetup create fast"
ktap_eq "it finds $B dirty" "$(pool_word dirty)" 1
ktap_check "the disk on the copy of the disk below" dm_create vm "$(vm_table /dev/ram3)"
r=$(blk_sum /dev/mapper/vm)
[ "$ack" = yes ] && want="$b1" || want="$d0|$b1"
ktap_match "$B reads what was acknowledged ($([ "$r" = "$d0" ] && echo the old data || echo the write))" \
	"$r" "^($want)\$"
ktap_finish
