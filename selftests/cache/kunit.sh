#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="KUnit suite of the cache filter's index, replacement policy, write-back choice and layout by block size passes (kernels with KUnit: make check-debug)"
TIMEOUT=120
DEBUG_LANE=ci
KCONFIG="CONFIG_KUNIT CONFIG_KUNIT_DEBUGFS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

kunit_suite dm-vaio-cache dm-vaio-cache cache_test_ 13
ktap_finish
