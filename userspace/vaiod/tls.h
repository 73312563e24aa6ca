/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vaiod --tls: after the handshake, a TLS 1.3 handshake (GnuTLS, a
 * pre-shared key made from the disk's secret and both handshake nonces,
 * with ECDHE for forward secrecy, AES-128-GCM), whose keys then go to the
 * kernel's TLS (kTLS) on the same socket: the replication stream the
 * kernel sends and receives is encrypted and authenticated, and vaiod
 * stays out of its path. See Documentation/replication.rst.
 */
#ifndef VAIOD_TLS_H
#define VAIOD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * The PSK of one connection: HMAC-SHA256(secret, label, the dialer's
 * nonce, the acceptor's). 0 or -1.
 */
int tls_psk(const unsigned char *secret, size_t secret_len,
	    const uint8_t *dialer_nonce, const uint8_t *acceptor_nonce,
	    size_t nonce_len, uint8_t psk[TLS_PSK_LEN]);

/*
 * The TLS handshake on socket @fd (blocking for at most @timeout_ms; the
 * dialer is the client), reading no byte past its last record: what
 * follows is the kernel's. Fills @keys. 0, or -1 with @msg.
 */
int tls_handshake(int fd, bool client, const uint8_t psk[TLS_PSK_LEN],
		  int timeout_ms, struct tls_keys *keys, char *msg,
		  size_t msglen);

/* Gives @keys to the kernel's TLS on TCP socket @fd. 0, or -1 with @msg. */
int tls_install(int fd, const struct tls_keys *keys, char *msg,
		size_t msglen);

#endif /* VAIOD_TLS_H */
