// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: the activity log (DRBD's al).
 *
 * A primary's write goes on only into extents of 4 MiB (REPL_AL_SHIFT)
 * that the metadata lists: after a crash of the primary only the listed
 * extents resync, not the whole disk. An extent stays listed while a write
 * into it may be on one disk and not known to be on the other, nor in the
 * bitmap on disk:
 *  - a write holds a reference on its extents from its admission to the
 *    end of its last part (sync: the peer answered, or its bits are set),
 *  - an async write's copy holds one until the peer confirmed its epoch,
 *    or its bits are set (stage_done()),
 *  - when an extent without references leaves the list (least recently
 *    used first, for an extent a held write wants), the bitmap's block
 *    that covers it is written first.
 * Bits that came from elsewhere (the peer's bitmap, a verify) are not in
 * the log: the peer keeps its own until the resync is over, and a verify
 * finds a difference again.
 *
 * On disk: two 4 KiB blocks at al_sector (the end of the metadata device,
 * recorded in the superblock), written in turn with FUA, each the whole
 * list with a sequence number, the log's id and a crc32; the valid one
 * with the higher number is the log. al_work writes them, one at a time;
 * writes that wait for it are on d->al_waiters, and go on through
 * release_list().
 */

#include "repl.h"

#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/hash.h>
#include <linux/random.h>
#include <linux/slab.h>

#define REPL_AL_MAGIC	0x5652414c	/* "VRAL" */

enum repl_al_state {
	AL_FREE,
	AL_ADDING,	/* in the block al_work writes */
	AL_LISTED,	/* on disk */
};

struct repl_al_block {
	__le32 magic;
	__le32 csum;		/* crc32 of the block with csum 0 */
	__le64 id;		/* the log's: a block of an older one is not */
	__le64 seq;
	__le32 nr;
	__le32 pad;
	__le32 ext[REPL_AL_MAX];
};

static_assert(sizeof(struct repl_al_block) <= 4096);

/* One block of the log being made: what it adds and what it drops. */
#define AL_TX_MAX	64
struct al_tx {
	struct list_head adding;
	unsigned int n, out, nprot;
	u32 old[AL_TX_MAX];		/* the extents dropped */
	u32 prot[AL_TX_MAX][2];		/* ranges of the writes it serves */
};

static struct hlist_head *al_bucket(struct repl_disk *d, u32 ext)
{
	return &d->al_hash[hash_32(ext, REPL_AL_HASH_BITS)];
}

static struct repl_al_ext *al_find(struct repl_disk *d, u32 ext)
{
	struct repl_al_ext *e;

	hlist_for_each_entry(e, al_bucket(d, ext), hash)
		if (e->ext == ext)
			return e;
	return NULL;
}

/* The extents [*first, *last] that @sector and @bytes touch. */
static void al_range(sector_t sector, u32 bytes, u32 *first, u32 *last)
{
	*first = sector >> REPL_AL_SHIFT;
	*last = (sector + (bytes >> SECTOR_SHIFT) - 1) >> REPL_AL_SHIFT;
}

/* The log's memory, empty (a disk with meta=). */
int al_init(struct repl_disk *d)
{
	unsigned int i;

	INIT_LIST_HEAD(&d->al_lru);
	INIT_LIST_HEAD(&d->al_free);
	INIT_LIST_HEAD(&d->al_waiters);
	INIT_WORK(&d->al_work, al_work_fn);
	d->al = kvcalloc(REPL_AL_MAX, sizeof(*d->al), GFP_KERNEL);
	d->al_buf = kzalloc(4096, GFP_KERNEL);
	d->al_tx = kzalloc(sizeof(*d->al_tx), GFP_KERNEL);
	if (!d->al || !d->al_buf || !d->al_tx)
		return -ENOMEM;
	for (i = 0; i < REPL_AL_MAX; i++)
		list_add_tail(&d->al[i].lru, &d->al_free);
	return 0;
}

void al_free_all(struct repl_disk *d)
{
	kvfree(d->al);
	kfree(d->al_buf);
	kfree(d->al_tx);
}

/* Fills al_buf with the listed and the @adding extents. d->slock held. */
static void al_fill(struct repl_disk *d, struct list_head *adding, u64 seq)
{
	struct repl_al_block *b = d->al_buf;
	struct repl_al_ext *e;
	u32 n = 0;

	memset(b, 0, 4096);
	list_for_each_entry(e, &d->al_lru, lru)
		b->ext[n++] = cpu_to_le32(e->ext);
	list_for_each_entry(e, adding, lru)
		b->ext[n++] = cpu_to_le32(e->ext);
	b->magic = cpu_to_le32(REPL_AL_MAGIC);
	b->id = cpu_to_le64(d->al_id);
	b->seq = cpu_to_le64(seq);
	b->nr = cpu_to_le32(n);
	b->csum = cpu_to_le32(crc32_le(0, d->al_buf, 4096));
}

static int al_write(struct repl_disk *d, u64 seq)
{
	return meta_io(d, REQ_OP_WRITE | REQ_SYNC | REQ_FUA,
		       d->al_sector + (seq & 1) * 8, d->al_buf, 4096, false);
}

/*
 * A new log at the end of the metadata device, if there is room after the
 * bitmap; else none (a crash of the primary resyncs all of the disk). Its
 * blocks are written empty: an older log's blocks there are not taken for
 * it (another id, too). Before the superblock that records it.
 */
int al_place(struct repl_disk *d)
{
	sector_t end = (bdev_nr_bytes(d->meta) >> 12) << 3;
	LIST_HEAD(none);
	int r;

	d->al_sector = 0;
	if (end < 16 || ((u64)(end - 16) << 9) < 4096 + bm_alloc_bytes(d->bm_bits)) {
		DMWARN("%s: no room for an activity log: a crash resyncs all",
		       d->id);
		return 0;
	}
	d->al_id = get_random_u64();
	d->al_sector = end - 16;
	al_fill(d, &none, 0);
	r = al_write(d, 0);
	if (!r) {
		al_fill(d, &none, 1);
		r = al_write(d, 1);
	}
	d->al_seq = 1;
	if (r)
		d->al_sector = 0;
	return r;
}

/* The valid block at @slot of log @id, or -EINVAL. */
static int al_read(struct repl_disk *d, sector_t al_sector, u64 id,
		   unsigned int slot, u64 *seq)
{
	struct repl_al_block *b = d->al_buf;
	u32 csum;
	int r;

	r = meta_io(d, REQ_OP_READ, al_sector + slot * 8, d->al_buf, 4096,
		    false);
	if (r)
		return r;
	csum = le32_to_cpu(b->csum);
	b->csum = 0;
	if (le32_to_cpu(b->magic) != REPL_AL_MAGIC ||
	    crc32_le(0, d->al_buf, 4096) != csum ||
	    le64_to_cpu(b->id) != id || le32_to_cpu(b->nr) > REPL_AL_MAX)
		return -EINVAL;
	*seq = le64_to_cpu(b->seq);
	return 0;
}

/*
 * A primary that was not shut down cleanly: the extents its log lists are
 * out of sync. -EINVAL when there is no valid log (the caller resyncs
 * all). The caller then starts a new log (al_place()).
 */
int al_recover(struct repl_disk *d, sector_t al_sector, u64 al_id)
{
	struct repl_al_block *b = d->al_buf;
	u64 seq[2] = { 0, 0 };
	int ok[2], slot;
	u32 i, n;

	if (!al_sector)
		return -EINVAL;
	ok[0] = !al_read(d, al_sector, al_id, 0, &seq[0]);
	ok[1] = !al_read(d, al_sector, al_id, 1, &seq[1]);
	if (!ok[0] && !ok[1])
		return -EINVAL;
	slot = ok[1] && (!ok[0] || seq[1] > seq[0]);
	if (al_read(d, al_sector, al_id, slot, &seq[slot]))
		return -EIO;
	n = le32_to_cpu(b->nr);
	for (i = 0; i < n; i++) {
		sector_t s = (sector_t)le32_to_cpu(b->ext[i]) << REPL_AL_SHIFT;

		if (s < d->sectors)
			bm_set(d, s, min_t(u64, 1ULL << (REPL_AL_SHIFT + 9),
					   (u64)(d->sectors - s) << 9));
	}
	DMWARN("%s: not shut down cleanly: the %u extents of the activity log resync",
	       d->id, n);
	return 0;
}

/*
 * May @rb go on? 1 once every extent it touches is listed on disk: it
 * then holds a reference on each (rb->al). 0: it is held on d->al_waiters
 * and al_work lists what it lacks. -EIO: the log failed and its end could
 * not be recorded. d->slock held.
 */
int al_admit(struct repl_disk *d, struct repl_bio *rb)
{
	struct repl_al_ext *e;
	u32 x, first, last;

	if (rb->al || !rb->it.size)
		return 1;
	if (d->al_failed)
		return -EIO;
	if (!d->al_sector)
		return 1;
	al_range(rb->it.sector, rb->it.size, &first, &last);
	/* The block layer splits bigger ones (repl_io_hints()). */
	if (WARN_ON_ONCE(last - first >= REPL_AL_SPAN))
		return -EIO;
	for (x = first; x <= last && !d->al_stop; x++) {
		e = al_find(d, x);
		if (!e || e->state != AL_LISTED)
			break;
	}
	if (x <= last) {
		/* al_work lists them (or, after a failed write, ends the log). */
		list_add_tail(&rb->it.list, &d->al_waiters);
		queue_work(repl_wq, &d->al_work);
		return 0;
	}
	al_hold(d, rb->it.sector, rb->it.size);
	rb->al = 1;
	return 1;
}

/* One more reference on listed extents (most recently used). slock held. */
void al_hold(struct repl_disk *d, sector_t sector, u32 bytes)
{
	struct repl_al_ext *e;
	u32 x, first, last;

	al_range(sector, bytes, &first, &last);
	for (x = first; x <= last; x++) {
		e = al_find(d, x);
		if (WARN_ON_ONCE(!e || e->state != AL_LISTED))
			continue;
		e->refs++;
		list_move(&e->lru, &d->al_lru);
	}
}

/* Drops the references of a write (or a copy) on its extents. slock held. */
void al_put(struct repl_disk *d, sector_t sector, u32 bytes)
{
	struct repl_al_ext *e;
	u32 x, first, last;
	bool wake = false;

	al_range(sector, bytes, &first, &last);
	for (x = first; x <= last; x++) {
		e = al_find(d, x);
		if (WARN_ON_ONCE(!e || !e->refs))
			continue;
		if (!--e->refs)
			wake = true;
	}
	/* Held writes may now have room. */
	if (wake && !list_empty(&d->al_waiters))
		queue_work(repl_wq, &d->al_work);
}

static bool al_protected(struct al_tx *tx, u32 x)
{
	unsigned int i;

	for (i = 0; i < tx->nprot; i++)
		if (x >= tx->prot[i][0] && x <= tx->prot[i][1])
			return true;
	return false;
}

/*
 * Adds to @tx what the held write over extents [first, last] lacks, all
 * or nothing (as DRBD's al_begin_io_nonblock()): within al_limit, or in
 * place of listed extents without references, least recently used first,
 * that no write this block serves needs. False if it cannot. slock held.
 */
static bool al_take(struct repl_disk *d, struct al_tx *tx, u32 first,
		    u32 last)
{
	struct repl_al_ext *e, *v[REPL_AL_SPAN];
	unsigned int need = 0, room, cur, nv = 0, i;
	u32 x;

	if (tx->nprot == AL_TX_MAX)
		return false;
	for (x = first; x <= last; x++)
		need += !al_find(d, x);
	if (tx->n + need > AL_TX_MAX)
		return false;
	cur = d->al_listed - tx->out + tx->n;
	room = cur < d->al_limit ? d->al_limit - cur : 0;
	if (need > room) {
		list_for_each_entry_reverse(e, &d->al_lru, lru) {
			if (nv == need - room)
				break;
			if (!e->refs && (e->ext < first || e->ext > last) &&
			    !al_protected(tx, e->ext))
				v[nv++] = e;
		}
		if (nv < need - room)
			return false;
	}
	for (i = 0; i < nv; i++) {
		/* Its place is taken at once; the block drops it. */
		tx->old[tx->out++] = v[i]->ext;
		hlist_del_init(&v[i]->hash);
		list_move_tail(&v[i]->lru, &d->al_free);
	}
	for (x = first; x <= last; x++) {
		if (al_find(d, x))
			continue;
		e = list_first_entry(&d->al_free, struct repl_al_ext, lru);
		e->ext = x;
		e->refs = 0;
		e->state = AL_ADDING;
		hlist_add_head(&e->hash, al_bucket(d, x));
		list_move_tail(&e->lru, &tx->adding);
		tx->n++;
	}
	tx->prot[tx->nprot][0] = first;
	tx->prot[tx->nprot][1] = last;
	tx->nprot++;
	return true;
}

/* The bitmap's block that covers extent @x, if a bit of it is set. */
static int al_save_bits(struct repl_disk *d, u32 x)
{
	unsigned long first = (unsigned long)x << (REPL_AL_SHIFT - REPL_BM_SHIFT);
	unsigned long end = first + (1UL << (REPL_AL_SHIFT - REPL_BM_SHIFT));
	unsigned long blk;

	if (first >= d->bm_bits)
		return 0;
	end = min(end, d->bm_bits);
	if (find_next_bit(d->bm, end, first) >= end)
		return 0;
	blk = first / (4096 * BITS_PER_BYTE);
	return meta_io(d, REQ_OP_WRITE | REQ_SYNC | REQ_FUA, 8 + blk * 8,
		       (u8 *)d->bm + blk * 4096, 4096, true);
}

/*
 * The writes of the extents that leave the log made durable. With filters
 * below replication (a write-back cache) through them, as the VM's flush
 * goes: a flush of the disk below alone would leave the cache's answered
 * writes in its volatile state, and a power cut would then lose writes no
 * log lists. An error (-EAGAIN: the disk suspended, which cannot be while
 * writes wait for the log) keeps the extents: the log is turned off.
 */
static int al_flush(struct repl_disk *d, struct block_device *bdev)
{
	struct repl_filter *rf = below_get(d);
	struct bio *bio;
	int r;

	if (!rf)
		return blkdev_issue_flush(bdev);
	bio = vaio_bio_alloc_below(rf->f, 0, REQ_OP_WRITE | REQ_PREFLUSH,
				   GFP_NOIO);
	r = vaio_submit_below_wait(rf->f, bio);
	bio_put(bio);
	below_put(d, rf);
	return r;
}

/*
 * The log cannot be written (d->al_stop holds the writes): none from here
 * once the superblock says so (a crash resyncs all); if it cannot, the
 * writes fail, for a crash would trust the old log. d->meta_lock held.
 */
static void al_broken(struct repl_disk *d, int r)
{
	int w;

	DMERR("%s: cannot write the activity log (%d): a crash of the primary resyncs all",
	      d->id, r);
	/* al_stop: the superblock says "no log". */
	w = meta_write_sb(d, true);
	spin_lock_irq(&d->slock);
	d->al_sector = 0;
	d->al_stop = false;
	if (w)
		d->al_failed = true;
	spin_unlock_irq(&d->slock);
	if (w)
		DMERR("%s: nor the superblock: the primary's writes fail", d->id);
}

/*
 * The superblock says "no log" (@off) or the log again, as *@flag (one of
 * d->al_quiesced, d->al_bypassed) changes. d->lock held (the superblock's
 * other fields stay).
 */
int al_sb_off(struct repl_disk *d, bool *flag, bool off)
{
	int r = 0;

	mutex_lock(&d->meta_lock);
	if (*flag != off) {
		spin_lock_irq(&d->slock);
		*flag = off;
		spin_unlock_irq(&d->slock);
		if (d->al_sector)
			r = meta_write_sb(d, true);
	}
	mutex_unlock(&d->meta_lock);
	if (r && off)
		DMERR("%s: cannot record the activity log's end: a crash may resync too little",
		      d->id);
	return r;
}

/*
 * One block of the log: what the held writes lack added, in their order,
 * as many listed extents without references dropped as al_limit asks
 * (their writes flushed, their bits saved first); then the held writes go
 * on (held again if they still lack one).
 */
void al_work_fn(struct work_struct *work)
{
	struct repl_disk *d = container_of(work, struct repl_disk, al_work);
	struct repl_al_ext *e, *tmp;
	struct block_device *bdev;
	struct repl_filter *rf;
	struct al_tx *tx = d->al_tx;
	struct repl_bio *rb;
	LIST_HEAD(held);
	u32 first, last;
	unsigned int i;
	u64 seq;
	int r = 0;

	/* d->bm stays (a grow swaps it under meta_lock). */
	mutex_lock(&d->meta_lock);
	spin_lock_irq(&d->slock);
	if (!d->al_sector)
		goto release;
	memset(tx, 0, sizeof(*tx));
	INIT_LIST_HEAD(&tx->adding);
	list_for_each_entry(rb, &d->al_waiters, it.list) {
		al_range(rb->it.sector, rb->it.size, &first, &last);
		if (!al_take(d, tx, first, last))
			break;
	}
	if (!tx->n) {
		/*
		 * Nothing to add: the first held write waits for a reference
		 * to go (al_put() queues this again), unless all it needs is
		 * listed or being added.
		 */
		if (tx->nprot)
			goto release;
		spin_unlock_irq(&d->slock);
		mutex_unlock(&d->meta_lock);
		return;
	}
	seq = d->al_seq + 1;
	al_fill(d, &tx->adding, seq);
	bdev = d->bdev;
	spin_unlock_irq(&d->slock);

	/*
	 * The writes to the extents that leave were completed by the disk,
	 * maybe into its volatile cache: on the platter before the log
	 * forgets them (DRBD's log write is a PREFLUSH of its own disk).
	 */
	if (tx->out)
		r = al_flush(d, bdev);
	for (i = 0; i < tx->out && !r; i++)
		r = al_save_bits(d, tx->old[i]);
	if (!r)
		r = al_write(d, seq);

	spin_lock_irq(&d->slock);
	if (!r) {
		d->al_seq = seq;
		d->al_writes++;
	} else {
		/* Nothing admitted into extents the log may not list. */
		d->al_stop = true;
	}
	list_for_each_entry_safe(e, tmp, &tx->adding, lru) {
		e->state = AL_LISTED;
		list_move(&e->lru, &d->al_lru);
	}
	d->al_listed = d->al_listed - tx->out + tx->n;
	spin_unlock_irq(&d->slock);
	if (r)
		al_broken(d, r);
	spin_lock_irq(&d->slock);
release:
	list_splice_init(&d->al_waiters, &held);
	/* The table that mapped them: it cannot go while they wait. */
	rf = d->live;
	spin_unlock_irq(&d->slock);
	mutex_unlock(&d->meta_lock);
	if (!list_empty(&held) && !WARN_ON_ONCE(!rf))
		release_list(rf, &held);
}
