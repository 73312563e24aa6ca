#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl policies and disks: create, show, assign; every kind of bad input gets a one-line error and changes nothing"
TIMEOUT=300
CHECK=full	# vaioctl policy parsing (43 s; control/assign-live switches policies under fio verify): make check-full; make check took 1948 s here on 2026-12-07
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

vaioctl_setup
brd_setup 64 3
size=$(dev_sectors /dev/ram0)
P=$VAIO_CONFDIR/policies

ktap_check "policy create gold" \
	vaioctl policy create gold test-qos:mode=delay,ms=1 test-cache:fail=closed
ktap_check "the policy file is JSON, one component a line" \
	jq -e '.policy == "gold" and .components == ["test-qos:mode=delay,ms=1", "test-cache:fail=closed"]' \
	"$P/gold.json"
ktap_eq "the policy file diffs well: a line per component" \
	"$(grep -c '"test-' "$P/gold.json")" 2
ktap_eq "policy show" "$(vaioctl policy show gold)" "policy gold
    test-qos:mode=delay,ms=1
    test-cache:fail=closed
    disks: (none)"
ktap_check "disk create vm1 with policy gold" vaioctl disk create vm1 /dev/ram0 --policy gold
ktap_eq "the table vaioctl made" "$(dmsetup table vm1)" \
	"0 $size vaio 1:0 12 disk_id vm1 filter test-qos fail_open 2 mode=delay ms=1 filter test-cache fail_closed 0"
ktap_check "disk create vm2 without a policy" vaioctl disk create vm2 /dev/ram1
ktap_eq "no filters on vm2" "$(dmsetup table vm2)" "0 $size vaio 1:1 2 disk_id vm2"
ktap_check "/dev/mapper/vm1 works" dd if=/dev/mapper/vm1 of=/dev/null bs=4k count=16 iflag=direct
ktap_eq "policy show lists its disk" "$(vaioctl policy show gold | tail -n 1)" "    disks: vm1"
ktap_check "policy create silver" vaioctl policy create silver test-replication:mode=defer test-inspection
ktap_check "assign silver to vm2" vaioctl policy assign silver vm2
ktap_eq "vm2 has silver's filters, in class order" "$(vaio_filters vm2)" \
	"test-inspection test-replication"
ktap_eq "the disk record says so" "$(jq -r .policy "$VAIO_CONFDIR/disks/vm2.json")" silver

# Bad input: one line, non-zero, nothing changed.
vaioctl_bad "unknown filter type" "component 'nosuch:x=<hidden>': unknown filter type" \
	vaioctl policy create p1 test-qos nosuch:x=1
vaioctl_bad "undeclared parameter" "argument 'frob=1': unknown filter parameter" \
	vaioctl policy create p1 test-qos:frob=1
vaioctl_bad "parameter not key=value" "component 'test-qos': word 1 is not key=value" \
	vaioctl policy create p1 test-qos:mode
vaioctl_bad "parameter value not a number" "argument 'ms=abc': parameter value is not a number" \
	vaioctl policy create p1 test-qos:ms=abc
vaioctl_bad "parameter value out of range" "argument 'ms=99999999': parameter value is out of range" \
	vaioctl policy create p1 test-qos:ms=99999999
vaioctl_bad "parameter value not a choice" "argument 'mode=warp': parameter value is not one of the choices" \
	vaioctl policy create p1 test-qos:mode=warp
vaioctl_bad "parameter given twice" "filter parameter given twice" \
	vaioctl policy create p1 test-qos:mode=pass,mode=fail
vaioctl_bad "bad fail mode" "fail must be open or closed" \
	vaioctl policy create p1 test-qos:fail=maybe
vaioctl_bad "two components of one class" "component 'test-qos-b': two filters of one class" \
	vaioctl policy create p1 test-qos test-qos-b
vaioctl_bad "one filter twice" "filter test-qos is in the policy twice" \
	vaioctl policy create p1 test-qos test-qos:mode=pass
vaioctl_bad "invalid policy name" "policy name 'a/b' is invalid" \
	vaioctl policy create a/b test-qos
vaioctl_bad "policy exists" "policy gold exists already" \
	vaioctl policy create gold test-qos
vaioctl_bad "edit a policy that does not exist" "policy nosuch does not exist" \
	vaioctl policy edit nosuch test-qos
vaioctl_bad "assign a policy that does not exist" "policy nosuch does not exist" \
	vaioctl policy assign nosuch vm1
vaioctl_bad "assign to a disk that does not exist" "disk nodisk is not managed by vaioctl" \
	vaioctl policy assign gold nodisk
vaioctl_bad "show a disk that does not exist" "disk nodisk does not exist" \
	vaioctl disk show nodisk
vaioctl_bad "snapshot of a disk that does not exist" "disk nodisk does not exist" \
	vaioctl event snapshot nodisk t1
vaioctl_bad "snapshot tag with a space" "snapshot tag 'a b' is invalid" \
	vaioctl event snapshot vm1 "a b"
long=$(printf 'f%.0s' $(seq 1 5000))
vaioctl_bad "reactivate a filter with a 5000-character name" "filter name 'f{64}\.\.\.' is invalid" \
	vaioctl filter reactivate vm1 "$long"
vaioctl_bad "a component with a backslash (the table's escape)" "word 1 has a space, '.' or a control character" \
	vaioctl policy create p1 'test-qos:mode=pass\\x'
vaioctl_bad "delete a policy in use" "policy gold is assigned to disk\(s\) vm1; unassign it first" \
	vaioctl policy delete gold
vaioctl_bad "create a disk that exists" "disk vm1 exists already" \
	vaioctl disk create vm1 /dev/ram0
vaioctl_bad "create a disk on a missing device" "device /dev/nosuch: No such file or directory" \
	vaioctl disk create vm3 /dev/nosuch
vaioctl_bad "create a disk on a file" "device /etc/passwd: not a block device" \
	vaioctl disk create vm3 /etc/passwd
vaioctl_bad "create a disk on another disk's device" "device /dev/ram0 is disk vm1's device already" \
	vaioctl disk create vm3 /dev/ram0
# ram2: held by a device vaioctl did not record.
echo "0 2048 linear /dev/ram2 0" | dmsetup create hold
vaioctl_bad "create a disk on a device in use" "device /dev/ram2: in use \\(mounted, or held by another device\\)" \
	vaioctl disk create vm3 /dev/ram2
dmsetup remove hold

dmsetup remove vm3 2>/dev/null

# What only the filter's constructor can see, and a veto: the kernel's own
# reason, through the table-error notification; vm1 keeps its filters.
ktap_check "policy create needs-ms (parameters valid as such)" \
	vaioctl policy create needs-ms test-qos:mode=delay
vaioctl_bad "the filter's constructor refuses" "disk vm1: mode=delay and mode=hold_end need ms=" \
	vaioctl policy assign needs-ms vm1
ktap_check "policy create vetoes" vaioctl policy create vetoes test-encryption:veto=attach,fail=closed
vaioctl_bad "a filter vetoes its attach, vaioctl says which and why" \
	"disk vm1: A filter vetoed its attach: test-encryption: vetoed by test filter" \
	vaioctl policy assign vetoes vm1
ktap_eq "vm1 still has gold" "$(vaio_filters vm1)" "test-qos test-cache"

# Policy files edited by hand into nonsense.
printf '{ "policy": "broken",\n  "components": [ "test-qos",\n' >"$P/broken.json"
vaioctl_bad "truncated policy file" "broken.json: line 3: " vaioctl policy show broken
vaioctl_bad "assign a truncated policy" "broken.json: line 3: " vaioctl policy assign broken vm2
printf '{ "policy": "broken", "components": "test-qos" }\n' >"$P/broken.json"
vaioctl_bad "components not an array" '"components" must be an array of strings' \
	vaioctl policy assign broken vm2
printf '{ "policy": "broken", "components": [], "colour": "red" }\n' >"$P/broken.json"
vaioctl_bad "unknown key" 'unknown key "colour"' vaioctl policy show broken
printf '{ "policy": "other", "components": [] }\n' >"$P/broken.json"
vaioctl_bad "name differs from the file's" '"policy" is "other" but the file is named for "broken"' \
	vaioctl policy show broken
printf '{ "policy": "broken", "components": ["test-qos:frob=1"] }\n' >"$P/broken.json"
vaioctl_bad "a component the kernel refuses" "argument 'frob=1': unknown filter parameter" \
	vaioctl policy assign broken vm2
ktap_check "a broken policy can be deleted" vaioctl policy delete broken

# Not root: no configuration changes, no netlink control operations.
nobody() { /usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "$@"; }
vaioctl_bad "non-root policy create" "Permission denied \(changing the configuration needs root\)" \
	nobody vaioctl policy create p2 test-qos
vaioctl_bad "non-root assign" "Permission denied \(changing the configuration needs root\)" \
	nobody vaioctl policy unassign vm1
vaioctl_bad "non-root snapshot" "permission denied \(needs CAP_SYS_ADMIN\)" \
	nobody vaioctl event snapshot vm1 t1
vaioctl_bad "non-root reactivate" "permission denied \(needs CAP_SYS_ADMIN\)" \
	nobody vaioctl filter reactivate vm1 test-qos
ktap_check "non-root may look" nobody vaioctl disk show vm1

# Usage errors: exit status 2.
usage_rc() { "$@" >/dev/null 2>&1; echo $?; }
ktap_eq "unknown object: exit 2" "$(usage_rc vaioctl frob)" 2
ktap_eq "unknown command: exit 2" "$(usage_rc vaioctl policy frob)" 2
ktap_eq "missing argument: exit 2" "$(usage_rc vaioctl policy assign gold)" 2
ktap_eq "extra argument: exit 2" "$(usage_rc vaioctl disk show vm1 vm2)" 2
ktap_eq "-h: exit 0" "$(usage_rc vaioctl policy -h)" 0
ktap_eq "command -h: exit 0" "$(usage_rc vaioctl disk create -h)" 0

# Shortened as ip takes them: a unique beginning, ls/rm/del.
ktap_eq "vaioctl d l is disk list" "$(vaioctl d l)" "$(vaioctl disk list)"
ktap_eq "vaioctl po ls is policy list" "$(vaioctl po ls)" "$(vaioctl policy list)"
ktap_eq "vaioctl -j ca p ls is cache pool list" "$(vaioctl -j ca p ls)" "$(vaioctl -j cache pool list)"
ktap_eq "remove is never shortened: exit 2" "$(usage_rc vaioctl disk rem vm2)" 2
ktap_check "... and vm2 is still there" dmsetup info vm2
ktap_eq "crypt format is never shortened: exit 2" "$(usage_rc vaioctl crypt form /dev/null)" 2
ktap_eq "nor apply" "$(usage_rc vaioctl ap)" 2
# The global options after the object too, as ip's users type them.
# (Their disks and policies: the counters move between two calls.)
ktap_eq "disk list -j is -j disk list" \
	"$(vaioctl disk list -j | jq -c '[.[] | [.disk, .policy]]')" \
	"$(vaioctl -j disk list | jq -c '[.[] | [.disk, .policy]]')"
ktap_match "... it is JSON" "$(vaioctl disk list -j | jq -r '.[0].disk')" '^vm'
ktap_eq "policy show gold -jp is -j -p policy show gold" \
	"$(vaioctl policy show gold -jp)" "$(vaioctl -j -p policy show gold)"
ktap_eq "policy list --confdir DIR after the object reads DIR" \
	"$(vaioctl policy list --confdir /nonexistent -j)" "[]"
ktap_eq "-C without its directory: exit 2" "$(usage_rc vaioctl policy list -C)" 2

ktap_check "unassign vm1" vaioctl policy unassign vm1
ktap_eq "vm1 has no filters" "$(vaio_filters vm1)" ""
ktap_check "delete gold once unused" vaioctl policy delete gold
ktap_check "disk remove vm1" vaioctl disk remove vm1
ktap_check "the device is gone" sh -c '! dmsetup info vm1 >/dev/null 2>&1'
ktap_check "so is its record" test ! -e "$VAIO_CONFDIR/disks/vm1.json"
ktap_check "disk remove vm2" vaioctl disk remove vm2
ktap_finish
