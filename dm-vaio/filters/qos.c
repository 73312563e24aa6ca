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
 * counts nothing and goes at once, queued writes or not: it covers only
 * writes that completed (Documentation/filter-api.rst), and a queued write
 * has not. A suspend (and so a removal)
 * releases every queued bio at once, and the filter queues and charges
 * nothing until the resume: device-mapper waits for them. A filter out
 * of service (bypassed or failed: the core tells it nothing, so its timer
 * looks while it holds bios) releases them too, within QOS_POLL_NS.
 *
 * Shares and reservations: the disks whose filters name one domain (by
 * default the whole disk below) share it by mClock (Gulati, Merchant and
 * Varman, OSDI 2010). A bio its limits let go is admitted to the domain at
 * once while the domain has fewer bios in flight than its window; beyond
 * that it waits in its disk's domain queue, tagged with a reservation tag
 * (1/reservation apart) and a proportional tag (1/shares apart), and each
 * completion in the domain sends the next one: the smallest reservation
 * tag that is due first (constraint-based), else the smallest
 * proportional tag (weight-based), whose disk's reservation tags are then
 * moved back by what it got (as the paper does). The limit tags of the
 * paper are the buckets above. The window is SIOC's: every period it
 * moves towards latency_ms over the domain's measured latency times
 * itself, shrinking while the latency is above latency_ms (congestion)
 * and growing while it is below, as long as two or more disks compete;
 * otherwise it is QOS_WINDOW_MAX and nothing waits (work-conserving).
 * While bios wait, a timer finds the disks whose bios in flight saw no
 * completion for long (dom_stall_ns()) while the others' did, or while
 * none in the window did: a disk whose bios hang below is stalled, and
 * each of them stops counting in the window until it completes, so that
 * it does not stall the other disks (no completion would send them).
 *
 * This file owns its instances (struct qos_filter) and the domains
 * (struct qos_domain, kept by qos_domains_lock, refcounted by their
 * members), and touches nothing of other filters; an instance's state
 * dies with its table, so a reload (vaioctl policy edit) starts the new
 * limits with empty buckets.
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
#define QOS_SHARES_LOW		500		/* SIOC's low, normal, high */
#define QOS_SHARES_NORMAL	1000
#define QOS_SHARES_HIGH		2000
#define QOS_SHARES_MAX		10000
#define QOS_LATENCY_MS_DEF	30		/* SIOC's default threshold */
#define QOS_LATENCY_MS_MAX	10000
#define QOS_PERIOD_NS		(100 * NSEC_PER_MSEC)
#define QOS_POLL_NS		(100 * NSEC_PER_MSEC)	/* qos_arm() */
#define QOS_STALL_NS_MIN	NSEC_PER_SEC	/* dom_stall_ns() */
#define QOS_WINDOW_MIN		2
#define QOS_WINDOW_MAX		4096
#define QOS_DOMAIN_NAME_MAX	64

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
	u64 r_key;	/* domain queue: reservation tag + q->r_shift */
	u64 p_tag;	/* domain queue: proportional tag */
	u64 issued_at;	/* ns: sent below, counted in the domain's inflight */
	u64 sent;	/* q->sent_seq then: stalled if at most q->stalled_upto */
};

/*
 * The disks that share a device (or name one domain). Its members are
 * the instances of the tables that name it, live or not; only the live
 * (resumed) ones set its threshold.
 */
struct qos_domain {
	struct list_head list;		/* qos_domains */
	unsigned int users;		/* qos_domains_lock */
	char name[QOS_DOMAIN_NAME_MAX];

	spinlock_t lock;		/* everything below, the members' dq */
	struct list_head members;	/* struct qos_filter.dom_node */
	unsigned int inflight;		/* bios sent below, not completed */
	unsigned int stalled;		/* of them, the stalled ones */
	unsigned int waiting;		/* bios in the members' dq */
	unsigned int window;		/* the most in flight */
	u64 done_at;			/* ns: the last completion */
	u64 latency_ns;			/* the lowest of the members' */
	u64 vtime;			/* the last proportional tag sent */
	bool congested;
	/* The period running: its latency samples and active disks. */
	u64 period_start;
	u64 lat_sum, lat_n;
	unsigned int peak;		/* the most in flight in it */
	/* The last period's. */
	u64 lat_avg;
	unsigned int active;		/* disks with I/O in it */
	u64 congested_periods;
	/* Set while bios wait: finds the disks that stall the window. */
	bool armed;
	struct hrtimer timer;
};

static LIST_HEAD(qos_domains);
static DEFINE_MUTEX(qos_domains_lock);

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

	/* In the domain: dom->lock */
	struct qos_domain *dom;
	struct list_head dom_node;	/* dom->members */
	struct list_head dq;		/* bios waiting for the domain */
	unsigned int dq_len;
	unsigned int inflight;		/* its bios sent below, not completed */
	bool live;			/* resumed: counts in the threshold */
	u64 progress_at;		/* ns: its last completion, or first send */
	bool stalled;			/* no completion since found stalled */
	unsigned int nstalled;		/* its bios in flight not in the window */
	u64 sent_seq;			/* bios sent below, numbered */
	u64 stalled_upto;		/* those up to it are the stalled ones */
	u64 stalls;			/* times it was found stalled */
	u64 latency_ns;			/* this disk's latency_ms */
	unsigned int shares;
	u64 reservation;		/* IOPS, 0: none */
	u64 r_step, p_step;		/* ns per I/O: 1/reservation, 1/shares */
	u64 r_last, p_last, r_shift;
	u64 dom_sent;			/* bios sent below */
	u64 by_reservation;		/* of them, from dq by reservation */
	u64 by_shares;			/* ... and by shares */
	u64 period_ios;			/* I/Os sent in the domain's period */
	u64 sec_start;			/* for reservation_met: */
	bool sec_late, last_sec_late;	/* a bio sent late for its R tag */
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
		/* Nothing else reaches a vaio disk; free, at once. */
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

/*
 * The time from @then to @now, 0 if @then is later. Each caller reads the
 * clock under the lock it stores times under, so that a time stored is no
 * later than one read after it; but a bio's times are read under its
 * disk's lock and stored under the domain's, a little later.
 */
static u64 qos_since(u64 now, u64 then)
{
	return now > then ? now - then : 0;
}

/* @qb of direction @dir goes on at @now: counted. */
static void qos_account(struct qos_filter *q, const struct qos_bio *qb,
			enum qos_dir dir, u64 now)
{
	u64 age = qos_since(now, q->cur.start);

	if (age >= NSEC_PER_SEC) {
		if (age < 2 * NSEC_PER_SEC)
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
	qos_account(q, qb, dir, now);
}

/*
 * The timer, for @due or sooner: while the filter holds bios, it looks
 * at least every QOS_POLL_NS whether the filter is still in service (a
 * failure tells the filter nothing; a bio may be due only in minutes).
 */
static void qos_arm(struct qos_filter *q, u64 due, u64 now)
{
	due = min(due, now + QOS_POLL_NS);
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
			qos_arm(q, best, now);
			return;
		}
		qos_charge(q, qb, pick, now);
		q->throttled++;
		q->throttled_ns += qos_since(now, qb->queued_at);
		q->queued--;
		list_move_tail(&qb->list, go);
	}
}

/*
 *--------------------------------------------------------------
 * Domains: shares and reservations (mClock), congestion (SIOC)
 *--------------------------------------------------------------
 */

/*
 * Per second, for reservation_met (dom->lock held): a disk gets its
 * reservation while its bios go no later than their reservation tags
 * (with a period's slack). One that asks for less has tags no later than
 * its bios' arrival; one that gets less falls further behind them.
 */
static void dom_second(struct qos_filter *q, u64 now)
{
	u64 age = qos_since(now, q->sec_start);

	if (age < NSEC_PER_SEC)
		return;
	q->last_sec_late = age < 2 * NSEC_PER_SEC &&
			   q->sec_late;
	q->sec_late = false;
	q->sec_start = now;
}

/* @qb of @q goes below now, counted in flight (dom->lock held). */
static void dom_send(struct qos_domain *d, struct qos_filter *q,
		     struct qos_bio *qb, u64 now)
{
	u64 ios = max_t(u64, qb->ios, 1);

	qb->issued_at = now;
	qb->sent = ++q->sent_seq;
	/* The first in the window: stalled ones may hang on, left out. */
	if (q->inflight == q->nstalled)
		q->progress_at = now;
	d->inflight++;
	q->inflight++;
	if (q->stalled) {
		/* Behind its hung bios: not in the window either. */
		q->stalled_upto = qb->sent;
		q->nstalled++;
		d->stalled++;
	}
	d->peak = max(d->peak, d->inflight);
	q->dom_sent++;
	q->period_ios += ios;
}

/*
 * A disk whose bios in flight have seen no completion for this long is
 * stalled (a peer not answering, a device stuck): four times the
 * threshold or the domain's measured latency, at least a second, so that
 * a congested device's queue alone stalls nobody (dom->lock held).
 */
static u64 dom_stall_ns(struct qos_domain *d)
{
	return max3(4 * d->latency_ns, 4 * d->lat_avg, (u64)QOS_STALL_NS_MIN);
}

/* May one more bio go below (dom->lock held)? Stalled disks' do not count. */
static bool dom_room(struct qos_domain *d)
{
	return d->inflight - d->stalled < d->window;
}

static void dom_arm(struct qos_domain *d, u64 when)
{
	d->armed = true;
	hrtimer_start(&d->timer, ns_to_ktime(when), HRTIMER_MODE_ABS_SOFT);
}

/* Is @qb of @q later than its reservation tag by more than a period? */
static bool dom_late(struct qos_filter *q, struct qos_bio *qb, u64 now)
{
	return q->r_step &&
	       (s64)(qb->r_key - q->r_shift) < (s64)(now - QOS_PERIOD_NS);
}

/*
 * A bio its limits let go: sent below now (true), or tagged and put in its
 * disk's domain queue, for a completion to send (false). While the disk
 * suspends (!@may_wait) nothing waits.
 */
static bool dom_admit(struct qos_filter *q, struct qos_bio *qb, u64 now,
		      bool may_wait)
{
	struct qos_domain *d = q->dom;
	u64 cost = max_t(u64, qb->ios, 1);
	unsigned long flags;
	bool sent = true;

	spin_lock_irqsave(&d->lock, flags);
	if (!may_wait || (!d->waiting && dom_room(d))) {
		dom_send(d, q, qb, now);
	} else {
		/* mClock's tags: R = max(R + 1/r, now), P = max(P + 1/w, v). */
		if (q->r_step) {
			q->r_last = max(q->r_last + cost * q->r_step, now);
			qb->r_key = q->r_last + q->r_shift;
		}
		q->p_last = max(q->p_last + cost * q->p_step, d->vtime);
		qb->p_tag = q->p_last;
		list_add_tail(&qb->list, &q->dq);
		q->dq_len++;
		d->waiting++;
		if (!d->armed)
			dom_arm(d, now + dom_stall_ns(d));
		sent = false;
	}
	spin_unlock_irqrestore(&d->lock, flags);
	return sent;
}

/*
 * The bio mClock sends next, taken off its queue (dom->lock held): the
 * smallest reservation tag that is due, else the smallest proportional
 * tag, whose disk's reservation tags then move back by what it got (it
 * got it by shares, not against its reservation). NULL: none waits.
 */
static struct qos_bio *dom_pick(struct qos_domain *d, u64 now,
				struct qos_filter **owner)
{
	struct qos_filter *q, *rq = NULL, *pq = NULL;
	struct qos_bio *qb, *rb = NULL, *pb = NULL;
	s64 r, best_r = 0;
	u64 x;

	list_for_each_entry(q, &d->members, dom_node) {
		qb = list_first_entry_or_null(&q->dq, struct qos_bio, list);
		if (!qb)
			continue;
		r = (s64)(qb->r_key - q->r_shift);
		if (q->r_step && r <= (s64)now && (!rb || r < best_r)) {
			rb = qb;
			rq = q;
			best_r = r;
		}
		if (!pb || qb->p_tag < pb->p_tag) {
			pb = qb;
			pq = q;
		}
	}
	if (rb) {
		dom_second(rq, now);
		rq->sec_late |= dom_late(rq, rb, now);
		rq->dq_len--;
		rq->by_reservation++;
		*owner = rq;
		list_del(&rb->list);
		return rb;
	}
	if (!pb)
		return NULL;
	if (pq->r_step) {
		x = max_t(u64, pb->ios, 1) * pq->r_step;
		pq->r_shift += x;
		pq->r_last = pq->r_last > x ? pq->r_last - x : 0;
	}
	pq->dq_len--;
	pq->by_shares++;
	d->vtime = max(d->vtime, pb->p_tag);
	*owner = pq;
	list_del(&pb->list);
	return pb;
}

/*
 * End of a period (dom->lock held): congestion is a latency above the
 * threshold while two or more disks had I/O; the window moves as SIOC's,
 * w = (1 - g) w + g (L / latency * w + b) with g = 1/2 and b = 1, and
 * opens fully when no two disks compete.
 */
static void dom_period(struct qos_domain *d, u64 now)
{
	unsigned int active = 0;
	struct qos_filter *q;
	u64 w = d->window, avg;

	/*
	 * A disk whose bios all waited, or were all below the whole period,
	 * is as active as one that sent: else a device slow to drain what it
	 * holds would look idle to all but one disk, and the window open.
	 */
	list_for_each_entry(q, &d->members, dom_node) {
		if (q->period_ios || q->dq_len || q->inflight > q->nstalled)
			active++;
		q->period_ios = 0;
	}
	avg = d->lat_n ? div64_u64(d->lat_sum, d->lat_n) : 0;
	d->lat_avg = avg;
	d->active = active;
	d->congested = active > 1 && avg > d->latency_ns;
	if (d->congested) {
		d->congested_periods++;
		/* From what was in flight, not from a window wide open. */
		w = min_t(u64, w, 2 * d->peak);
	}
	if (active > 1 && avg)
		w = (w + div64_u64(w * d->latency_ns, avg) + 1) / 2;
	else
		w = QOS_WINDOW_MAX;
	d->window = clamp_t(u64, w, QOS_WINDOW_MIN, QOS_WINDOW_MAX);
	d->period_start = now;
	d->lat_sum = 0;
	d->lat_n = 0;
	d->peak = d->inflight;
}

/* As many bios waiting as the window has room for, sent onto @go. */
static void dom_fill(struct qos_domain *d, u64 now, struct list_head *go)
{
	struct qos_filter *owner;
	struct qos_bio *next;

	while (d->waiting && dom_room(d)) {
		next = dom_pick(d, now, &owner);
		if (WARN_ON_ONCE(!next))
			break;
		d->waiting--;
		dom_send(d, owner, next, now);
		list_add_tail(&next->list, go);
	}
}

/*
 * A bio of @q completed: its latency sampled, and as many bios waiting in
 * the domain sent below as the window has room for, onto @go.
 */
static void dom_complete(struct qos_filter *q, struct qos_bio *qb,
			 struct list_head *go)
{
	struct qos_domain *d = q->dom;
	unsigned long flags;
	u64 now;

	spin_lock_irqsave(&d->lock, flags);
	now = ktime_get_ns();
	if (qb->sent <= q->stalled_upto) {
		/*
		 * One of its stalled bios: only this one leaves the count.
		 * The others may hang still; counted in the window again,
		 * they would fill it for another dom_stall_ns().
		 */
		q->nstalled--;
		d->stalled--;
	}
	/* It moves again: its next bios count in the window. */
	q->stalled = false;
	d->inflight--;
	q->inflight--;
	q->progress_at = now;
	d->done_at = now;
	/* Flushes say how long the cache took, not the queue. */
	if (qb->ios) {
		d->lat_sum += qos_since(now, qb->issued_at);
		d->lat_n++;
	}
	if (qos_since(now, d->period_start) >= QOS_PERIOD_NS)
		dom_period(d, now);
	dom_fill(d, now, go);
	spin_unlock_irqrestore(&d->lock, flags);
}

/* Outside the locks: the bios of @go on to the next filter. */
static void qos_continue(struct list_head *go)
{
	struct qos_bio *qb, *tmp;

	list_for_each_entry_safe(qb, tmp, go, list) {
		list_del(&qb->list);
		vaio_bio_continue(qb->bio, VAIO_PASS);
	}
}

/*
 * While bios wait in the domain: a disk with bios in flight and no
 * completion for dom_stall_ns() is stalled, and those of its bios stop
 * counting in the window, each until it completes, so that the bios
 * waiting (its own too) go below; without this a disk whose bios hang below
 * would hold a congested domain's window, and no completion would ever
 * send the other disks' bios.
 */
static enum hrtimer_restart dom_timer_fn(struct hrtimer *timer)
{
	struct qos_domain *d = container_of(timer, struct qos_domain, timer);
	u64 stall, next, now;
	struct qos_filter *q;
	unsigned long flags;
	bool all_hung = true;
	LIST_HEAD(go);

	spin_lock_irqsave(&d->lock, flags);
	now = ktime_get_ns();
	stall = dom_stall_ns(d);
	next = now + stall;
	d->armed = false;
	/* Has every disk whose bios fill the window seen none complete? */
	list_for_each_entry(q, &d->members, dom_node)
		if (q->inflight > q->nstalled &&
		    qos_since(now, q->progress_at) < stall)
			all_hung = false;
	list_for_each_entry(q, &d->members, dom_node) {
		if (q->inflight == q->nstalled)
			continue;
		/*
		 * Stalled: others completed since it last did, or no disk
		 * with bios in the window saw one complete for as long (one
		 * alone, several that hung at once, or the whole device
		 * stood): no completion would come to send the bios waiting.
		 */
		if (qos_since(now, q->progress_at) >= stall &&
		    (d->done_at > q->progress_at || all_hung)) {
			q->stalled = true;
			q->stalls++;
			d->stalled += q->inflight - q->nstalled;
			q->nstalled = q->inflight;
			q->stalled_upto = q->sent_seq;
		} else {
			/* Not before a period: the domain may stand still. */
			next = min(next, max(q->progress_at + stall,
					     now + QOS_PERIOD_NS));
		}
	}
	dom_fill(d, now, &go);
	if (d->waiting)
		dom_arm(d, next);
	spin_unlock_irqrestore(&d->lock, flags);
	qos_continue(&go);
	return HRTIMER_NORESTART;
}

/*
 * The lowest latency_ms of the live members (dom->lock held): a table
 * loaded but not resumed yet, or the old one of a reload, does not count.
 */
static void dom_threshold(struct qos_domain *d)
{
	struct qos_filter *q;
	u64 l = (u64)QOS_LATENCY_MS_MAX * NSEC_PER_MSEC;

	list_for_each_entry(q, &d->members, dom_node)
		if (q->live)
			l = min(l, q->latency_ns);
	d->latency_ns = l;
}

/* @q joins domain @name, made if new. */
static int dom_join(struct qos_filter *q, const char *name)
{
	struct qos_domain *d;

	mutex_lock(&qos_domains_lock);
	list_for_each_entry(d, &qos_domains, list)
		if (!strcmp(d->name, name))
			goto found;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		mutex_unlock(&qos_domains_lock);
		return -ENOMEM;
	}
	strscpy(d->name, name, sizeof(d->name));
	spin_lock_init(&d->lock);
	INIT_LIST_HEAD(&d->members);
	d->window = QOS_WINDOW_MAX;
	d->period_start = ktime_get_ns();
	hrtimer_init(&d->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	d->timer.function = dom_timer_fn;
	list_add(&d->list, &qos_domains);
found:
	d->users++;
	spin_lock_irq(&d->lock);
	list_add_tail(&q->dom_node, &d->members);
	dom_threshold(d);
	spin_unlock_irq(&d->lock);
	mutex_unlock(&qos_domains_lock);
	q->dom = d;
	return 0;
}

/* Nothing of @q is in flight or waiting: it leaves, the last frees. */
static void dom_leave(struct qos_filter *q)
{
	struct qos_domain *d = q->dom;

	mutex_lock(&qos_domains_lock);
	spin_lock_irq(&d->lock);
	list_del(&q->dom_node);
	dom_threshold(d);
	spin_unlock_irq(&d->lock);
	if (!--d->users) {
		list_del(&d->list);
		hrtimer_cancel(&d->timer);
		kfree(d);
	}
	mutex_unlock(&qos_domains_lock);
}

/*
 * The bios of @go, due by their limits, to the domain (q->lock held, so
 * that none waits there once the suspend emptied the domain queue): those
 * it admits move to @sent, the others wait in the domain queue.
 */
static void qos_admit(struct qos_filter *q, struct list_head *go,
		      struct list_head *sent, u64 now)
{
	struct qos_bio *qb, *tmp;

	list_for_each_entry_safe(qb, tmp, go, list) {
		list_del(&qb->list);
		if (dom_admit(q, qb, now, q->may_defer))
			list_add_tail(&qb->list, sent);
	}
}

/*
 * Every bio @q holds goes on now, onto @go, in arrival order (those
 * waiting for the domain came first), uncharged (q->lock held): at a
 * suspend, and once the filter is out of service.
 */
static void qos_release(struct qos_filter *q, struct list_head *go)
{
	struct qos_domain *d = q->dom;
	struct qos_bio *r, *w;
	enum qos_dir dir;
	u64 now;

	spin_lock(&d->lock);
	now = ktime_get_ns();
	list_for_each_entry_safe(r, w, &q->dq, list) {
		q->dq_len--;
		d->waiting--;
		dom_send(d, q, r, now);
		list_move_tail(&r->list, go);
	}
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
		/*
		 * Not charged: the writes that pass while the suspend waits
		 * would add to a debt the disk pays after the resume.
		 */
		qos_account(q, w, dir, now);
		q->throttled++;
		q->throttled_ns += qos_since(now, w->queued_at);
		dom_send(d, q, w, now);
		list_move_tail(&w->list, go);
	}
	spin_unlock(&d->lock);
	q->queued = 0;
}

/* Does @q hold bios, in its queues or in its domain's (q->lock held)? */
static bool qos_holds(struct qos_filter *q)
{
	bool held;

	if (q->queued)
		return true;
	spin_lock(&q->dom->lock);
	held = q->dq_len;
	spin_unlock(&q->dom->lock);
	return held;
}

static enum hrtimer_restart qos_timer_fn(struct hrtimer *timer)
{
	struct qos_filter *q = container_of(timer, struct qos_filter, timer);
	unsigned long flags;
	LIST_HEAD(sent);
	LIST_HEAD(go);
	u64 now;

	spin_lock_irqsave(&q->lock, flags);
	now = ktime_get_ns();
	q->armed = false;
	if (READ_ONCE(q->f->state) != VAIO_FILTER_ACTIVE) {
		/*
		 * Bypassed or failed: the filter holds nothing. Bypassed, its
		 * bios go below unthrottled, as the disk's new ones do; failed
		 * closed, the core fails them, as it fails the new ones.
		 */
		qos_release(q, &sent);
	} else {
		qos_dispatch(q, now, &go);
		qos_admit(q, &go, &sent, now);
		if (qos_holds(q))
			qos_arm(q, U64_MAX, now);
	}
	spin_unlock_irqrestore(&q->lock, flags);
	qos_continue(&sent);
	return HRTIMER_NORESTART;
}

/*
 * Suspend: every queued bio goes on now, and none is queued until the
 * resume (device-mapper waits for them all).
 */
static void qos_release_all(struct qos_filter *q)
{
	struct qos_domain *d = q->dom;
	LIST_HEAD(go);

	spin_lock_irq(&q->lock);
	q->may_defer = false;
	spin_lock(&d->lock);
	q->live = false;
	dom_threshold(d);
	spin_unlock(&d->lock);
	qos_release(q, &go);
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
	unsigned long flags;
	bool sent;
	u64 due, now;

	qb->bio = bio;
	spin_lock_irqsave(&q->lock, flags);
	now = ktime_get_ns();
	due = qos_due(q, qb, dir);
	if (!q->may_defer) {
		/* Suspending: nothing is held, nor charged (qos_release_all()). */
		qos_account(q, qb, dir, now);
		dom_admit(q, qb, now, false);
		spin_unlock_irqrestore(&q->lock, flags);
		return VAIO_PASS;
	}
	/* What costs nothing (a flush) waits for no write queued. */
	if ((!qb->ios || list_empty(&q->queue[dir])) && due <= now) {
		qos_charge(q, qb, dir, now);
		/* Once in the domain queue, a completion may send it. */
		sent = dom_admit(q, qb, now, q->may_defer);
		if (!sent)	/* ... and the timer looks after it (qos_arm()) */
			qos_arm(q, U64_MAX, now);
		spin_unlock_irqrestore(&q->lock, flags);
		return sent ? VAIO_PASS : VAIO_DEFER;
	}
	qb->seq = q->seq++;
	qb->queued_at = now;
	if (list_empty(&q->queue[dir]))
		qos_arm(q, due, now);
	list_add_tail(&qb->list, &q->queue[dir]);
	q->queued++;
	q->queued_max = max_t(u64, q->queued_max, q->queued);
	spin_unlock_irqrestore(&q->lock, flags);
	return VAIO_DEFER;
}

/* shares=low|normal|high|N: 0 if none of them. */
static unsigned int parse_shares(const char *s)
{
	unsigned int n;

	if (!strcmp(s, "low"))
		return QOS_SHARES_LOW;
	if (!strcmp(s, "normal"))
		return QOS_SHARES_NORMAL;
	if (!strcmp(s, "high"))
		return QOS_SHARES_HIGH;
	if (kstrtouint(s, 10, &n) || n > QOS_SHARES_MAX)
		return 0;
	return n;
}

/* A reservation the disk's own limits would never let it have. */
static bool reservation_above_limit(const u64 *v, u64 reservation)
{
	if (v[QOS_IOPS] && reservation > v[QOS_IOPS])
		return true;
	return v[QOS_READ_IOPS] && v[QOS_WRITE_IOPS] &&
	       reservation > v[QOS_READ_IOPS] + v[QOS_WRITE_IOPS];
}

/* A disk's numbers, from its table words. */
struct qos_args {
	u64 v[QOS_NR_LIMITS];
	u64 burst_ms, io_unit, latency_ms, reservation;
	unsigned int shares;
	const char *domain;	/* NULL: the whole disk below */
};

/*
 * @argv into @a. The core checked every word against its declaration
 * first, so the values convert and their ranges keep the arithmetic in 64
 * bits; what is left are the rules between words. Returns 0, or -EINVAL
 * with *error (static).
 */
static int qos_parse(unsigned int argc, char **argv, struct qos_args *a,
		     const char **error)
{
	bool any = false;
	const char *s;
	int l;

	memset(a, 0, sizeof(*a));
	a->burst_ms = QOS_BURST_MS_DEF;
	a->io_unit = QOS_IO_UNIT_DEF;
	a->latency_ms = QOS_LATENCY_MS_DEF;
	a->shares = QOS_SHARES_NORMAL;
	for (l = 0; l < QOS_NR_LIMITS; l++) {
		s = vaio_param(argc, argv, limit_keys[l]);
		if (s && kstrtou64(s, 10, &a->v[l]))
			goto bad_number;
		any |= !!s;
	}
	s = vaio_param(argc, argv, "burst_ms");
	if (s && kstrtou64(s, 10, &a->burst_ms))
		goto bad_number;
	s = vaio_param(argc, argv, "io_unit");
	if (s && kstrtou64(s, 10, &a->io_unit))
		goto bad_number;
	s = vaio_param(argc, argv, "latency_ms");
	if (s && kstrtou64(s, 10, &a->latency_ms))
		goto bad_number;
	s = vaio_param(argc, argv, "reservation");
	if (s && kstrtou64(s, 10, &a->reservation))
		goto bad_number;
	any |= !!s;
	s = vaio_param(argc, argv, "shares");
	if (s) {
		a->shares = parse_shares(s);
		if (!a->shares) {
			*error = "qos: shares must be low, normal, high or 1-10000";
			return -EINVAL;
		}
		any = true;
	}
	if (!any) {
		*error = "qos: no limit, shares or reservation given";
		return -EINVAL;
	}
	if (reservation_above_limit(a->v, a->reservation)) {
		*error = "qos: reservation above the disk's iops limit";
		return -EINVAL;
	}
	a->domain = vaio_param(argc, argv, "domain");
	if (a->domain && strlen(a->domain) >= QOS_DOMAIN_NAME_MAX) {
		*error = "qos: domain name longer than 63 characters";
		return -EINVAL;
	}
	return 0;

bad_number:
	*error = "qos: parameter value is not a number";
	return -EINVAL;
}

/* At table load before ->ctr() and for CHAIN_CHECK (vaioctl policy). */
static int qos_args_check(unsigned int argc, char **argv, const char **error)
{
	struct qos_args a;

	return qos_parse(argc, argv, &a, error);
}

static int qos_ctr(struct vaio_filter *f, unsigned int argc, char **argv,
		   char **error)
{
	char dom[QOS_DOMAIN_NAME_MAX];
	struct qos_filter *q;
	struct qos_args a;
	const char *e;
	int l, r;

	r = qos_parse(argc, argv, &a, &e);
	if (r) {
		*error = (char *)e;	/* a static string */
		return r;
	}
	if (a.domain)
		strscpy(dom, a.domain, sizeof(dom));
	else	/* the whole disk below: its partitions share it */
		snprintf(dom, sizeof(dom), "dev:%u:%u",
			 MAJOR(disk_devt(f->data_dev->bdev->bd_disk)),
			 MINOR(disk_devt(f->data_dev->bdev->bd_disk)));

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q) {
		*error = "qos: cannot allocate the filter";
		return -ENOMEM;
	}
	q->f = f;
	q->burst_ns = a.burst_ms * NSEC_PER_MSEC;
	q->io_unit = a.io_unit * 1024;
	/*
	 * Empty buckets: credit comes with idle, not with a new table (a
	 * policy edit under load is no burst).
	 */
	q->cur.start = ktime_get_ns();
	for (l = 0; l < QOS_NR_LIMITS; l++) {
		q->bucket[l].rate = a.v[l];
		q->bucket[l].clock = q->cur.start;
	}
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->queue[QOS_READ]);
	INIT_LIST_HEAD(&q->queue[QOS_WRITE]);
	q->may_defer = true;
	hrtimer_init(&q->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	q->timer.function = qos_timer_fn;

	INIT_LIST_HEAD(&q->dq);
	q->latency_ns = a.latency_ms * NSEC_PER_MSEC;
	q->shares = a.shares;
	q->reservation = a.reservation;
	q->r_step = a.reservation ?
		    div64_u64(NSEC_PER_SEC, a.reservation) : 0;
	q->p_step = div_u64((u64)QOS_SHARES_MAX * 1000, a.shares);
	q->sec_start = q->cur.start;
	r = dom_join(q, dom);
	if (r) {
		kfree(q);
		*error = "qos: cannot allocate the domain";
		return r;
	}
	f->private = q;
	return 0;
}

static void qos_dtr(struct vaio_filter *f)
{
	struct qos_filter *q = f->private;

	/* dm waited for every bio: the suspend released what was queued. */
	hrtimer_cancel(&q->timer);
	WARN_ON(q->queued || !list_empty(&q->dq));
	dom_leave(q);
	kfree(q);
}

static enum vaio_end_verdict qos_end_io(struct vaio_filter *f,
					struct bio *bio, void *data,
					blk_status_t *error)
{
	struct qos_filter *q = f->private;
	LIST_HEAD(go);

	dom_complete(q, data, &go);
	qos_continue(&go);
	return VAIO_END_DONE;
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
		spin_lock(&q->dom->lock);
		q->live = true;
		dom_threshold(q->dom);
		spin_unlock(&q->dom->lock);
		spin_unlock_irq(&q->lock);
		break;
	default:
		break;
	}
}

/* The last whole second's rate: 0 if it is older than that. */
static void qos_rate(struct qos_filter *q, u64 now, struct qos_window *w)
{
	u64 age = qos_since(now, q->cur.start);

	if (age >= 2 * NSEC_PER_SEC)
		memset(w, 0, sizeof(*w));
	else if (age >= NSEC_PER_SEC)
		*w = q->cur;
	else
		*w = q->last;
}

/* The disk's place in its domain, and the domain's state. */
static void qos_status_domain(struct qos_filter *q, char *result,
			      unsigned int maxlen, unsigned int *szp)
{
	struct qos_domain *d = q->dom;
	unsigned int sz = *szp, waiting, inflight, window, active, stalled;
	struct qos_bio *head;
	u64 by_res, by_shares, lat_us, periods, stalls, now;
	bool congested, late;
	const char *met = "none";

	spin_lock_irq(&d->lock);
	now = ktime_get_ns();
	dom_second(q, now);
	waiting = q->dq_len;
	by_res = q->by_reservation;
	by_shares = q->by_shares;
	/* Late in the last second, or a bio waiting late now. */
	head = list_first_entry_or_null(&q->dq, struct qos_bio, list);
	late = q->last_sec_late || (head && dom_late(q, head, now));
	inflight = d->inflight;
	stalled = d->stalled;
	stalls = q->stalls;
	window = d->window;
	active = d->active;
	lat_us = div_u64(d->lat_avg, NSEC_PER_USEC);
	congested = d->congested;
	periods = d->congested_periods;
	spin_unlock_irq(&d->lock);

	if (q->reservation)
		met = late ? "no" : "yes";
	DMEMIT("domain %s shares %u reservation %llu reservation_met %s ",
	       d->name, q->shares, q->reservation, met);
	DMEMIT("dom_queued %u by_reservation %llu by_shares %llu ",
	       waiting, by_res, by_shares);
	DMEMIT("dom_latency_us %llu dom_congested %u dom_congested_periods %llu ",
	       lat_us, congested, periods);
	DMEMIT("dom_active %u dom_inflight %u dom_window %u ", active, inflight,
	       window);
	DMEMIT("dom_stalled %u stalls %llu", stalled, stalls);
	*szp = sz;
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
	DMEMIT("queued %u queued_max %llu throttled %llu throttled_ms %llu ",
	       queued, queued_max, throttled,
	       div_u64(throttled_ns, NSEC_PER_MSEC));
	qos_status_domain(q, result, maxlen, &sz);
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
	{ .name = "shares", .kind = VAIO_PARAM_KIND_STRING, .def = "normal",
	  .help = "low, normal, high (500, 1000, 2000) or 1-10000: its part when congested" },
	{ .name = "reservation", .kind = VAIO_PARAM_KIND_UINT, .min = 1,
	  .max = QOS_IOPS_MAX,
	  .help = "I/Os per second the disk gets in a congested domain if it asks" },
	{ .name = "domain", .kind = VAIO_PARAM_KIND_STRING,
	  .help = "the disks that share a device: by default the whole disk below" },
	{ .name = "latency_ms", .kind = VAIO_PARAM_KIND_UINT, .min = 1,
	  .max = QOS_LATENCY_MS_MAX, .def = __stringify(QOS_LATENCY_MS_DEF),
	  .help = "the domain is congested above this latency (the lowest of its disks')" },
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
		.args_check = qos_args_check,
		.ctr = qos_ctr,
		.dtr = qos_dtr,
		.map = qos_map,
		.end_io = qos_end_io,
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

MODULE_DESCRIPTION("dm-vaio QoS filter: limits per disk, shares and reservations per domain");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-vaio-qos");
