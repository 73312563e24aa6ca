#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make lint: checkpatch.pl --strict (from Debian's linux-source-6.1, the
# guest kernel's own tree) over every kernel source file, then a W=1 build
# with sparse (C=2). Any warning fails.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
KDIR= BUILDDIR=
while (($#)); do
	case $1 in
	--kdir) KDIR=$2; shift 2 ;;
	--build) BUILDDIR=$2; shift 2 ;;
	*) echo "lint: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ -n $KDIR && -n $BUILDDIR ]] || { echo "usage: lint.sh --kdir KDIR --build DIR" >&2; exit 2; }

LINT=$TOP/build/lint
SRC=$(ls -1 /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n1)
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

((fail == 0)) && echo "lint: clean"
exit "$fail"
