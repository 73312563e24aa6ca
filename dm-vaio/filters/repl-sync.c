// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: resync and online verify, on a primary.
 *
 * The resyncer thread (vaio-repl-rs/<disk>) walks the bitmap a 1 MiB
 * chunk at a time: it locks the chunk (d->rs_chunk: the VM's writes to it
 * wait on d->rs_waiters until rs_unlock()), waits for the writes in flight
 * in it, reads it into the connection's chunk buffer and queues its dirty
 * runs to the sender; the peer's answers clear the bits (recv_answer()).
 * Once the bitmap is clean it sends SYNC_DONE, then runs the verify asked
 * for by repl_verify(): the same chunk lock, and the local checksums
 * compared with the peer's (recv_verify_reply()).
 *
 * With filters below replication (a cache) the reads go through them, as
 * the VM's do (rs_read()): a write-back cache's dirty blocks are newer
 * than the disk below. While the disk is suspended they cannot: the
 * chunk is read again after the resume, its bits stay set meanwhile.
 */

#include "repl.h"

#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/highmem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

/*
 * The live filter, if it has filters below it, counted (rf->below_io: its
 * ->dtr() waits for below_put()); NULL: none, or no filters below it, go
 * to the disk below directly.
 */
struct repl_filter *below_get(struct repl_disk *d)
{
	struct repl_filter *rf;

	spin_lock_irq(&d->slock);
	rf = d->live;
	if (rf && rf->f->below_filters)
		rf->below_io++;
	else
		rf = NULL;
	spin_unlock_irq(&d->slock);
	return rf;
}

void below_put(struct repl_disk *d, struct repl_filter *rf)
{
	spin_lock_irq(&d->slock);
	rf->below_io--;
	spin_unlock_irq(&d->slock);
	wake_up_all(&d->rs_wait);
}

/*
 * Reads [sector, + bytes) into the chunk buffer through the filters below
 * replication (vaio_submit_below()), as the VM's reads go: a write-back
 * cache below holds the newest data of the blocks it has dirty. One bio at
 * a time (they come from a small shared pool), none larger than the
 * filters below take. -EAGAIN: the disk is suspended (a reload) or going;
 * no read failed.
 */
static int rs_read_below(struct repl_conn *c, struct vaio_filter *f,
			 sector_t sector, unsigned int bytes)
{
	unsigned int lbs = bdev_logical_block_size(f->data_dev->bdev);
	unsigned int off = 0, piece = bytes;
	struct bio *bio;
	int r;

	if (f->below_max_sectors && f->below_max_sectors < (bytes >> 9)) {
		piece = f->below_max_sectors << 9;
		/* Whole pages where it can, else whole logical blocks. */
		if (piece >= PAGE_SIZE)
			piece = round_down(piece, PAGE_SIZE);
		else
			piece = max(round_down(piece, lbs), lbs);
	}
	while (off < bytes) {
		unsigned int len = min(piece, bytes - off), done = 0;
		unsigned int pg = off & ~PAGE_MASK;

		bio = vaio_bio_alloc_below(f, DIV_ROUND_UP(pg + len, PAGE_SIZE),
					   REQ_OP_READ, GFP_NOIO);
		bio->bi_iter.bi_sector = sector + (off >> 9);
		while (done < len) {
			unsigned int at = off + done;
			unsigned int n = min_t(unsigned int, len - done,
					       PAGE_SIZE - (at & ~PAGE_MASK));

			__bio_add_page(bio, c->rs_pages[at >> PAGE_SHIFT], n,
				       at & ~PAGE_MASK);
			done += n;
		}
		r = vaio_submit_below_wait(f, bio);
		bio_put(bio);
		if (r)
			return r;
		off += len;
	}
	return 0;
}

/*
 * Reads a part of a chunk into the chunk buffer: a primary's resync and
 * verify reads, a secondary's verify read. With filters below replication
 * (a primary's only: a secondary may have none, repl_table_check()) through
 * them, else straight from the disk below. -EAGAIN: not now, the disk is
 * suspended; read again after its resume.
 */
int rs_read(struct repl_conn *c, sector_t sector, unsigned int bytes)
{
	struct repl_disk *d = c->d;
	unsigned int i, nr = DIV_ROUND_UP(bytes, PAGE_SIZE);
	struct repl_filter *rf;
	struct bio *bio;
	int r;

	rf = below_get(d);
	if (rf) {
		r = rs_read_below(c, rf->f, sector, bytes);
		below_put(d, rf);
		return r;
	}

	bio = bio_alloc(d->bdev, nr, REQ_OP_READ, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < nr; i++)
		__bio_add_page(bio, c->rs_pages[i],
			       min_t(unsigned int, bytes - i * PAGE_SIZE,
				     PAGE_SIZE), 0);
	r = submit_bio_wait(bio);
	bio_put(bio);
	return r;
}

/* A 4 KiB block's checksum in a chunk buffer of pages. */
static u32 vr_csum(struct page **pages, unsigned int off, unsigned int len)
{
	void *p = kmap_local_page(pages[off >> PAGE_SHIFT]);
	u32 csum = crc32_le(~0U, p + (off & ~PAGE_MASK), len);

	kunmap_local(p);
	return csum;
}

/* The checksums of [start, start + bytes) of the buffer, as on the wire. */
unsigned int vr_csums(struct page **pages, unsigned int bytes,
		      u32 *out, bool be)
{
	unsigned int i, n = DIV_ROUND_UP(bytes, REPL_VR_BLOCK);

	for (i = 0; i < n; i++) {
		unsigned int off = i * REPL_VR_BLOCK;
		u32 v = vr_csum(pages, off,
				min_t(unsigned int, REPL_VR_BLOCK, bytes - off));

		out[i] = be ? (__force u32)cpu_to_be32(v) : v;
	}
	return n;
}

void rs_unlock(struct repl_disk *d)
{
	struct repl_filter *rf;
	LIST_HEAD(list);

	spin_lock_irq(&d->slock);
	d->rs_chunk = -1;
	list_splice_init(&d->rs_waiters, &list);
	rf = d->live;
	spin_unlock_irq(&d->slock);
	if (!list_empty(&list)) {
		if (WARN_ON_ONCE(!rf))
			return;
		release_list(rf, &list);
	}
}

/* A chunk's length in bytes: 1 MiB, the disk's last one maybe less. */
static unsigned int chunk_bytes(struct repl_disk *d, unsigned long chunk)
{
	return min_t(sector_t, 1U << REPL_CHUNK_SHIFT,
		     d->sectors - ((sector_t)chunk << REPL_CHUNK_SHIFT)) << 9;
}

/*
 * Locks a chunk for the resync or the verify (@what, for the message of a
 * read error): the VM's writes to it wait on d->rs_waiters until
 * rs_unlock(); waits for the local writes in flight in it, then reads it
 * into the chunk buffer. -EINTR: the thread or the connection ends;
 * -EAGAIN: the disk is suspended, nothing read (rs_read()).
 */
static int chunk_lock_read(struct repl_conn *c, unsigned long chunk,
			   const char *what)
{
	struct repl_disk *d = c->d;
	sector_t start = (sector_t)chunk << REPL_CHUNK_SHIFT;
	int r;

	spin_lock_irq(&d->slock);
	d->rs_chunk = chunk;
	spin_unlock_irq(&d->slock);
	wait_event_interruptible(d->rs_wait,
				 !atomic_read(&d->chunk_writes[chunk]) ||
				 kthread_should_stop() || READ_ONCE(c->dead));
	if (kthread_should_stop() || READ_ONCE(c->dead))
		return -EINTR;
	r = rs_read(c, start, chunk_bytes(d, chunk));
	if (r && r != -EAGAIN)
		DMERR_LIMIT("%s: %s: cannot read sector %llu: %d", d->id, what,
			    (unsigned long long)start, r);
	return r;
}

/* Sends what was queued for a chunk; waits until the peer answered it all. */
static int chunk_wait_answers(struct repl_conn *c)
{
	kick_sender(c);
	wait_event_interruptible(c->rs_wait, !atomic_read(&c->rs_pending) ||
				 kthread_should_stop() || READ_ONCE(c->dead));
	return atomic_read(&c->rs_pending) ? -EINTR : 0;
}

/* Resyncs the dirty blocks of one chunk. */
static int rs_chunk(struct repl_conn *c, long chunk)
{
	struct repl_disk *d = c->d;
	sector_t start = (sector_t)chunk << REPL_CHUNK_SHIFT;
	unsigned long first = chunk * REPL_CHUNK_BITS;
	unsigned long end = min(first + REPL_CHUNK_BITS, d->bm_bits);
	unsigned long bit, stop;
	unsigned int n = 0, i;
	bool async;
	int r;

	r = chunk_lock_read(c, chunk, "resync");
	if (r)
		return r;

	for (bit = first; bit < end; bit = stop) {
		struct repl_rs *rs = &c->rs_items[n];

		bit = find_next_bit(d->bm, end, bit);
		if (bit >= end)
			break;
		stop = find_next_zero_bit(d->bm, end, bit);
		rs->it.kind = RI_RS;
		rs->it.type = VAIO_REPL_F_RS_DATA;
		rs->it.sector = (sector_t)bit << REPL_BM_SHIFT;
		rs->it.size = min_t(sector_t, (stop - bit) << REPL_BM_SHIFT,
				    d->sectors - rs->it.sector) << 9;
		rs->offset = (rs->it.sector - start) << 9;
		n++;
	}
	spin_lock_irq(&d->slock);
	async = d->live && d->live->mode == VAIO_REPL_MODE_ASYNC;
	for (i = 0; i < n; i++) {
		struct repl_rs *rs = &c->rs_items[i];

		rs->it.flags = async ? REPL_IF_EPOCH : 0;
		rs->it.epoch = d->cur_epoch;
		rs->it.start = jiffies;
		rs->it.id = c->next_id++;
		list_add_tail(&rs->it.list, &c->send_q);
	}
	atomic_add(n, &c->rs_pending);
	spin_unlock_irq(&d->slock);
	return chunk_wait_answers(c);
}

static void rs_rate(struct repl_disk *d, u64 bytes, unsigned long t0)
{
	unsigned long want, took = jiffies - t0;
	u64 bps;

	spin_lock_irq(&d->slock);
	bps = d->live ? d->live->resync_bps : 0;
	if (time_after(jiffies, d->sync_mark + HZ)) {
		d->sync_bps = div64_u64((d->sync_done_bytes - d->sync_mark_bytes) * HZ,
					jiffies - d->sync_mark);
		d->sync_mark = jiffies;
		d->sync_mark_bytes = d->sync_done_bytes;
	}
	spin_unlock_irq(&d->slock);
	if (!bps)
		return;
	want = div64_u64(bytes * HZ, bps);
	if (want > took)
		schedule_timeout_interruptible(want - took);
}

/* Verifies one chunk: locked as for a resync, until the peer answered. */
static int vr_chunk(struct repl_conn *c, unsigned long chunk)
{
	struct repl_disk *d = c->d;
	struct repl_item *it = &c->vr_item;
	sector_t start = (sector_t)chunk << REPL_CHUNK_SHIFT;
	unsigned int bytes = chunk_bytes(d, chunk);
	int r;

	r = chunk_lock_read(c, chunk, "verify");
	if (r)
		return r;
	vr_csums(c->rs_pages, bytes, c->vr_local, false);

	/*
	 * In stream order: the peer reads the chunk after every write sent
	 * before, and no later write of the chunk is sent until we answer.
	 */
	spin_lock_irq(&d->slock);
	it->kind = RI_VERIFY;
	it->type = VAIO_REPL_F_VERIFY_REQ;
	it->flags = 0;
	it->sector = start;
	it->size = bytes;
	it->start = jiffies;
	it->id = c->next_id++;
	list_add_tail(&it->list, &c->send_q);
	atomic_inc(&c->rs_pending);
	spin_unlock_irq(&d->slock);
	return chunk_wait_answers(c);
}

/*
 * The disk is suspended (rs_read() said -EAGAIN): waits a little before
 * the thread reads again, until the resume reopens the filters below.
 */
static void rs_suspended_wait(struct repl_conn *c)
{
	wait_event_interruptible_timeout(c->rs_wait, kthread_should_stop() ||
					 READ_ONCE(c->dead), HZ / 10);
}

/* The next step of a running verify; false when none runs. */
static bool vr_step(struct repl_conn *c)
{
	struct repl_disk *d = c->d;
	unsigned long chunk, t0 = jiffies;
	u64 bps, took;
	bool over;
	int r;

	spin_lock_irq(&d->slock);
	if (d->verify_state != VAIO_REPL_VERIFY_RUNNING) {
		spin_unlock_irq(&d->slock);
		return false;
	}
	chunk = d->verify_next++;
	over = chunk >= d->nr_chunks;
	if (over)
		d->verify_state = VAIO_REPL_VERIFY_DONE;
	bps = d->live ? d->live->resync_bps : 0;
	spin_unlock_irq(&d->slock);
	if (over) {
		took = jiffies - d->verify_start;
		DMINFO("%s: verify done in %u ms: %llu KiB differ in %llu extents",
		       d->id, jiffies_to_msecs(took), d->verify_diff >> 10,
		       d->verify_extents);
		repl_nl_notify(d, READ_ONCE(d->conn));
		return true;
	}
	r = vr_chunk(c, chunk);
	rs_unlock(d);
	if (r == -EAGAIN) {
		/* Suspended: this chunk again after the resume. */
		spin_lock_irq(&d->slock);
		if (d->verify_state == VAIO_REPL_VERIFY_RUNNING &&
		    d->verify_next == chunk + 1)
			d->verify_next = chunk;
		spin_unlock_irq(&d->slock);
		rs_suspended_wait(c);
		return true;
	}
	if (r && r != -EINTR) {
		/* Unreadable here: counted as different, resynced. */
		spin_lock_irq(&d->slock);
		bm_set(d, (sector_t)chunk << REPL_CHUNK_SHIFT,
		       chunk_bytes(d, chunk));
		spin_unlock_irq(&d->slock);
	}
	if (bps) {
		took = jiffies - t0;
		t0 = div64_u64((u64)HZ << (REPL_CHUNK_SHIFT + 9), bps);
		if (t0 > took)
			schedule_timeout_interruptible(t0 - took);
	}
	return true;
}

int repl_resyncer(void *arg)
{
	struct repl_conn *c = arg;
	struct repl_disk *d = c->d;
	unsigned long cursor = 0, bit;
	unsigned int noio = memalloc_noio_save();
	unsigned int read_errors = 0;
	bool wrapped = false;

	wait_event_interruptible(c->rs_wait, READ_ONCE(c->bitmap_done) ||
				 kthread_should_stop() || READ_ONCE(c->dead));
	while (!kthread_should_stop() && !READ_ONCE(c->dead)) {
		unsigned long t0 = jiffies;
		u64 before;
		int r;

		bit = find_next_bit(d->bm, d->bm_bits, cursor);
		if (bit >= d->bm_bits && !wrapped && cursor) {
			cursor = 0;
			wrapped = true;
			continue;
		}
		if (bit >= d->bm_bits) {
			if (!c->sync_done_sent) {
				struct repl_item *it = kzalloc(sizeof(*it), GFP_NOIO);
				bool clean;

				if (!it) {
					conn_fail(c, "out of memory");
					break;
				}
				it->kind = RI_SYNC_DONE;
				/* Nothing may be tracked in between. */
				spin_lock_irq(&d->slock);
				clean = find_first_bit(d->bm, d->bm_bits) >= d->bm_bits;
				if (clean) {
					list_add_tail(&it->list, &c->send_q);
					c->ahead_queued = false;
					/* The peer may hold this generation now. */
					d->gen_unsynced = false;
				}
				spin_unlock_irq(&d->slock);
				if (!clean) {
					kfree(it);
					continue;
				}
				kick_sender(c);
				c->sync_done_sent = true;
				set_conn(d, VAIO_REPL_CONN_CONNECTED);
			}
			if (vr_step(c)) {
				cursor = 0;
				wrapped = false;
				continue;
			}
			wait_event_interruptible_timeout(c->rs_wait,
							 kthread_should_stop() ||
							 READ_ONCE(c->dead),
							 HZ / 4);
			cursor = 0;
			wrapped = false;
			continue;
		}
		if (c->sync_done_sent || READ_ONCE(d->conn) != VAIO_REPL_CONN_SYNC_SOURCE) {
			spin_lock_irq(&d->slock);
			d->sync_total = bm_bytes(d);
			d->sync_done_bytes = 0;
			d->sync_mark = jiffies;
			d->sync_mark_bytes = 0;
			spin_unlock_irq(&d->slock);
			c->sync_done_sent = false;
			set_conn(d, VAIO_REPL_CONN_SYNC_SOURCE);
		}
		before = READ_ONCE(d->sync_done_bytes);
		r = rs_chunk(c, bit / REPL_CHUNK_BITS);
		rs_unlock(d);
		if (r == -EINTR)
			break;
		if (r == -EAGAIN) {
			/*
			 * Suspended (a reload): nothing was read or sent, the
			 * bits stay. The same chunk again after the resume.
			 */
			rs_suspended_wait(c);
			cursor = bit / REPL_CHUNK_BITS * REPL_CHUNK_BITS;
			continue;
		}
		if (r) {
			/*
			 * A local read error: the bits stay, the peer stays
			 * inconsistent. Retried (the disk may recover) after
			 * 1, 2, 4 ... 64 s, not every second forever.
			 */
			unsigned long wait = HZ << min(read_errors, 6U);

			if (read_errors++ == 3)
				DMWARN("%s: resync: local reads keep failing; backing off to 64 s",
				       d->id);
			schedule_timeout_interruptible(wait);
		} else {
			read_errors = 0;
		}
		cursor = (bit / REPL_CHUNK_BITS + 1) * REPL_CHUNK_BITS;
		rs_rate(d, READ_ONCE(d->sync_done_bytes) - before, t0);
	}
	memalloc_noio_restore(noio);
	park_thread();
	return 0;
}

/* Starts (or stops) an online verify of a connected primary's disk. */
int repl_verify(struct repl_disk *d, bool stop, const char **err)
{
	int r = 0;

	mutex_lock(&d->lock);
	spin_lock_irq(&d->slock);
	if (stop) {
		if (d->verify_state == VAIO_REPL_VERIFY_RUNNING)
			d->verify_state = VAIO_REPL_VERIFY_STOPPED;
		else
			r = -ENOENT;
		*err = "no verify is running";
	} else if (d->role != VAIO_REPL_ROLE_PRIMARY) {
		r = -EINVAL;
		*err = "verify runs on the primary";
	} else if (!d->c || d->c->dead) {
		r = -ENOTCONN;
		*err = "not connected to the peer";
	} else if (d->verify_state == VAIO_REPL_VERIFY_RUNNING) {
		r = -EBUSY;
		*err = "a verify is already running";
	} else {
		d->verify_state = VAIO_REPL_VERIFY_RUNNING;
		d->verify_next = 0;
		d->verify_start = jiffies;
		d->verify_total = (u64)d->sectors << 9;
		d->verify_done = 0;
		d->verify_diff = 0;
		d->verify_extents = 0;
		wake_up(&d->c->rs_wait);
	}
	spin_unlock_irq(&d->slock);
	mutex_unlock(&d->lock);
	if (!r)
		repl_nl_notify(d, READ_ONCE(d->conn));
	return r;
}
