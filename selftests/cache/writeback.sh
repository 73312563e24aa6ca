#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache filter in writeback on a small pool: fio verify with write-back running hot, the disk below lags then catches up, dirty blocks survive a disk below that fails and a restart of the pool, mode switch and detach under fio write back everything"
TIMEOUT=900
SMP=2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"
# Runs in the debug-kernel lane too (about 4 minutes there).

# The disk below: memory-backed null_blk behind dm-linear ("below"), so
# that it can be made to fail. The cache: 8 MiB of brd, 1784 blocks.
nullb_mem nb 64
brd_setup 8 2
size=$(dev_sectors /dev/nb)
modprobe dm-vaio-cache

# What the VM reads, and what the disk below holds.
vm_sum() { dd if=/dev/mapper/vm bs=4k iflag=direct 2>/dev/null | md5sum; }
below_sum() { dd if=/dev/nb bs=1M iflag=direct 2>/dev/null | md5sum; }
same_as_below() { [ "$(vm_sum)" = "$(below_sum)" ]; }
table() {
	# Write-back is fail_closed or nothing: bypassed, it would serve stale data.
	fm=fail_open
	[ "$1" = writeback ] && fm=fail_closed
	echo "0 $size vaio /dev/mapper/below 10 disk_id d0 filter cache $fm 4 pool=fast mode=$1 dirty_high=40 dirty_low=20"
}
# wait_clean N: until the disk has no dirty block, N seconds at most.
wait_clean() {
	n=0
	while [ "$(get dirty)" != 0 ]; do
		n=$((n + 1))
		[ $n -le $(($1 * 5)) ] || return 1
		sleep 0.2
	done
}

ktap_check "disk below" dm_create below "0 $size linear /dev/nb 0"
ktap_check "pool created" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_eq "pool: 1784 blocks, none dirty" "$(pool_word blocks) $(pool_word dirty)" "1784 0"
ktap_check "disk in writeback mode" dm_create vm "$(table writeback)"
ktap_eq "status says writeback" "$(get mode)" writeback

# 1. Writes complete in the cache; write-back keeps dirty blocks between
# the thresholds (40% = 714 blocks, 20% = 357).
ktap_check "writeback: fio verify (4k..16k, zipf)" zipf 1 --rw=randwrite
ktap_check "writeback: verify again" zipf 1 --rw=randwrite --verify_only
d=$(get dirty)
ktap_match "dirty blocks are left ($d)" "$d" '^[1-9]'
ktap_check "at most dirty_high of them" test "$d" -le 714
ktap_match "write-back ran ($(get writeback_kib) KiB)" "$(get writeback_kib)" '^[1-9]'
ktap_match "write hits counted ($(get write_hits))" "$(get write_hits)" '^[1-9]'
ktap_eq "the pool counts them" "$(pool_word dirty)" "$d"
ktap_fails "the disk below lacks the dirty data (the check can fail)" same_as_below

# 2. Reads and writes of any size over dirty blocks: partial ones go below
# after write-back of what they touch. The VM's view is the reference.
ktap_check "writeback: 2 jobs of zipf reads and writes, 512..64k" mixed 10 2
ktap_check "writeback: fio verify, uniform reads and writes 4k..16k" \
	fio_verify /dev/mapper/vm --size=64m --bsrange=4k-16k --rw=randrw --randseed=4
ref=$(vm_sum)
ktap_check "writeback message" dmsetup message vm 0 cache writeback
ktap_eq "nothing dirty after it" "$(get dirty)" 0
ktap_eq "the disk below now holds what the VM read" "$(below_sum)" "$ref"
ktap_eq "no write-back error" "$(get writeback_errors)" 0

# 3. Dirty blocks outlive a disk below that fails and a restart of the
# pool: removal cannot write them back, they stay on the cache device,
# a new pool finds them and the disk reads them again.
dd if=/dev/urandom of=/tmp/pat bs=1M count=2 2>/dev/null
ktap_check "2 MiB written (dirty)" dd if=/tmp/pat of=/dev/mapper/vm bs=4k seek=1000 oflag=direct
ref=$(vm_sum)
d=$(get dirty)
ktap_check "512 or more dirty blocks" test "$d" -ge 512
ktap_check "the disk below fails" vaio_reload below "0 $size error"
ktap_check "disk removed (its write-back fails)" dmsetup remove vm
ktap_eq "the pool keeps the dirty blocks" "$(pool_word dirty)" "$d"
ktap_check "pool removed" dmsetup remove fast
ktap_check "the disk below is back" vaio_reload below "0 $size linear /dev/nb 0"
ktap_check "pool created again on the same device" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
ktap_eq "it found the dirty blocks" "$(pool_word dirty)" "$d"
ktap_check "disk created again" dm_create vm "$(table writeback)"
ktap_eq "the VM reads what it wrote before" "$(vm_sum)" "$ref"
ktap_check "writeback message" dmsetup message vm 0 cache writeback
ktap_eq "the disk below has it all" "$(below_sum)" "$ref"

# 3b. A snapshot writes back first; a table on another pool is refused
# while the disk caches on this one.
ktap_check "dirty again" zipf 7 --rw=randwrite
ktap_match "dirty ($(get dirty))" "$(get dirty)" '^[1-9]'
ktap_check "snapshot event" dmsetup message vm 0 event snapshot s1
ktap_eq "nothing dirty after it" "$(get dirty)" 0
ktap_eq "the disk below has what the VM reads" "$(below_sum)" "$(vm_sum)"
ktap_check "a second pool" dm_create fast2 "0 8 vaio-cache-pool /dev/ram1 format"
dmesg -c >/dev/null
ktap_fails "a reload onto the other pool is refused" \
	vaio_reload vm "$(table writeback | sed 's/pool=fast /pool=fast2 /')"
ktap_check "... saying why" sh -c "dmesg | grep -q 'disk caches on another pool'"
dmsetup resume vm 2>/dev/null
ktap_check "second pool removed" dmsetup remove fast2

# 4. Invalidate, mode switch and detach under fio: nothing is lost, all is
# written back.
# One full pass first: the final verify_only expects every block written.
ktap_check "dirty again (a full pass)" \
	fio_verify /dev/mapper/vm --size=64m --bsrange=4k-16k --randseed=6
ktap_match "dirty ($(get dirty))" "$(get dirty)" '^[1-9]'
fio_verify /dev/mapper/vm --size=64m --bsrange=4k-16k --randseed=6 \
	--time_based --runtime=15 --verify_backlog=256 >/tmp/fio.log 2>&1 &
pid=$!
sleep 1
n=0
while [ $n -lt 10 ] && dmsetup message vm 0 cache invalidate; do
	n=$((n + 1))
	sleep 0.2
done
ktap_eq "10 invalidates under fio" "$n" 10
ktap_check "switch to writethrough under fio" vaio_reload vm "$(table writethrough)"
ktap_check "write-back empties the cache of dirty blocks" wait_clean 30
sleep 2
ktap_check "back to writeback under fio" vaio_reload vm "$(table writeback)"
sleep 2
ktap_check "detach the cache under fio" vaio_reload vm \
	"0 $size vaio /dev/mapper/below 2 disk_id d0"
wait $pid
rc=$?
[ "$rc" = 0 ] || tail -n 20 /tmp/fio.log | sed 's/^/# /'
ktap_eq "fio verify across the switches: no error, no mismatch" "$rc" 0
ktap_check "everything reads back without the cache" \
	fio_verify /dev/mapper/vm --size=64m --bsrange=4k-16k --randseed=6 --verify_only
ktap_eq "the pool holds nothing of the disk" "$(pool_word used) $(pool_word dirty)" "0 0"
ktap_check "disk removed" dmsetup remove vm
ktap_check "pool removed" dmsetup remove fast
dmsetup remove below
ktap_finish
