#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="async failover with a lag: demote waits until the peer holds every acknowledged write, or refuses and stays connected; after a link failure with unconfirmed writes, demote and the peer's promote end in a split brain, never in a resync that drops them"
TOPOLOGY=2host
TIMEOUT=900
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# netem HOST ARGS...: netem on HOST's way out; netem_off HOST.
netem() {
	local h="$1"
	shift
	repl_on "$h" "$TC qdisc replace dev eth0 root netem $*"
}
netem_off() { repl_on "$1" "$TC qdisc del dev eth0 root 2>/dev/null; true"; }

# write_pat SEED: 4,000 writes of 4 KiB (16,000 KiB of random data, the
# pattern kept in /tmp/pat) through d0 on vaio-a, each acknowledged
# before the next.
write_pat() {
	head -c 16000k /dev/urandom >/tmp/pat &&
	dd if=/tmp/pat of=/dev/mapper/d0 bs=4k count=4000 oflag=direct 2>/dev/null
}
pat_sum() { sha256sum </tmp/pat | cut -d' ' -f1; }
# disk_sum HOST: the first 16,000 KiB of HOST's data disk, below vaio.
disk_sum() {
	repl_on "$1" "dd if=$REPL_DATA bs=4k count=4000 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1"
}
lag() { repl_json a lag_bytes; }

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "sch_netem loads on a" modprobe sch_netem
ktap_check "sch_netem loads on b" vaio_peer 'modprobe sch_netem'

# 1. The documented failover over a slow link: demote waits for the lag.
ktap_check "1: async pair set up" repl_pair async
ktap_check "1: 200 ms on vaio-a's way out" netem a delay 200ms
ktap_check "1: 4,000 writes acknowledged on a" write_pat
l=$(lag)
ktap_diag "lag after the writes: $l bytes"
ktap_check "1: a lag built up" test "${l:-0}" -gt 0
ktap_check "1: demote a (waits for the peer)" vaioctl repl demote d0 --timeout 120
ktap_eq "1: the lag was gone when demote returned" "$(lag)" 0
ktap_eq "1: b's disk holds every acknowledged write" "$(disk_sum b)" "$(pat_sum)"
netem_off a
ktap_check "1: promote b (no force: it is up to date)" vaio_peer 'vaioctl repl promote d0'
ktap_check "1: a comes back as b's secondary, in sync" \
	vaio_peer 'vaioctl repl wait d0 --synced --timeout 60'
ktap_eq "1: a's disk still holds them" "$(disk_sum a)" "$(pat_sum)"
ktap_check "1: both disks byte-identical" repl_checksum_both
repl_teardown

# 2. A link too slow to drain within --timeout: refused, still primary and
# connected; it goes through once the link is back.
ktap_check "2: async pair set up" repl_pair async
ktap_check "2: 1 Mbit/s on vaio-a's way out" netem a delay 20ms rate 1mbit
ktap_check "2: 4,000 writes acknowledged on a" write_pat
ktap_fails "2: demote --timeout 3 refused (the peer lacks writes)" \
	vaioctl repl demote d0 --timeout 3
ktap_eq "2: a is still primary" "$(repl_json a role)" primary
ktap_match "2: and connected" "$(repl_json a conn)" '^(connected|sync-source)$'
ktap_check "2: the lag is still there" test "$(lag)" -gt 0
netem_off a
ktap_check "2: demote goes through once the lag drains" vaioctl repl demote d0 --timeout 120
ktap_eq "2: b's disk holds every acknowledged write" "$(disk_sum b)" "$(pat_sum)"
repl_teardown

# 3. The link fails with writes unconfirmed (b's answers held back 2 s).
# a demoted while cut, b promoted (it is a consistent prefix): at the
# reconnect a's writes must not be resynced away.
ktap_check "3: async pair set up" repl_pair async
gen0=$(repl_json a gen)
ktap_check "3: b's answers delayed 2 s" netem b delay 2s
ktap_check "3: 4,000 writes acknowledged on a" write_pat
l=$(lag)
ktap_check "3: a lag when the link fails ($l bytes)" test "${l:-0}" -gt 0
ktap_check "3: the replication port cut" repl_cut
ktap_check "3: a notices" vaioctl repl wait d0 --conn waiting --timeout 30
netem_off b
ktap_check "3: a made a new generation for the unconfirmed writes" \
	sh -c "test '$(repl_json a gen)' != '$gen0' && test '$(repl_json a 'history[0]')' = '$gen0'"
ktap_check "3: demote a while cut" vaioctl repl demote d0
ktap_check "3: b notices" vaio_peer 'vaioctl repl wait d0 --conn waiting --timeout 30'
ktap_check "3: promote b" vaio_peer 'vaioctl repl promote d0'
sum_a=$(disk_sum a)
ktap_eq "3: a's disk holds every acknowledged write" "$sum_a" "$(pat_sum)"
repl_uncut
sleep 8
ktap_eq "3: a stays disconnected (split brain)" "$(repl_json a conn)" waiting
ktap_match "3: vaiod says why" "$(cat /tmp/vaiod.log; vaio_peer 'cat /tmp/vaiod.log')" "split brain"
ktap_eq "3: a's writes are still on a's disk" "$(disk_sum a)" "$sum_a"
repl_teardown
ktap_finish
