/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vaiod's handshake with a peer vaiod: HELLO, AUTH, STATE, then GO or
 * ERROR, on a non-blocking stream socket, one frame at a time (never a
 * byte of what follows: that is the kernel's). A state machine driven by
 * poll(), so that vaiod runs many at once and the tests drive it over a
 * socketpair. See Documentation/replication.rst and vaiod(8).
 */
#ifndef VAIOD_HANDSHAKE_H
#define VAIOD_HANDSHAKE_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../lib/vaio.h"

#define HS_STEP_MS		5000	/* every step, but the acceptor's first two */
#define HS_PREAUTH_MS		2000	/* acceptor: HELLO and AUTH, from the start */
#define HS_LINGER_MS		1000	/* after sending ERROR */
#define HS_SECRET_MIN		16
#define HS_SECRET_MAX		4096
#define HS_ERROR_MAX		256	/* ERROR payload, bytes */
#define HS_LOG_MAX		1024	/* a side's frames, bytes */
#define HS_TLS_PSK_LEN		32

enum hs_role { HS_DIALER, HS_ACCEPTOR };

enum hs_result {
	HS_RUNNING,
	HS_OK,		/* authenticated, both sides said GO: hand the fd over */
	HS_FAILED,	/* close the fd; hs->msg says why, at hs->prio */
};

/* The host's side of the handshake, supplied by the caller. */
struct hs_ops {
	/*
	 * Acceptor: the local disk named @name in the dialer's HELLO, on a
	 * connection from @from. Fills @disk (its disk_id) and
	 * @secret/@secret_len. Returns 0; -ENODEV (no such disk) or -EACCES
	 * (@from is not the disk's peer, @msg says so, @disk is filled): logged
	 * here, while the handshake goes on with a random secret and fails at
	 * AUTH exactly as a wrong secret does, so that a stranger cannot tell;
	 * or, checked after @from, another negative errno with @msg (the
	 * secret is unusable: logged here, the peer is refused, told why).
	 */
	int (*lookup)(void *ctx, const char *name, const struct sockaddr *from,
		      socklen_t from_len, char *disk, unsigned char *secret,
		      size_t *secret_len, char *msg, size_t len);
	/* Both: disk @disk's current state for the STATE frame. 0 or -errno. */
	int (*state)(void *ctx, const char *disk, struct repl_side *side,
		     char *msg, size_t len);
	/* Optional: debug messages. */
	void (*debug)(void *ctx, const char *disk, const char *addr,
		      const char *msg);
	/*
	 * This side runs with TLS (vaiod --tls): said in the HELLO; after
	 * authentication a peer that says otherwise is refused, both ways.
	 */
	bool tls;
};

struct hs {
	enum hs_role role;
	int fd;
	char addr[96];			/* the peer, for messages */
	struct sockaddr_storage from;	/* acceptor: the peer's address */
	socklen_t from_len;		/* 0 if unknown */
	const struct hs_ops *ops;
	void *ctx;

	int step;			/* internal: what is awaited */
	uint64_t deadline;		/* ms, CLOCK_MONOTONIC */
	uint64_t preauth_deadline;	/* acceptor: for HELLO and AUTH */
	bool authed;			/* the peer proved it has the secret */
	enum hs_result result;
	int prio;			/* syslog priority of msg */
	char msg[512];			/* why it failed */
	bool garbage;			/* closed at the first header */
	bool decoy;			/* acceptor: refuse at AUTH, whatever comes */
	int decoy_prio;
	char decoy_msg[300];		/* the real reason, for our log only */

	char disk[VAIO_NAME_MAX];	/* local disk_id ("" until known) */
	char name[VAIO_REPL_NAME_LEN];	/* the HELLO's disk field */
	unsigned char secret[HS_SECRET_MAX];
	size_t secret_len;
	uint8_t nonce[VAIO_REPL_NONCE_LEN], peer_nonce[VAIO_REPL_NONCE_LEN];
	struct repl_side me, peer;
	bool decided, go, full_sync;
	bool peer_tls;			/* the peer's HELLO said TLS */
	/*
	 * Every frame each side sent, in order (the transcript), and, at
	 * HS_OK with ops->tls, the TLS key made of them and the secret
	 * (hs_tls_psk()); the caller wipes it once used.
	 */
	uint8_t log_d[HS_LOG_MAX], log_a[HS_LOG_MAX];
	size_t log_d_len, log_a_len;
	bool log_full;
	uint8_t tls_psk[HS_TLS_PSK_LEN];
	char why[HS_ERROR_MAX + 1];	/* our refusal */

	uint32_t tx_seq, rx_seq;
	uint8_t in[16 + HS_ERROR_MAX + 128];
	size_t in_have;
	uint8_t out[1024];
	size_t out_len, out_off;
};

uint64_t hs_now(void);

/*
 * Starts a handshake on connected socket @fd (made non-blocking here).
 * Dialer: @remote is the peer's disk name, @disk the local disk_id,
 * @secret its shared secret. Acceptor: @remote, @disk and @secret NULL.
 */
void hs_start(struct hs *hs, enum hs_role role, int fd, const char *addr,
	      const struct hs_ops *ops, void *ctx, const char *disk,
	      const char *remote, const unsigned char *secret,
	      size_t secret_len, uint64_t now);
/* poll() events it waits for. */
short hs_events(const struct hs *hs);
/*
 * vaiod --tls: the TLS pre-shared key of a connection, HMAC-SHA256 keyed
 * with the secret over a label and every handshake frame of both sides
 * (the dialer's, then the acceptor's): new for each connection, and
 * different on both sides if anything of the handshake (HELLO, STATE,
 * GO) was changed on the way, which the TLS handshake then refuses. 0 or
 * -1.
 */
int hs_tls_psk(const unsigned char *secret, size_t secret_len,
	       const uint8_t *log_d, size_t log_d_len, const uint8_t *log_a,
	       size_t log_a_len, uint8_t psk[HS_TLS_PSK_LEN]);
/* Runs after poll(): @revents for its fd (0 if none), the time. */
void hs_run(struct hs *hs, short revents, uint64_t now);

/*
 * Whether the peer may connect from @from for a disk whose peer= is @peer,
 * its HOST looked up as @addrs (NULL if not known: @why says why). Only
 * the address counts, not the port. 0, or -EACCES with @msg for the log.
 */
int hs_check_peer(const struct sockaddr *from, socklen_t from_len,
		  const char *peer, const struct addrinfo *addrs,
		  const char *why, char *msg, size_t len);
/* Whether @sa's address (an IPv4-mapped IPv6 one as IPv4) is one of @list's. */
bool hs_addr_in(const struct sockaddr *sa, const struct addrinfo *list);
/*
 * Whether @a and @b are one source, for the limit of handshakes at once
 * per source: the same IPv4 address, or the same IPv6 /64 (a host may
 * have all of one).
 */
bool hs_same_source(const struct sockaddr *a, const struct sockaddr *b);

/*
 * Reads a secret file: a regular file, neither readable nor writable by
 * group or others, owned by root or by our effective uid,
 * HS_SECRET_MIN..HS_SECRET_MAX bytes. 0, or -errno with @msg.
 */
int hs_read_secret(const char *path, unsigned char *buf, size_t *len,
		   char *msg, size_t msglen);

#endif /* VAIOD_HANDSHAKE_H */
