#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter failed with bios queued: fail_open releases them at once and the disk runs unthrottled, no acknowledged write lost, reactivation throttles again; fail_closed errors the queued bios at once and all new I/O, none both errored and written, suspend and removal do not hang"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# Two disks, each on a RAM disk of its own (vaio-ackwriter check wants
# zeroed blocks), 5 IOPS with no burst: with 32 writers most of their
# bios are queued in the filter, a queue its timer takes over 3 s to
# release at the limit's pace.
brd_setup 16 2
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio-qos
# table NAME RAMDISK FAILMODE
table() { echo "0 $size vaio /dev/ram$2 8 disk_id $1 filter qos $3 2 iops=5 burst_ms=0"; }
queued() { vaio_filter_get "$1" qos queued; }
many_queued() { [ "$(queued "$1")" -ge 16 ]; }
# writer DEV LOG SEED [NICE]: 32 writers of acknowledged writes in the
# background ($wp), which stop at the first failed write. Over all 4096
# blocks: the writers all wait when the next write's block has one in
# flight (queued here, maybe for seconds), so let that be rare. NICE
# (renice: the guest has no nice) for writers that will go unthrottled,
# so that they do not take the guest's CPU from the test's looks.
writer() {
	# shellcheck disable=SC2016 # for sh -c
	sh -c 'renice -n "$1" -p $$ >/dev/null && shift && exec "$@"' sh "${4:-0}" \
		vaio-ackwriter write --dev "/dev/mapper/$1" --log "$2" --seed "$3" \
		--threads 32 --blocks 4096 --seconds 600 \
		>"/tmp/$1.out" 2>&1 &
	wp=$!
}
# stop_writer NAME: a KTAP result: the writer stops (on SIGTERM) with
# exit status 0; its summary line ("acked A last_seq S failed F") in $ws.
stop_writer() {
	local rc
	kill -TERM "$wp"
	wait "$wp" && rc=0 || rc=$?
	ws=$(tail -n 1 "/tmp/$1.out")
	ktap_eq "$1: the writer stops ($ws)" "$rc" 0
}
# disk_rates DEV: three one-second rates of the writes the disk got (the
# core's counter, whatever the filter's state), one a line.
disk_rates() {
	local v0 t0 v1 t1
	v0=$(vaio_stat "$1" writes)
	t0=$(ms_now)
	for _ in 1 2 3; do
		sleep 1
		v1=$(vaio_stat "$1" writes)
		t1=$(ms_now)
		echo $(((v1 - v0) * 1000 / (t1 - t0)))
		v0=$v1
		t0=$t1
	done
}
# bound N: the time (ms) within which N bios queued at 5 IOPS must all be
# out of the filter once it failed: half the time the timer alone would
# take; all but the last one's under the debug kernel.
bound() {
	if [ "${VAIO_DEBUG:-0}" = 1 ]; then
		echo $((($1 - 1) * 200))
	else
		echo $(($1 * 100))
	fi
}
# fail DEV: the admin's fail message to DEV's filter.
fail() {
	dmsetup message "$1" 0 fail qos ||
		ktap_diag "dmsetup message $1 0 fail qos: exit $?"
}
# acked LOG: how many writes the log holds (16-byte records {seq, wm}
# after a 4 KiB header, up to the first zero seq).
acked() {
	od -An -v -tu8 -w16 -j4096 "$1" | awk '$1 == 0 { exit } { n++ } END { print n + 0 }'
}
# not_acked LOG DEV: the blocks of DEV that hold a write the log never
# acknowledged (or no write of it at all), as "block seq seed"; with the
# writer stopped, none may: each write was acknowledged or failed, and a
# failed one must not be on the disk (errored and written: both).
not_acked() {
	od -An -v -tu8 -w16 -j4096 "$1" | awk '$1 == 0 { exit } { print $1 }' >/tmp/acked
	vaio-ackwriter scan --dev "$2" --blocks 4096 >/tmp/scan || return 1
	awk 'FILENAME == ARGV[1] { a[$1] = 1; next } $2 == "bad" || !($2 in a)' \
		/tmp/acked /tmp/scan
}

# fail_open: bypassed, the filter holds nothing and sees nothing.
ktap_check "o: qos fail_open, iops=5 burst_ms=0" dm_create o "$(table o 0 fail_open)"
writer o /tmp/o.log 1 19
ktap_check "o: bios queue up" wait_until 100 many_queued o
n=$(queued o)
t0=$(ms_now)
fail o
# One look, 0.3 s after: the writers, released, keep the guest's CPU busy
# (niced) and the look may come late; but the timer alone, at 5 IOPS, would have
# released only half of the $n by $n * 100 ms, and not all of them before
# ($n - 1) * 200 ms (the bound under the debug kernel, many times slower).
sleep 0.3
left=$(queued o)
took=$(($(ms_now) - t0))
ktap_diag "o: $left of $n queued $took ms after the failure"
ktap_check "o: failed, the $n queued bios are released at once (none left after $took ms)" \
	test "$left" = 0 -a "$took" -lt "$(bound "$n")"
ktap_eq "o: the filter shows bypassed" "$(vaio_filter_state o qos)" bypassed
w=$(vaio_filter_get o qos writes)
r=$(disk_rates o)
ktap_diag "o: bypassed, writes a second: $(echo "$r" | tr "\n" " ")"
ktap_check "o: the disk runs unthrottled: $(echo "$r" | median) writes a second (limit 5)" \
	test "$(echo "$r" | median)" -ge 50
ktap_eq "o: the bypassed filter saw none of them" "$(vaio_filter_get o qos writes)" "$w"
ktap_fails "o: not reactivated while I/O runs" dmsetup message o 0 reactivate qos
ktap_check "o: reactivated (suspended)" vaio_reactivate o qos
ktap_eq "o: the filter shows active" "$(vaio_filter_state o qos)" active
ktap_check "o: bios queue up again" wait_until 100 many_queued o
# The filter's rate: the disk's may stall while the writers wait (above).
r=$(filter_rates o qos 3 writes)
ktap_diag "o: reactivated, writes a second: $(echo "$r" | tr "\n" " ")"
ktap_check "o: throttled again: $(echo "$r" | median) writes a second (limit 5)" \
	test "$(echo "$r" | median)" -ge 2 -a "$(echo "$r" | median)" -le 7
stop_writer o
ktap_match "o: no write failed" "$ws" ' failed 0$'
ktap_check "o: every acknowledged write is on the disk below" \
	vaio-ackwriter check --log /tmp/o.log --dev /dev/ram0 --complete
ktap_check "o: removed" timeout 10 dmsetup remove o

# fail_closed: the disk errors all I/O, the bios the filter held too;
# those that went below before complete. The writers stop at their first
# failed write, once every write in flight is done.
ktap_check "c: qos fail_closed, iops=5 burst_ms=0" dm_create c "$(table c 1 fail_closed)"
writer c /tmp/c.log 2
ktap_check "c: bios queue up" wait_until 100 many_queued c
n=$(queued c)
e0=$(vaio_stat c errors)
t0=$(ms_now)
a0=$(acked /tmp/c.log)
fail c
t1=$(ms_now)
wait "$wp" && rc=0 || rc=$?
took=$(($(ms_now) - t0))
ws=$(tail -n 1 /tmp/c.out)
ktap_diag "c: $(head -n 1 /tmp/c.out)" "c: $ws"
# The timer alone, at 5 IOPS, would take $n * 200 ms.
ktap_check "c: the writers stop at their first error: each of the $n queued bios done at once ($took ms)" \
	test "$rc" = 1 -a "$took" -lt "$(bound "$n")"
ktap_eq "c: the filter shows failed" "$(vaio_filter_state c qos)" failed
ktap_eq "c: nothing queued" "$(queued c)" 0
a1=$(acked /tmp/c.log)
# Bios the timer released, at 5 a second, from the look at the log to
# the failure (a second under the debug kernel), and as the message went,
# may complete: not more.
more=$((2 + (t1 - t0) * 5 / 1000))
ktap_check "c: none of the $n queued bios was acknowledged ($a0 acknowledged before, $a1 after, $more allowed)" \
	test "$a1" -le $((a0 + more))
# "acked A last_seq S ...": of the S writes issued, all done, S - A failed.
a=$(echo "$ws" | awk '{ print $2 }')
s=$(echo "$ws" | awk '{ print $4 }')
ktap_check "c: at least the $n queued writes failed ($((s - a)))" test $((s - a)) -ge $((n - 2))
ktap_eq "c: the disk errored each failed write once" "$(($(vaio_stat c errors) - e0))" $((s - a))
ktap_fails "c: a new write errors" dd if=/dev/zero of=/dev/mapper/c bs=4k count=1 oflag=direct
ktap_fails "c: a new read errors" dd if=/dev/mapper/c of=/dev/null bs=4k count=1 iflag=direct
ktap_check "c: every acknowledged write is on the disk below" \
	vaio-ackwriter check --log /tmp/c.log --dev /dev/ram1 --complete
bad=$(not_acked /tmp/c.log /dev/ram1)
[ -z "$bad" ] || ktap_diag "$(echo "$bad" | head -n 5)"
ktap_eq "c: no failed write is on the disk below" "$(echo "$bad" | grep -c .)" 0
ktap_check "c: failed, suspends and resumes within 5 s" \
	timeout 5 sh -c 'dmsetup suspend c && dmsetup resume c'
ktap_check "c: removed, failed, within 10 s" timeout 10 dmsetup remove c
ktap_check "the module unloads (no instance or domain left)" rmmod dm-vaio-qos
ktap_finish
