// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio-cbt: changed-block tracking (filter class inspection), the
 * tracking half of incremental backup (Documentation/backup.rst).
 *
 * The disk is cut into blocks of block_kib= KiB. A write (discard,
 * write-zeroes) sets the bits of its blocks in the bitmap of the current
 * epoch; a mark closes the epoch and starts the next one. The bitmaps of
 * the last epochs live on the metadata device (meta=), one slot each, so
 * that "what changed since mark N" is the union of the slots after N.
 *
 * Crash safety, as dm-era's writeset: a write whose bits are not all on
 * the metadata device is deferred before it is submitted (VAIO_DEFER) to
 * the worker, which writes the 4 KiB blocks of the bitmap that hold new
 * bits with FUA, then continues every write that waited. A write whose
 * bits are already on the device costs a bitmap lookup. So no data block
 * changes on the disk below before its bit is durable: after a power cut
 * the bitmaps may list blocks that did not change, never miss one.
 *
 * The state of a disk (struct cbt_disk: the metadata device, the current
 * bitmap, the writes waiting) is kept across its tables, found by the
 * disk_id: during a reload the old and the new instance share it.
 *
 * Sections: on-disk format, the write path, epochs and generations,
 * queries, filter methods.
 */
#define DM_MSG_PREFIX "vaio-cbt"

#include "../dm-vaio-filter.h"

#include <linux/dm-vaio.h>
#include <linux/dm-vaio-cbt.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/dm-io.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <net/netlink.h>

#define CBT_MAGIC	0x56434254	/* "VCBT" */
#define CBT_VERSION	1
#define CBT_BLK		4096		/* a metadata block */
#define CBT_BLK_SECTORS	(CBT_BLK >> SECTOR_SHIFT)
#define CBT_BLK_BITS	(CBT_BLK * BITS_PER_BYTE)
#define CBT_MIN_SLOTS	3		/* the merged oldest, one closed, current */
#define CBT_MAX_SLOTS	64
#define CBT_META_USE	"change tracking metadata"
/* A dump's cursor: the query's serial above, the next block below. */
#define CBT_CURSOR_SHIFT 40
#define CBT_SERIAL_MASK	0xffffffULL

/*
 *--------------------------------------------------------------
 * On-disk format
 *--------------------------------------------------------------
 * Block 0: the superblock. From block 1: nr_slots bitmaps of slot_bytes
 * each; epoch e lives in slot e % nr_slots. The slot of epoch @first holds
 * the union of epochs 1 to @first (older ones were merged into it); the
 * slots of epochs first + 1 to @epoch one epoch each. All writes FUA.
 */
struct cbt_sb {
	__le32 magic;
	__le32 version;
	__le32 csum;		/* crc32 of the block with csum 0 */
	__le32 block_kib;
	__u8 uuid[16];		/* the metadata's, made at format */
	__le64 gen;		/* 0: tracking lost, a new one at next open */
	__le64 epoch;		/* the current epoch, from 1 */
	__le64 first;		/* its slot: epochs 1..first */
	__le64 sectors;		/* the disk's length */
	__le64 slot_bytes;
	__le32 nr_slots;
	__le32 pad;
	char disk_id[VAIO_NAME_MAX];
};

/*
 * Within the block's first sector, the rest of it always zeroes: a power
 * cut in a superblock write leaves the old sector or the new one (sector
 * writes are atomic), never a block that fails its checksum.
 */
static_assert(sizeof(struct cbt_sb) <= SECTOR_SIZE);

/* The state of one disk, across its tables. */
struct cbt_disk {
	struct list_head list;		/* cbt_disks */
	char id[VAIO_NAME_MAX];
	unsigned int refs;		/* instances; under cbt_disks_lock */
	bool closing;			/* no instance left; under it too */
	bool opening;			/* its first instance opens it; too */
	struct block_device *meta;	/* held open by each instance's dd */
	dev_t meta_dev;
	unsigned int block_kib;
	unsigned int block_shift;	/* log2 of sectors per block */
	struct work_struct work;

	/* Metadata I/O, epochs, queries; the fields down to slock. */
	struct mutex lock;
	struct cbt_sb *sb;
	uuid_t uuid;
	sector_t sectors;
	unsigned long nr_blocks;
	size_t slot_bytes;
	unsigned int nr_slots;
	unsigned int nr_bm;		/* 4 KiB blocks of a bitmap */
	u64 first;
	void *tmp;			/* a slot's bits, read */
	unsigned long *q;		/* the last query's answer */
	unsigned long *todo;		/* commit: the blocks it writes */
	u64 q_gen, q_since;
	u32 q_serial;
	bool q_valid;
	struct vaio_filter *live;	/* the resumed instance */

	spinlock_t slock;		/* with ->map() and ->end_io() */
	u64 gen, epoch;			/* written under both locks */
	unsigned long *cur;		/* the current epoch's bits */
	unsigned long *dirty;		/* its blocks with bits not written */
	unsigned long *pending;		/* dirty or being written */
	struct list_head waiters;	/* writes waiting for their bits */
	struct list_head inflight;	/* writes passed, not completed */
	bool broken;			/* the metadata cannot be written */
	bool broken_recorded;		/* and its superblock says so */
	bool quiesced;			/* suspended: the superblock says lost */
	u64 held, commits;
};

/* An instance: one table's. */
struct cbt_filter {
	struct vaio_filter *f;
	struct cbt_disk *d;
	struct dm_dev *dd;
	bool resumed;		/* had its first RESUME (d->lock) */
};

enum cbt_bio_state { CBT_NONE, CBT_WAITING, CBT_INFLIGHT };

/* Per-bio area of a tracked write, ->map() to ->end_io(). */
struct cbt_bio {
	struct list_head list;		/* d->waiters or d->inflight */
	struct bio *bio;
	sector_t sector;
	u32 sectors;
	u8 state;			/* enum cbt_bio_state */
};

/*
 * The metadata device each disk last used: a change of it is a loss; and
 * a loss its superblock could not take, kept for the next open.
 */
struct cbt_seen {
	struct list_head list;
	char id[VAIO_NAME_MAX];
	uuid_t uuid;
	bool lost;
};

static LIST_HEAD(cbt_disks);
static LIST_HEAD(cbt_seen_list);
static DEFINE_MUTEX(cbt_disks_lock);	/* both lists */
static struct workqueue_struct *cbt_wq;
static struct dm_io_client *cbt_io_client;

static int meta_io(struct cbt_disk *d, blk_opf_t opf, sector_t sector,
		   void *buf, size_t bytes, bool vmem)
{
	return vaio_sync_io(cbt_io_client, d->meta, opf, sector, buf, bytes,
			    vmem);
}

#define META_WRITE	(REQ_OP_WRITE | REQ_SYNC | REQ_FUA)

static sector_t slot_sector(struct cbt_disk *d, u64 epoch)
{
	u64 slot = epoch % d->nr_slots;

	return CBT_BLK_SECTORS + slot * (d->slot_bytes >> SECTOR_SHIFT);
}

/*
 * Writes the superblock as the disk is now; while the disk is suspended
 * (d->quiesced) with generation 0: if no table of this disk resumes, what
 * ran instead was not tracked. d->lock held.
 */
static int write_sb(struct cbt_disk *d)
{
	struct cbt_sb *sb = d->sb;
	int r;

	memset(sb, 0, CBT_BLK);
	sb->magic = cpu_to_le32(CBT_MAGIC);
	sb->version = cpu_to_le32(CBT_VERSION);
	sb->block_kib = cpu_to_le32(d->block_kib);
	export_uuid(sb->uuid, &d->uuid);
	sb->gen = cpu_to_le64(d->quiesced ? 0 : d->gen);
	sb->epoch = cpu_to_le64(d->epoch);
	sb->first = cpu_to_le64(d->first);
	sb->sectors = cpu_to_le64(d->sectors);
	sb->slot_bytes = cpu_to_le64(d->slot_bytes);
	sb->nr_slots = cpu_to_le32(d->nr_slots);
	strscpy(sb->disk_id, d->id, sizeof(sb->disk_id));
	sb->csum = cpu_to_le32(crc32_le(0, (void *)sb, CBT_BLK));
	r = meta_io(d, META_WRITE, 0, sb, CBT_BLK, false);
	if (r)
		DMERR_LIMIT("%s: cannot write the superblock: %d", d->id, r);
	return r;
}

/* The bitmap of the current epoch, whole, into its slot. d->lock held. */
static int write_cur(struct cbt_disk *d)
{
	return meta_io(d, META_WRITE, slot_sector(d, d->epoch), d->cur,
		       d->slot_bytes, true);
}

/*
 * The metadata cannot be written: tracking is lost. The superblock is
 * made to say so (generation 0) if it can be: the writes then go on
 * untracked, and the next open starts a new generation. If it cannot,
 * a reopen would trust bitmaps that miss writes: the writes fail.
 * d->lock held.
 */
static void cbt_broken(struct cbt_disk *d, int err)
{
	bool recorded;

	DMERR("%s: cannot write the metadata (%d): tracking lost, full backup needed",
	      d->id, err);
	spin_lock_irq(&d->slock);
	d->gen = 0;
	spin_unlock_irq(&d->slock);
	recorded = !write_sb(d);
	if (!recorded)
		DMERR("%s: nor record the loss: writes fail", d->id);
	spin_lock_irq(&d->slock);
	d->broken = true;
	d->broken_recorded = recorded;
	spin_unlock_irq(&d->slock);
	d->q_valid = false;
	if (!d->live)
		return;
	/*
	 * Bypassed with the old generation on the device, writes would pass
	 * untracked and a crash would leave it trusted: fail closed instead.
	 */
	if (!recorded)
		WRITE_ONCE(d->live->no_bypass, true);
	vaio_filter_error(d->live, "cannot write the change tracking metadata");
}

/*
 * The superblock written as the disk is now, unless the metadata failed
 * already; a write error is the metadata failing. d->lock held.
 */
static void update_sb(struct cbt_disk *d)
{
	if (!d->broken && write_sb(d))
		cbt_broken(d, -EIO);
}

/*
 *--------------------------------------------------------------
 * The write path
 *--------------------------------------------------------------
 */

static bool tracked_op(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
	case REQ_OP_SECURE_ERASE:
		return bio_sectors(bio) != 0;
	default:
		return false;
	}
}

/*
 * Sets the bits of @sectors at @sector in the current epoch. True if the
 * write must wait: a bit was new, or the block holding one is not on the
 * device yet. d->slock held.
 */
static bool set_range(struct cbt_disk *d, sector_t sector, u32 sectors)
{
	unsigned long first = sector >> d->block_shift;
	unsigned long last = (sector + sectors - 1) >> d->block_shift;
	unsigned long x = first, next;
	bool wait = false;

	if (first >= d->nr_blocks)
		return false;
	last = min(last, d->nr_blocks - 1);
	for (;;) {
		x = find_next_zero_bit(d->cur, last + 1, x);
		if (x > last)
			break;
		next = find_next_bit(d->cur, last + 1, x);
		bitmap_set(d->cur, x, next - x);
		bitmap_set(d->dirty, x / CBT_BLK_BITS,
			   (next - 1) / CBT_BLK_BITS - x / CBT_BLK_BITS + 1);
		bitmap_set(d->pending, x / CBT_BLK_BITS,
			   (next - 1) / CBT_BLK_BITS - x / CBT_BLK_BITS + 1);
		wait = true;
		x = next;
	}
	return wait || find_next_bit(d->pending, last / CBT_BLK_BITS + 1,
				     first / CBT_BLK_BITS) <= last / CBT_BLK_BITS;
}

/*
 * A new bitmap for the current epoch: empty but for the writes waiting
 * and in flight, which may land after the point that begins it. Their
 * blocks are dirty: the next commit writes them before the waiting go
 * on. d->slock held.
 */
static void reset_cur(struct cbt_disk *d)
{
	struct cbt_bio *b;

	bitmap_zero(d->cur, d->nr_blocks);
	bitmap_zero(d->dirty, d->nr_bm);
	bitmap_zero(d->pending, d->nr_bm);
	list_for_each_entry(b, &d->waiters, list)
		set_range(d, b->sector, b->sectors);
	list_for_each_entry(b, &d->inflight, list)
		set_range(d, b->sector, b->sectors);
}

/*
 * Writes the dirty blocks of the current bitmap, then continues the
 * writes that waited before: their bits were set before the blocks were
 * taken. A write that came later waits for the next commit (it may have
 * found its bit set by one of these, in a block being written). Bits set
 * while a block is written make it dirty again. d->lock held.
 */
static void cbt_commit(struct cbt_disk *d)
{
	unsigned long s, e;
	struct cbt_bio *b, *tmp;
	enum vaio_verdict v = VAIO_PASS;
	LIST_HEAD(held);
	sector_t base;
	int r = 0;

	spin_lock_irq(&d->slock);
	list_splice_init(&d->waiters, &held);
	bitmap_copy(d->todo, d->dirty, d->nr_bm);
	bitmap_zero(d->dirty, d->nr_bm);
	spin_unlock_irq(&d->slock);

	base = slot_sector(d, d->epoch);
	for_each_set_bitrange(s, e, d->todo, d->nr_bm) {
		r = meta_io(d, META_WRITE, base + s * CBT_BLK_SECTORS,
			    (u8 *)d->cur + s * CBT_BLK, (e - s) * CBT_BLK, true);
		if (r)
			break;
		d->commits++;
	}

	spin_lock_irq(&d->slock);
	bitmap_copy(d->pending, d->dirty, d->nr_bm);
	spin_unlock_irq(&d->slock);
	if (r)
		cbt_broken(d, r);
	if (d->broken && !d->broken_recorded)
		v = VAIO_FAIL;
	list_for_each_entry_safe(b, tmp, &held, list) {
		spin_lock_irq(&d->slock);
		if (v == VAIO_PASS) {
			list_move_tail(&b->list, &d->inflight);
			b->state = CBT_INFLIGHT;
		} else {
			list_del(&b->list);
			b->state = CBT_NONE;
		}
		spin_unlock_irq(&d->slock);
		vaio_bio_continue(b->bio, v);
	}
}

static void cbt_work_fn(struct work_struct *work)
{
	struct cbt_disk *d = container_of(work, struct cbt_disk, work);

	mutex_lock(&d->lock);
	cbt_commit(d);
	mutex_unlock(&d->lock);
}

/*
 *--------------------------------------------------------------
 * Epochs and generations
 *--------------------------------------------------------------
 */

/*
 * Tracking starts again: a new generation, epoch 1, empty. The
 * superblock says "lost" first, so that a crash in between is a loss
 * too, never the old generation over a zeroed bitmap. d->lock held.
 */
static int cbt_new_gen(struct cbt_disk *d, const char *why)
{
	u64 gen;
	int r;

	spin_lock_irq(&d->slock);
	d->gen = 0;
	d->epoch = 1;
	d->first = 1;
	reset_cur(d);
	spin_unlock_irq(&d->slock);
	d->q_valid = false;
	r = write_sb(d) ?: write_cur(d);
	if (r)
		goto fail;
	do {
		gen = get_random_u64();
	} while (!gen);
	spin_lock_irq(&d->slock);
	d->gen = gen;
	spin_unlock_irq(&d->slock);
	r = write_sb(d);
	if (r)
		goto fail;
	spin_lock_irq(&d->slock);
	d->broken = false;
	d->broken_recorded = false;
	spin_unlock_irq(&d->slock);
	DMWARN("%s: change tracking generation %016llx: %s", d->id, gen, why);
	queue_work(cbt_wq, &d->work);
	return 0;
fail:
	cbt_broken(d, r);
	return r;
}

/*
 * Closes the current epoch: the changeId of the point is @gen:@closed.
 * On the device, each step FUA: (1) with all slots in use, the oldest
 * merged into the next (its slot then holds one epoch more); (2) the new
 * epoch's slot written whole: empty but for the writes in flight; (3)
 * the superblock names the new epoch. Before (3) a crash leaves the old
 * epoch current, whose slot has every bit of its writes; after it the
 * new one, whose slot has the bits of the writes in flight. d->lock held.
 */
static int cbt_mark(struct cbt_disk *d, u64 *gen, u64 *closed)
{
	u64 new = d->epoch + 1, first = d->first;
	int r;

	if (d->broken || !d->gen)
		return -ESTALE;
	/* Bits of the closing epoch the device lacks: its writes wait. */
	cbt_commit(d);
	if (d->broken)
		return -EIO;
	if (new - first + 1 > d->nr_slots) {
		/* d->q is the query's: a read that fails leaves it half read. */
		d->q_valid = false;
		r = meta_io(d, REQ_OP_READ, slot_sector(d, first), d->tmp,
			    d->slot_bytes, true) ?:
		    meta_io(d, REQ_OP_READ, slot_sector(d, first + 1), d->q,
			    d->slot_bytes, true);
		if (r)
			return r;
		d->q_valid = false;
		bitmap_or(d->q, d->q, d->tmp, d->nr_blocks);
		r = meta_io(d, META_WRITE, slot_sector(d, first + 1), d->q,
			    d->slot_bytes, true);
		if (r)
			goto fail;
		first++;
	}
	spin_lock_irq(&d->slock);
	d->epoch = new;
	reset_cur(d);
	spin_unlock_irq(&d->slock);
	d->first = first;
	r = write_cur(d) ?: write_sb(d);
	if (r)
		goto fail;
	/* The bits of the writes in flight on the device: then answered. */
	cbt_commit(d);
	if (d->broken)
		return -EIO;
	*gen = d->gen;
	*closed = new - 1;
	return 0;
fail:
	cbt_broken(d, r);
	return r;
}

/*
 *--------------------------------------------------------------
 * Opening the metadata
 *--------------------------------------------------------------
 */

/* Slot size and count for @sectors of disk on the metadata device. */
static int layout(struct cbt_disk *d, sector_t sectors)
{
	u64 bytes = bdev_nr_bytes(d->meta), n;

	d->sectors = sectors;
	d->nr_blocks = DIV_ROUND_UP_ULL(sectors, 1ULL << d->block_shift);
	d->slot_bytes = round_up(DIV_ROUND_UP(d->nr_blocks, BITS_PER_BYTE),
				 CBT_BLK);
	d->nr_bm = d->slot_bytes / CBT_BLK;
	n = bytes > CBT_BLK ? div64_u64(bytes - CBT_BLK, d->slot_bytes) : 0;
	d->nr_slots = min_t(u64, n, CBT_MAX_SLOTS);
	return d->nr_slots < CBT_MIN_SLOTS ? -ENOSPC : 0;
}

static void free_bitmaps(struct cbt_disk *d)
{
	vfree(d->cur);
	vfree(d->tmp);
	vfree(d->q);
	bitmap_free(d->dirty);
	bitmap_free(d->pending);
	bitmap_free(d->todo);
	d->cur = NULL;
	d->tmp = NULL;
	d->q = NULL;
	d->dirty = NULL;
	d->pending = NULL;
	d->todo = NULL;
}

static int alloc_bitmaps(struct cbt_disk *d)
{
	d->cur = vzalloc(d->slot_bytes);
	d->tmp = vzalloc(d->slot_bytes);
	d->q = vzalloc(d->slot_bytes);
	d->dirty = bitmap_zalloc(d->nr_bm, GFP_KERNEL);
	d->pending = bitmap_zalloc(d->nr_bm, GFP_KERNEL);
	d->todo = bitmap_zalloc(d->nr_bm, GFP_KERNEL);
	if (!d->cur || !d->tmp || !d->q || !d->dirty || !d->pending ||
	    !d->todo) {
		free_bitmaps(d);
		return -ENOMEM;
	}
	return 0;
}

/* The disk's entry, or NULL. cbt_disks_lock held. */
static struct cbt_seen *seen_find(const char *id)
{
	struct cbt_seen *s;

	list_for_each_entry(s, &cbt_seen_list, list)
		if (!strcmp(s->id, id))
			return s;
	return NULL;
}

/*
 * The disk's entry, made if it has none (NULL: no memory), and in @same
 * whether @uuid is the metadata it used last (since the module loaded;
 * the first is taken as the same). Records @uuid. cbt_disks_lock held.
 */
static struct cbt_seen *seen_get(const char *id, const uuid_t *uuid,
				 bool *same)
{
	struct cbt_seen *s = seen_find(id);

	*same = true;
	if (s) {
		if (!uuid_equal(&s->uuid, uuid)) {
			*same = false;
			uuid_copy(&s->uuid, uuid);
			s->lost = false;
		}
		return s;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (s) {
		strscpy(s->id, id, sizeof(s->id));
		uuid_copy(&s->uuid, uuid);
		list_add(&s->list, &cbt_seen_list);
	}
	return s;
}

/* Marks @d's metadata lost in the disk's entry, if that is of it. */
static void seen_mark_lost(struct cbt_disk *d)
{
	struct cbt_seen *s = seen_find(d->id);

	if (s && uuid_equal(&s->uuid, &d->uuid))
		s->lost = true;
}

/*
 * Reads the superblock of a new cbt_disk, or formats the device if it
 * holds none and @format allows: a device that does not say it is change
 * tracking metadata is never written otherwise. Listed (opening), without
 * cbt_disks_lock: it takes it for the disk's memory entry.
 */
static int cbt_open(struct cbt_disk *d, sector_t sectors, bool format,
		    char **error)
{
	struct cbt_sb *sb = d->sb;
	const char *why = NULL;
	struct cbt_seen *seen;
	bool same;
	u32 csum;
	int r;

	r = meta_io(d, REQ_OP_READ, 0, sb, CBT_BLK, false);
	if (r) {
		*error = "cannot read the metadata device";
		return r;
	}
	if (le32_to_cpu(sb->magic) != CBT_MAGIC) {
		if (!format) {
			*error = "meta= holds no change tracking metadata (format=1 makes it)";
			return -EINVAL;
		}
		/* Never over data: a renumbered or mistyped meta= is refused. */
		if (memchr_inv(sb, 0, CBT_BLK)) {
			*error = "meta= holds data: not formatted";
			return -EINVAL;
		}
		if (layout(d, sectors)) {
			*error = "metadata device too small: 4 KiB + 3 bitmaps of a bit a block";
			return -ENOSPC;
		}
		uuid_gen(&d->uuid);
		why = "new metadata";
		goto fresh;
	}
	csum = le32_to_cpu(sb->csum);
	sb->csum = 0;
	if (crc32_le(0, (void *)sb, CBT_BLK) != csum) {
		*error = "metadata superblock fails its checksum";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) != CBT_VERSION) {
		*error = "metadata version not supported";
		return -EINVAL;
	}
	sb->disk_id[sizeof(sb->disk_id) - 1] = '\0';
	if (strcmp(sb->disk_id, d->id)) {
		DMERR("%s: meta= holds the change tracking of disk %s", d->id,
		      sb->disk_id);
		*error = "metadata device holds another disk's change tracking";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->block_kib) != d->block_kib) {
		*error = "metadata was made with another block_kib=";
		return -EINVAL;
	}
	import_uuid(&d->uuid, sb->uuid);
	if (le64_to_cpu(sb->sectors) != sectors) {
		if (layout(d, sectors)) {
			*error = "metadata device too small for the disk's new size";
			return -ENOSPC;
		}
		why = "the disk's size changed";
		goto fresh;
	}
	d->nr_slots = le32_to_cpu(sb->nr_slots);
	if (layout(d, sectors) ||
	    le64_to_cpu(sb->slot_bytes) != d->slot_bytes ||
	    le32_to_cpu(sb->nr_slots) < CBT_MIN_SLOTS ||
	    le32_to_cpu(sb->nr_slots) > d->nr_slots) {
		*error = "metadata layout does not fit the device";
		return -EINVAL;
	}
	d->nr_slots = le32_to_cpu(sb->nr_slots);
	d->gen = le64_to_cpu(sb->gen);
	d->epoch = le64_to_cpu(sb->epoch);
	d->first = le64_to_cpu(sb->first);
	if (!d->first || d->first > d->epoch ||
	    d->epoch - d->first >= d->nr_slots) {
		*error = "metadata superblock has impossible epochs";
		return -EINVAL;
	}
	if (!d->gen)
		why = "tracking was lost before";
fresh:
	/* Without its entry, a loss the superblock missed would be forgotten. */
	mutex_lock(&cbt_disks_lock);
	seen = seen_get(d->id, &d->uuid, &same);
	if (seen && !why && !same)
		why = "the metadata device was replaced";
	else if (seen && !why && seen->lost)
		why = "tracking was lost before";	/* its superblock missed it */
	mutex_unlock(&cbt_disks_lock);
	if (!seen) {
		*error = "cannot allocate the change tracking";
		return -ENOMEM;
	}
	if (alloc_bitmaps(d)) {
		*error = "cannot allocate the bitmaps";
		return -ENOMEM;
	}
	if (why) {
		mutex_lock(&d->lock);
		r = cbt_new_gen(d, why);
		mutex_unlock(&d->lock);
		if (r) {
			*error = "cannot write the metadata device";
			return r;
		}
		mutex_lock(&cbt_disks_lock);
		seen->lost = false;
		mutex_unlock(&cbt_disks_lock);
		return 0;
	}
	r = meta_io(d, REQ_OP_READ, slot_sector(d, d->epoch), d->cur,
		    d->slot_bytes, true);
	if (r)
		*error = "cannot read the current bitmap";
	return r;
}

static struct cbt_disk *cbt_find(const char *id)
{
	struct cbt_disk *d;

	list_for_each_entry(d, &cbt_disks, list)
		if (!strcmp(d->id, id))
			return d;
	return NULL;
}

static void cbt_free(struct cbt_disk *d)
{
	free_bitmaps(d);
	kfree(d->sb);
	kfree(d);
}

/* The disk's state: found (a reload) or opened. */
static struct cbt_disk *cbt_get(struct vaio_filter *f, struct dm_dev *dd,
				unsigned int block_kib, bool format,
				char **error)
{
	const char *id = vaio_disk_id(f);
	struct cbt_disk *d;
	int r;

	mutex_lock(&cbt_disks_lock);
	d = cbt_find(id);
	if (d) {
		r = -EINVAL;
		if (d->closing || d->opening) {
			r = -EBUSY;
			*error = d->closing ?
				 "the disk's last table with cbt is still closing: try again" :
				 "the disk's first table with cbt is still opening: try again";
		} else if (d->meta_dev != dd->bdev->bd_dev) {
			*error = "meta= differs from the disk's other table";
		} else if (d->block_kib != block_kib) {
			*error = "block_kib= differs from the disk's other table";
		} else {
			r = 0;
		}
		/* A grow that could not allocate its bitmaps: none to use. */
		if (!r && !d->cur) {
			r = -ENOMEM;
			*error = "no bitmaps since a failed grow: create the disk again";
		}
		if (!r)
			d->refs++;
		mutex_unlock(&cbt_disks_lock);
		return r ? ERR_PTR(r) : d;
	}
	r = -ENOMEM;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		goto out;
	d->sb = kzalloc(CBT_BLK, GFP_KERNEL);
	if (!d->sb) {
		kfree(d);
		goto out;
	}
	strscpy(d->id, id, sizeof(d->id));
	d->refs = 1;
	d->meta = dd->bdev;
	d->meta_dev = dd->bdev->bd_dev;
	d->block_kib = block_kib;
	d->block_shift = ilog2(block_kib) + 10 - SECTOR_SHIFT;
	INIT_WORK(&d->work, cbt_work_fn);
	mutex_init(&d->lock);
	spin_lock_init(&d->slock);
	INIT_LIST_HEAD(&d->waiters);
	INIT_LIST_HEAD(&d->inflight);
	/*
	 * Listed while it opens, the lock not held over the metadata's I/O
	 * (which may wait for a suspended device): another table of this
	 * disk is refused meanwhile, other disks' tables go on.
	 */
	d->opening = true;
	list_add(&d->list, &cbt_disks);
	mutex_unlock(&cbt_disks_lock);
	r = cbt_open(d, f->ti->len, format, error);
	mutex_lock(&cbt_disks_lock);
	if (r) {
		list_del(&d->list);
		mutex_unlock(&cbt_disks_lock);
		cbt_free(d);
		return ERR_PTR(r);
	}
	d->opening = false;
	mutex_unlock(&cbt_disks_lock);
	return d;
out:
	mutex_unlock(&cbt_disks_lock);
	if (r == -ENOMEM && !*error)
		*error = "cannot allocate the change tracking";
	return ERR_PTR(r);
}

/*
 * An instance lets go of the disk's state; the last one closes it. A loss
 * the superblock did not take (it may still name the old generation) is
 * kept in the module's memory, so that a table made again in this boot
 * starts a new generation. While it closes, the disk stays listed
 * (closing): a new table of it is refused rather than open the metadata
 * beside it; cbt_disks_lock is not held over the I/O, which may wait for
 * a suspended device (the metadata on another vaio disk).
 */
static void cbt_put(struct cbt_disk *d)
{
	bool unrecorded;

	mutex_lock(&cbt_disks_lock);
	if (--d->refs) {
		mutex_unlock(&cbt_disks_lock);
		return;
	}
	d->closing = true;
	mutex_unlock(&cbt_disks_lock);
	flush_work(&d->work);
	mutex_lock(&d->lock);
	WARN_ON_ONCE(!list_empty(&d->waiters) || !list_empty(&d->inflight));
	update_sb(d);
	unrecorded = d->broken && !d->broken_recorded;
	mutex_unlock(&d->lock);
	mutex_lock(&cbt_disks_lock);
	list_del(&d->list);
	if (unrecorded)
		seen_mark_lost(d);
	mutex_unlock(&cbt_disks_lock);
	cbt_free(d);
}

/*
 *--------------------------------------------------------------
 * Queries
 *--------------------------------------------------------------
 */

/*
 * Is @gen:@since a point this generation can answer for? Epochs before
 * @first were merged into its slot: answered with the extents of more
 * epochs (a superset, never less). d->lock held.
 */
static int check_since(struct cbt_disk *d, u64 gen, u64 since,
		       struct netlink_ext_ack *extack)
{
	if (d->broken || !d->gen) {
		NL_SET_ERR_MSG(extack, "cbt: tracking was lost: a full backup is needed");
		return -ESTALE;
	}
	if (gen != d->gen) {
		NL_SET_ERR_MSG(extack,
			       "cbt: changeId of an older generation: a full backup is needed");
		return -ESTALE;
	}
	/*
	 * Suspended: the next table may be another target's, running
	 * before this one's end (DETACH) records the loss. Asked again
	 * after the resume, the answer is sure.
	 */
	if (d->quiesced) {
		NL_SET_ERR_MSG(extack, "cbt: the disk is suspended: ask again after its resume");
		return -EAGAIN;
	}
	if (since >= d->epoch) {
		NL_SET_ERR_MSG(extack, "cbt: changeId of an epoch not closed yet: no such mark");
		return -EINVAL;
	}
	return 0;
}

/* d->q: the blocks written since @since (checked). d->lock held. */
static int query(struct cbt_disk *d, u64 since)
{
	u64 e = max(since + 1, d->first);
	int r;

	d->q_valid = false;
	bitmap_zero(d->q, d->nr_blocks);
	for (; e < d->epoch; e++) {
		r = meta_io(d, REQ_OP_READ, slot_sector(d, e), d->tmp,
			    d->slot_bytes, true);
		if (r)
			return r;
		bitmap_or(d->q, d->q, d->tmp, d->nr_blocks);
	}
	spin_lock_irq(&d->slock);
	bitmap_or(d->q, d->q, d->cur, d->nr_blocks);
	spin_unlock_irq(&d->slock);
	d->q_serial = (d->q_serial + 1) & CBT_SERIAL_MASK;
	if (!d->q_serial)
		d->q_serial = 1;
	d->q_gen = d->gen;
	d->q_since = since;
	d->q_valid = true;
	return 0;
}

static int put_extent(struct sk_buff *skb, u64 start, u64 len)
{
	struct nlattr *nest = nla_nest_start(skb, VAIO_CBT_ATTR_EXTENT);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, VAIO_CBT_EXTENT_START, start,
			      VAIO_CBT_EXTENT_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_CBT_EXTENT_LENGTH, len,
			      VAIO_CBT_EXTENT_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int cbt_changes(struct cbt_disk *d, struct nlattr **tb,
		       struct sk_buff *skb, unsigned long *cursor,
		       struct netlink_ext_ack *extack)
{
	u64 gen, since, bytes = (u64)d->sectors << SECTOR_SHIFT;
	unsigned int shift = d->block_shift + SECTOR_SHIFT;
	unsigned long x, y;
	int r;

	if (!tb || !tb[VAIO_CBT_ATTR_GEN] || !tb[VAIO_CBT_ATTR_EPOCH]) {
		NL_SET_ERR_MSG(extack, "cbt: CHANGES needs GEN and EPOCH (a changeId)");
		return -EINVAL;
	}
	gen = nla_get_u64(tb[VAIO_CBT_ATTR_GEN]);
	since = nla_get_u64(tb[VAIO_CBT_ATTR_EPOCH]);
	r = check_since(d, gen, since, extack);
	if (r)
		return r;
	if (!*cursor) {
		r = query(d, since);
		if (r) {
			NL_SET_ERR_MSG(extack, "cbt: cannot read the metadata device");
			return r;
		}
		x = 0;
	} else {
		if (!d->q_valid || d->q_gen != gen || d->q_since != since ||
		    (*cursor >> CBT_CURSOR_SHIFT) != d->q_serial) {
			NL_SET_ERR_MSG(extack, "cbt: another query ran during the dump: ask again");
			return -EAGAIN;
		}
		x = *cursor & ((1UL << CBT_CURSOR_SHIFT) - 1);
	}
	for (;;) {
		x = find_next_bit(d->q, d->nr_blocks, x);
		if (x >= d->nr_blocks)
			return 0;
		y = find_next_zero_bit(d->q, d->nr_blocks, x);
		if (put_extent(skb, (u64)x << shift,
			       min_t(u64, (u64)y << shift, bytes) -
			       ((u64)x << shift))) {
			*cursor = ((unsigned long)d->q_serial << CBT_CURSOR_SHIFT) | x;
			return 1;
		}
		x = y;
	}
}

/*
 *--------------------------------------------------------------
 * Filter methods
 *--------------------------------------------------------------
 */

static const struct vaio_param cbt_params[] = {
	{ .name = "meta", .kind = VAIO_PARAM_KIND_STRING,
	  .help = "the metadata device (path or major:minor)" },
	{ .name = "block_kib", .kind = VAIO_PARAM_KIND_UINT,
	  .min = 4, .max = 1024, .def = "64",
	  .help = "tracking granularity in KiB, a power of two" },
	{ .name = "format", .kind = VAIO_PARAM_KIND_BOOL, .def = "0",
	  .help = "make meta= change tracking metadata if it is none yet" },
	{ }
};

static int cbt_args_check(unsigned int argc, char **argv, const char **reason)
{
	const char *bk = vaio_param(argc, argv, "block_kib");
	unsigned int n;

	if (!vaio_param(argc, argv, "meta")) {
		*reason = "cbt needs meta=";
		return -EINVAL;
	}
	if (bk && (kstrtouint(bk, 10, &n) || !is_power_of_2(n))) {
		*reason = "cbt: block_kib= must be a power of two";
		return -EINVAL;
	}
	return 0;
}

static int cbt_ctr(struct vaio_filter *f, unsigned int argc, char **argv,
		   char **error)
{
	const char *meta = vaio_param(argc, argv, "meta");
	const char *bk = vaio_param(argc, argv, "block_kib") ?: "64";
	const char *fmt = vaio_param(argc, argv, "format");
	struct cbt_filter *cf;
	unsigned int block_kib;
	struct cbt_disk *d;
	const char *reason;
	int r;

	r = cbt_args_check(argc, argv, &reason);
	if (r) {
		*error = (char *)reason;
		return r;
	}
	if (kstrtouint(bk, 10, &block_kib))
		return -EINVAL;
	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf) {
		*error = "cannot allocate cbt";
		return -ENOMEM;
	}
	cf->f = f;
	r = vaio_get_device(f, meta, CBT_META_USE, false, &cf->dd, error);
	if (r) {
		if (r != -EBUSY)
			*error = "cannot open the metadata device (meta=)";
		goto bad;
	}
	d = cbt_get(f, cf->dd, block_kib, fmt && !strcmp(fmt, "1"), error);
	if (IS_ERR(d)) {
		r = PTR_ERR(d);
		vaio_put_device(f, cf->dd);
		goto bad;
	}
	cf->d = d;
	f->private = cf;
	return 0;
bad:
	kfree(cf);
	return r;
}

static void cbt_dtr(struct vaio_filter *f)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;

	mutex_lock(&d->lock);
	if (d->live == f)
		d->live = NULL;
	mutex_unlock(&d->lock);
	cbt_put(d);
	vaio_put_device(f, cf->dd);
	kfree(cf);
}

static enum vaio_verdict cbt_map(struct vaio_filter *f, struct bio *bio,
				 void *data)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	struct cbt_bio *b = data;
	enum vaio_verdict v = VAIO_PASS;
	unsigned long flags;
	bool wait;

	b->state = CBT_NONE;
	if (!tracked_op(bio))
		return VAIO_PASS;
	b->bio = bio;
	b->sector = bio->bi_iter.bi_sector;
	b->sectors = bio_sectors(bio);
	spin_lock_irqsave(&d->slock, flags);
	if (d->broken) {
		v = d->broken_recorded ? VAIO_PASS : VAIO_FAIL;
	} else {
		wait = set_range(d, b->sector, b->sectors);
		list_add_tail(&b->list, wait ? &d->waiters : &d->inflight);
		b->state = wait ? CBT_WAITING : CBT_INFLIGHT;
		if (wait) {
			d->held++;
			v = VAIO_DEFER;
		}
	}
	spin_unlock_irqrestore(&d->slock, flags);
	if (v == VAIO_DEFER)
		queue_work(cbt_wq, &d->work);
	return v;
}

static enum vaio_end_verdict cbt_end_io(struct vaio_filter *f,
					struct bio *bio, void *data,
					blk_status_t *error)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	struct cbt_bio *b = data;
	unsigned long flags;

	if (b->state == CBT_INFLIGHT) {
		spin_lock_irqsave(&d->slock, flags);
		list_del(&b->list);
		b->state = CBT_NONE;
		spin_unlock_irqrestore(&d->slock, flags);
	}
	return VAIO_END_DONE;
}

static int cbt_event_check(struct vaio_filter *f, const struct vaio_event *ev,
			   const char **reason)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	u64 bytes, slot;

	if (ev->type != VAIO_EV_GROW)
		return 0;
	/* The grown disk's bitmaps must fit the device (the layout). */
	slot = DIV_ROUND_UP_ULL(ev->new_len, 1ULL << d->block_shift);
	slot = round_up(DIV_ROUND_UP_ULL(slot, BITS_PER_BYTE), CBT_BLK);
	bytes = bdev_nr_bytes(d->meta);
	if (bytes < CBT_BLK + CBT_MIN_SLOTS * slot) {
		*reason = "cbt: the metadata device is too small for the grown disk";
		return -ENOSPC;
	}
	return 0;
}

static void cbt_event(struct vaio_filter *f, const struct vaio_event *ev)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	u64 gen, closed;
	bool fresh;
	int r;

	mutex_lock(&d->lock);
	switch (ev->type) {
	case VAIO_EV_RESUME:
		fresh = !cf->resumed;
		cf->resumed = true;
		d->live = f;
		/* This disk's table runs again: its generation goes on. */
		if (d->quiesced) {
			d->quiesced = false;
			update_sb(d);
		}
		/*
		 * Failed on its metadata: a new table tries anew, once it is
		 * the live one (its first bio comes after this). Not in
		 * ->ctr(): the old table would still run, untracked, under
		 * the new generation if this one were never resumed.
		 */
		if (fresh && d->broken && d->cur)
			cbt_new_gen(d, "the metadata failed before");
		break;
	case VAIO_EV_ATTACH:
		/*
		 * At the new table's resume, before its RESUME: this instance
		 * is the one a failure below must be reported to.
		 */
		d->live = f;
		/* The disk ran without this filter: what it kept is stale. */
		if (!ev->disk_new)
			cbt_new_gen(d, "attached to a disk that ran without it");
		break;
	case VAIO_EV_QUIESCE:
		/*
		 * The next table may be another target's, or a vaio table
		 * without cbt (after a noflush suspend too), which writes the
		 * disk untracked; this table's end (DETACH) comes only after
		 * that one runs, and a crash or a failed write there would
		 * leave the generation trusted. The superblock says "lost"
		 * from now until a table of this disk resumes.
		 */
		if (!d->quiesced && !d->broken) {
			d->quiesced = true;
			update_sb(d);
		}
		break;
	case VAIO_EV_DETACH:
		/* The device is removed: nothing runs after it, a clean end. */
		if (ev->disk_gone)
			d->quiesced = false;
		/*
		 * The disk goes on without tracking: the metadata says so, a
		 * later table with cbt (even after a reboot) starts anew.
		 */
		if (!ev->disk_gone && !d->broken) {
			spin_lock_irq(&d->slock);
			d->gen = 0;
			spin_unlock_irq(&d->slock);
			update_sb(d);
		}
		break;
	case VAIO_EV_GROW:
		d->live = f;	/* at the new table's resume, as ATTACH */
		/* Bitmaps of another size: all new (the disk is suspended). */
		free_bitmaps(d);
		if (layout(d, ev->new_len) || alloc_bitmaps(d)) {
			/* Without bitmaps every write must fail, not skip. */
			spin_lock_irq(&d->slock);
			d->broken = true;
			d->broken_recorded = false;
			spin_unlock_irq(&d->slock);
			/* Its superblock may name the old generation: no bypass. */
			WRITE_ONCE(f->no_bypass, true);
			vaio_filter_error(f, "cannot allocate the bitmaps of the grown disk");
			break;
		}
		cbt_new_gen(d, "the disk grew");
		break;
	case VAIO_EV_SNAPSHOT:
		r = cbt_mark(d, &gen, &closed);
		if (r)
			DMERR("%s: snapshot %s: no mark: %d", d->id, ev->tag, r);
		else
			DMINFO("%s: snapshot %s is changeId %016llx:%llu", d->id,
			       ev->tag, gen, closed);
		break;
	default:
		break;
	}
	mutex_unlock(&d->lock);
}

/* Bypassed, the filter misses writes: the metadata says so first. */
static int cbt_prepare_bypass(struct vaio_filter *f)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	int r;

	mutex_lock(&d->lock);
	spin_lock_irq(&d->slock);
	d->gen = 0;
	spin_unlock_irq(&d->slock);
	d->q_valid = false;
	r = write_sb(d);
	mutex_unlock(&d->lock);
	return r;
}

static void cbt_status(struct vaio_filter *f, char *result, unsigned int maxlen)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	u64 gen, epoch, held, commits;
	bool broken;

	spin_lock_irq(&d->slock);
	gen = d->gen;
	epoch = d->epoch;
	held = d->held;
	commits = d->commits;
	broken = d->broken;
	spin_unlock_irq(&d->slock);
	scnprintf(result, maxlen,
		  "generation %016llx epoch %llu block_kib %u slots %u held %llu commits %llu lost %d",
		  gen, epoch, d->block_kib, d->nr_slots, held, commits,
		  broken || !gen);
}

static int cbt_message(struct vaio_filter *f, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	u64 gen, closed;
	int r;

	if (argc != 1 || strcmp(argv[0], "mark"))
		return -EINVAL;
	mutex_lock(&d->lock);
	r = cbt_mark(d, &gen, &closed);
	mutex_unlock(&d->lock);
	if (r)
		return r;
	scnprintf(result, maxlen, "%016llx:%llu", gen, closed);
	return 1;
}

static const struct nla_policy cbt_nl_policy[VAIO_CBT_ATTR_MAX + 1] = {
	[VAIO_CBT_ATTR_GEN] = { .type = NLA_U64 },
	[VAIO_CBT_ATTR_EPOCH] = { .type = NLA_U64 },
};

static int put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, VAIO_CBT_ATTR_PAD);
}

static int cbt_nl_call(struct vaio_filter *f, u32 cmd, struct nlattr **tb,
		       struct sk_buff *reply, struct netlink_ext_ack *extack)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	u8 uuid[16];
	u64 gen, closed;
	int r;

	mutex_lock(&d->lock);
	switch (cmd) {
	case VAIO_CBT_CMD_STATUS:
		export_uuid(uuid, &d->uuid);
		r = put_u64(reply, VAIO_CBT_ATTR_GEN, d->gen) ||
		    put_u64(reply, VAIO_CBT_ATTR_EPOCH, d->epoch) ||
		    put_u64(reply, VAIO_CBT_ATTR_FIRST, d->first) ||
		    nla_put_u32(reply, VAIO_CBT_ATTR_BLOCK_BYTES,
				d->block_kib << 10) ||
		    put_u64(reply, VAIO_CBT_ATTR_DISK_BYTES,
			    (u64)d->sectors << SECTOR_SHIFT) ||
		    nla_put_u32(reply, VAIO_CBT_ATTR_SLOTS, d->nr_slots) ||
		    nla_put(reply, VAIO_CBT_ATTR_UUID, sizeof(uuid), uuid) ||
		    nla_put_u8(reply, VAIO_CBT_ATTR_LOST,
			       d->broken || !d->gen) ? -EMSGSIZE : 0;
		break;
	case VAIO_CBT_CMD_MARK:
		r = cbt_mark(d, &gen, &closed);
		if (r == -ESTALE)
			NL_SET_ERR_MSG(extack, "cbt: tracking was lost: a full backup is needed");
		else if (r)
			NL_SET_ERR_MSG(extack, "cbt: cannot write the metadata device");
		else
			r = put_u64(reply, VAIO_CBT_ATTR_GEN, gen) ||
			    put_u64(reply, VAIO_CBT_ATTR_EPOCH, closed) ?
			    -EMSGSIZE : 0;
		break;
	default:
		NL_SET_ERR_MSG(extack, "cbt: unknown command");
		r = -EOPNOTSUPP;
	}
	mutex_unlock(&d->lock);
	return r;
}

static int cbt_nl_dump(struct vaio_filter *f, u32 cmd, struct nlattr **tb,
		       struct sk_buff *skb, unsigned long *cursor,
		       struct netlink_ext_ack *extack)
{
	struct cbt_filter *cf = f->private;
	struct cbt_disk *d = cf->d;
	int r;

	if (cmd != VAIO_CBT_CMD_CHANGES) {
		NL_SET_ERR_MSG(extack, "cbt: unknown dump");
		return -EOPNOTSUPP;
	}
	mutex_lock(&d->lock);
	r = cbt_changes(d, tb, skb, cursor, extack);
	mutex_unlock(&d->lock);
	return r;
}

#define CBT_EXCLUDES_REPL \
	"cbt cannot share a disk with replication yet (its writes below go untracked)"

static struct vaio_filter_type cbt_type = {
	.name = "cbt",
	.class = VAIO_CLASS_INSPECTION,
	.version = {1, 0, 0},
	.owner = THIS_MODULE,
	.per_bio_data_size = sizeof(struct cbt_bio),
	.params = cbt_params,
	.fail_modes = VAIO_ALLOW_FAIL_OPEN | VAIO_ALLOW_FAIL_CLOSED,
	/*
	 * Replication writes the disk below cbt (a secondary's received
	 * writes, a resync) without cbt seeing them: a query would miss them.
	 */
	.excludes = BIT(VAIO_CLASS_REPLICATION),
	.excludes_why = CBT_EXCLUDES_REPL,
	.nl_policy = cbt_nl_policy,
	.nl_maxattr = VAIO_CBT_ATTR_MAX,
	.ops = {
		.ctr = cbt_ctr,
		.dtr = cbt_dtr,
		.map = cbt_map,
		.end_io = cbt_end_io,
		.event_check = cbt_event_check,
		.event = cbt_event,
		.prepare_bypass = cbt_prepare_bypass,
		.status = cbt_status,
		.message = cbt_message,
		.args_check = cbt_args_check,
		.nl_call = cbt_nl_call,
		.nl_dump = cbt_nl_dump,
	},
};

static int __init cbt_init(void)
{
	int r;

	cbt_wq = alloc_workqueue("vaio-cbt", WQ_MEM_RECLAIM, 0);
	if (!cbt_wq)
		return -ENOMEM;
	cbt_io_client = dm_io_client_create();
	if (IS_ERR(cbt_io_client)) {
		r = PTR_ERR(cbt_io_client);
		goto bad_io;
	}
	r = vaio_register_filter(&cbt_type);
	if (r)
		goto bad_reg;
	return 0;
bad_reg:
	dm_io_client_destroy(cbt_io_client);
bad_io:
	destroy_workqueue(cbt_wq);
	return r;
}

static void __exit cbt_exit(void)
{
	struct cbt_seen *s, *tmp;

	vaio_unregister_filter(&cbt_type);
	dm_io_client_destroy(cbt_io_client);
	destroy_workqueue(cbt_wq);
	list_for_each_entry_safe(s, tmp, &cbt_seen_list, list)
		kfree(s);
}

module_init(cbt_init);
module_exit(cbt_exit);

MODULE_DESCRIPTION("dm-vaio cbt filter: crash-safe changed-block tracking per epoch");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-vaio-cbt");
