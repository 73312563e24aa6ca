// SPDX-License-Identifier: GPL-2.0-only
/*
 * repl-tls-test: vaiod's TLS step (userspace/vaiod/tls.c) over a
 * socketpair, the client in a child process: the two sides agree on each
 * direction's keys (what one sends with, the other receives with), the
 * server reads no byte past the handshake though the client sends right
 * after it (those bytes are the kernel's), and PSKs that differ fail on
 * both sides; tls_record_recv(), through which GnuTLS reads, never reads
 * past a record's end (GnuTLS 3.7 reads a record at a time by itself, so
 * the handshake case alone could not show it). The keys' use by kTLS is
 * tested in the guest (repl/tls).
 * TAP output; exit 1 if a case fails. No kernel needed.
 */
#include "../vaiod/tls.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define AFTER	"the kernel's first bytes"

static int n, failed;

static void result(bool good, const char *what)
{
	n++;
	if (!good)
		failed++;
	printf("%sok %d %s\n", good ? "" : "not ", n, what);
}

/*
 * Between client @c and server @s: what the client sends goes on in
 * batches, 200 ms after a burst began, so that its last handshake record
 * and what it sends next reach the server together, as they may on a real
 * link (a GnuTLS reading greedily would take the kernel's bytes).
 */
static void relay(int c, int s)
{
	static char buf[1 << 16];
	struct pollfd pfd[2] = { { .fd = c, .events = POLLIN }, { .fd = s, .events = POLLIN } };
	size_t have = 0;
	ssize_t k;
	int t = -1;

	for (;;) {
		int r = poll(pfd, 2, t);

		if (r < 0)
			_exit(1);
		if (r == 0) {		/* the batch: on to the server */
			if (write(s, buf, have) != (ssize_t)have)
				_exit(1);
			have = 0;
			t = -1;
			continue;
		}
		if (pfd[0].revents) {
			k = read(c, buf + have, sizeof(buf) - have);
			if (k <= 0) {
				if (have && write(s, buf, have) != (ssize_t)have)
					_exit(1);
				_exit(0);
			}
			have += k;
			if (t < 0)
				t = 200;
		}
		if (pfd[1].revents) {
			char b[4096];

			k = read(s, b, sizeof(b));
			if (k <= 0 || write(c, b, k) != k)
				_exit(0);
		}
	}
}

/*
 * One handshake: the client (child) with @cpsk, the server with @spsk.
 * The client sends AFTER at once and its keys (or zeros) through a pipe.
 */
static int pair(const uint8_t *cpsk, const uint8_t *spsk, struct tls_keys *ck,
		struct tls_keys *sk, char *after, size_t alen, char *msg,
		size_t msglen)
{
	int sv[2], rv[2], p[2], status, r;
	pid_t pid, rpid;
	ssize_t got;

	/* client sv[1] - relay (sv[0], rv[1]) - server rv[0] */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, rv) || pipe(p))
		return -1;
	rpid = fork();
	if (rpid == 0) {
		close(sv[1]);
		close(rv[0]);
		relay(sv[0], rv[1]);
	}
	close(sv[0]);
	close(rv[1]);
	sv[0] = rv[0];
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	pid = fork();
	if (pid == 0) {
		struct tls_keys k;
		char m[256];

		close(sv[0]);
		memset(&k, 0, sizeof(k));
		if (!tls_handshake(sv[1], true, cpsk, 3000, &k, m, sizeof(m)))
			(void)!send(sv[1], AFTER, sizeof(AFTER), MSG_NOSIGNAL);
		(void)!write(p[1], &k, sizeof(k));
		_exit(0);
	}
	close(sv[1]);
	memset(sk, 0, sizeof(*sk));
	r = tls_handshake(sv[0], false, spsk, 3000, sk, msg, msglen);
	memset(after, 0, alen);
	if (!r) {
		fcntl(sv[0], F_SETFL, 0);
		got = recv(sv[0], after, sizeof(AFTER) < alen ? sizeof(AFTER) : alen - 1,
			   MSG_WAITALL);
		if (got < 0)
			after[0] = '\0';
	}
	if (read(p[0], ck, sizeof(*ck)) != sizeof(*ck))
		memset(ck, 0, sizeof(*ck));
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	waitpid(pid, &status, 0);
	waitpid(rpid, &status, 0);
	return r;
}

/* Two records back to back, read with room for all: one at a time. */
static void test_record_recv(void)
{
	static const uint8_t two[] = {
		0x17, 0x03, 0x03, 0x00, 0x03, 'a', 'b', 'c',
		0x17, 0x03, 0x03, 0x00, 0x02, 'd', 'e',
	};
	struct tls_rec rec = { 0 };
	uint8_t buf[64];
	size_t got = 0, reads = 0;
	bool crossed = false;
	int sv[2];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    write(sv[1], two, sizeof(two)) != sizeof(two)) {
		result(false, "socketpair");
		return;
	}
	while (got < sizeof(two)) {
		n = tls_record_recv(&rec, sv[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		/* The first record ends at byte 8: no read may span it. */
		if (got < 8 && got + n > 8)
			crossed = true;
		got += n;
		reads++;
	}
	result(got == sizeof(two) && !crossed && !rec.hdr_have && !rec.body_left,
	       "records read one at a time, none past a record's end");
	printf("# %zu reads\n", reads);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	uint8_t psk[TLS_PSK_LEN], psk2[TLS_PSK_LEN];
	struct tls_keys ck, sk, zero;
	char after[64], msg[256];
	int r;

	memset(psk, 0x5a, sizeof(psk));
	memset(&zero, 0, sizeof(zero));
	printf("TAP version 13\n1..7\n");

	test_record_recv();

	r = pair(psk, psk, &ck, &sk, after, sizeof(after), msg, sizeof(msg));
	if (r)
		printf("# %s\n", msg);
	result(!r, "handshake with the same PSK");
	result(!memcmp(&ck.tx, &sk.rx, sizeof(ck.tx)) &&
	       !memcmp(&ck.rx, &sk.tx, sizeof(ck.rx)) &&
	       memcmp(&ck, &zero, sizeof(ck)),
	       "each direction's keys agree (client tx = server rx, and back)");
	result(memcmp(&ck.tx, &ck.rx, sizeof(ck.tx)),
	       "the two directions have different keys");
	result(!memcmp(after, AFTER, sizeof(AFTER)),
	       "the server read nothing past the handshake");

	memset(psk2, 0x77, sizeof(psk2));
	r = pair(psk, psk2, &ck, &sk, after, sizeof(after), msg, sizeof(msg));
	printf("# %s\n", r ? msg : "accepted");
	result(r, "different PSKs: the server fails");
	result(!memcmp(&ck, &zero, sizeof(ck)), "different PSKs: the client fails");

	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
