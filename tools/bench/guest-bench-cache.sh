#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest side of tools/bench/bench-cache (busybox sh): caches in front
# of a slow disk. Origin: a 512 MiB RAM disk behind dm-delay (1 ms on
# reads and writes); cache: 64 MiB of a second RAM disk (and 8 MiB of it
# for dm-cache's metadata); for the workloads named @virtio, the same on
# two virtio disks backed by host files with a volatile cache (QEMU
# cache=writeback: a flush or FUA write is an fdatasync on the host),
# /dev/vdisk0 (512 MiB, the origin) and /dev/vdisk1 (72 MiB, the cache
# and dm-cache's metadata). Environment (vaio-vm --env): VAIO_REPEAT,
# VAIO_RUNTIME (s), VAIO_WARMUP (s), VAIO_FILTER (a regex over "workload
# config"; empty: all).
#
#   <rep>_<workload>_<config>.json     fio's JSON of the measured run
#   <rep>_<workload>_<config>.status   the cache's dmsetup status before
#                                      and after it (two lines)
#
# Each run gets a cold cache made afresh, warms it with WARMUP seconds of
# the workload's first job, then measures RUNTIME seconds. In each repeat
# the configs run back to back per workload, their order rotated.
#
# shellcheck shell=dash disable=SC2086 # the lists of names are split on purpose
set -u
# shellcheck source=../../selftests/lib/vaio.sh
. /vaio/selftests/lib/vaio.sh
# shellcheck source=lib.sh
. /vaio/tools/bench/lib.sh

REPEAT=${VAIO_REPEAT:-3}
RUNTIME=${VAIO_RUNTIME:-8}
WARMUP=${VAIO_WARMUP:-5}
# shellcheck disable=SC2034 # FILTER: read by lib.sh (wanted)
FILTER=${VAIO_FILTER:-}
OUT=/outbox/raw
ORIGIN_MIB=512
CACHE_MIB=64
META_MIB=8
DM=bcache
# shellcheck disable=SC2034 # BENCH: read by lib.sh (fail)
BENCH=bench-cache

mkdir -p $OUT
modprobe virtio_blk 2>/dev/null

# The workloads, as fio arguments after the common ones. The first job is
# the measured one; zipf(1.2) over 512 MiB puts nearly all of its reads
# within 64 MiB, so its hot set fits in the cache. Reads only, of other
# working sets: zipf(1.1) and zipf(0.9), hot sets larger than the cache;
# uniform, a working set eight times the cache (what a policy admits
# matters: a hit ratio of 12.5% at best); spatial, zipf(1.2) offsets with
# 8 reads of 4 KiB in a row from each (32 KiB runs, fio's randread:8).
# zipf-rw70-serial: zipf-rw70 with fio's serialize_overlap=1, as a file
# system or a database writes: no I/O is sent while an overlapping one is
# in flight. zipf(1.2) at QD16 otherwise has the hottest 4 KiB written by
# several writes at once; whichever lands last is the block's content, and
# a write-through cache must not keep another (Documentation/cache.rst,
# Races).
# On the virtio disks, where flushes cost, write-back against write-back:
# zipf-rw70 as above (the caches flush when they choose), and with an
# fsync every 32 writes (the flush a database sends: each cache makes
# what it acknowledged durable, on the cache device and below).
ZIPF="--bs=4k --iodepth=16 --random_distribution=zipf:1.2"
WORKLOADS="zipf-read zipf-rw70 zipf-rw70-serial zipf-read+scan zipf1.1-read zipf0.9-read uniform-read spatial-read
	zipf-rw70@virtio zipf-rw70-fsync@virtio"
job1() { # workload
	case $1 in
	zipf-read | zipf-read+scan) echo "--rw=randread $ZIPF" ;;
	zipf-rw70 | zipf-rw70@virtio) echo "--rw=randrw --rwmixread=70 $ZIPF" ;;
	zipf-rw70-fsync@virtio) echo "--rw=randrw --rwmixread=70 $ZIPF --fsync=32" ;;
	zipf-rw70-serial) echo "--rw=randrw --rwmixread=70 $ZIPF --serialize_overlap=1" ;;
	zipf1.1-read) echo "--rw=randread --bs=4k --iodepth=16 --random_distribution=zipf:1.1" ;;
	zipf0.9-read) echo "--rw=randread --bs=4k --iodepth=16 --random_distribution=zipf:0.9" ;;
	uniform-read) echo "--rw=randread --bs=4k --iodepth=16 --random_distribution=random" ;;
	spatial-read) echo "--rw=randread:8 $ZIPF" ;;
	esac
}
# A second job: one sequential pass over the whole disk, a third of the
# way into the measured run (the cache polluter).
job2() { # workload
	case $1 in
	zipf-read+scan)
		echo "--name=scan --rw=read --bs=1M --iodepth=4 --time_based=0 --runtime=0 --startdelay=$((RUNTIME / 3)) --size=${ORIGIN_MIB}m"
		;;
	esac
}

# The configs: NAME, and how to make /dev/mapper/$DM on /dev/mapper/origin
# with a cold cache. Zeroed metadata makes dm-cache start empty; a zeroed
# superblock makes dm-writecache format its device.
# vaio-wt, vaio-wa, vaio-wb: the vaio cache filter, writethrough,
# writearound and writeback, on a pool made afresh on the same 64 MiB (of
# which its first MiB and its entries, 16 bytes per block, are metadata).
# vaio-wt-mem: vaio-wt with a memory tier of 16 MiB in front of the pool.
# vaio-wt-32k, vaio-wb-32k: vaio-wt and vaio-wb on a pool of 32 KiB blocks,
# dm-cache's block, with its 64 MiB of data blocks (2048): the pool on the
# first 133248 sectors of the cache's RAM disk (the first MiB, the
# entries and 2048 blocks), where cdata and cmeta are.
CONFIGS="uncached dmcache-wt dmcache-wb writecache vaio-wt vaio-wa vaio-wb vaio-wt-mem vaio-wt-32k vaio-wb-32k"
# On the virtio disks: the write-back caches only.
CONFIGS_VIRTIO="uncached dmcache-wb writecache vaio-wb vaio-wb-32k"
configs() { # workload
	case $1 in
	*@virtio) echo "$CONFIGS_VIRTIO" ;;
	*) echo "$CONFIGS" ;;
	esac
}
POOL32_SECTORS=133248
cache_table() { # config
	local n=$((ORIGIN_MIB * 2048))
	case $1 in
	vaio-wt | vaio-wt-mem | vaio-wt-32k) echo "0 $n vaio /dev/mapper/origin 8 disk_id bench filter cache fail_open 2 pool=bpool mode=writethrough" ;;
	vaio-wa) echo "0 $n vaio /dev/mapper/origin 8 disk_id bench filter cache fail_open 2 pool=bpool mode=writearound" ;;
	vaio-wb | vaio-wb-32k) echo "0 $n vaio /dev/mapper/origin 8 disk_id bench filter cache fail_closed 2 pool=bpool mode=writeback" ;;
	uncached) echo "0 $n linear /dev/mapper/origin 0" ;;
	dmcache-wt) echo "0 $n cache /dev/mapper/cmeta /dev/mapper/cdata /dev/mapper/origin 64 1 writethrough smq 0" ;;
	dmcache-wb) echo "0 $n cache /dev/mapper/cmeta /dev/mapper/cdata /dev/mapper/origin 64 1 writeback smq 0" ;;
	writecache) echo "0 $n writecache s /dev/mapper/origin /dev/mapper/cdata 4096 0" ;;
	esac
}

# The vaio configs' pool goes after the disk on it.
pool_gone() {
	dmsetup info bpool >/dev/null 2>&1 || return 0
	dmsetup remove bpool || fail "cannot remove the pool"
}
trap 'dm_gone; pool_gone; gone_4d' EXIT

for m in dm-mod dm-delay dm-cache dm-cache-smq dm-writecache dm-vaio dm-vaio-cache; do
	modprobe "$m" || fail "no module $m"
done
brd_setup "$ORIGIN_MIB" 2 || fail "brd"
# Data in every block of the origin, so that its reads copy real pages.
fill() { # device
	fio --name=fill --filename="$1" --rw=write --bs=1M --direct=1 --eta=never \
		--size=${ORIGIN_MIB}m --output=/dev/null || fail "filling the origin $1"
}
fill /dev/ram0
# disk_tables ORIGIN CACHE: the tables of origin, cdata, cmeta and
# cdata32 on those two disks.
disk_tables() {
	echo "origin 0 $((ORIGIN_MIB * 2048)) delay $1 0 1"
	echo "cdata 0 $((CACHE_MIB * 2048)) linear $2 0"
	echo "cmeta 0 $((META_MIB * 2048)) linear $2 $((CACHE_MIB * 2048))"
	echo "cdata32 0 $POOL32_SECTORS linear $2 0"
}
disk_tables /dev/ram0 /dev/ram1 >/tmp/tables
while read -r name table; do
	dm_create "$name" "$table" || fail "$name"
done </tmp/tables
# use_disk ram|virtio: origin, cdata, cmeta and cdata32 moved onto the
# RAM disks or the virtio disks (reloaded while nothing has them open).
DISK=ram
use_disk() {
	[ "$1" = "$DISK" ] && return 0
	case $1 in
	ram) set -- ram /dev/ram0 /dev/ram1 ;;
	virtio) set -- virtio /dev/vdisk0 /dev/vdisk1 ;;
	esac
	disk_tables "$2" "$3" >/tmp/tables
	while read -r name table; do
		if ! echo "$table" | dmsetup reload "$name" || ! dmsetup resume "$name"; then
			fail "$name onto $2 and $3"
		fi
	done </tmp/tables
	DISK=$1
}
# The virtio origin filled only when a virtio row is wanted.
for wl in $WORKLOADS; do
	case $wl in *@virtio) ;; *) continue ;; esac
	for cfg in $CONFIGS_VIRTIO; do
		wanted "$wl $cfg" || continue
		if [ ! -b /dev/vdisk0 ] || [ ! -b /dev/vdisk1 ]; then
			fail "no virtio disks (vaio-vm --vdisk 512 --vdisk 72)"
		fi
		fill /dev/vdisk0
		break 2
	done
done

{
	guest_meta
	echo "warmup=$WARMUP"
	echo "origin_mib=$ORIGIN_MIB"
	echo "cache_mib=$CACHE_MIB"
} >$OUT/meta

# keep_result TAG RC: the measured run's fio JSON (/tmp/fio.out, exit
# status RC) kept as TAG's, its IOPS logged; a failed run ends the bench.
keep_result() {
	if [ "$2" != 0 ] || ! fio_json_ok </tmp/fio.out; then
		sed 's/^/  | /' /tmp/fio.err | tail -n 20
		fail "$1: fio exit $2"
	fi
	sed -n '/^{/,$p' /tmp/fio.out >$OUT/$1.json
	log "$1: $(jq -r '.jobs[0] | "\(.read.iops + .write.iops | floor) IOPS"' $OUT/$1.json)"
}

# run_one REP WORKLOAD CONFIG
run_one() {
	local tag="$1_$2_$3" rc
	dd if=/dev/zero of=/dev/mapper/cmeta bs=1M count=$META_MIB oflag=direct 2>/dev/null
	dd if=/dev/zero of=/dev/mapper/cdata bs=1M count=1 oflag=direct 2>/dev/null
	case $3 in
	vaio-*-mem) dm_create bpool "0 8 vaio-cache-pool /dev/mapper/cdata memory_mib=16 format" || fail "$tag: the pool" ;;
	vaio-*-32k)
		if ! dm_create bpool "0 8 vaio-cache-pool /dev/mapper/cdata32 block_size=32768 format" ||
			[ "$(dmsetup status bpool | awk '{ print $5, $7 }')" != "32768 2048" ]; then
			fail "$tag: the pool (2048 blocks of 32 KiB)"
		fi
		;;
	vaio-*) dm_create bpool "0 8 vaio-cache-pool /dev/mapper/cdata format" || fail "$tag: the pool" ;;
	esac
	dm_create "$DM" "$(cache_table "$3")" || fail "$tag: the table did not load"
	# shellcheck disable=SC2046 # fio's arguments
	fio --name=warmup --filename=/dev/mapper/$DM --ioengine=libaio --direct=1 \
		--time_based --runtime="$WARMUP" $(job1 "$2") --output=/dev/null ||
		fail "$tag: fio (warm-up) failed"
	dmsetup status "$DM" >$OUT/$tag.status
	# shellcheck disable=SC2046 # fio's arguments
	fio --filename=/dev/mapper/$DM --ioengine=libaio --direct=1 \
		--name=measured --time_based --runtime="$RUNTIME" $(job1 "$2") \
		$(job2 "$2") --output-format=json >/tmp/fio.out 2>/tmp/fio.err && rc=0 || rc=$?
	dmsetup status "$DM" >>$OUT/$tag.status
	dm_gone
	pool_gone
	keep_result "$tag" "$rc"
}

# Four disks at once, on one pool or on four (issue 19's locking: one
# pool's lock is shared by its disks): a quarter of the origin each
# (o0..o3), the zipf-read or zipf-rw70 job at QD16 on each, one fio job
# per disk, the four summed. The same cache bytes either way: the pool on all of
# cdata, or four pools on a quarter of it each.
CONFIGS_4D="uncached vaio-wt-1pool vaio-wt-4pools"
WORKLOADS_4D="zipf-read-4d zipf-rw70-4d"
QUARTERS="0 1 2 3"

# vaio_hits: "0 0 vaio - read_hits H read_misses M", the sums over d0..d3
# (the line read_hits() of bench-cache reads).
vaio_hits() {
	local i h=0 m=0 s
	for i in $QUARTERS; do
		s=$(dmsetup status "d$i")
		h=$((h + $(echo "$s" | awk '{ for (i = 4; i < NF; i++) if ($i == "read_hits") print $(i + 1) }')))
		m=$((m + $(echo "$s" | awk '{ for (i = 4; i < NF; i++) if ($i == "read_misses") print $(i + 1) }')))
	done
	echo "0 0 vaio - read_hits $h read_misses $m"
}

gone_4d() {
	dm_gone d0 d1 d2 d3 bpool bpool0 bpool1 bpool2 bpool3 c0 c1 c2 c3 \
		o0 o1 o2 o3
}

# run_4d REP WORKLOAD CONFIG
run_4d() {
	local tag="$1_$2_$3" wl=${2%-4d} cfg=$3 i rc q=$((ORIGIN_MIB * 2048 / 4)) c=$((CACHE_MIB * 2048 / 4))
	local jobs=''
	dd if=/dev/zero of=/dev/mapper/cdata bs=1M count=$CACHE_MIB oflag=direct 2>/dev/null
	[ "$cfg" = vaio-wt-1pool ] &&
		{ dm_create bpool "0 8 vaio-cache-pool /dev/mapper/cdata format" || fail "$tag: the pool"; }
	for i in $QUARTERS; do
		dm_create "o$i" "0 $q linear /dev/mapper/origin $((i * q))" || fail "$tag: o$i"
		case $cfg in
		uncached) dm_create "d$i" "0 $q linear /dev/mapper/o$i 0" ;;
		vaio-wt-1pool) dm_create "d$i" "0 $q vaio /dev/mapper/o$i 8 disk_id b$i filter cache fail_open 2 pool=bpool mode=writethrough" ;;
		vaio-wt-4pools)
			dm_create "c$i" "0 $c linear /dev/mapper/cdata $((i * c))" &&
			dm_create "bpool$i" "0 8 vaio-cache-pool /dev/mapper/c$i format" &&
			dm_create "d$i" "0 $q vaio /dev/mapper/o$i 8 disk_id b$i filter cache fail_open 2 pool=bpool$i mode=writethrough" ;;
		esac || fail "$tag: d$i"
		jobs="$jobs --name=d$i --filename=/dev/mapper/d$i"
	done
	# shellcheck disable=SC2046 # fio's arguments
	fio --ioengine=libaio --direct=1 --time_based --runtime="$WARMUP" \
		$(job1 "$wl") $jobs --output=/dev/null || fail "$tag: fio (warm-up) failed"
	case $cfg in
	vaio-*) vaio_hits >$OUT/$tag.status ;;
	*) : >$OUT/$tag.status ;;
	esac
	# shellcheck disable=SC2046 # fio's arguments
	fio --ioengine=libaio --direct=1 --time_based --runtime="$RUNTIME" \
		--group_reporting $(job1 "$wl") $jobs --output-format=json \
		>/tmp/fio.out 2>/tmp/fio.err && rc=0 || rc=$?
	case $cfg in
	vaio-*) vaio_hits >>$OUT/$tag.status ;;
	esac
	gone_4d
	keep_result "$tag" "$rc"
}

for rep in $(seq 1 "$REPEAT"); do
	for wl in $WORKLOADS; do
		# shellcheck disable=SC2046 # a list of names
		for cfg in $(rotate "$rep" $(configs "$wl")); do
			wanted "$wl $cfg" || continue
			case $wl in
			*@virtio) use_disk virtio ;;
			*) use_disk ram ;;
			esac
			run_one "$rep" "$wl" "$cfg"
		done
	done
	for wl in $WORKLOADS_4D; do
		for cfg in $(rotate "$rep" $CONFIGS_4D); do
			wanted "$wl $cfg" || continue
			use_disk ram
			run_4d "$rep" "$wl" "$cfg"
		done
	done
done
log "done"
