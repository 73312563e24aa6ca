// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvaio: the "vaio_repl" generic netlink family of dm-vaio-replication
 * (include/uapi/linux/dm-vaio-repl.h), over nl.c's socket and request path,
 * and vaio_repl_decide(), the verdict both hosts reach in the handshake.
 */
#include "nl-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#define REPL_NOT_LOADED "replication module not loaded (modprobe dm-vaio-replication)"

/*
 *--------------------------------------------------------------
 * Names
 *--------------------------------------------------------------
 */

static const char *const conn_names[] = {
	[VAIO_REPL_CONN_STANDALONE] = "standalone",
	[VAIO_REPL_CONN_WAITING] = "waiting",
	[VAIO_REPL_CONN_CONNECTED] = "connected",
	[VAIO_REPL_CONN_SYNC_SOURCE] = "sync-source",
	[VAIO_REPL_CONN_SYNC_TARGET] = "sync-target",
	[VAIO_REPL_CONN_GONE] = "gone",
};

const char *vaio_repl_role_name(int role)
{
	switch (role) {
	case VAIO_REPL_ROLE_PRIMARY:
		return "primary";
	case VAIO_REPL_ROLE_SECONDARY:
		return "secondary";
	}
	return "unknown";
}

const char *vaio_repl_mode_name(int mode)
{
	switch (mode) {
	case VAIO_REPL_MODE_SYNC:
		return "sync";
	case VAIO_REPL_MODE_ASYNC:
		return "async";
	}
	return "unknown";
}

const char *vaio_repl_conn_name(int conn)
{
	if (conn >= 0 && conn < (int)(sizeof(conn_names) / sizeof(conn_names[0])))
		return conn_names[conn];
	return "unknown";
}

const char *vaio_repl_verify_name(int state)
{
	static const char *const names[] = {
		[VAIO_REPL_VERIFY_NONE] = "none",
		[VAIO_REPL_VERIFY_RUNNING] = "running",
		[VAIO_REPL_VERIFY_DONE] = "done",
		[VAIO_REPL_VERIFY_STOPPED] = "stopped",
	};

	if (state >= 0 && state < (int)(sizeof(names) / sizeof(names[0])))
		return names[state];
	return "unknown";
}

int vaio_repl_conn_by_name(const char *name)
{
	int i;

	/* "gone" is only ever a notification, never a state to wait for. */
	for (i = 0; i < VAIO_REPL_CONN_GONE; i++)
		if (!strcmp(conn_names[i], name))
			return i;
	return -1;
}

int vaio_repl_sync_pct(const struct vaio_repl_info *info)
{
	uint64_t total = info->sync_total, done;

	if (!total)
		return 100;
	done = info->oos_bytes < total ? total - info->oos_bytes : 0;
	if (total > UINT64_MAX / 100)
		return done / (total / 100);
	return done * 100 / total;
}

uint64_t vaio_repl_sync_eta(const struct vaio_repl_info *info)
{
	return info->sync_bps ? info->oos_bytes / info->sync_bps : 0;
}

/*
 *--------------------------------------------------------------
 * Answers and notifications
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

static int get_u8(const struct nlattr *a, int def)
{
	return mnl_attr_validate(a, MNL_TYPE_U8) >= 0 ? mnl_attr_get_u8(a) : def;
}

static void parse_mark(const struct nlattr *nest,
		       struct vaio_repl_mark_info *m)
{
	const struct nlattr *a;

	memset(m, 0, sizeof(*m));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case VAIO_REPL_MARK_ATTR_TAG:
			copy_str(m->tag, sizeof(m->tag), a);
			break;
		case VAIO_REPL_MARK_ATTR_TIME:
			m->time = get_u64(a);
			break;
		case VAIO_REPL_MARK_ATTR_GEN:
			m->gen = get_u64(a);
			break;
		case VAIO_REPL_MARK_ATTR_WRITES_AFTER:
			m->writes_after = get_u64(a);
			break;
		case VAIO_REPL_MARK_ATTR_ON_REPLICA:
			m->on_replica = get_u8(a, 0);
			break;
		}
	}
}

static void parse_info(const struct nlmsghdr *nlh, struct vaio_repl_info *r)
{
	const struct nlattr *a, *h;
	unsigned int t;

	memset(r, 0, sizeof(*r));
	r->mode = -1;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case VAIO_REPL_ATTR_DISK_ID:
			copy_str(r->id, sizeof(r->id), a);
			break;
		case VAIO_REPL_ATTR_ROLE:
			r->role = get_u8(a, 0);
			break;
		case VAIO_REPL_ATTR_MODE:
			r->mode = get_u8(a, -1);
			break;
		case VAIO_REPL_ATTR_CONN:
			r->conn = get_u8(a, 0);
			break;
		case VAIO_REPL_ATTR_PEER:
			copy_str(r->peer, sizeof(r->peer), a);
			r->has_live = true;
			break;
		case VAIO_REPL_ATTR_REMOTE_DISK:
			copy_str(r->remote_disk, sizeof(r->remote_disk), a);
			break;
		case VAIO_REPL_ATTR_SECRET:
			copy_str(r->secret, sizeof(r->secret), a);
			break;
		case VAIO_REPL_ATTR_REASON:
			copy_str(r->reason, sizeof(r->reason), a);
			break;
		case VAIO_REPL_ATTR_SECTORS:
			r->sectors = get_u64(a);
			break;
		case VAIO_REPL_ATTR_GEN:
			r->gen = get_u64(a);
			break;
		case VAIO_REPL_ATTR_GEN_HISTORY:
			mnl_attr_for_each_nested(h, a) {
				t = mnl_attr_get_type(h);
				if (t >= 1 && t <= VAIO_REPL_GEN_HISTORY)
					r->history[t - 1] = get_u64(h);
			}
			break;
		case VAIO_REPL_ATTR_CONSISTENT:
			r->consistent = get_u8(a, 0);
			break;
		case VAIO_REPL_ATTR_NEW_PAIR:
			r->new_pair = true;
			break;
		case VAIO_REPL_ATTR_LAG_WRITES:
			r->lag_writes = get_u64(a);
			break;
		case VAIO_REPL_ATTR_LAG_BYTES:
			r->lag_bytes = get_u64(a);
			break;
		case VAIO_REPL_ATTR_LAG_MS:
			r->lag_ms = get_u64(a);
			break;
		case VAIO_REPL_ATTR_OOS_BYTES:
			r->oos_bytes = get_u64(a);
			break;
		case VAIO_REPL_ATTR_SYNC_TOTAL:
			r->sync_total = get_u64(a);
			break;
		case VAIO_REPL_ATTR_SYNC_BPS:
			r->sync_bps = get_u64(a);
			break;
		case VAIO_REPL_ATTR_SENT_WRITES:
			r->sent_writes = get_u64(a);
			break;
		case VAIO_REPL_ATTR_ACKED_WRITES:
			r->acked_writes = get_u64(a);
			break;
		case VAIO_REPL_ATTR_RECV_WRITES:
			r->recv_writes = get_u64(a);
			break;
		case VAIO_REPL_ATTR_RESYNCED_BYTES:
			r->resynced_bytes = get_u64(a);
			break;
		case VAIO_REPL_ATTR_CONNECTS:
			r->connects = get_u64(a);
			break;
		case VAIO_REPL_ATTR_MARKS:
			mnl_attr_for_each_nested(h, a) {
				if (mnl_attr_get_type(h) == VAIO_REPL_ATTR_MARK &&
				    r->nr_marks < VAIO_REPL_MARKS)
					parse_mark(h, &r->marks[r->nr_marks++]);
			}
			break;
		case VAIO_REPL_ATTR_VERIFY_STATE:
			r->verify_state = get_u8(a, 0);
			break;
		case VAIO_REPL_ATTR_VERIFY_TOTAL:
			r->verify_total = get_u64(a);
			break;
		case VAIO_REPL_ATTR_VERIFY_DONE:
			r->verify_done = get_u64(a);
			break;
		case VAIO_REPL_ATTR_VERIFY_DIFF:
			r->verify_diff = get_u64(a);
			break;
		case VAIO_REPL_ATTR_VERIFY_EXTENTS:
			r->verify_extents = get_u64(a);
			break;
		case VAIO_REPL_ATTR_VERIFY_BPS:
			r->verify_bps = get_u64(a);
			break;
		}
	}
}

struct info_list {
	struct vaio_repl_info *items;
	int n, cap;
};

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	struct info_list *l = data;
	void *p;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 8;

		p = realloc(l->items, cap * sizeof(*l->items));
		if (!p)
			return MNL_CB_ERROR;
		l->items = p;
		l->cap = cap;
	}
	parse_info(nlh, &l->items[l->n++]);
	return MNL_CB_OK;
}

/*
 *--------------------------------------------------------------
 * Requests
 *--------------------------------------------------------------
 */

struct vaio_nl *vaio_repl_open(bool events, struct vaio_err *err)
{
	return vaio_nl_open_family(VAIO_REPL_GENL_NAME, VAIO_REPL_GENL_VERSION,
				   VAIO_REPL_GENL_MCGRP_EVENTS, events,
				   REPL_NOT_LOADED, err);
}

/* A request naming disk @id; NULL if the name does not fit. */
static struct nlmsghdr *disk_request(struct vaio_nl *nl, char *buf,
				     size_t size, int cmd, const char *id)
{
	struct nlmsghdr *nlh = vaio_nl_request(nl, buf, cmd, 0);

	if (!mnl_attr_put_strz_check(nlh, size, VAIO_REPL_ATTR_DISK_ID, id))
		return NULL;
	return nlh;
}

/* The error of a request about disk @id. */
static int disk_error(struct vaio_err *err, int ret, const struct nl_reply *r,
		      const char *id, const char *what)
{
	char buf[VAIO_NAME_MAX + 64];

	if (ret == -ENODEV)
		return vaio_seterr(err, ENODEV, "no replicated disk %s", id);
	/* The family went away under us (rmmod). */
	if (ret == -ENOENT && !r->msg[0])
		return vaio_seterr(err, ENOENT, REPL_NOT_LOADED);
	snprintf(buf, sizeof(buf), "%s%s%s", id, what[0] ? ": " : "", what);
	return vaio_nl_error(err, ret, r, buf);
}

int vaio_repl_get(struct vaio_nl *nl, const char *id,
		  struct vaio_repl_info *info, struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct info_list l = { 0 };
	struct nl_reply r = { .cb = info_cb, .data = &l };
	struct nlmsghdr *nlh;
	int ret;

	nlh = disk_request(nl, buf, sizeof(buf), VAIO_REPL_CMD_GET, id);
	if (!nlh || !vaio_valid_name(id))
		return vaio_seterr(err, ENODEV, "no replicated disk %.64s", id);
	ret = vaio_nl_transact(nl, nlh, &r);
	if (!ret && l.n != 1)
		ret = -EPROTO;
	if (!ret)
		*info = l.items[0];
	free(l.items);
	return ret ? disk_error(err, ret, &r, id, "") : 0;
}

int vaio_repl_list(struct vaio_nl *nl, struct vaio_repl_info **infos, int *n,
		   struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct info_list l = { 0 };
	struct nl_reply r = { .cb = info_cb, .data = &l };
	int ret;

	ret = vaio_nl_transact(nl, vaio_nl_request(nl, buf, VAIO_REPL_CMD_GET,
						   NLM_F_DUMP), &r);
	if (ret) {
		free(l.items);
		if (ret == -ENOENT && !r.msg[0])
			return vaio_seterr(err, ENOENT, REPL_NOT_LOADED);
		return vaio_nl_error(err, ret, &r, "listing replicated disks");
	}
	*infos = l.items;
	*n = l.n;
	return 0;
}

int vaio_repl_connect(struct vaio_nl *nl, const char *id, int fd,
		      uint64_t peer_sectors, int peer_role, bool full_sync,
		      struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_reply r = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = disk_request(nl, buf, sizeof(buf), VAIO_REPL_CMD_CONNECT, id);
	if (!nlh)
		return vaio_seterr(err, ENAMETOOLONG, "disk name too long");
	mnl_attr_put_u32(nlh, VAIO_REPL_ATTR_FD, fd);
	mnl_attr_put_u64(nlh, VAIO_REPL_ATTR_PEER_SECTORS, peer_sectors);
	mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_PEER_ROLE, peer_role);
	if (full_sync)
		mnl_attr_put(nlh, VAIO_REPL_ATTR_FULL_SYNC, 0, NULL);
	ret = vaio_nl_transact(nl, nlh, &r);
	return ret ? disk_error(err, ret, &r, id, "connect") : 0;
}

int vaio_repl_disconnect(struct vaio_nl *nl, const char *id,
			 struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_reply r = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = disk_request(nl, buf, sizeof(buf), VAIO_REPL_CMD_DISCONNECT, id);
	if (!nlh)
		return vaio_seterr(err, ENAMETOOLONG, "disk name too long");
	ret = vaio_nl_transact(nl, nlh, &r);
	return ret ? disk_error(err, ret, &r, id, "disconnect") : 0;
}

int vaio_repl_set_role(struct vaio_nl *nl, const char *id, int role,
		       bool force, bool skip_sync, bool init, struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_reply r = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = disk_request(nl, buf, sizeof(buf), VAIO_REPL_CMD_SET_ROLE, id);
	if (!nlh)
		return vaio_seterr(err, ENAMETOOLONG, "disk name too long");
	mnl_attr_put_u8(nlh, VAIO_REPL_ATTR_ROLE, role);
	if (force)
		mnl_attr_put(nlh, VAIO_REPL_ATTR_FORCE, 0, NULL);
	if (skip_sync)
		mnl_attr_put(nlh, VAIO_REPL_ATTR_SKIP_SYNC, 0, NULL);
	if (init)
		mnl_attr_put(nlh, VAIO_REPL_ATTR_INIT, 0, NULL);
	ret = vaio_nl_transact(nl, nlh, &r);
	return ret ? disk_error(err, ret, &r, id, role == VAIO_REPL_ROLE_PRIMARY ?
				"cannot make it primary" :
				"cannot make it secondary") : 0;
}

int vaio_repl_verify(struct vaio_nl *nl, const char *id, bool stop,
		     struct vaio_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_reply r = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = disk_request(nl, buf, sizeof(buf), VAIO_REPL_CMD_VERIFY, id);
	if (!nlh)
		return vaio_seterr(err, ENAMETOOLONG, "disk name too long");
	if (stop)
		mnl_attr_put(nlh, VAIO_REPL_ATTR_STOP, 0, NULL);
	ret = vaio_nl_transact(nl, nlh, &r);
	return ret ? disk_error(err, ret, &r, id, "verify") : 0;
}

int vaio_repl_next(struct vaio_nl *nl, int timeout_ms,
		   struct vaio_repl_info *info, struct vaio_err *err)
{
	const struct genlmsghdr *g;
	struct nlmsghdr *m;
	int ret;

	for (;;) {
		ret = vaio_nl_recv_ntf(nl, timeout_ms, "replication events",
				       &m, err);
		if (ret <= 0)
			return ret;
		g = mnl_nlmsg_get_payload(m);
		if (g->cmd != VAIO_REPL_NTF_STATE)
			continue;
		parse_info(m, info);
		return 1;
	}
}

/*
 *--------------------------------------------------------------
 * The handshake's verdict
 *--------------------------------------------------------------
 */

static bool in_history(const struct repl_side *s, uint64_t gen)
{
	int i;

	for (i = 0; i < VAIO_REPL_GEN_HISTORY; i++)
		if (s->history[i] && s->history[i] == gen)
			return true;
	return false;
}

bool vaio_repl_decide(const struct repl_side *primary,
		      const struct repl_side *secondary, bool *full_sync,
		      const char **why)
{
	static _Thread_local char buf[256];
	const struct repl_side *p = primary, *s = secondary;

	*full_sync = false;
	*why = NULL;
	if (p->role == VAIO_REPL_ROLE_PRIMARY &&
	    s->role == VAIO_REPL_ROLE_PRIMARY) {
		*why = "both primary: split brain";
		return false;
	}
	if (p->role != VAIO_REPL_ROLE_PRIMARY &&
	    s->role != VAIO_REPL_ROLE_PRIMARY) {
		*why = "neither side is primary";
		return false;
	}
	if (p->role != VAIO_REPL_ROLE_PRIMARY) {	/* given the other way */
		p = secondary;
		s = primary;
	}
	if (s->sectors < p->sectors) {
		snprintf(buf, sizeof(buf), "peer disk smaller: %" PRIu64 " < %" PRIu64 " sectors",
			 s->sectors, p->sectors);
		*why = buf;
		return false;
	}
	/* The same data, or the primary's bitmap covers what happened since. */
	if (s->gen == p->gen || (s->gen && in_history(p, s->gen)))
		return true;
	/* A new secondary (or one that discarded its data). */
	if (!s->gen) {
		*full_sync = !p->new_pair;
		return true;
	}
	/*
	 * The primary's generation in the secondary's history (the secondary
	 * went on alone from it), or nothing in common: either way both wrote.
	 */
	snprintf(buf, sizeof(buf),
		 "split brain: generations %016" PRIx64 " and %016" PRIx64 " diverged; demote one side with --force (discard its data) to resolve",
		 p->gen, s->gen);
	*why = buf;
	return false;
}
