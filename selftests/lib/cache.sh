# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers of the cache filter's selftests, sourced after vaio.sh. The pool
# is the dm device "fast", the disk with the cache filter "vm".

# get KEY: a word of vm's cache filter status.
get() { vaio_filter_get vm cache "$1"; }

# two_disks_pool: two 64 MiB null_blk disks, /dev/nba and /dev/nbb, and
# the pool "fast" on an 8 MiB RAM disk (1784 blocks), made as a KTAP
# result.
two_disks_pool() {
	nullb_mem nba 64
	nullb_mem nbb 64
	brd_setup 8 1
	modprobe dm-vaio-cache
	ktap_check "pool" dm_create fast "0 8 vaio-cache-pool /dev/ram0 format"
}

# pool_word KEY [POOL]: a word of the pool's status (POOL: fast).
pool_word() {
	dmsetup status "${2:-fast}" | awk -v k="$1" '{ for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# zipf SEED [FIO ARGS...]: fio verify of 64 MiB of vm, 4 KiB to 16 KiB,
# zipf(1.2): a hot set that the cache can hold, read often. (fio cannot
# verify zipf with randrw: its overlapping writes fail verification on a
# plain disk too. Mixed I/O is checked against the disk below instead.)
zipf() {
	local seed="$1"
	shift
	fio_verify /dev/mapper/vm --size=64m --bsrange=4k-16k \
		--random_distribution=zipf:1.2 --randseed="$seed" "$@"
}

# mixed RUNTIME SEED: two jobs of zipf reads and writes of 512 B to 64 KiB
# on the same blocks at once, no verify: whatever the last writes left,
# the caller compares with the disk below.
mixed() {
	fio --name=mixed --filename=/dev/mapper/vm --ioengine=libaio --direct=1 \
		--rw=randrw --rwmixread=70 --bsrange=512-64k --iodepth=8 \
		--numjobs=2 --random_distribution=zipf:1.1 --time_based \
		--runtime="$1" --randseed="$2" --output-format=json 2>/tmp/fio.err |
		fio_json_ok
}

# delay_held DEV [writes|flushes]: how many writes (or flushes) the
# dm-delay target in DEV's table holds (its status: the reads, writes and
# flushes it holds).
delay_held() {
	dmsetup status "$1" | awk -v w="${2:-writes}" \
		'$3 == "delay" { print w == "flushes" ? $6 : $5 }'
}

# delay_holds DEV: true once DEV's dm-delay holds a write, within 5 s.
delay_holds() {
	local _
	for _ in $(seq 1 100); do
		[ "$(delay_held "$1")" -gt 0 ] 2>/dev/null &&
			return 0
		sleep 0.05
	done
	return 1
}

# sector_sum DEV SECTOR: md5 of that sector, read in its 4 KiB (the guest's
# dd does not read 512 bytes with O_DIRECT; fio writes them).
sector_sum() {
	dd if="$1" bs=4k skip=$(($2 / 8)) count=1 iflag=direct 2>/dev/null >/tmp/blk &&
		dd if=/tmp/blk bs=512 skip=$(($2 % 8)) count=1 2>/dev/null | md5sum
}
