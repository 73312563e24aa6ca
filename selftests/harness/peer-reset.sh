#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="the two-guest library under a slow vaio-b: a power cut whose answer is lost to the reset still returns, a call vaio-b never answers gives up with the network's state"
TOPOLOGY=2host
CHECK=full                 # the harness and its anchors, not dm-vaio: make check-full
TIMEOUT=300
DEBUG_LANE=no
# A kept disk: vaio-b reboots on its reset rather than exit.
VDISKS="8"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# within SECONDS CMD...: CMD returns 0 within SECONDS (killed after them).
within() {
	local s="$1" pid n=0
	shift
	"$@" &
	pid=$!
	while kill -0 $pid 2>/dev/null && [ $n -lt $((s * 2)) ]; do
		sleep 0.5
		n=$((n + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		echo "still running after $s s" >&2
		killall -KILL wget 2>/dev/null
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		return 1
	fi
	wait $pid
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer

# vaio-b's agent answers 1.5 s late, its TCP acknowledgements do not: what
# a loaded host does to an answer that races a reset 0.3 s away. a's
# request is acknowledged, the answer dies with vaio-b: a wget waiting for
# it would wait for ever.
ktap_check "vaio-b's answers 1.5 s late" vaio_peer "modprobe sch_netem &&
	$TC qdisc add dev eth0 root handle 1: prio &&
	$TC qdisc add dev eth0 parent 1:3 handle 30: netem delay 1500ms &&
	$TC filter add dev eth0 parent 1: protocol ip prio 1 u32 \
		match ip sport 7777 0xffff match u8 0x08 0x08 at 33 flowid 1:3"
t0=$(date +%s)
vaio_peer true
ktap_check "... it is ($(($(date +%s) - t0)) s)" test $(($(date +%s) - t0)) -ge 1
ktap_check "a power cut of vaio-b returns once it is back" within 150 repl_reset_b
ktap_check "vaio-b answers at once again (its reboot ended the delay)" \
	within 3 vaio_peer true

# A call vaio-b never answers: given up after VAIO_PEER_TIMEOUT, with the
# command and the network's state.
t0=$(date +%s)
err=$(VAIO_PEER_TIMEOUT=3 VAIO_PEER_REPORT=1 vaio_peer 'sleep 60' 2>&1 >/dev/null)
rc=$?
ktap_eq "an unanswered call fails" "$rc" 125
ktap_check "... after its timeout ($(($(date +%s) - t0)) s)" \
	test $(($(date +%s) - t0)) -le 10
ktap_check "... naming the command" grep -q "no answer from vaio-b within 3 s: sleep 60" <<EOF
$err
EOF
ktap_check "... and whether vaio-b answers a ping" grep -q "packets received" <<EOF
$err
EOF
ktap_finish
