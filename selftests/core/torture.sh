#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="reconfiguration torture: seeded random schedules of reloads, swaps to dm-linear, filter failures and reactivations, suspends and a failing disk below, under a writer that logs every acknowledged write"
TIMEOUT=600
SMP=2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# Issue 17's proof. A writer (vaio-ackwriter, 4 threads, 4 KiB blocks over
# 32 MiB, so blocks are written again and again) and two readers of the
# same blocks (caches hold what is read; a read older than the last
# acknowledged write to its block is a stale read) run while a schedule of
# OPS random operations changes the stack under it:
#
#   reload     a vaio table of random test filters (modes pass, delay,
#              defer, hold_end) and maybe the real cache (write-through,
#              write-around, or write-back, which is fail_closed)
#   linear     the vaio table swapped for dm-linear
#   fail       a filter of the live table taken out of service
#   reactivate every filter that is not active, reactivated
#   suspend    suspend (half of them --noflush) and resume
#   below      the disk below fails for a moment: all I/O errors (error
#              target), or every other second (dm-flakey)
#   snapshot   a snapshot event
#
# Then the writer stops (a stale read fails the schedule), every filter is
# reactivated, and every write it
# was told is done must read back: through the live table, through the
# real cache attached then (if the table had none), and once the disk
# runs without filters (the disk below alone). A failure prints
# the schedule's seed: VAIO_TORTURE_SEED=<seed> VAIO_TORTURE_SCHEDULES=1
# replays it (make torture passes them, see Documentation/testing.rst).
#
# Not in a schedule: power cuts (core/torture-power.sh has them),
# replication (it needs two guests).

# 2 schedules in make check (its time budget: a schedule takes 20 to 80 s),
# 6 in make check-full.
SCHEDULES=2
[ "${VAIO_CHECK_FULL:-0}" = 1 ] && SCHEDULES=6
SCHEDULES=${VAIO_TORTURE_SCHEDULES:-$SCHEDULES}
OPS=${VAIO_TORTURE_OPS:-8}
SEED=${VAIO_TORTURE_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}
BLOCKS=8192

brd_setup 64 2
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio-test
modprobe dm-vaio-cache
modprobe dm-flakey
linear_below="0 $size linear /dev/ram0 0"
dm_create below "$linear_below" || exit 1
dm_create fast "0 8 vaio-cache-pool /dev/ram1 format" || exit 1
base="0 $size vaio /dev/mapper/below 2 disk_id t"
base_cache="0 $size vaio /dev/mapper/below 8 disk_id t filter cache fail_open 2 pool=fast mode=writethrough"
dm_create t "$base" || exit 1

cleanup() {
	[ -n "${wp:-}" ] && kill "$wp" 2>/dev/null
	dmsetup remove t 2>/dev/null
	dmsetup remove fast 2>/dev/null
	dmsetup remove below 2>/dev/null
}
trap cleanup EXIT

# A test filter clause of TYPE, its mode from R.
tclause() {
	case $(($2 % 4)) in
	0) echo "filter $1 fail_open 0" ;;
	1) echo "filter $1 fail_open 2 mode=delay ms=1" ;;
	2) echo "filter $1 fail_closed 1 mode=defer" ;;
	3) echo "filter $1 fail_open 3 mode=hold_end ms=1 ops=writes" ;;
	esac
}
# A random vaio table from R1 (which filters) and R2 (their modes).
table_of() {
	local r1="$1" r2="$2" c="" m
	[ $((r1 & 1)) = 1 ] && c="$c $(tclause test-qos "$r2")"
	[ $((r1 & 2)) = 2 ] && c="$c $(tclause test-inspection $((r2 / 4)))"
	[ $((r1 & 4)) = 4 ] && c="$c $(tclause test-replication $((r2 / 16)))"
	case $(((r1 / 8) % 5)) in
	0) ;;
	1) c="$c $(tclause test-cache $((r2 / 64)))" ;;
	2) c="$c filter cache fail_open 2 pool=fast mode=writethrough" ;;
	3) c="$c filter cache fail_open 2 pool=fast mode=writearound" ;;
	4) c="$c filter cache fail_closed 2 pool=fast mode=writeback" ;;
	esac
	m=$(echo "disk_id t$c" | wc -w)
	echo "0 $size vaio /dev/mapper/below $m disk_id t$c"
}
# The live table's filter types, and those not active.
filters() { dmsetup table t | awk '{ for (i = 1; i < NF; i++) if ($i == "filter") print $(i + 1) }'; }
reactivate_all() {
	local f
	for f in $(filters); do
		[ "$(vaio_filter_state t "$f")" = active ] ||
			vaio_reactivate t "$f" || echo "reactivate $f refused"
	done
}

# One operation: NAME R1 R2. Output: what was done, for the log.
op() {
	local f n
	case $1 in
	0 | 1) echo "reload"; vaio_reload t "$(table_of "$2" "$3")" ;;
	2) echo "linear"; vaio_reload t "0 $size linear /dev/mapper/below 0" ;;
	3)
		n=$(filters | wc -l)
		[ "$n" = 0 ] && { echo "fail: no filter"; return 0; }
		f=$(filters | sed -n "$(($2 % n + 1))p")
		echo "fail $f"
		dmsetup message t 0 fail "$f"
		;;
	4) echo "reactivate"; reactivate_all ;;
	5)
		if [ $(($2 % 2)) = 0 ]; then
			echo "suspend"; dmsetup suspend t
		else
			echo "suspend --noflush"; dmsetup suspend --noflush t
		fi
		sleep 0.1
		dmsetup resume t
		;;
	6)
		if [ $(($2 % 2)) = 0 ]; then
			echo "below fails"
			vaio_reload below "0 $size error"
			sleep 0.3
		else
			echo "below flakey"
			vaio_reload below "0 $size flakey /dev/ram0 0 1 1"
			sleep 2
		fi
		vaio_reload below "$linear_below"
		;;
	7)
		echo "snapshot"
		dmsetup message t 0 event snapshot "s$2" >/dev/null 2>&1
		return 0
		;;
	esac
}

# schedule I SEED: the writer, OPS operations, the checks. 0: held.
schedule() {
	local i="$1" s="$2" rc=0 log=/tmp/sched.log
	: >$log
	# The writer's blocks zeroed (the plain table is live): the check
	# takes a block of another seed for one this writer never wrote.
	dd if=/dev/zero of=/dev/mapper/t bs=1M count=$((BLOCKS / 256)) oflag=direct 2>/dev/null
	vaio-ackwriter write --dev /dev/mapper/t --log /tmp/ack.log --seed "$s" \
		--threads 4 --readers 2 --blocks $BLOCKS --seconds 600 \
		--keep-going >/tmp/writer.out 2>&1 &
	wp=$!
	sleep 0.3
	awk -v s="$s" -v n="$OPS" 'BEGIN { srand(s); for (i = 0; i < n; i++)
		print int(rand() * 8), int(rand() * 1024), int(rand() * 1024) }' |
	while read -r o r1 r2; do
		op "$o" "$r1" "$r2" >>$log 2>&1 || echo "  (refused)" >>$log
		sleep 0.$((r2 % 4))
	done
	kill -TERM $wp
	if ! wait $wp; then
		echo "!! the writer or its readers failed (stale reads?)" >>$log
		rc=1
	fi
	wp=
	cat /tmp/writer.out >>$log
	echo "-- end: reactivate, below working" >>$log
	dmsetup table below | grep -q linear || vaio_reload below "$linear_below"
	reactivate_all >>$log 2>&1
	check_now "through the live table: $(dmsetup table t)" || rc=1
	# Through the real cache, attached now (it may have held these
	# blocks before, and the disk ran without it since).
	if ! filters | grep -qx cache; then
		reload_check "$base_cache" "through the cache attached at the end" || rc=1
	fi
	# Without filters: the disk below alone (a write-back cache writes
	# back at the suspend of this reload).
	reload_check "$base" "on the disk below alone" || rc=1
	return $rc
}
# check_now WHAT: every acknowledged write reads back through the live
# table; a violation is logged as WHAT.
check_now() {
	vaio-ackwriter check --log /tmp/ack.log --dev /dev/mapper/t --complete \
		>>/tmp/sched.log 2>&1 && return 0
	echo "!! $1" >>/tmp/sched.log
	return 1
}
# reload_check TABLE WHAT: TABLE made live, then check_now WHAT.
reload_check() {
	if ! vaio_reload t "$1" >>/tmp/sched.log 2>&1; then
		echo "!! $2: the table did not load" >>/tmp/sched.log
		return 1
	fi
	check_now "$2"
}

ktap_diag "seed $SEED: $SCHEDULES schedules of $OPS operations"
bad=0 acked=0 reads=0
for i in $(seq 1 "$SCHEDULES"); do
	s=$((SEED + i - 1))
	if schedule "$i" "$s"; then
		ktap_ok "schedule $i (seed $s)"
	else
		bad=$((bad + 1))
		ktap_diag "$(cat /tmp/sched.log)"
		ktap_fail "schedule $i (seed $s): replay with VAIO_TORTURE_SEED=$s VAIO_TORTURE_SCHEDULES=1"
	fi
	n=$(sed -n 's/^acked \([0-9]*\).*/\1/p' /tmp/sched.log)
	acked=$((acked + ${n:-0}))
	n=$(sed -n 's/^acked .* reads \([0-9]*\).*/\1/p' /tmp/sched.log)
	reads=$((reads + ${n:-0}))
done
ktap_diag "$SCHEDULES schedules, $bad with a violation, $acked acknowledged writes checked, $reads reads checked while writing"
ktap_check "the writer's writes went through (over 1000)" test "$acked" -gt 1000
ktap_check "the readers read (over 1000)" test "$reads" -gt 1000
ktap_eq "no error counted by the plain table at the end" "$(vaio_stat t errors)" 0
ktap_finish
