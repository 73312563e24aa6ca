#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="snapshot marks: a snapshot event on the primary marks the point on the replica, in each mode; listed on both sides, kept in the metadata, refused when the replica is not in sync, and promote --mark only at that exact point"
TOPOLOGY=2host
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

mark() { repl_on "$1" "vaioctl -j repl marks d0" | jq -r ".[] | select(.tag == \"$2\") | .$3"; }

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
for mode in sync async; do
	ktap_check "$mode: pair set up" repl_pair "$mode"
	# async over a slow link: the mark is issued with 4 MiB still to go,
	# and must reach the replica after them, not before.
	[ $mode = async ] && $TC qdisc replace dev eth0 root netem delay 5ms rate 8mbit
	dd if=/dev/urandom of=/dev/mapper/d0 bs=64k count=64 oflag=direct 2>/dev/null
	ktap_check "$mode: snapshot event accepted" vaioctl event snapshot d0 "$mode-one"
	[ $mode = async ] && ktap_check "async: a lag when the mark was issued" \
		test "$(repl_json a lag_bytes)" -gt 1048576
	for i in $(seq 1 100); do
		[ "$(mark b "$mode-one" on_replica)" = true ] && break
		sleep 0.2
	done
	$TC qdisc del dev eth0 root 2>/dev/null
	ktap_eq "$mode: held on the replica" "$(mark b "$mode-one" on_replica)" true
	ktap_eq "$mode: the primary knows" "$(mark a "$mode-one" on_replica)" true
	ktap_eq "$mode: no write since, on the replica" "$(mark b "$mode-one" writes_after)" 0
	dd if=/dev/urandom of=/dev/mapper/d0 bs=4k count=10 oflag=direct 2>/dev/null
	vaioctl repl wait d0 --synced --timeout 30 >/dev/null
	ktap_eq "$mode: 10 writes since, on the replica" "$(mark b "$mode-one" writes_after)" 10
	ktap_match "$mode: vaioctl repl marks" "$(vaio_peer 'vaioctl repl marks d0')" "$mode-one .* held"
	repl_teardown
done

# Refused while the replica is not in sync.
ktap_check "pair set up" repl_pair sync
killall vaiod
vaioctl repl disconnect d0
out=$(vaioctl event snapshot d0 lost 2>&1)
rc=$?
ktap_eq "disconnected: snapshot refused (exit)" "$rc" 1
ktap_match "disconnected: the reason" "$out" "not connected and in sync"
repl_vaiod_start
ktap_check "reconnected" vaioctl repl wait d0 --synced --timeout 30

# A planned failover at a mark: writes stop, mark, demote, promote --mark.
dd if=/dev/urandom of=/dev/mapper/d0 bs=64k count=16 oflag=direct 2>/dev/null
ktap_check "mark before a failover" vaioctl event snapshot d0 failover-1
for i in $(seq 1 50); do
	[ "$(mark b failover-1 on_replica)" = true ] && break
	sleep 0.2
done
dd if=/dev/urandom of=/dev/mapper/d0 bs=4k count=1 oflag=direct 2>/dev/null
vaioctl repl wait d0 --synced --timeout 30 >/dev/null
out=$(vaio_peer 'vaioctl repl promote d0 --mark failover-1' 2>&1)
ktap_eq "promote --mark refused past the mark (exit)" "$?" 1
ktap_match "promote --mark refused past the mark (message)" "$out" "1 writes arrived after mark 'failover-1'"
ktap_check "mark again, no write after it" vaioctl event snapshot d0 failover-2
for _ in $(seq 1 50); do
	[ "$(mark b failover-2 on_replica)" = true ] && break
	sleep 0.2
done
ktap_check "old primary demoted" vaioctl repl demote d0
ktap_check "promote --mark at the mark" vaio_peer 'vaioctl repl promote d0 --mark failover-2'
ktap_eq "vaio-b is primary" "$(repl_json b role)" primary

# Kept in the metadata: d0 on vaio-b made again from it.
vaio_peer 'killall vaiod; sleep 0.5; dmsetup remove d0' >/dev/null
ktap_check "d0 on vaio-b again, from its metadata" repl_up b sync "$REPL_MIB"
ktap_eq "the marks are still there" \
	"$(repl_on b 'vaioctl -j repl marks d0' | jq -r '[.[].tag] | join(" ")')" "failover-2 failover-1"
repl_teardown
ktap_finish
