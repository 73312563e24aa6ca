// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: the index of cached blocks. A hash from
 * (disk, block) to the slot holding it, and the lists each slot is on
 * (free, probation, protected). Under pool->lock, but index_init() and
 * index_free(), which make and free them.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

static inline u32 slot_idx(struct cache_pool *p, struct cache_slot *s)
{
	return s - p->slots;
}

static inline u32 key_hash(struct cache_pool *p, u8 disk, u64 oblock)
{
	return hash_64(oblock ^ ((u64)disk << 56), p->hash_bits);
}

u32 hash_lookup(struct cache_pool *p, u8 disk, u64 oblock)
{
	u32 i = p->buckets[key_hash(p, disk, oblock)];

	while (i != CACHE_NONE) {
		struct cache_slot *s = &p->slots[i];

		if (slot_oblock(s) == oblock && s->disk == disk)
			return i;
		i = s->hnext;
	}
	return CACHE_NONE;
}

void hash_insert(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];
	u32 *b = &p->buckets[key_hash(p, s->disk, slot_oblock(s))];

	s->hnext = *b;
	*b = i;
}

void hash_remove(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];
	u32 *b = &p->buckets[key_hash(p, s->disk, slot_oblock(s))];

	while (*b != i)
		b = &p->slots[*b].hnext;
	*b = s->hnext;
	s->hnext = CACHE_NONE;
}

void list_push_head(struct cache_pool *p, struct cache_list *l, u32 i)
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

void list_del_slot(struct cache_pool *p, struct cache_list *l, u32 i)
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

struct cache_list *slot_list(struct cache_pool *p, struct cache_slot *s)
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

	/*
	 * Its entry names the block dirty, for recovery: kept, doomed (the
	 * cache device failed, see slot_doom()).
	 */
	if (s->flags & SLOT_EDIRTY)
		return;
	WARN_ON_ONCE(p->slot_mem && p->slot_mem[i] != CACHE_NONE);
	s->state = SLOT_FREE;
	s->flags = 0;
	list_push_head(p, &p->free, i);
}

/* Drop a block from the index; its slot is reused once no I/O uses it. */
void slot_doom(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];
	struct cache_list *l = slot_list(p, s);

	if (s->state == SLOT_FREE || s->state == SLOT_DOOMED)
		return;
	mem_drop(p, i);
	if (l)
		list_del_slot(p, l, i);
	hash_remove(p, i);
	p->disks[s->disk]->used--;
	if (s->flags & SLOT_DIRTY) {
		/* Only when the cache device failed: the data is lost. */
		s->flags &= ~SLOT_DIRTY;
		p->disks[s->disk]->dirty--;
		p->nr_dirty--;
	}
	s->state = SLOT_DOOMED;
	if (!s->inflight)
		slot_free(p, i);
}

/* A filled slot becomes a cached block, on probation. */
static void slot_valid(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	s->state = SLOT_PROBATION;
	list_push_head(p, &p->probation, i);
	p->disks[s->disk]->promotions++;
}

/*
 * Slot @s gets write-back data: dirty, and redirty if a write-back batch
 * is copying it (see wb_slots()). Under lock.
 */
void slot_mark_dirty(struct cache_pool *p, struct cache_slot *s)
{
	if (s->flags & SLOT_CLEANING)
		s->flags |= SLOT_REDIRTY;
	if (!(s->flags & SLOT_DIRTY)) {
		s->flags |= SLOT_DIRTY;
		p->disks[s->disk]->dirty++;
		p->nr_dirty++;
	}
}

/* One I/O on the slot ended: free it if it was doomed meanwhile. */
void slot_put(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	if (--s->inflight)
		return;
	if (s->state == SLOT_DOOMED)
		slot_free(p, i);
	else if (WARN_ON_ONCE(s->state == SLOT_STALE))	/* see wt_put() */
		slot_doom(p, i);
}

/* A promotion's write ended (or never started). */
void fill_done(struct cache_pool *p, u32 i, bool ok)
{
	struct cache_slot *s = &p->slots[i];

	p->nr_filling--;
	s->flags &= ~SLOT_UPDATING;
	if (s->state == SLOT_FILLING) {
		if (ok && !p->failed)
			slot_valid(p, i);
		else
			slot_doom(p, i);
	} else if (s->state == SLOT_STALE) {
		/*
		 * A write came meanwhile (cache_map_write()): the data is
		 * old. The last write refills the block, if it ends after
		 * this; none can now.
		 */
		s->stale_fills = 0;
		if (!s->stale_writes)
			slot_doom(p, i);
	}
	slot_put(p, i);
}

/*
 * A zeroed array of @n elements of @size for the index, however large:
 * kvmalloc() refuses more than INT_MAX bytes (with a warning: the slots
 * of a pool of 341 GiB of 4 KiB blocks), vmalloc space takes them. Freed
 * by kvfree().
 */
void *index_array(size_t n, size_t size)
{
	size_t bytes = array_size(n, size);

	return bytes <= INT_MAX ? kvzalloc(bytes, GFP_KERNEL) : vzalloc(bytes);
}

/*
 * The index of a pool of p->nslots slots (p->meta_pages pages of entries),
 * all free; index_free() frees what it allocated, whole or in part.
 */
int index_init(struct cache_pool *p)
{
	u32 i;

	p->protected_max = p->nslots - p->nslots / 5;
	p->slots = index_array(p->nslots, sizeof(*p->slots));
	if (!p->slots)
		return -ENOMEM;
	/* At most a bucket per slot: chains of one or two on average. */
	p->hash_bits = ilog2(p->nslots);
	p->buckets = index_array(1UL << p->hash_bits, sizeof(u32));
	if (!p->buckets)
		return -ENOMEM;
	memset(p->buckets, 0xff, sizeof(u32) << p->hash_bits);
	/* (The policy's: 2 to 4 bits per slot, each.) */
	p->ghost_bits = ilog2(roundup_pow_of_two(p->nslots)) + 1;
	p->ghost[0] = index_array(BITS_TO_LONGS(1UL << p->ghost_bits),
				  sizeof(long));
	p->ghost[1] = index_array(BITS_TO_LONGS(1UL << p->ghost_bits),
				  sizeof(long));
	if (!p->ghost[0] || !p->ghost[1])
		return -ENOMEM;
	p->meta_dirty = index_array(BITS_TO_LONGS(p->meta_pages), sizeof(long));
	p->page_gen = index_array(p->meta_pages, sizeof(u64));
	if (!p->meta_dirty || !p->page_gen)
		return -ENOMEM;

	p->free.head = CACHE_NONE;
	p->free.tail = CACHE_NONE;
	p->probation = p->free;
	p->protected = p->free;
	for (i = p->nslots; i-- > 0;) {
		p->slots[i].hnext = CACHE_NONE;
		list_push_head(p, &p->free, i);
		/* (Up to 2^30 slots.) */
		if (!(i & 0xffff))
			cond_resched();
	}
	return 0;
}

/*
 * The RAM of the index, in bytes: the slots, the hash, the ghost filter,
 * the entry pages' bookkeeping and the memory tier's slot map (not its
 * copies, which memory_mib= sets).
 */
size_t index_bytes(struct cache_pool *p)
{
	size_t b = (size_t)p->nslots * sizeof(*p->slots);

	b += sizeof(u32) << p->hash_bits;
	b += 2 * BITS_TO_LONGS(1UL << p->ghost_bits) * sizeof(long);
	b += BITS_TO_LONGS(p->meta_pages) * sizeof(long);
	b += (size_t)p->meta_pages * sizeof(u64);
	if (p->slot_mem)
		b += (size_t)p->nslots * sizeof(u32);
	return b;
}

void index_free(struct cache_pool *p)
{
	kvfree(p->page_gen);
	kvfree(p->meta_dirty);
	kvfree(p->ghost[0]);
	kvfree(p->ghost[1]);
	kvfree(p->buckets);
	kvfree(p->slots);
}
