#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="dirty blocks a write-back cache leaves behind: a fail_open cache that inherits them fails closed, not open; the writeback message never puts them on another disk below; a cache does not join a disk that ran without it holding them, until the admin forgets them"
TIMEOUT=180
DEBUG_LANE=full          # make check-debug-full only (CI's debug budget, testing.rst)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Issue 19, items 1 and 3. A write-back cache's dirty blocks that cannot
# be written back (the disk below fails writes) stay in the cache when the
# disk is reloaded with a write-through cache, whose fail mode may be
# fail_open. Bypassed, it served the old data below for them. And when the
# reload moved the disk to another disk below, the filter failed, but the
# admin's "writeback" message still wrote the old disk's dirty blocks onto
# the new one.

nullb_mem nb1 32
nullb_mem nb2 32
brd_setup 8 1
size=$(dev_sectors /dev/nb1)
modprobe dm-vaio-cache
cleanup() { for d in vm fast below; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

MiB=$((1024 * 1024))
head -c $MiB /dev/urandom >/tmp/a
a=$(md5sum </tmp/a)
zeros=$(head -c $MiB /dev/zero | md5sum)
# Reads of up to 32 blocks hit dirty blocks; longer ones write back first.
vm_mib() { dd if=/dev/mapper/vm bs=64k count=16 iflag=direct 2>/dev/null | md5sum; }
dev_mib() { dd if="$1" bs=1M count=1 iflag=direct 2>/dev/null | md5sum; }
wb() { # DISK_BELOW
	echo "0 $size vaio $1 10 disk_id vm filter cache fail_closed 4 pool=fast mode=writeback dirty_high=90 dirty_low=80"
}
wt() { # DISK_BELOW
	echo "0 $size vaio $1 8 disk_id vm filter cache fail_open 2 pool=fast mode=writethrough"
}
# vm in write-back over "below" (nb1).
wb_vm() {
	dm_create below "0 $size linear /dev/nb1 0" &&
	dm_create vm "$(wb /dev/mapper/below)"
}
# dirty: 1 MiB of /tmp/a dirty in the cache, then "below" fails every write.
dirty() {
	dd if=/tmp/a of=/dev/mapper/vm bs=64k oflag=direct 2>/dev/null &&
	[ "$(get dirty)" -ge 256 ] &&
	vaio_reload below "0 $size flakey /dev/nb1 0 0 3600 1 error_writes"
}

ktap_check "cache pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"

# 1. Inherited by a fail_open write-through cache on the same disk below.
ktap_check "write-back cache" wb_vm
ktap_check "1 MiB dirty in it; the disk below fails writes" dirty
ktap_check "reload: write-through, fail_open" vaio_reload vm "$(wt /dev/mapper/below)"
ktap_match "the dirty blocks are left ($(get dirty))" "$(get dirty)" '^[1-9]'
ktap_eq "the VM reads its data" "$(vm_mib)" "$a"
ktap_check "the admin fails the cache" dmsetup message vm 0 fail cache
ktap_eq "it failed closed, not open" "$(vaio_filter_state vm cache)" failed
ktap_fails "the VM's read fails" dd if=/dev/mapper/vm of=/dev/null bs=1M count=1 iflag=direct
ktap_check "the disk below takes writes again" vaio_reload below "0 $size linear /dev/nb1 0"
ktap_check "the cache reactivated" vaio_reactivate vm cache
ktap_check "the writeback message" dmsetup message vm 0 cache writeback
ktap_eq "no dirty block left" "$(get dirty)" 0
ktap_eq "the disk below has the data" "$(dev_mib /dev/nb1)" "$a"
ktap_eq "the VM reads it" "$(vm_mib)" "$a"
ktap_check "the admin fails it again" dmsetup message vm 0 fail cache
ktap_eq "bypassed now: nothing dirty" "$(vaio_filter_state vm cache)" bypassed
dm_remove vm below

# 2. A reload moves the disk to another disk below (nb2). Loaded while
# the cache is clean (a load with dirty blocks it cannot write back is
# refused); the old disk below fails after new writes, before the resume:
# its dirty blocks cannot go where they belong, and never go to nb2.
dd if=/dev/zero of=/dev/nb1 bs=1M count=1 oflag=direct 2>/dev/null
ktap_check "write-back cache again" wb_vm
ktap_check "load: onto nb2, write-through, fail_open" sh -c "echo '$(wt /dev/nb2)' | dmsetup load vm"
ktap_check "1 MiB dirty; the old disk below fails writes" dirty
ktap_check "the new table resumes" sh -c "dmsetup suspend vm && dmsetup resume vm"
ktap_eq "the cache failed: the dirty blocks are another disk's" "$(vaio_filter_state vm cache)" bypassed
ktap_fails "the writeback message is refused" dmsetup message vm 0 cache writeback
ktap_fails "so is invalidate (it would write back)" dmsetup message vm 0 cache invalidate
ktap_eq "nb2 did not get them" "$(dev_mib /dev/nb2)" "$zeros"
ktap_eq "the VM reads nb2's data" "$(vm_mib)" "$zeros"
ktap_check "the old disk below back" vaio_reload below "0 $size linear /dev/nb1 0"
# The disk ran without the cache (bypassed, on nb2): the cache cannot
# know that nothing wrote nb1 meanwhile. The admin does.
ktap_fails "back onto it: refused with the dirty blocks" sh -c \
	"echo '$(wb /dev/mapper/below)' | dmsetup load vm"
ktap_check "the admin adopts them" dmsetup message fast 0 adopt vm
ktap_check "back onto it: write-back" vaio_reload vm "$(wb /dev/mapper/below)"
ktap_eq "the cache is active" "$(vaio_filter_state vm cache)" active
ktap_check "the writeback message" dmsetup message vm 0 cache writeback
ktap_eq "the dirty blocks went to it" "$(dev_mib /dev/nb1)" "$a"
ktap_eq "and nb2 still has none of them" "$(dev_mib /dev/nb2)" "$zeros"
dm_remove vm below

# 3. The disk runs without the cache (dm-linear) while it holds dirty
# blocks, and takes newer writes of the same blocks: the cache may not
# join it again with them, which would write the old blocks over the new.
dd if=/dev/zero of=/dev/nb1 bs=1M count=1 oflag=direct 2>/dev/null
head -c $MiB /dev/urandom >/tmp/b
b=$(md5sum </tmp/b)
ktap_check "write-back cache again" wb_vm
ktap_check "1 MiB dirty; the disk below fails writes" dirty
ktap_check "the disk becomes dm-linear" vaio_reload vm "0 $size linear /dev/mapper/below 0"
ktap_check "the disk below takes writes again" vaio_reload below "0 $size linear /dev/nb1 0"
ktap_check "newer writes through dm-linear" dd if=/tmp/b of=/dev/mapper/vm bs=64k oflag=direct
dmesg -c >/dev/null
ktap_fails "the cache may not join with the old dirty blocks" sh -c "echo '$(wt /dev/mapper/below)' | dmsetup load vm"
ktap_match "saying why" "$(dmesg -c | grep -o 'dirty blocks from before the disk ran without it' | head -n1)" ran
ktap_eq "the disk below keeps the newer data" "$(dev_mib /dev/nb1)" "$b"
ktap_eq "the pool keeps the dirty blocks" "$(pool_word dirty)" 256
# A reboot: the devices go, the pool comes back from its device with the
# dirty blocks, and the disk's first table is a new device's.
dm_remove vm fast
ktap_check "the pool again, found on its device" dm_create fast "0 8 vaio-cache-pool /dev/ram0"
ktap_eq "with the dirty blocks" "$(pool_word dirty)" 256
ktap_fails "a new device with the cache may not take them either" sh -c \
	"echo '$(wt /dev/mapper/below)' | dmsetup create vm"
dmsetup remove vm 2>/dev/null
ktap_eq "the disk below keeps the newer data" "$(dev_mib /dev/nb1)" "$b"
ktap_check "the VM on dm-linear again" dm_create vm "0 $size linear /dev/mapper/below 0"
ktap_fails "forget needs a disk the pool holds" dmsetup message fast 0 forget nosuch
ktap_check "the admin drops them: forget" dmsetup message fast 0 forget vm
ktap_eq "none left" "$(pool_word dirty)" 0
ktap_check "then the cache joins" vaio_reload vm "$(wt /dev/mapper/below)"
ktap_eq "the VM reads the newer data" "$(vm_mib)" "$b"
ktap_eq "so does the disk below" "$(dev_mib /dev/nb1)" "$b"
# The disk has a place in the pool again (the same index): on the device,
# no entry may still name the forgotten blocks dirty.
dm_remove vm fast
ktap_check "the pool again" dm_create fast "0 8 vaio-cache-pool /dev/ram0"
ktap_eq "forgotten on its device too: none come back" "$(pool_word dirty)" 0
ktap_check "the cache joins the disk" dm_create vm "$(wt /dev/mapper/below)"
ktap_eq "the VM reads the newer data" "$(vm_mib)" "$b"
dm_remove vm below fast
ktap_finish
