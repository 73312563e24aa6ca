#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-debug[-full]: the selftests under the debug kernel (KASAN,
# lockdep, atomic-sleep checks, kmemleak, KUnit, fault injection). Builds the
# kernel once (cached, tools/debug-kernel/build.sh), our modules against it,
# and runs tools/vm/vaio-test --debug. Arguments go to vaio-test: --lane ci
# (make check-debug: the tests marked DEBUG_LANE=ci) or --lane full (make
# check-debug-full), a test pattern.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
KD=$("$TOP/tools/debug-kernel/build.sh")
KVER=$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$KD/src/include/generated/utsrelease.h")
make -s -C "$TOP" KDIR="$KD/src" KBUILD_ARGS="VAIO_KUNIT=1" modules
exec "$TOP/tools/vm/vaio-test" --debug --kernel "$KD/bzImage" --modroot "$KD/modroot" \
	--kver "$KVER" --config "$KD/src/.config" "$@"
