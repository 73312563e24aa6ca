#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaiod.service: vaiod runs as the user vaiod with CAP_NET_ADMIN only, SIGHUP reloads it; systemd-analyze security rates the unit at most 4.0 and every item it leaves exposed is explained in the unit (skipped without systemd-analyze --offline)"
HOST=1
TIMEOUT=60
# Runs on the host: reads userspace/vaiod/vaiod.service as make install
# writes it, nothing is installed or started.
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
unit=$top/userspace/vaiod/vaiod.service
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The unit as installed (UNIT_SUBST of userspace/Makefile).
sed 's,@SBINDIR@,/usr/sbin,g' "$unit" >"$tmp/vaiod.service"
set_to() { sed -n "s/^$1=//p" "$tmp/vaiod.service"; }

user=$(set_to User)
ktap_check "User= is set, not root (${user:-none})" \
	test -n "$user" -a "$user" != root -a "$user" != 0
ktap_eq "CapabilityBoundingSet=: CAP_NET_ADMIN only" \
	"$(set_to CapabilityBoundingSet)" CAP_NET_ADMIN
ktap_eq "AmbientCapabilities=: CAP_NET_ADMIN only" \
	"$(set_to AmbientCapabilities)" CAP_NET_ADMIN
ktap_match "ExecReload= sends SIGHUP" "$(set_to ExecReload)" 'kill -HUP [$]MAINPID$'

if ! command -v systemd-analyze >/dev/null; then
	ktap_skip "systemd-analyze security: at most 4.0" "no systemd-analyze"
	ktap_finish
	exit
fi
out=$(systemd-analyze security --offline=yes "$tmp/vaiod.service" 2>&1) && rc=0 || rc=$?
score=$(printf '%s\n' "$out" |
	sed -n 's/^.*Overall exposure level for vaiod\.service: \([0-9.]*\) .*$/\1/p')
if [ -z "$score" ] && printf '%s\n' "$out" | grep -q -- '--offline'; then
	ktap_skip "systemd-analyze security: at most 4.0" \
		"systemd-analyze has no --offline (systemd before 250)"
	ktap_finish
	exit
fi
if [ -z "$score" ]; then
	ktap_diag "exit $rc" "$out"
	ktap_fail "systemd-analyze security rates vaiod.service"
	ktap_finish
	exit
fi
ktap_check "systemd-analyze security: $score, at most 4.0" \
	awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }'

# Each item still exposed ("✗ NAME  DESCRIPTION  EXPOSURE") is named, as
# systemd-analyze names it, in a comment of the unit that says why.
missing=
while read -r name; do
	grep '^#' "$unit" | grep -qF -- "$name" || missing="$missing $name"
done < <(printf '%s\n' "$out" | sed -n 's/^✗ \([^ ]*\) .*/\1/p')
ktap_eq "every exposed item is explained in the unit" "${missing# }" ""
ktap_finish
