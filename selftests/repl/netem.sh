#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a lossy, slow link (netem): fio verify in each mode; async lag held under max_lag_kib (on_lag=throttle) or pulled ahead and resynced (on_lag=track); both disks byte-identical"
TOPOLOGY=2host
TIMEOUT=600
CHECK=full                 # 2 min of two guests: make check's 30 would not hold it (the lag limits; async-fio and async-failover run async in CI)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# netem on vaio-a's way out: the data; the answers come back unharmed.
netem() { $TC qdisc replace dev eth0 root netem "$@"; }
netem_off() { $TC qdisc del dev eth0 root 2>/dev/null; return 0; }

# sample: until /tmp/stop, a line of both sides' state every 0.3 s:
# lag_bytes lag_ms oos_bytes a.conn b.consistent
sample() {
	rm -f /tmp/stop
	: >/tmp/samples
	while [ ! -e /tmp/stop ]; do
		a=$(vaioctl -j repl status d0 | jq -r '.[0] | "\(.lag_bytes) \(.lag_ms) \(.oos_bytes) \(.conn)"')
		b=$(vaio_peer 'vaioctl -j repl status d0' | jq -r '.[0].consistent')
		echo "$a $b" >>/tmp/samples
		sleep 0.3
	done
}
col_max() { awk -v c="$1" 'BEGIN { m = 0 } $c + 0 > m { m = $c + 0 } END { print m }' /tmp/samples; }

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "sch_netem loads" modprobe sch_netem

# 1. Loss and delay: TCP carries on, nothing is lost.
seed=140
for mode in sync async; do
	seed=$((seed + 1))
	ktap_check "$mode: pair set up" repl_pair "$mode"
	ktap_check "$mode: netem loss 5% delay 2ms" netem loss 5% delay 2ms
	ktap_check "$mode: fio verify over the lossy link" \
		fio_verify /dev/mapper/d0 --size=32m --randseed=$seed --runtime=10 --time_based
	netem_off
	ktap_check "$mode: both disks byte-identical" repl_checksum_both
	repl_teardown
done

# 2. async over a slow link (~1 MB/s): the lag is held at max_lag_kib=1024.
ktap_check "throttle: pair set up (max_lag_kib=1024)" \
	repl_pair async max_lag_kib=1024 on_lag=throttle
netem delay 10ms rate 8mbit
sample &
sp=$!
ktap_check "throttle: fio verify, writes held back by the lag" \
	fio_verify /dev/mapper/d0 --size=32m --randseed=150 --runtime=10 --time_based
touch /tmp/stop
wait $sp
ktap_diag "samples: $(wc -l </tmp/samples), max lag $(col_max 1) bytes, $(col_max 2) ms"
ktap_check "throttle: a lag built up (over 256 KiB)" test "$(col_max 1)" -gt 262144
ktap_check "throttle: it never passed 1 MiB" test "$(col_max 1)" -le 1048576
ktap_check "throttle: lag in ms seen" test "$(col_max 2)" -gt 0
ktap_eq "throttle: nothing tracked (no pull-ahead)" "$(col_max 3)" 0
ktap_check "throttle: the replica stayed consistent" sh -c '! grep -q false /tmp/samples'
netem_off
ktap_check "throttle: the lag drains" vaioctl repl wait d0 --synced --timeout 60
ktap_check "throttle: both disks byte-identical" repl_checksum_both
repl_teardown

# 3. The same with on_lag=track: past the limit the writes are tracked,
# the replica is told it is no prefix any more, a resync follows.
ktap_check "track: pair set up (max_lag_kib=1024)" \
	repl_pair async max_lag_kib=1024 on_lag=track
netem delay 10ms rate 8mbit
sample &
sp=$!
ktap_check "track: fio verify, writes not held back" \
	fio_verify /dev/mapper/d0 --size=32m --randseed=160 --runtime=10 --time_based
touch /tmp/stop
wait $sp
ktap_diag "samples: $(wc -l </tmp/samples), max lag $(col_max 1) bytes, max oos $(col_max 3) bytes"
ktap_check "track: writes were tracked while connected" \
	sh -c "awk '\$3 > 0 && \$4 != \"waiting\"' /tmp/samples | grep -q ."
ktap_check "track: the replica marked itself inconsistent" grep -q false /tmp/samples
netem_off
ktap_check "track: resynced" vaioctl repl wait d0 --synced --timeout 120
ktap_eq "track: the replica is consistent again" \
	"$(vaio_peer 'vaioctl -j repl status d0' | jq -r '.[0].consistent')" true
ktap_check "track: both disks byte-identical" repl_checksum_both
repl_teardown
ktap_finish
