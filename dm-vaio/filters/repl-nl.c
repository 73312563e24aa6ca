// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: the generic netlink family "vaio_repl".
 *
 * vaiod hands authenticated sockets over with CONNECT (as nbd takes its
 * sockets with NBD_ATTR_SOCKETS), vaioctl reads the status with GET and
 * sets roles. Strict policies, extack messages, CAP_NET_ADMIN for every
 * command but GET, and GET's SECRET path only for CAP_NET_ADMIN callers.
 * The protocol is in include/uapi/linux/dm-vaio-repl.h.
 */

#include "repl.h"

#include <linux/slab.h>
#include <net/genetlink.h>

static_assert(VAIO_REPL_ROLE_PRIMARY == 1);

enum { REPL_MCGRP_EVENTS_ID };

static const struct genl_multicast_group repl_mcgrps[] = {
	[REPL_MCGRP_EVENTS_ID] = { .name = VAIO_REPL_GENL_MCGRP_EVENTS },
};

static const struct nla_policy repl_policy[VAIO_REPL_ATTR_MAX + 1] = {
	[VAIO_REPL_ATTR_DISK_ID] = { .type = NLA_NUL_STRING,
				     .len = VAIO_NAME_MAX - 1 },
	[VAIO_REPL_ATTR_FD] = { .type = NLA_U32 },
	[VAIO_REPL_ATTR_ROLE] = NLA_POLICY_MAX(NLA_U8, VAIO_REPL_ROLE_PRIMARY),
	[VAIO_REPL_ATTR_PEER_ROLE] = NLA_POLICY_MAX(NLA_U8,
						    VAIO_REPL_ROLE_PRIMARY),
	[VAIO_REPL_ATTR_FORCE] = { .type = NLA_FLAG },
	[VAIO_REPL_ATTR_SKIP_SYNC] = { .type = NLA_FLAG },
	[VAIO_REPL_ATTR_INIT] = { .type = NLA_FLAG },
	[VAIO_REPL_ATTR_FULL_SYNC] = { .type = NLA_FLAG },
	[VAIO_REPL_ATTR_PEER_SECTORS] = { .type = NLA_U64 },
	[VAIO_REPL_ATTR_STOP] = { .type = NLA_FLAG },
};

static struct genl_family repl_genl_family;

static int put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, VAIO_REPL_ATTR_PAD);
}

static int fill(struct sk_buff *skb, struct repl_disk *d, bool admin, u8 cmd,
		u32 portid, u32 seq, int flags, u8 conn_override)
{
	struct repl_info *info;
	struct nlattr *hist, *marks;
	void *hdr;
	int i, r = -EMSGSIZE;

	info = kmalloc(sizeof(*info), GFP_NOIO);
	if (!info)
		return -ENOMEM;
	repl_snapshot(d, info);
	if (conn_override == VAIO_REPL_CONN_GONE)
		info->conn = VAIO_REPL_CONN_GONE;

	hdr = genlmsg_put(skb, portid, seq, &repl_genl_family, flags, cmd);
	if (!hdr)
		goto out;
	if (nla_put_string(skb, VAIO_REPL_ATTR_DISK_ID, d->id) ||
	    nla_put_u8(skb, VAIO_REPL_ATTR_ROLE, info->role) ||
	    nla_put_u8(skb, VAIO_REPL_ATTR_CONN, info->conn) ||
	    nla_put_u8(skb, VAIO_REPL_ATTR_CONSISTENT, info->consistent) ||
	    (info->new_pair && nla_put_flag(skb, VAIO_REPL_ATTR_NEW_PAIR)) ||
	    put_u64(skb, VAIO_REPL_ATTR_SECTORS, info->sectors) ||
	    put_u64(skb, VAIO_REPL_ATTR_GEN, info->gen) ||
	    put_u64(skb, VAIO_REPL_ATTR_LAG_WRITES, info->lag_writes) ||
	    put_u64(skb, VAIO_REPL_ATTR_LAG_BYTES, info->lag_bytes) ||
	    put_u64(skb, VAIO_REPL_ATTR_LAG_MS, info->lag_ms) ||
	    put_u64(skb, VAIO_REPL_ATTR_OOS_BYTES, info->oos_bytes) ||
	    put_u64(skb, VAIO_REPL_ATTR_SYNC_TOTAL, info->sync_total) ||
	    put_u64(skb, VAIO_REPL_ATTR_SYNC_BPS, info->sync_bps) ||
	    put_u64(skb, VAIO_REPL_ATTR_SENT_WRITES, info->sent) ||
	    put_u64(skb, VAIO_REPL_ATTR_ACKED_WRITES, info->acked) ||
	    put_u64(skb, VAIO_REPL_ATTR_RECV_WRITES, info->recv) ||
	    put_u64(skb, VAIO_REPL_ATTR_RESYNCED_BYTES, info->resynced) ||
	    put_u64(skb, VAIO_REPL_ATTR_CONNECTS, info->connects) ||
	    nla_put_u8(skb, VAIO_REPL_ATTR_VERIFY_STATE, info->verify_state) ||
	    put_u64(skb, VAIO_REPL_ATTR_VERIFY_TOTAL, info->verify_total) ||
	    put_u64(skb, VAIO_REPL_ATTR_VERIFY_DONE, info->verify_done) ||
	    put_u64(skb, VAIO_REPL_ATTR_VERIFY_DIFF, info->verify_diff) ||
	    put_u64(skb, VAIO_REPL_ATTR_VERIFY_EXTENTS, info->verify_extents) ||
	    put_u64(skb, VAIO_REPL_ATTR_VERIFY_BPS, info->verify_bps))
		goto cancel;
	if (info->reason[0] &&
	    nla_put_string(skb, VAIO_REPL_ATTR_REASON, info->reason))
		goto cancel;
	if (info->has_live &&
	    (nla_put_u8(skb, VAIO_REPL_ATTR_MODE, info->mode) ||
	     nla_put_string(skb, VAIO_REPL_ATTR_PEER, info->peer) ||
	     nla_put_string(skb, VAIO_REPL_ATTR_REMOTE_DISK, info->remote) ||
	     (admin && nla_put_string(skb, VAIO_REPL_ATTR_SECRET, info->secret))))
		goto cancel;
	marks = nla_nest_start(skb, VAIO_REPL_ATTR_MARKS);
	if (!marks)
		goto cancel;
	for (i = 0; i < info->nr_marks; i++) {
		const struct repl_mark *m = &info->marks[i];
		struct nlattr *one = nla_nest_start(skb, VAIO_REPL_ATTR_MARK);

		if (!one ||
		    nla_put_string(skb, VAIO_REPL_MARK_ATTR_TAG, m->tag) ||
		    nla_put_u64_64bit(skb, VAIO_REPL_MARK_ATTR_TIME, m->time,
				      VAIO_REPL_MARK_ATTR_PAD) ||
		    nla_put_u64_64bit(skb, VAIO_REPL_MARK_ATTR_GEN, m->gen,
				      VAIO_REPL_MARK_ATTR_PAD) ||
		    nla_put_u64_64bit(skb, VAIO_REPL_MARK_ATTR_WRITES_AFTER,
				      info->marks_after[i],
				      VAIO_REPL_MARK_ATTR_PAD) ||
		    nla_put_u8(skb, VAIO_REPL_MARK_ATTR_ON_REPLICA,
			       m->on_replica))
			goto cancel;
		nla_nest_end(skb, one);
	}
	nla_nest_end(skb, marks);
	hist = nla_nest_start(skb, VAIO_REPL_ATTR_GEN_HISTORY);
	if (!hist)
		goto cancel;
	for (i = 0; i < VAIO_REPL_GEN_HISTORY; i++)
		if (put_u64(skb, i + 1, info->history[i]))
			goto cancel;
	nla_nest_end(skb, hist);
	genlmsg_end(skb, hdr);
	r = 0;
	goto out;
cancel:
	genlmsg_cancel(skb, hdr);
out:
	kfree(info);
	return r;
}

static struct repl_disk *get_disk(struct genl_info *info)
{
	struct nlattr *a = info->attrs[VAIO_REPL_ATTR_DISK_ID];
	struct repl_disk *d;

	if (GENL_REQ_ATTR_CHECK(info, VAIO_REPL_ATTR_DISK_ID))
		return ERR_PTR(-EINVAL);
	d = repl_disk_get_by_id(nla_data(a));
	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "no disk with a replication filter of that disk_id");
		return ERR_PTR(-ENODEV);
	}
	return d;
}

static int repl_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct repl_disk *d = get_disk(info);
	struct sk_buff *msg;
	int r;

	if (IS_ERR(d))
		return PTR_ERR(d);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	r = -ENOMEM;
	if (msg) {
		r = fill(msg, d, netlink_capable(skb, CAP_NET_ADMIN),
			 VAIO_REPL_CMD_GET, info->snd_portid, info->snd_seq, 0,
			 0);
		if (!r)
			r = genlmsg_reply(msg, info);
		else
			nlmsg_free(msg);
	}
	repl_disk_put(d);
	return r;
}

struct dump_arg {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	bool admin;
};

static int dump_one(struct repl_disk *d, void *arg)
{
	struct dump_arg *a = arg;
	int r;

	r = fill(a->skb, d, a->admin, VAIO_REPL_CMD_GET,
		 NETLINK_CB(a->cb->skb).portid, a->cb->nlh->nlmsg_seq,
		 NLM_F_MULTI, 0);
	if (r)
		return r;
	a->cb->args[0] = d->serial;
	return 0;
}

static int repl_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct dump_arg a = {
		.skb = skb, .cb = cb,
		.admin = netlink_capable(cb->skb, CAP_NET_ADMIN),
	};
	int r;

	r = repl_disk_for_each(dump_one, &a, cb->args[0]);
	/* A full message ends this part; the next resumes after args[0]. */
	if (r == -EMSGSIZE && skb->len)
		return skb->len;
	return r ?: skb->len;
}

static void set_err(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

static int repl_nl_connect(struct sk_buff *skb, struct genl_info *info)
{
	const char *err = NULL;
	struct repl_disk *d;
	int r;

	if (GENL_REQ_ATTR_CHECK(info, VAIO_REPL_ATTR_FD) ||
	    GENL_REQ_ATTR_CHECK(info, VAIO_REPL_ATTR_PEER_SECTORS) ||
	    GENL_REQ_ATTR_CHECK(info, VAIO_REPL_ATTR_PEER_ROLE))
		return -EINVAL;
	d = get_disk(info);
	if (IS_ERR(d))
		return PTR_ERR(d);
	r = repl_connect(d, nla_get_u32(info->attrs[VAIO_REPL_ATTR_FD]),
			 nla_get_u64(info->attrs[VAIO_REPL_ATTR_PEER_SECTORS]),
			 nla_get_u8(info->attrs[VAIO_REPL_ATTR_PEER_ROLE]),
			 nla_get_flag(info->attrs[VAIO_REPL_ATTR_FULL_SYNC]),
			 &err);
	if (r)
		set_err(info->extack, err);
	repl_disk_put(d);
	return r;
}

static int repl_nl_disconnect(struct sk_buff *skb, struct genl_info *info)
{
	const char *err = NULL;
	struct repl_disk *d = get_disk(info);
	int r;

	if (IS_ERR(d))
		return PTR_ERR(d);
	r = repl_disconnect(d, &err);
	if (r)
		set_err(info->extack, err);
	repl_disk_put(d);
	return r;
}

static int repl_nl_set_role(struct sk_buff *skb, struct genl_info *info)
{
	const char *err = NULL;
	struct repl_disk *d;
	int r;

	if (GENL_REQ_ATTR_CHECK(info, VAIO_REPL_ATTR_ROLE))
		return -EINVAL;
	d = get_disk(info);
	if (IS_ERR(d))
		return PTR_ERR(d);
	r = repl_set_role(d, nla_get_u8(info->attrs[VAIO_REPL_ATTR_ROLE]),
			  nla_get_flag(info->attrs[VAIO_REPL_ATTR_FORCE]),
			  nla_get_flag(info->attrs[VAIO_REPL_ATTR_SKIP_SYNC]),
			  nla_get_flag(info->attrs[VAIO_REPL_ATTR_INIT]),
			  &err);
	if (r)
		set_err(info->extack, err);
	repl_disk_put(d);
	return r;
}

static int repl_nl_verify(struct sk_buff *skb, struct genl_info *info)
{
	const char *err = NULL;
	struct repl_disk *d = get_disk(info);
	int r;

	if (IS_ERR(d))
		return PTR_ERR(d);
	r = repl_verify(d, nla_get_flag(info->attrs[VAIO_REPL_ATTR_STOP]), &err);
	if (r)
		set_err(info->extack, err);
	repl_disk_put(d);
	return r;
}

static const struct genl_small_ops repl_ops[] = {
	{
		.cmd = VAIO_REPL_CMD_GET,
		.doit = repl_nl_get,
		.dumpit = repl_nl_dump,
	},
	{
		.cmd = VAIO_REPL_CMD_CONNECT,
		.doit = repl_nl_connect,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VAIO_REPL_CMD_DISCONNECT,
		.doit = repl_nl_disconnect,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VAIO_REPL_CMD_SET_ROLE,
		.doit = repl_nl_set_role,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VAIO_REPL_CMD_VERIFY,
		.doit = repl_nl_verify,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family repl_genl_family __ro_after_init = {
	.name = VAIO_REPL_GENL_NAME,
	.version = VAIO_REPL_GENL_VERSION,
	.maxattr = VAIO_REPL_ATTR_MAX,
	.policy = repl_policy,
	.module = THIS_MODULE,
	.parallel_ops = true,	/* each disk has its own lock */
	.small_ops = repl_ops,
	.n_small_ops = ARRAY_SIZE(repl_ops),
	.mcgrps = repl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(repl_mcgrps),
};

/* The disk's status to the "events" group. Process context. */
void repl_nl_notify(struct repl_disk *d, u8 conn)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&repl_genl_family, &init_net,
				REPL_MCGRP_EVENTS_ID))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_NOIO);
	if (!skb)
		return;
	/* Listeners need no privilege: no secret path. */
	if (fill(skb, d, false, VAIO_REPL_NTF_STATE, 0, 0, 0, conn)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast(&repl_genl_family, skb, 0, REPL_MCGRP_EVENTS_ID,
			  GFP_NOIO);
}

int repl_nl_init(void)
{
	return genl_register_family(&repl_genl_family);
}

void repl_nl_exit(void)
{
	genl_unregister_family(&repl_genl_family);
}
