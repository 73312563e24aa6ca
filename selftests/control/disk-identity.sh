#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl records a disk's device with its identity (serial, WWID, device-mapper uuid): apply refuses a recorded path that names another device after a renumbering, a device is one disk's only, a device without identity is said to be so"
TIMEOUT=180
# Two virtio disks, serials vaio-vd0 and vaio-vd1 (/dev/vdisk0, 1).
VDISKS="16 16"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# Issue 20, boot. /dev/vda and /dev/vdb are found by their serials: the
# kernel may name them the other way round at the next boot, as it may
# /dev/sda and /dev/sdb.
vaioctl_setup
brd_setup 16 1
A=$(readlink -f /dev/vdisk0)
B=$(readlink -f /dev/vdisk1)
rec=$VAIO_CONFDIR/disks/d0.json
dd if=/dev/urandom of=/tmp/b bs=1M count=1 2>/dev/null
dd if=/tmp/b of="$B" bs=1M oflag=direct 2>/dev/null
b_sum() { dd if="$B" bs=1M count=1 iflag=direct 2>/dev/null | md5sum; }
bsum=$(b_sum)

ktap_check "disk d0 on $A" vaioctl disk create d0 "$A"
ktap_eq "its record has the identity" "$(vaioctl -j disk show d0 | jq -r .identity)" serial:vaio-vd0
ktap_match "disk show says it" "$(vaioctl disk show d0)" "device $A \\(serial:vaio-vd0\\)"
ktap_fails "the same device again: refused" vaioctl disk create d1 "$A"
ktap_match "... saying whose it is" "$(vaioctl disk create d1 /dev/vdisk0 2>&1)" \
	"is disk d0's device already"
ktap_fails "... and no d1" dmsetup info d1
# A reboot that renumbered the disks: d0's record names $B now.
ktap_check "d0 goes (shutdown)" dmsetup remove d0
sed -i "s|\"$A\"|\"$B\"|" "$rec"
ktap_match "the record names $B" "$(cat "$rec")" "\"$B\""
out=$(vaioctl apply 2>&1)
ktap_eq "apply refuses d0 (exit 1)" "$?" 1
ktap_match "... saying why" "$out" "d0: .*is serial:vaio-vd1 now, not the recorded serial:vaio-vd0"
ktap_fails "... no d0" dmsetup info d0
ktap_eq "$B is untouched" "$(b_sum)" "$bsum"
# Meanwhile d0's device is $A: no other disk may have it, whatever path
# d0's record names; and $B, which that path names now, is not d0's.
ktap_match "d0's device under its new path: refused" \
	"$(vaioctl disk create d1 "$A" 2>&1)" "device $A is disk d0's device already \\(serial:vaio-vd0\\)"
ktap_check "the device d0's path names now may be another disk's" vaioctl disk create d1 "$B"
ktap_check "... (removed again)" vaioctl disk remove d1
sed -i "s|\"$B\"|\"$A\"|" "$rec"
ktap_match "put right, apply creates d0" "$(vaioctl apply 2>&1)" "d0: created"
# A record from before identities, of a live disk on its device: apply
# records the identity.
jq 'del(.identity)' "$rec" >/tmp/d0.json && mv /tmp/d0.json "$rec"
ktap_fails "d0's record without identity" grep -q identity "$rec"
ktap_match "apply" "$(vaioctl apply 2>&1)" "d0: unchanged"
ktap_eq "... records it" "$(jq -r .identity "$rec")" serial:vaio-vd0
# A record that does not read could be of any device: no new disk until
# it is put right.
echo '{ "disk": "x", "device": "/dev/vdb", "extra": 1 }' >"$VAIO_CONFDIR/disks/x.json"
ktap_match "a broken record: disk create refused" "$(vaioctl disk create d1 "$B" 2>&1)" \
	"fix or remove that record first"
rm "$VAIO_CONFDIR/disks/x.json"
ktap_check "d0 removed" vaioctl disk remove d0

# A device without identity: recorded by its path, and said so.
out=$(vaioctl disk create r0 /dev/ram0 2>&1)
ktap_eq "a RAM disk is recorded (exit 0)" "$?" 0
ktap_match "... with a warning" "$out" "/dev/ram0 has no stable identity"
ktap_eq "... and no identity" "$(vaioctl -j disk show r0 | jq -r .identity)" null
# A device-mapper device: its uuid; without one it has no identity (its
# name says no more than its path).
ktap_check "a dm-linear without uuid" sh -c "echo '0 2048 linear $A 0' | dmsetup create nouuid && dmsetup mknodes nouuid"
ktap_match "... recorded with a warning" "$(vaioctl disk create d3 /dev/mapper/nouuid 2>&1)" "no stable identity"
ktap_check "... removed" sh -c "vaioctl disk remove d3 && dmsetup remove nouuid"
ktap_check "a dm-linear with a uuid" sh -c "echo '0 2048 linear $B 0' | dmsetup create lin -u TEST-lin-1 && dmsetup mknodes lin"
ktap_check "disk d2 on it" vaioctl disk create d2 /dev/mapper/lin
ktap_eq "its identity is the dm uuid" "$(vaioctl -j disk show d2 | jq -r .identity)" dm-uuid:TEST-lin-1
# A record from before identities: applied as it is.
ktap_check "r0 goes" dmsetup remove r0
jq 'del(.identity)' "$VAIO_CONFDIR/disks/r0.json" >/tmp/r0.json &&
	mv /tmp/r0.json "$VAIO_CONFDIR/disks/r0.json"
ktap_fails "... (no identity key in it)" grep -q identity "$VAIO_CONFDIR/disks/r0.json"
ktap_match "a record without identity: created" "$(vaioctl apply 2>&1)" "r0: created"
ktap_check "disks removed" sh -c "vaioctl disk remove r0 && vaioctl disk remove d2"
dmsetup remove lin
ktap_finish
