#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaio-generator: vaio-apply.service waits for the device units of every device the records name (disks, pools, a policy's meta=) but a LUKS2 data area (vaio-NAME-data), named as systemd-escape names them, each once; a record that does not read is named and left out; no records, no drop-in; a drop-in it cannot write fails it"
HOST=1
TIMEOUT=60
# Runs on the host: the generator reads files and writes a drop-in.
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
# make check: the sanitizer build (VAIO_USERSPACE).
gen=${VAIO_USERSPACE:-$top/userspace}/generator/vaio-generator
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
conf=$tmp/conf
mkdir -p "$conf/disks" "$conf/pools" "$conf/policies" "$tmp/out"

# run OUT_DIR: the generator on $conf, as systemd runs it; its stderr in
# $tmp/err.
run() { VAIO_CONFDIR=$conf "$gen" "$1" "$tmp/early" "$tmp/late" 2>"$tmp/err"; }
dropin=$tmp/out/vaio-apply.service.d/50-vaio-devices.conf

ktap_check "no records: exit 0" run "$tmp/out"
ktap_eq "no records: no drop-in" "$(find "$tmp/out" -type f)" ""

# Two disks (one with a policy naming a meta device), a pool on two
# devices, one of them a disk's too; a disk record that does not parse.
cat >"$conf/disks/vm1.json" <<'EOF'
{"disk": "vm1", "device": "/dev/disk/by-id/virtio-vm1-disk", "policy": "repl"}
EOF
cat >"$conf/disks/vm2.json" <<'EOF'
{"disk": "vm2", "device": "/dev/mapper/vg0-lv.data", "policy": null}
EOF
printf '{"disk": "bad",\n' >"$conf/disks/bad.json"
# On a LUKS2 data area: only vaioctl crypt open makes it, not waited for.
cat >"$conf/disks/enc.json" <<'EOF'
{"disk": "enc", "device": "/dev/mapper/vaio-enc-data", "policy": null}
EOF
cat >"$conf/policies/repl.json" <<'EOF'
{"policy": "repl", "components": ["replication:mode=sync,peer=192.0.2.2:7790,meta=/dev/disk/by-partlabel/vaio-meta"]}
EOF
cat >"$conf/pools/fast.json" <<'EOF'
{"pool": "fast", "devices": ["/dev/nvme0n1p3", "/dev/disk/by-id/virtio-vm1-disk"]}
EOF
# Paths as systemd normalizes them ("." left out, a dot inside kept),
# and one it refuses ("..").
cat >"$conf/pools/odd.json" <<'EOF'
{"pool": "odd", "devices": ["/dev/./sdz", "/dev//.hidden/x/.", "/dev/disk/../sdy"]}
EOF
ktap_check "records: exit 0 (a bad record does not fail it)" run "$tmp/out"
ktap_match "the bad record is named" "$(cat "$tmp/err")" 'disk bad: .*bad.json'
ktap_match "a path with '..' is named and left out" "$(cat "$tmp/err")" '/dev/disk/\.\./sdy: no unit name'
units='dev-.hidden-x.device
dev-disk-by\x2did-virtio\x2dvm1\x2ddisk.device
dev-disk-by\x2dpartlabel-vaio\x2dmeta.device
dev-mapper-vg0\x2dlv.data.device
dev-nvme0n1p3.device
dev-sdz.device'
ktap_eq "Wants= each device's unit, once" \
	"$(sed -n 's/^Wants=//p' "$dropin" | sort)" "$units"
ktap_eq "After= the same" "$(sed -n 's/^After=//p' "$dropin" | sort)" "$units"
ktap_eq "in a [Unit] section" "$(grep -c '^\[Unit\]$' "$dropin")" 1
if command -v systemd-escape >/dev/null; then
	want=$(for p in /dev/disk/by-id/virtio-vm1-disk /dev/disk/by-partlabel/vaio-meta \
		/dev/mapper/vg0-lv.data /dev/nvme0n1p3 /dev/./sdz /dev//.hidden/x/.; do
		systemd-escape --path --suffix=device "$p"; done | sort)
	ktap_eq "the names systemd-escape gives" "$units" "$want"
else
	ktap_skip "systemd-escape not installed: names checked against the list only"
fi

ktap_fails "an output directory it cannot write: non-zero" run "$tmp/none/out"
ktap_match "and said why" "$(cat "$tmp/err")" 'vaio-generator: .*none/out'
ktap_fails "wrong arguments: non-zero" "$gen"
ktap_finish
