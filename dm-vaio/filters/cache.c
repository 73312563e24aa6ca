// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: caches the blocks of VM disks on a fast device.
 *
 * The cache device belongs to a pool, a device-mapper target of its own
 * ("vaio-cache-pool", created once per host); the filter of each disk
 * names the pool and takes a share of its blocks, of the pool's block
 * size (4 KiB, the default, to 1 MiB). The index (which block of which
 * disk is in which cache block) lives in memory, in the pool; a disk's
 * part of it outlives table reloads.
 *
 * Modes: writethrough (a write completes when the disk below and the
 * cache have it), writearound (writes go to the disk below only and drop
 * the cached copy) and writeback (a write completes when the cache has it,
 * its entry committed by the next flush, or at once for FUA; it reaches
 * the disk below later). In the first two the disk below is always up to
 * date, so losing the cache loses nothing and the disk carries on
 * uncached. In writeback the cache holds the newest data of its dirty
 * blocks: the filter fails closed, and the blocks are written back only to
 * the disk they belong to.
 *
 * Replacement is a segmented LRU with a ghost filter for admission and a
 * sequential-stream bypass; Documentation/cache.rst says why.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

LIST_HEAD(cache_pools);
/* The list, each pool's targets, and the disks' refs and bdevs. */
DEFINE_MUTEX(cache_pools_lock);

static const char * const mode_names[] = {
	[CACHE_WRITETHROUGH] = "writethrough",
	[CACHE_WRITEAROUND] = "writearound",
	[CACHE_WRITEBACK] = "writeback",
};

static const struct vaio_param cache_params[] = {
	{ .name = "pool", .kind = VAIO_PARAM_KIND_STRING,
	  .help = "the cache pool: its dm name or device path (required)" },
	{ .name = "mode", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = "writethrough|writearound|writeback", .def = "writethrough",
	  .help = "writethrough, writearound (writes bypass the cache) or writeback" },
	{ .name = "dirty_high", .kind = VAIO_PARAM_KIND_UINT, .min = 1,
	  .max = 100, .def = "40",
	  .help = "writeback: write-back starts when dirty blocks pass this percent of the pool" },
	{ .name = "dirty_low", .kind = VAIO_PARAM_KIND_UINT, .min = 0,
	  .max = 99, .def = "20",
	  .help = "writeback: and stops at this percent (below dirty_high)" },
	{ .name = "writeback_rate", .kind = VAIO_PARAM_KIND_UINT, .min = 0,
	  .max = 10485760, .def = "0",
	  .help = "KiB/s written back in the background (0: no limit)" },
	{ .name = "reserve", .kind = VAIO_PARAM_KIND_UINT, .min = 0, .max = 100,
	  .def = "0", .help = "percent of the pool no other disk may evict" },
	{ .name = "sequential_kib", .kind = VAIO_PARAM_KIND_UINT, .min = 0,
	  .max = 1048576, .def = "512",
	  .help = "a read stream this long is not cached (0: cache all)" },
	{ }
};

static int cache_ctr(struct vaio_filter *f, unsigned int argc, char **argv,
		     char **error)
{
	const char *pool = vaio_param(argc, argv, "pool");
	const char *mode = vaio_param(argc, argv, "mode");
	const char *v;
	struct cache_filter *cf;
	struct cache_disk *d;
	struct cache_pool *p;
	char *path;
	u32 reserve = 0, seq = 512, high = 40, low = 20, rate = 0;
	int r;

	if (!pool) {
		*error = "cache needs pool=";
		return -EINVAL;
	}
	v = vaio_param(argc, argv, "reserve");
	if (v && kstrtou32(v, 10, &reserve))
		return -EINVAL;
	v = vaio_param(argc, argv, "sequential_kib");
	if (v && kstrtou32(v, 10, &seq))
		return -EINVAL;
	v = vaio_param(argc, argv, "dirty_high");
	if (v && kstrtou32(v, 10, &high))
		return -EINVAL;
	v = vaio_param(argc, argv, "dirty_low");
	if (v && kstrtou32(v, 10, &low))
		return -EINVAL;
	v = vaio_param(argc, argv, "writeback_rate");
	if (v && kstrtou32(v, 10, &rate))
		return -EINVAL;
	if (low >= high) {
		*error = "cache dirty_low must be below dirty_high";
		return -EINVAL;
	}

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf) {
		*error = "cannot allocate cache filter";
		return -ENOMEM;
	}
	cf->mode = CACHE_WRITETHROUGH;
	if (mode && !strcmp(mode, "writearound"))
		cf->mode = CACHE_WRITEAROUND;
	else if (mode && !strcmp(mode, "writeback"))
		cf->mode = CACHE_WRITEBACK;
	/*
	 * Write-back keeps written data on the cache device: the VM's flushes
	 * must reach it even over a disk below without a volatile cache. In
	 * every mode (as dm-cache): a device stacked on the disk takes the
	 * flag when its own table loads, and a reload of the disk to
	 * writeback later would not reach it.
	 */
	f->needs_flush = true;
	/* Writes may have ended below before this table: flush them. */
	atomic64_set(&cf->below_done, 1);
	cf->dirty_high = high;
	cf->dirty_low = low;
	cf->rate_kib = rate;
	cf->seq_sectors = (sector_t)seq << 1;

	/* A name is a dm device; a path or major:minor is used as given. */
	if (strchr(pool, '/') || strchr(pool, ':'))
		path = kstrdup(pool, GFP_KERNEL);
	else
		path = kasprintf(GFP_KERNEL, "/dev/mapper/%s", pool);
	if (!path) {
		r = -ENOMEM;
		*error = "cannot allocate cache filter";
		goto bad;
	}
	/* Holding the pool device open keeps it from being removed. */
	*error = NULL;
	r = vaio_get_device(f, path, "cache pool", true, &cf->pool_dd, error);
	kfree(path);
	if (r) {
		if (!*error)
			*error = "cannot open cache pool device";
		goto bad;
	}

	mutex_lock(&cache_pools_lock);
	p = pool_find(cf->pool_dd->bdev->bd_dev);
	if (!p) {
		mutex_unlock(&cache_pools_lock);
		*error = "pool= is not a vaio-cache-pool device";
		r = -EINVAL;
		goto bad_dev;
	}
	r = disk_elsewhere(p, vaio_disk_id(f), error);
	if (r) {
		mutex_unlock(&cache_pools_lock);
		goto bad_dev;
	}
	d = disk_get(p, f, reserve, error);
	if (IS_ERR(d)) {
		mutex_unlock(&cache_pools_lock);
		r = PTR_ERR(d);
		goto bad_dev;
	}
	refcount_inc(&p->ref);
	mutex_unlock(&cache_pools_lock);

	cf->pool = p;
	cf->d = d;
	f->private = cf;
	return 0;

bad_dev:
	vaio_put_device(f, cf->pool_dd);
bad:
	kfree(cf);
	return r;
}

static void cache_dtr(struct vaio_filter *f)
{
	struct cache_filter *cf = f->private;
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;

	mutex_lock(&cache_pools_lock);
	if (d->bdev_owner == f) {
		mutex_lock(&p->wb_lock);
		d->bdev = NULL;
		d->bdev_owner = NULL;
		mutex_unlock(&p->wb_lock);
	}
	disk_put(p, d);
	mutex_unlock(&cache_pools_lock);
	pool_put(p);
	vaio_put_device(f, cf->pool_dd);
	kfree(cf);
}

/* Did @f take the disk at its resume, over the disk below @below? */
static bool took_disk(struct vaio_filter *f, struct cache_disk *d,
		      struct block_device *below)
{
	return d->bdev_owner == f && d->data_dev == below->bd_dev;
}

/*
 * May @f write the disk's dirty blocks to @below at an event? Only the
 * instance that took the disk at its resume, over the disk below it took,
 * and not bypassed: one that never took the disk may hold the blocks of
 * another disk below (cache_event()'s resume), a bypassed one blocks older
 * than writes that skipped it. One that failed closed let nothing past:
 * its blocks are the newest (the cache device may have come back).
 */
static bool may_write_back(struct vaio_filter *f, struct cache_disk *d,
			   struct block_device *below)
{
	bool bypassed = READ_ONCE(f->state) == VAIO_FILTER_BYPASSED;

	if (!READ_ONCE(d->dirty))
		return false;
	if (!bypassed && took_disk(f, d, below))
		return true;
	DMERR("disk %s: %u dirty blocks not written back: the cache filter is %s",
	      d->id, READ_ONCE(d->dirty),
	      bypassed ? "bypassed" : "not the disk's");
	return false;
}

/*
 * Before a detach or a snapshot, while they can still be vetoed: write
 * back what is dirty (event() writes back what was written since).
 */
static int cache_event_check(struct vaio_filter *f, const struct vaio_event *ev,
			     const char **reason)
{
	struct cache_filter *cf = f->private;

	/*
	 * The disk ran without the cache, which holds dirty blocks from
	 * before: the disk below may have newer writes of the same blocks,
	 * which writing them back would undo. The admin says: the pool's
	 * forget message drops them, adopt keeps them for this attach.
	 */
	if (ev->type == VAIO_EV_ATTACH &&
	    (!ev->disk_new || READ_ONCE(cf->d->ran_without)) &&
	    READ_ONCE(cf->d->dirty) && !READ_ONCE(cf->d->adopted)) {
		DMERR("disk %s: %u dirty blocks in pool %s from before it ran without the cache",
		      cf->d->id, READ_ONCE(cf->d->dirty), cf->pool->name);
		*reason = "the cache holds dirty blocks from before the disk ran without it";
		return -EBUSY;
	}
	if (ev->type != VAIO_EV_DETACH && ev->type != VAIO_EV_SNAPSHOT)
		return 0;
	if (READ_ONCE(cf->pool->failed) && READ_ONCE(cf->d->dirty)) {
		*reason = "the cache device failed holding dirty blocks";
		return -EIO;
	}
	if (may_write_back(f, cf->d, f->data_dev->bdev) &&
	    wb_all(cf->pool, cf->d, f->data_dev->bdev)) {
		*reason = "cannot write back the cache's dirty blocks";
		return -EIO;
	}
	return 0;
}

/*
 * RESUME, before an instance's first bio, with the disk's other table
 * suspended: a table on another disk below, or a smaller one, keeps
 * nothing of the cache (a block past the end could change unseen, and
 * come back); the instance's mode and disk below become the disk's.
 * DETACH and SNAPSHOT: the disk below gets every dirty block first.
 * QUIESCE of a suspend that flushes: so does it, for the next table may be
 * another target's, which reads the disk below as it is; and of any
 * suspend in writeback mode, a commit.
 */
static void cache_event(struct vaio_filter *f, const struct vaio_event *ev)
{
	struct cache_filter *cf = f->private;
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;
	struct block_device *below = f->data_dev->bdev;
	u32 high, low;

	switch (ev->type) {
	case VAIO_EV_RESUME:
		break;
	case VAIO_EV_ATTACH:
		/*
		 * Joining a disk that ran without the cache: what the place
		 * kept from before (the disk's last table, a boot before)
		 * may have changed below since. Never written back: writes
		 * made without the cache may be newer (the load was refused
		 * if there were dirty blocks, cache_event_check()).
		 */
		if (!ev->disk_new && READ_ONCE(d->used))
			disk_purge(p, d, NULL);
		if (READ_ONCE(d->adopted)) {
			mutex_lock(&cache_pools_lock);
			disk_ran_without(p, d, false);
			mutex_unlock(&cache_pools_lock);
			WRITE_ONCE(d->adopted, false);
		}
		return;
	case VAIO_EV_DETACH:
		/* A disk that goes on without the cache keeps nothing in it. */
		if (ev->disk_gone) {
			if (may_write_back(f, d, below))
				wb_all(p, d, below);
			/* Bypassed, it missed writes: nothing of it is kept. */
			else if (READ_ONCE(f->state) == VAIO_FILTER_BYPASSED)
				disk_purge(p, d, NULL);
			return;
		}
		/*
		 * Dirty blocks left now: a write-back at QUIESCE failed (a
		 * table of another target that replaced this one may already
		 * have written the same blocks), or a noflush suspend before
		 * a reload without the cache. Written back still (dropping
		 * them loses acknowledged writes), but said. Clean blocks go
		 * in any case.
		 */
		if (may_write_back(f, d, below)) {
			DMERR("disk %s: %u dirty blocks written back at the detach",
			      d->id, READ_ONCE(d->dirty));
			disk_purge(p, d, below);
		} else {
			disk_purge(p, d, NULL);
		}
		/* Left: the disk goes on without them (see cache_event_check()). */
		if (READ_ONCE(d->dirty)) {
			mutex_lock(&cache_pools_lock);
			disk_ran_without(p, d, true);
			mutex_unlock(&cache_pools_lock);
		}
		return;
	case VAIO_EV_QUIESCE:
		/*
		 * Write-back writes acknowledged before a flush came: their
		 * entries durable now, for the next table may offer no
		 * volatile cache, and no flush would come (a failed commit
		 * fails the pool).
		 */
		if (cf->mode == CACHE_WRITEBACK && !READ_ONCE(p->failed))
			meta_commit(p);
		if (ev->flush && !READ_ONCE(p->failed) &&
		    may_write_back(f, d, below))
			wb_all(p, d, below);
		return;
	case VAIO_EV_SNAPSHOT:
		wb_all(p, d, below);
		return;
	default:
		return;
	}

	mutex_lock(&cache_pools_lock);
	/*
	 * Dirty blocks of this disk below, found now: a failure before they
	 * are written back must not bypass the cache (see the end).
	 */
	WRITE_ONCE(f->no_bypass, !!READ_ONCE(d->dirty));
	/* Unknown (found on the device after a restart): taken as it is. */
	if ((d->data_dev && d->data_dev != below->bd_dev) || f->ti->len < d->len) {
		DMINFO("disk %s: disk below changed or shrank, its cache emptied",
		       d->id);
		disk_purge(p, d, d->bdev);
		if (READ_ONCE(d->dirty)) {
			mutex_unlock(&cache_pools_lock);
			DMERR("disk %s: %u dirty blocks of its old disk below not written back",
			      d->id, READ_ONCE(d->dirty));
			/*
			 * Another disk's: bypassed, this disk below serves
			 * its own data. The same disk below, shrunk: failed.
			 */
			if (d->data_dev && d->data_dev != below->bd_dev) {
				WRITE_ONCE(f->no_bypass, false);
				/* Their disk below may change meanwhile. */
				mutex_lock(&cache_pools_lock);
				disk_ran_without(p, d, true);
				mutex_unlock(&cache_pools_lock);
			}
			vaio_filter_error(f, "dirty blocks of another disk below");
			return;
		}
	}
	if (d->len != f->ti->len) {
		/* Before a write past the old end can be in the cache. */
		struct cache_disk_entry *e = disktab_entry(p, d->idx);

		e->len = cpu_to_le64(f->ti->len);
		if (disktab_write(p, d->idx)) {
			mutex_unlock(&cache_pools_lock);
			vaio_filter_error(f, "cannot write the cache pool's disk table");
			return;
		}
	}
	d->data_dev = below->bd_dev;
	d->len = f->ti->len;
	/*
	 * Dirty blocks from write-back mode (a noflush suspend, or write-back
	 * errors) under an instance that is not in write-back mode: written
	 * back before its first bio, so that they are not left to a cache
	 * that may be bypassed. The background write-back takes what fails.
	 */
	if (cf->mode != CACHE_WRITEBACK && READ_ONCE(d->dirty) &&
	    !READ_ONCE(p->failed) &&
	    READ_ONCE(f->state) != VAIO_FILTER_BYPASSED && wb_all(p, d, below))
		DMERR("disk %s: %u dirty blocks left in %s mode: no bypass until written back",
		      d->id, READ_ONCE(d->dirty), mode_names[cf->mode]);
	/*
	 * Bypassed, it would serve the old data below for them, and the
	 * write-back would later put them over newer writes: it fails closed
	 * until they are written back (wb_slots() clears it).
	 */
	WRITE_ONCE(f->no_bypass, !!READ_ONCE(d->dirty));
	high = div_u64((u64)p->nslots * cf->dirty_high, 100);
	low = div_u64((u64)p->nslots * cf->dirty_low, 100);
	mutex_lock(&p->wb_lock);
	d->bdev = below;
	d->bdev_owner = f;
	spin_lock_irq(&p->lock);
	d->writeback = cf->mode == CACHE_WRITEBACK;
	d->dirty_high = high;
	d->dirty_low = low;
	d->rate_kib = cf->rate_kib;
	wb_pool_marks(p);
	if (d->dirty)
		wb_kick(p, d);
	spin_unlock_irq(&p->lock);
	mutex_unlock(&p->wb_lock);
	mutex_unlock(&cache_pools_lock);
}

static int cache_message(struct vaio_filter *f, unsigned int argc, char **argv,
			 char *result, unsigned int maxlen)
{
	struct cache_filter *cf = f->private;
	struct block_device *below = f->data_dev->bdev;
	struct cache_disk *d = cf->d;

	/*
	 * Dirty blocks go below only from the instance that took the disk,
	 * over the disk below it took, not bypassed (may_write_back()): they
	 * may be another disk's. Without that, kept: -EBUSY.
	 */
	if (argc == 1 && !strcmp(argv[0], "invalidate")) {
		/* Only the owner makes dirty blocks: none come meanwhile. */
		if (READ_ONCE(d->dirty) && !may_write_back(f, d, below)) {
			disk_purge(cf->pool, d, NULL);
			return -EBUSY;
		}
		return disk_purge(cf->pool, d, below);
	}
	if (argc == 1 && !strcmp(argv[0], "writeback")) {
		if (!READ_ONCE(d->dirty))
			return 0;
		if (!may_write_back(f, d, below))
			return -EBUSY;
		return wb_all(cf->pool, d, below) ? -EIO : 0;
	}
	DMWARN("disk %s: unknown cache message '%s'", vaio_disk_id(f), argv[0]);
	return -EINVAL;
}

static void cache_status(struct vaio_filter *f, char *result,
			 unsigned int maxlen)
{
	struct cache_filter *cf = f->private;
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d, c;
	unsigned int sz = 0;
	bool failed;

	spin_lock_irq(&p->lock);
	c = *d;
	failed = p->failed;
	spin_unlock_irq(&p->lock);

	DMEMIT("mode %s pool %s state %s blocks %u reserved %u ",
	       mode_names[cf->mode], p->name, failed ? "failed" : "ok",
	       c.used, c.reserve_blocks);
	DMEMIT("read_hits %llu read_misses %llu read_hit_kib %llu read_miss_kib %llu ",
	       c.read_hits, c.read_misses, c.read_hit_sectors >> 1,
	       c.read_miss_sectors >> 1);
	DMEMIT("write_hits %llu write_misses %llu ", c.write_hits,
	       c.write_misses);
	DMEMIT("promotions %llu demotions %llu invalidations %llu seq_bypass %llu ",
	       c.promotions, c.demotions, c.invalidations, c.seq_bypass);
	DMEMIT("dirty %u writeback_kib %llu writeback_errors %llu ", c.dirty,
	       c.writeback_sectors >> 1, c.writeback_errors);
	DMEMIT("memory_hits %llu memory_blocks %u", c.mem_hits, c.mem_used);
}

/*
 * Bypassed, a write-through or write-around cache only misses writes: it is
 * emptied when reactivated. A write-back one would serve stale data and
 * hide its dirty blocks from the disk below: it is fail_closed or nothing.
 */
static int cache_fail_mode_check(enum vaio_fail_mode mode, unsigned int argc,
				 char **argv, const char **reason)
{
	const char *m = vaio_param(argc, argv, "mode");

	if (mode == VAIO_FAIL_OPEN && m && !strcmp(m, "writeback")) {
		*reason = "cache: mode=writeback needs fail_closed";
		return -EINVAL;
	}
	return 0;
}

/*
 * Bypassed, the cache missed writes: what it holds of the disk may be
 * stale, so it starts empty again (it holds nothing dirty: write-back is
 * never bypassed). Failed closed, nothing went past it: it goes on with
 * what it holds. Either way only over a working cache device.
 */
static int cache_reactivate(struct vaio_filter *f)
{
	struct cache_filter *cf = f->private;
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;

	if (READ_ONCE(p->failed)) {
		DMERR("disk %s: the cache device of pool %s failed", d->id,
		      p->name);
		return -EIO;
	}
	/* Failed at its resume: it never took the disk below. Reload. */
	mutex_lock(&cache_pools_lock);
	if (!took_disk(f, d, f->data_dev->bdev)) {
		mutex_unlock(&cache_pools_lock);
		DMERR("disk %s: the cache never took this disk below: reload the table",
		      d->id);
		return -EBUSY;
	}
	mutex_unlock(&cache_pools_lock);
	if (READ_ONCE(f->state) == VAIO_FILTER_BYPASSED) {
		disk_purge(p, d, NULL);
		if (READ_ONCE(d->dirty)) {
			DMERR("disk %s: %u dirty blocks in a bypassed cache",
			      d->id, READ_ONCE(d->dirty));
			return -EBUSY;
		}
	}
	return 0;
}

/* The VM's data goes to the cache device too: its block sizes hold. */
static void cache_io_hints(struct vaio_filter *f, struct queue_limits *limits)
{
	struct cache_filter *cf = f->private;

	vaio_stack_limits(limits, cf->pool->cdev);
}

static struct vaio_filter_type cache_type = {
	.name = "cache",
	.class = VAIO_CLASS_CACHE,
	.version = { 0, 1, 0 },
	.owner = THIS_MODULE,
	.per_bio_data_size = sizeof(struct cache_io),
	.params = cache_params,
	.fail_modes = VAIO_ALLOW_FAIL_OPEN | VAIO_ALLOW_FAIL_CLOSED,
	.ops = {
		.ctr = cache_ctr,
		.dtr = cache_dtr,
		.map = cache_map,
		.end_io = cache_end_io,
		.event_check = cache_event_check,
		.event = cache_event,
		.message = cache_message,
		.status = cache_status,
		.io_hints = cache_io_hints,
		.reactivate = cache_reactivate,
		.fail_mode_check = cache_fail_mode_check,
	},
};

static int __init cache_init(void)
{
	int r;

	r = dm_register_target(&pool_target);
	if (r)
		return r;
	r = vaio_register_filter(&cache_type);
	if (r)
		dm_unregister_target(&pool_target);
	return r;
}

static void __exit cache_exit(void)
{
	vaio_unregister_filter(&cache_type);
	dm_unregister_target(&pool_target);
}

module_init(cache_init);
module_exit(cache_exit);

MODULE_DESCRIPTION("dm-vaio cache filter and cache pool target");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-vaio-cache");
MODULE_ALIAS("dm-vaio-cache-pool");
