#!/bin/sh
# Harness self-test: a two-guest test that waits past its timeout on the
# other guest (here: a command on vaio-b that never ends).
. /vaio/selftests/lib/vaio.sh
vaio_wait_peer || echo "no peer agent"
echo "waiting on vaio-b"
vaio_peer "sleep 1000"
