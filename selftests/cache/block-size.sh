#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache pools of 32 KiB and 1 MiB blocks: block_size= checked and kept by the pool; blocks read in part promoted by a read of the whole block; fio verify of 512 B to 128 KiB I/O in each mode, with eviction, on a disk whose end is not a block's; write-back writes of part of a cached block in place; dirty and clean blocks found again by a new pool"
TIMEOUT=900
SMP=2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# Issue 19, block sizes (stage 1 of Documentation/plans/cache-block-size.md):
# the pool's block size is a table argument when it is made, then its
# superblock's. A read of part of a block promotes it by a read of the
# whole block; a write-back write of part of one lands in it if it is
# cached, else goes below.
#
# The disk below: 128 MiB of null_blk under a linear "below" (to fail its
# writes at will), and vm 12 sectors shorter, so that its last block is
# partial. The pools: 72 MiB of brd each, ram0 and ram1 (at 1 MiB, 64
# blocks at least, and fewer than the disk's).
nullb_mem nb 128
brd_setup 72 3
size=$(($(dev_sectors /dev/nb) - 12))
modprobe dm-vaio-cache
cleanup() { for d in vm below fast; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

vm_table() { # MODE [ARGS...]
	local m="$1"
	shift
	echo "0 $size vaio /dev/mapper/below $((8 + $#)) disk_id d0 filter cache fail_closed $((2 + $#)) pool=fast mode=$m $*"
}
# whole DEV: md5 of all of vm's length of DEV, 4 KiB reads then the tail
# (buffered, after flushbufs: 512-byte direct reads of the tail came
# back stale in the guest).
whole() {
	{
		dd if="$1" bs=4k count=$((size / 8)) iflag=direct 2>/dev/null &&
			blockdev --flushbufs "$1" &&
			dd if="$1" bs=512 skip=$((size / 8 * 8)) count=$((size % 8)) \
				2>/dev/null
	} | md5sum
}
same_as_below() { [ "$(whole /dev/mapper/vm)" = "$(whole /dev/nb)" ]; }
pool() { dm_create fast "0 8 vaio-cache-pool $*"; }
promotions_are() { [ "$(get promotions)" = "$1" ]; }

# Bad values: refused, nothing made, the device not written.
ktap_check "ram0 holds no pool yet" sh -c '! dd if=/dev/ram0 bs=4k count=1 2>/dev/null | tr -d "\0" | grep -q .'
for bad in 3000 2048 2097152 12288 0 32k; do
	ktap_fails "block_size=$bad refused" pool "/dev/ram0 block_size=$bad format"
done
ktap_check "... and ram0 still holds nothing" sh -c '! dd if=/dev/ram0 bs=4k count=1 2>/dev/null | tr -d "\0" | grep -q .'
ktap_fails "a memory tier with 32 KiB blocks refused (for now)" \
	pool "/dev/ram0 block_size=32768 memory_mib=4 format"

# 1 MiB blocks in make check-full only (make check's 30 minutes;
# cache/huge makes and recovers a pool of 1 MiB blocks in make check).
sizes=32768
[ "${VAIO_CHECK_FULL:-0}" = 1 ] && sizes="32768 1048576"
for bs in $sizes; do
	dev=/dev/ram0
	[ "$bs" = 1048576 ] && dev=/dev/ram1
	kib=$((bs / 1024))
	bsec=$((bs / 512))
	ktap_check "${kib}k: pool made on $dev" pool "$dev block_size=$bs format"
	ktap_eq "${kib}k: its status says so" "$(pool_word block_size)" "$bs"
	n=$(pool_word blocks)
	ktap_match "${kib}k: $n blocks, within the device" \
		"$((n * bs < 72 * 1024 * 1024 && n >= 64))" '^1$'
	ktap_match "${kib}k: dmsetup table names it" "$(dmsetup table fast)" \
		" block_size=$bs\$"
	ktap_fails "${kib}k: a reload with another block size refused" \
		vaio_reload fast "0 8 vaio-cache-pool $dev block_size=4096"
	dmsetup resume fast 2>/dev/null
	ktap_check "${kib}k: a reload with the same table taken" \
		vaio_reload fast "$(dmsetup table fast)"
	ktap_check "${kib}k: below and vm (writethrough)" sh -c \
		"echo '0 $(dev_sectors /dev/nb) linear /dev/nb 0' | dmsetup create below &&
		dmsetup mknodes below && echo '$(vm_table writethrough)' | dmsetup create vm &&
		dmsetup mknodes vm"

	# A read of a whole block promotes it from its data; a read of part
	# of one, by a read of the whole block (the second read of each: the
	# admission filter saw the first). Then a 4 KiB read elsewhere in
	# either block hits, and reads what the disk below has.
	dd if=/dev/urandom of=/dev/nb bs="$bs" count=4 oflag=direct 2>/dev/null
	p=$(get promotions)
	dd if=/dev/mapper/vm of=/dev/null bs="$bs" count=1 skip=2 iflag=direct 2>/dev/null
	dd if=/dev/mapper/vm of=/dev/null bs="$bs" count=1 skip=2 iflag=direct 2>/dev/null
	ktap_check "${kib}k: reads of a whole block promote it" \
		wait_until 50 promotions_are $((p + 1))
	dd if=/dev/mapper/vm of=/dev/null bs=4k count=1 skip=$((bs / 4096)) iflag=direct 2>/dev/null
	dd if=/dev/mapper/vm of=/dev/null bs=4k count=1 skip=$((bs / 4096)) iflag=direct 2>/dev/null
	ktap_check "${kib}k: 4 KiB reads of a block promote it, read whole" \
		wait_until 50 promotions_are $((p + 2))
	h=$(get read_hits)
	for blk in 1 2; do
		off=$((blk * bs / 4096 + bs / 4096 - 1))
		ktap_eq "${kib}k: a 4 KiB read at the end of block $blk reads the disk's" \
			"$(dd if=/dev/mapper/vm bs=4k count=1 skip=$off iflag=direct 2>/dev/null | md5sum)" \
			"$(dd if=/dev/nb bs=4k count=1 skip=$off iflag=direct 2>/dev/null | md5sum)"
	done
	ktap_eq "${kib}k: ... and both hit" "$(get read_hits)" $((h + 2))
	# Write-through: a write within a cached block updates it in place.
	w=$(get write_hits)
	head -c 4096 /dev/urandom >/tmp/p
	dd if=/tmp/p of=/dev/mapper/vm bs=4k seek=$((2 * bs / 4096 + 1)) oflag=direct 2>/dev/null
	ktap_eq "${kib}k: a 4 KiB write into cached block 2: a write hit" \
		"$(($(get write_hits) - w))" 1
	ktap_eq "${kib}k: the disk below has it" \
		"$(dd if=/dev/nb bs=4k skip=$((2 * bs / 4096 + 1)) count=1 iflag=direct 2>/dev/null | md5sum)" \
		"$(md5sum </tmp/p)"
	h=$(get read_hits)
	ktap_eq "${kib}k: block 2 still cached, read from the cache with it" \
		"$(dd if=/dev/mapper/vm bs="$bs" skip=2 count=1 iflag=direct 2>/dev/null | md5sum) $(($(get read_hits) - h))" \
		"$(dd if=/dev/nb bs="$bs" skip=2 count=1 iflag=direct 2>/dev/null | md5sum) 1"
	# Not the disk's last block, of which the disk has only part.
	p=$(get promotions)
	for _ in 1 2 3; do
		dd if=/dev/mapper/vm of=/dev/null bs=512 count=4 skip=$((size / 8 * 8)) \
			iflag=direct 2>/dev/null
	done
	sleep 0.5
	ktap_eq "${kib}k: the disk's partial last block is not promoted" \
		"$(get promotions)" "$p"
	# Twice the pool's size: two random reads of every block fill it and
	# evict (the second promotes, the ghost filter having seen the first).
	ktap_check "${kib}k: every block read twice, whole" fio --name=fill \
		--filename=/dev/mapper/vm --rw=randread --bs="$bs" --direct=1 \
		--ioengine=psync --loops=2 --output=/dev/null
	ktap_match "${kib}k: the pool filled and evicted ($(get demotions) demotions)" \
		"$(get demotions)" '^[1-9]'

	# Writearound (writes only drop blocks) at 32 KiB only: make check's time.
	modes="writethrough writearound writeback"
	[ "$bs" = 1048576 ] && modes="writethrough writeback"
	for mode in $modes; do
		args=
		[ "$mode" = writeback ] && args="dirty_high=60 dirty_low=50"
		# shellcheck disable=SC2086 # args: words
		ktap_check "${kib}k $mode: reload" vaio_reload vm "$(vm_table $mode $args)"
		ktap_check "${kib}k $mode: fio verify, 512 B to 128 KiB at any 512 B" \
			fio_verify /dev/mapper/vm --bsrange=512-128k --blockalign=512 \
			--rw=randwrite --randseed=$bsec
		ktap_check "${kib}k $mode: verify again, through the cache" \
			fio_verify /dev/mapper/vm --bsrange=512-128k --blockalign=512 \
			--rw=randwrite --randseed=$bsec --verify_only
		ktap_check "${kib}k $mode: fio verify, whole blocks, zipf" \
			fio_verify /dev/mapper/vm --bsrange="$bs-$bs" --rw=randwrite \
			--random_distribution=zipf:1.1 \
			--randseed=$((bsec + 1))
		if [ "$mode" = writeback ]; then
			ktap_match "${kib}k writeback: write hits ($(get write_hits))" \
				"$(get write_hits)" '^[1-9]'
			ktap_match "${kib}k writeback: dirty blocks ($(get dirty))" \
				"$(get dirty)" '^[1-9]'
			ktap_check "${kib}k writeback: write everything back" \
				dmsetup message vm 0 cache writeback
			ktap_eq "${kib}k writeback: nothing dirty" "$(get dirty)" 0
		fi
		ktap_check "${kib}k $mode: what the VM reads equals the disk below" same_as_below
	done
	ktap_match "${kib}k: reads hit ($(get read_hits))" "$(get read_hits)" '^[1-9]'

	# Write-back by blocks: whole blocks written are dirty; a 4 KiB
	# write lands in a cached block (dirty, the disk below without it); a
	# 4 KiB write to a block not cached goes below.
	dmsetup message vm 0 cache invalidate
	head -c $((2 * bs)) /dev/urandom >/tmp/w
	dd if=/tmp/w of=/dev/mapper/vm bs="$bs" count=2 seek=4 oflag=direct 2>/dev/null
	ktap_eq "${kib}k: two blocks written, two dirty" "$(get dirty)" 2
	head -c 4096 /dev/urandom >/tmp/p
	dd if=/tmp/p of=/tmp/w bs=4k seek=1 conv=notrunc 2>/dev/null
	w=$(get write_hits)
	dd if=/tmp/p of=/dev/mapper/vm bs=4k seek=$((4 * bs / 4096 + 1)) oflag=direct 2>/dev/null
	ktap_eq "${kib}k: a 4 KiB write over one: a write hit, two dirty" \
		"$(($(get write_hits) - w)) $(get dirty)" "1 2"
	ktap_eq "${kib}k: the VM reads both blocks with the 4 KiB in" \
		"$(dd if=/dev/mapper/vm bs="$bs" count=2 skip=4 iflag=direct 2>/dev/null | md5sum)" \
		"$(md5sum </tmp/w)"
	ktap_fails "${kib}k: the disk below lacks them (the check can fail)" [ \
		"$(dd if=/dev/nb bs="$bs" count=2 skip=4 iflag=direct 2>/dev/null | md5sum)" = \
		"$(md5sum </tmp/w)" ]
	dd if=/tmp/p of=/dev/mapper/vm bs=4k seek=$((8 * bs / 4096)) oflag=direct 2>/dev/null
	ktap_eq "${kib}k: a 4 KiB write to a block not cached: the disk below has it" \
		"$(dd if=/dev/nb bs=4k count=1 skip=$((8 * bs / 4096)) iflag=direct 2>/dev/null | md5sum) $(get dirty)" \
		"$(md5sum </tmp/p) 2"
	# One of them written back: the disk below has the 4 KiB write.
	ktap_check "${kib}k: write back" dmsetup message vm 0 cache writeback
	ktap_eq "${kib}k: the disk below has both blocks with the 4 KiB in" \
		"$(dd if=/dev/nb bs="$bs" count=2 skip=4 iflag=direct 2>/dev/null | md5sum)" \
		"$(md5sum </tmp/w)"
	# Dirty again, for what follows: one block.
	dd if=/tmp/w of=/dev/mapper/vm bs="$bs" count=1 seek=4 oflag=direct 2>/dev/null
	head -c "$bs" /tmp/w >/tmp/w1
	dd if=/dev/urandom of=/tmp/w1 bs=4k count=1 seek=2 conv=notrunc 2>/dev/null
	dd if=/tmp/w1 of=/tmp/w bs="$bs" count=1 conv=notrunc 2>/dev/null
	dd if=/tmp/w1 of=/dev/mapper/vm bs=4k count=1 skip=2 seek=$((4 * bs / 4096 + 2)) \
		oflag=direct 2>/dev/null
	ktap_eq "${kib}k: a whole block and a 4 KiB write in it: one dirty" "$(get dirty)" 1

	# Dirty blocks kept across the pool: the disk below fails writes as
	# the disk goes; the next pool on the device, made without
	# block_size=, has the pool's own and finds them.
	ktap_check "${kib}k: the disk below fails writes" vaio_reload below \
		"0 $(dev_sectors /dev/nb) flakey /dev/nb 0 0 3600 1 error_writes"
	dmsetup remove vm 2>/dev/null
	ktap_eq "${kib}k: the disk removed, its dirty block kept" "$(pool_word dirty)" 1
	u=$(pool_word used)
	ktap_check "${kib}k: pool removed" dmsetup remove fast
	ktap_check "${kib}k: a pool again, no block_size= given" pool "$dev"
	ktap_eq "${kib}k: it has the device's block size" "$(pool_word block_size)" "$bs"
	ktap_eq "${kib}k: and its dirty block" "$(pool_word dirty)" 1
	ktap_eq "${kib}k: and its clean blocks" "$(pool_word used)" "$u"
	ktap_check "${kib}k: the disk below works again" vaio_reload below \
		"0 $(dev_sectors /dev/nb) linear /dev/nb 0"
	ktap_check "${kib}k: vm again, writeback" dm_create vm "$(vm_table writeback)"
	ktap_eq "${kib}k: the VM reads the dirty block's data" \
		"$(dd if=/dev/mapper/vm bs="$bs" count=2 skip=4 iflag=direct 2>/dev/null | md5sum)" \
		"$(md5sum </tmp/w)"
	ktap_check "${kib}k: write it back" dmsetup message vm 0 cache writeback
	ktap_eq "${kib}k: the disk below has it" \
		"$(dd if=/dev/nb bs="$bs" count=2 skip=4 iflag=direct 2>/dev/null | md5sum)" \
		"$(md5sum </tmp/w)"
	ktap_check "${kib}k: the VM reads what the disk below has" same_as_below
	ktap_check "${kib}k: vm, below and pool removed" sh -c \
		"dmsetup remove vm && dmsetup remove below && dmsetup remove fast"
	ktap_fails "${kib}k: the pool again with 4 KiB blocks refused" \
		pool "$dev block_size=4096"
done

# vaioctl: --block-size checked before anything is done, recorded, shown.
vaioctl_setup
ktap_check "vaioctl: ram2 holds nothing" sh -c '! dd if=/dev/ram2 bs=4k count=1 2>/dev/null | tr -d "\0" | grep -q .'
vaioctl_bad "vaioctl: --block-size 3000 refused" "power of two" \
	vaioctl cache pool create p32 /dev/ram2 --block-size 3000
vaioctl_bad "vaioctl: --block-size 2M refused" "power of two" \
	vaioctl cache pool create p32 /dev/ram2 --block-size 2M
vaioctl_bad "vaioctl: --memory with 32K refused" "needs --block-size 4K" \
	vaioctl cache pool create p32 /dev/ram2 --block-size 32K --memory 4
ktap_check "vaioctl: ... and ram2 still holds nothing" sh -c '! dd if=/dev/ram2 bs=4k count=1 2>/dev/null | tr -d "\0" | grep -q .'
ktap_check "vaioctl: pool create --block-size 32K" \
	vaioctl cache pool create p32 /dev/ram2 --block-size 32K
ktap_eq "vaioctl: show -j says 32768" \
	"$(vaioctl -j cache pool show p32 | jq -r '"\(.block_size) \(.state)"')" "32768 ok"
ktap_check "vaioctl: show says blocks of 32 KiB" sh -c \
	"vaioctl cache pool show p32 | grep -q 'blocks [0-9]* of 32 KiB'"
ktap_eq "vaioctl: the pool's status too" \
	"$(dmsetup status p32 | awk '{ print $4, $5 }')" "block_size 32768"
ktap_check "vaioctl: pool removed" vaioctl cache pool remove p32
ktap_finish
