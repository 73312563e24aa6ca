#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="family vaio: state changes and filter arguments need CAP_SYS_ADMIN, CAP_NET_ADMIN alone is refused; a family lookup loads dm-vaio"
TIMEOUT=200
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# An unprivileged user; and uid 0 with CAP_NET_ADMIN alone (at exec, root's
# capabilities become its bounding set, which setpriv cuts down first).
nobody() { /usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "$@"; }
netadmin() { /usr/bin/setpriv --inh-caps=-all --bounding-set=-all,+net_admin "$@"; }
capeff() { "$@" sh -c 'sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status'; }
# The arguments of the disk's filters as DISK_GET shows them to "$@".
args_seen() { "$@" vaioctl -j disk show pv | jq -r '[.filters[].args[]] | join(",")'; }
# The count of snapshot events test-qos got ("N:POS").
snapshots() { vaio_filter_get pv test-qos ev_snapshot | cut -d: -f1; }

# MODULE_ALIAS_GENL_FAMILY: the generic netlink lookup of family "vaio"
# (vaioctl's first request) loads dm-vaio.
ktap_check "dm-vaio is not loaded yet" sh -c '! grep -q "^dm_vaio " /proc/modules'
ktap_check "vaioctl filter list, dm-vaio not loaded" vaioctl filter list
ktap_check "the family's lookup loaded dm-vaio" grep -q "^dm_vaio " /proc/modules
ktap_eq "by the family's alias" \
	"$(grep -F family-vaio "/lib/modules/$(uname -r)/modules.alias")" \
	"alias net-pf-16-proto-16-family-vaio dm_vaio"

ktap_eq "the unprivileged user has no capability" "$(capeff nobody)" 0000000000000000
ktap_eq "the CAP_NET_ADMIN caller has that one only" "$(capeff netadmin)" 0000000000001000

vaioctl_setup
modprobe dm-vaio-test
brd_setup 64
size=$(dev_sectors /dev/ram0)
dm_create pv "0 $size vaio /dev/ram0 11 disk_id pv filter test-qos fail_open 1 ops=writes filter test-cache fail_open 0"

# Filter arguments: root only.
ktap_eq "root sees the filters' arguments" "$(args_seen)" ops=writes
ktap_eq "the unprivileged user does not" "$(args_seen nobody)" ""
ktap_eq "nor does CAP_NET_ADMIN alone" "$(args_seen netadmin)" ""
ktap_eq "both still see the filters' states" \
	"$(netadmin vaioctl -j disk show pv | jq -r '[.filters[].state] | join(" ")')" \
	"active active"

# Snapshot events.
for who in nobody netadmin; do
	vaioctl_bad "$who: snapshot refused" \
		"permission denied \(needs CAP_SYS_ADMIN\)" $who vaioctl event snapshot pv t1
done
ktap_eq "no refused snapshot reached the filter" "$(snapshots)" 0
ktap_check "root sends a snapshot" vaioctl event snapshot pv t1
ktap_eq "it reached the filter" "$(snapshots)" 1

# Reactivation.
dmsetup message pv 0 test-qos error
ktap_eq "test-qos failed (bypassed)" "$(vaio_filter_state pv test-qos)" bypassed
for who in nobody netadmin; do
	vaioctl_bad "$who: reactivate refused" \
		"permission denied \(needs CAP_SYS_ADMIN\)" $who vaioctl filter reactivate pv test-qos
done
ktap_eq "test-qos is still bypassed" "$(vaio_filter_state pv test-qos)" bypassed
ktap_check "root reactivates it" vaioctl filter reactivate pv test-qos
ktap_eq "test-qos is active" "$(vaio_filter_state pv test-qos)" active

# Chain checks (they may load filter modules): a policy checked by the
# kernel before it is recorded. uid 0 with CAP_NET_ADMIN may write the
# records, so only the kernel's check refuses it.
vaioctl_bad "netadmin: chain check refused" \
	"checking the chain: permission denied \(needs CAP_SYS_ADMIN\)" \
	netadmin vaioctl policy create p1 test-qos:ops=reads
ktap_check "root creates the policy" vaioctl policy create p1 test-qos:ops=reads

# Every privileged request, raw (vaio-nlfuzz -p: its privilege cases as
# the caller): CHAIN_CHECK, DISK_EVENT, FILTER_REACTIVATE, FILTER_CALL and
# its dump refused with EPERM, FILTER_GET and DISK_GET answered.
for who in nobody netadmin; do
	out=$($who vaio-nlfuzz -p 2>&1) && rc=0 || rc=$?
	[ "$rc" = 0 ] || ktap_diag "$out"
	ktap_eq "$who: vaio-nlfuzz privilege cases" "$rc" 0
	ktap_eq "$who: ... all seven ran" "$(printf '%s\n' "$out" | grep -c '^ok [0-9]* - privilege:')" 7
done

ktap_check "the disk is removed" dm_remove pv
ktap_finish
