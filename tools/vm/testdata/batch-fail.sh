#!/bin/sh
# Harness self-test (batch): fails, with its own exit status.
echo "failing on purpose"
exit 3
