#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl with a record that does not read, and with device-mapper unreachable: lists go on and exit 1, nothing is deleted or changed on a guess, -j never crashes"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
brd_setup 64 3
mkdir -p "$VAIO_CONFDIR/pools"

ktap_check "policy create gold" vaioctl policy create gold test-qos:mode=pass
ktap_check "disk create vm1 with gold" vaioctl disk create vm1 /dev/ram0 --policy gold
ktap_check "disk create vm2 with gold" vaioctl disk create vm2 /dev/ram1 --policy gold
# A pool recorded, not made (its device is not a pool): listed as absent.
printf '{"pool": "p1", "device": "/dev/ram2"}\n' >"$VAIO_CONFDIR/pools/p1.json"

# 1. A live disk's record that does not parse.
printf '{"disk": "vm2", "device": ' >"$VAIO_CONFDIR/disks/vm2.json"
out=$(vaioctl disk list 2>/tmp/err) && rc=0 || rc=$?
ktap_eq "disk list: exit 1 with a record that does not read" "$rc" 1
ktap_match "disk list: the others still listed" "$out" "vm1 +active +gold"
ktap_match "disk list: vm2's record unreadable" "$out" "vm2 +active +\(unreadable\)"
ktap_match "disk list: the record named" "$(cat /tmp/err)" "vm2"
vaioctl -j disk list >/tmp/out 2>/dev/null && rc=0 || rc=$?
ktap_eq "-j disk list: exit 1" "$rc" 1
ktap_eq "-j disk list: JSON of the others, vm2's record unreadable, not unmanaged" \
	"$(jq -r '.[] | "\(.disk) \(.managed) \(.error)"' /tmp/out | sort | tr '\n' ' ')" \
	"vm1 true null vm2 null record unreadable "
vaioctl disk show vm2 >/dev/null 2>&1 && rc=0 || rc=$?
ktap_eq "disk show of it: exit 1, not shown as unmanaged" "$rc" 1
ktap_check "disk show of another: works" vaioctl disk show vm1
# It may use the policy: not changed or removed on a guess.
vaioctl_bad "policy delete: refused while a disk record does not read" \
	"vm2.*must read before its policy changes" vaioctl policy delete gold
vaioctl_bad "policy edit: refused too" "vm2.*must read before its policy changes" \
	vaioctl policy edit gold test-qos:mode=pass,ms=1
rm "$VAIO_CONFDIR/disks/vm2.json"
dmsetup remove vm2
ktap_check "disk list: exit 0 again" vaioctl disk list

# 2. A pool record that does not parse (-j used to crash on it).
printf 'not json' >"$VAIO_CONFDIR/pools/p2.json"
vaioctl -j cache pool list >/tmp/out 2>/tmp/err && rc=0 || rc=$?
ktap_eq "-j cache pool list: exit 1, no crash" "$rc" 1
ktap_eq "-j cache pool list: JSON of the others" "$(jq -r '.[].pool' /tmp/out)" p1
ktap_match "-j cache pool list: the record named" "$(cat /tmp/err)" "p2"
vaioctl cache pool list >/tmp/out 2>/tmp/err && rc=0 || rc=$?
ktap_eq "cache pool list: exit 1" "$rc" 1
ktap_match "cache pool list: the others listed" "$(cat /tmp/out)" "p1 .*absent"
vaioctl cache pool show p2 >/dev/null 2>&1 && rc=0 || rc=$?
ktap_eq "cache pool show of it: exit 1" "$rc" 1
rm "$VAIO_CONFDIR/pools/p2.json"
ktap_check "cache pool list: exit 0 again" vaioctl cache pool list

# 3. device-mapper unreachable: /dev/mapper under a read-only mount whose
# control node is the wrong device, which libdevmapper cannot replace.
# "Cannot ask" is not "absent": disk remove keeps the device and its
# record, apply creates nothing.
mkdir -p /tmp/nodm
mount -t tmpfs none /tmp/nodm
mknod /tmp/nodm/control c 1 3
mount -o remount,ro /tmp/nodm
mount -o bind /tmp/nodm /dev/mapper
vaioctl disk remove vm1 >/dev/null 2>/tmp/err && rc=0 || rc=$?
ktap_eq "disk remove without device-mapper: refused" "$rc" 1
ktap_diag "$(cat /tmp/err)"
ktap_check "the record is kept" test -f "$VAIO_CONFDIR/disks/vm1.json"
vaioctl apply >/dev/null 2>&1 && rc=0 || rc=$?
ktap_eq "apply without device-mapper: exit 1" "$rc" 1
umount /dev/mapper
umount /tmp/nodm
ktap_eq "vm1 is still there" "$(dmsetup table vm1 | awk '{print $3}')" vaio
ktap_check "disk remove vm1, device-mapper back" vaioctl disk remove vm1
ktap_check "vm1 gone" sh -c '! dmsetup info vm1 >/dev/null 2>&1'
ktap_check "its record gone" test ! -f "$VAIO_CONFDIR/disks/vm1.json"

ktap_finish
