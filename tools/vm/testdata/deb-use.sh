#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run in a guest by selftests/harness/deb.sh, whose initramfs holds as our
# programs those of the dm-vaio-utils package and as our modules those
# DKMS built from the dm-vaio-dkms package, and nothing else of ours.
# VAIO_VERSION: the packages' upstream version.
. /vaio/selftests/lib/ktap.sh
. /vaio/selftests/lib/vaio.sh

extra=/lib/modules/$(uname -r)/extra
ktap_eq "our modules: the five DKMS built, no test filter" \
	"$(cd "$extra" && echo *)" "dm-vaio-cache.ko dm-vaio-crypt.ko dm-vaio-qos.ko dm-vaio-replication.ko dm-vaio.ko"
# The host compares these with DKMS's output.
(cd "$extra" && md5sum ./*.ko) | sed 's/^/# module /'
ktap_eq "our programs: the package's" "$(cd /usr/sbin && echo vaio*)" \
	"vaio-generator vaioctl vaiod"
ktap_eq "vaioctl -V" "$(vaioctl -V 2>&1)" "vaioctl $VAIO_VERSION"
ktap_eq "vaiod -V" "$(vaiod -V 2>&1)" "vaiod $VAIO_VERSION"

vaioctl_setup
ktap_check "modprobe dm-vaio-cache dm-vaio-replication" \
	modprobe -a dm-vaio-cache dm-vaio-replication
ktap_eq "vaioctl filter list: cache and replication" \
	"$(vaioctl -j filter list | jq -r '.[].type' | sort | tr '\n' ' ')" "cache replication "

# A disk with the cache filter in write-back over a pool: fio verify
# through it, the cache counted hits; once the disk is gone (its dirty
# blocks written back), the disk below holds every block.
brd_setup 16 1
nullb_mem nb 64
ktap_check "vaioctl cache pool create" vaioctl cache pool create fast /dev/ram0
ktap_check "vaioctl policy create (cache, write-back)" \
	vaioctl policy create wb cache:pool=fast,mode=writeback,fail=closed
ktap_check "vaioctl disk create" vaioctl disk create vm /dev/nb --policy wb
ktap_eq "the disk's filters" "$(vaio_filters vm)" cache
ktap_check "fio verify through the cache" fio_verify /dev/mapper/vm --size=32m --randseed=7
ktap_match "read hits counted" "$(vaio_filter_get vm cache read_hits)" '^[1-9]'
ktap_check "vaioctl disk remove" vaioctl disk remove vm
ktap_check "the disk below alone holds it all (fio verify_only)" \
	fio_verify /dev/nb --size=32m --randseed=7 --verify_only
ktap_check "vaioctl cache pool remove" vaioctl cache pool remove fast
ktap_finish
