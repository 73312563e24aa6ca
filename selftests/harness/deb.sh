#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="Debian packages: make deb builds dm-vaio-dkms and dm-vaio-utils at VERSION's version (debian/changelog's), with the files, metadata, maintainer scripts and hardening they should have; DKMS builds and installs the -dkms sources for the guest kernel (in a scratch tree), and a guest with those modules and the -utils programs runs a cache disk under fio verify"
HOST=1
CHECK=full                 # the packages, not dm-vaio's data path (126 s of a slot): make check-full
TIMEOUT=600
# Runs on the host. Nothing is installed on it: the packages are built in
# a temporary directory (make deb DEBDIR=), unpacked with dpkg-deb -x, and
# DKMS works in trees of its own there (--dkmstree, --sourcetree,
# --installtree, its signing key too); the guest boots an initramfs of
# those modules and programs (build/vm/KVER-deb/) and runs
# tools/vm/testdata/deb-use.sh.
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$("$top/tools/vm/guest-kver")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The makes below are this test's own, not its caller's (make check).
unset MAKEFLAGS MFLAGS MAKELEVEL
version=$(cat "$top/VERSION")
deb=$tmp/deb

# --------------------------------------------------------- the changelog
ktap_eq "debian/changelog: the upstream version is VERSION's" \
	"$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version | sed 's/-[^-]*$//')" "$version"
ktap_eq "debian/changelog: the source package dm-vaio" \
	"$(dpkg-parsechangelog -l "$top/debian/changelog" -S Source)" dm-vaio
debver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)

# ------------------------------------------------------------- make deb
start=$SECONDS
if make -C "$top" deb DEBDIR="$deb" >"$tmp/deb.log" 2>&1; then
	ktap_ok "make deb ($((SECONDS - start)) s)"
else
	ktap_diag "make deb failed:" "$(tail -n 30 "$tmp/deb.log")"
	ktap_fail "make deb"
	ktap_finish
	exit
fi
dkms_deb=$deb/dm-vaio-dkms_${debver}_all.deb
utils_deb=$deb/dm-vaio-utils_${debver}_$(dpkg --print-architecture).deb
ktap_check "make deb: $(basename "$dkms_deb")" test -f "$dkms_deb"
ktap_check "make deb: $(basename "$utils_deb")" test -f "$utils_deb"
ktap_eq "make deb: nothing written outside DEBDIR's src/ but the packages' files" \
	"$(cd "$deb" && find . -mindepth 1 -maxdepth 1 ! -name src ! -name '*.deb' \
		! -name '*.buildinfo' ! -name '*.changes')" ""

# ------------------------------------------------------------- metadata
field() { dpkg-deb -f "$1" "$2" 2>&1; }
ktap_eq "dm-vaio-dkms: Package Source Version Architecture" \
	"$(field "$dkms_deb" Package) $(field "$dkms_deb" Source) $(field "$dkms_deb" Version) $(field "$dkms_deb" Architecture)" \
	"dm-vaio-dkms dm-vaio $debver all"
ktap_match "dm-vaio-dkms: Depends dkms" "$(field "$dkms_deb" Depends)" '(^|, )dkms( |,|$)'
ktap_eq "dm-vaio-utils: Package Source Version Architecture" \
	"$(field "$utils_deb" Package) $(field "$utils_deb" Source) $(field "$utils_deb" Version) $(field "$utils_deb" Architecture)" \
	"dm-vaio-utils dm-vaio $debver $(dpkg --print-architecture)"
ktap_match "dm-vaio-utils: Depends the libraries and systemd-sysusers" \
	"$(field "$utils_deb" Depends)" 'libmnl0.*libjson-c|libjson-c.*libmnl0'
ktap_match "... and a systemd-sysusers" "$(field "$utils_deb" Depends)" 'systemd-sysusers'

# ------------------------------------------------------------- contents
files() { dpkg -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | sort; }
src=usr/src/dm-vaio-$version
ktap_eq "dm-vaio-dkms: dkms.conf, the top Makefile, Kbuild, VERSION, LICENSE" \
	"$(files "$dkms_deb" | grep -E "^$src/[^/]*$" | sed "s,^$src/,," | tr '\n' ' ')" \
	"Kbuild LICENSE Makefile VERSION dkms.conf "
ktap_eq "dm-vaio-dkms: the sources of dm-vaio/ and include/ but the test filter's and KUnit's" \
	"$(files "$dkms_deb" | grep -E "^$src/(dm-vaio|include)/" | sed "s,^$src/,,")" \
	"$(cd "$top" && git ls-files dm-vaio include | grep -Ev 'vaio-test|kunit' | sort)"
ktap_eq "dm-vaio-dkms: nothing else but its doc" \
	"$(files "$dkms_deb" | grep -Ev "^($src/|usr/share/doc/dm-vaio-dkms/)")" ""
ktap_eq "dm-vaio-utils: programs, generator, units, sysusers, man pages, completion" \
	"$(files "$utils_deb" | grep -v '^usr/share/doc/dm-vaio-utils/' | tr '\n' ' ')" \
	"lib/systemd/system-generators/vaio-generator lib/systemd/system/vaio-apply.service lib/systemd/system/vaiod.service usr/lib/sysusers.d/vaiod.conf usr/sbin/vaioctl usr/sbin/vaiod usr/share/bash-completion/completions/vaioctl usr/share/man/man8/vaio-generator.8.gz usr/share/man/man8/vaioctl.8.gz usr/share/man/man8/vaiod.8.gz "
dpkg-deb -x "$dkms_deb" "$tmp/dkms-root"
dpkg-deb -x "$utils_deb" "$tmp/utils-root"
ktap_eq "dm-vaio-dkms: dkms.conf is the tree's" \
	"$(cmp "$top/dkms.conf" "$tmp/dkms-root/$src/dkms.conf" 2>&1)" ""
ktap_eq "the units run /usr/sbin's programs" \
	"$(grep -h '^Exec[A-Za-z]*=/usr/sbin/' "$tmp/utils-root/lib/systemd/system/"*.service | sort)" \
	"ExecReload=/usr/sbin/vaioctl apply
ExecStart=/usr/sbin/vaioctl apply
ExecStart=/usr/sbin/vaiod
ExecStop=/usr/sbin/vaioctl apply --down"
ktap_eq "vaioctl -V, vaiod -V: VERSION" \
	"$("$tmp/utils-root/usr/sbin/vaioctl" -V 2>&1), $("$tmp/utils-root/usr/sbin/vaiod" -V 2>&1)" \
	"vaioctl $version, vaiod $version"
ktap_eq "the man pages: VERSION" \
	"$(zcat "$tmp/utils-root/usr/share/man/man8/"*.8.gz | sed -n 's/^\.TH .*"dm-vaio \([^"]*\)".*/\1/p' | sort -u)" \
	"$version"

# Hardening (dpkg-buildflags, hardening=+all): each program a PIE, bound
# now, with a read-only relocation table, the stack protector and
# _FORTIFY_SOURCE's checked calls.
bad=
for p in usr/sbin/vaioctl usr/sbin/vaiod lib/systemd/system-generators/vaio-generator; do
	f=$tmp/utils-root/$p
	dyn=$(readelf -d "$f") syms=$(readelf --dyn-syms -W "$f") hdr=$(readelf -lW "$f")
	grep -q 'FLAGS_1.*PIE' <<<"$dyn" || bad+=" $p:PIE"
	grep -q 'BIND_NOW' <<<"$dyn" || bad+=" $p:BIND_NOW"
	grep -q 'GNU_RELRO' <<<"$hdr" || bad+=" $p:RELRO"
	grep -q '__stack_chk_fail' <<<"$syms" || bad+=" $p:stack-protector"
	grep -Eq '__[a-z_]+_chk' <<<"$syms" || bad+=" $p:fortify"
done
ktap_eq "hardened: PIE, BIND_NOW, RELRO, stack protector, fortify" "${bad# }" ""

# ---------------------------------------------------- maintainer scripts
dpkg-deb -e "$utils_deb" "$tmp/utils-ctl"
dpkg-deb -e "$dkms_deb" "$tmp/dkms-ctl"
post=$tmp/utils-ctl/postinst
ktap_check "dm-vaio-utils postinst: systemd-sysusers makes the user vaiod" \
	grep -q 'systemd-sysusers.* vaiod.conf' "$post"
ktap_check "... enables vaio-apply.service" grep -q "deb-systemd-helper enable 'vaio-apply.service'" "$post"
ktap_check "... enables vaiod.service" grep -q "deb-systemd-helper enable 'vaiod.service'" "$post"
ktap_check "... starts vaiod.service" grep -q "deb-systemd-invoke \$_dh_action 'vaiod.service'" "$post"
# A (re)start of vaio-apply.service would take down the disks no VM has
# open (the unit says why): the package never starts, stops or restarts it.
ktap_eq "... never starts, stops or restarts vaio-apply.service" \
	"$(cat "$tmp/utils-ctl/postinst" "$tmp/utils-ctl/prerm" "$tmp/utils-ctl/postrm" 2>/dev/null |
		grep 'deb-systemd-invoke.*vaio-apply')" ""
# The prerm's own part (what debhelper added after it is not run here),
# with a dmsetup that shows a vaio disk, then one that shows none: removal
# refused while a disk is up, naming it; an upgrade is not.
mkdir -p "$tmp/fakebin"
sed '/^# (harness\/deb runs the script up to here)$/q' "$tmp/utils-ctl/prerm" >"$tmp/prerm-own"
printf '#!/bin/sh\necho "vm1: 0 2048 vaio 7:0 2 disk_id vm1"\n' >"$tmp/fakebin/dmsetup"
chmod +x "$tmp/fakebin/dmsetup"
out=$(PATH=$tmp/fakebin:$PATH sh "$tmp/prerm-own" remove 2>&1) && rc=0 || rc=$?
ktap_check "dm-vaio-utils prerm: removal refused while vaio disk vm1 is up" \
	test "$rc" = 1 -a -n "$(grep 'vaio disks are up: vm1' <<<"$out")"
ktap_check "... an upgrade is not refused for it" \
	env PATH="$tmp/fakebin:$PATH" sh "$tmp/prerm-own" upgrade 0.3.0-1
printf '#!/bin/sh\necho "No devices found"\n' >"$tmp/fakebin/dmsetup"
ktap_check "... removal with no vaio disk goes on" \
	env PATH="$tmp/fakebin:$PATH" sh "$tmp/prerm-own" remove
ktap_check "dm-vaio-dkms postinst: DKMS builds dm-vaio $version" \
	grep -q "^DKMS_VERSION=$version\$" "$tmp/dkms-ctl/postinst"

# ------------------------------------------------------------------ DKMS
# dkms install as the package's postinst has it run, in trees of its own:
# add, build (dkms.conf's MAKE[0], for the guest's kernel), install (into
# --installtree, no depmod). Signed with a key of its own, so that DKMS
# does not make one in /var/lib/dkms.
before=$(ls -A /var/lib/dkms 2>/dev/null)
mkdir -p "$tmp/dkms" "$tmp/inst/$kver"
start=$SECONDS
if mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub \
	dkms install -m dm-vaio -v "$version" -k "$kver" --dkmstree "$tmp/dkms" \
	--sourcetree "$tmp/dkms-root/usr/src" --installtree "$tmp/inst" --no-depmod \
	>"$tmp/dkms.log" 2>&1; then
	ktap_ok "dkms install for $kver ($((SECONDS - start)) s)"
else
	ktap_diag "$(tail -n 20 "$tmp/dkms.log")" \
		"$(tail -n 20 "$tmp/dkms/dm-vaio/$version/build/make.log" 2>/dev/null)"
	ktap_fail "dkms install for $kver"
fi
mods=$tmp/inst/$kver/updates/dkms
ktap_eq "dkms: the six modules installed, no test filter" \
	"$(cd "$mods" && echo *)" "dm-vaio-cache.ko dm-vaio-cbt.ko dm-vaio-crypt.ko dm-vaio-qos.ko dm-vaio-replication.ko dm-vaio.ko"
ktap_eq "dkms: /var/lib/dkms as it was" "$(ls -A /var/lib/dkms 2>/dev/null)" "$before"
if [[ ! -f $mods/dm-vaio.ko ]]; then
	ktap_finish
	exit
fi

# ----------------------------------------------------------- the guest
# Our modules: those DKMS installed; our programs: the package's.
initrd=$("$top/tools/vm/mkinitramfs" --kver "$kver" --out "$top/build/vm/$kver-deb" \
	--userspace "$tmp/utils-root" --modules "$mods" 2>"$tmp/initrd.log" | tail -n1)
ktap_check "an initramfs of them" test -s "$initrd"
start=$SECONDS
out=$(VAIO_INITRD=$initrd "$top/tools/vm/vaio-vm" --kver "$kver" \
	--run tools/vm/testdata/deb-use.sh --env VERSION="$version" --timeout 240 \
	--smp 1 --mem 1024 --quiet --logdir "$tmp/vm" 2>&1) && rc=0 || rc=$?
# The guest's KTAP, as a subtest.
tr -d '\r' <"$tmp/vm/result-a.log" | grep -v '^@@VAIO-' | sed 's/^/    /'
[[ $rc == 0 ]] || ktap_diag "vaio-vm: exit $rc" "$(tail -n 20 <<<"$out")"
ktap_eq "in the guest: the packaged vaioctl and the DKMS-built modules, a cache disk under fio verify ($((SECONDS - start)) s)" \
	"$rc" 0
ktap_eq "in the guest: the modules DKMS built" \
	"$(tr -d '\r' <"$tmp/vm/result-a.log" | sed -n 's,^# module \([0-9a-f]*\)  \./,\1 ,p')" \
	"$(cd "$mods" && md5sum ./*.ko | sed 's,  \./, ,')"
ktap_finish
