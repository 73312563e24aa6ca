// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio filter registry: filter modules register their types here; the
 * target looks them up by name, loading dm-vaio-<name> on demand, and pins
 * the owning module while a disk uses the type. Modelled on
 * drivers/md/dm-cache-policy.c.
 */

#include "vaio-internal.h"

#include <linux/ctype.h>
#include <linux/kmod.h>
#include <linux/spinlock.h>
#include <linux/string.h>

/* Names the table grammar accepts: disk_ids, filter types, snapshot tags. */
bool vaio_valid_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= VAIO_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum(*s) && !strchr("._:-", *s))
			return false;
	return true;
}

static DEFINE_SPINLOCK(register_lock);
static LIST_HEAD(register_list);

static struct vaio_filter_type *__find_type(const char *name)
{
	struct vaio_filter_type *t;

	list_for_each_entry(t, &register_list, list)
		if (!strcmp(t->name, name))
			return t;

	return NULL;
}

static const struct vaio_filter_type *get_type_once(const char *name)
{
	struct vaio_filter_type *t;

	spin_lock(&register_lock);
	t = __find_type(name);
	if (t && !try_module_get(t->owner))
		t = ERR_PTR(-EBUSY);	/* its module is going away */
	spin_unlock(&register_lock);

	return t;
}

/*
 * The type called @name with a reference on its module, or NULL. Loads
 * module dm-vaio-<name> if the type is not registered yet.
 */
const struct vaio_filter_type *vaio_filter_type_get(const char *name)
{
	const struct vaio_filter_type *t;

	t = get_type_once(name);
	if (!t) {
		request_module("dm-vaio-%s", name);
		t = get_type_once(name);
	}

	return IS_ERR(t) ? NULL : t;
}

void vaio_filter_type_put(const struct vaio_filter_type *type)
{
	module_put(type->owner);
}

/*
 * The first registered type from place *@pos on whose module is not going
 * away, with a reference on the module, and its place in *@pos; or NULL.
 */
const struct vaio_filter_type *vaio_filter_type_next(unsigned int *pos)
{
	struct vaio_filter_type *t, *found = NULL;
	unsigned int i = 0;

	spin_lock(&register_lock);
	list_for_each_entry(t, &register_list, list) {
		if (i++ < *pos || !try_module_get(t->owner))
			continue;
		found = t;
		*pos = i - 1;
		break;
	}
	spin_unlock(&register_lock);

	return found;
}

/*
 *--------------------------------------------------------------
 * Declared parameters
 *--------------------------------------------------------------
 */

const char *vaio_param(unsigned int argc, char **argv, const char *key)
{
	size_t len = strlen(key);
	unsigned int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], key, len) && argv[i][len] == '=')
			return argv[i] + len + 1;
	return NULL;
}
EXPORT_SYMBOL_GPL(vaio_param);

/* Is @value one of the '|'-separated @choices? */
static bool in_choices(const char *choices, const char *value)
{
	size_t len = strlen(value);
	const char *c = choices;

	while (c && *c) {
		if (!strncmp(c, value, len) && (c[len] == '|' || !c[len]))
			return true;
		c = strchr(c, '|');
		if (c)
			c++;
	}
	return false;
}

static const char *check_value(const struct vaio_param *p, const char *value)
{
	const char *s;
	u64 v;

	switch (p->kind) {
	case VAIO_PARAM_KIND_UINT:
		if (kstrtou64(value, 10, &v))
			return "parameter value is not a number";
		if (v < p->min || v > p->max)
			return "parameter value is out of range";
		return NULL;
	case VAIO_PARAM_KIND_BOOL:
		if (strcmp(value, "0") && strcmp(value, "1"))
			return "parameter value is not 0 or 1";
		return NULL;
	case VAIO_PARAM_KIND_ENUM:
		if (!*value || strchr(value, '|') ||
		    !in_choices(p->choices, value))
			return "parameter value is not one of the choices";
		return NULL;
	case VAIO_PARAM_KIND_STRING:
		if (!*value)
			return "parameter value is empty";
		for (s = value; *s; s++)
			if (!isalnum(*s) && !strchr("._:/@+-", *s))
				return "parameter value has a character not allowed";
		return NULL;
	}
	return "parameter of an unknown kind";
}

/*
 * Checks the table arguments @argv of @type against its declared
 * parameters: each "key=value" with a declared key, given once, its value
 * of the declared kind. Types without declarations take any words, up to
 * VAIO_MAX_ARGS of them (as every type), each shorter than VAIO_ARG_MAX.
 * Then the type's ->args_check() of the words together. Returns 0, or
 * -EINVAL (-E2BIG: too many) with *error (static) and *bad, the word at
 * fault (the first one too many), or @argc for the words together.
 */
int vaio_params_check(const struct vaio_filter_type *type, unsigned int argc,
		      char **argv, const char **error, unsigned int *bad)
{
	const struct vaio_param *p;
	unsigned int i, j;
	const char *eq;

	*error = NULL;
	/* The one limit of tables and VAIO_CMD_CHAIN_CHECK alike. */
	if (argc > VAIO_MAX_ARGS) {
		*error = VAIO_TOO_MANY_ARGS;
		*bad = VAIO_MAX_ARGS;
		return -E2BIG;
	}
	for (i = 0; i < argc; i++) {
		*bad = i;
		if (strlen(argv[i]) >= VAIO_ARG_MAX) {
			*error = "filter argument too long";
			return -EINVAL;
		}
		if (!type->params)
			continue;
		eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			*error = "filter argument is not key=value";
			return -EINVAL;
		}
		for (p = type->params; p->name; p++)
			if (strlen(p->name) == eq - argv[i] &&
			    !strncmp(p->name, argv[i], eq - argv[i]))
				break;
		if (!p->name) {
			*error = "unknown filter parameter";
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strncmp(argv[j], argv[i], eq - argv[i] + 1)) {
				*error = "filter parameter given twice";
				return -EINVAL;
			}
		}
		*error = check_value(p, eq + 1);
		if (*error)
			return -EINVAL;
	}
	/* The words together: no one word is at fault. */
	*bad = argc;
	if (type->ops.args_check &&
	    type->ops.args_check(argc, argv, error)) {
		if (!*error)
			*error = "filter refused its arguments";
		return -EINVAL;
	}
	return 0;
}

/*
 * May a filter of @type with table arguments @argv (checked already) have
 * fail mode @mode? The type's fail_modes first, then its own rule for
 * these arguments. Returns 0, or -EINVAL with *error (static).
 */
int vaio_fail_mode_check(const struct vaio_filter_type *type,
			 enum vaio_fail_mode mode, unsigned int argc,
			 char **argv, const char **error)
{
	*error = NULL;
	if (!(type->fail_modes & BIT(mode))) {
		*error = mode == VAIO_FAIL_OPEN ?
			 "filter type does not allow fail_open" :
			 "filter type does not allow fail_closed";
		return -EINVAL;
	}
	if (type->ops.fail_mode_check &&
	    type->ops.fail_mode_check(mode, argc, argv, error)) {
		if (!*error)
			*error = "filter refused the fail mode";
		return -EINVAL;
	}
	return 0;
}

/*
 * Why filters of types @a and @b (of two classes) cannot share a disk, or
 * NULL if they can: one excludes the other's class.
 */
const char *vaio_types_excluded(const struct vaio_filter_type *a,
				const struct vaio_filter_type *b)
{
	if (a->excludes & BIT(b->class))
		return a->excludes_why;
	if (b->excludes & BIT(a->class))
		return b->excludes_why;
	return NULL;
}

/*
 * The fail modes of a type: declared, and fail_open never for encryption
 * (bypassed, it would write plaintext).
 */
static bool fail_modes_valid(const struct vaio_filter_type *type)
{
	unsigned int all = VAIO_ALLOW_FAIL_OPEN | VAIO_ALLOW_FAIL_CLOSED;

	if (!type->fail_modes || (type->fail_modes & ~all))
		return false;
	return !(type->class == VAIO_CLASS_ENCRYPTION &&
		 (type->fail_modes & VAIO_ALLOW_FAIL_OPEN));
}

int vaio_register_filter(struct vaio_filter_type *type)
{
	int r = 0;

	const struct vaio_param *p;

	if (!type->name || !vaio_valid_name(type->name) ||
	    type->class >= VAIO_NR_CLASSES || !type->owner) {
		DMWARN("refusing malformed filter type %s",
		       type->name ? type->name : "(null)");
		return -EINVAL;
	}
	if (!fail_modes_valid(type)) {
		DMWARN("refusing filter type %s: no fail modes, or fail_open encryption",
		       type->name);
		return -EINVAL;
	}
	if (type->per_bio_data_size > VAIO_PER_BIO_DATA_MAX) {
		DMWARN("refusing filter type %s: per-bio data of %zu bytes, over %u",
		       type->name, type->per_bio_data_size,
		       VAIO_PER_BIO_DATA_MAX);
		return -EINVAL;
	}
	if (!type->nl_policy != !type->nl_maxattr ||
	    type->nl_maxattr > VAIO_NL_MAXATTR) {
		DMWARN("refusing filter type %s: nl_policy needs nl_maxattr 1 to %u",
		       type->name, VAIO_NL_MAXATTR);
		return -EINVAL;
	}
	for (p = type->params; p && p->name; p++) {
		if (!vaio_valid_name(p->name) || strchr(p->name, '=') ||
		    p->kind > VAIO_PARAM_KIND_STRING ||
		    (p->kind == VAIO_PARAM_KIND_ENUM && !p->choices)) {
			DMWARN("refusing filter type %s: malformed parameter",
			       type->name);
			return -EINVAL;
		}
	}

	spin_lock(&register_lock);
	if (__find_type(type->name)) {
		DMWARN("filter type %s is registered already", type->name);
		r = -EEXIST;
	} else {
		list_add_tail(&type->list, &register_list);
	}
	spin_unlock(&register_lock);

	if (!r)
		DMINFO("filter %s (%s) v%u.%u.%u registered", type->name,
		       vaio_class_name(type->class), type->version[0],
		       type->version[1], type->version[2]);
	return r;
}
EXPORT_SYMBOL_GPL(vaio_register_filter);

void vaio_unregister_filter(struct vaio_filter_type *type)
{
	spin_lock(&register_lock);
	list_del_init(&type->list);
	spin_unlock(&register_lock);
}
EXPORT_SYMBOL_GPL(vaio_unregister_filter);
