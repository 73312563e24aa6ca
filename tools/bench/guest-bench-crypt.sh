#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest side of tools/bench/bench-crypt (busybox sh): the vaio crypt
# filter against dm-crypt, same cipher (aes-xts-plain64), same 512-bit
# keyring key, same sector size, in one guest run. Environment (vaio-vm
# --env): VAIO_REPEAT, VAIO_RUNTIME (s), VAIO_FILTER (a regex over
# "DEV WORKLOAD CONFIG"; empty: all).
#
# Devices below:
#   ram     /dev/ram0, brd of DEV_MIB MiB, filled once (no volatile
#           cache: the block layer drops flushes)
#   virtio  /dev/vdisk0, a host file (QEMU cache=writeback: a flush is an
#           fdatasync on the host), filled once
# Configs, each made afresh over the device for each run:
#   linear        dm-linear (the device's own rate through dm)
#   vaio          a vaio disk without filters (passthrough)
#   dmcrypt-512   dm-crypt aes-xts-plain64, 512-byte sectors
#   crypt-512     vaio, the crypt filter, 512-byte sectors
#   dmcrypt-4k    dm-crypt with sector_size:4096
#   crypt-4k      the crypt filter with sector_size=4096
# Workloads (fio, libaio, direct, over the first DEV_MIB MiB):
#   seq-read, seq-write     1 MiB sequential at QD4
#   rand-read-qd1/qd16, rand-write-qd1/qd16    4 KiB random
#
# Left in /outbox/raw:
#   results.tsv   REP DEV WORKLOAD CONFIG IOPS BW_BYTES P50_US P99_US
#   <rep>_<dev>_<workload>_<config>.json   fio's JSON
#   meta
#
# With the cache (device "cache", after the others in each repeat): the
# virtio disk as the origin, a pool on 64 MiB of /dev/ram1 made afresh
# (cold) for each run, WARMUP s of the workload, then RUNTIME s measured;
# 4 KiB zipf(1.2) random reads and writes at QD16 (the hot set fits in
# the cache). Configs: cache (the vaio cache filter, writethrough),
# crypt-cache (the crypt filter, 512-byte sectors, above it: the cache
# holds ciphertext), crypt-512 (no cache), vaio (neither).
#
# In each repeat every (device, workload) runs all configurations back to
# back, their order rotated by one each repeat.
#
# shellcheck shell=dash disable=SC2086,SC2046 # the lists of names and fio's arguments are split on purpose
set -u
# shellcheck source=../../selftests/lib/vaio.sh
. /vaio/selftests/lib/vaio.sh
# shellcheck source=lib.sh
. /vaio/tools/bench/lib.sh

REPEAT=${VAIO_REPEAT:-3}
RUNTIME=${VAIO_RUNTIME:-3}
# shellcheck disable=SC2034 # FILTER: read by lib.sh (wanted)
FILTER=${VAIO_FILTER:-}
RAMP=1
WARMUP=${VAIO_WARMUP:-3}
DEV_MIB=256
CACHE_MIB=64
OUT=/outbox/raw
DM=bcrypt
KEY=:64:logon:vaio:bench
# shellcheck disable=SC2034 # BENCH: read by lib.sh (fail)
BENCH=bench-crypt

mkdir -p $OUT
modprobe virtio_blk 2>/dev/null

for m in dm-mod dm-crypt dm-vaio dm-vaio-crypt dm-vaio-cache; do
	modprobe "$m" || fail "no module $m"
done
brd_setup $DEV_MIB 2 || fail "brd"
[ -b /dev/vdisk0 ] || fail "no /dev/vdisk0 (vaio-vm --vdisk)"
head -c 64 /dev/urandom | keyctl padd logon vaio:bench @u >/dev/null || fail "keyctl"
for d in /dev/ram0 /dev/vdisk0; do
	fio --name=fill --filename=$d --rw=write --bs=1M --direct=1 --iodepth=4 \
		--ioengine=libaio --size=${DEV_MIB}m --eta=never >/dev/null 2>&1 ||
		fail "filling $d"
done
NS=$((DEV_MIB * 2048))

{
	guest_meta
	echo "dev_mib=$DEV_MIB"
	echo "warmup=$WARMUP"
	echo "cache_mib=$CACHE_MIB"
	echo "cpu_aes=$(grep -qw aes /proc/cpuinfo && echo yes || echo no)"
} >$OUT/meta

pool_gone() { dm_gone bpool cdata; }
trap 'dm_gone; pool_gone' EXIT

dev_path() { # ram|virtio
	case $1 in
	ram) echo /dev/ram0 ;;
	virtio) echo /dev/vdisk0 ;;
	esac
}

# table DEV CONFIG: the table of $DM over DEV's first DEV_MIB MiB.
table() {
	local d=$1
	case $2 in
	linear) echo "0 $NS linear $d 0" ;;
	vaio) echo "0 $NS vaio $d 2 disk_id $DM" ;;
	dmcrypt-512) echo "0 $NS crypt aes-xts-plain64 $KEY 0 $d 0" ;;
	dmcrypt-4k) echo "0 $NS crypt aes-xts-plain64 $KEY 0 $d 0 1 sector_size:4096" ;;
	crypt-512) echo "0 $NS vaio $d 7 disk_id $DM filter crypt fail_closed 1 key=$KEY" ;;
	crypt-4k) echo "0 $NS vaio $d 8 disk_id $DM filter crypt fail_closed 2 key=$KEY sector_size=4096" ;;
	esac
}
CONFIGS="linear vaio dmcrypt-512 crypt-512 dmcrypt-4k crypt-4k"

wl_args() {
	case $1 in
	seq-read) echo "--rw=read --bs=1M --iodepth=4" ;;
	seq-write) echo "--rw=write --bs=1M --iodepth=4" ;;
	rand-read-qd1) echo "--rw=randread --bs=4k --iodepth=1" ;;
	rand-read-qd16) echo "--rw=randread --bs=4k --iodepth=16" ;;
	rand-write-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	rand-write-qd16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
	esac
}
WORKLOADS="seq-read seq-write rand-read-qd1 rand-read-qd16 rand-write-qd1 rand-write-qd16"

# one_run REP DEV WORKLOAD CONFIG
one_run() {
	local rep=$1 dev=$2 wl=$3 cfg=$4 t="$1_$2_$3_$4" f rc
	f=/tmp/$t.out
	dm_create $DM "$(table "$(dev_path "$dev")" "$cfg")" || fail "$t: the table did not load"
	fio --name=$t --filename=/dev/mapper/$DM --ioengine=libaio --direct=1 \
		--time_based --ramp_time=$RAMP --runtime=$RUNTIME --size=${DEV_MIB}m \
		--output-format=json $(wl_args "$wl") >"$f" 2>"$f.err" && rc=0 || rc=$?
	case $cfg in
	crypt-*) dmsetup status $DM >"$OUT/$t.status" ;;
	esac
	dm_gone
	fio_keep "$rc" "$f" "$t" "$rep $dev $wl $cfg"
}

# ---------------------------------------------------------------------
# The cache: crypt above the cache filter against each alone.
# ---------------------------------------------------------------------
cache_table() { # CONFIG
	local d=/dev/vdisk0
	case $1 in
	vaio) echo "0 $NS vaio $d 2 disk_id $DM" ;;
	cache) echo "0 $NS vaio $d 8 disk_id $DM filter cache fail_open 2 pool=bpool mode=writethrough" ;;
	crypt-cache) echo "0 $NS vaio $d 13 disk_id $DM filter crypt fail_closed 1 key=$KEY filter cache fail_open 2 pool=bpool mode=writethrough" ;;
	crypt-512) table $d crypt-512 ;;
	esac
}
CACHE_CONFIGS="vaio cache crypt-cache crypt-512"
ZIPF="--bs=4k --iodepth=16 --random_distribution=zipf:1.2"
cache_wl_args() {
	case $1 in
	zipf-read-qd16) echo "--rw=randread $ZIPF" ;;
	zipf-write-qd16) echo "--rw=randwrite $ZIPF" ;;
	esac
}
CACHE_WORKLOADS="zipf-read-qd16 zipf-write-qd16"

# cache_run REP WORKLOAD CONFIG
cache_run() {
	local rep=$1 wl=$2 cfg=$3 t="$1_cache_$2_$3" f=/tmp/$1_cache_$2_$3.out rc
	case $cfg in
	*cache)
		if ! { dm_create cdata "0 $((CACHE_MIB * 2048)) linear /dev/ram1 0" &&
			dd if=/dev/zero of=/dev/mapper/cdata bs=1M count=1 oflag=direct 2>/dev/null &&
			dm_create bpool "0 8 vaio-cache-pool /dev/mapper/cdata format"; }; then
			fail "$t: the pool"
		fi
		;;
	esac
	dm_create $DM "$(cache_table "$cfg")" || fail "$t: the table did not load"
	fio --name=warmup --filename=/dev/mapper/$DM --ioengine=libaio --direct=1 \
		--time_based --runtime="$WARMUP" --size=${DEV_MIB}m $(cache_wl_args "$wl") \
		--eta=never --output=/dev/null || fail "$t: fio (warm-up) failed"
	fio --name=$t --filename=/dev/mapper/$DM --ioengine=libaio --direct=1 \
		--time_based --runtime=$RUNTIME --size=${DEV_MIB}m \
		--output-format=json $(cache_wl_args "$wl") >"$f" 2>"$f.err" && rc=0 || rc=$?
	dmsetup status $DM >"$OUT/$t.status"
	dm_gone
	pool_gone
	fio_keep "$rc" "$f" "$t" "$rep cache $wl $cfg"
}

for rep in $(seq 1 "$REPEAT"); do
	for dev in $(rotate "$rep" ram virtio); do
		for wl in $WORKLOADS; do
			for cfg in $(rotate "$rep" $CONFIGS); do
				wanted "$dev $wl $cfg" || continue
				one_run "$rep" "$dev" "$wl" "$cfg"
			done
			log_row "$rep" "$dev" "$wl"
		done
	done
	for wl in $CACHE_WORKLOADS; do
		for cfg in $(rotate "$rep" $CACHE_CONFIGS); do
			wanted "cache $wl $cfg" || continue
			cache_run "$rep" "$wl" "$cfg"
		done
		log_row "$rep" cache "$wl"
	done
done
# The implementation of xts(aes) both used (the highest priority of
# those instantiated), and its type.
awk -F' *: *' '$1 == "name" { n = $2 } $1 == "driver" { d = $2 } $1 == "priority" { p = $2 }
	$1 == "async" && n == "xts(aes)" { print p, d, ($2 == "yes" ? "async" : "sync") }' /proc/crypto |
	sort -n | tail -n 1 | cut -d' ' -f2- | sed 's/^/xts=/' >>$OUT/meta
log "done"
