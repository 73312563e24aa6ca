// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the filter object: list, reactivate, call.
 */
#include "vaioctl.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdevmapper.h>
#include <libmnl/libmnl.h>

/*
 *--------------------------------------------------------------
 * filter
 *--------------------------------------------------------------
 */

static int cmp_types(const void *a, const void *b)
{
	const struct vaio_type_info *x = a, *y = b;

	return x->class != y->class ? x->class - y->class : strcmp(x->name, y->name);
}

int filter_list(int argc, char **argv)
{
	struct vaio_type_info *types;
	struct vaio_err err;
	int n, i, j;

	want_args(argc, argv, 0, usage_filter);
	if (vaio_filter_types(nl(), &types, &n, &err))
		die_err(&err);
	if (n > 1)
		qsort(types, n, sizeof(*types), cmp_types);

	open_json_array(NULL);
	for (i = 0; i < n; i++) {
		const struct vaio_type_info *t = &types[i];

		open_json_object(NULL);
		print_string(PRINT_ANY, "type", "%s", t->name);
		print_string(PRINT_ANY, "class", "  class %s",
			     vaio_class_name(t->class));
		print_int(PRINT_ANY, "class_order", " (%d)", t->class);
		print_string(PRINT_ANY, "version", "  version %s", t->version);
		open_json_array("fail_modes");
		print_text("  fail ");
		if (t->fail_modes & 1u << VAIO_FAIL_MODE_OPEN)
			print_string(PRINT_ANY, NULL, "%s", "open");
		if (t->fail_modes == 3u)
			print_text("|");
		if (t->fail_modes & 1u << VAIO_FAIL_MODE_CLOSED)
			print_string(PRINT_ANY, NULL, "%s", "closed");
		close_json_array();
		print_text("\n");
		/* Each: "    KEY=VALUES\n        HELP (default DEFAULT)". */
		open_json_array("params");
		for (j = 0; j < t->nparams; j++) {
			const struct vaio_param_info *p = &t->params[j];

			open_json_object(NULL);
			print_string(PRINT_ANY, "name", "    %s=", p->name);
			print_string(PRINT_JSON, "type", NULL, param_type_name(p->type));
			if (p->type == VAIO_PARAM_ENUM) {
				print_string(PRINT_ANY, "choices", "%s", p->choices);
			} else if (p->type == VAIO_PARAM_UINT) {
				print_u64(PRINT_ANY, "min", "%llu", p->min);
				print_u64(PRINT_ANY, "max", "..%llu", p->max);
			} else {
				print_text("%s", p->type == VAIO_PARAM_BOOL ? "0|1" : "STRING");
			}
			if (p->def[0])
				print_string(PRINT_JSON, "default", NULL, p->def);
			print_string(PRINT_ANY, "help", "\n        %s", p->help);
			if (p->def[0])
				print_text(" (default %s)", p->def);
			print_text("\n");
			close_json_object();
		}
		close_json_array();
		if (!t->nparams)
			print_text("    (free-form arguments)\n");
		close_json_object();
	}
	close_json_array();
	free(types);
	return EXIT_OK;
}

int filter_reactivate(int argc, char **argv)
{
	struct vaio_disk_info *d = malloc(sizeof(*d));
	struct vaio_err err;
	int r;

	want_args(argc, argv, 2, usage_filter);
	check_name("filter", argv[1]);
	if (!d)
		die(EXIT_FAIL, "out of memory");
	if (find_disk(argv[0], d, &err))
		die_err(&err);
	r = vaio_reactivate(nl(), d->id, argv[1], &err);
	if (r == -EAGAIN) {
		struct dm_info info;

		/*
		 * A bypassed filter: with the device suspended, so that no
		 * bio that skipped it is still in flight. Resumed whatever
		 * the answer. Not over a loaded table, which the resume
		 * would make live.
		 */
		if (vaio_dm_info(d->dm_name, &info, &err))
			die_err(&err);
		if (info.inactive_table)
			die(EXIT_FAIL, "disk %s: a table is loaded and not resumed: resume or clear it, then reactivate",
			    d->dm_name);
		if (vaio_dm_suspend(d->dm_name, true, &err))
			die_err(&err);
		/* Loaded meanwhile: left as it is, and the device resumed. */
		if (!vaio_dm_info(d->dm_name, &info, &err) && info.inactive_table)
			r = vaio_seterr(&err, EBUSY, "disk %s: a table was loaded meanwhile: resume or clear it, then reactivate",
					d->dm_name);
		else
			r = vaio_reactivate(nl(), d->id, argv[1], &err);
		if (vaio_dm_suspend(d->dm_name, false, r ? NULL : &err)) {
			if (!r)
				die_err(&err);
			fprintf(stderr, "vaioctl: disk %s: resume failed: dmsetup resume %s\n",
				d->dm_name, d->dm_name);
		}
	}
	if (r)
		die_err(&err);
	free(d);
	return EXIT_OK;
}

/*
 * filter call: a filter's own netlink commands, for filter developers.
 * The attributes are the filter's: printed by number, a value by its size
 * (4 or 8 bytes: a number; a NUL-terminated printable string; else hex).
 */

/* Request attributes: the values' bytes. */
struct call_val {
	union {
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;
	};
	unsigned char *bytes;		/* x: and strings: allocated */
};

static bool parse_num(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end && *v <= max;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* NUM=VALUE into @a (its data in @v); dies naming the word if it is bad. */
static void parse_call_attr(const char *word, struct vaio_call_attr *a,
			    struct call_val *v)
{
	const char *eq = strchr(word, '='), *val;
	uint64_t num, n;
	size_t len, i;
	char numbuf[16];

	if (!eq || eq == word || (size_t)(eq - word) >= sizeof(numbuf))
		die(EXIT_USAGE, "argument '%s': not NUM=VALUE", word);
	memcpy(numbuf, word, eq - word);
	numbuf[eq - word] = '\0';
	if (!parse_num(numbuf, 16383, &num) || !num)
		die(EXIT_USAGE, "argument '%s': attribute number not 1 to 16383", word);
	a->type = num;
	val = eq + 1;
	memset(v, 0, sizeof(*v));

#define CALL_UINT(prefix, field, maxv)					\
	if (!strncmp(val, prefix ":", strlen(prefix) + 1)) {		\
		if (!parse_num(val + strlen(prefix) + 1, maxv, &n))	\
			die(EXIT_USAGE, "argument '%s': not a " prefix, word); \
		v->field = n;						\
		a->data = &v->field;					\
		a->len = sizeof(v->field);				\
		return;							\
	}
	CALL_UINT("u8", u8, UINT8_MAX)
	CALL_UINT("u16", u16, UINT16_MAX)
	CALL_UINT("u32", u32, UINT32_MAX)
	CALL_UINT("u64", u64, UINT64_MAX)
#undef CALL_UINT

	if (!strncmp(val, "x:", 2)) {
		val += 2;
		len = strlen(val);
		if (!len || len % 2)
			die(EXIT_USAGE, "argument '%s': x: needs pairs of hex digits", word);
		v->bytes = malloc(len / 2);
		if (!v->bytes)
			die(EXIT_FAIL, "out of memory");
		for (i = 0; i < len / 2; i++) {
			int hi = hexval(val[2 * i]), lo = hexval(val[2 * i + 1]);

			if (hi < 0 || lo < 0)
				die(EXIT_USAGE, "argument '%s': not hex", word);
			v->bytes[i] = hi << 4 | lo;
		}
		a->data = v->bytes;
		a->len = len / 2;
		return;
	}
	if (!*val) {			/* a flag */
		a->data = NULL;
		a->len = 0;
		return;
	}
	if (strncmp(val, "s:", 2) && parse_num(val, UINT64_MAX, &n)) {
		if (n <= UINT32_MAX) {
			v->u32 = n;
			a->data = &v->u32;
			a->len = sizeof(v->u32);
		} else {
			v->u64 = n;
			a->data = &v->u64;
			a->len = sizeof(v->u64);
		}
		return;
	}
	if (!strncmp(val, "s:", 2))
		val += 2;
	len = strlen(val) + 1;
	if (len > 4096)
		die(EXIT_USAGE, "argument '%.40s...': string too long", word);
	v->bytes = (unsigned char *)strdup(val);
	if (!v->bytes)
		die(EXIT_FAIL, "out of memory");
	a->data = v->bytes;
	a->len = len;
}

/* A printable NUL-terminated string? */
static bool is_string(const unsigned char *p, size_t len)
{
	size_t i;

	if (!len || p[len - 1])
		return false;
	for (i = 0; i + 1 < len; i++)
		if (!isprint(p[i]))
			return false;
	return true;
}

static uint64_t attr_uint(const struct nlattr *a)
{
	uint64_t v = 0;

	if (mnl_attr_get_payload_len(a) == 8)
		memcpy(&v, mnl_attr_get_payload(a), 8);
	else if (mnl_attr_get_payload_len(a) == 4)
		v = mnl_attr_get_u32(a);
	else if (mnl_attr_get_payload_len(a) == 2)
		v = mnl_attr_get_u16(a);
	else
		v = mnl_attr_get_u8(a);
	return v;
}

static bool attr_is_uint(const struct nlattr *a)
{
	size_t len = mnl_attr_get_payload_len(a);
	const unsigned char *p = mnl_attr_get_payload(a);

	if (len == 4 || len == 8)
		return true;
	return (len == 1 || len == 2) && !is_string(p, len);
}

/*
 * One attribute: in the text "NUM=VALUE", a nest "NUM: NUM=VALUE ..." at
 * the top, "NUM={NUM=VALUE ...}" below; in JSON an object {"attr": NUM}
 * with "nest" (an array of them), "flag", "value" or "hex".
 */
static void print_attr(const struct nlattr *a, bool top)
{
	const unsigned char *p = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a), i;
	const struct nlattr *b;
	bool first = true;
	char *hex;

	open_json_object(NULL);
	print_uint(PRINT_ANY, "attr", "%u", mnl_attr_get_type(a));
	if (a->nla_type & NLA_F_NESTED) {
		print_text("%s", top ? ":" : "={");
		open_json_array("nest");
		mnl_attr_for_each_nested(b, a) {
			print_text("%s", top || !first ? " " : "");
			print_attr(b, false);
			first = false;
		}
		close_json_array();
		print_text("%s", top ? "" : "}");
		close_json_object();
		return;
	}
	print_text("=");
	if (!len) {
		print_bool(PRINT_JSON, "flag", NULL, true);
	} else if (attr_is_uint(a)) {
		print_u64(PRINT_ANY, "value", "%llu", attr_uint(a));
	} else if (is_string(p, len)) {
		print_string(PRINT_ANY, "value", "%s", (const char *)p);
	} else {
		hex = malloc(len * 2 + 1);
		if (!hex)
			die(EXIT_FAIL, "out of memory");
		for (i = 0; i < len; i++)
			sprintf(hex + 2 * i, "%02x", p[i]);
		print_string(PRINT_ANY, "hex", "0x%s", hex);
		free(hex);
	}
	close_json_object();
}

/* Every answer's FILTER_DATA: a line per attribute, or into the array. */
static int call_answer(const struct nlattr *data, void *arg)
{
	const struct nlattr *a;

	(void)arg;
	if (!data)
		return 0;
	mnl_attr_for_each_nested(a, data) {
		print_attr(a, true);
		print_text("\n");
	}
	return 0;
}

int filter_call(int argc, char **argv)
{
	struct vaio_disk_info *d = malloc(sizeof(*d));
	struct vaio_call_attr *attrs;
	const char *id;
	struct call_val *vals;
	struct vaio_err err;
	bool dump = false;
	uint64_t cmd;
	int i, r, n = 0, pos = 0;
	char *posv[3];

	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			usage(usage_filter, EXIT_OK);
	attrs = calloc(argc + 1, sizeof(*attrs));
	vals = calloc(argc + 1, sizeof(*vals));
	if (!d || !attrs || !vals)
		die(EXIT_FAIL, "out of memory");
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dump")) {
			dump = true;
		} else if (pos < 3) {
			posv[pos++] = argv[i];
		} else {
			parse_call_attr(argv[i], &attrs[n], &vals[n]);
			n++;
		}
	}
	if (pos < 3) {
		fprintf(stderr, "vaioctl: missing argument\n");
		usage(usage_filter, EXIT_USAGE);
	}
	check_name("filter", posv[1]);
	if (!parse_num(posv[2], UINT32_MAX, &cmd))
		die(EXIT_USAGE, "command '%s' is not a number (0 to 4294967295)", posv[2]);
	/* A device's name or a disk_id; else the kernel says what it knows. */
	id = d->id;
	r = find_disk(posv[0], d, &err);
	if (r == -ENODEV) {
		check_name("disk", posv[0]);
		id = posv[0];
	} else if (r) {
		die_err(&err);
	}

	/* JSON: {"disk", "filter", "cmd", "data" or "entries": [...]}. */
	open_json_object(NULL);
	print_string(PRINT_JSON, "disk", NULL, id);
	print_string(PRINT_JSON, "filter", NULL, posv[1]);
	print_u64(PRINT_JSON, "cmd", NULL, cmd);
	open_json_array(dump ? "entries" : "data");
	if (vaio_filter_call(nl(), id, posv[1], cmd, attrs, n, dump,
			     call_answer, NULL, &err))
		die_err(&err);
	close_json_array();
	close_json_object();
	for (i = 0; i < n; i++)
		free(vals[i].bytes);
	free(vals);
	free(attrs);
	free(d);
	return EXIT_OK;
}
