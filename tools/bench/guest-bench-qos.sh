#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest side of tools/bench/bench-qos (busybox sh): the qos filter
# against the block layer's cgroup controllers, blk-throttle (io.max) and
# io.cost (io.weight), in one guest run. Environment (vaio-vm --env):
# VAIO_REPEAT, VAIO_RUNTIME (s), VAIO_FILTER (a regex over "ROW CONFIG";
# empty: all), VAIO_LIVE (0: no live-change run).
#
# Devices:
#   /dev/nullb0  null_blk, no data, completes at once: the limits, the
#                overhead and the release path, on a vaio disk over it
#                (the qos filter, or no filter and io.max on the disk)
#   /dev/nb      null_blk limited to MBPS MiB/s (MBPS * 256 reads of 4 KiB
#                a second), memory-backed, HWQD tags: a device of bounded
#                capacity whose latency grows with the bios in it; four
#                dm-linear slices s0..s3 of it (the domains' rows)
#
# Left in /outbox/raw:
#   results.tsv   one line a fio job: REP ROW CONFIG DISK IOPS BW_BYTES
#                 P50_US P99_US (completion latency of its reads, or of
#                 its writes when it did not read)
#   hop.tsv       REP CONFIG N_PAIRED N_BIOS P50_US P99_US: the release
#                 path, from the trace (see hop_run)
#   <rep>_<row>_<config>[_<disk>].json   fio's JSON
#   live_d<N>_iops.1.log, live.events    the live-change run
#   meta
#
# In each repeat every row runs its configurations back to back, their
# order rotated by one each repeat.
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
LIVE=${VAIO_LIVE:-1}
RAMP=1		# s of each limit run fio does not count (the burst, the start)
DRAMP=2		# the same for the domain runs: congestion found, window settled
MBPS=8		# the bounded device: 2048 reads of 4 KiB a second
HWQD=512	# its tags: 4 disks at DQD
# The domains' fio depth: far deeper than the bios a disk has in flight
# below at its part of the device's rate and latency_ms (30 ms: 2048 IOPS
# * 30 ms = 61 for all), so that its bios always wait in the domain and
# shares and reservations decide, not the depth. By Little's law a disk
# with D bios outstanding and a time T in the domain and below does at
# most D / T: at QD64, 2:1 came out 1.9:1.1 (the first disk ran out of
# bios waiting), at QD128 2.0:1.
DQD=${VAIO_DQD:-128}
OUT=/outbox/raw
CG=/sys/fs/cgroup
DM=bq
# shellcheck disable=SC2034 # BENCH: read by lib.sh (fail)
BENCH=bench-qos

mkdir -p $OUT
modprobe virtio_blk 2>/dev/null

for m in dm-mod dm-vaio dm-vaio-qos; do
	modprobe "$m" || fail "no module $m"
done
modprobe null_blk nr_devices=1 gb=1 queue_mode=2 irqmode=0 hw_queue_depth=64 \
	submit_queues=2 bs=512 || fail "null_blk"
nullb_mem nb 1024 mbps=$MBPS hw_queue_depth=$HWQD || fail "the bounded null_blk"
SLICE=$(($(dev_sectors /dev/nb) / 4))
for i in 0 1 2 3; do
	dm_create "s$i" "0 $SLICE linear /dev/nb $((i * SLICE))" || fail "slice s$i"
done
FAST=$(dev_sectors /dev/nullb0)

# cgroup v2 with the io controller: b0..b3, one per fio.
mount -t cgroup2 none $CG || fail "cgroup2"
echo +io >$CG/cgroup.subtree_control || fail "no io controller"
for i in 0 1 2 3; do mkdir $CG/b$i; done
devno() { tr ':' ' ' <"/sys/block/$1/dev"; } # "MAJ MIN"
# majmin DMNAME: "MAJ:MIN"
majmin() { dmsetup info -c --noheadings -o major,minor --separator : "$1"; }

# io.cost on nb (io.weight needs it): a linear model of nb's capacity,
# latency targets at latency_ms's 30 ms. blk-iocost works on request
# queues only: nb, not the dm devices over it.
NB=$(devno nb | tr ' ' ':')
IOCOST=yes
echo "$NB ctrl=user model=linear rbps=$((MBPS << 20)) rseqiops=$((MBPS * 256)) rrandiops=$((MBPS * 256)) wbps=$((MBPS << 20)) wseqiops=$((MBPS * 256)) wrandiops=$((MBPS * 256))" \
	>$CG/io.cost.model 2>/tmp/iocost.err || IOCOST="no: io.cost.model: $(cat /tmp/iocost.err)"
echo "$NB enable=0" >$CG/io.cost.qos 2>/dev/null
# io.cost on a dm device: refused?
dm_create probe "0 8 linear /dev/nullb0 0"
if echo "$(majmin probe) enable=1" >$CG/io.cost.qos 2>/tmp/iocost.err; then
	IOCOST_DM=yes
	echo "$(majmin probe) enable=0" >$CG/io.cost.qos
else
	IOCOST_DM="no: $(cat /tmp/iocost.err)"
fi
dmsetup remove probe
iocost() { # on|off
	if [ "$1" = on ]; then
		echo "$NB enable=1 ctrl=user rpct=95 rlat=30000 wpct=95 wlat=30000 min=10 max=400" >$CG/io.cost.qos
	else
		echo "$NB enable=0" >$CG/io.cost.qos
	fi
}

{
	guest_meta
	echo "dramp=$DRAMP"
	echo "mbps=$MBPS"
	echo "hwqd=$HWQD"
	echo "dqd=$DQD"
	echo "iocost=$IOCOST"
	echo "iocost_dm=$IOCOST_DM"
} >$OUT/meta

trap 'dm_gone; doms_gone' EXIT

# fio_in CGROUP OUT ARGS...: fio in cgroup b<CGROUP>, JSON to OUT, stderr
# to OUT.err.
fio_in() {
	local cg=$1 out=$2
	shift 2
	# shellcheck disable=SC2016 # for the inner shell
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec fio "$@"' sh "$CG/b$cg" \
		--ioengine=libaio --direct=1 --time_based --output-format=json "$@" \
		>"$out" 2>"$out.err"
}

# keep TAG REP ROW CONFIG DISK RC [IOPS [BYTES/S]]: the fio JSON in
# /tmp/TAG.out (exit status RC) kept and summed up in results.tsv (with
# IOPS and BYTES/S, by default 4 KiB an I/O, in place of fio's); a failed
# run ends the bench.
keep() {
	local t=$1 f=/tmp/$1.out
	if [ "$6" != 0 ] || ! fio_json_ok <"$f"; then
		sed 's/^/  | /' "$f.err" | tail -n 20
		fail "$t: fio exit $6"
	fi
	sed -n '/^{/,$p' "$f" >"$OUT/$t.json"
	jq -r --arg p "$2 $3 $4 $5" --arg o "${7:-}" --arg ob "${8:-}" '.jobs[0] |
		(if .read.total_ios > 0 then .read else .write end) as $d |
		(if $o == "" then .read.iops + .write.iops else ($o | tonumber) end) as $iops |
		(if $ob != "" then ($ob | tonumber) elif $o == "" then .read.bw_bytes + .write.bw_bytes
		 else $iops * 4096 end) as $bw |
		"\($p) \($iops) \($bw) \($d.clat_ns.percentile["50.000000"] / 1000) \($d.clat_ns.percentile["99.000000"] / 1000)"' \
		"$OUT/$t.json" >>"$OUT/results.tsv"
	rm -f "$f" "$f.err"
}

# ---------------------------------------------------------------------
# Limits: a vaio disk over nullb0 with the qos filter, or without
# filters and io.max on the disk (fio in cgroup b0 either way); "free":
# neither (the rate the guest does).
# ---------------------------------------------------------------------

# wl_args WORKLOAD: fio's arguments.
wl_args() {
	case $1 in
	4k-randread-qd1) echo "--rw=randread --bs=4k --iodepth=1" ;;
	4k-randread-qd16) echo "--rw=randread --bs=4k --iodepth=16" ;;
	4k-randwrite-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	4k-randwrite-qd16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
	64k-randread-qd16) echo "--rw=randread --bs=64k --iodepth=16" ;;
	64k-randwrite-qd16) echo "--rw=randwrite --bs=64k --iodepth=16" ;;
	esac
}
LIMIT_WLS="4k-randread-qd1 4k-randread-qd16 4k-randwrite-qd1 4k-randwrite-qd16 64k-randread-qd16 64k-randwrite-qd16"
# limits WORKLOAD: IOPS for 4k, MiB/s (suffix m) for 64k.
limits() {
	case $1 in
	4k-*) echo "200 1000 5000" ;;
	64k-*) echo "10m 100m" ;;
	esac
}
# lim_cfgs WORKLOAD: the configurations of its rows. At QD1 also the qos
# filter with burst_ms=1000: a bio waits for the filter's timer each time
# there, and a guest its host stops for longer than burst_ms (100 ms by
# default) loses that time's credit; the difference between the two
# shows how much of a shortfall is that.
lim_cfgs() {
	case $1 in
	*-qd1) echo "qos iomax qos-b1000" ;;
	*) echo "qos iomax" ;;
	esac
}
# qos_args LIMIT, iomax_args WORKLOAD LIMIT: the limit in each's words.
qos_args() {
	case $1 in
	*m) echo "bps=$((${1%m} << 20))" ;;
	*) echo "iops=$1" ;;
	esac
}
iomax_args() {
	local d=w
	case $1 in *read*) d=r ;; esac
	case $2 in
	*m) echo "${d}bps=$((${2%m} << 20))" ;;
	*) echo "${d}iops=$2" ;;
	esac
}

# snap DEV...: the clock in ns (/proc/timer_list; /proc/uptime has
# 10 ms), then the fields of each DEV's /sys/block stat, read by one
# process right after it: one line.
snap() {
	local d f=''
	for d; do f="$f /sys/block/$d/stat"; done
	awk 'FNR == 1 { fi++ } fi == 1 { if ($1 == "now" && $2 == "at") t = $3; next }
		{ s = s " " $0 } END { print t s }' /proc/timer_list $f
}

# windowed TAG FIO-ARGS...: fio (cgroup b0) on $DM, its JSON in
# /tmp/TAG.out; its status is the return. The rate is not fio's: a paced
# stream at QD16 has 16 bios queued when fio's runtime ends, and fio
# counts the time they take to drain (QD / limit: 80 ms at 200 IOPS) but
# not them, which made 200 IOPS 195. It is the disk's own completions
# (/sys/block/<dev>/stat: reads and writes, sectors) over RUNTIME s, from
# RAMP s after its first completion: "IOPS BYTES/S" in /tmp/TAG.rate.
windowed() {
	local t=$1 blk fp rc s1 s2
	shift
	blk=$(dmdev $DM)
	fio_in 0 /tmp/$t.out --name=$t --filename=/dev/mapper/$DM \
		--ramp_time=$RAMP --runtime=$((RUNTIME + 2)) "$@" &
	fp=$!
	io_started() { [ "$(awk '{ print $1 + $5 }' "/sys/block/$blk/stat")" -gt 0 ]; }
	wait_until 150 io_started || fail "$t: fio did not start"
	sleep $RAMP
	s1=$(snap "$blk")
	sleep "$RUNTIME"
	s2=$(snap "$blk")
	kill -0 $fp 2>/dev/null || fail "$t: fio ended before the measured time did"
	wait $fp && rc=0 || rc=$?
	echo $s1 $s2 | awk '{ n = NF / 2; dt = ($(n + 1) - $1) / 1e9
		printf "%.3f %.0f\n", ($(n + 2) + $(n + 6) - $2 - $6) / dt,
			($(n + 4) + $(n + 8) - $4 - $8) * 512 / dt }' >/tmp/$t.rate
	return $rc
}

# limit_run REP WORKLOAD LIMIT CONFIG
limit_run() {
	local rep=$1 wl=$2 lim=$3 cfg=$4 t="$1_lim-$2-$3_$4" rc
	case $cfg in
	qos) dm_create $DM "0 $FAST vaio /dev/nullb0 7 disk_id bq filter qos fail_open 1 $(qos_args "$lim")" ;;
	qos-b1000) dm_create $DM "0 $FAST vaio /dev/nullb0 8 disk_id bq filter qos fail_open 2 $(qos_args "$lim") burst_ms=1000" ;;
	*) dm_create $DM "0 $FAST vaio /dev/nullb0 2 disk_id bq" ;;
	esac || fail "$t: the table did not load"
	if [ "$cfg" = iomax ]; then
		echo "$(majmin $DM) $(iomax_args "$wl" "$lim")" >$CG/b0/io.max ||
			fail "$t: io.max"
	fi
	windowed "$t" $(wl_args "$wl") && rc=0 || rc=$?
	dm_gone
	keep "$t" "$rep" "lim-$wl-$lim" "$cfg" - "$rc" $(cat /tmp/$t.rate)
}

# ---------------------------------------------------------------------
# The release path: a deferred bio, from its timer's callback to the
# device below, traced (tracefs): the qos filter's hrtimer (qos_timer_fn,
# then vaio_bio_continue() and the core's workqueue) against
# blk-throttle's timer (throtl_pending_timer_fn, then its dispatch work),
# both over vaio on nullb0 at 200 IOPS, QD1 (every bio waits about 5 ms);
# and "inline": the same disk without a limit, from the bio's arrival at
# the vaio disk to the device below.
# ---------------------------------------------------------------------
TR=/sys/kernel/tracing
[ -d $TR/events ] || mount -t tracefs nodev $TR 2>/dev/null
[ -d $TR/events ] || TR=/sys/kernel/debug/tracing
NULLB0=$(devno nullb0 | tr ' ' ',')

# hop_run REP CONFIG
hop_run() {
	local rep=$1 cfg=$2 t="$1_hop_$2" rc fn dmd e
	case $cfg in
	qos) dm_create $DM "0 $FAST vaio /dev/nullb0 7 disk_id bq filter qos fail_open 1 iops=200" ;;
	*) dm_create $DM "0 $FAST vaio /dev/nullb0 2 disk_id bq" ;;
	esac || fail "$t: the table did not load"
	[ "$cfg" = iomax ] && echo "$(majmin $DM) riops=200" >$CG/b0/io.max
	dmd=$(majmin $DM | tr ':' ',')
	echo 0 >$TR/tracing_on
	echo >$TR/trace
	echo 4096 >$TR/buffer_size_kb
	for e in timer/hrtimer_expire_entry timer/timer_expire_entry block/block_bio_queue; do
		echo 1 >"$TR/events/$e/enable" || fail "$t: no trace event $e"
	done
	echo 1 >$TR/tracing_on
	# 3 s: 600 bios through the timer; without a limit, 1 s is tens of
	# thousands.
	fio_in 0 /tmp/$t.out --name=$t --filename=/dev/mapper/$DM --ramp_time=1 \
		--runtime=$([ "$cfg" = inline ] && echo 1 || echo 3) --rw=randread \
		--bs=4k --iodepth=1 && rc=0 || rc=$?
	echo 0 >$TR/tracing_on
	for e in timer/hrtimer_expire_entry timer/timer_expire_entry block/block_bio_queue; do
		echo 0 >"$TR/events/$e/enable"
	done
	dm_gone
	[ "$rc" = 0 ] || fail "$t: fio exit $rc"
	case $cfg in
	qos) fn=qos_timer_fn ;;
	iomax) fn=throtl_pending_timer_fn ;;
	*) fn=- ;;
	esac
	# From the last timer callback (or, inline, the bio's arrival at the
	# vaio disk) to the next bio queued on nullb0, in µs.
	awk -v fn="function=$fn" -v below="$NULLB0" -v top="$dmd" -v inline="$([ "$cfg" = inline ] && echo 1)" '
		{
			ts = ""
			for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); ev = $(i + 1); break }
			if (ts == "") next
		}
		!inline && ev ~ /expire_entry:/ && index($0, fn " ") { t0 = ts; next }
		ev == "block_bio_queue:" && $(i + 2) == top && inline { t0 = ts; next }
		ev == "block_bio_queue:" && $(i + 2) == below {
			n++
			if (t0 != "") { printf "%.0f\n", (ts - t0) * 1e6; t0 = "" }
		}
		END { print n > "/tmp/hop.n" }' $TR/trace | sort -n >/tmp/hop.us
	cp $TR/trace "$OUT/$t.trace.txt" 2>/dev/null && gzip -f "$OUT/$t.trace.txt"
	echo >$TR/trace
	awk -v p="$rep $cfg" -v n="$(cat /tmp/hop.n)" '{ a[NR] = $1 }
		END {
			if (NR == 0) { print p, 0, n, "n/a", "n/a"; exit }
			print p, NR, n, a[int((NR + 1) / 2)], a[int(NR * 0.99 + 0.999)]
		}' /tmp/hop.us >>$OUT/hop.tsv
	sed -n '/^{/,$p' /tmp/$t.out >"$OUT/$t.json"
	log "$t: $(tail -n 1 $OUT/hop.tsv)"
}

# ---------------------------------------------------------------------
# Domains: disks on the slices of nb, one domain. qos: vaio disks dq<N>
# with the filter (domain=nb); io.weight: fio on the slices themselves,
# each in its cgroup with its weight, io.cost on nb; none: vaio disks
# without filters.
# ---------------------------------------------------------------------
doms_gone() {
	local i
	dm_gone dq0 dq1 dq2 dq3
	for i in 0 1 2 3; do echo 100 >$CG/b$i/io.weight 2>/dev/null; done
	return 0
}

# qdisk N ARGS...: vaio disk dq<N> on slice s<N>, with the qos filter in
# domain nb and ARGS, or without filters if ARGS is "-"; reloaded live if
# it exists.
qdisk() {
	local n=$1 t a b c z
	shift
	if [ "$1" = - ]; then
		t="0 $SLICE vaio /dev/mapper/s$n 2 disk_id dq$n"
	else
		t="0 $SLICE vaio /dev/mapper/s$n $((7 + $#)) disk_id dq$n filter qos fail_open $((1 + $#)) domain=nb $*"
	fi
	z=$(ms_now)
	if dmsetup info "dq$n" >/dev/null 2>&1; then
		# vaio_reload, each step timed (RELOAD_MS).
		a=$(ms_now)
		echo "$t" | dmsetup load "dq$n" || return 1
		b=$(ms_now)
		dmsetup suspend "dq$n" || return 1
		c=$(ms_now)
		dmsetup resume "dq$n" || return 1
		RELOAD_MS="info $((a - z)) ms, load $((b - a)) ms, suspend $((c - b)) ms, resume $(($(ms_now) - c)) ms"
	else
		dm_create "dq$n" "$t"
	fi
}

# dom_fio TAG QD RUNTIME DEV...: 4k random reads at QD on each DEV at
# once, one fio each, the Nth in cgroup b<N>; fio's results in
# /tmp/TAG_d<N>.out. Under TCG the fios start up to seconds apart, so the
# rates are not fio's: each device's reads completed (its
# /sys/block/<dev>/stat) over the same RUNTIME seconds, from DRAMP s
# after all of them read; in /tmp/TAG_d<N>.iops.
reads_done() { awk '{ print $1 }' "/sys/block/$1/stat"; }
dom_fio() {
	local t=$1 qd=$2 rt=$3 i=0 pids='' blks='' b s1 s2 p
	shift 3
	for dev; do
		blks="$blks $(dmdev "${dev##*/}")"
		fio_in $i /tmp/${t}_d$i.out --name=d$i --filename=$dev --rw=randread \
			--bs=4k --iodepth="$qd" --runtime=$((DRAMP + rt + 8)) &
		pids="$pids $!"
		i=$((i + 1))
	done
	dom_reading() {
		for b in $blks; do [ "$(reads_done "$b")" -gt 0 ] || return 1; done
	}
	wait_until 150 dom_reading || fail "$t: fio did not start"
	sleep $DRAMP
	s1=$(snap $blks)
	# The qos disks' status halfway through.
	sleep $((rt / 2))
	for dev; do
		case $dev in */dq*) dmsetup status "${dev##*/}" ;; esac
	done >"$OUT/$t.status"
	sleep $((rt - rt / 2))
	s2=$(snap $blks)
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || fail "$t: a fio ended before the measured time did"
	done
	# Reads completed, field 1 of each stat (17 fields on 6.1).
	echo $s1 $s2 | awk -v t="/tmp/$t" '{ n = NF / 2; dt = ($(n + 1) - $1) / 1e9
		for (i = 0; 2 + 17 * i <= n; i++) print ($(n + 2 + 17 * i) - $(2 + 17 * i)) / dt > (t "_d" i ".iops") }'
	i=0
	for p in $pids; do
		wait $p && echo 0 >/tmp/${t}_d$i.rc || echo $? >/tmp/${t}_d$i.rc
		i=$((i + 1))
	done
}
# dom_keep REP ROW CONFIG N: keeps the N disks' results of dom_fio.
dom_keep() {
	local i=0 t="$1_$2_$3"
	while [ $i -lt "$4" ]; do
		[ -s /tmp/${t}_d$i.iops ] || fail "$t: no rate of d$i"
		keep "${t}_d$i" "$1" "$2" "$3" "d$i" "$(cat /tmp/${t}_d$i.rc)" "$(cat /tmp/${t}_d$i.iops)"
		i=$((i + 1))
	done
	log "$t: $(awk -v r="$1" -v w="$2" -v c="$3" '$1 == r && $2 == w && $3 == c { printf "%s %.0f  ", $4, $5 }' $OUT/results.tsv)"
}

# shares_run REP ROW CONFIG: ROW shares2 (2:1) or shares4 (4:2:1:1).
shares_run() {
	local rep=$1 row=$2 cfg=$3 w n i devs=''
	case $row in
	shares2) w="2 1" ;;
	shares4) w="4 2 1 1" ;;
	esac
	n=0
	for s in $w; do
		if [ "$cfg" = qos ]; then
			qdisk $n shares=$((s * 500)) || fail "$rep $row: dq$n"
			devs="$devs /dev/mapper/dq$n"
		else
			echo $((s * 100)) >$CG/b$n/io.weight
			devs="$devs /dev/mapper/s$n"
		fi
		n=$((n + 1))
	done
	[ "$cfg" = ioweight ] && iocost on
	dom_fio "${rep}_${row}_$cfg" $DQD "$RUNTIME" $devs
	[ "$cfg" = ioweight ] && iocost off
	doms_gone
	dom_keep "$rep" "$row" "$cfg" $n
}

# resv_run REP: dq0 reserves 1000 IOPS (shares low) against three disks
# with shares high, all greedy (QD$DQD): by shares alone dq0 would get
# 500/6500 of the device.
resv_run() {
	if ! { qdisk 0 reservation=1000 shares=low && qdisk 1 shares=high &&
		qdisk 2 shares=high && qdisk 3 shares=high; }; then
		fail "$1 resv: the disks"
	fi
	dom_fio "$1_resv_qos" $DQD "$RUNTIME" /dev/mapper/dq0 /dev/mapper/dq1 \
		/dev/mapper/dq2 /dev/mapper/dq3
	doms_gone
	dom_keep "$1" resv qos 4
}

# wc_run REP CONFIG: one disk alone on nb, QD$DQD: with the qos filter and
# shares low (qos-low), or without filters (none).
wc_run() {
	if [ "$2" = qos-low ]; then
		qdisk 0 shares=low
	else
		qdisk 0 -
	fi || fail "$1 workcons: dq0"
	dom_fio "$1_workcons_$2" $DQD "$RUNTIME" /dev/mapper/dq0
	doms_gone
	dom_keep "$1" workcons "$2" 1
}

# over_run REP WORKLOAD CONFIG: 4k QD16 on nullb0 through vaio with a
# limit far above the guest's rate (qos-high: iops=10000000) or without
# filters (vaio-0).
over_run() {
	local rep=$1 wl=$2 cfg=$3 t="$1_over-$2_$3" rc
	case $cfg in
	qos-high) dm_create $DM "0 $FAST vaio /dev/nullb0 7 disk_id bq filter qos fail_open 1 iops=10000000" ;;
	*) dm_create $DM "0 $FAST vaio /dev/nullb0 2 disk_id bq" ;;
	esac || fail "$t: the table did not load"
	windowed "$t" $(wl_args "$wl") && rc=0 || rc=$?
	dm_gone
	keep "$t" "$rep" "over-$wl" "$cfg" - "$rc" $(cat /tmp/$t.rate)
}

# ---------------------------------------------------------------------
# Live changes: three disks on nb, QD$DQD each, 24 s from when all three
# read; every 6 s one disk's
# table is reloaded with new numbers (load, suspend, resume: what vaioctl
# policy edit does). fio logs each disk's IOPS every 0.5 s, stamped with
# the time of day in ms (log_unix_epoch); live.events has the time of day
# of the start and of each change, when its resume returned.
# ---------------------------------------------------------------------
# epoch_init, then epoch_ms: the time of day in ms (busybox's date has
# whole seconds: the uptime in ms, set off by the uptime at which the
# second turned, found once, in this shell).
epoch_init() {
	local s0
	s0=$(date +%s)
	while [ "$(date +%s)" = "$s0" ]; do :; done
	EPOCH_OFF=$(((s0 + 1) * 1000 - $(ms_now)))
}
epoch_ms() { echo $(($(ms_now) + EPOCH_OFF)); }
# live_at MS LABEL CMD...: CMD MS ms after the live run's start, logged.
live_at() {
	local ms=$1 label=$2 t
	shift 2
	while [ $(($(epoch_ms) - LIVE_T0)) -lt "$ms" ]; do sleep 0.1; done
	t=$(epoch_ms)
	"$@" || fail "live: $label"
	echo "$(epoch_ms) $label" >>$OUT/live.events
	echo "$label: $(($(epoch_ms) - t)) ms ($RELOAD_MS)" >>$OUT/live.reloads
}
live_run() {
	local i pids='' d
	if ! { qdisk 0 shares=normal && qdisk 1 shares=normal && qdisk 2 shares=normal; }; then
		fail "live: the disks"
	fi
	for i in 0 1 2; do
		fio_in $i /tmp/live_d$i.out --name=d$i --filename=/dev/mapper/dq$i \
			--rw=randread --bs=4k --iodepth=$DQD --runtime=27 \
			--write_iops_log=$OUT/live_d$i --log_avg_msec=500 --log_unix_epoch=1 &
		pids="$pids $!"
	done
	# The start: all three read (fio takes seconds to start under TCG).
	live_reading() { [ "$(vaio_stat dq0 reads)" -gt 0 ] && [ "$(vaio_stat dq1 reads)" -gt 0 ] && [ "$(vaio_stat dq2 reads)" -gt 0 ]; }
	wait_until 100 live_reading || fail "live: fio did not start"
	epoch_init
	LIVE_T0=$(epoch_ms)
	echo "$LIVE_T0 start" >$OUT/live.events
	live_at 6000 "dq0 shares=high" qdisk 0 shares=high
	live_at 12000 "dq1 iops=200" qdisk 1 shares=normal iops=200
	live_at 18000 "dq2 reservation=1200 shares=low" qdisk 2 shares=low reservation=1200
	for d in $pids; do wait $d || fail "live: fio"; done
	for i in 0 1 2; do fio_json_ok </tmp/live_d$i.out || fail "live: fio dq$i"; done
	doms_gone
	log "live: reloads: $(tr '\n' ';' <$OUT/live.reloads)"
	log "live: $(awk -v t0="$LIVE_T0" '{ t = $1; $1 = ""; printf "%.1f s%s; ", (t - t0) / 1000, $0 }' $OUT/live.events)"
}

# ---------------------------------------------------------------------
for rep in $(seq 1 "$REPEAT"); do
	for wl in $LIMIT_WLS; do
		wanted "lim-$wl-free free" && limit_run "$rep" "$wl" free free
		for lim in $(limits "$wl"); do
			for cfg in $(rotate "$rep" $(lim_cfgs "$wl")); do
				wanted "lim-$wl-$lim $cfg" || continue
				limit_run "$rep" "$wl" "$lim" "$cfg"
			done
			grep -q "^$rep lim-$wl-$lim " $OUT/results.tsv 2>/dev/null &&
				log "$rep lim-$wl-$lim: $(awk -v r="$rep" -v w="lim-$wl-$lim" '$1 == r && $2 == w { printf "%s %.1f IOPS %.0f B/s  ", $3, $5, $6 }' $OUT/results.tsv)"
		done
	done
	for cfg in $(rotate "$rep" qos iomax inline); do
		wanted "hop $cfg" && hop_run "$rep" "$cfg"
	done
	for row in shares2 shares4; do
		for cfg in $(rotate "$rep" qos ioweight); do
			wanted "$row $cfg" && shares_run "$rep" "$row" "$cfg"
		done
	done
	wanted "resv qos" && resv_run "$rep"
	for cfg in $(rotate "$rep" qos-low none); do
		wanted "workcons $cfg" && wc_run "$rep" "$cfg"
	done
	for wl in 4k-randread-qd16 4k-randwrite-qd16; do
		for cfg in $(rotate "$rep" qos-high vaio-0); do
			wanted "over-$wl $cfg" && over_run "$rep" "$wl" "$cfg"
		done
		grep -q "^$rep over-$wl " $OUT/results.tsv 2>/dev/null &&
			log "$rep over-$wl: $(awk -v r="$rep" -v w="over-$wl" '$1 == r && $2 == w { printf "%s %.0f  ", $3, $5 }' $OUT/results.tsv)"
	done
done
[ "$LIVE" = 1 ] && wanted "live qos" && live_run
log "done"
