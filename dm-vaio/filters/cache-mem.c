// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: the memory tier, RAM copies of hot blocks of
 * the cache device (cache.h). Under pool->lock but where said.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/highmem.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

static void mem_free_entry(struct cache_pool *p, u32 m)
{
	struct cache_mem *e = &p->mem[m];

	e->state = MEM_FREE;
	e->slot = CACHE_NONE;
	list_add(&e->lru, &p->mem_free);
}

/* Slot @i's copy in memory goes: the slot's data changes, or it goes. */
void mem_drop(struct cache_pool *p, u32 i)
{
	struct cache_mem *e;
	u32 m;

	if (!p->slot_mem)
		return;
	m = p->slot_mem[i];
	if (m == CACHE_NONE)
		return;
	e = &p->mem[m];
	switch (e->state) {
	case MEM_FILLING:
		/* Its filler finds it so, unlinks and frees it. */
		e->state = MEM_DROPPED;
		break;
	case MEM_VALID:
		list_del_init(&e->lru);
		p->mem_used--;
		p->disks[e->disk]->mem_used--;
		p->slot_mem[i] = CACHE_NONE;
		if (e->pins)
			e->state = MEM_DROPPED;	/* freed by its last reader */
		else
			mem_free_entry(p, m);
		break;
	}
}

/* May @d take memory entry @e? As victim_ok() for slots. Under lock. */
static bool mem_victim_ok(struct cache_pool *p, struct cache_disk *d,
			  struct cache_mem *e)
{
	struct cache_disk *owner = p->disks[e->disk];

	if (e->pins)
		return false;
	return owner == d || owner->mem_used > owner->mem_reserve;
}

/*
 * An entry for a copy of slot @i of @d, FILLING and linked to the slot, or
 * CACHE_NONE. When the tier is full the least recently used copy that may
 * go does. Under lock.
 */
static u32 mem_alloc(struct cache_pool *p, struct cache_disk *d, u32 i)
{
	struct cache_mem *e = NULL, *v;
	unsigned int n;

	if (!list_empty(&p->mem_free)) {
		e = list_first_entry(&p->mem_free, struct cache_mem, lru);
	} else {
		for (n = 0; n < CACHE_VICTIM_SCAN &&
		     !list_empty(&p->mem_lru); n++) {
			v = list_last_entry(&p->mem_lru, struct cache_mem, lru);
			if (mem_victim_ok(p, d, v)) {
				mem_drop(p, v->slot);	/* to mem_free */
				e = v;
				break;
			}
			/*
			 * Kept (read now, or within its disk's reservation):
			 * to the head, so that the next search gets past it.
			 */
			list_move(&v->lru, &p->mem_lru);
		}
		if (!e)
			return CACHE_NONE;
	}
	list_del_init(&e->lru);
	e->state = MEM_FILLING;
	e->slot = i;
	e->disk = d->idx;
	p->slot_mem[i] = e - p->mem;
	return p->slot_mem[i];
}

/*
 * Are all the blocks of a hit (io->slots[0..@nr)) in the memory tier? If
 * so they are pinned, and io->slots[] names their copies. Under lock.
 */
bool mem_hit(struct cache_pool *p, struct cache_io *io, unsigned int nr)
{
	unsigned int n;
	u32 m;

	if (!p->slot_mem)
		return false;
	for (n = 0; n < nr; n++) {
		m = p->slot_mem[io->slots[n]];
		if (m == CACHE_NONE || p->mem[m].state != MEM_VALID ||
		    p->mem[m].pins == U16_MAX)
			return false;
	}
	for (n = 0; n < nr; n++) {
		m = p->slot_mem[io->slots[n]];
		p->mem[m].pins++;
		list_move(&p->mem[m].lru, &p->mem_lru);
		io->slots[n] = m;
	}
	return true;
}

/*
 * Serve @bio from the copies mem_hit() pinned. Writes only drop copies,
 * never change one: a pinned copy stays as it was.
 */
void mem_read(struct cache_pool *p, struct cache_io *io, struct bio *bio)
{
	size_t off = (bio->bi_iter.bi_sector & (block_sectors(p) - 1)) <<
		     SECTOR_SHIFT;
	struct cache_mem *e;
	struct bvec_iter iter;
	struct bio_vec bv;
	unsigned long flags;
	unsigned int n, done, len;
	char *src;

	bio_for_each_segment(bv, bio, iter) {
		for (done = 0; done < bv.bv_len; done += len) {
			/* mem_create(): blocks of one page. */
			n = off / PAGE_SIZE;
			len = min_t(unsigned int, bv.bv_len - done,
				    PAGE_SIZE - off % PAGE_SIZE);
			src = page_address(p->mem_pages[io->slots[n]]) +
			      off % PAGE_SIZE;
			memcpy_to_page(bv.bv_page, bv.bv_offset + done, src,
				       len);
			off += len;
		}
	}
	spin_lock_irqsave(&p->lock, flags);
	for (n = 0; n < io->nr; n++) {
		e = &p->mem[io->slots[n]];
		if (!--e->pins && e->state == MEM_DROPPED)
			mem_free_entry(p, io->slots[n]);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	io->nr = 0;
}

/*
 * Copy block @oblock out of @bio's data as of @iter into @dst, the
 * block's block_pages() whole pages.
 */
void bio_copy_block(struct cache_pool *p, struct bio *bio,
		    struct bvec_iter iter, u64 oblock, struct bio_vec *dst)
{
	unsigned int off = 0, len, done;
	struct bvec_iter it;
	struct bio_vec bv;

	bio_advance_iter(bio, &iter, ((oblock << p->bshift) -
				      iter.bi_sector) << SECTOR_SHIFT);
	iter.bi_size = block_bytes(p);
	__bio_for_each_segment(bv, bio, it, iter) {
		for (done = 0; done < bv.bv_len; done += len) {
			len = min_t(unsigned int, bv.bv_len - done,
				    PAGE_SIZE - off % PAGE_SIZE);
			memcpy_from_page(page_address(dst[off / PAGE_SIZE].bv_page) +
					 off % PAGE_SIZE, bv.bv_page,
					 bv.bv_offset + done, len);
			off += len;
		}
	}
}

/*
 * A read hit on the cache device ended (@ok: with its data): the copies
 * it fills (io->mem_fill) take the data, unless a write dropped them
 * meanwhile. Before the slots are put: a filling copy stays linked to its
 * slot until here, and the slot cannot go while the read holds it.
 */
void mem_fill_end(struct cache_pool *p, struct cache_io *io, struct bio *bio,
		  bool ok)
{
	u64 first = io->iter.bi_sector >> p->bshift;
	unsigned long mask = io->mem_fill, flags;
	struct bio_vec dst = { };
	struct cache_mem *e;
	unsigned int n;
	u32 m;

	if (!mask)
		return;
	io->mem_fill = 0;
	/* The filling pages are the read's own: copied without the lock. */
	for_each_set_bit(n, &mask, CACHE_MAX_BIO_BLOCKS) {
		m = READ_ONCE(p->slot_mem[io->slots[n]]);
		dst.bv_page = p->mem_pages[m];
		if (ok)
			bio_copy_block(p, bio, io->iter, first + n, &dst);
	}
	spin_lock_irqsave(&p->lock, flags);
	for_each_set_bit(n, &mask, CACHE_MAX_BIO_BLOCKS) {
		m = p->slot_mem[io->slots[n]];
		e = &p->mem[m];
		if (ok && e->state == MEM_FILLING) {
			e->state = MEM_VALID;
			list_add(&e->lru, &p->mem_lru);
			p->mem_used++;
			p->disks[e->disk]->mem_used++;
		} else {
			p->slot_mem[io->slots[n]] = CACHE_NONE;
			mem_free_entry(p, m);
		}
	}
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * A hit on the cache device: the blocks hit before (@again), whole in the
 * bio and with no copy or write in flight, get copies in the memory tier,
 * filled as the read ends. Under lock.
 */
void mem_promote(struct cache_pool *p, struct cache_disk *d,
		 struct cache_io *io, struct bio *bio, unsigned long again)
{
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	unsigned int n;
	u32 i;

	if (start & (block_sectors(p) - 1))
		__clear_bit(0, &again);
	if (end & (block_sectors(p) - 1))
		__clear_bit(io->nr - 1, &again);
	for_each_set_bit(n, &again, io->nr) {
		i = io->slots[n];
		if (p->slot_mem[i] != CACHE_NONE ||
		    (p->slots[i].flags & SLOT_UPDATING))
			continue;
		if (mem_alloc(p, d, i) == CACHE_NONE)
			break;
		io->mem_fill |= BIT(n);
	}
}

/* The memory tier: @mib MiB of pages, taken now. */
int mem_create(struct cache_pool *p, u32 mib, char **error)
{
	u32 m, blocks = mib * (SZ_1M / PAGE_SIZE);

	INIT_LIST_HEAD(&p->mem_lru);
	INIT_LIST_HEAD(&p->mem_free);
	if (!mib)
		return 0;
	/* Copies of one page: of blocks of one page only, for now. */
	if (block_bytes(p) != PAGE_SIZE) {
		*error = "memory_mib needs block_size=4096 for now";
		return -EINVAL;
	}
	if (blocks > p->nslots) {
		*error = "memory tier larger than the cache device";
		return -EINVAL;
	}
	if (blocks > totalram_pages() / 2) {
		*error = "memory tier larger than half of the RAM";
		return -EINVAL;
	}
	*error = "cannot allocate the memory tier";
	p->mem = index_array(blocks, sizeof(*p->mem));
	p->mem_pages = index_array(blocks, sizeof(*p->mem_pages));
	p->slot_mem = index_array(p->nslots, sizeof(u32));
	if (!p->mem || !p->mem_pages || !p->slot_mem)
		return -ENOMEM;
	p->mem_mib = mib;
	p->mem_blocks = blocks;
	memset(p->slot_mem, 0xff, p->nslots * sizeof(u32));
	for (m = 0; m < blocks; m++) {
		p->mem_pages[m] = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!p->mem_pages[m])
			return -ENOMEM;
		mem_free_entry(p, m);
		cond_resched();
	}
	return 0;
}
