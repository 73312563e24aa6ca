// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: the pool target, vaio-cache-pool <cache
 * device> [args]. It owns the cache device; the pool (struct cache_pool)
 * lives while its target or a disk's filter holds it.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/crc32c.h>
#include <linux/device-mapper.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

void pool_error(struct cache_pool *p)
{
	p->errors++;
	if (!p->failed) {
		p->failed = true;
		DMERR("pool %s: cache device error; its disks carry on uncached",
		      p->name);
	}
}

struct cache_pool *pool_find(dev_t dev)
{
	struct cache_pool *p;

	lockdep_assert_held(&cache_pools_lock);
	list_for_each_entry(p, &cache_pools, list)
		if (p->dev == dev)
			return p;
	return NULL;
}

static void pool_free(struct cache_pool *p)
{
	unsigned int i;

	if (p->wq)
		destroy_workqueue(p->wq);
	bioset_exit(&p->bs);
	/* Disks kept for their dirty blocks; these are on the device. */
	for (i = 0; i < CACHE_MAX_DISKS; i++) {
		if (p->disks[i]) {
			kfree(p->disks[i]->id);
			kfree(p->disks[i]);
		}
	}
	for (i = 0; i < CACHE_COMMIT_PAGES; i++)
		if (p->commit_pages[i])
			__free_page(p->commit_pages[i]);
	if (p->wb_pages)
		for (i = 0; i < p->wb_blocks * block_pages(p); i++)
			if (p->wb_pages[i])
				__free_page(p->wb_pages[i]);
	kfree(p->wb_pages);
	for (i = 0; i < ARRAY_SIZE(p->disktab); i++)
		if (p->disktab[i])
			__free_page(p->disktab[i]);
	if (p->mem_pages)
		for (i = 0; i < p->mem_blocks; i++)
			if (p->mem_pages[i])
				__free_page(p->mem_pages[i]);
	kvfree(p->mem_pages);
	kvfree(p->mem);
	kvfree(p->slot_mem);
	index_free(p);
	if (p->cdev)
		blkdev_put(p->cdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	kfree(p);
}

void pool_put(struct cache_pool *p)
{
	mutex_lock(&cache_pools_lock);
	if (!refcount_dec_and_test(&p->ref)) {
		mutex_unlock(&cache_pools_lock);
		return;
	}
	list_del(&p->list);
	mutex_unlock(&cache_pools_lock);
	/* No disk is left: no bio is in flight but promotions. */
	cancel_delayed_work_sync(&p->wb_work);
	/* pool_save() commits what it would have. */
	cancel_delayed_work_sync(&p->commit_work);
	flush_workqueue(p->wq);
	spin_lock_irq(&p->lock);
	while (p->nr_filling) {
		spin_unlock_irq(&p->lock);
		msleep(20);
		flush_workqueue(p->wq);
		spin_lock_irq(&p->lock);
	}
	spin_unlock_irq(&p->lock);
	pool_save(p);
	pool_free(p);
}

/*
 * A pool table's target (ti->private): the pool, shared by its tables,
 * and this table's settings, the pool's once it is live (pool_resume()).
 */
struct pool_c {
	struct cache_pool *p;
	u32 commit_ms;
};

/* What a pool's table says besides its cache device. */
#define POOL_ARGS "memory_mib=, block_size=, uuid=, commit_ms=, format"
struct pool_args {
	u32 mem_mib;		/* memory_mib=; 0: none */
	u32 commit_ms;		/* commit_ms=; 0: not given */
	u32 block_size;		/* block_size=; 0: not given */
	bool has_uuid;		/* uuid=: the pool must be this one */
	uuid_t uuid;
	bool format;		/* format: a device without a pool may be made one */
};

/* A pool without a uuid gets the one the table names, or a new one. */
static void pool_uuid_set(struct cache_pool *p, const struct pool_args *a)
{
	if (a->has_uuid)
		uuid_copy(&p->uuid, &a->uuid);
	else
		uuid_gen(&p->uuid);
}

/*
 * The block size: a pool's on the device keeps its own (block_size= must
 * say the same, if given); a new one gets block_size=, or 4 KiB.
 */
static int pool_block_size(struct dm_target *ti, struct cache_pool *p,
			   struct cache_sb *sb, const struct pool_args *a)
{
	u32 bytes = a->block_size ?: CACHE_DEFAULT_BLOCK_BYTES;

	/* Other versions, and bad checksums: pool_create() refuses them. */
	if (le64_to_cpu(sb->magic) == CACHE_MAGIC &&
	    (le32_to_cpu(sb->version) == CACHE_VERSION ||
	     le32_to_cpu(sb->version) == 2) && sb_csum_ok(sb)) {
		bytes = le32_to_cpu(sb->block_size);
		if (!block_size_valid(bytes)) {
			ti->error = "cache pool's superblock has an unknown block size";
			return -EINVAL;
		}
		if (a->block_size && a->block_size != bytes) {
			DMERR("%pg holds a cache pool of %u-byte blocks, not %u",
			      p->cdev, bytes, a->block_size);
			ti->error = "cache device holds a pool of another block size";
			return -EINVAL;
		}
	}
	pool_set_block_size(p, bytes);
	return 0;
}

static struct cache_pool *pool_create(struct dm_target *ti, dev_t cdev,
				      dev_t dev, const struct pool_args *a)
{
	u32 mem_mib = a->mem_mib;
	struct cache_pool *p;
	struct cache_sb *sb;
	struct page *sbp = NULL;
	u32 i;
	int r;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		ti->error = "cannot allocate cache pool";
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&p->ref, 1);
	p->dev = dev;
	p->commit_ms = CACHE_DEFAULT_COMMIT_MS;
	spin_lock_init(&p->lock);
	mutex_init(&p->commit_lock);
	mutex_init(&p->wb_lock);
	INIT_WORK(&p->work, pool_work);
	INIT_WORK(&p->flush_work, pool_flush_work);
	INIT_DELAYED_WORK(&p->commit_work, commit_work);
	INIT_WORK(&p->range_work, range_work);
	INIT_DELAYED_WORK(&p->wb_work, wb_work);
	bio_list_init(&p->fills);
	bio_list_init(&p->retries);
	p->open_gen = 1;
	if (dm_copy_name_and_uuid(dm_table_get_md(ti->table), p->name, NULL))
		strscpy(p->name, "?", sizeof(p->name));

	p->cdev = blkdev_get_by_dev(cdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
				    p);
	if (IS_ERR(p->cdev)) {
		r = PTR_ERR(p->cdev);
		p->cdev = NULL;
		ti->error = "cannot open cache device exclusively";
		goto bad;
	}
	r = -ENOMEM;
	ti->error = "cannot allocate the pool's I/O pages";
	sbp = alloc_page(GFP_KERNEL);
	if (!sbp)
		goto bad;
	ti->error = "cannot allocate the pool's bio set";
	r = bioset_init(&p->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (r)
		goto bad;
	ti->error = "cannot read the cache device";
	r = pool_rw(p, REQ_OP_READ, CACHE_SB_SECTOR, &sbp, 1);
	if (r)
		goto bad;
	sb = page_address(sbp);
	r = pool_block_size(ti, p, sb, a);
	if (r)
		goto bad;
	if (!pool_geometry(p, bdev_nr_sectors(p->cdev))) {
		ti->error = "cache device is too small or too large";
		r = -EINVAL;
		goto bad;
	}
	ti->error = "cannot allocate cache index";
	r = index_init(p);
	if (r)
		goto bad;
	r = -ENOMEM;
	ti->error = "cannot allocate the pool's I/O pages";
	for (i = 0; i < CACHE_COMMIT_PAGES; i++) {
		p->commit_pages[i] = alloc_page(GFP_KERNEL);
		if (!p->commit_pages[i])
			goto bad;
	}
	p->wb_pages = kcalloc(p->wb_blocks * block_pages(p),
			      sizeof(*p->wb_pages), GFP_KERNEL);
	if (!p->wb_pages)
		goto bad;
	for (i = 0; i < p->wb_blocks * block_pages(p); i++) {
		p->wb_pages[i] = alloc_page(GFP_KERNEL);
		if (!p->wb_pages[i])
			goto bad;
	}
	for (i = 0; i < ARRAY_SIZE(p->disktab); i++) {
		p->disktab[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!p->disktab[i])
			goto bad;
	}
	r = mem_create(p, mem_mib, &ti->error);
	if (r)
		goto bad;

	ti->error = "cannot allocate the pool's workqueue";
	r = -ENOMEM;
	p->wq = alloc_workqueue("vaio-cache", WQ_MEM_RECLAIM, 0);
	if (!p->wq)
		goto bad;

	/*
	 * Another version: one before the checksums (1), or a later one
	 * whose superblock checks out. Any other version is a corrupt
	 * superblock, not a pool to write back with another module. Version
	 * 2 (64 disks) is taken, and made version 3 (pool_recover()).
	 */
	if (le64_to_cpu(sb->magic) == CACHE_MAGIC &&
	    le32_to_cpu(sb->version) != CACHE_VERSION &&
	    le32_to_cpu(sb->version) != 2 &&
	    (le32_to_cpu(sb->version) == 1 || sb_csum_ok(sb))) {
		DMERR("%pg holds a version %u cache pool, this module knows version %u",
		      p->cdev, le32_to_cpu(sb->version), CACHE_VERSION);
		ti->error = "cache device holds a cache pool of another version";
		r = -EINVAL;
		goto bad;
	}
	if (le64_to_cpu(sb->magic) == CACHE_MAGIC && !sb_csum_ok(sb)) {
		ti->error = "cache pool's superblock fails its checksum";
		r = -EINVAL;
		goto bad;
	}
	if (le64_to_cpu(sb->magic) == CACHE_MAGIC) {
		/*
		 * The pool named, or another one (a device renumbered at a
		 * reboot)? Without a uuid (made before they were): it gets
		 * the one named, or a new one, from now on.
		 */
		import_uuid(&p->uuid, sb->uuid);
		if (uuid_is_null(&p->uuid) && a->format) {
			/* A new pool was asked for: not this old one. */
			ti->error = "cache device holds a pool without uuid (uuid= takes it)";
			r = -EEXIST;
			goto bad;
		} else if (uuid_is_null(&p->uuid)) {
			pool_uuid_set(p, a);
		} else if (a->has_uuid && !uuid_equal(&p->uuid, &a->uuid)) {
			DMERR("%pg holds cache pool %pUb, not %pUb", p->cdev,
			      &p->uuid, &a->uuid);
			ti->error = "cache device holds another cache pool (uuid)";
			r = -EINVAL;
			goto bad;
		}
		p->csum_seed = crc32c(~0U, &p->uuid, sizeof(p->uuid));
		r = pool_recover(p, sbp, &ti->error);
	} else if (!a->format) {
		/* Never made a pool of a device that was not said to be one. */
		ti->error = "cache device holds no cache pool (give format to make one)";
		r = -EINVAL;
	} else {
		pool_uuid_set(p, a);
		p->csum_seed = crc32c(~0U, &p->uuid, sizeof(p->uuid));
		ti->error = "cannot format the cache device";
		r = pool_format(p, sbp);
	}
	if (r)
		goto bad;
	__free_page(sbp);
	return p;

bad:
	if (sbp)
		__free_page(sbp);
	pool_free(p);
	return ERR_PTR(r);
}

static int pool_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	dev_t dev = disk_devt(dm_disk(dm_table_get_md(ti->table)));
	struct pool_args a = { };
	struct cache_pool *p;
	struct pool_c *pc;
	unsigned int i;
	dev_t cdev;
	int r;

	if (argc < 1 || argc > 6) {
		ti->error = "a cache device, " POOL_ARGS;
		return -EINVAL;
	}
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "memory_mib=", 11)) {
			if (kstrtou32(argv[i] + 11, 10, &a.mem_mib) ||
			    !a.mem_mib || a.mem_mib > CACHE_MEM_MAX_MIB) {
				ti->error = "memory_mib must be a number of MiB from 1 to 65536";
				return -EINVAL;
			}
		} else if (!strncmp(argv[i], "block_size=", 11)) {
			if (kstrtou32(argv[i] + 11, 10, &a.block_size) ||
			    !block_size_valid(a.block_size)) {
				ti->error = "block_size must be a power of two, 4096 to 1048576";
				return -EINVAL;
			}
		} else if (!strncmp(argv[i], "uuid=", 5)) {
			if (uuid_parse(argv[i] + 5, &a.uuid) ||
			    uuid_is_null(&a.uuid)) {
				ti->error = "uuid= must be a UUID (not all zeros)";
				return -EINVAL;
			}
			a.has_uuid = true;
		} else if (!strncmp(argv[i], "commit_ms=", 10)) {
			if (kstrtou32(argv[i] + 10, 10, &a.commit_ms) ||
			    !a.commit_ms || a.commit_ms > CACHE_MAX_COMMIT_MS) {
				ti->error = "commit_ms must be a number of ms from 1 to 3600000";
				return -EINVAL;
			}
		} else if (!strcmp(argv[i], "format")) {
			a.format = true;
		} else {
			ti->error = "arguments are " POOL_ARGS;
			return -EINVAL;
		}
	}
	/* A path or major:minor, as dm tables name devices. */
	cdev = dm_get_dev_t(argv[0]);
	if (!cdev) {
		ti->error = "cannot find cache device";
		return -ENODEV;
	}

	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	if (!pc) {
		ti->error = "cannot allocate cache pool target";
		return -ENOMEM;
	}
	mutex_lock(&cache_pools_lock);
	p = pool_find(dev);
	if (p) {
		/* A reload of a pool in use keeps the pool, not the device. */
		r = -EBUSY;
		if (p->cdev->bd_dev != cdev) {
			ti->error = "pool is in use with another cache device";
			goto bad;
		}
		if (p->mem_mib != a.mem_mib) {
			ti->error = "pool is in use with another memory tier size";
			goto bad;
		}
		if (a.block_size && a.block_size != block_bytes(p)) {
			ti->error = "pool is in use with another block size";
			goto bad;
		}
		if (a.has_uuid && !uuid_equal(&p->uuid, &a.uuid)) {
			ti->error = "pool is in use with another uuid";
			goto bad;
		}
		refcount_inc(&p->ref);
	} else {
		p = pool_create(ti, cdev, dev, &a);
		if (IS_ERR(p)) {
			r = PTR_ERR(p);
			goto bad;
		}
		list_add(&p->list, &cache_pools);
		DMINFO("pool %s: %u blocks of %u KiB on %pg, %u MiB of memory",
		       p->name, p->nslots, block_bytes(p) >> 10, p->cdev,
		       p->mem_mib);
	}
	p->targets++;
	mutex_unlock(&cache_pools_lock);
	pc->p = p;
	pc->commit_ms = a.commit_ms ?: CACHE_DEFAULT_COMMIT_MS;
	ti->private = pc;
	ti->num_flush_bios = 0;
	return 0;

bad:
	mutex_unlock(&cache_pools_lock);
	kfree(pc);
	return r;
}

static void pool_dtr(struct dm_target *ti)
{
	struct pool_c *pc = ti->private;
	struct cache_pool *p = pc->p;

	mutex_lock(&cache_pools_lock);
	p->targets--;
	mutex_unlock(&cache_pools_lock);
	pool_put(p);
	kfree(pc);
}

/*
 * The table's settings become the pool's when it goes live: a commit
 * armed for longer than a shorter commit_ms allows runs now.
 */
static void pool_resume(struct dm_target *ti)
{
	struct pool_c *pc = ti->private;
	struct cache_pool *p = pc->p;

	WRITE_ONCE(p->commit_ms, pc->commit_ms);
	if (delayed_work_pending(&p->commit_work))
		mod_delayed_work(p->wq, &p->commit_work, 0);
}

/* The pool device carries no data of its own. */
static int pool_map(struct dm_target *ti, struct bio *bio)
{
	return DM_MAPIO_KILL;
}

static void pool_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result,
			unsigned int maxlen)
{
	struct pool_c *pc = ti->private;
	struct cache_pool *p = pc->p;
	unsigned int sz = 0, disks = 0, i;
	u32 used, filling, reserved, dirty, mem_used;
	bool failed;
	u64 errors;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock_irq(&p->lock);
		used = p->probation.count + p->protected.count;
		filling = p->nr_filling;
		dirty = p->nr_dirty;
		mem_used = p->mem_used;
		failed = p->failed;
		errors = p->errors;
		for (i = 0; i < CACHE_MAX_DISKS; i++)
			disks += p->disks[i] && READ_ONCE(p->disks[i]->ref);
		reserved = reserved_pct(p, NULL);
		spin_unlock_irq(&p->lock);
		DMEMIT("block_size %u blocks %u used %u filling %u free %u ",
		       block_bytes(p), p->nslots, used, filling,
		       p->nslots - used - filling);
		DMEMIT("disks %u reserved_pct %u state %s errors %llu dirty %u ",
		       disks, reserved, failed ? "failed" : "ok", errors, dirty);
		DMEMIT("memory_blocks %u memory_used %u uuid %pUb", p->mem_blocks,
		       mem_used, &p->uuid);
		DMEMIT(" index_kib %zu", DIV_ROUND_UP(index_bytes(p), SZ_1K));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%u:%u", MAJOR(p->cdev->bd_dev), MINOR(p->cdev->bd_dev));
		if (p->mem_mib)
			DMEMIT(" memory_mib=%u", p->mem_mib);
		if (block_bytes(p) != CACHE_DEFAULT_BLOCK_BYTES)
			DMEMIT(" block_size=%u", block_bytes(p));
		if (pc->commit_ms != CACHE_DEFAULT_COMMIT_MS)
			DMEMIT(" commit_ms=%u", pc->commit_ms);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/*
 * After a disk ran without the cache holding dirty blocks, the admin says
 * whose data is current. forget <disk_id>: the disk below's; the pool
 * drops everything it holds of a disk that no table uses, dirty blocks
 * too, and its place. adopt <disk_id>: the dirty blocks' (the disk below
 * was not written meanwhile); the next attach keeps them.
 */
static int pool_message(struct dm_target *ti, unsigned int argc, char **argv,
			char *result, unsigned int maxlen)
{
	struct pool_c *pc = ti->private;
	struct cache_pool *p = pc->p;
	struct cache_disk *d = NULL;
	unsigned int i, dirty;
	u32 k, end, n, held = CACHE_NONE;
	int r = 0;

	if (argc != 2 || (strcmp(argv[0], "forget") && strcmp(argv[0], "adopt"))) {
		DMWARN("pool %s: usage: forget|adopt <disk_id>", p->name);
		return -EINVAL;
	}
	mutex_lock(&cache_pools_lock);
	for (i = 0; i < CACHE_MAX_DISKS; i++)
		if (p->disks[i] && !strcmp(p->disks[i]->id, argv[1]))
			d = p->disks[i];
	if (!d) {
		r = -ENOENT;
		goto out;
	}
	if (!strcmp(argv[0], "adopt")) {
		DMWARN("pool %s: disk %s: its %u dirty blocks adopted for its next attach",
		       p->name, d->id, READ_ONCE(d->dirty));
		WRITE_ONCE(d->adopted, true);
		goto out;
	}
	if (d->ref) {
		DMERR("pool %s: disk %s uses it: remove its cache first",
		      p->name, d->id);
		r = -EBUSY;
		goto out;
	}
	if (READ_ONCE(p->failed)) {
		DMERR("pool %s: failed: it cannot forget disk %s durably",
		      p->name, d->id);
		r = -EIO;
		goto out;
	}
	dirty = READ_ONCE(d->dirty);
	/*
	 * Their entries say clean on the device (meta_set()) before the
	 * slots are reused: held (inflight) until the commit, so that no
	 * other disk's data lands in a slot whose entry still names this
	 * disk's block as dirty. The slots held are chained through their
	 * list links (doomed: on no list), so that only they are let go: a
	 * slot doomed before, that a promotion's cache write still holds,
	 * is that write's to let go (fill_done()).
	 */
	for (k = 0; k < p->nslots; k = end) {
		end = min_t(u32, p->nslots, k + 4096);
		spin_lock_irq(&p->lock);
		for (; k < end; k++) {
			struct cache_slot *s = &p->slots[k];

			if (s->disk != d->idx || s->state == SLOT_FREE ||
			    s->state == SLOT_DOOMED)
				continue;
			if (s->flags & SLOT_DIRTY)
				meta_set(p, k, false);
			s->inflight++;
			slot_doom(p, k);
			s->next = held;
			held = k;
		}
		spin_unlock_irq(&p->lock);
		cond_resched();
	}
	if (meta_commit(p))
		r = -EIO;
	while (held != CACHE_NONE) {
		spin_lock_irq(&p->lock);
		for (n = 0; held != CACHE_NONE && n < 4096; n++) {
			k = held;
			held = p->slots[k].next;
			slot_put(p, k);
		}
		spin_unlock_irq(&p->lock);
		cond_resched();
	}
	if (r)
		goto out;
	DMWARN("pool %s: disk %s forgotten, %u dirty blocks dropped", p->name,
	       d->id, dirty);
	if (!READ_ONCE(d->used))
		disk_free(p, d);
out:
	mutex_unlock(&cache_pools_lock);
	return r;
}

struct target_type pool_target = {
	.name = "vaio-cache-pool",
	.version = { 0, 1, 0 },
	.module = THIS_MODULE,
	.ctr = pool_ctr,
	.dtr = pool_dtr,
	.map = pool_map,
	.resume = pool_resume,
	.status = pool_status,
	.message = pool_message,
};
