#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="DRBD (the replication anchor) replicates between the two guests: protocol C and A, fio verify on the primary, both replicas byte-identical"
TOPOLOGY=2host
CHECK=full                 # the harness and its anchors, not dm-vaio: make check-full
TIMEOUT=300
# In-tree DRBD 8.4 of 6.1 calls mutex_lock() in wait_for_work() while not
# TASK_RUNNING: the debug kernel's might_sleep check warns, and the harness
# fails any test a warning shows up in. DRBD is the anchor, not under test.
DEBUG_LANE=no
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# The same resource on both guests: /dev/ram0 (64 MiB) with internal
# metadata, replicated over the socket network.
res() {
	cat <<EOT
resource r0 {
	protocol $1;
	device /dev/drbd0;
	disk /dev/ram0;
	meta-disk internal;
	net { max-buffers 8000; sndbuf-size 0; }
	disk { c-max-rate 200M; resync-rate 200M; }
	on vaio-a { address 192.0.2.1:7789; }
	on vaio-b { address 192.0.2.2:7789; }
}
EOT
}
up() { # protocol, on this guest and the peer
	res "$1" >/etc/drbd.d/r0.res
	vaio_peer "cat >/etc/drbd.d/r0.res <<'EOT'
$(res "$1")
EOT"
	for cmd in "drbdadm create-md --force r0" "drbdadm up r0"; do
		$cmd >/tmp/drbd.log 2>&1 || { cat /tmp/drbd.log; return 1; }
		vaio_peer "$cmd" >/tmp/drbd.log 2>&1 || { cat /tmp/drbd.log; return 1; }
	done
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
brd_setup 64
vaio_peer 'modprobe brd rd_nr=1 rd_size=65536' >/dev/null
if ! modprobe drbd; then
	ktap_skip "DRBD" "this kernel has no drbd module"
	ktap_finish
fi
vaio_peer modprobe drbd >/dev/null
mkdir -p /var/lock && vaio_peer mkdir -p /var/lock
printf 'global { usage-count no; }\ncommon { }\ninclude "/etc/drbd.d/*.res";\n' >/etc/drbd.conf
vaio_peer "printf 'global { usage-count no; }\ncommon { }\ninclude \"/etc/drbd.d/*.res\";\n' >/etc/drbd.conf"

seed=7
for proto in C A; do
	# The peer starts from zeroes: what it holds afterwards came over the wire.
	vaio_peer 'dd if=/dev/zero of=/dev/ram0 bs=1M count=48 2>/dev/null'
	seed=$((seed + 1))
	ktap_check "protocol $proto: resource up on both" up $proto
	# A new pair: skip the initial sync, both sides are the same zeroes.
	# shellcheck disable=SC2016 # run by sh -c, expanded there
	ktap_check "protocol $proto: connected" sh -c \
		'for i in $(seq 1 50); do drbdadm cstate r0 | grep -q Connected && exit 0; sleep 0.2; done; drbdadm cstate r0; exit 1'
	drbdadm new-current-uuid --clear-bitmap r0 >/dev/null 2>&1
	ktap_check "protocol $proto: primary on vaio-a" drbdadm primary --force r0
	ktap_check "protocol $proto: fio verify through /dev/drbd0" \
		fio_verify /dev/drbd0 --size=48m --randseed=$seed
	# shellcheck disable=SC2016 # run by sh -c, expanded there
	ktap_check "protocol $proto: the peer is in sync" sh -c \
		'for i in $(seq 1 100); do drbdadm dstate r0 | grep -q "UpToDate/UpToDate" && exit 0; sleep 0.2; done; drbdadm dstate r0; exit 1'
	# Down on both; the data area (metadata is at the end) compared whole.
	drbdadm down r0
	local_sum=$(dd if=/dev/ram0 bs=1M count=48 2>/dev/null | md5sum)
	peer_sum=$(vaio_peer 'drbdadm down r0; dd if=/dev/ram0 bs=1M count=48 2>/dev/null | md5sum')
	ktap_eq "protocol $proto: both replicas byte-identical" "$peer_sum" "$local_sum"
	ktap_eq "protocol $proto: and they hold data" \
		"$(dd if=/dev/ram0 bs=1M count=48 2>/dev/null | tr -d '\0' | head -c 1 | wc -c)" 1
done
ktap_finish
