#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl's configuration lock: a held lock is waited for with a word, then given up; a signal during a policy change leaves the disk resumed, changed and recorded, never half-way"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
modprobe dm-vaio-test || exit 1
brd_setup 64 1

ktap_check "policy create slow" vaioctl policy create slow test-qos:mode=delay,ms=1500
ktap_check "policy create fast" vaioctl policy create fast test-qos:mode=pass
ktap_check "disk create vm1 with slow" vaioctl disk create vm1 /dev/ram0 --policy slow

# 1. The lock held by another process: waited for, said, then taken.
flock "$VAIO_CONFDIR/.lock" sleep 3 &
holder=$!
sleep 0.5
t0=$(cut -d. -f1 /proc/uptime)
vaioctl policy create p1 test-qos:mode=pass 2>/tmp/err && rc=0 || rc=$?
t1=$(cut -d. -f1 /proc/uptime)
wait $holder
ktap_eq "held lock: the command waited and succeeded" "$rc" 0
ktap_match "held lock: it said it waits" "$(cat /tmp/err)" "waiting for .*\.lock, held by process"
ktap_check "held lock: it waited for the holder (>= 2 s)" test $((t1 - t0)) -ge 2

# 2. Held too long: given up with the holder named.
flock "$VAIO_CONFDIR/.lock" sleep 6 &
holder=$!
sleep 0.5
VAIO_CONF_LOCK_TIMEOUT=2 vaioctl policy create p2 test-qos:mode=pass >/dev/null 2>/tmp/err &&
	rc=0 || rc=$?
wait $holder
ktap_eq "lock held too long: exit 1" "$rc" 1
ktap_match "lock held too long: said" "$(tail -n 1 /tmp/err)" "held by process .* for 2 s"
ktap_check "lock held too long: nothing recorded" test ! -f "$VAIO_CONFDIR/policies/p2.json"

# 3. SIGTERM while the policy change suspends the disk (a background job
# ignores SIGINT): writes delayed 1.5 s each are in flight, so the suspend
# waits for them, interruptibly: a signal let through fails it and leaves
# the new table loaded. The signal is sent once the new table is loaded.
# The change is finished and recorded, the disk resumed, then vaioctl
# dies of the signal.
dd if=/dev/zero of=/dev/mapper/vm1 bs=4k count=6 oflag=direct 2>/dev/null &
writer=$!
sleep 0.5
vaioctl policy assign fast vm1 2>/tmp/err &
pid=$!
for _ in $(seq 1 100); do
	dmsetup info vm1 | grep -q 'Tables present:.*INACTIVE' && break
	sleep 0.05
done
kill -TERM $pid
wait $pid && rc=0 || rc=$?
wait $writer
ktap_eq "SIGTERM mid-change: vaioctl died of it" "$rc" 143
ktap_diag "$(cat /tmp/err)"
ktap_match "SIGTERM mid-change: the disk is not left suspended" \
	"$(dmsetup info vm1 | grep '^State:')" "ACTIVE"
ktap_eq "SIGTERM mid-change: no table left loaded" \
	"$(dmsetup info vm1 | grep -c 'Tables present:.*INACTIVE')" 0
ktap_eq "SIGTERM mid-change: the kernel has the new chain" \
	"$(dmsetup table vm1 | grep -o 'mode=[a-z]*')" "mode=pass"
ktap_eq "SIGTERM mid-change: the record says so" \
	"$(jq -r .policy "$VAIO_CONFDIR/disks/vm1.json")" fast
ktap_check "apply finds nothing to change" sh -c 'vaioctl apply | grep -q "vm1: unchanged"'

ktap_check "disk remove vm1" vaioctl disk remove vm1
ktap_finish
