#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl's configuration lock: a held lock is waited for with a word, then given up; a signal during a policy change leaves the disk resumed, changed and recorded, never half-way"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
modprobe dm-vaio-test || exit 1
# A disk each write of which takes 1.5 s: a suspend waits for them.
modprobe null_blk nr_devices=1 gb=1 irqmode=2 completion_nsec=1500000000 || exit 1

ktap_check "policy create slow" vaioctl policy create slow test-qos:mode=delay,ms=1
ktap_check "policy create fast" vaioctl policy create fast test-qos:mode=pass
ktap_check "disk create vm1 with slow" vaioctl disk create vm1 /dev/nullb0 --policy slow

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

# 3. SIGTERM at random moments of policy changes (a background job ignores
# SIGINT), with writes of 1.5 s each in flight below: whenever it lands,
# the disk is left resumed with no table loaded, and the kernel's chain
# is the one the record names. Before, a signal between the change and
# the record's save left the record behind (the next apply turned the
# change back).
dd if=/dev/zero of=/dev/mapper/vm1 bs=4k count=40 oflag=direct 2>/dev/null &
writer=$!
bad=0 died=0
for i in $(seq 1 16); do
	p=fast
	[ $((i % 2)) = 0 ] && p=slow
	vaioctl policy assign $p vm1 2>/dev/null &
	pid=$!
	sleep "0.0$((i % 8))"
	kill -TERM $pid 2>/dev/null
	wait $pid
	rc=$?
	# Done before the signal (0), or ended by it (143): nothing else.
	case $rc in
	143) died=$((died + 1)) ;;
	0) ;;
	*) bad=$((bad + 1)); ktap_diag "assign $p at $i: exit $rc" ;;
	esac
	rec=$(jq -r .policy "$VAIO_CONFDIR/disks/vm1.json")
	mode=$(dmsetup table vm1 | grep -o 'mode=[a-z]*')
	state=$(dmsetup info vm1 | grep -E '^State|^Tables' | tr -s ' ' | tr '\n' ' ')
	case "$rec:$mode:$state" in
	fast:mode=pass:*ACTIVE*LIVE\ | slow:mode=delay:*ACTIVE*LIVE\ ) ;;
	*) bad=$((bad + 1)); ktap_diag "after $p at ${i}: record $rec, table $mode, $state" ;;
	esac
done
kill $writer 2>/dev/null
wait $writer 2>/dev/null
ktap_eq "16 policy changes signalled at random: record and kernel agree, disk resumed" "$bad" 0
ktap_check "... and vaioctl died of the signal ($died of 16; the others had finished)" \
	test "$died" -ge 1
ktap_check "apply finds nothing to change" sh -c 'vaioctl apply | grep -q "vm1: unchanged"'

ktap_check "disk remove vm1" vaioctl disk remove vm1
ktap_finish
