#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make lint: checkpatch.pl --strict (from Debian's linux-source-6.1, the
# guest kernel's own tree) over every kernel source file, a W=1 build with
# sparse (C=2), and shellcheck over every shell script. Any warning fails.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
KDIR='' BUILDDIR=''
while (($#)); do
	case $1 in
	--kdir) KDIR=$2; shift 2 ;;
	--build) BUILDDIR=$2; shift 2 ;;
	*) echo "lint: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ -n $KDIR && -n $BUILDDIR ]] || { echo "usage: lint.sh --kdir KDIR --build DIR" >&2; exit 2; }

LINT=$TOP/build/lint
SRC=$(find /usr/src -maxdepth 1 -name "linux-source-*.tar.xz" | sort -V | tail -n1)
[[ -n $SRC ]] || { echo "lint: no linux-source tarball: run 'make deps'" >&2; exit 1; }
if [[ ! -x $LINT/scripts/checkpatch.pl || $SRC -nt $LINT/scripts/checkpatch.pl ]]; then
	rm -rf "$LINT"
	mkdir -p "$LINT"
	top=$(basename "$SRC" .tar.xz)
	tar xJf "$SRC" -C "$LINT" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi

fail=0
mapfile -t files < <(cd "$TOP" && find dm-vaio include -name '*.[ch]' 2>/dev/null | sort)
echo "lint: checkpatch --strict on ${#files[@]} files"
if ! (cd "$TOP" && "$LINT/scripts/checkpatch.pl" --strict --no-tree --quiet \
	--show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "${files[@]}"); then
	fail=1
fi

echo "lint: W=1 C=2 (sparse) build"
out=$(make -C "$KDIR" M="$BUILDDIR" W=1 C=2 modules 2>&1) || { echo "$out"; exit 1; }
warn=$(grep -E 'warning:|error:' <<<"$out" || true)
if [[ -n $warn ]]; then
	echo "$warn"
	fail=1
fi

# Every shell script git knows: by name or by its #! line. Not reported:
# SC1091 (a sourced file not followed: each is checked on its own) and
# SC3043 ("local" in sh: the guest's busybox ash and dash have it); in the
# tests, SC2034 too (DESCRIPTION, TIMEOUT... are read by the runner).
mapfile -t scripts < <(cd "$TOP" && git ls-files | while read -r f; do
	case ${f##*/} in
	*.sh) echo "$f" ;;
	*.*|Makefile|Kbuild) ;;
	*) [[ -f $f ]] && head -c 64 "$f" | grep -Eq '^#!(/usr)?/bin/(env )?(ba)?sh' && echo "$f" ;;
	esac
done)
if ((${#scripts[@]} == 0)); then
	echo "lint: no shell scripts found (not a git checkout?)"
	fail=1
else
	tests=() others=()
	for f in "${scripts[@]}"; do
		if [[ $f == selftests/*/*.sh && $f != selftests/lib/* ]]; then
			tests+=("$f")
		else
			others+=("$f")
		fi
	done
	echo "lint: shellcheck on ${#scripts[@]} scripts"
	(cd "$TOP" && shellcheck -f gcc -e SC1091,SC3043 "${others[@]}") || fail=1
	(cd "$TOP" && shellcheck -f gcc -e SC1091,SC3043,SC2034 "${tests[@]}") || fail=1
fi

((fail == 0)) && echo "lint: clean"
exit "$fail"
