/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vaiod --tls: after the handshake, a TLS 1.3 handshake (GnuTLS, a
 * pre-shared key made from the disk's secret and the whole handshake,
 * hs_tls_psk(), with ECDHE for forward secrecy, AES-128-GCM), whose keys
 * then go to the
 * kernel's TLS (kTLS) on the same socket: the replication stream the
 * kernel sends and receives is encrypted and authenticated, and vaiod
 * stays out of its path. See Documentation/replication.rst.
 */
#ifndef VAIOD_TLS_H
#define VAIOD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS_PSK_LEN	32
#define TLS_STEP_MS	5000	/* the whole TLS handshake */

/* One direction's keys, as kTLS takes them (TLS 1.3, AES-128-GCM). */
struct tls_dir {
	uint8_t key[16];
	uint8_t salt[4];	/* the first 4 bytes of the 12-byte IV */
	uint8_t iv[8];		/* the other 8 */
	uint8_t seq[8];		/* the next record's number, big-endian */
};

struct tls_keys {
	struct tls_dir tx, rx;
};

/*
 * The TLS handshake on socket @fd (blocking for at most @timeout_ms; the
 * dialer is the client), reading no byte past its last record: what
 * follows is the kernel's. Fills @keys. 0, or -1 with @msg.
 */
int tls_handshake(int fd, bool client, const uint8_t psk[TLS_PSK_LEN],
		  int timeout_ms, struct tls_keys *keys, char *msg,
		  size_t msglen);

/* Where a reader is in the TLS records of a stream. */
struct tls_rec {
	uint8_t hdr[5];		/* the header being read */
	size_t hdr_have;
	size_t body_left;	/* of the record being read */
};

/*
 * recv() of at most @len bytes that never reads past the end of the
 * current record (GnuTLS's reads go through it). As recv(): -1 and errno.
 */
ssize_t tls_record_recv(struct tls_rec *r, int fd, void *buf, size_t len);

/* Gives @keys to the kernel's TLS on TCP socket @fd. 0, or -1 with @msg. */
int tls_install(int fd, const struct tls_keys *keys, char *msg,
		size_t msglen);

#endif /* VAIOD_TLS_H */
