// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: the sender thread (vaio-repl-tx/<disk>).
 *
 * Frames are written whole under c->send_mutex; the sender writes all but
 * the receiver's short answers (send_frame()). It takes the items of
 * c->send_q in order, moves those that wait for an answer to c->inflight
 * (async writes to c->staged, until the BARRIER_ACK of their epoch),
 * closes async epochs with a BARRIER, sends a FLUSH for the sync writes
 * the peer answered from its cache, pings an idle peer, and fails a
 * connection that leaves a write unanswered for timeout_ms. A
 * secondary's sender first sends the bitmap of what it wrote as a
 * primary.
 */

#include "repl.h"

#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>

static int send_msg(struct repl_conn *c, struct msghdr *msg)
{
	int r;

	while (msg_data_left(msg)) {
		r = sock_sendmsg(c->sock, msg);
		if (r <= 0)
			return r ?: -EPIPE;
	}
	return 0;
}

static int send_kvec(struct repl_conn *c, void *buf, size_t len, bool more)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_flags = MSG_NOSIGNAL | (more || c->tx_more ? MSG_MORE : 0),
	};

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &kv, 1, len);
	return send_msg(c, &msg);
}

/*
 * Data pages go by reference (zero copy), as DRBD's _drbd_send_page()
 * sends them: the socket takes its own reference of the page, which
 * stays ours until the peer has the data (a sync write's bio is held
 * until its answer, a copy and a resync buffer until theirs). (A writer
 * that changes a page under its own write in flight gets either data on
 * either disk, as without replication.) Pages the network may not hold
 * (slab memory, sendpage_ok()) are copied.
 */
static int send_page(struct repl_conn *c, struct page *page,
		     unsigned int offset, unsigned int len, bool more)
{
	int flags = MSG_NOSIGNAL | (more || c->tx_more ? MSG_MORE : 0);
	struct bio_vec bv = { .bv_page = page, .bv_offset = offset,
			      .bv_len = len };
	struct msghdr msg = { .msg_flags = flags };
	int r;

	if (!sendpage_ok(page)) {
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bv, 1, len);
		return send_msg(c, &msg);
	}
	while (len) {
		r = kernel_sendpage(c->sock, page, offset, len, flags);
		if (r <= 0)
			return r ?: -EPIPE;
		offset += r;
		len -= r;
	}
	return 0;
}

/* The header and fixed part of a frame; send_mutex held. */
static int send_head(struct repl_conn *c, u16 type, u16 flags,
		     const void *fixed, u32 fixed_len, u32 data_len)
{
	struct {
		struct vaio_repl_hdr h;
		u8 fixed[sizeof(struct vaio_repl_data)];
	} __packed buf;

	int r;

	buf.h.magic = cpu_to_be32(VAIO_REPL_MAGIC);
	buf.h.type = cpu_to_be16(type);
	buf.h.flags = cpu_to_be16(flags);
	buf.h.len = cpu_to_be32(fixed_len + data_len);
	buf.h.seq = cpu_to_be32(c->tx_seq++);
	if (fixed_len > sizeof(buf.fixed)) {
		/* BITMAP: the ranges follow the header on their own. */
		r = send_kvec(c, &buf.h, sizeof(buf.h), true);
		return r ?: send_kvec(c, (void *)fixed, fixed_len,
				      data_len != 0);
	}
	memcpy(buf.fixed, fixed, fixed_len);
	return send_kvec(c, &buf, sizeof(buf.h) + fixed_len, data_len != 0);
}

int send_frame(struct repl_conn *c, u16 type, const void *fixed,
	       u32 fixed_len)
{
	int r;

	mutex_lock(&c->send_mutex);
	r = send_head(c, type, 0, fixed, fixed_len, 0);
	mutex_unlock(&c->send_mutex);
	return r;
}

static int send_barrier(struct repl_conn *c, u32 epoch, u32 count, bool flush,
			bool more)
{
	struct vaio_repl_barrier b = {
		.epoch = cpu_to_be32(epoch), .count = cpu_to_be32(count),
	};
	int r;

	mutex_lock(&c->send_mutex);
	c->tx_more = more;
	r = send_head(c, VAIO_REPL_F_BARRIER, flush ? VAIO_REPL_DF_PREFLUSH : 0,
		      &b, sizeof(b), 0);
	c->tx_more = false;
	mutex_unlock(&c->send_mutex);
	return r;
}

/*
 * @more: the sender has the next frame at hand: the socket may hold this
 * one back to fill a segment (MSG_MORE), as DRBD corks its socket.
 */
static int send_item(struct repl_conn *c, struct repl_item *it, bool more)
{
	struct repl_disk *d = c->d;
	struct vaio_repl_data dh;
	struct vaio_repl_ack ack;
	struct vaio_repl_gen gen;
	u16 flags = it->flags & ~REPL_IF_EPOCH;
	u32 data_len = 0;
	int r = 0;

	dh.sector = cpu_to_be64(it->sector);
	dh.id = cpu_to_be64(it->id);
	dh.size = cpu_to_be32(it->size);
	dh.epoch = cpu_to_be32(it->epoch);
	if (it->type == VAIO_REPL_F_DATA || it->type == VAIO_REPL_F_RS_DATA)
		data_len = it->size;

	mutex_lock(&c->send_mutex);
	c->tx_more = more;
	switch (it->kind) {
	case RI_DATA_SYNC: {
		struct repl_bio *rb = container_of(it, struct repl_bio, it);
		struct bvec_iter iter = rb->iter;

		r = send_head(c, it->type, flags, &dh, sizeof(dh), data_len);
		if (!data_len)
			break;
		/*
		 * The data as the VM wrote it: a filter below may have pointed
		 * the bio at its own copy (vaio_bio_replace_data()) by now.
		 */
		while (!r && iter.bi_size) {
			struct bio_vec bv = bvec_iter_bvec(rb->bvec, iter);

			bvec_iter_advance_single(rb->bvec, &iter, bv.bv_len);
			r = send_page(c, bv.bv_page, bv.bv_offset, bv.bv_len,
				      iter.bi_size);
		}
		break;
	}
	case RI_FLUSH:
	case RI_POINT:
		r = send_head(c, VAIO_REPL_F_FLUSH, 0, &dh, sizeof(dh), 0);
		break;
	case RI_STAGE: {
		struct repl_stage *st = container_of(it, struct repl_stage, it);
		unsigned int i, left = data_len;

		r = send_head(c, it->type, flags, &dh, sizeof(dh), data_len);
		for (i = 0; !r && left; i++) {
			unsigned int len = min_t(unsigned int, left, PAGE_SIZE);

			left -= len;
			r = send_page(c, st->pages[i], 0, len, left);
		}
		break;
	}
	case RI_RS: {
		struct repl_rs *rs = container_of(it, struct repl_rs, it);
		unsigned int off = rs->offset, left = data_len;

		r = send_head(c, VAIO_REPL_F_RS_DATA, flags, &dh, sizeof(dh),
			      data_len);
		while (!r && left) {
			unsigned int po = off & ~PAGE_MASK;
			unsigned int len = min_t(unsigned int, left, PAGE_SIZE - po);

			left -= len;
			r = send_page(c, c->rs_pages[off >> PAGE_SHIFT], po, len,
				      left);
			off += len;
		}
		break;
	}
	case RI_ACK:
		ack.id = cpu_to_be64(it->id);
		ack.sector = cpu_to_be64(it->sector);
		ack.size = cpu_to_be32(it->size);
		ack.status = cpu_to_be32(it->status);
		r = send_head(c, it->type, it->flags, &ack, sizeof(ack), 0);
		break;
	case RI_SYNC_DONE:
		gen.gen = cpu_to_be64(READ_ONCE(d->gen));
		r = send_head(c, VAIO_REPL_F_SYNC_DONE, 0, &gen, sizeof(gen), 0);
		break;
	case RI_AHEAD:
		r = send_head(c, VAIO_REPL_F_AHEAD, 0, NULL, 0, 0);
		break;
	case RI_VERIFY:
		r = send_head(c, VAIO_REPL_F_VERIFY_REQ, 0, &dh, sizeof(dh), 0);
		break;
	case RI_MARK:
		r = send_head(c, VAIO_REPL_F_MARK, 0,
			      &container_of(it, struct repl_mark_item, it)->m,
			      sizeof(struct vaio_repl_mark), 0);
		break;
	}
	c->tx_more = false;
	mutex_unlock(&c->send_mutex);
	return r;
}

/* Secondary: what it wrote as a primary and the peer may lack. */
static int send_bitmap(struct repl_conn *c)
{
	struct repl_disk *d = c->d;
	struct vaio_repl_range *r = (void *)c->rs_scratch;
	unsigned long bit = 0, end;
	unsigned int n = 0;
	int err;

	for (;;) {
		bit = find_next_bit(d->bm, d->bm_bits, bit);
		if (bit >= d->bm_bits || n == PAGE_SIZE / sizeof(*r)) {
			if (n) {
				err = send_frame(c, VAIO_REPL_F_BITMAP, r,
						 n * sizeof(*r));
				if (err)
					return err;
				n = 0;
			}
			if (bit >= d->bm_bits)
				break;
		}
		end = find_next_zero_bit(d->bm, d->bm_bits, bit);
		end = min(end, bit + (U32_MAX >> (REPL_BM_SHIFT + 1)));
		r[n].sector = cpu_to_be64((u64)bit << REPL_BM_SHIFT);
		r[n].nr_sectors = cpu_to_be32((end - bit) << REPL_BM_SHIFT);
		r[n].pad = 0;
		n++;
		bit = end;
	}
	return send_frame(c, VAIO_REPL_F_BITMAP_END, NULL, 0);
}

/*
 * Primary: holds the stream (the VM's writes queue meanwhile) until the
 * peer's bitmap is in. If either side has anything out of sync, the peer
 * is no prefix of this disk from its first write on: AHEAD goes first, and
 * the peer marks itself inconsistent, on disk, before any write (DRBD
 * makes the sync target inconsistent before the resync, too).
 */
static int hold_for_bitmap(struct repl_conn *c, unsigned long ping_every)
{
	struct repl_disk *d = c->d;
	int r;

	/* A long bitmap on a slow link: the peer hears pings meanwhile. */
	while (!wait_event_interruptible_timeout(c->rs_wait,
						 READ_ONCE(c->bitmap_done) ||
						 kthread_should_stop() ||
						 READ_ONCE(c->dead),
						 ping_every)) {
		r = send_frame(c, VAIO_REPL_F_PING, NULL, 0);
		if (r)
			return r;
	}
	spin_lock_irq(&d->slock);
	if (find_first_bit(d->bm, d->bm_bits) < d->bm_bits) {
		/* First, also if pulled ahead meanwhile (queued at the tail). */
		c->ahead_queued = true;
		c->ahead_item.kind = RI_AHEAD;
		list_move(&c->ahead_item.list, &c->send_q);
	}
	spin_unlock_irq(&d->slock);
	return 0;
}

/* Answered sync writes wait for a FLUSH, and none is in flight. */
static bool point_waiting(struct repl_conn *c)
{
	return !READ_ONCE(c->point_busy) && !list_empty_careful(&c->unflushed);
}

/*
 * Under d->slock: a FLUSH is due now: the sender is idle, 2 MiB wait, the
 * oldest waits a second, or writes wait for activity-log extents (which
 * the records hold) while a stream keeps the sender busy.
 */
static bool point_now(struct repl_conn *c, bool idle)
{
	struct repl_stage *st;

	if (c->point_busy || list_empty(&c->unflushed))
		return false;
	if (idle || c->unflushed_bytes >= REPL_ACK_BYTES ||
	    !list_empty(&c->d->al_waiters))
		return true;
	st = list_first_entry(&c->unflushed, struct repl_stage, it.list);
	return time_after(jiffies, st->it.start + HZ);
}

static bool sender_woken(struct repl_conn *c)
{
	return kthread_should_stop() || READ_ONCE(c->dead) ||
	       !list_empty_careful(&c->send_q) || READ_ONCE(c->epoch_count) ||
	       point_waiting(c);
}

int repl_sender(void *arg)
{
	struct repl_conn *c = arg;
	struct repl_disk *d = c->d;
	unsigned long timeout = msecs_to_jiffies(c->timeout_ms);
	unsigned long ping_every = timeout / 3 + 1;
	unsigned int noreclaim = memalloc_noreclaim_save();
	int r = 0;

	if (is_secondary_conn(c))
		r = send_bitmap(c);
	else
		r = hold_for_bitmap(c, ping_every);

	while (!r && !kthread_should_stop()) {
		struct repl_item *it, *old;
		bool idle, flush, more;
		u8 kind;
		u32 e, n;

		wait_event_interruptible_timeout(c->send_wait, sender_woken(c),
						 ping_every);
		if (kthread_should_stop() || READ_ONCE(c->dead))
			break;

		spin_lock_irq(&d->slock);
		old = list_first_entry_or_null(&c->inflight, struct repl_item,
					       list);
		if (old && time_after(jiffies, old->start + timeout)) {
			/* The peer answers pings but not this write. */
			spin_unlock_irq(&d->slock);
			conn_fail(c, "a write unanswered for %u ms",
				  c->timeout_ms);
			break;
		}
		idle = list_empty(&c->send_q);
		it = idle ? NULL : list_first_entry(&c->send_q, struct repl_item,
						    list);
		if (c->epoch_count &&
		    (idle || ((it->flags & REPL_IF_EPOCH) &&
			      it->epoch != c->last_epoch))) {
			/* Close the epoch: nothing may join it any more. */
			if (d->cur_epoch == c->last_epoch)
				d->cur_epoch++;
			e = c->last_epoch;
			n = c->epoch_count;
			c->epoch_count = 0;
			c->barrier_sent = e;
			c->any_barrier = true;
			flush = d->flush_seen;
			d->flush_seen = false;
			spin_unlock_irq(&d->slock);
			/* Not idle: the item that closed it goes next. */
			r = send_barrier(c, e, n, flush, !idle);
			continue;
		}
		if (point_now(c, idle)) {
			/*
			 * The sync writes the peer answered so far, from its
			 * cache maybe, are durable once it answers this FLUSH
			 * (it flushes after their writes completed). One at a
			 * time: those answered meanwhile wait for the next.
			 */
			list_splice_tail_init(&c->unflushed, &c->flushing);
			c->unflushed_bytes = 0;
			c->point_busy = true;
			d->flushes++;
			memset(&c->point, 0, sizeof(c->point));
			c->point.kind = RI_POINT;
			c->point.type = VAIO_REPL_F_FLUSH;
			c->point.id = c->next_id++;
			c->point.start = jiffies;
			list_add_tail(&c->point.list, &c->inflight);
			spin_unlock_irq(&d->slock);
			r = send_item(c, &c->point, !idle);
			continue;
		}
		if (idle) {
			bool ping = time_after(jiffies, c->last_rx + ping_every);

			spin_unlock_irq(&d->slock);
			if (ping)
				r = send_frame(c, VAIO_REPL_F_PING, NULL, 0);
			continue;
		}
		list_del_init(&it->list);
		more = !list_empty(&c->send_q);
		switch (it->kind) {
		case RI_DATA_SYNC:
		case RI_FLUSH:
		case RI_RS:
		case RI_VERIFY:
			/* Unanswered for timeout_ms from now (not the hold's). */
			it->start = jiffies;
			list_add_tail(&it->list, &c->inflight);
			break;
		case RI_STAGE:
			list_add_tail(&it->list, &c->staged);
			break;
		default:
			break;	/* ours to free */
		}
		if (it->flags & REPL_IF_EPOCH) {
			c->last_epoch = it->epoch;
			c->epoch_count++;
		}
		kind = it->kind;
		if (kind == RI_DATA_SYNC || kind == RI_STAGE)
			d->sent++;
		spin_unlock_irq(&d->slock);

		/*
		 * A sync item's bio cannot complete while we send it: we hold
		 * a part. A staged item is freed only by the BARRIER_ACK of
		 * its epoch, whose BARRIER we have not sent yet.
		 */
		r = send_item(c, it, more);
		if (kind == RI_ACK)
			peer_req_free(container_of(it, struct repl_peer_req, it));
		else if (kind == RI_SYNC_DONE)
			kfree(it);
		else if (kind == RI_MARK)
			kfree(container_of(it, struct repl_mark_item, it));
		else if (kind == RI_DATA_SYNC || kind == RI_FLUSH)
			remote_done(d, container_of(it, struct repl_bio, it),
				    true);
	}
	if (r)
		conn_fail(c, "send failed: %d", r);
	memalloc_noreclaim_restore(noreclaim);
	park_thread();
	return 0;
}
