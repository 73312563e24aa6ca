#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaiod SIGHUP mid-fio on both sides, vaio-b's vaiod a user other than root with CAP_NET_ADMIN only: the same vaiods go on, the connection and the data survive, the new listen= and tls= take effect; a wrong file is logged and changes nothing"
TOPOLOGY=2host
TIMEOUT=400
CHECK=full                 # make check's 30 minutes would not hold it (vaiod's SIGHUP; repl/vaiod-config checks its configuration in CI)
KCONFIG="CONFIG_TLS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

CONF=/tmp/vaiod.conf
NOBODY=65534

# conf HOST LINES: HOST's vaiod.conf, LINES as printf's format.
conf() {
	repl_on "$1" "printf '$2' >$CONF"
}

# listening HOST PORT: HOST listens on PORT (busybox netstat: the guests
# have no ss).
listening() {
	repl_on "$1" "netstat -ltn" | awk '{ print $4 }' | grep -q ":$2\$"
}

# new_log HOST: the lines HOST's vaiod logged since log_mark.
log_mark() {
	mark_a=$(wc -l </tmp/vaiod.log)
	mark_b=$(vaio_peer 'wc -l </tmp/vaiod.log')
}
new_log() {
	if [ "$1" = a ]; then
		tail -n +$((mark_a + 1)) /tmp/vaiod.log
	else
		vaio_peer "tail -n +$((mark_b + 1)) /tmp/vaiod.log"
	fi
}

# tls_stat HOST NAME: a counter of HOST's /proc/net/tls_stat.
tls_stat() {
	repl_on "$1" "awk '\$1 == \"$2\" { print \$2 }' /proc/net/tls_stat"
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "vaio-a: kernel TLS (modprobe tls)" modprobe tls
ktap_check "vaio-b: kernel TLS (modprobe tls)" vaio_peer 'modprobe tls'

# A vaiod that lacks CAP_NET_ADMIN says so when it starts. (util-linux's
# setpriv: busybox's, first in PATH, cannot change the uid.)
out=$(/usr/bin/setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups --inh-caps=-all \
	--bounding-set=-all timeout 2 vaiod -c /dev/null -l 127.0.0.1:7799 2>&1)
ktap_match "vaiod without CAP_NET_ADMIN says so" "$out" '^<4>no CAP_NET_ADMIN'

# vaio-a's vaiod is root's; vaio-b's runs as nobody with CAP_NET_ADMIN
# only, as vaiod.service runs it, and its secret file is nobody's.
conf a 'listen = 192.0.2.1:7790\n'
conf b '# vaio-b\nlisten = 192.0.2.2:7790\ntls = no\n'
repl_secret_nobody() {
	repl_secret && vaio_peer "chown $NOBODY $REPL_SECRET"
}
ktap_check "fresh disks" repl_disks "$REPL_MIB" "$REPL_MIB"
ktap_check "the secret: vaio-b's is nobody's" repl_secret_nobody
ktap_check "d0 on vaio-a" repl_up a sync "$REPL_MIB"
ktap_check "d0 on vaio-b" repl_up b sync "$REPL_MIB"
ktap_check "vaio-a: vaiod -c $CONF, as root" \
	sh -c "vaiod -v -c $CONF >>/tmp/vaiod.log 2>&1 </dev/null &"
ktap_check "vaio-b: vaiod -c $CONF, as nobody with CAP_NET_ADMIN only" \
	vaio_peer "/usr/bin/setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin \
		--bounding-set=-all,+net_admin vaiod -v -c $CONF \
		>>/tmp/vaiod.log 2>&1 </dev/null &"
sleep 0.5
ktap_eq "vaio-b: vaiod runs as uid $NOBODY" \
	"$(vaio_peer "stat -c %u /proc/\$(pidof vaiod)")" "$NOBODY"
ktap_check "vaio-b: secondary" vaio_peer 'vaioctl repl init d0 --secondary'
ktap_check "vaio-a: primary" vaioctl repl init d0 --primary --skip-initial-sync
ktap_check "connected and in sync (vaio-b's vaiod not root)" \
	vaioctl repl wait d0 --synced --timeout 30
pid_a=$(pidof vaiod)
pid_b=$(vaio_peer 'pidof vaiod')
connects=$(repl_json a connects)

# SIGHUP mid-fio, with a new file on each side: vaio-b listens on another
# port too, both turn TLS on for the next connection.
fio_verify /dev/mapper/d0 --size=64m --randseed=93 --runtime=12 --time_based >/tmp/fio.out 2>&1 &
fp=$!
sleep 3
conf a 'listen = 192.0.2.1:7790\ntls = yes\n'
conf b 'listen = 192.0.2.2:7790\nlisten = 127.0.0.1:7791\ntls = yes\n'
log_mark
before=$(repl_json a acked_writes)
kill -HUP "$pid_a"
vaio_peer "kill -HUP $pid_b"
sleep 3
after=$(repl_json a acked_writes)
ktap_eq "vaio-a: the same vaiod after SIGHUP" "$(pidof vaiod)" "$pid_a"
ktap_eq "vaio-b: the same vaiod after SIGHUP" "$(vaio_peer 'pidof vaiod')" "$pid_b"
ktap_match "vaio-a: vaiod says it reloaded" "$(new_log a)" \
	'<6>reloaded: listen 192\.0\.2\.1:7790, tls yes'
ktap_match "vaio-b: vaiod says it reloaded" "$(new_log b)" \
	'<6>reloaded: listen 192\.0\.2\.2:7790 127\.0\.0\.1:7791, tls yes'
ktap_check "writes still replicated ($before -> $after acknowledged)" \
	test "$after" -gt "$before"
wait $fp
ktap_eq "fio verify across the SIGHUPs" "$?" 0
ktap_eq "the connection is the one before ($connects connects)" \
	"$(repl_json a connects)" "$connects"
ktap_eq "vaio-a: connected" "$(repl_json a conn)" connected
ktap_check "in sync, nothing resynced" vaioctl repl wait d0 --synced --timeout 30
ktap_eq "nothing resynced" "$(repl_json a resynced_bytes)" 0
ktap_check "both disks byte-identical" repl_checksum_both

# The new files took effect: vaio-b listens on 7791 too, and the next
# connection is in the kernel's TLS.
ktap_check "vaio-b: listening on 127.0.0.1:7791" listening b 7791
ktap_check "vaio-b: still listening on 7790" listening b 7790
ktap_eq "no TLS connection yet" "$(tls_stat a TlsCurrTxSw)" 0
ktap_check "vaio-a: disconnected" vaioctl repl disconnect d0
ktap_check "reconnected by vaiod" vaioctl repl wait d0 --synced --timeout 60
ktap_eq "the new connection sends in kernel TLS" "$(tls_stat a TlsCurrTxSw)" 1
ktap_eq "vaio-b: and receives in kernel TLS" "$(tls_stat b TlsCurrRxSw)" 1
ktap_match "vaio-a: vaiod says so" "$(new_log a)" \
	"connected to .*TLS 1.3 AES-128-GCM in the kernel"

# A wrong file: logged with its line, and nothing changes.
conf b 'listen = 127.0.0.1:7792\nlisten_on = 7790\n'
log_mark
vaio_peer "kill -HUP $pid_b"
sleep 1
ktap_eq "vaio-b: the same vaiod after a wrong file" "$(vaio_peer 'pidof vaiod')" "$pid_b"
ktap_match "vaio-b: it says why, and keeps the old one" "$(new_log b)" \
	"^<3>reload failed: $CONF:2: unknown key 'listen_on' .*; going on as before"
ktap_check "vaio-b: still listening on 7791" listening b 7791
ktap_fails "vaio-b: not listening on 7792" listening b 7792
# An address it cannot have: the same.
conf b 'listen = 192.0.2.99:7790\n'
log_mark
vaio_peer "kill -HUP $pid_b"
sleep 1
ktap_match "vaio-b: an address it cannot listen on is refused" "$(new_log b)" \
	'^<3>reload failed: cannot listen on 192\.0\.2\.99:7790: .*; going on as before'
ktap_check "vaio-b: still listening on 7790" listening b 7790
ktap_check "vaio-b: still listening on 7791" listening b 7791
ktap_check "still connected and in sync" vaioctl repl wait d0 --synced --timeout 30
ktap_eq "... on the TLS connection" "$(tls_stat a TlsCurrTxSw)" 1

repl_teardown
ktap_finish
