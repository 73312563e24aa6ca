// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: the receiver thread (vaio-repl-rx/<disk>).
 *
 * recv_one() reads a frame's header and its fixed part and hands it to
 * the handler rx_cmds[] names for its type, if the receiver's role takes
 * that type and the length fits the type's. A secondary applies the
 * primary's writes to its disk (peer_endio() queues the answer to the
 * sender), flushes at barriers and defers their BARRIER_ACK while more of
 * the stream is queued, records marks, answers verify requests with
 * checksums, and takes the primary's generation at SYNC_DONE. A primary
 * matches the answers with c->inflight (completing writes and resync
 * runs) and c->staged (BARRIER_ACK), and takes the peer's bitmap, verify
 * replies and mark acknowledgements. Any other frame breaks the
 * connection.
 */

#include "repl.h"

#include <linux/blkdev.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>

/*
 * A frame as recv_one() hands it to its handler: the header's type and
 * flags, the fixed part (read already, as rx_cmds[] says) and the length
 * of what follows it, for the handler to read.
 */
struct repl_rx {
	u16 type;
	u16 flags;
	u32 len;		/* payload bytes after the fixed part */
	union {
		struct vaio_repl_data data;
		struct vaio_repl_ack ack;
		struct vaio_repl_barrier barrier;
		struct vaio_repl_gen gen;
		struct vaio_repl_mark mark;
	} p;			/* the fixed part */
};

static int recv_iter(struct repl_conn *c, struct msghdr *msg)
{
	unsigned long timeout = msecs_to_jiffies(c->timeout_ms);
	int r;

	while (msg_data_left(msg)) {
		r = sock_recvmsg(c->sock, msg, MSG_WAITALL | MSG_NOSIGNAL);
		if (r > 0) {
			WRITE_ONCE(c->last_rx, jiffies);
			continue;
		}
		if (r == 0)
			return -ECONNRESET;
		if (r != -EAGAIN && r != -EINTR && r != -ERESTARTSYS)
			return r;
		if (kthread_should_stop() || READ_ONCE(c->dead))
			return -EINTR;
		if (time_after(jiffies, READ_ONCE(c->last_rx) + timeout))
			return -ETIMEDOUT;
		if (signal_pending(current))
			flush_signals(current);
	}
	return 0;
}

static int recv_buf(struct repl_conn *c, void *buf, size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { };

	if (!len)
		return 0;
	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &kv, 1, len);
	return recv_iter(c, &msg);
}

/* Waits until the replica's writes so far are done; -EIO if one failed. */
static int peer_drain(struct repl_conn *c)
{
	wait_event(c->peer_wait, !atomic_read(&c->peer_inflight));
	return READ_ONCE(c->peer_error) ? -EIO : 0;
}

static void queue_answer(struct repl_conn *c, struct repl_item *it)
{
	struct repl_disk *d = c->d;
	unsigned long flags;

	spin_lock_irqsave(&d->slock, flags);
	list_add_tail(&it->list, &c->send_q);
	spin_unlock_irqrestore(&d->slock, flags);
	kick_sender(c);
}

void peer_req_free(struct repl_peer_req *req)
{
	struct repl_conn *c = req->c;

	repl_free_pages(req->pages, req->nr_pages);
	if (req->nr_pages) {
		atomic_sub(req->nr_pages, &c->peer_pages);
		wake_up(&c->peer_wait);
	}
	kfree(req);
}

/* A replica write is done (@err 0 or -errno): answer it. */
static void peer_done(struct repl_peer_req *req, int err)
{
	struct repl_conn *c = req->c;
	struct repl_disk *d = c->d;
	unsigned long flags;

	req->it.status = err ? EIO : 0;
	/*
	 * Durable only if the disk had no volatile cache when the write
	 * was submitted and still has none: a reload below (dm holds bios
	 * while suspended) may have put one under it meanwhile.
	 */
	if (err || bdev_write_cache(d->bdev))
		req->it.flags &= ~VAIO_REPL_AF_DURABLE;
	if (err) {
		DMERR_LIMIT("%s: replica write at %llu failed: %d", d->id,
			    (unsigned long long)req->it.sector, err);
		/* The replica has a hole: resync it, inconsistent until then. */
		WRITE_ONCE(c->peer_error, true);
		conn_fail(c, "a replica write failed");
	}
	if (req->answer)
		queue_answer(c, &req->it);
	else
		peer_req_free(req);
	/* Under the lock: teardown frees c once it sees 0 and takes it. */
	spin_lock_irqsave(&d->slock, flags);
	atomic_dec(&c->peer_inflight);
	wake_up(&c->peer_wait);
	spin_unlock_irqrestore(&d->slock, flags);
}

static void peer_endio(struct bio *bio)
{
	struct repl_peer_req *req = bio->bi_private;
	int err = blk_status_to_errno(bio->bi_status);

	bio_put(bio);
	peer_done(req, err);
}

/*
 * ZEROES, in the receiver as DRBD zeroes out: after every write before
 * it, with blkdev_issue_zeroout(), which writes zero pages on a disk
 * without write-zeroes (a failing REQ_OP_WRITE_ZEROES broke the
 * connection again at each one), then flushed when answered, as a data
 * write gets FUA.
 */
static int peer_zeroout(struct repl_conn *c, struct repl_peer_req *req,
			u16 rx_flags)
{
	struct repl_disk *d = c->d;
	int r;

	if (peer_drain(c)) {
		peer_req_free(req);
		return -EIO;
	}
	atomic_inc(&c->peer_inflight);
	spin_lock_irq(&d->slock);
	d->recv++;
	spin_unlock_irq(&d->slock);
	r = blkdev_issue_zeroout(d->bdev, req->it.sector, req->it.size >> 9,
				 GFP_NOIO, BLKDEV_ZERO_NOUNMAP);
	if (!r && (req->answer || (rx_flags & VAIO_REPL_DF_FUA)) &&
	    bdev_write_cache(d->bdev))
		r = blkdev_issue_flush(d->bdev);
	peer_done(req, r);
	/* A hole: no later write goes over it before the teardown. */
	return r ? -EIO : 0;
}

/*
 * Room for a received write of @nr pages: the writes in flight, and the
 * pages held, are bounded (the pages but for one write, however large).
 */
static bool peer_room(struct repl_conn *c, unsigned int nr)
{
	unsigned int held = atomic_read(&c->peer_pages);

	return atomic_read(&c->peer_inflight) < REPL_PEER_MAX_INFLIGHT &&
	       (!held || held + nr <= READ_ONCE(c->max_peer_pages));
}

/* A write from the primary: DATA, RS_DATA, DISCARD, ZEROES or FLUSH. */
static int recv_write(struct repl_conn *c, struct repl_rx *rx)
{
	struct vaio_repl_data *dh = &rx->p.data;
	u16 type = rx->type, flags = rx->flags;
	struct repl_disk *d = c->d;
	struct repl_peer_req *req;
	unsigned int nr = 0, i;
	blk_opf_t opf = REQ_OP_WRITE;
	u32 size, data_len = 0;
	struct bio *bio;
	sector_t sector;
	int r;

	c->unacked_bytes = min_t(u64, (u64)c->unacked_bytes + sizeof(*dh) + rx->len,
				 U32_MAX);
	sector = be64_to_cpu(dh->sector);
	size = be32_to_cpu(dh->size);
	if (type == VAIO_REPL_F_DATA || type == VAIO_REPL_F_RS_DATA) {
		data_len = size;
		nr = DIV_ROUND_UP(size, PAGE_SIZE);
		if (!size || size > VAIO_REPL_MAX_PAYLOAD)
			return -EPROTO;
	}
	if ((type == VAIO_REPL_F_ZEROES || type == VAIO_REPL_F_DISCARD) &&
	    size > VAIO_REPL_MAX_EXTENT)
		return -EPROTO;
	if (rx->len != data_len || size & 511 ||
	    sector > d->sectors || (size >> 9) > d->sectors - sector ||
	    (type == VAIO_REPL_F_FLUSH && size) ||
	    (type != VAIO_REPL_F_FLUSH && !size))
		return -EPROTO;

	if (type == VAIO_REPL_F_RS_DATA) {
		r = mark_inconsistent(d);
		if (r)
			return r;
		if (READ_ONCE(d->conn) != VAIO_REPL_CONN_SYNC_TARGET)
			set_conn(d, VAIO_REPL_CONN_SYNC_TARGET);
	}

	wait_event_interruptible(c->peer_wait, peer_room(c, nr) ||
				 kthread_should_stop() || READ_ONCE(c->dead));
	if (kthread_should_stop() || READ_ONCE(c->dead))
		return -EINTR;

	req = kmalloc(struct_size(req, pages, nr), GFP_NOIO);
	if (!req)
		return -ENOMEM;
	req->nr_pages = 0;
	req->c = c;
	memset(&req->it, 0, sizeof(req->it));
	INIT_LIST_HEAD(&req->it.list);
	req->it.kind = RI_ACK;
	req->it.id = be64_to_cpu(dh->id);
	req->it.sector = sector;
	req->it.size = size;
	req->it.status = 0;
	req->answer = true;
	switch (type) {
	case VAIO_REPL_F_RS_DATA:
		req->it.type = VAIO_REPL_F_RS_ACK;
		break;
	case VAIO_REPL_F_FLUSH:
		req->it.type = VAIO_REPL_F_FLUSH_ACK;
		break;
	default:
		req->it.type = VAIO_REPL_F_WRITE_ACK;
		req->answer = flags & VAIO_REPL_DF_ACK;
		break;
	}
	if (repl_alloc_pages(req->pages, nr, GFP_NOIO)) {
		kfree(req);
		return -ENOMEM;
	}
	req->nr_pages = nr;
	if (nr) {
		/* peer_req_free() gives them back. */
		atomic_add(nr, &c->peer_pages);
		spin_lock_irq(&d->slock);
		d->peer_pages_max = max_t(unsigned int, d->peer_pages_max,
					  atomic_read(&c->peer_pages));
		spin_unlock_irq(&d->slock);
	}
	for (i = 0; i < nr; i++) {
		unsigned int l = min_t(u32, data_len - i * PAGE_SIZE, PAGE_SIZE);
		struct bio_vec bv = { .bv_page = req->pages[i], .bv_len = l };
		struct msghdr msg = { };

		iov_iter_bvec(&msg.msg_iter, ITER_DEST, &bv, 1, l);
		r = recv_iter(c, &msg);
		if (r) {
			peer_req_free(req);
			return r;
		}
	}

	if (type == VAIO_REPL_F_ZEROES)
		return peer_zeroout(c, req, flags);
	if (type == VAIO_REPL_F_DISCARD)
		opf = REQ_OP_DISCARD;
	/*
	 * An answer promises the data are durable, as in the VM's disk, but
	 * for a write the primary keeps until a later FLUSH (CACHED).
	 */
	if ((flags & VAIO_REPL_DF_FUA) ||
	    (req->answer && nr && bdev_write_cache(d->bdev) &&
	     !(type == VAIO_REPL_F_DATA && (flags & VAIO_REPL_DF_CACHED))))
		opf |= REQ_FUA;
	if (flags & VAIO_REPL_DF_PREFLUSH || type == VAIO_REPL_F_FLUSH)
		opf |= REQ_PREFLUSH;
	/*
	 * Durable once written on a disk without a volatile cache (checked
	 * again at completion, peer_done()): no FLUSH needs to follow.
	 */
	if (type == VAIO_REPL_F_DATA && req->answer &&
	    !bdev_write_cache(d->bdev))
		req->it.flags |= VAIO_REPL_AF_DURABLE;
	if (type == VAIO_REPL_F_DISCARD &&
	    !bdev_max_discard_sectors(d->bdev)) {
		/* Nothing to discard with: the replica keeps its data. */
		req->it.status = 0;
		atomic_inc(&c->peer_inflight);
		bio = bio_alloc(d->bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH,
				GFP_NOIO);
		goto submit;
	}
	bio = bio_alloc(d->bdev, nr, opf | REQ_SYNC, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < nr; i++)
		__bio_add_page(bio, req->pages[i],
			       min_t(u32, data_len - i * PAGE_SIZE, PAGE_SIZE), 0);
	if (!nr)
		bio->bi_iter.bi_size = size;
	atomic_inc(&c->peer_inflight);
submit:
	bio->bi_private = req;
	bio->bi_end_io = peer_endio;
	/* Writes, as the primary's sent: a flush is none. */
	if (type != VAIO_REPL_F_FLUSH) {
		spin_lock_irq(&d->slock);
		d->recv++;
		spin_unlock_irq(&d->slock);
	}
	submit_bio(bio);
	return 0;
}

/* More of the stream is in the socket already. */
static bool rx_pending(struct repl_conn *c)
{
	return !skb_queue_empty_lockless(&c->sock->sk->sk_receive_queue);
}

/* Secondary: the deferred BARRIER_ACK, if any. */
static int flush_acks(struct repl_conn *c)
{
	if (!c->acks_pending)
		return 0;
	c->acks_pending = 0;
	c->unacked_bytes = 0;
	return send_frame(c, VAIO_REPL_F_BARRIER_ACK, &c->ack_barrier,
			  sizeof(c->ack_barrier));
}

/* A barrier of the async stream: epoch e is complete (and durable). */
static int recv_barrier(struct repl_conn *c, struct repl_rx *rx)
{
	struct repl_disk *d = c->d;
	int r;

	/* No BARRIER_ACK for an epoch with a hole. */
	r = peer_drain(c);
	if (r)
		return r;
	if ((rx->flags & VAIO_REPL_DF_PREFLUSH) || bdev_write_cache(d->bdev)) {
		r = blkdev_issue_flush(d->bdev);
		if (r)
			return r;
	}
	/*
	 * A BARRIER_ACK answers every epoch up to its own: while more of
	 * the stream is already here, answer later, for all of them at once
	 * (repl_receiver() does before it waits). At most 32 epochs and
	 * REPL_ACK_BYTES of writes behind: the answer frees the primary's
	 * copies, and a primary at its lag limit waits for it.
	 */
	c->ack_barrier = rx->p.barrier;
	if (++c->acks_pending < 32 && c->unacked_bytes < REPL_ACK_BYTES &&
	    rx_pending(c))
		return 0;
	return flush_acks(c);
}

/* The answer an item in flight takes; 0: none (a verify's is its reply). */
static u16 answer_type(struct repl_item *it)
{
	switch (it->kind) {
	case RI_RS:
		return VAIO_REPL_F_RS_ACK;
	case RI_FLUSH:
	case RI_POINT:
		return VAIO_REPL_F_FLUSH_ACK;
	case RI_DATA_SYNC:
		return VAIO_REPL_F_WRITE_ACK;
	default:
		return 0;
	}
}

/* An answer of the peer to an item in flight (primary). */
static int recv_answer(struct repl_conn *c, struct repl_rx *rx)
{
	struct vaio_repl_ack *a = &rx->p.ack;
	struct repl_disk *d = c->d;
	struct repl_item *it, *found = NULL;
	struct repl_stage *st, *tmp;
	u16 type = rx->type;
	bool ok;
	u64 id;

	id = be64_to_cpu(a->id);
	spin_lock_irq(&d->slock);
	list_for_each_entry(it, &c->inflight, list) {
		if (it->id == id) {
			found = it;
			break;
		}
	}
	if (!found || found->sector != be64_to_cpu(a->sector) ||
	    found->size != be32_to_cpu(a->size) ||
	    answer_type(found) != (type == VAIO_REPL_F_NEG_ACK ?
				   VAIO_REPL_F_WRITE_ACK : type)) {
		spin_unlock_irq(&d->slock);
		return -EPROTO;	/* stale, forged or mismatched */
	}
	list_del_init(&found->list);
	ok = !a->status && type != VAIO_REPL_F_NEG_ACK;
	if (found->kind == RI_POINT && !ok) {
		/*
		 * What the peer answered may not be on its disk: the teardown
		 * sets the bits of c->flushing and makes a new generation.
		 */
		spin_unlock_irq(&d->slock);
		conn_fail(c, "the peer failed a flush");
		return 0;
	}
	if (found->kind == RI_POINT) {
		/* The peer flushed: what it answered before the FLUSH was sent. */
		list_for_each_entry_safe(st, tmp, &c->flushing, it.list) {
			list_del(&st->it.list);
			unflushed_put(d, st, false);
		}
		c->point_busy = false;
		if (!list_empty(&c->unflushed))
			kick_sender(c);
		spin_unlock_irq(&d->slock);
		return 0;
	}
	if (!a->status && found->kind != RI_RS)
		d->acked++;
	if (found->kind == RI_DATA_SYNC && ok) {
		struct repl_bio *rb = container_of(found, struct repl_bio, it);

		/*
		 * Written by the peer: durable now (DURABLE), or at its next
		 * FLUSH_ACK.
		 */
		st = rb->unflushed;
		rb->unflushed = NULL;
		if (st && (rx->flags & VAIO_REPL_AF_DURABLE)) {
			unflushed_put(d, st, false);
		} else if (st) {
			list_add_tail(&st->it.list, &c->unflushed);
			c->unflushed_bytes = min_t(u64, (u64)c->unflushed_bytes +
						   st->it.size, U32_MAX);
			if (!c->point_busy)
				kick_sender(c);
		}
	}
	spin_unlock_irq(&d->slock);

	switch (found->kind) {
	case RI_RS:
		spin_lock_irq(&d->slock);
		if (!a->status) {
			bm_clear(d, found->sector, found->size);
			d->resynced += found->size;
			d->sync_done_bytes += found->size;
		}
		spin_unlock_irq(&d->slock);
		if (atomic_dec_and_test(&c->rs_pending))
			wake_up(&c->rs_wait);
		return 0;
	default:
		break;
	}
	remote_done(d, container_of(found, struct repl_bio, it), ok);
	return 0;
}

static int recv_barrier_ack(struct repl_conn *c, struct repl_rx *rx)
{
	u32 e = be32_to_cpu(rx->p.barrier.epoch);
	struct repl_disk *d = c->d;
	struct repl_stage *st, *tmp;
	bool release;
	LIST_HEAD(done);

	spin_lock_irq(&d->slock);
	if (!c->any_barrier || (s32)(e - c->barrier_sent) > 0) {
		spin_unlock_irq(&d->slock);
		return -EPROTO;	/* an epoch we never closed */
	}
	list_for_each_entry_safe(st, tmp, &c->staged, it.list) {
		if ((s32)(st->it.epoch - e) > 0)
			break;
		list_move_tail(&st->it.list, &done);
		d->lag_writes--;
		d->lag_bytes -= (u64)st->nr_pages << PAGE_SHIFT;
		d->acked++;
	}
	release = !list_empty(&d->throttled);
	spin_unlock_irq(&d->slock);
	list_for_each_entry_safe(st, tmp, &done, it.list)
		stage_done(d, st);
	if (release)
		queue_work(repl_wq, &d->release_work);
	return 0;
}

static int recv_bitmap(struct repl_conn *c, struct repl_rx *rx)
{
	struct repl_disk *d = c->d;
	struct vaio_repl_range *rg = (void *)c->rx_scratch;
	unsigned int i, n = rx->len / sizeof(*rg);
	int r;

	if (rx->len % sizeof(*rg))
		return -EPROTO;
	r = recv_buf(c, rg, rx->len);
	if (r)
		return r;
	spin_lock_irq(&d->slock);
	for (i = 0; i < n; i++) {
		u64 s = be64_to_cpu(rg[i].sector);
		u32 ns = be32_to_cpu(rg[i].nr_sectors);

		if (s >= d->sectors)
			continue;	/* the peer's larger disk */
		bm_set(d, s, min_t(u64, ns, d->sectors - s) << 9);
	}
	spin_unlock_irq(&d->slock);
	return 0;
}

/* Primary: the peer's bitmap is all here: the resync may start. */
static int recv_bitmap_end(struct repl_conn *c, struct repl_rx *rx)
{
	WRITE_ONCE(c->bitmap_done, true);
	wake_up(&c->rs_wait);
	return 0;
}

/* Secondary: the resync is over; take the primary's generation. */
static int recv_sync_done(struct repl_conn *c, struct repl_rx *rx)
{
	u64 gen = be64_to_cpu(rx->p.gen.gen);
	struct repl_disk *d = c->d;
	int r;

	/* Everything before it is written: the stream is in order. */
	r = peer_drain(c) ?: blkdev_issue_flush(d->bdev);
	if (r)
		return r;
	mutex_lock(&d->meta_lock);
	spin_lock_irq(&d->slock);
	if (d->gen != gen) {
		new_gen(d);
		d->gen = gen;
	}
	d->paired = true;
	d->consistent = true;
	bitmap_zero(d->bm, d->bm_bits);
	spin_unlock_irq(&d->slock);
	r = meta_write_sb(d, true);
	mutex_unlock(&d->meta_lock);
	set_conn(d, VAIO_REPL_CONN_CONNECTED);
	return r;
}

/* Secondary: the primary tracks writes it does not send from now on. */
static int recv_ahead(struct repl_conn *c, struct repl_rx *rx)
{
	/* Writes before it are in, later ones not: wait. */
	if (peer_drain(c))
		return -EIO;
	set_conn(c->d, VAIO_REPL_CONN_SYNC_TARGET);
	return mark_inconsistent(c->d);
}

/* Secondary: checksums of a range, read after every earlier write. */
static int recv_verify_req(struct repl_conn *c, struct repl_rx *rx)
{
	struct vaio_repl_data *dh = &rx->p.data;
	struct repl_disk *d = c->d;
	struct vaio_repl_ack *a = c->rx_scratch;
	unsigned int n = 0;
	sector_t sector;
	u32 size;
	int r;

	sector = be64_to_cpu(dh->sector);
	size = be32_to_cpu(dh->size);
	if (!size || size > (1U << (REPL_CHUNK_SHIFT + 9)) || size & 511 ||
	    sector > d->sectors || (size >> 9) > d->sectors - sector)
		return -EPROTO;
	r = peer_drain(c);
	if (r)
		return r;
	/* A secondary's chunk buffer, at its first verify request. */
	if (!c->rs_pages[0] &&
	    repl_alloc_pages(c->rs_pages, REPL_CHUNK_PAGES, GFP_NOIO))
		return -ENOMEM;
	a->id = dh->id;
	a->sector = dh->sector;
	a->size = dh->size;
	a->status = 0;
	/* From the disk below: a secondary has no filters below replication. */
	if (rs_read(c, sector, size))
		a->status = cpu_to_be32(EIO);
	else
		n = vr_csums(c->rs_pages, size, (u32 *)(a + 1), true);
	if (!n) {
		n = DIV_ROUND_UP(size, REPL_VR_BLOCK);
		memset(a + 1, 0, n * sizeof(u32));
	}
	return send_frame(c, VAIO_REPL_F_VERIFY_REPLY, a,
			  sizeof(*a) + n * sizeof(u32));
}

/* Primary: the peer's checksums of the chunk in flight. */
static int recv_verify_reply(struct repl_conn *c, struct repl_rx *rx)
{
	struct vaio_repl_ack *a = &rx->p.ack;
	struct repl_disk *d = c->d;
	struct repl_item *it = &c->vr_item;
	__be32 *remote = c->rx_scratch;
	unsigned int i, n;
	bool in_run = false;
	int r;

	spin_lock_irq(&d->slock);
	n = DIV_ROUND_UP(it->size, REPL_VR_BLOCK);
	if (list_empty(&it->list) || it->id != be64_to_cpu(a->id) ||
	    it->sector != be64_to_cpu(a->sector) ||
	    it->size != be32_to_cpu(a->size) ||
	    rx->len != n * sizeof(u32)) {
		spin_unlock_irq(&d->slock);
		return -EPROTO;
	}
	list_del_init(&it->list);
	spin_unlock_irq(&d->slock);
	r = recv_buf(c, remote, n * sizeof(u32));
	if (r)
		return r;

	spin_lock_irq(&d->slock);
	for (i = 0; i < n; i++) {
		sector_t s = it->sector + i * (REPL_VR_BLOCK >> 9);
		u32 bytes = min_t(u32, REPL_VR_BLOCK, it->size - i * REPL_VR_BLOCK);

		if (!a->status && be32_to_cpu(remote[i]) == c->vr_local[i]) {
			in_run = false;
			continue;
		}
		/* Different (or unreadable there): the resync copies it. */
		bm_set(d, s, bytes);
		d->verify_diff += bytes;
		if (!in_run)
			d->verify_extents++;
		in_run = true;
	}
	d->verify_done += it->size;
	spin_unlock_irq(&d->slock);
	if (atomic_dec_and_test(&c->rs_pending))
		wake_up(&c->rs_wait);
	return 0;
}

/* A mark's tag: not empty, NUL-terminated. */
static int mark_check(const struct vaio_repl_mark *m)
{
	if (!m->tag[0] || !memchr(m->tag, 0, sizeof(m->tag)))
		return -EPROTO;
	return 0;
}

/* Secondary: every write before the mark is on the disk: record it. */
static int recv_mark(struct repl_conn *c, struct repl_rx *rx)
{
	struct vaio_repl_mark *m = &rx->p.mark;
	struct repl_disk *d = c->d;
	int r;

	r = mark_check(m) ?: peer_drain(c) ?: blkdev_issue_flush(d->bdev);
	if (r)
		return r;
	mutex_lock(&d->meta_lock);
	spin_lock_irq(&d->slock);
	/* An inconsistent replica is not at the point: no mark. */
	if (d->consistent)
		mark_add(d, m, d->recv, true);
	spin_unlock_irq(&d->slock);
	r = d->consistent ? meta_write_sb(d, true) : 0;
	mutex_unlock(&d->meta_lock);
	if (r)
		return r;
	repl_nl_notify(d, READ_ONCE(d->conn));
	return d->consistent ? send_frame(c, VAIO_REPL_F_MARK_ACK, m, sizeof(*m)) : 0;
}

/* Primary: the replica holds a mark. */
static int recv_mark_ack(struct repl_conn *c, struct repl_rx *rx)
{
	struct vaio_repl_mark *m = &rx->p.mark;
	struct repl_disk *d = c->d;
	bool found = false;
	unsigned int i;
	int r;

	r = mark_check(m);
	if (r)
		return r;
	mutex_lock(&d->meta_lock);
	spin_lock_irq(&d->slock);
	for (i = 0; i < d->nr_marks; i++) {
		if (d->marks[i].time == be64_to_cpu(m->time) &&
		    !strcmp(d->marks[i].tag, m->tag)) {
			d->marks[i].on_replica = true;
			found = true;
		}
	}
	spin_unlock_irq(&d->slock);
	r = found ? meta_write_sb(d, true) : 0;
	mutex_unlock(&d->meta_lock);
	if (found)
		repl_nl_notify(d, READ_ONCE(d->conn));
	return r;
}

static int recv_ping(struct repl_conn *c, struct repl_rx *rx)
{
	return send_frame(c, VAIO_REPL_F_PING_ACK, NULL, 0);
}

static int recv_ping_ack(struct repl_conn *c, struct repl_rx *rx)
{
	return 0;	/* recv_iter() took its time */
}

static int recv_bye(struct repl_conn *c, struct repl_rx *rx)
{
	conn_fail(c, "the peer closed the connection");
	return -ECONNRESET;
}

/* The roles that take a frame type: the receiver's own. */
#define RX_SECONDARY	BIT(VAIO_REPL_ROLE_SECONDARY)
#define RX_PRIMARY	BIT(VAIO_REPL_ROLE_PRIMARY)
#define RX_ANY		(RX_SECONDARY | RX_PRIMARY)

/* Payload sizes: a fixed part, and what may follow it. */
#define RX_FIXED(m)	sizeof_field(struct repl_rx, p.m)
#define RX_LEN_MAX	(VAIO_REPL_MAX_PAYLOAD + sizeof(struct vaio_repl_data))
#define RX_CSUMS_MAX	((1U << (REPL_CHUNK_SHIFT + 9)) / REPL_VR_BLOCK * sizeof(__be32))

/*
 * A frame type: its handler, the roles that take it, and its payload: a
 * fixed part of exactly @fixed bytes, which recv_one() reads into
 * struct repl_rx, then at most @data_max bytes, which the handler reads.
 * As DRBD's drbd_cmd_handler[]; a type without a handler is refused.
 */
struct rx_cmd {
	int (*fn)(struct repl_conn *c, struct repl_rx *rx);
	u8 roles;
	u8 fixed;
	u32 data_max;
};

static const struct rx_cmd rx_cmds[] = {
	/* Either side. */
	[VAIO_REPL_F_PING]	   = { recv_ping,	  RX_ANY,	0, 0 },
	[VAIO_REPL_F_PING_ACK]	   = { recv_ping_ack,	  RX_ANY,	0, 0 },
	[VAIO_REPL_F_BYE]	   = { recv_bye,	  RX_ANY,	0, RX_LEN_MAX },
	/* A secondary: the primary's stream. */
	[VAIO_REPL_F_DATA]	   = { recv_write,	  RX_SECONDARY, RX_FIXED(data),
				       VAIO_REPL_MAX_PAYLOAD },
	[VAIO_REPL_F_RS_DATA]	   = { recv_write,	  RX_SECONDARY, RX_FIXED(data),
				       VAIO_REPL_MAX_PAYLOAD },
	[VAIO_REPL_F_DISCARD]	   = { recv_write,	  RX_SECONDARY, RX_FIXED(data), 0 },
	[VAIO_REPL_F_ZEROES]	   = { recv_write,	  RX_SECONDARY, RX_FIXED(data), 0 },
	[VAIO_REPL_F_FLUSH]	   = { recv_write,	  RX_SECONDARY, RX_FIXED(data), 0 },
	[VAIO_REPL_F_BARRIER]	   = { recv_barrier,	  RX_SECONDARY, RX_FIXED(barrier), 0 },
	[VAIO_REPL_F_SYNC_DONE]	   = { recv_sync_done,	  RX_SECONDARY, RX_FIXED(gen), 0 },
	[VAIO_REPL_F_AHEAD]	   = { recv_ahead,	  RX_SECONDARY, 0, 0 },
	[VAIO_REPL_F_VERIFY_REQ]   = { recv_verify_req,	  RX_SECONDARY, RX_FIXED(data), 0 },
	[VAIO_REPL_F_MARK]	   = { recv_mark,	  RX_SECONDARY, RX_FIXED(mark), 0 },
	/* A primary: the secondary's answers and its bitmap. */
	[VAIO_REPL_F_WRITE_ACK]	   = { recv_answer,	  RX_PRIMARY,	RX_FIXED(ack), 0 },
	[VAIO_REPL_F_NEG_ACK]	   = { recv_answer,	  RX_PRIMARY,	RX_FIXED(ack), 0 },
	[VAIO_REPL_F_FLUSH_ACK]	   = { recv_answer,	  RX_PRIMARY,	RX_FIXED(ack), 0 },
	[VAIO_REPL_F_RS_ACK]	   = { recv_answer,	  RX_PRIMARY,	RX_FIXED(ack), 0 },
	[VAIO_REPL_F_BARRIER_ACK]  = { recv_barrier_ack,  RX_PRIMARY,	RX_FIXED(barrier), 0 },
	[VAIO_REPL_F_VERIFY_REPLY] = { recv_verify_reply, RX_PRIMARY,	RX_FIXED(ack),
				       RX_CSUMS_MAX },
	[VAIO_REPL_F_MARK_ACK]	   = { recv_mark_ack,	  RX_PRIMARY,	RX_FIXED(mark), 0 },
	[VAIO_REPL_F_BITMAP]	   = { recv_bitmap,	  RX_PRIMARY,	0, PAGE_SIZE },
	[VAIO_REPL_F_BITMAP_END]   = { recv_bitmap_end,	  RX_PRIMARY,	0, 0 },
};

static int recv_one(struct repl_conn *c)
{
	u8 role = is_secondary_conn(c) ? VAIO_REPL_ROLE_SECONDARY :
					 VAIO_REPL_ROLE_PRIMARY;
	const struct rx_cmd *cmd = NULL;
	struct vaio_repl_hdr h;
	struct repl_rx rx;
	u16 type;
	u32 len;
	int r;

	r = recv_buf(c, &h, sizeof(h));
	if (r)
		return r;
	type = be16_to_cpu(h.type);
	len = be32_to_cpu(h.len);
	if (be32_to_cpu(h.magic) != VAIO_REPL_MAGIC) {
		conn_fail(c, "protocol error: bad magic");
		return -EPROTO;
	}
	if (be32_to_cpu(h.seq) != c->rx_seq++) {
		conn_fail(c, "protocol error: frame out of sequence");
		return -EPROTO;
	}
	if (len > RX_LEN_MAX) {
		conn_fail(c, "protocol error: frame of %u bytes", len);
		return -EPROTO;
	}

	if (type < ARRAY_SIZE(rx_cmds))
		cmd = &rx_cmds[type];
	if (!cmd || !cmd->fn || !(cmd->roles & BIT(role))) {
		conn_fail(c, "protocol error: unexpected frame type %u", type);
		return -EPROTO;
	}
	if (len < cmd->fixed || len - cmd->fixed > cmd->data_max)
		return -EPROTO;
	rx.type = type;
	rx.flags = be16_to_cpu(h.flags);
	rx.len = len - cmd->fixed;
	r = recv_buf(c, &rx.p, cmd->fixed);
	if (r)
		return r;
	return cmd->fn(c, &rx);
}

int repl_receiver(void *arg)
{
	struct repl_conn *c = arg;
	unsigned int noio = memalloc_noio_save();
	int r = 0;

	while (!r && !kthread_should_stop()) {
		r = recv_one(c);
		/* About to wait for the peer: answer what was deferred. */
		if (!r && c->acks_pending && !rx_pending(c))
			r = flush_acks(c);
	}
	if (r == -EPROTO)
		conn_fail(c, "protocol error");
	else if (r == -ETIMEDOUT)
		conn_fail(c, "no answer from the peer for %u ms", c->timeout_ms);
	else if (r == -ECONNRESET)
		conn_fail(c, "the peer closed the connection");
	else if (r && r != -EINTR)
		conn_fail(c, "receive failed: %d", r);
	memalloc_noio_restore(noio);
	park_thread();
	return 0;
}
