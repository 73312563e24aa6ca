#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="assign, unassign, reassign and edit-and-reapply policies while fio verify runs on two disks: no error, no mismatch; dmsetup table, vaioctl and the filters' counters agree"
TIMEOUT=500
CHECK=full                 # make check's 30 minutes (testing.rst, CI and its budget)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
brd_setup 160 2

ktap_check "policy gold" vaioctl policy create gold \
	test-qos:mode=delay,ms=1 test-cache:mode=hold_end,ms=1,ops=writes
ktap_check "policy silver" vaioctl policy create silver \
	test-replication:mode=defer test-inspection:fail=closed
ktap_check "disk vm1" vaioctl disk create vm1 /dev/ram0
ktap_check "disk vm2" vaioctl disk create vm2 /dev/ram1 --policy silver

fio_verify /dev/mapper/vm1 --size=128m --loops=3 --verify_backlog=512 \
	--randseed=1 >/tmp/fio1.log 2>&1 &
pid1=$!
fio_verify /dev/mapper/vm2 --size=128m --loops=3 --verify_backlog=512 \
	--randseed=2 >/tmp/fio2.log 2>&1 &
pid2=$!
sleep 1

# Each step changes what is attached under the running writers.
ok=0 n=0 overlap=0
step() {
	n=$((n + 1))
	kill -0 "$pid1" 2>/dev/null && kill -0 "$pid2" 2>/dev/null &&
		overlap=$((overlap + 1))
	if vaioctl "$@"; then
		ok=$((ok + 1))
	else
		ktap_diag "step $n failed: vaioctl $*"
	fi
	sleep 0.5
}
step policy assign gold vm1
step policy assign gold vm2
step policy edit gold test-qos:mode=defer test-replication:mode=delay,ms=1 test-cache
step policy assign silver vm1
step policy unassign vm2
step policy edit silver test-inspection:mode=hold_end,ms=1 test-cache:mode=defer
step policy assign silver vm2
step policy edit gold test-qos:mode=delay,ms=2
step policy assign gold vm1
step policy unassign vm1
step policy assign gold vm1
ktap_eq "11 live policy changes succeeded" "$ok" 11
ktap_match "they overlapped both running writers ($overlap)" "$overlap" '^([6-9]|1[01])$'

wait "$pid1"
ktap_eq "fio verify on vm1: no error, no mismatch" $? 0 || cat /tmp/fio1.log
wait "$pid2"
ktap_eq "fio verify on vm2: no error, no mismatch" $? 0 || cat /tmp/fio2.log

# Now the three views must agree: the policy, dmsetup table, vaioctl.
ktap_eq "vm1: dmsetup table has gold's last edit" "$(vaio_table_filters vm1)" \
	"test-qos:fail_open,mode=delay,ms=2"
ktap_eq "vm1: vaioctl disk show agrees" "$(vaioctl_filters vm1)" \
	"test-qos:fail_open,mode=delay,ms=2"
ktap_eq "vm2: dmsetup table has silver's edit" "$(vaio_table_filters vm2)" \
	"test-inspection:fail_open,mode=hold_end,ms=1 test-cache:fail_open,mode=defer"
ktap_eq "vm2: vaioctl disk show agrees" "$(vaioctl_filters vm2)" \
	"test-inspection:fail_open,mode=hold_end,ms=1 test-cache:fail_open,mode=defer"
ktap_eq "the records name the policies" \
	"$(vaioctl -j disk list | jq -r '[.[] | "\(.disk)=\(.policy)"] | join(" ")')" \
	"vm1=gold vm2=silver"

# Counters: some I/O, then dmsetup status and vaioctl read the same.
dd if=/dev/mapper/vm2 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
dd if=/dev/zero of=/dev/mapper/vm2 bs=64k count=16 oflag=direct 2>/dev/null
for t in test-inspection test-cache; do
	maps=$(vaio_filter_get vm2 $t maps)
	ktap_match "vm2 $t counted the I/O ($maps maps)" "$maps" '^[1-9][0-9]*$'
	ktap_eq "vm2 $t: vaioctl reads the same maps" \
		"$(vaioctl -j disk show vm2 | jq ".filters[] | select(.type == \"$t\") | .status.maps")" "$maps"
	ktap_eq "vm2 $t: and the same deferred" \
		"$(vaioctl -j disk show vm2 | jq ".filters[] | select(.type == \"$t\") | .status.deferred")" \
		"$(vaio_filter_get vm2 $t deferred)"
done
ktap_eq "vm2: reads in vaioctl and dmsetup status agree" \
	"$(vaioctl -j disk show vm2 | jq .stats.reads)" "$(vaio_stat vm2 reads)"
ktap_eq "vm2: writes agree" \
	"$(vaioctl -j disk show vm2 | jq .stats.writes)" "$(vaio_stat vm2 writes)"

ktap_check "remove vm1" vaioctl disk remove vm1
ktap_check "remove vm2" vaioctl disk remove vm2
ktap_finish
