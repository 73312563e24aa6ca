#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaiod --tls: the replication stream in the kernel's TLS 1.3 on both guests, fio verify, both disks identical, across a link cut and a resync; vaiod --tls on one side only: refused by both, each log says which"
TOPOLOGY=2host
TIMEOUT=500
CHECK=full                 # make check's 30 minutes would not hold it (the kernel's TLS; every repl test in CI runs the plain stream)
KCONFIG="CONFIG_TLS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# tls_stat HOST NAME: a counter of HOST's /proc/net/tls_stat.
tls_stat() {
	repl_on "$1" "awk '\$1 == \"$2\" { print \$2 }' /proc/net/tls_stat"
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
for h in a b; do
	ktap_check "vaio-$h: kernel TLS (modprobe tls)" repl_on $h 'modprobe tls'
done
REPL_VAIOD_ARGS=--tls
ktap_check "pair set up with vaiod --tls: sync, connected, in sync" repl_pair sync
for h in a b; do
	ktap_eq "vaio-$h: the connection sends in kernel TLS" "$(tls_stat $h TlsCurrTxSw)" 1
	ktap_eq "vaio-$h: and receives in kernel TLS" "$(tls_stat $h TlsCurrRxSw)" 1
done
ktap_match "vaiod says so" "$(cat /tmp/vaiod.log)" "connected to .*TLS 1.3 AES-128-GCM in the kernel"
ktap_check "fio verify through the primary" \
	fio_verify /dev/mapper/d0 --size=64m --bsrange=4k-256k --fsync=32 --randseed=71
ktap_check "in sync afterwards" vaioctl repl wait d0 --synced --timeout 60
ktap_check "both disks byte-identical" repl_checksum_both
for h in a b; do
	ktap_eq "vaio-$h: no record failed to decrypt" "$(tls_stat $h TlsDecryptError)" 0
done

# A link cut: writes tracked, a new connection (a new TLS session), the
# resync through it.
ktap_check "link cut" repl_cut
ktap_check "the primary notices" vaioctl repl wait d0 --conn waiting --timeout 60
ktap_check "writes while cut" fio_verify /dev/mapper/d0 --size=32m --offset=64m --randseed=72
repl_uncut
ktap_check "reconnected and resynced" vaioctl repl wait d0 --synced --timeout 120
ktap_eq "vaio-a: the new connection in kernel TLS too" "$(tls_stat a TlsCurrTxSw)" 1
ktap_check "vaio-a: two TLS sessions in all" test "$(tls_stat a TlsTxSw)" -ge 2
ktap_check "both disks byte-identical after the resync" repl_checksum_both

# --tls on one side only: refused by both, after authentication.
for h in a b; do
	repl_on $h 'killall vaiod; sleep 0.3; vaioctl repl disconnect d0; : >/tmp/vaiod.log'
done
ktap_check "vaio-a's vaiod with --tls" repl_on a 'vaiod -v --tls >>/tmp/vaiod.log 2>&1 </dev/null &'
ktap_check "vaio-b's vaiod without" repl_on b 'vaiod -v >>/tmp/vaiod.log 2>&1 </dev/null &'
sleep 4
ktap_check "not connected" test "$(repl_json a conn)" != connected
ktap_match "vaio-a's log: why" "$(cat /tmp/vaiod.log)" \
	"TLS: this side runs vaiod --tls, the peer without it"
ktap_match "vaio-b's log: why" "$(vaio_peer 'cat /tmp/vaiod.log')" \
	"TLS: the peer runs vaiod --tls, this side without it"
ktap_check "vaio-b's vaiod again, with --tls" \
	repl_on b 'killall vaiod; sleep 0.3; vaiod -v --tls >>/tmp/vaiod.log 2>&1 </dev/null &'
ktap_check "connected and in sync" vaioctl repl wait d0 --synced --timeout 60
ktap_check "both disks byte-identical" repl_checksum_both
repl_teardown
ktap_finish
