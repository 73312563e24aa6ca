#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="packaging: dkms.conf builds every module dm-vaio ships, where the build puts them, at VERSION's version, for the kernels make accepts; make install with another SBINDIR writes it into the units, make uninstall leaves no file; the packager's flags reach the compiler"
HOST=1
TIMEOUT=300
# Runs on the host: it reads dkms.conf and the Makefiles, builds for the
# guest kernel (a no-op after make check's build) and installs into a
# temporary DESTDIR (no depmod there, nothing written outside it).
. "$(dirname "$0")/../lib/ktap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$("$top/tools/vm/guest-kver")
kdir=/usr/src/linux-headers-$kver
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The makes below are this test's own, not its caller's (make check).
unset MAKEFLAGS MFLAGS MAKELEVEL

version=$(cat "$top/VERSION")
ktap_match "VERSION holds a version" "$version" '^[0-9]+\.[0-9]+\.[0-9]+$'

# The modules dm-vaio ships: every obj-m of dm-vaio/Kbuild but the
# selftests' filter.
shipped=$(sed -n 's/^obj-m[[:space:]]*+=[[:space:]]*\([^[:space:]]*\)\.o$/\1/p' \
	"$top/dm-vaio/Kbuild" | grep -vx dm-vaio-test | sort)
ktap_eq "dm-vaio/Kbuild names dm-vaio, its filters, not the test filter" \
	"$shipped" "$(printf '%s\n' dm-vaio dm-vaio-cache dm-vaio-cbt dm-vaio-crypt dm-vaio-qos dm-vaio-replication)"

# (a) dkms.conf as dkms reads it: sourced by bash, kernelver and
# kernel_source_dir set; one line per variable, one per module.
conf=$(cd "$top" && kernelver=$kver kernel_source_dir=$kdir bash -c '
	set -eu
	. ./dkms.conf >/dev/null
	echo "name $PACKAGE_NAME"
	echo "version $PACKAGE_VERSION"
	echo "exclusive $BUILD_EXCLUSIVE_KERNEL"
	echo "make ${MAKE[0]}"
	for i in "${!BUILT_MODULE_NAME[@]}"; do
		echo "module ${BUILT_MODULE_NAME[i]} ${BUILT_MODULE_LOCATION[i]} ${DEST_MODULE_LOCATION[i]}"
	done' 2>&1) && rc=0 || rc=$?
ktap_eq "dkms.conf reads" "$rc" 0
get() { sed -n "s/^$1 //p" <<<"$conf"; }
ktap_eq "dkms.conf: PACKAGE_NAME" "$(get name)" dm-vaio
ktap_eq "dkms.conf: PACKAGE_VERSION is VERSION's" "$(get version)" "$version"
ktap_eq "dkms.conf: the modules dm-vaio ships" \
	"$(get module | cut -d' ' -f1 | sort)" "$shipped"

# Where the build puts them: dkms runs MAKE[0] in a copy of the tree, then
# takes BUILT_MODULE_LOCATION/NAME.ko from it. The same command here.
ktap_check "dkms.conf: MAKE[0] builds for $kver" bash -c "cd '$top' && $(get make)"
bad=
while read -r name loc dest; do
	[[ -f $top/$loc/$name.ko ]] || bad+=" $loc$name.ko (no such file)"
	[[ $dest == /extra* || $dest == /updates* ]] || bad+=" $name: DEST_MODULE_LOCATION $dest"
done < <(get module)
ktap_eq "dkms.conf: each module is where the build puts it" "${bad# }" ""

# The kernels: the guest's is in, 6.5 (blkdev_get_by_dev() changed) out.
re=$(get exclusive)
ktap_check "BUILD_EXCLUSIVE_KERNEL takes $kver" bash -c "[[ '$kver' =~ $re ]]"
ktap_fails "BUILD_EXCLUSIVE_KERNEL refuses 6.5.0-1-amd64" bash -c "[[ 6.5.0-1-amd64 =~ $re ]]"
# make refuses a kernel outside it, in one line, before it builds anything
# (a directory for it, left by a failed run, goes first).
rm -rf "$top/build/6.5.0-1-amd64"
mkdir -p "$tmp/k65/include/generated"
echo 'all:' >"$tmp/k65/Makefile"
echo '#define UTS_RELEASE "6.5.0-1-amd64"' >"$tmp/k65/include/generated/utsrelease.h"
out=$(make -s -C "$top" modules KDIR="$tmp/k65" 2>&1) && rc=0 || rc=$?
ktap_match "make refuses kernel 6.5.0-1-amd64, saying so (exit $rc)" "$rc $(head -n1 <<<"$out")" \
	'^[1-9][0-9]* dm-vaio does not support kernel 6\.5\.0-1-amd64 .*dkms\.conf'
ktap_eq "... and builds nothing for it" "$(ls -d "$top/build/6.5.0-1-amd64" 2>/dev/null)" ""
rm -rf "$top/build/6.5.0-1-amd64"

# (b) make install into a DESTDIR with an SBINDIR of its own, then make
# uninstall with the same: the modules part too (modules_install into
# DESTDIR skips depmod without System.map, and the Makefile's own depmod
# runs only without DESTDIR).
dest=$tmp/dest
sbindir=/opt/vaio/sbin
vars=(DESTDIR="$dest" SBINDIR="$sbindir" KDIR="$kdir")
ktap_check "make install DESTDIR SBINDIR=$sbindir" make -s -C "$top" install "${vars[@]}"
want=$( (for m in $shipped; do echo "lib/modules/$kver/extra/dm-vaio/$m.ko"; done
	echo "${sbindir#/}/vaioctl"; echo "${sbindir#/}/vaiod"
	echo usr/share/man/man8/vaioctl.8; echo usr/share/man/man8/vaiod.8
	echo usr/share/man/man8/vaio-generator.8
	echo lib/systemd/system-generators/vaio-generator
	echo usr/lib/sysusers.d/vaiod.conf
	echo usr/share/bash-completion/completions/vaioctl
	echo lib/systemd/system/vaio-apply.service; echo lib/systemd/system/vaiod.service) | sort)
ktap_eq "make install: the shipped modules, programs, man pages, completion, units, generator" \
	"$(cd "$dest" && find . -type f | sed 's,^\./,,' | sort)" "$want"
units=$dest/lib/systemd/system
ktap_eq "vaiod.service runs SBINDIR's vaiod" \
	"$(grep '^ExecStart=' "$units/vaiod.service")" "ExecStart=$sbindir/vaiod"
ktap_eq "vaio-apply.service runs SBINDIR's vaioctl" \
	"$(grep '^Exec' "$units/vaio-apply.service" | grep -v modprobe)" \
	"ExecStart=$sbindir/vaioctl apply
ExecReload=$sbindir/vaioctl apply
ExecStop=$sbindir/vaioctl apply --down"
ktap_eq "no placeholder left in the units" "$(grep -h '@[A-Z_]*@' "$units"/*.service)" ""
ktap_eq "the installed vaioctl -V: VERSION" "$("$dest$sbindir/vaioctl" -V 2>&1)" "vaioctl $version"
ktap_eq "the installed vaiod -V: VERSION" "$("$dest$sbindir/vaiod" -V 2>&1)" "vaiod $version"
ktap_eq "the man pages: VERSION" \
	"$(sed -n 's/^\.TH .*"dm-vaio \([^"]*\)".*/\1/p' "$dest/usr/share/man/man8/"*.8 | sort -u)" \
	"$version"
ktap_check "make uninstall, the same variables" make -s -C "$top" uninstall "${vars[@]}"
ktap_eq "make uninstall: no file left" "$(cd "$dest" && find . ! -type d)" ""

# The packager's flags reach the compiler with the project's, and WERROR=0
# leaves -Werror out (make -n: commands printed, nothing built).
cmd() { make -n -B -C "$top/userspace" "$@" vaioctl/vaioctl 2>&1 | grep -- '-o vaioctl/vaioctl '; }
pkg=$(cmd CPPFLAGS=-D_FORTIFY_SOURCE=2 CFLAGS='-O1 -fstack-protector-strong' \
	LDFLAGS=-Wl,-z,relro WERROR=0)
bad=
for f in -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Wl,-z,relro -I../include/uapi \
	-std=c11 -DVAIO_VERSION; do
	grep -q -- "$f" <<<"$pkg" || bad+=" $f"
done
grep -q -- '-Werror\b' <<<"$pkg" && bad+=" -Werror"
ktap_eq "CPPFLAGS, CFLAGS, LDFLAGS and WERROR=0 on the command line" "${bad# }" ""
ktap_match "-Werror by default" "$(cmd)" '-Wextra -Werror '
ktap_finish
