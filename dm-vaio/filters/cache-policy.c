// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio cache filter: the replacement policy. A segmented LRU
 * (probation and protected lists), a ghost filter that admits a block to a
 * full pool only when it was missed recently, and per-disk reservations
 * that victims respect. Documentation/cache.rst says why. Under pool->lock.
 */
#define DM_MSG_PREFIX "vaio-cache"

#include <linux/hash.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

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
void slot_touch(struct cache_pool *p, u32 i)
{
	struct cache_slot *s = &p->slots[i];

	list_del_slot(p, slot_list(p, s), i);
	s->state = SLOT_PROTECTED;
	list_push_head(p, &p->protected, i);
	protected_trim(p);
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

/*
 * The least recently used block @d may take: from probation, then from
 * protected, looking at CACHE_VICTIM_SCAN blocks of each. A block kept for
 * its disk's reservation goes to the head of its list, so that the next
 * search gets past it: the reserved blocks of one disk, the oldest in the
 * pool, would otherwise stop every other disk's promotions for good.
 */
static u32 find_victim(struct cache_pool *p, struct cache_disk *d)
{
	struct cache_list *lists[] = { &p->probation, &p->protected };
	struct cache_slot *s;
	unsigned int l, n;
	u32 i, prev;

	for (l = 0; l < ARRAY_SIZE(lists); l++) {
		i = lists[l]->tail;
		for (n = 0; n < CACHE_VICTIM_SCAN && i != CACHE_NONE; n++) {
			s = &p->slots[i];
			if (victim_ok(p, d, s))
				return i;
			prev = s->prev;
			if (!s->inflight && !s->flags) {
				list_del_slot(p, lists[l], i);
				list_push_head(p, lists[l], i);
			}
			i = prev;
		}
	}
	return CACHE_NONE;
}

/*
 * A slot for block @oblock of @d, hashed and FILLING, or CACHE_NONE. When
 * the pool is full, only a block missed recently (in the ghost filter)
 * displaces another; a write-back write (@write) always does, if a clean
 * block can go. Blocks past CACHE_MAX_OBLOCK never get one, nor any once
 * the pool failed.
 */
u32 slot_alloc(struct cache_pool *p, struct cache_disk *d, u64 oblock,
	       bool write)
{
	struct cache_slot *s;
	u32 i;

	lockdep_assert_held(&p->lock);
	/*
	 * Nothing new once the pool failed: a block dropped then (its
	 * entry dirty, see wb_write_failed()) must not come back in
	 * another slot, whose entry the next pool could take as older.
	 */
	if (oblock > CACHE_MAX_OBLOCK || p->failed)
		return CACHE_NONE;
	if (!write && p->nr_filling >= p->max_filling)
		return CACHE_NONE;
	if (p->free.count) {
		i = p->free.head;
		list_del_slot(p, &p->free, i);
	} else {
		if (!write && !ghost_test_set(p, d->idx, oblock))
			return CACHE_NONE;
		i = find_victim(p, d);
		if (i == CACHE_NONE)
			return CACHE_NONE;
		s = &p->slots[i];
		p->disks[s->disk]->demotions++;
		mem_drop(p, i);
		list_del_slot(p, slot_list(p, s), i);
		hash_remove(p, i);
		p->disks[s->disk]->used--;
	}
	s = &p->slots[i];
	slot_set_oblock(s, oblock);
	s->disk = d->idx;
	s->state = SLOT_FILLING;
	s->flags = 0;
	s->inflight = 1;
	hash_insert(p, i);
	d->used++;
	if (!write)
		p->nr_filling++;
	return i;
}
