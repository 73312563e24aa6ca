#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="malformed and random generic netlink messages to family vaio are refused; the kernel stays healthy"
TIMEOUT=300
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# userspace/tests/vaio-nlfuzz (mkinitramfs puts our programs in /usr/sbin).
FUZZ=$(command -v vaio-nlfuzz)
SEED=${VAIO_FUZZ_SEED:-1}
ITERS=${VAIO_FUZZ_ITERS:-10000}
DISK=nlfuzz-disk

if [ -z "$FUZZ" ]; then
	ktap_fail "vaio-nlfuzz is installed (userspace/tests/vaio-nlfuzz)"
	ktap_finish
fi

brd_setup 64
ktap_check "dm-vaio loads" modprobe dm-vaio
ktap_check "dm-vaio-test loads" modprobe dm-vaio-test
size=16384 # 8 MiB in sectors
ktap_check "a vaio disk with test-qos and test-cache" dm_create nlf \
	"0 $size vaio /dev/ram0 10 disk_id $DISK filter test-qos fail_open 0 filter test-cache fail_open 0"

# Data written before the fuzz must read back unchanged after it.
dd if=/dev/urandom of=/tmp/pat bs=1M count=8 2>/dev/null
dd if=/tmp/pat of=/dev/mapper/nlf bs=1M oflag=direct 2>/dev/null

dmesg -c >/dev/null
out=$("$FUZZ" -s "$SEED" -n "$ITERS" -d "$DISK" -e 2 2>&1) && rc=0 || rc=$?
ktap_diag "$out"

# One KTAP line per group of cases ("ok N - group: case").
printf '%s\n' "$out" | sed -n 's/^\(not \)\{0,1\}ok [0-9]* - \([^:]*\):.*/\2/p' |
	uniq >/tmp/groups
while IFS= read -r g; do
	if printf '%s\n' "$out" | grep -q "^not ok [0-9]* - $g:"; then
		ktap_fail "$g"
	else
		ktap_ok "$g ($(printf '%s\n' "$out" | grep -c "^ok [0-9]* - $g:") cases)"
	fi
done </tmp/groups
for g in command "chain check" "chain ok" "filter call" disk fuzz privilege health; do
	grep -qx "$g" /tmp/groups || ktap_fail "group '$g' ran"
done
ktap_eq "vaio-nlfuzz exit status" "$rc" 0

ktap_check "dmsetup status answers" dmsetup status nlf
ktap_eq "test-qos still active" "$(vaio_filter_state nlf test-qos)" active
ktap_eq "test-cache still active" "$(vaio_filter_state nlf test-cache)" active
ktap_match "the netlink snapshot reached test-qos" \
	"$(vaio_filter_get nlf test-qos ev_snapshot)" '^[1-9][0-9]*:0$'
ktap_match "... and test-cache, after it" \
	"$(vaio_filter_get nlf test-cache ev_snapshot)" '^[1-9][0-9]*:1$'
ktap_check "data written before the fuzz is intact" \
	cmp -n 8388608 /tmp/pat /dev/mapper/nlf
ktap_check "fio verify on the disk" fio_verify /dev/mapper/nlf --size=8m
log=$(dmesg)
ktap_eq "no kernel warning" "$(printf '%s\n' "$log" | grep -E 'BUG|WARNING|Oops|Call Trace')" ""
ktap_check "the disk is removed" dm_remove nlf
# CHAIN_CHECK takes module references on the filter types: none may leak.
ktap_check "dm-vaio-test unloads (no reference leaked)" rmmod dm-vaio-test
ktap_check "dm-vaio unloads" rmmod dm-vaio
ktap_finish
