// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaiod's handshake, as a state machine over a non-blocking socket.
 *
 * Frames are struct vaio_repl_hdr (big-endian) and a payload; seq counts
 * from 0 in each direction. The dialer speaks first at every step and the
 * acceptor answers, so neither ever reads a byte beyond the last handshake
 * frame (what follows belongs to the kernel):
 *
 *   dialer                               acceptor
 *   HELLO(disk, nonce)          ->       (checks magic, type, len first)
 *                               <-       HELLO(disk, nonce) | ERROR
 *   AUTH(mac 0)                 ->       (verifies)
 *                               <-       AUTH(mac 1) | ERROR
 *   STATE                       ->
 *                               <-       STATE
 *   GO | ERROR                  ->       (both decide the same)
 *                               <-       GO | ERROR
 *
 * mac d = HMAC-SHA256(secret, "vaio-repl-v1" || d || sender's nonce ||
 * receiver's nonce || the 64-byte disk field), d 0 for the dialer's and 1
 * for the acceptor's, compared in constant time.
 *
 * Before AUTH the acceptor tells a stranger nothing: an unknown disk, or a
 * connection from an address that is not the disk's peer, gets a HELLO as
 * well, then at AUTH the ERROR a wrong secret gets (a decoy, below). A
 * connection has HS_PREAUTH_MS from its start for HELLO and AUTH.
 */
#include "handshake.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define HDR_LEN		sizeof(struct vaio_repl_hdr)
#define MAC_LABEL	"vaio-repl-v1"

_Static_assert(sizeof(struct vaio_repl_hdr) == 16, "header is 16 bytes");
_Static_assert(sizeof(struct vaio_repl_hello) == 104, "hello layout");
_Static_assert(sizeof(struct vaio_repl_state) == 56, "state layout");

/* What a handshake waits for. */
enum step {
	S_D_HELLO,		/* dialer: the acceptor's HELLO */
	S_D_AUTH,		/* dialer: the acceptor's AUTH */
	S_D_STATE,		/* dialer: the acceptor's STATE */
	S_D_VERDICT,		/* dialer: the acceptor's GO or ERROR */
	S_A_HELLO,		/* acceptor: the dialer's HELLO */
	S_A_AUTH,		/* acceptor: the dialer's AUTH */
	S_A_STATE,		/* acceptor: the dialer's STATE */
	S_A_VERDICT,		/* acceptor: the dialer's GO or ERROR */
	S_FLUSH,		/* acceptor: its GO is going out, then done */
	S_LINGER,		/* ERROR sent: flush, wait for EOF or the deadline */
};

static const char *const step_frames[] = {
	[S_D_HELLO] = "HELLO", [S_D_AUTH] = "AUTH", [S_D_STATE] = "STATE",
	[S_D_VERDICT] = "GO", [S_A_HELLO] = "HELLO", [S_A_AUTH] = "AUTH",
	[S_A_STATE] = "STATE", [S_A_VERDICT] = "GO", [S_FLUSH] = "the send",
	[S_LINGER] = "the close",
};

uint64_t hs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void debug(struct hs *hs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void debug(struct hs *hs, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!hs->ops->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hs->ops->debug(hs->ctx, hs->disk, hs->addr, buf);
}

/* Text from the network, made printable for a log line. */
static void sanitize(char *dst, size_t len, const uint8_t *src, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && src[i] && j + 1 < len; i++)
		dst[j++] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[j] = '\0';
}

/*
 * What the log says: @fmt, after a decoy's real reason (an unknown disk,
 * an address that is not the disk's peer) if the handshake is one: that
 * reason matters more than how it ended.
 */
static void set_msg(struct hs *hs, int prio, const char *fmt, va_list ap)
{
	char what[sizeof(hs->msg)];

	vsnprintf(what, sizeof(what), fmt, ap);
	hs->prio = prio;
	if (!hs->decoy) {
		snprintf(hs->msg, sizeof(hs->msg), "%s", what);
		return;
	}
	snprintf(hs->msg, sizeof(hs->msg), "%s (then: %.200s)", hs->decoy_msg,
		 what);
	if (hs->decoy_prio < prio)
		hs->prio = hs->decoy_prio;
}

/* Fails at once: the caller closes the socket. */
static void fail(struct hs *hs, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct hs *hs, int prio, const char *fmt, ...)
{
	va_list ap;

	if (hs->result != HS_RUNNING)
		return;
	va_start(ap, fmt);
	set_msg(hs, prio, fmt, ap);
	va_end(ap);
	hs->result = HS_FAILED;
}

/*
 *--------------------------------------------------------------
 * Frames
 *--------------------------------------------------------------
 */

/* Our HELLO's features: the daemon's, the same for every disk name. */
static __be32 hello_features(const struct hs *hs)
{
	return htobe32(hs->ops->tls ? VAIO_REPL_HELLO_F_TLS : 0);
}

/* The peer's HELLO said TLS. */
static bool hello_tls(const struct vaio_repl_hello *h)
{
	return be32toh(h->features) & VAIO_REPL_HELLO_F_TLS;
}

/* The transcript: frame @p of @len bytes, sent by the dialer or not. */
static void log_frame(struct hs *hs, bool by_dialer, const void *p, size_t len)
{
	uint8_t *log = by_dialer ? hs->log_d : hs->log_a;
	size_t *have = by_dialer ? &hs->log_d_len : &hs->log_a_len;

	if (*have + len > HS_LOG_MAX) {
		hs->log_full = true;
		return;
	}
	memcpy(log + *have, p, len);
	*have += len;
}

int hs_tls_psk(const unsigned char *secret, size_t secret_len,
	       const uint8_t *log_d, size_t log_d_len, const uint8_t *log_a,
	       size_t log_a_len, uint8_t psk[HS_TLS_PSK_LEN])
{
	static const char label[] = "vaio-repl tls psk v1";
	uint8_t data[sizeof(label) - 1 + 2 * HS_LOG_MAX];
	size_t off = sizeof(label) - 1, outlen = 0;

	if (log_d_len > HS_LOG_MAX || log_a_len > HS_LOG_MAX)
		return -1;
	memcpy(data, label, off);
	memcpy(data + off, log_d, log_d_len);
	off += log_d_len;
	memcpy(data + off, log_a, log_a_len);
	off += log_a_len;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, secret_len,
		       data, off, psk, HS_TLS_PSK_LEN, &outlen) ||
	    outlen != HS_TLS_PSK_LEN)
		return -1;
	return 0;
}

static void put_frame(struct hs *hs, int type, const void *payload,
		      size_t len)
{
	struct vaio_repl_hdr h = {
		.magic = htobe32(VAIO_REPL_MAGIC),
		.type = htobe16(type),
		.flags = 0,
		.len = htobe32(len),
		.seq = htobe32(hs->tx_seq++),
	};

	/* Only ever a few small frames: out has room for all of them. */
	if (hs->out_len + HDR_LEN + len > sizeof(hs->out))
		return;
	memcpy(hs->out + hs->out_len, &h, HDR_LEN);
	if (len)
		memcpy(hs->out + hs->out_len + HDR_LEN, payload, len);
	log_frame(hs, hs->role == HS_DIALER, hs->out + hs->out_len, HDR_LEN + len);
	hs->out_len += HDR_LEN + len;
}

/*
 * Refuses: sends ERROR @text, then lingers (so that the peer reads it, and,
 * after a failed authentication, to slow down guessing). @fmt is what the
 * log says.
 */
static void refuse(struct hs *hs, int prio, const char *text, uint64_t now,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void refuse(struct hs *hs, int prio, const char *text, uint64_t now,
		   const char *fmt, ...)
{
	size_t n = strnlen(text, HS_ERROR_MAX);
	va_list ap;

	va_start(ap, fmt);
	set_msg(hs, prio, fmt, ap);
	va_end(ap);
	put_frame(hs, VAIO_REPL_F_ERROR, text, n);
	hs->step = S_LINGER;
	hs->deadline = now + HS_LINGER_MS;
}

static void wait_for(struct hs *hs, enum step step, uint64_t now)
{
	hs->step = step;
	hs->deadline = now + HS_STEP_MS;
	/*
	 * Until it has proved that it knows the secret, a peer holds one of
	 * vaiod's few handshake slots for a short while only, from the start.
	 */
	if ((step == S_A_HELLO || step == S_A_AUTH) &&
	    hs->preauth_deadline < hs->deadline)
		hs->deadline = hs->preauth_deadline;
}

/*
 *--------------------------------------------------------------
 * Authentication
 *--------------------------------------------------------------
 */

static int compute_mac(const struct hs *hs, uint8_t dir, const uint8_t *from,
		       const uint8_t *to, uint8_t *mac)
{
	uint8_t data[sizeof(MAC_LABEL) - 1 + 1 + 2 * VAIO_REPL_NONCE_LEN +
		     VAIO_REPL_NAME_LEN];
	size_t off = 0, outlen = 0;

	memcpy(data, MAC_LABEL, sizeof(MAC_LABEL) - 1);
	off += sizeof(MAC_LABEL) - 1;
	data[off++] = dir;
	memcpy(data + off, from, VAIO_REPL_NONCE_LEN);
	off += VAIO_REPL_NONCE_LEN;
	memcpy(data + off, to, VAIO_REPL_NONCE_LEN);
	off += VAIO_REPL_NONCE_LEN;
	memcpy(data + off, hs->name, VAIO_REPL_NAME_LEN);
	off += VAIO_REPL_NAME_LEN;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, hs->secret,
		       hs->secret_len, data, off, mac, VAIO_REPL_MAC_LEN,
		       &outlen) || outlen != VAIO_REPL_MAC_LEN)
		return -1;
	return 0;
}

/* Our AUTH: direction 0 from the dialer, 1 from the acceptor. */
static int send_auth(struct hs *hs)
{
	struct vaio_repl_auth a;
	uint8_t dir = hs->role == HS_DIALER ? 0 : 1;

	if (compute_mac(hs, dir, hs->nonce, hs->peer_nonce, a.mac))
		return -1;
	put_frame(hs, VAIO_REPL_F_AUTH, &a, sizeof(a));
	return 0;
}

static bool check_auth(struct hs *hs, const struct vaio_repl_auth *a)
{
	uint8_t dir = hs->role == HS_DIALER ? 1 : 0, mac[VAIO_REPL_MAC_LEN];

	if (compute_mac(hs, dir, hs->peer_nonce, hs->nonce, mac))
		return false;
	return !CRYPTO_memcmp(mac, a->mac, sizeof(mac));
}

/*
 *--------------------------------------------------------------
 * Who may connect
 *--------------------------------------------------------------
 */

/* @sa's address as bytes: 4 for IPv4 (also mapped in IPv6), 16 for IPv6. */
static size_t addr_bytes(const struct sockaddr *sa, const uint8_t **p)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		*p = s6->sin6_addr.s6_addr + 12;
		return 4;
	}
	*p = s6->sin6_addr.s6_addr;
	return 16;
}

bool hs_addr_in(const struct sockaddr *sa, const struct addrinfo *list)
{
	const uint8_t *a, *b;
	size_t n = addr_bytes(sa, &a);

	for (; n && list; list = list->ai_next)
		if (list->ai_addr && addr_bytes(list->ai_addr, &b) == n &&
		    !memcmp(a, b, n))
			return true;
	return false;
}

bool hs_same_source(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t *pa, *pb;
	size_t n = addr_bytes(a, &pa);

	if (!n || addr_bytes(b, &pb) != n)
		return false;
	return !memcmp(pa, pb, n == 4 ? 4 : 8);
}

int hs_check_peer(const struct sockaddr *from, socklen_t from_len,
		  const char *peer, const struct addrinfo *addrs,
		  const char *why, char *msg, size_t len)
{
	char host[NI_MAXHOST];

	if (!from_len || getnameinfo(from, from_len, host, sizeof(host), NULL,
				     0, NI_NUMERICHOST))
		snprintf(host, sizeof(host), "?");
	if (!addrs) {
		snprintf(msg, len, "refusing %s: the address of peer %s is not known (%s)",
			 host, peer, why && why[0] ? why : "not looked up yet");
		return -EACCES;
	}
	if (!from_len || !hs_addr_in(from, addrs)) {
		snprintf(msg, len, "refusing %s: not the disk's peer %s", host,
			 peer);
		return -EACCES;
	}
	return 0;
}

int hs_read_secret(const char *path, unsigned char *buf, size_t *len,
		   char *msg, size_t msglen)
{
	unsigned char tmp[HS_SECRET_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		/* vaiod.service runs it as the user vaiod: say what to do. */
		if (e == EACCES && geteuid())
			snprintf(msg, msglen,
				 "secret file %s: %s (vaiod runs as uid %u: chown the file to it)",
				 path, strerror(e), (unsigned int)geteuid());
		else
			snprintf(msg, msglen, "secret file %s: %s", path,
				 strerror(e));
		return -e;
	}
	if (fstat(fd, &st)) {
		e = errno;
		snprintf(msg, msglen, "secret file %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "secret file %s is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	/*
	 * Readable by vaiod's group (not root's): root:vaiod 0640, as
	 * /etc/ssl/private keeps keys, so that root may own the file.
	 */
	if ((st.st_mode & S_IROTH) ||
	    ((st.st_mode & S_IRGRP) && (!getegid() || st.st_gid != getegid()))) {
		snprintf(msg, msglen,
			 "secret file %s is readable by group or others (chmod 600 it, or 640 with vaiod's group)",
			 path);
		close(fd);
		return -EPERM;
	}
	/* Whoever may write it may choose the key. */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(msg, msglen,
			 "secret file %s is writable by group or others (chmod 600 it)",
			 path);
		close(fd);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(msg, msglen,
			 "secret file %s is owned by uid %u, not by root or vaiod's uid %u (chown %s it)",
			 path, (unsigned int)st.st_uid, (unsigned int)geteuid(),
			 geteuid() ? "vaiod's user" : "root");
		close(fd);
		return -EPERM;
	}
	/* One byte more than allowed: too long is then seen. */
	while (got < sizeof(tmp)) {
		n = read(fd, tmp + got, sizeof(tmp) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			snprintf(msg, msglen, "secret file %s: %s", path,
				 strerror(e));
			close(fd);
			OPENSSL_cleanse(tmp, sizeof(tmp));
			return -e;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	if (got < HS_SECRET_MIN || got > HS_SECRET_MAX) {
		snprintf(msg, msglen, "secret file %s: %s than %d bytes", path,
			 got < HS_SECRET_MIN ? "shorter" : "longer",
			 got < HS_SECRET_MIN ? HS_SECRET_MIN : HS_SECRET_MAX);
		OPENSSL_cleanse(tmp, sizeof(tmp));
		return -EINVAL;
	}
	memcpy(buf, tmp, got);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	*len = got;
	return 0;
}

/*
 *--------------------------------------------------------------
 * STATE and the verdict
 *--------------------------------------------------------------
 */

static void put_state(struct hs *hs)
{
	struct vaio_repl_state s;
	int i;

	memset(&s, 0, sizeof(s));
	s.sectors = htobe64(hs->me.sectors);
	s.gen = htobe64(hs->me.gen);
	for (i = 0; i < VAIO_REPL_GEN_HISTORY; i++)
		s.history[i] = htobe64(hs->me.history[i]);
	s.role = hs->me.role;
	s.mode = hs->me.mode;
	s.consistent = hs->me.consistent;
	s.flags = hs->me.new_pair ? VAIO_REPL_SF_NEW_PAIR : 0;
	put_frame(hs, VAIO_REPL_F_STATE, &s, sizeof(s));
}

static bool get_state(struct hs *hs, const struct vaio_repl_state *s)
{
	struct repl_side *p = &hs->peer;
	int i;

	if (s->role > VAIO_REPL_ROLE_PRIMARY || s->mode > VAIO_REPL_MODE_ASYNC ||
	    s->consistent > 1)
		return false;
	memset(p, 0, sizeof(*p));
	p->sectors = be64toh(s->sectors);
	p->gen = be64toh(s->gen);
	for (i = 0; i < VAIO_REPL_GEN_HISTORY; i++)
		p->history[i] = be64toh(s->history[i]);
	p->role = s->role;
	p->mode = s->mode;
	p->consistent = s->consistent;
	p->new_pair = s->flags & VAIO_REPL_SF_NEW_PAIR;
	return true;
}

/* Our STATE, fresh from the kernel; false (and refused) if the disk went. */
static bool local_state(struct hs *hs, uint64_t now)
{
	char msg[256] = "";

	if (!hs->ops->state(hs->ctx, hs->disk, &hs->me, msg, sizeof(msg)))
		return true;
	refuse(hs, 3, "disk unavailable", now, "%s (peer %s)",
	       msg[0] ? msg : "disk unavailable", hs->addr);
	return false;
}

static void decide(struct hs *hs)
{
	const char *why = NULL;
	bool mine_primary = hs->me.role == VAIO_REPL_ROLE_PRIMARY;

	hs->go = vaio_repl_decide(mine_primary ? &hs->me : &hs->peer,
				  mine_primary ? &hs->peer : &hs->me,
				  &hs->full_sync, &why);
	/* Checked now, authenticated: neither side runs the other's way. */
	if (hs->go && hs->peer_tls != hs->ops->tls) {
		hs->go = false;
		why = hs->ops->tls ?
			"TLS: this side runs vaiod --tls, the peer without it (both sides must)" :
			"TLS: the peer runs vaiod --tls, this side without it (both sides must)";
	}
	hs->decided = true;
	snprintf(hs->why, sizeof(hs->why), "%s", hs->go ? "" : why);
	debug(hs, "state: mine role %s gen %016llx sectors %llu, peer role %s gen %016llx sectors %llu: %s%s",
	      vaio_repl_role_name(hs->me.role), (unsigned long long)hs->me.gen,
	      (unsigned long long)hs->me.sectors,
	      vaio_repl_role_name(hs->peer.role),
	      (unsigned long long)hs->peer.gen,
	      (unsigned long long)hs->peer.sectors,
	      hs->go ? "go" : "refuse: ", hs->why);
}

/* Sends our verdict; on a refusal lingers. */
static void send_verdict(struct hs *hs, uint64_t now)
{
	if (hs->go) {
		put_frame(hs, VAIO_REPL_F_GO, NULL, 0);
		return;
	}
	refuse(hs, 3, hs->why, now, "%s (peer %s)", hs->why, hs->addr);
}

/*
 *--------------------------------------------------------------
 * Frame handling
 *--------------------------------------------------------------
 */

/* The frame type and payload length step @step expects. */
static void expected(enum step step, int *type, size_t *len)
{
	switch (step) {
	case S_D_HELLO:
	case S_A_HELLO:
		*type = VAIO_REPL_F_HELLO;
		*len = sizeof(struct vaio_repl_hello);
		return;
	case S_D_AUTH:
	case S_A_AUTH:
		*type = VAIO_REPL_F_AUTH;
		*len = sizeof(struct vaio_repl_auth);
		return;
	case S_D_STATE:
	case S_A_STATE:
		*type = VAIO_REPL_F_STATE;
		*len = sizeof(struct vaio_repl_state);
		return;
	case S_D_VERDICT:
	case S_A_VERDICT:
		*type = VAIO_REPL_F_GO;
		*len = 0;
		return;
	default:
		*type = -1;
		*len = 0;
	}
}

/*
 * Checks a received header. Returns the payload length, or -1 after
 * failing the handshake.
 */
static long check_header(struct hs *hs, const struct vaio_repl_hdr *h)
{
	uint32_t magic = be32toh(h->magic), len = be32toh(h->len);
	uint16_t type = be16toh(h->type), flags = be16toh(h->flags);
	uint32_t seq = be32toh(h->seq);
	size_t want;
	int etype;

	expected(hs->step, &etype, &want);
	/* The first bytes a stranger sends: anything off is garbage. */
	if (hs->step == S_A_HELLO &&
	    (magic != VAIO_REPL_MAGIC || type != VAIO_REPL_F_HELLO ||
	     len != sizeof(struct vaio_repl_hello) || flags || seq)) {
		hs->garbage = true;
		fail(hs, 4, "garbage from %s", hs->addr);
		return -1;
	}
	if (magic != VAIO_REPL_MAGIC) {
		fail(hs, 4, "protocol error from %s: bad magic %08x", hs->addr,
		     magic);
		return -1;
	}
	if (flags || seq != hs->rx_seq) {
		fail(hs, 4, "protocol error from %s: flags %#x, seq %u (expected %u)",
		     hs->addr, flags, seq, hs->rx_seq);
		return -1;
	}
	if (type == VAIO_REPL_F_ERROR) {
		if (len > HS_ERROR_MAX) {
			fail(hs, 4, "protocol error from %s: ERROR of %u bytes",
			     hs->addr, len);
			return -1;
		}
		return len;
	}
	if (type != etype || len != want) {
		fail(hs, 4, "protocol error from %s: frame type %u, %u bytes, while waiting for %s",
		     hs->addr, type, len, step_frames[hs->step]);
		return -1;
	}
	return len;
}

/* The peer's ERROR: log its text (or our own reason, the same). */
static void got_error(struct hs *hs, const uint8_t *p, size_t len)
{
	char text[HS_ERROR_MAX + 1];

	sanitize(text, sizeof(text), p, len);
	if (hs->decided && !hs->go)
		fail(hs, 3, "%s (peer %s)", hs->why, hs->addr);
	else
		fail(hs, 3, "%s refused: %s", hs->addr, text[0] ? text : "(no reason)");
}

/*
 * No disk for this stranger (decoy_msg says why): go on as if there were,
 * with a random secret, so that the answer is the one a wrong secret gets,
 * "authentication failed" after AUTH, by the same path. false if even that
 * cannot be.
 */
static bool decoy(struct hs *hs, int prio)
{
	hs->decoy = true;
	hs->decoy_prio = prio;
	hs->secret_len = 32;
	if (RAND_bytes(hs->secret, hs->secret_len) != 1) {
		fail(hs, 3, "no random bytes for a secret (libcrypto)");
		return false;
	}
	return true;
}

static void acceptor_hello(struct hs *hs, const struct vaio_repl_hello *h,
			   uint64_t now)
{
	struct vaio_repl_hello out;
	char name[VAIO_REPL_NAME_LEN * 2], msg[512] = "", text[HS_ERROR_MAX];
	int r;

	memcpy(hs->name, h->disk, VAIO_REPL_NAME_LEN);
	memcpy(hs->peer_nonce, h->nonce, VAIO_REPL_NONCE_LEN);
	hs->peer_tls = hello_tls(h);
	sanitize(name, sizeof(name), (const uint8_t *)h->disk, VAIO_REPL_NAME_LEN);
	if (be32toh(h->version) != 1) {
		snprintf(text, sizeof(text), "unsupported protocol version %u",
			 be32toh(h->version));
		refuse(hs, 4, text, now, "%s from %s", text, hs->addr);
		return;
	}
	if (!memchr(h->disk, '\0', VAIO_REPL_NAME_LEN) ||
	    !vaio_valid_name(h->disk))
		r = -ENODEV;
	else
		r = hs->ops->lookup(hs->ctx, h->disk,
				    (const struct sockaddr *)&hs->from,
				    hs->from_len, hs->disk, hs->secret,
				    &hs->secret_len, msg, sizeof(msg));
	if (r == -ENODEV) {
		hs->disk[0] = '\0';
		snprintf(hs->decoy_msg, sizeof(hs->decoy_msg),
			 "no such disk: %s (from %s)", name, hs->addr);
		if (!decoy(hs, 4))
			return;
	} else if (r == -EACCES) {
		snprintf(hs->decoy_msg, sizeof(hs->decoy_msg), "%s",
			 msg[0] ? msg : "refusing the peer's address");
		if (!decoy(hs, 4))
			return;
	} else if (r) {
		refuse(hs, 3, "the peer cannot authenticate: see its log", now,
		       "%s; refusing %s", msg[0] ? msg : strerror(-r), hs->addr);
		return;
	}
	if (!memcmp(hs->peer_nonce, hs->nonce, VAIO_REPL_NONCE_LEN)) {
		fail(hs, 4, "protocol error from %s: our own nonce", hs->addr);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.version = htobe32(1);
	out.features = hello_features(hs);	/* nothing to learn of a disk */
	memcpy(out.disk, hs->name, VAIO_REPL_NAME_LEN);
	memcpy(out.nonce, hs->nonce, VAIO_REPL_NONCE_LEN);
	put_frame(hs, VAIO_REPL_F_HELLO, &out, sizeof(out));
	debug(hs, "HELLO from %s for %s%s", hs->addr, name,
	      hs->decoy ? ": to be refused at AUTH" : "");
	wait_for(hs, S_A_AUTH, now);
}

static void frame(struct hs *hs, int type, const uint8_t *p, size_t len,
		  uint64_t now)
{
	union {
		struct vaio_repl_hello hello;
		struct vaio_repl_auth auth;
		struct vaio_repl_state state;
	} u;
	const struct vaio_repl_hello *hello = &u.hello;

	hs->rx_seq++;
	if (type == VAIO_REPL_F_ERROR) {
		got_error(hs, p, len);
		return;
	}
	/* check_header() made sure len is the size of the step's frame. */
	memset(&u, 0, sizeof(u));
	memcpy(&u, p, len < sizeof(u) ? len : sizeof(u));
	switch (hs->step) {
	case S_A_HELLO:
		acceptor_hello(hs, hello, now);
		return;
	case S_D_HELLO:
		if (be32toh(hello->version) != 1 ||
		    memcmp(hello->disk, hs->name, VAIO_REPL_NAME_LEN) ||
		    !memcmp(hello->nonce, hs->nonce, VAIO_REPL_NONCE_LEN)) {
			fail(hs, 4, "protocol error from %s: a HELLO with another version, disk or our own nonce",
			     hs->addr);
			return;
		}
		memcpy(hs->peer_nonce, hello->nonce, VAIO_REPL_NONCE_LEN);
		hs->peer_tls = hello_tls(hello);
		if (send_auth(hs)) {
			fail(hs, 3, "HMAC-SHA256 failed (libcrypto)");
			return;
		}
		wait_for(hs, S_D_AUTH, now);
		return;
	case S_A_AUTH:
		/* A decoy's random secret never matches: checked all the same. */
		if (!check_auth(hs, &u.auth) || hs->decoy) {
			if (hs->decoy) {
				/* The peer gets a wrong secret's answer, our log the truth. */
				hs->decoy = false;
				refuse(hs, hs->decoy_prio, "authentication failed",
				       now, "%s", hs->decoy_msg);
			} else {
				refuse(hs, 3, "authentication failed", now,
				       "authentication failed from %s", hs->addr);
			}
			return;
		}
		if (send_auth(hs)) {
			fail(hs, 3, "HMAC-SHA256 failed (libcrypto)");
			return;
		}
		debug(hs, "%s authenticated", hs->addr);
		hs->authed = true;
		wait_for(hs, S_A_STATE, now);
		return;
	case S_D_AUTH:
		if (!check_auth(hs, &u.auth)) {
			refuse(hs, 3, "authentication failed", now,
			       "authentication failed from %s", hs->addr);
			return;
		}
		debug(hs, "%s authenticated", hs->addr);
		hs->authed = true;
		if (!local_state(hs, now))
			return;
		put_state(hs);
		wait_for(hs, S_D_STATE, now);
		return;
	case S_A_STATE:
		if (!get_state(hs, &u.state)) {
			fail(hs, 4, "protocol error from %s: a STATE out of range",
			     hs->addr);
			return;
		}
		if (!local_state(hs, now))
			return;
		put_state(hs);
		decide(hs);
		wait_for(hs, S_A_VERDICT, now);
		return;
	case S_D_STATE:
		if (!get_state(hs, &u.state)) {
			fail(hs, 4, "protocol error from %s: a STATE out of range",
			     hs->addr);
			return;
		}
		decide(hs);
		send_verdict(hs, now);
		if (hs->go)
			wait_for(hs, S_D_VERDICT, now);
		return;
	case S_A_VERDICT:
		send_verdict(hs, now);
		if (hs->go)
			wait_for(hs, S_FLUSH, now);
		return;
	case S_D_VERDICT:
		if (hs->out_off != hs->out_len) {	/* cannot be: it read ours */
			fail(hs, 4, "protocol error from %s: GO before ours was sent",
			     hs->addr);
			return;
		}
		hs->result = HS_OK;
		return;
	default:
		fail(hs, 4, "protocol error from %s: unexpected frame", hs->addr);
	}
}

/*
 *--------------------------------------------------------------
 * I/O
 *--------------------------------------------------------------
 */

static void flush(struct hs *hs)
{
	ssize_t n;

	while (hs->out_off < hs->out_len) {
		n = send(hs->fd, hs->out + hs->out_off, hs->out_len - hs->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (hs->step == S_LINGER) {	/* the peer is gone: done */
				hs->result = HS_FAILED;
				return;
			}
			fail(hs, 4, "sending to %s: %s", hs->addr,
			     n < 0 ? strerror(errno) : "connection closed");
			return;
		}
		hs->out_off += n;
	}
	hs->out_off = hs->out_len = 0;
}

/* Lingering: whatever comes is dropped; EOF ends it. */
static void drain(struct hs *hs)
{
	ssize_t n;

	for (;;) {
		n = recv(hs->fd, hs->in, sizeof(hs->in), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			hs->result = HS_FAILED;	/* msg was set by refuse() */
			return;
		}
	}
}

/* Reads exactly the frame awaited, never more. */
static void receive(struct hs *hs, uint64_t now)
{
	struct vaio_repl_hdr h;
	size_t want;
	long plen;
	ssize_t n;

	while (hs->result == HS_RUNNING && hs->step != S_FLUSH &&
	       hs->step != S_LINGER) {
		want = HDR_LEN;
		if (hs->in_have >= HDR_LEN) {
			memcpy(&h, hs->in, HDR_LEN);
			want += be32toh(h.len);
		}
		if (hs->in_have < want) {
			n = recv(hs->fd, hs->in + hs->in_have, want - hs->in_have,
				 MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n < 0) {
				fail(hs, 4, "receiving from %s: %s", hs->addr,
				     strerror(errno));
				return;
			}
			if (!n) {
				if (hs->step == S_A_HELLO && !hs->in_have)
					fail(hs, 7, "%s closed without a word",
					     hs->addr);
				else
					fail(hs, 4, "%s closed the connection while we waited for %s",
					     hs->addr, step_frames[hs->step]);
				return;
			}
			hs->in_have += n;
			if (hs->in_have == HDR_LEN) {
				memcpy(&h, hs->in, HDR_LEN);
				plen = check_header(hs, &h);
				if (plen < 0)
					return;
			}
			continue;
		}
		memcpy(&h, hs->in, HDR_LEN);
		hs->in_have = 0;
		log_frame(hs, hs->role != HS_DIALER, hs->in, want);
		frame(hs, be16toh(h.type), hs->in + HDR_LEN, be32toh(h.len), now);
	}
}

/*
 *--------------------------------------------------------------
 * Driving
 *--------------------------------------------------------------
 */

void hs_start(struct hs *hs, enum hs_role role, int fd, const char *addr,
	      const struct hs_ops *ops, void *ctx, const char *disk,
	      const char *remote, const unsigned char *secret,
	      size_t secret_len, uint64_t now)
{
	struct vaio_repl_hello h;
	int fl;

	memset(hs, 0, sizeof(*hs));
	hs->role = role;
	hs->fd = fd;
	hs->ops = ops;
	hs->ctx = ctx;
	snprintf(hs->addr, sizeof(hs->addr), "%s", addr);
	hs->result = HS_RUNNING;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		fail(hs, 3, "socket: %s", strerror(errno));
		return;
	}
	if (RAND_bytes(hs->nonce, sizeof(hs->nonce)) != 1) {
		fail(hs, 3, "no random bytes for a nonce (libcrypto)");
		return;
	}
	if (role == HS_ACCEPTOR) {
		hs->from_len = sizeof(hs->from);
		if (getpeername(fd, (struct sockaddr *)&hs->from, &hs->from_len))
			hs->from_len = 0;
		hs->preauth_deadline = now + HS_PREAUTH_MS;
		wait_for(hs, S_A_HELLO, now);
		return;
	}
	snprintf(hs->disk, sizeof(hs->disk), "%s", disk);
	if (strlen(remote) >= VAIO_REPL_NAME_LEN ||
	    secret_len < HS_SECRET_MIN || secret_len > HS_SECRET_MAX) {
		fail(hs, 3, "bad remote disk name or secret");
		return;
	}
	strncpy(hs->name, remote, VAIO_REPL_NAME_LEN);	/* NUL-padded */
	memcpy(hs->secret, secret, secret_len);
	hs->secret_len = secret_len;
	memset(&h, 0, sizeof(h));
	h.version = htobe32(1);
	h.features = hello_features(hs);
	memcpy(h.disk, hs->name, VAIO_REPL_NAME_LEN);
	memcpy(h.nonce, hs->nonce, VAIO_REPL_NONCE_LEN);
	put_frame(hs, VAIO_REPL_F_HELLO, &h, sizeof(h));
	wait_for(hs, S_D_HELLO, now);
	flush(hs);
}

short hs_events(const struct hs *hs)
{
	short ev = 0;

	if (hs->result != HS_RUNNING)
		return 0;
	if (hs->out_off < hs->out_len)
		ev |= POLLOUT;
	if (hs->step != S_FLUSH)
		ev |= POLLIN;
	return ev;
}

void hs_run(struct hs *hs, short revents, uint64_t now)
{
	if (hs->result != HS_RUNNING)
		return;
	if (revents & POLLNVAL) {
		fail(hs, 3, "%s: the socket went away", hs->addr);
		return;
	}
	flush(hs);
	if (hs->result == HS_RUNNING && hs->step == S_LINGER)
		drain(hs);
	else if (hs->result == HS_RUNNING)
		receive(hs, now);
	/* Frames just queued go out at once; usually they fit. */
	if (hs->result == HS_RUNNING)
		flush(hs);
	if (hs->result != HS_RUNNING)
		goto out;
	if (hs->step == S_FLUSH && hs->out_off == hs->out_len) {
		hs->result = HS_OK;
		goto out;
	}
	if (now >= hs->deadline) {
		if (hs->step == S_LINGER)
			hs->result = HS_FAILED;
		else
			fail(hs, 4, "%s: timed out waiting for %s", hs->addr,
			     step_frames[hs->step]);
	}
out:
	/* The TLS key, while there is a secret to make it with. */
	if (hs->result == HS_OK && hs->ops->tls &&
	    (hs->log_full ||
	     hs_tls_psk(hs->secret, hs->secret_len, hs->log_d, hs->log_d_len,
			hs->log_a, hs->log_a_len, hs->tls_psk))) {
		hs->result = HS_RUNNING;
		fail(hs, 3, "%s: no TLS key (the handshake too long, or HMAC-SHA256 failed)",
		     hs->addr);
	}
	/* The secret is not needed any more. */
	if (hs->result != HS_RUNNING)
		OPENSSL_cleanse(hs->secret, sizeof(hs->secret));
}
