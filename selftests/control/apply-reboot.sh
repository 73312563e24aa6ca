#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl apply after a simulated reboot (devices removed, modules reloaded) brings back the same disks, policies and data"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
brd_setup 64 3

ktap_check "policy gold" vaioctl policy create gold test-qos:mode=delay,ms=1 test-cache:fail=closed
ktap_check "policy silver" vaioctl policy create silver test-replication
ktap_check "disk vm1, gold" vaioctl disk create vm1 /dev/ram0 --policy gold
ktap_check "disk vm2, no policy" vaioctl disk create vm2 /dev/ram1
ktap_check "disk vm3, silver" vaioctl disk create vm3 /dev/ram2 --policy silver

before=
for d in vm1 vm2 vm3; do
	dd if=/dev/urandom of=/dev/mapper/$d bs=1M count=8 oflag=direct 2>/dev/null
	before="$before$(dmsetup table $d) $(dd if=/dev/mapper/$d bs=1M count=8 iflag=direct 2>/dev/null | md5sum)
"
done

# "Reboot": the devices go, the modules go; the configuration and the
# data (brd) stay.
dmsetup remove vm1 && dmsetup remove vm2 && dmsetup remove vm3
ktap_check "dm-vaio-test unloads" modprobe -r dm-vaio-test
ktap_check "dm-vaio unloads" modprobe -r dm-vaio
ktap_check "dm-vaio loads again" modprobe dm-vaio
out=$(vaioctl apply 2>&1)
ktap_eq "apply creates the three disks" "$out" "vm1: created
vm2: created
vm3: created"
after=
for d in vm1 vm2 vm3; do
	after="$after$(dmsetup table $d) $(dd if=/dev/mapper/$d bs=1M count=8 iflag=direct 2>/dev/null | md5sum)
"
done
ktap_eq "same tables, same data" "$after" "$before"
ktap_eq "vm1 has gold's filters" "$(vaio_filters vm1)" "test-qos test-cache"

ktap_eq "apply again changes nothing" "$(vaioctl apply 2>&1)" "vm1: unchanged
vm2: unchanged
vm3: unchanged"

# The configuration edited by hand (valid): apply brings the disk in line.
cat >"$VAIO_CONFDIR/disks/vm2.json" <<EOT
{
  "disk": "vm2",
  "device": "/dev/ram1",
  "policy": "silver"
}
EOT
ktap_eq "apply updates a disk whose record changed" "$(vaioctl apply 2>&1)" "vm1: unchanged
vm2: updated
vm3: unchanged"
ktap_eq "vm2 now has silver" "$(vaio_filters vm2)" "test-replication"

# A broken record fails that disk only, with its reason; exit status 1.
echo '{ "disk": "vm3", "device": "/dev/ram2", "policy": "nosuch" }' >"$VAIO_CONFDIR/disks/vm3.json"
out=$(vaioctl apply 2>&1) && rc=0 || rc=$?
ktap_eq "apply fails when a disk fails" "$rc" 1
ktap_match "and says which and why" "$out" "vaioctl: vm3: policy nosuch does not exist"
ktap_match "the other disks are still seen to" "$out" "vm1: unchanged"
ktap_eq "vm3 kept its filters" "$(vaio_filters vm3)" "test-replication"
ktap_eq "apply -j reports per disk" \
	"$(vaioctl -j apply | jq -r '[.[] | "\(.disk)=\(.result)"] | join(" ")')" \
	"vm1=unchanged vm2=unchanged vm3=failed"
ktap_finish
