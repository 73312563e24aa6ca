#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a pool forgets a disk while a promotion's cache write for a block of it, dropped meanwhile, is still held (dm-delay): the slot is not reused until that write ends, so another disk's block promoted meanwhile is never validated with the first disk's data"
TIMEOUT=300
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Found by review (helper 87): the pool's "forget" message held the
# disk's slots over its commit and then let go of every dropped slot of
# the disk, also one it had not taken, that a promotion's cache write
# still held. The slot went back to the free list; another disk's
# promotion took it; the first write's end then made that one valid with
# the first disk's data, before its own data was there. The cache: 16
# MiB of brd (ram0) behind "cdev", whose data area is made slow to write;
# disk d0 on ram1, disk d1 on ram2.
brd_setup 64 3
csize=32768
modprobe dm-vaio-cache
modprobe dm-delay
dmesg -c >/dev/null
cleanup() { for d in vm2 vm fast cdev; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

X=5
Y=7
Z=3
W=4000
[ "${VAIO_DEBUG:-0}" = 1 ] && W=8000
ktap_check "cache device" dm_create cdev "0 $csize linear /dev/ram0 0"
ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/mapper/cdev format"
ds=$(od -An -tu8 -j32 -N8 /dev/mapper/cdev | tr -d ' ')
ktap_match "the pool's data area starts at sector $ds" "$ds" '^[1-9][0-9]*$'
head -c 4096 /dev/urandom | dd of=/dev/ram1 bs=4k seek=$X oflag=direct 2>/dev/null
head -c 4096 /dev/urandom | dd of=/dev/ram2 bs=4k seek=$Y oflag=direct 2>/dev/null
head -c 4096 /dev/urandom >/tmp/new

ktap_check "disk d0, writearound" dm_create vm \
	"0 $(dev_sectors /dev/ram1) vaio /dev/ram1 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=writearound"
# A block of d0 cached, so that its place stays when its table goes.
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$Z count=1 iflag=direct 2>/dev/null
cached_one() { [ "$(get blocks)" = 1 ]; }
ktap_check "d0's block $Z cached" wait_until 50 cached_one
ktap_check "the pool's writes slow (dm-delay, $W ms)" vaio_reload cdev "0 $ds linear /dev/ram0 0
$ds $((csize - ds)) delay /dev/ram0 $ds 0 /dev/ram0 $ds $W /dev/ram0 $ds 0"
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=$X count=1 iflag=direct 2>/dev/null
ktap_check "d0's block $X on its way to the cache" delay_holds cdev
ktap_check "a write drops it meanwhile" \
	dd if=/tmp/new of=/dev/mapper/vm bs=4k seek=$X oflag=direct
ktap_check "d0's table goes" dm_remove vm
ktap_check "the pool forgets d0" dmsetup message fast 0 forget d0
ktap_check "disk d1, writearound" dm_create vm2 \
	"0 $(dev_sectors /dev/ram2) vaio /dev/ram2 8 disk_id d1 filter cache fail_closed 2 pool=fast mode=writearound"
dd if=/dev/mapper/vm2 of=/dev/null bs=4k skip=$Y count=1 iflag=direct 2>/dev/null
# d0's cache write ends first (held since before), d1's is still held.
held_one() { [ "$(delay_held cdev)" = 1 ]; }
ktap_check "d0's cache write ended, d1's still held" wait_until $((W / 50 + 50)) held_one
ktap_eq "d1's block $Y reads as its disk below has it" \
	"$(dd if=/dev/mapper/vm2 bs=4k skip=$Y count=1 iflag=direct 2>/dev/null | md5sum)" \
	"$(dd if=/dev/ram2 bs=4k skip=$Y count=1 iflag=direct 2>/dev/null | md5sum)"
vaio_reload cdev "0 $csize linear /dev/ram0 0"
ktap_eq "... and after its promotion" \
	"$(dd if=/dev/mapper/vm2 bs=4k skip=$Y count=1 iflag=direct 2>/dev/null | md5sum)" \
	"$(dd if=/dev/ram2 bs=4k skip=$Y count=1 iflag=direct 2>/dev/null | md5sum)"
ktap_check "d1's table goes" dm_remove vm2
ktap_check "the pool goes" dm_remove fast
ktap_eq "no warning in the kernel log" "$(dmesg | grep -c 'WARNING:\|BUG:')" 0
ktap_finish
