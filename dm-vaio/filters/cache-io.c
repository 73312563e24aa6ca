// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: the I/O path. map and end_io of a disk's
 * bios (hits, misses and promotions; write-through, write-around and
 * write-back writes) and the pool's worker that submits what map may not.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/device-mapper.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

/*
 *--------------------------------------------------------------
 * The pool's worker: promotion writes and reads retried below.
 *--------------------------------------------------------------
 */

static void fill_read_start(struct cache_pool *p, struct vaio_filter *f,
			    u32 i);

void pool_work(struct work_struct *work)
{
	struct cache_pool *p = container_of(work, struct cache_pool, work);
	struct cache_io *io, *reads;
	struct bio_list fills, retries;
	unsigned long mask;
	unsigned int n;
	struct bio *bio;

	spin_lock_irq(&p->lock);
	fills = p->fills;
	retries = p->retries;
	reads = p->fill_reads;
	bio_list_init(&p->fills);
	bio_list_init(&p->retries);
	p->fill_reads = NULL;
	spin_unlock_irq(&p->lock);

	while ((bio = bio_list_pop(&fills)))
		submit_bio_noacct(bio);
	/* Read misses held until their blocks' reads are sent. */
	while ((io = reads)) {
		reads = io->next;
		mask = io->fill_read;
		for_each_set_bit(n, &mask, CACHE_MAX_BIO_BLOCKS)
			fill_read_start(p, io->f, io->slots[n]);
		vaio_bio_end_continue(io->bio);
	}
	while ((bio = bio_list_pop(&retries)))
		submit_bio_noacct(bio);
}

/*
 * Empty flushes (p->flush_ios): one commit a batch. A work item of its
 * own, so that a commit does not hold up promotions and the writes held
 * for a refill (pool_work()).
 */
void pool_flush_work(struct work_struct *work)
{
	struct cache_pool *p = container_of(work, struct cache_pool,
					    flush_work);
	struct cache_io *io, *flushes;
	struct bio *bio;
	int r;

	spin_lock_irq(&p->lock);
	flushes = p->flush_ios;
	p->flush_ios = NULL;
	spin_unlock_irq(&p->lock);
	if (!flushes)
		return;
	/*
	 * Write-back writes acknowledged before them: their data and entries
	 * on the cache device (a failed commit failed the pool). A flush that
	 * went below from cache_map() completes when both halves did, the
	 * last of them completing it (cache_end_io(): the vaio core set
	 * bi_status to the error below before it called ->end_io()); one
	 * held there (flush_local), here.
	 */
	r = meta_commit_flush(p);
	while ((io = flushes)) {
		flushes = io->next;
		io->cache_status = r ? BLK_STS_IOERR : BLK_STS_OK;
		if (!atomic_dec_and_test(&io->pending))
			continue;
		bio = io->bio;
		if (io->flush_local) {
			/* Held in ->map(): its ->end_io() has nothing to do. */
			io->kind = IO_NONE;
			bio->bi_status = io->cache_status;
			vaio_bio_continue(bio, r ? VAIO_FAIL : VAIO_DONE);
			continue;
		}
		if (!bio->bi_status)
			bio->bi_status = io->cache_status;
		vaio_bio_end_continue(bio);
	}
}

/* The pages of a promotion's write (any it has), and the write. */
static void fill_free(struct bio *wr)
{
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	if (wr->bi_vcnt)
		set_page_private(bio_first_page_all(wr), 0);
	bio_for_each_segment_all(bv, wr, iter)
		__free_page(bv->bv_page);
	bio_put(wr);
}

static void fill_endio(struct bio *bio)
{
	struct cache_pool *p = bio->bi_private;
	u32 i = page_private(bio_first_page_all(bio));	/* see fill_alloc() */
	blk_status_t status = bio->bi_status;
	unsigned long flags;

	/* Before fill_done(): pool_put() waits for it, then frees p->bs. */
	fill_free(bio);
	spin_lock_irqsave(&p->lock, flags);
	if (status)
		pool_error(p);
	fill_done(p, i, !status);
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * A promotion's write of slot @i: a bio of the block's pages, new, to the
 * slot, ending in fill_endio(); its first page carries the slot (its
 * bi_iter is advanced by completion). NULL: no memory (@gfp).
 */
static struct bio *fill_alloc(struct cache_pool *p, u32 i, gfp_t gfp)
{
	unsigned int k, n = block_pages(p);
	struct page *page;
	struct bio *wr;

	BUILD_BUG_ON(BIO_MAX_VECS < BIT(CACHE_MAX_BLOCK_SHIFT + SECTOR_SHIFT -
					PAGE_SHIFT));
	wr = bio_alloc_bioset(p->cdev, n, REQ_OP_WRITE, gfp, &p->bs);
	if (!wr)
		return NULL;
	for (k = 0; k < n; k++) {
		page = alloc_page(gfp | __GFP_NOWARN);
		if (!page) {
			fill_free(wr);
			return NULL;
		}
		__bio_add_page(wr, page, PAGE_SIZE, 0);
	}
	wr->bi_iter.bi_sector = slot_sector(p, i);
	wr->bi_end_io = fill_endio;
	wr->bi_private = p;
	set_page_private(bio_first_page_all(wr), i);
	return wr;
}

/*
 * A promotion's read of its whole block from below ended: its data goes to
 * the cache (fill_endio()). A failed read is not the cache's failure: the
 * block is not promoted.
 */
static void fill_read_endio(struct bio *rd)
{
	struct bio *wr = rd->bi_private;
	struct cache_pool *p = wr->bi_private;
	blk_status_t status = rd->bi_status;
	unsigned long flags;

	bio_put(rd);
	if (status) {
		u32 i = page_private(bio_first_page_all(wr));

		fill_free(wr);
		spin_lock_irqsave(&p->lock, flags);
		fill_done(p, i, false);
		spin_unlock_irqrestore(&p->lock, flags);
		return;
	}
	spin_lock_irqsave(&p->lock, flags);
	bio_list_add(&p->fills, wr);
	spin_unlock_irqrestore(&p->lock, flags);
	queue_work(p->wq, &p->work);
}

/*
 * Promote block @i (FILLING) by a read of the whole block from below, then
 * a write of it to the cache. The read begins after the slot was hashed: a
 * write mapped since dooms the slot or makes it stale, and fill_done()
 * makes neither valid, so no data older than a write is kept. Called by
 * the pool's worker while the bio that made the slot filling (a read miss,
 * or the last write over a stale block, wt_put()) is held, not completed:
 * its table, so @f and the disk below, are there until vaio_submit_below()
 * took the read (the core then waits for it before a suspend ends).
 */
static void fill_read_start(struct cache_pool *p, struct vaio_filter *f,
			    u32 i)
{
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct bvec_iter_all it;
	struct bio *rd, *wr;
	unsigned long flags;
	struct bio_vec *bv;

	wr = fill_alloc(p, i, gfp);
	if (!wr)
		goto fail;
	rd = vaio_bio_alloc_below(f, wr->bi_vcnt, REQ_OP_READ, gfp);
	if (!rd) {
		fill_free(wr);
		goto fail;
	}
	/* The read fills the write's pages. */
	bio_for_each_segment_all(bv, wr, it)
		__bio_add_page(rd, bv->bv_page, PAGE_SIZE, 0);
	/* The slot is held (FILLING): its block stays. */
	rd->bi_iter.bi_sector = slot_oblock(&p->slots[i]) << p->bshift;
	rd->bi_end_io = fill_read_endio;
	rd->bi_private = wr;
	vaio_submit_below(f, rd);
	return;

fail:
	spin_lock_irqsave(&p->lock, flags);
	fill_done(p, i, false);
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * May block @b be read whole from below (fill_read_start())? Within the
 * disk, and not larger than a filter below takes.
 */
static bool block_readable(struct vaio_filter *f, struct cache_pool *p, u64 b)
{
	return (b + 1) << p->bshift <= f->ti->len &&
	       (!f->below_max_sectors ||
		f->below_max_sectors >= block_sectors(p));
}

/*
 * May block @b be promoted though a read covers it only in part, by a
 * read of the whole block (fill_read_start())? Of blocks larger than 4
 * KiB (4 KiB pools as before), within the disk, and not larger than a
 * filter below takes.
 */
static bool fill_read_ok(struct vaio_filter *f, struct cache_pool *p, u64 b)
{
	return p->bshift > CACHE_MIN_BLOCK_SHIFT && block_readable(f, p, b);
}

/*
 *--------------------------------------------------------------
 * A disk's bios: map and end_io
 *--------------------------------------------------------------
 */

/* Is this read part of a sequential stream past the threshold? */
static bool seq_read(struct cache_filter *cf, struct bio *bio)
{
	sector_t start = bio->bi_iter.bi_sector, n = bio_sectors(bio);
	struct cache_stream *st, *old = &cf->streams[0];
	unsigned int i;

	if (!cf->seq_sectors)
		return false;
	cf->seq_clock++;
	for (i = 0; i < CACHE_STREAMS; i++) {
		st = &cf->streams[i];
		if (st->next == start) {
			st->next += n;
			st->run += n;
			st->stamp = cf->seq_clock;
			return st->run >= cf->seq_sectors;
		}
		if (st->stamp < old->stamp)
			old = st;
	}
	old->next = start + n;
	old->run = n;
	old->stamp = cf->seq_clock;
	return false;
}

/* Does the cache hold a dirty block of @d in @first..@last? Under lock. */
static bool range_dirty(struct cache_pool *p, struct cache_disk *d, u64 first,
			u64 last)
{
	u64 b;
	u32 i;

	if (!d->dirty)
		return false;
	if (last - first >= CACHE_INLINE_BLOCKS)
		return true;
	for (b = first; b <= last; b++) {
		i = hash_lookup(p, d->idx, b);
		if (i != CACHE_NONE && (p->slots[i].flags & SLOT_DIRTY))
			return true;
	}
	return false;
}

/* The worker writes back (and for a write drops) the bio's blocks first. */
static enum vaio_verdict defer_range(struct cache_pool *p, struct cache_io *io,
				     struct bio *bio)
{
	lockdep_assert_held(&p->lock);
	io->slots[0] = CACHE_NONE;
	io->bio = bio;
	if (io->kind == IO_WRITE)
		p->range_writes++;
	io->next = p->ranges;
	p->ranges = io;
	queue_work(p->wq, &p->range_work);
	return VAIO_DEFER;
}

/*
 * A read hit failed on the cache device: the pool fails; clean blocks are
 * dropped (the disk below has them: the read is retried there). Returns
 * true if a block was dirty: only the cache had it, the read fails, and
 * the block stays counted as at risk. Under lock.
 */
static bool hit_failed(struct cache_pool *p, struct cache_io *io)
{
	bool dirty = false;
	unsigned int n;

	pool_error(p);
	for (n = 0; n < io->nr; n++) {
		if (p->slots[io->slots[n]].flags & SLOT_DIRTY)
			dirty = true;
		else
			slot_doom(p, io->slots[n]);
	}
	return dirty;
}

/*
 * A clone of @io's ended: its error kept for the bio, the clone put. True
 * for the last of them.
 */
static bool clone_done(struct cache_io *io, struct bio *clone)
{
	if (clone->bi_status)
		WRITE_ONCE(io->cache_status, clone->bi_status);
	bio_put(clone);
	return atomic_dec_and_test(&io->pending);
}

static void split_endio(struct bio *clone)
{
	struct cache_io *io = clone->bi_private;
	struct cache_pool *p = io->pool;
	struct bio *bio = io->bio;
	unsigned long flags;
	blk_status_t status;
	unsigned int n;

	if (!clone_done(io, clone))
		return;

	status = READ_ONCE(io->cache_status);
	mem_fill_end(p, io, bio, !status);
	spin_lock_irqsave(&p->lock, flags);
	for (n = 0; n < io->nr; n++)
		slot_put(p, io->slots[n]);
	if (status && hit_failed(p, io)) {
		spin_unlock_irqrestore(&p->lock, flags);
		io->kind = IO_NONE;
		io->nr = 0;
		bio->bi_status = status;
		vaio_bio_continue(bio, VAIO_FAIL);
		return;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	io->kind = IO_NONE;
	io->nr = 0;
	if (status) {
		/* Read it from the disk below instead. */
		vaio_bio_continue(bio, VAIO_PASS);
		return;
	}
	bio->bi_status = BLK_STS_OK;
	vaio_bio_continue(bio, VAIO_DONE);
}

/*
 * One clone of @bio per run of consecutive cache blocks in io->slots[],
 * each for the part of the bio in its blocks, ending in @endio with @io,
 * which then finishes the bio (io->kind IO_NONE: not end_io()); io->pending
 * counts them. false: one could not be had, none went.
 */
static bool submit_runs(struct cache_pool *p, struct bio *bio,
			struct cache_io *io, bio_end_io_t *endio)
{
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	sector_t base = round_down(start, block_sectors(p)), from, to;
	unsigned int n, run, nruns = 0;
	struct bio_list clones;
	struct bio *clone;

	bio_list_init(&clones);
	for (n = 0; n < io->nr; n = run) {
		for (run = n + 1; run < io->nr &&
		     io->slots[run] == io->slots[run - 1] + 1; run++)
			;
		from = max(start, base + ((sector_t)n << p->bshift));
		to = min(end, base + ((sector_t)run << p->bshift));
		clone = bio_alloc_clone(p->cdev, bio, GFP_NOWAIT, &p->bs);
		if (!clone) {
			while ((clone = bio_list_pop(&clones)))
				bio_put(clone);
			return false;
		}
		bio_trim(clone, from - start, to - from);
		/* FUA stays: an in-place write-back write's entry is durable. */
		clone->bi_opf &= ~REQ_PREFLUSH;
		clone->bi_iter.bi_sector = slot_sector(p, io->slots[n]) +
					   (from & (block_sectors(p) - 1));
		clone->bi_end_io = endio;
		clone->bi_private = io;
		bio_list_add(&clones, clone);
		nruns++;
	}
	io->kind = IO_NONE;	/* @endio finishes it */
	io->bio = bio;
	io->pool = p;
	io->cache_status = BLK_STS_OK;
	atomic_set(&io->pending, nruns);
	while ((clone = bio_list_pop(&clones)))
		submit_bio_noacct(clone);
	return true;
}

/*
 * A hit on blocks that are not consecutive in the cache: one clone of the
 * bio per run of consecutive cache blocks. The slots are held (inflight).
 */
static enum vaio_verdict cache_split_read(struct cache_filter *cf,
					  struct bio *bio, struct cache_io *io)
{
	struct cache_pool *p = cf->pool;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	unsigned long flags;
	unsigned int n;

	if (submit_runs(p, bio, io, split_endio))
		return VAIO_DEFER;

	mem_fill_end(p, io, bio, false);
	spin_lock_irqsave(&p->lock, flags);
	for (n = 0; n < io->nr; n++)
		slot_put(p, io->slots[n]);
	cf->d->read_hits--;
	cf->d->read_misses++;
	cf->d->read_hit_sectors -= end - start;
	cf->d->read_miss_sectors += end - start;
	spin_unlock_irqrestore(&p->lock, flags);
	io->nr = 0;
	return VAIO_PASS;
}

static enum vaio_verdict cache_map_read(struct vaio_filter *f,
					struct cache_filter *cf,
					struct bio *bio, struct cache_io *io)
{
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = start >> p->bshift;
	u64 last = (end - 1) >> p->bshift;
	u64 b, nblocks = last - first + 1;
	unsigned long flags, again = 0;
	bool seq, contig = true, hit = nblocks <= CACHE_MAX_BIO_BLOCKS;
	unsigned int n = 0;
	u32 i;

	spin_lock_irqsave(&p->lock, flags);
	seq = seq_read(cf, bio);
	for (b = first; hit && b <= last; b++, n++) {
		i = hash_lookup(p, d->idx, b);
		if (i == CACHE_NONE || (p->slots[i].state != SLOT_PROBATION &&
					p->slots[i].state != SLOT_PROTECTED) ||
		    p->slots[i].inflight == U8_MAX) {
			hit = false;
			break;
		}
		if (p->slots[i].state == SLOT_PROTECTED)
			__set_bit(n, &again);
		if (n && i != io->slots[n - 1] + 1)
			contig = false;
		io->slots[n] = i;
	}
	if (hit) {
		for (n = 0; n < nblocks; n++)
			slot_touch(p, io->slots[n]);
		d->read_hits++;
		d->read_hit_sectors += end - start;
		io->nr = nblocks;
		if (mem_hit(p, io, nblocks)) {
			d->mem_hits++;
			spin_unlock_irqrestore(&p->lock, flags);
			mem_read(p, io, bio);
			bio->bi_status = BLK_STS_OK;
			return VAIO_DONE;
		}
		if (p->slot_mem && !seq)
			mem_promote(p, d, io, bio, again);
		for (n = 0; n < nblocks; n++)
			p->slots[io->slots[n]].inflight++;
		spin_unlock_irqrestore(&p->lock, flags);

		if (!contig)
			return cache_split_read(cf, bio, io);
		io->kind = IO_READ_HIT;
		bio_set_dev(bio, p->cdev);
		bio->bi_iter.bi_sector = slot_sector(p, io->slots[0]) +
					 (start & (block_sectors(p) - 1));
		return VAIO_REMAP;
	}

	d->read_misses++;
	d->read_miss_sectors += end - start;
	if (range_dirty(p, d, first, last)) {
		/* Newer in the cache than below: write back, then read. */
		io->d = d;
		defer_range(p, io, bio);
		spin_unlock_irqrestore(&p->lock, flags);
		return VAIO_DEFER;
	}
	if (seq) {
		d->seq_bypass++;
		goto out;
	}
	if (nblocks > CACHE_MAX_BIO_BLOCKS || promote_blocked(p, d, first) ||
	    promote_blocked(p, d, last))
		goto out;
	/*
	 * Promote the blocks the bio covers whole and the cache lacks, from
	 * its data; of blocks larger than 4 KiB, those it covers in part
	 * too, each by a read of the whole block that begins after the
	 * block is hashed (fill_read_start()).
	 */
	io->fill_read = 0;
	for (b = first; b <= last; b++) {
		bool whole = block_whole(p, b, start, end);

		if (!whole && !fill_read_ok(f, p, b))
			continue;
		if (hash_lookup(p, d->idx, b) != CACHE_NONE)
			continue;
		i = slot_alloc(p, d, b, false);
		if (i == CACHE_NONE)
			break;
		if (!whole)
			io->fill_read |= BIT(io->nr);
		io->slots[io->nr++] = i;
	}
	if (io->nr)
		io->kind = IO_READ_MISS;
out:
	spin_unlock_irqrestore(&p->lock, flags);
	return VAIO_PASS;
}

/*
 * A write below of blocks @first..@last of @d (io->kind IO_WRITE): reads
 * that begin now must not promote what it changes until it completes
 * (cache_end_io() gives the counts back). Under lock.
 */
static void region_get(struct cache_pool *p, struct cache_disk *d,
		       struct cache_io *io, u64 first, u64 last)
{
	u32 r0 = region_of(p, d, first), r1 = region_of(p, d, last);

	if (((last >> p->region_shift) - (first >> p->region_shift)) > 1) {
		d->big_writes++;
		io->nr_regions = 3;
		return;
	}
	io->regions[0] = r0;
	io->regions[1] = r1;
	io->nr_regions = r0 == r1 ? 1 : 2;
	p->region_writes[r0]++;
	if (r1 != r0)
		p->region_writes[r1]++;
}

/*
 * A write-back write to the cache over blocks @first..@last of @d, at most
 * CACHE_MAX_BIO_BLOCKS (so in one or two regions): counted until its data
 * is in the cache or it goes below (promote_blocked()). Under lock.
 */
static void wb_region_get(struct cache_pool *p, struct cache_disk *d,
			  struct cache_io *io, u64 first, u64 last)
{
	static_assert(CACHE_MAX_BIO_BLOCKS <= 1 << CACHE_REGION_MIN_SHIFT);
	io->wb_regions[0] = region_of(p, d, first);
	io->wb_regions[1] = region_of(p, d, last);
	p->wb_region_writes[io->wb_regions[0]]++;
	if (io->wb_regions[1] != io->wb_regions[0])
		p->wb_region_writes[io->wb_regions[1]]++;
}

static void wb_region_put(struct cache_pool *p, struct cache_io *io)
{
	p->wb_region_writes[io->wb_regions[0]]--;
	if (io->wb_regions[1] != io->wb_regions[0])
		p->wb_region_writes[io->wb_regions[1]]--;
}

/*
 * A write-back write that goes below after all (wb_write_endio()): from
 * now on a write below as cache_map_write() makes them, so that no read
 * promotes the old data before it lands. What a read promoted since its
 * blocks were dropped (clean, or still filling) is dropped; a block still
 * dirty holds its data or a newer write's. Under lock.
 */
static void wb_write_below(struct cache_pool *p, struct cache_disk *d,
			   struct cache_io *io)
{
	u64 first = io->bio->bi_iter.bi_sector >> p->bshift;
	u64 last = (bio_end_sector(io->bio) - 1) >> p->bshift;
	u64 b;
	u32 i;

	io->kind = IO_WRITE;
	io->fill = 0;
	io->slots[0] = CACHE_NONE;
	region_get(p, d, io, first, last);
	for (b = first; b <= last; b++) {
		i = hash_lookup(p, d->idx, b);
		if (i == CACHE_NONE)
			continue;
		if (!(p->slots[i].flags & SLOT_DIRTY)) {
			slot_doom(p, i);
			d->invalidations++;
		} else if (p->slots[i].flags & SLOT_CLEANING) {
			/* Its copy may land before this write: again later. */
			p->slots[i].flags |= SLOT_REDIRTY;
		}
	}
}

/*
 * A write-back write failed on the cache device. If it covers each of its
 * blocks whole, each was clean before it and no other I/O holds it, only
 * this write's data was at stake: the blocks are dropped (no longer dirty)
 * and the write goes below. Else they stay dirty, counted at risk, and the
 * write fails: a block it covers in part may hold another write's data
 * (landed since, acknowledged) in the rest of it; so may a block it
 * covers whole whose entry says dirty (SLOT_EDIRTY: a write that landed
 * since, over part of it), which the next pool on the device would write
 * back over this write. Under lock.
 */
static bool wb_write_failed(struct cache_pool *p, struct cache_io *io)
{
	sector_t start = io->iter.bi_sector;
	sector_t end = start + (io->iter.bi_size >> SECTOR_SHIFT);
	u64 b = start >> p->bshift;
	struct cache_slot *s;
	unsigned int n;

	for (n = 0; n < io->nr; n++, b++) {
		s = &p->slots[io->slots[n]];
		if ((io->old_dirty & BIT(n)) || s->inflight > 1 ||
		    (s->flags & (SLOT_CLEANING | SLOT_EDIRTY)) ||
		    !block_whole(p, b, start, end))
			return false;
	}
	for (n = 0; n < io->nr; n++)
		slot_doom(p, io->slots[n]);
	return true;
}

/* All the data of a write-back write is in the cache. */
static void wb_write_endio(struct bio *clone)
{
	struct cache_io *io = clone->bi_private;
	struct cache_pool *p = io->pool;
	struct cache_disk *d = io->d;
	struct bio *bio = io->bio;
	blk_status_t status;
	unsigned long flags;
	struct cache_slot *s;
	bool wait = false, lost = false, lazy = false;
	bool fua = bio->bi_opf & REQ_FUA;
	unsigned int n;
	u64 gen;

	if (!clone_done(io, clone))
		return;

	status = READ_ONCE(io->cache_status);
	spin_lock_irqsave(&p->lock, flags);
	/* Its data is in the cache, or it goes below (region_get() first). */
	wb_region_put(p, io);
	if (status) {
		pool_error(p);
		lost = wb_write_failed(p, io);
	}
	for (n = 0; n < io->nr; n++) {
		u32 i = io->slots[n];
		bool gone;

		s = &p->slots[i];
		/* A read may have copied the old data meanwhile. */
		mem_drop(p, i);
		gone = s->state == SLOT_DOOMED;
		if (io->new_slots & IO_NEW_SLOT(n) && s->state == SLOT_FILLING) {
			if (status) {
				slot_doom(p, i);
			} else {
				s->state = SLOT_PROBATION;
				list_push_head(p, &p->probation, i);
			}
		}
		slot_put(p, i);
		if (status)
			continue;
		if (gone) {
			/* Dropped while the write was in flight (see below). */
			lost = true;
			continue;
		}
		/* Written back meanwhile: dirty again (see wb_slots()). */
		slot_mark_dirty(p, s);
		gen = meta_set(p, i, true);
		if (gen <= p->durable_gen)
			continue;
		/*
		 * The disk has a volatile write cache (the filter's
		 * needs_flush): the entry must be durable by the next flush
		 * (pool_flush_work() commits), or now for FUA.
		 */
		if (!fua) {
			lazy = true;
		} else if (!wait || gen > io->gen) {
			io->gen = gen;
			wait = true;
		}
	}
	if (lost) {
		wb_write_below(p, d, io);
	} else if (wait) {
		io->next = p->commit_wait;
		p->commit_wait = io;
		mod_delayed_work(p->wq, &p->commit_work, 0);
	}
	/* Entries changed, no commit asked for: one within commit_ms. */
	if ((lazy || wait) && (lost || !wait))
		queue_delayed_work(p->wq, &p->commit_work,
				   msecs_to_jiffies(READ_ONCE(p->commit_ms)));
	wb_kick(p, d);
	spin_unlock_irqrestore(&p->lock, flags);
	if (lost) {
		/*
		 * A block of it was written back and dropped (a write below
		 * over it, an invalidate) before this data landed: the data
		 * would be nowhere. The whole bio goes below, as a write in
		 * flight with the other may land after it; the cache's copy
		 * of its other blocks is the same data. Or the cache device
		 * failed it, and its blocks were dropped (wb_write_failed()).
		 */
		vaio_bio_continue(bio, VAIO_PASS);
		return;
	}
	if (wait)
		return;
	bio->bi_status = status;
	vaio_bio_continue(bio, status ? VAIO_FAIL : VAIO_DONE);
}

/*
 * A write in write-back mode: to cache blocks only, dirty. A block it
 * covers whole may be new; one it covers in part must be cached (valid:
 * the write lands in its place, the rest of the block is the cache's).
 * VAIO_PASS when the cache cannot take it all (a block covered in part
 * not cached, busy, or full of dirty blocks): the caller then treats it
 * as a write below.
 */
static enum vaio_verdict cache_wb_write(struct cache_filter *cf,
					struct bio *bio, struct cache_io *io)
{
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 b, first = start >> p->bshift;
	unsigned int n, nr = ((end - 1) >> p->bshift) - first + 1;
	struct cache_slot *s;
	unsigned long flags;
	bool whole;
	u32 i;

	io->nr = 0;
	io->new_slots = 0;
	io->old_dirty = 0;
	spin_lock_irqsave(&p->lock, flags);
	/*
	 * A write below over these blocks may be waiting for them to be
	 * written back and dropped (range_work()): this write goes below
	 * too, so that its blocks stay clean meanwhile. Only while such a
	 * write waits: any other write below over a block in the index
	 * dropped it, and one that took a block since is the later write.
	 */
	if (p->range_writes && (write_below_inflight(p, d, first) ||
				write_below_inflight(p, d, first + nr - 1)))
		goto undo;
	for (n = 0, b = first; n < nr; n++, b++) {
		whole = block_whole(p, b, start, end);
		i = hash_lookup(p, d->idx, b);
		if (i == CACHE_NONE) {
			if (!whole)
				goto undo;
			i = slot_alloc(p, d, b, true);
			if (i == CACHE_NONE)
				goto undo;
			io->new_slots |= IO_NEW_SLOT(n);
		} else {
			s = &p->slots[i];
			if ((s->state != SLOT_PROBATION &&
			     s->state != SLOT_PROTECTED) ||
			    (s->flags & SLOT_UPDATING) || s->inflight == U8_MAX)
				goto undo;
			slot_touch(p, i);
			s->inflight++;
		}
		io->slots[io->nr++] = i;
	}
	for (n = 0; n < nr; n++) {
		if (io->new_slots & IO_NEW_SLOT(n))
			d->write_misses++;
		else
			d->write_hits++;
		s = &p->slots[io->slots[n]];
		if (s->flags & SLOT_DIRTY)
			io->old_dirty |= BIT(n);
		slot_mark_dirty(p, s);
		mem_drop(p, io->slots[n]);
	}
	wb_region_get(p, d, io, first, first + nr - 1);
	spin_unlock_irqrestore(&p->lock, flags);

	io->d = d;
	if (submit_runs(p, bio, io, wb_write_endio))
		return VAIO_DEFER;

	/*
	 * The blocks stay marked dirty with nothing written: harmless, the
	 * write goes below after write-back of the blocks (a new slot had
	 * no data: it is dropped).
	 */
	spin_lock_irqsave(&p->lock, flags);
	wb_region_put(p, io);
undo:
	for (n = 0; n < io->nr; n++) {
		i = io->slots[n];
		if (io->new_slots & IO_NEW_SLOT(n))
			slot_doom(p, i);
		slot_put(p, i);
	}
	io->nr = 0;
	wb_kick(p, d);
	spin_unlock_irqrestore(&p->lock, flags);
	return VAIO_PASS;
}

static void wt_copy_endio(struct bio *clone);

/*
 * Write @io over slot io->slots[0] ended, and its copy into the slot if it
 * made one (@ok: both succeeded; else the block is dropped). Its reference
 * goes. The last write over a stale slot, once no copy or promotion is
 * writing the slot either, refills it: a read of the block from below,
 * sent by the worker while @io is held (true: the caller completes it
 * then, pool_work()). Reads of the slot in flight began before the writes
 * ended: what they read may change under them. Under lock.
 */
static bool wt_put(struct cache_pool *p, struct cache_io *io, bool ok)
{
	u32 i = io->slots[0];
	struct cache_slot *s = &p->slots[i];

	if (io->stale) {
		if (s->state == SLOT_STALE)
			s->stale_writes--;
	} else {
		/* A read may have copied the old data meanwhile. */
		mem_drop(p, i);
		s->flags &= ~SLOT_UPDATING;
	}
	if (!ok)
		slot_doom(p, i);
	if (s->state == SLOT_STALE && !s->stale_writes && !s->stale_fills &&
	    !(s->flags & SLOT_UPDATING)) {
		if (p->failed || p->nr_filling >= p->max_filling ||
		    !block_readable(io->f, p, slot_oblock(s))) {
			slot_doom(p, i);
		} else {
			/* The reference is the refill's now (fill_done()). */
			s->state = SLOT_FILLING;
			s->prev = CACHE_NONE;
			s->next = CACHE_NONE;
			p->nr_filling++;
			io->fill_read = BIT(0);
			io->next = p->fill_reads;
			p->fill_reads = io;
			queue_work(p->wq, &p->work);
			return true;
		}
	}
	slot_put(p, i);
	return false;
}

/*
 * Send write-through write @io's copy into io->slots[0] (SLOT_UPDATING
 * set for it, a reference held); the write itself goes below from the
 * caller. Without a clone the block is dropped: the write goes below only.
 */
static void wt_copy_start(struct cache_pool *p, struct cache_io *io,
			  struct bio *bio)
{
	u32 slot = io->slots[0];
	struct bio *clone;
	unsigned long flags;

	clone = bio_alloc_clone(p->cdev, bio, GFP_NOWAIT, &p->bs);
	if (!clone) {
		spin_lock_irqsave(&p->lock, flags);
		if (io->fill)
			fill_done(p, slot, false);
		else
			wt_put(p, io, false);
		spin_unlock_irqrestore(&p->lock, flags);
		io->slots[0] = CACHE_NONE;
		return;
	}
	/* The cache is not persistent: its copy needs no flush or FUA. */
	clone->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA);
	clone->bi_iter.bi_sector = slot_sector(p, slot) +
		(bio->bi_iter.bi_sector & (block_sectors(p) - 1));
	clone->bi_end_io = wt_copy_endio;
	clone->bi_private = io;
	io->below_status = BLK_STS_OK;
	io->cache_status = BLK_STS_OK;
	atomic_set(&io->pending, 2);
	submit_bio_noacct(clone);
}

static enum vaio_verdict cache_map_write(struct cache_filter *cf,
					 struct bio *bio, struct cache_io *io)
{
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = start >> p->bshift;
	u64 last = (end - 1) >> p->bshift;
	/* A copy in the cache: of a write within one block, cached or whole. */
	bool copy = cf->mode == CACHE_WRITETHROUGH && bio_op(bio) == REQ_OP_WRITE &&
		    first == last, fill, valid;
	struct cache_slot *s;
	unsigned long flags;
	u32 i, slot = CACHE_NONE;
	u64 b;

	io->kind = IO_WRITE;
	io->d = d;
	io->fill = 0;
	io->stale = 0;
	spin_lock_irqsave(&p->lock, flags);
	/*
	 * A block the cache lacks is taken in whole (a fill) only when no
	 * other write below may be in flight over it, in its region: that
	 * one may land after this one, and the cache would keep this one's
	 * data while the disk below ends up with the other's. A cached block
	 * that is valid and has no flag has no write below in flight over it
	 * (each write below over a hashed block dooms it, copies into it,
	 * setting SLOT_UPDATING, or makes it stale; a block is hashed for a
	 * promotion only while none is in flight, promote_blocked(); a fill,
	 * likewise), so its copy needs no such check: only writes in the rest
	 * of the region could be in flight.
	 */
	fill = copy && !write_below_inflight(p, d, first);
	region_get(p, d, io, first, last);

	if (last - first >= CACHE_INLINE_BLOCKS ||
	    range_dirty(p, d, first, last)) {
		/*
		 * Too many to look up here, or dirty blocks whose newer data
		 * only the cache has: the worker writes back and drops them
		 * first.
		 */
		d->write_misses++;
		defer_range(p, io, bio);
		spin_unlock_irqrestore(&p->lock, flags);
		return VAIO_DEFER;
	}
	for (b = first; b <= last; b++) {
		i = hash_lookup(p, d->idx, b);
		if (i == CACHE_NONE)
			continue;
		s = &p->slots[i];
		valid = s->state == SLOT_PROBATION ||
			s->state == SLOT_PROTECTED;
		if (copy && !s->flags && s->inflight < U8_MAX && valid) {
			slot_touch(p, i);
			s->flags |= SLOT_UPDATING;
			s->inflight++;
			mem_drop(p, i);
			slot = i;
		} else if (copy && s->inflight < U8_MAX &&
			   ((valid && s->flags == SLOT_UPDATING) ||
			    (s->state == SLOT_STALE &&
			     !(s->flags & ~SLOT_UPDATING)) ||
			    (s->state == SLOT_FILLING && !s->flags))) {
			/*
			 * Another write's copy into the block is in flight
			 * (the two could land in one order below and in the
			 * other in the cache), or a promotion of its old data
			 * (a read's, a refill's), or the block is stale
			 * already. This one makes no copy; the block is
			 * stale, read from below, until the last write over
			 * it ended, which fills it again by a read from below
			 * (wt_put()).
			 */
			if (s->state != SLOT_STALE) {
				if (valid) {
					list_del_slot(p, slot_list(p, s), i);
					mem_drop(p, i);
				}
				s->stale_fills = s->state == SLOT_FILLING;
				s->stale_writes = 0;
				s->state = SLOT_STALE;
			}
			s->stale_writes++;
			s->inflight++;
			io->stale = 1;
			slot = i;
		} else {
			slot_doom(p, i);
			d->invalidations++;
		}
	}
	if (slot != CACHE_NONE) {
		d->write_hits++;
	} else {
		d->write_misses++;
		if (fill && bio_sectors(bio) == block_sectors(p)) {
			slot = slot_alloc(p, d, first, false);
			if (slot != CACHE_NONE) {
				p->slots[slot].flags |= SLOT_UPDATING;
				io->fill = 1;
			}
		}
	}
	spin_unlock_irqrestore(&p->lock, flags);

	io->slots[0] = slot;
	io->bio = bio;
	if (slot != CACHE_NONE && !io->stale)
		wt_copy_start(p, io, bio);
	return VAIO_PASS;
}

enum vaio_verdict cache_map(struct vaio_filter *f, struct bio *bio, void *data)
{
	struct cache_filter *cf = f->private;
	struct cache_io *io = data;
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	unsigned long flags;
	enum vaio_verdict v;

	io->kind = IO_NONE;
	io->nr = 0;
	io->mem_fill = 0;
	if (unlikely(READ_ONCE(p->failed))) {
		if (!READ_ONCE(d->dirty))
			return VAIO_PASS;
		DMERR_LIMIT("disk %s: cache device failed, %u dirty blocks not written back",
			    d->id, READ_ONCE(d->dirty));
		vaio_filter_error(f, "cache device failed holding dirty blocks");
		return VAIO_FAIL;
	}
	io->iter = bio->bi_iter;
	io->below = f->data_dev->bdev;
	io->pool = p;
	io->d = d;
	io->f = f;
	if (!bio_sectors(bio)) {
		/*
		 * A flush: the cache may hold writes it must make durable.
		 * It goes below at once; it completes once the commit too
		 * is done (pool_flush_work(), cache_end_io()), as
		 * dm-writecache's two flush bios. In writeback mode, the
		 * commit alone when no write of this table ended below since
		 * a flush below that succeeded was sent: the disk below then
		 * holds nothing a flush would make durable (write-back
		 * flushes below itself before it marks blocks clean).
		 */
		if (!(bio->bi_opf & REQ_PREFLUSH) ||
		    (cf->mode != CACHE_WRITEBACK && !READ_ONCE(d->dirty)))
			return VAIO_PASS;
		io->kind = IO_FLUSH;
		io->bio = bio;
		io->cache_status = BLK_STS_OK;
		io->gen = atomic64_read(&cf->below_done);
		io->flush_local = cf->mode == CACHE_WRITEBACK &&
				  io->gen == atomic64_read(&cf->below_flushed);
		atomic_set(&io->pending, io->flush_local ? 1 : 2);
		/* Once published, a held flush may complete at once. */
		v = io->flush_local ? VAIO_DEFER : VAIO_PASS;
		spin_lock_irqsave(&p->lock, flags);
		io->next = p->flush_ios;
		p->flush_ios = io;
		spin_unlock_irqrestore(&p->lock, flags);
		queue_work(p->wq, &p->flush_work);
		return v;
	}

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return cache_map_read(f, cf, bio, io);
	case REQ_OP_WRITE:
		if (cf->mode == CACHE_WRITEBACK &&
		    ((end - 1) >> p->bshift) - (start >> p->bshift) <
		    CACHE_MAX_BIO_BLOCKS) {
			v = cache_wb_write(cf, bio, io);
			if (v != VAIO_PASS)
				return v;
		}
		fallthrough;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
	case REQ_OP_WRITE_ZEROES:
		return cache_map_write(cf, bio, io);
	default:
		return VAIO_PASS;
	}
}

/*
 * Both the write below and its copy in the cache ended. True: the write
 * is held for a refill of its block (wt_put()).
 */
static bool wt_finish(struct cache_io *io)
{
	struct cache_pool *p = io->pool;
	bool ok = !io->below_status && !io->cache_status, held = false;
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	if (io->cache_status)
		pool_error(p);
	if (io->fill)
		fill_done(p, io->slots[0], ok);
	else
		held = wt_put(p, io, ok);
	spin_unlock_irqrestore(&p->lock, flags);
	return held;
}

static void wt_copy_endio(struct bio *clone)
{
	struct cache_io *io = clone->bi_private;
	struct bio *bio = io->bio;

	io->cache_status = clone->bi_status;
	bio_put(clone);
	if (atomic_dec_and_test(&io->pending) && !wt_finish(io))
		vaio_bio_end_continue(bio);
}

static void retry_endio(struct bio *clone)
{
	struct bio *bio = clone->bi_private;

	bio->bi_status = clone->bi_status;
	bio_put(clone);
	vaio_bio_end_continue(bio);
}

/*
 * Copy block @i of the read's data into pages and write them to its slot.
 * At most p->max_filling blocks at a time (slot_alloc()): 4 MiB. In a
 * completion, maybe in interrupt context: a page from the atomic reserves
 * for a 4 KiB block, as before; larger blocks only when pages are free.
 */
static bool fill_start(struct cache_pool *p, struct bio *bio,
		       struct bvec_iter iter, u32 i)
{
	gfp_t gfp = block_pages(p) == 1 ? GFP_ATOMIC : GFP_NOWAIT;
	unsigned long flags;
	struct bio *fill;

	fill = fill_alloc(p, i, gfp);
	if (!fill)
		return false;
	bio_copy_block(p, bio, iter, slot_oblock(&p->slots[i]), fill->bi_io_vec);
	spin_lock_irqsave(&p->lock, flags);
	bio_list_add(&p->fills, fill);
	spin_unlock_irqrestore(&p->lock, flags);
	return true;
}

enum vaio_end_verdict cache_end_io(struct vaio_filter *f, struct bio *bio,
				   void *data, blk_status_t *error)
{
	struct cache_filter *cf = f->private;
	struct cache_pool *p = cf->pool;
	struct cache_io *io = data;
	struct bio *clone;
	unsigned long flags;
	unsigned int n;
	bool queued = false, reads = false, dirty;

	switch (io->kind) {
	case IO_READ_HIT:
		mem_fill_end(p, io, bio, !*error);
		spin_lock_irqsave(&p->lock, flags);
		for (n = 0; n < io->nr; n++)
			slot_put(p, io->slots[n]);
		dirty = *error && hit_failed(p, io);
		spin_unlock_irqrestore(&p->lock, flags);
		if (!*error || dirty)
			return VAIO_END_DONE;
		/* Read it again from the disk below. */
		bio->bi_iter = io->iter;
		clone = bio_alloc_clone(io->below, bio, GFP_ATOMIC, &p->bs);
		if (!clone)
			return VAIO_END_DONE;
		clone->bi_end_io = retry_endio;
		clone->bi_private = bio;
		spin_lock_irqsave(&p->lock, flags);
		bio_list_add(&p->retries, clone);
		spin_unlock_irqrestore(&p->lock, flags);
		queue_work(p->wq, &p->work);
		return VAIO_END_DEFER;

	case IO_READ_MISS:
		for (n = 0; n < io->nr; n++) {
			u32 i = io->slots[n];

			if (!*error && (io->fill_read & BIT(n))) {
				reads = true;
				continue;
			}
			if (!*error && fill_start(p, bio, io->iter, i)) {
				queued = true;
				continue;
			}
			spin_lock_irqsave(&p->lock, flags);
			fill_done(p, i, false);
			spin_unlock_irqrestore(&p->lock, flags);
		}
		if (reads) {
			/*
			 * Blocks it read in part: the worker sends their reads
			 * (not from here: a completion may run in interrupt
			 * context), and then completes the bio.
			 */
			io->bio = bio;
			io->f = f;
			spin_lock_irqsave(&p->lock, flags);
			io->next = p->fill_reads;
			p->fill_reads = io;
			spin_unlock_irqrestore(&p->lock, flags);
			queue_work(p->wq, &p->work);
			return VAIO_END_DEFER;
		}
		if (queued)
			queue_work(p->wq, &p->work);
		return VAIO_END_DONE;

	case IO_WRITE:
		atomic64_inc(&cf->below_done);
		spin_lock_irqsave(&p->lock, flags);
		if (io->nr_regions == 3) {
			io->d->big_writes--;
		} else {
			p->region_writes[io->regions[0]]--;
			if (io->nr_regions == 2)
				p->region_writes[io->regions[1]]--;
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (io->slots[0] == CACHE_NONE)
			return VAIO_END_DONE;
		if (io->stale) {
			spin_lock_irqsave(&p->lock, flags);
			queued = wt_put(p, io, !*error);
			spin_unlock_irqrestore(&p->lock, flags);
			return queued ? VAIO_END_DEFER : VAIO_END_DONE;
		}
		io->below_status = *error;
		if (atomic_dec_and_test(&io->pending))
			return wt_finish(io) ? VAIO_END_DEFER : VAIO_END_DONE;
		return VAIO_END_DEFER;

	case IO_FLUSH:
		/* Done below; the commit done too (pool_flush_work())? */
		if (!*error) {
			s64 old = atomic64_read(&cf->below_flushed);

			while (old < (s64)io->gen &&
			       !atomic64_try_cmpxchg(&cf->below_flushed, &old,
						     io->gen))
				;
		}
		if (!atomic_dec_and_test(&io->pending))
			return VAIO_END_DEFER;
		if (!*error)
			*error = io->cache_status;
		return VAIO_END_DONE;

	default:
		return VAIO_END_DONE;
	}
}
