// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: the disks of a pool. A disk's place (struct
 * cache_disk) outlives table reloads; it is found by the disk's id in the
 * disk table, and purged when its data below can no longer be trusted.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/device-mapper.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

/*
 * Drop every block of @d from the index, a batch at a time; dirty ones are
 * written back to @bdev first, and stay if that fails, if @bdev is NULL or
 * if the cache device failed (it may come back: they are written back
 * then, or at the removal). Returns what the write-back returned. Blocks
 * written meanwhile stay.
 */
int disk_purge(struct cache_pool *p, struct cache_disk *d,
	       struct block_device *bdev)
{
	bool failed = READ_ONCE(p->failed);
	u32 i, end;
	int r = 0;

	if (READ_ONCE(d->dirty) && !failed && bdev)
		r = wb_all(p, d, bdev);
	if (failed && READ_ONCE(d->dirty))
		DMERR("disk %s: %u dirty blocks kept on the failed cache device",
		      d->id, READ_ONCE(d->dirty));
	for (i = 0; i < p->nslots; i = end) {
		end = min_t(u32, p->nslots, i + 4096);
		spin_lock_irq(&p->lock);
		for (; i < end; i++) {
			struct cache_slot *s = &p->slots[i];

			if (s->disk == d->idx && s->state != SLOT_FREE &&
			    s->state != SLOT_DOOMED &&
			    !(s->flags & SLOT_DIRTY))
				slot_doom(p, i);
		}
		spin_unlock_irq(&p->lock);
		cond_resched();
	}
	return r;
}

/*
 * Says in the disk table that @d ran without the cache while it held
 * dirty blocks (@on), or no more. cache_pools_lock held.
 */
int disk_ran_without(struct cache_pool *p, struct cache_disk *d, bool on)
{
	struct cache_disk_entry *e = disktab_entry(p, d->idx);

	/* (After a failed write of the table: again.) */
	if (d->ran_without == on && !p->disktab_unsaved)
		return 0;
	d->ran_without = on;
	if (on)
		e->flags |= DISK_RAN_WITHOUT;
	else
		e->flags &= ~DISK_RAN_WITHOUT;
	if (READ_ONCE(p->failed) || disktab_write(p, d->idx)) {
		DMERR("pool %s: disk %s: cannot write its disk table", p->name,
		      d->id);
		return -EIO;
	}
	return 0;
}

u32 reserved_pct(struct cache_pool *p, struct cache_disk *except)
{
	u32 sum = 0;
	unsigned int i;

	for (i = 0; i < CACHE_MAX_DISKS; i++)
		if (p->disks[i] && p->disks[i] != except)
			sum += p->disks[i]->reserve_pct;
	return sum;
}

struct cache_disk *disk_alloc(struct cache_pool *p, unsigned int idx,
			      const char *id, sector_t len)
{
	struct cache_disk *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return NULL;
	d->id = kstrdup(id, GFP_KERNEL);
	if (!d->id) {
		kfree(d);
		return NULL;
	}
	d->idx = idx;
	d->len = len;
	/* Until a filter instance sets its own. */
	d->dirty_high = p->nslots;
	d->dirty_low = p->nslots;
	d->writeback = true;
	return d;
}

/* Free place @d, which no instance uses and no block names. */
void disk_free(struct cache_pool *p, struct cache_disk *d)
{
	lockdep_assert_held(&cache_pools_lock);
	mutex_lock(&p->wb_lock);
	spin_lock_irq(&p->lock);
	p->disks[d->idx] = NULL;
	spin_unlock_irq(&p->lock);
	mutex_unlock(&p->wb_lock);
	memset(disktab_entry(p, d->idx), 0, sizeof(struct cache_disk_entry));
	if (!READ_ONCE(p->failed) && disktab_write(p, d->idx))
		DMWARN("pool %s: cannot write its disk table", p->name);
	kfree(d->id);
	kfree(d);
}

/* Find or make @f's disk in @p. cache_pools_lock held. */
struct cache_disk *disk_get(struct cache_pool *p, struct vaio_filter *f,
			    u32 reserve, char **error)
{
	const char *id = vaio_disk_id(f);
	struct cache_disk *d = NULL;
	struct cache_disk_entry *e;
	unsigned int i, free = CACHE_MAX_DISKS;

	for (i = 0; i < CACHE_MAX_DISKS; i++) {
		if (!p->disks[i]) {
			free = min(free, i);
			continue;
		}
		if (!strcmp(p->disks[i]->id, id)) {
			d = p->disks[i];
			break;
		}
	}
	if (reserved_pct(p, d) + reserve > 100) {
		*error = "cache reservations of the pool's disks exceed 100%";
		return ERR_PTR(-ENOSPC);
	}
	/*
	 * No new place in a failed pool: entries of a place freed since
	 * (kept on the device) may name blocks of the disk that had it.
	 */
	if (!d && READ_ONCE(p->failed)) {
		*error = "cache pool has failed: no new disk joins it until it is made again";
		return ERR_PTR(-EIO);
	}
	if (!d && free == CACHE_MAX_DISKS) {
		/* The place of a disk that went, with nothing dirty. */
		for (i = 0; i < CACHE_MAX_DISKS; i++) {
			struct cache_disk *idle = p->disks[i];

			if (!idle->ref && !READ_ONCE(idle->dirty)) {
				disk_purge(p, idle, NULL);
				disk_free(p, idle);
				free = i;
				break;
			}
		}
	}
	if (!d) {
		if (free == CACHE_MAX_DISKS) {
			*error = "cache pool has no room for another disk";
			return ERR_PTR(-ENOSPC);
		}
		d = disk_alloc(p, free, id, f->ti->len);
		if (!d) {
			*error = "cannot allocate cache disk";
			return ERR_PTR(-ENOMEM);
		}
		d->data_dev = f->data_dev->bdev->bd_dev;
		/* On the device before any entry can name it. */
		e = disktab_entry(p, d->idx);
		memset(e, 0, sizeof(*e));
		strscpy(e->id, id, sizeof(e->id));
		e->len = cpu_to_le64(d->len);
		if (disktab_write(p, d->idx)) {
			memset(e, 0, sizeof(*e));
			kfree(d->id);
			kfree(d);
			*error = "cannot write the cache pool's disk table";
			return ERR_PTR(-EIO);
		}
	}

	spin_lock_irq(&p->lock);
	d->reserve_pct = reserve;
	d->reserve_blocks = div_u64((u64)p->nslots * reserve, 100);
	d->mem_reserve = div_u64((u64)p->mem_blocks * reserve, 100);
	p->disks[d->idx] = d;
	spin_unlock_irq(&p->lock);
	d->ref++;
	return d;
}

/*
 * An instance of @d goes. After the last one the place stays, idle, with
 * its blocks (evictable by anyone: no reservation), for the disk's next
 * table or the next boot; unless nothing is cached. Dirty blocks are
 * written back before (at DETACH): any left could not be.
 */
void disk_put(struct cache_pool *p, struct cache_disk *d)
{
	lockdep_assert_held(&cache_pools_lock);
	if (--d->ref)
		return;
	spin_lock_irq(&p->lock);
	d->reserve_pct = 0;
	d->reserve_blocks = 0;
	d->mem_reserve = 0;
	spin_unlock_irq(&p->lock);
	if (READ_ONCE(d->dirty))
		DMERR("disk %s: %u dirty blocks stay in pool %s until the disk comes back",
		      d->id, READ_ONCE(d->dirty), p->name);
	if (!READ_ONCE(d->used))
		disk_free(p, d);
}

/*
 * A disk caches on one pool. Its idle place in another (a table on that
 * pool went) is emptied and goes: the disk may have changed since; one
 * in use or with dirty blocks there refuses the table. cache_pools_lock.
 */
int disk_elsewhere(struct cache_pool *p, const char *id, char **error)
{
	struct cache_pool *q;
	struct cache_disk *od;
	unsigned int i;

	list_for_each_entry(q, &cache_pools, list) {
		for (i = 0; q != p && i < CACHE_MAX_DISKS; i++) {
			od = q->disks[i];
			if (!od || strcmp(od->id, id))
				continue;
			if (od->ref) {
				*error = "disk caches on another pool: remove that cache first";
				return -EBUSY;
			}
			if (READ_ONCE(od->dirty)) {
				*error = "disk has dirty blocks on another pool";
				return -EBUSY;
			}
			disk_purge(q, od, NULL);
			disk_free(q, od);
		}
	}
	return 0;
}
