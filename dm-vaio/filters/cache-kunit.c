// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the cache filter's index and replacement policy, on a
 * pool made in memory (index_init(), no cache device): built into
 * dm-vaio-cache.ko with VAIO_KUNIT=1 on a kernel with CONFIG_KUNIT (the
 * debug kernel of 'make check-debug'); they run when the module loads
 * and report in /sys/kernel/debug/kunit/dm-vaio-cache/.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "../dm-vaio-filter.h"
#include "cache.h"

#define T_SLOTS		64
#define T_PROTECTED	(T_SLOTS - T_SLOTS / 5)

/*
 * A pool of @nslots free slots and @ndisks disks; cache_test_exit() frees
 * its index.
 */
static struct cache_pool *t_pool(struct kunit *test, u32 nslots,
				 unsigned int ndisks)
{
	struct cache_pool *p;
	unsigned int k;

	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	test->priv = p;
	spin_lock_init(&p->lock);
	pool_set_block_size(p, CACHE_DEFAULT_BLOCK_BYTES);
	p->nslots = nslots;
	p->meta_pages = DIV_ROUND_UP(nslots, CACHE_ENTRIES_PER_PAGE);
	KUNIT_ASSERT_EQ(test, index_init(p), 0);
	for (k = 0; k < ndisks; k++) {
		p->disks[k] = kunit_kzalloc(test, sizeof(*p->disks[k]),
					    GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p->disks[k]);
		p->disks[k]->idx = k;
	}
	return p;
}

static void cache_test_exit(struct kunit *test)
{
	if (test->priv)
		index_free(test->priv);
}

/* Promote block @oblock of disk @k as a read miss would; its slot. */
static u32 t_fill(struct cache_pool *p, unsigned int k, u64 oblock)
{
	u32 i;

	spin_lock_irq(&p->lock);
	i = slot_alloc(p, p->disks[k], oblock, false);
	if (i != CACHE_NONE)
		fill_done(p, i, true);
	spin_unlock_irq(&p->lock);
	return i;
}

/* Is list @l linked both ways, @count long, each slot in @state? */
static bool t_list_ok(struct cache_pool *p, struct cache_list *l, u32 count,
		      u8 state)
{
	u32 i = l->head, prev = CACHE_NONE, n = 0;

	while (i != CACHE_NONE && n <= p->nslots) {
		if (p->slots[i].prev != prev || p->slots[i].state != state)
			return false;
		prev = i;
		i = p->slots[i].next;
		n++;
	}
	return l->tail == prev && l->count == count && n == count;
}

/* A promoted block is found by (disk, block) only, on probation. */
static void cache_test_index(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 2);
	u32 i;

	KUNIT_EXPECT_EQ(test, p->free.count, T_SLOTS);
	i = t_fill(p, 0, 5);
	KUNIT_ASSERT_NE(test, i, CACHE_NONE);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 5), i);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 1, 5), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 6), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[i].state, SLOT_PROBATION);
	KUNIT_EXPECT_EQ(test, p->slots[i].inflight, 0);
	KUNIT_EXPECT_EQ(test, p->probation.count, 1);
	KUNIT_EXPECT_EQ(test, p->free.count, T_SLOTS - 1);
	KUNIT_EXPECT_EQ(test, p->nr_filling, 0);
	KUNIT_EXPECT_EQ(test, p->disks[0]->used, 1);
	KUNIT_EXPECT_EQ(test, p->disks[0]->promotions, 1);

	/* Doomed with no I/O on it: unhashed and free at once. */
	spin_lock_irq(&p->lock);
	slot_doom(p, i);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 5), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[i].state, SLOT_FREE);
	KUNIT_EXPECT_EQ(test, p->free.count, T_SLOTS);
	KUNIT_EXPECT_EQ(test, p->disks[0]->used, 0);
}

/* A failed promotion leaves nothing in the index. */
static void cache_test_fill_failed(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 1);
	u32 i;

	spin_lock_irq(&p->lock);
	i = slot_alloc(p, p->disks[0], 7, false);
	spin_unlock_irq(&p->lock);
	KUNIT_ASSERT_NE(test, i, CACHE_NONE);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[i].state, SLOT_FILLING);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 7), i);
	spin_lock_irq(&p->lock);
	fill_done(p, i, false);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 7), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[i].state, SLOT_FREE);
	KUNIT_EXPECT_EQ(test, p->free.count, T_SLOTS);
	KUNIT_EXPECT_EQ(test, p->nr_filling, 0);
}

/*
 * A full pool admits a read miss only when the block was missed
 * recently (the ghost filter), and then the least recently used block
 * on probation goes.
 */
static void cache_test_admission(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 1);
	u64 b;

	for (b = 0; b < T_SLOTS; b++)
		KUNIT_ASSERT_NE(test, t_fill(p, 0, b), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, p->free.count, 0);
	KUNIT_EXPECT_EQ(test, t_fill(p, 0, 1000), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, p->disks[0]->demotions, 0);
	KUNIT_EXPECT_NE(test, t_fill(p, 0, 1000), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, p->disks[0]->demotions, 1);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 0), CACHE_NONE);
	KUNIT_EXPECT_NE(test, hash_lookup(p, 0, 1), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, p->disks[0]->used, T_SLOTS);
}

/* A write-back write needs no second miss: it must have a slot. */
static void cache_test_write_admitted(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 1);
	u64 b;
	u32 i;

	for (b = 0; b < T_SLOTS; b++)
		KUNIT_ASSERT_NE(test, t_fill(p, 0, b), CACHE_NONE);
	spin_lock_irq(&p->lock);
	i = slot_alloc(p, p->disks[0], 2000, true);
	spin_unlock_irq(&p->lock);
	KUNIT_ASSERT_NE(test, i, CACHE_NONE);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 2000), i);
	/* Not counted as a promotion in flight: nr_filling stays. */
	KUNIT_EXPECT_EQ(test, p->nr_filling, 0);
}

/*
 * A hit moves a block to the protected list, which holds at most 80% of
 * the pool; the least recently used there go back on probation, and
 * victims come from probation first.
 */
static void cache_test_protected(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 1);
	u32 slot[T_SLOTS];
	u64 b;

	for (b = 0; b < T_SLOTS; b++) {
		slot[b] = t_fill(p, 0, b);
		KUNIT_ASSERT_NE(test, slot[b], CACHE_NONE);
	}
	spin_lock_irq(&p->lock);
	slot_touch(p, slot[0]);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[slot[0]].state, SLOT_PROTECTED);
	/* Block 0 is the oldest, but protected: block 1 goes. */
	KUNIT_EXPECT_EQ(test, t_fill(p, 0, 500), CACHE_NONE);
	KUNIT_EXPECT_NE(test, t_fill(p, 0, 500), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 0), slot[0]);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 1), CACHE_NONE);

	spin_lock_irq(&p->lock);
	for (b = 2; b < T_SLOTS; b++)
		slot_touch(p, slot[b]);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, p->protected.count, T_PROTECTED);
	KUNIT_EXPECT_EQ(test, p->probation.count, T_SLOTS - T_PROTECTED);
	/* Block 0, touched first, went back on probation. */
	KUNIT_EXPECT_EQ(test, (u8)p->slots[slot[0]].state, SLOT_PROBATION);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[slot[T_SLOTS - 1]].state,
			SLOT_PROTECTED);
}

/* Dirty blocks and blocks with I/O in flight are never victims. */
static void cache_test_busy_kept(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 1);
	u32 slot[T_SLOTS];
	u64 b;
	u32 i;

	for (b = 0; b < T_SLOTS; b++) {
		slot[b] = t_fill(p, 0, b);
		KUNIT_ASSERT_NE(test, slot[b], CACHE_NONE);
	}
	spin_lock_irq(&p->lock);
	slot_mark_dirty(p, &p->slots[slot[0]]);
	p->slots[slot[1]].inflight++;
	i = slot_alloc(p, p->disks[0], 3000, true);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, p->nr_dirty, 1);
	KUNIT_EXPECT_EQ(test, p->disks[0]->dirty, 1);
	KUNIT_EXPECT_EQ(test, i, slot[2]);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 0), slot[0]);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 1), slot[1]);

	/* All dirty: nothing can go, not even for a write. */
	spin_lock_irq(&p->lock);
	for (b = 0; b < T_SLOTS; b++)
		slot_mark_dirty(p, &p->slots[b]);
	i = slot_alloc(p, p->disks[0], 3001, true);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, i, CACHE_NONE);
	KUNIT_EXPECT_EQ(test, p->nr_dirty, T_SLOTS);
}

/*
 * Reservations: a disk within its reserve keeps its blocks against the
 * other disks, however old they are, and they do not stop the others'
 * promotions: the search moves them out of its way.
 */
static void cache_test_reservation(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 2);
	struct cache_disk *a = p->disks[0], *b = p->disks[1];
	unsigned int n, got = 0;
	u64 k;

	a->reserve_blocks = T_SLOTS / 2;
	/* a's blocks first: the oldest, at the tail of probation. */
	for (k = 0; k < T_SLOTS / 2; k++)
		KUNIT_ASSERT_NE(test, t_fill(p, 0, k), CACHE_NONE);
	for (k = 0; k < T_SLOTS / 2; k++)
		KUNIT_ASSERT_NE(test, t_fill(p, 1, k), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, p->free.count, 0);

	/*
	 * b's misses, each twice (the ghost filter), take b's blocks. The
	 * first search may only move a's blocks out of the way.
	 */
	for (n = 0; n < 8; n++) {
		t_fill(p, 1, 100 + n);
		if (t_fill(p, 1, 100 + n) != CACHE_NONE)
			got++;
	}
	KUNIT_EXPECT_GE(test, got, 7);
	KUNIT_EXPECT_EQ(test, a->used, T_SLOTS / 2);
	KUNIT_EXPECT_EQ(test, b->used, T_SLOTS / 2);
	for (k = 0; k < T_SLOTS / 2; k++)
		KUNIT_EXPECT_NE(test, hash_lookup(p, 0, k), CACHE_NONE);
	KUNIT_EXPECT_TRUE(test, t_list_ok(p, &p->probation, T_SLOTS,
					  SLOT_PROBATION));
}

/*
 * The same in protected, where a search wraps around a list it moves
 * blocks in; dirty blocks are never victims and never moved.
 */
static void cache_test_reservation_protected(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 2);
	struct cache_disk *a = p->disks[0], *b = p->disks[1];
	u32 bslot[16], i, n;
	u64 k;

	a->reserve_blocks = 48;
	for (k = 0; k < 48; k++)
		KUNIT_ASSERT_NE(test, t_fill(p, 0, k), CACHE_NONE);
	for (k = 0; k < 16; k++) {
		bslot[k] = t_fill(p, 1, k);
		KUNIT_ASSERT_NE(test, bslot[k], CACHE_NONE);
	}
	spin_lock_irq(&p->lock);
	for (k = 0; k < 48; k++)
		slot_touch(p, hash_lookup(p, 0, k));
	for (k = 0; k < 16; k++)
		slot_mark_dirty(p, &p->slots[bslot[k]]);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, p->protected.count, 48);
	KUNIT_EXPECT_EQ(test, p->probation.count, 16);

	/* b's blocks all dirty, a's all reserved: nothing may go. */
	for (n = 0; n < 3; n++)
		KUNIT_EXPECT_EQ(test, t_fill(p, 1, 100), CACHE_NONE);
	KUNIT_EXPECT_TRUE(test, t_list_ok(p, &p->protected, 48,
					  SLOT_PROTECTED));
	KUNIT_EXPECT_TRUE(test, t_list_ok(p, &p->probation, 16,
					  SLOT_PROBATION));
	/* The dirty blocks kept their order: oldest at the tail. */
	KUNIT_EXPECT_EQ(test, p->probation.tail, bslot[0]);
	KUNIT_EXPECT_EQ(test, p->probation.head, bslot[15]);

	/* One of b's blocks written back: that one goes, nothing else. */
	spin_lock_irq(&p->lock);
	p->slots[bslot[7]].flags &= ~SLOT_DIRTY;
	b->dirty--;
	p->nr_dirty--;
	spin_unlock_irq(&p->lock);
	i = t_fill(p, 1, 100);
	KUNIT_EXPECT_EQ(test, i, bslot[7]);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 1, 7), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, a->used, 48);
	KUNIT_EXPECT_EQ(test, b->used, 16);
}

/* Above its reserve, a disk's blocks may go to another disk. */
static void cache_test_above_reserve(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 2);
	struct cache_disk *a = p->disks[0];
	u64 k;

	a->reserve_blocks = T_SLOTS / 4;
	for (k = 0; k < T_SLOTS; k++)
		KUNIT_ASSERT_NE(test, t_fill(p, 0, k), CACHE_NONE);
	t_fill(p, 1, 200);
	KUNIT_EXPECT_NE(test, t_fill(p, 1, 200), CACHE_NONE);
	KUNIT_EXPECT_EQ(test, a->used, T_SLOTS - 1);
	KUNIT_EXPECT_EQ(test, p->disks[1]->used, 1);
	KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 0), CACHE_NONE);
}

/*
 * A write-back batch: each dirty block the scan of slots finds, with the
 * dirty blocks that follow it; a slot the batch took already is not
 * "busy" when the scan meets it (that made write-back wait and retry).
 */
static void cache_test_wb_pick(struct kunit *test)
{
	static const u64 blocks[] = { 1, 2, 3, 0, 10, 7 };
	struct cache_pool *p = t_pool(test, T_SLOTS, 2);
	u32 slot[ARRAY_SIZE(blocks)], taken[CACHE_WB_BATCH];
	unsigned int k, n, seen = 0;
	bool busy = false;
	u64 pos = 0;

	for (k = 0; k < ARRAY_SIZE(blocks); k++) {
		slot[k] = t_fill(p, 0, blocks[k]);
		KUNIT_ASSERT_NE(test, slot[k], CACHE_NONE);
	}
	/* A clean block of disk 0, a dirty one of disk 1: not taken. */
	KUNIT_ASSERT_NE(test, t_fill(p, 0, 4), CACHE_NONE);
	KUNIT_ASSERT_NE(test, t_fill(p, 1, 5), CACHE_NONE);
	spin_lock_irq(&p->lock);
	for (k = 0; k < ARRAY_SIZE(blocks); k++)
		slot_mark_dirty(p, &p->slots[slot[k]]);
	slot_mark_dirty(p, &p->slots[hash_lookup(p, 1, 5)]);
	spin_unlock_irq(&p->lock);

	n = wb_pick(p, p->disks[0], 0, U64_MAX, &pos, taken, &busy);
	KUNIT_EXPECT_EQ(test, n, ARRAY_SIZE(blocks));
	KUNIT_EXPECT_FALSE(test, busy);
	/* Block 1 first, then 2 and 3 after it, then 0, 10 and 7. */
	for (k = 0; k < n && k < ARRAY_SIZE(blocks); k++) {
		KUNIT_EXPECT_EQ(test, slot_oblock(&p->slots[taken[k]]), blocks[k]);
		KUNIT_EXPECT_TRUE(test, p->slots[taken[k]].flags &
				  SLOT_CLEANING);
		seen |= BIT(k);
	}
	KUNIT_EXPECT_EQ(test, seen, BIT(ARRAY_SIZE(blocks)) - 1);
	/* A second pick finds nothing more, and nothing busy. */
	pos = 0;
	n = wb_pick(p, p->disks[0], 0, U64_MAX, &pos, taken, &busy);
	KUNIT_EXPECT_EQ(test, n, 0);
	KUNIT_EXPECT_FALSE(test, busy);
}

/*
 * Background write-back takes the least recently used dirty blocks first
 * (probation's tail, then protected's), not the blocks that follow them.
 */
static void cache_test_wb_pick_cold(struct kunit *test)
{
	static const u64 want[] = { 3, 5, 7, 8, 2, 4 };
	struct cache_pool *p = t_pool(test, T_SLOTS, 1);
	u32 slot[10], taken[CACHE_WB_BATCH];
	bool busy = false;
	unsigned int k, n;

	for (k = 0; k < 10; k++) {
		slot[k] = t_fill(p, 0, k);
		KUNIT_ASSERT_NE(test, slot[k], CACHE_NONE);
	}
	spin_lock_irq(&p->lock);
	for (k = 2; k < 9; k++)
		if (k != 6)
			slot_mark_dirty(p, &p->slots[slot[k]]);
	slot_touch(p, slot[2]);		/* to protected: used last */
	slot_touch(p, slot[4]);
	spin_unlock_irq(&p->lock);

	n = wb_pick_cold(p, p->disks[0], taken, &busy);
	KUNIT_EXPECT_EQ(test, n, ARRAY_SIZE(want));
	KUNIT_EXPECT_FALSE(test, busy);
	for (k = 0; k < n && k < ARRAY_SIZE(want); k++)
		KUNIT_EXPECT_EQ(test, slot_oblock(&p->slots[taken[k]]), want[k]);
	KUNIT_EXPECT_EQ(test, wb_pick_cold(p, p->disks[0], taken, &busy), 0);
}

/*
 * The layout of cache devices by block size: blocks, where the data
 * starts (aligned to a block), and what follows from the size.
 */
static void cache_test_geometry(struct kunit *test)
{
	static const struct {
		u64 sectors;
		u32 block_size;
		u32 blocks;		/* 0: refused */
		sector_t data_start;
		u32 wb_blocks, max_filling, region_shift;
	} t[] = {
		/* 64 MiB at 4 KiB: as before block sizes */
		{ 131072, 4096, 16063, 2568, 64, 1024, 8 },
		/* 4 TiB at 4 KiB: just under 2^30 blocks */
		{ 1ULL << 33, 4096, 1069429352, 34499776, 64, 1024, 8 },
		/* 8 TiB at 4 KiB: over 2^30 */
		{ 1ULL << 34, 4096, 0 },
		/* 4 TiB at 32 KiB */
		{ 1ULL << 33, 32768, 134150080, 4329472, 8, 128, 5 },
		/* 4 TiB at 1 MiB */
		{ 1ULL << 33, 1048576, 4194236, 139264, 1, 4, 5 },
		/* 64 MiB at 1 MiB: too few blocks */
		{ 131072, 1048576, 0 },
	};
	struct cache_pool *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	unsigned int k;
	bool ok;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, block_size_valid(2048));
	KUNIT_EXPECT_FALSE(test, block_size_valid(3 * 4096));
	KUNIT_EXPECT_FALSE(test, block_size_valid(2 * 1048576));
	for (k = 0; k < ARRAY_SIZE(t); k++) {
		KUNIT_ASSERT_TRUE(test, block_size_valid(t[k].block_size));
		pool_set_block_size(p, t[k].block_size);
		KUNIT_EXPECT_EQ(test, block_bytes(p), t[k].block_size);
		ok = pool_geometry(p, t[k].sectors);
		KUNIT_EXPECT_EQ_MSG(test, ok, t[k].blocks != 0, "case %u", k);
		if (!ok || !t[k].blocks)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, p->nslots, t[k].blocks, "case %u", k);
		KUNIT_EXPECT_EQ_MSG(test, p->data_start, t[k].data_start,
				    "case %u", k);
		KUNIT_EXPECT_EQ(test, p->data_start % block_sectors(p), 0);
		KUNIT_EXPECT_LE(test, p->data_start +
				((sector_t)p->nslots << p->bshift), t[k].sectors);
		KUNIT_EXPECT_EQ(test, p->wb_blocks, t[k].wb_blocks);
		KUNIT_EXPECT_EQ(test, p->max_filling, t[k].max_filling);
		/* 1 MiB regions, of 32 blocks at least. */
		KUNIT_EXPECT_EQ(test, p->region_shift, t[k].region_shift);
	}
}

/* Disks 0 and 1 of 4096 blocks in @p's disk table (kunit's memory). */
static void t_disktab(struct kunit *test, struct cache_pool *p)
{
	struct cache_disk_entry *e;
	unsigned int k;
	void *buf;

	for (k = 0; k < ARRAY_SIZE(p->disktab); k++) {
		/* (kmalloc of a page: a page, aligned.) */
		buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
		p->disktab[k] = virt_to_page(buf);
	}
	for (k = 0; k < 2; k++) {
		e = disktab_entry(p, k);
		snprintf(e->id, sizeof(e->id), "disk%u", k);
		e->len = cpu_to_le64(4096ULL << p->bshift);
	}
}

/* Pool @p gone; a new one like it, with disks 0 and 1 in its table. */
static struct cache_pool *t_repool(struct kunit *test, struct cache_pool *p)
{
	index_free(p);
	test->priv = NULL;
	p = t_pool(test, T_SLOTS, 2);
	t_disktab(test, p);
	return p;
}

/* Block @oblock of disk @k promoted, written and its entry dirty. */
static u32 t_dirty(struct cache_pool *p, unsigned int k, u64 oblock)
{
	u32 i = t_fill(p, k, oblock);

	spin_lock_irq(&p->lock);
	slot_mark_dirty(p, &p->slots[i]);
	meta_set(p, i, true);
	spin_unlock_irq(&p->lock);
	return i;
}

/* Entries built from the slots, and what recovery makes of them. */
static void cache_test_entries(struct kunit *test)
{
	struct cache_pool *p = t_pool(test, T_SLOTS, 2);
	struct recover_counts c = {};
	void *page[2];
	u32 a, b, k;
	__le32 seq;

	page[0] = kunit_kzalloc(test, CACHE_META_BYTES, GFP_KERNEL);
	page[1] = kunit_kzalloc(test, CACHE_META_BYTES, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, page[0]);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, page[1]);
	a = t_dirty(p, 0, 5);
	b = t_fill(p, 1, 7);
	KUNIT_EXPECT_TRUE(test, test_bit(0, p->meta_dirty));
	spin_lock_irq(&p->lock);
	meta_build(p, page[0], 0);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, page_entry(page[0], a)->flags, ENTRY_DIRTY);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(page_entry(page[0], a)->oblock), 5);
	KUNIT_EXPECT_EQ(test, page_entry(page[0], a)->disk, 0);
	KUNIT_EXPECT_EQ(test, page_entry(page[0], b)->flags, ENTRY_VALID);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(page_entry(page[0], b)->oblock), 7);
	KUNIT_EXPECT_EQ(test, page_entry(page[0], b)->disk, 1);
	seq = page_entry(page[0], a)->seq;
	KUNIT_EXPECT_EQ(test, page_entry(page[0], b)->seq, seq);
	for (k = 0; k < T_SLOTS; k++)
		if (k != a && k != b)
			KUNIT_EXPECT_EQ(test, page_entry(page[0], k)->flags, 0);

	/* Written back: still dirty in that copy; moved to another slot. */
	spin_lock_irq(&p->lock);
	p->slots[a].flags &= ~SLOT_DIRTY;
	p->disks[0]->dirty--;
	p->nr_dirty--;
	meta_set(p, a, false);
	slot_doom(p, a);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[a].state, SLOT_FREE);
	/* (Slot a, freed last, goes to another block first.) */
	KUNIT_EXPECT_EQ(test, t_fill(p, 1, 9), a);
	b = t_dirty(p, 0, 5);
	KUNIT_ASSERT_NE(test, a, b);
	spin_lock_irq(&p->lock);
	meta_build(p, page[1], 0);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, page_entry(page[1], a)->flags, ENTRY_VALID);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(page_entry(page[1], a)->oblock), 9);
	KUNIT_EXPECT_EQ(test, page_entry(page[1], b)->flags, ENTRY_DIRTY);
	KUNIT_EXPECT_GT(test, (s32)(le32_to_cpu(page_entry(page[1], b)->seq) -
				    le32_to_cpu(seq)), 0);

	/*
	 * Recovery from both copies (as if they were two pages), in either
	 * order: the later entry wins; after a crash clean blocks do not
	 * come back, after a clean shutdown they do.
	 */
	for (k = 0; k < 2; k++) {
		p = t_repool(test, p);
		memset(&c, 0, sizeof(c));
		recover_begin(p);
		KUNIT_EXPECT_EQ(test, recover_entry(p, k ? b : a,
						    page_entry(page[k], k ? b : a),
						    false, &c), 0);
		KUNIT_EXPECT_EQ(test, recover_entry(p, k ? a : b,
						    page_entry(page[!k], k ? a : b),
						    false, &c), 0);
		recover_lists(p);
		KUNIT_EXPECT_EQ(test, hash_lookup(p, 0, 5), b);
		KUNIT_EXPECT_EQ(test, (u8)p->slots[b].flags,
				SLOT_DIRTY | SLOT_EDIRTY);
		KUNIT_EXPECT_EQ(test, hash_lookup(p, 1, 7), CACHE_NONE);
		KUNIT_EXPECT_EQ(test, c.found, 1);
		KUNIT_EXPECT_EQ(test, c.ignored, 1);
		KUNIT_EXPECT_EQ(test, p->nr_dirty, 1);
		KUNIT_EXPECT_EQ(test, p->disks[0]->dirty, 1);
		KUNIT_EXPECT_EQ(test, p->disks[0]->used, 1);
		KUNIT_EXPECT_TRUE(test, t_list_ok(p, &p->probation, 1,
						  SLOT_PROBATION));
		KUNIT_EXPECT_TRUE(test, t_list_ok(p, &p->free, T_SLOTS - 1,
						  SLOT_FREE));
		/* The older entry's page is rewritten by the next commit. */
		KUNIT_EXPECT_TRUE(test, test_bit(0, p->meta_dirty));
		KUNIT_EXPECT_EQ(test, p->entry_seq,
				le32_to_cpu(page_entry(page[1], b)->seq));
	}

	/* After a clean shutdown the clean block comes back too. */
	p = t_repool(test, p);
	memset(&c, 0, sizeof(c));
	recover_begin(p);
	for (k = 0; k < T_SLOTS; k++)
		KUNIT_EXPECT_EQ(test, recover_entry(p, k, page_entry(page[0], k),
						    true, &c), 0);
	recover_lists(p);
	KUNIT_EXPECT_EQ(test, c.found, 1);
	KUNIT_EXPECT_EQ(test, c.warm, 1);
	KUNIT_EXPECT_NE(test, hash_lookup(p, 1, 7), CACHE_NONE);
	KUNIT_EXPECT_TRUE(test, t_list_ok(p, &p->free, T_SLOTS - 2, SLOT_FREE));

	/*
	 * A dirty block dropped because the cache device failed: its entry
	 * still names it (the data is there for the next recovery), so its
	 * slot is never reused.
	 */
	a = hash_lookup(p, 0, 5);
	spin_lock_irq(&p->lock);
	slot_doom(p, a);
	meta_build(p, page[0], 0);
	spin_unlock_irq(&p->lock);
	KUNIT_EXPECT_EQ(test, (u8)p->slots[a].state, SLOT_DOOMED);
	KUNIT_EXPECT_EQ(test, p->free.count, T_SLOTS - 2);
	KUNIT_EXPECT_EQ(test, page_entry(page[0], a)->flags, ENTRY_DIRTY);
	KUNIT_EXPECT_EQ(test, p->nr_dirty, 0);
}

static struct kunit_case cache_cases[] = {
	KUNIT_CASE(cache_test_geometry),
	KUNIT_CASE(cache_test_index),
	KUNIT_CASE(cache_test_fill_failed),
	KUNIT_CASE(cache_test_admission),
	KUNIT_CASE(cache_test_write_admitted),
	KUNIT_CASE(cache_test_protected),
	KUNIT_CASE(cache_test_busy_kept),
	KUNIT_CASE(cache_test_reservation),
	KUNIT_CASE(cache_test_reservation_protected),
	KUNIT_CASE(cache_test_above_reserve),
	KUNIT_CASE(cache_test_wb_pick),
	KUNIT_CASE(cache_test_wb_pick_cold),
	KUNIT_CASE(cache_test_entries),
	{}
};

static struct kunit_suite cache_suite = {
	.name = "dm-vaio-cache",
	.exit = cache_test_exit,
	.test_cases = cache_cases,
};

kunit_test_suites(&cache_suite);
