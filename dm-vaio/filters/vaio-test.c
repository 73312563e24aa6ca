// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio-test: a filter for testing the framework, not for production.
 *
 * Registers one type per class: test-qos, test-inspection, test-encryption,
 * test-replication, test-cache (and test-qos-b, a second type of class qos,
 * to test that two of one class are refused; it cannot be reactivated).
 * test-encryption is fail_closed only; no_fail_open=1 makes any instance
 * so. Each instance does what it is told, by
 * table arguments (key=value: mode=<mode> ms=<ms> ops=<ops> veto=<event>
 * refuse_reactivate=<0|1> dtr_error=<0|1> ctr_error=<0|1>) or by message,
 * with these words:
 *
 *   pass                      pass every bio on (the default)
 *   delay <ms> [<ops>]        defer bios, continue them <ms> later
 *   defer [<ops>]             defer bios, continue them from a worker
 *   complete [<ops>]          complete bios itself, success, no I/O
 *   fail [<ops>]              fail bios with an I/O error
 *   corrupt [<ops>]           flip the first byte of data read
 *   invert [<ops>]            store writes inverted (a stand-in for
 *                             encryption: writes get a copy from the
 *                             core's bounce pages) and invert reads back;
 *                             needs the pool: mode=invert or bounce=1 in
 *                             the table. ctx=process (table) does both
 *                             in process context (->map_process(),
 *                             ->end_io_process())
 *   hold_end <ms> [<ops>]     hold completions <ms> before passing them up
 *   spin <ms> [<ops>]         (message only) busy-wait <ms> (at most
 *                             5000) in ->map(), as a slow filter: what
 *                             may change meanwhile
 *   remap [<ops>]             VAIO_REMAP: below as it stands, the filters
 *                             below skipped
 *   veto <event>|none         veto an event (attach, detach, grow, snapshot)
 *   error                     report a filter failure (fail_open/closed)
 *   refuse_reactivate <0|1>   whether "reactivate" is refused
 *   error_on_reactivate <0|1> report a failure from ->reactivate()
 *   reset                     zero the counters
 *   copy <src> <dst> <n>      copy n sectors (at most 256) from sector src
 *                             to dst of the disk with its own I/O through
 *                             the filters below it (vaio_submit_below())
 *
 * dtr_error=1 (table only) makes ->dtr() report a failure, as a filter
 * whose teardown fails does (replication's, when its connection drops);
 * ctr_error=1 makes ->ctr() report one before it returns success, as a
 * filter does that finds its device failed while it is being built.
 * check_sleep_ms=<ms> (table only) sleeps that long when asked whether it
 * may attach: a table load that takes its time under the disk's lock,
 * while another command of the device runs.
 * Module parameter per_bio_pad=<bytes> makes every type's per-bio area
 * that much larger (unused), to test the core's bound on them.
 *
 * <ops> is reads, writes or all (default all). Status words: maps, end_ios,
 * deferred, completed, failed, corrupted, the map and end_io positions seen
 * ("map_pos P:N,..." means N bios saw this filter at place P), per
 * event the count and the place it was delivered at, and how many
 * ->event() and ->status() calls came in a noio scope (ev_noio,
 * status_noio); proc_maps and proc_ends count ->map_process() and
 * ->end_io_process() calls, bad_ctx those of them not in process context,
 * nomem_waits the writes whose bounce pages came only from process
 * context; and the tag netlink's VAIO_TEST_CMD_SET gave it.
 *
 * Netlink (VAIO_CMD_FILTER_CALL, <linux/dm-vaio-test.h>): GET answers the
 * maps and end_ios counters and the tag, SET sets the tag, the BIOS dump
 * lists the last bios mapped. test-qos-b has no netlink commands.
 */

#include "../dm-vaio-filter.h"

#include <linux/bio.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/dm-vaio-test.h>
#include <net/netlink.h>

#define DM_MSG_PREFIX "vaio-test"

#define VT_SPIN_MS_MAX	5000

enum vt_mode {
	VT_PASS, VT_DELAY, VT_DEFER, VT_COMPLETE, VT_FAIL, VT_CORRUPT,
	VT_INVERT, VT_HOLD_END, VT_SPIN, VT_REMAP,
};

#define VT_OPS_READ	1
#define VT_OPS_WRITE	2

struct vt_stats {
	u64 maps;
	u64 end_ios;
	u64 deferred;
	u64 completed;
	u64 failed;
	u64 corrupted;
	u64 proc_maps;
	u64 proc_ends;
	u64 bad_ctx;
	u64 nomem_waits;
	u64 map_pos[VAIO_NR_CLASSES];
	u64 end_pos[VAIO_NR_CLASSES];
};

/* A bio mapped, for the netlink dump VAIO_TEST_CMD_BIOS. */
struct vt_rec {
	u64 seq;			/* bios mapped before it */
	u64 sector;
	u32 sectors;
	enum req_op op;
};

struct vt_filter {
	struct vaio_filter *f;
	int mode;			/* enum vt_mode, READ_ONCE */
	unsigned int ops;
	unsigned int delay_ms;
	unsigned long veto;		/* bit per event type */
	bool refuse_reactivate;
	bool error_on_reactivate;	/* fails again while reactivated */
	bool dtr_error;			/* report a failure from ->dtr() */
	bool ctr_error;			/* report a failure from ->ctr() */
	unsigned int check_sleep_ms;	/* in ->event_check() of ATTACH */
	bool in_process;		/* ctx=process */
	bool has_pool;			/* bounce: mode=invert or bounce=1 */
	struct vaio_bounce_pool bounce;

	spinlock_t lock;		/* held, ended, may_defer */
	bool may_defer;			/* not between suspend and resume */
	struct list_head held;		/* deferred bios, by expiry */
	struct list_head ended;		/* held completions */
	struct delayed_work work;

	struct vt_stats __percpu *stats;
	atomic_t events[VAIO_NR_EVENTS];
	atomic_t event_pos[VAIO_NR_EVENTS];
	/* Calls made in a noio scope: the core's, under the disk's lock. */
	atomic_t ev_noio;		/* ->event() */
	atomic_t status_noio;		/* ->status() */

	/* Netlink: the tag of VAIO_TEST_CMD_SET; the last bios mapped. */
	u32 tag;			/* READ_ONCE */
	spinlock_t ring_lock;		/* ring, ring_count */
	u64 ring_count;			/* bios recorded: the next one's seq */
	struct vt_rec ring[VAIO_TEST_RING];
};

/* Would an allocation here skip I/O (memalloc_noio_save() scope)? */
static bool vt_in_noio(void)
{
	return !(current_gfp_context(GFP_KERNEL) & __GFP_IO);
}

/* Per-bio area. */
struct vt_bio {
	struct list_head list;
	struct bvec_iter read_iter;	/* the data of a read, as mapped */
	unsigned long expires;
	struct bio *bio;
	struct vaio_bounce bounce;	/* invert: a write's copy */
};

static const char * const mode_names[] = {
	[VT_PASS] = "pass", [VT_DELAY] = "delay", [VT_DEFER] = "defer",
	[VT_COMPLETE] = "complete", [VT_FAIL] = "fail",
	[VT_CORRUPT] = "corrupt", [VT_INVERT] = "invert",
	[VT_HOLD_END] = "hold_end", [VT_SPIN] = "spin", [VT_REMAP] = "remap",
};

static bool vt_applies(struct vt_filter *vt, struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_READ)
		return vt->ops & VT_OPS_READ;
	if (bio_op(bio) == REQ_OP_WRITE && bio_sectors(bio))
		return vt->ops & VT_OPS_WRITE;
	return false;		/* flushes, discards: always passed */
}

/*
 *--------------------------------------------------------------
 * Held bios and completions
 *--------------------------------------------------------------
 */

static void vt_work(struct work_struct *work)
{
	struct vt_filter *vt = container_of(to_delayed_work(work),
					    struct vt_filter, work);
	struct vt_bio *b, *tmp;
	unsigned long next = 0;
	LIST_HEAD(go);
	LIST_HEAD(up);

	spin_lock_irq(&vt->lock);
	list_for_each_entry_safe(b, tmp, &vt->held, list) {
		if (vt->may_defer && time_before(jiffies, b->expires)) {
			next = b->expires;
			break;
		}
		list_move_tail(&b->list, &go);
	}
	list_for_each_entry_safe(b, tmp, &vt->ended, list) {
		if (vt->may_defer && time_before(jiffies, b->expires)) {
			if (!next || time_before(b->expires, next))
				next = b->expires;
			break;
		}
		list_move_tail(&b->list, &up);
	}
	if (next)
		mod_delayed_work(system_wq, &vt->work, next - jiffies);
	spin_unlock_irq(&vt->lock);

	list_for_each_entry_safe(b, tmp, &go, list) {
		list_del(&b->list);
		vaio_bio_continue(b->bio, VAIO_PASS);
	}
	list_for_each_entry_safe(b, tmp, &up, list) {
		list_del(&b->list);
		vaio_bio_end_continue(b->bio);
	}
}

static void vt_hold(struct vt_filter *vt, struct list_head *list,
		    struct vt_bio *b, struct bio *bio)
{
	unsigned long flags;

	b->bio = bio;
	b->expires = jiffies + msecs_to_jiffies(READ_ONCE(vt->delay_ms));
	spin_lock_irqsave(&vt->lock, flags);
	list_add_tail(&b->list, list);
	/* Pending already: it fires for the oldest and re-arms itself. */
	queue_delayed_work(system_wq, &vt->work,
			   msecs_to_jiffies(READ_ONCE(vt->delay_ms)));
	spin_unlock_irqrestore(&vt->lock, flags);
}

/* Release everything held now, and hold nothing until resume. */
static void vt_release_all(struct vt_filter *vt)
{
	spin_lock_irq(&vt->lock);
	vt->may_defer = false;
	spin_unlock_irq(&vt->lock);
	mod_delayed_work(system_wq, &vt->work, 0);
	flush_delayed_work(&vt->work);
}

/*
 *--------------------------------------------------------------
 * Data
 *--------------------------------------------------------------
 */

/* A vaio_transform_fn: the bytes inverted. */
static int vt_invert(void *ctx, void *dst, const void *src, unsigned int len,
		     unsigned int off)
{
	const u8 *from = src;
	u8 *to = dst;
	unsigned int i;

	for (i = 0; i < len; i++)
		to[i] = ~from[i];
	return 0;
}

/* In process context? Counted against the filter if not. */
static void vt_check_ctx(struct vt_filter *vt)
{
	if (!in_task() || irqs_disabled())
		this_cpu_inc(vt->stats->bad_ctx);
}

/*
 * At completion the bio's own iterator may be used up (blk-mq advances it):
 * walk the read's data with the iterator saved at map time.
 */
static void vt_invert_read(struct bio *bio, struct vt_bio *b)
{
	vaio_transform_data(bio, b->read_iter, vt_invert, NULL);
}

static void vt_corrupt_read(struct bio *bio, struct vt_bio *b)
{
	struct bio_vec bv = bio_iter_iovec(bio, b->read_iter);
	u8 *p = bvec_kmap_local(&bv);

	p[0] ^= 0xff;
	kunmap_local(p);
}

/*
 *--------------------------------------------------------------
 * Netlink commands (VAIO_CMD_FILTER_CALL)
 *--------------------------------------------------------------
 */

/* From ->map(): no allocation, and any context (vaio_bio_continue()). */
static void vt_record(struct vt_filter *vt, struct bio *bio)
{
	struct vt_rec *r;
	unsigned long flags;

	spin_lock_irqsave(&vt->ring_lock, flags);
	r = &vt->ring[vt->ring_count % VAIO_TEST_RING];
	r->seq = vt->ring_count++;
	r->sector = bio->bi_iter.bi_sector;
	r->sectors = bio_sectors(bio);
	r->op = bio_op(bio);
	spin_unlock_irqrestore(&vt->ring_lock, flags);
}

/* Not const: 6.1's nla_policy points to it without. */
static struct netlink_range_validation vt_tag_range = {
	.max = VAIO_TEST_TAG_MAX,
};

static const struct nla_policy vt_nl_policy[VAIO_TEST_ATTR_MAX + 1] = {
	[VAIO_TEST_ATTR_TAG] = NLA_POLICY_FULL_RANGE(NLA_U32, &vt_tag_range),
};

static int vt_nl_call(struct vaio_filter *f, u32 cmd, struct nlattr **tb,
		      struct sk_buff *reply, struct netlink_ext_ack *extack)
{
	struct vt_filter *vt = f->private;
	u64 maps = 0, end_ios = 0;
	int cpu;

	switch (cmd) {
	case VAIO_TEST_CMD_GET:
		for_each_possible_cpu(cpu) {
			maps += per_cpu_ptr(vt->stats, cpu)->maps;
			end_ios += per_cpu_ptr(vt->stats, cpu)->end_ios;
		}
		if (nla_put_u64_64bit(reply, VAIO_TEST_ATTR_MAPS, maps,
				      VAIO_TEST_ATTR_PAD) ||
		    nla_put_u64_64bit(reply, VAIO_TEST_ATTR_END_IOS, end_ios,
				      VAIO_TEST_ATTR_PAD) ||
		    nla_put_u32(reply, VAIO_TEST_ATTR_TAG, READ_ONCE(vt->tag)))
			return -EMSGSIZE;
		return 0;
	case VAIO_TEST_CMD_SET:
		if (!tb[VAIO_TEST_ATTR_TAG]) {
			NL_SET_ERR_MSG(extack, "test filter: SET needs TAG");
			return -EINVAL;
		}
		WRITE_ONCE(vt->tag, nla_get_u32(tb[VAIO_TEST_ATTR_TAG]));
		return 0;
	case VAIO_TEST_CMD_BIOS:
		NL_SET_ERR_MSG(extack, "test filter: BIOS is a dump");
		return -EOPNOTSUPP;
	}
	NL_SET_ERR_MSG(extack, "test filter: unknown command");
	return -EOPNOTSUPP;
}

static int vt_put_rec(struct sk_buff *skb, const struct vt_rec *r)
{
	struct nlattr *nest = nla_nest_start(skb, VAIO_TEST_ATTR_ENTRY);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, VAIO_TEST_BIO_SEQ, r->seq,
			      VAIO_TEST_BIO_PAD) ||
	    nla_put_u64_64bit(skb, VAIO_TEST_BIO_SECTOR, r->sector,
			      VAIO_TEST_BIO_PAD) ||
	    nla_put_u32(skb, VAIO_TEST_BIO_SECTORS, r->sectors) ||
	    nla_put_u32(skb, VAIO_TEST_BIO_OP, (__force u32)r->op)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The ring, newest first, VAIO_TEST_PER_MSG bios per message: *@cursor is
 * the seq of the next bio to put, plus one (0: start at the newest). Bios
 * mapped during the dump push the oldest out of the ring; the dump ends
 * where it finds one gone.
 */
static int vt_nl_dump(struct vaio_filter *f, u32 cmd, struct nlattr **tb,
		      struct sk_buff *skb, unsigned long *cursor,
		      struct netlink_ext_ack *extack)
{
	struct vt_filter *vt = f->private;
	struct vt_rec recs[VAIO_TEST_PER_MSG];
	unsigned int n = 0, i;
	unsigned long next;

	if (cmd != VAIO_TEST_CMD_BIOS) {
		NL_SET_ERR_MSG(extack, "test filter: only BIOS is a dump");
		return -EOPNOTSUPP;
	}
	spin_lock_irq(&vt->ring_lock);
	next = *cursor ?: vt->ring_count;
	for (; n < VAIO_TEST_PER_MSG && next; n++, next--) {
		if (vt->ring_count - (next - 1) > VAIO_TEST_RING) {
			next = 0;	/* pushed out */
			break;
		}
		recs[n] = vt->ring[(next - 1) % VAIO_TEST_RING];
	}
	spin_unlock_irq(&vt->ring_lock);

	for (i = 0; i < n; i++) {
		if (vt_put_rec(skb, &recs[i])) {
			/* The rest in the next message. */
			*cursor = recs[i].seq + 1;
			return 1;
		}
	}
	*cursor = next;
	return next ? 1 : 0;
}

/*
 *--------------------------------------------------------------
 * Filter ops
 *--------------------------------------------------------------
 */

static enum vaio_verdict vt_map(struct vaio_filter *f, struct bio *bio,
				void *data)
{
	struct vt_filter *vt = f->private;
	struct vt_bio *b = data;
	unsigned int pos = vaio_bio_position(bio);

	this_cpu_inc(vt->stats->maps);
	if (pos < VAIO_NR_CLASSES)
		this_cpu_inc(vt->stats->map_pos[pos]);
	vt_record(vt, bio);
	b->bounce.bvec = NULL;
	b->read_iter = bio->bi_iter;

	if (!vt_applies(vt, bio))
		return VAIO_PASS;

	switch (READ_ONCE(vt->mode)) {
	case VT_DELAY:
	case VT_DEFER:
		if (!READ_ONCE(vt->may_defer))
			return VAIO_PASS;
		this_cpu_inc(vt->stats->deferred);
		vt_hold(vt, &vt->held, b, bio);
		return VAIO_DEFER;
	case VT_COMPLETE:
		this_cpu_inc(vt->stats->completed);
		bio->bi_status = BLK_STS_OK;
		return VAIO_DONE;
	case VT_FAIL:
		this_cpu_inc(vt->stats->failed);
		bio->bi_status = BLK_STS_IOERR;
		return VAIO_FAIL;
	case VT_SPIN:
		/* A slow ->map(): the window between the core's checks. */
		mdelay(READ_ONCE(vt->delay_ms));
		return VAIO_PASS;
	case VT_REMAP:
		return VAIO_REMAP;
	case VT_INVERT:
		if (bio_op(bio) != REQ_OP_WRITE)
			return VAIO_PASS;
		if (vt->in_process)
			return VAIO_PROCESS;
		/* No page without sleeping: the rest in process context. */
		if (vaio_bounce_write(&vt->bounce, bio, &b->bounce,
				      GFP_NOWAIT, vt_invert, NULL)) {
			this_cpu_inc(vt->stats->nomem_waits);
			return VAIO_PROCESS;
		}
		return VAIO_PASS;
	default:
		return VAIO_PASS;
	}
}

/* A write's copy, when ->map() could not (or ctx=process): cannot fail. */
static enum vaio_verdict vt_map_process(struct vaio_filter *f, struct bio *bio,
					void *data)
{
	struct vt_filter *vt = f->private;
	struct vt_bio *b = data;

	this_cpu_inc(vt->stats->proc_maps);
	vt_check_ctx(vt);
	might_sleep();
	if (vaio_bounce_write(&vt->bounce, bio, &b->bounce, GFP_NOIO,
			      vt_invert, NULL)) {
		this_cpu_inc(vt->stats->failed);
		bio->bi_status = BLK_STS_RESOURCE;
		return VAIO_FAIL;
	}
	return VAIO_PASS;
}

static enum vaio_end_verdict vt_end_io_process(struct vaio_filter *f,
					       struct bio *bio, void *data,
					       blk_status_t *error)
{
	struct vt_filter *vt = f->private;

	this_cpu_inc(vt->stats->proc_ends);
	vt_check_ctx(vt);
	might_sleep();
	vt_invert_read(bio, data);
	return VAIO_END_DONE;
}

static enum vaio_end_verdict vt_end_io(struct vaio_filter *f, struct bio *bio,
				       void *data, blk_status_t *error)
{
	struct vt_filter *vt = f->private;
	struct vt_bio *b = data;
	unsigned int pos = vaio_bio_position(bio);
	int mode = READ_ONCE(vt->mode);

	this_cpu_inc(vt->stats->end_ios);
	if (pos < VAIO_NR_CLASSES)
		this_cpu_inc(vt->stats->end_pos[pos]);

	vaio_bounce_end(&vt->bounce, bio, &b->bounce);

	if (*error || !vt_applies(vt, bio))
		return VAIO_END_DONE;

	if (bio_op(bio) == REQ_OP_READ) {
		if (mode == VT_CORRUPT) {
			this_cpu_inc(vt->stats->corrupted);
			vt_corrupt_read(bio, b);
		} else if (mode == VT_INVERT && vt->in_process) {
			return VAIO_END_PROCESS;
		} else if (mode == VT_INVERT) {
			vt_invert_read(bio, b);
		}
	}
	if (mode == VT_HOLD_END && READ_ONCE(vt->may_defer)) {
		this_cpu_inc(vt->stats->deferred);
		vt_hold(vt, &vt->ended, b, bio);
		return VAIO_END_DEFER;
	}
	return VAIO_END_DONE;
}

static int parse_ops(unsigned int argc, char **argv, unsigned int *ops)
{
	if (!argc || !strcmp(argv[0], "all"))
		*ops = VT_OPS_READ | VT_OPS_WRITE;
	else if (!strcmp(argv[0], "reads"))
		*ops = VT_OPS_READ;
	else if (!strcmp(argv[0], "writes"))
		*ops = VT_OPS_WRITE;
	else
		return -EINVAL;
	return argc > 1 ? -EINVAL : 0;
}

static int parse_event(const char *s)
{
	int i;

	for (i = 0; i < VAIO_NR_EVENTS; i++)
		if (!strcmp(s, vaio_event_name(i)))
			return i;
	return -EINVAL;
}

/*
 *--------------------------------------------------------------
 * Own I/O through the filters below
 *--------------------------------------------------------------
 */

/* @bytes at @sector, to or from @pages, through the filters below; waits. */
static int vt_below_io(struct vaio_filter *f, blk_opf_t opf, sector_t sector,
		       struct page **pages, unsigned int bytes)
{
	unsigned int n = DIV_ROUND_UP(bytes, PAGE_SIZE), i;
	struct bio *bio;
	int r;

	bio = vaio_bio_alloc_below(f, n, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < n; i++)
		__bio_add_page(bio, pages[i],
			       min_t(unsigned int, bytes - i * PAGE_SIZE, PAGE_SIZE), 0);
	r = vaio_submit_below_wait(f, bio);
	bio_put(bio);
	return r;
}

#define VT_COPY_MAX	256	/* sectors */

/* copy <src> <dst> <sectors>: read, then write, both below this filter. */
static int vt_copy(struct vt_filter *vt, char **argv, char **error)
{
	struct page *pages[VT_COPY_MAX >> (PAGE_SHIFT - SECTOR_SHIFT)] = { };
	unsigned long long src, dst;
	unsigned int n, i, bytes;
	int r = -ENOMEM;

	if (kstrtoull(argv[0], 10, &src) || kstrtoull(argv[1], 10, &dst) ||
	    kstrtouint(argv[2], 10, &n) || !n || n > VT_COPY_MAX) {
		*error = "copy <src> <dst> <sectors>: sectors 1-256";
		return -EINVAL;
	}
	bytes = n << SECTOR_SHIFT;
	for (i = 0; i < DIV_ROUND_UP(bytes, PAGE_SIZE); i++) {
		pages[i] = alloc_page(GFP_NOIO);
		if (!pages[i])
			goto out;
	}
	r = vt_below_io(vt->f, REQ_OP_READ, src, pages, bytes);
	if (!r)
		r = vt_below_io(vt->f, REQ_OP_WRITE, dst, pages, bytes);
out:
	for (i = 0; i < ARRAY_SIZE(pages) && pages[i]; i++)
		__free_page(pages[i]);
	if (r)
		*error = "copy failed";
	return r;
}

/* One command (table argument words or a message); *error says why not. */
static int vt_command(struct vt_filter *vt, unsigned int argc, char **argv,
		      char **error)
{
	unsigned int ops, ms = 0, i;
	int mode = -1, ev, r;

	if (!argc)
		return 0;

	for (i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (!strcmp(argv[0], mode_names[i]))
			mode = i;

	if (mode == VT_DELAY || mode == VT_HOLD_END || mode == VT_SPIN) {
		if (argc < 2 || kstrtouint(argv[1], 10, &ms) || ms > 60000 ||
		    (mode == VT_SPIN && ms > VT_SPIN_MS_MAX)) {
			*error = "delay/hold_end need milliseconds (0-60000), spin 0-5000";
			return -EINVAL;
		}
		argc--;
		argv++;
	}
	if (mode == VT_INVERT && !vt->has_pool) {
		*error = "invert needs bounce pages: mode=invert or bounce=1 in the table";
		return -EINVAL;
	}
	if (mode >= 0) {
		if (parse_ops(argc - 1, argv + 1, &ops)) {
			*error = "ops must be reads, writes or all";
			return -EINVAL;
		}
		WRITE_ONCE(vt->ops, ops);
		WRITE_ONCE(vt->delay_ms, ms);
		WRITE_ONCE(vt->mode, mode);
		return 0;
	}

	if (!strcmp(argv[0], "veto") && argc == 2) {
		if (!strcmp(argv[1], "none")) {
			WRITE_ONCE(vt->veto, 0);
			return 0;
		}
		ev = parse_event(argv[1]);
		if (ev < 0 || ev == VAIO_EV_SUSPEND || ev == VAIO_EV_RESUME) {
			*error = "only attach, detach, grow and snapshot can be vetoed";
			return -EINVAL;
		}
		set_bit(ev, &vt->veto);
		return 0;
	}
	if (!strcmp(argv[0], "refuse_reactivate") && argc == 2) {
		r = kstrtobool(argv[1], &vt->refuse_reactivate);
		if (r)
			*error = "refuse_reactivate takes 0 or 1";
		return r;
	}
	if (!strcmp(argv[0], "error_on_reactivate") && argc == 2) {
		r = kstrtobool(argv[1], &vt->error_on_reactivate);
		if (r)
			*error = "error_on_reactivate takes 0 or 1";
		return r;
	}
	if (!strcmp(argv[0], "copy") && argc == 4)
		return vt_copy(vt, argv + 1, error);
	if (!strcmp(argv[0], "error") && argc == 1) {
		vaio_filter_error(vt->f, "failure injected by message");
		return 0;
	}
	if (!strcmp(argv[0], "reset") && argc == 1) {
		int cpu;

		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(vt->stats, cpu), 0, sizeof(struct vt_stats));
		for (i = 0; i < VAIO_NR_EVENTS; i++) {
			atomic_set(&vt->events[i], 0);
			atomic_set(&vt->event_pos[i], 0);
		}
		atomic_set(&vt->ev_noio, 0);
		atomic_set(&vt->status_noio, 0);
		return 0;
	}

	*error = "unknown test filter command";
	return -EINVAL;
}

/*
 * mode=<mode> [ms=<ms>] [ops=<ops>] veto=<event> refuse_reactivate=<0|1>
 * dtr_error=<0|1> ctr_error=<0|1>
 */
static int vt_params(struct vt_filter *vt, unsigned int argc, char **argv,
		     char **error)
{
	const char *mode = vaio_param(argc, argv, "mode") ?: "pass";
	const char *ms = vaio_param(argc, argv, "ms");
	const char *ops = vaio_param(argc, argv, "ops") ?: "all";
	const char *veto = vaio_param(argc, argv, "veto");
	const char *refuse = vaio_param(argc, argv, "refuse_reactivate");
	const char *dtr_error = vaio_param(argc, argv, "dtr_error");
	const char *ctr_error = vaio_param(argc, argv, "ctr_error");
	const char *check_sleep = vaio_param(argc, argv, "check_sleep_ms");
	char *cmd[3] = { (char *)mode };
	unsigned int n = 1;
	int r;

	if (!strcmp(mode, "delay") || !strcmp(mode, "hold_end")) {
		if (!ms) {
			*error = "mode=delay and mode=hold_end need ms=";
			return -EINVAL;
		}
		cmd[n++] = (char *)ms;
	} else if (ms) {
		*error = "ms= goes with mode=delay or mode=hold_end only";
		return -EINVAL;
	}
	cmd[n++] = (char *)ops;
	r = vt_command(vt, n, cmd, error);
	if (!r && veto) {
		cmd[0] = "veto";
		cmd[1] = (char *)veto;
		r = vt_command(vt, 2, cmd, error);
	}
	if (!r && refuse) {
		cmd[0] = "refuse_reactivate";
		cmd[1] = (char *)refuse;
		r = vt_command(vt, 2, cmd, error);
	}
	if (!r && dtr_error)
		r = kstrtobool(dtr_error, &vt->dtr_error);	/* checked: 0 or 1 */
	if (!r && ctr_error)
		r = kstrtobool(ctr_error, &vt->ctr_error);
	if (!r && check_sleep)
		r = kstrtouint(check_sleep, 10, &vt->check_sleep_ms);
	return r;
}

/* A boolean parameter given as 1. */
static bool vt_flag(unsigned int argc, char **argv, const char *key)
{
	const char *v = vaio_param(argc, argv, key);

	return v && !strcmp(v, "1");
}

static int vt_ctr(struct vaio_filter *f, unsigned int argc, char **argv,
		  char **error)
{
	struct vt_filter *vt;
	int r;

	vt = kzalloc(sizeof(*vt), GFP_KERNEL);
	if (!vt) {
		*error = "cannot allocate test filter";
		return -ENOMEM;
	}
	vt->stats = alloc_percpu(struct vt_stats);
	if (!vt->stats) {
		kfree(vt);
		*error = "cannot allocate test filter statistics";
		return -ENOMEM;
	}
	vt->f = f;
	vt->in_process = !strcmp(vaio_param(argc, argv, "ctx") ?: "map",
				 "process");
	if (vt_flag(argc, argv, "bounce") ||
	    !strcmp(vaio_param(argc, argv, "mode") ?: "", "invert")) {
		/* 64 pages: bios of up to 256 KiB reach this disk's filters. */
		r = vaio_bounce_pool_init(f, &vt->bounce, 64);
		if (r) {
			free_percpu(vt->stats);
			kfree(vt);
			*error = "cannot allocate bounce pages";
			return r;
		}
		vt->has_pool = true;
		/*
		 * A discard or write-zeroes would leave blocks that read back
		 * inverted (not zeroes): as encryption, offer none.
		 */
		f->no_discard = true;
		f->no_write_zeroes = true;
		f->no_secure_erase = true;
	}
	vt->ops = VT_OPS_READ | VT_OPS_WRITE;
	vt->may_defer = true;
	spin_lock_init(&vt->lock);
	spin_lock_init(&vt->ring_lock);
	INIT_LIST_HEAD(&vt->held);
	INIT_LIST_HEAD(&vt->ended);
	INIT_DELAYED_WORK(&vt->work, vt_work);
	f->private = vt;

	/* The parameters, checked by the core, as commands. */
	r = vt_params(vt, argc, argv, error);
	if (r) {
		if (vt->has_pool)
			vaio_bounce_pool_exit(&vt->bounce);
		free_percpu(vt->stats);
		kfree(vt);
		return r;
	}
	f->no_discard |= vt_flag(argc, argv, "no_discard");
	f->no_write_zeroes |= vt_flag(argc, argv, "no_write_zeroes");
	f->needs_flush = vt_flag(argc, argv, "needs_flush");
	f->needs_stable_pages = vt_flag(argc, argv, "stable_pages");
	if (vt->ctr_error)
		vaio_filter_error(f, "failure injected at construction");
	return 0;
}

static void vt_dtr(struct vaio_filter *f)
{
	struct vt_filter *vt = f->private;

	/* dm has drained every bio: nothing is held. */
	cancel_delayed_work_sync(&vt->work);
	WARN_ON(!list_empty(&vt->held) || !list_empty(&vt->ended));
	if (vt->dtr_error)
		vaio_filter_error(f, "failure injected at teardown");
	if (vt->has_pool)
		vaio_bounce_pool_exit(&vt->bounce);
	free_percpu(vt->stats);
	kfree(vt);
}

static int vt_event_check(struct vaio_filter *f, const struct vaio_event *ev,
			  const char **reason)
{
	struct vt_filter *vt = f->private;

	/* The table's load holds the disk's lock meanwhile, as a slow one. */
	if (ev->type == VAIO_EV_ATTACH && vt->check_sleep_ms) {
		DMINFO("%s: %s: attach check%s sleeps %u ms", vaio_disk_id(f),
		       f->type->name, ev->disk_new ? " disk_new" : "",
		       vt->check_sleep_ms);
		msleep(vt->check_sleep_ms);
	}
	if (test_bit(ev->type, &vt->veto)) {
		*reason = "vetoed by test filter";
		return -EBUSY;
	}
	return 0;
}

static void vt_event(struct vaio_filter *f, const struct vaio_event *ev)
{
	struct vt_filter *vt = f->private;

	atomic_inc(&vt->events[ev->type]);
	atomic_set(&vt->event_pos[ev->type], ev->pos);
	if (vt_in_noio())
		atomic_inc(&vt->ev_noio);
	/* The flags, for the tests (the instance may be gone next). */
	if (ev->type == VAIO_EV_ATTACH || ev->type == VAIO_EV_DETACH ||
	    ev->type == VAIO_EV_QUIESCE)
		DMINFO("%s: %s: %s%s%s%s", vaio_disk_id(f),
		       f->type->name, vaio_event_name(ev->type),
		       ev->disk_new ? " disk_new" : "",
		       ev->disk_gone ? " disk_gone" : "",
		       ev->flush ? " flush" : "");

	switch (ev->type) {
	case VAIO_EV_SUSPEND:
		vt_release_all(vt);
		break;
	case VAIO_EV_RESUME:
		spin_lock_irq(&vt->lock);
		vt->may_defer = true;
		spin_unlock_irq(&vt->lock);
		break;
	default:
		break;
	}
}

static int vt_message(struct vaio_filter *f, unsigned int argc, char **argv,
		      char *result, unsigned int maxlen)
{
	char *error = NULL;
	int r;

	r = vt_command(f->private, argc, argv, &error);
	if (r)
		DMERR("%s: %s: %s", vaio_disk_id(f), f->type->name, error);
	return r;
}

static void emit_pos(const char *name, u64 *pos, char *result,
		     unsigned int maxlen, unsigned int *szp)
{
	unsigned int sz = *szp, i;
	bool any = false;

	DMEMIT(" %s ", name);
	for (i = 0; i < VAIO_NR_CLASSES; i++) {
		if (!pos[i])
			continue;
		DMEMIT("%s%u:%llu", any ? "," : "", i, pos[i]);
		any = true;
	}
	if (!any)
		DMEMIT("-");
	*szp = sz;
}

static void vt_status(struct vaio_filter *f, char *result, unsigned int maxlen)
{
	struct vt_filter *vt = f->private;
	struct vt_stats sum = { };
	unsigned int sz = 0, i;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vt_stats *s = per_cpu_ptr(vt->stats, cpu);

		sum.maps += s->maps;
		sum.end_ios += s->end_ios;
		sum.deferred += s->deferred;
		sum.completed += s->completed;
		sum.failed += s->failed;
		sum.corrupted += s->corrupted;
		sum.proc_maps += s->proc_maps;
		sum.proc_ends += s->proc_ends;
		sum.bad_ctx += s->bad_ctx;
		sum.nomem_waits += s->nomem_waits;
		for (i = 0; i < VAIO_NR_CLASSES; i++) {
			sum.map_pos[i] += s->map_pos[i];
			sum.end_pos[i] += s->end_pos[i];
		}
	}

	DMEMIT("mode %s maps %llu end_ios %llu", mode_names[READ_ONCE(vt->mode)],
	       sum.maps, sum.end_ios);
	DMEMIT(" deferred %llu completed %llu failed %llu corrupted %llu",
	       sum.deferred, sum.completed, sum.failed, sum.corrupted);
	DMEMIT(" proc_maps %llu proc_ends %llu bad_ctx %llu nomem_waits %llu",
	       sum.proc_maps, sum.proc_ends, sum.bad_ctx, sum.nomem_waits);
	emit_pos("map_pos", sum.map_pos, result, maxlen, &sz);
	emit_pos("end_pos", sum.end_pos, result, maxlen, &sz);
	for (i = 0; i < VAIO_NR_EVENTS; i++)
		DMEMIT(" ev_%s %d:%d", vaio_event_name(i),
		       atomic_read(&vt->events[i]),
		       atomic_read(&vt->event_pos[i]));
	/* This call counts itself. */
	if (vt_in_noio())
		atomic_inc(&vt->status_noio);
	DMEMIT(" ev_noio %d status_noio %d", atomic_read(&vt->ev_noio),
	       atomic_read(&vt->status_noio));
	DMEMIT(" tag %u", READ_ONCE(vt->tag));
}

static int vt_reactivate(struct vaio_filter *f)
{
	struct vt_filter *vt = f->private;

	/* A failure while reactivated, though ->reactivate() says yes. */
	if (READ_ONCE(vt->error_on_reactivate))
		vaio_filter_error(f, "failure injected during reactivate");
	return READ_ONCE(vt->refuse_reactivate) ? -EBUSY : 0;
}

static const struct vaio_param vt_params_decl[] = {
	{ .name = "mode", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = "pass|delay|defer|complete|fail|corrupt|invert|hold_end",
	  .def = "pass", .help = "what to do with bios" },
	{ .name = "ms", .kind = VAIO_PARAM_KIND_UINT, .min = 0, .max = 60000,
	  .help = "milliseconds, for mode=delay and mode=hold_end" },
	{ .name = "ops", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = "reads|writes|all", .def = "all",
	  .help = "which bios the mode applies to" },
	{ .name = "veto", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = "attach|detach|grow|snapshot|none", .def = "none",
	  .help = "control event to veto" },
	{ .name = "refuse_reactivate", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "refuse to be reactivated after a failure" },
	{ .name = "dtr_error", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "report a failure from the destructor" },
	{ .name = "ctr_error", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "report a failure from the constructor" },
	{ .name = "check_sleep_ms", .kind = VAIO_PARAM_KIND_UINT, .min = 0,
	  .max = 10000, .def = "0",
	  .help = "sleep this long in the attach check (a slow table load)" },
	{ .name = "no_fail_open", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "refuse fail_open (as a write-back cache does)" },
	{ .name = "no_discard", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "the disk offers no discard" },
	{ .name = "no_write_zeroes", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "the disk offers no write-zeroes" },
	{ .name = "needs_flush", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "the disk offers flush and FUA whatever is below" },
	{ .name = "stable_pages", .kind = VAIO_PARAM_KIND_BOOL,
	  .def = "0", .help = "the disk asks for stable writes" },
	{ .name = "bounce", .kind = VAIO_PARAM_KIND_BOOL, .def = "0",
	  .help = "keep bounce pages (for invert by message); bios split at 256 KiB" },
	{ .name = "ctx", .kind = VAIO_PARAM_KIND_ENUM, .choices = "map|process",
	  .def = "map", .help = "invert: transform in ->map()/->end_io() or in process context" },
	{ }
};

/* no_fail_open=1: bypassing this instance would lose data. */
static int vt_fail_mode_check(enum vaio_fail_mode mode, unsigned int argc,
			      char **argv, const char **reason)
{
	if (mode == VAIO_FAIL_OPEN && vt_flag(argc, argv, "no_fail_open")) {
		*reason = "test filter: no_fail_open=1 needs fail_closed";
		return -EINVAL;
	}
	return 0;
}

#define VT_TYPE(_name, _class, _fail_modes, _reactivate) {		\
	.name = _name,							\
	.params = vt_params_decl,					\
	.class = _class,						\
	.fail_modes = _fail_modes,					\
	.version = {1, 0, 0},						\
	.owner = THIS_MODULE,						\
	.per_bio_data_size = sizeof(struct vt_bio),			\
	.nl_policy = vt_nl_policy,					\
	.nl_maxattr = VAIO_TEST_ATTR_MAX,				\
	.ops = {							\
		.ctr = vt_ctr,						\
		.dtr = vt_dtr,						\
		.map = vt_map,						\
		.map_process = vt_map_process,				\
		.end_io_process = vt_end_io_process,			\
		.end_io = vt_end_io,					\
		.event_check = vt_event_check,				\
		.event = vt_event,					\
		.message = vt_message,					\
		.status = vt_status,					\
		.reactivate = _reactivate,				\
		.fail_mode_check = vt_fail_mode_check,			\
		.nl_call = vt_nl_call,					\
		.nl_dump = vt_nl_dump,					\
	},								\
}

#define VT_BOTH (VAIO_ALLOW_FAIL_OPEN | VAIO_ALLOW_FAIL_CLOSED)

static struct vaio_filter_type vt_types[] = {
	VT_TYPE("test-qos", VAIO_CLASS_QOS, VT_BOTH, vt_reactivate),
	VT_TYPE("test-inspection", VAIO_CLASS_INSPECTION, VT_BOTH, vt_reactivate),
	/* Encryption is never fail_open. */
	VT_TYPE("test-encryption", VAIO_CLASS_ENCRYPTION,
		VAIO_ALLOW_FAIL_CLOSED, vt_reactivate),
	VT_TYPE("test-replication", VAIO_CLASS_REPLICATION, VT_BOTH,
		vt_reactivate),
	VT_TYPE("test-cache", VAIO_CLASS_CACHE, VT_BOTH, vt_reactivate),
	/*
	 * A second QoS type: two filters of one class must be refused. It
	 * has no ->reactivate: a reload is its only way back.
	 */
	VT_TYPE("test-qos-b", VAIO_CLASS_QOS, VT_BOTH, NULL),
};

/* For the core's bound on the filters' per-bio data together. */
static unsigned int per_bio_pad;
module_param(per_bio_pad, uint, 0444);
MODULE_PARM_DESC(per_bio_pad, "bytes added to each type's per-bio area, unused (default 0)");

static int __init vt_init(void)
{
	int i, r;

	for (i = 0; i < ARRAY_SIZE(vt_types); i++) {
		vt_types[i].per_bio_data_size = sizeof(struct vt_bio) + per_bio_pad;
		/* For the core's refusal of a type without them. */
		if (!strcmp(vt_types[i].name, "test-qos-b")) {
			vt_types[i].ops.nl_call = NULL;
			vt_types[i].ops.nl_dump = NULL;
			vt_types[i].nl_policy = NULL;
			vt_types[i].nl_maxattr = 0;
		}
		r = vaio_register_filter(&vt_types[i]);
		if (r)
			goto bad;
	}
	return 0;

bad:
	while (i--)
		vaio_unregister_filter(&vt_types[i]);
	return r;
}

static void __exit vt_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vt_types); i++)
		vaio_unregister_filter(&vt_types[i]);
}

module_init(vt_init);
module_exit(vt_exit);

MODULE_DESCRIPTION("dm-vaio test filter (testing only)");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-vaio-test-qos");
MODULE_ALIAS("dm-vaio-test-inspection");
MODULE_ALIAS("dm-vaio-test-encryption");
MODULE_ALIAS("dm-vaio-test-replication");
MODULE_ALIAS("dm-vaio-test-cache");
MODULE_ALIAS("dm-vaio-test-qos-b");
