#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaiod's configuration file and SIGHUP, on the host: listen= on IPv4 and IPv6 loopback, a reload moves it to another port in the same process, a wrong key or value, an address it cannot have and a missing file are logged with the reason and change nothing; at the start they are refused with exit status 2 or 1"
HOST=1
TIMEOUT=60
# Runs on the host: vaiod listens on 127.0.0.1 and ::1 only, on ports of
# its own; no kernel module is needed (it waits for it).
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
# make check: the sanitizer build (VAIO_USERSPACE).
vaiod=${VAIO_USERSPACE:-$top/userspace}/vaiod/vaiod
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
conf=$tmp/vaiod.conf
log=$tmp/vaiod.log
p1=$((20000 + $$ % 20000))
p2=$((p1 + 1))
v6=0
[ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' && v6=1

# listens ADDR:PORT: some socket listens there (ss's notation).
listens() {
	ss -Hltn "sport = :${1##*:}" | awk '{ print $4 }' | grep -qxF -- "$1"
}
# hup: SIGHUP, then the log lines it brought.
hup() {
	local mark
	mark=$(wc -l <"$log")
	kill -HUP "$pid"
	sleep 0.5
	tail -n +$((mark + 1)) "$log"
}

# Refused at the start.
printf 'listen = 127.0.0.1:%s\nlisten_on = 1\n' "$p1" >"$conf"
out=$("$vaiod" -c "$conf" 2>&1) && rc=0 || rc=$?
ktap_eq "a wrong key at the start: exit 2" "$rc" 2
ktap_match "... with file, line and key" "$out" \
	"^<3>$conf:2: unknown key 'listen_on' \(listen, tls or verbose\)$"
printf 'tls = maybe\n' >"$conf"
out=$("$vaiod" -c "$conf" 2>&1) && rc=0 || rc=$?
ktap_match "a wrong value at the start: exit 2 ($rc)" "$rc $out" \
	"^2 <3>$conf:1: tls = 'maybe': expected yes or no$"
out=$("$vaiod" -c "$tmp/none" 2>&1) && rc=0 || rc=$?
ktap_match "a missing --config file: exit 2 ($rc)" "$rc $out" \
	"^2 <3>$tmp/none: No such file or directory$"
printf 'listen = 192.0.2.99:%s\n' "$p1" >"$conf"
out=$("$vaiod" -c "$conf" 2>&1) && rc=0 || rc=$?
ktap_eq "an address it cannot have: exit 1" "$rc" 1
ktap_match "... saying why" "$out" \
	"^<3>cannot listen on 192\.0\.2\.99:$p1: Cannot assign requested address$"
out=$("$vaiod" -c /dev/null -l '[::1' 2>&1) && rc=0 || rc=$?
ktap_match "a wrong --listen: exit 2 ($rc)" "$rc $out" \
	"^2 vaiod: --listen '\[::1': expected \[ADDRESS\]:PORT$"

# Started: IPv4 and IPv6 loopback, a comment, blank lines.
{
	echo "# a comment"
	echo
	echo "listen = 127.0.0.1:$p1   # IPv4"
	[ "$v6" = 1 ] && echo "listen=[::1]:$p1"
	echo "verbose = no"
} >"$conf"
"$vaiod" -c "$conf" >"$log" 2>&1 </dev/null &
pid=$!
sleep 0.5
ktap_check "vaiod runs" kill -0 "$pid"
ktap_check "listening on 127.0.0.1:$p1" listens "127.0.0.1:$p1"
if [ "$v6" = 1 ]; then
	ktap_check "listening on [::1]:$p1" listens "[::1]:$p1"
else
	ktap_skip "listening on [::1]:$p1" "no IPv6 loopback"
fi

# A reload: to another port, the same process.
printf 'listen = 127.0.0.1:%s\ntls = yes\n' "$p2" >"$conf"
out=$(hup)
ktap_check "the same vaiod after SIGHUP" kill -0 "$pid"
ktap_match "it says what it did" "$out" \
	"^<6>reloaded: listen 127\.0\.0\.1:$p2, tls yes, verbose no$"
ktap_match "... with the sockets" "$out" "^<6>listening on 127\.0\.0\.1:$p2$"
ktap_check "listening on 127.0.0.1:$p2" listens "127.0.0.1:$p2"
ktap_fails "no longer on 127.0.0.1:$p1" listens "127.0.0.1:$p1"
ktap_fails "no longer on [::1]:$p1" listens "[::1]:$p1"

# Wrong files: logged, nothing changes.
printf 'listen = 127.0.0.1:%s\nbogus\n' "$p1" >"$conf"
ktap_match "a line without =: refused" "$(hup)" \
	"^<3>reload failed: $conf:2: 'bogus': expected KEY = VALUE; going on as before$"
printf 'listen = 127.0.0.1:%s\nlisten = 192.0.2.99:%s\n' "$p1" "$p1" >"$conf"
ktap_match "an address it cannot have: refused" "$(hup)" \
	"^<3>reload failed: cannot listen on 192\.0\.2\.99:$p1: Cannot assign requested address; going on as before$"
ktap_fails "... and its other address not taken" listens "127.0.0.1:$p1"
printf 'listen = 127.0.0.1:%s\n' "$(printf '%0600d' 1)" >"$conf"
ktap_match "a line too long: refused" "$(hup)" \
	"^<3>reload failed: $conf:1: longer than 512 characters; going on as before$"
rm -f "$conf"
ktap_match "the --config file gone: refused" "$(hup)" \
	"^<3>reload failed: $conf: No such file or directory; going on as before$"
ktap_check "the same vaiod after them all" kill -0 "$pid"
ktap_check "still listening on 127.0.0.1:$p2" listens "127.0.0.1:$p2"

kill "$pid"
wait "$pid" && rc=0 || rc=$?
pid=
ktap_eq "SIGTERM: exit 0" "$rc" 0
ktap_finish
