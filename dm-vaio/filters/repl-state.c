// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: roles and the connection's life.
 *
 * The connection state (set_conn(): a netlink event for each change), a
 * connection's failure (conn_fail(), torn down in d->fail_work), a
 * secondary's consistent flag, the setup of a connection vaiod hands over
 * (repl_connect(): the socket and the threads), its teardown
 * (repl_teardown(), d->lock held: the threads stopped, everything
 * unanswered set in the bitmap and completed), and promote and demote
 * (repl_set_role()). The only file that makes or frees a repl_conn.
 */

#include "repl.h"

#include <linux/delay.h>
#include <linux/file.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <linux/tcp.h>
#include <net/tcp.h>

/*
 *--------------------------------------------------------------
 * State changes and notifications
 *--------------------------------------------------------------
 */

/* Process context. */
void set_conn(struct repl_disk *d, u8 conn)
{
	bool changed;

	spin_lock_irq(&d->slock);
	changed = d->conn != conn;
	d->conn = conn;
	spin_unlock_irq(&d->slock);
	if (changed)
		repl_nl_notify(d, conn);
}

__printf(2, 3) void conn_fail(struct repl_conn *c, const char *fmt, ...)
{
	struct repl_disk *d = c->d;
	unsigned long flags;
	bool first;
	va_list ap;

	spin_lock_irqsave(&d->slock, flags);
	first = !c->failing;
	c->failing = true;
	if (first) {
		va_start(ap, fmt);
		vsnprintf(c->fail_reason, sizeof(c->fail_reason), fmt, ap);
		va_end(ap);
	}
	spin_unlock_irqrestore(&d->slock, flags);
	if (first) {
		DMWARN_LIMIT("%s: connection lost: %s", d->id, c->fail_reason);
		schedule_work(&d->fail_work);
	}
}

int mark_inconsistent(struct repl_disk *d)
{
	int r = 0;

	if (!READ_ONCE(d->consistent) && READ_ONCE(d->paired))
		return 0;
	mutex_lock(&d->meta_lock);
	if (d->consistent || !d->paired) {
		/* It takes a pair's data from now on (an init's first sync). */
		d->paired = true;
		d->consistent = false;
		r = meta_write_sb(d, true);
	}
	mutex_unlock(&d->meta_lock);
	return r;
}

/*
 *--------------------------------------------------------------
 * Connection setup and teardown (d->lock held)
 *--------------------------------------------------------------
 */

/* Parks a thread that stopped working until repl_teardown() stops it. */
void park_thread(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

static void conn_free(struct repl_conn *c)
{
	repl_free_pages(c->rs_pages, REPL_CHUNK_PAGES);
	kfree(c->rs_items);
	kfree(c->vr_local);
	kfree(c->rs_scratch);
	kfree(c->rx_scratch);
	kfree(c);
}

/* Writes the VM was told are done, or is about to be, not on the peer. */
static bool unconfirmed(struct list_head *items)
{
	struct repl_item *it;

	list_for_each_entry(it, items, list)
		if ((it->kind == RI_DATA_SYNC && it->size) ||
		    it->kind == RI_STAGE || it->kind == RI_UNFLUSHED)
			return true;
	return false;
}

void repl_teardown(struct repl_disk *d, const char *reason)
{
	struct repl_conn *c = d->c;
	struct repl_item *it, *tmp;
	struct repl_filter *rf;
	LIST_HEAD(unsent);
	LIST_HEAD(items);
	bool primary, ahead;

	if (!c)
		return;
	spin_lock_irq(&d->slock);
	c->dead = true;
	c->failing = true;
	if (!reason)
		reason = c->fail_reason[0] ? c->fail_reason : "disconnected";
	strscpy(d->reason, reason, sizeof(d->reason));
	spin_unlock_irq(&d->slock);

	kernel_sock_shutdown(c->sock, SHUT_RDWR);
	wake_up_all(&c->send_wait);
	wake_up_all(&c->rs_wait);
	wake_up_all(&c->peer_wait);
	wake_up_all(&d->rs_wait);
	kthread_stop(c->sender);
	kthread_stop(c->receiver);
	if (c->resyncer)
		kthread_stop(c->resyncer);
	/* The replica's writes in flight still answer into the lists. */
	wait_event(c->peer_wait, !atomic_read(&c->peer_inflight));

	spin_lock_irq(&d->slock);
	d->c = NULL;
	if (d->verify_state == VAIO_REPL_VERIFY_RUNNING)
		d->verify_state = VAIO_REPL_VERIFY_STOPPED;
	list_splice_init(&c->send_q, &unsent);
	list_splice_init(&c->inflight, &items);
	list_splice_tail_init(&c->staged, &items);
	list_splice_tail_init(&c->flushing, &items);
	list_splice_tail_init(&c->unflushed, &items);
	primary = d->role == VAIO_REPL_ROLE_PRIMARY;
	/* Tracked ahead: the peer may not have marked itself inconsistent. */
	ahead = c->ahead_queued;
	spin_unlock_irq(&d->slock);

	/*
	 * Writes the VM was told are done (staged) or is about to be told
	 * (sync writes completed below without the peer) that the peer never
	 * confirmed: the peer holds a prefix of this generation, we hold
	 * more. Part now, on disk, before any of them completes or a held
	 * write is released, as DRBD makes a new current UUID when a primary
	 * loses its peer: if the peer is promoted meanwhile, the next connect
	 * reports a split brain instead of resyncing these writes away.
	 */
	if (primary && (ahead || unconfirmed(&unsent) || unconfirmed(&items))) {
		spin_lock_irq(&d->slock);
		gen_part(d);
		spin_unlock_irq(&d->slock);
		flush_work(&d->meta_work);	/* saved (gen_saved()) */
	}
	rs_unlock(d);

	/* Never sent: the sender's part is ours to drop too. */
	list_for_each_entry(it, &unsent, list)
		if (it->kind == RI_DATA_SYNC || it->kind == RI_FLUSH)
			remote_done(d, container_of(it, struct repl_bio, it),
				    false);
	list_splice_tail_init(&unsent, &items);
	list_for_each_entry_safe(it, tmp, &items, list) {
		list_del_init(&it->list);
		switch (it->kind) {
		case RI_DATA_SYNC:
		case RI_FLUSH:
			remote_done(d, container_of(it, struct repl_bio, it),
				    false);
			break;
		case RI_STAGE:
			spin_lock_irq(&d->slock);
			bm_set(d, it->sector, it->size);
			d->lag_writes--;
			d->lag_bytes -= (u64)container_of(it, struct repl_stage,
							  it)->nr_pages << PAGE_SHIFT;
			spin_unlock_irq(&d->slock);
			stage_done(d, container_of(it, struct repl_stage, it));
			break;
		case RI_UNFLUSHED:
			/* Answered, maybe lost in the peer's cache. */
			spin_lock_irq(&d->slock);
			unflushed_put(d, container_of(it, struct repl_stage, it),
				      true);
			spin_unlock_irq(&d->slock);
			break;
		case RI_ACK:
			peer_req_free(container_of(it, struct repl_peer_req, it));
			break;
		case RI_SYNC_DONE:
			kfree(it);
			break;
		case RI_MARK:
			kfree(container_of(it, struct repl_mark_item, it));
			break;
		default:
			break;	/* RI_RS: the bits stay set */
		}
	}
	if (!primary && c->peer_error)
		mark_inconsistent(d);
	sk_clear_memalloc(c->sock->sk);
	sockfd_put(c->sock);
	conn_free(c);

	set_conn(d, VAIO_REPL_CONN_WAITING);
	queue_work(repl_wq, &d->release_work);

	rf = d->live;
	if (rf && primary && rf->on_disconnect_fail) {
		/* As the admin's bypass: the log off first (d->lock held). */
		if (rf->f->fail_mode == VAIO_FAIL_OPEN)
			al_sb_off(d, &d->al_bypassed, true);
		vaio_filter_error(rf->f,
				  "replication: peer disconnected (on_disconnect=fail)");
	}
}

void fail_work_fn(struct work_struct *work)
{
	struct repl_disk *d = container_of(work, struct repl_disk, fail_work);

	mutex_lock(&d->lock);
	if (d->c && d->c->failing)
		repl_teardown(d, NULL);
	mutex_unlock(&d->lock);
}

int repl_connect(struct repl_disk *d, int fd, u64 peer_sectors, u8 peer_role,
		 bool full_sync, const char **err)
{
	struct repl_filter *rf;
	struct repl_conn *c;
	struct socket *sock;
	int r;

	mutex_lock(&d->lock);
	rf = d->live;
	r = -ENODEV;
	*err = "the disk has no live table with a replication filter";
	if (!rf)
		goto out;
	r = -EINVAL;
	*err = "the peer must have the other role";
	if (peer_role == d->role || peer_role > VAIO_REPL_ROLE_PRIMARY)
		goto out;
	*err = REPL_BELOW_SECONDARY;
	if (d->role == VAIO_REPL_ROLE_SECONDARY && rf->f->below_filters)
		goto out;
	*err = "peer disk smaller than this one";
	if (d->role == VAIO_REPL_ROLE_PRIMARY && peer_sectors < d->sectors)
		goto out;
	sock = sockfd_lookup(fd, &r);
	*err = "FD is not a socket";
	if (!sock)
		goto out;
	r = -EINVAL;
	*err = "FD is not a connected TCP socket";
	if (sock->type != SOCK_STREAM || sock->sk->sk_protocol != IPPROTO_TCP ||
	    sock->sk->sk_state != TCP_ESTABLISHED) {
		sockfd_put(sock);
		goto out;
	}

	repl_teardown(d, "replaced by a new connection");

	r = -ENOMEM;
	*err = "out of memory";
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		sockfd_put(sock);
		goto out;
	}
	c->d = d;
	c->sock = sock;
	c->peer_role = peer_role;
	c->full_sync = full_sync;
	c->timeout_ms = rf->timeout_ms;
	c->peer_sectors = peer_sectors;
	c->last_rx = jiffies;
	INIT_LIST_HEAD(&c->send_q);
	INIT_LIST_HEAD(&c->inflight);
	INIT_LIST_HEAD(&c->staged);
	INIT_LIST_HEAD(&c->unflushed);
	INIT_LIST_HEAD(&c->flushing);
	INIT_LIST_HEAD(&c->point.list);
	INIT_LIST_HEAD(&c->ahead_item.list);
	INIT_LIST_HEAD(&c->vr_item.list);
	init_waitqueue_head(&c->send_wait);
	init_waitqueue_head(&c->peer_wait);
	init_waitqueue_head(&c->rs_wait);
	mutex_init(&c->send_mutex);
	atomic_set(&c->peer_inflight, 0);
	atomic_set(&c->peer_pages, 0);
	c->max_peer_pages = rf->max_peer_pages;
	atomic_set(&c->rs_pending, 0);
	c->rs_scratch = kmalloc(PAGE_SIZE, GFP_KERNEL);
	c->rx_scratch = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!c->rs_scratch || !c->rx_scratch)
		goto free;
	if (d->role == VAIO_REPL_ROLE_PRIMARY) {
		c->rs_items = kcalloc(REPL_CHUNK_BITS, sizeof(*c->rs_items),
				      GFP_KERNEL);
		c->vr_local = kcalloc(REPL_CHUNK_BITS, sizeof(u32), GFP_KERNEL);
		if (!c->rs_items || !c->vr_local ||
		    repl_alloc_pages(c->rs_pages, REPL_CHUNK_PAGES, GFP_KERNEL))
			goto free;
	}

	/* As nbd: the socket's allocations must not recurse into I/O. */
	sock->sk->sk_allocation = GFP_NOIO | __GFP_MEMALLOC;
	sk_set_memalloc(sock->sk);
	sock->sk->sk_sndtimeo = msecs_to_jiffies(rf->timeout_ms);
	sock->sk->sk_rcvtimeo = msecs_to_jiffies(rf->timeout_ms) / 4 + 1;
	tcp_sock_set_nodelay(sock->sk);

	c->sender = kthread_create(repl_sender, c, "vaio-repl-tx/%s", d->id);
	if (IS_ERR(c->sender))
		goto free;
	c->receiver = kthread_create(repl_receiver, c, "vaio-repl-rx/%s", d->id);
	if (IS_ERR(c->receiver)) {
		kthread_stop(c->sender);
		goto free;
	}
	if (d->role == VAIO_REPL_ROLE_PRIMARY) {
		c->resyncer = kthread_create(repl_resyncer, c, "vaio-repl-rs/%s",
					     d->id);
		if (IS_ERR(c->resyncer)) {
			kthread_stop(c->sender);
			kthread_stop(c->receiver);
			goto free;
		}
	}

	spin_lock_irq(&d->slock);
	if (full_sync && d->role == VAIO_REPL_ROLE_PRIMARY)
		bitmap_set(d->bm, 0, d->bm_bits);
	d->c = c;
	d->connects++;
	d->reason[0] = 0;
	d->conn = VAIO_REPL_CONN_CONNECTED;
	spin_unlock_irq(&d->slock);
	if (d->new_pair && d->role == VAIO_REPL_ROLE_PRIMARY) {
		mutex_lock(&d->meta_lock);
		d->new_pair = false;
		meta_write_sb(d, true);
		mutex_unlock(&d->meta_lock);
	}
	wake_up_process(c->sender);
	wake_up_process(c->receiver);
	if (c->resyncer)
		wake_up_process(c->resyncer);
	mutex_unlock(&d->lock);
	DMINFO("%s: connected as %s", d->id, role_names[d->role]);
	repl_nl_notify(d, VAIO_REPL_CONN_CONNECTED);
	return 0;

free:
	sockfd_put(sock);
	conn_free(c);
out:
	mutex_unlock(&d->lock);
	return r;
}

int repl_disconnect(struct repl_disk *d, const char **err)
{
	mutex_lock(&d->lock);
	if (!d->c) {
		mutex_unlock(&d->lock);
		*err = "not connected";
		return -ENOTCONN;
	}
	repl_teardown(d, "disconnected by the administrator");
	mutex_unlock(&d->lock);
	return 0;
}

/*
 * Writes the VM was told are done (or will be at teardown) that the peer
 * has not confirmed: staged async writes, writes held by the lag limit,
 * and sync writes not yet answered or not yet flushed. d->slock held.
 */
static bool all_confirmed(struct repl_disk *d)
{
	struct repl_conn *c = d->c;
	struct repl_item *it;

	if (d->lag_writes || !list_empty(&d->throttled))
		return false;
	if (!c)
		return true;
	/*
	 * Connected: also no resync under way, and its SYNC_DONE sent, so
	 * that the peer is consistent and can be promoted.
	 */
	if (find_first_bit(d->bm, d->bm_bits) < d->bm_bits ||
	    !READ_ONCE(c->sync_done_sent))
		return false;
	/* Answered writes the peer may hold in a volatile cache only. */
	if (d->unflushed)
		return false;
	list_for_each_entry(it, &c->inflight, list)
		if (it->kind == RI_DATA_SYNC || it->kind == RI_FLUSH)
			return false;
	list_for_each_entry(it, &c->send_q, list)
		if (it->kind == RI_DATA_SYNC || it->kind == RI_FLUSH ||
		    it->kind == RI_SYNC_DONE || it->kind == RI_AHEAD)
			return false;
	return true;
}

/*
 * A connected primary about to be demoted: waits up to
 * REPL_DEMOTE_WAIT_MS for the peer to confirm every write, as DRBD's
 * demote waits for its epochs. -EAGAIN, the connection kept, if it has
 * not by then; the caller (vaioctl) asks again. d->lock held: the
 * connection cannot be torn down under us, a failure only marked.
 */
static int demote_drain(struct repl_disk *d, const char **err)
{
	unsigned long end = jiffies + msecs_to_jiffies(REPL_DEMOTE_WAIT_MS);
	bool done, failing;

	for (;;) {
		spin_lock_irq(&d->slock);
		done = all_confirmed(d);
		failing = d->c && d->c->failing;
		spin_unlock_irq(&d->slock);
		if (done)
			return 0;
		if (failing) {
			*err = "connection failed before the peer had every write: demote again";
			return -ECONNRESET;
		}
		if (!d->c) {
			*err = "writes held by the lag limit are being released: ask again";
			return -EAGAIN;
		}
		if (time_after(jiffies, end) || signal_pending(current)) {
			*err = "the peer lacks writes yet: ask again (still connected)";
			return -EAGAIN;
		}
		msleep_interruptible(20);
	}
}

/*
 * Is the dm device of the disk's live table open (a VM using it)? A
 * secondary refuses the VM's writes: demote waits until nothing uses it
 * (DRBD: "Device is held open by someone"). Under d->lock, which keeps
 * d->live (its dtr takes the lock).
 */
static bool repl_dev_open(struct repl_disk *d)
{
	struct repl_filter *rf = d->live;
	struct mapped_device *md;

	if (!rf)
		return false;
	md = dm_table_get_md(rf->f->ti->table);
	return disk_openers(dm_disk(md)) > 0;
}

static int demote_open_check(struct repl_disk *d, const char **err)
{
	if (!repl_dev_open(d))
		return 0;
	*err = "the device is open: stop its users (--force: discard the data)";
	return -EBUSY;
}

/*
 * The role of a disk. @init (vaioctl repl init): a disk without a
 * generation joins a new pair, whatever its data. Otherwise promote and
 * demote of a pair's disk: a promote needs data that is up to date (a
 * generation, consistent) unless @force.
 */
int repl_set_role(struct repl_disk *d, u8 role, bool force, bool skip_sync,
		  bool init, const char **err)
{
	int r = 0;

	if (role > VAIO_REPL_ROLE_PRIMARY) {
		*err = "unknown role";
		return -EINVAL;
	}
	mutex_lock(&d->lock);
	/*
	 * A disk without a generation that was in a pair (its data discarded
	 * by demote --force, or a target of an unfinished first sync) is no
	 * new disk: taking it as a new pair's primary is a forced promote.
	 */
	if (init && !d->gen && d->paired && role == VAIO_REPL_ROLE_PRIMARY &&
	    !force) {
		*err = "the disk was in a pair: promote --force takes its data";
		r = -EEXIST;
		goto out;
	}
	if (init && d->gen && d->role != role) {
		*err = role == VAIO_REPL_ROLE_PRIMARY ?
		       "the disk holds a pair's data: promote it, not init" :
		       "the disk holds a pair's data: demote it, not init";
		r = -EEXIST;
		goto out;
	}
	if (role == VAIO_REPL_ROLE_PRIMARY) {
		if (d->c && d->c->peer_role == VAIO_REPL_ROLE_PRIMARY && !force) {
			*err = "connected to a primary peer: demote it first (or force)";
			r = -EBUSY;
			goto out;
		}
		/*
		 * Never synced: a new secondary, a target of its first full
		 * resync, a disk that discarded its data, or one whose state
		 * was in memory only (no meta=) before a reboot.
		 */
		if (!d->gen && !init && !force) {
			*err = "never synced: repl init --primary for a new pair, or --force";
			r = -EBUSY;
			goto out;
		}
		/* A resync target, or a disk that ran without the filter. */
		if (!d->consistent && !init && !force) {
			*err = "the disk is inconsistent: promote --force";
			r = -EBUSY;
			goto out;
		}
		if (d->role == VAIO_REPL_ROLE_PRIMARY) {
			if (skip_sync && !d->connects && !d->history[0])
				d->new_pair = true;
			goto write;
		}
		repl_teardown(d, "promoted");
		/*
		 * What the old primary had answered from this disk's volatile
		 * cache is made durable before the new primary's activity log
		 * takes over (it does not list those writes).
		 */
		r = blkdev_issue_flush(d->bdev);
		if (r) {
			*err = "the disk failed a flush";
			goto out;
		}
		spin_lock_irq(&d->slock);
		d->role = VAIO_REPL_ROLE_PRIMARY;
		d->paired = true;
		if (!d->gen) {
			d->gen = get_random_u64() | 1;
			d->new_pair = skip_sync;
		} else {
			new_gen(d);
		}
		d->consistent = true;
		spin_unlock_irq(&d->slock);
	} else {
		/* Also forced, also init: the role itself is refused. */
		if (live_has_below(d)) {
			*err = REPL_BELOW_SECONDARY;
			r = -EBUSY;
			goto out;
		}
		if (d->role == VAIO_REPL_ROLE_SECONDARY && !force)
			goto write;
		if (!force) {
			r = demote_open_check(d, err);
			if (r)
				goto out;
		}
		/* Before the teardown, which turns the lag into bits. */
		if (d->role == VAIO_REPL_ROLE_PRIMARY && !force) {
			r = demote_drain(d, err);
			if (r)
				goto out;
			/* Opened while it waited? */
			r = demote_open_check(d, err);
			if (r)
				goto out;
		}
		/*
		 * From here no write is admitted (repl_write() fails it): a
		 * write in flight now (one that entered d->writes before) was
		 * not confirmed by the peer, unless forced.
		 */
		spin_lock_irq(&d->slock);
		/*
		 * Also a write made since demote_drain() (the device opened,
		 * written and closed meanwhile): answered, but not flushed by
		 * the peer, or its async copy not confirmed.
		 */
		if (!force && (!RB_EMPTY_ROOT(&d->writes.rb_root) ||
			       (d->role == VAIO_REPL_ROLE_PRIMARY &&
				!all_confirmed(d)))) {
			spin_unlock_irq(&d->slock);
			*err = "writes in flight: ask again (still connected)";
			r = -EAGAIN;
			goto out;
		}
		d->demoting = true;
		spin_unlock_irq(&d->slock);
		repl_teardown(d, "demoted");
		spin_lock_irq(&d->slock);
		d->demoting = false;
		d->role = VAIO_REPL_ROLE_SECONDARY;
		d->new_pair = false;
		if (force) {
			/* Discard my data: the peer's replace them whole. */
			d->gen = 0;
			memset(d->history, 0, sizeof(d->history));
			bitmap_zero(d->bm, d->bm_bits);
			d->consistent = false;
		}
		spin_unlock_irq(&d->slock);
	}
write:
	/*
	 * The bitmap too: a secondary's bits (what it wrote as a primary)
	 * are set no more, and a crash must not lose them. A primary found
	 * DIRTY sets every bit anyway.
	 */
	mutex_lock(&d->meta_lock);
	r = meta_write_bm(d) ?: meta_write_sb(d, true);
	mutex_unlock(&d->meta_lock);
	if (r)
		*err = "cannot write the metadata";
out:
	mutex_unlock(&d->lock);
	if (!r) {
		set_conn(d, d->c ? d->conn : VAIO_REPL_CONN_WAITING);
		repl_nl_notify(d, READ_ONCE(d->conn));
	}
	return r;
}
