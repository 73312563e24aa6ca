// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaiod: connects the replicated disks of dm-vaio to their peers.
 *
 *   vaiod [-c|--config FILE] [-l|--listen ADDR[:PORT]]... [--tls]
 *         [-v|--verbose] [-h|--help] [-V|--version]
 *
 * One daemon per host, for all its disks. It follows the "vaio_repl"
 * family (notifications, and a GET dump every second), dials the peer of
 * every primary disk that waits for a connection (with back-off), accepts
 * the peers' connections for its disks, authenticates both ends and hands
 * each socket to the kernel (VAIO_REPL_CMD_CONNECT). It is not in the data
 * path: killing it stops no replication. One thread, one poll() loop; no
 * peer can hold it up. Logs to stderr with "<N>" priority prefixes
 * (journald's). SIGHUP reads its configuration file again (listen, tls,
 * verbose) and puts it in place, or keeps the old one if the new one is
 * wrong. It needs CAP_NET_ADMIN only (vaio_repl's GENL_ADMIN_PERM
 * commands, and GET's secret path). See vaiod(8).
 */
#include "handshake.h"
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <openssl/crypto.h>

/* The project's version: ../VERSION, passed by userspace/Makefile. */
#ifndef VAIO_VERSION
#error "VAIO_VERSION is not defined: build with userspace/Makefile"
#endif

#define DUMP_MS			1000	/* the safety net: GET dump */
#define REOPEN_MS		1000	/* the family is not there: retry */
#define BACKOFF_MIN_MS		250
#define BACKOFF_MAX_MS		10000
#define CONNECT_MS		HS_STEP_MS
#define MAX_ACCEPTED		64	/* handshakes at once, accepted */
#define MAX_PER_SOURCE		4	/* of them from one source, a stranger */
#define RESOLVE_POLL_MS		50
#define RESOLVE_MS		10000	/* a name lookup for the acceptor */
#define PEER_REFRESH_MS		60000	/* peer='s HOST looked up again */
#define GARBAGE_BURST		5	/* garbage lines per window */
#define GARBAGE_WINDOW_MS	10000
#define DEDUP_MS		60000	/* a repeated message: debug level */
#define MAX_LISTEN		16	/* listen= lines, --listen options */
#define MAX_LISTENERS		32	/* sockets: a name may give several */
#define CONF_LINE_MAX		512
#define CONF_DEFAULT		"/etc/vaio/vaiod.conf"

enum { EXIT_OK, EXIT_FAIL, EXIT_USAGE };

/*
 * What vaiod is told: the configuration file, then the command line over
 * it. Read at the start and again at each SIGHUP.
 */
struct config {
	char listen[MAX_LISTEN][256];	/* ADDR[:PORT]; "*" every address */
	int nlisten;
	bool tls, verbose;
};

static struct config conf;		/* in use */
static struct config cmdline;		/* the command line's part */
static bool cmdline_tls, cmdline_verbose;
static const char *conf_path = CONF_DEFAULT;
static bool conf_path_given;		/* --config: it must exist */

static bool verbose;
static volatile sig_atomic_t stopping, reload_wanted;

/*
 *--------------------------------------------------------------
 * Logging
 *--------------------------------------------------------------
 */

static void logmsg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logmsg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (prio >= 7 && !verbose)
		return;
	n = snprintf(line, sizeof(line), "<%d>", prio);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	/* One write per line: lines never mix. */
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere to complain to. */
	}
}

/* The last message per key (a disk, a peer): repeats go to debug. */
struct dedup {
	char key[VAIO_NAME_MAX + 96];
	char msg[512];
	uint64_t when;
};

static struct dedup dedups[64];

static void log_dedup(const char *key, int prio, const char *msg, uint64_t now)
{
	struct dedup *d, *oldest = &dedups[0];
	size_t i;

	for (i = 0; i < sizeof(dedups) / sizeof(dedups[0]); i++) {
		d = &dedups[i];
		if (!strcmp(d->key, key))
			break;
		if (d->when < oldest->when)
			oldest = d;
	}
	if (i == sizeof(dedups) / sizeof(dedups[0])) {
		d = oldest;
		snprintf(d->key, sizeof(d->key), "%s", key);
		d->msg[0] = '\0';
	}
	if (!strcmp(d->msg, msg) && now - d->when < DEDUP_MS) {
		logmsg(7, "%s (again)", msg);
		return;
	}
	snprintf(d->msg, sizeof(d->msg), "%s", msg);
	d->when = now;
	logmsg(prio, "%s", msg);
}

static void dedup_forget(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(dedups) / sizeof(dedups[0]); i++)
		if (!strcmp(dedups[i].key, key))
			dedups[i].msg[0] = '\0';
}

/*
 * Strangers (garbage, too many connections at once): a few lines per
 * window, then a count.
 */
static struct {
	uint64_t start;
	int lines, dropped;
} garbage_rl;

static void log_garbage(int prio, const char *msg, uint64_t now)
{
	if (now - garbage_rl.start >= GARBAGE_WINDOW_MS) {
		if (garbage_rl.dropped)
			logmsg(4, "%d more such messages suppressed",
			       garbage_rl.dropped);
		garbage_rl.start = now;
		garbage_rl.lines = garbage_rl.dropped = 0;
	}
	if (garbage_rl.lines++ < GARBAGE_BURST)
		logmsg(prio, "%s", msg);
	else
		garbage_rl.dropped++;
}

/*
 *--------------------------------------------------------------
 * Addresses
 *--------------------------------------------------------------
 */

/*
 * Splits "HOST:PORT", "[V6]:PORT", "HOST" or "[V6]" (with @def_port), and
 * a bare IPv6 address. Without @def_port the port is required, and "V6:PORT"
 * is an IPv6 address and a port: the kernel's peer= has no brackets (its
 * parameters may not), so its port is what follows the last colon. 0 or -1
 * with @msg.
 */
static int split_hostport(const char *s, char *host, size_t hlen, char *port,
			  size_t plen, const char *def_port, char *msg,
			  size_t mlen)
{
	const char *colon, *end;
	char *e;
	unsigned long p;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':')) {
			snprintf(msg, mlen, "'%s': expected [ADDRESS]:PORT", s);
			return -1;
		}
		snprintf(host, hlen, "%.*s", (int)(end - s - 1), s + 1);
		colon = end[1] ? end + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		/* A bare IPv6 address, if a port is not required. */
		if (def_port && colon && strchr(s, ':') != colon)
			colon = NULL;
		snprintf(host, hlen, "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	}
	if (!colon) {
		if (!def_port) {
			snprintf(msg, mlen, "'%s': no port (HOST:PORT)", s);
			return -1;
		}
		snprintf(port, plen, "%s", def_port);
		return 0;
	}
	errno = 0;
	p = strtoul(colon + 1, &e, 10);
	if (!colon[1] || *e || errno || p < 1 || p > 65535) {
		snprintf(msg, mlen, "'%s': port '%s' is not 1 to 65535", s, colon + 1);
		return -1;
	}
	snprintf(port, plen, "%lu", p);
	return 0;
}

/* "1.2.3.4:5", "[::1]:5", or without the port. */
static void format_addr(const struct sockaddr *sa, socklen_t len, bool port,
			char *buf, size_t blen)
{
	char h[INET6_ADDRSTRLEN + 16], p[NI_MAXSERV];

	if (getnameinfo(sa, len, h, sizeof(h), p, sizeof(p),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, blen, "?");
		return;
	}
	if (!port)
		snprintf(buf, blen, "%s", h);
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, blen, "[%s]:%s", h, p);
	else
		snprintf(buf, blen, "%s:%s", h, p);
}

static void tcp_options(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}

/*
 *--------------------------------------------------------------
 * State: disks, connections
 *--------------------------------------------------------------
 */

/* An asynchronous name lookup; orphaned when its disk goes meanwhile. */
struct resolve {
	struct gaicb cb;
	struct addrinfo hints;
	char host[VAIO_REPL_PEER_MAX], port[16];
	struct resolve *next;		/* on the orphan list */
};

enum dial_state { D_IDLE, D_RESOLVING, D_CONNECTING, D_HANDSHAKE };

struct disk {
	char id[VAIO_NAME_MAX];
	struct vaio_repl_info info;
	bool seen;			/* in the last dump */

	enum dial_state dial;
	uint64_t next_try, backoff;
	struct resolve *res;
	struct addrinfo *ai, *ai_next;	/* addresses still to try */
	int fd;
	uint64_t deadline;		/* of the connect */
	unsigned char secret[HS_SECRET_MAX];
	size_t secret_len;
	struct hs hs;

	/* peer='s addresses: whom the acceptor takes for this disk. */
	struct resolve *pa_res;		/* being looked up */
	uint64_t pa_deadline;		/* of that lookup */
	struct addrinfo *pa;		/* NULL: not known, pa_err says why */
	char pa_of[VAIO_REPL_PEER_MAX];	/* the peer= they are of */
	char pa_err[300];
	uint64_t pa_next;		/* look it up again then */
};

struct accepted {
	struct hs hs;
	char host[96];			/* for messages, no port */
	uint64_t start;
};

static struct vaio_nl *req_nl, *ev_nl;
static struct disk **disks;
static int ndisks;
static struct accepted *acc[MAX_ACCEPTED];
static struct resolve *orphans;
static uint64_t next_dump, next_open;
static bool module_missing_logged;

static struct disk *disk_find(const char *id)
{
	int i;

	for (i = 0; i < ndisks; i++)
		if (!strcmp(disks[i]->id, id))
			return disks[i];
	return NULL;
}

static bool disk_still(const struct disk *d)
{
	int i;

	for (i = 0; i < ndisks; i++)
		if (disks[i] == d)
			return true;
	return false;
}

static struct disk *disk_add(const char *id)
{
	struct disk *d = calloc(1, sizeof(*d)), **p;

	if (!d)
		return NULL;
	p = realloc(disks, (ndisks + 1) * sizeof(*disks));
	if (!p) {
		free(d);
		return NULL;
	}
	disks = p;
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->fd = -1;
	d->backoff = BACKOFF_MIN_MS;
	disks[ndisks++] = d;
	return d;
}

static void resolve_drop(struct resolve *r)
{
	if (!r)
		return;
	if (gai_cancel(&r->cb) == EAI_CANCELED || gai_error(&r->cb) != EAI_INPROGRESS) {
		if (r->cb.ar_result)
			freeaddrinfo(r->cb.ar_result);
		free(r);
		return;
	}
	r->next = orphans;		/* still running: free it when done */
	orphans = r;
}

static void orphans_reap(void)
{
	struct resolve **pp = &orphans, *r;

	while ((r = *pp)) {
		if (gai_error(&r->cb) == EAI_INPROGRESS) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		if (r->cb.ar_result)
			freeaddrinfo(r->cb.ar_result);
		free(r);
	}
}

/*
 * Starts looking up @host:@port in the background (getaddrinfo_a()), with
 * @flags: NULL with @msg if it cannot.
 */
static struct resolve *resolve_start(const char *host, const char *port,
				     int flags, char *msg, size_t len)
{
	struct resolve *r = calloc(1, sizeof(*r));
	struct gaicb *list[1];
	int e;

	if (!r) {
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->port, sizeof(r->port), "%s", port);
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = SOCK_STREAM;
	r->hints.ai_flags = flags;
	r->cb.ar_name = r->host;
	r->cb.ar_service = r->port;
	r->cb.ar_request = &r->hints;
	list[0] = &r->cb;
	e = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (e) {
		free(r);
		snprintf(msg, len, "looking up %s: %s", host, gai_strerror(e));
		return NULL;
	}
	return r;
}

/*
 * Polls the background lookup *@rp against @deadline: 1 while it runs;
 * else *@rp is freed (or dropped) and NULL, and 0 comes with the
 * addresses in *@ai, -1 with why in @msg.
 */
static int resolve_poll(struct resolve **rp, uint64_t now, uint64_t deadline,
			struct addrinfo **ai, char *msg, size_t len)
{
	struct resolve *r = *rp;
	int e = gai_error(&r->cb);

	if (e == EAI_INPROGRESS) {
		if (now < deadline)
			return 1;
		snprintf(msg, len, "looking up %s: timed out", r->host);
		resolve_drop(r);
		*rp = NULL;
		return -1;
	}
	*rp = NULL;
	if (e) {
		snprintf(msg, len, "looking up %s: %s", r->host, gai_strerror(e));
		if (r->cb.ar_result)
			freeaddrinfo(r->cb.ar_result);
		free(r);
		return -1;
	}
	*ai = r->cb.ar_result;
	free(r);
	return 0;
}

/* Ends a dial attempt, whatever its stage. */
static void dial_abort(struct disk *d)
{
	resolve_drop(d->res);
	d->res = NULL;
	if (d->ai)
		freeaddrinfo(d->ai);
	d->ai = d->ai_next = NULL;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	OPENSSL_cleanse(d->secret, sizeof(d->secret));
	d->secret_len = 0;
	/* A handshake cut off mid-way still holds its copy. */
	OPENSSL_cleanse(d->hs.secret, sizeof(d->hs.secret));
	OPENSSL_cleanse(d->hs.tls_psk, sizeof(d->hs.tls_psk));
	d->dial = D_IDLE;
}

/* A failed attempt: log (once per distinct message) and back off. */
static void dial_failed(struct disk *d, int prio, const char *msg, uint64_t now)
{
	char line[700];

	snprintf(line, sizeof(line), "%s: %s", d->id, msg);
	log_dedup(d->id, prio, line, now);
	dial_abort(d);
	d->next_try = now + d->backoff;
	logmsg(7, "%s: next attempt in %llu ms", d->id,
	       (unsigned long long)d->backoff);
	d->backoff = d->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
						      d->backoff * 2;
}

/*
 *--------------------------------------------------------------
 * The peer's addresses, for accepting
 *--------------------------------------------------------------
 */

static void peer_forget(struct disk *d)
{
	resolve_drop(d->pa_res);
	d->pa_res = NULL;
	if (d->pa)
		freeaddrinfo(d->pa);
	d->pa = NULL;
}

/* A lookup of peer='s HOST failed: keep the addresses it had, if any. */
static void peer_failed(struct disk *d, const char *msg, uint64_t now)
{
	char line[400], key[VAIO_NAME_MAX + 8];

	snprintf(d->pa_err, sizeof(d->pa_err), "%s", msg);
	snprintf(line, sizeof(line), "%s: peer %s: %s%s", d->id, d->pa_of, msg,
		 d->pa ? " (its addresses stay those looked up before)" :
			 " (its connections are refused meanwhile)");
	snprintf(key, sizeof(key), "pa:%s", d->id);
	log_dedup(key, 4, line, now);
}

/*
 * peer= "HOST:PORT" whose HOST is an address: 0 with its *@ai. EAI_NONAME
 * if HOST is a name (@host and @port say which), another EAI_* with @msg.
 */
static int peer_numeric(const char *peer, char *host, size_t hlen, char *port,
			size_t plen, struct addrinfo **ai, char *msg, size_t len)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	int e;

	*ai = NULL;
	if (split_hostport(peer, host, hlen, port, plen, NULL, msg, len))
		return EAI_FAIL;
	e = getaddrinfo(host, port, &hints, ai);
	/*
	 * A HOST with a colon is an IPv6 address or nothing: never a name
	 * to look up ("1.2.3.4:5:6", "fd00::1" without a port, whose host
	 * parts some resolver might yet answer for).
	 */
	if (e == EAI_NONAME && strchr(host, ':')) {
		snprintf(msg, len, "'%s': '%s' is not an IPv6 address (peer=ADDRESS:PORT)",
			 peer, host);
		e = EAI_FAIL;
	} else if (e && e != EAI_NONAME) {
		snprintf(msg, len, "%s: %s", host, gai_strerror(e));
	}
	if (e)
		*ai = NULL;
	return e;
}

/*
 * Looks up peer='s HOST (the disk's @peer now) again if it changed or is
 * old: an address at once, a name in the background, without blocking.
 */
static void peer_refresh(struct disk *d, const char *peer, uint64_t now)
{
	char host[VAIO_REPL_PEER_MAX], port[16], msg[300];
	struct addrinfo *ai;
	int e;

	if (strcmp(d->pa_of, peer)) {
		peer_forget(d);
		snprintf(d->pa_of, sizeof(d->pa_of), "%s", peer);
		snprintf(d->pa_err, sizeof(d->pa_err), "not looked up yet");
		d->pa_next = now;
	}
	if (d->pa_res || now < d->pa_next || !peer[0])
		return;
	d->pa_next = now + PEER_REFRESH_MS;
	e = peer_numeric(peer, host, sizeof(host), port, sizeof(port), &ai,
			 msg, sizeof(msg));
	if (!e) {
		if (d->pa)
			freeaddrinfo(d->pa);
		d->pa = ai;
		return;
	}
	if (e != EAI_NONAME) {
		peer_failed(d, msg, now);
		return;
	}
	/* A name. */
	d->pa_res = resolve_start(host, port, AI_NUMERICSERV, msg, sizeof(msg));
	if (!d->pa_res) {
		peer_failed(d, msg, now);
		return;
	}
	d->pa_deadline = now + RESOLVE_MS;
	logmsg(7, "%s: looking up peer %s", d->id, host);
}

/* A lookup of peer='s HOST in the background: done yet? */
static void peer_resolving(struct disk *d, uint64_t now)
{
	char msg[400], key[VAIO_NAME_MAX + 8];
	struct addrinfo *ai;
	int e = resolve_poll(&d->pa_res, now, d->pa_deadline, &ai, msg,
			     sizeof(msg));

	if (e > 0)
		return;
	if (e < 0) {
		peer_failed(d, msg, now);
		return;
	}
	if (d->pa)
		freeaddrinfo(d->pa);
	d->pa = ai;
	snprintf(key, sizeof(key), "pa:%s", d->id);
	dedup_forget(key);
	logmsg(7, "%s: peer %s looked up", d->id, d->pa_of);
}

/*
 * The check for a disk vaiod has not listed yet: an address is parsed at
 * once, a name has not been looked up.
 */
static int peer_check_now(const char *peer, const struct sockaddr *from,
			  socklen_t from_len, char *msg, size_t len)
{
	char host[VAIO_REPL_PEER_MAX], port[16], why[300];
	struct addrinfo *ai;
	int r;

	if (peer_numeric(peer, host, sizeof(host), port, sizeof(port), &ai, why,
			 sizeof(why)) == EAI_NONAME)
		snprintf(why, sizeof(why), "not looked up yet");
	r = hs_check_peer(from, from_len, peer, ai, why, msg, len);
	if (ai)
		freeaddrinfo(ai);
	return r;
}

static void disk_remove(int i, bool gone)
{
	struct disk *d = disks[i];
	char key[VAIO_NAME_MAX + 8];

	dial_abort(d);
	peer_forget(d);
	snprintf(key, sizeof(key), "pa:%s", d->id);
	dedup_forget(key);
	if (gone)
		logmsg(6, "%s: replication filter gone", d->id);
	dedup_forget(d->id);
	free(d);
	disks[i] = disks[--ndisks];
}

/*
 *--------------------------------------------------------------
 * The kernel
 *--------------------------------------------------------------
 */

static void nl_close(void)
{
	vaio_nl_close(req_nl);
	vaio_nl_close(ev_nl);
	req_nl = ev_nl = NULL;
}

/* Opens both sockets; false if the module is not there (yet). */
static bool nl_ensure(uint64_t now)
{
	struct vaio_err err;

	if (req_nl && ev_nl)
		return true;
	if (now < next_open)
		return false;
	next_open = now + REOPEN_MS;
	nl_close();
	req_nl = vaio_repl_open(false, &err);
	if (req_nl)
		ev_nl = vaio_repl_open(true, &err);
	if (!req_nl || !ev_nl) {
		nl_close();
		if (!module_missing_logged)
			logmsg(4, "%s; waiting for it", err.msg);
		module_missing_logged = true;
		return false;
	}
	if (module_missing_logged)
		logmsg(6, "replication module loaded");
	module_missing_logged = false;
	next_dump = now;
	return true;
}

/*
 * The netlink family failed: start over (the module may be reloading).
 * @r: the error; -ENOENT (the family is gone) is said by nl_ensure().
 */
static void nl_lost(int r, const char *msg)
{
	int i;

	if (r != -ENOENT)
		logmsg(4, "%s", msg);
	nl_close();
	for (i = ndisks - 1; i >= 0; i--)
		if (disks[i]->dial != D_HANDSHAKE)
			disk_remove(i, false);
}

static void side_from_info(const struct vaio_repl_info *in, struct repl_side *s)
{
	memset(s, 0, sizeof(*s));
	s->sectors = in->sectors;
	s->gen = in->gen;
	memcpy(s->history, in->history, sizeof(s->history));
	s->role = in->role;
	s->mode = in->mode < 0 ? VAIO_REPL_MODE_SYNC : in->mode;
	s->consistent = in->consistent;
	s->new_pair = in->new_pair;
}

static void disk_update(struct disk *d, const struct vaio_repl_info *in,
			uint64_t now)
{
	bool was = d->info.role == VAIO_REPL_ROLE_PRIMARY &&
		   d->info.conn == VAIO_REPL_CONN_WAITING;
	bool is = in->role == VAIO_REPL_ROLE_PRIMARY &&
		  in->conn == VAIO_REPL_CONN_WAITING;

	if (d->info.conn != in->conn || d->info.role != in->role)
		logmsg(7, "%s: %s, %s", d->id, vaio_repl_role_name(in->role),
		       vaio_repl_conn_name(in->conn));
	d->info = *in;
	/* Wants a connection now: dial at once, unless backing off. */
	if (is && !was && d->next_try < now)
		d->next_try = now;
	/* Not any more: stop dialing (a handshake runs on, the kernel decides). */
	if (!is && (d->dial == D_RESOLVING || d->dial == D_CONNECTING)) {
		logmsg(7, "%s: no longer waiting for a connection: not dialing", d->id);
		dial_abort(d);
	}
}

static void dump(uint64_t now)
{
	struct vaio_repl_info *infos;
	struct vaio_err err;
	struct disk *d;
	int n, i, r;

	next_dump = now + DUMP_MS;
	r = vaio_repl_list(req_nl, &infos, &n, &err);
	if (r) {
		nl_lost(r, err.msg);
		return;
	}
	for (i = 0; i < ndisks; i++)
		disks[i]->seen = false;
	for (i = 0; i < n; i++) {
		d = disk_find(infos[i].id);
		if (!d) {
			d = disk_add(infos[i].id);
			if (!d)
				continue;
			logmsg(6, "%s: replication filter, %s, %s, peer %s", d->id,
			       vaio_repl_role_name(infos[i].role),
			       vaio_repl_conn_name(infos[i].conn),
			       infos[i].has_live ? infos[i].peer : "(no live table)");
			d->next_try = now;
		}
		disk_update(d, &infos[i], now);
		d->seen = true;
	}
	for (i = ndisks - 1; i >= 0; i--)
		if (!disks[i]->seen)
			disk_remove(i, true);
	free(infos);
}

/* Notifications: each one is a reason to dump now (GET has the secret). */
static void events(uint64_t now)
{
	struct vaio_repl_info *in = malloc(sizeof(*in));
	struct vaio_err err;
	struct disk *d;
	int r, i;

	if (!in)
		return;
	while (ev_nl && (r = vaio_repl_next(ev_nl, 0, in, &err)) != 0) {
		if (r == -ENOBUFS) {
			logmsg(7, "%s", err.msg);
			next_dump = now;
			continue;
		}
		if (r < 0) {
			nl_lost(r, err.msg);
			break;
		}
		logmsg(7, "%s: event: %s, %s", in->id,
		       vaio_repl_role_name(in->role), vaio_repl_conn_name(in->conn));
		if (in->conn == VAIO_REPL_CONN_GONE) {
			for (i = 0; i < ndisks; i++)
				if (!strcmp(disks[i]->id, in->id))
					disk_remove(i, true);
			continue;
		}
		d = disk_find(in->id);
		if (d) {
			/* Keep what a notification lacks (the secret path). */
			memcpy(in->secret, d->info.secret, sizeof(in->secret));
			disk_update(d, in, now);
		}
		next_dump = now;
	}
	free(in);
}

/*
 *--------------------------------------------------------------
 * The handshake's questions to the kernel
 *--------------------------------------------------------------
 */

static int hs_lookup(void *ctx, const char *name, const struct sockaddr *from,
		     socklen_t from_len, char *disk, unsigned char *secret,
		     size_t *secret_len, char *msg, size_t len)
{
	struct vaio_repl_info *in;
	struct disk *d;
	int r;

	(void)ctx;
	if (!req_nl)
		return -ENODEV;
	in = malloc(sizeof(*in));
	if (!in) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	r = vaio_repl_get(req_nl, name, in, NULL);
	if (r || !in->has_live) {
		free(in);
		return -ENODEV;
	}
	snprintf(disk, VAIO_NAME_MAX, "%s", in->id);
	/* The peer's address first: only the peer may learn more. */
	d = disk_find(in->id);
	if (d) {
		peer_refresh(d, in->peer, hs_now());
		r = hs_check_peer(from, from_len, in->peer, d->pa, d->pa_err,
				  msg, len);
	} else {
		next_dump = hs_now();	/* not dumped yet: now */
		r = peer_check_now(in->peer, from, from_len, msg, len);
	}
	if (r) {
		free(in);
		return r;
	}
	if (!in->secret[0]) {
		snprintf(msg, len, "%s: the kernel gave no secret path (vaiod needs CAP_NET_ADMIN)",
			 in->id);
		free(in);
		return -EPERM;
	}
	r = hs_read_secret(in->secret, secret, secret_len, msg, len);
	free(in);
	return r;
}

static int hs_state(void *ctx, const char *disk, struct repl_side *side,
		    char *msg, size_t len)
{
	struct vaio_repl_info *in;
	struct vaio_err err;
	int r;

	(void)ctx;
	if (!req_nl) {
		snprintf(msg, len, "%s: the replication module is gone", disk);
		return -ENODEV;
	}
	in = malloc(sizeof(*in));
	if (!in) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	r = vaio_repl_get(req_nl, disk, in, &err);
	if (r)
		snprintf(msg, len, "%s", err.msg);
	else
		side_from_info(in, side);
	free(in);
	return r;
}

static void hs_debug(void *ctx, const char *disk, const char *addr,
		     const char *msg)
{
	(void)ctx;
	(void)addr;
	logmsg(7, "%s%s%s", disk[0] ? disk : "", disk[0] ? ": " : "", msg);
}

/*
 * A handshake keeps the ops it started with: a reload that turns TLS on or
 * off counts from the next connection.
 */
static const struct hs_ops ops_plain = {
	.lookup = hs_lookup,
	.state = hs_state,
	.debug = hs_debug,
};

static const struct hs_ops ops_tls = {
	.lookup = hs_lookup,
	.state = hs_state,
	.debug = hs_debug,
	.tls = true,
};

/* The ops of a new handshake. */
static const struct hs_ops *cur_ops(void)
{
	return conf.tls ? &ops_tls : &ops_plain;
}

/*
 * --tls: TLS 1.3 on the authenticated socket, its keys given to the
 * kernel's TLS, before the kernel has it. Blocks vaiod for at most
 * TLS_STEP_MS: only an authenticated peer gets this far. 0 or -1 (@msg).
 */
static int tls_step(struct hs *hs, char *msg, size_t len)
{
	struct tls_keys keys;
	int r;

	/* hs_run() made the key of the whole handshake, before the secret went. */
	r = tls_handshake(hs->fd, hs->role == HS_DIALER, hs->tls_psk, TLS_STEP_MS,
			  &keys, msg, len);
	if (!r)
		r = tls_install(hs->fd, &keys, msg, len);
	OPENSSL_cleanse(hs->tls_psk, sizeof(hs->tls_psk));
	OPENSSL_cleanse(&keys, sizeof(keys));
	return r;
}

/* A finished handshake: hand the socket over, or log why not. */
static bool handover(struct hs *hs, const char *addr, uint64_t now)
{
	struct vaio_err err;
	char line[1400], msg[512];

	if (!req_nl) {
		OPENSSL_cleanse(hs->tls_psk, sizeof(hs->tls_psk));
		snprintf(line, sizeof(line), "%s: the replication module is gone",
			 hs->disk);
		log_dedup(hs->disk, 3, line, now);
		return false;
	}
	if (hs->ops->tls && tls_step(hs, msg, sizeof(msg))) {
		snprintf(line, sizeof(line), "%s: with %s: %s", hs->disk, addr, msg);
		log_dedup(hs->disk, 3, line, now);
		return false;
	}
	if (vaio_repl_connect(req_nl, hs->disk, hs->fd, hs->peer.sectors,
			      hs->peer.role, hs->full_sync, &err)) {
		snprintf(line, sizeof(line), "%s: handing the connection with %s to the kernel failed: %s",
			 hs->disk, addr, err.msg);
		log_dedup(hs->disk, 3, line, now);
		return false;
	}
	dedup_forget(hs->disk);
	logmsg(6, "%s: connected to %s (role %s, full sync: %s%s)", hs->disk,
	       addr, vaio_repl_role_name(hs->me.role),
	       hs->full_sync ? "yes" : "no",
	       hs->ops->tls ? ", TLS 1.3 AES-128-GCM in the kernel" : "");
	next_dump = now;
	return true;
}

static void log_failure(const struct hs *hs, const char *key, uint64_t now)
{
	char line[700];

	if (hs->garbage) {
		log_garbage(hs->prio, hs->msg, now);
		return;
	}
	if (hs->disk[0])
		snprintf(line, sizeof(line), "%s: %s", hs->disk, hs->msg);
	else
		snprintf(line, sizeof(line), "%s", hs->msg);
	if (hs->prio >= 7)
		logmsg(7, "%s", line);
	else
		log_dedup(key, hs->prio, line, now);
}

/*
 *--------------------------------------------------------------
 * Dialing
 *--------------------------------------------------------------
 */

static bool wants_dial(const struct disk *d)
{
	return d->info.role == VAIO_REPL_ROLE_PRIMARY &&
	       d->info.conn == VAIO_REPL_CONN_WAITING && d->info.has_live;
}

/* Connects to the next address of the list; false if none is left. */
static bool dial_next(struct disk *d, uint64_t now, char *why, size_t len)
{
	struct addrinfo *a;
	int fd;

	while ((a = d->ai_next)) {
		d->ai_next = a->ai_next;
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0) {
			snprintf(why, len, "socket: %s", strerror(errno));
			continue;
		}
		tcp_options(fd);
		if (!connect(fd, a->ai_addr, a->ai_addrlen) || errno == EINPROGRESS) {
			d->fd = fd;
			d->dial = D_CONNECTING;
			d->deadline = now + CONNECT_MS;
			return true;
		}
		snprintf(why, len, "connecting to %s: %s", d->info.peer, strerror(errno));
		close(fd);
	}
	return false;
}

static void dial_addresses(struct disk *d, struct addrinfo *ai, uint64_t now)
{
	char why[300] = "no address";

	d->ai = d->ai_next = ai;
	if (!dial_next(d, now, why, sizeof(why)))
		dial_failed(d, 4, why, now);
}

static void dial_start(struct disk *d, uint64_t now)
{
	char host[VAIO_REPL_PEER_MAX], port[16], msg[512];
	/*
	 * An address is dialed as it is, IPv6 too (AI_ADDRCONFIG would drop
	 * an IPv6 address on a host whose only IPv6 ones are link-local).
	 */
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai = NULL;
	int e;

	if (!d->info.secret[0]) {
		dial_failed(d, 3, "the kernel gave no secret path (vaiod needs CAP_NET_ADMIN)",
			    now);
		return;
	}
	if (hs_read_secret(d->info.secret, d->secret, &d->secret_len, msg,
			   sizeof(msg))) {
		dial_failed(d, 3, msg, now);
		return;
	}
	if (split_hostport(d->info.peer, host, sizeof(host), port, sizeof(port),
			   NULL, msg, sizeof(msg))) {
		dial_failed(d, 3, msg, now);
		return;
	}
	logmsg(7, "%s: dialing %s", d->id, d->info.peer);
	/* An address needs no lookup; a name is looked up without blocking. */
	e = getaddrinfo(host, port, &hints, &ai);
	if (!e) {
		dial_addresses(d, ai, now);
		return;
	}
	d->res = resolve_start(host, port, AI_NUMERICSERV | AI_ADDRCONFIG, msg,
			       sizeof(msg));
	if (!d->res) {
		dial_failed(d, 4, msg, now);
		return;
	}
	d->dial = D_RESOLVING;
	d->deadline = now + CONNECT_MS;
}

static void dial_resolving(struct disk *d, uint64_t now)
{
	char msg[512];
	struct addrinfo *ai;
	int e = resolve_poll(&d->res, now, d->deadline, &ai, msg, sizeof(msg));

	if (e > 0)
		return;
	if (e < 0) {
		dial_failed(d, 4, msg, now);
		return;
	}
	d->dial = D_IDLE;
	dial_addresses(d, ai, now);
}

static void dial_connecting(struct disk *d, short revents, uint64_t now)
{
	char why[300];
	int e = 0;
	socklen_t len = sizeof(e);

	if (!revents) {
		if (now < d->deadline)
			return;
		e = ETIMEDOUT;
	} else if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &e, &len)) {
		e = errno;
	}
	if (!e && (revents & (POLLERR | POLLHUP)))
		e = ECONNREFUSED;
	if (e) {
		snprintf(why, sizeof(why), "connecting to %s: %s", d->info.peer,
			 strerror(e));
		close(d->fd);
		d->fd = -1;
		if (!dial_next(d, now, why, sizeof(why)))
			dial_failed(d, 4, why, now);
		return;
	}
	freeaddrinfo(d->ai);
	d->ai = d->ai_next = NULL;
	logmsg(7, "%s: connected to %s, handshake", d->id, d->info.peer);
	d->dial = D_HANDSHAKE;
	hs_start(&d->hs, HS_DIALER, d->fd, d->info.peer, cur_ops(), NULL, d->id,
		 d->info.remote_disk[0] ? d->info.remote_disk : d->id,
		 d->secret, d->secret_len, now);
	OPENSSL_cleanse(d->secret, sizeof(d->secret));
	d->secret_len = 0;
	hs_run(&d->hs, 0, now);
}

static void dial_handshake(struct disk *d, short revents, uint64_t now)
{
	hs_run(&d->hs, revents, now);
	if (d->hs.result == HS_RUNNING)
		return;
	if (d->hs.result == HS_OK && handover(&d->hs, d->info.peer, now)) {
		dial_abort(d);
		d->backoff = BACKOFF_MIN_MS;
		d->next_try = now + BACKOFF_MIN_MS;
		return;
	}
	if (d->hs.result == HS_FAILED) {
		log_failure(&d->hs, d->id, now);
		/* Logged already: back off quietly. */
		logmsg(7, "%s: handshake failed", d->id);
		dial_abort(d);
		d->next_try = now + d->backoff;
		d->backoff = d->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
							      d->backoff * 2;
		return;
	}
	dial_failed(d, 7, "handover failed", now);
}

/*
 *--------------------------------------------------------------
 * Accepting
 *--------------------------------------------------------------
 */

/*
 * The listening sockets: one per address of each listen spec. An IPv6
 * socket is IPv6 only: "0.0.0.0" and "[::]" go side by side, and an IPv4
 * peer is seen as itself, never as ::ffff:a.b.c.d (which its disk's
 * peer= would not match).
 */
struct listener {
	int fd;
	int spec;			/* its conf.listen[] */
	bool fresh;			/* opened by this reload */
	struct sockaddr_storage addr;
	socklen_t len;
};

static struct listener lis[MAX_LISTENERS];
static int nlis;

/* @l listening: its fd, or -1 with @msg. */
static int listen_sock(const struct listener *l, char *msg, size_t len)
{
	int fd, one = 1, e;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(msg, len, "%s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (l->addr.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)&l->addr, l->len) ||
	    listen(fd, 64)) {
		e = errno;
		snprintf(msg, len, "%s", strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Every address of @c's listen specs, in @out (*@n of them): 0, or -1 with
 * @msg. Nothing is opened.
 */
static int listen_addresses(const struct config *c, struct listener *out,
			    int *n, char *msg, size_t len)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	char host[256], port[16], def_port[16], why[300];
	struct addrinfo *ai, *a;
	int i, j, e;

	*n = 0;
	snprintf(def_port, sizeof(def_port), "%d", VAIO_REPL_PORT);
	for (i = 0; i < c->nlisten; i++) {
		if (split_hostport(c->listen[i], host, sizeof(host), port,
				   sizeof(port), def_port, why, sizeof(why))) {
			snprintf(msg, len, "listen %s", why);
			return -1;
		}
		/* "*": every address, IPv4 and IPv6. */
		e = getaddrinfo(strcmp(host, "*") ? host : NULL, port, &hints, &ai);
		if (e) {
			snprintf(msg, len, "cannot listen on %s: %s", c->listen[i],
				 gai_strerror(e));
			return -1;
		}
		for (a = ai; a; a = a->ai_next) {
			if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
			    a->ai_addrlen > sizeof(out->addr))
				continue;
			for (j = 0; j < *n; j++)
				if (out[j].len == a->ai_addrlen &&
				    !memcmp(&out[j].addr, a->ai_addr, a->ai_addrlen))
					break;
			if (j < *n)
				continue;	/* twice: once is enough */
			if (*n == MAX_LISTENERS) {
				freeaddrinfo(ai);
				snprintf(msg, len, "more than %d addresses to listen on",
					 MAX_LISTENERS);
				return -1;
			}
			out[*n] = (struct listener){ .fd = -1, .spec = i,
						     .len = a->ai_addrlen };
			memcpy(&out[*n].addr, a->ai_addr, a->ai_addrlen);
			(*n)++;
		}
		freeaddrinfo(ai);
	}
	return 0;
}

/*
 * Listens where @c says: a socket already open on an address still wanted
 * stays as it is (a peer connecting meanwhile is not refused), the others
 * close, and the new ones open. Every spec must get at least one socket
 * (an address of it that cannot be had is a warning): else nothing has
 * changed, and -1 comes with @msg.
 */
static int listen_apply(const struct config *c, char *msg, size_t len)
{
	struct listener next[MAX_LISTENERS], gone[MAX_LISTENERS];
	char why[MAX_LISTEN][300], err[MAX_LISTENERS][128], m[128], where[96];
	int got[MAX_LISTEN] = { 0 };
	int nnext, ngone = 0, i, j, bad = -1;

	if (listen_addresses(c, next, &nnext, msg, len))
		return -1;
	for (i = 0; i < c->nlisten; i++)
		snprintf(why[i], sizeof(why[i]), "no address");
	/* Kept: moved over. */
	for (j = 0; j < nnext; j++)
		for (i = 0; i < nlis; i++)
			if (lis[i].fd >= 0 && lis[i].len == next[j].len &&
			    !memcmp(&lis[i].addr, &next[j].addr, next[j].len)) {
				next[j].fd = lis[i].fd;
				lis[i].fd = -1;
				got[next[j].spec]++;
				break;
			}
	/* The others close first: one may be in the way of a new one. */
	for (i = 0; i < nlis; i++)
		if (lis[i].fd >= 0) {
			close(lis[i].fd);
			lis[i].fd = -1;
			gone[ngone++] = lis[i];
		}
	for (j = 0; j < nnext; j++) {
		if (next[j].fd >= 0)
			continue;
		next[j].fd = listen_sock(&next[j], m, sizeof(m));
		if (next[j].fd < 0) {
			format_addr((struct sockaddr *)&next[j].addr, next[j].len,
				    true, where, sizeof(where));
			/* The address only if the spec is not just that. */
			if (!strcmp(where, c->listen[next[j].spec]))
				snprintf(why[next[j].spec], sizeof(why[0]), "%s", m);
			else
				snprintf(why[next[j].spec], sizeof(why[0]), "%s: %s",
					 where, m);
			snprintf(err[j], sizeof(err[j]), "%s", m);
			continue;
		}
		next[j].fresh = true;
		got[next[j].spec]++;
	}
	for (i = 0; i < c->nlisten && bad < 0; i++)
		if (!got[i])
			bad = i;
	if (bad >= 0) {
		snprintf(msg, len, "cannot listen on %s: %s", c->listen[bad],
			 why[bad]);
		/* Back as it was. */
		nlis = 0;
		for (j = 0; j < nnext; j++) {
			if (next[j].fd < 0)
				continue;
			if (next[j].fresh) {
				close(next[j].fd);
				continue;
			}
			lis[nlis++] = next[j];
		}
		for (i = 0; i < ngone; i++) {
			gone[i].fd = listen_sock(&gone[i], m, sizeof(m));
			format_addr((struct sockaddr *)&gone[i].addr, gone[i].len,
				    true, where, sizeof(where));
			if (gone[i].fd < 0) {
				logmsg(3, "cannot listen on %s again: %s", where, m);
				continue;
			}
			lis[nlis++] = gone[i];
		}
		return -1;
	}
	for (i = 0; i < ngone; i++) {
		format_addr((struct sockaddr *)&gone[i].addr, gone[i].len, true,
			    where, sizeof(where));
		logmsg(6, "no longer listening on %s", where);
	}
	nlis = 0;
	for (j = 0; j < nnext; j++) {
		format_addr((struct sockaddr *)&next[j].addr, next[j].len, true,
			    where, sizeof(where));
		if (next[j].fd < 0) {
			logmsg(4, "not listening on %s: %s", where, err[j]);
			continue;
		}
		if (next[j].fresh)
			logmsg(6, "listening on %s", where);
		next[j].fresh = false;
		lis[nlis++] = next[j];
	}
	return 0;
}

/* How many disks have @sa as their peer's address. */
static int peer_of(const struct sockaddr *sa)
{
	int i, n = 0;

	for (i = 0; i < ndisks; i++)
		if (disks[i]->pa && hs_addr_in(sa, disks[i]->pa))
			n++;
	return n;
}

/* An accepted connection's memory, its secret and key wiped first. */
static void accepted_free(struct accepted *a)
{
	OPENSSL_cleanse(&a->hs.secret, sizeof(a->hs.secret));
	OPENSSL_cleanse(&a->hs.tls_psk, sizeof(a->hs.tls_psk));
	free(a);
}

/*
 * The table is full and a peer connects: it takes the slot of the oldest
 * handshake from a stranger (not a disk's peer) that has not authenticated.
 * The slot, or MAX_ACCEPTED if there is none such.
 */
static int evict_stranger(const char *host, uint64_t now)
{
	char line[300];
	int i, old = MAX_ACCEPTED;

	for (i = 0; i < MAX_ACCEPTED; i++) {
		if (!acc[i] || acc[i]->hs.authed ||
		    peer_of((struct sockaddr *)&acc[i]->hs.from))
			continue;
		if (old == MAX_ACCEPTED || acc[i]->start < acc[old]->start)
			old = i;
	}
	if (old == MAX_ACCEPTED)
		return old;
	snprintf(line, sizeof(line),
		 "too many handshakes at once: dropping %s's for the peer %s",
		 acc[old]->host, host);
	log_garbage(4, line, now);
	close(acc[old]->hs.fd);
	accepted_free(acc[old]);
	acc[old] = NULL;
	return old;
}

static void accept_all(int listen_fd, uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[96], addr[128], line[300];
	int fd, i, n, peer;

	for (;;) {
		len = sizeof(ss);
		fd = accept4(listen_fd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				logmsg(4, "accept: %s", strerror(errno));
			return;
		}
		format_addr((struct sockaddr *)&ss, len, false, host, sizeof(host));
		format_addr((struct sockaddr *)&ss, len, true, addr, sizeof(addr));
		/* One source may not take the table: the peer would wait. */
		peer = peer_of((struct sockaddr *)&ss);
		for (i = n = 0; i < MAX_ACCEPTED; i++)
			if (acc[i] && hs_same_source((struct sockaddr *)&acc[i]->hs.from,
						     (struct sockaddr *)&ss))
				n++;
		/* A peer dials once per disk: one more each. */
		if (n >= MAX_PER_SOURCE + peer) {
			snprintf(line, sizeof(line),
				 "too many handshakes from %s at once (%d): dropping a connection",
				 host, n);
			log_garbage(4, line, now);
			close(fd);
			continue;
		}
		for (i = 0; i < MAX_ACCEPTED && acc[i]; i++)
			;
		if (i == MAX_ACCEPTED && peer)
			i = evict_stranger(host, now);
		if (i == MAX_ACCEPTED || !(acc[i] = calloc(1, sizeof(*acc[i])))) {
			snprintf(line, sizeof(line),
				 "too many handshakes at once: dropping %s", host);
			log_garbage(4, line, now);
			close(fd);
			continue;
		}
		logmsg(7, "connection from %s", addr);
		tcp_options(fd);
		snprintf(acc[i]->host, sizeof(acc[i]->host), "%s", host);
		acc[i]->start = now;
		hs_start(&acc[i]->hs, HS_ACCEPTOR, fd, host, cur_ops(), NULL, NULL,
			 NULL, NULL, 0, now);
	}
}

static void accepted_run(int i, short revents, uint64_t now)
{
	struct accepted *a = acc[i];
	char key[VAIO_NAME_MAX + 100];

	hs_run(&a->hs, revents, now);
	if (a->hs.result == HS_RUNNING)
		return;
	if (a->hs.result == HS_OK)
		handover(&a->hs, a->host, now);
	else {
		/* One line per disk, or per stranger. */
		snprintf(key, sizeof(key), "in:%s", a->hs.disk[0] ? a->hs.disk : a->host);
		log_failure(&a->hs, key, now);
	}
	close(a->hs.fd);
	accepted_free(a);
	acc[i] = NULL;
}

/*
 *--------------------------------------------------------------
 * The configuration: read at the start and at SIGHUP
 *--------------------------------------------------------------
 */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool conf_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
	    !strcmp(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

/* A listen spec, @v, checked and added to @c: 0, or -1 with @msg. */
static int conf_listen(struct config *c, const char *v, char *msg, size_t len)
{
	char host[256], port[16], def_port[16], why[300];

	if (c->nlisten == MAX_LISTEN) {
		snprintf(msg, len, "more than %d addresses to listen on", MAX_LISTEN);
		return -1;
	}
	if (!v[0]) {
		snprintf(msg, len, "listen: an empty address (* is every address)");
		return -1;
	}
	if (strlen(v) >= sizeof(c->listen[0])) {
		snprintf(msg, len, "listen %.40s...: too long", v);
		return -1;
	}
	snprintf(def_port, sizeof(def_port), "%d", VAIO_REPL_PORT);
	if (split_hostport(v, host, sizeof(host), port, sizeof(port), def_port,
			   why, sizeof(why))) {
		snprintf(msg, len, "listen %s", why);
		return -1;
	}
	snprintf(c->listen[c->nlisten++], sizeof(c->listen[0]), "%s", v);
	return 0;
}

/*
 * The configuration file's settings over the defaults, the command line's
 * over them, in @c: 0, or -1 with @msg. The default file may be missing
 * (no settings); a --config file must be there.
 */
static int conf_load(struct config *c, char *msg, size_t len)
{
	char line[CONF_LINE_MAX + 2], why[400], *k, *v;
	int lineno = 0, r = 0, e;
	bool *b;
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen(conf_path, "re");
	if (!f && (errno != ENOENT || conf_path_given)) {
		snprintf(msg, len, "%s: %s", conf_path, strerror(errno));
		return -1;
	}
	while (f && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(msg, len, "%s:%d: longer than %d characters",
				 conf_path, lineno, CONF_LINE_MAX);
			r = -1;
			break;
		}
		k = strchr(line, '#');
		if (k)
			*k = '\0';
		k = trim(line);
		if (!k[0])
			continue;
		v = strchr(k, '=');
		if (!v) {
			snprintf(msg, len, "%s:%d: '%s': expected KEY = VALUE",
				 conf_path, lineno, k);
			r = -1;
			break;
		}
		*v++ = '\0';
		k = trim(k);
		v = trim(v);
		b = !strcmp(k, "tls") ? &c->tls :
		    !strcmp(k, "verbose") ? &c->verbose : NULL;
		if (!strcmp(k, "listen")) {
			if (conf_listen(c, v, why, sizeof(why))) {
				snprintf(msg, len, "%s:%d: %s", conf_path, lineno,
					 why);
				r = -1;
				break;
			}
		} else if (b) {
			if (!conf_bool(v, b)) {
				snprintf(msg, len, "%s:%d: %s = '%s': expected yes or no",
					 conf_path, lineno, k, v);
				r = -1;
				break;
			}
		} else {
			snprintf(msg, len, "%s:%d: unknown key '%s' (listen, tls or verbose)",
				 conf_path, lineno, k);
			r = -1;
			break;
		}
	}
	if (f && !r && ferror(f)) {
		e = errno;
		snprintf(msg, len, "%s: %s", conf_path, strerror(e));
		r = -1;
	}
	if (f)
		fclose(f);
	if (r)
		return r;
	if (cmdline.nlisten) {
		memcpy(c->listen, cmdline.listen, sizeof(c->listen));
		c->nlisten = cmdline.nlisten;
	}
	if (cmdline_tls)
		c->tls = true;
	if (cmdline_verbose)
		c->verbose = true;
	if (!c->nlisten)
		snprintf(c->listen[c->nlisten++], sizeof(c->listen[0]), "*");
	return 0;
}

/*
 * SIGHUP: the configuration read again and put in place, or, if anything
 * in it is wrong, none of it. Connections the kernel has go on; a
 * handshake in progress finishes with the settings it started with.
 */
static void reload(void)
{
	struct config c;
	char msg[600], where[MAX_LISTEN * 260];
	uint64_t now = hs_now();
	size_t i, n = 0;
	int j;

	logmsg(6, "SIGHUP: reading %s", conf_path);
	if (conf_load(&c, msg, sizeof(msg)) || listen_apply(&c, msg, sizeof(msg))) {
		logmsg(3, "reload failed: %s; going on as before", msg);
		return;
	}
	if (c.tls != conf.tls)
		logmsg(6, "TLS %s from the next connection", c.tls ? "on" : "off");
	conf = c;
	verbose = c.verbose;
	/*
	 * What vaiod reads anew anyway, at once: the peers' names looked up,
	 * the waiting disks dialed (their secret files read), and a message
	 * that repeats logged as new.
	 */
	for (j = 0; j < ndisks; j++) {
		disks[j]->pa_next = now;
		if (disks[j]->dial == D_IDLE) {
			disks[j]->next_try = now;
			disks[j]->backoff = BACKOFF_MIN_MS;
		}
	}
	for (i = 0; i < sizeof(dedups) / sizeof(dedups[0]); i++)
		dedups[i].msg[0] = '\0';
	where[0] = '\0';
	for (j = 0; j < c.nlisten; j++)
		n += snprintf(where + n, sizeof(where) - n, "%s%s", j ? " " : "",
			      c.listen[j]);
	logmsg(6, "reloaded: listen %s, tls %s, verbose %s", where,
	       c.tls ? "yes" : "no", c.verbose ? "yes" : "no");
}

/*
 *--------------------------------------------------------------
 * The loop
 *--------------------------------------------------------------
 */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_wanted = 1;
	else
		stopping = 1;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* One pass: the poll set, poll(), then everything that is due. */
static void loop_once(void)
{
	/* listen, events, disks, accepted */
	struct pollfd pfd[MAX_LISTENERS + 1 + 1024 + MAX_ACCEPTED];
	struct disk *dmap[1024];
	int amap[MAX_ACCEPTED];
	int n = 0, nd = 0, na = 0, i, r, ev_idx = -1, timeout, base;
	uint64_t now = hs_now(), wake = now + DUMP_MS;
	bool resolving = false;

	nl_ensure(now);
	if (req_nl)
		wake = min_u64(wake, next_dump);
	else
		wake = min_u64(wake, next_open);

	for (i = 0; i < nlis; i++)
		pfd[n++] = (struct pollfd){ .fd = lis[i].fd, .events = POLLIN };
	if (ev_nl) {
		ev_idx = n;
		pfd[n++] = (struct pollfd){ .fd = vaio_nl_fd(ev_nl), .events = POLLIN };
	}
	base = n;
	for (i = 0; i < ndisks && nd < 1024; i++) {
		struct disk *d = disks[i];

		if (d->pa_res)
			resolving = true;
		switch (d->dial) {
		case D_IDLE:
			if (wants_dial(d) && req_nl)
				wake = min_u64(wake, d->next_try);
			continue;
		case D_RESOLVING:
			resolving = true;
			wake = min_u64(wake, d->deadline);
			continue;
		case D_CONNECTING:
			wake = min_u64(wake, d->deadline);
			pfd[n] = (struct pollfd){ .fd = d->fd, .events = POLLOUT };
			break;
		case D_HANDSHAKE:
			wake = min_u64(wake, d->hs.deadline);
			pfd[n] = (struct pollfd){ .fd = d->fd,
						  .events = hs_events(&d->hs) };
			break;
		}
		dmap[nd++] = d;
		n++;
	}
	for (i = 0; i < MAX_ACCEPTED; i++) {
		if (!acc[i])
			continue;
		wake = min_u64(wake, acc[i]->hs.deadline);
		pfd[n++] = (struct pollfd){ .fd = acc[i]->hs.fd,
					    .events = hs_events(&acc[i]->hs) };
		amap[na++] = i;
	}
	if (resolving || orphans)
		wake = min_u64(wake, now + RESOLVE_POLL_MS);
	timeout = wake > now ? (int)min_u64(wake - now, 60000) : 0;

	r = poll(pfd, n, timeout);
	if (r < 0 && errno != EINTR) {
		logmsg(3, "poll: %s", strerror(errno));
		stopping = 1;
		return;
	}
	if (r < 0)
		return;
	now = hs_now();

	if (ev_idx >= 0 && pfd[ev_idx].revents)
		events(now);
	/* The disks polled: by pointer, a dump below may reorder the array. */
	for (i = 0; i < nd; i++) {
		struct disk *d = dmap[i];
		short rev = pfd[base + i].revents;

		/* events() may have removed it. */
		if (!disk_still(d))
			continue;
		if (d->dial == D_CONNECTING)
			dial_connecting(d, rev, now);
		else if (d->dial == D_HANDSHAKE)
			dial_handshake(d, rev, now);
	}
	for (i = 0; i < na; i++)
		accepted_run(amap[i], pfd[base + nd + i].revents, now);
	/* After them: amap[] must not see a slot that accept_all() reused. */
	for (i = 0; i < nlis; i++)
		if (pfd[i].revents & POLLIN)
			accept_all(lis[i].fd, now);

	orphans_reap();
	if (req_nl && now >= next_dump)
		dump(now);
	for (i = 0; i < ndisks; i++) {
		struct disk *d = disks[i];

		if (d->pa_res)
			peer_resolving(d, now);
		if (d->info.has_live)
			peer_refresh(d, d->info.peer, now);
		if (d->dial == D_RESOLVING)
			dial_resolving(d, now);
		else if (d->dial == D_IDLE && wants_dial(d) && now >= d->next_try &&
			 req_nl)
			dial_start(d, now);
	}
}

static const char usage_text[] =
"Usage: vaiod [-c|--config FILE] [-l|--listen ADDR[:PORT]]... [--tls]\n"
"             [-v|--verbose] [-h|--help] [-V|--version]\n"
"  Connects this host's replicated dm-vaio disks to their peers: dials the\n"
"  peer of every primary disk that waits for a connection, accepts the\n"
"  peers' connections, authenticates them and hands them to the kernel.\n"
"  -c, --config FILE         settings (listen, tls, verbose), read again at\n"
"                            SIGHUP (default " CONF_DEFAULT ", if there)\n"
"  -l, --listen ADDR[:PORT]  where to accept peers, instead of the file's\n"
"                            (default *:7790: every IPv4 and IPv6 address;\n"
"                            [V6ADDR]:PORT for an IPv6 one); repeatable\n"
"      --tls                 encrypt and authenticate the replication stream\n"
"                            (TLS 1.3 in the kernel); the peers' vaiod too\n"
"  -v, --verbose             debug messages too\n";

/* Whether vaiod may hand sockets to the kernel (GENL_ADMIN_PERM). */
static bool have_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return true;		/* cannot tell: the kernel will */
	return d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	char msg[600];
	int c, i;

	/*
	 * First of all: a SIGHUP (systemctl reload) that comes while the
	 * configuration is read for the first time must not kill vaiod; it
	 * reads it again once it listens. No SA_RESTART: poll() returns at
	 * once.
	 */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while ((c = getopt_long(argc, argv, "c:l:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			conf_path_given = true;
			break;
		case 'l':
			if (conf_listen(&cmdline, optarg, msg, sizeof(msg))) {
				fprintf(stderr, "vaiod: --%s\n", msg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			cmdline_verbose = true;
			break;
		case 'T':
			cmdline_tls = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("vaiod %s\n", VAIO_VERSION);
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vaiod: unexpected argument '%s'\n", argv[optind]);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	verbose = cmdline_verbose;
	if (conf_load(&conf, msg, sizeof(msg))) {
		logmsg(3, "%s", msg);
		return EXIT_USAGE;
	}
	verbose = conf.verbose;

	logmsg(6, "vaiod %s starting (uid %u%s)", VAIO_VERSION,
	       (unsigned int)geteuid(), conf.tls ? ", TLS" : "");
	if (!have_net_admin())
		logmsg(4, "no CAP_NET_ADMIN: the kernel will give vaiod neither the disks' secret paths nor their connections");
	if (listen_apply(&conf, msg, sizeof(msg))) {
		logmsg(3, "%s", msg);
		return EXIT_FAIL;
	}
	while (!stopping) {
		if (reload_wanted) {
			reload_wanted = 0;
			reload();
		}
		loop_once();
	}

	logmsg(6, "exiting");
	for (i = ndisks - 1; i >= 0; i--) {
		dial_abort(disks[i]);
		peer_forget(disks[i]);
		free(disks[i]);
	}
	free(disks);
	for (i = 0; i < MAX_ACCEPTED; i++) {
		if (acc[i]) {
			close(acc[i]->hs.fd);
			accepted_free(acc[i]);
		}
	}
	for (i = 0; i < nlis; i++)
		close(lis[i].fd);
	nl_close();
	return EXIT_OK;
}
