// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: write-back. Dirty blocks to the disk below,
 * in the background above a disk's or the pool's dirty mark and on
 * demand (detach, snapshot, a bio over dirty blocks), under p->wb_lock.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/device-mapper.h>
#include <linux/delay.h>
#include <linux/mutex.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

/* Under lock. */
void wb_kick(struct cache_pool *p, struct cache_disk *d)
{
	/* The attached write-back disks' dirty blocks, about (wb_other). */
	u32 dirty = p->nr_dirty - min(p->nr_dirty, p->wb_other);

	/* Not sooner than a rate limit's delay already set. */
	if (d->dirty > d->dirty_high || !d->writeback ||
	    (p->wb_high && dirty > (p->wb_pool ? p->wb_low : p->wb_high)))
		queue_delayed_work(p->wq, &p->wb_work, 0);
}

/*
 * A disk whose blocks the background write-back may write now: attached,
 * resumed, not bypassed. Under wb_lock (it keeps the owner) and lock.
 */
static bool wb_can(struct cache_disk *d)
{
	return READ_ONCE(d->ref) && d->bdev && d->bdev_owner &&
	       READ_ONCE(d->bdev_owner->state) != VAIO_FILTER_BYPASSED;
}

/*
 * The pool-wide marks, from its attached write-back disks' own: their
 * dirty blocks together (returned) stay below the highest any one of
 * them may hold, so that the pool keeps room for new blocks however many
 * disks write to it. Blocks no write-back may take now (a detached or
 * bypassed disk's) do not count: they cannot make room. Under wb_lock
 * and lock.
 */
u32 wb_pool_marks(struct cache_pool *p)
{
	struct cache_disk *d;
	u32 high = 0, low = 0, dirty = 0;
	unsigned int i;

	for (i = 0; i < CACHE_MAX_DISKS; i++) {
		d = p->disks[i];
		if (!d || !d->writeback || !wb_can(d))
			continue;
		high = max(high, d->dirty_high);
		low = max(low, d->dirty_low);
		dirty += d->dirty;
	}
	p->wb_high = high;
	p->wb_low = low;
	p->wb_other = p->nr_dirty - min(p->nr_dirty, dirty);
	if (!high || dirty <= low)
		p->wb_pool = false;
	else if (dirty > high)
		p->wb_pool = true;
	return dirty;
}

/* May slot @i of @d be written back now? It is taken if so. Under lock. */
static bool wb_take(struct cache_pool *p, struct cache_disk *d, u32 i,
		    bool *busy)
{
	struct cache_slot *s = &p->slots[i];

	if (s->disk != d->idx || !(s->flags & SLOT_DIRTY) ||
	    s->state == SLOT_FREE || s->state == SLOT_DOOMED)
		return false;
	/*
	 * Taken already, by this pick: write-back runs under wb_lock, and a
	 * batch's slots are let go before the next pick.
	 */
	if (s->flags & SLOT_CLEANING)
		return false;
	/* A new block's first write has not landed yet. */
	if (s->state == SLOT_FILLING || s->inflight == U8_MAX) {
		*busy = true;
		return false;
	}
	s->flags |= SLOT_CLEANING;
	s->inflight++;
	return true;
}

/*
 * Write back the @n taken slots of @d to @bdev: read them from the cache,
 * write them below, flush below, then commit their entries as clean. A
 * slot written meanwhile (REDIRTY) stays dirty: its new data may have
 * missed the copy, and a write still in flight sets it dirty again when
 * it lands (wb_write_endio()). The reads go in the order of the slots,
 * the writes in the order of their blocks, each under a plug, so that
 * neighbours merge into one request.
 */
static int wb_slots(struct cache_pool *p, struct cache_disk *d,
		    struct block_device *bdev, u32 *slots, unsigned int n)
{
	u8 order[CACHE_WB_BATCH];
	struct blk_plug plug;
	struct cache_wait w;
	struct cache_slot *s;
	unsigned int k, j;
	u64 busy = 0, cleaned = 0;
	blk_status_t st;
	int r = 0;

	BUILD_BUG_ON(CACHE_WB_BATCH > 64);
	/* The batch by block: a slot's block is fixed while it is taken. */
	for (k = 0; k < n; k++) {
		for (j = k; j && slot_oblock(&p->slots[slots[order[j - 1]]]) >
				 slot_oblock(&p->slots[slots[k]]); j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
	cache_wait_init(&w);
	blk_start_plug(&plug);
	for (k = 0; k < n; k++)
		cache_wait_submit(p, &w, p->cdev, REQ_OP_READ,
				  slot_sector(p, slots[k]),
				  &p->wb_pages[k * block_pages(p)], block_pages(p));
	blk_finish_plug(&plug);
	st = cache_wait_all(&w);
	if (st) {
		spin_lock_irq(&p->lock);
		pool_error(p);
		spin_unlock_irq(&p->lock);
		r = -EIO;
		goto out;
	}
	/*
	 * A write below over a block, in flight now, may land after its
	 * copy even if it completes before the flush below does: sampled
	 * before the copies go (one mapped later finds the block dirty and
	 * is deferred until this batch is done).
	 */
	spin_lock_irq(&p->lock);
	for (k = 0; k < n; k++)
		if (write_below_inflight(p, d, slot_oblock(&p->slots[slots[k]])))
			busy |= BIT_ULL(k);
	spin_unlock_irq(&p->lock);
	cache_wait_init(&w);
	blk_start_plug(&plug);
	for (j = 0; j < n; j++) {
		k = order[j];
		cache_wait_submit(p, &w, bdev, REQ_OP_WRITE,
				  slot_oblock(&p->slots[slots[k]]) << p->bshift,
				  &p->wb_pages[k * block_pages(p)], block_pages(p));
	}
	blk_finish_plug(&plug);
	st = cache_wait_all(&w);
	if (!st)
		st = errno_to_blk_status(blkdev_issue_flush(bdev));
	spin_lock_irq(&p->lock);
	if (st) {
		d->writeback_errors++;
		spin_unlock_irq(&p->lock);
		DMERR_LIMIT("disk %s: write-back failed (%d); its blocks stay dirty",
			    d->id, blk_status_to_errno(st));
		r = -EIO;
		goto out;
	}
	/*
	 * Their entries say clean, and they count as dirty until that is on
	 * the device: till then a write below over one waits (range_dirty(),
	 * drop_range()), as after a crash the entry on the device would
	 * bring the old data back over it; and if the commit fails, they
	 * stay dirty (their entries may say so on the device).
	 */
	for (k = 0; k < n; k++) {
		s = &p->slots[slots[k]];
		if (s->flags & SLOT_REDIRTY) {
			s->flags &= ~SLOT_REDIRTY;
			continue;
		}
		/* Dropped meanwhile (a failed cache read): counted there. */
		if (!(s->flags & SLOT_DIRTY))
			continue;
		meta_set(p, slots[k], false);
		cleaned |= BIT_ULL(k);
	}
	spin_unlock_irq(&p->lock);
	/* Not reused before its entry says clean on the device. */
	r = meta_commit(p);
	spin_lock_irq(&p->lock);
	for (k = 0; k < n; k++) {
		s = &p->slots[slots[k]];
		/* Written meanwhile: dirty again (wb_write_endio()). */
		if (!(cleaned & BIT_ULL(k)) || (s->flags & SLOT_REDIRTY) ||
		    !(s->flags & SLOT_DIRTY))
			continue;
		if (r) {
			meta_set(p, slots[k], true);
			continue;
		}
		s->flags &= ~SLOT_DIRTY;
		d->dirty--;
		p->nr_dirty--;
		d->writeback_sectors += block_sectors(p);
		/*
		 * A write below over the block may be in flight, begun
		 * before this block's write (the two overlapped): landing
		 * after this copy, it would leave the cache's clean copy
		 * and the disk below disagreeing, and a read would see the
		 * block change back when the copy goes. Dropped instead.
		 */
		if ((busy & BIT_ULL(k)) || write_below_inflight(p, d, slot_oblock(s))) {
			slot_doom(p, slots[k]);
			d->invalidations++;
		}
	}
	/*
	 * Nothing the disk below lacks: its owner may be bypassed again
	 * (cache_event()'s resume sets no_bypass). wb_lock keeps the owner.
	 */
	if (!d->dirty && d->bdev_owner)
		WRITE_ONCE(d->bdev_owner->no_bypass, false);
	spin_unlock_irq(&p->lock);
out:
	spin_lock_irq(&p->lock);
	for (k = 0; k < n; k++) {
		p->slots[slots[k]].flags &= ~(SLOT_CLEANING | SLOT_REDIRTY);
		slot_put(p, slots[k]);
	}
	spin_unlock_irq(&p->lock);
	return r;
}

/*
 * Write back the @n taken slots of @d to @bdev as wb_slots() does; if that
 * fails on the disk below, each of them alone again, so that one block
 * the disk below cannot take keeps no other dirty (a batch fails whole).
 * The batch's error, if any; *@dead: none of them went below alone
 * either, or the cache device failed: no use going on.
 */
static int wb_batch(struct cache_pool *p, struct cache_disk *d,
		    struct block_device *bdev, u32 *slots, unsigned int n,
		    bool *dead)
{
	bool busy = false, taken, wrote = false;
	unsigned int k;
	int r;

	*dead = false;
	r = wb_slots(p, d, bdev, slots, n);
	if (!r)
		return 0;
	if (n == 1 || READ_ONCE(p->failed)) {
		*dead = true;
		return r;
	}
	for (k = 0; k < n && !READ_ONCE(p->failed); k++) {
		spin_lock_irq(&p->lock);
		taken = wb_take(p, d, slots[k], &busy);
		spin_unlock_irq(&p->lock);
		if (taken && !wb_slots(p, d, bdev, &slots[k], 1))
			wrote = true;
	}
	*dead = !wrote || READ_ONCE(p->failed);
	return r;
}

/*
 * Take the dirty blocks of @d that follow block @b (to @last at most) into
 * the batch @slots of @n: they go below with it, as one write. Under lock.
 */
static unsigned int wb_follow(struct cache_pool *p, struct cache_disk *d,
			      u64 b, u64 last, u32 *slots, unsigned int n,
			      bool *busy)
{
	u32 i;

	while (b++ < last && n < p->wb_blocks) {
		i = hash_lookup(p, d->idx, b);
		if (i == CACHE_NONE || !wb_take(p, d, i, busy))
			break;
		slots[n++] = i;
	}
	return n;
}

/*
 * Take up to a batch of dirty slots of @d, the least recently used first:
 * from the tail of probation, then of protected, looking at CACHE_WB_SCAN
 * blocks at most. Blocks used least are the least likely to be written
 * again soon, and the tails are where the search for a victim looks:
 * written back, they make room there. (Not with the blocks that follow
 * them: those may be hot, and would crowd the cold ones out of a batch.)
 */
unsigned int wb_pick_cold(struct cache_pool *p, struct cache_disk *d,
			  u32 *slots, bool *busy)
{
	struct cache_list *lists[] = { &p->probation, &p->protected };
	unsigned int l, n = 0, seen = 0;
	u32 i;

	spin_lock_irq(&p->lock);
	for (l = 0; l < ARRAY_SIZE(lists); l++) {
		for (i = lists[l]->tail;
		     i != CACHE_NONE && seen < CACHE_WB_SCAN &&
		     n < p->wb_blocks; i = p->slots[i].prev, seen++) {
			if (wb_take(p, d, i, busy))
				slots[n++] = i;
		}
	}
	spin_unlock_irq(&p->lock);
	return n;
}

/*
 * Take up to a batch of dirty slots of @d: of blocks @first..@last when
 * that range is short, else scanning the slots from *@pos (moved on), each
 * slot found with the dirty blocks that follow its block.
 */
unsigned int wb_pick(struct cache_pool *p, struct cache_disk *d, u64 first,
		     u64 last, u64 *pos, u32 *slots, bool *busy)
{
	unsigned int n = 0;
	u64 end;
	u32 i;

	spin_lock_irq(&p->lock);
	if (last - first < CACHE_INLINE_BLOCKS) {
		for (; *pos <= last && n < p->wb_blocks; (*pos)++) {
			i = hash_lookup(p, d->idx, *pos);
			if (i != CACHE_NONE && wb_take(p, d, i, busy))
				slots[n++] = i;
		}
	} else {
		end = min_t(u64, p->nslots, *pos + CACHE_WB_SCAN);
		for (; *pos < end && n < p->wb_blocks; (*pos)++) {
			struct cache_slot *s = &p->slots[*pos];

			if (slot_oblock(s) < first || slot_oblock(s) > last ||
			    !wb_take(p, d, *pos, busy))
				continue;
			slots[n++] = *pos;
			n = wb_follow(p, d, slot_oblock(s), last, slots, n, busy);
		}
	}
	spin_unlock_irq(&p->lock);
	return n;
}

/*
 * Write back every block of @d in @first..@last that is dirty when the
 * call begins. Process context. -EBUSY: a block was busy @tries times
 * (its first write had not landed), about 1.5 ms apart.
 */
static int wb_range(struct cache_pool *p, struct cache_disk *d,
		    struct block_device *bdev, u64 first, u64 last,
		    unsigned int tries)
{
	bool small = last - first < CACHE_INLINE_BLOCKS, busy, dead;
	u64 pos, end = small ? last + 1 : p->nslots;
	u32 slots[CACHE_WB_BATCH];
	unsigned int n;
	int r = 0, e;

	if (!bdev)
		return -ENODEV;
	mutex_lock(&p->wb_lock);
	while (tries--) {
		busy = false;
		pos = small ? first : 0;
		while (pos < end && READ_ONCE(d->dirty)) {
			n = wb_pick(p, d, first, last, &pos, slots, &busy);
			if (n) {
				/* Past a block that fails, to the others. */
				e = wb_batch(p, d, bdev, slots, n, &dead);
				if (e && !r)
					r = e;
				if (dead)
					goto out;
			}
			cond_resched();
		}
		/* Every block tried once: a failed one fails the call. */
		if (!busy || r)
			goto out;
		/* Wait for the first write of a new block to land. */
		usleep_range(1000, 2000);
	}
	r = -EBUSY;
out:
	mutex_unlock(&p->wb_lock);
	return r;
}

int wb_all(struct cache_pool *p, struct cache_disk *d,
	   struct block_device *bdev)
{
	int r = wb_range(p, d, bdev, 0, U64_MAX, 5000);

	if (r)
		DMERR("disk %s: cannot write back its %u dirty blocks: %d",
		      d->id, READ_ONCE(d->dirty), r);
	return r;
}

/*
 * Background write-back, per disk: above dirty_high until down to
 * dirty_low; everything when the disk is not in write-back mode (any
 * more). At most 16 batches a run, or one when the rate is limited; the
 * work queues itself again while there is more, a second later after an
 * error. Places are freed under wb_lock too (disk_free()), so holding it
 * keeps them.
 */
void wb_work(struct work_struct *work)
{
	struct cache_pool *p = container_of(to_delayed_work(work),
					    struct cache_pool, wb_work);
	unsigned long delay = 0;
	u32 slots[CACHE_WB_BATCH];
	unsigned int i, n, batch;
	struct cache_disk *d;
	bool more = false, wrote = false, busy, pool, cold, dead;
	u32 target, pool_dirty;
	u64 pos;

	mutex_lock(&p->wb_lock);
	spin_lock_irq(&p->lock);
	pool_dirty = wb_pool_marks(p);
	pool = p->wb_pool;
	spin_unlock_irq(&p->lock);
	for (i = 0; i < CACHE_MAX_DISKS; i++) {
		d = READ_ONCE(p->disks[i]);
		if (!d || !d->bdev || !READ_ONCE(d->dirty))
			continue;
		/* Its blocks may be older than writes that skipped it. */
		if (READ_ONCE(d->bdev_owner->state) == VAIO_FILTER_BYPASSED)
			continue;
		spin_lock_irq(&p->lock);
		if (d->dirty > d->dirty_high)
			d->wb_active = true;
		target = d->writeback ? d->dirty_low : 0;
		/*
		 * The pool above its mark: every write-back disk down to its
		 * share of the pool's low mark, in proportion to its blocks.
		 */
		if (pool && d->writeback && pool_dirty)
			target = min_t(u32, target,
				       div_u64((u64)d->dirty * p->wb_low,
					       pool_dirty));
		spin_unlock_irq(&p->lock);
		if (d->writeback && !d->wb_active && !pool)
			continue;
		for (batch = 0; batch < 16 && READ_ONCE(d->dirty) > target;
		     batch++) {
			busy = false;
			cold = !d->wb_slot_order;
			n = cold ? wb_pick_cold(p, d, slots, &busy) : 0;
			/* None in reach of the tails: in slot order. */
			if (!n) {
				cold = false;
				pos = d->wb_pos;
				n = wb_pick(p, d, 0, U64_MAX, &pos, slots,
					    &busy);
				d->wb_pos = pos >= p->nslots ? 0 : pos;
				if (!d->wb_pos)
					d->wb_slot_order = false;
			}
			if (n && wb_batch(p, d, d->bdev, slots, n, &dead)) {
				/*
				 * The coldest blocks would be picked again,
				 * and fail again: the others first, in slot
				 * order (which moves on past a failed batch),
				 * once round.
				 */
				if (cold)
					d->wb_slot_order = true;
				delay = max_t(unsigned long, delay, HZ);
				break;
			}
			if (n)
				wrote = true;
			if (n && d->rate_kib) {
				delay = max(delay, msecs_to_jiffies(n * 1000 *
					(block_bytes(p) >> 10) / d->rate_kib));
				break;
			}
		}
		spin_lock_irq(&p->lock);
		if (d->dirty <= target)
			d->wb_active = false;
		else
			more = true;
		spin_unlock_irq(&p->lock);
	}
	/*
	 * Writes meanwhile may have kept the pool above its low mark with
	 * each disk at its share: shares again, while that makes progress.
	 */
	spin_lock_irq(&p->lock);
	wb_pool_marks(p);
	if (p->wb_pool && wrote)
		more = true;
	spin_unlock_irq(&p->lock);
	mutex_unlock(&p->wb_lock);
	if (more)
		queue_delayed_work(p->wq, &p->wb_work, delay ? delay : 1);
}

/*
 * Drop the clean blocks @first..@last of @d from the index, a batch at a
 * time; true: none of them was dirty (dirty ones are kept).
 */
static bool drop_range(struct cache_pool *p, struct cache_disk *d, u64 first,
		       u64 last)
{
	bool clean = true;
	u64 b = first, end;
	u32 i;

	if (last - first < p->nslots) {
		while (b <= last) {
			end = min(last, b + 1023);
			spin_lock_irq(&p->lock);
			for (; b <= end; b++) {
				i = hash_lookup(p, d->idx, b);
				if (i == CACHE_NONE)
					continue;
				if (p->slots[i].flags & SLOT_DIRTY) {
					clean = false;
					continue;
				}
				slot_doom(p, i);
				d->invalidations++;
			}
			spin_unlock_irq(&p->lock);
			cond_resched();
		}
		return clean;
	}
	for (i = 0; i < p->nslots; i = end) {
		end = min_t(u32, p->nslots, i + 4096);
		spin_lock_irq(&p->lock);
		for (; i < end; i++) {
			struct cache_slot *s = &p->slots[i];

			if (s->disk != d->idx || slot_oblock(s) < first ||
			    slot_oblock(s) > last || s->state == SLOT_FREE ||
			    s->state == SLOT_DOOMED)
				continue;
			if (s->flags & SLOT_DIRTY) {
				clean = false;
				continue;
			}
			slot_doom(p, i);
			d->invalidations++;
		}
		spin_unlock_irq(&p->lock);
		cond_resched();
	}
	return clean;
}

/* A write of p->ranges leaves it (cache_wb_write() looks at the count). */
static void range_done(struct cache_pool *p, struct cache_io *io)
{
	if (io->kind != IO_WRITE)
		return;
	spin_lock_irq(&p->lock);
	p->range_writes--;
	spin_unlock_irq(&p->lock);
}

/*
 * Bios whose blocks the worker handles first: dirty ones are written back
 * (the disk below must have them before a read of it, or a write of part
 * of them); for a write, all are dropped from the cache. A dirty block
 * written again meanwhile is not dropped: that write and this one were in
 * flight together, and the cache's is then the later one.
 */
void range_work(struct work_struct *work)
{
	struct cache_pool *p = container_of(work, struct cache_pool, range_work);
	struct cache_io *io, *next, *busy = NULL;
	int r;

	spin_lock_irq(&p->lock);
	io = p->ranges;
	p->ranges = NULL;
	spin_unlock_irq(&p->lock);

	for (; io; io = next) {
		struct bio *bio = io->bio;
		sector_t start = io->iter.bi_sector;
		u64 first = start >> p->bshift;
		u64 last = (start + (io->iter.bi_size >> SECTOR_SHIFT) - 1) >>
			   p->bshift;

		next = io->next;
		r = READ_ONCE(io->d->dirty) ?
		    wb_range(p, io->d, io->below, first, last, 100) : 0;
		if (r == -EBUSY) {
			/* A block's first write has not landed: again later. */
			io->next = busy;
			busy = io;
			continue;
		}
		if (r) {
			DMERR_LIMIT("disk %s: I/O on blocks that cannot be written back fails",
				    io->d->id);
			range_done(p, io);
			bio->bi_status = BLK_STS_IOERR;
			vaio_bio_continue(bio, VAIO_FAIL);
			continue;
		}
		/*
		 * A write: its blocks are dropped, and none may be dirty when
		 * it goes below. One that a write-back write landed in since
		 * it was written back (a write of part of it lands in it) is
		 * written back again first: kept dirty, its copy of what this
		 * write writes would be old, read, and written back over it.
		 */
		if (bio_op(bio) != REQ_OP_READ &&
		    !drop_range(p, io->d, first, last)) {
			io->next = busy;
			busy = io;
			continue;
		}
		range_done(p, io);
		vaio_bio_continue(bio, VAIO_PASS);
	}
	if (!busy)
		return;
	spin_lock_irq(&p->lock);
	for (; busy; busy = next) {
		next = busy->next;
		busy->next = p->ranges;
		p->ranges = busy;
	}
	spin_unlock_irq(&p->lock);
	msleep(20);
	queue_work(p->wq, &p->range_work);
}
