#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="reconfiguration torture with power cuts: random tables (test filters, the real cache in each mode) change under a durable writer, then the power goes; after the reboot every acknowledged write reads back"
TOPOLOGY=2host
TIMEOUT=900
DEBUG_LANE=no
# On vaio-b, disks the host keeps across its power cuts: the disk below,
# the cache device, the writer's log.
VDISKS="64 16 8"
DATA=/dev/vdisk0
CACHE=/dev/vdisk1
LOG=/dev/vdisk2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Issue 17's torture, the power-cut half (selftests/core/torture.sh runs
# the rest in one guest). Each round, on vaio-b: a random table; a writer
# with O_DSYNC (acknowledged = durable) over 4096 blocks of 4 KiB, zeroed
# first; 1 to 4 random operations (reload with another random table, swap
# to dm-linear and back, fail and reactivate a filter, a noflush suspend);
# then a power cut at a random moment. After the reboot the pool is found
# again, a random table with the cache comes up, and every acknowledged
# write must read back through it and then from the disk below alone (the
# cache written back by the plain table's suspend).
ROUNDS=${VAIO_TORTURE_POWER_ROUNDS:-2}
SEED=${VAIO_TORTURE_SEED:-$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')}
BLOCKS=4096
size=$((64 * 2048))
plain="0 $size vaio $DATA 2 disk_id d0"

# rnd SEED N: a number 0..N-1 from SEED.
rnd() { awk -v s="$1" -v n="$2" 'BEGIN { srand(s); print int(rand() * n) }'; }
# A random table from R: test filters and maybe the cache (each mode).
table_of() {
	local r="$1" c=""
	[ $((r & 1)) = 1 ] && c="$c filter test-qos fail_open 2 mode=delay ms=1"
	[ $((r & 2)) = 2 ] && c="$c filter test-replication fail_closed 1 mode=defer"
	case $(((r / 4) % 4)) in
	0) [ "${2:-}" = cache ] && c="$c filter cache fail_open 2 pool=fast mode=writethrough" ;;
	1) c="$c filter cache fail_open 2 pool=fast mode=writethrough" ;;
	2) c="$c filter cache fail_open 2 pool=fast mode=writearound" ;;
	3) c="$c filter cache fail_closed 2 pool=fast mode=writeback" ;;
	esac
	echo "0 $size vaio $DATA $(echo "disk_id d0$c" | wc -w) disk_id d0$c"
}
# b_up TABLE: modules, the pool (found again after a reboot), d0.
b_up() {
	vaio_peer "modprobe dm-vaio-cache && modprobe dm-vaio-test &&
		{ dmsetup info fast >/dev/null 2>&1 ||
		  { echo '0 8 vaio-cache-pool $CACHE format' | dmsetup create fast && dmsetup mknodes fast; }; } &&
		{ dmsetup info d0 >/dev/null 2>&1 && dmsetup remove d0; true; } &&
		echo '$1' | dmsetup create d0 && dmsetup mknodes d0"
}
b_reload() {
	vaio_peer "echo '$1' | dmsetup load d0 && dmsetup suspend ${2:-} d0 && dmsetup resume d0"
}
b_filters() { vaio_peer "dmsetup table d0" | awk '{ for (i = 1; i < NF; i++) if ($i == "filter") print $(i + 1) }'; }
check() { vaio_peer "vaio-ackwriter check --log $LOG --dev $1 --complete"; }

# op R: one random operation on vaio-b.
op() {
	local f
	case $(($1 % 5)) in
	0) echo "reload"; b_reload "$(table_of $(($1 / 5)))" ;;
	1) echo "linear and back"; b_reload "0 $size linear $DATA 0" &&
		sleep 0.3 && b_reload "$(table_of $(($1 / 5)) cache)" ;;
	2)
		f=$(b_filters | head -n1)
		[ -n "$f" ] || { echo "fail: no filter"; return 0; }
		echo "fail $f, reactivate"
		vaio_peer "dmsetup message d0 0 fail $f; sleep 0.2; dmsetup suspend d0;
			dmsetup message d0 0 reactivate $f; dmsetup resume d0"
		;;
	3) echo "suspend --noflush"; vaio_peer "dmsetup suspend --noflush d0; sleep 0.1; dmsetup resume d0" ;;
	4) echo "nothing" ;;
	esac
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_diag "seed $SEED: $ROUNDS rounds"
bad=0 acked=0
for i in $(seq 1 "$ROUNDS"); do
	s=$((SEED + i - 1))
	t=$(rnd "$s" 64)
	log=/tmp/round.log
	echo "round $i seed $s: table $(table_of "$t" cache)" >$log
	rc=0
	b_up "$(table_of "$t" cache)" >>$log 2>&1 || rc=1
	vaio_peer "dd if=/dev/zero of=/dev/mapper/d0 bs=1M count=$((BLOCKS / 256)) oflag=direct 2>/dev/null" >/dev/null
	vaio_peer "setsid vaio-ackwriter write --dev /dev/mapper/d0 --log $LOG --seed $s \
		--threads 4 --blocks $BLOCKS --seconds 300 --fua --keep-going \
		>/tmp/writer.out 2>&1 </dev/null &" >/dev/null
	sleep 1
	n=$((1 + $(rnd $((s + 1)) 4)))
	for k in $(seq 1 $n); do
		op "$(rnd $((s * 7 + k)) 1000)" >>$log 2>&1 || echo "  (refused)" >>$log
	done
	sleep "0.$(rnd $((s + 2)) 10)"
	echo "power cut" >>$log
	repl_reset_b >>$log 2>&1 || rc=1
	# Up again with the cache (its pool may hold the newest data).
	t2=$(rnd $((s + 3)) 64)
	echo "after the reboot: $(table_of "$t2" cache)" >>$log
	b_up "$(table_of "$t2" cache)" >>$log 2>&1 || rc=1
	out=$(check /dev/mapper/d0 2>&1) || { rc=1; echo "!! through the table after the reboot" >>$log; }
	echo "$out" | tail -n 3 >>$log
	n=$(echo "$out" | sed -n 's/^ok: \([0-9]*\) acknowledged.*/\1/p')
	acked=$((acked + ${n:-0}))
	b_reload "$plain" >>$log 2>&1 || rc=1
	check "$DATA" >>$log 2>&1 || { rc=1; echo "!! on the disk below alone" >>$log; }
	if [ $rc = 0 ]; then
		ktap_ok "round $i (seed $s)"
	else
		bad=$((bad + 1))
		ktap_diag "$(cat $log)"
		ktap_fail "round $i (seed $s): replay with VAIO_TORTURE_SEED=$s VAIO_TORTURE_POWER_ROUNDS=1"
	fi
done
ktap_diag "$ROUNDS rounds, $bad with a violation, $acked acknowledged writes checked"
ktap_check "the writer's writes went through (over 100)" test "$acked" -gt 100
vaio_peer "dmsetup remove d0; dmsetup remove fast" >/dev/null 2>&1
ktap_finish
