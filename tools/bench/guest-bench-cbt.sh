#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest side of tools/bench/bench-cbt (busybox sh): the cbt filter
# (changed-block tracking, dm-vaio-cbt) against vaio without filters, and
# dm-era against dm-linear, at the same granularity (64 KiB), in one
# guest run. Environment (vaio-vm --env): VAIO_REPEAT, VAIO_RUNTIME (s),
# VAIO_FILTER (a regex over "DEV WORKLOAD CONFIG"; empty: all).
#
# Devices below (the data; the metadata):
#   ram     /dev/ram0, brd of DEV_MIB MiB, filled once; the metadata on
#           /dev/ram1 (brd has no volatile cache: the block layer drops
#           flushes and FUA, a metadata write costs its copy only)
#   virtio  /dev/vdisk0, a host file (QEMU cache=writeback: a flush or a
#           FUA write is an fdatasync on the host), filled once; the
#           metadata on /dev/vdisk1, a disk of the same kind
# The metadata, two dm-linear slices of the metadata device, made for
# each run and their first 4 KiB zeroed, so that each run starts with
# new metadata and empty bitmaps (nothing marked yet):
#   cmeta   its first CMETA_KIB KiB: cbt's (format=1)
#   emeta   the EMETA_MIB MiB after it: dm-era's (formatted over zeroes)
# Configs, each made afresh over the device for each run:
#   linear  dm-linear (the anchor of dm-era)
#   vaio    a vaio disk without filters (passthrough: the anchor of cbt)
#   cbt     vaio with the cbt filter, block_kib=64, meta=cmeta, format=1
#   era     dm-era, metadata on emeta, blocks of 128 sectors (64 KiB)
#   cbt-warm, era-warm   the same, the disk written whole after the table
#           was made and before the run: every block already marked in
#           the current epoch (era), the steady state between two marks
# Workloads (fio, libaio, direct, over the first DEV_MIB MiB, RAMP s of
# ramp and RUNTIME s measured):
#   rand-write-qd16, rand-write-qd1   4 KiB random writes
#   seq-write                         1 MiB sequential writes at QD4
#
# Left in /outbox/raw:
#   results.tsv    REP DEV WORKLOAD CONFIG IOPS BW_BYTES P50_US P99_US
#   counters.tsv   REP DEV WORKLOAD CONFIG WRITES META_WRITES META_KIB HELD
#                  COMMITS, for cbt and era, over the ramp and the run:
#                  the disk's writes and its metadata slice's writes and
#                  KiB written (/sys/block/dm-N/stat: an empty flush
#                  counts as a write of 0 KiB there), cbt's held (writes
#                  that waited for their bits) and commits (bitmap
#                  writes) from its status; "-" for era
#   <rep>_<dev>_<workload>_<config>.json   fio's JSON
#   <same>.status  dmsetup status after the run (cbt, era)
#   meta, dmesg
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
DEV_MIB=256
BLOCK_KIB=64
CMETA_KIB=1024	# 4 KiB + 64 slots (the most cbt uses) of 4 KiB, and room
EMETA_MIB=16
OUT=/outbox/raw
DM=bcbt
# shellcheck disable=SC2034 # BENCH: read by lib.sh (fail)
BENCH=bench-cbt

mkdir -p $OUT
modprobe virtio_blk 2>/dev/null

for m in dm-mod dm-era dm-vaio dm-vaio-cbt; do
	modprobe "$m" || fail "no module $m"
done
brd_setup $DEV_MIB 2 || fail "brd"
for d in /dev/vdisk0 /dev/vdisk1; do
	[ -b $d ] || fail "no $d (vaio-vm --vdisk)"
done
for d in /dev/ram0 /dev/vdisk0; do
	fio --name=fill --filename=$d --rw=write --bs=1M --direct=1 --iodepth=4 \
		--ioengine=libaio --size=${DEV_MIB}m --eta=never >/dev/null 2>&1 ||
		fail "filling $d"
done
# The metadata slices written once too (brd's pages, the host file's
# blocks allocated before the runs).
for d in /dev/ram1 /dev/vdisk1; do
	dd if=/dev/zero of=$d bs=1M count=$((CMETA_KIB / 1024 + EMETA_MIB)) \
		oflag=direct 2>/dev/null || fail "zeroing $d"
done
NS=$((DEV_MIB * 2048))

{
	guest_meta
	echo "dev_mib=$DEV_MIB"
	echo "block_kib=$BLOCK_KIB"
	echo "cmeta_kib=$CMETA_KIB"
	echo "emeta_mib=$EMETA_MIB"
} >$OUT/meta

trap 'dm_gone $DM cmeta emeta' EXIT

data_dev() { # ram|virtio
	case $1 in
	ram) echo /dev/ram0 ;;
	virtio) echo /dev/vdisk0 ;;
	esac
}
meta_dev() { # ram|virtio
	case $1 in
	ram) echo /dev/ram1 ;;
	virtio) echo /dev/vdisk1 ;;
	esac
}

# meta_slice NAME DEV: /dev/mapper/NAME (cmeta or emeta) on DEV's
# metadata device, its first 4 KiB zeroed: the table formats it afresh.
meta_slice() {
	local t
	case $1 in
	cmeta) t="0 $((CMETA_KIB * 2)) linear $(meta_dev "$2") 0" ;;
	emeta) t="0 $((EMETA_MIB * 2048)) linear $(meta_dev "$2") $((CMETA_KIB * 2))" ;;
	esac
	dm_create "$1" "$t" &&
		dd if=/dev/zero of="/dev/mapper/$1" bs=4k count=1 oflag=direct 2>/dev/null
}

# table DEV CONFIG: the table of $DM over DEV's first DEV_MIB MiB.
table() {
	local d
	d=$(data_dev "$1")
	case $2 in
	linear) echo "0 $NS linear $d 0" ;;
	vaio) echo "0 $NS vaio $d 2 disk_id $DM" ;;
	cbt | cbt-warm) echo "0 $NS vaio $d 9 disk_id $DM filter cbt fail_closed 3 meta=/dev/mapper/cmeta block_kib=$BLOCK_KIB format=1" ;;
	era | era-warm) echo "0 $NS era /dev/mapper/emeta $d $((BLOCK_KIB * 2))" ;;
	esac
}
CONFIGS="linear vaio cbt era cbt-warm era-warm"

wl_args() {
	case $1 in
	rand-write-qd16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
	seq-write) echo "--rw=write --bs=1M --iodepth=4" ;;
	rand-write-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	esac
}
WORKLOADS="rand-write-qd16 seq-write rand-write-qd1"

# wstat NAME: "WRITES SECTORS" device-mapper device NAME completed.
wstat() { awk '{ print $5, $7 }' "/sys/block/$(dmdev "$1")/stat"; }

# one_run REP DEV WORKLOAD CONFIG
one_run() {
	local rep=$1 dev=$2 wl=$3 cfg=$4 t="$1_$2_$3_$4" f rc meta='' w0 m0 w1 m1 held=- commits=- h0=0 c0=0
	f=/tmp/$t.out
	case $cfg in
	cbt | cbt-warm) meta=cmeta ;;
	era | era-warm) meta=emeta ;;
	esac
	if [ -n "$meta" ]; then
		meta_slice $meta "$dev" || fail "$t: the metadata slice"
	fi
	dm_create $DM "$(table "$dev" "$cfg")" || fail "$t: the table did not load"
	case $cfg in
	*-warm)
		dd if=/dev/zero of=/dev/mapper/$DM bs=1M count=$DEV_MIB oflag=direct 2>/dev/null ||
			fail "$t: the warming write"
		if [ "$cfg" = cbt-warm ]; then
			h0=$(vaio_filter_get $DM cbt held)
			c0=$(vaio_filter_get $DM cbt commits)
		fi ;;
	esac
	if [ -n "$meta" ]; then
		w0=$(wstat $DM)
		m0=$(wstat $meta)
	fi
	fio --name=$t --filename=/dev/mapper/$DM --ioengine=libaio --direct=1 \
		--time_based --ramp_time=$RAMP --runtime=$RUNTIME --size=${DEV_MIB}m \
		--output-format=json $(wl_args "$wl") >"$f" 2>"$f.err" && rc=0 || rc=$?
	if [ -n "$meta" ]; then
		w1=$(wstat $DM)
		m1=$(wstat $meta)
		dmsetup status $DM >"$OUT/$t.status"
		case $cfg in
		cbt*)
			held=$(($(vaio_filter_get $DM cbt held) - h0))
			commits=$(($(vaio_filter_get $DM cbt commits) - c0)) ;;
		esac
	fi
	dm_gone $DM cmeta emeta
	fio_keep "$rc" "$f" "$t" "$rep $dev $wl $cfg"
	[ -n "$meta" ] || return 0
	set -- $w0 $w1 $m0 $m1	# "WRITES SECTORS" before and after, of $DM and $meta
	echo "$rep $dev $wl $cfg $(($3 - $1)) $(($7 - $5)) $((($8 - $6) / 2)) $held $commits" >>$OUT/counters.tsv
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
done
dmesg >$OUT/dmesg
log "done"
