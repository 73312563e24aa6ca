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

#include <linux/blkdev.h>
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
 * May @disk_id use @dev as its @what? 1: it does already (the claim is
 * taken again); 0: no vaio disk uses @dev; -EBUSY: another use has it.
 * Under vaio_claims_lock.
 */
static int claim_check(const char *disk_id, const char *what, dev_t dev,
		       bool shared, struct vaio_claim **mine, char **error)
{
	struct vaio_claim *c;
	int r = 0;

	list_for_each_entry(c, &vaio_claims, list) {
		if (c->dev != dev)
			continue;
		if (!strcmp(c->owner, disk_id) && !strcmp(c->what, what)) {
			*mine = c;
			return 1;
		}
		if (c->shared && shared && !strcmp(c->what, what)) {
			r = 1;		/* a new claim, on a device in use */
			continue;
		}
		DMERR("%s: device %u:%u cannot be its %s: it is the %s of disk %s",
		      disk_id, MAJOR(dev), MINOR(dev), what, c->what, c->owner);
		*error = "the device is in use by another vaio disk or filter";
		return -EBUSY;
	}
	*mine = NULL;
	return r;
}

/*
 * Claims @dev for @disk_id as its @what, as vaio_claim_device() says. With
 * @probe, a device no vaio disk uses yet must be free: a private exclusive
 * open proves that nothing (a file system, another dm device) holds it.
 */
static int claim_take(const char *disk_id, const char *what, dev_t dev,
		      bool shared, bool probe, char **error)
{
	struct vaio_claim *c, *new = kzalloc(sizeof(*new), GFP_KERNEL);
	struct block_device *bdev;
	int r;

	if (!new) {
		*error = "cannot allocate a device claim";
		return -ENOMEM;
	}
	mutex_lock(&vaio_claims_lock);
	r = claim_check(disk_id, what, dev, shared, &c, error);
	if (r < 0)
		goto out;
	if (c) {
		c->refs++;	/* another table of the disk */
		r = 0;
		goto out;
	}
	if (!r && probe) {
		bdev = blkdev_get_by_dev(dev, FMODE_READ | FMODE_EXCL,
					 &vaio_claims);
		if (IS_ERR(bdev)) {
			r = PTR_ERR(bdev);
			DMERR("%s: device %u:%u cannot be its %s: it is in use (%d)",
			      disk_id, MAJOR(dev), MINOR(dev), what, r);
			if (r == -EBUSY)
				*error = "the device is in use";
			goto out;
		}
		blkdev_put(bdev, FMODE_READ | FMODE_EXCL);
	}
	new->dev = dev;
	strscpy(new->owner, disk_id, sizeof(new->owner));
	strscpy(new->what, what, sizeof(new->what));
	new->shared = shared;
	new->refs = 1;
	list_add_tail(&new->list, &vaio_claims);
	new = NULL;
	r = 0;
out:
	mutex_unlock(&vaio_claims_lock);
	kfree(new);
	return r;
}

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
	return claim_take(disk_id, what, dev, shared, false, error);
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
 * Opens @path (a device path, or major:minor) for the filter's table with
 * dm_get_device(), so that it shows in dmsetup deps and lsblk and nothing
 * but dm opens it exclusively, and claims it for the filter's disk as its
 * @what. A device no vaio disk uses yet must be free: open exclusively by
 * nothing (no file system, no other dm device, no other table of this
 * device), as a private exclusive open proves; dm's claim then keeps
 * everything but dm off it, and the vaio claim every vaio disk.
 */
int vaio_get_device(struct vaio_filter *f, const char *path, const char *what,
		    bool shared, struct dm_dev **result, char **error)
{
	const char *disk_id = vaio_disk_id(f);
	unsigned int major, minor;
	char num[24], dummy;
	dev_t dev;
	int r;

	/* As dm_get_device(), but no bare names (numbers in hex). */
	if (sscanf(path, "%u:%u%c", &major, &minor, &dummy) == 2) {
		dev = MKDEV(major, minor);
		if (MAJOR(dev) != major || MINOR(dev) != minor)
			return -EOVERFLOW;
	} else if (path[0] != '/' || lookup_bdev(path, &dev)) {
		return -ENODEV;
	}
	r = claim_take(disk_id, what, dev, shared, true, error);
	if (r)
		return r;

	snprintf(num, sizeof(num), "%u:%u", MAJOR(dev), MINOR(dev));
	r = dm_get_device(f->ti, num, dm_table_get_mode(f->ti->table), result);
	if (r)
		vaio_release_device(disk_id, dev);
	return r;
}
EXPORT_SYMBOL_GPL(vaio_get_device);

void vaio_put_device(struct vaio_filter *f, struct dm_dev *dd)
{
	dev_t dev = dd->bdev->bd_dev;

	/* dm's open first: a first claim after ours probes a free device. */
	dm_put_device(f->ti, dd);
	vaio_release_device(vaio_disk_id(f), dev);
}
EXPORT_SYMBOL_GPL(vaio_put_device);
