#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="async crash consistency: a logged-acknowledgement writer runs while the link is cut at random moments; each time the replica holds a prefix of the writer's history, and all of it in the end"
TOPOLOGY=2host
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# 2 cuts in make check (its time budget), 5 in make check-full.
ROUNDS=2
[ "${VAIO_CHECK_FULL:-0}" = 1 ] && ROUNDS=5
ROUNDS=${VAIO_ASYNC_CRASH_ROUNDS:-$ROUNDS}
REPL_MIB=64
SEED=$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')
# Random waits, reproducible from the seed printed here.
awk_rand() { awk -v s="$SEED" -v r="$1" 'BEGIN { srand(s + r); print 1 + int(rand() * 4) }'; }

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_diag "seed $SEED (writes and cut times follow from it)"
ktap_check "pair set up: async, 1 s timeout" repl_pair async timeout_ms=1000

# Four writers at once: writes in flight together may land in any order,
# those acknowledged before another was issued may not. They run until
# stopped, or for 300 s (1500 under the debug kernel, where one round
# took more than 300).
secs=300
[ "${VAIO_DEBUG:-0}" = 1 ] && secs=1500
vaio-ackwriter write --dev /dev/mapper/d0 --log /tmp/ack.log --seed "$SEED" \
	--threads 4 --seconds $secs >/tmp/writer.out 2>&1 &
wp=$!
behind=0
for r in $(seq 1 "$ROUNDS"); do
	sleep "$(awk_rand "$r")"
	ktap_check "round $r: link cut" repl_cut
	ktap_check "round $r: the primary tracks" vaioctl repl wait d0 --conn waiting --timeout 20
	ktap_check "round $r: the replica lost its connection" \
		vaio_peer 'vaioctl repl wait d0 --conn waiting --timeout 20'
	ktap_eq "round $r: the replica says it is consistent" "$(repl_json b consistent)" true
	vaio_peer "vaio-ackwriter scan --dev $REPL_DATA" >"/tmp/scan.$r"
	out=$(vaio-ackwriter check --log /tmp/ack.log --scan "/tmp/scan.$r" --prefix 2>&1)
	rc=$?
	ktap_diag "$out"
	ktap_eq "round $r: the replica holds a prefix of the acknowledged history" "$rc" 0
	# Behind: some acknowledged write is not there (the check still holds).
	vaio-ackwriter check --log /tmp/ack.log --scan "/tmp/scan.$r" --complete \
		>/dev/null 2>&1 || behind=$((behind + 1))
	ktap_check "round $r: link back" repl_uncut
	ktap_check "round $r: resynced, the replica consistent again" repl_wait_consistent b 120
	ktap_check "round $r: the writer runs on" kill -0 $wp
done
ktap_diag "the replica was behind the log at $behind of $ROUNDS cuts"
kill -TERM $wp
wait $wp
ktap_eq "writer stopped cleanly" "$?" 0
ktap_diag "$(cat /tmp/writer.out)"
ktap_check "in sync" vaioctl repl wait d0 --synced --timeout 120
vaio_peer "vaio-ackwriter scan --dev $REPL_DATA" >/tmp/scan.end
ktap_check "the replica has every acknowledged write" \
	vaio-ackwriter check --log /tmp/ack.log --scan /tmp/scan.end --complete --prefix
ktap_check "the primary has every acknowledged write" \
	vaio-ackwriter check --log /tmp/ack.log --dev "$REPL_DATA" --complete
ktap_check "both disks byte-identical" repl_checksum_both
repl_teardown
ktap_finish
