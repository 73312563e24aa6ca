#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter limits under fio verify: iops=500 within 15% and far below the unthrottled rate, write_bps within 15% and reads left alone, io_unit counts a 64k I/O as two"
TIMEOUT=180
DEBUG_LANE=no	# rates: the debug kernel does about 500 IOPS unthrottled (qos/limit there: 526), below the limits checked
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 64 1
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio-qos
table() { echo "0 $size vaio /dev/ram0 $((6 + $#)) disk_id d0 filter qos fail_open $# $*"; }
get() { vaio_filter_get d0 qos "$1"; }

# fio ARGS...: fio verify (crc32c) through d0, its JSON in /tmp/fio.json.
run() {
	fio --name=q --filename=/dev/mapper/d0 --ioengine=libaio --direct=1 \
		--iodepth=16 --rw=randwrite --verify=crc32c --verify_fatal=1 \
		--do_verify=1 --randseed=7 --output-format=json "$@" \
		>/tmp/fio.json 2>/tmp/fio.err
}
fio_ok() { [ "$1" = 0 ] && fio_json_ok </tmp/fio.json; }
# rate PHASE FIELD: write or read, iops or bw_bytes, as a whole number.
rate() { sed -n '/^{/,$p' /tmp/fio.json | jq -r ".jobs[0].$1.$2 | floor"; }
# within VALUE TARGET PCT
within() { awk -v v="$1" -v t="$2" -v p="$3" 'BEGIN { exit !(v >= t * (1 - p / 100) && v <= t * (1 + p / 100)) }'; }
# measured "COUNTER..." ARGS...: run ARGS in the background while the
# median of three one-second rates of the filter's COUNTERs is taken; sets
# n (that rate) and rc (fio's exit status).
measured() {
	local counters="$1" fp
	shift
	run "$@" &
	fp=$!
	sleep 0.5
	# shellcheck disable=SC2086 # a list of words
	n=$(filter_rates d0 qos 3 $counters | median)
	wait $fp && rc=0 || rc=$?
}
# The rate without a limit that binds: the filter with one far above it.
ktap_check "qos disk, iops=10000000" dm_create d0 "$(table iops=10000000)"
run --bs=4k --size=8m && rc=0 || rc=$?
ktap_check "unthrottled: fio verify, 4k" fio_ok "$rc"
free=$(rate write iops)
ktap_diag "unthrottled: $free write IOPS, $(rate read iops) read IOPS"
ktap_check "unthrottled rate far above 500 IOPS ($free)" test "$free" -ge 1500
ktap_eq "nothing throttled" "$(get throttled)" 0

# 1280 writes, then 1280 verify reads, at 500 IOPS together: 5 s.
ktap_check "reload: iops=500" vaio_reload d0 "$(table iops=500)"
measured "reads writes" --bs=4k --size=5m
ktap_check "iops=500: fio verify, 4k" fio_ok "$rc"
ktap_diag "fio: $(rate write iops) write IOPS, $(rate read iops) read IOPS"
ktap_check "writes, then reads, at 500 IOPS within 15% (median of three seconds: $n)" \
	within "$n" 500 15
ktap_match "bios were throttled ($(get throttled))" "$(get throttled)" '^[1-9]'
ktap_match "and waited (throttled_ms $(get throttled_ms))" "$(get throttled_ms)" '^[1-9]'
ktap_eq "nothing queued at rest" "$(get queued)" 0
ktap_diag "$(dmsetup status d0)"
ktap_eq "every bio counted: 1280 writes, 1280 reads" "$(get writes) $(get reads)" "1280 1280"

# A write limit in bytes: 256 writes of 64k at 4 MiB/s (4 s), reads unlimited.
ktap_check "reload: write_bps=4194304" vaio_reload d0 "$(table write_bps=4194304)"
measured "write_kib" --bs=64k --size=16m
ktap_check "write_bps: fio verify, 64k" fio_ok "$rc"
ktap_check "writes at 4096 KiB/s within 15% ($n)" within "$n" 4096 15
r=$(rate read bw_bytes)
ktap_check "reads not limited by write_bps ($r B/s)" test "$r" -ge $((3 * 4194304))

# io_unit=32 (the default): a 64k I/O counts 2, so write_iops=200 is 100
# of them a second; with io_unit=64, 200.
ktap_check "reload: write_iops=200" vaio_reload d0 "$(table write_iops=200)"
measured "writes" --bs=64k --size=24m
ktap_check "write_iops=200: fio verify, 64k" fio_ok "$rc"
ktap_check "64k writes at 100 a second within 15% ($n)" within "$n" 100 15
ktap_check "reload: write_iops=200 io_unit=64" vaio_reload d0 "$(table write_iops=200 io_unit=64)"
measured "writes" --bs=64k --size=48m
ktap_check "write_iops=200 io_unit=64: fio verify, 64k" fio_ok "$rc"
ktap_check "64k writes at 200 a second within 15% ($n)" within "$n" 200 15

ktap_check "remove" dm_remove d0
ktap_finish
