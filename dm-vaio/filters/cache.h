/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vaio cache filter: shared definitions of the pool (the host's cache
 * tier, a dm target of its own) and the filter (one per disk and table).
 * See Documentation/cache.rst.
 */
#ifndef DM_VAIO_CACHE_H
#define DM_VAIO_CACHE_H

#include <linux/bio.h>
#include <linux/bits.h>
#include <linux/blkdev.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#define CACHE_BLOCK_SHIFT	3	/* sectors: 4 KiB blocks */
#define CACHE_BLOCK_SECTORS	BIT(CACHE_BLOCK_SHIFT)
#define CACHE_BLOCK_BYTES	(CACHE_BLOCK_SECTORS << SECTOR_SHIFT)
/* Start of the data area: the first MiB of the cache device is reserved. */
#define CACHE_DATA_START	2048
#define CACHE_MIN_BLOCKS	64
#define CACHE_MAX_BLOCKS	BIT(30)
/* Bios of at most this many blocks are served from, and promoted to, cache. */
#define CACHE_MAX_BIO_BLOCKS	32
#define CACHE_MAX_DISKS		64
/* In-flight writes are tracked per region of 2^8 blocks (1 MiB), hashed. */
#define CACHE_REGION_SHIFT	8
#define CACHE_REGION_BITS	12
/* Promotions waiting for their cache write, per pool. */
#define CACHE_MAX_FILLING	1024
/* Entries a victim search looks at, per list, before giving up. */
#define CACHE_VICTIM_SCAN	32
#define CACHE_NONE		U32_MAX
/* A write or discard over more blocks drops them in the pool's worker. */
#define CACHE_INLINE_BLOCKS	1024

struct cache_io;

enum cache_slot_state {
	SLOT_FREE,
	SLOT_FILLING,		/* hashed; its data is being written */
	SLOT_PROBATION,		/* valid, seen once since promotion */
	SLOT_PROTECTED,		/* valid, hit again */
	SLOT_DOOMED,		/* unhashed; freed when no I/O uses it */
};

#define SLOT_UPDATING	0x01	/* a write-through copy is in flight */

/* One cache block; 24 bytes per 4 KiB of cache. */
struct cache_slot {
	u64 oblock;		/* block of the disk below */
	u32 hnext;		/* hash chain */
	u32 prev, next;		/* free list, probation or protected list */
	u8 disk;		/* index in pool->disks */
	u8 state;
	u8 flags;
	u8 inflight;		/* bios reading or writing the slot */
};

struct cache_list {
	u32 head, tail;		/* head: most recently used */
	u32 count;
};

/*
 * A disk's place in a pool: owns the disk's cached blocks and its
 * counters. Shared by the disk's filter instances (the live table and one
 * being loaded), so that a table reload keeps the cache warm.
 */
struct cache_disk {
	char *id;
	unsigned int ref;	/* filter instances; cache_pools_lock */
	u8 idx;
	dev_t data_dev;
	sector_t len;

	/* Under pool->lock: */
	u32 reserve_pct;
	u32 reserve_blocks;
	u32 used;		/* filling and valid blocks */
	u32 big_writes;		/* in-flight writes over more than 2 regions */
	u64 read_hits, read_misses;
	u64 read_hit_sectors, read_miss_sectors;
	u64 write_hits, write_misses;
	u64 promotions, demotions, invalidations, seq_bypass;
};

struct cache_pool {
	struct list_head list;	/* cache_pools */
	refcount_t ref;		/* pool targets and filter instances */
	unsigned int targets;	/* pool target instances; cache_pools_lock */
	dev_t dev;		/* the pool's own dm device */
	char name[64];
	struct block_device *cdev;	/* the cache device, opened exclusively */
	u32 nslots;

	spinlock_t lock;		/* the index, disks' counters, lists */
	struct cache_slot *slots;
	u32 *buckets;
	unsigned int hash_bits;
	struct cache_list free, probation, protected;
	u32 protected_max;
	u32 nr_filling;
	unsigned long *ghost[2];
	unsigned int ghost_bits;
	u32 ghost_count;
	u32 region_writes[1U << CACHE_REGION_BITS];
	struct cache_disk *disks[CACHE_MAX_DISKS];
	bool failed;
	u64 errors;
	struct bio_list fills;		/* promotion writes to submit */
	struct bio_list retries;	/* reads to send to the disk below */
	struct cache_io *ranges;	/* bios whose blocks to drop first */

	struct bio_set bs;
	struct workqueue_struct *wq;
	struct work_struct work;
};

#endif /* DM_VAIO_CACHE_H */
