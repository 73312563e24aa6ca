#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter domains (mClock): two disks on a congested device get throughput 2:1 by shares, a reservation is met against far larger shares, a lone low-share disk gets the whole device, data verified"
TIMEOUT=180
DEBUG_LANE=no	# not yet run under the debug kernel
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# A device of bounded capacity: null_blk limited to 4 MiB/s (1024 reads
# of 4k a second), memory-backed, which holds what it cannot serve yet:
# its latency grows with the bios in it (64 of them: 62 ms), with tags to
# spare, so that no submitter waits in the block layer. Two disks on
# slices of it, one domain, the default latency_ms (30).
nullb_mem nb 64 mbps=4
half=$(($(dev_sectors /dev/nb) / 2))
dm_create s0 "0 $half linear /dev/nb 0"
dm_create s1 "0 $half linear /dev/nb $half"
modprobe dm-vaio-qos
# disk NAME SLICE ARGS...: (re)loads a qos disk in domain nb.
disk() {
	local n="$1" s="$2" t
	shift 2
	t="0 $half vaio /dev/mapper/$s $((7 + $#)) disk_id $n filter qos fail_open $((1 + $#)) domain=nb $*"
	if dmsetup info "$n" >/dev/null 2>&1; then
		vaio_reload "$n" "$t"
	else
		dm_create "$n" "$t"
	fi
}
# both SECS: 4k random reads at QD64 on d0 and d1 together (deep enough that
# neither queue runs dry while fio catches up); their IOPS.
both() {
	fio --output-format=json --ioengine=libaio --direct=1 --rw=randread \
		--bs=4k --iodepth=64 --time_based --runtime="$1" \
		--name=d0 --filename=/dev/mapper/d0 \
		--name=d1 --filename=/dev/mapper/d1 >/tmp/both.json 2>/tmp/fio.err &&
		sed -n '/^{/,$p' /tmp/both.json | jq -r '[.jobs[].read.iops | floor] | join(" ")'
}
ratio_between() { awk -v a="$1" -v b="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(b > 0 && a / b >= lo && a / b <= hi) }'; }
get() { vaio_filter_get "$1" qos "$2"; }

ktap_check "d0: shares=high" disk d0 s0 shares=high
ktap_check "d1: shares=normal" disk d1 s1 shares=normal
ktap_eq "one domain" "$(get d0 domain) $(get d1 domain)" "nb nb"
r=$(both 5)
a=${r% *}
b=${r#* }
ktap_diag "shares high:normal: $a : $b IOPS; domain window $(get d0 dom_window), latency $(get d0 dom_latency_us) us, congested periods $(get d0 dom_congested_periods)"
ktap_diag "d0: $(vaio_filter_words d0 qos)" "d1: $(vaio_filter_words d1 qos)"
ktap_check "the device was congested" test "$(get d0 dom_congested_periods)" -gt 0
ktap_check "throughput 2:1 by shares (within 1.6-2.5: $a/$b)" ratio_between "$a" "$b" 1.6 2.5
total=$((a + b))

# A reservation against shares 100 times larger.
ktap_check "d0: reservation=300 shares=100" disk d0 s0 reservation=300 shares=100
ktap_check "d1: shares=10000" disk d1 s1 shares=10000
r=$(both 5)
a=${r% *}
b=${r#* }
ktap_diag "reservation 300: $a IOPS, against $b; by_reservation $(get d0 by_reservation), by_shares $(get d0 by_shares)"
ktap_check "the reservation is met (at least 270 IOPS: $a)" test "$a" -ge 270
ktap_eq "status says so" "$(get d0 reservation_met)" yes

# Work conservation: a lone disk with low shares gets the whole device.
ktap_check "d1: shares=low" disk d1 s1 shares=low
fio --output-format=json --ioengine=libaio --direct=1 --rw=randread --bs=4k \
	--iodepth=32 --time_based --runtime=3 --name=d1 --filename=/dev/mapper/d1 \
	>/tmp/one.json 2>/tmp/fio.err
one=$(sed -n '/^{/,$p' /tmp/one.json | jq -r '.jobs[0].read.iops | floor')
ktap_check "alone, low shares: $one IOPS, at least 0.8 of both together ($total)" \
	test $((one * 10)) -ge $((total * 8))

# Data through the domain queues: verify on both at once, 4k only (null_blk
# never serves a request larger than its mbps allows in a millisecond: 4 KiB).
ktap_check "d0: shares=high" disk d0 s0 shares=high
fio_verify /dev/mapper/d1 --size=4m --bsrange=4k-4k >/tmp/v1.out 2>&1 &
v1=$!
ktap_check "fio verify on d0 while d1 verifies" fio_verify /dev/mapper/d0 --size=4m --bsrange=4k-4k
wait $v1 && rc=0 || rc=$?
ktap_eq "fio verify on d1" "$rc" 0
ktap_eq "nothing waits at rest" "$(get d0 dom_queued) $(get d1 dom_queued) $(get d0 dom_inflight)" "0 0 0"
ktap_check "remove" dm_remove d0 d1 s0 s1
ktap_finish
