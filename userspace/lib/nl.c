// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvaio: the kernel's "vaio" generic netlink family, over libmnl.
 */
#include "nl-priv.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

int vaio_seterr(struct vaio_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

static void parse_extack(const struct nlmsghdr *nlh, size_t off,
			 struct nl_reply *r)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, off) {
		switch (mnl_attr_get_type(a)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(r->msg, sizeof(r->msg), "%s",
					 mnl_attr_get_str(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				r->offset = mnl_attr_get_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				r->miss_type = mnl_attr_get_u32(a);
			break;
		}
	}
}

/* One received message of a request; MNL_CB_STOP when it is answered. */
static int handle(const struct nlmsghdr *nlh, struct nl_reply *r)
{
	const struct nlmsgerr *e;
	size_t off;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
			r->error = EBADMSG;
			return MNL_CB_ERROR;
		}
		e = mnl_nlmsg_get_payload(nlh);
		if (!e->error)
			return MNL_CB_STOP;
		r->error = -e->error;
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
			off = sizeof(*e);
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
				off += e->msg.nlmsg_len - sizeof(e->msg);
			if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
				parse_extack(nlh, off, r);
		}
		return MNL_CB_ERROR;
	case NLMSG_DONE:
		if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
			int e2 = *(int *)mnl_nlmsg_get_payload(nlh);

			if (e2 < 0) {
				r->error = -e2;
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					parse_extack(nlh, sizeof(int), r);
				return MNL_CB_ERROR;
			}
		}
		return MNL_CB_STOP;
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return MNL_CB_OK;
	}
	if (r->cb)
		return r->cb(nlh, r->data);
	return MNL_CB_OK;
}

int vaio_nl_transact(struct vaio_nl *nl, struct nlmsghdr *nlh,
		     struct nl_reply *r)
{
	uint32_t seq = ++nl->seq;
	int ret, len, failed = 0;
	ssize_t got;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		r->error = errno;
		return -r->error;
	}
	for (;;) {
		struct nlmsghdr *m;

		got = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUFSZ);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r->error = errno;
			return -r->error;
		}
		len = got;
		for (m = (struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq ||
			    m->nlmsg_pid != nl->portid)
				continue;	/* a notification, or stale */
			if (failed && m->nlmsg_type != NLMSG_DONE &&
			    m->nlmsg_type != NLMSG_ERROR)
				continue;	/* read the dump to its end */
			ret = handle(m, r);
			if (ret == MNL_CB_STOP)
				return failed ? -failed : 0;
			if (ret == MNL_CB_ERROR && (m->nlmsg_type == NLMSG_DONE ||
						    m->nlmsg_type == NLMSG_ERROR ||
						    !(m->nlmsg_flags & NLM_F_MULTI)))
				return -(r->error ?: EPROTO);
			if (ret == MNL_CB_ERROR)
				failed = r->error ?: ENOMEM;
		}
	}
}

struct nlmsghdr *vaio_nl_request(struct vaio_nl *nl, char *buf, int cmd,
				 uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = nl->version;
	return nlh;
}

/*
 * The vaio family's commands that change state or load modules need
 * CAP_SYS_ADMIN (and CAP_NET_ADMIN, which generic netlink checks first).
 */
static int admin_error(struct vaio_err *err, int ret, const struct nl_reply *r,
		       const char *what)
{
	/* Not a filter's own refusal (->event_check may say EPERM too). */
	if (ret == -EPERM && (!r->msg[0] || !strcmp(r->msg, "needs CAP_SYS_ADMIN")))
		return vaio_seterr(err, EPERM, "%s: permission denied (needs CAP_SYS_ADMIN)",
				   what);
	return vaio_nl_error(err, ret, r, what);
}

int vaio_nl_error(struct vaio_err *err, int ret, const struct nl_reply *r,
		  const char *what)
{
	int e = -ret;

	if (r->msg[0])
		return vaio_seterr(err, e, "%s: %s", what, r->msg);
	if (e == EPERM)
		return vaio_seterr(err, e, "%s: permission denied (needs CAP_NET_ADMIN)",
				   what);
	return vaio_seterr(err, e, "%s: %s", what, strerror(e));
}

/*
 *--------------------------------------------------------------
 * Opening: resolve the family and its group
 *--------------------------------------------------------------
 */

/* What the family lookup fills in. */
struct family_ctx {
	struct vaio_nl *nl;
	const char *group;		/* the multicast group wanted */
};

static int grp_cb(const struct nlattr *nest, struct family_ctx *ctx)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			name = mnl_attr_get_str(a);
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, ctx->group))
		ctx->nl->events_group = id;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_ctx *ctx = data;
	const struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
				ctx->nl->family = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a)
				grp_cb(g, ctx);
			break;
		}
	}
	return MNL_CB_OK;
}

struct vaio_nl *vaio_nl_open(bool events, struct vaio_err *err)
{
	return vaio_nl_open_family(VAIO_GENL_NAME, VAIO_GENL_VERSION,
				   VAIO_GENL_MCGRP_EVENTS, events,
				   "the dm-vaio kernel module is not loaded (modprobe dm-vaio)",
				   err);
}

struct vaio_nl *vaio_nl_open_family(const char *name, uint8_t version,
				    const char *group, bool events,
				    const char *missing, struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct family_ctx ctx = { .group = group };
	struct nl_reply r = { .cb = family_cb, .data = &ctx };
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;
	struct vaio_nl *nl;
	char what[128];
	int one = 1, ret;

	nl = calloc(1, sizeof(*nl));
	if (nl)
		nl->buf = malloc(NL_BUFSZ);
	if (!nl || !nl->buf) {
		vaio_seterr(err, ENOMEM, "out of memory");
		goto bad;
	}
	ctx.nl = nl;
	nl->version = version;
	nl->seq = time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		vaio_seterr(err, errno, "netlink socket: %s", strerror(errno));
		goto bad;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* Error messages, without the request echoed back. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	ret = vaio_nl_transact(nl, nlh, &r);
	if (ret == -ENOENT) {
		vaio_seterr(err, ENOENT, "%s", missing);
		goto bad;
	}
	if (ret || !nl->family) {
		snprintf(what, sizeof(what), "netlink family %s", name);
		vaio_nl_error(err, ret ?: -EPROTO, &r, what);
		goto bad;
	}
	if (events) {
		if (!nl->events_group ||
		    mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
					  &nl->events_group,
					  sizeof(nl->events_group)) < 0) {
			vaio_seterr(err, errno ?: EPROTO,
				    "cannot join the %s events group: %s", name,
				    strerror(errno ?: EPROTO));
			goto bad;
		}
	}
	return nl;

bad:
	vaio_nl_close(nl);
	return NULL;
}

void vaio_nl_close(struct vaio_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

int vaio_nl_fd(struct vaio_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

/*
 *--------------------------------------------------------------
 * Parsing answers
 *--------------------------------------------------------------
 */

static void copy_str(char *dst, size_t len, const struct nlattr *a)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(dst, len, "%s", mnl_attr_get_str(a));
}

static uint64_t get_u64(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U64) >= 0 ? mnl_attr_get_u64(a) : 0;
}

static uint8_t get_u8(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U8) >= 0 ? mnl_attr_get_u8(a) : 0;
}

static void parse_param(const struct nlattr *nest, struct vaio_param_info *p)
{
	const struct nlattr *a;

	memset(p, 0, sizeof(*p));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case VAIO_PARAM_ATTR_NAME:
			copy_str(p->name, sizeof(p->name), a);
			break;
		case VAIO_PARAM_ATTR_TYPE:
			p->type = get_u8(a);
			break;
		case VAIO_PARAM_ATTR_CHOICES:
			copy_str(p->choices, sizeof(p->choices), a);
			break;
		case VAIO_PARAM_ATTR_RANGE_MIN:
			p->min = get_u64(a);
			p->has_range = true;
			break;
		case VAIO_PARAM_ATTR_RANGE_MAX:
			p->max = get_u64(a);
			p->has_range = true;
			break;
		case VAIO_PARAM_ATTR_DEFAULT:
			copy_str(p->def, sizeof(p->def), a);
			break;
		case VAIO_PARAM_ATTR_HELP:
			copy_str(p->help, sizeof(p->help), a);
			break;
		case VAIO_PARAM_ATTR_SECRET:
			p->secret = true;
			break;
		}
	}
}

/* The attributes of a filter (type or instance) nest. */
static void parse_filter_attrs(const struct nlattr *a, struct vaio_filter_info *f,
			       struct vaio_type_info *t)
{
	const struct nlattr *b;

	switch (mnl_attr_get_type(a)) {
	case VAIO_FILTER_ATTR_TYPE:
		if (f)
			copy_str(f->type, sizeof(f->type), a);
		if (t)
			copy_str(t->name, sizeof(t->name), a);
		break;
	case VAIO_FILTER_ATTR_CLASS:
		if (f)
			f->class = get_u8(a);
		if (t)
			t->class = get_u8(a);
		break;
	case VAIO_FILTER_ATTR_VERSION:
		if (t)
			copy_str(t->version, sizeof(t->version), a);
		break;
	case VAIO_FILTER_ATTR_PARAMS:
		if (!t)
			break;
		mnl_attr_for_each_nested(b, a)
			if (t->nparams < VAIO_MAX_PARAMS)
				parse_param(b, &t->params[t->nparams++]);
		break;
	case VAIO_FILTER_ATTR_FAIL_MODE:
		if (f)
			f->fail_mode = get_u8(a);
		break;
	case VAIO_FILTER_ATTR_FAIL_MODES:
		if (t && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			t->fail_modes = mnl_attr_get_u32(a);
		break;
	case VAIO_FILTER_ATTR_STATE:
		if (f)
			f->state = get_u8(a);
		break;
	case VAIO_FILTER_ATTR_FAIL_REASON:
		if (f)
			copy_str(f->fail_reason, sizeof(f->fail_reason), a);
		break;
	case VAIO_FILTER_ATTR_ARGS:
		if (!f)
			break;
		mnl_attr_for_each_nested(b, a)
			if (f->argc < VAIO_MAX_ARGS)
				copy_str(f->argv[f->argc++], VAIO_ARG_MAX, b);
		break;
	case VAIO_FILTER_ATTR_STATUS:
		if (f)
			copy_str(f->status, sizeof(f->status), a);
		break;
	}
}

static void parse_filter(const struct nlattr *nest, struct vaio_filter_info *f)
{
	const struct nlattr *a;

	memset(f, 0, sizeof(*f));
	mnl_attr_for_each_nested(a, nest)
		parse_filter_attrs(a, f, NULL);
}

static void parse_stats(const struct nlattr *nest, struct vaio_stats_info *st)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case VAIO_STAT_READS:
			st->reads = get_u64(a);
			break;
		case VAIO_STAT_WRITES:
			st->writes = get_u64(a);
			break;
		case VAIO_STAT_FLUSHES:
			st->flushes = get_u64(a);
			break;
		case VAIO_STAT_DISCARDS:
			st->discards = get_u64(a);
			break;
		case VAIO_STAT_ERRORS:
			st->errors = get_u64(a);
			break;
		case VAIO_STAT_READ_SECTORS:
			st->read_sectors = get_u64(a);
			break;
		case VAIO_STAT_WRITE_SECTORS:
			st->write_sectors = get_u64(a);
			break;
		}
	}
}

/* Top-level attributes of a disk message or notification. */
static void parse_top(const struct nlmsghdr *nlh, struct vaio_notification *n)
{
	struct vaio_disk_info *d = &n->disk;
	const struct nlattr *a, *b;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case VAIO_ATTR_DISK_ID:
			copy_str(d->id, sizeof(d->id), a);
			break;
		case VAIO_ATTR_DM_NAME:
			copy_str(d->dm_name, sizeof(d->dm_name), a);
			break;
		case VAIO_ATTR_DM_DEV:
			copy_str(d->dm_dev, sizeof(d->dm_dev), a);
			break;
		case VAIO_ATTR_DATA_DEV:
			copy_str(d->data_dev, sizeof(d->data_dev), a);
			break;
		case VAIO_ATTR_SECTORS:
			d->sectors = get_u64(a);
			break;
		case VAIO_ATTR_TRUNCATED:
			d->truncated = true;
			break;
		case VAIO_ATTR_STATS:
			parse_stats(a, &d->st);
			break;
		case VAIO_ATTR_FILTERS:
			mnl_attr_for_each_nested(b, a)
				if (d->nfilters < VAIO_NR_CLASSES)
					parse_filter(b, &d->filters[d->nfilters++]);
			break;
		case VAIO_ATTR_FILTER:
			parse_filter(a, &n->filter);
			break;
		case VAIO_ATTR_EVENT:
			n->event = get_u8(a);
			break;
		case VAIO_ATTR_TAG:
			copy_str(n->tag, sizeof(n->tag), a);
			break;
		case VAIO_ATTR_DELIVERED:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
				n->delivered = mnl_attr_get_u32(a);
				n->has_delivered = true;
			}
			break;
		case VAIO_ATTR_FILTER_NAME:
			copy_str(n->filter_name, sizeof(n->filter_name), a);
			break;
		case VAIO_ATTR_ERROR:
			copy_str(n->error, sizeof(n->error), a);
			break;
		}
	}
}

/*
 *--------------------------------------------------------------
 * Requests
 *--------------------------------------------------------------
 */

struct list {
	void *items;
	size_t size;
	int n, cap;
};

static void *list_add(struct list *l)
{
	void *p;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;

		p = realloc(l->items, cap * l->size);
		if (!p)
			return NULL;
		l->items = p;
		l->cap = cap;
	}
	p = (char *)l->items + l->n++ * l->size;
	memset(p, 0, l->size);
	return p;
}

static int type_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vaio_type_info *t = list_add(data);
	const struct nlattr *a;

	if (!t)
		return MNL_CB_ERROR;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		parse_filter_attrs(a, NULL, t);
	return MNL_CB_OK;
}

int vaio_filter_types(struct vaio_nl *nl, struct vaio_type_info **types,
		      int *n, struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct list l = { .size = sizeof(struct vaio_type_info) };
	struct nl_reply r = { .cb = type_cb, .data = &l };
	int ret;

	ret = vaio_nl_transact(nl, vaio_nl_request(nl, buf, VAIO_CMD_FILTER_GET, NLM_F_DUMP),
		       &r);
	if (ret) {
		free(l.items);
		return vaio_nl_error(err, ret, &r, "listing filter types");
	}
	*types = l.items;
	*n = l.n;
	return 0;
}

int vaio_chain_fail_defaults(struct vaio_nl *nl, struct vaio_chain *chain,
			     struct vaio_err *err)
{
	const struct vaio_type_info *t;
	struct vaio_type_info *types;
	int i, n, r, unknown = 0;

	r = vaio_filter_types(nl, &types, &n, err);
	if (r)
		return r;
	for (i = 0; i < chain->n; i++) {
		struct vaio_component *c = &chain->c[i];

		if (c->fail_given)
			continue;
		t = vaio_type_find(types, n, c->type);
		if (!t)
			unknown++;
		else if (t->fail_modes == 1u << VAIO_FAIL_MODE_CLOSED)
			c->fail_mode = VAIO_FAIL_MODE_CLOSED;
	}
	free(types);
	return unknown;
}

const struct vaio_type_info *vaio_type_find(const struct vaio_type_info *types,
					    int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	return NULL;
}

static int disk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct vaio_notification *ntf = malloc(sizeof(*ntf));
	struct vaio_disk_info *d = list_add(data);

	if (!d || !ntf) {
		free(ntf);
		return MNL_CB_ERROR;
	}
	memset(ntf, 0, sizeof(*ntf));
	parse_top(nlh, ntf);
	*d = ntf->disk;
	free(ntf);
	return MNL_CB_OK;
}

int vaio_disk_get(struct vaio_nl *nl, const char *id,
		  struct vaio_disk_info *disk, struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct list l = { .size = sizeof(struct vaio_disk_info) };
	struct nl_reply r = { .cb = disk_cb, .data = &l };
	struct nlmsghdr *nlh;
	int ret;

	nlh = vaio_nl_request(nl, buf, VAIO_CMD_DISK_GET, 0);
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), VAIO_ATTR_DISK_ID, id))
		return vaio_seterr(err, ENAMETOOLONG, "disk name too long");
	ret = vaio_nl_transact(nl, nlh, &r);
	if (!ret && l.n != 1)
		ret = -EPROTO;
	if (!ret)
		*disk = *(struct vaio_disk_info *)l.items;
	free(l.items);
	if (ret == -ENODEV)
		return vaio_seterr(err, ENODEV, "disk %s: no such disk", id);
	if (ret)
		return vaio_nl_error(err, ret, &r, id);
	return 0;
}

int vaio_disk_list(struct vaio_nl *nl, struct vaio_disk_info **disks, int *n,
		   struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct list l = { .size = sizeof(struct vaio_disk_info) };
	struct nl_reply r = { .cb = disk_cb, .data = &l };
	int ret;

	struct vaio_disk_info *d;
	int i;

	ret = vaio_nl_transact(nl, vaio_nl_request(nl, buf, VAIO_CMD_DISK_GET, NLM_F_DUMP),
		       &r);
	if (ret) {
		free(l.items);
		return vaio_nl_error(err, ret, &r, "listing disks");
	}
	/*
	 * Too large for the dump: ask for each such disk on its own. One
	 * removed since the dump is left out: the list is of a moment.
	 */
	for (i = 0; i < l.n; i++) {
		d = (struct vaio_disk_info *)l.items + i;
		if (!d->truncated)
			continue;
		ret = vaio_disk_get(nl, d->id, d, err);
		if (ret == -ENODEV) {
			memmove(d, d + 1, (l.n - i - 1) * sizeof(*d));
			l.n--;
			i--;
		} else if (ret) {
			free(l.items);
			return ret;
		}
	}
	*disks = l.items;
	*n = l.n;
	return 0;
}

int vaio_disk_find(struct vaio_nl *nl, const char *name, bool or_id,
		   struct vaio_disk_info *disk, struct vaio_err *err)
{
	struct vaio_disk_info *disks;
	int n, i, r;

	/*
	 * The usual case, a disk whose disk_id is its dm name (vaioctl makes
	 * them so): one request, not a dump of every disk (apply at boot
	 * asks for each).
	 */
	if (!vaio_disk_get(nl, name, disk, NULL) && !strcmp(disk->dm_name, name))
		return 0;
	r = vaio_disk_list(nl, &disks, &n, err);
	if (r)
		return r;
	r = vaio_seterr(err, ENODEV, "disk %s does not exist", name);
	for (i = 0; i < n && r; i++)
		if (!strcmp(disks[i].dm_name, name))
			r = 0, *disk = disks[i];
	for (i = 0; or_id && i < n && r; i++)
		if (!strcmp(disks[i].id, name))
			r = 0, *disk = disks[i];
	free(disks);
	return r;
}

/*
 * @c with the value of each argument its type declares secret (a key)
 * replaced by "<hidden>", for an error message: a key mistyped into a
 * component goes nowhere else. In a type with a secret parameter, so is
 * the value of an argument of a name it does not declare: a misspelt
 * "kye=" holds the key as well. In a type the kernel does not list (a
 * misspelt "crpyt:"), every value.
 */
static void hide_secrets(struct vaio_nl *nl, struct vaio_component *c)
{
	const struct vaio_type_info *t;
	struct vaio_type_info *types;
	bool has_secret = false, hide;
	struct vaio_err err;
	int i, j, n;
	size_t len;
	char *eq;

	/* A type not known (misspelt, not listed): every value hidden. */
	if (vaio_filter_types(nl, &types, &n, &err)) {
		types = NULL;
		n = 0;
	}
	t = vaio_type_find(types, n, c->type);
	has_secret = !t;
	for (j = 0; t && j < t->nparams; j++)
		has_secret |= t->params[j].secret;
	for (i = 0; i < c->argc; i++) {
		eq = strchr(c->argv[i], '=');
		if (!eq)
			continue;
		len = eq - c->argv[i];
		hide = has_secret;
		for (j = 0; t && j < t->nparams; j++)
			if (strlen(t->params[j].name) == len &&
			    !strncmp(c->argv[i], t->params[j].name, len))
				hide = t->params[j].secret;
		if (hide)
			snprintf(eq, VAIO_ARG_MAX - len, "=<hidden>");
	}
	free(types);
}

/* Where each component and argument sits in a CHAIN_CHECK request. */
struct chain_offsets {
	uint32_t entry[VAIO_MAX_COMPONENTS];
	uint32_t type[VAIO_MAX_COMPONENTS];
	uint32_t arg[VAIO_MAX_COMPONENTS][VAIO_MAX_ARGS];
};

int vaio_chain_check(struct vaio_nl *nl, const struct vaio_chain *chain,
		     struct vaio_err *err)
{
	/* Room for the largest chain: every component and argument full. */
	size_t size = MNL_SOCKET_BUFFER_SIZE + VAIO_MAX_COMPONENTS *
		(VAIO_NAME_MAX + 64 + VAIO_MAX_ARGS * (VAIO_ARG_MAX + 8));
	struct chain_offsets *o = calloc(1, sizeof(*o));
	char *buf = malloc(size);
	struct nl_reply r = { 0 };
	struct nlattr *nest, *entry, *args, *a;
	struct nlmsghdr *nlh;
	char comp[VAIO_ARG_MAX * 2];
	bool ok = true;
	int i, j, ret;

	if (!o || !buf) {
		free(o);
		free(buf);
		return vaio_seterr(err, ENOMEM, "out of memory");
	}
	nlh = vaio_nl_request(nl, buf, VAIO_CMD_CHAIN_CHECK, 0);
	nest = mnl_attr_nest_start_check(nlh, size, VAIO_ATTR_CHAIN);
	ok = nest;
	for (i = 0; ok && i < chain->n; i++) {
		const struct vaio_component *c = &chain->c[i];

		entry = mnl_attr_nest_start_check(nlh, size, VAIO_ATTR_FILTER);
		if (!entry) {
			ok = false;
			break;
		}
		o->entry[i] = (char *)entry - (char *)nlh;
		a = mnl_nlmsg_get_payload_tail(nlh);
		o->type[i] = (char *)a - (char *)nlh;
		ok = mnl_attr_put_strz_check(nlh, size, VAIO_FILTER_ATTR_TYPE,
					     c->type) &&
		     mnl_attr_put_u8_check(nlh, size, VAIO_FILTER_ATTR_FAIL_MODE,
					   c->fail_mode);
		args = ok ? mnl_attr_nest_start_check(nlh, size,
						      VAIO_FILTER_ATTR_ARGS) : NULL;
		ok = args;
		for (j = 0; ok && j < c->argc; j++) {
			a = mnl_nlmsg_get_payload_tail(nlh);
			o->arg[i][j] = (char *)a - (char *)nlh;
			ok = mnl_attr_put_strz_check(nlh, size,
						     VAIO_FILTER_ATTR_ARG,
						     c->argv[j]);
		}
		if (ok) {
			mnl_attr_nest_end(nlh, args);
			mnl_attr_nest_end(nlh, entry);
		}
	}
	if (!ok) {
		free(o);
		free(buf);
		return vaio_seterr(err, E2BIG, "the chain is too large");
	}
	mnl_attr_nest_end(nlh, nest);

	ret = vaio_nl_transact(nl, nlh, &r);
	free(buf);
	if (!ret || ret == -EPERM || !r.offset) {
		free(o);
		return ret ? admin_error(err, ret, &r, "checking the chain") : 0;
	}
	/* Name the component, and the argument, at fault. */
	for (i = 0; i < chain->n; i++) {
		struct vaio_component c = chain->c[i];

		hide_secrets(nl, &c);
		vaio_component_format(&c, comp, sizeof(comp));
		for (j = 0; j < c.argc; j++) {
			if (r.offset == o->arg[i][j]) {
				free(o);
				return vaio_seterr(err, -ret,
						   "component '%s': argument '%s': %s",
						   comp, c.argv[j],
						   r.msg[0] ? r.msg : strerror(-ret));
			}
		}
		if (r.offset == o->type[i] || r.offset == o->entry[i]) {
			free(o);
			return vaio_seterr(err, -ret, "component '%s': %s", comp,
					   r.msg[0] ? r.msg : strerror(-ret));
		}
	}
	free(o);
	return admin_error(err, ret, &r, "checking the chain");
}

static int ntf_cb(const struct nlmsghdr *nlh, void *data)
{
	parse_top(nlh, data);
	return MNL_CB_OK;
}

int vaio_snapshot(struct vaio_nl *nl, const char *id, const char *tag,
		  unsigned int *delivered, struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct vaio_notification *n = calloc(1, sizeof(*n));
	struct nl_reply r = { .cb = ntf_cb, .data = n };
	struct nlmsghdr *nlh;
	char what[256];
	int ret;

	if (!n)
		return vaio_seterr(err, ENOMEM, "out of memory");
	nlh = vaio_nl_request(nl, buf, VAIO_CMD_DISK_EVENT, 0);
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), VAIO_ATTR_DISK_ID, id) ||
	    !mnl_attr_put_u8_check(nlh, sizeof(buf), VAIO_ATTR_EVENT,
				   VAIO_EVENT_SNAPSHOT) ||
	    !mnl_attr_put_strz_check(nlh, sizeof(buf), VAIO_ATTR_TAG, tag)) {
		free(n);
		return vaio_seterr(err, ENAMETOOLONG, "disk name or tag too long");
	}
	ret = vaio_nl_transact(nl, nlh, &r);
	*delivered = n->delivered;
	free(n);
	snprintf(what, sizeof(what), "disk %s: snapshot %s", id, tag);
	if (ret == -ENODEV)
		return vaio_seterr(err, ENODEV, "disk %s: no such disk", id);
	return ret ? admin_error(err, ret, &r, what) : 0;
}

int vaio_reactivate(struct vaio_nl *nl, const char *id, const char *filter,
		    struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_reply r = { 0 };
	struct nlmsghdr *nlh;
	char what[256];
	int ret;

	nlh = vaio_nl_request(nl, buf, VAIO_CMD_FILTER_REACTIVATE, 0);
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), VAIO_ATTR_DISK_ID, id) ||
	    !mnl_attr_put_strz_check(nlh, sizeof(buf), VAIO_ATTR_FILTER_NAME,
				     filter))
		return vaio_seterr(err, ENAMETOOLONG, "disk or filter name too long");
	ret = vaio_nl_transact(nl, nlh, &r);
	snprintf(what, sizeof(what), "disk %s: filter %s", id, filter);
	if (ret == -ENODEV)
		return vaio_seterr(err, ENODEV, "disk %s: no such disk", id);
	return ret ? admin_error(err, ret, &r, what) : 0;
}

/* What a filter call's answers go to. */
struct call_ctx {
	int (*cb)(const struct nlattr *data, void *arg);
	void *arg;
	int error;			/* the callback's */
};

static int call_cb(const struct nlmsghdr *nlh, void *data)
{
	struct call_ctx *c = data;
	const struct nlattr *a, *found = NULL;
	int r;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == VAIO_ATTR_FILTER_DATA)
			found = a;
	r = c->cb(found, c->arg);
	if (r) {
		c->error = -r;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int vaio_filter_call(struct vaio_nl *nl, const char *id, const char *filter,
		     uint32_t cmd, const struct vaio_call_attr *attrs, int n,
		     bool dump, int (*cb)(const struct nlattr *data, void *arg),
		     void *arg, struct vaio_err *err)
{
	struct call_ctx c = { .cb = cb, .arg = arg };
	struct nl_reply r = { .cb = call_cb, .data = &c };
	size_t size = MNL_SOCKET_BUFFER_SIZE;
	struct nlattr *nest;
	struct nlmsghdr *nlh;
	char what[256];
	char *buf;
	int i, ret;

	for (i = 0; i < n; i++)
		size += MNL_ALIGN(attrs[i].len) + MNL_ATTR_HDRLEN;
	buf = malloc(size);
	if (!buf)
		return vaio_seterr(err, ENOMEM, "out of memory");
	snprintf(what, sizeof(what), "disk %s: filter %s: command %u", id,
		 filter, cmd);
	nlh = vaio_nl_request(nl, buf, VAIO_CMD_FILTER_CALL,
			      dump ? NLM_F_DUMP : 0);
	if (!mnl_attr_put_strz_check(nlh, size, VAIO_ATTR_DISK_ID, id) ||
	    !mnl_attr_put_strz_check(nlh, size, VAIO_ATTR_FILTER_NAME, filter) ||
	    !mnl_attr_put_u32_check(nlh, size, VAIO_ATTR_FILTER_CMD, cmd)) {
		free(buf);
		return vaio_seterr(err, ENAMETOOLONG, "disk or filter name too long");
	}
	if (n) {
		nest = mnl_attr_nest_start(nlh, VAIO_ATTR_FILTER_DATA);
		for (i = 0; i < n; i++)
			mnl_attr_put(nlh, attrs[i].type, attrs[i].len,
				     attrs[i].data);
		mnl_attr_nest_end(nlh, nest);
	}
	ret = vaio_nl_transact(nl, nlh, &r);
	free(buf);
	if (ret && c.error)
		return vaio_seterr(err, c.error, "%s: %s", what,
				   strerror(c.error));
	return ret ? admin_error(err, ret, &r, what) : 0;
}

int vaio_nl_recv_ntf(struct vaio_nl *nl, int timeout_ms, const char *what,
		     struct nlmsghdr **mp, struct vaio_err *err)
{
	struct pollfd pfd = { .fd = vaio_nl_fd(nl), .events = POLLIN };
	struct nlmsghdr *m;
	ssize_t len;
	int ret;

	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return vaio_seterr(err, errno, "poll: %s", strerror(errno));
		if (!ret)
			return 0;
		len = recv(pfd.fd, nl->buf, NL_BUFSZ, MSG_TRUNC | MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ENOBUFS)
				return vaio_seterr(err, ENOBUFS,
						   "%s lost: the socket overran",
						   what);
			return vaio_seterr(err, errno, "netlink: %s",
					   strerror(errno));
		}
		if (len > NL_BUFSZ)
			continue;	/* larger than any notification: not ours */
		/* One notification per datagram. */
		m = (struct nlmsghdr *)nl->buf;
		if (!mnl_nlmsg_ok(m, len) || m->nlmsg_type != nl->family ||
		    m->nlmsg_len < mnl_nlmsg_size(sizeof(struct genlmsghdr)))
			continue;
		*mp = m;
		return 1;
	}
}

int vaio_nl_next(struct vaio_nl *nl, int timeout_ms,
		 struct vaio_notification *ntf, struct vaio_err *err)
{
	const struct genlmsghdr *g;
	struct nlmsghdr *m;
	int ret;

	ret = vaio_nl_recv_ntf(nl, timeout_ms, "events", &m, err);
	if (ret <= 0)
		return ret;
	g = mnl_nlmsg_get_payload(m);
	memset(ntf, 0, sizeof(*ntf));
	ntf->cmd = g->cmd;
	parse_top(m, ntf);
	return 1;
}

int vaio_status_pairs(const char *status, char keys[][VAIO_NAME_MAX],
		      char values[][VAIO_ARG_MAX], int max)
{
	char *copy = strdup(status), *save = NULL, *k, *v;
	int n = 0;

	if (!copy)
		return 0;
	for (k = strtok_r(copy, " ", &save); k && n < max;
	     k = strtok_r(NULL, " ", &save)) {
		v = strtok_r(NULL, " ", &save);
		snprintf(keys[n], VAIO_NAME_MAX, "%s", k);
		snprintf(values[n], VAIO_ARG_MAX, "%s", v ? v : "");
		n++;
	}
	free(copy);
	return n;
}
