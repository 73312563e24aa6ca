// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio control plane: the generic netlink family "vaio".
 *
 * Lists filter types and disks, checks filter chains, sends control events
 * and reactivates filters; multicasts what happens to disks and filters on
 * the "events" group. Requests are validated by the policies below (strict:
 * unknown attributes are refused) and errors come back with an extack
 * message naming the attribute at fault. Commands that change state or
 * load modules need CAP_SYS_ADMIN, as the dm ioctls do, and filters'
 * arguments are shown only to CAP_SYS_ADMIN callers. The family's module
 * loads on its first lookup (MODULE_ALIAS_GENL_FAMILY). The protocol is in
 * include/uapi/linux/dm-vaio.h.
 * Modelled on the families of drivers/block/nbd.c and
 * drivers/target/target_core_user.c.
 */

#include "vaio-internal.h"

#include <linux/dm-ioctl.h>
#include <linux/slab.h>
#include <net/genetlink.h>

/* Longest status of one filter we report; longer ones are cut. */
#define VAIO_STATUS_MAX 1024
/* Longest failure reason we report, with its NUL (libvaio keeps as much). */
#define VAIO_REASON_MAX VAIO_ARG_MAX

static_assert((int)VAIO_CLASS_CACHE == (int)VAIO_FILTER_CLASS_CACHE);
static_assert((int)VAIO_FAIL_CLOSED == (int)VAIO_FAIL_MODE_CLOSED);
static_assert((int)VAIO_FILTER_FAILED == (int)VAIO_STATE_FAILED);
static_assert((int)VAIO_EV_SNAPSHOT == (int)VAIO_EVENT_SNAPSHOT);
static_assert((int)VAIO_EV_QUIESCE == (int)VAIO_EVENT_QUIESCE);
static_assert((int)VAIO_PARAM_KIND_STRING == (int)VAIO_PARAM_STRING);

enum vaio_mcgrp {
	VAIO_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group vaio_mcgrps[] = {
	[VAIO_MCGRP_EVENTS_ID] = { .name = VAIO_GENL_MCGRP_EVENTS },
};

static const struct nla_policy vaio_arg_policy[VAIO_FILTER_ATTR_MAX + 1] = {
	[VAIO_FILTER_ATTR_ARG] = { .type = NLA_NUL_STRING,
				   .len = VAIO_ARG_MAX - 1 },
};

static const struct nla_policy vaio_filter_policy[VAIO_FILTER_ATTR_MAX + 1] = {
	[VAIO_FILTER_ATTR_TYPE] = { .type = NLA_NUL_STRING,
				    .len = VAIO_NAME_MAX - 1 },
	[VAIO_FILTER_ATTR_FAIL_MODE] = NLA_POLICY_MAX(NLA_U8,
						      VAIO_FAIL_MODE_CLOSED),
	[VAIO_FILTER_ATTR_ARGS] = NLA_POLICY_NESTED(vaio_arg_policy),
};

static const struct nla_policy vaio_policy[VAIO_ATTR_MAX + 1] = {
	[VAIO_ATTR_DISK_ID] = { .type = NLA_NUL_STRING,
				.len = VAIO_NAME_MAX - 1 },
	[VAIO_ATTR_CHAIN] = NLA_POLICY_NESTED_ARRAY(vaio_filter_policy),
	[VAIO_ATTR_EVENT] = NLA_POLICY_MAX(NLA_U8, VAIO_EVENT_SNAPSHOT),
	[VAIO_ATTR_TAG] = { .type = NLA_NUL_STRING, .len = VAIO_NAME_MAX - 1 },
	[VAIO_ATTR_FILTER_NAME] = { .type = NLA_NUL_STRING,
				    .len = VAIO_NAME_MAX - 1 },
	[VAIO_ATTR_FILTER_CMD] = { .type = NLA_U32 },
	/* The filter type's nl_policy checks what is inside. */
	[VAIO_ATTR_FILTER_DATA] = { .type = NLA_NESTED },
};

static struct genl_family vaio_genl_family;

/* genl_small_ops.internal_flags: checked by vaio_nl_pre_doit() */
#define VAIO_NL_SYS_ADMIN	BIT(0)	/* the caller needs CAP_SYS_ADMIN */

/*
 * May this caller see filters' table arguments? They will hold key
 * references and peers' addresses; dmsetup table shows them only to
 * CAP_SYS_ADMIN.
 */
static bool may_see_args(struct sk_buff *skb)
{
	return netlink_capable(skb, CAP_SYS_ADMIN);
}

/* NL_SET_ERR_MSG_ATTR() for a static message that is not a literal. */
static void set_err(struct netlink_ext_ack *extack, const struct nlattr *attr,
		    const char *msg)
{
	if (extack) {
		extack->_msg = msg;
		extack->bad_attr = attr;
	}
}

/*
 *--------------------------------------------------------------
 * Messages
 *--------------------------------------------------------------
 */

static int put_type(struct sk_buff *skb, const struct vaio_filter_type *t)
{
	char version[32];

	snprintf(version, sizeof(version), "%u.%u.%u", t->version[0],
		 t->version[1], t->version[2]);
	if (nla_put_string(skb, VAIO_FILTER_ATTR_TYPE, t->name) ||
	    nla_put_u8(skb, VAIO_FILTER_ATTR_CLASS, t->class) ||
	    nla_put_string(skb, VAIO_FILTER_ATTR_CLASS_NAME,
			   vaio_class_name(t->class)) ||
	    nla_put_string(skb, VAIO_FILTER_ATTR_VERSION, version))
		return -EMSGSIZE;
	return 0;
}

static int put_param(struct sk_buff *skb, const struct vaio_param *p)
{
	struct nlattr *nest = nla_nest_start(skb, VAIO_FILTER_ATTR_PARAM);

	if (!nest ||
	    nla_put_string(skb, VAIO_PARAM_ATTR_NAME, p->name) ||
	    nla_put_u8(skb, VAIO_PARAM_ATTR_TYPE, p->kind) ||
	    (p->choices &&
	     nla_put_string(skb, VAIO_PARAM_ATTR_CHOICES, p->choices)) ||
	    (p->kind == VAIO_PARAM_KIND_UINT &&
	     (nla_put_u64_64bit(skb, VAIO_PARAM_ATTR_RANGE_MIN, p->min,
				VAIO_PARAM_ATTR_PAD) ||
	      nla_put_u64_64bit(skb, VAIO_PARAM_ATTR_RANGE_MAX, p->max,
				VAIO_PARAM_ATTR_PAD))) ||
	    (p->def && nla_put_string(skb, VAIO_PARAM_ATTR_DEFAULT, p->def)) ||
	    (p->help && nla_put_string(skb, VAIO_PARAM_ATTR_HELP, p->help)) ||
	    (p->secret && nla_put_flag(skb, VAIO_PARAM_ATTR_SECRET)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int fill_type(struct sk_buff *skb, const struct vaio_filter_type *t,
		     u32 portid, u32 seq, int flags)
{
	const struct vaio_param *p;
	struct nlattr *params;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vaio_genl_family, flags,
			  VAIO_CMD_FILTER_GET);
	if (!hdr)
		return -EMSGSIZE;
	/* The kernel's and the uapi's fail modes have the same numbers. */
	BUILD_BUG_ON((int)VAIO_FAIL_OPEN != (int)VAIO_FAIL_MODE_OPEN ||
		     (int)VAIO_FAIL_CLOSED != (int)VAIO_FAIL_MODE_CLOSED);
	if (put_type(skb, t) ||
	    nla_put_u32(skb, VAIO_FILTER_ATTR_FAIL_MODES, t->fail_modes))
		goto cancel;
	params = nla_nest_start(skb, VAIO_FILTER_ATTR_PARAMS);
	if (!params)
		goto cancel;
	for (p = t->params; p && p->name; p++)
		if (put_param(skb, p))
			goto cancel;
	nla_nest_end(skb, params);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* @reason cut to VAIO_REASON_MAX - 1 characters: what the sizes allow for. */
static int put_reason(struct sk_buff *skb, const char *reason)
{
	size_t len = strnlen(reason, VAIO_REASON_MAX - 1);
	struct nlattr *attr;

	attr = nla_reserve(skb, VAIO_FILTER_ATTR_FAIL_REASON, len + 1);
	if (!attr)
		return -EMSGSIZE;
	memcpy(nla_data(attr), reason, len);
	((char *)nla_data(attr))[len] = '\0';
	return 0;
}

/*
 * A filter of a disk: type, class, state; with @buf its status too, and
 * with @args its table arguments, which may hold secrets: only for
 * may_see_args() callers, like the table itself.
 */
static int put_filter(struct sk_buff *skb, struct vaio_filter *f, int state,
		      char *buf, bool args)
{
	struct nlattr *nest, *nest_args;
	const char *reason;
	unsigned int i;

	nest = nla_nest_start(skb, VAIO_ATTR_FILTER);
	if (!nest)
		return -EMSGSIZE;
	reason = READ_ONCE(f->fail_reason);
	if (put_type(skb, f->type) ||
	    nla_put_u8(skb, VAIO_FILTER_ATTR_FAIL_MODE, f->fail_mode) ||
	    nla_put_u8(skb, VAIO_FILTER_ATTR_STATE, state) ||
	    (state != VAIO_FILTER_ACTIVE && reason && put_reason(skb, reason)))
		return -EMSGSIZE;
	if (args) {
		nest_args = nla_nest_start(skb, VAIO_FILTER_ATTR_ARGS);
		if (!nest_args)
			return -EMSGSIZE;
		for (i = 0; i < f->argc; i++)
			if (nla_put_string(skb, VAIO_FILTER_ATTR_ARG, f->argv[i]))
				return -EMSGSIZE;
		nla_nest_end(skb, nest_args);
	}
	if (buf) {
		buf[0] = '\0';
		if (f->type->ops.status)
			f->type->ops.status(f, buf, VAIO_STATUS_MAX);
		buf[VAIO_STATUS_MAX - 1] = '\0';
		if (nla_put_string(skb, VAIO_FILTER_ATTR_STATUS, buf))
			return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_stats(struct sk_buff *skb, struct vaio_c *vc)
{
	struct vaio_stats st;
	struct nlattr *nest;

	vaio_sum_stats(vc, &st);
	nest = nla_nest_start(skb, VAIO_ATTR_STATS);
	if (!nest ||
	    nla_put_u64_64bit(skb, VAIO_STAT_READS, st.reads, VAIO_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_STAT_WRITES, st.writes, VAIO_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_STAT_FLUSHES, st.flushes,
			      VAIO_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_STAT_DISCARDS, st.discards,
			      VAIO_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_STAT_ERRORS, st.errors, VAIO_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_STAT_READ_SECTORS, st.read_sectors,
			      VAIO_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_STAT_WRITE_SECTORS, st.write_sectors,
			      VAIO_STAT_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Room for the DISK_GET answer of @vc, with the filters' @args or not. */
static size_t disk_msg_size(struct vaio_c *vc, bool args)
{
	size_t size = nla_total_size(0) * 16 + VAIO_NAME_MAX + DM_NAME_LEN + 64 +
		      nla_total_size_64bit(sizeof(u64)) * (VAIO_STAT_MAX + 1);
	unsigned int i, j;

	for (i = 0; i < vc->nr_filters; i++) {
		struct vaio_filter *f = vc->filters[i];

		/* A failure reason may come at any time: room for one. */
		size += nla_total_size(0) * 8 + VAIO_NAME_MAX * 3 + 64 +
			nla_total_size(VAIO_REASON_MAX) +
			nla_total_size(VAIO_STATUS_MAX);
		for (j = 0; args && j < f->argc; j++)
			size += nla_total_size(strlen(f->argv[j]) + 1);
	}
	return genlmsg_total_size(size);
}

/*
 * The disk of live target @vc, as DISK_GET answers. With @buf
 * (VAIO_STATUS_MAX bytes) the filters' status, with @args their arguments.
 */
static int fill_disk(struct sk_buff *skb, struct vaio_c *vc, char *buf,
		     bool args, u32 portid, u32 seq, int flags, u8 cmd)
{
	struct mapped_device *md = dm_table_get_md(vc->ti->table);
	char name[DM_NAME_LEN];
	struct nlattr *filters;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vaio_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	vaio_dm_name(md, name);
	if (nla_put_string(skb, VAIO_ATTR_DISK_ID, vc->id) ||
	    nla_put_string(skb, VAIO_ATTR_DM_NAME, name) ||
	    nla_put_string(skb, VAIO_ATTR_DM_DEV, dm_device_name(md)) ||
	    nla_put_string(skb, VAIO_ATTR_DATA_DEV, vc->data_dev->name) ||
	    nla_put_u64_64bit(skb, VAIO_ATTR_SECTORS, vc->ti->len,
			      VAIO_ATTR_PAD) ||
	    put_stats(skb, vc) ||
	    (!buf && nla_put_flag(skb, VAIO_ATTR_TRUNCATED)))
		goto cancel;
	filters = nla_nest_start(skb, VAIO_ATTR_FILTERS);
	if (!filters)
		goto cancel;
	for (i = 0; i < vc->nr_filters; i++)
		if (put_filter(skb, vc->filters[i],
			       READ_ONCE(vc->filters[i]->state), buf, args))
			goto cancel;
	nla_nest_end(skb, filters);
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 *--------------------------------------------------------------
 * Requests
 *--------------------------------------------------------------
 */

static int vaio_nl_filter_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct vaio_filter_type *t;
	unsigned int pos = cb->args[0];
	int r;

	for (; (t = vaio_filter_type_next(&pos)); pos++) {
		r = fill_type(skb, t, NETLINK_CB(cb->skb).portid,
			      cb->nlh->nlmsg_seq, NLM_F_MULTI);
		vaio_filter_type_put(t);
		if (r)
			break;
	}
	cb->args[0] = pos;
	/* A type too large for an empty message: say so, do not end quietly. */
	return t && !skb->len ? -EMSGSIZE : skb->len;
}

/*
 * The disk called @id, with a live table and its lock held (vaio_disk_lock():
 * in a noio scope, whose flags go to *@noio), or NULL. The disk cannot go
 * away while its lock is held: its live target's dtr takes the lock before
 * it lets go of the disk.
 */
static struct vaio_disk *lock_disk(const char *id, unsigned int *noio)
{
	struct vaio_disk *d, *found = NULL;

	/* Not waiting for the disk's lock under vaio_disks_lock: held. */
	mutex_lock(&vaio_disks_lock);
	list_for_each_entry(d, &vaio_disks, list) {
		if (!list_empty(&d->targets) && !strcmp(d->id, id)) {
			found = d;
			vaio_disk_hold(d);
			break;
		}
	}
	mutex_unlock(&vaio_disks_lock);
	if (!found)
		return NULL;
	*noio = vaio_disk_lock(found);
	if (!found->live) {
		vaio_disk_unlock(found, *noio);
		vaio_disk_release(found);
		return NULL;
	}
	return found;
}

static void unlock_disk(struct vaio_disk *d, unsigned int noio)
{
	vaio_disk_unlock(d, noio);
	vaio_disk_release(d);
}

static int vaio_nl_disk_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id_attr = info->attrs[VAIO_ATTR_DISK_ID];
	bool args = may_see_args(skb);
	struct sk_buff *msg = NULL;
	struct vaio_disk *d;
	unsigned int noio;
	char *buf;
	int r = 0;

	if (GENL_REQ_ATTR_CHECK(info, VAIO_ATTR_DISK_ID))
		return -EINVAL;

	buf = kmalloc(VAIO_STATUS_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	/*
	 * The message's size depends on the live chain: allocated under the
	 * disk's lock, so in its noio scope (the device may be suspended,
	 * its resume waiting for the lock), as are the filters' ->status().
	 */
	d = lock_disk(nla_data(id_attr), &noio);
	if (d) {
		msg = genlmsg_new(disk_msg_size(d->live, args), GFP_KERNEL);
		r = msg ? fill_disk(msg, d->live, buf, args, info->snd_portid,
				    info->snd_seq, 0, VAIO_CMD_DISK_GET) :
			  -ENOMEM;
		unlock_disk(d, noio);
	}

	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, id_attr, "no such disk");
		r = -ENODEV;
		goto out;
	}
	if (r)
		goto out;
	kfree(buf);
	return genlmsg_reply(msg, info);

out:
	kfree(buf);
	nlmsg_free(msg);
	return r;
}

/* One disk into a dump; too large for an empty message: without details. */
static int dump_disk(struct sk_buff *skb, struct netlink_callback *cb,
		     struct vaio_c *vc, char *buf, bool args)
{
	u32 portid = NETLINK_CB(cb->skb).portid, seq = cb->nlh->nlmsg_seq;
	int r;

	r = fill_disk(skb, vc, buf, args, portid, seq, NLM_F_MULTI,
		      VAIO_CMD_DISK_GET);
	if (r && !skb->len)
		r = fill_disk(skb, vc, NULL, false, portid, seq, NLM_F_MULTI,
			      VAIO_CMD_DISK_GET);
	return r;
}

/* Disks in order of creation; a dump resumes after the last one it sent. */
static int vaio_nl_disk_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	bool args = may_see_args(cb->skb);
	struct vaio_disk *d;
	unsigned int noio;
	u64 serial;
	char *buf;
	int r = 0;

	/* Before any lock: netlink allocated @skb before calling us. */
	buf = kmalloc(VAIO_STATUS_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	for (;;) {
		struct vaio_disk *next = NULL;

		/* The next disk, held: its lock is not waited for under ours. */
		mutex_lock(&vaio_disks_lock);
		list_for_each_entry(d, &vaio_disks, list) {
			if (d->serial > cb->args[0] && !list_empty(&d->targets)) {
				next = d;
				vaio_disk_hold(d);
				break;
			}
		}
		mutex_unlock(&vaio_disks_lock);
		if (!next)
			break;
		/* The filters' ->status() in the lock's noio scope. */
		noio = vaio_disk_lock(next);
		if (next->live)
			r = dump_disk(skb, cb, next->live, buf, args);
		/* Before the hold goes: the disk may be freed then. */
		serial = next->serial;
		unlock_disk(next, noio);
		if (r)
			break;
		cb->args[0] = serial;
	}
	kfree(buf);

	return r && !skb->len ? r : skb->len;
}

/* One filter of a chain: its type (referenced, into @types[@n]) and args. */
static int check_filter(struct nlattr *entry,
			const struct vaio_filter_type **types, unsigned int n,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[VAIO_FILTER_ATTR_MAX + 1], *arg;
	struct nlattr *args[VAIO_MAX_ARGS];
	char *argv[VAIO_MAX_ARGS];
	const struct vaio_filter_type *t;
	unsigned int argc = 0, i, bad;
	enum vaio_fail_mode mode;
	const char *error;
	int r, rem;

	r = nla_parse_nested(tb, VAIO_FILTER_ATTR_MAX, entry,
			     vaio_filter_policy, extack);
	if (r)
		return r;
	if (!tb[VAIO_FILTER_ATTR_TYPE]) {
		NL_SET_ERR_MSG_ATTR(extack, entry, "filter without a type");
		return -EINVAL;
	}
	if (!vaio_valid_name(nla_data(tb[VAIO_FILTER_ATTR_TYPE]))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VAIO_FILTER_ATTR_TYPE],
				    "invalid filter type name");
		return -EINVAL;
	}
	t = vaio_filter_type_get(nla_data(tb[VAIO_FILTER_ATTR_TYPE]));
	if (!t) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VAIO_FILTER_ATTR_TYPE],
				    "unknown filter type");
		return -ENOENT;
	}
	types[n] = t;
	for (i = 0; i < n; i++) {
		const char *why = vaio_types_excluded(types[i], t);

		if (types[i]->class == t->class)
			why = "two filters of one class";
		if (why) {
			set_err(extack, tb[VAIO_FILTER_ATTR_TYPE], why);
			return -EINVAL;
		}
	}

	if (tb[VAIO_FILTER_ATTR_ARGS]) {
		nla_for_each_nested(arg, tb[VAIO_FILTER_ATTR_ARGS], rem) {
			/* As vaio_params_check() would, for our arrays. */
			if (argc == VAIO_MAX_ARGS) {
				NL_SET_ERR_MSG_ATTR(extack, arg,
						    VAIO_TOO_MANY_ARGS);
				return -E2BIG;
			}
			args[argc] = arg;
			argv[argc++] = nla_data(arg);
		}
	}
	r = vaio_params_check(t, argc, argv, &error, &bad);
	if (r) {
		/* The words together: the type names the component. */
		set_err(extack, bad < argc ? args[bad] : tb[VAIO_FILTER_ATTR_TYPE],
			error);
		return r;
	}
	/* The fail mode the table will have: fail_open if not given. */
	mode = tb[VAIO_FILTER_ATTR_FAIL_MODE] ?
	       nla_get_u8(tb[VAIO_FILTER_ATTR_FAIL_MODE]) : VAIO_FAIL_OPEN;
	/* At the type: libvaio names the component from it. */
	r = vaio_fail_mode_check(t, mode, argc, argv, &error);
	if (r)
		set_err(extack, tb[VAIO_FILTER_ATTR_TYPE], error);
	return r;
}

static int vaio_nl_chain_check(struct sk_buff *skb, struct genl_info *info)
{
	const struct vaio_filter_type *types[VAIO_NR_CLASSES];
	unsigned int n = 0, per_bio = 0;
	struct nlattr *entry;
	int r = 0, rem;

	if (GENL_REQ_ATTR_CHECK(info, VAIO_ATTR_CHAIN))
		return -EINVAL;

	nla_for_each_nested(entry, info->attrs[VAIO_ATTR_CHAIN], rem) {
		if (n == VAIO_NR_CLASSES) {
			NL_SET_ERR_MSG_ATTR(info->extack, entry,
					    "more filters than classes");
			r = -E2BIG;
			break;
		}
		types[n] = NULL;
		r = check_filter(entry, types, n, info->extack);
		if (types[n])
			per_bio += vaio_per_bio_size(types[n++]);
		if (r)
			break;
		/* As the table's ctr would refuse it. */
		if (per_bio > VAIO_PER_BIO_DATA_MAX) {
			NL_SET_ERR_MSG_ATTR(info->extack, entry,
					    VAIO_PER_BIO_TOO_LARGE);
			r = -EINVAL;
			break;
		}
	}
	while (n--)
		vaio_filter_type_put(types[n]);
	return r;
}

static int vaio_nl_disk_event(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id_attr = info->attrs[VAIO_ATTR_DISK_ID];
	struct vaio_filter *who;
	struct sk_buff *msg;
	struct vaio_disk *d;
	const char *reason = NULL;
	unsigned int n = 0, noio;
	void *hdr;
	int r = 0;

	if (GENL_REQ_ATTR_CHECK(info, VAIO_ATTR_DISK_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VAIO_ATTR_EVENT))
		return -EINVAL;
	if (nla_get_u8(info->attrs[VAIO_ATTR_EVENT]) != VAIO_EVENT_SNAPSHOT) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VAIO_ATTR_EVENT],
				    "only snapshot events can be sent");
		return -EOPNOTSUPP;
	}
	if (GENL_REQ_ATTR_CHECK(info, VAIO_ATTR_TAG))
		return -EINVAL;
	if (!vaio_valid_name(nla_data(info->attrs[VAIO_ATTR_TAG]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VAIO_ATTR_TAG],
				    "invalid snapshot tag");
		return -EINVAL;
	}

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	d = lock_disk(nla_data(id_attr), &noio);
	if (d) {
		r = vaio_snapshot(d->live, nla_data(info->attrs[VAIO_ATTR_TAG]),
				  &n, &who, &reason);
		unlock_disk(d, noio);
	}

	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, id_attr, "no such disk");
		r = -ENODEV;
		goto bad;
	}
	if (r) {
		/* The filter's reason, a static string. */
		set_err(info->extack, NULL, reason);
		goto bad;
	}

	hdr = genlmsg_put_reply(msg, info, &vaio_genl_family, 0,
				VAIO_CMD_DISK_EVENT);
	if (!hdr || nla_put_u32(msg, VAIO_ATTR_DELIVERED, n)) {
		r = -EMSGSIZE;
		goto bad;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

bad:
	nlmsg_free(msg);
	return r;
}

static int vaio_nl_reactivate(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id_attr = info->attrs[VAIO_ATTR_DISK_ID];
	struct vaio_disk *d;
	unsigned int noio;
	int r = 0;

	if (GENL_REQ_ATTR_CHECK(info, VAIO_ATTR_DISK_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VAIO_ATTR_FILTER_NAME))
		return -EINVAL;

	d = lock_disk(nla_data(id_attr), &noio);
	if (d) {
		r = vaio_reactivate(d->live,
				    nla_data(info->attrs[VAIO_ATTR_FILTER_NAME]));
		unlock_disk(d, noio);
	}

	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, id_attr, "no such disk");
		return -ENODEV;
	}
	if (r == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[VAIO_ATTR_FILTER_NAME],
				    "no such filter on this disk");
	else if (r == -EOPNOTSUPP)
		NL_SET_ERR_MSG(info->extack,
			       "the filter type cannot be reactivated: reload the table");
	else if (r == -EAGAIN)
		NL_SET_ERR_MSG(info->extack,
			       "the filter was bypassed: suspend the device to reactivate it");
	else if (r == -EIO)
		NL_SET_ERR_MSG(info->extack,
			       "the filter failed again while it was reactivated");
	else if (r)
		NL_SET_ERR_MSG(info->extack, "the filter refused to reactivate");
	return r;
}

/*
 *--------------------------------------------------------------
 * Filter calls: commands a filter defines (VAIO_CMD_FILTER_CALL)
 *
 * The core finds the disk and the filter of its live table, checks
 * FILTER_DATA against the filter type's nl_policy, and calls its
 * ->nl_call() or ->nl_dump() under the disk's lock, in its noio scope.
 * A dump looks the disk and the filter up again for each message, and
 * ends with EAGAIN if another table became live meanwhile: its cursor
 * belongs to the filter instance it started with.
 *--------------------------------------------------------------
 */

/* What a FILTER_CALL dump keeps between messages, in cb->args. */
enum {
	FC_DISK,	/* the disk's serial */
	FC_GEN,		/* the generation of its live table, + 1 */
	FC_CURSOR,	/* the filter's */
	FC_DONE,	/* the filter said it was complete */
};

/* Is a disk called @id there, with a live table or not? For a message. */
static bool disk_exists(const char *id)
{
	struct vaio_disk *d;
	bool found = false;

	mutex_lock(&vaio_disks_lock);
	list_for_each_entry(d, &vaio_disks, list)
		found |= !list_empty(&d->targets) && !strcmp(d->id, id);
	mutex_unlock(&vaio_disks_lock);
	return found;
}

/*
 * A request attribute FILTER_CALL needs. Named in the message too: the end
 * of a dump carries a message but no NLMSGERR_ATTR_MISS_TYPE.
 */
static int fc_need(struct nlattr **attrs, int type, const char *msg,
		   struct netlink_ext_ack *extack)
{
	if (attrs[type])
		return 0;
	NL_SET_ERR_ATTR_MISS(extack, NULL, type);
	set_err(extack, NULL, msg);
	return -EINVAL;
}

static int fc_check_request(struct nlattr **attrs,
			    struct netlink_ext_ack *extack)
{
	return fc_need(attrs, VAIO_ATTR_DISK_ID, "missing DISK_ID", extack) ?:
	       fc_need(attrs, VAIO_ATTR_FILTER_NAME, "missing FILTER_NAME",
		       extack) ?:
	       fc_need(attrs, VAIO_ATTR_FILTER_CMD, "missing FILTER_CMD",
		       extack);
}

/*
 * The filter @attrs name, of the live table of a disk whose lock is held,
 * with FILTER_DATA parsed into *@tbp (kfree() it) by the type's policy.
 * @dump: for ->nl_dump(), else for ->nl_call().
 */
static struct vaio_filter *fc_filter(struct vaio_c *vc, struct nlattr **attrs,
				     bool dump, struct nlattr ***tbp,
				     struct netlink_ext_ack *extack)
{
	struct nlattr *name = attrs[VAIO_ATTR_FILTER_NAME];
	struct nlattr *data = attrs[VAIO_ATTR_FILTER_DATA];
	const struct vaio_filter_type *t;
	struct vaio_filter *f;
	struct nlattr **tb;
	int r;

	f = vaio_filter_lookup(vc, nla_data(name));
	if (!f) {
		NL_SET_ERR_MSG_ATTR(extack, name, "no such filter on this disk");
		return ERR_PTR(-ENOENT);
	}
	t = f->type;
	if (!t->ops.nl_call && !t->ops.nl_dump) {
		NL_SET_ERR_MSG_ATTR(extack, name,
				    "the filter has no netlink commands");
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (dump && !t->ops.nl_dump) {
		NL_SET_ERR_MSG_ATTR(extack, name,
				    "the filter has no netlink dumps");
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (!dump && !t->ops.nl_call) {
		NL_SET_ERR_MSG_ATTR(extack, name,
				    "the filter's netlink commands are dumps only");
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (data && !t->nl_policy) {
		NL_SET_ERR_MSG_ATTR(extack, data,
				    "the filter's commands take no data");
		return ERR_PTR(-EINVAL);
	}

	/* In the lock's noio scope. */
	tb = kcalloc(t->nl_maxattr + 1, sizeof(*tb), GFP_KERNEL);
	if (!tb)
		return ERR_PTR(-ENOMEM);
	if (data) {
		r = nla_parse_nested(tb, t->nl_maxattr, data, t->nl_policy,
				     extack);
		if (r) {
			kfree(tb);
			return ERR_PTR(r);
		}
	}
	*tbp = tb;
	return f;
}

/* The reply's or dump message's attributes before the filter's own. */
static int fc_put_head(struct sk_buff *skb, struct vaio_c *vc,
		       struct vaio_filter *f, u32 cmd)
{
	if (nla_put_string(skb, VAIO_ATTR_DISK_ID, vc->id) ||
	    nla_put_string(skb, VAIO_ATTR_FILTER_NAME, f->type->name) ||
	    nla_put_u32(skb, VAIO_ATTR_FILTER_CMD, cmd))
		return -EMSGSIZE;
	return 0;
}

static int vaio_nl_filter_call(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id_attr = info->attrs[VAIO_ATTR_DISK_ID];
	struct nlattr **tb = NULL;
	struct vaio_filter *f;
	struct nlattr *nest;
	struct sk_buff *msg;
	struct vaio_disk *d;
	unsigned int noio;
	void *hdr;
	u32 cmd;
	int r;

	r = fc_check_request(info->attrs, info->extack);
	if (r)
		return r;
	cmd = nla_get_u32(info->attrs[VAIO_ATTR_FILTER_CMD]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vaio_genl_family, 0,
				VAIO_CMD_FILTER_CALL);
	if (!hdr) {
		r = -EMSGSIZE;
		goto out;
	}

	d = lock_disk(nla_data(id_attr), &noio);
	if (!d) {
		set_err(info->extack, id_attr, disk_exists(nla_data(id_attr)) ?
			"the disk has no live vaio table" : "no such disk");
		r = -ENODEV;
		goto out;
	}
	f = fc_filter(d->live, info->attrs, false, &tb, info->extack);
	if (IS_ERR(f)) {
		r = PTR_ERR(f);
		goto unlock;
	}
	r = fc_put_head(msg, d->live, f, cmd);
	nest = r ? NULL : nla_nest_start(msg, VAIO_ATTR_FILTER_DATA);
	if (!nest) {
		r = -EMSGSIZE;
		goto unlock;
	}
	r = f->type->ops.nl_call(f, cmd, tb, msg, info->extack);
	if (!r)
		nla_nest_end(msg, nest);
unlock:
	unlock_disk(d, noio);
	kfree(tb);
	if (r)
		goto out;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out:
	nlmsg_free(msg);
	return r;
}

/*
 * No pre_doit for dumps: the capability is checked here, before any
 * message. (In 6.1 .start has no extack: the refusal is a bare EPERM.)
 */
static int vaio_nl_filter_call_start(struct netlink_callback *cb)
{
	if (!netlink_capable(cb->skb, CAP_SYS_ADMIN))
		return -EPERM;
	return 0;
}

/* One message of a FILTER_CALL dump: its head and the filter's entries. */
static int fc_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
		       struct vaio_c *vc, struct vaio_filter *f,
		       struct nlattr **attrs, struct nlattr **tb)
{
	u32 cmd = nla_get_u32(attrs[VAIO_ATTR_FILTER_CMD]);
	unsigned long cursor = cb->args[FC_CURSOR];
	struct nlattr *nest;
	void *hdr;
	int r;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vaio_genl_family, NLM_F_MULTI, VAIO_CMD_FILTER_CALL);
	if (!hdr)
		return -EMSGSIZE;
	if (fc_put_head(skb, vc, f, cmd))
		goto too_small;
	nest = nla_nest_start(skb, VAIO_ATTR_FILTER_DATA);
	if (!nest)
		goto too_small;
	r = f->type->ops.nl_dump(f, cmd, tb, skb, &cursor, cb->extack);
	if (r < 0) {
		genlmsg_cancel(skb, hdr);
		return r;
	}
	if (nla_data(nest) != skb_tail_pointer(skb)) {
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
	} else if (r) {
		/* More, but not one entry fits an empty message. */
		goto too_small;
	} else {
		/* Nothing more: no message. */
		genlmsg_cancel(skb, hdr);
	}
	cb->args[FC_CURSOR] = cursor;
	cb->args[FC_DONE] = !r;
	return 0;

too_small:
	genlmsg_cancel(skb, hdr);
	NL_SET_ERR_MSG(cb->extack, "a dump entry does not fit in a message");
	return -EMSGSIZE;
}

static int vaio_nl_filter_call_dump(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct nlattr **attrs = genl_dumpit_info(cb)->attrs;
	struct nlattr *id_attr = attrs[VAIO_ATTR_DISK_ID];
	struct nlattr **tb = NULL;
	struct vaio_filter *f;
	struct vaio_disk *d;
	unsigned int noio;
	int r;

	r = fc_check_request(attrs, cb->extack);
	if (r)
		return r;

	d = lock_disk(nla_data(id_attr), &noio);
	if (!d) {
		set_err(cb->extack, id_attr, disk_exists(nla_data(id_attr)) ?
			"the disk has no live vaio table" : "no such disk");
		return -ENODEV;
	}
	if (!cb->args[FC_GEN]) {
		cb->args[FC_DISK] = d->serial;
		cb->args[FC_GEN] = d->live_seq + 1;
	} else if (cb->args[FC_DISK] != d->serial ||
		   cb->args[FC_GEN] != d->live_seq + 1) {
		NL_SET_ERR_MSG(cb->extack,
			       "the disk's live table changed during the dump");
		r = -EAGAIN;
		goto unlock;
	}
	f = fc_filter(d->live, attrs, true, &tb, cb->extack);
	if (IS_ERR(f)) {
		r = PTR_ERR(f);
		goto unlock;
	}
	r = fc_dump_one(skb, cb, d->live, f, attrs, tb);
unlock:
	unlock_disk(d, noio);
	kfree(tb);
	/* The last message and the end of the dump may share a buffer. */
	return r ?: cb->args[FC_DONE] ? 0 : skb->len;
}

/*
 * GENL_ADMIN_PERM makes generic netlink refuse callers without
 * CAP_NET_ADMIN before parsing, and shows the command as privileged in
 * the family's description; CAP_SYS_ADMIN is ours to check.
 */
static int vaio_nl_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			    struct genl_info *info)
{
	if ((ops->internal_flags & VAIO_NL_SYS_ADMIN) &&
	    !netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	return 0;
}

/* Changing state or loading modules (CHAIN_CHECK may) needs both. */
static const struct genl_small_ops vaio_ops[] = {
	{
		.cmd = VAIO_CMD_FILTER_GET,
		.dumpit = vaio_nl_filter_dump,
	},
	{
		.cmd = VAIO_CMD_DISK_GET,
		.doit = vaio_nl_disk_get,
		.dumpit = vaio_nl_disk_dump,
	},
	{
		.cmd = VAIO_CMD_CHAIN_CHECK,
		.doit = vaio_nl_chain_check,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = VAIO_NL_SYS_ADMIN,
	},
	{
		.cmd = VAIO_CMD_DISK_EVENT,
		.doit = vaio_nl_disk_event,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = VAIO_NL_SYS_ADMIN,
	},
	{
		.cmd = VAIO_CMD_FILTER_REACTIVATE,
		.doit = vaio_nl_reactivate,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = VAIO_NL_SYS_ADMIN,
	},
};

/* With a dump's .start: a genl_ops, not a genl_small_ops. */
static const struct genl_ops vaio_full_ops[] = {
	{
		.cmd = VAIO_CMD_FILTER_CALL,
		.doit = vaio_nl_filter_call,
		.start = vaio_nl_filter_call_start,
		.dumpit = vaio_nl_filter_call_dump,
		.flags = GENL_ADMIN_PERM,
		.internal_flags = VAIO_NL_SYS_ADMIN,
	},
};

static struct genl_family vaio_genl_family __ro_after_init = {
	.name = VAIO_GENL_NAME,
	.version = VAIO_GENL_VERSION,
	.maxattr = VAIO_ATTR_MAX,
	.policy = vaio_policy,
	.module = THIS_MODULE,
	/* The handlers lock what they touch: no need for genl_mutex. */
	.parallel_ops = true,
	.pre_doit = vaio_nl_pre_doit,
	.small_ops = vaio_ops,
	.n_small_ops = ARRAY_SIZE(vaio_ops),
	.ops = vaio_full_ops,
	.n_ops = ARRAY_SIZE(vaio_full_ops),
	.mcgrps = vaio_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vaio_mcgrps),
};

/*
 *--------------------------------------------------------------
 * Notifications
 *
 * Sent from the target's resume, dtr and ctr, where reclaim must not
 * issue I/O to a device that may be suspended: GFP_NOIO (under a disk's
 * lock the noio scope of vaio_disk_lock() says so too).
 *--------------------------------------------------------------
 */

static bool listening(void)
{
	return genl_has_listeners(&vaio_genl_family, &init_net,
				  VAIO_MCGRP_EVENTS_ID);
}

/* A notification @cmd to fill, or NULL if nobody listens (or no memory). */
static struct sk_buff *ntf_new(u8 cmd, size_t size, void **hdr)
{
	struct sk_buff *skb;

	if (!listening())
		return NULL;
	skb = genlmsg_new(size, GFP_NOIO);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &vaio_genl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

/* Send it if it was filled (@r == 0); drop it otherwise. */
static void ntf_send(struct sk_buff *skb, void *hdr, int r)
{
	if (r) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&vaio_genl_family, skb, 0, VAIO_MCGRP_EVENTS_ID,
			  GFP_NOIO);
}

/* The whole disk of @vc, which is (becoming) live; disk->lock held. */
void vaio_nl_disk(struct vaio_c *vc, u8 cmd)
{
	struct sk_buff *skb;
	char *buf;

	if (!listening())
		return;
	skb = genlmsg_new(disk_msg_size(vc, false), GFP_NOIO);
	buf = kmalloc(VAIO_STATUS_MAX, GFP_NOIO);
	/* Listeners need no privilege: no arguments. */
	if (skb && buf && !fill_disk(skb, vc, buf, false, 0, 0, 0, cmd)) {
		genlmsg_multicast(&vaio_genl_family, skb, 0,
				  VAIO_MCGRP_EVENTS_ID, GFP_NOIO);
		skb = NULL;
	}
	kfree(buf);
	nlmsg_free(skb);
}

void vaio_nl_disk_del(struct vaio_c *vc)
{
	struct mapped_device *md = dm_table_get_md(vc->ti->table);
	char name[DM_NAME_LEN];
	struct sk_buff *skb;
	void *hdr;

	skb = ntf_new(VAIO_CMD_NTF_DISK_DEL, NLMSG_DEFAULT_SIZE, &hdr);
	if (!skb)
		return;
	/* Being removed, the device may have lost its name already. */
	vaio_dm_name(md, name);
	if (!name[0])
		strscpy(name, vc->disk->dm_name, sizeof(name));
	ntf_send(skb, hdr, nla_put_string(skb, VAIO_ATTR_DISK_ID, vc->id) ||
		 nla_put_string(skb, VAIO_ATTR_DM_NAME, name));
}

/* @f's state, if it changed since the last notification. */
void vaio_nl_filter_state(struct vaio_filter *f)
{
	int state = READ_ONCE(f->state);
	struct sk_buff *skb;
	void *hdr;

	if (xchg(&f->notified_state, state) == state)
		return;
	skb = ntf_new(VAIO_CMD_NTF_FILTER_STATE, NLMSG_DEFAULT_SIZE, &hdr);
	if (skb)
		ntf_send(skb, hdr,
			 nla_put_string(skb, VAIO_ATTR_DISK_ID, f->vc->id) ||
			 put_filter(skb, f, state, NULL, false));
}

/* A control event was delivered (@r == 0) or vetoed by @who for @reason. */
void vaio_nl_event(struct vaio_c *vc, enum vaio_event_type type,
		   const char *tag, int r, unsigned int delivered,
		   struct vaio_filter *who, const char *reason)
{
	struct sk_buff *skb;
	void *hdr;

	skb = ntf_new(VAIO_CMD_NTF_EVENT, NLMSG_DEFAULT_SIZE, &hdr);
	if (skb)
		ntf_send(skb, hdr,
			 nla_put_string(skb, VAIO_ATTR_DISK_ID, vc->id) ||
			 nla_put_u8(skb, VAIO_ATTR_EVENT, type) ||
			 (tag && nla_put_string(skb, VAIO_ATTR_TAG, tag)) ||
			 (!r && nla_put_u32(skb, VAIO_ATTR_DELIVERED, delivered)) ||
			 (r && reason &&
			  nla_put_string(skb, VAIO_ATTR_ERROR, reason)) ||
			 (r && who && nla_put_string(skb, VAIO_ATTR_FILTER_NAME,
						     who->type->name)));
}

/* A vaio table line for @md was refused: why, which dmsetup cannot say. */
void vaio_nl_table_error(struct mapped_device *md, const char *error)
{
	char name[DM_NAME_LEN];
	struct sk_buff *skb;
	void *hdr;

	skb = ntf_new(VAIO_CMD_NTF_TABLE_ERROR, NLMSG_DEFAULT_SIZE, &hdr);
	if (!skb)
		return;
	vaio_dm_name(md, name);
	ntf_send(skb, hdr, nla_put_string(skb, VAIO_ATTR_DM_NAME, name) ||
		 nla_put_string(skb, VAIO_ATTR_ERROR, error ?: "unknown error"));
}

int vaio_netlink_init(void)
{
	return genl_register_family(&vaio_genl_family);
}

void vaio_netlink_exit(void)
{
	genl_unregister_family(&vaio_genl_family);
}

/* vaioctl (and any genl family lookup) loads dm-vaio. */
MODULE_ALIAS_GENL_FAMILY(VAIO_GENL_NAME);
