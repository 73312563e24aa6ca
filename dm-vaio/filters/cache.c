// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: caches the blocks of VM disks on a fast device.
 *
 * The cache device belongs to a pool, a device-mapper target of its own
 * ("vaio-cache-pool", created once per host); the filter of each disk
 * names the pool and takes a share of its blocks. Blocks are 4 KiB. The
 * index (which block of which disk is in which cache block) lives in
 * memory, in the pool; a disk's part of it outlives table reloads.
 *
 * Modes: writethrough (a write completes when the disk below and the
 * cache have it) and writearound (writes go to the disk below only and
 * drop the cached copy). The disk below is always up to date, so the
 * cache holds no data of its own: losing it, by a crash or a failing cache
 * device, loses nothing; the disk carries on uncached.
 *
 * Replacement is a segmented LRU with a ghost filter for admission and a
 * sequential-stream bypass; Documentation/cache.rst says why.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/device-mapper.h>
#include <linux/delay.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

static LIST_HEAD(cache_pools);
static DEFINE_MUTEX(cache_pools_lock);

/*
 *--------------------------------------------------------------
 * The index: hash, lists, slots. All under pool->lock.
 *--------------------------------------------------------------
 */
static inline u32 slot_idx(struct cache_pool *p, struct cache_slot *s)
{
	return s - p->slots;
}

static inline sector_t slot_sector(struct cache_pool *p, u32 idx)
{
	return CACHE_DATA_START + ((sector_t)idx << CACHE_BLOCK_SHIFT);
}

static inline u32 key_hash(struct cache_pool *p, u8 disk, u64 oblock)
{
	return hash_64(oblock ^ ((u64)disk << 56), p->hash_bits);
}

static u32 hash_lookup(struct cache_pool *p, u8 disk, u64 oblock)
{
	u32 i = p->buckets[key_hash(p, disk, oblock)];

	while (i != CACHE_NONE) {
		struct cache_slot *s = &p->slots[i];

		if (s->oblock == oblock && s->disk == disk)
			return i;
		i = s->hnext;
	}
	return CACHE_NONE;
}

static void hash_insert(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];
	u32 *b = &p->buckets[key_hash(p, s->disk, s->oblock)];

	s->hnext = *b;
	*b = i;
}

static void hash_remove(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];
	u32 *b = &p->buckets[key_hash(p, s->disk, s->oblock)];

	while (*b != i)
		b = &p->slots[*b].hnext;
	*b = s->hnext;
	s->hnext = CACHE_NONE;
}

static void list_push_head(struct cache_pool *p, struct cache_list *l, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	s->prev = CACHE_NONE;
	s->next = l->head;
	if (l->head != CACHE_NONE)
		p->slots[l->head].prev = i;
	else
		l->tail = i;
	l->head = i;
	l->count++;
}

static void list_del_slot(struct cache_pool *p, struct cache_list *l, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	if (s->prev != CACHE_NONE)
		p->slots[s->prev].next = s->next;
	else
		l->head = s->next;
	if (s->next != CACHE_NONE)
		p->slots[s->next].prev = s->prev;
	else
		l->tail = s->prev;
	s->prev = CACHE_NONE;
	s->next = CACHE_NONE;
	l->count--;
}

static struct cache_list *slot_list(struct cache_pool *p, struct cache_slot *s)
{
	switch (s->state) {
	case SLOT_PROBATION:
		return &p->probation;
	case SLOT_PROTECTED:
		return &p->protected;
	default:
		return NULL;
	}
}

static void slot_free(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	s->state = SLOT_FREE;
	s->flags = 0;
	list_push_head(p, &p->free, i);
}

/* Drop a block from the index; its slot is reused once no I/O uses it. */
static void slot_doom(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];
	struct cache_list *l = slot_list(p, s);

	if (s->state == SLOT_FREE || s->state == SLOT_DOOMED)
		return;
	if (l)
		list_del_slot(p, l, i);
	hash_remove(p, i);
	p->disks[s->disk]->used--;
	s->state = SLOT_DOOMED;
	if (!s->inflight)
		slot_free(p, i);
}

/* Cap the protected list: its least recently used go back on probation. */
static void protected_trim(struct cache_pool *p)
{
	while (p->protected.count > p->protected_max) {
		u32 i = p->protected.tail;

		list_del_slot(p, &p->protected, i);
		p->slots[i].state = SLOT_PROBATION;
		list_push_head(p, &p->probation, i);
	}
}

/* A hit: probation moves to protected, protected to its head. */
static void slot_touch(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	list_del_slot(p, slot_list(p, s), i);
	s->state = SLOT_PROTECTED;
	list_push_head(p, &p->protected, i);
	protected_trim(p);
}

/* A filled slot becomes a cached block, on probation. */
static void slot_valid(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	s->state = SLOT_PROBATION;
	list_push_head(p, &p->probation, i);
	p->disks[s->disk]->promotions++;
}

/* One I/O on the slot ended: free it if it was doomed meanwhile. */
static void slot_put(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	if (!--s->inflight && s->state == SLOT_DOOMED)
		slot_free(p, i);
}

static bool ghost_test_set(struct cache_pool *p, u8 disk, u64 oblock)
{
	u32 h = hash_64(oblock ^ ((u64)disk << 56) ^ 0x5bd1e995, p->ghost_bits);

	if (test_bit(h, p->ghost[0]) || test_bit(h, p->ghost[1]))
		return true;
	__set_bit(h, p->ghost[0]);
	if (++p->ghost_count >= p->nslots) {
		swap(p->ghost[0], p->ghost[1]);
		bitmap_zero(p->ghost[0], 1U << p->ghost_bits);
		p->ghost_count = 0;
	}
	return false;
}

/* May disk @d take slot @s? Not if its owner is within its reservation. */
static bool victim_ok(struct cache_pool *p, struct cache_disk *d,
		      struct cache_slot *s)
{
	struct cache_disk *owner = p->disks[s->disk];

	if (s->inflight || s->flags)
		return false;
	return owner == d || owner->used > owner->reserve_blocks;
}

static u32 find_victim(struct cache_pool *p, struct cache_disk *d)
{
	struct cache_list *lists[] = { &p->probation, &p->protected };
	unsigned int l, n;
	u32 i;

	for (l = 0; l < ARRAY_SIZE(lists); l++) {
		i = lists[l]->tail;
		for (n = 0; n < CACHE_VICTIM_SCAN && i != CACHE_NONE; n++) {
			if (victim_ok(p, d, &p->slots[i]))
				return i;
			i = p->slots[i].prev;
		}
	}
	return CACHE_NONE;
}

/*
 * A slot for block @oblock of @d, hashed and FILLING, or CACHE_NONE. When
 * the pool is full, only a block missed recently (in the ghost filter)
 * displaces another.
 */
static u32 slot_alloc(struct cache_pool *p, struct cache_disk *d, u64 oblock)
{
	struct cache_slot *s;
	u32 i;

	if (p->nr_filling >= CACHE_MAX_FILLING)
		return CACHE_NONE;
	if (p->free.count) {
		i = p->free.head;
		list_del_slot(p, &p->free, i);
	} else {
		if (!ghost_test_set(p, d->idx, oblock))
			return CACHE_NONE;
		i = find_victim(p, d);
		if (i == CACHE_NONE)
			return CACHE_NONE;
		s = &p->slots[i];
		p->disks[s->disk]->demotions++;
		list_del_slot(p, slot_list(p, s), i);
		hash_remove(p, i);
		p->disks[s->disk]->used--;
	}
	s = &p->slots[i];
	s->oblock = oblock;
	s->disk = d->idx;
	s->state = SLOT_FILLING;
	s->flags = 0;
	s->inflight = 1;
	hash_insert(p, i);
	d->used++;
	p->nr_filling++;
	return i;
}

/* A promotion's write ended (or never started). */
static void fill_done(struct cache_pool *p, u32 i, bool ok)
{
	struct cache_slot *s = &p->slots[i];

	p->nr_filling--;
	s->flags &= ~SLOT_UPDATING;
	if (s->state == SLOT_FILLING) {
		if (ok && !p->failed)
			slot_valid(p, i);
		else
			slot_doom(p, i);
	}
	slot_put(p, i);
}

static void pool_error(struct cache_pool *p)
{
	p->errors++;
	if (!p->failed) {
		p->failed = true;
		DMERR("pool %s: cache device error; its disks carry on uncached",
		      p->name);
	}
}

static inline u32 region_of(struct cache_disk *d, u64 oblock)
{
	return hash_64((oblock >> CACHE_REGION_SHIFT) ^ ((u64)d->idx << 56),
		       CACHE_REGION_BITS);
}

/*
 *--------------------------------------------------------------
 * The pool's worker: promotion writes and reads retried below.
 *--------------------------------------------------------------
 */
static void ranges_work(struct cache_pool *p, struct cache_io *io);

static void pool_work(struct work_struct *work)
{
	struct cache_pool *p = container_of(work, struct cache_pool, work);
	struct bio_list fills, retries;
	struct cache_io *ranges;
	struct bio *bio;

	spin_lock_irq(&p->lock);
	fills = p->fills;
	retries = p->retries;
	ranges = p->ranges;
	bio_list_init(&p->fills);
	bio_list_init(&p->retries);
	p->ranges = NULL;
	spin_unlock_irq(&p->lock);

	while ((bio = bio_list_pop(&fills)))
		submit_bio_noacct(bio);
	while ((bio = bio_list_pop(&retries)))
		submit_bio_noacct(bio);
	if (ranges)
		ranges_work(p, ranges);
}

static void fill_endio(struct bio *bio)
{
	struct cache_pool *p = bio->bi_private;
	struct page *page = bio_first_page_all(bio);
	u32 i = page_private(page);	/* the slot; see fill_start() */
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	if (bio->bi_status)
		pool_error(p);
	fill_done(p, i, !bio->bi_status);
	spin_unlock_irqrestore(&p->lock, flags);
	set_page_private(page, 0);
	__free_page(page);
	bio_put(bio);
}

/*
 *--------------------------------------------------------------
 * The filter
 *--------------------------------------------------------------
 */
enum cache_mode {
	CACHE_WRITETHROUGH,
	CACHE_WRITEAROUND,
};

static const char * const mode_names[] = {
	[CACHE_WRITETHROUGH] = "writethrough",
	[CACHE_WRITEAROUND] = "writearound",
};

#define CACHE_STREAMS 4

struct cache_stream {
	sector_t next;
	sector_t run;
	u64 stamp;
};

struct cache_filter {
	struct cache_pool *pool;
	struct cache_disk *d;
	struct dm_dev *pool_dd;
	enum cache_mode mode;
	sector_t seq_sectors;		/* 0: no sequential bypass */
	struct cache_stream streams[CACHE_STREAMS];	/* pool->lock */
	u64 seq_clock;
};

enum cache_io_kind {
	IO_NONE,
	IO_READ_HIT,		/* served from cache: slots[0..nr) */
	IO_READ_MISS,		/* from below; promotes slots[0..nr) */
	IO_WRITE,		/* to below; maybe a copy to slots[0] */
};

/* Per bio. */
struct cache_io {
	struct bvec_iter iter;		/* the bio as mapped */
	struct cache_pool *pool;
	struct bio *bio;
	struct block_device *below;
	u32 slots[CACHE_MAX_BIO_BLOCKS];
	u32 regions[2];
	u8 kind;
	u8 nr;
	u8 nr_regions;			/* 0..2; 3: a big write */
	u8 fill;			/* IO_WRITE: slots[0] is a promotion */
	struct cache_io *next;		/* pool->ranges */
	atomic_t pending;		/* IO_WRITE with a copy: 2 */
	blk_status_t below_status;
	blk_status_t cache_status;
	struct cache_disk *d;
};

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

static void split_endio(struct bio *clone)
{
	struct cache_io *io = clone->bi_private;
	struct cache_pool *p = io->pool;
	struct bio *bio = io->bio;
	unsigned long flags;
	blk_status_t status;
	unsigned int n;

	if (clone->bi_status)
		WRITE_ONCE(io->cache_status, clone->bi_status);
	bio_put(clone);
	if (!atomic_dec_and_test(&io->pending))
		return;

	status = READ_ONCE(io->cache_status);
	spin_lock_irqsave(&p->lock, flags);
	for (n = 0; n < io->nr; n++)
		slot_put(p, io->slots[n]);
	if (status) {
		pool_error(p);
		for (n = 0; n < io->nr; n++)
			slot_doom(p, io->slots[n]);
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
 * A hit on blocks that are not consecutive in the cache: one clone of the
 * bio per run of consecutive cache blocks. The slots are held (inflight).
 */
static enum vaio_verdict cache_split_read(struct cache_filter *cf,
					  struct bio *bio, struct cache_io *io)
{
	struct cache_pool *p = cf->pool;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	sector_t base = round_down(start, CACHE_BLOCK_SECTORS), from, to;
	struct bio_list clones;
	struct bio *clone;
	unsigned int n, run, nruns = 0;
	unsigned long flags;

	bio_list_init(&clones);
	for (n = 0; n < io->nr; n = run) {
		for (run = n + 1; run < io->nr &&
		     io->slots[run] == io->slots[run - 1] + 1; run++)
			;
		from = max(start, base + ((sector_t)n << CACHE_BLOCK_SHIFT));
		to = min(end, base + ((sector_t)run << CACHE_BLOCK_SHIFT));
		clone = bio_alloc_clone(p->cdev, bio, GFP_NOWAIT, &p->bs);
		if (!clone)
			goto undo;
		bio_trim(clone, from - start, to - from);
		clone->bi_iter.bi_sector = slot_sector(p, io->slots[n]) +
					   (from & (CACHE_BLOCK_SECTORS - 1));
		clone->bi_end_io = split_endio;
		clone->bi_private = io;
		bio_list_add(&clones, clone);
		nruns++;
	}
	io->kind = IO_NONE;	/* split_endio() finishes it */
	io->bio = bio;
	io->pool = p;
	io->cache_status = BLK_STS_OK;
	atomic_set(&io->pending, nruns);
	while ((clone = bio_list_pop(&clones)))
		submit_bio_noacct(clone);
	return VAIO_DEFER;

undo:
	while ((clone = bio_list_pop(&clones)))
		bio_put(clone);
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

static enum vaio_verdict cache_map_read(struct cache_filter *cf,
					struct bio *bio, struct cache_io *io)
{
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = start >> CACHE_BLOCK_SHIFT;
	u64 last = (end - 1) >> CACHE_BLOCK_SHIFT;
	u64 b, nblocks = last - first + 1;
	unsigned long flags;
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
		if (n && i != io->slots[n - 1] + 1)
			contig = false;
		io->slots[n] = i;
	}
	if (hit) {
		for (n = 0; n < nblocks; n++) {
			slot_touch(p, io->slots[n]);
			p->slots[io->slots[n]].inflight++;
		}
		io->nr = nblocks;
		d->read_hits++;
		d->read_hit_sectors += end - start;
		spin_unlock_irqrestore(&p->lock, flags);

		if (!contig)
			return cache_split_read(cf, bio, io);
		io->kind = IO_READ_HIT;
		bio_set_dev(bio, p->cdev);
		bio->bi_iter.bi_sector = slot_sector(p, io->slots[0]) +
					 (start & (CACHE_BLOCK_SECTORS - 1));
		return VAIO_REMAP;
	}

	d->read_misses++;
	d->read_miss_sectors += end - start;
	if (seq) {
		d->seq_bypass++;
		goto out;
	}
	if (nblocks > CACHE_MAX_BIO_BLOCKS || d->big_writes ||
	    p->region_writes[region_of(d, first)] ||
	    p->region_writes[region_of(d, last)])
		goto out;
	/* Promote the blocks the bio covers whole and the cache lacks. */
	first = round_up(start, CACHE_BLOCK_SECTORS) >> CACHE_BLOCK_SHIFT;
	for (b = first; (b + 1) << CACHE_BLOCK_SHIFT <= end; b++) {
		if (hash_lookup(p, d->idx, b) != CACHE_NONE)
			continue;
		i = slot_alloc(p, d, b);
		if (i == CACHE_NONE)
			break;
		io->slots[io->nr++] = i;
	}
	if (io->nr)
		io->kind = IO_READ_MISS;
out:
	spin_unlock_irqrestore(&p->lock, flags);
	return VAIO_PASS;
}

static void wt_copy_endio(struct bio *clone);

static enum vaio_verdict cache_map_write(struct cache_filter *cf,
					 struct bio *bio, struct cache_io *io)
{
	struct cache_pool *p = cf->pool;
	struct cache_disk *d = cf->d;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = start >> CACHE_BLOCK_SHIFT;
	u64 last = (end - 1) >> CACHE_BLOCK_SHIFT;
	u32 r0 = region_of(d, first), r1 = region_of(d, last);
	bool copy = cf->mode == CACHE_WRITETHROUGH && bio_op(bio) == REQ_OP_WRITE &&
		    first == last && bio_sectors(bio) == CACHE_BLOCK_SECTORS;
	struct cache_slot *s;
	struct bio *clone;
	unsigned long flags;
	u32 i, slot = CACHE_NONE;
	u64 b;

	io->kind = IO_WRITE;
	io->d = d;
	io->fill = 0;
	spin_lock_irqsave(&p->lock, flags);
	/* Reads that begin now must not promote what this write changes. */
	if (((last >> CACHE_REGION_SHIFT) - (first >> CACHE_REGION_SHIFT)) > 1) {
		d->big_writes++;
		io->nr_regions = 3;
	} else {
		io->regions[0] = r0;
		io->regions[1] = r1;
		io->nr_regions = r0 == r1 ? 1 : 2;
		p->region_writes[r0]++;
		if (r1 != r0)
			p->region_writes[r1]++;
	}

	if (last - first >= CACHE_INLINE_BLOCKS) {
		/* Too many to look up here: the worker drops them first. */
		d->write_misses++;
		io->slots[0] = CACHE_NONE;
		io->bio = bio;
		io->next = p->ranges;
		p->ranges = io;
		spin_unlock_irqrestore(&p->lock, flags);
		queue_work(p->wq, &p->work);
		return VAIO_DEFER;
	}
	for (b = first; b <= last; b++) {
		i = hash_lookup(p, d->idx, b);
		if (i == CACHE_NONE)
			continue;
		s = &p->slots[i];
		if (copy && !s->flags && s->inflight < U8_MAX &&
		    (s->state == SLOT_PROBATION || s->state == SLOT_PROTECTED)) {
			slot_touch(p, i);
			s->flags |= SLOT_UPDATING;
			s->inflight++;
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
		if (copy && first == last) {
			slot = slot_alloc(p, d, first);
			if (slot != CACHE_NONE) {
				p->slots[slot].flags |= SLOT_UPDATING;
				io->fill = 1;
			}
		}
	}
	spin_unlock_irqrestore(&p->lock, flags);

	io->slots[0] = slot;
	if (slot == CACHE_NONE)
		return VAIO_PASS;

	clone = bio_alloc_clone(p->cdev, bio, GFP_NOWAIT, &p->bs);
	if (!clone) {
		spin_lock_irqsave(&p->lock, flags);
		if (io->fill) {
			fill_done(p, slot, false);
		} else {
			p->slots[slot].flags &= ~SLOT_UPDATING;
			slot_doom(p, slot);
			slot_put(p, slot);
		}
		spin_unlock_irqrestore(&p->lock, flags);
		io->slots[0] = CACHE_NONE;
		return VAIO_PASS;
	}
	/* The cache is not persistent: its copy needs no flush or FUA. */
	clone->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA);
	clone->bi_iter.bi_sector = slot_sector(p, slot);
	clone->bi_end_io = wt_copy_endio;
	clone->bi_private = io;
	io->pool = p;
	io->bio = bio;
	io->below_status = BLK_STS_OK;
	io->cache_status = BLK_STS_OK;
	atomic_set(&io->pending, 2);
	submit_bio_noacct(clone);
	return VAIO_PASS;
}

static enum vaio_verdict cache_map(struct vaio_filter *f, struct bio *bio,
				   void *data)
{
	struct cache_filter *cf = f->private;
	struct cache_io *io = data;

	io->kind = IO_NONE;
	io->nr = 0;
	if (READ_ONCE(cf->pool->failed) || !bio_sectors(bio))
		return VAIO_PASS;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		io->iter = bio->bi_iter;
		io->below = f->data_dev->bdev;
		io->pool = cf->pool;
		return cache_map_read(cf, bio, io);
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
	case REQ_OP_WRITE_ZEROES:
		io->iter = bio->bi_iter;
		return cache_map_write(cf, bio, io);
	default:
		return VAIO_PASS;
	}
}

/* Both the write below and its copy in the cache ended. */
static void wt_finish(struct cache_io *io)
{
	struct cache_pool *p = io->pool;
	u32 i = io->slots[0];
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	if (io->cache_status)
		pool_error(p);
	if (io->fill) {
		fill_done(p, i, !io->below_status && !io->cache_status);
	} else {
		p->slots[i].flags &= ~SLOT_UPDATING;
		if (io->below_status || io->cache_status)
			slot_doom(p, i);
		slot_put(p, i);
	}
	spin_unlock_irqrestore(&p->lock, flags);
}

static void wt_copy_endio(struct bio *clone)
{
	struct cache_io *io = clone->bi_private;
	struct bio *bio = io->bio;

	io->cache_status = clone->bi_status;
	bio_put(clone);
	if (atomic_dec_and_test(&io->pending)) {
		wt_finish(io);
		vaio_bio_end_continue(bio);
	}
}

static void retry_endio(struct bio *clone)
{
	struct bio *bio = clone->bi_private;

	bio->bi_status = clone->bi_status;
	bio_put(clone);
	vaio_bio_end_continue(bio);
}

/* Copy block @i of the read's data into a page and write it to its slot. */
static bool fill_start(struct cache_pool *p, struct bio *bio,
		       struct bvec_iter iter, u32 i)
{
	struct cache_slot *s = &p->slots[i];
	unsigned int off = ((s->oblock << CACHE_BLOCK_SHIFT) - iter.bi_sector)
			   << SECTOR_SHIFT;
	struct bvec_iter it;
	struct bio_vec bv;
	struct page *page;
	unsigned long flags;
	struct bio *fill;
	char *dst;

	page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
	if (!page)
		return false;
	fill = bio_alloc_bioset(p->cdev, 1, REQ_OP_WRITE, GFP_ATOMIC, &p->bs);
	if (!fill) {
		__free_page(page);
		return false;
	}
	bio_advance_iter(bio, &iter, off);
	iter.bi_size = CACHE_BLOCK_BYTES;
	dst = page_address(page);
	__bio_for_each_segment(bv, bio, it, iter) {
		memcpy_from_bvec(dst, &bv);
		dst += bv.bv_len;
	}
	fill->bi_iter.bi_sector = slot_sector(p, i);
	__bio_add_page(fill, page, CACHE_BLOCK_BYTES, 0);
	fill->bi_end_io = fill_endio;
	fill->bi_private = p;
	/* bi_iter is advanced by completion: the page carries the slot. */
	set_page_private(page, i);
	spin_lock_irqsave(&p->lock, flags);
	bio_list_add(&p->fills, fill);
	spin_unlock_irqrestore(&p->lock, flags);
	return true;
}

static enum vaio_end_verdict cache_end_io(struct vaio_filter *f,
					  struct bio *bio, void *data,
					  blk_status_t *error)
{
	struct cache_filter *cf = f->private;
	struct cache_pool *p = cf->pool;
	struct cache_io *io = data;
	struct bio *clone;
	unsigned long flags;
	unsigned int n;
	bool queued = false;

	switch (io->kind) {
	case IO_READ_HIT:
		spin_lock_irqsave(&p->lock, flags);
		for (n = 0; n < io->nr; n++)
			slot_put(p, io->slots[n]);
		if (*error) {
			pool_error(p);
			for (n = 0; n < io->nr; n++)
				slot_doom(p, io->slots[n]);
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (!*error)
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

			if (!*error && fill_start(p, bio, io->iter, i)) {
				queued = true;
				continue;
			}
			spin_lock_irqsave(&p->lock, flags);
			fill_done(p, i, false);
			spin_unlock_irqrestore(&p->lock, flags);
		}
		if (queued)
			queue_work(p->wq, &p->work);
		return VAIO_END_DONE;

	case IO_WRITE:
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
		io->below_status = *error;
		if (atomic_dec_and_test(&io->pending)) {
			wt_finish(io);
			return VAIO_END_DONE;
		}
		return VAIO_END_DEFER;

	default:
		return VAIO_END_DONE;
	}
}

/* Drop the blocks @first..@last of @d from the index, a batch at a time. */
static void drop_range(struct cache_pool *p, struct cache_disk *d, u64 first,
		       u64 last)
{
	u64 b = first, end;
	u32 i;

	if (last - first < p->nslots) {
		while (b <= last) {
			end = min(last, b + 1023);
			spin_lock_irq(&p->lock);
			for (; b <= end; b++) {
				i = hash_lookup(p, d->idx, b);
				if (i != CACHE_NONE) {
					slot_doom(p, i);
					d->invalidations++;
				}
			}
			spin_unlock_irq(&p->lock);
			cond_resched();
		}
		return;
	}
	for (i = 0; i < p->nslots; i = end) {
		end = min_t(u32, p->nslots, i + 4096);
		spin_lock_irq(&p->lock);
		for (; i < end; i++) {
			struct cache_slot *s = &p->slots[i];

			if (s->disk == d->idx && s->oblock >= first &&
			    s->oblock <= last && s->state != SLOT_FREE &&
			    s->state != SLOT_DOOMED) {
				slot_doom(p, i);
				d->invalidations++;
			}
		}
		spin_unlock_irq(&p->lock);
		cond_resched();
	}
}

static void ranges_work(struct cache_pool *p, struct cache_io *io)
{
	struct cache_io *next;

	for (; io; io = next) {
		struct bio *bio = io->bio;
		sector_t start = io->iter.bi_sector;

		next = io->next;
		drop_range(p, io->d, start >> CACHE_BLOCK_SHIFT,
			   (start + (io->iter.bi_size >> SECTOR_SHIFT) - 1) >>
			   CACHE_BLOCK_SHIFT);
		vaio_bio_continue(bio, VAIO_PASS);
	}
}

/*
 *--------------------------------------------------------------
 * Disks in a pool
 *--------------------------------------------------------------
 */

/* Drop every block of @d from the index, a batch at a time. */
static void disk_purge(struct cache_pool *p, struct cache_disk *d)
{
	u32 i, end;

	for (i = 0; i < p->nslots; i = end) {
		end = min_t(u32, p->nslots, i + 4096);
		spin_lock_irq(&p->lock);
		for (; i < end; i++) {
			struct cache_slot *s = &p->slots[i];

			if (s->disk == d->idx && s->state != SLOT_FREE &&
			    s->state != SLOT_DOOMED)
				slot_doom(p, i);
		}
		spin_unlock_irq(&p->lock);
		cond_resched();
	}
}

static u32 reserved_pct(struct cache_pool *p, struct cache_disk *except)
{
	u32 sum = 0;
	unsigned int i;

	for (i = 0; i < CACHE_MAX_DISKS; i++)
		if (p->disks[i] && p->disks[i] != except)
			sum += p->disks[i]->reserve_pct;
	return sum;
}

/* Find or make @f's disk in @p. cache_pools_lock held. */
static struct cache_disk *disk_get(struct cache_pool *p, struct vaio_filter *f,
				   u32 reserve, char **error)
{
	const char *id = vaio_disk_id(f);
	struct cache_disk *d = NULL;
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
	if (!d) {
		if (free == CACHE_MAX_DISKS) {
			*error = "cache pool has no room for another disk";
			return ERR_PTR(-ENOSPC);
		}
		d = kzalloc(sizeof(*d), GFP_KERNEL);
		if (!d)
			goto nomem;
		d->id = kstrdup(id, GFP_KERNEL);
		if (!d->id) {
			kfree(d);
			goto nomem;
		}
		d->idx = free;
		d->data_dev = f->data_dev->bdev->bd_dev;
		d->len = f->ti->len;
	}

	spin_lock_irq(&p->lock);
	d->reserve_pct = reserve;
	d->reserve_blocks = div_u64((u64)p->nslots * reserve, 100);
	p->disks[d->idx] = d;
	spin_unlock_irq(&p->lock);
	d->ref++;
	return d;

nomem:
	*error = "cannot allocate cache disk";
	return ERR_PTR(-ENOMEM);
}

static void disk_put(struct cache_pool *p, struct cache_disk *d)
{
	lockdep_assert_held(&cache_pools_lock);
	if (--d->ref)
		return;
	disk_purge(p, d);
	spin_lock_irq(&p->lock);
	p->disks[d->idx] = NULL;
	spin_unlock_irq(&p->lock);
	kfree(d->id);
	kfree(d);
}

static void pool_put(struct cache_pool *p);

static struct cache_pool *pool_find(dev_t dev)
{
	struct cache_pool *p;

	lockdep_assert_held(&cache_pools_lock);
	list_for_each_entry(p, &cache_pools, list)
		if (p->dev == dev)
			return p;
	return NULL;
}

/*
 *--------------------------------------------------------------
 * Filter operations
 *--------------------------------------------------------------
 */
static const struct vaio_param cache_params[] = {
	{ .name = "pool", .kind = VAIO_PARAM_KIND_STRING,
	  .help = "the cache pool: its dm name or device path (required)" },
	{ .name = "mode", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = "writethrough|writearound", .def = "writethrough",
	  .help = "writethrough: writes update the cache; writearound: they bypass it" },
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
	u32 reserve = 0, seq = 512;
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

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf) {
		*error = "cannot allocate cache filter";
		return -ENOMEM;
	}
	cf->mode = mode && !strcmp(mode, "writearound") ? CACHE_WRITEAROUND :
							  CACHE_WRITETHROUGH;
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
	r = dm_get_device(f->ti, path, dm_table_get_mode(f->ti->table),
			  &cf->pool_dd);
	kfree(path);
	if (r) {
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
	dm_put_device(f->ti, cf->pool_dd);
bad:
	kfree(cf);
	return r;
}

static void cache_dtr(struct vaio_filter *f)
{
	struct cache_filter *cf = f->private;
	struct cache_pool *p = cf->pool;

	mutex_lock(&cache_pools_lock);
	disk_put(p, cf->d);
	mutex_unlock(&cache_pools_lock);
	pool_put(p);
	dm_put_device(f->ti, cf->pool_dd);
	kfree(cf);
}

/*
 * Before an instance's first bio, with the disk's other table suspended: a
 * table on another disk below, or a smaller one, keeps nothing of the
 * cache (a block past the end could change unseen, and come back).
 */
static void cache_event(struct vaio_filter *f, const struct vaio_event *ev)
{
	struct cache_filter *cf = f->private;
	struct cache_disk *d = cf->d;
	dev_t below = f->data_dev->bdev->bd_dev;

	if (ev->type != VAIO_EV_RESUME)
		return;
	mutex_lock(&cache_pools_lock);
	if (d->data_dev != below || f->ti->len < d->len) {
		DMINFO("disk %s: disk below changed or shrank, its cache emptied",
		       d->id);
		disk_purge(cf->pool, d);
		d->data_dev = below;
	}
	d->len = f->ti->len;
	mutex_unlock(&cache_pools_lock);
}

static int cache_message(struct vaio_filter *f, unsigned int argc, char **argv,
			 char *result, unsigned int maxlen)
{
	struct cache_filter *cf = f->private;

	if (argc == 1 && !strcmp(argv[0], "invalidate")) {
		disk_purge(cf->pool, cf->d);
		return 0;
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
	DMEMIT("dirty 0 writeback_kib 0");
}

static struct vaio_filter_type cache_type = {
	.name = "cache",
	.class = VAIO_CLASS_CACHE,
	.version = { 0, 1, 0 },
	.owner = THIS_MODULE,
	.per_bio_data_size = sizeof(struct cache_io),
	.params = cache_params,
	.ops = {
		.ctr = cache_ctr,
		.dtr = cache_dtr,
		.map = cache_map,
		.end_io = cache_end_io,
		.event = cache_event,
		.message = cache_message,
		.status = cache_status,
	},
};

/*
 *--------------------------------------------------------------
 * The pool target: vaio-cache-pool <cache device>
 *--------------------------------------------------------------
 */
static void pool_free(struct cache_pool *p)
{
	if (p->wq)
		destroy_workqueue(p->wq);
	bioset_exit(&p->bs);
	kvfree(p->ghost[0]);
	kvfree(p->ghost[1]);
	kvfree(p->buckets);
	kvfree(p->slots);
	if (p->cdev)
		blkdev_put(p->cdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	kfree(p);
}

static void pool_put(struct cache_pool *p)
{
	mutex_lock(&cache_pools_lock);
	if (!refcount_dec_and_test(&p->ref)) {
		mutex_unlock(&cache_pools_lock);
		return;
	}
	list_del(&p->list);
	mutex_unlock(&cache_pools_lock);
	/* No disk is left: no bio is in flight but promotions. */
	flush_workqueue(p->wq);
	spin_lock_irq(&p->lock);
	while (p->nr_filling) {
		spin_unlock_irq(&p->lock);
		msleep(20);
		flush_workqueue(p->wq);
		spin_lock_irq(&p->lock);
	}
	spin_unlock_irq(&p->lock);
	pool_free(p);
}

static struct cache_pool *pool_create(struct dm_target *ti, dev_t cdev,
				      dev_t dev)
{
	struct cache_pool *p;
	u64 blocks;
	u32 i;
	int r;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		ti->error = "cannot allocate cache pool";
		return ERR_PTR(-ENOMEM);
	}
	refcount_set(&p->ref, 1);
	p->dev = dev;
	spin_lock_init(&p->lock);
	INIT_WORK(&p->work, pool_work);
	bio_list_init(&p->fills);
	bio_list_init(&p->retries);
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
	blocks = (bdev_nr_sectors(p->cdev) - min_t(sector_t, CACHE_DATA_START,
			bdev_nr_sectors(p->cdev))) >> CACHE_BLOCK_SHIFT;
	if (blocks < CACHE_MIN_BLOCKS || blocks > CACHE_MAX_BLOCKS) {
		ti->error = "cache device is too small or too large";
		r = -EINVAL;
		goto bad;
	}
	p->nslots = blocks;
	p->protected_max = p->nslots - p->nslots / 5;

	r = -ENOMEM;
	ti->error = "cannot allocate cache index";
	p->slots = kvcalloc(p->nslots, sizeof(*p->slots), GFP_KERNEL);
	if (!p->slots)
		goto bad;
	p->hash_bits = ilog2(roundup_pow_of_two(p->nslots));
	p->buckets = kvmalloc_array(1U << p->hash_bits, sizeof(u32), GFP_KERNEL);
	if (!p->buckets)
		goto bad;
	memset(p->buckets, 0xff, sizeof(u32) << p->hash_bits);
	p->ghost_bits = p->hash_bits + 1;
	p->ghost[0] = kvcalloc(BITS_TO_LONGS(1U << p->ghost_bits),
			       sizeof(long), GFP_KERNEL);
	p->ghost[1] = kvcalloc(BITS_TO_LONGS(1U << p->ghost_bits),
			       sizeof(long), GFP_KERNEL);
	if (!p->ghost[0] || !p->ghost[1])
		goto bad;

	p->free.head = CACHE_NONE;
	p->free.tail = CACHE_NONE;
	p->probation = p->free;
	p->protected = p->free;
	for (i = p->nslots; i-- > 0;) {
		p->slots[i].hnext = CACHE_NONE;
		list_push_head(p, &p->free, i);
	}

	r = bioset_init(&p->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (r)
		goto bad;
	p->wq = alloc_workqueue("vaio-cache", WQ_MEM_RECLAIM, 0);
	if (!p->wq)
		goto bad;
	return p;

bad:
	pool_free(p);
	return ERR_PTR(r);
}

static int pool_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	dev_t dev = disk_devt(dm_disk(dm_table_get_md(ti->table)));
	struct cache_pool *p;
	dev_t cdev;

	if (argc != 1) {
		ti->error = "vaio-cache-pool needs exactly one argument: the cache device";
		return -EINVAL;
	}
	/* A path or major:minor, as dm tables name devices. */
	cdev = dm_get_dev_t(argv[0]);
	if (!cdev) {
		ti->error = "cannot find cache device";
		return -ENODEV;
	}

	mutex_lock(&cache_pools_lock);
	p = pool_find(dev);
	if (p) {
		/* A reload of a pool in use keeps the pool, not the device. */
		if (p->cdev->bd_dev != cdev) {
			mutex_unlock(&cache_pools_lock);
			ti->error = "pool is in use with another cache device";
			return -EBUSY;
		}
		refcount_inc(&p->ref);
	} else {
		p = pool_create(ti, cdev, dev);
		if (IS_ERR(p)) {
			mutex_unlock(&cache_pools_lock);
			return PTR_ERR(p);
		}
		list_add(&p->list, &cache_pools);
		DMINFO("pool %s: %u blocks of 4 KiB on %pg", p->name, p->nslots,
		       p->cdev);
	}
	p->targets++;
	mutex_unlock(&cache_pools_lock);
	ti->private = p;
	ti->num_flush_bios = 0;
	return 0;
}

static void pool_dtr(struct dm_target *ti)
{
	struct cache_pool *p = ti->private;

	mutex_lock(&cache_pools_lock);
	p->targets--;
	mutex_unlock(&cache_pools_lock);
	pool_put(p);
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
	struct cache_pool *p = ti->private;
	unsigned int sz = 0, disks = 0, i;
	u32 used, filling, reserved;
	bool failed;
	u64 errors;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock_irq(&p->lock);
		used = p->probation.count + p->protected.count;
		filling = p->nr_filling;
		failed = p->failed;
		errors = p->errors;
		for (i = 0; i < CACHE_MAX_DISKS; i++)
			disks += !!p->disks[i];
		reserved = reserved_pct(p, NULL);
		spin_unlock_irq(&p->lock);
		DMEMIT("block_size 4096 blocks %u used %u filling %u free %u ",
		       p->nslots, used, filling, p->nslots - used - filling);
		DMEMIT("disks %u reserved_pct %u state %s errors %llu",
		       disks, reserved, failed ? "failed" : "ok", errors);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%u:%u", MAJOR(p->cdev->bd_dev), MINOR(p->cdev->bd_dev));
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static struct target_type pool_target = {
	.name = "vaio-cache-pool",
	.version = { 0, 1, 0 },
	.module = THIS_MODULE,
	.ctr = pool_ctr,
	.dtr = pool_dtr,
	.map = pool_map,
	.status = pool_status,
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
