/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvaio internals shared by the files that talk generic netlink (nl.c for
 * the "vaio" family, repl.c for "vaio_repl"): one socket type, one request
 * path. Not for the tools: they use vaio.h.
 */
#ifndef VAIO_NL_PRIV_H
#define VAIO_NL_PRIV_H

#include "vaio.h"

#include <libmnl/libmnl.h>

struct vaio_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint8_t version;
	uint32_t events_group;
	uint32_t seq;
	uint32_t portid;
	char *buf;
};

#define NL_BUFSZ (MNL_SOCKET_BUFFER_SIZE * 4)

/* What a failed request reports: the errno, extack message and offset. */
struct nl_reply {
	int error;
	char msg[512];
	uint32_t offset;		/* of the bad attribute; 0: none */
	uint32_t miss_type;		/* a missing attribute; 0: none */
	mnl_cb_t cb;
	void *data;
};

/*
 * Opens a socket to generic netlink family @name (version @version); with
 * @events, joins its multicast group @group. @missing is the message when
 * the family does not exist (its module is not loaded).
 */
struct vaio_nl *vaio_nl_open_family(const char *name, uint8_t version,
				    const char *group, bool events,
				    const char *missing, struct vaio_err *err);
/* A request header for command @cmd of the socket's family, in @buf. */
struct nlmsghdr *vaio_nl_request(struct vaio_nl *nl, char *buf, int cmd,
				 uint16_t flags);
/*
 * Sends @nlh and runs @r->cb on each answer until the ack, error or the
 * end of a dump. Returns 0 or a negative errno with @r filled.
 */
int vaio_nl_transact(struct vaio_nl *nl, struct nlmsghdr *nlh,
		     struct nl_reply *r);
/* An error message "@what: <extack or strerror>" for a failed request. */
int vaio_nl_error(struct vaio_err *err, int ret, const struct nl_reply *r,
		  const char *what);

/*
 * The next notification of the socket's family, waiting at most
 * @timeout_ms (-1: for ever): 1 with *@mp pointing into the socket's
 * buffer, 0 when none came, or a negative errno (@what names the events
 * in the message when some were lost).
 */
int vaio_nl_recv_ntf(struct vaio_nl *nl, int timeout_ms, const char *what,
		     struct nlmsghdr **mp, struct vaio_err *err);

#endif /* VAIO_NL_PRIV_H */
