// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio-replication: the replication filter.
 *
 * Every write of a primary disk is sent to the peer host over a TCP socket
 * that vaiod authenticated and handed over (VAIO_REPL_CMD_CONNECT):
 *
 *   sync   the VM's write completes when the local disk and the peer have
 *          it (the peer answers WRITE_ACK once its write completed, in a
 *          volatile cache maybe: the primary keeps its range until the
 *          peer answered a later FLUSH);
 *   async  the write is copied and completes when the local disk has it;
 *          the copies stream in epochs, which the peer applies one after
 *          the other, so its disk always holds a prefix of the primary's
 *          history (Documentation/replication.rst).
 *
 * What the peer may lack is tracked in a bitmap (a bit per 4 KiB): writes
 * made while disconnected, not acknowledged (or not flushed), or pulled
 * ahead of the stream. On connect the secondary sends its own bitmap (what it wrote as
 * a primary), and the primary resyncs every set bit, a 1 MiB chunk at a
 * time, with the VM's writes to that chunk held meanwhile.
 *
 * Threads, per connection: a sender (the one writer of frames besides
 * short answers), a receiver, and on a primary a resyncer. The connection
 * is torn down by repl_teardown() (with the disk's mutex held): the
 * socket is shut down, the threads stopped, then everything unanswered is
 * set in the bitmap and completed.
 *
 * This file holds the filter type (its table arguments, events and
 * status), the repl_disks that a device's successive tables share, and
 * the module. The rest, one concern a file, as in DRBD:
 *
 *   repl-req.c     the VM's writes on a primary (map, end_io)
 *   repl-send.c    the sender thread
 *   repl-recv.c    the receiver thread, a handler per frame type
 *   repl-sync.c    the resyncer thread: resync and online verify
 *   repl-state.c   roles, connection setup and teardown, state changes
 *   repl-bitmap.c  the out-of-sync bitmap and per-chunk write counters
 *   repl-meta.c    the metadata device: superblock, generations, marks
 *   repl-al.c      the activity log: the extents a primary writes to
 *   repl-nl.c      the netlink family vaio_repl
 *   repl.h         what they share
 */

#include "repl.h"

#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/dm-io.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

static LIST_HEAD(repl_disks);
static DEFINE_MUTEX(repl_disks_lock);
static u64 repl_serial;		/* under repl_disks_lock */
struct dm_io_client *repl_io_client;
struct workqueue_struct *repl_wq;

const char * const role_names[] = { "secondary", "primary" };
static const char * const conn_names[] = {
	"standalone", "waiting", "connected", "sync-source", "sync-target",
	"gone",
};

/*
 *--------------------------------------------------------------
 * repl_disk lookup and lifetime
 *--------------------------------------------------------------
 */

static struct repl_disk *find_disk(const char *id)
{
	struct repl_disk *d;

	list_for_each_entry(d, &repl_disks, list)
		if (!strcmp(d->id, id))
			return d;
	return NULL;
}

struct repl_disk *repl_disk_get_by_id(const char *id)
{
	struct repl_disk *d;

	mutex_lock(&repl_disks_lock);
	d = find_disk(id);
	if (d)
		d->users++;
	mutex_unlock(&repl_disks_lock);
	return d;
}

static void disk_free(struct repl_disk *d)
{
	vfree(d->bm);
	kvfree(d->chunk_writes);
	kfree(d->sb_buf);
	al_free_all(d);
	kfree(d);
}

void repl_disk_put(struct repl_disk *d)
{
	mutex_lock(&repl_disks_lock);
	if (--d->users) {
		mutex_unlock(&repl_disks_lock);
		return;
	}
	list_del(&d->list);
	mutex_unlock(&repl_disks_lock);

	mutex_lock(&d->lock);
	repl_teardown(d, "the disk is gone");
	mutex_unlock(&d->lock);
	cancel_work_sync(&d->fail_work);
	cancel_work_sync(&d->release_work);
	cancel_work_sync(&d->meta_work);
	/* No write is in flight: the last table is gone. */
	WARN_ON_ONCE(!RB_EMPTY_ROOT(&d->writes.rb_root));
	cancel_work_sync(&d->overlap_work);
	WARN_ON_ONCE(!list_empty(&d->al_waiters));
	cancel_work_sync(&d->al_work);
	repl_nl_notify(d, VAIO_REPL_CONN_GONE);
	mutex_lock(&d->meta_lock);
	meta_close(d);
	mutex_unlock(&d->meta_lock);
	disk_free(d);
}

/* Calls @fn for each disk whose serial is above @after, in serial order. */
int repl_disk_for_each(int (*fn)(struct repl_disk *d, void *arg), void *arg,
		       u64 after)
{
	struct repl_disk *d;
	int r = 0;

	mutex_lock(&repl_disks_lock);
	list_for_each_entry(d, &repl_disks, list) {
		if (d->serial <= after)
			continue;
		r = fn(d, arg);
		if (r)
			break;
	}
	mutex_unlock(&repl_disks_lock);
	return r;
}

/*
 * A table of a disk that exists, longer than it: the bitmap and the
 * per-chunk counters it will need, allocated now (its GROW event may not
 * fail), and room in the metadata checked. repl_disks_lock held.
 */
static int grow_prepare(struct repl_disk *d, struct repl_filter *rf,
			sector_t len, char **error)
{
	unsigned long bits = DIV_ROUND_UP(len, 1U << REPL_BM_SHIFT);
	unsigned long chunks = DIV_ROUND_UP(len, 1U << REPL_CHUNK_SHIFT);

	if (d->meta && bdev_nr_bytes(d->meta) < 4096 + bm_alloc_bytes(bits)) {
		*error = "replication: metadata device too small for the grown disk";
		return -ENOSPC;
	}
	/* The activity log is at the end: the bitmap may not reach it. */
	if (d->al_sector &&
	    ((u64)d->al_sector << 9) < 4096 + bm_alloc_bytes(bits)) {
		*error = "replication: metadata too small for the grown disk and its log";
		return -ENOSPC;
	}
	rf->grow_bm = vzalloc(bm_alloc_bytes(bits));
	rf->grow_chunks = kvcalloc(chunks, sizeof(atomic_t), GFP_KERNEL);
	if (!rf->grow_bm || !rf->grow_chunks) {
		vfree(rf->grow_bm);
		kvfree(rf->grow_chunks);
		rf->grow_bm = NULL;
		rf->grow_chunks = NULL;
		*error = "replication: out of memory";
		return -ENOMEM;
	}
	rf->grow_sectors = len;
	return 0;
}

/* Finds or makes the disk of a new table; +users. */
static struct repl_disk *disk_get(struct vaio_filter *f, struct dm_dev *meta,
				  char **error, int *err)
{
	struct repl_filter *rf = f->private;
	const char *id = vaio_disk_id(f);
	struct repl_disk *d;
	int r;

	mutex_lock(&repl_disks_lock);
	d = find_disk(id);
	if (d) {
		*err = 0;
		if (d->sectors > f->ti->len) {
			*error = "replication: shrinking a replicated disk is not supported";
			*err = -EINVAL;
		} else if (d->meta_dev != (meta ? meta->bdev->bd_dev : 0)) {
			*error = "replication: meta= cannot change while the disk exists";
			*err = -EINVAL;
		} else if (d->sectors < f->ti->len) {
			*err = grow_prepare(d, rf, f->ti->len, error);
		}
		if (*err)
			d = NULL;
		else
			d->users++;
		mutex_unlock(&repl_disks_lock);
		return d;
	}

	*err = -ENOMEM;
	*error = "replication: out of memory";
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		goto unlock;
	strscpy(d->id, id, sizeof(d->id));
	mutex_init(&d->lock);
	mutex_init(&d->meta_lock);
	spin_lock_init(&d->slock);
	INIT_WORK(&d->fail_work, fail_work_fn);
	INIT_WORK(&d->release_work, release_work_fn);
	INIT_WORK(&d->meta_work, meta_work_fn);
	INIT_WORK(&d->overlap_work, overlap_work_fn);
	d->writes = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&d->overlapped);
	INIT_LIST_HEAD(&d->throttled);
	INIT_LIST_HEAD(&d->rs_waiters);
	INIT_LIST_HEAD(&d->gen_waiters);
	init_waitqueue_head(&d->rs_wait);
	d->rs_chunk = -1;
	d->bdev = f->data_dev->bdev;
	d->sectors = f->ti->len;
	d->bm_bits = DIV_ROUND_UP(d->sectors, 1U << REPL_BM_SHIFT);
	d->nr_chunks = DIV_ROUND_UP(d->sectors, 1U << REPL_CHUNK_SHIFT);
	/* Without a generation: no replica of anything yet. */
	d->consistent = false;
	d->conn = VAIO_REPL_CONN_WAITING;
	d->bm = vzalloc(bm_alloc_bytes(d->bm_bits));
	d->chunk_writes = kvcalloc(d->nr_chunks, sizeof(atomic_t), GFP_KERNEL);
	d->sb_buf = kzalloc(4096, GFP_KERNEL);
	if (!d->bm || !d->chunk_writes || !d->sb_buf || al_init(d))
		goto free;
	d->al_limit = rf->al_limit;
	/*
	 * Until its first resume the device may run another table, whose
	 * writes no log lists (and no ATTACH will tell: the disk is new).
	 */
	d->al_quiesced = true;
	if (meta) {
		r = meta_open(d, meta, error);
		if (r) {
			*err = r;
			if (d->meta)
				meta_drop(d);
			goto free;
		}
	}
	d->users = 1;
	d->serial = ++repl_serial;
	list_add_tail(&d->list, &repl_disks);
	mutex_unlock(&repl_disks_lock);
	return d;

free:
	disk_free(d);
	d = NULL;
unlock:
	mutex_unlock(&repl_disks_lock);
	return d;
}

/*
 *--------------------------------------------------------------
 * Filter operations
 *--------------------------------------------------------------
 */

static const struct vaio_param repl_params[] = {
	{ .name = "mode", .kind = VAIO_PARAM_KIND_ENUM, .choices = "sync|async",
	  .def = "sync",
	  .help = "sync: a write completes on both disks; async: on the local one" },
	{ .name = "peer", .kind = VAIO_PARAM_KIND_STRING,
	  .help = "the other host, HOST:PORT (vaiod dials or accepts it; required)" },
	{ .name = "remote_disk", .kind = VAIO_PARAM_KIND_STRING,
	  .def = "this disk's disk_id", .help = "the disk_id on the peer" },
	{ .name = "secret", .kind = VAIO_PARAM_KIND_STRING,
	  .def = "/etc/vaio/secrets/default",
	  .help = "file with the shared secret vaiod authenticates the peer with" },
	{ .name = "meta", .kind = VAIO_PARAM_KIND_STRING,
	  .help = "metadata device (role, generations, bitmap); else lost at reboot" },
	{ .name = "timeout_ms", .kind = VAIO_PARAM_KIND_UINT, .min = 500,
	  .max = 600000, .def = "6000",
	  .help = "a peer silent this long is disconnected" },
	{ .name = "max_lag_kib", .kind = VAIO_PARAM_KIND_UINT, .min = 64,
	  .max = 16777216, .def = "65536",
	  .help = "async: most data written locally and not yet on the peer" },
	{ .name = "on_lag", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = "throttle|track", .def = "throttle",
	  .help = "async, past max_lag_kib: slow the VM's writes, or track them and resync" },
	{ .name = "on_disconnect", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = "track|fail", .def = "track",
	  .help = "peer lost: track the changes, or fail the filter" },
	{ .name = "resync_kibps", .kind = VAIO_PARAM_KIND_UINT, .min = 0,
	  .max = 4194304, .def = "102400",
	  .help = "resync rate limit in KiB/s (0: unlimited)" },
	{ .name = "max_buffers_kib", .kind = VAIO_PARAM_KIND_UINT, .min = 1024,
	  .max = 1048576, .def = "8192",
	  .help = "secondary: most received write data held in memory (DRBD's max-buffers)" },
	{ .name = "al_extents", .kind = VAIO_PARAM_KIND_UINT, .min = REPL_AL_MIN,
	  .max = REPL_AL_MAX, .def = __stringify(REPL_AL_DEFAULT),
	  .help = "activity log (meta=): 4 MiB extents written at once; resynced after a crash" },
	{ }
};

static int repl_ctr(struct vaio_filter *f, unsigned int argc, char **argv,
		    char **error)
{
	const char *mode = vaio_param(argc, argv, "mode");
	const char *peer = vaio_param(argc, argv, "peer");
	const char *remote = vaio_param(argc, argv, "remote_disk");
	const char *secret = vaio_param(argc, argv, "secret");
	unsigned int kib;
	const char *v;
	struct repl_filter *rf;
	int r;

	if (!peer || !strchr(peer, ':')) {
		*error = "replication needs peer=HOST:PORT";
		return -EINVAL;
	}
	if (remote && strlen(remote) >= VAIO_NAME_MAX) {
		*error = "replication: remote_disk= too long";
		return -EINVAL;
	}
	rf = kzalloc(sizeof(*rf), GFP_KERNEL);
	if (!rf) {
		*error = "replication: out of memory";
		return -ENOMEM;
	}
	rf->f = f;
	rf->mode = mode && !strcmp(mode, "async") ? VAIO_REPL_MODE_ASYNC :
						     VAIO_REPL_MODE_SYNC;
	v = vaio_param(argc, argv, "on_lag");
	rf->on_lag_track = v && !strcmp(v, "track");
	v = vaio_param(argc, argv, "on_disconnect");
	rf->on_disconnect_fail = v && !strcmp(v, "fail");
	rf->timeout_ms = 6000;
	v = vaio_param(argc, argv, "timeout_ms");
	if (v && kstrtou32(v, 10, &rf->timeout_ms))
		goto bad;
	rf->max_lag_bytes = 65536ULL << 10;
	v = vaio_param(argc, argv, "max_lag_kib");
	if (v && kstrtou64(v, 10, &rf->max_lag_bytes))
		goto bad;
	if (v)
		rf->max_lag_bytes <<= 10;
	kib = 8192;
	v = vaio_param(argc, argv, "max_buffers_kib");
	if (v && kstrtouint(v, 10, &kib))
		goto bad;
	rf->max_peer_pages = kib >> (PAGE_SHIFT - 10);
	rf->al_limit = REPL_AL_DEFAULT;
	v = vaio_param(argc, argv, "al_extents");
	if (v && kstrtouint(v, 10, &rf->al_limit))
		goto bad;
	rf->resync_bps = 102400ULL << 10;
	v = vaio_param(argc, argv, "resync_kibps");
	if (v && kstrtou64(v, 10, &rf->resync_bps))
		goto bad;
	if (v)
		rf->resync_bps <<= 10;
	strscpy(rf->peer, peer, sizeof(rf->peer));
	strscpy(rf->remote, remote ?: vaio_disk_id(f), sizeof(rf->remote));
	strscpy(rf->secret, secret ?: "/etc/vaio/secrets/default",
		sizeof(rf->secret));

	/* A write must fit in one frame: dm splits bigger ones. */
	r = dm_set_target_max_io_len(f->ti, VAIO_REPL_MAX_PAYLOAD >> 9);
	if (r) {
		kfree(rf);
		*error = "replication: cannot limit the I/O size";
		return r;
	}
	v = vaio_param(argc, argv, "meta");
	if (v) {
		*error = NULL;
		r = vaio_get_device(f, v, REPL_META_USE, false, &rf->meta_dd,
				    error);
		if (r) {
			if (!*error)
				*error = "cannot open the metadata device (meta=)";
			kfree(rf);
			return r;
		}
	}
	f->private = rf;	/* disk_get() reads it */
	rf->d = disk_get(f, rf->meta_dd, error, &r);
	if (!rf->d) {
		f->private = NULL;
		if (rf->meta_dd)
			vaio_put_device(f, rf->meta_dd);
		kfree(rf);
		return r;
	}
	return 0;
bad:
	kfree(rf);
	*error = "replication: bad number";
	return -EINVAL;
}

/*
 * A table with filters below replication (a cache) is refused for a
 * secondary (REPL_BELOW_SECONDARY). A disk with no generation that was
 * never in a pair (a new disk, secondary by default) may load one: it
 * becomes a primary with init --primary; init --secondary and a connect
 * as a secondary are refused while such a table is live.
 */
static int repl_table_check(struct vaio_filter *f, char **error)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;
	int r = 0;

	if (!f->below_filters)
		return 0;
	mutex_lock(&d->lock);
	if (d->role == VAIO_REPL_ROLE_SECONDARY &&
	    (d->gen || d->paired || d->c)) {
		*error = REPL_BELOW_SECONDARY;
		r = -EINVAL;
	}
	mutex_unlock(&d->lock);
	return r;
}

static bool below_idle(struct repl_filter *rf)
{
	struct repl_disk *d = rf->d;
	bool idle;

	spin_lock_irq(&d->slock);
	idle = !rf->below_io;
	spin_unlock_irq(&d->slock);
	return idle;
}

static void repl_dtr(struct vaio_filter *f)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;

	mutex_lock(&d->lock);
	spin_lock_irq(&d->slock);
	if (d->live == rf)
		d->live = NULL;
	spin_unlock_irq(&d->slock);
	mutex_unlock(&d->lock);
	/*
	 * I/O through the filters below (below_get()) may have taken this
	 * filter as d->live before: the table is suspended or going, so it
	 * ends at once (BLK_STS_OFFLINE), but it must not outlive the filter.
	 * Only this filter's: a newer table's reads are not waited for.
	 */
	wait_event(d->rs_wait, below_idle(rf));
	repl_disk_put(d);
	/* After the disk's last metadata write (meta_close()), if it was. */
	if (rf->meta_dd)
		vaio_put_device(f, rf->meta_dd);
	vfree(rf->grow_bm);
	kvfree(rf->grow_chunks);
	kfree(rf);
}

/*
 * The filter leaves a live disk (a table without it resumes; this one is
 * suspended, no write comes any more). A primary's async lag is what the
 * replica still lacks: let it drain, for at most 4 timeouts, so that the
 * replica stays a complete copy of the disk as it was. Then the connection
 * ends; what did not drain stays tracked in the bitmap.
 */
static void repl_detach(struct repl_filter *rf)
{
	struct repl_disk *d = rf->d;
	unsigned long end = jiffies + 4 * msecs_to_jiffies(rf->timeout_ms);
	u64 lag;

	for (;;) {
		spin_lock_irq(&d->slock);
		lag = d->c && !d->c->dead ? d->lag_bytes : 0;
		spin_unlock_irq(&d->slock);
		if (!lag || time_after(jiffies, end) ||
		    d->role != VAIO_REPL_ROLE_PRIMARY)
			break;
		msleep(20);
	}
	if (lag)
		DMWARN("%s: detached with %llu KiB not on the replica (tracked)",
		       d->id, lag >> 10);
	mutex_lock(&d->lock);
	if (d->live == rf)
		repl_teardown(d, "detached");
	mutex_unlock(&d->lock);
}

/*
 * A snapshot event on a primary: a mark in the stream after every write
 * completed before it. (async: it closes the epoch, as a flush does.)
 */
static void repl_snapshot_mark(struct repl_filter *rf, const char *tag)
{
	struct repl_disk *d = rf->d;
	struct repl_mark_item *mi;
	struct repl_conn *c;

	mi = kzalloc(sizeof(*mi), GFP_NOIO);
	if (!mi) {
		DMERR("%s: snapshot %s: no memory for its mark", d->id, tag);
		return;
	}
	mi->it.kind = RI_MARK;
	mi->m.time = cpu_to_be64(ktime_get_real_seconds());
	strscpy(mi->m.tag, tag, sizeof(mi->m.tag));
	mutex_lock(&d->meta_lock);
	spin_lock_irq(&d->slock);
	c = d->c;
	if (!c || c->failing) {
		spin_unlock_irq(&d->slock);
		mutex_unlock(&d->meta_lock);
		DMWARN("%s: snapshot %s: the connection ended: no mark", d->id, tag);
		kfree(mi);
		return;
	}
	if (rf->mode == VAIO_REPL_MODE_ASYNC) {
		d->flush_seen = true;
		d->cur_epoch++;
	}
	mark_add(d, &mi->m, d->sent, false);
	list_add_tail(&mi->it.list, &c->send_q);
	kick_sender(c);
	spin_unlock_irq(&d->slock);
	meta_write_sb(d, true);
	mutex_unlock(&d->meta_lock);
	repl_nl_notify(d, READ_ONCE(d->conn));
}

/*
 * The disk grew (a longer table resumes; the old one is suspended, no
 * write is in flight). The connection ends (its threads walk the bitmap),
 * the bitmap and the counters are replaced by the larger ones made at the
 * table's construction, and on a primary the new area is out of sync: the
 * resync after vaiod connects again copies it to the (grown) replica.
 */
static void repl_grow(struct repl_filter *rf)
{
	struct repl_disk *d = rf->d;
	sector_t old, len = rf->grow_sectors;
	unsigned long *old_bm;
	atomic_t *old_chunks;

	if (!len)
		return;
	mutex_lock(&d->lock);
	repl_teardown(d, "the disk grew");
	mutex_lock(&d->meta_lock);
	spin_lock_irq(&d->slock);
	old = d->sectors;
	old_bm = d->bm;
	old_chunks = d->chunk_writes;
	bitmap_copy(rf->grow_bm, d->bm, d->bm_bits);
	d->bm = rf->grow_bm;
	d->chunk_writes = rf->grow_chunks;
	d->sectors = len;
	d->bm_bits = DIV_ROUND_UP(len, 1U << REPL_BM_SHIFT);
	d->nr_chunks = DIV_ROUND_UP(len, 1U << REPL_CHUNK_SHIFT);
	if (d->role == VAIO_REPL_ROLE_PRIMARY)
		bm_set(d, old, (u64)(len - old) << 9);
	spin_unlock_irq(&d->slock);
	rf->grow_bm = NULL;
	rf->grow_chunks = NULL;
	rf->grow_sectors = 0;
	/* The new area's bits before the superblock that says it is ours. */
	if (meta_write_bm(d) || meta_write_sb(d, true))
		DMERR("%s: grown, but the metadata could not be written", d->id);
	mutex_unlock(&d->meta_lock);
	mutex_unlock(&d->lock);
	vfree(old_bm);
	kvfree(old_chunks);
	DMINFO("%s: grown from %llu to %llu sectors", d->id,
	       (unsigned long long)old, (unsigned long long)len);
	repl_nl_notify(d, READ_ONCE(d->conn));
}

/*
 * The disk runs, or ran, under a table without replication (another
 * target's, or a vaio table without the filter): writes that no bitmap
 * holds may be anywhere on it. A primary resyncs all of it. A secondary's
 * disk is no replica any more: inconsistent, and without a generation, so
 * that the primary sends all of it when they connect (vaio_repl_decide())
 * and a promote needs --force until then. Saved at once.
 */
static void repl_ran_without(struct repl_disk *d, const char *what)
{
	bool primary;

	mutex_lock(&d->lock);
	primary = d->role == VAIO_REPL_ROLE_PRIMARY;
	/* A resync under way would end in SYNC_DONE: consistent again. */
	if (!primary && d->c)
		repl_teardown(d, what);
	mutex_lock(&d->meta_lock);
	spin_lock_irq(&d->slock);
	if (primary) {
		bitmap_set(d->bm, 0, d->bm_bits);
	} else {
		d->consistent = false;
		d->gen = 0;
	}
	spin_unlock_irq(&d->slock);
	/*
	 * The bits first: the superblock may name the activity log again
	 * (RESUME of an active filter), which then no longer needs to cover
	 * what ran without the filter.
	 */
	if (meta_write_bm(d) || meta_write_sb(d, true))
		DMERR("%s: %s, but the metadata could not be written", d->id, what);
	mutex_unlock(&d->meta_lock);
	mutex_unlock(&d->lock);
	DMWARN("%s: %s: %s", d->id, what, primary ? "full resync" :
	       "a full sync from the primary when it connects");
}

static void repl_event(struct vaio_filter *f, const struct vaio_event *ev)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;

	if (ev->type == VAIO_EV_SNAPSHOT) {
		if (READ_ONCE(d->role) == VAIO_REPL_ROLE_PRIMARY)
			repl_snapshot_mark(rf, ev->tag);
		return;
	}
	if (ev->type == VAIO_EV_DETACH) {
		repl_detach(rf);
		if (!ev->disk_gone)
			repl_ran_without(d, "detached, the disk runs on");
		else if (READ_ONCE(f->state) == VAIO_FILTER_BYPASSED)
			repl_ran_without(d, "removed while bypassed");
		return;
	}
	if (ev->type == VAIO_EV_ATTACH) {
		if (!ev->disk_new)
			repl_ran_without(d, "joined a disk that ran without replication");
		return;
	}
	if (ev->type == VAIO_EV_GROW) {
		repl_grow(rf);
		return;
	}
	/*
	 * The next table may be another target's, whose writes no log
	 * lists: the superblock says "no log" (a crash resyncs all) until
	 * this disk's filter resumes (or, with another target between,
	 * ATTACH has set and saved every bit).
	 */
	if (ev->type == VAIO_EV_QUIESCE) {
		if (ev->flush) {
			mutex_lock(&d->lock);
			al_sb_off(d, &d->al_quiesced, true);
			mutex_unlock(&d->lock);
		}
		return;
	}

	if (ev->type == VAIO_EV_SUSPEND) {
		/* dm waits for every bio: none may wait for the lag now. */
		spin_lock_irq(&d->slock);
		d->no_throttle = true;
		spin_unlock_irq(&d->slock);
		queue_work(repl_wq, &d->release_work);
		flush_work(&d->release_work);
		/* Writes held for a new generation's save: it ends now. */
		flush_work(&d->meta_work);
		return;
	}
	if (ev->type != VAIO_EV_RESUME)
		return;
	mutex_lock(&d->lock);
	/*
	 * Before any write: the log covers them again. Not while bypassed:
	 * an active filter was reactivated or joined anew, and either way
	 * saved every bit first (repl_ran_without()).
	 */
	al_sb_off(d, &d->al_quiesced, false);
	if (READ_ONCE(f->state) == VAIO_FILTER_ACTIVE)
		al_sb_off(d, &d->al_bypassed, false);
	/*
	 * Demoted between this table's load and now, which its check did
	 * not see: no secondary connection with filters below (and no new
	 * one, repl_connect()).
	 */
	if (f->below_filters && d->role == VAIO_REPL_ROLE_SECONDARY && d->c)
		repl_teardown(d, "filters below a secondary");
	spin_lock_irq(&d->slock);
	d->no_throttle = false;
	d->live = rf;
	d->bdev = f->data_dev->bdev;
	d->peer_pages_max = 0;		/* the high water of this table */
	d->al_limit = rf->al_limit;
	spin_unlock_irq(&d->slock);
	if (d->c) {
		/* The new table's bound, for the connection it keeps. */
		WRITE_ONCE(d->c->max_peer_pages, rf->max_peer_pages);
		wake_up(&d->c->peer_wait);
	}
	mutex_unlock(&d->lock);
	repl_nl_notify(d, READ_ONCE(d->conn));
	queue_work(repl_wq, &d->release_work);
}

static int repl_event_check(struct vaio_filter *f, const struct vaio_event *ev,
			    const char **reason)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;

	if (ev->type == VAIO_EV_SNAPSHOT &&
	    READ_ONCE(d->role) == VAIO_REPL_ROLE_PRIMARY) {
		bool ok;

		spin_lock_irq(&d->slock);
		ok = d->c && !d->c->failing &&
		     d->conn == VAIO_REPL_CONN_CONNECTED && !bm_bytes(d);
		spin_unlock_irq(&d->slock);
		if (!ok) {
			*reason = "replication: the replica is not connected and in sync";
			return -EAGAIN;
		}
	}
	if (ev->type == VAIO_EV_GROW && READ_ONCE(d->role) ==
	    VAIO_REPL_ROLE_PRIMARY) {
		bool small;

		spin_lock_irq(&d->slock);
		small = d->c && d->c->peer_sectors < ev->new_len;
		spin_unlock_irq(&d->slock);
		if (small) {
			*reason = "replication: grow the replica's disk first";
			return -ENOSPC;
		}
	}
	return 0;
}

/*
 * Bypassed, the filter tracked nothing: the disk ran without it (a primary
 * resyncs all, a secondary is replaced; saved at once). Failed closed,
 * nothing got past it, but what made it fail may have cost tracking: a
 * primary resyncs all the same.
 */
static int repl_reactivate(struct vaio_filter *f)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;

	if (READ_ONCE(f->state) == VAIO_FILTER_BYPASSED ||
	    READ_ONCE(d->role) == VAIO_REPL_ROLE_PRIMARY)
		repl_ran_without(d, "reactivated");
	return 0;
}

/*
 * Bypassed, the filter tracks nothing and no activity log lists the
 * writes: the superblock says "no log" first, so that a crash resyncs all
 * (reactivated, the filter does anyway: repl_ran_without()).
 */
static int repl_prepare_bypass(struct vaio_filter *f)
{
	struct repl_filter *rf = f->private;
	int r;

	mutex_lock(&rf->d->lock);
	r = al_sb_off(rf->d, &rf->d->al_bypassed, true);
	mutex_unlock(&rf->d->lock);
	return r;
}

static void repl_io_hints(struct vaio_filter *f, struct queue_limits *limits)
{
	/* A write must fit in one frame. */
	limits->max_sectors = min_not_zero(limits->max_sectors,
					   VAIO_REPL_MAX_PAYLOAD >> 9);
	limits->max_hw_sectors = min_not_zero(limits->max_hw_sectors,
					      VAIO_REPL_MAX_PAYLOAD >> 9);
	/*
	 * A discard or zeroes at most VAIO_REPL_MAX_EXTENT (the block layer
	 * splits them to these limits): the secondary zeroes one in its
	 * receiver, which must answer within timeout_ms. 0 stays 0.
	 */
	limits->max_discard_sectors = min_t(unsigned int,
					    limits->max_discard_sectors,
					    VAIO_REPL_MAX_EXTENT >> 9);
	limits->max_hw_discard_sectors = min_t(unsigned int,
					       limits->max_hw_discard_sectors,
					       VAIO_REPL_MAX_EXTENT >> 9);
	limits->max_secure_erase_sectors = min_t(unsigned int,
						 limits->max_secure_erase_sectors,
						 VAIO_REPL_MAX_EXTENT >> 9);
	limits->max_write_zeroes_sectors = min_t(unsigned int,
						 limits->max_write_zeroes_sectors,
						 VAIO_REPL_MAX_EXTENT >> 9);
}

static void repl_status(struct vaio_filter *f, char *result, unsigned int maxlen)
{
	struct repl_filter *rf = f->private;
	struct repl_disk *d = rf->d;
	static const char * const verify_names[] = {
		"none", "running", "done", "stopped",
	};
	u64 oos, total, done, lag_w, lag_b, vdiff, al_writes, flushes;
	unsigned int sz = 0, pct, al_listed, unflushed;
	u8 role, conn, vstate;

	spin_lock_irq(&d->slock);
	role = d->role;
	conn = d->conn;
	lag_w = d->lag_writes;
	lag_b = d->lag_bytes;
	oos = bm_bytes(d);
	total = d->sync_total;
	done = d->sync_done_bytes;
	vstate = d->verify_state;
	vdiff = d->verify_diff;
	al_listed = d->al_listed;
	al_writes = d->al_writes;
	unflushed = d->unflushed;
	flushes = d->flushes;
	spin_unlock_irq(&d->slock);
	pct = total ? div64_u64(min(done, total) * 100, total) : 100;
	DMEMIT("role %s conn %s mode %s ", role_names[role], conn_names[conn],
	       rf->mode == VAIO_REPL_MODE_ASYNC ? "async" : "sync");
	DMEMIT("lag_writes %llu lag_kib %llu oos_kib %llu sync_pct %u ",
	       lag_w, lag_b >> 10, oos >> 10, pct);
	DMEMIT("sent %llu acked %llu recv %llu ", d->sent, d->acked, d->recv);
	DMEMIT("buffers_max_kib %u overlaps %llu ",
	       d->peer_pages_max << (PAGE_SHIFT - 10), READ_ONCE(d->overlaps));
	DMEMIT("verify %s verify_diff_kib %llu ", verify_names[vstate],
	       vdiff >> 10);
	DMEMIT("al_extents %u al_writes %llu unflushed %u flushes %llu",
	       al_listed, al_writes, unflushed, flushes);
}

static struct vaio_filter_type repl_type = {
	.name = "replication",
	.class = VAIO_CLASS_REPLICATION,
	.version = { 1, 0, 0 },
	.owner = THIS_MODULE,
	.per_bio_data_size = sizeof(struct repl_bio),
	.params = repl_params,
	/* Bypassed, it tracks nothing: reactivated, it resyncs all. */
	.fail_modes = VAIO_ALLOW_FAIL_OPEN | VAIO_ALLOW_FAIL_CLOSED,
	.ops = {
		.ctr = repl_ctr,
		.dtr = repl_dtr,
		.table_check = repl_table_check,
		.map = repl_map,
		.end_io = repl_end_io,
		.event_check = repl_event_check,
		.event = repl_event,
		.status = repl_status,
		.io_hints = repl_io_hints,
		.reactivate = repl_reactivate,
		.prepare_bypass = repl_prepare_bypass,
	},
};

/* For repl-nl.c: a consistent copy of what GET reports. */
void repl_snapshot(struct repl_disk *d, struct repl_info *info)
{
	struct repl_filter *rf;
	struct repl_item *it;
	unsigned int i;

	spin_lock_irq(&d->slock);
	rf = d->live;
	info->role = d->role;
	info->conn = d->conn;
	info->consistent = d->consistent;
	info->new_pair = d->new_pair;
	info->gen = d->gen;
	memcpy(info->history, d->history, sizeof(info->history));
	info->sectors = d->sectors;
	info->lag_writes = d->lag_writes;
	info->lag_bytes = d->lag_bytes;
	info->lag_ms = 0;
	if (d->c) {
		it = list_first_entry_or_null(&d->c->staged, struct repl_item,
					      list);
		if (it)
			info->lag_ms = jiffies_to_msecs(jiffies - it->start);
	}
	info->oos_bytes = bm_bytes(d);
	info->sync_total = d->sync_total;
	info->sync_bps = d->sync_bps;
	info->sent = d->sent;
	info->acked = d->acked;
	info->recv = d->recv;
	info->resynced = d->resynced;
	info->connects = d->connects;
	info->nr_marks = d->nr_marks;
	memcpy(info->marks, d->marks, sizeof(info->marks));
	for (i = 0; i < d->nr_marks; i++) {
		u64 now = d->role == VAIO_REPL_ROLE_PRIMARY ? d->sent : d->recv;

		info->marks_after[i] = now > d->marks[i].count ?
				       now - d->marks[i].count : 0;
	}
	info->verify_state = d->verify_state;
	info->verify_total = d->verify_total;
	info->verify_done = d->verify_done;
	info->verify_diff = d->verify_diff;
	info->verify_extents = d->verify_extents;
	info->verify_bps = 0;
	if (d->verify_state == VAIO_REPL_VERIFY_RUNNING &&
	    time_after(jiffies, d->verify_start))
		info->verify_bps = div64_u64(d->verify_done * HZ,
					     jiffies - d->verify_start);
	strscpy(info->reason, d->reason, sizeof(info->reason));
	info->has_live = rf;
	if (rf) {
		info->mode = rf->mode;
		strscpy(info->peer, rf->peer, sizeof(info->peer));
		strscpy(info->remote, rf->remote, sizeof(info->remote));
		strscpy(info->secret, rf->secret, sizeof(info->secret));
	}
	spin_unlock_irq(&d->slock);
}

static int __init repl_init(void)
{
	int r;

	repl_wq = alloc_workqueue("vaio-repl", WQ_MEM_RECLAIM, 0);
	if (!repl_wq)
		return -ENOMEM;
	repl_io_client = dm_io_client_create();
	if (IS_ERR(repl_io_client)) {
		r = PTR_ERR(repl_io_client);
		goto wq;
	}
	r = vaio_register_filter(&repl_type);
	if (r)
		goto destroy;
	r = repl_nl_init();
	if (r)
		goto unregister;
	return 0;

unregister:
	vaio_unregister_filter(&repl_type);
destroy:
	dm_io_client_destroy(repl_io_client);
wq:
	destroy_workqueue(repl_wq);
	return r;
}

static void __exit repl_exit(void)
{
	/* First: no netlink request may find a disk any more (nbd/004). */
	repl_nl_exit();
	vaio_unregister_filter(&repl_type);
	dm_io_client_destroy(repl_io_client);
	destroy_workqueue(repl_wq);
}

module_init(repl_init);
module_exit(repl_exit);

MODULE_DESCRIPTION("dm-vaio replication filter");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-vaio-replication");
