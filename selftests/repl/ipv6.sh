#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="replication over IPv6: peer=V6ADDRESS:PORT on both guests, vaiod listening on every IPv4 and IPv6 address by default: connected over IPv6, fio verify, both disks identical, and again over IPv6 after a disconnect"
TOPOLOGY=2host
TIMEOUT=300
KCONFIG="CONFIG_IPV6"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# The guests' link (tools/vm/init) gets a private IPv6 network (RFC 4193)
# besides its IPv4 one; still carried by QEMU over 127.0.0.1.
V6_A=fd00:7790::1
V6_B=fd00:7790::2

# listeners HOST: HOST's listening sockets on port 7790, their addresses
# (busybox netstat: the guests have no ss).
listeners() {
	repl_on "$1" "netstat -ltn" | awk '$4 ~ /:7790$/ { print $4 }' | sort | tr '\n' ' '
}

# established: vaio-a's connections on port 7790, "LOCAL PEER" each.
established() {
	netstat -tn | awk '$6 == "ESTABLISHED" && ($4 ~ /:7790$/ || $5 ~ /:7790$/) { print $4, $5 }'
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
# iproute2's ip: busybox's, first in PATH, has no nodad (no wait for
# duplicate address detection).
IP=/usr/sbin/ip
ktap_check "vaio-a: $V6_A on eth0" $IP -6 addr add "$V6_A/64" dev eth0 nodad
ktap_check "vaio-b: $V6_B on eth0" vaio_peer "$IP -6 addr add $V6_B/64 dev eth0 nodad"
# peer=fd00:7790::2:7790: the kernel's parameters have no brackets; the
# port is what follows the last colon.
REPL_PEER_A=$V6_A
REPL_PEER_B=$V6_B
ktap_check "pair set up over IPv6: sync" repl_pair sync
ktap_eq "vaio-b: vaiod listens on every IPv4 and IPv6 address" "$(listeners b)" \
	"0.0.0.0:7790 :::7790 "
ktap_match "vaio-a: peer=$V6_B:7790" "$(dmsetup table d0)" "peer=$V6_B:7790( |$)"
ktap_match "vaio-a: vaiod dialed vaio-b's IPv6 address" "$(cat /tmp/vaiod.log)" \
	"d0: connected to $V6_B:7790 \(role primary"
ktap_match "vaio-b: vaiod accepted vaio-a's IPv6 address" "$(vaio_peer 'cat /tmp/vaiod.log')" \
	"d0: connected to $V6_A \(role secondary"
ktap_match "the kernel's connection is IPv6" "$(established)" \
	"^$V6_A:[0-9]+ $V6_B:7790$"
ktap_check "fio verify through the primary" \
	fio_verify /dev/mapper/d0 --size=32m --bsrange=4k-128k --randseed=95
ktap_check "in sync afterwards" vaioctl repl wait d0 --synced --timeout 60
ktap_check "both disks byte-identical" repl_checksum_both

# After a disconnect vaiod dials the IPv6 address again.
connects=$(repl_json a connects)
ktap_check "disconnected" vaioctl repl disconnect d0
ktap_check "reconnected by vaiod" vaioctl repl wait d0 --synced --timeout 60
ktap_check "a new connection ($connects before)" test "$(repl_json a connects)" -gt "$connects"
ktap_match "... over IPv6 again" "$(established)" "^$V6_A:[0-9]+ $V6_B:7790$"
repl_teardown
ktap_finish
