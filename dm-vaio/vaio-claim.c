// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio device claims: which vaio disk uses which block device, for what.
 *
 * dm claims every device a table opens with one holder for all mapped
 * devices, so its exclusive open tells nothing between two vaio disks: the
 * disk below of one could be opened as another's replication metadata and
 * written over. The core therefore keeps its own list of the devices vaio
 * disks use (each disk's disk below, each filter's devices) and refuses a
 * second use of one device: a device serves one disk for one purpose, or
 * several disks for one shared purpose (a cache pool). The tables of one
 * disk (a reload) nest their claims.
 */

#include "vaio-internal.h"

#include <linux/mutex.h>
#include <linux/slab.h>

struct vaio_claim {
	struct list_head list;
	dev_t dev;
	char owner[VAIO_NAME_MAX];	/* the disk_id */
	char what[32];			/* the purpose, "disk below" */
	bool shared;
	unsigned int refs;
};

static DEFINE_MUTEX(vaio_claims_lock);
static LIST_HEAD(vaio_claims);

/*
 * Claims @dev for disk @disk_id, as its @what (a short purpose: "disk
 * below", "replication metadata"). @shared: other disks may use the device
 * for the same purpose. Fails with -EBUSY (and a kernel log line naming
 * the other use) if the device is already another disk's or used for
 * another purpose, -ENOMEM; sets *@error then. Each successful claim is
 * undone by one vaio_release_device().
 */
int vaio_claim_device(const char *disk_id, const char *what, dev_t dev,
		      bool shared, char **error)
{
	struct vaio_claim *c, *new = kzalloc(sizeof(*new), GFP_KERNEL);
	int r = 0;

	if (!new) {
		*error = "cannot allocate a device claim";
		return -ENOMEM;
	}
	mutex_lock(&vaio_claims_lock);
	list_for_each_entry(c, &vaio_claims, list) {
		if (c->dev != dev)
			continue;
		if (!strcmp(c->owner, disk_id) && !strcmp(c->what, what)) {
			c->refs++;	/* another table of the disk */
			goto out;
		}
		if (c->shared && shared && !strcmp(c->what, what))
			continue;
		DMERR("%s: device %u:%u cannot be its %s: it is the %s of disk %s",
		      disk_id, MAJOR(dev), MINOR(dev), what, c->what, c->owner);
		*error = "the device is in use by another vaio disk or filter";
		r = -EBUSY;
		goto out;
	}
	new->dev = dev;
	strscpy(new->owner, disk_id, sizeof(new->owner));
	strscpy(new->what, what, sizeof(new->what));
	new->shared = shared;
	new->refs = 1;
	list_add_tail(&new->list, &vaio_claims);
	new = NULL;
out:
	mutex_unlock(&vaio_claims_lock);
	kfree(new);
	return r;
}
EXPORT_SYMBOL_GPL(vaio_claim_device);

void vaio_release_device(const char *disk_id, dev_t dev)
{
	struct vaio_claim *c;

	mutex_lock(&vaio_claims_lock);
	list_for_each_entry(c, &vaio_claims, list) {
		if (c->dev == dev && !strcmp(c->owner, disk_id)) {
			if (!--c->refs) {
				list_del(&c->list);
				kfree(c);
			}
			mutex_unlock(&vaio_claims_lock);
			return;
		}
	}
	mutex_unlock(&vaio_claims_lock);
	WARN(1, "dm-vaio: %s releases device %u:%u it has not claimed\n",
	     disk_id, MAJOR(dev), MINOR(dev));
}
EXPORT_SYMBOL_GPL(vaio_release_device);

/*
 * Opens @path for the filter's table with dm_get_device() (it then shows in
 * dmsetup deps and lsblk, and dm holds it exclusively against everything
 * but dm) and claims it for the filter's disk as its @what.
 */
int vaio_get_device(struct vaio_filter *f, const char *path, const char *what,
		    bool shared, struct dm_dev **result, char **error)
{
	int r;

	r = dm_get_device(f->ti, path, dm_table_get_mode(f->ti->table),
			  result);
	if (r)
		return r;	/* the caller's message: it knows the device */
	r = vaio_claim_device(vaio_disk_id(f), what, (*result)->bdev->bd_dev,
			      shared, error);
	if (r) {
		dm_put_device(f->ti, *result);
		*result = NULL;
	}
	return r;
}
EXPORT_SYMBOL_GPL(vaio_get_device);

void vaio_put_device(struct vaio_filter *f, struct dm_dev *dd)
{
	vaio_release_device(vaio_disk_id(f), dd->bdev->bd_dev);
	dm_put_device(f->ti, dd);
}
EXPORT_SYMBOL_GPL(vaio_put_device);
