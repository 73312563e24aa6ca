// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaiod --tls: TLS 1.3 with a pre-shared key, then kTLS. See tls.h.
 *
 * GnuTLS reads the socket through pull(), which never reads past the end
 * of the TLS record it is in: the peer's kernel may send its first
 * records right after the handshake's last one, and those are for our
 * kernel, not for GnuTLS's buffer. No session tickets (no record after
 * the handshake), no renegotiation or key update in TLS 1.3 as used here.
 */
#include "tls.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <linux/tls.h>
#include <openssl/crypto.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define PSK_IDENTITY	"vaio"
/* TLS 1.3 only, AES-128-GCM only, PSK with (EC)DHE only. */
#define PRIORITY	"NONE:+VERS-TLS1.3:+AES-128-GCM:+AEAD:+ECDHE-PSK:" \
			"+GROUP-X25519:+GROUP-SECP256R1:+SIGN-ALL:+COMP-NULL"

struct tls_io {
	int fd;
	gnutls_session_t s;
	struct tls_rec rec;
	const uint8_t *psk;
};

ssize_t tls_record_recv(struct tls_rec *r, int fd, void *buf, size_t len)
{
	size_t want = r->body_left ? r->body_left : 5 - r->hdr_have;
	ssize_t n;

	if (want > len)
		want = len;
	n = recv(fd, buf, want, 0);
	if (n <= 0)
		return n;
	if (!r->body_left) {
		memcpy(r->hdr + r->hdr_have, buf, n);
		r->hdr_have += n;
		if (r->hdr_have == 5) {
			r->body_left = (size_t)r->hdr[3] << 8 | r->hdr[4];
			r->hdr_have = 0;
		}
	} else {
		r->body_left -= n;
	}
	return n;
}

/* GnuTLS reads a record at a time itself; this makes sure of it. */
static ssize_t pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct tls_io *io = p;
	ssize_t n = tls_record_recv(&io->rec, io->fd, buf, len);

	if (n < 0)
		gnutls_transport_set_errno(io->s, errno);
	return n;
}

static ssize_t push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct tls_io *io = p;
	ssize_t n = send(io->fd, buf, len, MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(io->s, errno);
	return n;
}

static int pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct tls_io *io = p;
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };

	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

/* The server's side of the PSK: the one identity, our key. */
static int server_psk(gnutls_session_t s, const char *user, gnutls_datum_t *key)
{
	struct tls_io *io = gnutls_session_get_ptr(s);

	if (strcmp(user, PSK_IDENTITY))
		return -1;
	key->data = gnutls_malloc(TLS_PSK_LEN);
	if (!key->data)
		return -1;
	memcpy(key->data, io->psk, TLS_PSK_LEN);
	key->size = TLS_PSK_LEN;
	return 0;
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int get_dir(gnutls_session_t s, unsigned int read, struct tls_dir *d)
{
	gnutls_datum_t iv = { 0 }, key = { 0 };
	unsigned char seq[8];

	if (gnutls_record_get_state(s, read, NULL, &iv, &key, seq) ||
	    iv.size != 12 || key.size != 16)
		return -1;
	memcpy(d->key, key.data, 16);
	memcpy(d->salt, iv.data, 4);
	memcpy(d->iv, iv.data + 4, 8);
	memcpy(d->seq, seq, 8);
	return 0;
}

int tls_handshake(int fd, bool client, const uint8_t psk[TLS_PSK_LEN],
		  int timeout_ms, struct tls_keys *keys, char *msg,
		  size_t msglen)
{
	gnutls_psk_client_credentials_t ccred = NULL;
	gnutls_psk_server_credentials_t scred = NULL;
	gnutls_datum_t key = { (unsigned char *)psk, TLS_PSK_LEN };
	struct tls_io io = { .fd = fd, .psk = psk };
	uint64_t deadline = ms_now() + timeout_ms, now;
	const char *errpos = NULL;
	struct pollfd pfd = { .fd = fd };
	int r, ret = -1;

	r = gnutls_init(&io.s, (client ? GNUTLS_CLIENT : GNUTLS_SERVER) |
			GNUTLS_NO_TICKETS | GNUTLS_NONBLOCK);
	if (r) {
		snprintf(msg, msglen, "TLS: %s", gnutls_strerror(r));
		return -1;
	}
	r = gnutls_priority_set_direct(io.s, PRIORITY, &errpos);
	if (!r && client) {
		r = gnutls_psk_allocate_client_credentials(&ccred);
		if (!r)
			r = gnutls_psk_set_client_credentials(ccred, PSK_IDENTITY, &key,
							      GNUTLS_PSK_KEY_RAW);
		if (!r)
			r = gnutls_credentials_set(io.s, GNUTLS_CRD_PSK, ccred);
	} else if (!r) {
		r = gnutls_psk_allocate_server_credentials(&scred);
		if (!r) {
			gnutls_psk_set_server_credentials_function(scred, server_psk);
			r = gnutls_credentials_set(io.s, GNUTLS_CRD_PSK, scred);
		}
	}
	if (r) {
		snprintf(msg, msglen, "TLS set-up: %s", gnutls_strerror(r));
		goto out;
	}
	gnutls_session_set_ptr(io.s, &io);
	gnutls_transport_set_ptr(io.s, &io);
	gnutls_transport_set_pull_function(io.s, pull);
	gnutls_transport_set_pull_timeout_function(io.s, pull_timeout);
	gnutls_transport_set_push_function(io.s, push);

	for (;;) {
		r = gnutls_handshake(io.s);
		if (r == GNUTLS_E_SUCCESS)
			break;
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED) {
			snprintf(msg, msglen, "TLS handshake: %s", gnutls_strerror(r));
			goto out;
		}
		now = ms_now();
		if (now >= deadline) {
			snprintf(msg, msglen, "TLS handshake: no answer in %d ms",
				 timeout_ms);
			goto out;
		}
		pfd.events = gnutls_record_get_direction(io.s) ? POLLOUT : POLLIN;
		poll(&pfd, 1, (int)(deadline - now));
	}
	if (gnutls_protocol_get_version(io.s) != GNUTLS_TLS1_3 ||
	    gnutls_cipher_get(io.s) != GNUTLS_CIPHER_AES_128_GCM) {
		snprintf(msg, msglen, "TLS: not TLS 1.3 with AES-128-GCM");
		goto out;
	}
	/* Nothing read that is not GnuTLS's (pull() sees to it). */
	if (gnutls_record_check_pending(io.s) || io.rec.hdr_have || io.rec.body_left) {
		snprintf(msg, msglen, "TLS: data after the handshake");
		goto out;
	}
	if (get_dir(io.s, 0, &keys->tx) || get_dir(io.s, 1, &keys->rx)) {
		snprintf(msg, msglen, "TLS: no keys for the kernel");
		goto out;
	}
	ret = 0;
out:
	/* Sends nothing: no close_notify on a stream that goes on. */
	gnutls_deinit(io.s);
	if (ccred)
		gnutls_psk_free_client_credentials(ccred);
	if (scred)
		gnutls_psk_free_server_credentials(scred);
	if (ret)
		OPENSSL_cleanse(keys, sizeof(*keys));
	return ret;
}

static void crypto_info(const struct tls_dir *d,
			struct tls12_crypto_info_aes_gcm_128 *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
	memcpy(ci->key, d->key, sizeof(ci->key));
	memcpy(ci->salt, d->salt, sizeof(ci->salt));
	memcpy(ci->iv, d->iv, sizeof(ci->iv));
	memcpy(ci->rec_seq, d->seq, sizeof(ci->rec_seq));
}

int tls_install(int fd, const struct tls_keys *keys, char *msg, size_t msglen)
{
	struct tls12_crypto_info_aes_gcm_128 ci;
	int ret = -1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		snprintf(msg, msglen, "kernel TLS: %s%s", strerror(errno),
			 errno == ENOENT ? " (no tls module?)" : "");
		return -1;
	}
	crypto_info(&keys->tx, &ci);
	if (setsockopt(fd, SOL_TLS, TLS_TX, &ci, sizeof(ci))) {
		snprintf(msg, msglen, "kernel TLS, sending: %s", strerror(errno));
		goto out;
	}
	crypto_info(&keys->rx, &ci);
	if (setsockopt(fd, SOL_TLS, TLS_RX, &ci, sizeof(ci))) {
		snprintf(msg, msglen, "kernel TLS, receiving: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(&ci, sizeof(ci));
	return ret;
}
