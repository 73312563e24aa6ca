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

int vaio_register_filter(struct vaio_filter_type *type)
{
	int r = 0;

	if (!type->name || !vaio_valid_name(type->name) ||
	    type->class >= VAIO_NR_CLASSES || !type->owner) {
		DMWARN("refusing malformed filter type %s",
		       type->name ? type->name : "(null)");
		return -EINVAL;
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
