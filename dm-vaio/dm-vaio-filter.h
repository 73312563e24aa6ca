/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vaio filter API: what a filter module implements and may call.
 *
 * A filter type (name, class, ops) is registered by its module with
 * vaio_register_filter(). Each disk (vaio target) that names the type in
 * its table gets its own instance, struct vaio_filter. The core runs the
 * instances of a disk in class order: every bio meets ->map() of each
 * filter from VAIO_CLASS_QOS down to VAIO_CLASS_CACHE, and its completion
 * meets ->end_io() of exactly those filters in reverse order.
 *
 * See Documentation/filter-api.rst.
 */
#ifndef DM_VAIO_FILTER_H
#define DM_VAIO_FILTER_H

#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/bio.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mutex.h>

/* In the order a write meets them, from the VM down to the disk. */
enum vaio_class {
	VAIO_CLASS_QOS,
	VAIO_CLASS_INSPECTION,
	VAIO_CLASS_ENCRYPTION,
	VAIO_CLASS_REPLICATION,
	VAIO_CLASS_CACHE,
	VAIO_NR_CLASSES
};

/* What ->map() decides for a bio. */
enum vaio_verdict {
	VAIO_PASS,	/* on to the next filter, then the data device */
	VAIO_REMAP,	/* submit as the filter left it; filters below skip it */
	VAIO_DONE,	/* the filter completed it; bio->bi_status is the result */
	VAIO_DEFER,	/* the filter holds it: vaio_bio_continue() later */
	VAIO_FAIL,	/* complete with bio->bi_status, BLK_STS_IOERR if unset */
	VAIO_PROCESS,	/* go on in process context: ->map_process() */
};

/* What ->end_io() decides for a completing bio. */
enum vaio_end_verdict {
	VAIO_END_DONE,	/* on up to the filter above */
	VAIO_END_DEFER,	/* the filter holds it: vaio_bio_end_continue() later */
	VAIO_END_PROCESS, /* go on in process context: ->end_io_process() */
};

enum vaio_event_type {
	VAIO_EV_ATTACH,		/* filter joins a live disk (vetoable) */
	VAIO_EV_DETACH,		/* filter leaves a disk (vetoable) */
	VAIO_EV_SUSPEND,	/* disk suspends: release deferred bios */
	VAIO_EV_RESUME,		/* disk resumes */
	VAIO_EV_GROW,		/* disk grows from old_len to new_len (vetoable) */
	VAIO_EV_SNAPSHOT,	/* consistent point named tag (vetoable) */
	VAIO_EV_QUIESCE,	/* disk suspended, no I/O in flight */
	VAIO_NR_EVENTS
};

struct vaio_event {
	enum vaio_event_type type;
	sector_t old_len;	/* GROW */
	sector_t new_len;	/* GROW */
	const char *tag;	/* SNAPSHOT */
	unsigned int pos;	/* this filter's place in delivery order */
	bool disk_new;		/* ATTACH: the device's first table */
	bool disk_gone;		/* DETACH: the device is removed */
	bool flush;		/* QUIESCE: not a noflush suspend */
};

enum vaio_fail_mode {
	VAIO_FAIL_OPEN,		/* on failure: bypass the filter, disk goes on */
	VAIO_FAIL_CLOSED,	/* on failure: the disk's I/O errors */
};

/* The fail modes a type allows (vaio_filter_type.fail_modes). */
#define VAIO_ALLOW_FAIL_OPEN	BIT(VAIO_FAIL_OPEN)
#define VAIO_ALLOW_FAIL_CLOSED	BIT(VAIO_FAIL_CLOSED)

enum vaio_filter_state {
	VAIO_FILTER_ACTIVE,
	VAIO_FILTER_BYPASSED,	/* failed, fail_open: bios skip it */
	VAIO_FILTER_FAILED,	/* failed, fail_closed: the disk errors I/O */
};

struct vaio_filter;
struct vaio_c;

/* vaio_filter.proc_*[]: the queues of ->map_process(), ->end_io_process() */
#define VAIO_PROC_MAP	0
#define VAIO_PROC_END	1
struct nla_policy;
struct nlattr;
struct sk_buff;
struct netlink_ext_ack;

struct vaio_filter_ops {
	/* Parse args, allocate. Sleeping allowed. Set *error on failure. */
	int (*ctr)(struct vaio_filter *f, unsigned int argc, char **argv,
		   char **error);
	void (*dtr)(struct vaio_filter *f);
	/*
	 * Optional. At table load, after every filter's ->ctr(), in class
	 * order, once the chain is laid out (index, below_filters,
	 * below_max_sectors set): a filter that cannot work at its place in
	 * this table (say, with filters below it) refuses the table by
	 * setting *error and returning a negative errno; every filter of the
	 * table is then destroyed with ->dtr(), as on a ->ctr() failure.
	 */
	int (*table_check)(struct vaio_filter *f, char **error);

	/*
	 * Per bio, in class order. Must not sleep. @data is this filter's
	 * per-bio area (type->per_bio_data_size bytes, uninitialised).
	 */
	enum vaio_verdict (*map)(struct vaio_filter *f, struct bio *bio,
				 void *data);
	/* Per completing bio whose ->map() this filter saw. Must not sleep. */
	enum vaio_end_verdict (*end_io)(struct vaio_filter *f, struct bio *bio,
					void *data, blk_status_t *error);
	/*
	 * The second half of a ->map() that returned VAIO_PROCESS, or of an
	 * ->end_io() that returned VAIO_END_PROCESS, run from the disk's
	 * workqueue (kvaiod/<dev>, WQ_MEM_RECLAIM): it may sleep and allocate
	 * with GFP_NOIO (never GFP_KERNEL: the disk's writeback may wait on
	 * it). ->map_process() returns any verdict but VAIO_PROCESS;
	 * ->end_io_process() VAIO_END_DONE or VAIO_END_DEFER. Bios sent
	 * there run one after another: a filter with a lot of work per bio
	 * (a cipher) brings its own workqueue.
	 */
	enum vaio_verdict (*map_process)(struct vaio_filter *f, struct bio *bio,
					 void *data);
	enum vaio_end_verdict (*end_io_process)(struct vaio_filter *f,
						struct bio *bio, void *data,
						blk_status_t *error);

	/*
	 * Events, in class order, in process context. ->event_check() may
	 * veto a vetoable event by returning an error and setting *reason;
	 * an event is delivered with ->event() only after every filter of
	 * the disk accepted it.
	 */
	int (*event_check)(struct vaio_filter *f, const struct vaio_event *ev,
			   const char **reason);
	void (*event)(struct vaio_filter *f, const struct vaio_event *ev);

	/* dmsetup message <dev> 0 <filter> <args...> */
	int (*message)(struct vaio_filter *f, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen);
	/* STATUSTYPE_INFO words of this filter ("key value ..."). */
	void (*status)(struct vaio_filter *f, char *result, unsigned int maxlen);
	/* Tighten the disk's queue limits, if the filter needs to. */
	void (*io_hints)(struct vaio_filter *f, struct queue_limits *limits);
	/*
	 * Make a failed or bypassed filter correct again (a cache drops what
	 * went stale while bypassed) and say yes with 0. Without it a filter
	 * cannot be reactivated; a table reload gives it a new instance,
	 * attached as to a disk that ran without it.
	 */
	int (*reactivate)(struct vaio_filter *f);
	/*
	 * The admin is about to take a fail_open filter out of service
	 * (process context, the disk's lock held, its I/O still passing
	 * through the filter): what it must persist first so that a crash
	 * while it is bypassed loses nothing (replication: its activity log
	 * stops covering the writes). Non-zero: the bypass is refused.
	 */
	int (*prepare_bypass)(struct vaio_filter *f);
	/*
	 * Of a type, not an instance: do these table arguments make a
	 * filter? For the rules between words (a reservation above a
	 * limit), after the core checked each word against its declaration.
	 * 0: yes; otherwise -EINVAL with *reason (a static string). Runs at
	 * table load before ->ctr() and for CHAIN_CHECK, so that vaioctl
	 * refuses a policy the table would refuse.
	 */
	int (*args_check)(unsigned int argc, char **argv, const char **reason);
	/*
	 * Of a type, not an instance: may a filter with these table
	 * arguments be given fail @mode? 0: yes; otherwise set *reason (a
	 * static string). Runs at table load and for CHAIN_CHECK, after the
	 * type's fail_modes allowed @mode and its parameters were checked.
	 */
	int (*fail_mode_check)(enum vaio_fail_mode mode, unsigned int argc,
			       char **argv, const char **reason);

	/*
	 * Netlink command VAIO_CMD_FILTER_CALL to the instance of the disk's
	 * live table (Documentation/filter-api.rst, "Netlink commands of a
	 * filter"). @cmd is the filter's own command number, @tb the
	 * attributes of the request's FILTER_DATA, parsed by the core with
	 * the type's nl_policy (NULL without one). Process context, under
	 * the disk's lock in its noio scope: may sleep, allocates GFP_NOIO
	 * (or GFP_KERNEL, which the scope makes noio) and handles failure.
	 *
	 * ->nl_call() puts its answer's attributes into @reply, inside the
	 * FILTER_DATA nest the core opened; returns 0 or a negative errno,
	 * with a message in @extack if it likes (NL_SET_ERR_MSG()).
	 *
	 * ->nl_dump() puts whole entries (one nest each, say) into @skb,
	 * inside the FILTER_DATA nest of one dump message; *@cursor is 0 at
	 * the first call and the filter's between calls. Returns 1 when
	 * there is more (*@cursor says where to go on), 0 when the dump is
	 * complete, or a negative errno (with a message in @extack if it
	 * likes). An entry that does not fit (nla_nest_start() or nla_put()
	 * fails) goes into the next message: cancel it (nla_nest_cancel())
	 * and return 1; a message must hold at least one entry.
	 */
	int (*nl_call)(struct vaio_filter *f, u32 cmd, struct nlattr **tb,
		       struct sk_buff *reply, struct netlink_ext_ack *extack);
	int (*nl_dump)(struct vaio_filter *f, u32 cmd, struct nlattr **tb,
		       struct sk_buff *skb, unsigned long *cursor,
		       struct netlink_ext_ack *extack);
};

/*
 * A parameter of a filter type. A type that declares parameters takes its
 * table arguments as "key=value" words: the core checks each word against
 * the declarations before ->ctr() (and for VAIO_CMD_CHAIN_CHECK), so a
 * filter reads them with vaio_param() and kstrto*() without more checks.
 */
enum vaio_param_kind {
	VAIO_PARAM_KIND_UINT,	/* decimal, min..max */
	VAIO_PARAM_KIND_BOOL,	/* 0 or 1 */
	VAIO_PARAM_KIND_ENUM,	/* one of choices, "a|b|c" */
	VAIO_PARAM_KIND_STRING,	/* [A-Za-z0-9._:/@+-]+ */
};

struct vaio_param {
	const char *name;
	enum vaio_param_kind kind;
	const char *choices;	/* ENUM */
	u64 min, max;		/* UINT */
	const char *def;	/* the default, as text, for documentation */
	const char *help;	/* one line */
	bool secret;		/* a refused value is never logged */
};

/*
 * The per-bio areas of one disk's filters, each rounded up to 8 bytes, take
 * at most this many bytes together: they sit in front of every bio of the
 * device. A type asking for more alone is refused by vaio_register_filter(),
 * a chain asking for more together by the table load (and CHAIN_CHECK).
 */
#define VAIO_PER_BIO_DATA_MAX	2048

/* The highest attribute number a type's nl_policy may have. */
#define VAIO_NL_MAXATTR		255

struct vaio_filter_type {
	const char *name;		/* table name; module dm-vaio-<name> */
	enum vaio_class class;
	unsigned int version[3];
	struct module *owner;
	size_t per_bio_data_size;	/* at most VAIO_PER_BIO_DATA_MAX */
	struct vaio_filter_ops ops;
	/* Declared parameters, ending with { }; NULL: free-form arguments. */
	const struct vaio_param *params;
	/*
	 * VAIO_ALLOW_FAIL_OPEN and/or VAIO_ALLOW_FAIL_CLOSED; at least one.
	 * Allow fail_open only if bypassing the filter loses no data and
	 * serves no stale data once ->reactivate() has run; never for the
	 * encryption class (a bypassed one writes plaintext).
	 */
	unsigned int fail_modes;
	/*
	 * The classes this type cannot share a disk with, BIT(enum
	 * vaio_class), and why, in one line (ti->error, extack): a table or
	 * CHAIN_CHECK with both is refused. 0: none.
	 */
	unsigned int excludes;
	const char *excludes_why;
	/*
	 * The attributes of FILTER_DATA in VAIO_CMD_FILTER_CALL requests,
	 * 1 to nl_maxattr, validated strictly before ->nl_call() and
	 * ->nl_dump(). NULL: the type's commands take no data. nl_maxattr
	 * is at most VAIO_NL_MAXATTR.
	 */
	const struct nla_policy *nl_policy;
	unsigned int nl_maxattr;

	struct list_head list;		/* core: the registry */
};

/* One filter type attached to one disk. */
struct vaio_filter {
	const struct vaio_filter_type *type;
	void *private;			/* the filter's own */
	struct dm_target *ti;		/* the disk's target */
	struct dm_dev *data_dev;	/* the disk below */

	/*
	 * Set by ->ctr(), read once it returns: the disk then offers no
	 * discard, write-zeroes or secure erase (a filter that cannot pass
	 * them on correctly, as encryption that must not leak which blocks
	 * are zero), or offers flush and FUA even over a disk below without a
	 * volatile cache (a filter that keeps written data in one of its
	 * own, as a write-back cache on another device).
	 */
	bool no_discard;
	bool no_write_zeroes;
	bool no_secure_erase;
	bool needs_flush;
	/*
	 * Set by ->ctr(): the disk asks for stable writes, as dm does for a
	 * device below that needs them (queue/stable_writes). A file system
	 * mounted on it then does not change a page while its write is in
	 * flight; O_DIRECT writers and the raw device's page cache may, so
	 * a filter that checksums or sends the pages it is given must still
	 * copy what it needs unchanged.
	 */
	bool needs_stable_pages;
	/*
	 * Set and cleared by the filter at any time (WRITE_ONCE()): a
	 * fail_open filter holds data the disk below lacks (a cache with
	 * dirty blocks it could not write back). While set, a failure, its
	 * own or the admin's "fail", fails it closed: bypassing it would
	 * serve old data and lose the newer.
	 */
	bool no_bypass;
	/*
	 * Set by ->ctr() (vaio_bounce_pool_init() sets it): bios reach the
	 * filters no larger than this many sectors; 0: no limit.
	 */
	unsigned int max_io_sectors;

	/* Set by vaio_bounce_pool_init(): segments hold whole blocks. */
	bool transforms_data;

	/* Core fields: read-only for filters. */
	struct vaio_c *vc;
	unsigned int index;		/* place in the chain */
	unsigned int data_offset;	/* per-bio area offset */
	enum vaio_fail_mode fail_mode;
	int state;			/* enum vaio_filter_state */
	const char *fail_reason;	/* the latest vaio_filter_error() */
	unsigned int failures;		/* vaio_filter_error() calls */
	int notified_state;		/* last state sent to netlink */
	/*
	 * How many filters of the table are below this one (0: it is the
	 * lowest, its own I/O meets the disk below directly). Set once every
	 * ->ctr() returned (valid in ->table_check() and after); fixed while
	 * the table lives.
	 */
	unsigned int below_filters;
	/* what vaio_submit_below() takes from it: bio size (0: any), ops */
	unsigned int below_max_sectors;
	unsigned long below_no_ops;	/* BIT(REQ_OP_*) withdrawn below */
	/* ->map_process(), ->end_io_process(): vc->lock for the lists */
	struct workqueue_struct *proc_wq[2];
	struct work_struct proc_work[2];
	struct bio_list proc_bios[2];
	unsigned int argc;		/* table arguments, for TABLE status */
	char **argv;
};

int vaio_register_filter(struct vaio_filter_type *type);
void vaio_unregister_filter(struct vaio_filter_type *type);

/*
 * Finish a bio the filter deferred (VAIO_DEFER). @v is VAIO_PASS, VAIO_REMAP,
 * VAIO_DONE or VAIO_FAIL, as if ->map() had returned it. Any context.
 */
void vaio_bio_continue(struct bio *bio, enum vaio_verdict v);

/* Finish a completion the filter deferred (VAIO_END_DEFER). Any context. */
void vaio_bio_end_continue(struct bio *bio);

/*
 * The filter cannot do its job any more. Depending on its fail mode the
 * disk bypasses it or errors all I/O; status shows the new state, the
 * kernel log @reason, and a dm event is raised (dmsetup wait wakes). Any
 * context, also the filter's ctr. @reason must be static.
 */
void vaio_filter_error(struct vaio_filter *f, const char *reason);

/*
 * Data replacement: point @bio at the filter's own pages (an encrypted
 * copy, say) for the filters below and the disk, and back again before
 * completing upwards. @save lives in the filter's per-bio area.
 */
struct vaio_data_save {
	struct bio_vec *bi_io_vec;
	struct bvec_iter bi_iter;
	unsigned short bi_vcnt;
};

void vaio_bio_replace_data(struct bio *bio, struct vaio_data_save *save,
			   struct bio_vec *bvec, unsigned short nr_vecs);
void vaio_bio_restore_data(struct bio *bio, struct vaio_data_save *save);

/*
 * Duplicate a write (replication): a clone of @bio sharing its pages,
 * for @bdev, from the core's bio set. GFP_NOWAIT in ->map(): on NULL,
 * defer and retry from process context.
 */
struct bio *vaio_bio_clone(struct bio *bio, struct block_device *bdev,
			   gfp_t gfp);

/*
 * Bounce pages: a filter that writes other data than the VM gave it (an
 * encrypted copy) keeps a pool of pages from which every write in flight
 * borrows its copy; a reserve of @max_pages pages lets one write of up to
 * @max_pages pages be made even when the page allocator has nothing,
 * which vaio_bounce_pool_init() guarantees by limiting the disk's bios to
 * that size (f->max_io_sectors). From ->ctr(); the pool costs its reserve
 * in RAM (at most BIO_MAX_VECS pages, 1 MiB with 4 KiB pages).
 *
 * vaio_bounce_write() fills the pages by calling @fn for each piece of the
 * bio's data (split at the pages of both sides: whole logical blocks of
 * the disk), then points the bio at them (vaio_bio_replace_data()): the
 * filters below and the disk get the copy. In ->map() with GFP_NOWAIT,
 * where it may return -ENOMEM: return VAIO_PROCESS and call it again from
 * ->map_process() with GFP_NOIO, where it cannot fail for memory (one
 * sleeping caller at a time takes from the reserve). An error of @fn is
 * returned, with the bio unchanged. vaio_bounce_end(), from ->end_io(),
 * gives the bio its data back and the pages to the pool.
 *
 * vaio_transform_data() calls @fn with dst == src over the data of a
 * bio in place (a read, at completion: from ->end_io_process() if @fn may
 * sleep or is slow). @iter: the bio's bi_iter as ->map() found it (lower
 * layers may have used the bio's own up).
 */
struct vaio_bounce_pool {
	mempool_t pages;
	mempool_t vecs;			/* bio_vec arrays of max_pages */
	unsigned int max_pages;
	struct mutex lock;		/* one sleeping allocation at a time */
};

struct vaio_bounce {			/* in the filter's per-bio area */
	struct vaio_data_save save;
	struct bio_vec *bvec;
	unsigned short nr_pages;
};

/* @off: the piece's byte offset in the bio's data. 0, or an error. */
typedef int (*vaio_transform_fn)(void *ctx, void *dst, const void *src,
				 unsigned int len, unsigned int off);

int vaio_bounce_pool_init(struct vaio_filter *f, struct vaio_bounce_pool *bp,
			  unsigned int max_pages);
void vaio_bounce_pool_exit(struct vaio_bounce_pool *bp);
int vaio_bounce_write(struct vaio_bounce_pool *bp, struct bio *bio,
		      struct vaio_bounce *b, gfp_t gfp, vaio_transform_fn fn,
		      void *ctx);
void vaio_bounce_end(struct vaio_bounce_pool *bp, struct bio *bio,
		     struct vaio_bounce *b);
int vaio_transform_data(struct bio *bio, struct bvec_iter iter,
			vaio_transform_fn fn, void *ctx);

/*
 * A filter's own metadata I/O, synchronous (it sleeps): @bytes (whole
 * sectors) at @sector of @bdev, from or into @buf, kernel memory or, with
 * @vmem, vmalloc'ed. Through the filter's dm-io client; 0 or an errno.
 */
struct dm_io_client;
int vaio_sync_io(struct dm_io_client *client, struct block_device *bdev,
		 blk_opf_t opf, sector_t sector, void *buf, size_t bytes,
		 bool vmem);

/*
 * I/O of the filter's own (a copy, a resync read, a write-back) through
 * the filters below it and then the disk below, as if it came from above
 * this filter: lower filters map it, see its completion, and a lower
 * cache or encryption is not bypassed. vaio_bio_alloc_below() gives a bio
 * for the disk below (GFP_NOIO or GFP_NOWAIT, NULL possible only for the
 * latter); the filter sets its sector (of the disk, within its length),
 * data, bi_end_io and bi_private, then vaio_submit_below(). The filter's
 * bi_end_io gets it back with bi_status. Any context that may submit I/O.
 *
 * Lifetime: only while the disk runs, from its resume to its suspend:
 * from postsuspend on, and once the table's destruction begins,
 * vaio_submit_below() completes the bio with BLK_STS_OFFLINE, and the core
 * waits for the filters' I/O in flight before it delivers VAIO_EV_QUIESCE
 * or calls any ->dtr(). A filter stops its background I/O at
 * VAIO_EV_SUSPEND. Refused with BLK_STS_IOERR: a bio past the end of the
 * disk, larger than below_max_sectors, data with REQ_PREFLUSH, or an
 * operation a filter below withdrew (below_no_ops).
 */
struct bio *vaio_bio_alloc_below(struct vaio_filter *f, unsigned short nr_vecs,
				 blk_opf_t opf, gfp_t gfp);
void vaio_submit_below(struct vaio_filter *f, struct bio *bio);
/*
 * Whether vaio_submit_below() refuses bios now (the disk is suspended or
 * going): tells a BLK_STS_OFFLINE of that refusal ("again after the
 * resume") from one a device below reported (an offline SCSI disk: an
 * error). Either may change as soon as it returns: asked at a bio's
 * completion it may be wrong (a resume, or a suspend, in between);
 * vaio_submit_below_wait() tells the refusal exactly.
 */
bool vaio_below_closed(struct vaio_filter *f);
/*
 * vaio_submit_below() of @bio, then a wait for it, in a context that may
 * sleep; the bio stays the caller's (the core sets and uses its bi_end_io
 * and bi_private). 0 or the errno of its status, but -EAGAIN when the core
 * refused it because the disk is suspended or going (nothing failed; again
 * after the resume; told when it refused, not guessed afterwards), where
 * an offline device below gives -ENODEV.
 */
int vaio_submit_below_wait(struct vaio_filter *f, struct bio *bio);

/*
 * The filter's place in this bio's walk: in ->map() the number of filters
 * that mapped it before, in ->end_io() the number that completed it before.
 */
unsigned int vaio_bio_position(struct bio *bio);

/*
 * From ->io_hints(): the disk's block sizes and alignment made fit for a
 * device the filter sends the VM's data to besides the disk below (a
 * cache device): logical and physical block size, minimum I/O size and
 * DMA alignment of @bdev, where larger. Not discard, write-zeroes, flush
 * or the sizes of single bios: those are the disk below's, and the filter
 * splits its own I/O (submit_bio_noacct() does). The core stacks the disk
 * below's limits itself; the devices a filter opens with vaio_get_device()
 * show in dmsetup deps and lsblk as the disk below does.
 */
void vaio_stack_limits(struct queue_limits *limits, struct block_device *bdev);

/*
 * A device of the filter's own (a cache pool, replication metadata), for
 * as long as the table: @path is a device path or major:minor. Opened with
 * dm_get_device(), so that it shows in dmsetup deps and lsblk and nothing
 * but dm opens it exclusively, and claimed for the filter's disk as its
 * @what ("replication metadata"). The core refuses a device that another
 * vaio disk uses, or that this disk uses for another purpose (its disk
 * below); @shared: other disks may use it for the same purpose (a cache
 * pool shared by the disks of a host). A device no vaio disk uses must be
 * open exclusively by nothing (a file system, another dm device). Tables
 * of one disk may claim the same device for the same purpose (a reload).
 * A device in use fails with -EBUSY and *@error set; one that cannot be
 * found or opened fails with *@error untouched (the caller names the
 * device). vaio_put_device() in ->dtr().
 */
int vaio_get_device(struct vaio_filter *f, const char *path, const char *what,
		    bool shared, struct dm_dev **result, char **error);
void vaio_put_device(struct vaio_filter *f, struct dm_dev *dd);
/*
 * The claim alone, for a device the filter holds longer than a table (in
 * state kept per disk across tables): made while a table of the disk holds
 * the device through vaio_get_device(), released with the device.
 */
int vaio_claim_device(const char *disk_id, const char *what, dev_t dev,
		      bool shared, char **error);
void vaio_release_device(const char *disk_id, dev_t dev);

/*
 * The value of parameter @key among key=value arguments, or NULL. For
 * filter types with declared parameters, whose arguments the core checked.
 */
const char *vaio_param(unsigned int argc, char **argv, const char *key);

const char *vaio_class_name(enum vaio_class class);
const char *vaio_event_name(enum vaio_event_type type);
const char *vaio_disk_id(struct vaio_filter *f);

#endif /* DM_VAIO_FILTER_H */
