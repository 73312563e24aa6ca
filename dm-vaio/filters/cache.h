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
#include <linux/mutex.h>
#include <linux/blkdev.h>
#include <linux/hash.h>
#include <linux/refcount.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

#include "../dm-vaio-filter.h"
#include "cache-format.h"

/* Bios of at most this many blocks are served from, and promoted to, cache. */
#define CACHE_MAX_BIO_BLOCKS	32
/*
 * In-flight writes are tracked per region, hashed: 1 MiB (2^8 blocks of 4
 * KiB, 2^5 of 32 KiB), and at least CACHE_MAX_BIO_BLOCKS blocks, so that a
 * bio of as many spans two regions at most (pool_set_block_size()).
 */
#define CACHE_REGION_BYTES_SHIFT	20
#define CACHE_REGION_MIN_SHIFT	5
#define CACHE_REGION_BITS	12
/* Promotions waiting for their cache write, per pool: at most 4 MiB. */
#define CACHE_FILLING_BYTES	SZ_4M
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
	SLOT_STALE,		/* hashed; writes over it in flight, then refilled */
};

#define SLOT_UPDATING	0x01	/* a write-through copy is in flight */
#define SLOT_DIRTY	0x02	/* newer than the disk below (write-back) */
#define SLOT_CLEANING	0x04	/* being written back */
#define SLOT_REDIRTY	0x08	/* written again while being written back */
/*
 * Its entry says dirty (meta_set()): the entry pages are built from the
 * slots (meta_build()). Such a slot is never reused: a slot dropped with
 * it (the cache device failed) stays doomed, off the free list.
 */
#define SLOT_EDIRTY	0x10

/*
 * Blocks written back at a time, at most (256 KiB of 4 KiB blocks; of
 * larger ones, as many as 256 KiB holds, at least one); metadata pages a
 * commit copies at a time.
 */
#define CACHE_WB_BATCH		64
#define CACHE_WB_BATCH_BYTES	(CACHE_WB_BATCH * SZ_4K)
/* Blocks (of the lists' tails, or slots) a write-back pick looks at. */
#define CACHE_WB_SCAN		4096
#define CACHE_COMMIT_PAGES	64

/*
 * One cache block; 20 bytes per block of cache. Its block of the disk
 * below has 40 bits (slot_oblock()): blocks past CACHE_MAX_OBLOCK (4 PiB
 * of 4 KiB blocks) are not cached.
 */
struct cache_slot {
	u32 hnext;		/* hash chain */
	union {
		struct {
			u32 prev, next;	/* free list, probation or protected list */
		};
		struct {	/* SLOT_STALE, on no list: in flight over it */
			u32 stale_fills;	/* a promotion's write: 0 or 1 */
			u32 stale_writes;	/* writes that made no copy */
		};
	};
	u32 oblock_lo;		/* block of the disk below, low bits */
	u8 oblock_hi;
	u8 disk;		/* index in pool->disks */
	u8 inflight;		/* bios reading or writing the slot */
	u8 state:3;		/* enum cache_slot_state */
	u8 flags:5;		/* SLOT_* */
};

#define CACHE_MAX_OBLOCK	(BIT_ULL(40) - 1)
static_assert(sizeof(struct cache_slot) == 20);

static inline u64 slot_oblock(const struct cache_slot *s)
{
	return (u64)s->oblock_hi << 32 | s->oblock_lo;
}

static inline void slot_set_oblock(struct cache_slot *s, u64 oblock)
{
	s->oblock_lo = lower_32_bits(oblock);
	s->oblock_hi = upper_32_bits(oblock);
}

struct cache_list {
	u32 head, tail;		/* head: most recently used */
	u32 count;
};

/*
 * The memory tier: RAM copies of hot blocks of the cache device, which
 * keeps every block the memory tier holds (inclusive). Reads that hit it
 * are served by a copy, with no I/O. Writes never go to it: a write over
 * a block drops its copy, as it is mapped and as it ends.
 */
enum cache_mem_state {
	MEM_FREE,
	MEM_FILLING,	/* a read hit in flight copies its block in */
	MEM_VALID,	/* the slot's data; on the LRU */
	MEM_DROPPED,	/* no data; freed when its readers or filler end */
};

struct cache_mem {
	struct list_head lru;	/* VALID: pool->mem_lru; FREE: mem_free */
	u32 slot;
	u16 pins;		/* reads copying out of it */
	u8 state;
	u8 disk;		/* index in pool->disks, for reservations */
};

/* Memory tier pages, at most: 64 GiB. */
#define CACHE_MEM_MAX_MIB	65536

/*
 * A write-back write without FUA completes before its entry is durable
 * (the disk offers a volatile cache); its entry is committed by the next
 * flush, or this long after (commit_ms=).
 */
#define CACHE_DEFAULT_COMMIT_MS	1000
#define CACHE_MAX_COMMIT_MS	3600000

/*
 * A disk's place in a pool: owns the disk's cached blocks and its
 * counters. Shared by the disk's filter instances (the live table and one
 * being loaded), so that a table reload keeps the cache warm.
 */
struct cache_disk {
	char *id;
	unsigned int ref;	/* filter instances; cache_pools_lock */
	u8 idx;
	dev_t data_dev;		/* 0: not known yet (found on the device) */
	sector_t len;
	/*
	 * The disk below, for write-back: the live instance's, set at its
	 * resume, cleared by its dtr; under cache_pools_lock and wb_lock.
	 */
	struct block_device *bdev;
	struct vaio_filter *bdev_owner;	/* the instance that set bdev */
	/* The admin's "adopt": its dirty blocks are current (an attach). */
	bool adopted;
	bool ran_without;	/* DISK_RAN_WITHOUT; cache_pools_lock */

	/* Under pool->lock: */
	u32 reserve_pct;
	u32 reserve_blocks;
	u32 used;		/* filling and valid blocks */
	u32 mem_used, mem_reserve;	/* in the memory tier */
	u32 dirty;		/* blocks newer in the cache than below */
	bool writeback;		/* the live instance is in write-back mode */
	u32 dirty_high, dirty_low;	/* blocks */
	u32 rate_kib;		/* write-back rate limit, 0: none */
	bool wb_active;		/* above dirty_high, not yet down to dirty_low */
	u32 wb_pos;		/* where background write-back scans on */
	bool wb_slot_order;	/* a cold batch failed: slot order, to wb_pos 0 */
	u64 writeback_sectors, writeback_errors;
	u32 big_writes;		/* in-flight writes over more than 2 regions */
	u64 read_hits, read_misses;
	u64 mem_hits;		/* read hits served from the memory tier */
	u64 read_hit_sectors, read_miss_sectors;
	u64 write_hits, write_misses;
	u64 promotions, demotions, invalidations, seq_bypass;
};

struct cache_pool {
	struct list_head list;	/* cache_pools */
	sector_t data_start;	/* sectors */
	unsigned int bshift;	/* a block: 1 << bshift sectors */
	u32 max_filling;	/* promotions in flight, CACHE_FILLING_BYTES */
	u32 wb_blocks;		/* blocks written back at a time */
	unsigned int region_shift;	/* blocks: a region is 1 << region_shift */
	u32 meta_pages;		/* of entries, in memory and on the device */
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
	/* Write-back writes to the cache in flight, by region, hashed. */
	u32 wb_region_writes[1U << CACHE_REGION_BITS];
	struct cache_disk *disks[CACHE_MAX_DISKS];

	/* The memory tier; under lock but mem_pages (fixed). */
	uuid_t uuid;			/* in the superblock: the pool's identity */
	u32 csum_seed;			/* crc32c of the uuid: seeds the checksums */
	u32 mem_mib;			/* 0: none */
	u32 mem_blocks;
	u32 mem_used;			/* VALID */
	struct cache_mem *mem;
	struct page **mem_pages;
	u32 *slot_mem;			/* a slot's copy, or CACHE_NONE */
	struct list_head mem_lru;	/* head: most recently used */
	struct list_head mem_free;

	bool failed;
	u64 errors;
	struct bio_list fills;		/* promotion writes to submit */
	struct cache_io *fill_reads;	/* read misses whose blocks to read */
	struct bio_list retries;	/* reads to send to the disk below */
	struct cache_io *ranges;	/* bios whose blocks to drop first */
	u32 range_writes;		/* writes among them */

	struct cache_io *flush_ios;	/* empty flushes: one commit a batch */

	/* The entries, built from the slots (meta_build()). Under lock. */
	unsigned long *meta_dirty;	/* dirty entries changed since copied */
	u64 *page_gen;			/* generation of a page's last change */
	u64 open_gen;			/* changes now are in this one */
	u64 durable_gen;		/* changes up to this one are on disk */
	u32 entry_seq;			/* of the last page copy */
	struct cache_io *commit_wait;	/* write-back writes waiting for it */
	struct mutex commit_lock;	/* one commit at a time */
	struct page *commit_pages[CACHE_COMMIT_PAGES];
	/*
	 * At once for a FUA write-back write; commit_ms after another one
	 * left an entry that is not durable yet (a flush commits sooner).
	 */
	struct delayed_work commit_work;
	u32 commit_ms;			/* the delay of a lazy commit */
	struct work_struct range_work;	/* p->ranges */

	/* Write-back: under wb_lock, nested in cache_pools_lock. */
	struct mutex wb_lock;
	struct page **wb_pages;		/* wb_blocks blocks' pages */
	struct delayed_work wb_work;
	u32 nr_dirty;			/* under lock */
	/*
	 * Pool-wide marks (blocks, under lock): the highest dirty_high and
	 * dirty_low of its attached write-back disks; wb_other: the other
	 * disks' dirty blocks, which writes do not add to. Above wb_high all
	 * of them write back (wb_pool) until they are down to wb_low.
	 */
	u32 wb_high, wb_low, wb_other;
	bool wb_pool;
	struct page *disktab[CACHE_DISKTAB_BYTES / PAGE_SIZE];	/* cache_pools_lock */
	/* A write of it failed: the next writes it whole. cache_pools_lock */
	bool disktab_unsaved;
	u64 activations;

	struct bio_set bs;
	struct workqueue_struct *wq;
	struct work_struct work;
	struct work_struct flush_work;	/* flush_ios: pool_flush_work() */
};

/* Used by several files of the filter. */
static inline sector_t block_sectors(const struct cache_pool *p)
{
	return (sector_t)1 << p->bshift;
}

static inline unsigned int block_bytes(const struct cache_pool *p)
{
	return 1U << (p->bshift + SECTOR_SHIFT);
}

/* Pages of a block: 1 for 4 KiB blocks. */
static inline unsigned int block_pages(const struct cache_pool *p)
{
	return block_bytes(p) >> PAGE_SHIFT;
}

/* Does sectors @start..@end (exclusive) cover block @b whole? */
static inline bool block_whole(const struct cache_pool *p, u64 b,
			       sector_t start, sector_t end)
{
	return b << p->bshift >= start && (b + 1) << p->bshift <= end;
}

static inline sector_t slot_sector(struct cache_pool *p, u32 idx)
{
	return p->data_start + ((sector_t)idx << p->bshift);
}

/* Entry @k of a page of entries. */
static inline struct cache_mentry *page_entry(void *page, u32 k)
{
	struct cache_msector *ms = page;

	return &ms[k / CACHE_ENTRIES_PER_SECTOR].e[k % CACHE_ENTRIES_PER_SECTOR];
}

static inline u32 region_of(struct cache_pool *p, struct cache_disk *d,
			    u64 oblock)
{
	return hash_64((oblock >> p->region_shift) ^ ((u64)d->idx << 56),
		       CACHE_REGION_BITS);
}

/*
 * May a write below over block @oblock of @d be in flight (its region
 * counts one, hashed: maybe another's; or the disk has a big write)?
 * Under lock.
 */
static inline bool write_below_inflight(struct cache_pool *p,
					struct cache_disk *d, u64 oblock)
{
	return d->big_writes || p->region_writes[region_of(p, d, oblock)];
}

/*
 * May a read that missed promote block @oblock of @d from below? Not while
 * a write below over it may be in flight, nor a write-back write to the
 * cache (the disk below lacks its data: were its block dropped meanwhile,
 * a promotion would bring the old data back, and a write of part of the
 * block would make that dirty). Under lock.
 */
static inline bool promote_blocked(struct cache_pool *p, struct cache_disk *d,
				   u64 oblock)
{
	return write_below_inflight(p, d, oblock) ||
	       p->wb_region_writes[region_of(p, d, oblock)];
}

enum cache_io_kind {
	IO_NONE,
	IO_READ_HIT,		/* served from cache: slots[0..nr) */
	IO_READ_MISS,		/* from below; promotes slots[0..nr) */
	IO_WRITE,		/* to below; maybe a copy to slots[0] */
	IO_FLUSH,		/* below, and a commit (pool->flush_ios) */
};

/* A write-back write's new slot: its first data is not there yet. */
#define IO_NEW_SLOT(n)	BIT(n)

/* Per bio. */
struct cache_io {
	struct bvec_iter iter;		/* the bio as mapped */
	struct cache_pool *pool;
	struct bio *bio;
	struct block_device *below;
	u32 slots[CACHE_MAX_BIO_BLOCKS];
	u32 regions[2];
	u32 wb_regions[2];		/* write-back: wb_region_get() */
	u8 kind;
	u8 nr;
	u8 nr_regions;			/* 0..2; 3: a big write */
	u8 fill;			/* IO_WRITE: slots[0] is a promotion */
	u8 stale;			/* IO_WRITE: slots[0] stale, no copy */
	u8 flush_local;			/* IO_FLUSH: the commit only, not below */
	struct cache_io *next;		/* pool->ranges, commit_wait, flush_ios */
	/* Write-back: the commit it waits for; IO_FLUSH: below_done then. */
	u64 gen;
	u32 new_slots;			/* write-back: IO_NEW_SLOT() */
	u32 old_dirty;			/* write-back: BIT(n): slots[n] was */
	u32 mem_fill;			/* read hit: BIT(n): slots[n]'s copy */
	u32 fill_read;			/* read miss: BIT(n): slots[n] read whole */
	struct vaio_filter *f;		/* read miss with fill_read, write */
	/* IO_WRITE with a copy, IO_FLUSH: 2 (one flush_local: 1) */
	atomic_t pending;
	blk_status_t below_status;
	blk_status_t cache_status;
	struct cache_disk *d;
};

struct cache_wait {
	atomic_t pending;
	blk_status_t status;
	struct completion done;
};

enum cache_mode {
	CACHE_WRITETHROUGH,
	CACHE_WRITEAROUND,
	CACHE_WRITEBACK,
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
	u32 dirty_high, dirty_low;	/* percent of the pool */
	u32 rate_kib;			/* write-back KiB/s, 0: no limit */
	sector_t seq_sectors;		/* 0: no sequential bypass */
	struct cache_stream streams[CACHE_STREAMS];	/* pool->lock */
	u64 seq_clock;
	/*
	 * Writes of this table that ended below (cache_end_io()), and their
	 * count when the last flush below that succeeded was sent: in
	 * writeback mode a flush goes below only if one ended since.
	 */
	atomic64_t below_done;
	atomic64_t below_flushed;
};

/* cache.c */
extern struct list_head cache_pools;
extern struct mutex cache_pools_lock;

/* cache-index.c */
u32 hash_lookup(struct cache_pool *p, u8 disk, u64 oblock);
void hash_insert(struct cache_pool *p, u32 i);
void hash_remove(struct cache_pool *p, u32 i);
void list_push_head(struct cache_pool *p, struct cache_list *l, u32 i);
void list_del_slot(struct cache_pool *p, struct cache_list *l, u32 i);
struct cache_list *slot_list(struct cache_pool *p, struct cache_slot *s);
void slot_doom(struct cache_pool *p, u32 i);
void slot_mark_dirty(struct cache_pool *p, struct cache_slot *s);
void slot_put(struct cache_pool *p, u32 i);
void fill_done(struct cache_pool *p, u32 i, bool ok);
void *index_array(size_t n, size_t size);
int index_init(struct cache_pool *p);
void index_free(struct cache_pool *p);
size_t index_bytes(struct cache_pool *p);

/* cache-policy.c */
void slot_touch(struct cache_pool *p, u32 i);
u32 slot_alloc(struct cache_pool *p, struct cache_disk *d, u64 oblock,
	       bool write);

/* cache-mem.c */
void mem_drop(struct cache_pool *p, u32 i);
bool mem_hit(struct cache_pool *p, struct cache_io *io, unsigned int nr);
void mem_read(struct cache_pool *p, struct cache_io *io, struct bio *bio);
void bio_copy_block(struct cache_pool *p, struct bio *bio,
		    struct bvec_iter iter, u64 oblock, struct bio_vec *dst);
void mem_fill_end(struct cache_pool *p, struct cache_io *io, struct bio *bio,
		  bool ok);
void mem_promote(struct cache_pool *p, struct cache_disk *d,
		 struct cache_io *io, struct bio *bio, unsigned long again);
int mem_create(struct cache_pool *p, u32 mib, char **error);

/* cache-meta.c */
u64 meta_set(struct cache_pool *p, u32 i, bool dirty);
void meta_build(struct cache_pool *p, void *page, u32 pg);

/* What recovery found, for its log line. */
struct recover_counts {
	u32 found;		/* dirty blocks */
	u32 warm;		/* clean ones, after a clean shutdown */
	u32 ignored;		/* entries that name nothing, or an older copy */
	bool seq_seen;
};

void recover_begin(struct cache_pool *p);
int recover_entry(struct cache_pool *p, u32 i, struct cache_mentry *m,
		  bool clean, struct recover_counts *c);
void recover_lists(struct cache_pool *p);
void cache_wait_init(struct cache_wait *w);
void cache_wait_submit(struct cache_pool *p, struct cache_wait *w,
		       struct block_device *bdev, blk_opf_t opf,
		       sector_t sector, struct page **pages, unsigned int n);
blk_status_t cache_wait_all(struct cache_wait *w);
int meta_commit(struct cache_pool *p);
int meta_commit_flush(struct cache_pool *p);
void commit_work(struct work_struct *work);
struct cache_disk_entry *disktab_entry(struct cache_pool *p, unsigned int idx);
int pool_rw(struct cache_pool *p, blk_opf_t opf, sector_t sector,
	    struct page **pages, unsigned int n);
int disktab_write(struct cache_pool *p, unsigned int idx);
int disktab_write_all(struct cache_pool *p);
bool block_size_valid(u32 bytes);
void pool_set_block_size(struct cache_pool *p, u32 bytes);
bool pool_geometry(struct cache_pool *p, sector_t sectors);
bool sb_csum_ok(struct cache_sb *sb);
void pool_save(struct cache_pool *p);
int pool_format(struct cache_pool *p, struct page *sbp);
int pool_recover(struct cache_pool *p, struct page *sbp, char **error);

/* cache-io.c */
void pool_work(struct work_struct *work);
void pool_flush_work(struct work_struct *work);
enum vaio_verdict cache_map(struct vaio_filter *f, struct bio *bio, void *data);
enum vaio_end_verdict cache_end_io(struct vaio_filter *f, struct bio *bio,
				   void *data, blk_status_t *error);

/* cache-wb.c */
void wb_kick(struct cache_pool *p, struct cache_disk *d);
u32 wb_pool_marks(struct cache_pool *p);
unsigned int wb_pick(struct cache_pool *p, struct cache_disk *d, u64 first,
		     u64 last, u64 *pos, u32 *slots, bool *busy);
unsigned int wb_pick_cold(struct cache_pool *p, struct cache_disk *d,
			  u32 *slots, bool *busy);
int wb_all(struct cache_pool *p, struct cache_disk *d,
	   struct block_device *bdev);
void wb_work(struct work_struct *work);
void range_work(struct work_struct *work);

/* cache-disk.c */
int disk_purge(struct cache_pool *p, struct cache_disk *d,
	       struct block_device *bdev);
int disk_ran_without(struct cache_pool *p, struct cache_disk *d, bool on);
u32 reserved_pct(struct cache_pool *p, struct cache_disk *except);
struct cache_disk *disk_alloc(struct cache_pool *p, unsigned int idx,
			      const char *id, sector_t len);
void disk_free(struct cache_pool *p, struct cache_disk *d);
struct cache_disk *disk_get(struct cache_pool *p, struct vaio_filter *f,
			    u32 reserve, char **error);
void disk_put(struct cache_pool *p, struct cache_disk *d);
int disk_elsewhere(struct cache_pool *p, const char *id, char **error);

/* cache-pool.c */
void pool_error(struct cache_pool *p);
struct cache_pool *pool_find(dev_t dev);
void pool_put(struct cache_pool *p);
extern struct target_type pool_target;

#endif /* DM_VAIO_CACHE_H */
