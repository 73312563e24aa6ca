#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="peers are authenticated: a wrong secret, garbage and a silent client on the port, an unknown disk and a smaller peer disk get clear errors; vaiod lives on and a good pair still replicates"
TOPOLOGY=2host
TIMEOUT=400
DEBUG_LANE=no
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

log_has() { # REGEX: in either vaiod's log
	{ cat /tmp/vaiod.log; vaio_peer 'cat /tmp/vaiod.log'; } | grep -Eq -- "$1"
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: sync" repl_pair sync

# Garbage on the port, a silent client, a huge length: vaiod lives on.
head -c 65536 /dev/urandom | nc -w 2 192.0.2.2 7790 >/dev/null 2>&1
(sleep 8 | nc 192.0.2.2 7790 >/dev/null 2>&1 &)
printf 'VRP1\000\001\000\000\177\377\377\377\000\000\000\000' | nc -w 2 192.0.2.2 7790 >/dev/null 2>&1
ktap_check "vaiod on b survives garbage" vaio_peer 'pidof vaiod'
ktap_check "garbage is logged" log_has "garbage|bad magic|protocol"
ktap_check "the pair still replicates meanwhile" \
	fio_verify /dev/mapper/d0 --size=16m --randseed=111
ktap_check "in sync" vaioctl repl wait d0 --synced --timeout 60

# A wrong secret on b: the connection is refused on both sides.
vaio_peer 'head -c 32 /dev/urandom >/etc/vaio/secrets/default'
ktap_check "disconnected" vaioctl repl disconnect d0
sleep 4
ktap_eq "a stays disconnected with a wrong secret" \
	"$(vaioctl -j repl status d0 | jq -r '.[0].conn')" waiting
ktap_check "authentication failure logged" log_has "authentication failed"
ktap_check "vaiod on both alive" pidof vaiod
repl_secret
ktap_check "the right secret again: reconnected" vaioctl repl wait d0 --synced --timeout 60
ktap_check "both disks byte-identical" repl_checksum_both
repl_teardown

# A peer whose disk is smaller, and a peer without the disk.
ktap_check "pair with a smaller disk on b" repl_pair_small
ktap_check "refused: peer disk smaller" log_has "smaller"
ktap_eq "not connected" "$(vaioctl -j repl status d0 | jq -r '.[0].conn')" waiting
repl_teardown
ktap_finish
