/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vaio core internals, shared by the files of dm-vaio.ko only.
 */
#ifndef DM_VAIO_INTERNAL_H
#define DM_VAIO_INTERNAL_H

#include "dm-vaio-filter.h"

#include <linux/dm-ioctl.h>
#include <linux/dm-vaio.h>
#include <linux/stringify.h>

#define DM_MSG_PREFIX "vaio"

/* vaio-registry.c */
bool vaio_valid_name(const char *s);
const struct vaio_filter_type *vaio_filter_type_get(const char *name);
void vaio_filter_type_put(const struct vaio_filter_type *type);
const struct vaio_filter_type *vaio_filter_type_next(unsigned int *pos);
int vaio_params_check(const struct vaio_filter_type *type, unsigned int argc,
		      char **argv, const char **error, unsigned int *bad);
int vaio_fail_mode_check(const struct vaio_filter_type *type,
			 enum vaio_fail_mode mode, unsigned int argc,
			 char **argv, const char **error);
const char *vaio_types_excluded(const struct vaio_filter_type *a,
				const struct vaio_filter_type *b);
/* Bytes of a bio's per-bio data that a filter of type @t takes. */
static inline unsigned int vaio_per_bio_size(const struct vaio_filter_type *t)
{
	return ALIGN(t->per_bio_data_size, sizeof(u64));
}

#define VAIO_PER_BIO_TOO_LARGE \
	"filters' per-bio data too large together (over " \
	__stringify(VAIO_PER_BIO_DATA_MAX) " bytes)"
/* A clause or CHAIN_CHECK filter with more than VAIO_MAX_ARGS arguments. */
#define VAIO_TOO_MANY_ARGS "too many filter arguments"

/*
 *--------------------------------------------------------------
 * vaio-target.c
 *--------------------------------------------------------------
 */

/*
 * One per disk_id, shared by the tables (live and inactive) of the one
 * mapped device that owns the id; a device has one vaio target per table.
 * Owned by its references: each vaio target holds one from ctr to dtr.
 */
struct vaio_disk {
	struct list_head list;
	char id[VAIO_NAME_MAX];
	struct mapped_device *md;
	struct list_head targets;	/* vaio_c.disk_node, under vaio_disks_lock */
	struct mutex lock;		/* events, live: vaio_disk_lock() */
	struct vaio_c *live;		/* the resumed table's target */
	char dm_name[DM_NAME_LEN];	/* the device's, when last resumed */
	u64 serial;			/* order of creation: where dumps resume */
	u64 diskseq;			/* the device's gendisk's, never reused */
	atomic_t nr_tables;		/* targets: loaded tables, live one too */
	u64 live_seq;			/* changes of live: a load, a dump sees them */
	u64 lost_seq;			/* live_seq before the live table went */
	unsigned int live_lbs;		/* the live table's logical block size */
	unsigned long lost_writes;	/* the device's writes when it stopped */
	unsigned int holders;		/* vaio_disk_hold(): vaio_disks_lock */
	/*
	 * The types of the filters that transform data (encryption) of a
	 * live table that went while the device stays, with no table live
	 * after it (a resume that failed after the swap, or another
	 * target's table in its place): the data below is in their form, so
	 * no table without them may follow. Cleared when a table is live
	 * again; kept on vaio_orphaned when the disk object goes. Under lock.
	 */
	struct vaio_orphans {
		unsigned int n;
		dev_t below;		/* the disk below they are for */
		char types[VAIO_NR_CLASSES][VAIO_NAME_MAX];
	} orphans;
};

/* All disks. vaio_disks_lock is never held while waiting for a disk's lock. */
extern struct list_head vaio_disks;
extern struct mutex vaio_disks_lock;

struct vaio_stats {
	u64 reads;
	u64 writes;
	u64 flushes;
	u64 discards;
	u64 errors;
	u64 read_sectors;
	u64 write_sectors;
};

struct vaio_c {
	struct dm_target *ti;
	struct dm_dev *data_dev;
	struct vaio_disk *disk;
	struct list_head disk_node;
	char id[VAIO_NAME_MAX];		/* the disk_id, from before any filter */
	bool explicit_id;		/* disk_id given in the table */
	bool failed_closed;		/* a fail_closed filter failed */
	bool data_claimed;		/* vaio_claim_device() of data_dev */
	bool first_table;		/* at ctr no table had been live */
	u64 checked_seq;		/* disk->live_seq it was checked at */
	unsigned long writes_seen;	/* the device's writes at ctr */
	unsigned long suspend_writes;	/* ... at its last postsuspend */
	bool refused;			/* its resume was: asked again at the next */
	bool was_first;			/* first_table at ctr */
	char *veto_msg;			/* ti->error, the filter and its reason */
	bool noflush;			/* this suspend's, from presuspend */
	bool unflushed;			/* QUIESCE without flush: disk lock */

	unsigned int nr_filters;
	struct vaio_filter *filters[VAIO_NR_CLASSES];	/* class order */
	unsigned int filter_data_size;	/* per-bio areas of the filters */

	struct vaio_stats __percpu *stats;

	/* kvaiod/<major:minor>: ctr to vaio_free(), runs work and event_work */
	struct workqueue_struct *wq;
	spinlock_t lock;		/* deferred; filter state changes; the flags */
	struct bio_list deferred;	/* continued by vaio_work() */
	struct work_struct work;
	struct work_struct event_work;	/* dm_table_event() */
	bool built;			/* vaio_ctr() done: event_work may run */
	bool event_held;		/* a failure reported before: at resume */
	bool dying;			/* vaio_free() began: no event_work */
	/* vaio_submit_below(): under lock; refused while closed */
	unsigned int below_inflight;	/* submitted, not completed */
	bool below_closed;		/* from ctr, and postsuspend, to resume */
	wait_queue_head_t below_wait;	/* below_close() waits for them */
};

void vaio_disk_hold(struct vaio_disk *d);
void vaio_disk_release(struct vaio_disk *d);
unsigned int vaio_disk_lock(struct vaio_disk *d);
void vaio_disk_unlock(struct vaio_disk *d, unsigned int noio);
void vaio_sum_stats(struct vaio_c *vc, struct vaio_stats *sum);
const char *vaio_state_name(int state);
const char *vaio_fail_mode_name(struct vaio_filter *f);
void vaio_dm_name(struct mapped_device *md, char *name);
int vaio_snapshot(struct vaio_c *vc, const char *tag, unsigned int *delivered,
		  struct vaio_filter **who, const char **reason);
int vaio_reactivate(struct vaio_c *vc, const char *name);
struct vaio_filter *vaio_filter_lookup(struct vaio_c *vc, const char *name);

/* pure helpers (KUnit tests them, vaio-kunit.c) */
unsigned int vaio_chain_layout(struct vaio_filter **fs, unsigned int n);
unsigned int vaio_count_words(const char *s);

/*
 *--------------------------------------------------------------
 * vaio-netlink.c
 *--------------------------------------------------------------
 */

int vaio_netlink_init(void);
void vaio_netlink_exit(void);
void vaio_nl_disk(struct vaio_c *vc, u8 cmd);
void vaio_nl_disk_del(struct vaio_c *vc);
void vaio_nl_filter_state(struct vaio_filter *f);
void vaio_nl_event(struct vaio_c *vc, enum vaio_event_type type,
		   const char *tag, int r, unsigned int delivered,
		   struct vaio_filter *who, const char *reason);
void vaio_nl_table_error(struct mapped_device *md, const char *error);

#endif /* DM_VAIO_INTERNAL_H */
