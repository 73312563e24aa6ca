#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter domains (mClock): two disks on a congested device get throughput 2:1 by shares, a reservation is met against far larger shares, a lone low-share disk gets the whole device, data verified"
TIMEOUT=180
DEBUG_LANE=no	# rates: the debug kernel does about 500 IOPS unthrottled (qos/limit there: 526), below the limits checked
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/qos.sh"

# A device of bounded capacity (qos_slices). Two disks on slices of it,
# one domain, the default latency_ms (30).
qos_slices
half=$(dev_sectors /dev/mapper/s0)
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
sa=$(get d0 by_shares)
sb=$(get d1 by_shares)
ktap_check "the domain sent 2:1 by shares (within 1.6-2.5: $sa/$sb)" ratio_between "$sa" "$sb" 1.6 2.5
ktap_check "throughput follows (at least 1.4: $a/$b)" ratio_between "$a" "$b" 1.4 3

# A reservation against shares 100 times larger.
ktap_check "d0: reservation=150 shares=100" disk d0 s0 reservation=150 shares=100
ktap_check "d1: shares=10000" disk d1 s1 shares=10000
both 5 >/tmp/both.out &
bp=$!
sleep 0.5
# d0's rate and reservation_met, over each of three seconds.
res=$(filter_rates d0 qos 3 reads | median)
met=$(get d0 reservation_met)
wait $bp
ktap_diag "reservation 150: $res IOPS (fio: $(cat /tmp/both.out)); by_reservation $(get d0 by_reservation), by_shares $(get d0 by_shares)"
ktap_check "the reservation is met (at least 135 IOPS: $res)" test "$res" -ge 135
ktap_eq "status says so" "$met" yes

# Work conservation: a lone disk with low shares gets the whole device. Once
# the domain's window opened (a period, from what the last test left), it
# holds none of its bios back, and in its best second of three (the host
# may stop the guest for a while) it reads at the device's rate.
ktap_check "d1: shares=low" disk d1 s1 shares=low
fio --ioengine=libaio --direct=1 --rw=randread --bs=4k --iodepth=32 \
	--time_based --runtime=5 --name=d1 --filename=/dev/mapper/d1 \
	--output=/dev/null &
fp=$!
sleep 1
held=$(get d1 by_shares)
rates=$(filter_rates d1 qos 3 reads | tr '\n' ' ')
window=$(get d1 dom_window)
wait $fp
one=$(echo "$rates" | tr ' ' '\n' | sort -n | tail -n 1)
ktap_eq "alone, low shares: the domain's window wide open" "$window" 4096
ktap_eq "none of its bios waited in the domain after the first second" \
	"$(get d1 by_shares)" "$held"
ktap_check "and it read at the device's rate (best second of $rates: at least 0.8 of 512)" \
	test "$one" -ge 410

# Data through the domain queues: verify on both at once, 4k only (null_blk
# never serves a request larger than its mbps allows in a millisecond).
# Shares 10000 and 1, 64 bios deep (125 ms: congested): d1's bios wait in
# the domain while d0 is busy, and a suspend of d1 must send them below at
# once, not after d0 is done.
ktap_check "d0: shares=10000" disk d0 s0 shares=10000
ktap_check "d1: shares=1" disk d1 s1 shares=1
fio_verify /dev/mapper/d0 --size=4m --bsrange=4k-4k --iodepth=32 >/tmp/v0.out 2>&1 &
v0=$!
fio_verify /dev/mapper/d1 --size=1m --bsrange=4k-4k --iodepth=32 >/tmp/v1.out 2>&1 &
v1=$!
d1_waits() { [ "$(get d1 dom_queued)" -ge 8 ]; }
ktap_check "d1's bios wait in the domain" wait_until 50 d1_waits
n=$(get d1 dom_queued)
t0=$(ms_now)
timeout 30 dmsetup suspend d1 && rc=0 || rc=$?
took=$(($(ms_now) - t0))
ktap_check "suspend of d1 with $n waiting in the domain: $took ms" \
	test "$rc" = 0 -a "$took" -le 2000
ktap_eq "none of d1's waits while it is suspended" "$(get d1 dom_queued)" 0
ktap_check "resume d1" dmsetup resume d1
wait $v0 && rc=0 || rc=$?
ktap_eq "fio verify on d0" "$rc" 0
wait $v1 && rc=0 || rc=$?
ktap_eq "fio verify on d1" "$rc" 0
ktap_eq "nothing waits at rest" "$(get d0 dom_queued) $(get d1 dom_queued) $(get d0 dom_inflight)" "0 0 0"
ktap_check "remove" dm_remove d0 d1 s0 s1
ktap_finish
