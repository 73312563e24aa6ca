#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter domains: two disks whose reads hang at once (one each, held 30 s) do not stall a third disk of their congested domain; a stalled disk whose other bios complete (its writes, not held) keeps its hung reads out of the window; data verified"
TIMEOUT=180
CHECK=full                 # make check's 30 minutes (testing.rst, CI and its budget)
DEBUG_LANE=no	# rates of the cloud kernel, as domain-stall
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/qos.sh"

# null_blk at 2 MiB/s (qos_slices' device), in three slices, a disk on
# each in domain nb with latency_ms=1: the domain is congested whenever
# two disks have I/O, so its window stays small. Below qos on d1 and d2,
# a test filter that holds their reads' completions, as a replication
# peer that does not answer would.
nullb_mem nb 48 mbps=2
third=$(($(dev_sectors /dev/nb) / 3))
for i in 0 1 2; do
	dm_create s$i "0 $third linear /dev/nb $((i * third))"
done
modprobe dm-vaio-qos
modprobe dm-vaio-test
q="filter qos fail_open 3 domain=nb shares=normal latency_ms=1"
held="filter test-inspection fail_open 0"
get() { vaio_filter_get "$1" qos "$2"; }
ktap_check "d0: qos" dm_create d0 "0 $third vaio /dev/mapper/s0 9 disk_id d0 $q"
ktap_check "d1: qos, test-inspection below it" dm_create d1 \
	"0 $third vaio /dev/mapper/s1 13 disk_id d1 $q $held"
ktap_check "d2: qos, test-inspection below it" dm_create d2 \
	"0 $third vaio /dev/mapper/s2 13 disk_id d2 $q $held"

# Congest the domain: 4k random reads at QD16 on d0 and d1, 3 s, until
# the window is at its least (2) once both end (if one ends a period
# before the other, the last period sees one disk and opens the window).
congest() {
	fio --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=16 \
		--time_based --runtime=3 --name=d0 --filename=/dev/mapper/d0 \
		--name=d1 --filename=/dev/mapper/d1 --output=/dev/null --eta=never &&
		[ "$(get d0 dom_window)" = 2 ]
}
congested() { congest || congest || congest; }
ktap_check "the domain's window is 2 after congestion" congested

# timed_verify DEV: fio verify of 512 KiB on DEV; its milliseconds.
timed_verify() {
	local t rc
	t=$(ms_now)
	fio_verify "$1" --size=512k --bsrange=4k-4k --iodepth=8 >/tmp/v.out 2>&1 && rc=0 || rc=$?
	echo "$(($(ms_now) - t)) $rc"
}

# 1. d1 and d2 start reading at once, one read each, their completions
# held 30 s: the two fill the window, and no completion comes.
ktap_check "hold d1's reads 30 s" dmsetup message d1 0 test-inspection hold_end 30000 reads
ktap_check "hold d2's reads 30 s" dmsetup message d2 0 test-inspection hold_end 30000 reads
fio --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=1 \
	--time_based --runtime=40 --name=d1 --filename=/dev/mapper/d1 \
	--name=d2 --filename=/dev/mapper/d2 --output=/dev/null --eta=never 2>/dev/null &
readers=$!
full() {
	[ "$(vaio_filter_get d1 test-inspection deferred)" -ge 1 ] &&
		[ "$(vaio_filter_get d2 test-inspection deferred)" -ge 1 ] &&
		[ "$(get d0 dom_inflight)" -ge "$(get d0 dom_window)" ]
}
ktap_check "d1's and d2's reads hang, filling the window" wait_until 50 full
ktap_diag "window $(get d0 dom_window), in flight $(get d0 dom_inflight)"
r=$(timed_verify /dev/mapper/d0)
ktap_eq "fio verify on d0 while both hang" "${r#* }" 0
ktap_check "... done in ${r% *} ms (at most 8000)" test "${r% *}" -le 8000
ktap_check "d1 and d2 were found stalled" test "$(get d1 stalls)" -ge 1 -a "$(get d2 stalls)" -ge 1

# 2. 32 more reads of d1 hang (sent while it is stalled: not in the
# window), then its writes (not held) complete, 5 a second: each
# completion leaves its own count only, not the hung reads'.
fio --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=32 \
	--time_based --runtime=30 --name=d1b --filename=/dev/mapper/d1 \
	--output=/dev/null --eta=never 2>/dev/null &
more=$!
more_held() { [ "$(vaio_filter_get d1 test-inspection deferred)" -ge 24 ]; }
ktap_check "32 more reads of d1 hang" wait_until 50 more_held
fio --ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=1 \
	--rate_iops=5 --time_based --runtime=12 --name=w --filename=/dev/mapper/d1 \
	--output=/dev/null --eta=never 2>/dev/null &
writer=$!
d1_wrote() { [ "$(get d1 writes)" -ge 1 ]; }
ktap_check "d1's first write completed" wait_until 50 d1_wrote
w0=$(get d1 writes)
r=$(timed_verify /dev/mapper/d0)
ktap_eq "fio verify on d0 while d1's writes complete" "${r#* }" 0
ktap_check "... done in ${r% *} ms (at most 8000)" test "${r% *}" -le 8000
ktap_check "... while d1's writes completed" test "$(get d1 writes)" -gt "$w0"
ktap_diag "d0: $(vaio_filter_words d0 qos)" "d1: $(vaio_filter_words d1 qos)"

ktap_check "release d1 and d2" sh -c \
	'dmsetup message d1 0 test-inspection pass && dmsetup message d2 0 test-inspection pass'
wait "$writer"
wait "$more"
wait "$readers"
at_rest() {
	[ "$(get d0 dom_queued) $(get d1 dom_queued) $(get d2 dom_queued) $(get d0 dom_inflight) $(get d0 dom_stalled)" = "0 0 0 0 0" ]
}
ktap_check "nothing waits or is in flight at rest" wait_until 50 at_rest
ktap_check "remove" dm_remove d0 d1 d2 s0 s1 s2
ktap_finish
