// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: the VM's writes on a primary (the request path).
 *
 * repl_map() and repl_end_io() are the filter's map and end_io. A write
 * goes to the peer (sync: it completes once the peer answered too, and a
 * record of its range stays until the peer flushed; async: copied, in the
 * current epoch), or into the bitmap (no connection,
 * pulled ahead, failed), or waits: for the chunk being resynced
 * (d->rs_waiters) or for the async lag to drain (d->throttled), released
 * in process context by release_list(). The connection is touched only
 * under d->slock, through its send queue.
 */

#include "repl.h"

#include <linux/highmem.h>
#include <linux/interval_tree_generic.h>
#include <linux/slab.h>

#define WSTART(rb) ((rb)->it.sector)
#define WLAST(rb) ((rb)->wlast)
INTERVAL_TREE_DEFINE(struct repl_bio, wnode, sector_t, wsub, WSTART, WLAST,
		     static, wtree)

static u8 write_type(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_DISCARD:
		return VAIO_REPL_F_DISCARD;
	/* A secure erase must not leave the data on the replica. */
	case REQ_OP_SECURE_ERASE:
	case REQ_OP_WRITE_ZEROES:
		return VAIO_REPL_F_ZEROES;
	default:
		return VAIO_REPL_F_DATA;
	}
}

static u16 write_flags(struct bio *bio)
{
	u16 fl = 0;

	if (bio->bi_opf & REQ_FUA)
		fl |= VAIO_REPL_DF_FUA;
	if (bio->bi_opf & REQ_PREFLUSH)
		fl |= VAIO_REPL_DF_PREFLUSH;
	return fl;
}

void stage_free(struct repl_stage *st)
{
	repl_free_pages(st->pages, st->nr_pages);
	kfree(st);
}

/* A copy sent is over: the peer confirmed it, or its bits are set. */
void stage_done(struct repl_disk *d, struct repl_stage *st)
{
	unsigned long flags;

	if (st->al) {
		spin_lock_irqsave(&d->slock, flags);
		al_put(d, st->it.sector, st->it.size);
		spin_unlock_irqrestore(&d->slock, flags);
	}
	stage_free(st);
}

/*
 * A sync write's record of its range, answered from the peer's volatile
 * cache maybe, is over: the peer flushed it, or (@oos) it was not
 * confirmed and its bits are set. d->slock held.
 */
void unflushed_put(struct repl_disk *d, struct repl_stage *st, bool oos)
{
	if (oos)
		bm_set(d, st->it.sector, st->it.size);
	if (st->al)
		al_put(d, st->it.sector, st->it.size);
	d->unflushed--;
	kfree(st);
}

/*
 * A sync write's record (unflushed_put()); NULL if it cannot be had
 * without waiting: the peer then writes it with FUA.
 */
static struct repl_stage *unflushed_alloc(gfp_t gfp)
{
	struct repl_stage *st = kmalloc(sizeof(*st), gfp | __GFP_NOWARN);

	if (st) {
		st->nr_pages = 0;
		st->al = false;
	}
	return st;
}

/* An async write's copy; NULL if it cannot be had without waiting. */
static struct repl_stage *stage_alloc(struct repl_bio *rb, gfp_t gfp)
{
	unsigned int nr = 0, off = 0;
	struct repl_stage *st;
	struct bvec_iter iter;
	struct bio_vec bv;

	if (write_type(rb->bio) == VAIO_REPL_F_DATA)
		nr = DIV_ROUND_UP(rb->it.size, PAGE_SIZE);
	st = kmalloc(struct_size(st, pages, nr), gfp | __GFP_NOWARN);
	if (!st)
		return NULL;
	if (repl_alloc_pages(st->pages, nr, gfp | __GFP_NOWARN)) {
		kfree(st);
		return NULL;
	}
	st->nr_pages = nr;
	if (nr) {
		__bio_for_each_segment(bv, rb->bio, iter, rb->iter) {
			u8 *src = bvec_kmap_local(&bv);
			unsigned int done = 0;

			while (done < bv.bv_len) {
				unsigned int po = off & ~PAGE_MASK;
				unsigned int len = min(bv.bv_len - done,
						       (unsigned int)PAGE_SIZE - po);

				memcpy_to_page(st->pages[off >> PAGE_SHIFT], po,
					       src + done, len);
				done += len;
				off += len;
			}
			kunmap_local(src);
		}
	}
	st->it = rb->it;
	st->it.kind = RI_STAGE;
	st->al = false;
	INIT_LIST_HEAD(&st->it.list);
	return st;
}

/*
 * A write the connected peer will not get in the stream (pulled ahead):
 * tell it, in stream order, that it is no prefix any more. d->slock held.
 */
static void track_ahead(struct repl_disk *d, struct repl_conn *c,
			sector_t sector, u32 bytes)
{
	bm_set(d, sector, bytes);
	if (c->ahead_queued || !list_empty(&c->ahead_item.list))
		return;
	c->ahead_queued = true;
	c->ahead_item.kind = RI_AHEAD;
	list_add_tail(&c->ahead_item.list, &c->send_q);
}

/*
 * A write (or flush) of a primary, from ->map() (gfp GFP_NOWAIT) or from
 * process context (a held write released). VAIO_DEFER: held on a list.
 */
static enum vaio_verdict repl_write(struct repl_filter *rf, struct repl_bio *rb,
				    gfp_t gfp)
{
	struct repl_disk *d = rf->d;
	struct bio *bio = rb->bio;
	struct repl_stage *st = NULL;
	u32 bytes = rb->it.size;
	struct repl_conn *c;
	unsigned long flags;
	bool wake = false;
	int r;

	rb->it.type = write_type(bio);
	rb->it.flags = write_flags(bio);
	if (rf->mode == VAIO_REPL_MODE_ASYNC && bytes && READ_ONCE(d->c) &&
	    list_empty_careful(&d->throttled))
		st = stage_alloc(rb, gfp);
	else if (rf->mode == VAIO_REPL_MODE_SYNC && bytes && READ_ONCE(d->c) &&
		 rb->it.type == VAIO_REPL_F_DATA &&
		 !(rb->it.flags & VAIO_REPL_DF_FUA))
		st = unflushed_alloc(gfp);

	spin_lock_irqsave(&d->slock, flags);
	/*
	 * Held (behind an overlapping write, a resync, a new generation)
	 * while the disk was demoted, or mapped while it is: a secondary
	 * takes no write of its own. Else it waits (0) while its extents
	 * are listed in the activity log.
	 */
	if (d->role != VAIO_REPL_ROLE_PRIMARY || d->demoting)
		r = -EIO;
	else
		r = al_admit(d, rb);
	if (r <= 0) {
		spin_unlock_irqrestore(&d->slock, flags);
		if (st)
			stage_free(st);
		if (!r)
			return VAIO_DEFER;
		bio->bi_status = BLK_STS_IOERR;
		return VAIO_FAIL;
	}
	c = d->c;
	if (bytes && d->rs_chunk >= 0 &&
	    in_chunk(rb->it.sector, bytes, d->rs_chunk)) {
		/* Being resynced: wait for it. */
		list_add_tail(&rb->it.list, &d->rs_waiters);
		spin_unlock_irqrestore(&d->slock, flags);
		if (st)
			stage_free(st);
		return VAIO_DEFER;
	}
	if (!c || c->failing) {
		/*
		 * No write made apart from the peer completes before the new
		 * generation is on disk (gen_saved() releases them), or a
		 * crash would forget that it was made apart. Also while the
		 * connection fails (the peer stopped taking writes) and after
		 * a reboot.
		 */
		if (bytes && gen_part(d)) {
			list_add_tail(&rb->it.list, &d->gen_waiters);
			spin_unlock_irqrestore(&d->slock, flags);
			if (st)
				stage_free(st);
			return VAIO_DEFER;
		}
		bm_set(d, rb->it.sector, bytes);
	} else if (rf->mode == VAIO_REPL_MODE_SYNC) {
		rb->it.kind = bytes || rb->it.type != VAIO_REPL_F_DATA ?
			      RI_DATA_SYNC : RI_FLUSH;
		rb->it.flags |= VAIO_REPL_DF_ACK;
		rb->it.id = c->next_id++;
		rb->it.epoch = 0;
		if (st && d->unflushed < REPL_MAX_UNFLUSHED) {
			/*
			 * The peer answers it once written, from a volatile
			 * cache maybe, as DRBD C does, and we keep its range
			 * until the peer flushed (or set its bits): the VM's
			 * flushes and FUA writes reach the peer as such.
			 */
			rb->it.flags |= VAIO_REPL_DF_CACHED;
			st->it = rb->it;
			st->it.kind = RI_UNFLUSHED;
			INIT_LIST_HEAD(&st->it.list);
			if (rb->al) {
				al_hold(d, rb->it.sector, bytes);
				st->al = true;
			}
			d->unflushed++;
			rb->unflushed = st;
			st = NULL;
		}
		/* Local completion, the peer's answer, the sender. */
		atomic_set(&rb->parts, 3);
		rb->replicating = 1;
		list_add_tail(&rb->it.list, &c->send_q);
		wake = true;
	} else if (!bytes) {
		/* An async flush closes the epoch; the peer flushes at it. */
		d->flush_seen = true;
		d->cur_epoch++;
	} else if (st) {
		u64 cost = (u64)st->nr_pages << PAGE_SHIFT;
		bool over = d->lag_bytes && !d->no_throttle &&
			    d->lag_bytes + cost > rf->max_lag_bytes;

		if (over && !rf->on_lag_track) {
			list_add_tail(&rb->it.list, &d->throttled);
			spin_unlock_irqrestore(&d->slock, flags);
			stage_free(st);
			return VAIO_DEFER;
		}
		if (over) {
			/* Pull ahead: tracked, resynced once the lag drains. */
			track_ahead(d, c, rb->it.sector, bytes);
			wake = true;
			goto counted;
		}
		st->it.flags |= REPL_IF_EPOCH;
		st->it.epoch = d->cur_epoch;
		st->it.id = c->next_id++;
		rb->it.epoch = d->cur_epoch;
		rb->async = 1;
		d->lag_writes++;
		d->lag_bytes += cost;
		/* The copy keeps the extents listed until the peer has it. */
		if (rb->al) {
			al_hold(d, rb->it.sector, bytes);
			st->al = true;
		}
		list_add_tail(&st->it.list, &c->send_q);
		st = NULL;
		wake = true;
	} else if (rf->on_lag_track) {
		track_ahead(d, c, rb->it.sector, bytes);
		wake = true;
	} else {
		/* Others wait already, or no memory for the copy now. */
		list_add_tail(&rb->it.list, &d->throttled);
		spin_unlock_irqrestore(&d->slock, flags);
		queue_work(repl_wq, &d->release_work);
		return VAIO_DEFER;
	}
counted:
	if (bytes) {
		chunks_add(d, rb->it.sector, bytes, 1);
		rb->counted = 1;
	}
	/* Under the lock: the connection cannot be freed meanwhile. */
	if (wake)
		kick_sender(c);
	spin_unlock_irqrestore(&d->slock, flags);
	if (st)
		stage_free(st);
	return VAIO_PASS;
}

/*
 * Does a write that came before @rb and overlaps it still run or wait?
 * Under slock.
 */
static bool write_overlapped(struct repl_disk *d, struct repl_bio *rb)
{
	struct repl_bio *o;

	for (o = wtree_iter_first(&d->writes, rb->it.sector, rb->wlast); o;
	     o = wtree_iter_next(o, rb->it.sector, rb->wlast))
		if (o != rb && o->wseq < rb->wseq)
			return true;
	return false;
}

/*
 * A write's last part (local or peer) ended: the writes that overlap it
 * may go, in the order they came. Under slock.
 */
static void write_ended(struct repl_disk *d, struct repl_bio *rb)
{
	if (rb->unflushed) {
		/* Never answered: remote_done(, false) set its bits. */
		unflushed_put(d, rb->unflushed, true);
		rb->unflushed = NULL;
	}
	if (!rb->in_tree)
		return;
	wtree_remove(rb, &d->writes);
	rb->in_tree = 0;
	if (rb->al) {
		al_put(d, rb->it.sector, rb->it.size);
		rb->al = 0;
	}
	if (!list_empty(&d->overlapped))
		queue_work(repl_wq, &d->overlap_work);
}

/* The peer's part of a sync write is over; @ok: the peer has it. */
void remote_done(struct repl_disk *d, struct repl_bio *rb, bool ok)
{
	unsigned long flags;
	bool last;

	spin_lock_irqsave(&d->slock, flags);
	if (!ok)
		bm_set(d, rb->it.sector, rb->it.size);
	last = atomic_dec_and_test(&rb->parts);
	if (last)
		write_ended(d, rb);
	spin_unlock_irqrestore(&d->slock, flags);
	if (last)
		vaio_bio_end_continue(rb->bio);
}

/* A held write goes on (process context): passed, failed or held again. */
static void release_one(struct repl_filter *rf, struct repl_bio *rb)
{
	enum vaio_verdict v;

	list_del_init(&rb->it.list);
	v = repl_write(rf, rb, GFP_NOIO);
	if (v != VAIO_DEFER)
		vaio_bio_continue(rb->bio, v);
}

/* Releases held writes (process context). */
void release_list(struct repl_filter *rf, struct list_head *list)
{
	struct repl_bio *rb, *tmp;

	list_for_each_entry_safe(rb, tmp, list, it.list)
		release_one(rf, rb);
}

void release_work_fn(struct work_struct *work)
{
	struct repl_disk *d = container_of(work, struct repl_disk, release_work);
	struct repl_filter *rf;
	LIST_HEAD(list);

	spin_lock_irq(&d->slock);
	rf = d->live;
	if (rf && (!d->c || d->no_throttle || d->lag_bytes < rf->max_lag_bytes))
		list_splice_init(&d->throttled, &list);
	spin_unlock_irq(&d->slock);
	if (rf)
		release_list(rf, &list);
}

/* Writes whose overlapping predecessors ended go on (process context). */
void overlap_work_fn(struct work_struct *work)
{
	struct repl_disk *d = container_of(work, struct repl_disk,
					   overlap_work);
	struct repl_bio *rb, *tmp;
	struct repl_filter *rf;
	LIST_HEAD(list);

	spin_lock_irq(&d->slock);
	/* The table that mapped them: it cannot go while they wait. */
	rf = d->live;
	if (!WARN_ON_ONCE(!rf))
		list_for_each_entry_safe(rb, tmp, &d->overlapped, it.list)
			if (!write_overlapped(d, rb))
				list_move_tail(&rb->it.list, &list);
	spin_unlock_irq(&d->slock);
	list_for_each_entry_safe(rb, tmp, &list, it.list) {
		/* Its lag (lag_ms) counts from now, not from the wait. */
		rb->it.start = jiffies;
		release_one(rf, rb);
	}
}

/*
 * Every write of a primary is in d->writes until its last part ends; one
 * that overlaps an earlier one waits for it (VAIO_DEFER), so that the
 * local disk and the peer apply overlapping writes in the same order: the
 * peer gets the later one only after the earlier one is on both (sync:
 * answered; async: in an earlier epoch, which the peer completes first).
 */
static bool write_enter(struct repl_disk *d, struct repl_bio *rb)
{
	unsigned long flags;
	bool wait;

	rb->wlast = rb->it.sector + (rb->it.size >> SECTOR_SHIFT) - 1;
	spin_lock_irqsave(&d->slock, flags);
	wait = wtree_iter_first(&d->writes, rb->it.sector, rb->wlast);
	rb->wseq = ++d->wseq;
	wtree_insert(rb, &d->writes);
	rb->in_tree = 1;
	if (wait) {
		list_add_tail(&rb->it.list, &d->overlapped);
		d->overlaps++;
	}
	spin_unlock_irqrestore(&d->slock, flags);
	return wait;
}

enum vaio_verdict repl_map(struct vaio_filter *f, struct bio *bio,
			   void *data)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;
	struct repl_bio *rb = data;

	rb->counted = 0;
	rb->replicating = 0;
	rb->async = 0;
	rb->in_tree = 0;
	rb->al = 0;
	rb->unflushed = NULL;
	if (bio_op(bio) == REQ_OP_READ) {
		/*
		 * An inconsistent secondary's disk mixes old and new data (a
		 * resync target, a replica of nothing): no reader may take it
		 * for a disk, as DRBD refuses to open a secondary.
		 */
		if (READ_ONCE(d->role) != VAIO_REPL_ROLE_PRIMARY &&
		    !READ_ONCE(d->consistent)) {
			DMWARN_LIMIT("%s: refusing a read of an inconsistent secondary",
				     d->id);
			bio->bi_status = BLK_STS_IOERR;
			return VAIO_FAIL;
		}
		return VAIO_PASS;
	}
	if (READ_ONCE(d->role) != VAIO_REPL_ROLE_PRIMARY) {
		if (!bio_sectors(bio) && bio_op(bio) == REQ_OP_WRITE)
			return VAIO_PASS;	/* a flush */
		DMWARN_LIMIT("%s: refusing a write to a secondary (promote it first)",
			     d->id);
		bio->bi_status = BLK_STS_IOERR;
		return VAIO_FAIL;
	}
	switch (bio_op(bio)) {
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
	case REQ_OP_WRITE_ZEROES:
		break;
	default:
		return VAIO_PASS;
	}
	rb->bio = bio;
	rb->bvec = bio->bi_io_vec;
	rb->iter = bio->bi_iter;
	INIT_LIST_HEAD(&rb->it.list);
	rb->it.sector = bio->bi_iter.bi_sector;
	rb->it.size = bio->bi_iter.bi_size;
	rb->it.start = jiffies;
	if (rb->it.size && write_enter(d, rb))
		return VAIO_DEFER;
	return repl_write(rf, rb, GFP_NOWAIT);
}

enum vaio_end_verdict repl_end_io(struct vaio_filter *f,
				  struct bio *bio, void *data,
				  blk_status_t *error)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;
	struct repl_bio *rb = data;
	unsigned long flags;
	bool last;

	if (!rb->counted && !rb->async && !rb->replicating && !rb->in_tree)
		return VAIO_END_DONE;
	spin_lock_irqsave(&d->slock, flags);
	if (rb->counted)
		chunks_add(d, rb->it.sector, rb->it.size, -1);
	if (*error)
		bm_set(d, rb->it.sector, rb->it.size);
	/* The VM may now depend on this write: the epoch is closed. */
	if (rb->async && rb->it.epoch == d->cur_epoch)
		d->cur_epoch++;
	last = !rb->replicating || atomic_dec_and_test(&rb->parts);
	if (last)
		write_ended(d, rb);
	spin_unlock_irqrestore(&d->slock, flags);
	return last ? VAIO_END_DONE : VAIO_END_DEFER;
}
