// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: the metadata on the cache device. The
 * superblock, the disk table and the entries of cached blocks, each with
 * its crc32c; commits, and recovery when a pool comes up.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/crc32c.h>
#include <linux/log2.h>
#include <linux/device-mapper.h>
#include <linux/mutex.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

/*
 *--------------------------------------------------------------
 * Metadata: the entries of dirty blocks, on the cache device.
 *
 * The entries are not kept in memory: a copy of a page is built from its
 * slots (meta_build()). A change of a dirty entry (meta_set()) marks its
 * page and takes the open generation. A commit copies the marked pages,
 * flushes the cache device (the data of every block whose entry changed
 * is written before its entry changes, so it becomes durable first),
 * then writes the copies with FUA: every change of the generation it
 * closed is on the device. A FUA write-back write completes only then;
 * another one before, and the next flush of its disk commits.
 *--------------------------------------------------------------
 */
/*
 * The crc32c from @seed of the @len bytes at @buf, as if its checksum
 * field @csum (inside them) were 0; @buf is left as it was.
 */
static u32 csum_without(u32 seed, void *buf, size_t len, __le32 *csum)
{
	__le32 saved = *csum;
	u32 c;

	*csum = 0;
	c = crc32c(seed, buf, len);
	*csum = saved;
	return c;
}

/* The checksum of entry sector @index (of the entry area) @ms. */
static u32 msector_csum(struct cache_pool *p, struct cache_msector *ms,
			u32 index)
{
	ms->index = cpu_to_le32(index);
	return csum_without(p->csum_seed, ms, sizeof(*ms), &ms->csum);
}

/* A copy of entry page @pg to write: each sector gets its checksum. */
static void meta_seal(struct cache_pool *p, void *page, u32 pg)
{
	struct cache_msector *ms = page;
	unsigned int k;

	for (k = 0; k < CACHE_META_SECTORS; k++)
		ms[k].csum = cpu_to_le32(msector_csum(p, &ms[k],
						      pg * CACHE_META_SECTORS + k));
}

/*
 * Entry page @pg, as the slots say now, into @page, each sector with its
 * checksum: a slot whose entry is dirty (SLOT_EDIRTY) names its block
 * dirty; a cached block (probation, protected) names it valid; any other
 * entry is zero. Every entry of the copy takes a new sequence number: a
 * later copy of a page says what its slots held later, so that of two
 * entries of one block (one copied before the block moved, one after)
 * recovery keeps the later. Under lock.
 */
void meta_build(struct cache_pool *p, void *page, u32 pg)
{
	u32 first = pg * CACHE_ENTRIES_PER_PAGE, i, k;
	__le32 seq = cpu_to_le32(++p->entry_seq);
	struct cache_mentry *e;
	struct cache_slot *s;

	memset(page, 0, CACHE_META_BYTES);
	for (k = 0; k < CACHE_ENTRIES_PER_PAGE; k++) {
		i = first + k;
		if (i >= p->nslots)
			break;
		s = &p->slots[i];
		e = page_entry(page, k);
		if (s->flags & SLOT_EDIRTY)
			e->flags = ENTRY_DIRTY;
		else if (s->state == SLOT_PROBATION || s->state == SLOT_PROTECTED)
			e->flags = ENTRY_VALID;
		else
			continue;
		e->oblock = cpu_to_le64(slot_oblock(s));
		e->seq = seq;
		e->disk = s->disk;
	}
	meta_seal(p, page, pg);
}

/*
 * Entry @i must say dirty (for the block its slot holds) or not. Returns
 * the generation the device has it from. Under lock.
 */
u64 meta_set(struct cache_pool *p, u32 i, bool dirty)
{
	struct cache_slot *s = &p->slots[i];
	u32 pg = i / CACHE_ENTRIES_PER_PAGE;

	if (!!(s->flags & SLOT_EDIRTY) == dirty)
		return p->page_gen[pg];
	/* (Clean, the entry says valid: the block is still cached.) */
	s->flags ^= SLOT_EDIRTY;
	__set_bit(pg, p->meta_dirty);
	p->page_gen[pg] = p->open_gen;
	return p->open_gen;
}

void cache_wait_init(struct cache_wait *w)
{
	atomic_set(&w->pending, 1);
	w->status = BLK_STS_OK;
	init_completion(&w->done);
}

static void cache_wait_endio(struct bio *bio)
{
	struct cache_wait *w = bio->bi_private;

	if (bio->bi_status)
		w->status = bio->bi_status;
	bio_put(bio);
	if (atomic_dec_and_test(&w->pending))
		complete(&w->done);
}

/* Submit a bio of the @n whole pages @pages at @sector, counted in @w. */
void cache_wait_submit(struct cache_pool *p, struct cache_wait *w,
		       struct block_device *bdev, blk_opf_t opf,
		       sector_t sector, struct page **pages, unsigned int n)
{
	struct bio *bio = bio_alloc_bioset(bdev, n, opf, GFP_NOIO, &p->bs);
	unsigned int k;

	bio->bi_iter.bi_sector = sector;
	for (k = 0; k < n; k++)
		__bio_add_page(bio, pages[k], PAGE_SIZE, 0);
	bio->bi_end_io = cache_wait_endio;
	bio->bi_private = w;
	atomic_inc(&w->pending);
	submit_bio(bio);
}

blk_status_t cache_wait_all(struct cache_wait *w)
{
	if (!atomic_dec_and_test(&w->pending))
		wait_for_completion_io(&w->done);
	return w->status;
}

/*
 * Write every changed page; then the device has every change made before
 * the call, and with @flush (a flush of a disk) every write completed
 * before it, though no entry changed. Process context. Completes the
 * write-back writes waiting for it. Returns 0 or -EIO (the pool has
 * failed).
 */
static int __meta_commit(struct cache_pool *p, bool flush)
{
	u32 pgs[CACHE_COMMIT_PAGES], pg, start = 0;
	struct cache_io *io, **pp, *done = NULL;
	blk_status_t st = BLK_STS_OK;
	struct cache_wait w;
	unsigned int n, k;
	u64 gen;

	mutex_lock(&p->commit_lock);
	spin_lock_irq(&p->lock);
	gen = p->open_gen++;
	spin_unlock_irq(&p->lock);
	while (!st) {
		n = 0;
		spin_lock_irq(&p->lock);
		while (n < CACHE_COMMIT_PAGES) {
			pg = find_next_bit(p->meta_dirty, p->meta_pages, start);
			if (pg >= p->meta_pages)
				break;
			__clear_bit(pg, p->meta_dirty);
			meta_build(p, page_address(p->commit_pages[n]), pg);
			pgs[n++] = pg;
			start = pg + 1;
			/* (Not 64 pages of slots with interrupts off.) */
			if (!(n % 8)) {
				spin_unlock_irq(&p->lock);
				spin_lock_irq(&p->lock);
			}
		}
		spin_unlock_irq(&p->lock);
		if (!n && !flush)
			break;
		/*
		 * The data before the entries that point at it: every
		 * change copied was made after its data was written, so a
		 * flush after the copy covers it.
		 */
		st = errno_to_blk_status(blkdev_issue_flush(p->cdev));
		flush = false;
		if (st || !n)
			break;
		cache_wait_init(&w);
		for (k = 0; k < n; k++)
			cache_wait_submit(p, &w, p->cdev,
					  REQ_OP_WRITE | REQ_SYNC | REQ_FUA,
					  CACHE_META_START + (sector_t)pgs[k] *
					  CACHE_META_SECTORS,
					  &p->commit_pages[k], 1);
		st = cache_wait_all(&w);
	}

	spin_lock_irq(&p->lock);
	if (st) {
		pool_error(p);
		/*
		 * The pages of the failed batch may not be on the device:
		 * marked again, so that a later commit (the device back)
		 * writes them before it says anything of theirs durable.
		 */
		for (k = 0; k < n; k++)
			__set_bit(pgs[k], p->meta_dirty);
	} else {
		p->durable_gen = gen;
	}
	pp = &p->commit_wait;
	while ((io = *pp)) {
		if (st || io->gen <= p->durable_gen) {
			*pp = io->next;
			io->next = done;
			done = io;
		} else {
			pp = &io->next;
		}
	}
	spin_unlock_irq(&p->lock);
	mutex_unlock(&p->commit_lock);

	while ((io = done)) {
		done = io->next;
		io->bio->bi_status = st ? BLK_STS_IOERR : BLK_STS_OK;
		vaio_bio_continue(io->bio, st ? VAIO_FAIL : VAIO_DONE);
	}
	return st ? -EIO : 0;
}

int meta_commit(struct cache_pool *p)
{
	return __meta_commit(p, false);
}

int meta_commit_flush(struct cache_pool *p)
{
	return __meta_commit(p, true);
}

void commit_work(struct work_struct *work)
{
	meta_commit(container_of(to_delayed_work(work), struct cache_pool,
				 commit_work));
}

/*
 *--------------------------------------------------------------
 * The disk table: which disk each index of the entries names
 *--------------------------------------------------------------
 */

struct cache_disk_entry *disktab_entry(struct cache_pool *p, unsigned int idx)
{
	unsigned int per_page = PAGE_SIZE / sizeof(struct cache_disk_entry);

	return (struct cache_disk_entry *)page_address(p->disktab[idx / per_page]) +
	       idx % per_page;
}

/* @n pages from @sector of the cache device, synchronously: one bio. */
int pool_rw(struct cache_pool *p, blk_opf_t opf, sector_t sector,
	    struct page **pages, unsigned int n)
{
	struct cache_wait w;

	cache_wait_init(&w);
	cache_wait_submit(p, &w, p->cdev, opf, sector, pages, n);
	return blk_status_to_errno(cache_wait_all(&w));
}

/* The checksum of entry @idx of the disk table, @e. */
static u32 disktab_csum(struct cache_pool *p, struct cache_disk_entry *e,
			u32 idx)
{
	__le32 i = cpu_to_le32(idx);

	return csum_without(crc32c(p->csum_seed, &i, sizeof(i)), e, sizeof(*e),
			    &e->csum);
}

#define DISKTAB_PER_PAGE	(PAGE_SIZE / sizeof(struct cache_disk_entry))

/* The disk table's pages @first to @last to the device, durably. */
static int disktab_write_pages(struct cache_pool *p, unsigned int first,
			       unsigned int last)
{
	struct cache_disk_entry *e;
	unsigned int i;
	int r;

	for (i = first * DISKTAB_PER_PAGE; i < (last + 1) * DISKTAB_PER_PAGE;
	     i++) {
		e = disktab_entry(p, i);
		e->csum = cpu_to_le32(disktab_csum(p, e, i));
	}
	r = pool_rw(p, REQ_OP_WRITE | REQ_SYNC | REQ_FUA,
		    CACHE_DISKTAB_SECTOR + first * (PAGE_SIZE >> SECTOR_SHIFT),
		    &p->disktab[first], last - first + 1);
	if (r)
		p->disktab_unsaved = true;
	else if (!first && last == ARRAY_SIZE(p->disktab) - 1)
		p->disktab_unsaved = false;
	return r;
}

/*
 * Entry @idx of the disk table to the device, durably: the page that
 * holds it (its other entries are written as they are), or the whole
 * table after a write of it failed. cache_pools_lock held.
 */
int disktab_write(struct cache_pool *p, unsigned int idx)
{
	lockdep_assert_held(&cache_pools_lock);
	/* A page whose write failed may hold what another entry needs. */
	if (p->disktab_unsaved)
		return disktab_write_all(p);
	return disktab_write_pages(p, idx / DISKTAB_PER_PAGE,
				   idx / DISKTAB_PER_PAGE);
}

/* The whole disk table to the device, durably. */
int disktab_write_all(struct cache_pool *p)
{
	return disktab_write_pages(p, 0, ARRAY_SIZE(p->disktab) - 1);
}

/*
 *--------------------------------------------------------------
 * The superblock; the layout, format, save and recovery of a pool
 *--------------------------------------------------------------
 */

/* A block size a pool may have: a power of two, 4 KiB to 1 MiB. */
bool block_size_valid(u32 bytes)
{
	return is_power_of_2(bytes) &&
	       bytes >= (SECTOR_SIZE << CACHE_MIN_BLOCK_SHIFT) &&
	       bytes <= (SECTOR_SIZE << CACHE_MAX_BLOCK_SHIFT);
}

/*
 * The pool's block size (block_size_valid()), and what follows from it:
 * promotions in flight and blocks written back at a time, by bytes.
 */
void pool_set_block_size(struct cache_pool *p, u32 bytes)
{
	p->bshift = ilog2(bytes) - SECTOR_SHIFT;
	p->max_filling = CACHE_FILLING_BYTES / bytes;
	p->wb_blocks = clamp_t(u32, CACHE_WB_BATCH_BYTES / bytes, 1,
			       CACHE_WB_BATCH);
	p->region_shift = max_t(int, CACHE_REGION_BYTES_SHIFT - ilog2(bytes),
				CACHE_REGION_MIN_SHIFT);
}

/*
 * Where things are on a cache device of @sectors, in blocks of the pool's
 * size (pool_set_block_size() first); false: too small or too large.
 */
bool pool_geometry(struct cache_pool *p, sector_t sectors)
{
	u64 blocks, meta;

	if (sectors < CACHE_META_START + 2 * 2048)
		return false;
	/*
	 * A block of data, a sector of entries per 31: 31 blocks of 4 KiB
	 * take 31 * 8 + 1 sectors.
	 */
	blocks = div_u64((u64)(sectors - CACHE_META_START) * CACHE_ENTRIES_PER_SECTOR,
			 CACHE_ENTRIES_PER_SECTOR * block_sectors(p) + 1);
	meta = round_up(DIV_ROUND_UP_ULL(blocks, CACHE_ENTRIES_PER_SECTOR),
			block_sectors(p));
	p->data_start = CACHE_META_START + meta;
	if (sectors <= p->data_start)
		return false;
	/* No more blocks than the entries have room for. */
	blocks = min_t(u64, (sectors - p->data_start) >> p->bshift,
		       meta * CACHE_ENTRIES_PER_SECTOR);
	if (blocks < CACHE_MIN_BLOCKS || blocks > CACHE_MAX_BLOCKS)
		return false;
	p->nslots = blocks;
	p->meta_pages = DIV_ROUND_UP(p->nslots, CACHE_ENTRIES_PER_PAGE);
	return true;
}

static void sb_fill(struct cache_pool *p, struct cache_sb *sb, bool clean)
{
	memset(sb, 0, PAGE_SIZE);
	sb->magic = cpu_to_le64(CACHE_MAGIC);
	sb->version = cpu_to_le32(CACHE_VERSION);
	sb->block_size = cpu_to_le32(block_bytes(p));
	sb->nslots = cpu_to_le64(p->nslots);
	sb->meta_start = cpu_to_le64(CACHE_META_START);
	sb->data_start = cpu_to_le64(p->data_start);
	sb->activations = cpu_to_le64(p->activations);
	sb->clean = cpu_to_le32(clean);
	memcpy(sb->uuid, &p->uuid, sizeof(sb->uuid));
	sb->csum = cpu_to_le32(crc32c(~0U, sb, sizeof(*sb)));
}

bool sb_csum_ok(struct cache_sb *sb)
{
	return csum_without(~0U, sb, sizeof(*sb), &sb->csum) ==
	       le32_to_cpu(sb->csum);
}

/* Every entry page as the slots say, each sector with its checksum. */
static int meta_write_all(struct cache_pool *p)
{
	u32 pg, n, k;
	int r = 0;

	for (pg = 0; !r && pg < p->meta_pages; pg += n) {
		n = min_t(u32, CACHE_COMMIT_PAGES, p->meta_pages - pg);
		spin_lock_irq(&p->lock);
		for (k = 0; k < n; k++)
			meta_build(p, page_address(p->commit_pages[k]), pg + k);
		spin_unlock_irq(&p->lock);
		r = pool_rw(p, REQ_OP_WRITE, CACHE_META_START +
			    (sector_t)pg * CACHE_META_SECTORS,
			    p->commit_pages, n);
	}
	return r;
}

/*
 * The pool goes, with no I/O left: a commit (no dirty entry before its
 * data), every entry as it is in memory, the disk table, a flush, then
 * the superblock saying clean, so that the next pool on the device takes
 * the clean blocks back too.
 */
void pool_save(struct cache_pool *p)
{
	struct page *sbp;
	int r;

	if (READ_ONCE(p->failed))
		return;
	sbp = alloc_page(GFP_KERNEL);
	if (!sbp)
		return;
	r = meta_commit(p);
	if (!r)
		r = meta_write_all(p);
	if (!r)
		r = disktab_write_all(p);
	if (!r)
		r = blkdev_issue_flush(p->cdev);
	if (!r) {
		sb_fill(p, page_address(sbp), true);
		r = pool_rw(p, REQ_OP_WRITE | REQ_SYNC | REQ_FUA,
			    CACHE_SB_SECTOR, &sbp, 1);
	}
	__free_page(sbp);
	if (r)
		DMWARN("pool %s: cannot save its metadata (%d): the next pool on %pg starts cold",
		       p->name, r, p->cdev);
	else
		DMINFO("pool %s: saved, %u blocks cached", p->name,
		       p->probation.count + p->protected.count);
}

/*
 * A new pool: no disks, no entries (every sector of them written, with
 * its checksum), then the superblock.
 */
int pool_format(struct cache_pool *p, struct page *sbp)
{
	unsigned int k;
	int r;

	for (k = 0; k < ARRAY_SIZE(p->disktab); k++)
		clear_highpage(p->disktab[k]);
	r = disktab_write_all(p);
	if (!r)
		r = meta_write_all(p);
	if (!r)
		r = blkdev_issue_flush(p->cdev);
	if (r)
		return r;
	p->activations = 1;
	sb_fill(p, page_address(sbp), false);
	return pool_rw(p, REQ_OP_WRITE | REQ_SYNC | REQ_FUA, CACHE_SB_SECTOR,
		       &sbp, 1);
}

/*
 * Recovery fills the slots from the entries (recover_entry()) before it
 * puts them on lists (recover_lists()): meanwhile no slot is on a list,
 * and a filled slot's prev holds the sequence number of its entry.
 */
void recover_begin(struct cache_pool *p)
{
	p->free.head = CACHE_NONE;
	p->free.tail = CACHE_NONE;
	p->free.count = 0;
}

/*
 * Entry @m of slot @i, read from the device: its block comes back in the
 * slot, dirty (or valid, after a clean shutdown: @clean), unless the entry
 * names no disk of the table or a block past its end, or the block came
 * back already with a later entry. Counts in @c. 0, -ENOMEM, or -ERANGE
 * for a dirty block past CACHE_MAX_OBLOCK.
 */
int recover_entry(struct cache_pool *p, u32 i, struct cache_mentry *m,
		  bool clean, struct recover_counts *c)
{
	u64 oblock = le64_to_cpu(m->oblock);
	u32 seq = le32_to_cpu(m->seq), k;
	struct cache_disk_entry *e;
	struct cache_disk *d;
	struct cache_slot *s;

	if (!(m->flags & ENTRY_DIRTY) && !(clean && m->flags == ENTRY_VALID))
		goto drop;
	/* (A u8: every index has an entry.) */
	e = disktab_entry(p, m->disk);
	if (!e->id[0] || !memchr(e->id, 0, sizeof(e->id)) ||
	    oblock >= le64_to_cpu(e->len) >> p->bshift)
		goto bad;
	/*
	 * A block a slot cannot name (an older module cached blocks past
	 * 2^40): a dirty one is the only copy of its data, not dropped.
	 */
	if (oblock > CACHE_MAX_OBLOCK) {
		if (m->flags & ENTRY_DIRTY)
			return -ERANGE;
		goto bad;
	}
	d = p->disks[m->disk];
	if (!d) {
		d = disk_alloc(p, m->disk, e->id, le64_to_cpu(e->len));
		if (!d)
			return -ENOMEM;
		d->ran_without = e->flags & DISK_RAN_WITHOUT;
		p->disks[m->disk] = d;
	}
	k = hash_lookup(p, m->disk, oblock);
	if (k != CACHE_NONE) {
		/* Two entries of one block: the later one wins. */
		s = &p->slots[k];
		if ((s32)(s->prev - seq) > 0)
			goto bad;
		hash_remove(p, k);
		d->used--;
		if (s->flags & SLOT_DIRTY) {
			d->dirty--;
			p->nr_dirty--;
			c->found--;
		} else {
			c->warm--;
		}
		s->flags = 0;
		s->state = SLOT_FREE;
		/* Not on the device like that any more after the next commit. */
		__set_bit(k / CACHE_ENTRIES_PER_PAGE, p->meta_dirty);
		c->ignored++;
	}
	/* The next copy's number follows the latest (modulo 2^32). */
	if (!c->seq_seen || (s32)(seq - p->entry_seq) > 0)
		p->entry_seq = seq;
	c->seq_seen = true;
	s = &p->slots[i];
	slot_set_oblock(s, oblock);
	s->disk = m->disk;
	s->state = SLOT_PROBATION;
	s->prev = seq;
	hash_insert(p, i);
	d->used++;
	if (m->flags & ENTRY_DIRTY) {
		s->flags = SLOT_DIRTY | SLOT_EDIRTY;
		d->dirty++;
		p->nr_dirty++;
		c->found++;
	} else {
		c->warm++;
	}
	return 0;
bad:
	c->ignored++;
drop:
	if (m->flags || m->oblock)
		__set_bit(i / CACHE_ENTRIES_PER_PAGE, p->meta_dirty);
	return 0;
}

/* The slots filled go on probation, the others on the free list. */
void recover_lists(struct cache_pool *p)
{
	u32 i;

	for (i = 0; i < p->nslots; i++) {
		if (p->slots[i].state != SLOT_FREE)
			list_push_head(p, &p->probation, i);
		if (!(i & 0xffff))
			cond_resched();
	}
	for (i = p->nslots; i-- > 0;) {
		if (p->slots[i].state == SLOT_FREE)
			list_push_head(p, &p->free, i);
		if (!(i & 0xffff))
			cond_resched();
	}
}

/*
 * A pool found on the device: its dirty blocks come back, with the disks
 * they belong to (in no table yet: kept until their filter comes); its
 * clean blocks too if the last pool went cleanly (pool_save()), else
 * they start out free. The superblock then says not clean until the
 * pool goes again.
 */
int pool_recover(struct cache_pool *p, struct page *sbp, char **error)
{
	struct cache_sb *sb = page_address(sbp);
	bool clean = le32_to_cpu(sb->clean) == 1;
	u32 pg, n, k, i, j, bad = 0, first = 0;
	struct recover_counts c = {};
	struct cache_msector *ms;
	struct cache_disk_entry *e;
	unsigned int ndisks;
	int r;

	if (le32_to_cpu(sb->block_size) != block_bytes(p) ||
	    le64_to_cpu(sb->nslots) != p->nslots ||
	    le64_to_cpu(sb->data_start) != p->data_start) {
		*error = "cache device holds a vaio cache pool of another size";
		return -EINVAL;
	}
	p->activations = le64_to_cpu(sb->activations) + 1;
	*error = "cannot read the cache pool's metadata";
	/*
	 * Version 2 had 64 entries: what follows them on the device is not
	 * the pool's (whatever was there before it was made), and not read.
	 */
	ndisks = le32_to_cpu(sb->version) == 2 ? CACHE_V2_DISKS : CACHE_MAX_DISKS;
	r = pool_rw(p, REQ_OP_READ, CACHE_DISKTAB_SECTOR, p->disktab,
		    DIV_ROUND_UP(ndisks, DISKTAB_PER_PAGE));
	if (r)
		return r;
	for (i = ndisks; i < CACHE_MAX_DISKS; i++)
		memset(disktab_entry(p, i), 0, sizeof(*e));
	for (i = 0; i < ndisks; i++) {
		e = disktab_entry(p, i);
		if (le32_to_cpu(e->csum) != disktab_csum(p, e, i) && !bad++)
			first = i;
	}
	if (bad) {
		DMERR("pool %s: %u disk table entries on %pg fail their checksum (first: %u)",
		      p->name, bad, p->cdev, first);
		*error = "cache pool's disk table fails its checksum";
		return -EINVAL;
	}

	recover_begin(p);
	for (pg = 0; pg < p->meta_pages; pg += n) {
		n = min_t(u32, CACHE_COMMIT_PAGES, p->meta_pages - pg);
		*error = "cannot read the cache pool's metadata";
		r = pool_rw(p, REQ_OP_READ, CACHE_META_START +
			    (sector_t)pg * CACHE_META_SECTORS,
			    p->commit_pages, n);
		if (r)
			return r;
		/*
		 * A sector that fails its checksum (not torn by a power cut:
		 * a sector is written whole) may have named dirty blocks
		 * whose data is nowhere else: nothing is guessed, the pool
		 * does not start (the rest is read to count them).
		 */
		for (k = 0; k < n; k++) {
			ms = page_address(p->commit_pages[k]);
			for (j = 0; j < CACHE_META_SECTORS; j++) {
				u32 idx = (pg + k) * CACHE_META_SECTORS + j;

				if (le32_to_cpu(ms[j].csum) !=
				    msector_csum(p, &ms[j], idx) && !bad++)
					first = idx;
			}
		}
		for (k = 0; k < n && !bad; k++) {
			ms = page_address(p->commit_pages[k]);
			i = (pg + k) * CACHE_ENTRIES_PER_PAGE;
			for (j = 0; j < CACHE_ENTRIES_PER_PAGE &&
			     i + j < p->nslots; j++) {
				r = recover_entry(p, i + j,
						  page_entry(ms, j),
						  clean, &c);
				if (r)
					goto no_slot;
			}
		}
		cond_resched();
	}
	if (bad) {
		DMERR("pool %s: %u entry sectors on %pg fail their checksum (first: %llu)",
		      p->name, bad, p->cdev,
		      (unsigned long long)CACHE_META_START + first);
		DMERR("pool %s: the blocks they name cannot be found: not started",
		      p->name);
		*error = "cache pool's entries fail their checksum";
		return -EINVAL;
	}
	recover_lists(p);

	/* Disks no block names are gone from the table. */
	for (i = 0; i < CACHE_MAX_DISKS; i++)
		if (!p->disks[i])
			memset(disktab_entry(p, i), 0, sizeof(*e));
	if (c.found || c.warm || c.ignored)
		DMINFO("pool %s: %u dirty and %u clean blocks found on %pg%s",
		       p->name, c.found, c.warm, p->cdev,
		       c.ignored ? ", some entries ignored" : "");

	/*
	 * A version 2 pool becomes version 3 here: the whole table first
	 * (its first 64 entries as they were), then the superblock; cut
	 * between the two, the device still holds the version 2 pool.
	 */
	*error = "cannot write the cache pool's metadata";
	r = disktab_write_all(p);
	if (!r)
		r = meta_commit(p);
	if (r)
		return r;
	sb_fill(p, sb, false);
	r = pool_rw(p, REQ_OP_WRITE | REQ_SYNC | REQ_FUA, CACHE_SB_SECTOR,
		    &sbp, 1);
	if (!r && ndisks != CACHE_MAX_DISKS)
		DMINFO("pool %s: a version 2 pool on %pg: made version %u (%u disks)",
		       p->name, p->cdev, CACHE_VERSION, CACHE_MAX_DISKS);
	return r;

no_slot:
	if (r == -ERANGE)
		*error = "cache pool holds a dirty block past the 2^40th of its disk";
	else
		*error = "cannot allocate cache disk";
	return r;
}
