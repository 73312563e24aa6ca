// SPDX-License-Identifier: GPL-2.0-only
/*
 * repl-handshake-test: vaiod's handshake (userspace/vaiod/handshake.c)
 * over a socketpair, the dialer in a child process and the acceptor in
 * the parent, each with its own idea of its disk and secret: a good pair,
 * a wrong secret, an unknown disk, split brain, a smaller disk, a new
 * secondary, hostile and silent peers, and that neither side reads a byte
 * past the handshake. A stranger's HELLO gets the same answer for any
 * disk name; over TCP on the loopback, only the disk's peer= address is
 * accepted; the pre-authentication deadline, with the clock given by
 * hand. Then the secret file checks. TAP output; exit 1 if a case fails.
 * No kernel needed.
 */
#include "../vaiod/handshake.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int n, failed;

static void result(bool good, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result(bool good, const char *fmt, ...)
{
	va_list ap;

	n++;
	if (!good)
		failed++;
	printf("%s %d - ", good ? "ok" : "not ok", n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* One host: its disk, secret and state. */
struct host {
	const char *disk;		/* what lookup() finds; NULL: nothing */
	const char *secret;
	struct repl_side side;
	int lookup_error;		/* lookup fails with this (-EPERM, ...) */
	const char *peer;		/* peer=, NULL: anyone (a socketpair) */
};

/* As vaiod's: the disk, then the peer's address, then the secret. */
static int t_lookup(void *ctx, const char *name, const struct sockaddr *from,
		    socklen_t from_len, char *disk, unsigned char *secret,
		    size_t *secret_len, char *msg, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[64], *colon;
	struct host *h = ctx;
	int r, e;

	if (!h->disk || strcmp(name, h->disk))
		return -ENODEV;
	snprintf(disk, VAIO_NAME_MAX, "%s", h->disk);
	if (h->peer) {
		snprintf(host, sizeof(host), "%s", h->peer);
		colon = strrchr(host, ':');
		if (colon)
			*colon = '\0';
		/* (No DNS for a name that never resolves: vaiod's would time out.) */
		e = strstr(host, ".invalid") ? EAI_AGAIN :
			getaddrinfo(host, colon ? colon + 1 : NULL, &hints, &ai);
		r = hs_check_peer(from, from_len, h->peer, e ? NULL : ai,
				  e ? gai_strerror(e) : NULL, msg, len);
		if (ai)
			freeaddrinfo(ai);
		if (r)
			return r;
	}
	if (h->lookup_error) {
		snprintf(msg, len, "secret file /x is readable by group or others");
		return h->lookup_error;
	}
	*secret_len = strlen(h->secret);
	memcpy(secret, h->secret, *secret_len);
	return 0;
}

static int t_state(void *ctx, const char *disk, struct repl_side *side,
		   char *msg, size_t len)
{
	struct host *h = ctx;

	(void)disk;
	(void)msg;
	(void)len;
	*side = h->side;
	return 0;
}

static const struct hs_ops t_ops = { .lookup = t_lookup, .state = t_state };
/* vaiod --tls on the dialer's side, the acceptor's (pair_from()). */
static bool d_tls, a_tls;
/* pair_from(): a relay that flips a bit of the acceptor's STATE. */
static bool tamper;

/* What a side ended with, as the child reports it. */
struct outcome {
	int result, prio;
	bool garbage, full_sync;
	struct repl_side peer;
	char msg[512];
	char extra[32];			/* bytes read after the handshake */
	uint8_t psk[HS_TLS_PSK_LEN];	/* with --tls */
	uint8_t log_d[HS_LOG_MAX], log_a[HS_LOG_MAX];
	size_t log_d_len, log_a_len;
};

/* Drives @hs until it ends; @skew_ms moves its clock (timeouts). */
static void drive(struct hs *hs, int64_t skew_ms)
{
	struct pollfd pfd;
	uint64_t now;
	int r;

	for (;;) {
		now = hs_now() + skew_ms;
		hs_run(hs, 0, now);
		if (hs->result != HS_RUNNING)
			return;
		pfd.fd = hs->fd;
		pfd.events = hs_events(hs);
		pfd.revents = 0;
		r = poll(&pfd, 1, 100);
		if (r < 0 && errno != EINTR)
			return;
		hs_run(hs, r > 0 ? pfd.revents : 0, hs_now() + skew_ms);
		if (hs->result != HS_RUNNING)
			return;
	}
}

static void fill_outcome(struct outcome *o, const struct hs *hs)
{
	memset(o, 0, sizeof(*o));
	o->result = hs->result;
	o->prio = hs->prio;
	o->garbage = hs->garbage;
	o->full_sync = hs->full_sync;
	o->peer = hs->peer;
	snprintf(o->msg, sizeof(o->msg), "%s", hs->msg);
	memcpy(o->psk, hs->tls_psk, sizeof(o->psk));
	memcpy(o->log_d, hs->log_d, sizeof(o->log_d));
	memcpy(o->log_a, hs->log_a, sizeof(o->log_a));
	o->log_d_len = hs->log_d_len;
	o->log_a_len = hs->log_a_len;
}

/* After a good handshake: send a marker as the kernel would, read one. */
static void after(struct outcome *o, int fd, const char *mark)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;

	if (o->result != HS_OK)
		return;
	if (send(fd, mark, strlen(mark), MSG_NOSIGNAL) < 0)
		return;
	if (poll(&pfd, 1, 2000) == 1) {
		r = recv(fd, o->extra, sizeof(o->extra) - 1, 0);
		if (r > 0)
			o->extra[r] = '\0';
	}
}

/*
 * A TCP connection over the loopback from address @src to 127.0.0.1 (the
 * whole of 127/8 is local): sv[0] the dialer's end, sv[1] the acceptor's.
 */
static int tcp_pair(const char *src, int sv[2])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l;

	l = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		return -1;
	sv[0] = socket(AF_INET, SOCK_STREAM, 0);
	{
		struct sockaddr_in me = { .sin_family = AF_INET };

		inet_pton(AF_INET, src, &me.sin_addr);
		if (sv[0] < 0 || bind(sv[0], (struct sockaddr *)&me, sizeof(me)) ||
		    connect(sv[0], (struct sockaddr *)&sa, sizeof(sa)))
			return -1;
	}
	sv[1] = accept(l, NULL, NULL);
	close(l);
	return sv[1] < 0 ? -1 : 0;
}

/* Reads exactly @len bytes; false at the end or on an error. */
static bool read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = read(fd, buf, len);
		if (n <= 0)
			return false;
		buf = (char *)buf + n;
		len -= n;
	}
	return true;
}

/*
 * A man in the middle between the two ends of @sv: a child passes the
 * dialer's bytes on and the acceptor's frame by frame, with the lowest
 * bit of its STATE's sectors flipped (a larger disk: still GO). @sv[1]
 * then leads to the relay.
 */
static pid_t relay_pid;

static void tamper_relay(int sv[2])
{
	int rv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, rv)) {
		perror("socketpair");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid) {
		/* sv[0]: the dialer's end; rv[0]: to the acceptor (rv[1]). */
		struct pollfd pfd[2] = { { .fd = sv[1], .events = POLLIN },
					 { .fd = rv[0], .events = POLLIN } };
		uint8_t buf[4096];
		struct vaio_repl_hdr h;
		ssize_t n;
		size_t len;

		close(sv[0]);
		close(rv[1]);
		for (;;) {
			if (poll(pfd, 2, 10000) <= 0)
				_exit(0);
			if (pfd[0].revents) {	/* dialer -> acceptor */
				n = read(sv[1], buf, sizeof(buf));
				if (n <= 0 || write(rv[0], buf, n) != n)
					_exit(0);
			}
			if (pfd[1].revents) {	/* acceptor -> dialer, a frame */
				if (!read_full(rv[0], &h, sizeof(h)))
					_exit(0);
				len = be32toh(h.len);
				if (len > sizeof(buf) || !read_full(rv[0], buf, len))
					_exit(0);
				if (be16toh(h.type) == VAIO_REPL_F_STATE && len >= 8)
					buf[7] ^= 1;
				if (write(sv[1], &h, sizeof(h)) != sizeof(h) ||
				    write(sv[1], buf, len) != (ssize_t)len)
					_exit(0);
			}
		}
	}
	close(sv[1]);
	close(rv[0]);
	sv[1] = rv[1];
	relay_pid = pid;
}

/*
 * Runs a dialer for @dh in a child and an acceptor for @ah here, over a
 * socketpair, or over TCP from address @src if not NULL; fills both
 * outcomes.
 */
static void pair_from(struct host *dh, const char *remote, struct host *ah,
		      const char *src, struct outcome *d, struct outcome *a)
{
	struct hs_ops dops = t_ops, aops = t_ops;
	int sv[2], pp[2];
	struct hs hs;
	pid_t pid;

	dops.tls = d_tls;
	aops.tls = a_tls;
	if (src ? tcp_pair(src, sv) : socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("socketpair");
		exit(1);
	}
	if (tamper)
		tamper_relay(sv);	/* before the pipe: not the relay's */
	if (pipe(pp)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid) {
		close(sv[1]);
		close(pp[0]);
		hs_start(&hs, HS_DIALER, sv[0], "acceptor", &dops, dh,
			 dh->disk, remote, (const unsigned char *)dh->secret,
			 strlen(dh->secret), hs_now());
		drive(&hs, 0);
		fill_outcome(d, &hs);
		after(d, sv[0], "from-dialer-kernel");
		if (write(pp[1], d, sizeof(*d)) != sizeof(*d))
			_exit(1);
		_exit(0);
	}
	close(sv[0]);
	close(pp[1]);
	hs_start(&hs, HS_ACCEPTOR, sv[1], "dialer", &aops, ah, NULL, NULL,
		 NULL, 0, hs_now());
	drive(&hs, 0);
	fill_outcome(a, &hs);
	after(a, sv[1], "from-acceptor-kernel");
	close(sv[1]);
	memset(d, 0, sizeof(*d));
	if (read(pp[0], d, sizeof(*d)) != sizeof(*d))
		snprintf(d->msg, sizeof(d->msg), "the dialer reported nothing");
	close(pp[0]);
	waitpid(pid, NULL, 0);
	if (relay_pid > 0)
		waitpid(relay_pid, NULL, 0);
	relay_pid = 0;
}

static void pair(struct host *dh, const char *remote, struct host *ah,
		 struct outcome *d, struct outcome *a)
{
	pair_from(dh, remote, ah, NULL, d, a);
}

static struct repl_side side(int role, uint64_t sectors, uint64_t gen)
{
	struct repl_side s;

	memset(&s, 0, sizeof(s));
	s.role = role;
	s.sectors = sectors;
	s.gen = gen;
	s.consistent = true;
	return s;
}

#define SECRET "0123456789abcdef0123456789abcdef"
#define OTHER  "fedcba9876543210fedcba9876543210"
enum { P = VAIO_REPL_ROLE_PRIMARY, S = VAIO_REPL_ROLE_SECONDARY };

static void show(const char *who, const struct outcome *o)
{
	printf("# %s: result %d prio %d garbage %d full_sync %d msg '%s' extra '%s'\n",
	       who, o->result, o->prio, o->garbage, o->full_sync, o->msg,
	       o->extra);
}

static void test_good(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct host a = { "r0", SECRET, side(S, 2000, 42), 0, NULL };
	struct outcome od, oa;

	pair(&d, "r0", &a, &od, &oa);
	show("dialer", &od);
	show("acceptor", &oa);
	result(od.result == HS_OK && oa.result == HS_OK,
	       "same secret, same generation: both sides go");
	result(!od.full_sync && !oa.full_sync, "no full sync");
	result(od.peer.sectors == 2000 && od.peer.role == S &&
	       oa.peer.sectors == 1000 && oa.peer.role == P &&
	       oa.peer.gen == 42, "each side has the other's STATE");
	result(!strcmp(od.extra, "from-acceptor-kernel") &&
	       !strcmp(oa.extra, "from-dialer-kernel"),
	       "neither side read a byte past the handshake");
}

static void test_new_secondary(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct host a = { "d0", SECRET, side(S, 1000, 0), 0, NULL };
	struct outcome od, oa;

	pair(&d, "d0", &a, &od, &oa);
	result(od.result == HS_OK && oa.result == HS_OK && od.full_sync &&
	       oa.full_sync, "new secondary: both go, full sync on both");
	d.side.new_pair = true;
	pair(&d, "d0", &a, &od, &oa);
	result(od.result == HS_OK && oa.result == HS_OK && !od.full_sync &&
	       !oa.full_sync, "new pair (skip sync): both go, no full sync");
}

static void test_wrong_secret(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct host a = { "d0", OTHER, side(S, 1000, 42), 0, NULL };
	struct outcome od, oa;
	uint64_t t0 = hs_now();

	pair(&d, "d0", &a, &od, &oa);
	show("dialer", &od);
	show("acceptor", &oa);
	result(oa.result == HS_FAILED && oa.prio == 3 &&
	       !strcmp(oa.msg, "authentication failed from dialer"),
	       "wrong secret: the acceptor logs 'authentication failed from ADDR' at <3>");
	result(od.result == HS_FAILED && od.prio == 3 &&
	       strstr(od.msg, "refused: authentication failed"),
	       "wrong secret: the dialer logs the acceptor's ERROR");
	result(hs_now() - t0 < 3000, "and it ends promptly once the dialer hangs up");
}

static void test_no_disk(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct host a = { "d0", SECRET, side(S, 1000, 42), 0, NULL };
	struct host bad = { "d0", SECRET, side(S, 1000, 42), -EPERM, NULL };
	struct outcome od, oa;

	pair(&d, "nope", &a, &od, &oa);
	show("dialer", &od);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && od.prio == 3 &&
	       !strcmp(od.msg, "acceptor refused: authentication failed") &&
	       oa.result == HS_FAILED && oa.prio == 4 &&
	       !strcmp(oa.msg, "no such disk: nope (from dialer)"),
	       "unknown disk: the dialer hears 'authentication failed', the acceptor logs 'no such disk: NAME (from ADDR)'");
	pair(&d, "d0", &bad, &od, &oa);
	show("dialer", &od);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && oa.result == HS_FAILED && oa.prio == 3 &&
	       strstr(oa.msg, "readable by group"),
	       "unusable secret on the acceptor: refused, the reason logged there");
}

static void test_refusals(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct host a = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct outcome od, oa;

	pair(&d, "d0", &a, &od, &oa);
	show("dialer", &od);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       od.prio == 3 && oa.prio == 3 &&
	       strstr(od.msg, "both primary: split brain") &&
	       strstr(oa.msg, "both primary: split brain"),
	       "both primary: refused, the reason logged on both sides");

	a.side = side(S, 999, 42);
	pair(&d, "d0", &a, &od, &oa);
	show("dialer", &od);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       strstr(od.msg, "peer disk smaller: 999 < 1000 sectors") &&
	       strstr(oa.msg, "peer disk smaller: 999 < 1000 sectors"),
	       "smaller secondary: refused on both sides");

	a.side = side(S, 1000, 77);
	a.side.history[0] = 42;
	pair(&d, "d0", &a, &od, &oa);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       strstr(od.msg, "split brain: generations 000000000000002a and 000000000000004d diverged") &&
	       strstr(oa.msg, "split brain: generations"),
	       "diverged generations: split brain on both sides");
}

/* vaiod --tls on one side only: both refuse, after authentication. */
static void test_tls(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct host a = { "r0", SECRET, side(S, 1000, 42), 0, NULL };
	struct outcome od, oa;

	d_tls = true;
	a_tls = false;
	pair(&d, "r0", &a, &od, &oa);
	show("dialer", &od);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       strstr(od.msg, "TLS: this side runs vaiod --tls, the peer without it") &&
	       strstr(oa.msg, "TLS: the peer runs vaiod --tls, this side without it"),
	       "--tls on the dialer only: refused on both sides, each says which");
	d_tls = false;
	a_tls = true;
	pair(&d, "r0", &a, &od, &oa);
	show("dialer", &od);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       strstr(od.msg, "TLS: the peer runs vaiod --tls") &&
	       strstr(oa.msg, "TLS: this side runs vaiod --tls"),
	       "--tls on the acceptor only: refused on both sides");
	d_tls = true;
	pair(&d, "r0", &a, &od, &oa);
	result(od.result == HS_OK && oa.result == HS_OK &&
	       !strcmp(oa.extra, "from-dialer-kernel"),
	       "--tls on both: both go (the TLS step follows in vaiod)");
	{
		uint8_t want[HS_TLS_PSK_LEN], none[HS_TLS_PSK_LEN];

		hs_tls_psk((const unsigned char *)SECRET, strlen(SECRET), od.log_d,
			   od.log_d_len, od.log_a, od.log_a_len, want);
		hs_tls_psk((const unsigned char *)"", 0, od.log_d, od.log_d_len,
			   od.log_a, od.log_a_len, none);
		result(!memcmp(od.psk, oa.psk, sizeof(od.psk)) &&
		       !memcmp(od.psk, want, sizeof(want)) &&
		       memcmp(od.psk, none, sizeof(none)),
		       "--tls: both sides have the TLS key of the secret and the whole handshake");
		result(od.log_d_len == oa.log_d_len && od.log_a_len == oa.log_a_len &&
		       od.log_d_len >= 4 * 16 && od.log_a_len >= 4 * 16,
		       "--tls: both sides logged the same frames (HELLO, AUTH, STATE, GO each)");
	}
	/* STATE changed on the way: both go, with keys that differ. */
	tamper = true;
	pair(&d, "r0", &a, &od, &oa);
	tamper = false;
	show("dialer", &od);
	result(od.result == HS_OK && oa.result == HS_OK && od.peer.sectors == 1001 &&
	       memcmp(od.psk, oa.psk, sizeof(od.psk)),
	       "--tls: a STATE changed on the way makes the keys differ (TLS then fails)");
	d_tls = a_tls = false;
}

/*
 * Each disk is bound to its peer= address: a connection from elsewhere
 * is answered as a wrong secret is, and the acceptor logs the address.
 */
static void test_peer_address(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct host a = { "d0", SECRET, side(S, 1000, 42), 0, "127.0.0.1:7790" };
	struct outcome od, oa;

	pair_from(&d, "d0", &a, "127.0.0.1", &od, &oa);
	show("acceptor", &oa);
	result(od.result == HS_OK && oa.result == HS_OK,
	       "peer=127.0.0.1:7790, from 127.0.0.1: both sides go");

	pair_from(&d, "d0", &a, "127.0.0.2", &od, &oa);
	show("dialer", &od);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       !strcmp(od.msg, "acceptor refused: authentication failed") &&
	       oa.prio == 4 &&
	       !strcmp(oa.msg, "refusing 127.0.0.2: not the disk's peer 127.0.0.1:7790"),
	       "peer=127.0.0.1:7790, from 127.0.0.2 with the right secret: refused as a wrong secret, the address logged");

	a.peer = "localhost:7790";
	pair_from(&d, "d0", &a, "127.0.0.1", &od, &oa);
	show("acceptor", &oa);
	result(od.result == HS_OK && oa.result == HS_OK,
	       "peer=localhost:7790 (a name), from 127.0.0.1: both sides go");
	pair_from(&d, "d0", &a, "127.0.0.3", &od, &oa);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       strstr(oa.msg, "refusing 127.0.0.3: not the disk's peer localhost:7790"),
	       "peer=localhost:7790, from 127.0.0.3: refused");

	a.peer = "no-such-host.invalid:7790";
	pair_from(&d, "d0", &a, "127.0.0.1", &od, &oa);
	show("acceptor", &oa);
	result(od.result == HS_FAILED && oa.result == HS_FAILED &&
	       strstr(oa.msg, "refusing 127.0.0.1: the address of peer no-such-host.invalid:7790 is not known"),
	       "a peer whose name does not resolve: refused, and said why");
}

/* hs_addr_in(): the address alone; IPv4 also as IPv4-mapped IPv6. */
static void test_addr_in(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *v4 = NULL, *v6 = NULL;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(40000) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(40000) };
	bool good;

	if (getaddrinfo("192.0.2.1", "7790", &hints, &v4) ||
	    getaddrinfo("2001:db8::1", "7790", &hints, &v6)) {
		result(false, "getaddrinfo of addresses failed");
		return;
	}
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	good = hs_addr_in((struct sockaddr *)&s4, v4);
	inet_pton(AF_INET, "192.0.2.2", &s4.sin_addr);
	good = good && !hs_addr_in((struct sockaddr *)&s4, v4);
	result(good, "IPv4: the same address from another port matches, another address does not");
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &s6.sin6_addr);
	good = hs_addr_in((struct sockaddr *)&s6, v4);
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &s6.sin6_addr);
	good = good && !hs_addr_in((struct sockaddr *)&s6, v4);
	result(good, "an IPv4 peer on a dual-stack socket (::ffff:192.0.2.1) matches");
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	good = hs_addr_in((struct sockaddr *)&s6, v6) &&
	       !hs_addr_in((struct sockaddr *)&s6, v4);
	inet_pton(AF_INET6, "2001:db8::2", &s6.sin6_addr);
	good = good && !hs_addr_in((struct sockaddr *)&s6, v6);
	result(good, "IPv6: the address matches, its neighbour does not");
	freeaddrinfo(v4);
	freeaddrinfo(v6);
}

/*
 * The acceptor's first two steps share a short deadline from the start:
 * an idle stranger frees its slot soon. Once the peer has authenticated,
 * each later step has its 5 s again. The clock is given by hand.
 */
static void test_preauth_deadline(void)
{
	struct host h = { "d0", SECRET, side(S, 1000, 42), 0, NULL };
	struct host dh = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct {
		struct vaio_repl_hdr h;
		struct vaio_repl_hello hello;
	} f;
	struct hs a, d;
	uint64_t t0 = hs_now();
	bool good;
	int sv[2];

	/* Silent. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	hs_start(&a, HS_ACCEPTOR, sv[1], "stranger", &t_ops, &h, NULL, NULL,
		 NULL, 0, t0);
	hs_run(&a, 0, t0 + HS_PREAUTH_MS - 1);
	good = a.result == HS_RUNNING;
	hs_run(&a, 0, t0 + HS_PREAUTH_MS);
	printf("# acceptor: %s\n", a.msg);
	result(good && a.result == HS_FAILED &&
	       strstr(a.msg, "timed out waiting for HELLO"),
	       "a silent stranger is dropped after %d ms, not %d", HS_PREAUTH_MS,
	       HS_STEP_MS);
	close(sv[0]);
	close(sv[1]);

	/* A HELLO late in the window, then silence: no new 5 s for AUTH. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	memset(&f, 0, sizeof(f));
	f.h.magic = htobe32(VAIO_REPL_MAGIC);
	f.h.type = htobe16(VAIO_REPL_F_HELLO);
	f.h.len = htobe32(sizeof(f.hello));
	f.hello.version = htobe32(1);
	strcpy(f.hello.disk, "d0");
	memset(f.hello.nonce, 7, sizeof(f.hello.nonce));
	hs_start(&a, HS_ACCEPTOR, sv[1], "stranger", &t_ops, &h, NULL, NULL,
		 NULL, 0, t0);
	if (write(sv[0], &f, sizeof(f)) != sizeof(f))
		exit(1);
	hs_run(&a, POLLIN, t0 + HS_PREAUTH_MS - 100);
	good = a.result == HS_RUNNING;
	hs_run(&a, 0, t0 + HS_PREAUTH_MS);
	printf("# acceptor: %s\n", a.msg);
	result(good && a.result == HS_FAILED &&
	       strstr(a.msg, "timed out waiting for AUTH"),
	       "HELLO and AUTH within %d ms of the connect, together", HS_PREAUTH_MS);
	close(sv[0]);
	close(sv[1]);

	/* A real dialer that authenticates late in the window, then stalls. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	hs_start(&d, HS_DIALER, sv[0], "acceptor", &t_ops, &dh, "d0", "d0",
		 (const unsigned char *)SECRET, strlen(SECRET), t0);
	hs_start(&a, HS_ACCEPTOR, sv[1], "dialer", &t_ops, &h, NULL, NULL,
		 NULL, 0, t0);
	hs_run(&a, POLLIN, t0 + 10);		/* HELLO in, HELLO out */
	hs_run(&d, POLLIN, t0 + 20);		/* AUTH out */
	hs_run(&a, POLLIN, t0 + HS_PREAUTH_MS - 1);	/* AUTH in: authenticated */
	good = a.result == HS_RUNNING && a.authed;
	hs_run(&a, 0, t0 + HS_PREAUTH_MS + 1000);
	good = good && a.result == HS_RUNNING;
	hs_run(&a, 0, t0 + HS_PREAUTH_MS - 1 + HS_STEP_MS);
	printf("# acceptor: %s\n", a.msg);
	result(good && a.result == HS_FAILED &&
	       strstr(a.msg, "timed out waiting for STATE"),
	       "once authenticated, the next step has %d ms again", HS_STEP_MS);
	close(sv[0]);
	close(sv[1]);
}

/* hs_same_source(): an IPv4 address, or an IPv6 /64. */
static void test_same_source(void)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct sockaddr_in b4 = { .sin_family = AF_INET, .sin_port = htons(2) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in6 b6 = { .sin6_family = AF_INET6 };
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	bool good;

	inet_pton(AF_INET, "192.0.2.9", &a4.sin_addr);
	inet_pton(AF_INET, "192.0.2.9", &b4.sin_addr);
	good = hs_same_source((struct sockaddr *)&a4, (struct sockaddr *)&b4);
	inet_pton(AF_INET, "192.0.2.10", &b4.sin_addr);
	good = good && !hs_same_source((struct sockaddr *)&a4, (struct sockaddr *)&b4);
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &a6.sin6_addr);
	good = good && hs_same_source((struct sockaddr *)&a6, (struct sockaddr *)&a4);
	result(good, "IPv4: one address is one source, also IPv4-mapped");
	inet_pton(AF_INET6, "2001:db8:1:2::1", &a6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8:1:2:ffff::7", &b6.sin6_addr);
	good = hs_same_source((struct sockaddr *)&a6, (struct sockaddr *)&b6);
	inet_pton(AF_INET6, "2001:db8:1:3::1", &b6.sin6_addr);
	good = good && !hs_same_source((struct sockaddr *)&a6, (struct sockaddr *)&b6);
	good = good && !hs_same_source((struct sockaddr *)&u, (struct sockaddr *)&u);
	result(good, "IPv6: one /64 is one source; no address, no source");
}

/* A frame as it goes on the wire. */
static size_t put_raw(uint8_t *buf, int type, uint32_t seq, const void *p,
		      size_t len)
{
	struct vaio_repl_hdr h = {
		.magic = htobe32(VAIO_REPL_MAGIC),
		.type = htobe16(type),
		.len = htobe32(len),
		.seq = htobe32(seq),
	};

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), p, len);
	return sizeof(h) + len;
}

/*
 * A stranger's HELLO for @disk and an AUTH with a made-up MAC, to acceptor
 * @a; @resp gets every byte it answers. The acceptor's outcome and how long
 * it took.
 */
static struct outcome stranger(struct host *a, const char *disk, uint8_t *resp,
			       size_t *resp_len, uint64_t *ms)
{
	struct vaio_repl_hello hello;
	struct vaio_repl_auth auth;
	uint8_t buf[512];
	struct outcome o;
	struct hs hs;
	size_t len;
	ssize_t r;
	int sv[2];

	memset(&hello, 0, sizeof(hello));
	hello.version = htobe32(1);
	snprintf(hello.disk, sizeof(hello.disk), "%s", disk);
	memset(hello.nonce, 0x5a, sizeof(hello.nonce));
	memset(auth.mac, 0xa5, sizeof(auth.mac));
	len = put_raw(buf, VAIO_REPL_F_HELLO, 0, &hello, sizeof(hello));
	len += put_raw(buf + len, VAIO_REPL_F_AUTH, 1, &auth, sizeof(auth));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    write(sv[0], buf, len) != (ssize_t)len)
		exit(1);
	shutdown(sv[0], SHUT_WR);
	*ms = hs_now();
	hs_start(&hs, HS_ACCEPTOR, sv[1], "stranger", &t_ops, a, NULL, NULL,
		 NULL, 0, hs_now());
	drive(&hs, 0);
	*ms = hs_now() - *ms;
	fill_outcome(&o, &hs);
	close(sv[1]);
	*resp_len = 0;
	while ((r = read(sv[0], resp + *resp_len, 512 - *resp_len)) > 0)
		*resp_len += r;
	close(sv[0]);
	return o;
}

/* The frame at @off of a response: its type, and an ERROR's text. */
static int frame_at(const uint8_t *resp, size_t len, size_t *off, char *text,
		    size_t tlen)
{
	struct vaio_repl_hdr h;
	size_t plen;

	if (*off + sizeof(h) > len)
		return -1;
	memcpy(&h, resp + *off, sizeof(h));
	plen = be32toh(h.len);
	if (*off + sizeof(h) + plen > len)
		return -1;
	if (be16toh(h.type) == VAIO_REPL_F_ERROR)
		snprintf(text, tlen, "%.*s", (int)plen, resp + *off + sizeof(h));
	*off += sizeof(h) + plen;
	return be16toh(h.type);
}

/*
 * Before authentication a stranger learns nothing about which disks exist:
 * the same frames and the same ERROR for an unknown disk (and a malformed
 * name) as for a real one with a wrong MAC, both after the same linger.
 */
static void test_no_oracle(void)
{
	struct host a = { "d0", SECRET, side(S, 1000, 42), 0, NULL };
	static const char *const names[] = { "d0", "nope", "bad name!" };
	uint8_t resp[3][512];
	size_t len[3], off;
	uint64_t ms[3];
	char text[3][HS_ERROR_MAX + 1];
	int type[3][2], i;
	struct outcome o[3];

	for (i = 0; i < 3; i++) {
		o[i] = stranger(&a, names[i], resp[i], &len[i], &ms[i]);
		show("acceptor", &o[i]);
		text[i][0] = '\0';
		off = 0;
		type[i][0] = frame_at(resp[i], len[i], &off, text[i], sizeof(text[i]));
		type[i][1] = frame_at(resp[i], len[i], &off, text[i], sizeof(text[i]));
		printf("# %s: %zu bytes, frames %d %d, ERROR '%s', %llu ms\n",
		       names[i], len[i], type[i][0], type[i][1], text[i],
		       (unsigned long long)ms[i]);
	}
	result(type[0][0] == VAIO_REPL_F_HELLO && type[0][1] == VAIO_REPL_F_ERROR &&
	       !strcmp(text[0], "authentication failed"),
	       "a real disk, a wrong MAC: HELLO, then ERROR 'authentication failed'");
	for (i = 1; i < 3; i++)
		result(len[i] == len[0] && type[i][0] == type[0][0] &&
		       type[i][1] == type[0][1] && !strcmp(text[i], text[0]),
		       "disk '%s': the same answer, frame by frame", names[i]);
	result(o[1].result == HS_FAILED && o[1].prio == 4 &&
	       !strcmp(o[1].msg, "no such disk: nope (from stranger)") &&
	       o[0].prio == 3 && !strcmp(o[0].msg, "authentication failed from stranger"),
	       "the acceptor's log says which it was");
}

/* The acceptor, with @bytes from a raw peer that then stays silent. */
static struct outcome raw_peer(const void *bytes, size_t len, int64_t skew,
			       bool close_after)
{
	struct host a = { "d0", SECRET, side(S, 1000, 42), 0, NULL };
	struct outcome o;
	struct hs hs;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	if (len && write(sv[0], bytes, len) != (ssize_t)len)
		exit(1);
	if (close_after)
		close(sv[0]);
	hs_start(&hs, HS_ACCEPTOR, sv[1], "stranger", &t_ops, &a, NULL, NULL,
		 NULL, 0, hs_now());
	drive(&hs, skew);
	fill_outcome(&o, &hs);
	if (!close_after)
		close(sv[0]);
	close(sv[1]);
	return o;
}

static void test_hostile(void)
{
	struct vaio_repl_hdr h = {
		.magic = htobe32(VAIO_REPL_MAGIC),
		.type = htobe16(VAIO_REPL_F_HELLO),
		.len = htobe32(0x80000000u),
	};
	struct {
		struct vaio_repl_hdr h;
		struct vaio_repl_hello hello;
	} f;
	unsigned char junk[4096];
	struct outcome o;
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (i * 7919 + 13) & 0xff;
	o = raw_peer(junk, sizeof(junk), 0, false);
	show("acceptor", &o);
	result(o.result == HS_FAILED && o.garbage && o.prio == 4 &&
	       !strcmp(o.msg, "garbage from stranger"),
	       "random bytes: closed at once as 'garbage from ADDR'");

	o = raw_peer(&h, sizeof(h), 0, false);
	result(o.result == HS_FAILED && o.garbage,
	       "right magic, len 2 GiB: garbage, nothing allocated");

	h.len = htobe32(sizeof(struct vaio_repl_hello));
	h.type = htobe16(VAIO_REPL_F_GO);
	o = raw_peer(&h, sizeof(h), 0, false);
	result(o.result == HS_FAILED && o.garbage, "a first frame other than HELLO: garbage");

	/* A silent client: the clock is moved past the step's deadline. */
	o = raw_peer(NULL, 0, HS_STEP_MS + 1, false);
	show("acceptor", &o);
	result(o.result == HS_FAILED && strstr(o.msg, "timed out waiting for HELLO"),
	       "a silent client times out");

	/* Half a HELLO, then silence. */
	memset(&f, 0, sizeof(f));
	f.h.magic = htobe32(VAIO_REPL_MAGIC);
	f.h.type = htobe16(VAIO_REPL_F_HELLO);
	f.h.len = htobe32(sizeof(f.hello));
	o = raw_peer(&f, sizeof(f.h) + 10, HS_STEP_MS + 1, false);
	result(o.result == HS_FAILED && strstr(o.msg, "timed out"),
	       "a slow client that stops mid-frame times out");

	o = raw_peer(&f, sizeof(f.h) + 10, 0, true);
	result(o.result == HS_FAILED && strstr(o.msg, "closed the connection"),
	       "a client that hangs up mid-frame: closed, no crash");

	/* A HELLO whose disk field is not NUL-terminated. */
	f.hello.version = htobe32(1);
	memset(f.hello.disk, 'A', sizeof(f.hello.disk));
	o = raw_peer(&f, sizeof(f), 0, true);
	show("acceptor", &o);
	result(o.result == HS_FAILED && strstr(o.msg, "no such disk"),
	       "an unterminated disk name: no such disk");

	/* A newer protocol. */
	memset(f.hello.disk, 0, sizeof(f.hello.disk));
	strcpy(f.hello.disk, "d0");
	f.hello.version = htobe32(2);
	o = raw_peer(&f, sizeof(f), 0, true);
	result(o.result == HS_FAILED && strstr(o.msg, "unsupported protocol version 2"),
	       "protocol version 2: refused with a reason");

	o = raw_peer(NULL, 0, 0, true);
	result(o.result == HS_FAILED && o.prio == 7,
	       "a connect and close without a word: debug level only");
}

/* An acceptor that answers a wrong MAC, with control characters in ERROR. */
static void test_error_text(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct {
		struct vaio_repl_hdr h;
		char text[16];
	} e;
	struct vaio_repl_hdr h;
	char hello[sizeof(struct vaio_repl_hello)];
	struct outcome o;
	struct hs hs;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	hs_start(&hs, HS_DIALER, sv[0], "peer", &t_ops, &d, "d0", "d0",
		 (const unsigned char *)SECRET, strlen(SECRET), hs_now());
	/* The dialer's HELLO arrives; answer with an ERROR. */
	if (read(sv[1], &h, sizeof(h)) != sizeof(h) ||
	    read(sv[1], hello, sizeof(hello)) != sizeof(hello))
		exit(1);
	memset(&e, 0, sizeof(e));
	e.h.magic = htobe32(VAIO_REPL_MAGIC);
	e.h.type = htobe16(VAIO_REPL_F_ERROR);
	e.h.len = htobe32(sizeof(e.text));
	memcpy(e.text, "bad\033[2Jthing\n\x01", 15);
	if (write(sv[1], &e, sizeof(e)) != sizeof(e))
		exit(1);
	drive(&hs, 0);
	fill_outcome(&o, &hs);
	show("dialer", &o);
	result(o.result == HS_FAILED && !strcmp(o.msg, "peer refused: bad?[2Jthing??"),
	       "a peer's ERROR text is logged, made printable");
	close(sv[0]);
	close(sv[1]);
}

/* A wrong sequence number after the HELLO. */
static void test_bad_seq(void)
{
	struct host d = { "d0", SECRET, side(P, 1000, 42), 0, NULL };
	struct {
		struct vaio_repl_hdr h;
		struct vaio_repl_hello hello;
	} f;
	struct outcome o;
	struct hs hs;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	hs_start(&hs, HS_DIALER, sv[0], "peer", &t_ops, &d, "d0", "d0",
		 (const unsigned char *)SECRET, strlen(SECRET), hs_now());
	if (read(sv[1], &f, sizeof(f)) != sizeof(f))
		exit(1);
	/* Echo the HELLO back (our own nonce, seq 5): refused. */
	f.h.seq = htobe32(5);
	if (write(sv[1], &f, sizeof(f)) != sizeof(f))
		exit(1);
	drive(&hs, 0);
	fill_outcome(&o, &hs);
	show("dialer", &o);
	result(o.result == HS_FAILED && strstr(o.msg, "protocol error"),
	       "a frame out of sequence: protocol error");
	close(sv[1]);
	close(sv[0]);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	hs_start(&hs, HS_DIALER, sv[0], "peer", &t_ops, &d, "d0", "d0",
		 (const unsigned char *)SECRET, strlen(SECRET), hs_now());
	if (read(sv[1], &f, sizeof(f)) != sizeof(f))
		exit(1);
	/* Reflect the dialer's own HELLO: its own nonce comes back. */
	if (write(sv[1], &f, sizeof(f)) != sizeof(f))
		exit(1);
	drive(&hs, 0);
	fill_outcome(&o, &hs);
	result(o.result == HS_FAILED && strstr(o.msg, "protocol error"),
	       "a reflected HELLO (our own nonce): refused");
	close(sv[1]);
	close(sv[0]);
}

static int secret_file(const char *dir, const char *name, size_t len,
		       mode_t mode, char *path, size_t plen)
{
	char buf[8192];
	int fd;

	snprintf(path, plen, "%s/%s", dir, name);
	memset(buf, 'x', sizeof(buf));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return -1;
	fchmod(fd, mode);
	close(fd);
	return 0;
}

/* A file of another user: refused; one of vaiod's own (non-root) uid: read. */
static void test_secret_owner(const char *dir)
{
	char path[256], msg[512] = "";
	unsigned char buf[HS_SECRET_MAX];
	size_t len = 0;
	pid_t pid;
	int r, st;

	if (geteuid()) {
		result(true, "a file of another user # SKIP needs root to make one");
		result(true, "a file of vaiod's own uid # SKIP needs root");
		return;
	}
	secret_file(dir, "other", 32, 0600, path, sizeof(path));
	if (chown(path, 12345, 12345)) {
		result(false, "chown: %s", strerror(errno));
		return;
	}
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r == -EPERM && strstr(msg, "owned by uid 12345, not by root or vaiod's uid 0"),
	       "owned by uid 12345, read by root: refused (%s)", msg);

	/* vaiod running as uid 12345 (with CAP_NET_ADMIN) owns it: read. */
	chmod(dir, 0711);
	pid = fork();
	if (!pid) {
		if (setresuid(12345, 12345, 12345))
			_exit(2);
		_exit(hs_read_secret(path, buf, &len, msg, sizeof(msg)) || len != 32);
	}
	st = -1;
	waitpid(pid, &st, 0);
	result(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "owned by uid 12345, read as uid 12345: read");
	unlink(path);

	/*
	 * root:12345 0640: read by vaiod running with group 12345 (root
	 * owns it, vaiod's group reads it), refused with another group.
	 */
	secret_file(dir, "group", 32, 0640, path, sizeof(path));
	if (chown(path, 0, 12345)) {
		result(false, "chown: %s", strerror(errno));
		return;
	}
	for (int g = 12345; g <= 12346; g++) {
		pid = fork();
		if (!pid) {
			if (setresgid(g, g, g) || setresuid(12345, 12345, 12345))
				_exit(2);
			r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
			_exit(g == 12345 ? r || len != 32 : !r);
		}
		st = -1;
		waitpid(pid, &st, 0);
		result(WIFEXITED(st) && WEXITSTATUS(st) == 0, g == 12345 ?
		       "root:12345 mode 640, read with group 12345: read" :
		       "root:12345 mode 640, read with group 12346: refused");
	}
	chmod(dir, 0700);
	unlink(path);
}

static void test_secrets(void)
{
	char dir[] = "/tmp/repl-hs-test.XXXXXX", path[256], msg[512];
	unsigned char buf[HS_SECRET_MAX];
	size_t len = 0;
	int r;

	if (!mkdtemp(dir)) {
		result(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	secret_file(dir, "good", 32, 0600, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(!r && len == 32, "a 32-byte secret, mode 600: read");
	unlink(path);

	secret_file(dir, "world", 32, 0644, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r && strstr(msg, "readable by group or others"),
	       "mode 644: refused (%s)", msg);
	unlink(path);

	secret_file(dir, "group", 32, 0640, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r && strstr(msg, "readable by group or others"), "mode 640: refused");
	unlink(path);

	secret_file(dir, "gw", 32, 0620, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r == -EPERM && strstr(msg, "writable by group or others (chmod 600 it)"),
	       "mode 620: refused (%s)", msg);
	unlink(path);

	secret_file(dir, "ow", 32, 0602, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r == -EPERM && strstr(msg, "writable by group or others"),
	       "mode 602: refused");
	unlink(path);

	test_secret_owner(dir);

	secret_file(dir, "short", 15, 0600, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r && strstr(msg, "shorter than 16"), "15 bytes: refused (%s)", msg);
	unlink(path);

	secret_file(dir, "long", 4097, 0600, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r && strstr(msg, "longer than 4096"), "4097 bytes: refused (%s)", msg);
	unlink(path);

	secret_file(dir, "max", 4096, 0400, path, sizeof(path));
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(!r && len == 4096, "4096 bytes, mode 400: read");
	unlink(path);

	r = hs_read_secret(dir, buf, &len, msg, sizeof(msg));
	result(r && strstr(msg, "not a regular file"), "a directory: refused");
	snprintf(path, sizeof(path), "%s/missing", dir);
	r = hs_read_secret(path, buf, &len, msg, sizeof(msg));
	result(r == -ENOENT && strstr(msg, "No such file"), "a missing file: refused (%s)", msg);
	rmdir(dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	printf("TAP version 13\n");
	test_good();
	test_new_secondary();
	test_wrong_secret();
	test_no_disk();
	test_refusals();
	test_tls();
	test_hostile();
	test_no_oracle();
	test_peer_address();
	test_addr_in();
	test_preauth_deadline();
	test_same_source();
	test_error_text();
	test_bad_seq();
	test_secrets();
	printf("1..%d\n# %d of %d failed\n", n, failed, n);
	return failed ? 1 : 0;
}
