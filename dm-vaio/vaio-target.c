// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio: the "vaio" device-mapper target.
 *
 * A vaio device sits on one data device (a VM's disk) and passes every bio
 * through the disk's I/O filters, in class order, before it reaches the
 * disk. Where a bio goes:
 *
 *   vaio_map()        counts it, points it at the data device, runs
 *   run_chain()       ->map() of each active filter, QoS first, cache last:
 *                     PASS goes on, REMAP/DONE/FAIL/DEFER stop the walk
 *   vaio_bio_continue() picks a deferred bio up where its filter left it
 *                     (from vaio_work() for PASS and REMAP)
 *   vaio_end_io()     ->end_io() of each filter whose ->map() saw the bio,
 *                     in reverse order; a filter may hold the completion
 *                     (VAIO_END_DEFER) and release it with
 *                     vaio_bio_end_continue()
 *
 * Table line:
 *   <start> <len> vaio <data_dev> [<#feature args> [disk_id <name>]
 *        [filter <type> <fail_open|fail_closed> <#args> [<args>...]]...]
 *
 * See Documentation/admin-guide/device-mapper/vaio.rst.
 */

#include "vaio-internal.h"

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/ctype.h>
#include <linux/dm-ioctl.h>
#include <linux/mutex.h>
#include <linux/part_stat.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

/*
 *--------------------------------------------------------------
 * Disks: what a disk_id names across table reloads
 *--------------------------------------------------------------
 */

/* Every disk; the lock nests outside each disk's own (vaio_disk.lock). */
LIST_HEAD(vaio_disks);
DEFINE_MUTEX(vaio_disks_lock);	/* the list, each disk's targets */
static u64 vaio_disks_serial;	/* the last disk's serial */
/*
 * Disks whose last vaio table went while the device stayed, with the data
 * below in the form of filters of their lost live table (a table of
 * another target in its place: orphans): kept, by the device's
 * diskseq (never reused), until a vaio table of the device comes back
 * and takes them over (vaio_disk_get()), or the module unloads. One per
 * device so left: a device removed under another target's table (dmsetup
 * remove --force puts in the error target) leaves its entry, so at most
 * VAIO_ORPHANED_MAX are kept, the oldest forgotten first. Under
 * vaio_disks_lock.
 */
static LIST_HEAD(vaio_orphaned);
static unsigned int vaio_nr_orphaned;
#define VAIO_ORPHANED_MAX	64

static struct vaio_disk *vaio_disk_get(struct vaio_c *vc, const char *id,
				       bool explicit_id);
static void vaio_disk_put(struct vaio_c *vc);

/*
 *--------------------------------------------------------------
 * The target's state
 *--------------------------------------------------------------
 */

/*
 * Per-bio state. It sits at the end of the per-bio data, right before the
 * bio, so it is found from the bio alone; the filters' areas precede it.
 */
struct vaio_io {
	struct vaio_c *vc;
	u8 next;		/* the next filter ->map() meets */
	u8 seen;		/* filters whose ->map() saw it: get ->end_io() */
	u8 hops;		/* ->map() calls so far */
	u8 end_hops;		/* ->end_io() calls so far */
	u8 in_end;		/* completing */
	u8 cont;		/* verdict for vaio_work() */
	u8 below;		/* a filter's own bio: vaio_submit_below() */
};

/*
 * A bio of vaio_below_bioset (vaio_bio_alloc_below()): room for the filters'
 * per-bio areas and the per-bio state right before the bio, as dm lays
 * them out for its clones, and the filter's own completion.
 */
struct vaio_below {
	bio_end_io_t *end_io;
	void *private;
	char data[VAIO_PER_BIO_DATA_MAX];
	struct vaio_io io;
};

/*
 * A new disk object @d takes over what its device's old one kept: @held,
 * gone but still held by the control plane (it is parked with nothing
 * then), or a parked one.
 */
static void unpark(struct vaio_disk *o)
{
	list_del(&o->list);
	vaio_nr_orphaned--;
	kfree(o);
}

static void adopt_orphans(struct vaio_disk *d, struct vaio_disk *held)
{
	struct vaio_disk *o;

	lockdep_assert_held(&vaio_disks_lock);
	if (held) {
		d->orphans = held->orphans;
		held->orphans.n = 0;
		return;
	}
	list_for_each_entry(o, &vaio_orphaned, list) {
		if (o->diskseq == d->diskseq) {
			d->orphans = o->orphans;
			unpark(o);
			return;
		}
	}
}

/*
 * A disk object no table and no control-plane hold needs any more, off
 * vaio_disks: freed, or parked on vaio_orphaned if its data below is in a
 * lost table's form. Under vaio_disks_lock.
 */
static void disk_free(struct vaio_disk *d)
{
	struct vaio_disk *o;

	lockdep_assert_held(&vaio_disks_lock);
	mutex_destroy(&d->lock);
	if (!d->orphans.n) {
		kfree(d);
		return;
	}
	if (vaio_nr_orphaned == VAIO_ORPHANED_MAX) {
		o = list_first_entry(&vaio_orphaned, struct vaio_disk, list);
		DMWARN("%s: forgetting that the data below is in %s's form (over %u such disks)",
		       o->id, o->orphans.types[0], VAIO_ORPHANED_MAX);
		unpark(o);
	}
	list_add_tail(&d->list, &vaio_orphaned);
	vaio_nr_orphaned++;
}

/*
 * The disk @vc belongs to, with @vc on its list. The device's disk if it has
 * one: its disk_id sticks across renames and cannot be changed by a reload.
 * Otherwise the disk called @id, which no other device may own.
 */
static struct vaio_disk *vaio_disk_get(struct vaio_c *vc, const char *id,
				       bool explicit_id)
{
	struct mapped_device *md = dm_table_get_md(vc->ti->table);
	struct vaio_disk *d, *mine = NULL, *named = NULL, *held = NULL;
	struct vaio_disk *new = kzalloc(sizeof(*new), GFP_KERNEL);
	struct vaio_c *other;

	/*
	 * Allocated before the lock: a suspend's postsuspend takes it, and
	 * reclaim under it could wait for that suspended device.
	 */
	mutex_lock(&vaio_disks_lock);
	list_for_each_entry(d, &vaio_disks, list) {
		if (list_empty(&d->targets)) {
			/* Gone, held by the control plane; its device's? */
			if (d->orphans.n &&
			    d->diskseq == dm_disk(md)->diskseq)
				held = d;
			continue;
		}
		if (d->md == md)
			mine = d;
		else if (!strcmp(d->id, id))
			named = d;
	}
	if (named && (!mine || explicit_id))
		goto busy;

	d = mine;
	if (d) {
		list_for_each_entry(other, &d->targets, disk_node) {
			if (other->ti->table == vc->ti->table) {
				vc->ti->error = "Only one vaio target per device";
				d = ERR_PTR(-EINVAL);
				goto out;
			}
		}
		if (explicit_id && strcmp(d->id, id)) {
			DMERR("%s: disk_id cannot change to %s", d->id, id);
			vc->ti->error = "disk_id cannot change while the device exists";
			d = ERR_PTR(-EINVAL);
			goto out;
		}
	} else {
		d = new;
		new = NULL;
		if (!d) {
			vc->ti->error = "Cannot allocate disk";
			d = ERR_PTR(-ENOMEM);
			goto out;
		}
		strscpy(d->id, id, sizeof(d->id));
		d->md = md;
		d->diskseq = dm_disk(md)->diskseq;
		adopt_orphans(d, held);
		d->serial = ++vaio_disks_serial;
		INIT_LIST_HEAD(&d->targets);
		mutex_init(&d->lock);
		list_add_tail(&d->list, &vaio_disks);
	}
	list_add_tail(&vc->disk_node, &d->targets);
	atomic_inc(&d->nr_tables);
	goto out;

busy:
	vc->ti->error = "disk_id is in use by another device";
	d = ERR_PTR(-EBUSY);
out:
	mutex_unlock(&vaio_disks_lock);
	kfree(new);
	return d;
}

/*
 * A disk's lock. The resume of a suspended device takes it, and until then
 * the device's I/O waits; memory reclaim may wait for that I/O (writeback
 * of a file system above). Whoever holds the lock must therefore never
 * enter reclaim that issues I/O, or it waits for the resume that waits for
 * it. Every section under the lock runs in a memalloc_noio scope: our own
 * allocations there and the filters' calls made there (->event_check(),
 * ->event(), ->status(), ->reactivate()) alike, as dm-ioctl allocates what
 * a resume needs (copy_params()). The scope covers only this task: a lock
 * of its own that a filter takes in those calls must not be held elsewhere
 * across an allocation that may issue I/O (Documentation/filter-api.rst).
 * Returns the scope's flags for vaio_disk_unlock().
 */
unsigned int vaio_disk_lock(struct vaio_disk *d)
{
	mutex_lock(&d->lock);
	return memalloc_noio_save();
}

void vaio_disk_unlock(struct vaio_disk *d, unsigned int noio)
{
	memalloc_noio_restore(noio);
	mutex_unlock(&d->lock);
}

static void event_deliver(struct vaio_filter **fs, unsigned int n,
			  struct vaio_event *ev);

static void vaio_disk_put(struct vaio_c *vc)
{
	struct vaio_disk *d = vc->disk;
	struct vaio_c *live;
	unsigned int noio;

	/*
	 * The last loaded vaio table that could follow the live one goes,
	 * while the live one sits in a noflush suspend that left the disk
	 * below to it (vaio_postsuspend()): the next table may be another
	 * target's now, so the live filters make the disk below whole.
	 */
	noio = vaio_disk_lock(d);
	live = d->live;
	if (atomic_dec_return(&d->nr_tables) == 1 && live && live != vc &&
	    live->unflushed) {
		struct vaio_event ev = { .type = VAIO_EV_QUIESCE, .flush = true };

		live->unflushed = false;
		event_deliver(live->filters, live->nr_filters, &ev);
	}
	vaio_disk_unlock(d, noio);

	mutex_lock(&vaio_disks_lock);
	list_del(&vc->disk_node);
	if (!list_empty(&d->targets)) {
		d = NULL;
	} else if (d->holders) {
		d->md = NULL;	/* gone: vaio_disk_release() frees it */
		d = NULL;
	} else {
		list_del(&d->list);
		disk_free(d);
	}
	mutex_unlock(&vaio_disks_lock);
}

/*
 * The control plane's hold on a disk it found under vaio_disks_lock, so
 * that it may wait for the disk's lock without holding vaio_disks_lock
 * (a suspend holds the disk's lock through its write-back, and table
 * loads of every disk need vaio_disks_lock).
 */
void vaio_disk_hold(struct vaio_disk *d)
{
	lockdep_assert_held(&vaio_disks_lock);
	d->holders++;
}

void vaio_disk_release(struct vaio_disk *d)
{
	bool gone;

	mutex_lock(&vaio_disks_lock);
	gone = !--d->holders && list_empty(&d->targets);
	if (gone) {
		list_del(&d->list);
		disk_free(d);
	}
	mutex_unlock(&vaio_disks_lock);
}

static struct bio_set vaio_bioset;
static struct bio_set vaio_below_bioset;

static inline struct vaio_below *vaio_below(struct bio *bio)
{
	return (struct vaio_below *)((char *)bio - sizeof(struct vaio_below));
}

static inline struct vaio_io *vaio_io(struct bio *bio)
{
	if (unlikely(bio->bi_pool == &vaio_below_bioset))
		return &vaio_below(bio)->io;
	return dm_per_bio_data(bio, sizeof(struct vaio_io));
}

static inline void *filter_data(struct vaio_io *io, struct vaio_filter *f)
{
	return (char *)io - io->vc->filter_data_size + f->data_offset;
}

static const char * const class_names[VAIO_NR_CLASSES] = {
	[VAIO_CLASS_QOS]	 = "qos",
	[VAIO_CLASS_INSPECTION]	 = "inspection",
	[VAIO_CLASS_ENCRYPTION]	 = "encryption",
	[VAIO_CLASS_REPLICATION] = "replication",
	[VAIO_CLASS_CACHE]	 = "cache",
};

const char *vaio_class_name(enum vaio_class class)
{
	return class < VAIO_NR_CLASSES ? class_names[class] : "unknown";
}
EXPORT_SYMBOL_GPL(vaio_class_name);

static const char * const event_names[VAIO_NR_EVENTS] = {
	[VAIO_EV_ATTACH]   = "attach",
	[VAIO_EV_DETACH]   = "detach",
	[VAIO_EV_SUSPEND]  = "suspend",
	[VAIO_EV_RESUME]   = "resume",
	[VAIO_EV_GROW]	   = "grow",
	[VAIO_EV_SNAPSHOT] = "snapshot",
	[VAIO_EV_QUIESCE]  = "quiesce",
};

const char *vaio_event_name(enum vaio_event_type type)
{
	return type < VAIO_NR_EVENTS ? event_names[type] : "unknown";
}
EXPORT_SYMBOL_GPL(vaio_event_name);

static const char * const state_names[] = {
	[VAIO_FILTER_ACTIVE]   = "active",
	[VAIO_FILTER_BYPASSED] = "bypassed",
	[VAIO_FILTER_FAILED]   = "failed",
};

const char *vaio_state_name(int state)
{
	return state_names[state];
}

/* The device's name, into @name of DM_NAME_LEN bytes ("" if it has none). */
void vaio_dm_name(struct mapped_device *md, char *name)
{
	if (dm_copy_name_and_uuid(md, name, NULL))
		name[0] = '\0';
}

/* Valid from the filter's ctr on. */
const char *vaio_disk_id(struct vaio_filter *f)
{
	return f->vc->id;
}
EXPORT_SYMBOL_GPL(vaio_disk_id);

/*
 *--------------------------------------------------------------
 * The bio path
 *--------------------------------------------------------------
 */

static void count_bio(struct vaio_c *vc, struct bio *bio)
{
	if (bio->bi_opf & REQ_PREFLUSH)
		this_cpu_inc(vc->stats->flushes);
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		this_cpu_inc(vc->stats->reads);
		this_cpu_add(vc->stats->read_sectors, bio_sectors(bio));
		break;
	case REQ_OP_WRITE:
		if (bio_sectors(bio)) {
			this_cpu_inc(vc->stats->writes);
			this_cpu_add(vc->stats->write_sectors, bio_sectors(bio));
		}
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
	case REQ_OP_WRITE_ZEROES:
		this_cpu_inc(vc->stats->discards);
		break;
	default:
		break;
	}
}

static void end_bio_now(struct bio *bio)
{
	if (!bio->bi_status)
		bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
}

/*
 * The bio lists handed to process context (the target's deferred list and
 * each filter's process lists) are all under vc->lock: queue_bio() adds a
 * bio and queues the work that takes it, take_bios() takes the whole list.
 */
static void queue_bio(struct vaio_c *vc, struct bio_list *list,
		      struct workqueue_struct *wq, struct work_struct *work,
		      struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&vc->lock, flags);
	bio_list_add(list, bio);
	spin_unlock_irqrestore(&vc->lock, flags);
	queue_work(wq, work);
}

static struct bio_list take_bios(struct vaio_c *vc, struct bio_list *list)
{
	struct bio_list bios;

	spin_lock_irq(&vc->lock);
	bios = *list;
	bio_list_init(list);
	spin_unlock_irq(&vc->lock);
	return bios;
}

static void defer_bio(struct vaio_c *vc, struct bio *bio)
{
	queue_bio(vc, &vc->deferred, vc->wq, &vc->work, bio);
}

static void proc_queue(struct vaio_filter *f, int which, struct bio *bio);

/*
 * Whether a filter below io->next transforms data: VAIO_REMAP would skip
 * it, and send below bytes that are not the disk's (plaintext below
 * encryption). transforms_data is set by ->ctr(), before any bio.
 */
static bool transform_below(struct vaio_c *vc, struct vaio_io *io)
{
	unsigned int i;

	for (i = io->next; i < vc->nr_filters; i++)
		if (vc->filters[i]->transforms_data)
			return true;
	return false;
}

/* What filter @f's verdict @v (not VAIO_PASS) makes of @bio; as run_chain(). */
static int settle(struct vaio_c *vc, struct vaio_filter *f,
		  struct vaio_io *io, struct bio *bio, enum vaio_verdict v)
{
	const char *bad = "invalid map verdict";

	switch (v) {
	case VAIO_REMAP:
		if (likely(!transform_below(vc, io)))
			return DM_MAPIO_REMAPPED;
		bad = "VAIO_REMAP above a filter that transforms data";
		break;
	case VAIO_DONE:
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	case VAIO_DEFER:
		return DM_MAPIO_SUBMITTED;
	case VAIO_FAIL:
		end_bio_now(bio);
		return DM_MAPIO_SUBMITTED;
	case VAIO_PROCESS:
		if (f->proc_wq[VAIO_PROC_MAP]) {
			proc_queue(f, VAIO_PROC_MAP, bio);
			return DM_MAPIO_SUBMITTED;
		}
		break;
	default:
		break;
	}
	/* A verdict the filter may not give: it fails, and the bio. */
	vaio_filter_error(f, bad);
	bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

/*
 * Runs ->map() of the filters from io->next on. Returns DM_MAPIO_REMAPPED
 * when the bio is to be submitted as it stands, DM_MAPIO_SUBMITTED when a
 * filter took it (deferred or completed), DM_MAPIO_KILL when the disk
 * fails I/O. Touches neither io nor bio once a filter deferred it: the
 * filter may already be continuing it elsewhere.
 */
static int run_chain(struct vaio_c *vc, struct vaio_io *io, struct bio *bio)
{
	struct vaio_filter *f;
	enum vaio_verdict v;
	int state;

	if (unlikely(READ_ONCE(vc->failed_closed)))
		return DM_MAPIO_KILL;

	while (io->next < vc->nr_filters) {
		f = vc->filters[io->next++];
		state = READ_ONCE(f->state);
		if (unlikely(state == VAIO_FILTER_FAILED)) {
			/*
			 * It failed after the check above (failed_closed is
			 * set after the state): no bio goes past it, to be
			 * written not encrypted, or read not decrypted.
			 */
			if (!io->seen)
				return DM_MAPIO_KILL;
			/* Those above saw it: dm would skip their ->end_io(). */
			end_bio_now(bio);
			return DM_MAPIO_SUBMITTED;
		}
		if (state != VAIO_FILTER_ACTIVE)
			continue;
		io->seen |= BIT(f->index);
		io->hops++;
		if (!f->type->ops.map)
			continue;

		v = f->type->ops.map(f, bio, filter_data(io, f));
		if (v != VAIO_PASS)
			return settle(vc, f, io, bio, v);
	}

	return DM_MAPIO_REMAPPED;
}

static int vaio_map(struct dm_target *ti, struct bio *bio)
{
	struct vaio_c *vc = ti->private;
	struct vaio_io *io;
	int r;

	bio_set_dev(bio, vc->data_dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	count_bio(vc, bio);

	/* No filters: a passthrough, the per-bio state is never read. */
	if (likely(!vc->nr_filters))
		return DM_MAPIO_REMAPPED;

	io = vaio_io(bio);
	io->vc = vc;
	io->next = 0;
	io->seen = 0;
	io->hops = 0;
	io->end_hops = 0;
	io->in_end = 0;
	io->cont = VAIO_PASS;
	io->below = 0;
	r = run_chain(vc, io, bio);
	if (unlikely(r == DM_MAPIO_KILL))
		this_cpu_inc(vc->stats->errors);
	return r;
}

/* A bio run_chain() or settle() decided on, from process context. */
static void dispatch(struct vaio_io *io, struct bio *bio, int r)
{
	if (r == DM_MAPIO_REMAPPED && io->below)
		submit_bio_noacct(bio);
	else if (r == DM_MAPIO_REMAPPED)
		dm_submit_bio_remap(bio, NULL);
	else if (r == DM_MAPIO_KILL)
		bio_io_error(bio);	/* counted by vaio_end_io() */
}

/* Continues deferred bios in process context. */
static void vaio_work(struct work_struct *work)
{
	struct vaio_c *vc = container_of(work, struct vaio_c, work);
	struct bio_list bios = take_bios(vc, &vc->deferred);
	struct bio *bio;

	while ((bio = bio_list_pop(&bios))) {
		struct vaio_io *io = vaio_io(bio);

		/* A remapped bio too fails once the disk fails I/O. */
		dispatch(io, bio, io->cont == VAIO_PASS ?
				  run_chain(vc, io, bio) :
				  READ_ONCE(vc->failed_closed) ?
				  DM_MAPIO_KILL : DM_MAPIO_REMAPPED);
	}
}

/*
 * The process-context halves of a filter's bios (VAIO_PROCESS,
 * VAIO_END_PROCESS): each filter that has them has a workqueue for each,
 * with its own rescuer, so that a ->map_process() waiting for memory never
 * holds up another filter's work, nor its own completions, which may be
 * what frees that memory.
 */
static void proc_queue(struct vaio_filter *f, int which, struct bio *bio)
{
	queue_bio(f->vc, &f->proc_bios[which], f->proc_wq[which],
		  &f->proc_work[which], bio);
}

static struct bio_list proc_take(struct vaio_filter *f, int which)
{
	return take_bios(f->vc, &f->proc_bios[which]);
}

static void proc_map_work(struct work_struct *work)
{
	struct vaio_filter *f = container_of(work, struct vaio_filter,
					     proc_work[VAIO_PROC_MAP]);
	struct bio_list bios = proc_take(f, VAIO_PROC_MAP);
	struct bio *bio;

	while ((bio = bio_list_pop(&bios))) {
		struct vaio_io *io = vaio_io(bio);
		enum vaio_verdict v;

		v = f->type->ops.map_process(f, bio, filter_data(io, f));
		if (v == VAIO_PASS)
			dispatch(io, bio, run_chain(f->vc, io, bio));
		else if (v == VAIO_PROCESS)	/* not twice from one filter */
			dispatch(io, bio, settle(f->vc, f, io, bio, -1));
		else
			dispatch(io, bio, settle(f->vc, f, io, bio, v));
	}
}

static void proc_end_work(struct work_struct *work)
{
	struct vaio_filter *f = container_of(work, struct vaio_filter,
					     proc_work[VAIO_PROC_END]);
	struct bio_list bios = proc_take(f, VAIO_PROC_END);
	struct bio *bio;

	while ((bio = bio_list_pop(&bios))) {
		struct vaio_io *io = vaio_io(bio);
		blk_status_t error = bio->bi_status;

		switch (f->type->ops.end_io_process(f, bio, filter_data(io, f),
						    &error)) {
		case VAIO_END_DEFER:
			continue;
		case VAIO_END_DONE:
			break;
		default:
			vaio_filter_error(f, "invalid end_io verdict");
			error = BLK_STS_IOERR;
			break;
		}
		bio->bi_status = error;
		vaio_bio_end_continue(bio);
	}
}

/* At the filter's construction: its process-context workqueues. */
static int proc_init(struct vaio_filter *f, const char *dev)
{
	static const char which_name[] = { 'm', 'e' };
	int i;

	INIT_WORK(&f->proc_work[VAIO_PROC_MAP], proc_map_work);
	INIT_WORK(&f->proc_work[VAIO_PROC_END], proc_end_work);
	for (i = 0; i < 2; i++) {
		bio_list_init(&f->proc_bios[i]);
		if (i == VAIO_PROC_MAP ? !f->type->ops.map_process :
					 !f->type->ops.end_io_process)
			continue;
		f->proc_wq[i] = alloc_workqueue("kvaio%c%d/%s", WQ_MEM_RECLAIM,
						0, which_name[i],
						f->type->class, dev);
		if (!f->proc_wq[i])
			return -ENOMEM;
	}
	return 0;
}

void vaio_bio_continue(struct bio *bio, enum vaio_verdict v)
{
	struct vaio_io *io = vaio_io(bio);
	struct vaio_c *vc = io->vc;

	switch (v) {
	case VAIO_DONE:
		bio_endio(bio);
		return;
	case VAIO_REMAP:
		if (unlikely(transform_below(vc, io))) {
			vaio_filter_error(vc->filters[io->next - 1],
					  "VAIO_REMAP above a filter that transforms data");
			end_bio_now(bio);
			return;
		}
		fallthrough;
	case VAIO_PASS:
		io->cont = v;
		defer_bio(vc, bio);
		return;
	default:
		end_bio_now(bio);
		return;
	}
}
EXPORT_SYMBOL_GPL(vaio_bio_continue);

/*
 * Runs ->end_io() of the filters that saw the bio, from the lowest up, as far
 * as they let it: DM_ENDIO_INCOMPLETE when one holds it (it comes back here
 * through vaio_bio_end_continue(), with bi_status its error), DM_ENDIO_DONE
 * when all are through.
 */
static int end_walk(struct vaio_c *vc, struct vaio_io *io, struct bio *bio,
		    blk_status_t *error)
{
	struct vaio_filter *f;
	unsigned int i;

	io->in_end = 1;
	while (io->seen) {
		i = fls(io->seen) - 1;
		f = vc->filters[i];
		io->seen &= ~BIT(i);
		io->end_hops++;
		if (!f->type->ops.end_io)
			continue;
		bio->bi_status = *error;
		switch (f->type->ops.end_io(f, bio, filter_data(io, f), error)) {
		case VAIO_END_DONE:
			break;
		case VAIO_END_DEFER:
			return DM_ENDIO_INCOMPLETE;
		case VAIO_END_PROCESS:
			if (f->proc_wq[VAIO_PROC_END]) {
				bio->bi_status = *error;
				proc_queue(f, VAIO_PROC_END, bio);
				return DM_ENDIO_INCOMPLETE;
			}
			fallthrough;
		default:
			vaio_filter_error(f, "invalid end_io verdict");
			*error = BLK_STS_IOERR;
			break;
		}
	}
	return DM_ENDIO_DONE;
}

static int vaio_end_io(struct dm_target *ti, struct bio *bio,
		       blk_status_t *error)
{
	struct vaio_c *vc = ti->private;

	if (unlikely(vc->nr_filters) &&
	    end_walk(vc, vaio_io(bio), bio, error) == DM_ENDIO_INCOMPLETE)
		return DM_ENDIO_INCOMPLETE;

	if (unlikely(*error))
		this_cpu_inc(vc->stats->errors);
	return DM_ENDIO_DONE;
}

void vaio_bio_end_continue(struct bio *bio)
{
	/* The disk below accounted this completion already. */
	bio_clear_flag(bio, BIO_QOS_THROTTLED);
	bio_clear_flag(bio, BIO_QOS_MERGED);
	bio_endio(bio);
}
EXPORT_SYMBOL_GPL(vaio_bio_end_continue);

/*
 *--------------------------------------------------------------
 * A filter's own I/O, through the filters below it
 *--------------------------------------------------------------
 */

struct bio *vaio_bio_alloc_below(struct vaio_filter *f, unsigned short nr_vecs,
				 blk_opf_t opf, gfp_t gfp)
{
	return bio_alloc_bioset(f->data_dev->bdev, nr_vecs, opf, gfp,
				&vaio_below_bioset);
}
EXPORT_SYMBOL_GPL(vaio_bio_alloc_below);

/* below_no_ops: a bit per operation (enum req_op is a restricted type). */
static inline unsigned long op_bit(enum req_op op)
{
	return BIT((__force unsigned int)op);
}

/* Under the lock: vaio_free() may free @vc once it sees the count 0. */
static void below_put(struct vaio_c *vc)
{
	unsigned long flags;

	spin_lock_irqsave(&vc->lock, flags);
	if (!--vc->below_inflight)
		wake_up(&vc->below_wait);
	spin_unlock_irqrestore(&vc->lock, flags);
}

/* Until none of the filters' own bios is in flight; new ones are refused. */
static void below_close(struct vaio_c *vc)
{
	spin_lock_irq(&vc->lock);
	vc->below_closed = true;
	wait_event_lock_irq(vc->below_wait, !vc->below_inflight, vc->lock);
	spin_unlock_irq(&vc->lock);
}

static void below_open(struct vaio_c *vc)
{
	spin_lock_irq(&vc->lock);
	vc->below_closed = false;
	spin_unlock_irq(&vc->lock);
}

/* The completion of a bio of vaio_submit_below(), and its own again. */
static void vaio_below_endio(struct bio *bio)
{
	struct vaio_below *b = vaio_below(bio);
	struct vaio_c *vc = b->io.vc;
	blk_status_t error = bio->bi_status;

	if (end_walk(vc, &b->io, bio, &error) == DM_ENDIO_INCOMPLETE)
		return;
	bio->bi_status = error;
	bio->bi_end_io = b->end_io;
	bio->bi_private = b->private;
	bio->bi_end_io(bio);
	/* After the filter's completion ran: vaio_free() waits for this. */
	below_put(vc);
}

/* True: refused because the disk is not running (see vaio_submit_below_wait()). */
static bool __vaio_submit_below(struct vaio_filter *f, struct bio *bio)
{
	struct vaio_c *vc = f->vc;
	struct vaio_below *b = vaio_below(bio);
	struct vaio_io *io = &b->io;
	sector_t sector = bio->bi_iter.bi_sector, len = vc->ti->len;
	unsigned long flags;
	bool closed;
	int r;

	spin_lock_irqsave(&vc->lock, flags);
	closed = vc->below_closed;
	if (!closed)
		vc->below_inflight++;
	spin_unlock_irqrestore(&vc->lock, flags);
	/*
	 * Refused, never sent below: while the disk is suspended or going; a
	 * bio not of vaio_bio_alloc_below(); one past the end of the disk;
	 * one larger than a filter below takes (f->below_max_sectors); data
	 * with a preflush, which dm never sends (an empty flush comes first).
	 */
	if (closed || WARN_ON_ONCE(bio->bi_pool != &vaio_below_bioset) ||
	    sector >= len || bio_sectors(bio) > len - sector ||
	    (f->below_max_sectors && bio_sectors(bio) > f->below_max_sectors) ||
	    ((bio->bi_opf & REQ_PREFLUSH) && bio_sectors(bio)) ||
	    (f->below_no_ops & op_bit(bio_op(bio)))) {
		/* Closed: not a failure of the disk (OFFLINE, not IOERR). */
		bio->bi_status = closed ? BLK_STS_OFFLINE : BLK_STS_IOERR;
		bio->bi_end_io(bio);
		if (!closed)
			below_put(vc);
		return closed;
	}

	b->end_io = bio->bi_end_io;
	b->private = bio->bi_private;
	bio->bi_end_io = vaio_below_endio;
	bio->bi_private = NULL;
	bio_set_dev(bio, vc->data_dev->bdev);
	io->vc = vc;
	io->next = f->index + 1;
	io->seen = 0;
	io->hops = 0;
	io->end_hops = 0;
	io->in_end = 0;
	io->cont = VAIO_PASS;
	io->below = 1;
	r = run_chain(vc, io, bio);
	if (r == DM_MAPIO_REMAPPED) {
		submit_bio_noacct(bio);
	} else if (r == DM_MAPIO_KILL) {
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
	}
	return false;
}

void vaio_submit_below(struct vaio_filter *f, struct bio *bio)
{
	__vaio_submit_below(f, bio);
}
EXPORT_SYMBOL_GPL(vaio_submit_below);

bool vaio_below_closed(struct vaio_filter *f)
{
	struct vaio_c *vc = f->vc;
	unsigned long flags;
	bool closed;

	spin_lock_irqsave(&vc->lock, flags);
	closed = vc->below_closed;
	spin_unlock_irqrestore(&vc->lock, flags);
	return closed;
}
EXPORT_SYMBOL_GPL(vaio_below_closed);

struct vaio_below_wait {
	struct completion done;
	blk_status_t status;
};

static void vaio_below_wait_endio(struct bio *bio)
{
	struct vaio_below_wait *w = bio->bi_private;

	w->status = bio->bi_status;
	complete(&w->done);
}

int vaio_submit_below_wait(struct vaio_filter *f, struct bio *bio)
{
	struct vaio_below_wait w;
	bool refused;

	init_completion(&w.done);
	bio->bi_end_io = vaio_below_wait_endio;
	bio->bi_private = &w;
	/* Told at the refusal: the disk may resume before the wait ends. */
	refused = __vaio_submit_below(f, bio);
	wait_for_completion_io(&w.done);
	if (refused)
		return -EAGAIN;
	return blk_status_to_errno(w.status);
}
EXPORT_SYMBOL_GPL(vaio_submit_below_wait);

/* For filters that trace their place in the chain (dm-vaio-test). */
unsigned int vaio_bio_position(struct bio *bio)
{
	struct vaio_io *io = vaio_io(bio);

	return (io->in_end ? io->end_hops : io->hops) - 1;
}
EXPORT_SYMBOL_GPL(vaio_bio_position);

void vaio_bio_replace_data(struct bio *bio, struct vaio_data_save *save,
			   struct bio_vec *bvec, unsigned short nr_vecs)
{
	save->bi_io_vec = bio->bi_io_vec;
	save->bi_iter = bio->bi_iter;
	save->bi_vcnt = bio->bi_vcnt;

	bio->bi_io_vec = bvec;
	bio->bi_vcnt = nr_vecs;
	bio->bi_iter.bi_idx = 0;
	bio->bi_iter.bi_bvec_done = 0;
	bio->bi_iter.bi_size = save->bi_iter.bi_size;
}
EXPORT_SYMBOL_GPL(vaio_bio_replace_data);

void vaio_bio_restore_data(struct bio *bio, struct vaio_data_save *save)
{
	sector_t sector = bio->bi_iter.bi_sector;

	bio->bi_io_vec = save->bi_io_vec;
	bio->bi_vcnt = save->bi_vcnt;
	bio->bi_iter = save->bi_iter;
	bio->bi_iter.bi_sector = sector;
}
EXPORT_SYMBOL_GPL(vaio_bio_restore_data);

struct bio *vaio_bio_clone(struct bio *bio, struct block_device *bdev,
			   gfp_t gfp)
{
	return bio_alloc_clone(bdev, bio, gfp, &vaio_bioset);
}
EXPORT_SYMBOL_GPL(vaio_bio_clone);

/*
 *--------------------------------------------------------------
 * Filter failure
 *--------------------------------------------------------------
 */

/* A filter failed: wake dmsetup wait, tell netlink listeners. */
static void vaio_event_work(struct work_struct *work)
{
	struct vaio_c *vc = container_of(work, struct vaio_c, event_work);
	unsigned int i;

	dm_table_event(vc->ti->table);
	for (i = 0; i < vc->nr_filters; i++)
		vaio_nl_filter_state(vc->filters[i]);
}

void vaio_filter_error(struct vaio_filter *f, const char *reason)
{
	/* Bypassed, a filter that transforms data would write plaintext. */
	int to = f->fail_mode == VAIO_FAIL_CLOSED || READ_ONCE(f->no_bypass) ||
		 f->transforms_data ? VAIO_FILTER_FAILED : VAIO_FILTER_BYPASSED;
	struct vaio_c *vc = f->vc;
	unsigned long flags;

	spin_lock_irqsave(&vc->lock, flags);
	/* Counted in any state: a reactivation running now must see it. */
	f->failures++;
	if (f->state != VAIO_FILTER_ACTIVE) {
		WRITE_ONCE(f->fail_reason, reason);
		spin_unlock_irqrestore(&vc->lock, flags);
		return;
	}
	WRITE_ONCE(f->fail_reason, reason);
	WRITE_ONCE(f->state, to);
	if (to == VAIO_FILTER_FAILED)
		WRITE_ONCE(vc->failed_closed, true);
	/*
	 * Under the lock: vaio_free() stops this before @vc goes away. A
	 * failure reported while the ctr still builds the chain waits for the
	 * first resume: the work would walk a half-built chain, and the event
	 * would go to a table no one waits on yet.
	 */
	if (!vc->built)
		vc->event_held = true;
	else if (!vc->dying)
		queue_work(vc->wq, &vc->event_work);
	spin_unlock_irqrestore(&vc->lock, flags);

	DMERR_LIMIT("%s: filter %s failed: %s; %s", vc->id, f->type->name,
		    reason,
		    to == VAIO_FILTER_BYPASSED ? "bypassing it (fail_open)" :
		    f->fail_mode == VAIO_FAIL_CLOSED ?
		    "failing the disk's I/O (fail_closed)" :
		    f->transforms_data ?
		    "failing the disk's I/O (it transforms data)" :
		    "failing the disk's I/O (it holds data the disk below lacks)");
}
EXPORT_SYMBOL_GPL(vaio_filter_error);

static struct vaio_filter *lookup_filter(struct vaio_c *vc, const char *name);

/* Longer than any declared key, shorter than a key in hex or base64. */
#define VAIO_LOGGABLE_WORD_MAX	24

/*
 * Whether the @len characters at @w, a table word the target refused, may
 * go to the log: a short name, as a key or a type is, never what may be a
 * key in hex or base64 (32 bytes: 44 characters).
 */
static bool loggable_word(const char *w, size_t len)
{
	size_t i;

	if (!len || len > VAIO_LOGGABLE_WORD_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(w[i]) && w[i] != '_' && w[i] != '-')
			return false;
	return true;
}

/*
 * The log line of a table word @type refused (NULL: the words together):
 * the word as given only when its key is declared and not secret, else
 * its key alone, or nothing of it. A mistyped crypt key (a bare word, or
 * under a misspelt name) must not reach the log.
 */
static void log_bad_word(const struct vaio_filter_type *type, const char *w,
			 const char *error)
{
	const char *eq = w ? strchr(w, '=') : NULL;
	const struct vaio_param *p;

	if (!w) {
		DMERR("filter %s: %s", type->name, error);
		return;
	}
	for (p = eq ? type->params : NULL; p && p->name; p++)
		if (strlen(p->name) == eq - w && !strncmp(p->name, w, eq - w))
			break;
	if (p && p->name && !p->secret)
		DMERR("filter %s: '%s': %s", type->name, w, error);
	else if (eq && loggable_word(w, eq - w))
		DMERR("filter %s: '%.*s=...': %s", type->name, (int)(eq - w),
		      w, error);
	else
		DMERR("filter %s: a word not shown: %s", type->name, error);
}

/*
 * Makes a failed or bypassed filter active again, if its type has
 * ->reactivate() and that makes it correct again (a bypassed filter
 * missed I/O). A failure the filter reports meanwhile wins: the filter
 * stays as it is. Called with the disk's lock held (vaio_disk_lock()).
 */
static int reactivate_filter(struct vaio_c *vc, struct vaio_filter *f)
{
	unsigned int i, failures;
	bool closed = false;
	int r;

	lockdep_assert_held(&vc->disk->lock);
	if (READ_ONCE(f->state) == VAIO_FILTER_ACTIVE)
		return 0;
	if (!f->type->ops.reactivate) {
		DMERR("%s: filter %s cannot be reactivated: reload the table",
		      vc->id, f->type->name);
		return -EOPNOTSUPP;
	}
	/*
	 * Bios that skipped a bypassed filter may still be in flight: one
	 * landing after ->reactivate() could leave it stale (a cache that
	 * read the old data meanwhile). A suspended device has none, and
	 * its resume waits for the disk's lock.
	 */
	if (READ_ONCE(f->state) == VAIO_FILTER_BYPASSED &&
	    (f->type->ops.map || f->type->ops.end_io) && !dm_suspended(vc->ti)) {
		DMERR("%s: filter %s was bypassed: reactivate it with the device suspended",
		      vc->id, f->type->name);
		return -EAGAIN;
	}
	spin_lock_irq(&vc->lock);
	failures = f->failures;
	spin_unlock_irq(&vc->lock);
	r = f->type->ops.reactivate(f);
	if (r) {
		DMERR("%s: filter %s cannot be reactivated (%d)",
		      vc->id, f->type->name, r);
		return r;
	}
	spin_lock_irq(&vc->lock);
	if (f->failures != failures) {
		spin_unlock_irq(&vc->lock);
		DMERR("%s: filter %s failed again while it was reactivated: %s",
		      vc->id, f->type->name, READ_ONCE(f->fail_reason));
		return -EIO;
	}
	WRITE_ONCE(f->fail_reason, NULL);
	WRITE_ONCE(f->state, VAIO_FILTER_ACTIVE);
	for (i = 0; i < vc->nr_filters; i++)
		closed |= vc->filters[i]->state == VAIO_FILTER_FAILED;
	WRITE_ONCE(vc->failed_closed, closed);
	spin_unlock_irq(&vc->lock);
	DMINFO("%s: filter %s active again", vc->id, f->type->name);
	dm_table_event(vc->ti->table);
	vaio_nl_filter_state(f);
	return 0;
}

/* Reactivate the filter of this disk called @name (type or class). */
int vaio_reactivate(struct vaio_c *vc, const char *name)
{
	struct vaio_filter *f = lookup_filter(vc, name);

	return f ? reactivate_filter(vc, f) : -ENOENT;
}

/* The filter of this disk called @name (type or class), or NULL. */
struct vaio_filter *vaio_filter_lookup(struct vaio_c *vc, const char *name)
{
	return lookup_filter(vc, name);
}

/*
 *--------------------------------------------------------------
 * Control events
 *--------------------------------------------------------------
 */

static bool event_wants_active(enum vaio_event_type type)
{
	return type == VAIO_EV_GROW || type == VAIO_EV_SNAPSHOT;
}

/*
 * Asks @fs[0..@n) in order whether @ev may happen. On a veto returns its
 * error, with the vetoing filter in *who and its reason in *reason.
 */
static int event_check(struct vaio_filter **fs, unsigned int n,
		       struct vaio_event *ev, struct vaio_filter **who,
		       const char **reason)
{
	unsigned int i;
	int r;

	ev->pos = 0;
	for (i = 0; i < n; i++) {
		struct vaio_filter *f = fs[i];

		if (event_wants_active(ev->type) &&
		    READ_ONCE(f->state) != VAIO_FILTER_ACTIVE)
			continue;
		if (f->type->ops.event_check) {
			*reason = "no reason given";
			r = f->type->ops.event_check(f, ev, reason);
			if (r) {
				*who = f;
				return r;
			}
		}
		ev->pos++;
	}
	return 0;
}

static void event_deliver(struct vaio_filter **fs, unsigned int n,
			  struct vaio_event *ev)
{
	unsigned int i;

	ev->pos = 0;
	for (i = 0; i < n; i++) {
		struct vaio_filter *f = fs[i];

		if (event_wants_active(ev->type) &&
		    READ_ONCE(f->state) != VAIO_FILTER_ACTIVE)
			continue;
		if (f->type->ops.event)
			f->type->ops.event(f, ev);
		ev->pos++;
	}
}

static struct vaio_filter *find_type(struct vaio_c *vc,
				     const struct vaio_filter_type *type)
{
	unsigned int i;

	for (i = 0; vc && i < vc->nr_filters; i++)
		if (vc->filters[i]->type == type)
			return vc->filters[i];
	return NULL;
}

static bool find_type_name(struct vaio_c *vc, const char *name)
{
	unsigned int i;

	for (i = 0; i < vc->nr_filters; i++)
		if (!strcmp(vc->filters[i]->type->name, name))
			return true;
	return false;
}

/*
 * Does a filter of type @t carry over from the live table @live to the new
 * one @vc, neither detached nor attached? Only if both have the type and
 * the live instance was not bypassed, over the same disk below: one that
 * was bypassed missed I/O, so it leaves, and the new instance joins a disk
 * that ran without it. (One that failed closed let nothing past it.)
 * Asked at load and again at resume:
 * a filter bypassed in between is detached and attached unchecked.
 */
static bool carried_over(const struct vaio_filter_type *t, struct vaio_c *live,
			 struct vaio_c *vc)
{
	struct vaio_filter *lf = find_type(live, t);

	/* On another disk below, what it keeps is another disk's. */
	return lf && find_type(vc, t) &&
	       live->data_dev->bdev->bd_dev == vc->data_dev->bdev->bd_dev &&
	       READ_ONCE(lf->state) != VAIO_FILTER_BYPASSED;
}

/* Filters of @a (@live or @vc) that do not carry over, in class order. */
static unsigned int filters_not_in(struct vaio_c *a, struct vaio_c *live,
				   struct vaio_c *vc, struct vaio_filter **out)
{
	unsigned int i, n = 0;

	for (i = 0; a && i < a->nr_filters; i++)
		if (!carried_over(a->filters[i]->type, live, vc))
			out[n++] = a->filters[i];
	return n;
}

/*
 * With no table live after one whose filters transform data went (a resume
 * that failed after the swap: vaio_preresume()), the data below is in
 * their form still, and no filter instance is left to be asked about its
 * detach: a table without each of them is refused. One with them is asked
 * about an ATTACH to a running disk (encryption refuses it), so the way
 * back is to remove the device and create it again. Under disk->lock.
 */
static int check_orphans(struct vaio_c *vc, struct vaio_c *live)
{
	struct vaio_disk *disk = vc->disk;
	unsigned int i;

	/* On another disk below, the data is another disk's. */
	if (live || vc->data_dev->bdev->bd_dev != disk->orphans.below)
		return 0;
	for (i = 0; i < disk->orphans.n; i++) {
		if (find_type_name(vc, disk->orphans.types[i]))
			continue;
		DMERR("%s: the data below is in %s's form, no table without it may follow",
		      vc->id, disk->orphans.types[i]);
		vc->ti->error = "The data below is in the form of a filter this table lacks";
		return -EINVAL;
	}
	return 0;
}

/*
 * At ctr: may this table replace the disk's live one? Filters that leave
 * are asked about DETACH, filters that join about ATTACH, all of the new
 * table's about GROW if it is longer. Called with disk->lock held.
 */
static int check_transition(struct vaio_c *vc, struct vaio_c *live)
{
	struct dm_target *ti = vc->ti;
	struct vaio_filter *fs[VAIO_NR_CLASSES], *who;
	struct vaio_event ev = { };
	const char *reason;
	unsigned int n;
	int r;

	kfree(vc->veto_msg);
	vc->veto_msg = NULL;
	if (live && ti->len < live->ti->len && vc->nr_filters) {
		ti->error = "Cannot shrink a disk that has filters";
		return -EINVAL;
	}
	r = check_orphans(vc, live);
	if (r)
		return r;

	ev.type = VAIO_EV_DETACH;
	n = filters_not_in(live, live, vc, fs);
	r = event_check(fs, n, &ev, &who, &reason);
	if (r) {
		ti->error = "A filter vetoed its detach";
		goto veto;
	}

	ev.type = VAIO_EV_ATTACH;
	ev.disk_new = !live && vc->first_table;
	n = filters_not_in(vc, live, vc, fs);
	r = event_check(fs, n, &ev, &who, &reason);
	if (r) {
		ti->error = "A filter vetoed its attach";
		goto veto;
	}

	if (live && ti->len > live->ti->len) {
		ev.type = VAIO_EV_GROW;
		ev.old_len = live->ti->len;
		ev.new_len = ti->len;
		r = event_check(vc->filters, vc->nr_filters, &ev, &who, &reason);
		if (r) {
			ti->error = "A filter vetoed the grow";
			goto veto;
		}
	}
	return 0;

veto:
	DMERR("%s: %s vetoed %s: %s", vc->id, who->type->name,
	      vaio_event_name(ev.type), reason);
	/* For vaioctl: which filter and why, which ti->error cannot hold. */
	vc->veto_msg = kasprintf(GFP_KERNEL, "%s: %s: %s", ti->error,
				 who->type->name, reason);
	return r;
}

/* At resume of a new table: tell the filters what changed. */
static void deliver_transition(struct vaio_c *vc, struct vaio_c *live)
{
	struct vaio_filter *fs[VAIO_NR_CLASSES];
	struct vaio_event ev = { };
	unsigned int n;

	ev.type = VAIO_EV_DETACH;
	n = filters_not_in(live, live, vc, fs);
	event_deliver(fs, n, &ev);

	ev.type = VAIO_EV_ATTACH;
	ev.disk_new = !live && vc->first_table;
	n = filters_not_in(vc, live, vc, fs);
	event_deliver(fs, n, &ev);

	if (live && vc->ti->len > live->ti->len) {
		ev.type = VAIO_EV_GROW;
		ev.old_len = live->ti->len;
		ev.new_len = vc->ti->len;
		event_deliver(vc->filters, vc->nr_filters, &ev);
	}
}

static void deliver_simple(struct vaio_c *vc, enum vaio_event_type type)
{
	struct vaio_event ev = { .type = type };

	event_deliver(vc->filters, vc->nr_filters, &ev);
}

/*
 * Control event snapshot @tag, to every active filter in class order once
 * all accepted it. Returns 0 with *delivered, or the veto's error with the
 * filter in *who and its reason in *reason (*who NULL: the tag is bad).
 * Called with the disk's lock held (vaio_disk_lock()).
 */
int vaio_snapshot(struct vaio_c *vc, const char *tag, unsigned int *delivered,
		  struct vaio_filter **who, const char **reason)
{
	struct vaio_event ev = { .type = VAIO_EV_SNAPSHOT, .tag = tag };
	int r;

	*who = NULL;
	*delivered = 0;
	if (!vaio_valid_name(tag)) {
		*reason = "invalid snapshot tag";
		return -EINVAL;
	}

	lockdep_assert_held(&vc->disk->lock);
	r = event_check(vc->filters, vc->nr_filters, &ev, who, reason);
	if (r) {
		DMERR("%s: %s vetoed snapshot %s: %s", vc->id,
		      (*who)->type->name, tag, *reason);
	} else {
		event_deliver(vc->filters, vc->nr_filters, &ev);
		*delivered = ev.pos;
	}
	vaio_nl_event(vc, VAIO_EV_SNAPSHOT, tag, r, *delivered, *who,
		      r ? *reason : NULL);
	return r;
}

static int snapshot_message(struct vaio_c *vc, const char *tag, char *result,
			    unsigned int maxlen)
{
	struct vaio_filter *who;
	const char *reason;
	unsigned int sz = 0, n, noio;
	int r;

	noio = vaio_disk_lock(vc->disk);
	r = vaio_snapshot(vc, tag, &n, &who, &reason);
	vaio_disk_unlock(vc->disk, noio);
	if (r) {
		if (!who)
			DMERR("%s: %s", vc->id, reason);
		return r;
	}
	DMEMIT("snapshot %s delivered to %u filters", tag, n);
	return 1;
}

/*
 *--------------------------------------------------------------
 * Constructor
 *--------------------------------------------------------------
 */

static void free_filter(struct vaio_filter *f)
{
	unsigned int i;

	/* dm drained the table's bios: none waits for process context. */
	for (i = 0; i < 2; i++) {
		if (!f->proc_wq[i])
			continue;
		WARN_ON_ONCE(!bio_list_empty(&f->proc_bios[i]));
		destroy_workqueue(f->proc_wq[i]);
	}

	if (f->argv) {
		for (i = 0; i < f->argc; i++)
			kfree(f->argv[i]);
		kfree(f->argv);
	}
	vaio_filter_type_put(f->type);
	kfree(f);
}

/* filter <type> <fail_open|fail_closed> <#args> [<args>...] */
static int parse_filter(struct dm_arg_set *as, struct vaio_c *vc)
{
	struct dm_target *ti = vc->ti;
	const struct vaio_filter_type *type;
	const char *name, *mode, *perr;
	struct vaio_filter *f;
	unsigned int argc, i, bad;
	char **argv;
	char *error = NULL;
	int r;

	if (as->argc < 3) {
		ti->error = "filter needs <type> <fail_open|fail_closed> <#args>";
		return -EINVAL;
	}
	name = dm_shift_arg(as);
	mode = dm_shift_arg(as);
	if (kstrtouint(dm_shift_arg(as), 10, &argc)) {
		ti->error = "Invalid number of filter arguments";
		return -EINVAL;
	}
	if (argc > as->argc) {
		ti->error = "Not enough filter arguments";
		return -EINVAL;
	}
	argv = as->argv;
	as->argv += argc;
	as->argc -= argc;

	if (strcmp(mode, "fail_open") && strcmp(mode, "fail_closed")) {
		ti->error = "Invalid filter fail mode";
		return -EINVAL;
	}

	type = vaio_valid_name(name) ? vaio_filter_type_get(name) : NULL;
	if (!type) {
		if (loggable_word(name, strlen(name)))
			DMERR("unknown filter type '%s'", name);
		else
			DMERR("unknown filter type (not shown)");
		ti->error = "Unknown filter type";
		return -EINVAL;
	}
	if (vc->nr_filters == VAIO_NR_CLASSES) {
		vaio_filter_type_put(type);
		ti->error = "Too many filters";
		return -EINVAL;
	}
	for (i = 0; i < vc->nr_filters; i++) {
		const char *why = vaio_types_excluded(vc->filters[i]->type, type);

		if (vc->filters[i]->type->class == type->class) {
			DMERR("filters %s and %s are both of class %s",
			      vc->filters[i]->type->name, name,
			      vaio_class_name(type->class));
			why = "Two filters of one class";
		} else if (why) {
			DMERR("filters %s and %s cannot share a disk: %s",
			      vc->filters[i]->type->name, name, why);
		}
		if (why) {
			vaio_filter_type_put(type);
			ti->error = (char *)why;	/* a static string */
			return -EINVAL;
		}
	}

	r = vaio_params_check(type, argc, argv, &perr, &bad);
	if (r) {
		log_bad_word(type, bad < argc ? argv[bad] : NULL, perr);
		vaio_filter_type_put(type);
		ti->error = (char *)perr;	/* a static string */
		return r;
	}
	r = vaio_fail_mode_check(type, strcmp(mode, "fail_open") ?
				 VAIO_FAIL_CLOSED : VAIO_FAIL_OPEN,
				 argc, argv, &perr);
	if (r) {
		DMERR("filter %s %s: %s", name, mode, perr);
		vaio_filter_type_put(type);
		ti->error = (char *)perr;	/* a static string */
		return r;
	}

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		vaio_filter_type_put(type);
		ti->error = "Cannot allocate filter";
		return -ENOMEM;
	}
	f->type = type;
	f->ti = ti;
	f->vc = vc;
	f->data_dev = vc->data_dev;
	f->fail_mode = strcmp(mode, "fail_open") ? VAIO_FAIL_CLOSED :
						   VAIO_FAIL_OPEN;
	f->state = VAIO_FILTER_ACTIVE;
	f->notified_state = VAIO_FILTER_ACTIVE;
	f->argv = kcalloc(argc ?: 1, sizeof(char *), GFP_KERNEL);
	if (!f->argv)
		goto nomem;
	for (i = 0; i < argc; i++) {
		f->argv[i] = kstrdup(argv[i], GFP_KERNEL);
		if (!f->argv[i])
			goto nomem;
		f->argc++;
	}

	if (proc_init(f, dm_device_name(dm_table_get_md(ti->table)))) {
		free_filter(f);
		ti->error = "Cannot allocate filter workqueues";
		return -ENOMEM;
	}

	if (type->ops.ctr) {
		r = type->ops.ctr(f, argc, argv, &error);
		if (r) {
			DMERR("filter %s: %s", name, error ?: "constructor failed");
			ti->error = error ?: "Filter constructor failed";
			free_filter(f);
			return r;
		}
	}

	vc->filters[vc->nr_filters++] = f;
	return 0;

nomem:
	free_filter(f);
	ti->error = "Cannot allocate filter arguments";
	return -ENOMEM;
}

/* Find or make the disk, once: before the first filter is built. */
static int resolve_disk(struct vaio_c *vc)
{
	struct vaio_disk *disk;
	int r;

	if (vc->disk)
		return 0;
	disk = vaio_disk_get(vc, vc->id, vc->explicit_id);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	vc->disk = disk;
	strscpy(vc->id, disk->id, sizeof(vc->id));
	/*
	 * Not another disk's below, nor a filter's device (vaio-claim.c);
	 * before any filter's ctr, which may write its own devices.
	 */
	r = vaio_claim_device(vc->id, "disk below", vc->data_dev->bdev->bd_dev,
			      false, &vc->ti->error);
	if (r)
		return r;
	vc->data_claimed = true;
	return 0;
}

static int parse_features(struct dm_arg_set *as, struct vaio_c *vc)
{
	struct dm_target *ti = vc->ti;
	struct dm_arg_set fs;
	unsigned int argc;
	const char *arg;
	int r;

	if (!as->argc)
		return 0;
	if (kstrtouint(dm_shift_arg(as), 10, &argc)) {
		ti->error = "Invalid number of feature arguments";
		return -EINVAL;
	}
	if (argc > as->argc) {
		ti->error = "Not enough feature arguments";
		return -EINVAL;
	}
	fs.argc = argc;
	fs.argv = as->argv;
	as->argc -= argc;
	as->argv += argc;

	while (fs.argc) {
		arg = dm_shift_arg(&fs);

		if (!strcmp(arg, "disk_id")) {
			if (!fs.argc) {
				ti->error = "disk_id needs a name";
				return -EINVAL;
			}
			if (vc->explicit_id) {
				ti->error = "disk_id given twice";
				return -EINVAL;
			}
			/* Filters may use vaio_disk_id() in their ctr. */
			if (vc->disk) {
				ti->error = "disk_id must come before the filters";
				return -EINVAL;
			}
			arg = dm_shift_arg(&fs);
			if (!vaio_valid_name(arg)) {
				ti->error = "Invalid disk_id";
				return -EINVAL;
			}
			strscpy(vc->id, arg, sizeof(vc->id));
			vc->explicit_id = true;
		} else if (!strcmp(arg, "filter")) {
			r = resolve_disk(vc);
			if (r)
				return r;
			r = parse_filter(&fs, vc);
			if (r)
				return r;
		} else {
			/* Not the word: a crypt key in a wrong place. */
			if (loggable_word(arg, strlen(arg)))
				DMERR("unrecognised feature argument '%s'", arg);
			else
				DMERR("unrecognised feature argument (not shown)");
			ti->error = "Unrecognised feature argument";
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Puts @fs[0..@n) in class order, numbers them and lays out their per-bio
 * areas; returns the size of those areas (at most VAIO_NR_CLASSES times
 * VAIO_PER_BIO_DATA_MAX: registration bounds each type; the ctr bounds
 * the sum).
 */
unsigned int vaio_chain_layout(struct vaio_filter **fs, unsigned int n)
{
	unsigned int i, j, off = 0;

	/* At most VAIO_NR_CLASSES elements: a plain insertion sort. */
	for (i = 1; i < n; i++)
		for (j = i; j && fs[j - 1]->type->class > fs[j]->type->class; j--)
			swap(fs[j - 1], fs[j]);

	for (i = 0; i < n; i++) {
		fs[i]->index = i;
		fs[i]->below_filters = n - 1 - i;
		fs[i]->data_offset = off;
		off += vaio_per_bio_size(fs[i]->type);
	}
	return off;
}

static void vaio_free(struct vaio_c *vc)
{
	unsigned int i;

	/*
	 * A filter may report a failure until its dtr returns, from the dtr
	 * itself or from a teardown it waits for (replication's). From here
	 * on such a report changes the filter's state and is logged, but
	 * queues no event work: that would run on @vc once it is freed. The
	 * table is going away; nobody waits for its events, and a state
	 * notification about it would be about a disk it no longer serves.
	 */
	spin_lock_irq(&vc->lock);
	vc->dying = true;
	spin_unlock_irq(&vc->lock);
	/* The filters' own I/O (vaio_submit_below()) passes lower filters. */
	below_close(vc);
	if (vc->wq)
		flush_work(&vc->work);
	cancel_work_sync(&vc->event_work);
	/* dm drained the table's bios before its dtr: none may be left. */
	WARN_ON_ONCE(!bio_list_empty(&vc->deferred));

	for (i = vc->nr_filters; i-- > 0;) {
		struct vaio_filter *f = vc->filters[i];

		if (f->type->ops.dtr)
			f->type->ops.dtr(f);
		free_filter(f);
	}
	if (vc->data_claimed)
		vaio_release_device(vc->id, vc->data_dev->bdev->bd_dev);
	if (vc->disk)
		vaio_disk_put(vc);
	if (vc->data_dev)
		dm_put_device(vc->ti, vc->data_dev);
	/* Its work is done: vaio_work() flushed (no bio left), no event work. */
	if (vc->wq)
		destroy_workqueue(vc->wq);
	free_percpu(vc->stats);
	kfree(vc->veto_msg);
	kfree(vc);
}

/* The device's name, or its major:minor if the name cannot be a disk_id. */
static void default_disk_id(struct mapped_device *md, char *id)
{
	char *name = kmalloc(DM_NAME_LEN + DM_UUID_LEN, GFP_KERNEL);

	if (name && !dm_copy_name_and_uuid(md, name, name + DM_NAME_LEN) &&
	    vaio_valid_name(name))
		strscpy(id, name, VAIO_NAME_MAX);
	else
		strscpy(id, dm_device_name(md), VAIO_NAME_MAX);
	kfree(name);
}

/*
 * A running disk keeps its logical block size: the VM sized its I/O by it.
 * A table whose disk below or filters would make it larger (a cache device
 * of larger blocks) may only be the device's first.
 */
static int check_block_size(struct vaio_c *vc, struct mapped_device *md)
{
	struct gendisk *gd = dm_disk(md);
	struct queue_limits lim;
	unsigned int i;

	if (vc->first_table)
		return 0;
	lim = gd->queue->limits;
	vaio_stack_limits(&lim, vc->data_dev->bdev);
	for (i = 0; i < vc->nr_filters; i++)
		if (vc->filters[i]->type->ops.io_hints)
			vc->filters[i]->type->ops.io_hints(vc->filters[i], &lim);
	if (lim.logical_block_size <= queue_logical_block_size(gd->queue))
		return 0;
	DMERR("%s: the new table needs blocks of %u bytes, the running disk has %u",
	      vc->id, lim.logical_block_size,
	      queue_logical_block_size(gd->queue));
	vc->ti->error = "the new table has larger blocks than the running disk";
	return -EINVAL;
}

/*
 * Writes the device took since it was made (started ones: dm counts a bio
 * when it begins), whatever table took them.
 */
static unsigned long dev_writes(struct mapped_device *md)
{
	struct block_device *part0 = dm_disk(md)->part0;

	return part_stat_read(part0, ios[STAT_WRITE]) +
	       part_stat_read(part0, ios[STAT_DISCARD]);
}

static int vaio_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct vaio_disk *disk;
	struct vaio_c *vc;
	unsigned int noio, i;
	int r;

	if (argc < 1) {
		ti->error = "Missing data device argument";
		return -EINVAL;
	}

	vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	if (!vc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	vc->ti = ti;
	spin_lock_init(&vc->lock);
	bio_list_init(&vc->deferred);
	init_waitqueue_head(&vc->below_wait);
	vc->below_closed = true;	/* until the resume */
	INIT_WORK(&vc->work, vaio_work);
	INIT_WORK(&vc->event_work, vaio_event_work);

	/*
	 * The table's own worker, with its own rescuer: a vaio device stacked
	 * on another must not wait for work queued behind its own. Before the
	 * filters: their ctr may report a failure.
	 */
	vc->wq = alloc_workqueue("kvaiod/%s", WQ_MEM_RECLAIM, 0,
				 dm_device_name(md));
	if (!vc->wq) {
		ti->error = "Cannot allocate workqueue";
		r = -ENOMEM;
		goto bad;
	}

	vc->stats = alloc_percpu(struct vaio_stats);
	if (!vc->stats) {
		ti->error = "Cannot allocate statistics";
		r = -ENOMEM;
		goto bad;
	}

	r = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table),
			  &vc->data_dev);
	if (r) {
		ti->error = "Data device lookup failed";
		goto bad;
	}

	/*
	 * No table has been live on a device of capacity 0 (dm sets it when it
	 * binds one). Any other table's resume would replace or destroy this
	 * one first, so it still holds when this one resumes; unless a table
	 * loaded before this one is resumed while this ctr runs (two dmsetup
	 * commands on one device at once), which dm does not order: then
	 * vaio_preresume() sees the disk's live_seq or the device's writes
	 * (counted before the capacity is read) move, and asks again.
	 */
	vc->writes_seen = dev_writes(md);
	smp_rmb();	/* the writes counted before the capacity is read */
	vc->first_table = !get_capacity(dm_disk(md));
	vc->was_first = vc->first_table;
	default_disk_id(md, vc->id);
	r = parse_features(&as, vc);
	if (r)
		goto bad;
	if (as.argc) {
		ti->error = "Too many arguments";
		r = -EINVAL;
		goto bad;
	}
	vc->filter_data_size = vaio_chain_layout(vc->filters, vc->nr_filters);
	if (vc->filter_data_size > VAIO_PER_BIO_DATA_MAX) {
		DMERR("%s: the filters' per-bio data takes %u bytes, over %u",
		      vc->id, vc->filter_data_size, VAIO_PER_BIO_DATA_MAX);
		ti->error = VAIO_PER_BIO_TOO_LARGE;
		r = -EINVAL;
		goto bad;
	}
	ti->per_io_data_size = vc->filter_data_size + sizeof(struct vaio_io);

	r = resolve_disk(vc);
	if (r)
		goto bad;
	disk = vc->disk;

	noio = vaio_disk_lock(disk);
	r = check_transition(vc, disk->live);
	vc->checked_seq = disk->live_seq;
	vaio_disk_unlock(disk, noio);
	if (r)
		goto bad;

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	/* What the filters withdrew or need (dm-vaio-filter.h). */
	for (i = 0; i < vc->nr_filters; i++) {
		struct vaio_filter *f = vc->filters[i];

		if (f->no_discard)
			ti->num_discard_bios = 0;
		if (f->no_write_zeroes)
			ti->num_write_zeroes_bios = 0;
		if (f->no_secure_erase)
			ti->num_secure_erase_bios = 0;
		if (f->needs_flush)
			ti->flush_supported = true;
		if (f->needs_stable_pages)
			ti->needs_stable_writes = true;
		if (f->max_io_sectors &&
		    (!ti->max_io_len || f->max_io_sectors < ti->max_io_len)) {
			r = dm_set_target_max_io_len(ti, f->max_io_sectors);
			if (r)
				goto bad;
		}
	}
	/*
	 * What each filter may send below (vaio_submit_below()): no bio larger
	 * than a filter below takes, none of the operations one withdrew.
	 */
	for (i = vc->nr_filters; i-- > 1;) {
		struct vaio_filter *lower = vc->filters[i];
		unsigned int m = lower->below_max_sectors;
		unsigned long ops = lower->below_no_ops;

		if (lower->max_io_sectors && (!m || lower->max_io_sectors < m))
			m = lower->max_io_sectors;
		if (lower->no_discard)
			ops |= op_bit(REQ_OP_DISCARD);
		if (lower->no_write_zeroes)
			ops |= op_bit(REQ_OP_WRITE_ZEROES);
		if (lower->no_secure_erase)
			ops |= op_bit(REQ_OP_SECURE_ERASE);
		vc->filters[i - 1]->below_max_sectors = m;
		vc->filters[i - 1]->below_no_ops = ops;
	}
	/* Each filter at its place in this chain: may it work there? */
	for (i = 0; i < vc->nr_filters; i++) {
		struct vaio_filter *f = vc->filters[i];
		char *error = NULL;

		if (!f->type->ops.table_check)
			continue;
		r = f->type->ops.table_check(f, &error);
		if (r) {
			ti->error = error ?: "A filter refused its place in the table";
			goto bad;
		}
	}
	r = check_block_size(vc, md);
	if (r)
		goto bad;
	ti->accounts_remapped_io = true;
	ti->private = vc;
	spin_lock_irq(&vc->lock);
	vc->built = true;
	spin_unlock_irq(&vc->lock);
	return 0;

bad:
	vaio_nl_table_error(md, vc->veto_msg ?: ti->error);
	vaio_free(vc);
	return r;
}

/*
 * The live table @vc goes, and no table of the disk is live: the types of
 * its filters that transform data, unless the device is gone
 * (check_orphans()). Under disk->lock.
 */
static void keep_orphans(struct vaio_disk *disk, struct vaio_c *vc, bool gone)
{
	struct vaio_orphans *o = &disk->orphans;
	unsigned int i;

	o->n = 0;
	o->below = vc->data_dev->bdev->bd_dev;
	for (i = 0; !gone && i < vc->nr_filters; i++)
		if (vc->filters[i]->transforms_data)
			strscpy(o->types[o->n++], vc->filters[i]->type->name,
				VAIO_NAME_MAX);
}

static void vaio_dtr(struct dm_target *ti)
{
	struct vaio_c *vc = ti->private;
	struct vaio_disk *disk = vc->disk;
	unsigned int noio;

	/* Removal suspended the device: the filters' detach runs noio. */
	noio = vaio_disk_lock(disk);
	if (disk->live == vc) {
		struct gendisk *gd = dm_disk(dm_table_get_md(ti->table));
		struct vaio_event ev = { .type = VAIO_EV_DETACH };

		/*
		 * The live table goes: either the device is removed (dm marks
		 * its disk dead and suspends it before it destroys the table),
		 * or another target's table took this one's place and already
		 * runs (the device resumed), or a resume after the swap
		 * failed. Only the first is the disk's end; otherwise the disk
		 * goes on without these filters. GD_DEAD alone is not enough:
		 * a removal started just after a swap's resume sets it before
		 * the swapped-out table is destroyed; it suspends the device
		 * only once the swap has let go of its lock (a narrower window
		 * that remains: the removal's suspend between the swap's
		 * resume and the old table's end).
		 */
		ev.disk_gone = test_bit(GD_DEAD, &gd->state) && dm_suspended(ti);
		if (!ev.disk_gone)
			DMWARN("%s: live table replaced, the device stays: %u filters detached",
			       vc->id, vc->nr_filters);
		event_deliver(vc->filters, vc->nr_filters, &ev);
		disk->live = NULL;
		disk->lost_seq = disk->live_seq++;
		disk->lost_writes = vc->suspend_writes;
		keep_orphans(disk, vc, ev.disk_gone);
		vaio_nl_disk_del(vc);
	}
	vaio_disk_unlock(disk, noio);

	flush_work(&vc->work);
	vaio_free(vc);
}

/*
 *--------------------------------------------------------------
 * Suspend and resume
 *--------------------------------------------------------------
 */

/*
 * The events of suspend and resume run under the disk's lock, in its noio
 * scope (vaio_disk_lock()): from here until the resume, reclaim that
 * issues I/O could wait for this very device.
 */
static void vaio_presuspend(struct dm_target *ti)
{
	struct vaio_c *vc = ti->private;
	unsigned int noio;

	/* dm clears the flag before postsuspend: QUIESCE needs it. */
	vc->noflush = dm_noflush_suspending(ti);
	/* Filters release what they hold: dm waits for every bio. */
	noio = vaio_disk_lock(vc->disk);
	deliver_simple(vc, VAIO_EV_SUSPEND);
	vaio_disk_unlock(vc->disk, noio);
}

/* A suspend that failed after presuspend: the filters may hold bios again. */
static void vaio_presuspend_undo(struct dm_target *ti)
{
	struct vaio_c *vc = ti->private;
	unsigned int noio;

	noio = vaio_disk_lock(vc->disk);
	below_open(vc);
	deliver_simple(vc, VAIO_EV_RESUME);
	vaio_disk_unlock(vc->disk, noio);
}

/*
 * No bio in flight and none to come until the resume: the filters may
 * persist their state, and with ev.flush make the disk below whole (a
 * write-back cache writes back): the next table may be another target's,
 * which reads the disk below as it is.
 */
static void vaio_postsuspend(struct dm_target *ti)
{
	struct vaio_c *vc = ti->private;
	struct vaio_event ev = { .type = VAIO_EV_QUIESCE, .flush = true };
	unsigned int noio;

	/* The filters' own bios too: then none is in flight. */
	below_close(vc);
	flush_work(&vc->work);
	noio = vaio_disk_lock(vc->disk);
	/*
	 * A noflush suspend leaves the filters' state for the next table
	 * only if that is a vaio table of this disk (one is loaded besides
	 * this one). Otherwise it may be another target's, which must find
	 * the disk below whole; and if the loaded one goes before the
	 * resume, vaio_disk_put() asks for the flush then.
	 */
	if (vc->noflush)
		ev.flush = atomic_read(&vc->disk->nr_tables) == 1;
	vc->unflushed = !ev.flush;
	event_deliver(vc->filters, vc->nr_filters, &ev);
	/* Nothing is written until a resume: what the next table finds. */
	vc->suspend_writes = dev_writes(dm_table_get_md(ti->table));
	vaio_disk_unlock(vc->disk, noio);
}

/*
 * Must the table's transition be asked about again at its resume? It was
 * checked against the disk's live table at its load (check_transition()),
 * but dm does not order a load with another command of the device: a table
 * loaded before it may have been made live meanwhile, or have gone (its
 * resume failed), or a table of another target may have written the
 * device that was new at the load. Not when the live table went because
 * this very table's resume failed after the swap (another target of its
 * table refused its preresume): it was checked against that one, and
 * nothing ran since. Under disk->lock.
 */
static bool transition_changed(struct vaio_c *vc, unsigned long writes)
{
	struct vaio_disk *disk = vc->disk;

	if (vc->refused || (vc->first_table && writes != vc->writes_seen))
		return true;
	if (disk->live_seq == vc->checked_seq)
		return false;
	return disk->live || vc->checked_seq != disk->lost_seq ||
	       writes != disk->lost_writes;
}

/*
 * Asks the filters again if the disk changed since the load, and refuses
 * the resume if a filter (or the core) refuses the change now. dm leaves
 * the device suspended with this table, which is asked again at the next
 * resume; another table can be loaded meanwhile.
 */
static int vaio_preresume(struct dm_target *ti)
{
	struct vaio_c *vc = ti->private;
	struct vaio_disk *disk = vc->disk;
	struct mapped_device *md = dm_table_get_md(ti->table);
	unsigned int noio, lbs;
	int r = 0;

	noio = vaio_disk_lock(disk);
	if (disk->live != vc && transition_changed(vc, dev_writes(md))) {
		vc->first_table = false;
		r = check_transition(vc, disk->live);
		/*
		 * Its block size was not checked at the load (a new device
		 * takes any), and the device has run since: with the live
		 * table's blocks, or (another target's table) with the
		 * disk below's, which the VM sized its I/O by. The queue's
		 * are this table's now.
		 */
		lbs = disk->live ? disk->live_lbs :
		      bdev_logical_block_size(vc->data_dev->bdev);
		if (!r && vc->was_first &&
		    queue_logical_block_size(dm_disk(md)->queue) > lbs) {
			ti->error = "The table needs larger blocks than the disk ran with";
			r = -EINVAL;
		}
		/* Refused: asked again at the next resume. */
		vc->refused = r != 0;
		if (!r)
			vc->checked_seq = disk->live_seq;
	}
	vaio_disk_unlock(disk, noio);
	if (r) {
		char msg[256];

		DMERR("%s: resume refused: the disk changed since this table was loaded: %s",
		      vc->id, ti->error);
		/* Told from a refused load (libvaio: a device left suspended). */
		snprintf(msg, sizeof(msg), "resume refused: %s",
			 vc->veto_msg ?: ti->error);
		vaio_nl_table_error(md, msg);
	}
	return r;
}

static void vaio_resume(struct dm_target *ti)
{
	struct vaio_c *vc = ti->private;
	struct vaio_disk *disk = vc->disk;
	struct gendisk *gd = dm_disk(dm_table_get_md(ti->table));
	unsigned int noio;
	u8 ntf = 0;

	noio = vaio_disk_lock(disk);
	vc->unflushed = false;
	if (disk->live != vc) {
		ntf = disk->live ? VAIO_CMD_NTF_DISK_CHANGE : VAIO_CMD_NTF_DISK_NEW;
		deliver_transition(vc, disk->live);
		disk->live = vc;
		disk->live_seq++;
		disk->orphans.n = 0;
		disk->live_lbs = queue_logical_block_size(gd->queue);
	}
	below_open(vc);
	deliver_simple(vc, VAIO_EV_RESUME);
	/* A failure a filter reported from its ctr is told now. */
	spin_lock_irq(&vc->lock);
	if (vc->event_held) {
		vc->event_held = false;
		queue_work(vc->wq, &vc->event_work);
	}
	spin_unlock_irq(&vc->lock);
	/* For the notification when the device is gone (and its name). */
	vaio_dm_name(dm_table_get_md(ti->table), disk->dm_name);
	/* Filters' ->status() may allocate: noio, as all under the lock. */
	if (ntf)
		vaio_nl_disk(vc, ntf);
	vaio_disk_unlock(disk, noio);
}

/*
 *--------------------------------------------------------------
 * Status, messages, limits
 *--------------------------------------------------------------
 */

void vaio_sum_stats(struct vaio_c *vc, struct vaio_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct vaio_stats *s = per_cpu_ptr(vc->stats, cpu);

		sum->reads += READ_ONCE(s->reads);
		sum->writes += READ_ONCE(s->writes);
		sum->flushes += READ_ONCE(s->flushes);
		sum->discards += READ_ONCE(s->discards);
		sum->errors += READ_ONCE(s->errors);
		sum->read_sectors += READ_ONCE(s->read_sectors);
		sum->write_sectors += READ_ONCE(s->write_sectors);
	}
}

unsigned int vaio_count_words(const char *s)
{
	unsigned int n = 0;

	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		n++;
		while (*s && *s != ' ')
			s++;
	}
	return n;
}

/* "<#words> <words>" of @f's own status, emitted at @result + *szp. */
static void emit_filter_words(struct vaio_filter *f, char *result,
			      unsigned int maxlen, unsigned int *szp)
{
	unsigned int sz = *szp, len, plen;
	char prefix[16];

	/* DMEMIT leaves sz past maxlen once the buffer is full. */
	if (sz >= maxlen)
		return;
	result[sz] = '\0';
	if (f->type->ops.status)
		f->type->ops.status(f, result + sz, maxlen - sz);
	len = strlen(result + sz);
	plen = snprintf(prefix, sizeof(prefix), "%u%s", vaio_count_words(result + sz),
			len ? " " : "");
	if (sz + plen + len + 1 > maxlen) {
		/* Fill the buffer: dm sees it full and asks with a larger one. */
		memset(result + sz, '-', maxlen - sz - 1);
		result[maxlen - 1] = '\0';
		*szp = maxlen;
		return;
	}
	memmove(result + sz + plen, result + sz, len + 1);
	memcpy(result + sz, prefix, plen);
	*szp = sz + plen + len;
}

/* As in the table line. */
const char *vaio_fail_mode_name(struct vaio_filter *f)
{
	return f->fail_mode == VAIO_FAIL_OPEN ? "fail_open" : "fail_closed";
}

static void vaio_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result,
			unsigned int maxlen)
{
	struct vaio_c *vc = ti->private;
	struct vaio_stats st;
	struct vaio_filter *f;
	unsigned int sz = 0, i, nargs;

	switch (type) {
	case STATUSTYPE_INFO:
		vaio_sum_stats(vc, &st);
		DMEMIT("%s %llu %llu %llu %llu %llu %u", vc->id,
		       st.reads, st.writes, st.flushes, st.discards, st.errors,
		       vc->nr_filters);
		for (i = 0; i < vc->nr_filters; i++) {
			f = vc->filters[i];
			DMEMIT(" %s %s %s ", f->type->name,
			       vaio_class_name(f->type->class),
			       state_names[READ_ONCE(f->state)]);
			emit_filter_words(f, result, maxlen, &sz);
		}
		break;

	case STATUSTYPE_TABLE:
		nargs = vc->explicit_id ? 2 : 0;
		for (i = 0; i < vc->nr_filters; i++)
			nargs += 4 + vc->filters[i]->argc;
		DMEMIT("%s", vc->data_dev->name);
		if (!nargs)
			break;
		DMEMIT(" %u", nargs);
		if (vc->explicit_id)
			DMEMIT(" disk_id %s", vc->id);
		for (i = 0; i < vc->nr_filters; i++) {
			unsigned int j;

			f = vc->filters[i];
			DMEMIT(" filter %s %s %u", f->type->name,
			       vaio_fail_mode_name(f),
			       f->argc);
			for (j = 0; j < f->argc; j++)
				DMEMIT(" %s", f->argv[j]);
		}
		break;

	case STATUSTYPE_IMA:
		DMEMIT("target_name=%s,target_version=%u.%u.%u,data_dev=%s,disk_id=%s,filters=%u",
		       ti->type->name, ti->type->version[0],
		       ti->type->version[1], ti->type->version[2],
		       vc->data_dev->name, vc->id, vc->nr_filters);
		for (i = 0; i < vc->nr_filters; i++) {
			f = vc->filters[i];
			DMEMIT(",filter_%u=%s:%s:%s", i, f->type->name,
			       vaio_class_name(f->type->class),
			       vaio_fail_mode_name(f));
		}
		DMEMIT(";");
		break;
	}
}

/* A filter of this disk by type or class name. */
static struct vaio_filter *lookup_filter(struct vaio_c *vc, const char *name)
{
	unsigned int i;

	for (i = 0; i < vc->nr_filters; i++) {
		struct vaio_filter *f = vc->filters[i];

		if (!strcmp(f->type->name, name) ||
		    !strcmp(vaio_class_name(f->type->class), name))
			return f;
	}
	return NULL;
}

/*
 * event snapshot <tag>     control event to every filter, in class order
 * reactivate <filter>      make a failed filter active again
 * <filter> <args...>       the filter's own messages (type or class name)
 */
static int vaio_message(struct dm_target *ti, unsigned int argc, char **argv,
			char *result, unsigned int maxlen)
{
	struct vaio_c *vc = ti->private;
	struct vaio_filter *f;
	unsigned int noio;
	int r;

	if (!argc)
		return -EINVAL;

	if (!strcmp(argv[0], "event")) {
		if (argc == 3 && !strcmp(argv[1], "snapshot"))
			return snapshot_message(vc, argv[2], result, maxlen);
		DMERR("%s: usage: event snapshot <tag>", vc->id);
		return -EINVAL;
	}

	if (!strcmp(argv[0], "reactivate")) {
		f = argc == 2 ? lookup_filter(vc, argv[1]) : NULL;
		if (!f) {
			DMERR("%s: usage: reactivate <filter on this disk>",
			      vc->id);
			return -EINVAL;
		}
		/* As the netlink command: under the disk's lock. */
		noio = vaio_disk_lock(vc->disk);
		r = reactivate_filter(vc, f);
		vaio_disk_unlock(vc->disk, noio);
		return r;
	}

	/* Take a filter out of service, as its own failure would. */
	if (!strcmp(argv[0], "fail")) {
		f = argc == 2 ? lookup_filter(vc, argv[1]) : NULL;
		if (!f) {
			DMERR("%s: usage: fail <filter on this disk>", vc->id);
			return -EINVAL;
		}
		/* As reactivation: under the disk's lock. */
		noio = vaio_disk_lock(vc->disk);
		r = 0;
		if (f->fail_mode == VAIO_FAIL_OPEN && f->type->ops.prepare_bypass)
			r = f->type->ops.prepare_bypass(f);
		if (r)
			DMERR("%s: filter %s cannot be bypassed now: %d", vc->id,
			      f->type->name, r);
		else
			vaio_filter_error(f, "failed by the admin");
		vaio_disk_unlock(vc->disk, noio);
		return r;
	}

	f = lookup_filter(vc, argv[0]);
	if (!f) {
		DMERR("%s: no filter or message '%s'", vc->id, argv[0]);
		return -EINVAL;
	}
	if (!f->type->ops.message) {
		DMERR("%s: filter %s takes no messages", vc->id,
		      f->type->name);
		return -EINVAL;
	}
	return f->type->ops.message(f, argc - 1, argv + 1, result, maxlen);
}

static int vaio_iterate_devices(struct dm_target *ti,
				iterate_devices_callout_fn fn, void *data)
{
	struct vaio_c *vc = ti->private;

	return fn(ti, vc->data_dev, 0, ti->len, data);
}

void vaio_stack_limits(struct queue_limits *limits, struct block_device *bdev)
{
	struct queue_limits *b = &bdev_get_queue(bdev)->limits;

	limits->logical_block_size = max(limits->logical_block_size,
					 b->logical_block_size);
	limits->physical_block_size = max(limits->physical_block_size,
					  b->physical_block_size);
	limits->io_min = max(limits->io_min, b->io_min);
	limits->dma_alignment = max(limits->dma_alignment, b->dma_alignment);
}
EXPORT_SYMBOL_GPL(vaio_stack_limits);

static void vaio_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct vaio_c *vc = ti->private;
	unsigned int i;

	bool transforms = false;

	for (i = 0; i < vc->nr_filters; i++) {
		if (vc->filters[i]->type->ops.io_hints)
			vc->filters[i]->type->ops.io_hints(vc->filters[i], limits);
		transforms |= vc->filters[i]->transforms_data;
	}
	/*
	 * Whole logical blocks in every segment (direct I/O may bring buffers
	 * aligned to 512 bytes only), so that a transform of blocks never sees
	 * half of one; as dm-crypt. After every filter: one may have made the
	 * blocks larger.
	 */
	if (transforms)
		limits->dma_alignment = max(limits->dma_alignment,
					    limits->logical_block_size - 1);
}

static struct target_type vaio_target = {
	.name		 = "vaio",
	.version	 = {0, 2, 0},
	.module		 = THIS_MODULE,
	.ctr		 = vaio_ctr,
	.dtr		 = vaio_dtr,
	.map		 = vaio_map,
	.end_io		 = vaio_end_io,
	.presuspend	 = vaio_presuspend,
	.presuspend_undo = vaio_presuspend_undo,
	.postsuspend	 = vaio_postsuspend,
	.preresume	 = vaio_preresume,
	.resume		 = vaio_resume,
	.status		 = vaio_status,
	.message	 = vaio_message,
	.iterate_devices = vaio_iterate_devices,
	.io_hints	 = vaio_io_hints,
};

static int __init dm_vaio_init(void)
{
	int r;

	BUILD_BUG_ON(offsetofend(struct vaio_below, io) !=
		     sizeof(struct vaio_below));
	r = bioset_init(&vaio_bioset, BIO_POOL_SIZE, 0, 0);
	if (r)
		return r;
	r = bioset_init(&vaio_below_bioset, BIO_POOL_SIZE,
			sizeof(struct vaio_below), BIOSET_NEED_BVECS);
	if (r)
		goto bad_below;

	r = vaio_netlink_init();
	if (r)
		goto bad_netlink;

	r = dm_register_target(&vaio_target);
	if (r)
		goto bad_target;
	return 0;

bad_target:
	vaio_netlink_exit();
bad_netlink:
	bioset_exit(&vaio_below_bioset);
bad_below:
	bioset_exit(&vaio_bioset);
	return r;
}

static void __exit dm_vaio_exit(void)
{
	struct vaio_disk *d, *tmp;

	dm_unregister_target(&vaio_target);
	vaio_netlink_exit();
	/* After the netlink operations: a release may park one. */
	list_for_each_entry_safe(d, tmp, &vaio_orphaned, list)
		kfree(d);
	bioset_exit(&vaio_below_bioset);
	bioset_exit(&vaio_bioset);
}

module_init(dm_vaio_init);
module_exit(dm_vaio_exit);

MODULE_DESCRIPTION(DM_NAME " vaio target: I/O filter framework for VM disks");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
