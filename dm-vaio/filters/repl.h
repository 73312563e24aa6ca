/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vaio replication filter: what its files share (repl.c lists them):
 * the structures of a disk, a connection and the items they queue, and
 * the functions each file offers the others.
 */
#ifndef DM_VAIO_REPL_H
#define DM_VAIO_REPL_H

#include "../dm-vaio-filter.h"

#include <linux/dm-vaio.h>
#include <linux/dm-vaio-repl.h>
#include <linux/bio.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#define REPL_BM_SHIFT		3	/* a bitmap bit covers 8 sectors */
#define REPL_CHUNK_SHIFT	11	/* resync chunk: 2048 sectors, 1 MiB */
#define REPL_CHUNK_BITS		(1U << (REPL_CHUNK_SHIFT - REPL_BM_SHIFT))
#define REPL_CHUNK_PAGES	((1U << (REPL_CHUNK_SHIFT + 9)) >> PAGE_SHIFT)
#define REPL_VR_BLOCK		4096	/* verify: a checksum per 4 KiB */
#define REPL_PEER_MAX_INFLIGHT	512	/* secondary: writes in flight */
#define REPL_ACK_BYTES		(2U << 20) /* secondary: BARRIER_ACK at least per */
/* Primary: answered sync writes not yet flushed on the peer, at most. */
#define REPL_MAX_UNFLUSHED	4096
#define REPL_REASON_MAX		96
#define REPL_DEMOTE_WAIT_MS	5000	/* demote: for the peer, per call */
#define REPL_IF_EPOCH	0x8000	/* item flag, not on the wire: async order */
#define REPL_AL_SHIFT		13	/* activity log extent: 8192 sectors, 4 MiB */
#define REPL_AL_MAX		1000	/* extents the log lists, at most */
#define REPL_AL_MIN		8	/* a write spans at most 3 (8 MiB) */
#define REPL_AL_SPAN		4	/* extents a write may span */
#define REPL_AL_DEFAULT		256	/* 1 GiB resynced after a crash, at most */
/* What the metadata device is to its disk (vaio_claim_device()). */
#define REPL_META_USE		"replication metadata"
#define REPL_AL_HASH_BITS	8

#define DM_MSG_PREFIX "vaio-repl"

enum repl_item_kind {
	RI_DATA_SYNC,	/* a VM write; its data are the bio's pages */
	RI_FLUSH,	/* a VM flush (sync) */
	RI_STAGE,	/* an async write, copied into pages */
	RI_RS,		/* resync data, pages of the resync buffer */
	RI_ACK,		/* secondary: an answer for the primary */
	RI_SYNC_DONE,	/* primary: the resync finished */
	RI_AHEAD,	/* primary: writes are tracked while connected */
	RI_VERIFY,	/* primary: checksums of a chunk wanted */
	RI_MARK,	/* primary: a snapshot mark (struct repl_mark_item) */
	RI_UNFLUSHED,	/* primary: a sync write in the peer's volatile cache */
	RI_POINT,	/* primary: a flush of the peer for those (c->point) */
};

/* Something the sender thread sends, or that waits for the peer's answer. */
struct repl_item {
	struct list_head list;
	u8 kind;
	u8 type;		/* frame type of RI_ACK and RI_DATA_SYNC ops */
	u16 flags;		/* VAIO_REPL_DF_* */
	u32 epoch;
	u64 id;
	sector_t sector;
	u32 size;		/* bytes */
	u32 status;		/* RI_ACK */
	unsigned long start;	/* jiffies, when mapped */
};

/* Per-bio area of a write on a primary. */
struct repl_bio {
	struct repl_item it;
	struct bio *bio;
	struct bio_vec *bvec;		/* the data, as mapped: the VM's */
	struct bvec_iter iter;
	atomic_t parts;			/* local and remote completion */
	unsigned int counted:1;		/* in chunk_writes */
	unsigned int replicating:1;	/* parts is used */
	unsigned int async:1;
	unsigned int in_tree:1;		/* in d->writes */
	unsigned int al:1;		/* holds its extents in the log */
	/*
	 * Sync: its record (RI_UNFLUSHED) once the peer answered, until the
	 * peer flushed; the peer writes it without FUA. NULL: FUA.
	 */
	struct repl_stage *unflushed;
	/* In d->writes, from map to its last part's end (under slock). */
	struct rb_node wnode;
	sector_t wlast;			/* its last sector */
	sector_t wsub;			/* the highest wlast below wnode */
	u64 wseq;			/* arrival order */
};

/*
 * An async write, copied; or (RI_UNFLUSHED, no pages) the range of a sync
 * write the peer answered but may hold in a volatile cache only.
 */
struct repl_stage {
	struct repl_item it;
	bool al;			/* holds its extents in the log */
	unsigned int nr_pages;
	struct page *pages[];
};

/* A snapshot mark on its way to the replica. */
struct repl_mark_item {
	struct repl_item it;
	struct vaio_repl_mark m;
};

/* A snapshot mark as a side keeps it (and its metadata). */
struct repl_mark {
	char tag[VAIO_REPL_TAG_LEN];
	u64 time, gen;
	u64 count;		/* d->sent (primary) or d->recv then */
	bool on_replica;
};

/* A resync run: a part of the resync buffer. */
struct repl_rs {
	struct repl_item it;
	unsigned int offset;	/* bytes into the chunk buffer */
};

/* A write received by a secondary. */
struct repl_peer_req {
	struct repl_item it;	/* its answer */
	struct repl_conn *c;
	bool answer;
	unsigned int nr_pages;
	struct page *pages[];
};

/* An extent of the activity log (repl-al.c), under d->slock. */
struct repl_al_ext {
	struct hlist_node hash;		/* d->al_hash, but when free */
	struct list_head lru;		/* d->al_lru or al_free, or adding */
	u32 ext;			/* sector >> REPL_AL_SHIFT */
	u32 refs;			/* writes (and copies) in it */
	u8 state;			/* enum repl_al_state */
};

struct repl_conn {
	struct repl_disk *d;
	struct socket *sock;
	struct task_struct *sender, *receiver, *resyncer;
	wait_queue_head_t send_wait;
	struct mutex send_mutex;	/* one frame at a time */
	bool tx_more;			/* under send_mutex: MSG_MORE */
	/* Under d->slock: */
	struct list_head send_q;
	struct list_head inflight;	/* sent, awaiting an answer */
	struct list_head staged;	/* async, sent, awaiting BARRIER_ACK */
	/*
	 * Sync writes the peer answered (RI_UNFLUSHED), in its volatile
	 * cache maybe: not flushed yet, and flushing: answered before
	 * c->point (a FLUSH, in inflight while point_busy) was sent, so
	 * that its FLUSH_ACK makes them durable (DRBD keeps its requests
	 * until the BARRIER_ACK). At a teardown their bits are set.
	 */
	struct list_head unflushed, flushing;
	u32 unflushed_bytes;
	bool point_busy;
	struct repl_item point;
	bool dead;
	bool failing;
	u8 peer_role;
	u32 tx_seq, rx_seq;
	u64 next_id;
	u32 last_epoch;			/* sender: epoch of the last write */
	u32 epoch_count;		/* sender: writes sent in it */
	bool full_sync;
	bool bitmap_done;		/* primary: the peer's bitmap arrived */
	bool sync_done_sent;
	bool ahead_queued;		/* ahead_item sent once */
	bool peer_error;		/* secondary: a replica write failed */
	/*
	 * Secondary, receiver: the BARRIER_ACK it defers, how many epochs
	 * it answers, and the bytes of writes received since the last one.
	 */
	struct vaio_repl_barrier ack_barrier;
	unsigned int acks_pending;
	u32 unacked_bytes;
	bool any_barrier;		/* barrier_sent is valid */
	u32 barrier_sent;		/* the last epoch closed */
	struct repl_item ahead_item;
	unsigned long last_rx;		/* jiffies */
	/* Secondary: writes submitted, not completed. */
	atomic_t peer_inflight;
	wait_queue_head_t peer_wait;
	/*
	 * Secondary: pages of received writes held (until their answer is
	 * sent), at most max_peer_pages but for one write (DRBD's
	 * max-buffers). Waited for on peer_wait.
	 */
	atomic_t peer_pages;
	unsigned int max_peer_pages;
	/* Primary: resync runs sent, not answered. */
	atomic_t rs_pending;
	wait_queue_head_t rs_wait;
	struct repl_rs *rs_items;	/* primary: a chunk's runs */
	/* A chunk: the primary's resync or verify, a secondary's verify. */
	struct page *rs_pages[REPL_CHUNK_PAGES];
	/* Primary: the verify request in flight, the local checksums. */
	struct repl_item vr_item;
	u32 *vr_local;
	void *rs_scratch;		/* sender: bitmap ranges */
	void *rx_scratch;		/* receiver: bitmap ranges */
	u32 timeout_ms;
	u64 peer_sectors;		/* the peer's disk, at connect */
	char fail_reason[REPL_REASON_MAX];
};

struct repl_filter;
struct al_tx;

/*
 * One replicated disk, found by disk_id and shared by the successive
 * tables of the device (each table's filter holds a reference). Owner:
 * repl_disks; freed when the last filter of the disk is destroyed.
 */
struct repl_disk {
	struct list_head list;
	unsigned int users;		/* under repl_disks_lock */
	u64 serial;			/* dumps resume after it */
	char id[VAIO_NAME_MAX];

	struct mutex lock;		/* role, connection */
	struct mutex meta_lock;		/* metadata I/O (sb_buf) */
	spinlock_t slock;		/* the I/O path's state */

	struct repl_filter *live;	/* the resumed table's filter */
	struct block_device *bdev;	/* the data device */
	sector_t sectors;

	/* Role and generations, persisted in the metadata. */
	u8 role;
	u8 conn;
	bool consistent;
	bool new_pair;
	bool gen_saving;		/* the new one not on disk yet */
	bool paired;			/* ever had a generation (persisted): */
					/* true whenever gen is not 0 */
	/*
	 * No peer can hold this generation yet (made since the last
	 * SYNC_DONE sent): a disconnect needs no newer one, the peer's is
	 * older already. False (a new one then) when not known, as after a
	 * reboot. Under slock.
	 */
	bool gen_unsynced;
	struct list_head gen_waiters;	/* writes held until it is */
	u64 gen;
	u64 history[VAIO_REPL_GEN_HISTORY];
	char reason[REPL_REASON_MAX];

	/* Out of sync blocks, a bit per 4 KiB. */
	unsigned long *bm;
	unsigned long bm_bits;
	/* Local writes in flight per 1 MiB chunk (resync waits for 0). */
	atomic_t *chunk_writes;
	unsigned long nr_chunks;

	/* Metadata device (meta=), or NULL: state lives in memory only. */
	struct block_device *meta;
	dev_t meta_dev;			/* its number, 0 without */
	void *sb_buf;

	/*
	 * Activity log (repl-al.c): the extents a primary's writes may go
	 * to, listed in the metadata before they do. Under slock, but the
	 * block (al_buf), written by al_work only.
	 */
	sector_t al_sector;		/* its two blocks; 0: none */
	u64 al_id;			/* this log's, in its blocks */
	u64 al_seq;			/* the last block written */
	struct repl_al_ext *al;		/* REPL_AL_MAX of them */
	struct hlist_head al_hash[1 << REPL_AL_HASH_BITS];
	struct list_head al_lru;	/* listed, most recently used first */
	struct list_head al_free;
	struct list_head al_waiters;	/* struct repl_bio, FIFO */
	unsigned int al_listed, al_limit;
	bool al_stop;			/* a log write failed: writes wait, */
					/* the superblock says "no log" */
	bool al_failed;			/* and the superblock's: they fail */
	/*
	 * The superblock says "no log" (a crash resyncs all) while the disk
	 * may run without the filter: suspended for what may be another
	 * target's table (until RESUME), or bypassed (until the resync of
	 * all is saved, repl_ran_without()).
	 */
	bool al_quiesced, al_bypassed;
	struct work_struct al_work;
	struct al_tx *al_tx;		/* al_work's */
	void *al_buf;
	u64 al_writes;			/* blocks written */

	struct repl_conn *c;		/* under slock; set under lock */
	struct work_struct fail_work;	/* tears a failed connection down */
	struct work_struct release_work;	/* throttled writes */
	/*
	 * A primary's writes from map to the end of their last part (local
	 * and peer), by sector range: a write that overlaps an earlier one
	 * waits on @overlapped until it ended, so that both disks apply
	 * overlapping writes in the same order (DRBD's
	 * complete_conflicting_writes). Under slock.
	 */
	struct rb_root_cached writes;
	u64 wseq;
	struct list_head overlapped;	/* struct repl_bio, FIFO */
	struct work_struct overlap_work;	/* releases them */
	u64 overlaps;			/* writes that waited so */
	struct work_struct meta_work;	/* writes the superblock */

	/* Async ordering. */
	u32 cur_epoch;
	bool flush_seen;
	bool no_throttle;		/* suspending: admit every write */
	bool demoting;			/* no write admitted: the role goes */
	struct list_head throttled;	/* struct repl_bio, FIFO */
	u64 lag_writes, lag_bytes;
	unsigned int unflushed;		/* RI_UNFLUSHED records, all */

	/* Resync: the locked chunk and the writes waiting for it. */
	long rs_chunk;			/* -1: none */
	struct list_head rs_waiters;	/* struct repl_bio */
	wait_queue_head_t rs_wait;
	u64 sync_total, sync_done_bytes;
	u64 sync_bps;
	unsigned long sync_mark;	/* jiffies */
	u64 sync_mark_bytes;

	/* Online verify, run by the resyncer; under slock. */
	u8 verify_state;		/* enum vaio_repl_verify */
	unsigned long verify_next;	/* the next chunk */
	unsigned long verify_start;	/* jiffies */
	u64 verify_total, verify_done, verify_diff, verify_extents;

	/* Snapshot marks, newest first; under slock, persisted. */
	struct repl_mark marks[VAIO_REPL_MARKS];
	unsigned int nr_marks;

	/* Counters. */
	u64 sent, acked, recv, resynced, connects;
	u64 flushes;			/* primary: its FLUSHes for records */
	unsigned int peer_pages_max;	/* secondary: buffers' high water */
};

struct repl_filter {
	struct vaio_filter *f;
	struct repl_disk *d;
	u8 mode;
	bool on_lag_track;
	bool on_disconnect_fail;
	u32 timeout_ms;
	u64 max_lag_bytes;
	u64 resync_bps;
	unsigned int max_peer_pages;	/* secondary: max_buffers_kib */
	unsigned int al_limit;		/* al_extents */
	char peer[VAIO_ARG_MAX];
	char remote[VAIO_NAME_MAX];
	char secret[VAIO_ARG_MAX];
	struct dm_dev *meta_dd;		/* the table's hold on meta=, or NULL */
	/*
	 * I/O through the filters below this filter (below_get(): resync
	 * and verify reads, the activity log's flush) that took it as
	 * d->live: its ->dtr() waits on d->rs_wait until none is left, as
	 * one may still use it. Under d->slock.
	 */
	unsigned int below_io;
	/* A table that grows the disk: what it takes at its GROW event. */
	sector_t grow_sectors;		/* 0: none */
	unsigned long *grow_bm;
	atomic_t *grow_chunks;
};

/* What VAIO_REPL_CMD_GET reports of a disk. */
struct repl_info {
	u8 role, conn, mode;
	bool consistent, new_pair, has_live;
	u64 gen, history[VAIO_REPL_GEN_HISTORY];
	u64 sectors, lag_writes, lag_bytes, lag_ms, oos_bytes;
	u64 sync_total, sync_bps, sent, acked, recv, resynced, connects;
	u8 verify_state;
	u64 verify_total, verify_done, verify_diff, verify_extents, verify_bps;
	struct repl_mark marks[VAIO_REPL_MARKS];
	u64 marks_after[VAIO_REPL_MARKS];
	unsigned int nr_marks;
	char reason[REPL_REASON_MAX];
	char peer[VAIO_ARG_MAX];
	char remote[VAIO_NAME_MAX];
	char secret[VAIO_ARG_MAX];
};

/*
 * A secondary writes what it receives (and reads for a verify) straight to
 * the disk below the vaio target: filters below replication (a cache)
 * would not see those writes and serve or write back stale data. So a
 * disk with filters below replication is no secondary: not at table load
 * (repl_table_check()), demote, init --secondary nor connect. A primary
 * reads through them (rs_read()).
 */
#define REPL_BELOW_SECONDARY \
	"replication: a secondary cannot have filters below replication (a cache): assign a policy without filters below replication first"

/* The live table has filters below replication. Under d->lock. */
static inline bool live_has_below(struct repl_disk *d)
{
	return d->live && d->live->f->below_filters;
}

static inline bool is_secondary_conn(struct repl_conn *c)
{
	return c->peer_role == VAIO_REPL_ROLE_PRIMARY;
}

static inline void kick_sender(struct repl_conn *c)
{
	wake_up(&c->send_wait);
}

/* Frees the pages of pages[0..nr), NULL ones skipped, and sets them NULL. */
static inline void repl_free_pages(struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (pages[i])
			__free_page(pages[i]);
		pages[i] = NULL;
	}
}

/*
 * Allocates pages[0..nr) with @gfp, all or none: on a failure it frees
 * the ones it had (and sets them NULL again) and returns -ENOMEM.
 */
static inline int repl_alloc_pages(struct page **pages, unsigned int nr,
				   gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page(gfp);
		if (!pages[i]) {
			repl_free_pages(pages, i);
			return -ENOMEM;
		}
	}
	return 0;
}

/* repl.c */
extern struct dm_io_client *repl_io_client;
/*
 * release_work, meta_work, overlap_work, al_work: the VM's writes wait for
 * them (a rescuer).
 */
extern struct workqueue_struct *repl_wq;
extern const char * const role_names[];
void repl_snapshot(struct repl_disk *d, struct repl_info *info);
struct repl_disk *repl_disk_get_by_id(const char *id);	/* +users */
void repl_disk_put(struct repl_disk *d);
int repl_disk_for_each(int (*fn)(struct repl_disk *d, void *arg), void *arg,
		       u64 after);

/* repl-bitmap.c */
void bm_set(struct repl_disk *d, sector_t sector, u64 bytes);
void bm_clear(struct repl_disk *d, sector_t sector, u64 bytes);
u64 bm_bytes(struct repl_disk *d);
bool in_chunk(sector_t sector, u32 bytes, long chunk);
void chunks_add(struct repl_disk *d, sector_t sector, u32 bytes, int v);
size_t bm_alloc_bytes(unsigned long bits);

/* repl-al.c */
int al_init(struct repl_disk *d);
void al_free_all(struct repl_disk *d);
int al_place(struct repl_disk *d);
int al_recover(struct repl_disk *d, sector_t al_sector, u64 al_id);
int al_sb_off(struct repl_disk *d, bool *flag, bool off);
int al_admit(struct repl_disk *d, struct repl_bio *rb);
void al_hold(struct repl_disk *d, sector_t sector, u32 bytes);
void al_put(struct repl_disk *d, sector_t sector, u32 bytes);
void al_work_fn(struct work_struct *work);

/* repl-meta.c */
int meta_io(struct repl_disk *d, blk_opf_t opf, sector_t sector,
	    void *buf, size_t bytes, bool vmem);
int meta_write_sb(struct repl_disk *d, bool dirty);
int meta_write_bm(struct repl_disk *d);
int meta_open(struct repl_disk *d, struct dm_dev *dd, char **error);
void meta_close(struct repl_disk *d);
void meta_drop(struct repl_disk *d);
void new_gen(struct repl_disk *d);
bool gen_part(struct repl_disk *d);
void gen_saved(struct repl_disk *d);
void mark_add(struct repl_disk *d, const struct vaio_repl_mark *wm,
	      u64 count, bool on_replica);
void meta_work_fn(struct work_struct *work);

/* repl-state.c */
int repl_connect(struct repl_disk *d, int fd, u64 peer_sectors, u8 peer_role,
		 bool full_sync, const char **err);
int repl_disconnect(struct repl_disk *d, const char **err);
int repl_set_role(struct repl_disk *d, u8 role, bool force, bool skip_sync,
		  bool init, const char **err);
void set_conn(struct repl_disk *d, u8 conn);
__printf(2, 3) void conn_fail(struct repl_conn *c, const char *fmt, ...);
int mark_inconsistent(struct repl_disk *d);
void park_thread(void);
void repl_teardown(struct repl_disk *d, const char *reason);
void fail_work_fn(struct work_struct *work);

/* repl-req.c */
void stage_free(struct repl_stage *st);
void stage_done(struct repl_disk *d, struct repl_stage *st);
void unflushed_put(struct repl_disk *d, struct repl_stage *st, bool oos);
void remote_done(struct repl_disk *d, struct repl_bio *rb, bool ok);
void release_list(struct repl_filter *rf, struct list_head *list);
void release_work_fn(struct work_struct *work);
void overlap_work_fn(struct work_struct *work);
enum vaio_verdict repl_map(struct vaio_filter *f, struct bio *bio,
			   void *data);
enum vaio_end_verdict repl_end_io(struct vaio_filter *f,
				  struct bio *bio, void *data,
				  blk_status_t *error);

/* repl-send.c */
int send_frame(struct repl_conn *c, u16 type, const void *fixed,
	       u32 fixed_len);
int repl_sender(void *arg);

/* repl-recv.c */
void peer_req_free(struct repl_peer_req *req);
int repl_receiver(void *arg);

/* repl-sync.c */
int repl_verify(struct repl_disk *d, bool stop, const char **err);
struct repl_filter *below_get(struct repl_disk *d);
void below_put(struct repl_disk *d, struct repl_filter *rf);
int rs_read(struct repl_conn *c, sector_t sector, unsigned int bytes);
unsigned int vr_csums(struct page **pages, unsigned int bytes,
		      u32 *out, bool be);
void rs_unlock(struct repl_disk *d);
int repl_resyncer(void *arg);

/* repl-nl.c */
int repl_nl_init(void);
void repl_nl_exit(void);
void repl_nl_notify(struct repl_disk *d, u8 conn);

#endif /* DM_VAIO_REPL_H */
