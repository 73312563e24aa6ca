// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio-qos: limits on a VM disk's I/O rate (filter class qos).
 *
 * Each limit is a token bucket kept as a virtual clock (GCRA): the time up
 * to which its tokens are spent. A bio may go when every bucket it counts
 * against has caught up with now; going, it moves each one on by its cost
 * (its I/Os or bytes over the bucket's rate). After idle a bucket's clock
 * lags now by at most burst_ms, the credit a burst may spend at once;
 * that credit also absorbs the lateness of the timer, so that the long-run
 * rate is the limit's. A bio that may not go yet is deferred (VAIO_DEFER)
 * onto one of two FIFO queues, reads and the rest, and an hrtimer
 * continues it when it is due: a queue's bios go in their order, reads and
 * writes each at their own limits. Nothing is allocated per bio: the queue
 * entry is the filter's per-bio area.
 *
 * What counts as what (Documentation/qos.rst): a read or a write of N
 * times io_unit KiB (or less) counts N I/Os and its bytes; a discard, write
 * zeroes or secure erase counts one write and no bytes; an empty flush
 * counts nothing and goes at once unless writes are queued, then behind
 * them, never ahead of a write it follows. A suspend (and so a removal)
 * releases every queued bio at once, and the filter queues nothing until
 * the resume: device-mapper waits for them.
 *
 * This file owns its instance (struct qos_filter) and touches nothing of
 * other filters; the state dies with the table, so a reload (vaioctl
 * policy edit) starts the new limits with empty buckets.
 */
#define DM_MSG_PREFIX "vaio-qos"

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "../dm-vaio-filter.h"

/*
 *--------------------------------------------------------------
 * Limits
 *--------------------------------------------------------------
 */

enum qos_limit {
	QOS_IOPS, QOS_READ_IOPS, QOS_WRITE_IOPS,
	QOS_BPS, QOS_READ_BPS, QOS_WRITE_BPS,
	QOS_NR_LIMITS
};

/* The table keys, in enum qos_limit's order. */
static const char * const limit_keys[QOS_NR_LIMITS] = {
	[QOS_IOPS] = "iops", [QOS_READ_IOPS] = "read_iops",
	[QOS_WRITE_IOPS] = "write_iops", [QOS_BPS] = "bps",
	[QOS_READ_BPS] = "read_bps", [QOS_WRITE_BPS] = "write_bps",
};

#define QOS_IOPS_MAX		10000000ULL	/* 10 M I/Os per second */
#define QOS_BPS_MIN		512ULL		/* a sector per second */
#define QOS_BPS_MAX		BIT_ULL(40)	/* 1 TiB per second */
#define QOS_BURST_MS_MAX	60000
#define QOS_BURST_MS_DEF	100
#define QOS_IO_UNIT_MAX		1048576		/* KiB: 1 GiB */
#define QOS_IO_UNIT_DEF		32		/* KiB, as SIOC */

enum qos_dir { QOS_READ, QOS_WRITE, QOS_NR_DIRS };

/* The limits a bio of each direction counts against. */
static const unsigned int dir_limits[QOS_NR_DIRS] = {
	[QOS_READ] = BIT(QOS_IOPS) | BIT(QOS_READ_IOPS) |
		     BIT(QOS_BPS) | BIT(QOS_READ_BPS),
	[QOS_WRITE] = BIT(QOS_IOPS) | BIT(QOS_WRITE_IOPS) |
		      BIT(QOS_BPS) | BIT(QOS_WRITE_BPS),
};

static bool limit_is_bytes(enum qos_limit l)
{
	return l >= QOS_BPS;
}

/* One limit: @rate I/Os or bytes per second, 0 for none. */
struct qos_bucket {
	u64 rate;
	u64 clock;	/* ns: the tokens are spent up to this time */
};

/* The filter's per-bio area: a deferred bio's queue entry. */
struct qos_bio {
	struct list_head list;
	struct bio *bio;
	u64 ios;	/* what it counts against iops limits */
	u64 bytes;	/* ... and against bps limits */
	u64 seq;	/* arrival order, across both queues */
	u64 queued_at;	/* ns */
};

/* Rates measured over one whole second. */
struct qos_window {
	u64 start;	/* ns */
	u64 ios[QOS_NR_DIRS];
	u64 bytes[QOS_NR_DIRS];
};

struct qos_filter {
	struct vaio_filter *f;
	u64 burst_ns;
	u64 io_unit;			/* bytes */

	spinlock_t lock;		/* everything below */
	struct qos_bucket bucket[QOS_NR_LIMITS];
	struct list_head queue[QOS_NR_DIRS];
	unsigned int queued;
	u64 seq;
	bool may_defer;			/* not between suspend and resume */
	bool armed;			/* the timer is set for armed_at */
	u64 armed_at;
	struct hrtimer timer;

	/* Counters, from the table's load. */
	u64 ios[QOS_NR_DIRS];		/* bios that went on */
	u64 bytes[QOS_NR_DIRS];
	u64 throttled;			/* of them, deferred first */
	u64 throttled_ns;		/* time they spent deferred */
	u64 queued_max;
	struct qos_window cur, last;	/* the second running, the last */
};

/*
 *--------------------------------------------------------------
 * Buckets and queues (q->lock held)
 *--------------------------------------------------------------
 */

/* What @bio counts: N I/Os of io_unit or less, and its bytes. */
static enum qos_dir qos_classify(struct qos_filter *q, struct bio *bio,
				 struct qos_bio *qb)
{
	u64 size = bio->bi_iter.bi_size;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		qb->ios = max_t(u64, 1, DIV64_U64_ROUND_UP(size, q->io_unit));
		qb->bytes = size;
		return QOS_READ;
	case REQ_OP_WRITE:
		if (!size) {		/* an empty flush */
			qb->ios = 0;
			qb->bytes = 0;
			return QOS_WRITE;
		}
		qb->ios = max_t(u64, 1, DIV64_U64_ROUND_UP(size, q->io_unit));
		qb->bytes = size;
		return QOS_WRITE;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
	case REQ_OP_SECURE_ERASE:
		/* One command each; no data crosses to the disk. */
		qb->ios = 1;
		qb->bytes = 0;
		return QOS_WRITE;
	default:
		/* Nothing else reaches a vaio disk; in order, free. */
		qb->ios = 0;
		qb->bytes = 0;
		return QOS_WRITE;
	}
}

static u64 qos_cost(const struct qos_bio *qb, enum qos_limit l)
{
	return limit_is_bytes(l) ? qb->bytes : qb->ios;
}

/* When @qb may go: every bucket it counts against has caught up. */
static u64 qos_due(struct qos_filter *q, const struct qos_bio *qb,
		   enum qos_dir dir)
{
	unsigned long mask = dir_limits[dir];
	u64 due = 0;
	int l;

	for_each_set_bit(l, &mask, QOS_NR_LIMITS)
		if (q->bucket[l].rate && qos_cost(qb, l))
			due = max(due, q->bucket[l].clock);
	return due;
}

/* @qb goes at @now: its cost moves each of its buckets' clocks on. */
static void qos_charge(struct qos_filter *q, const struct qos_bio *qb,
		       enum qos_dir dir, u64 now)
{
	u64 floor = now > q->burst_ns ? now - q->burst_ns : 0;
	unsigned long mask = dir_limits[dir];
	struct qos_bucket *b;
	u64 cost;
	int l;

	for_each_set_bit(l, &mask, QOS_NR_LIMITS) {
		b = &q->bucket[l];
		cost = qos_cost(qb, l);
		if (!b->rate || !cost)
			continue;
		/* At most 2^32 bytes: the product fits in 64 bits. */
		b->clock = max(b->clock, floor) +
			   div64_u64(cost * NSEC_PER_SEC, b->rate);
	}

	if (now - q->cur.start >= NSEC_PER_SEC) {
		if (now - q->cur.start < 2 * NSEC_PER_SEC)
			q->last = q->cur;
		else
			memset(&q->last, 0, sizeof(q->last));
		memset(&q->cur, 0, sizeof(q->cur));
		q->cur.start = now;
	}
	q->cur.ios[dir] += qb->ios;
	q->cur.bytes[dir] += qb->bytes;
	q->ios[dir]++;
	q->bytes[dir] += qb->bytes;
}

static void qos_arm(struct qos_filter *q, u64 due)
{
	if (q->armed && q->armed_at <= due)
		return;
	q->armed = true;
	q->armed_at = due;
	hrtimer_start(&q->timer, ns_to_ktime(due), HRTIMER_MODE_ABS_SOFT);
}

static struct qos_bio *qos_head(struct qos_filter *q, enum qos_dir dir)
{
	return list_first_entry_or_null(&q->queue[dir], struct qos_bio, list);
}

/*
 * Moves the queued bios due at @now onto @go, in the order they may go
 * (the earlier due first, the earlier arrival between equals), and sets
 * the timer for the next one.
 */
static void qos_dispatch(struct qos_filter *q, u64 now, struct list_head *go)
{
	struct qos_bio *qb, *head;
	enum qos_dir dir, pick;
	u64 due, best;

	for (;;) {
		qb = NULL;
		pick = QOS_READ;
		best = 0;
		for (dir = QOS_READ; dir < QOS_NR_DIRS; dir++) {
			head = qos_head(q, dir);
			if (!head)
				continue;
			due = qos_due(q, head, dir);
			if (!qb || due < best ||
			    (due == best && head->seq < qb->seq)) {
				qb = head;
				pick = dir;
				best = due;
			}
		}
		if (!qb)
			return;
		if (best > now) {
			qos_arm(q, best);
			return;
		}
		qos_charge(q, qb, pick, now);
		q->throttled++;
		q->throttled_ns += now - qb->queued_at;
		q->queued--;
		list_move_tail(&qb->list, go);
	}
}

/* Outside the lock: the bios of @go on to the next filter. */
static void qos_continue(struct list_head *go)
{
	struct qos_bio *qb, *tmp;

	list_for_each_entry_safe(qb, tmp, go, list) {
		list_del(&qb->list);
		vaio_bio_continue(qb->bio, VAIO_PASS);
	}
}

static enum hrtimer_restart qos_timer_fn(struct hrtimer *timer)
{
	struct qos_filter *q = container_of(timer, struct qos_filter, timer);
	unsigned long flags;
	LIST_HEAD(go);

	spin_lock_irqsave(&q->lock, flags);
	q->armed = false;
	qos_dispatch(q, ktime_get_ns(), &go);
	spin_unlock_irqrestore(&q->lock, flags);
	qos_continue(&go);
	return HRTIMER_NORESTART;
}

/*
 * Suspend: every queued bio goes on now, in arrival order, and none is
 * queued until the resume (device-mapper waits for them all).
 */
static void qos_release_all(struct qos_filter *q)
{
	u64 now = ktime_get_ns();
	struct qos_bio *r, *w;
	enum qos_dir dir;
	LIST_HEAD(go);

	spin_lock_irq(&q->lock);
	q->may_defer = false;
	for (;;) {
		r = qos_head(q, QOS_READ);
		w = qos_head(q, QOS_WRITE);
		if (!r && !w)
			break;
		dir = QOS_WRITE;
		if (!w || (r && r->seq < w->seq)) {
			w = r;
			dir = QOS_READ;
		}
		qos_charge(q, w, dir, now);
		q->throttled++;
		q->throttled_ns += now - w->queued_at;
		list_move_tail(&w->list, &go);
	}
	q->queued = 0;
	q->armed = false;
	spin_unlock_irq(&q->lock);
	hrtimer_cancel(&q->timer);
	qos_continue(&go);
}

/*
 *--------------------------------------------------------------
 * Filter ops
 *--------------------------------------------------------------
 */

static enum vaio_verdict qos_map(struct vaio_filter *f, struct bio *bio,
				 void *data)
{
	struct qos_filter *q = f->private;
	struct qos_bio *qb = data;
	enum qos_dir dir = qos_classify(q, bio, qb);
	u64 now = ktime_get_ns();
	unsigned long flags;
	u64 due;

	spin_lock_irqsave(&q->lock, flags);
	due = qos_due(q, qb, dir);
	if (!q->may_defer || (list_empty(&q->queue[dir]) && due <= now)) {
		qos_charge(q, qb, dir, now);
		spin_unlock_irqrestore(&q->lock, flags);
		return VAIO_PASS;
	}
	qb->bio = bio;
	qb->seq = q->seq++;
	qb->queued_at = now;
	if (list_empty(&q->queue[dir]))
		qos_arm(q, due);
	list_add_tail(&qb->list, &q->queue[dir]);
	q->queued++;
	q->queued_max = max_t(u64, q->queued_max, q->queued);
	spin_unlock_irqrestore(&q->lock, flags);
	return VAIO_DEFER;
}

static int qos_ctr(struct vaio_filter *f, unsigned int argc, char **argv,
		   char **error)
{
	u64 v[QOS_NR_LIMITS] = { }, burst_ms = QOS_BURST_MS_DEF;
	u64 io_unit = QOS_IO_UNIT_DEF;
	struct qos_filter *q;
	bool any = false;
	const char *s;
	int l;

	/*
	 * The core checked every value given against its declared range,
	 * so they convert; the ranges keep the arithmetic in 64 bits.
	 */
	for (l = 0; l < QOS_NR_LIMITS; l++) {
		s = vaio_param(argc, argv, limit_keys[l]);
		if (s && kstrtou64(s, 10, &v[l]))
			goto bad_number;
		any |= !!s;
	}
	s = vaio_param(argc, argv, "burst_ms");
	if (s && kstrtou64(s, 10, &burst_ms))
		goto bad_number;
	s = vaio_param(argc, argv, "io_unit");
	if (s && kstrtou64(s, 10, &io_unit))
		goto bad_number;
	if (!any) {
		*error = "qos: no limit given: iops, bps or a read_ or write_ one";
		return -EINVAL;
	}

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q) {
		*error = "qos: cannot allocate the filter";
		return -ENOMEM;
	}
	q->f = f;
	q->burst_ns = burst_ms * NSEC_PER_MSEC;
	q->io_unit = io_unit * 1024;
	/*
	 * Empty buckets: credit comes with idle, not with a new table (a
	 * policy edit under load is no burst).
	 */
	q->cur.start = ktime_get_ns();
	for (l = 0; l < QOS_NR_LIMITS; l++) {
		q->bucket[l].rate = v[l];
		q->bucket[l].clock = q->cur.start;
	}
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->queue[QOS_READ]);
	INIT_LIST_HEAD(&q->queue[QOS_WRITE]);
	q->may_defer = true;
	hrtimer_init(&q->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	q->timer.function = qos_timer_fn;
	f->private = q;
	return 0;

bad_number:
	*error = "qos: parameter value is not a number";
	return -EINVAL;
}

static void qos_dtr(struct vaio_filter *f)
{
	struct qos_filter *q = f->private;

	/* dm waited for every bio: the suspend released what was queued. */
	hrtimer_cancel(&q->timer);
	WARN_ON(q->queued);
	kfree(q);
}

static void qos_event(struct vaio_filter *f, const struct vaio_event *ev)
{
	struct qos_filter *q = f->private;

	switch (ev->type) {
	case VAIO_EV_SUSPEND:
		qos_release_all(q);
		break;
	case VAIO_EV_RESUME:
		spin_lock_irq(&q->lock);
		q->may_defer = true;
		spin_unlock_irq(&q->lock);
		break;
	default:
		break;
	}
}

/* The last whole second's rate: 0 if it is older than that. */
static void qos_rate(struct qos_filter *q, u64 now, struct qos_window *w)
{
	if (now - q->cur.start >= 2 * NSEC_PER_SEC)
		memset(w, 0, sizeof(*w));
	else if (now - q->cur.start >= NSEC_PER_SEC)
		*w = q->cur;
	else
		*w = q->last;
}

static void qos_status(struct vaio_filter *f, char *result,
		       unsigned int maxlen)
{
	struct qos_filter *q = f->private;
	u64 ios[QOS_NR_DIRS], bytes[QOS_NR_DIRS], throttled, throttled_ns;
	unsigned int sz = 0, queued;
	struct qos_window w;
	u64 queued_max;

	spin_lock_irq(&q->lock);
	qos_rate(q, ktime_get_ns(), &w);
	memcpy(ios, q->ios, sizeof(ios));
	memcpy(bytes, q->bytes, sizeof(bytes));
	throttled = q->throttled;
	throttled_ns = q->throttled_ns;
	queued = q->queued;
	queued_max = q->queued_max;
	spin_unlock_irq(&q->lock);

	DMEMIT("iops %llu read_iops %llu write_iops %llu ",
	       w.ios[QOS_READ] + w.ios[QOS_WRITE], w.ios[QOS_READ],
	       w.ios[QOS_WRITE]);
	DMEMIT("bps %llu read_bps %llu write_bps %llu ",
	       w.bytes[QOS_READ] + w.bytes[QOS_WRITE], w.bytes[QOS_READ],
	       w.bytes[QOS_WRITE]);
	DMEMIT("reads %llu writes %llu read_kib %llu write_kib %llu ",
	       ios[QOS_READ], ios[QOS_WRITE], bytes[QOS_READ] >> 10,
	       bytes[QOS_WRITE] >> 10);
	DMEMIT("queued %u queued_max %llu throttled %llu throttled_ms %llu",
	       queued, queued_max, throttled,
	       div_u64(throttled_ns, NSEC_PER_MSEC));
}

/* Bypassed, the filter only let I/O through unthrottled: nothing stale. */
static int qos_reactivate(struct vaio_filter *f)
{
	return 0;
}

static const struct vaio_param qos_params[] = {
	{ .name = "iops", .kind = VAIO_PARAM_KIND_UINT, .min = 1,
	  .max = QOS_IOPS_MAX,
	  .help = "I/Os per second, reads and writes together (one of N*io_unit KiB counts N)" },
	{ .name = "read_iops", .kind = VAIO_PARAM_KIND_UINT, .min = 1,
	  .max = QOS_IOPS_MAX, .help = "read I/Os per second" },
	{ .name = "write_iops", .kind = VAIO_PARAM_KIND_UINT, .min = 1,
	  .max = QOS_IOPS_MAX,
	  .help = "write I/Os per second (a discard or write zeroes counts one)" },
	{ .name = "bps", .kind = VAIO_PARAM_KIND_UINT, .min = QOS_BPS_MIN,
	  .max = QOS_BPS_MAX,
	  .help = "bytes per second, read and written together" },
	{ .name = "read_bps", .kind = VAIO_PARAM_KIND_UINT, .min = QOS_BPS_MIN,
	  .max = QOS_BPS_MAX, .help = "bytes read per second" },
	{ .name = "write_bps", .kind = VAIO_PARAM_KIND_UINT,
	  .min = QOS_BPS_MIN, .max = QOS_BPS_MAX,
	  .help = "bytes written per second" },
	{ .name = "burst_ms", .kind = VAIO_PARAM_KIND_UINT, .min = 0,
	  .max = QOS_BURST_MS_MAX, .def = __stringify(QOS_BURST_MS_DEF),
	  .help = "milliseconds of each limit's rate that may go at once after idle" },
	{ .name = "io_unit", .kind = VAIO_PARAM_KIND_UINT, .min = 1,
	  .max = QOS_IO_UNIT_MAX, .def = __stringify(QOS_IO_UNIT_DEF),
	  .help = "KiB: an I/O of N times this (or less) counts N against iops limits" },
	{ }
};

static struct vaio_filter_type qos_type = {
	.name = "qos",
	.class = VAIO_CLASS_QOS,
	.version = { 0, 1, 0 },
	.owner = THIS_MODULE,
	.per_bio_data_size = sizeof(struct qos_bio),
	.params = qos_params,
	/* Bypassed, I/O only goes unthrottled. */
	.fail_modes = VAIO_ALLOW_FAIL_OPEN | VAIO_ALLOW_FAIL_CLOSED,
	.ops = {
		.ctr = qos_ctr,
		.dtr = qos_dtr,
		.map = qos_map,
		.event = qos_event,
		.status = qos_status,
		.reactivate = qos_reactivate,
	},
};

static int __init qos_init(void)
{
	return vaio_register_filter(&qos_type);
}

static void __exit qos_exit(void)
{
	vaio_unregister_filter(&qos_type);
}

module_init(qos_init);
module_exit(qos_exit);

MODULE_DESCRIPTION("dm-vaio QoS filter: I/O and byte rate limits per disk");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-vaio-qos");
