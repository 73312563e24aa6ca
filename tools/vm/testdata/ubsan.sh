#!/bin/sh
# Harness self-test: the script passes, but printed a UBSan report of one
# of our programs (make check's build: UBSan reports on stderr).
echo "vaioctl/planted.c:1:2: runtime error: planted_ubsan_report"
exit 0
