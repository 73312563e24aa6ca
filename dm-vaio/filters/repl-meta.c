// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: the metadata device (meta=).
 *
 * A superblock in 4 KiB block 0 (role, consistency, data generations,
 * snapshot marks) and the bitmap from block 1: read or formatted when a
 * disk is made, written with FUA. Also the two changes of what it
 * persists that other files make under d->slock: a new data generation
 * (new_gen()) and a snapshot mark (mark_add()). d->sb_buf is used under
 * d->meta_lock; the I/O goes through repl_io_client (dm-io).
 */

#include "repl.h"

#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/dm-io.h>
#include <linux/random.h>

#define REPL_SB_MAGIC	0x5652504d	/* "VRPM" */
#define REPL_SB_VERSION	1
#define REPL_SBF_PRIMARY	0x1
#define REPL_SBF_CONSISTENT	0x2
#define REPL_SBF_DIRTY		0x4
#define REPL_SBF_NEW_PAIR	0x8
#define REPL_SBF_PAIRED		0x10	/* had a generation, maybe discarded */

struct repl_sb {
	__le32 magic;
	__le32 version;
	__le32 flags;
	__le32 csum;		/* crc32 of the block with csum 0 */
	__le64 sectors;
	__le64 bm_bits;
	__le64 gen;
	__le64 history[VAIO_REPL_GEN_HISTORY];
	/* Added after version 1 shipped: zeroes in older superblocks. */
	__le32 nr_marks;
	__le32 pad;
	struct {
		char tag[VAIO_REPL_TAG_LEN];
		__le64 time, gen, count;
		__u8 on_replica;
		__u8 pad[7];
	} marks[VAIO_REPL_MARKS];
	/* Added later still: 0 in older superblocks (no activity log). */
	__le64 al_sector;
	__le64 al_id;
	/* And the disk's disk_id: empty in older superblocks. */
	char disk_id[VAIO_NAME_MAX];
};

static_assert(sizeof(struct repl_sb) <= 4096);

int meta_io(struct repl_disk *d, blk_opf_t opf, sector_t sector,
	    void *buf, size_t bytes, bool vmem)
{
	return vaio_sync_io(repl_io_client, d->meta, opf, sector, buf, bytes,
			    vmem);
}

/* Writes the superblock; d->lock held (or the disk not shared yet). */
int meta_write_sb(struct repl_disk *d, bool dirty)
{
	struct repl_sb *sb = d->sb_buf;
	u32 flags = 0;
	int i, r;

	if (!d->meta)
		return 0;
	memset(d->sb_buf, 0, 4096);
	if (d->role == VAIO_REPL_ROLE_PRIMARY)
		flags |= REPL_SBF_PRIMARY;
	if (d->consistent)
		flags |= REPL_SBF_CONSISTENT;
	if (dirty)
		flags |= REPL_SBF_DIRTY;
	if (d->new_pair)
		flags |= REPL_SBF_NEW_PAIR;
	if (d->paired)
		flags |= REPL_SBF_PAIRED;
	sb->magic = cpu_to_le32(REPL_SB_MAGIC);
	sb->version = cpu_to_le32(REPL_SB_VERSION);
	sb->flags = cpu_to_le32(flags);
	sb->sectors = cpu_to_le64(d->sectors);
	sb->bm_bits = cpu_to_le64(d->bm_bits);
	sb->gen = cpu_to_le64(d->gen);
	for (i = 0; i < VAIO_REPL_GEN_HISTORY; i++)
		sb->history[i] = cpu_to_le64(d->history[i]);
	spin_lock_irq(&d->slock);
	sb->nr_marks = cpu_to_le32(d->nr_marks);
	for (i = 0; i < d->nr_marks; i++) {
		memcpy(sb->marks[i].tag, d->marks[i].tag, VAIO_REPL_TAG_LEN);
		sb->marks[i].time = cpu_to_le64(d->marks[i].time);
		sb->marks[i].gen = cpu_to_le64(d->marks[i].gen);
		sb->marks[i].count = cpu_to_le64(d->marks[i].count);
		sb->marks[i].on_replica = d->marks[i].on_replica;
	}
	if (!d->al_quiesced && !d->al_bypassed && !d->al_stop)
		sb->al_sector = cpu_to_le64(d->al_sector);
	spin_unlock_irq(&d->slock);
	sb->al_id = cpu_to_le64(d->al_id);
	strscpy(sb->disk_id, d->id, sizeof(sb->disk_id));
	sb->csum = cpu_to_le32(crc32_le(0, d->sb_buf, 4096));
	r = meta_io(d, REQ_OP_WRITE | REQ_SYNC | REQ_FUA, 0, d->sb_buf, 4096,
		    false);
	if (r)
		DMERR_LIMIT("%s: cannot write the metadata superblock: %d",
			    d->id, r);
	return r;
}

int meta_write_bm(struct repl_disk *d)
{
	if (!d->meta)
		return 0;
	return meta_io(d, REQ_OP_WRITE | REQ_SYNC | REQ_FUA, 8, d->bm,
		       bm_alloc_bytes(d->bm_bits), true);
}

/*
 * Reads or formats the metadata of a new repl_disk, on the device a table
 * of the disk opened (@dd). The disk claims and opens the device itself:
 * it may outlive its last table (a netlink command holds it) and writes
 * the metadata as it goes. Its open is exclusive with the holder dm
 * claimed @dd with, so that it shares dm's claim: from here until
 * meta_drop() nothing but dm opens the device exclusively, and no other
 * vaio disk or purpose claims it (vaio_claim_device()).
 */
int meta_open(struct repl_disk *d, struct dm_dev *dd, char **error)
{
	size_t need = 4096 + bm_alloc_bytes(d->bm_bits);
	dev_t dev = dd->bdev->bd_dev;
	struct repl_sb *sb;
	u32 flags, csum;
	int i, r;

	r = vaio_claim_device(d->id, REPL_META_USE, dev, false, error);
	if (r)
		return r;
	d->meta = blkdev_get_by_dev(dev, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
				    dd->bdev->bd_holder);
	if (IS_ERR(d->meta)) {
		r = PTR_ERR(d->meta);
		d->meta = NULL;
		vaio_release_device(d->id, dev);
		*error = "cannot open the metadata device (meta=)";
		return r;
	}
	d->meta_dev = dev;
	if (bdev_nr_bytes(d->meta) < need) {
		*error = "metadata device too small: it needs 4 KiB + 1 bit per 4 KiB of disk";
		return -ENOSPC;
	}
	r = meta_io(d, REQ_OP_READ, 0, d->sb_buf, 4096, false);
	if (r) {
		*error = "cannot read the metadata device";
		return r;
	}
	sb = d->sb_buf;
	if (!memchr_inv(d->sb_buf, 0, 4096)) {
		/* A new device: a fresh secondary, a replica of nothing yet. */
		d->consistent = false;
		return al_place(d) ?: meta_write_sb(d, true) ?: meta_write_bm(d);
	}
	csum = le32_to_cpu(sb->csum);
	sb->csum = 0;
	if (le32_to_cpu(sb->magic) != REPL_SB_MAGIC ||
	    crc32_le(0, d->sb_buf, 4096) != csum) {
		*error = "metadata device holds something else (or a damaged superblock)";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->version) != REPL_SB_VERSION) {
		*error = "metadata version not supported";
		return -EINVAL;
	}
	/*
	 * Another disk's (a device renumbered at a reboot, a typo): taking
	 * its generations and bitmap for this disk's would pair the wrong
	 * data. Older superblocks name no disk: taken, and named from now.
	 */
	sb->disk_id[sizeof(sb->disk_id) - 1] = '\0';
	if (sb->disk_id[0] && strcmp(sb->disk_id, d->id)) {
		DMERR("%s: meta= holds the metadata of disk %s", d->id,
		      sb->disk_id);
		*error = "metadata device holds another disk's metadata";
		return -EINVAL;
	}
	if (le64_to_cpu(sb->sectors) != d->sectors) {
		*error = "metadata was made for a disk of another size";
		return -EINVAL;
	}
	flags = le32_to_cpu(sb->flags);
	d->role = flags & REPL_SBF_PRIMARY ? VAIO_REPL_ROLE_PRIMARY :
					     VAIO_REPL_ROLE_SECONDARY;
	d->consistent = flags & REPL_SBF_CONSISTENT;
	d->new_pair = flags & REPL_SBF_NEW_PAIR;
	d->paired = flags & REPL_SBF_PAIRED;
	d->gen = le64_to_cpu(sb->gen);
	/* A generation is a pair's (the flag came after version 1). */
	d->paired |= !!d->gen;
	for (i = 0; i < VAIO_REPL_GEN_HISTORY; i++)
		d->history[i] = le64_to_cpu(sb->history[i]);
	d->nr_marks = min_t(u32, le32_to_cpu(sb->nr_marks), VAIO_REPL_MARKS);
	for (i = 0; i < d->nr_marks; i++) {
		struct repl_mark *m = &d->marks[i];

		memcpy(m->tag, sb->marks[i].tag, VAIO_REPL_TAG_LEN);
		m->tag[VAIO_REPL_TAG_LEN - 1] = 0;
		m->time = le64_to_cpu(sb->marks[i].time);
		m->gen = le64_to_cpu(sb->marks[i].gen);
		/* The counters start at 0 again: "since" is lost. */
		m->count = 0;
		m->on_replica = sb->marks[i].on_replica;
	}
	r = meta_io(d, REQ_OP_READ, 8, d->bm, bm_alloc_bytes(d->bm_bits), true);
	if (r) {
		*error = "cannot read the metadata bitmap";
		return r;
	}
	if ((flags & REPL_SBF_DIRTY) && d->role == VAIO_REPL_ROLE_PRIMARY) {
		/*
		 * The bitmap on disk is older than the crash: the extents the
		 * activity log lists may differ (or all of the disk, without
		 * a log). Saved before a new log forgets them.
		 */
		if (al_recover(d, le64_to_cpu(sb->al_sector),
			       le64_to_cpu(sb->al_id))) {
			DMWARN("%s: not shut down cleanly, no activity log: full resync",
			       d->id);
			bitmap_set(d->bm, 0, d->bm_bits);
		}
		r = meta_write_bm(d);
		if (r) {
			*error = "cannot write the metadata bitmap";
			return r;
		}
	}
	/* A new log each time (its blocks overwritten: the old one is gone). */
	r = al_place(d);
	if (r) {
		*error = "cannot write the activity log";
		return r;
	}
	return meta_write_sb(d, true);
}

void meta_close(struct repl_disk *d)
{
	if (!d->meta)
		return;
	if (!meta_write_bm(d))
		meta_write_sb(d, false);
	meta_drop(d);
}

/* Closes the metadata device (meta_open()'s), writing nothing. */
void meta_drop(struct repl_disk *d)
{
	blkdev_put(d->meta, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	vaio_release_device(d->id, d->meta_dev);
	d->meta = NULL;
	d->meta_dev = 0;
}

/* A new data generation: the primary's data go their own way from here. */
void new_gen(struct repl_disk *d)
{
	memmove(&d->history[1], &d->history[0],
		sizeof(d->history[0]) * (VAIO_REPL_GEN_HISTORY - 1));
	d->history[0] = d->gen;
	d->gen = get_random_u64() | 1;
	d->gen_unsynced = true;
}

/* Adds a mark, newest first (the oldest falls off). d->slock held. */
void mark_add(struct repl_disk *d, const struct vaio_repl_mark *wm,
	      u64 count, bool on_replica)
{
	struct repl_mark *m = &d->marks[0];

	memmove(&d->marks[1], &d->marks[0],
		sizeof(d->marks[0]) * (VAIO_REPL_MARKS - 1));
	if (d->nr_marks < VAIO_REPL_MARKS)
		d->nr_marks++;
	memset(m, 0, sizeof(*m));
	strscpy(m->tag, wm->tag, sizeof(m->tag));
	m->time = be64_to_cpu(wm->time);
	m->gen = d->gen;
	m->count = count;
	m->on_replica = on_replica;
}

void meta_work_fn(struct work_struct *work)
{
	struct repl_disk *d = container_of(work, struct repl_disk, meta_work);

	mutex_lock(&d->meta_lock);
	meta_write_sb(d, true);
	mutex_unlock(&d->meta_lock);
	gen_saved(d);
}

/*
 * A primary's data part from the peer's here: a new generation, and its
 * save queued (meta_work), unless the peer's generation is older already
 * (gen_unsynced) or one is being saved. True while one is being saved:
 * a write made apart from the peer waits for it. d->slock held.
 */
bool gen_part(struct repl_disk *d)
{
	if (!d->gen_unsynced && !d->gen_saving) {
		new_gen(d);
		d->gen_saving = true;
		queue_work(repl_wq, &d->meta_work);
	}
	return d->gen_saving;
}

/* The new generation is on disk: the writes held for it go on. */
void gen_saved(struct repl_disk *d)
{
	struct repl_filter *rf;
	LIST_HEAD(list);

	spin_lock_irq(&d->slock);
	d->gen_saving = false;
	list_splice_init(&d->gen_waiters, &list);
	rf = d->live;
	spin_unlock_irq(&d->slock);
	if (!list_empty(&list) && !WARN_ON_ONCE(!rf))
		release_list(rf, &list);
}
