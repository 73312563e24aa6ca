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

#include <json-c/json.h>
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
	struct json_object *arr;
	struct vaio_err err;
	int n, i, j;

	want_args(argc, argv, 0, usage_filter);
	if (vaio_filter_types(nl(), &types, &n, &err))
		die_err(&err);
	if (n > 1)
		qsort(types, n, sizeof(*types), cmp_types);

	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		const struct vaio_type_info *t = &types[i];
		struct json_object *o = json_object_new_object();
		struct json_object *ps = json_object_new_array();

		if (!json_out)
			printf("%s  class %s (%d)  version %s\n", t->name,
			       vaio_class_name(t->class), t->class, t->version);
		json_object_object_add(o, "type", json_object_new_string(t->name));
		json_object_object_add(o, "class",
				       json_object_new_string(vaio_class_name(t->class)));
		json_object_object_add(o, "class_order", json_object_new_int(t->class));
		json_object_object_add(o, "version", json_object_new_string(t->version));
		for (j = 0; j < t->nparams; j++) {
			const struct vaio_param_info *p = &t->params[j];
			struct json_object *po = json_object_new_object();
			char spec[VAIO_ARG_MAX + 64];

			json_object_object_add(po, "name", json_object_new_string(p->name));
			json_object_object_add(po, "type",
					       json_object_new_string(param_type_name(p->type)));
			if (p->type == VAIO_PARAM_ENUM) {
				json_object_object_add(po, "choices",
						       json_object_new_string(p->choices));
				snprintf(spec, sizeof(spec), "%s=%s", p->name, p->choices);
			} else if (p->type == VAIO_PARAM_UINT) {
				json_object_object_add(po, "min", json_object_new_uint64(p->min));
				json_object_object_add(po, "max", json_object_new_uint64(p->max));
				snprintf(spec, sizeof(spec), "%s=%llu..%llu", p->name,
					 (unsigned long long)p->min,
					 (unsigned long long)p->max);
			} else if (p->type == VAIO_PARAM_BOOL) {
				snprintf(spec, sizeof(spec), "%s=0|1", p->name);
			} else {
				snprintf(spec, sizeof(spec), "%s=STRING", p->name);
			}
			if (p->def[0])
				json_object_object_add(po, "default",
						       json_object_new_string(p->def));
			json_object_object_add(po, "help", json_object_new_string(p->help));
			json_object_array_add(ps, po);
			if (!json_out)
				printf("    %s\n        %s%s%s%s\n", spec, p->help,
				       p->def[0] ? " (default " : "", p->def,
				       p->def[0] ? ")" : "");
		}
		if (!json_out && !t->nparams)
			printf("    (free-form arguments)\n");
		json_object_object_add(o, "params", ps);
		json_object_array_add(arr, o);
	}
	if (json_out)
		print_json(arr);
	else
		json_object_put(arr);
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

/* One attribute, as text ("NUM=VALUE", a nest "NUM={...}"), into @out. */
static void text_attr(const struct nlattr *a, FILE *out, bool top)
{
	const unsigned char *p = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a), i;
	const struct nlattr *b;
	bool first = true;

	if (a->nla_type & NLA_F_NESTED) {
		fprintf(out, top ? "%u:" : "%u={", mnl_attr_get_type(a));
		mnl_attr_for_each_nested(b, a) {
			fputs(top || !first ? " " : "", out);
			text_attr(b, out, false);
			first = false;
		}
		fputs(top ? "" : "}", out);
		return;
	}
	fprintf(out, "%u=", mnl_attr_get_type(a));
	if (!len)
		return;
	if (attr_is_uint(a))
		fprintf(out, "%llu", (unsigned long long)attr_uint(a));
	else if (is_string(p, len))
		fputs((const char *)p, out);
	else
		for (fputs("0x", out), i = 0; i < len; i++)
			fprintf(out, "%02x", p[i]);
}

static struct json_object *json_attr(const struct nlattr *a)
{
	struct json_object *o = json_object_new_object();
	const unsigned char *p = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a), i;
	const struct nlattr *b;
	struct json_object *arr;
	char *hex;

	json_object_object_add(o, "attr", json_object_new_int(mnl_attr_get_type(a)));
	if (a->nla_type & NLA_F_NESTED) {
		arr = json_object_new_array();
		mnl_attr_for_each_nested(b, a)
			json_object_array_add(arr, json_attr(b));
		json_object_object_add(o, "nest", arr);
	} else if (!len) {
		json_object_object_add(o, "flag", json_object_new_boolean(true));
	} else if (attr_is_uint(a)) {
		json_object_object_add(o, "value", json_object_new_uint64(attr_uint(a)));
	} else if (is_string(p, len)) {
		json_object_object_add(o, "value",
				       json_object_new_string((const char *)p));
	} else {
		hex = malloc(len * 2 + 1);
		if (!hex)
			die(EXIT_FAIL, "out of memory");
		for (i = 0; i < len; i++)
			sprintf(hex + 2 * i, "%02x", p[i]);
		json_object_object_add(o, "hex", json_object_new_string(hex));
		free(hex);
	}
	return o;
}

/* Every answer's FILTER_DATA: printed, or gathered for the JSON. */
static int call_answer(const struct nlattr *data, void *arg)
{
	struct json_object *arr = arg;
	const struct nlattr *a;

	if (!data)
		return 0;
	mnl_attr_for_each_nested(a, data) {
		if (json_out) {
			json_object_array_add(arr, json_attr(a));
		} else {
			text_attr(a, stdout, true);
			putchar('\n');
		}
	}
	return 0;
}

int filter_call(int argc, char **argv)
{
	struct vaio_disk_info *d = malloc(sizeof(*d));
	struct vaio_call_attr *attrs;
	struct json_object *o, *arr;
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

	arr = json_object_new_array();
	if (vaio_filter_call(nl(), id, posv[1], cmd, attrs, n, dump,
			     call_answer, arr, &err))
		die_err(&err);
	if (json_out) {
		o = json_object_new_object();
		json_object_object_add(o, "disk", json_object_new_string(id));
		json_object_object_add(o, "filter", json_object_new_string(posv[1]));
		json_object_object_add(o, "cmd", json_object_new_uint64(cmd));
		json_object_object_add(o, dump ? "entries" : "data", arr);
		print_json(o);
	} else {
		json_object_put(arr);
	}
	for (i = 0; i < n; i++)
		free(vals[i].bytes);
	free(vals);
	free(attrs);
	free(d);
	return EXIT_OK;
}
