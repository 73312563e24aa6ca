#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl's dm devices carry uuids: a disk VAIO-DISK-<disk_id> (a disk named POOL-x too), a pool VAIO-POOL-<name>, its tier VAIO-TIER-<name>; the pool and tier are hidden from udev's disk and other rules (the flags in their uevents' DM_COOKIE), a disk is not; apply gives a live disk without a uuid its own"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
modprobe dm-vaio-test
modprobe dm-vaio-cache
brd_setup 16 5

# Every uevent with a cookie: "<DEVNAME> <ACTION> <DM_COOKIE>". (No udev
# in the guest: busybox's uevent reads them from the kernel, which names
# the device dm-<minor>.)
ev=/tmp/uevents
: >"$ev"
# shellcheck disable=SC2016 # expanded by uevent's sh, per event
uevent sh -c '[ -n "$DM_COOKIE" ] && echo "$DEVNAME $ACTION $DM_COOKIE" >>'"$ev" &
upid=$!
sleep 0.5

uuid() { dmsetup info -c --noheadings -o uuid "$1"; }
# flags NAME: the udev flags of dm device NAME's last uevent with a
# cookie, hex.
flags() {
	n=dm-$(dmsetup info -c --noheadings -o minor "$1")
	c=$(awk -v n="$n" '$1 == n { c = $3 } END { print c + 0 }' "$ev")
	printf '%x' $(((c >> 16) & 0xffff))
}
# hidden NAME: its disk (0x4) and other (0x8) rules disabled, and the
# subsystem's (0x2); not dm's own (0x1: the node).
hidden() {
	f=0x$(flags "$1")
	[ $((f & 0xe)) = 14 ] && [ $((f & 0x1)) = 0 ]
}

ktap_check "disk create d1" vaioctl disk create d1 /dev/ram0
ktap_eq "d1's uuid" "$(uuid d1)" VAIO-DISK-d1
ktap_check "pool create fast on two devices" \
	vaioctl cache pool create fast /dev/ram1 /dev/ram2
ktap_eq "the pool's uuid" "$(uuid fast)" VAIO-POOL-fast
ktap_eq "the tier's uuid" "$(uuid fast-tier)" VAIO-TIER-fast
sleep 0.5
echo "# uevents: $(tr '\n' ';' <"$ev")"
ktap_check "the pool hidden from udev's disk and other rules (flags $(flags fast))" hidden fast
ktap_check "the tier too (flags $(flags fast-tier))" hidden fast-tier
ktap_match "the disk's uevent came (flags $(flags d1))" "$(flags d1)" '^[1-9a-f]'
ktap_fails "the disk not hidden" hidden d1
# A disk named as a pool's uuid would be: its own uuid all the same.
ktap_check "disk create POOL-fast" vaioctl disk create POOL-fast /dev/ram4
ktap_eq "POOL-fast's uuid, not the pool's" "$(uuid POOL-fast)" VAIO-DISK-POOL-fast

# A disk made by hand, without a uuid, its disk_id not its dm name, and
# recorded: apply changes its filters (the record's policy) and gives it
# the uuid of its disk_id.
ktap_check "disk d2 (disk_id other2) by hand, no uuid" dm_create d2 \
	"0 $(dev_sectors /dev/ram3) vaio /dev/ram3 2 disk_id other2"
ktap_eq "d2 has no uuid" "$(uuid d2)" ""
ktap_check "policy p" vaioctl policy create p test-cache
mkdir -p "$VAIO_CONFDIR/disks"
echo '{"disk": "d2", "device": "/dev/ram3", "policy": "p"}' >"$VAIO_CONFDIR/disks/d2.json"
ktap_check "apply" vaioctl apply
ktap_match "d2 has the policy's filter" "$(dmsetup table d2)" 'test-cache'
ktap_eq "d2's uuid: its disk_id's" "$(uuid d2)" VAIO-DISK-other2

kill "$upid"
ktap_check "disks removed" vaioctl disk remove d1
ktap_check "POOL-fast removed" vaioctl disk remove POOL-fast
ktap_check "d2 removed" vaioctl disk remove d2
ktap_check "pool removed" vaioctl cache pool remove fast
ktap_eq "no dm device left" "$(dmsetup ls | grep -v 'No devices')" ""
ktap_finish
