// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaio-nlfuzz: sends malformed, boundary and random generic netlink messages
 * to the "vaio" family (or with -r to "vaio_repl", the replication filter's)
 * and checks that each is answered as it should be:
 * bad ones refused (with the errno and extack message the kernel promises
 * where it promises one), valid ones accepted, and the family still working
 * afterwards. Prints one "ok N - group: case" / "not ok N - ..." line per
 * case and "# " diagnostics; exits 0 only if every case passed.
 *
 *   vaio-nlfuzz [-r] [-s SEED] [-n ITERATIONS] [-d DISK_ID [-e DELIVERED]] [-u]
 *   vaio-nlfuzz [-r] -p
 *   vaio-nlfuzz -d DISK_ID -R CMD
 *
 * -d: also exercise a live disk (snapshot events, reactivate, DISK_GET);
 *     -e: the number of filters a snapshot must be delivered to.
 * -r: the "vaio_repl" family (module dm-vaio-replication). -d names a disk
 *     with a replication filter; the random messages may then demote,
 *     promote (--force: discard its data) and disconnect it: a scratch disk.
 * -u: run the privilege cases as the current (unprivileged) user; as root
 *     they run in a child that drops to uid/gid 65534 without capabilities.
 * -p: run only the privilege cases, as the current user and with its
 *     capabilities, whoever that is (a test drops some with setpriv).
 * -R: run only this case: a FILTER_CALL dump of test-qos's bios on disk
 *     -d, with the shell command CMD (a table reload) run after its first
 *     message; the dump must end with EAGAIN (the table changed).
 * Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) for everything else.
 */
#include <errno.h>
#include <grp.h>
#include <libmnl/libmnl.h>
#include <linux/dm-vaio.h>
#include <linux/dm-vaio-repl.h>
#include <linux/dm-vaio-test.h>
#include <linux/genetlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUFSZ		65536
#define FUZZ_MAX	12000	/* a fuzz message grows no further */
#define NO_ANSWER	1	/* answer.err: the receive timed out */
#define ANY_ERROR	(-10000)	/* tcase.expect: any error will do */
#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })

struct nl {
	struct mnl_socket *sk;
	unsigned int seq;
};

struct answer {
	int err;		/* 0, -errno, or NO_ANSWER */
	char ext[256];		/* NLMSGERR_ATTR_MSG */
	int miss, offs;		/* NLMSGERR_ATTR_MISS_TYPE / _OFFS, or -1 */
	unsigned int replies;	/* data messages before the ack/done */
	char names[2048];	/* " name name " of FILTER_GET types / DISK_IDs */
	bool has_delivered;
	uint32_t delivered;
};

struct tcase {
	const char *name;	/* "group: what" */
	uint8_t cmd;
	uint16_t flags;		/* besides NLM_F_REQUEST | NLM_F_ACK */
	void (*build)(struct nlmsghdr *nlh);	/* the attributes */
	int expect;		/* 0, -errno, or ANY_ERROR */
	const char *msg;	/* the extack message must contain this */
	int miss;		/* the missing attribute the kernel must name */
	bool (*check)(const struct answer *a);	/* more, on success */
};

static uint16_t family;
static bool repl;		/* -r: the vaio_repl family */
static const char *family_name = VAIO_GENL_NAME;
static uint32_t events_grp;
static const char *disk;
static long expect_delivered = -1;
static int n_case, n_fail;
static char sbuf[BUFSZ], rbuf[BUFSZ];

/* ------------------------------------------------------------ netlink */

static int nl_open(struct nl *nl)
{
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;

	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk || mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink socket");
		return -1;
	}
	nl->seq = 1000;
	/* extack TLVs; the request not echoed back in errors */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	/* a hung kernel is a failed case, not a hung test */
	setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	return 0;
}

static struct nlmsghdr *msg_start(uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(sbuf, 0, sizeof(sbuf));
	nlh = mnl_nlmsg_put_header(sbuf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = VAIO_GENL_VERSION;
	return nlh;
}

static int ext_attr(const struct nlattr *at, void *data)
{
	struct answer *a = data;

	switch (mnl_attr_get_type(at)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(at, MNL_TYPE_NUL_STRING) == 0)
			snprintf(a->ext, sizeof(a->ext), "%s",
				 mnl_attr_get_str(at));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(at, MNL_TYPE_U32) == 0)
			a->offs = mnl_attr_get_u32(at);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(at, MNL_TYPE_U32) == 0)
			a->miss = mnl_attr_get_u32(at);
		break;
	}
	return MNL_CB_OK;
}

static void add_name(struct answer *a, const struct nlattr *at)
{
	size_t len = strlen(a->names);

	if (mnl_attr_validate(at, MNL_TYPE_NUL_STRING) == 0)
		snprintf(a->names + len, sizeof(a->names) - len, "%s%s ",
			 len ? "" : " ", mnl_attr_get_str(at));
}

struct reply {
	struct answer *a;
	uint8_t cmd;
};

static int reply_attr(const struct nlattr *at, void *data)
{
	struct reply *r = data;
	uint16_t type = mnl_attr_get_type(at);

	if (repl) {
		if (r->cmd == VAIO_REPL_CMD_GET && type == VAIO_REPL_ATTR_DISK_ID)
			add_name(r->a, at);
		else if (r->cmd == VAIO_REPL_CMD_GET && type == VAIO_REPL_ATTR_ROLE &&
			 mnl_attr_validate(at, MNL_TYPE_U8) == 0)
			r->a->delivered = mnl_attr_get_u8(at);	/* the role */
		return MNL_CB_OK;
	}
	if (r->cmd == VAIO_CMD_FILTER_GET && type == VAIO_FILTER_ATTR_TYPE)
		add_name(r->a, at);
	else if (r->cmd == VAIO_CMD_DISK_GET && type == VAIO_ATTR_DISK_ID)
		add_name(r->a, at);
	else if (r->cmd == VAIO_CMD_DISK_EVENT &&
		 type == VAIO_ATTR_DELIVERED &&
		 mnl_attr_validate(at, MNL_TYPE_U32) == 0) {
		r->a->has_delivered = true;
		r->a->delivered = mnl_attr_get_u32(at);
	}
	return MNL_CB_OK;
}

/* Waits for the answer to the message of sequence @seq (the error/ack or
 * a dump's DONE), collecting what replies carry; skips stale answers. */
static void receive(struct nl *nl, unsigned int seq, struct answer *a,
		    mnl_attr_cb_t data_cb, void *data)
{
	for (;;) {
		int n = mnl_socket_recvfrom(nl->sk, rbuf, sizeof(rbuf));
		const struct nlmsghdr *h = (const struct nlmsghdr *)rbuf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			a->err = errno == EAGAIN ? NO_ANSWER : -errno;
			return;
		}
		for (; mnl_nlmsg_ok(h, n); h = mnl_nlmsg_next(h, &n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				size_t off = sizeof(*e);

				a->err = e->error;
				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				if (h->nlmsg_flags & NLM_F_ACK_TLVS)
					mnl_attr_parse(h, MNL_ALIGN(off), ext_attr, a);
				return;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				if (mnl_nlmsg_get_payload_len(h) >= sizeof(int))
					a->err = *(int *)mnl_nlmsg_get_payload(h);
				/* A dump's error: its message after the errno. */
				if (a->err && (h->nlmsg_flags & NLM_F_ACK_TLVS))
					mnl_attr_parse(h, sizeof(int), ext_attr, a);
				return;
			}
			if (h->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			a->replies++;
			if (data_cb)
				mnl_attr_parse(h, GENL_HDRLEN, data_cb, data);
		}
	}
}

static void talk(struct nl *nl, struct nlmsghdr *nlh, struct answer *a,
		 mnl_attr_cb_t data_cb, void *data)
{
	memset(a, 0, sizeof(*a));
	a->miss = a->offs = -1;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0) {
		a->err = -errno;
		return;
	}
	receive(nl, nlh->nlmsg_seq, a, data_cb, data);
}

static void talk_vaio(struct nl *nl, struct nlmsghdr *nlh, struct answer *a)
{
	struct reply r = { a, ((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd };

	talk(nl, nlh, a, reply_attr, &r);
}

static int grp_attr(const struct nlattr *at, void *data)
{
	const struct nlattr *g, *x;
	const char *name;
	uint32_t id;

	(void)data;
	if (mnl_attr_get_type(at) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(at, MNL_TYPE_U16) == 0)
		family = mnl_attr_get_u16(at);
	if (mnl_attr_get_type(at) != CTRL_ATTR_MCAST_GROUPS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(g, at) {
		name = NULL;
		id = 0;
		mnl_attr_for_each_nested(x, g) {
			if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(x, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(x);
			if (mnl_attr_get_type(x) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(x, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(x);
		}
		if (name && !strcmp(name, VAIO_GENL_MCGRP_EVENTS))
			events_grp = id;
	}
	return MNL_CB_OK;
}

/* The family id and the events group, by CTRL_CMD_GETFAMILY. */
static int resolve(struct nl *nl)
{
	struct nlmsghdr *nlh = msg_start(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	struct answer a;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family_name);
	talk(nl, nlh, &a, grp_attr, NULL);
	if (a.err || !family) {
		fprintf(stderr, "vaio-nlfuzz: no genl family '%s': %s\n",
			family_name, a.err < 0 ? strerror(-a.err) : "no answer");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ cases */

static void report(bool ok, const char *name, const struct answer *a)
{
	n_case++;
	if (!ok)
		n_fail++;
	printf("%sok %d - %s\n", ok ? "" : "not ", n_case, name);
	if (!a)
		return;
	if (a->err == NO_ANSWER)
		printf("#   no answer within the timeout\n");
	else if (a->err)
		printf("#   %s", strerror(-a->err));
	else
		printf("#   success, %u replies", a->replies);
	if (a->err != NO_ANSWER)
		printf("%s%s%s", a->ext[0] ? ", extack: \"" : "", a->ext,
		       a->ext[0] ? "\"" : "");
	if (a->miss >= 0)
		printf(", missing attribute %d", a->miss);
	if (a->err != NO_ANSWER)
		printf("\n");
}

static bool judge(const struct tcase *c, const struct answer *a)
{
	if (a->err == NO_ANSWER)
		return false;
	if (c->expect == 0)
		return !a->err && (!c->check || c->check(a));
	if (c->expect == ANY_ERROR ? a->err >= 0 : a->err != c->expect)
		return false;
	if (c->msg && !strstr(a->ext, c->msg))
		return false;
	return !c->miss || a->miss == c->miss;
}

static void run_cases(struct nl *nl, const struct tcase *c, size_t n)
{
	struct answer a;

	for (; n--; c++) {
		struct nlmsghdr *nlh = msg_start(family, c->cmd, c->flags);

		if (c->build)
			c->build(nlh);
		talk_vaio(nl, nlh, &a);
		report(judge(c, &a), c->name, &a);
	}
}

#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
/* Case table rows: T(name, command, flags, builder, expected, fields...) */
#define FGET	VAIO_CMD_FILTER_GET
#define DGET	VAIO_CMD_DISK_GET
#define CHECK	VAIO_CMD_CHAIN_CHECK
#define EVENT	VAIO_CMD_DISK_EVENT
#define REACT	VAIO_CMD_FILTER_REACTIVATE
#define FCALL	VAIO_CMD_FILTER_CALL
#define DUMP	NLM_F_DUMP
#define T(n, c, f, b, e, ...) { .name = n, .cmd = c, .flags = f, .build = b, \
				 .expect = e, __VA_ARGS__ }
#define B(name, ...) static void name(struct nlmsghdr *nlh) { __VA_ARGS__; }

static char big[4][4200];

/* @prefix, then @fill up to @len characters: in big[@slot]. */
static const char *mk(int slot, const char *prefix, char fill, size_t len)
{
	size_t p = strlen(prefix);

	memset(big[slot], fill, len);
	memcpy(big[slot], prefix, p < len ? p : len);
	big[slot][len] = '\0';
	return big[slot];
}

static void str(struct nlmsghdr *nlh, uint16_t type, const char *s)
{
	mnl_attr_put_strz(nlh, type, s);
}

static void filter_mode(struct nlmsghdr *nlh, const char *type,
			const char *const *args, int fail_mode)
{
	struct nlattr *f = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER), *n;

	if (type)
		str(nlh, VAIO_FILTER_ATTR_TYPE, type);
	if (fail_mode >= 0)
		mnl_attr_put_u8(nlh, VAIO_FILTER_ATTR_FAIL_MODE, (uint8_t)fail_mode);
	if (args) {
		n = mnl_attr_nest_start(nlh, VAIO_FILTER_ATTR_ARGS);
		for (; *args; args++)
			str(nlh, VAIO_FILTER_ATTR_ARG, *args);
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_nest_end(nlh, f);
}

/* A filter entry without FAIL_MODE (fail_open, as a table's default). */
static void filter(struct nlmsghdr *nlh, const char *type,
		   const char *const *args)
{
	filter_mode(nlh, type, args, -1);
}

/* Encryption is fail_closed or nothing. */
static void filter_closed(struct nlmsghdr *nlh, const char *type,
			  const char *const *args)
{
	filter_mode(nlh, type, args, VAIO_FAIL_MODE_CLOSED);
}

/* A chain of one filter. */
static void chain1(struct nlmsghdr *nlh, const char *type,
		   const char *const *args)
{
	struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);

	filter(nlh, type, args);
	mnl_attr_nest_end(nlh, c);
}

/* DISK_EVENT: @id, @event (or none if < 0), @tag (or none). */
static void event(struct nlmsghdr *nlh, const char *id, int ev, const char *tag)
{
	if (id)
		str(nlh, VAIO_ATTR_DISK_ID, id);
	if (ev >= 0)
		mnl_attr_put_u8(nlh, VAIO_ATTR_EVENT, ev);
	if (tag)
		str(nlh, VAIO_ATTR_TAG, tag);
}

/* A nest of type @type holding one raw attribute. */
static void nest_with(struct nlmsghdr *nlh, uint16_t type, uint16_t inner,
		      const char *s)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_strz(nlh, inner, s);
	mnl_attr_nest_end(nlh, n);
}

B(b_short_hdr, nlh->nlmsg_len = NLMSG_HDRLEN + 2)
B(b_nosuch_disk, str(nlh, VAIO_ATTR_DISK_ID, "nlfuzz-no-such-disk"))
B(b_empty_disk, str(nlh, VAIO_ATTR_DISK_ID, ""))
B(b_id_u32, mnl_attr_put_u32(nlh, VAIO_ATTR_DISK_ID, 0x41424344))
B(b_id_nonul, mnl_attr_put(nlh, VAIO_ATTR_DISK_ID, 3, "abc"))
B(b_id_empty, mnl_attr_put(nlh, VAIO_ATTR_DISK_ID, 0, NULL))
B(b_id_nested, nest_with(nlh, VAIO_ATTR_DISK_ID, 1, "x"))
B(b_ev_str, str(nlh, VAIO_ATTR_DISK_ID, "x");
  str(nlh, VAIO_ATTR_EVENT, "snapshot"); str(nlh, VAIO_ATTR_TAG, "t"))
B(b_ev_u32, str(nlh, VAIO_ATTR_DISK_ID, "x");
  mnl_attr_put_u32(nlh, VAIO_ATTR_EVENT, VAIO_EVENT_SNAPSHOT);
  str(nlh, VAIO_ATTR_TAG, "t"))
B(b_ev_7, event(nlh, "x", 7, "t"))
B(b_ev_255, event(nlh, "x", 255, "t"))
B(b_chain_flat, str(nlh, VAIO_ATTR_CHAIN, "test-qos"))
B(b_chain_noflag, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  filter(nlh, "test-qos", NULL); mnl_attr_nest_end(nlh, c);
  c->nla_type &= ~NLA_F_NESTED)
B(b_chain_strentry, nest_with(nlh, VAIO_ATTR_CHAIN, VAIO_ATTR_FILTER, "test-qos"))
B(b_entry_short, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  mnl_attr_put(nlh, VAIO_ATTR_FILTER, 2, "ab"); mnl_attr_nest_end(nlh, c))
B(b_failmode_2, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  struct nlattr *f = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER);
  str(nlh, VAIO_FILTER_ATTR_TYPE, "test-qos");
  mnl_attr_put_u8(nlh, VAIO_FILTER_ATTR_FAIL_MODE, 2);
  mnl_attr_nest_end(nlh, f); mnl_attr_nest_end(nlh, c))
B(b_args_flat, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  struct nlattr *f = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER);
  str(nlh, VAIO_FILTER_ATTR_TYPE, "test-qos");
  str(nlh, VAIO_FILTER_ATTR_ARGS, "mode=pass");
  mnl_attr_nest_end(nlh, f); mnl_attr_nest_end(nlh, c))
B(b_arg_u32, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  struct nlattr *f = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER);
  struct nlattr *a;
  str(nlh, VAIO_FILTER_ATTR_TYPE, "test-qos");
  a = mnl_attr_nest_start(nlh, VAIO_FILTER_ATTR_ARGS);
  mnl_attr_put_u32(nlh, VAIO_FILTER_ATTR_ARG, 0x41424344);
  mnl_attr_nest_end(nlh, a); mnl_attr_nest_end(nlh, f);
  mnl_attr_nest_end(nlh, c))
B(b_evt_notag, event(nlh, "x", VAIO_EVENT_SNAPSHOT, NULL))
B(b_evt_noev, event(nlh, "x", -1, "t"))
B(b_evt_noid, event(nlh, NULL, VAIO_EVENT_SNAPSHOT, "t"))
B(b_react_noname, str(nlh, VAIO_ATTR_DISK_ID, "x"))
B(b_react_noid, str(nlh, VAIO_ATTR_FILTER_NAME, "test-qos"))
B(b_id_63, str(nlh, VAIO_ATTR_DISK_ID, mk(0, "", 'd', 63)))
B(b_id_64, str(nlh, VAIO_ATTR_DISK_ID, mk(0, "", 'd', 64)))
B(b_id_4000, str(nlh, VAIO_ATTR_DISK_ID, mk(0, "", 'd', 4000)))
B(b_tag_64, event(nlh, "x", VAIO_EVENT_SNAPSHOT, mk(0, "", 't', 64)))
B(b_tag_4000, event(nlh, "x", VAIO_EVENT_SNAPSHOT, mk(0, "", 't', 4000)))
B(b_fname_64, str(nlh, VAIO_ATTR_DISK_ID, "x");
  str(nlh, VAIO_ATTR_FILTER_NAME, mk(0, "", 'f', 64)))
B(b_type_63, chain1(nlh, mk(0, "", 'y', 63), NULL))
B(b_type_64, chain1(nlh, mk(0, "", 'y', 64), NULL))
B(b_type_4000, chain1(nlh, mk(0, "", 'y', 4000), NULL))
B(b_arg_255, mk(0, "ms=", '0', 255); big[0][254] = '5';
  chain1(nlh, "test-qos", ARGS(big[0], "mode=delay")))
B(b_arg_256, chain1(nlh, "test-qos", ARGS(mk(0, "ms=", '0', 256))))
B(b_arg_4000, chain1(nlh, "test-qos", ARGS(mk(0, "mode=", 'p', 4000))))
B(b_unk_top, str(nlh, VAIO_ATTR_MAX + 1, "x"))
B(b_unk_3fff, str(nlh, 0x3fff, "x"))
B(b_unk_zero, str(nlh, 0, "x"); str(nlh, VAIO_ATTR_DISK_ID, "x"))
B(b_unk_reply_attr, str(nlh, VAIO_ATTR_DISK_ID, "x");
  str(nlh, VAIO_ATTR_DM_NAME, "x"))
B(b_unk_in_filter, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  struct nlattr *f = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER);
  str(nlh, VAIO_FILTER_ATTR_TYPE, "test-qos");
  str(nlh, VAIO_FILTER_ATTR_MAX + 1, "x");
  mnl_attr_nest_end(nlh, f); mnl_attr_nest_end(nlh, c))
B(b_unk_class_in_filter,
  struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  struct nlattr *f = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER);
  str(nlh, VAIO_FILTER_ATTR_TYPE, "test-qos");
  mnl_attr_put_u8(nlh, VAIO_FILTER_ATTR_CLASS, 0);
  mnl_attr_nest_end(nlh, f); mnl_attr_nest_end(nlh, c))
B(b_unk_in_args, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  struct nlattr *f = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER);
  struct nlattr *a;
  str(nlh, VAIO_FILTER_ATTR_TYPE, "test-qos");
  a = mnl_attr_nest_start(nlh, VAIO_FILTER_ATTR_ARGS);
  str(nlh, VAIO_FILTER_ATTR_TYPE, "mode=pass");
  mnl_attr_nest_end(nlh, a); mnl_attr_nest_end(nlh, f);
  mnl_attr_nest_end(nlh, c))
B(b_c_nosuch, chain1(nlh, "nosuch", NULL))
B(b_c_badname, chain1(nlh, "a b", NULL))
B(b_c_emptyname, chain1(nlh, "", NULL))
B(b_c_twice, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  filter(nlh, "test-qos", NULL); filter(nlh, "test-qos", NULL);
  mnl_attr_nest_end(nlh, c))
B(b_c_frob, chain1(nlh, "test-qos", ARGS("frob=1")))
B(b_c_nokv, chain1(nlh, "test-qos", ARGS("frobnicate")))
B(b_c_nokey, chain1(nlh, "test-qos", ARGS("=5")))
B(b_c_range, chain1(nlh, "test-qos", ARGS("mode=delay", "ms=60001")))
B(b_c_nan, chain1(nlh, "test-qos", ARGS("mode=delay", "ms=5x")))
B(b_c_choice, chain1(nlh, "test-qos", ARGS("mode=fast")))
B(b_c_dup, chain1(nlh, "test-qos", ARGS("mode=pass", "mode=pass")))
B(b_c_bool, chain1(nlh, "test-qos", ARGS("refuse_reactivate=2")))
B(b_c_six, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  filter(nlh, "test-qos", NULL); filter(nlh, "test-inspection", NULL);
  filter_closed(nlh, "test-encryption", NULL);
  filter(nlh, "test-replication", NULL); filter(nlh, "test-cache", NULL);
  filter(nlh, "test-qos", NULL); mnl_attr_nest_end(nlh, c))
B(b_c_enc_open, chain1(nlh, "test-encryption", NULL))
B(b_c_enc_open2, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  filter_mode(nlh, "test-encryption", NULL, VAIO_FAIL_MODE_OPEN);
  mnl_attr_nest_end(nlh, c))
B(b_c_notype, chain1(nlh, NULL, ARGS("mode=pass")))
B(b_c_emptyentry, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER));
  mnl_attr_nest_end(nlh, c))
B(b_c_entry_noflag, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  filter(nlh, "test-qos", NULL);
  ((struct nlattr *)mnl_attr_get_payload(c))->nla_type &= ~NLA_F_NESTED;
  mnl_attr_nest_end(nlh, c))
B(b_c_33, const char *v[VAIO_MAX_ARGS + 2];
  for (int i = 0; i <= VAIO_MAX_ARGS; i++) v[i] = "mode=pass";
  v[VAIO_MAX_ARGS + 1] = NULL; chain1(nlh, "test-qos", v))
B(b_ok_qos_cache, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  filter(nlh, "test-qos", ARGS("mode=delay", "ms=5"));
  filter(nlh, "test-cache", NULL); mnl_attr_nest_end(nlh, c))
B(b_ok_five, struct nlattr *c = mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN);
  filter(nlh, "test-qos", ARGS("mode=pass", "ops=reads", "veto=none",
			       "refuse_reactivate=1"));
  filter(nlh, "test-inspection", NULL);
  filter_closed(nlh, "test-encryption", NULL);
  filter(nlh, "test-replication", NULL); filter(nlh, "test-cache", NULL);
  mnl_attr_nest_end(nlh, c))
B(b_ok_empty, mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, VAIO_ATTR_CHAIN)))
B(b_ev_nodisk, event(nlh, "nlfuzz-no-such-disk", VAIO_EVENT_SNAPSHOT, "t1"))
B(b_react_nodisk, str(nlh, VAIO_ATTR_DISK_ID, "nlfuzz-no-such-disk");
  str(nlh, VAIO_ATTR_FILTER_NAME, "test-qos"))
B(b_fc_nocmd, b_react_nodisk(nlh))
B(b_fc_nodisk, b_react_nodisk(nlh);
  mnl_attr_put_u32(nlh, VAIO_ATTR_FILTER_CMD, VAIO_TEST_CMD_GET))
B(b_fc_cmd_u8, b_react_nodisk(nlh); mnl_attr_put_u8(nlh, VAIO_ATTR_FILTER_CMD, 1))
B(b_fc_data_flat, b_fc_nodisk(nlh); str(nlh, VAIO_ATTR_FILTER_DATA, "x"))

static const struct tcase cases[] = {
	T("command: 0 (UNSPEC)", 0, 0, NULL, -EOPNOTSUPP),
	T("command: VAIO_CMD_MAX + 1", VAIO_CMD_MAX + 1, 0, NULL, -EOPNOTSUPP),
	T("command: 200", 200, 0, NULL, -EOPNOTSUPP),
	T("command: 255", 255, 0, NULL, -EOPNOTSUPP),
	T("command: NTF_DISK_NEW is not a request",
	  VAIO_CMD_NTF_DISK_NEW, 0, b_nosuch_disk, -EOPNOTSUPP),
	T("command: NTF_DISK_CHANGE is not a request",
	  VAIO_CMD_NTF_DISK_CHANGE, 0, NULL, -EOPNOTSUPP),
	T("command: NTF_DISK_DEL is not a request", VAIO_CMD_NTF_DISK_DEL, DUMP, NULL, -EOPNOTSUPP),
	T("command: NTF_FILTER_STATE is not a request",
	  VAIO_CMD_NTF_FILTER_STATE, 0, NULL, -EOPNOTSUPP),
	T("command: NTF_EVENT is not a request", VAIO_CMD_NTF_EVENT, 0, NULL, -EOPNOTSUPP),
	T("command: NTF_TABLE_ERROR is not a request",
	  VAIO_CMD_NTF_TABLE_ERROR, 0, NULL, -EOPNOTSUPP),
	T("command: FILTER_GET is dump only", FGET, 0, NULL, -EOPNOTSUPP),
	T("command: CHAIN_CHECK has no dump", CHECK, DUMP, NULL, -EOPNOTSUPP),
	T("command: message shorter than the genl header", DGET, DUMP, b_short_hdr, -EINVAL),
	T("disk get: without DISK_ID", DGET, 0, NULL, -EINVAL, .miss = VAIO_ATTR_DISK_ID),
	T("disk get: a disk that does not exist",
	  DGET, 0, b_nosuch_disk, -ENODEV, .msg = "no such disk"),
	T("disk get: empty DISK_ID", DGET, 0, b_empty_disk, -ENODEV),
	T("disk get: the dump answers", DGET, DUMP, NULL, 0),
	T("attr type: DISK_ID as a u32", DGET, 0, b_id_u32, -EINVAL),
	T("attr type: DISK_ID not NUL-terminated", DGET, 0, b_id_nonul, -EINVAL),
	T("attr type: DISK_ID of length 0", DGET, 0, b_id_empty, -EINVAL),
	T("attr type: DISK_ID flagged as a nest", DGET, 0, b_id_nested, -EINVAL),
	T("attr type: DISK_ID a u32 in a dump request", DGET, DUMP, b_id_u32, -EINVAL),
	T("attr type: EVENT as a string", EVENT, 0, b_ev_str, -EINVAL),
	T("attr type: EVENT as a u32", EVENT, 0, b_ev_u32, -EINVAL),
	T("attr type: EVENT 7, out of range", EVENT, 0, b_ev_7, -ERANGE, .msg = "out of range"),
	T("attr type: EVENT 255, out of range", EVENT, 0, b_ev_255, -ERANGE, .msg = "out of range"),
	T("attr type: CHAIN as a flat string", CHECK, 0, b_chain_flat, -EINVAL),
	T("attr type: CHAIN without NLA_F_NESTED", CHECK, 0, b_chain_noflag, -EINVAL),
	T("attr type: a chain entry that is a string", CHECK, 0, b_chain_strentry, -EINVAL),
	T("attr type: a chain entry of 2 bytes", CHECK, 0, b_entry_short, -ERANGE),
	T("attr type: FAIL_MODE 2, out of range", CHECK, 0, b_failmode_2, -ERANGE, .msg = "out of range"),
	T("attr type: ARGS as a flat string", CHECK, 0, b_args_flat, -EINVAL),
	T("attr type: ARG as a u32", CHECK, 0, b_arg_u32, -EINVAL),
	T("missing attr: DISK_EVENT without TAG",
	  EVENT, 0, b_evt_notag, -EINVAL, .miss = VAIO_ATTR_TAG),
	T("missing attr: DISK_EVENT without EVENT",
	  EVENT, 0, b_evt_noev, -EINVAL, .miss = VAIO_ATTR_EVENT),
	T("missing attr: DISK_EVENT without DISK_ID",
	  EVENT, 0, b_evt_noid, -EINVAL, .miss = VAIO_ATTR_DISK_ID),
	T("missing attr: CHAIN_CHECK without CHAIN",
	  CHECK, 0, NULL, -EINVAL, .miss = VAIO_ATTR_CHAIN),
	T("missing attr: FILTER_REACTIVATE without FILTER_NAME",
	  REACT, 0, b_react_noname, -EINVAL, .miss = VAIO_ATTR_FILTER_NAME),
	T("missing attr: FILTER_REACTIVATE without DISK_ID",
	  REACT, 0, b_react_noid, -EINVAL, .miss = VAIO_ATTR_DISK_ID),
	T("oversize: DISK_ID of 63 chars passes the policy",
	  DGET, 0, b_id_63, -ENODEV, .msg = "no such disk"),
	T("oversize: DISK_ID of 64 chars", DGET, 0, b_id_64, -EINVAL),
	T("oversize: DISK_ID of 4000 chars", DGET, 0, b_id_4000, -EINVAL),
	T("oversize: TAG of 64 chars", EVENT, 0, b_tag_64, -EINVAL),
	T("oversize: TAG of 4000 chars", EVENT, 0, b_tag_4000, -EINVAL),
	T("oversize: FILTER_NAME of 64 chars", REACT, 0, b_fname_64, -EINVAL),
	T("oversize: filter TYPE of 63 chars passes the policy",
	  CHECK, 0, b_type_63, -ENOENT, .msg = "unknown filter type"),
	T("oversize: filter TYPE of 64 chars", CHECK, 0, b_type_64, -EINVAL),
	T("oversize: filter TYPE of 4000 chars", CHECK, 0, b_type_4000, -EINVAL),
	T("oversize: filter ARG of 256 chars", CHECK, 0, b_arg_256, -EINVAL),
	T("oversize: filter ARG of 4000 chars", CHECK, 0, b_arg_4000, -EINVAL),
	T("unknown attr: VAIO_ATTR_MAX + 1", DGET, 0, b_unk_top, -EINVAL),
	T("unknown attr: 0x3fff", DGET, DUMP, b_unk_3fff, -EINVAL),
	T("unknown attr: 0 (UNSPEC)", DGET, 0, b_unk_zero, -EINVAL),
	T("unknown attr: DM_NAME, a reply attribute", DGET, 0, b_unk_reply_attr, -EINVAL),
	T("unknown attr: FILTER_ATTR_MAX + 1 in a filter", CHECK, 0, b_unk_in_filter, -EINVAL),
	T("unknown attr: CLASS (a reply attribute) in a filter",
	  CHECK, 0, b_unk_class_in_filter, -EINVAL),
	T("unknown attr: TYPE inside ARGS", CHECK, 0, b_unk_in_args, -EINVAL),
	T("chain check: unknown filter type",
	  CHECK, 0, b_c_nosuch, -ENOENT, .msg = "unknown filter type"),
	T("chain check: invalid type name",
	  CHECK, 0, b_c_badname, -EINVAL, .msg = "invalid filter type name"),
	T("chain check: empty type name",
	  CHECK, 0, b_c_emptyname, -EINVAL, .msg = "invalid filter type name"),
	T("chain check: two filters of one class",
	  CHECK, 0, b_c_twice, -EINVAL, .msg = "two filters of one class"),
	T("chain check: undeclared parameter",
	  CHECK, 0, b_c_frob, -EINVAL, .msg = "unknown filter parameter"),
	T("chain check: arg not key=value", CHECK, 0, b_c_nokv, -EINVAL, .msg = "not key=value"),
	T("chain check: arg with an empty key",
	  CHECK, 0, b_c_nokey, -EINVAL, .msg = "not key=value"),
	T("chain check: value out of range (ms=60001)",
	  CHECK, 0, b_c_range, -EINVAL, .msg = "out of range"),
	T("chain check: value not a number", CHECK, 0, b_c_nan, -EINVAL, .msg = "not a number"),
	T("chain check: value not among the choices",
	  CHECK, 0, b_c_choice, -EINVAL, .msg = "choices"),
	T("chain check: parameter given twice", CHECK, 0, b_c_dup, -EINVAL, .msg = "given twice"),
	T("chain check: bool that is not 0 or 1", CHECK, 0, b_c_bool, -EINVAL, .msg = "not 0 or 1"),
	T("chain check: more than 5 filters",
	  CHECK, 0, b_c_six, -E2BIG, .msg = "more filters than classes"),
	T("chain check: encryption without FAIL_MODE (fail_open)",
	  CHECK, 0, b_c_enc_open, -EINVAL, .msg = "filter type does not allow fail_open"),
	T("chain check: encryption fail_open",
	  CHECK, 0, b_c_enc_open2, -EINVAL, .msg = "filter type does not allow fail_open"),
	T("chain check: a filter without TYPE",
	  CHECK, 0, b_c_notype, -EINVAL, .msg = "filter without a type"),
	T("chain check: an empty filter entry",
	  CHECK, 0, b_c_emptyentry, -EINVAL, .msg = "filter without a type"),
	T("chain check: a filter entry without NLA_F_NESTED", CHECK, 0, b_c_entry_noflag, -EINVAL),
	T("chain check: 33 args", CHECK, 0, b_c_33, -E2BIG, .msg = "too many filter arguments"),
	T("chain ok: test-qos mode=delay,ms=5 and test-cache", CHECK, 0, b_ok_qos_cache, 0),
	T("chain ok: all five classes", CHECK, 0, b_ok_five, 0),
	T("chain ok: the empty chain", CHECK, 0, b_ok_empty, 0),
	T("chain ok: an ARG of 255 chars (ms=000...5)", CHECK, 0, b_arg_255, 0),
	T("no disk: DISK_EVENT", EVENT, 0, b_ev_nodisk, -ENODEV, .msg = "no such disk"),
	T("no disk: FILTER_REACTIVATE", REACT, 0, b_react_nodisk, -ENODEV, .msg = "no such disk"),
	T("filter call: without FILTER_CMD", FCALL, 0, b_fc_nocmd, -EINVAL,
	  .msg = "missing FILTER_CMD", .miss = VAIO_ATTR_FILTER_CMD),
	T("filter call: a dump without FILTER_CMD", FCALL, DUMP, b_fc_nocmd, -EINVAL,
	  .msg = "missing FILTER_CMD"),
	T("filter call: without DISK_ID", FCALL, 0, NULL, -EINVAL, .miss = VAIO_ATTR_DISK_ID),
	T("filter call: no such disk", FCALL, 0, b_fc_nodisk, -ENODEV, .msg = "no such disk"),
	T("filter call: a dump of no such disk", FCALL, DUMP, b_fc_nodisk, -ENODEV,
	  .msg = "no such disk"),
	T("filter call: FILTER_CMD as a u8", FCALL, 0, b_fc_cmd_u8, -EINVAL),
	T("filter call: FILTER_DATA as a string", FCALL, 0, b_fc_data_flat, -EINVAL),
};

/* ------------------------------------------------------------ a live disk */

static bool lists_disk(const struct answer *a)
{
	char want[80];

	snprintf(want, sizeof(want), " %s ", disk);
	return strstr(a->names, want);
}

static bool lists_qos(const struct answer *a)
{
	return strstr(a->names, " test-qos ");
}

B(b_d_get, str(nlh, VAIO_ATTR_DISK_ID, disk))
B(b_d_tag_space, event(nlh, disk, VAIO_EVENT_SNAPSHOT, "a b"))
B(b_d_tag_empty, event(nlh, disk, VAIO_EVENT_SNAPSHOT, ""))
B(b_d_tag_200, event(nlh, disk, VAIO_EVENT_SNAPSHOT, mk(0, "", 't', 200)))
B(b_d_tag_slash, event(nlh, disk, VAIO_EVENT_SNAPSHOT, "a/b"))
B(b_d_attach, event(nlh, disk, VAIO_EVENT_ATTACH, "t"))
B(b_d_react_nosuch, str(nlh, VAIO_ATTR_DISK_ID, disk);
  str(nlh, VAIO_ATTR_FILTER_NAME, "nosuch"))
B(b_d_react_qos, str(nlh, VAIO_ATTR_DISK_ID, disk);
  str(nlh, VAIO_ATTR_FILTER_NAME, "test-qos"))
B(b_d_react_class, str(nlh, VAIO_ATTR_DISK_ID, disk);
  str(nlh, VAIO_ATTR_FILTER_NAME, "qos"))

/* A test filter command to test-qos of the disk, with one TAG-ish datum. */
static void fcall(struct nlmsghdr *nlh, const char *filter, uint32_t cmd,
		  uint16_t type, int len, uint64_t v)
{
	struct nlattr *d;

	str(nlh, VAIO_ATTR_DISK_ID, disk);
	str(nlh, VAIO_ATTR_FILTER_NAME, filter);
	mnl_attr_put_u32(nlh, VAIO_ATTR_FILTER_CMD, cmd);
	if (!len)
		return;
	d = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER_DATA);
	if (len == 4)
		mnl_attr_put_u32(nlh, type, v);
	else
		mnl_attr_put_u64(nlh, type, v);
	mnl_attr_nest_end(nlh, d);
}

B(b_d_fc_get, fcall(nlh, "test-qos", VAIO_TEST_CMD_GET, 0, 0, 0))
B(b_d_fc_nosuch, fcall(nlh, "test-encryption", VAIO_TEST_CMD_GET, 0, 0, 0))
B(b_d_fc_set, fcall(nlh, "qos", VAIO_TEST_CMD_SET, VAIO_TEST_ATTR_TAG, 4, 7))
B(b_d_fc_tag64, fcall(nlh, "qos", VAIO_TEST_CMD_SET, VAIO_TEST_ATTR_TAG, 8, 7))
B(b_d_fc_range, fcall(nlh, "qos", VAIO_TEST_CMD_SET, VAIO_TEST_ATTR_TAG, 4,
		      VAIO_TEST_TAG_MAX + 1))
B(b_d_fc_maps, fcall(nlh, "qos", VAIO_TEST_CMD_SET, VAIO_TEST_ATTR_MAPS, 8, 1))
B(b_d_fc_bios, fcall(nlh, "test-qos", VAIO_TEST_CMD_BIOS, 0, 0, 0))

static const struct tcase disk_cases[] = {
	T("disk: DISK_GET answers with the disk", DGET, 0, b_d_get, 0, .check = lists_disk),
	T("disk: the DISK_GET dump lists it", DGET, DUMP, NULL, 0, .check = lists_disk),
	T("disk: snapshot tag \"a b\"",
	  EVENT, 0, b_d_tag_space, -EINVAL, .msg = "invalid snapshot tag"),
	T("disk: snapshot tag \"\"",
	  EVENT, 0, b_d_tag_empty, -EINVAL, .msg = "invalid snapshot tag"),
	T("disk: snapshot tag \"a/b\"",
	  EVENT, 0, b_d_tag_slash, -EINVAL, .msg = "invalid snapshot tag"),
	T("disk: snapshot tag of 200 chars", EVENT, 0, b_d_tag_200, -EINVAL),
	T("disk: an attach event cannot be sent",
	  EVENT, 0, b_d_attach, -EOPNOTSUPP, .msg = "only snapshot"),
	T("disk: reactivate a filter the disk lacks",
	  REACT, 0, b_d_react_nosuch, -ENOENT, .msg = "no such filter"),
	T("disk: reactivate an active filter (no-op)", REACT, 0, b_d_react_qos, 0),
	T("disk: reactivate by class name", REACT, 0, b_d_react_class, 0),
	T("disk: filter call GET", FCALL, 0, b_d_fc_get, 0),
	T("disk: filter call SET by class name", FCALL, 0, b_d_fc_set, 0),
	T("disk: filter call to a filter the disk lacks",
	  FCALL, 0, b_d_fc_nosuch, -ENOENT, .msg = "no such filter"),
	T("disk: filter call, TAG as a u64", FCALL, 0, b_d_fc_tag64, -EINVAL),
	T("disk: filter call, TAG out of range", FCALL, 0, b_d_fc_range, -ERANGE),
	T("disk: filter call, an answer attribute in FILTER_DATA",
	  FCALL, 0, b_d_fc_maps, -EINVAL),
	T("disk: filter call, BIOS is a dump", FCALL, 0, b_d_fc_bios, -EOPNOTSUPP,
	  .msg = "BIOS is a dump"),
	T("disk: filter call, the BIOS dump answers", FCALL, DUMP, b_d_fc_bios, 0),
};

/* -R: the disk's table changes in the middle of a FILTER_CALL dump. */
static void reload_case(struct nl *nl, const char *cmd)
{
	struct nlmsghdr *nlh = msg_start(family, FCALL, NLM_F_DUMP);
	struct answer a;
	int n;

	b_d_fc_bios(nlh);
	memset(&a, 0, sizeof(a));
	a.miss = a.offs = -1;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0) {
		a.err = -errno;
	} else {
		/* The first message (the kernel makes the next one now). */
		n = mnl_socket_recvfrom(nl->sk, rbuf, sizeof(rbuf));
		if (n <= 0 || ((struct nlmsghdr *)rbuf)->nlmsg_type < NLMSG_MIN_TYPE)
			printf("#   the first answer is no dump message\n");
		else if (system(cmd))
			printf("#   '%s' failed\n", cmd);
		else
			receive(nl, nlh->nlmsg_seq, &a, NULL, NULL);
	}
	report(a.err == -EAGAIN && strstr(a.ext, "changed during the dump"),
	       "filter call: a reload during a dump ends it with EAGAIN", &a);
}

static int ntf_attr(const struct nlattr *at, void *data)
{
	struct answer *a = data;

	if (mnl_attr_get_type(at) == VAIO_ATTR_TAG)
		add_name(a, at);
	if (mnl_attr_get_type(at) == VAIO_ATTR_DELIVERED &&
	    mnl_attr_validate(at, MNL_TYPE_U32) == 0) {
		a->has_delivered = true;
		a->delivered = mnl_attr_get_u32(at);
	}
	return MNL_CB_OK;
}

/* A valid snapshot: answered with DELIVERED, and notified on "events". */
static void snapshot_case(struct nl *nl)
{
	static const char tag[] = "nlfuzz-snap";
	struct nl mc;
	struct nlmsghdr *nlh;
	struct answer a, n;
	char name[160];
	bool seen = false;
	int len;

	if (!events_grp || nl_open(&mc) ||
	    mnl_socket_setsockopt(mc.sk, NETLINK_ADD_MEMBERSHIP, &events_grp,
				  sizeof(events_grp)) < 0) {
		report(false, "disk: join the events group", NULL);
		return;
	}
	nlh = msg_start(family, VAIO_CMD_DISK_EVENT, 0);
	event(nlh, disk, VAIO_EVENT_SNAPSHOT, tag);
	talk_vaio(nl, nlh, &a);
	snprintf(name, sizeof(name), "disk: a valid snapshot is delivered (%s%u)",
		 a.has_delivered ? "DELIVERED " : "no DELIVERED ", a.delivered);
	report(!a.err && a.replies == 1 && a.has_delivered &&
	       (expect_delivered < 0 || a.delivered == expect_delivered),
	       name, &a);

	/* Notifications have sequence 0; wait for ours (10 s timeout). */
	memset(&n, 0, sizeof(n));
	while (!seen && (len = mnl_socket_recvfrom(mc.sk, rbuf, sizeof(rbuf))) > 0) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)rbuf;

		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct genlmsghdr *g = mnl_nlmsg_get_payload(h);

			if (h->nlmsg_type != family || g->cmd != VAIO_CMD_NTF_EVENT)
				continue;
			n.names[0] = '\0';
			mnl_attr_parse(h, GENL_HDRLEN, ntf_attr, &n);
			if (strstr(n.names, " nlfuzz-snap "))
				seen = true;
		}
	}
	report(seen && n.has_delivered && n.delivered == a.delivered,
	       "disk: the snapshot is notified on the events group", NULL);
	mnl_socket_close(mc.sk);
}

/* ------------------------------------------------------------ vaio_repl */

#define RGET	VAIO_REPL_CMD_GET
#define RCONN	VAIO_REPL_CMD_CONNECT
#define RDISC	VAIO_REPL_CMD_DISCONNECT
#define RROLE	VAIO_REPL_CMD_SET_ROLE

/* CONNECT's attributes; each < 0 (or NULL) left out. */
static void rconnect(struct nlmsghdr *nlh, const char *id, long long fd,
		     long long sectors, int peer_role)
{
	if (id)
		str(nlh, VAIO_REPL_ATTR_DISK_ID, id);
	if (fd >= 0)
		mnl_attr_put_u32(nlh, VAIO_REPL_ATTR_FD, fd);
	if (sectors >= 0)
		mnl_attr_put_u64(nlh, VAIO_REPL_ATTR_PEER_SECTORS, sectors);
	if (peer_role >= 0)
		mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_PEER_ROLE, peer_role);
}

B(b_r_nodisk, str(nlh, VAIO_REPL_ATTR_DISK_ID, "nlfuzz-no-such-disk"))
B(b_r_id_u32, mnl_attr_put_u32(nlh, VAIO_REPL_ATTR_DISK_ID, 0x41424344))
B(b_r_id_nonul, mnl_attr_put(nlh, VAIO_REPL_ATTR_DISK_ID, 3, "abc"))
B(b_r_id_63, str(nlh, VAIO_REPL_ATTR_DISK_ID, mk(0, "", 'd', 63)))
B(b_r_id_64, str(nlh, VAIO_REPL_ATTR_DISK_ID, mk(0, "", 'd', 64)))
B(b_r_fd_u8, rconnect(nlh, "x", -1, 1, 1);
  mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_FD, 3))
B(b_r_sectors_u32, rconnect(nlh, "x", 3, -1, 1);
  mnl_attr_put_u32(nlh, VAIO_REPL_ATTR_PEER_SECTORS, 1))
B(b_r_role_2, str(nlh, VAIO_REPL_ATTR_DISK_ID, "x");
  mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_ROLE, 2))
B(b_r_peer_role_9, rconnect(nlh, "x", 3, 1, 9))
B(b_r_force_payload, str(nlh, VAIO_REPL_ATTR_DISK_ID, "x");
  mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_ROLE, 0);
  mnl_attr_put_u32(nlh, VAIO_REPL_ATTR_FORCE, 1))
B(b_r_no_fd, rconnect(nlh, "x", -1, 1, 1))
B(b_r_no_sectors, rconnect(nlh, "x", 3, -1, 1))
B(b_r_no_peer_role, rconnect(nlh, "x", 3, 1, -1))
B(b_r_no_id, rconnect(nlh, NULL, 3, 1, 1))
B(b_r_no_role, str(nlh, VAIO_REPL_ATTR_DISK_ID, "x"))
B(b_r_conn_nodisk, rconnect(nlh, "nlfuzz-no-such-disk", 3, 1, 1))
B(b_r_role_nodisk, str(nlh, VAIO_REPL_ATTR_DISK_ID, "nlfuzz-no-such-disk");
  mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_ROLE, 0))
B(b_r_unk_top, str(nlh, VAIO_REPL_ATTR_MAX + 1, "x"))
B(b_r_unk_reply, str(nlh, VAIO_REPL_ATTR_DISK_ID, "x");
  mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_CONN, 0))

static const struct tcase repl_cases[] = {
	T("command: 0 (UNSPEC)", 0, 0, NULL, -EOPNOTSUPP),
	T("command: VAIO_REPL_CMD_MAX + 1", VAIO_REPL_CMD_MAX + 1, 0, NULL, -EOPNOTSUPP),
	T("command: 255", 255, 0, NULL, -EOPNOTSUPP),
	T("command: NTF_STATE is not a request", VAIO_REPL_NTF_STATE, 0, b_r_nodisk, -EOPNOTSUPP),
	T("command: CONNECT has no dump", RCONN, DUMP, NULL, -EOPNOTSUPP),
	T("get: the dump answers", RGET, DUMP, NULL, 0),
	T("get: without DISK_ID", RGET, 0, NULL, -EINVAL, .miss = VAIO_REPL_ATTR_DISK_ID),
	T("get: a disk without a replication filter",
	  RGET, 0, b_r_nodisk, -ENODEV, .msg = "no disk with a replication filter"),
	T("attr type: DISK_ID as a u32", RGET, 0, b_r_id_u32, -EINVAL),
	T("attr type: DISK_ID not NUL-terminated", RGET, 0, b_r_id_nonul, -EINVAL),
	T("attr type: FD as a u8", RCONN, 0, b_r_fd_u8, -EINVAL),
	T("attr type: PEER_SECTORS as a u32", RCONN, 0, b_r_sectors_u32, -EINVAL),
	T("attr type: ROLE 2, out of range", RROLE, 0, b_r_role_2, -ERANGE, .msg = "out of range"),
	T("attr type: PEER_ROLE 9, out of range",
	  RCONN, 0, b_r_peer_role_9, -ERANGE, .msg = "out of range"),
	T("attr type: FORCE, a flag, with a payload", RROLE, 0, b_r_force_payload, ANY_ERROR),
	T("oversize: DISK_ID of 63 chars passes the policy", RGET, 0, b_r_id_63, -ENODEV),
	T("oversize: DISK_ID of 64 chars", RGET, 0, b_r_id_64, -EINVAL),
	T("missing attr: CONNECT without FD",
	  RCONN, 0, b_r_no_fd, -EINVAL, .miss = VAIO_REPL_ATTR_FD),
	T("missing attr: CONNECT without PEER_SECTORS",
	  RCONN, 0, b_r_no_sectors, -EINVAL, .miss = VAIO_REPL_ATTR_PEER_SECTORS),
	T("missing attr: CONNECT without PEER_ROLE",
	  RCONN, 0, b_r_no_peer_role, -EINVAL, .miss = VAIO_REPL_ATTR_PEER_ROLE),
	T("missing attr: CONNECT without DISK_ID",
	  RCONN, 0, b_r_no_id, -EINVAL, .miss = VAIO_REPL_ATTR_DISK_ID),
	T("missing attr: SET_ROLE without ROLE",
	  RROLE, 0, b_r_no_role, -EINVAL, .miss = VAIO_REPL_ATTR_ROLE),
	T("missing attr: DISCONNECT without DISK_ID",
	  RDISC, 0, NULL, -EINVAL, .miss = VAIO_REPL_ATTR_DISK_ID),
	T("no disk: CONNECT", RCONN, 0, b_r_conn_nodisk, -ENODEV,
	  .msg = "no disk with a replication filter"),
	T("no disk: DISCONNECT", RDISC, 0, b_r_nodisk, -ENODEV),
	T("no disk: SET_ROLE", RROLE, 0, b_r_role_nodisk, -ENODEV),
	T("unknown attr: VAIO_REPL_ATTR_MAX + 1", RGET, 0, b_r_unk_top, -EINVAL),
	T("unknown attr: CONN, a reply attribute", RGET, 0, b_r_unk_reply, -EINVAL),
};

B(b_r_d_get, str(nlh, VAIO_REPL_ATTR_DISK_ID, disk))

static const struct tcase repl_disk_cases[] = {
	T("disk: GET answers with the disk", RGET, 0, b_r_d_get, 0, .check = lists_disk),
	T("disk: the GET dump lists it", RGET, DUMP, NULL, 0, .check = lists_disk),
};

/* CONNECT of @disk with @fd and peer role @peer_role: the error expected. */
static void repl_connect_case(struct nl *nl, const char *name, int fd,
			      int peer_role, int expect, const char *msg)
{
	struct nlmsghdr *nlh = msg_start(family, RCONN, 0);
	struct tcase c = { .name = name, .expect = expect, .msg = msg };
	struct answer a;

	/* A peer disk larger than any: never "peer disk smaller". */
	rconnect(nlh, disk, fd, 1LL << 60, peer_role);
	talk_vaio(nl, nlh, &a);
	report(judge(&c, &a), name, &a);
}

/* CONNECT of the disk with sockets it must refuse, none of them changing it. */
static void repl_disk_connects(struct nl *nl)
{
	struct nlmsghdr *nlh = msg_start(family, RGET, 0);
	struct answer a;
	int role, other, udp, lst;

	str(nlh, VAIO_REPL_ATTR_DISK_ID, disk);
	talk_vaio(nl, nlh, &a);
	if (a.err) {
		report(false, "disk: GET for its role", &a);
		return;
	}
	role = a.delivered;
	other = !role;
	repl_connect_case(nl, "disk: CONNECT with a peer of the same role", 3, role,
			  -EINVAL, "the peer must have the other role");
	repl_connect_case(nl, "disk: CONNECT with an FD that is not open", 999, other,
			  ANY_ERROR, "FD is not a socket");
	repl_connect_case(nl, "disk: CONNECT with FD 0 (not a socket)", 0, other,
			  ANY_ERROR, "FD is not a socket");
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	repl_connect_case(nl, "disk: CONNECT with a UDP socket", udp, other,
			  -EINVAL, "FD is not a connected TCP socket");
	close(udp);
	lst = socket(AF_INET, SOCK_STREAM, 0);
	repl_connect_case(nl, "disk: CONNECT with an unconnected TCP socket", lst,
			  other, -EINVAL, "FD is not a connected TCP socket");
	close(lst);
	repl_connect_case(nl, "disk: CONNECT with its own netlink socket",
			  mnl_socket_get_fd(nl->sk), other, -EINVAL,
			  "FD is not a connected TCP socket");
}

/* ------------------------------------------------------------ privilege */

static const struct tcase priv_cases[] = {
	T("privilege: CHAIN_CHECK needs CAP_SYS_ADMIN", CHECK, 0, b_ok_qos_cache, -EPERM),
	T("privilege: DISK_EVENT needs CAP_SYS_ADMIN", EVENT, 0, b_ev_nodisk, -EPERM),
	T("privilege: FILTER_REACTIVATE needs CAP_SYS_ADMIN", REACT, 0, b_react_nodisk, -EPERM),
	T("privilege: FILTER_CALL needs CAP_SYS_ADMIN", FCALL, 0, b_fc_nodisk, -EPERM),
	T("privilege: the FILTER_CALL dump needs CAP_SYS_ADMIN",
	  FCALL, DUMP, b_fc_nodisk, -EPERM),
	T("privilege: FILTER_GET dump works unprivileged", FGET, DUMP, NULL, 0, .check = lists_qos),
	T("privilege: DISK_GET dump works unprivileged", DGET, DUMP, NULL, 0),
};

B(b_r_priv_conn, rconnect(nlh, "nlfuzz-no-such-disk", 3, 1, 1))
B(b_r_priv_role, str(nlh, VAIO_REPL_ATTR_DISK_ID, "nlfuzz-no-such-disk");
  mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_ROLE, 1))

static const struct tcase repl_priv_cases[] = {
	T("privilege: CONNECT needs CAP_NET_ADMIN", RCONN, 0, b_r_priv_conn, -EPERM),
	T("privilege: DISCONNECT needs CAP_NET_ADMIN", RDISC, 0, b_r_nodisk, -EPERM),
	T("privilege: SET_ROLE needs CAP_NET_ADMIN", RROLE, 0, b_r_priv_role, -EPERM),
	T("privilege: the GET dump works unprivileged", RGET, DUMP, NULL, 0),
};

static void privilege_cases(bool drop)
{
	const struct tcase *pc = repl ? repl_priv_cases : priv_cases;
	size_t npc = repl ? ARRAY_SIZE(repl_priv_cases) : ARRAY_SIZE(priv_cases);

	struct nl nl;
	int status, failed = n_fail;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		n_fail++;
		return;
	}
	if (pid == 0) {
		if (drop && (setgroups(0, NULL) || setgid(65534) || setuid(65534))) {
			perror("dropping privileges");
			_exit(100);
		}
		if (nl_open(&nl))
			_exit(100);
		run_cases(&nl, pc, npc);
		fflush(stdout);
		_exit(n_fail - failed > 99 ? 99 : n_fail - failed);
	}
	n_case += npc;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 100) {
		printf("# privilege: the unprivileged child failed\n");
		n_fail += npc;
	} else {
		n_fail += WEXITSTATUS(status);
	}
}

/* ------------------------------------------------------------ fuzz */

static uint64_t rng;

static uint32_t rnd(void)	/* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) >> 32;
}

static uint32_t below(uint32_t n)
{
	return rnd() % n;
}

/* Strings the kernel may like: types, classes, params, names, junk. */
static const char *const pool[] = {
	"test-qos", "test-cache", "test-replication", "test-inspection",
	"test-encryption", "qos", "cache", "nosuch", "", "a b", "a/b",
	"mode=delay", "ms=5", "ms=60001", "ms=", "frob=1", "mode=pass",
	"mode=fast", "ops=reads", "veto=none", "veto=snapshot",
	"refuse_reactivate=1", "refuse_reactivate=2", "=", "fuzz-tag",
	"nlfuzz-no-such-disk",
};

static void fuzz_string(struct nlmsghdr *nlh, uint16_t type)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789._:-=";
	static const unsigned int lens[] = { 62, 63, 64, 65, 254, 255, 256, 257 };
	char s[520];
	size_t i, len;

	switch (below(5)) {
	case 0:
	case 1:
		if (disk && !below(4))
			str(nlh, type, disk);
		else
			str(nlh, type, pool[below(ARRAY_SIZE(pool))]);
		return;
	case 2:
		len = below(80);
		for (i = 0; i < len; i++)
			s[i] = name_chars[below(sizeof(name_chars) - 1)];
		break;
	case 3:
		len = below(300);
		for (i = 0; i < len; i++)
			s[i] = rnd();
		break;
	default:
		len = lens[below(ARRAY_SIZE(lens))];
		memset(s, 'x', len);
	}
	s[len] = '\0';
	/* NUL-terminated most of the time */
	mnl_attr_put(nlh, type, len + !!below(4), s);
}

/*
 * Where in the request's schema an attribute tree is being built: the
 * top level, a CHAIN (filter entries), a filter, its ARGS. Most attributes
 * are of a type the level knows, typed as the policy wants; the rest are
 * anything (type 0..20, any payload).
 */
enum level { TOP, CHAIN, FILTER, ARGLIST, ANY };

static const uint16_t known[][5] = {
	[TOP] = { VAIO_ATTR_DISK_ID, VAIO_ATTR_CHAIN, VAIO_ATTR_EVENT,
		  VAIO_ATTR_TAG, VAIO_ATTR_FILTER_NAME },
	[CHAIN] = { VAIO_ATTR_FILTER, VAIO_ATTR_FILTER, VAIO_ATTR_FILTER,
		    VAIO_ATTR_FILTER, VAIO_ATTR_FILTER },
	[FILTER] = { VAIO_FILTER_ATTR_TYPE, VAIO_FILTER_ATTR_TYPE,
		     VAIO_FILTER_ATTR_FAIL_MODE, VAIO_FILTER_ATTR_ARGS,
		     VAIO_FILTER_ATTR_ARGS },
	[ARGLIST] = { VAIO_FILTER_ATTR_ARG, VAIO_FILTER_ATTR_ARG,
		      VAIO_FILTER_ATTR_ARG, VAIO_FILTER_ATTR_ARG,
		      VAIO_FILTER_ATTR_ARG },
};

static void fuzz_tree(struct nlmsghdr *nlh, enum level lv, int depth);

/* vaio_repl's request attributes, mostly typed as its policy wants. */
static void fuzz_repl_known(struct nlmsghdr *nlh)
{
	static const uint16_t types[] = {
		VAIO_REPL_ATTR_DISK_ID, VAIO_REPL_ATTR_DISK_ID,
		VAIO_REPL_ATTR_FD, VAIO_REPL_ATTR_ROLE,
		VAIO_REPL_ATTR_PEER_ROLE, VAIO_REPL_ATTR_FORCE,
		VAIO_REPL_ATTR_SKIP_SYNC, VAIO_REPL_ATTR_FULL_SYNC,
		VAIO_REPL_ATTR_PEER_SECTORS,
	};
	uint16_t type = types[below(ARRAY_SIZE(types))];

	switch (type) {
	case VAIO_REPL_ATTR_DISK_ID:
		fuzz_string(nlh, type);
		break;
	case VAIO_REPL_ATTR_FD:
		/* Our own fds (stdio, netlink), a closed one, anything. */
		mnl_attr_put_u32(nlh, type, below(4) ? below(8) :
					    below(2) ? 999 : rnd());
		break;
	case VAIO_REPL_ATTR_ROLE:
	case VAIO_REPL_ATTR_PEER_ROLE:
		mnl_attr_put_u8(nlh, type, below(8) ? below(2) : below(256));
		break;
	case VAIO_REPL_ATTR_PEER_SECTORS:
		mnl_attr_put_u64(nlh, type, below(2) ? ((uint64_t)rnd() << 32 | rnd())
						     : below(1 << 20));
		break;
	default:	/* flags */
		mnl_attr_put(nlh, type, below(8) ? 0 : 4, "abcd");
	}
}

static void fuzz_nest(struct nlmsghdr *nlh, uint16_t type, enum level lv,
		      int depth)
{
	struct nlattr *at = mnl_attr_nest_start(nlh, type);

	fuzz_tree(nlh, lv, depth + 1);
	mnl_attr_nest_end(nlh, at);
	if (!below(16))
		at->nla_type &= ~NLA_F_NESTED;
}

/* One attribute of a type @lv expects, mostly well formed. */
static void fuzz_known(struct nlmsghdr *nlh, enum level lv, int depth)
{
	uint16_t type = known[lv][below(5)];
	uint8_t v = below(8) ? (lv == TOP ? VAIO_EVENT_SNAPSHOT : below(2))
			     : below(256);

	if (lv == TOP && type == VAIO_ATTR_CHAIN)
		fuzz_nest(nlh, type, CHAIN, depth);
	else if (lv == CHAIN)
		fuzz_nest(nlh, type, FILTER, depth);
	else if (lv == FILTER && type == VAIO_FILTER_ATTR_ARGS)
		fuzz_nest(nlh, type, ARGLIST, depth);
	else if (type == VAIO_ATTR_EVENT && lv == TOP)
		mnl_attr_put_u8(nlh, type, v);
	else if (type == VAIO_FILTER_ATTR_FAIL_MODE && lv == FILTER)
		mnl_attr_put_u8(nlh, type, v);
	else
		fuzz_string(nlh, type);
}

/* Anything: type 0..20 (some with flags), any payload, nests to depth 3. */
static void fuzz_any(struct nlmsghdr *nlh, int depth)
{
	uint16_t type = below(21);
	uint64_t v;

	if (!below(10))
		type |= below(2) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
	switch (below(6)) {
	case 0:
	case 1:
		fuzz_string(nlh, type);
		break;
	case 2:
		v = below(3) ? below(8) : ((uint64_t)rnd() << 32 | rnd());
		mnl_attr_put(nlh, type, 1 << below(4), &v);
		break;
	case 3:
	case 4:
		if (depth < 3) {
			fuzz_nest(nlh, type, ANY, depth);
			break;
		}
		/* fall through */
	default:
		mnl_attr_put(nlh, type, 0, NULL);
	}
}

static void fuzz_tree(struct nlmsghdr *nlh, enum level lv, int depth)
{
	unsigned int i, n = lv == ARGLIST && !below(4) ? 30 + below(6)
						       : below(lv == TOP ? 6 : 5);
	struct nlattr *at;

	for (i = 0; i < n && nlh->nlmsg_len < FUZZ_MAX; i++) {
		at = mnl_nlmsg_get_payload_tail(nlh);
		if (repl && lv == TOP && below(5))
			fuzz_repl_known(nlh);
		else if (lv != ANY && below(5))
			fuzz_known(nlh, lv, depth);
		else
			fuzz_any(nlh, depth);
		if (!below(25)) {	/* truncated or overlong nla_len */
			switch (below(4)) {
			case 0: at->nla_len = below(NLA_HDRLEN); break;
			case 1: at->nla_len -= at->nla_len > NLA_HDRLEN; break;
			case 2: at->nla_len += 1 + below(64); break;
			default: at->nla_len = 0xffff;
			}
		}
	}
}

/* Mostly the flags genetlink accepts (it refuses others since 6.1), with
 * NLM_F_DUMP mostly where @cmd has a dump. */
static uint16_t fuzz_flags(uint8_t cmd)
{
	bool dumps = repl ? cmd == VAIO_REPL_CMD_GET :
		     cmd == VAIO_CMD_FILTER_GET || cmd == VAIO_CMD_DISK_GET;
	uint16_t f = below(8) < (dumps ? 6 : 1) ? NLM_F_DUMP : 0;

	if (!below(8))
		f |= NLM_F_ECHO;
	if (!below(16))
		f |= rnd();
	return f;
}

static const int fuzz_errnos[] = {
	EINVAL, EOPNOTSUPP, ERANGE, ENODEV, ENOENT, E2BIG, EPERM, EMSGSIZE,
};

static void fuzz(struct nl *nl, uint64_t seed, unsigned long iters)
{
	unsigned long i, answered = 0, ok = 0;
	unsigned long by_errno[ARRAY_SIZE(fuzz_errnos) + 1] = { 0 };
	unsigned long by_cmd[VAIO_CMD_FILTER_REACTIVATE + 1][2] = { { 0 } };
	unsigned int j, kinds = 0, silent = 0;
	unsigned int ncmds = repl ? VAIO_REPL_CMD_SET_ROLE : VAIO_CMD_FILTER_REACTIVATE;
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct answer a;
	char name[160];

	rng = seed;
	for (i = 0; i < iters && silent < 3; i++) {
		uint8_t cmd = below(8) ? 1 + below(ncmds) : below(256);

		nlh = msg_start(family, cmd, fuzz_flags(cmd));
		g = mnl_nlmsg_get_payload(nlh);
		if (!below(8))
			g->version = rnd();
		if (!below(32))
			g->reserved = rnd();
		fuzz_tree(nlh, TOP, 0);
		if (!below(16))	/* trailing bytes that are no attribute */
			nlh->nlmsg_len += 1 + below(3);
		talk(nl, nlh, &a, NULL, NULL);
		if (a.err == NO_ANSWER || a.err > 0) {
			silent++;
			printf("#   iteration %lu (cmd %u flags 0x%x len %u): no answer\n",
			       i, cmd, nlh->nlmsg_flags, nlh->nlmsg_len);
			continue;
		}
		answered++;
		if (cmd <= ncmds)
			by_cmd[cmd][!a.err]++;
		if (!a.err) {
			ok++;
			continue;
		}
		for (j = 0; j < ARRAY_SIZE(fuzz_errnos); j++)
			if (-a.err == fuzz_errnos[j])
				break;
		by_errno[j]++;
	}
	snprintf(name, sizeof(name),
		 "fuzz: seed %llu, %lu of %lu random messages answered",
		 (unsigned long long)seed, answered, iters);
	report(answered == iters, name, NULL);
	printf("#   %lu successes; errors:", ok);
	for (j = 0; j <= ARRAY_SIZE(fuzz_errnos); j++) {
		kinds += !!by_errno[j];
		if (by_errno[j])
			printf(" %s %lu", j < ARRAY_SIZE(fuzz_errnos) ?
			       strerrorname_np(fuzz_errnos[j]) : "other",
			       by_errno[j]);
	}
	printf("\n#   requests by command (errors/successes):");
	for (j = 1; j <= ncmds; j++)
		printf(" %u: %lu/%lu", j, by_cmd[j][0], by_cmd[j][1]);
	printf("\n");
	/* Random input that all dies in one check would prove little. */
	if (iters >= 500)
		report(ok && kinds >= 4,
		       "fuzz: messages reached the handlers (some succeeded, 4+ kinds of error)",
		       NULL);
}

/* ------------------------------------------------------------ main */

static const struct tcase health_cases[] = {
	T("health: the FILTER_GET dump lists test-qos", FGET, DUMP, NULL, 0, .check = lists_qos),
	T("health: the DISK_GET dump answers", DGET, DUMP, NULL, 0),
	T("health: a valid chain is still accepted", CHECK, 0, b_ok_qos_cache, 0),
	T("health: a bad chain is still refused",
	  CHECK, 0, b_c_twice, -EINVAL, .msg = "two filters of one class"),
};

static const struct tcase health_disk[] = {
	T("health: DISK_GET still answers with the disk", DGET, 0, b_d_get, 0, .check = lists_disk),
	T("health: a bad snapshot tag is still refused",
	  EVENT, 0, b_d_tag_space, -EINVAL, .msg = "invalid snapshot tag"),
};

static const struct tcase repl_health[] = {
	T("health: the GET dump answers", RGET, DUMP, NULL, 0),
	T("health: an unknown disk is still refused",
	  RGET, 0, b_r_nodisk, -ENODEV, .msg = "no disk with a replication filter"),
};

static const struct tcase repl_health_disk[] = {
	T("health: GET still answers with the disk", RGET, 0, b_r_d_get, 0, .check = lists_disk),
};

static void usage(void)
{
	fprintf(stderr, "usage: vaio-nlfuzz [-r] [-s SEED] [-n ITERATIONS] "
		"[-d DISK_ID [-e DELIVERED]] [-u]\n"
		"       vaio-nlfuzz [-r] -p\n"
		"       vaio-nlfuzz -d DISK_ID -R CMD\n");
	exit(2);
}

/* -r: the vaio_repl family. */
static int repl_main(struct nl *nl, uint64_t seed, unsigned long iters,
		     bool unpriv)
{
	run_cases(nl, repl_cases, ARRAY_SIZE(repl_cases));
	if (disk) {
		run_cases(nl, repl_disk_cases, ARRAY_SIZE(repl_disk_cases));
		repl_disk_connects(nl);
	}
	fuzz(nl, seed, iters);
	if (geteuid() == 0)
		privilege_cases(true);
	else if (unpriv)
		privilege_cases(false);
	else
		printf("# privilege cases skipped: not root and no -u\n");
	run_cases(nl, repl_health, ARRAY_SIZE(repl_health));
	if (disk)
		run_cases(nl, repl_health_disk, ARRAY_SIZE(repl_health_disk));
	printf("# %d cases, %d failed\n", n_case, n_fail);
	mnl_socket_close(nl->sk);
	return n_fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long long seed = 1;
	unsigned long iters = 2000;
	bool unpriv = false, priv_only = false;
	const char *reload = NULL;
	struct nl nl;
	int opt;

	while ((opt = getopt(argc, argv, "rs:n:d:e:upR:h")) != -1) {
		switch (opt) {
		case 'r':
			repl = true;
			family_name = VAIO_REPL_GENL_NAME;
			break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': iters = strtoul(optarg, NULL, 0); break;
		case 'd': disk = optarg; break;
		case 'e': expect_delivered = strtol(optarg, NULL, 0); break;
		case 'u': unpriv = true; break;
		case 'p': priv_only = true; break;
		case 'R': reload = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || (disk && strlen(disk) >= VAIO_NAME_MAX) ||
	    (reload && (!disk || repl)))
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (nl_open(&nl) || resolve(&nl))
		return 1;
	printf("# family %s id %u, group %s id %u\n", family_name, family,
	       VAIO_GENL_MCGRP_EVENTS, events_grp);
	if (priv_only) {
		privilege_cases(false);
		printf("# %d cases, %d failed\n", n_case, n_fail);
		mnl_socket_close(nl.sk);
		return n_fail ? 1 : 0;
	}

	if (reload) {
		reload_case(&nl, reload);
		mnl_socket_close(nl.sk);
		return n_fail ? 1 : 0;
	}
	if (repl)
		return repl_main(&nl, seed, iters, unpriv);
	run_cases(&nl, cases, ARRAY_SIZE(cases));
	if (disk) {
		run_cases(&nl, disk_cases, ARRAY_SIZE(disk_cases));
		snapshot_case(&nl);
	}
	fuzz(&nl, seed, iters);
	if (geteuid() == 0)
		privilege_cases(true);
	else if (unpriv)
		privilege_cases(false);
	else
		printf("# privilege cases skipped: not root and no -u\n");
	run_cases(&nl, health_cases, ARRAY_SIZE(health_cases));
	if (disk)
		run_cases(&nl, health_disk, ARRAY_SIZE(health_disk));

	printf("# %d cases, %d failed\n", n_case, n_fail);
	mnl_socket_close(nl.sk);
	return n_fail ? 1 : 0;
}
