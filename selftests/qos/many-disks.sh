#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter, 64 disks in one domain on a device of bounded capacity (varied shares, reservations, limits): fio verify on all at once, every status readable, the domain congested with up to 64 disks active, a reload of all 64 with new numbers under fio verify, all removed cleanly"
TIMEOUT=180
CHECK=full	# QoS over many disks (50 s; qos/shares and qos/limit stay): make check-full; make check took 1948 s here on 2026-12-07
DEBUG_LANE=no	# the device must be what congests the domain: the debug kernel, at about 500 IOPS, is slower (there: 24 disks active at most, never congested, 499 s; no detector report)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

N=64
# names PREFIX: PREFIX0 .. PREFIX63
names() { for i in $(seq 0 $((N - 1))); do printf '%s%s ' "$1" "$i"; done; }
# A null_blk limited to 4 MiB/s (1024 writes of 4k a second, far below
# what the guest drives through 64 disks: the device is the bottleneck
# and the domain congested), 64 dm-linear slices of 1 MiB, s0..s63.
nullb_mem nb $((N + 1)) mbps=4
slice=2048
for i in $(seq 0 $((N - 1))); do
	echo "0 $slice linear /dev/nb $((i * slice))" | dmsetup create "s$i" ||
		ktap_diag "dmsetup create s$i failed"
done
dmsetup mknodes
modprobe dm-vaio-qos

# table I ROUND: $T, disk I's table in ROUND 0 or 1 (no subshell: 64
# disks, twice). Shares cycle through low, normal, high, 100 and 5000;
# four disks reserve 30 I/Os a second, four others are limited (iops,
# write_bps, read_iops); the reload turns each disk's shares one step on
# and moves the reservations and limits to the next four disks.
table() {
	local i="$1" a
	case $(((i + $2) % 5)) in
	0) a=low ;; 1) a=normal ;; 2) a=high ;; 3) a=100 ;; *) a=5000 ;;
	esac
	a="domain=many shares=$a"
	case $(((i - 4 * $2 + N) % N)) in
	0 | 1 | 2 | 3) a="$a reservation=30" ;;
	4 | 5) a="$a iops=40" ;;
	6) a="$a write_bps=262144" ;;
	7) a="$a read_iops=60" ;;
	esac
	# shellcheck disable=SC2086 # a list of words
	set -- $a
	T="0 $slice vaio /dev/mapper/s$i $((6 + $#)) disk_id d$i filter qos fail_open $# $a"
}
# expected ROUND: "dI active many SHARES RESERVATION", a line per disk.
expected() {
	local i s r
	for i in $(seq 0 $((N - 1))); do
		case $(((i + $1) % 5)) in
		0) s=500 ;; 1) s=1000 ;; 2) s=2000 ;; 3) s=100 ;; *) s=5000 ;;
		esac
		r=0
		[ $(((i - 4 * $1 + N) % N)) -lt 4 ] && r=30
		echo "d$i active many $s $r"
	done
}
# statuses: the same from one dmsetup status of every device, and the
# words given as arguments after them ("dI ... key=value ...").
statuses() {
	dmsetup status | awk -v keys="$*" '
		BEGIN { nk = split(keys, k, " ") }
		$4 == "vaio" {
			n = $1; sub(":", "", n)
			st = ""; sh = ""; re = ""; dom = ""; more = ""
			for (i = 5; i < NF; i++) {
				if ($i == "qos" && $(i + 1) == "qos") st = $(i + 2)
				else if ($i == "domain") dom = $(i + 1)
				else if ($i == "shares") sh = $(i + 1)
				else if ($i == "reservation") re = $(i + 1)
				for (j = 1; j <= nk; j++)
					if ($i == k[j]) more = more " " $i "=" $(i + 1)
			}
			print substr(n, 2) + 0, n, st, dom, sh, re more
		}' | sort -n | cut -d' ' -f2-
}
# fio_all KIB [OPTION...]: KIB of 4 KiB random writes to each disk, then
# all read back and verified (crc32c), on all 64 at once: 8 jobs
# (threads) of 8 disks each, 16 I/Os in flight each (64 jobs took fio
# 16 s to start in this guest, and its disk statistics as long again:
# disk_util=0). Fails on any I/O error or mismatch. Its pid in /tmp/fio.pid.
fio_all() {
	local kib="$1" j i f o rc
	shift
	[ "${VAIO_DEBUG:-0}" = 1 ] && kib=$((kib / 4))
	{
		printf '[global]\nioengine=libaio\ndirect=1\nrw=randwrite\nbs=4k\n'
		printf 'iodepth=16\nsize=%sk\nverify=crc32c\nverify_fatal=1\n' $((kib * 8))
		printf 'do_verify=1\nthread\ndisk_util=0\n'
		for o; do printf '%s\n' "$o"; done
		for j in 0 1 2 3 4 5 6 7; do
			f=
			for i in $(seq $((j * 8)) $((j * 8 + 7))); do
				f="$f${f:+:}/dev/mapper/d$i"
			done
			printf '[j%s]\nfilename=%s\n' "$j" "$f"
		done
	} >/tmp/all.fio
	fio --output-format=json /tmp/all.fio >/tmp/all.json 2>/tmp/all.err &
	echo $! >/tmp/fio.pid
	# SIGINT (interrupted, below): fio stops its jobs and exits 128.
	wait $! && rc=0 || rc=$?
	if [ "$rc" != 0 ] && ! { [ "$rc" = 128 ] && [ -e /tmp/fio.int ]; }; then
		echo "fio exit $rc"
		tail -n 5 /tmp/all.err
		return 1
	fi
	fio_json_ok </tmp/all.json || {
		sed -n '/^{/,$p' /tmp/all.json | jq -r '.jobs[] | select(.error != 0) |
			"job \(.jobname): error \(.error)"' | head -n 5
		return 1
	}
}
# sample SECS: d0's view of the domain every half second while fio runs
# (at most SECS), one line each: "dom_active dom_window dom_congested".
sample() {
	local n=$(($1 * 2))
	while [ "$n" -gt 0 ] && kill -0 "$fp" 2>/dev/null; do
		vaio_filter_words d0 qos | awk '{
			for (i = 1; i < NF; i++) v[$i] = $(i + 1)
			print v["dom_active"], v["dom_window"], v["dom_congested"]
		}'
		sleep 0.5
		n=$((n - 1))
	done
}
# reload_all ROUND: every disk reloaded with ROUND's table, by 16
# workers at once (a reload waits for its disk's bios below: on this
# device, one after another under fio, 64 took 44 s); the disks whose
# reload failed.
reload_all() {
	local w i
	for w in $(seq 0 15); do
		for i in $(seq "$w" 16 $((N - 1))); do
			table "$i" "$1"
			vaio_reload "d$i" "$T" >/dev/null 2>&1 || echo "d$i"
		done &
	done
	wait
}
# idle: the disks with nothing held nor in flight in the domain.
idle() {
	statuses queued dom_queued dom_inflight |
		grep -c ' queued=0 dom_queued=0 dom_inflight=0$'
}

t0=$(ms_now)
fails=0
for i in $(seq 0 $((N - 1))); do
	table "$i" 0
	echo "$T" | dmsetup create "d$i" || fails=$((fails + 1))
done
dmsetup mknodes
ktap_eq "64 qos disks made in one domain ($(($(ms_now) - t0)) ms)" "$fails" 0
ktap_eq "every disk's status reads back its numbers" "$(statuses)" "$(expected 0)"

t0=$(ms_now)
fio_all 128 >/tmp/fio1.out 2>&1 &
fp=$!
sleep 1
sample 60 >/tmp/samples
wait "$fp" && rc=0 || rc=$?
[ "$rc" = 0 ] || ktap_diag "$(cat /tmp/fio1.out)"
ktap_eq "fio verify on all 64 at once: no error, no mismatch ($(($(ms_now) - t0)) ms)" "$rc" 0
ktap_diag "d0's domain while fio ran (active, window, congested): $(tr '\n' ',' </tmp/samples)"
most=$(awk '$1 > m { m = $1 } END { print m + 0 }' /tmp/samples)
ktap_check "the domain counted its disks active: up to $most of 64" \
	test "$most" -ge 48 -a "$most" -le 64
c=$(awk '$3 == 1 && $2 < 4096 { n++ } END { print n + 0 }' /tmp/samples)
ktap_check "the domain was congested, its window below 4096 ($c samples)" test "$c" -gt 0
ktap_diag "d0-d7: $(statuses by_reservation by_shares throttled | head -n 8 | cut -d' ' -f1,6- | tr '\n' ',')"
ktap_eq "the reserving disks d0-d3 got bios sent for their reservation" \
	"$(statuses by_reservation | grep -c '^d[0-3] .* by_reservation=[1-9][0-9]*$')" 4
ktap_eq "nothing held, nothing left in the domain (of 64 disks)" "$(idle)" 64

# Reload all 64 with new numbers under fio verify: writes, each 64
# verified as they go, until the reloads are done (15-70 s here, with the
# host busy: a fixed length would be a race); then fio is interrupted
# (SIGINT: it stops its jobs and reports, as at their end).
t0=$(ms_now)
fio_all 128 time_based runtime=600 verify_backlog=64 >/tmp/fio2.out 2>&1 &
fp=$!
sleep 2
t1=$(ms_now)
failed=$(reload_all 1)
took=$(($(ms_now) - t1))
ktap_check "fio still runs" kill -0 "$(cat /tmp/fio.pid)"
touch /tmp/fio.int
kill -INT "$(cat /tmp/fio.pid)"
ktap_eq "64 reloads with new numbers under fio ($took ms)" "$failed" ""
ktap_eq "every disk's status reads back its new numbers" "$(statuses)" "$(expected 1)"
wait "$fp" && rc=0 || rc=$?
[ "$rc" = 0 ] || ktap_diag "$(cat /tmp/fio2.out)"
ktap_eq "fio verify through the reloads ($(($(ms_now) - t0)) ms): no error, no mismatch" "$rc" 0
ktap_eq "nothing held, nothing left in the domain (of 64 disks)" "$(idle)" 64

t0=$(ms_now)
# shellcheck disable=SC2046 # the names have no spaces
ktap_check "all 64 removed at once" timeout 60 dmsetup remove $(names d)
ktap_diag "removed in $(($(ms_now) - t0)) ms"
ktap_eq "no disk left" "$(dmsetup ls | grep -c '^d[0-9]')" 0
ktap_check "the module unloads (no instance, no domain left)" rmmod dm-vaio-qos
# shellcheck disable=SC2046
dmsetup remove $(names s)
ktap_finish
