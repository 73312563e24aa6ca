// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvaio: the netlink commands of the changed-block tracking filter
 * (include/uapi/linux/dm-vaio-cbt.h), over vaio_filter_call(), and the
 * changeId "<generation>:<epoch>" they use.
 */
#include "vaio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/dm-vaio-cbt.h>

static uint64_t get_u64(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U64) >= 0 ? mnl_attr_get_u64(a) : 0;
}

static uint32_t get_u32(const struct nlattr *a)
{
	return mnl_attr_validate(a, MNL_TYPE_U32) >= 0 ? mnl_attr_get_u32(a) : 0;
}

int vaio_cbt_parse_id(const char *s, uint64_t *gen, uint64_t *epoch)
{
	char *end;

	if (strlen(s) < 18 || s[16] != ':' ||
	    strspn(s, "0123456789abcdefABCDEF") != 16 ||
	    strspn(s + 17, "0123456789") != strlen(s + 17))
		return -EINVAL;
	errno = 0;
	*gen = strtoull(s, &end, 16);
	if (errno || end != s + 16)
		return -EINVAL;
	*epoch = strtoull(s + 17, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

void vaio_cbt_format_id(char *buf, size_t len, uint64_t gen, uint64_t epoch)
{
	snprintf(buf, len, "%016" PRIx64 ":%" PRIu64, gen, epoch);
}

static int status_cb(const struct nlattr *data, void *arg)
{
	struct vaio_cbt_status *st = arg;
	const struct nlattr *a;

	if (!data)
		return -EPROTO;
	mnl_attr_for_each_nested(a, data) {
		switch (mnl_attr_get_type(a)) {
		case VAIO_CBT_ATTR_GEN:
			st->gen = get_u64(a);
			break;
		case VAIO_CBT_ATTR_EPOCH:
			st->epoch = get_u64(a);
			break;
		case VAIO_CBT_ATTR_FIRST:
			st->first = get_u64(a);
			break;
		case VAIO_CBT_ATTR_BLOCK_BYTES:
			st->block_bytes = get_u32(a);
			break;
		case VAIO_CBT_ATTR_DISK_BYTES:
			st->disk_bytes = get_u64(a);
			break;
		case VAIO_CBT_ATTR_SLOTS:
			st->slots = get_u32(a);
			break;
		case VAIO_CBT_ATTR_UUID:
			if (mnl_attr_get_payload_len(a) == sizeof(st->uuid))
				memcpy(st->uuid, mnl_attr_get_payload(a),
				       sizeof(st->uuid));
			break;
		case VAIO_CBT_ATTR_LOST:
			st->lost = mnl_attr_validate(a, MNL_TYPE_U8) >= 0 &&
				   mnl_attr_get_u8(a);
			break;
		}
	}
	return 0;
}

int vaio_cbt_status(struct vaio_nl *nl, const char *id,
		    struct vaio_cbt_status *st, struct vaio_err *err)
{
	memset(st, 0, sizeof(*st));
	return vaio_filter_call(nl, id, "cbt", VAIO_CBT_CMD_STATUS, NULL, 0,
				false, status_cb, st, err);
}

static int mark_cb(const struct nlattr *data, void *arg)
{
	uint64_t *v = arg;
	const struct nlattr *a;

	if (!data)
		return -EPROTO;
	mnl_attr_for_each_nested(a, data) {
		if (mnl_attr_get_type(a) == VAIO_CBT_ATTR_GEN)
			v[0] = get_u64(a);
		else if (mnl_attr_get_type(a) == VAIO_CBT_ATTR_EPOCH)
			v[1] = get_u64(a);
	}
	return 0;
}

int vaio_cbt_mark(struct vaio_nl *nl, const char *id, uint64_t *gen,
		  uint64_t *epoch, struct vaio_err *err)
{
	uint64_t v[2] = { 0, 0 };
	int r;

	r = vaio_filter_call(nl, id, "cbt", VAIO_CBT_CMD_MARK, NULL, 0, false,
			     mark_cb, v, err);
	if (!r && !v[0])
		return vaio_seterr(err, EPROTO, "disk %s: cbt: no changeId in the answer", id);
	*gen = v[0];
	*epoch = v[1];
	return r;
}

struct changes_ctx {
	int (*cb)(uint64_t start, uint64_t len, void *arg);
	void *arg;
};

static int changes_cb(const struct nlattr *data, void *arg)
{
	struct changes_ctx *c = arg;
	const struct nlattr *a, *e;
	uint64_t start, len;
	int r;

	if (!data)
		return 0;
	mnl_attr_for_each_nested(a, data) {
		if (mnl_attr_get_type(a) != VAIO_CBT_ATTR_EXTENT)
			continue;
		start = len = 0;
		mnl_attr_for_each_nested(e, a) {
			if (mnl_attr_get_type(e) == VAIO_CBT_EXTENT_START)
				start = get_u64(e);
			else if (mnl_attr_get_type(e) == VAIO_CBT_EXTENT_LENGTH)
				len = get_u64(e);
		}
		r = c->cb(start, len, c->arg);
		if (r)
			return r;
	}
	return 0;
}

int vaio_cbt_changes(struct vaio_nl *nl, const char *id, uint64_t gen,
		     uint64_t since,
		     int (*cb)(uint64_t start, uint64_t len, void *arg),
		     void *arg, struct vaio_err *err)
{
	struct changes_ctx c = { .cb = cb, .arg = arg };
	struct vaio_call_attr attrs[2] = {
		{ VAIO_CBT_ATTR_GEN, sizeof(gen), &gen },
		{ VAIO_CBT_ATTR_EPOCH, sizeof(since), &since },
	};

	return vaio_filter_call(nl, id, "cbt", VAIO_CBT_CMD_CHANGES, attrs, 2,
				true, changes_cb, &c, err);
}
