#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt with sync replication: the peer's disk and the wire hold only ciphertext, the peer's disk below equals the primary's byte for byte; a peer without the key cannot bring the disk up; after failover the peer, given the key, reads the plaintext"
TOPOLOGY=2host
TIMEOUT=400
CHECK=full	# two guests, 92 s on a loaded host: make check is at its 30 minutes
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"
REPL_MIB=32
. "$(dirname "$0")/../lib/repl.sh"

# The wire: vaiod runs without --tls here (its default), so the stream is
# the replication protocol in the clear and its data what the filters
# above replication made of the VM's writes. vaio-sniff (the guest has no
# tcpdump) writes the TCP payload to and from port 7790 to a file.

MARK=VAIO-CRYPT-PLAINTEXT-MARKER
yes "$MARK" | head -c 4194304 >/tmp/marker
lines=$(grep -cF "$MARK" /tmp/marker)
# count DEV [MIB]: the marker's lines in DEV's first MIB (all) MiB, O_DIRECT.
count() { dd if="$1" bs=1M ${2:+count=$2} iflag=direct 2>/dev/null | grep -acF "$MARK"; }
COUNT_B="dd if=$REPL_DATA bs=1M iflag=direct 2>/dev/null | grep -acF $MARK"
key=key=:64:logon:vaio:d0
# fio_verify's 8 MiB (4 under the debug kernel, as it does).
fsize=8
[ "${VAIO_DEBUG:-0}" = 1 ] && fsize=4
policy() { # PEER: the policy on the host whose peer is PEER
	echo "enc crypt:$key,fail=closed replication:mode=sync,peer=$1:7790,meta=$REPL_META"
}
# sniff_start / sniff_stop: vaio-sniff on vaio-a, port 7790 (0: all TCP).
sniff_start() {
	rm -f /tmp/sniff.out
	vaio-sniff "$1" /tmp/wire >/tmp/sniff.out 2>&1 &
	sniff=$!
	wait_until 100 grep -q listening /tmp/sniff.out
}
# sniff_stop: in this shell (wait needs its child), not in $(...).
sniff_stop() {
	kill "$sniff" && wait "$sniff"
}
# hex: stdin in hex, on one line. (Not grep -F on the bytes: busybox's
# grep ends a line at a NUL.)
hex() { xxd -p | tr -d '\n'; }
# in_wire FILE OFFSET: the 32 bytes of FILE at OFFSET are in the capture
# (/tmp/wire.hex, the capture in hex).
in_wire() {
	grep -qF "$(dd if="$1" bs=1 skip="$2" count=32 2>/dev/null | hex)" /tmp/wire.hex
}

setup() { repl_disks "$REPL_MIB" "$REPL_MIB" && repl_secret && repl_vaiod_start; }
ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "RAM disks, the secret and vaiod on both" setup

# vaio-a: the key, a policy with crypt and sync replication, d0.
ktap_check "the key on vaio-a" crypt_key d0 64
# shellcheck disable=SC2046 # the policy's words
ktap_check "policy: crypt, then sync replication" vaioctl policy create $(policy "$REPL_PEER_B")
ktap_check "d0 on vaio-a" vaioctl disk create d0 "$REPL_DATA" --policy enc

# vaio-b without the key: the same policy, but its disk does not come up.
ktap_check "the same policy on vaio-b" vaio_peer "vaioctl policy create $(policy "$REPL_PEER_A")"
vaio_peer 'dmesg -c >/dev/null'
ktap_fails "vaio-b without the key: d0 refused" \
	vaio_peer "vaioctl disk create d0 $REPL_DATA --policy enc"
ktap_match "... as no such logon key (vaio-b's kernel log)" \
	"$(vaio_peer 'dmesg | grep crypt:')" 'no such logon key'
ktap_fails "... and no d0 left on vaio-b" vaio_peer 'dmsetup info d0'
# A failed create may leave the disk's record: remove it if so.
vaio_peer 'vaioctl disk remove d0' >/dev/null 2>&1

# The key's bytes copied to vaio-b (here through the agent, in hex: an
# administrator's secure channel), a logon key there.
ktap_check "the key copied to vaio-b and added as a logon key" \
	vaio_peer "echo $(crypt_hex d0) | xxd -r -p >/tmp/d0.key && chmod 600 /tmp/d0.key &&
		keyctl padd logon vaio:d0 @u </tmp/d0.key >/dev/null"
ktap_check "d0 on vaio-b, now with the key" \
	vaio_peer "vaioctl disk create d0 $REPL_DATA --policy enc"
ktap_check "pair: vaio-b secondary" vaio_peer 'vaioctl repl init d0 --secondary'
ktap_check "pair: vaio-a primary" vaioctl repl init d0 --primary --skip-initial-sync
ktap_check "in sync" vaioctl repl wait d0 --synced --timeout 30

# The capture can fail: the agent's own traffic, which carries the
# marker in its request, is seen with it.
sniff_start 0
vaio_peer "echo $MARK" >/dev/null
sniff_stop
ktap_match "the capture sees the marker where it crosses the wire (the agent's request)" \
	"$(grep -acF "$MARK" /tmp/wire)" '^[1-9]'

# 4 MiB of the pattern written through d0 while the wire is captured.
# (Not in ktap_check: its subshell would keep the sniffer's pid.)
sniff_start 7790
ktap_eq "sniffer on port 7790" "$(cat /tmp/sniff.out)" listening
ktap_check "4 MiB of the pattern written through vaio-a's d0" \
	dd if=/tmp/marker of=/dev/mapper/d0 bs=1M oflag=direct
ktap_check "in sync after it" vaioctl repl wait d0 --synced --timeout 60
sniff_stop
st=$(grep '^segments' /tmp/sniff.out)
ktap_diag "capture: $st"
b=$(echo "$st" | awk '{ print $4 }')
ktap_check "the capture holds at least the 4 MiB written ($b bytes)" test "${b:-0}" -ge 4194304
ktap_eq "the kernel dropped no captured packet" "$(echo "$st" | awk '{ print $6 }')" 0
ktap_eq "the pattern reads back through vaio-a's d0" "$(count /dev/mapper/d0 4)" "$lines"
ktap_eq "none of it on vaio-a's disk below" "$(count "$REPL_DATA")" 0
ktap_eq "none of it on vaio-b's disk below" "$(vaio_peer "$COUNT_B")" 0
ktap_eq "none of it on the wire" "$(grep -acF "$MARK" /tmp/wire)" 0
# What is on the wire is the ciphertext below: samples of vaio-a's disk
# (32 bytes at 1 MiB + 4 KiB and at 3 MiB + 100) are in the capture.
dd if="$REPL_DATA" of=/tmp/below bs=1M count=4 iflag=direct 2>/dev/null
hex </tmp/wire >/tmp/wire.hex
ktap_check "the ciphertext below is on the wire (two samples)" \
	eval 'in_wire /tmp/below 1052672 && in_wire /tmp/below 3145828'
rm -f /tmp/wire /tmp/wire.hex

ktap_check "fio verify (crc32c) through vaio-a's d0, 8 MiB from 8 MiB" \
	fio_verify /dev/mapper/d0 --offset=8m --size=8m
ktap_check "both disks below byte-identical (checksums of 32 MiB)" repl_checksum_both
ktap_match "vaio-a's d0: no crypt error, writes counted" \
	"$(vaio_filter_get d0 crypt errors) $(vaio_filter_get d0 crypt writes)" '^0 [1-9]' 
plain=$(dev_sha /dev/mapper/d0 "$REPL_MIB")

# Failover as Documentation/replication.rst says: the VM stopped, demote,
# promote the peer (whose key is present).
ktap_check "demote vaio-a" vaioctl repl demote d0
ktap_check "promote vaio-b" vaio_peer 'vaioctl repl promote d0'
ktap_eq "vaio-b reads the pattern through its d0" \
	"$(vaio_peer "dd if=/dev/mapper/d0 bs=1M count=4 iflag=direct 2>/dev/null | grep -acF $MARK")" "$lines"
ktap_eq "vaio-b's d0 reads the same plaintext as vaio-a's did (sha256 of 32 MiB)" \
	"$(vaio_peer "dd if=/dev/mapper/d0 bs=1M count=$REPL_MIB iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1")" "$plain"
ktap_check "fio's blocks verify on vaio-b" vaio_peer "fio --name=verify --filename=/dev/mapper/d0 \
	--ioengine=libaio --direct=1 --rw=randwrite --bsrange=4k-64k --iodepth=16 \
	--offset=8m --size=${fsize}m --verify=crc32c --verify_fatal=1 --verify_only >/dev/null"
# vaio-b writes as the new primary: ciphertext goes back to vaio-a.
ktap_check "vaio-b writes the pattern at 28 MiB" vaio_peer \
	"yes $MARK | head -c 1048576 | dd of=/dev/mapper/d0 bs=1M seek=28 oflag=direct 2>/dev/null"
ktap_check "vaio-a, its secondary, in sync" \
	vaio_peer 'vaioctl repl wait d0 --synced --timeout 60'
ktap_check "both disks below byte-identical again" repl_checksum_both
ktap_eq "none of the pattern below on vaio-b" "$(vaio_peer "$COUNT_B")" 0
ktap_eq "none below on vaio-a" "$(count "$REPL_DATA")" 0
repl_teardown
ktap_finish
