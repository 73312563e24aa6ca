// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvaio: policy components and the vaio table line they become.
 *
 * A component is "type[:key=value[,key=value]...]". The key "fail"
 * (open or closed) is the filter's fail mode; every other key=value is
 * passed to the filter as one table argument, checked by the kernel
 * against the parameters the filter type declares.
 */
#include "vaio.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const class_names[VAIO_NR_CLASSES] = {
	"qos", "inspection", "encryption", "replication", "cache",
};

const char *vaio_class_name(int class)
{
	return class >= 0 && class < VAIO_NR_CLASSES ? class_names[class] : "unknown";
}

int vaio_class_by_name(const char *name)
{
	int i;

	for (i = 0; i < VAIO_NR_CLASSES; i++)
		if (!strcmp(class_names[i], name))
			return i;
	return -1;
}

const char *vaio_state_name(int state)
{
	switch (state) {
	case VAIO_STATE_ACTIVE:
		return "active";
	case VAIO_STATE_BYPASSED:
		return "bypassed";
	case VAIO_STATE_FAILED:
		return "failed";
	}
	return "unknown";
}

/* As the kernel's vaio_valid_name(): disk ids, policy and type names. */
bool vaio_valid_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= VAIO_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._:-", *s))
			return false;
	return true;
}

int vaio_component_parse(const char *s, struct vaio_component *c,
			 struct vaio_err *err)
{
	char copy[VAIO_ARG_MAX * 4], *args, *kv, *save = NULL, *eq;
	int n = 0;

	/*
	 * The messages name the component by its type and a word by its
	 * number or key, never by a value: a key typed into it (crypt's) is
	 * not echoed.
	 */
	memset(c, 0, sizeof(*c));
	if (strlen(s) >= sizeof(copy))
		return vaio_seterr(err, EINVAL, "component '%.*s': too long",
				   (int)strcspn(s, ":"), s);
	strcpy(copy, s);
	args = strchr(copy, ':');
	if (args)
		*args++ = '\0';
	if (!*copy)
		return vaio_seterr(err, EINVAL, "a component has no filter type");
	if (!vaio_valid_name(copy))
		return vaio_seterr(err, EINVAL,
				   "component '%.64s': invalid filter type name",
				   copy);
	strcpy(c->type, copy);
	if (!args)
		return 0;
	if (!*args)
		return vaio_seterr(err, EINVAL,
				   "component '%s': nothing after ':'", c->type);

	for (kv = strtok_r(args, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		n++;
		eq = strchr(kv, '=');
		if (!eq || eq == kv || !eq[1])
			return vaio_seterr(err, EINVAL,
					   "component '%s': word %d is not key=value",
					   c->type, n);
		/* The table line splits on white space, escapes with '\\'. */
		for (eq = kv; *eq; eq++)
			if (isspace((unsigned char)*eq) || *eq == '\\' ||
			    !isprint((unsigned char)*eq))
				return vaio_seterr(err, EINVAL,
						   "component '%s': word %d has a space, '\\' or a control character",
						   c->type, n);
		eq = strchr(kv, '=');
		if (!strncmp(kv, "fail=", 5)) {
			if (!strcmp(eq + 1, "open"))
				c->fail_mode = VAIO_FAIL_MODE_OPEN;
			else if (!strcmp(eq + 1, "closed"))
				c->fail_mode = VAIO_FAIL_MODE_CLOSED;
			else
				return vaio_seterr(err, EINVAL,
						   "component '%s': fail must be open or closed",
						   c->type);
			c->fail_given = true;
			continue;
		}
		if (c->argc == VAIO_MAX_ARGS)
			return vaio_seterr(err, E2BIG,
					   "component '%s': more than %d parameters",
					   c->type, VAIO_MAX_ARGS);
		if (strlen(kv) >= VAIO_ARG_MAX)
			return vaio_seterr(err, EINVAL,
					   "component '%s': parameter %.*s too long",
					   c->type, (int)(strchr(kv, '=') - kv), kv);
		strcpy(c->argv[c->argc++], kv);
	}
	return 0;
}

void vaio_component_format(const struct vaio_component *c, char *buf,
			   size_t len)
{
	size_t n;
	int i;

	n = snprintf(buf, len, "%s", c->type);
	for (i = 0; i < c->argc && n < len; i++)
		n += snprintf(buf + n, len - n, "%c%s", i ? ',' : ':', c->argv[i]);
	if (c->fail_mode == VAIO_FAIL_MODE_CLOSED && n < len)
		snprintf(buf + n, len - n, "%cfail=closed", c->argc ? ',' : ':');
}

int vaio_chain_add(struct vaio_chain *chain, const char *component,
		   struct vaio_err *err)
{
	int i, r;

	if (chain->n == VAIO_MAX_COMPONENTS)
		return vaio_seterr(err, E2BIG, "more than %d components",
				   VAIO_MAX_COMPONENTS);
	r = vaio_component_parse(component, &chain->c[chain->n], err);
	if (r)
		return r;
	for (i = 0; i < chain->n; i++)
		if (!strcmp(chain->c[i].type, chain->c[chain->n].type))
			return vaio_seterr(err, EINVAL,
					   "filter %s is in the policy twice",
					   chain->c[i].type);
	chain->n++;
	return 0;
}

void vaio_chain_from_disk(const struct vaio_disk_info *disk,
			  struct vaio_chain *chain)
{
	int i, j;

	memset(chain, 0, sizeof(*chain));
	for (i = 0; i < disk->nfilters && i < VAIO_MAX_COMPONENTS; i++) {
		const struct vaio_filter_info *f = &disk->filters[i];
		struct vaio_component *c = &chain->c[chain->n++];

		snprintf(c->type, sizeof(c->type), "%s", f->type);
		c->fail_mode = f->fail_mode;
		c->argc = f->argc;
		for (j = 0; j < f->argc; j++)
			memcpy(c->argv[j], f->argv[j], VAIO_ARG_MAX);
	}
}

static bool component_equal(const struct vaio_component *a,
			    const struct vaio_component *b)
{
	int i;

	if (strcmp(a->type, b->type) || a->fail_mode != b->fail_mode ||
	    a->argc != b->argc)
		return false;
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]))
			return false;
	return true;
}

bool vaio_chain_equal(const struct vaio_chain *a, const struct vaio_chain *b)
{
	int i, j;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++)
			if (component_equal(&a->c[i], &b->c[j]))
				break;
		if (j == b->n)
			return false;
	}
	return true;
}

int vaio_table_params(const char *data_dev, const char *disk_id,
		      const struct vaio_chain *chain, char *buf, size_t len)
{
	unsigned int nargs = 2;
	size_t n;
	int i, j;

	for (i = 0; i < chain->n; i++)
		nargs += 4 + chain->c[i].argc;
	n = snprintf(buf, len, "%s %u disk_id %s", data_dev, nargs, disk_id);
	for (i = 0; i < chain->n && n < len; i++) {
		const struct vaio_component *c = &chain->c[i];

		n += snprintf(buf + n, len - n, " filter %s %s %d", c->type,
			      c->fail_mode == VAIO_FAIL_MODE_CLOSED ?
			      "fail_closed" : "fail_open", c->argc);
		for (j = 0; j < c->argc && n < len; j++)
			n += snprintf(buf + n, len - n, " %s", c->argv[j]);
	}
	return n < len ? 0 : -ENAMETOOLONG;
}
