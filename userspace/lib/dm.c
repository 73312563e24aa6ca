// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvaio: vaio devices through libdevmapper.
 *
 * A chain is attached by loading a new table and resuming it: the kernel
 * builds the whole new chain first and swaps it in only if every filter
 * accepted, so an apply either fully happens or changes nothing. When the
 * kernel refuses a table, the reason (which the dm ioctl cannot carry)
 * comes as a VAIO_CMD_NTF_TABLE_ERROR notification, caught here.
 */
#include "vaio.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libdevmapper.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>

static char dm_last_error[512];

/* libdevmapper's messages: keep the last error, print nothing. */
static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *fmt, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	if ((level & 7) > 3)	/* more verbose than _LOG_ERR */
		return;
	va_start(ap, fmt);
	vsnprintf(dm_last_error, sizeof(dm_last_error), fmt, ap);
	va_end(ap);
}

static void dm_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	dm_log_with_errno_init(dm_log);
	/* No udev (the test guest, early boot): libdevmapper makes the nodes. */
	if (access("/run/udev/control", F_OK))
		dm_udev_set_sync_support(0);
}

/*
 * A new task of @type, libdevmapper's last message cleared: if making or
 * filling it fails, task_failed() says why.
 */
static struct dm_task *task_new(int type)
{
	dm_setup();
	dm_last_error[0] = '\0';
	return dm_task_create(type);
}

/* A task that could not be made or filled in, about @what (a name). */
static int task_failed(struct vaio_err *err, const char *what)
{
	if (dm_last_error[0])
		return vaio_seterr(err, EINVAL, "%s: device-mapper request refused: %s",
				   what, dm_last_error);
	return vaio_seterr(err, ENOMEM, "%s: out of memory", what);
}

/*
 * Runs @dmt and waits for udev (or makes the nodes itself), passing udev
 * @flags (DM_UDEV_*_FLAG) in the cookie.
 */
static int run_task_udev(struct dm_task *dmt, uint16_t flags)
{
	uint32_t c = 0;
	int ok;

	dm_last_error[0] = '\0';
	if (!dm_task_set_cookie(dmt, &c, flags))
		return -EIO;
	ok = dm_task_run(dmt);
	dm_udev_wait(c);
	return ok ? 0 : -(dm_task_get_errno(dmt) ?: EIO);
}

/* Runs @dmt; with @cookie it waits for udev (or makes the nodes itself). */
static int run_task(struct dm_task *dmt, bool cookie)
{
	if (cookie)
		return run_task_udev(dmt, 0);
	dm_last_error[0] = '\0';
	return dm_task_run(dmt) ? 0 : -(dm_task_get_errno(dmt) ?: EIO);
}

/*
 * A pool's own devices (the pool, its tier) are no disks: udev makes their
 * nodes under /dev/mapper, and nothing else (no /dev/disk links, no
 * blkid probe, no LVM scan), as LVM hides its private devices.
 */
#define UDEV_PRIVATE	(DM_UDEV_DISABLE_SUBSYSTEM_RULES_FLAG | \
			 DM_UDEV_DISABLE_DISK_RULES_FLAG | \
			 DM_UDEV_DISABLE_OTHER_RULES_FLAG)

static int dev_info(const char *name, struct dm_info *info, char *uuid,
		    size_t ulen);

int vaio_dm_state(const char *name, struct vaio_err *err)
{
	char uuid[DM_UUID_LEN];
	struct dm_info info;
	int r;

	/* Not "absent" when device-mapper cannot say. */
	r = dev_info(name, &info, uuid, sizeof(uuid));
	if (r)
		return vaio_seterr(err, -r, "%s: cannot ask device-mapper whether it exists: %s",
				   name, dm_last_error[0] ? dm_last_error : strerror(-r));
	return info.exists ? 1 : 0;
}

/*
 * Why the kernel refused @name's table (its load, or its resume), from the
 * events socket; false if the target sent no reason.
 */
static bool table_error(struct vaio_nl *ev, const char *name, char *why,
			size_t len)
{
	struct vaio_notification *n = malloc(sizeof(*n));
	bool found = false;

	snprintf(why, len, "%s", dm_last_error[0] ? dm_last_error :
		 "the kernel refused the table (see the kernel log)");
	while (n && ev && vaio_nl_next(ev, 0, n, NULL) == 1)
		if (n->cmd == VAIO_CMD_NTF_TABLE_ERROR &&
		    !strcmp(n->disk.dm_name, name)) {
			snprintf(why, len, "%s", n->error);
			found = true;
		}
	free(n);
	return found;
}

/* @device's size, and its "major:minor" for the table line in @devt. */
static int device_sectors(const char *device, uint64_t *sectors, char *devt,
			  size_t devt_len, struct vaio_err *err)
{
	uint64_t bytes;
	int fd, r;

	/* Not the path: the table line has no room for spaces or escapes. */
	r = vaio_blkdev_devt(device, devt, devt_len, err);
	if (r)
		return r;
	/* Exclusive: not mounted, not under another dm (or md) device. */
	fd = open(device, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY)
		return vaio_seterr(err, EBUSY,
				   "device %s: in use (mounted, or held by another device)",
				   device);
	if (fd < 0)
		return vaio_seterr(err, errno, "device %s: %s", device,
				   strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &bytes)) {
		close(fd);
		return vaio_seterr(err, errno, "device %s: size: %s", device,
				   strerror(errno));
	}
	close(fd);
	*sectors = bytes >> 9;
	if (!*sectors)
		return vaio_seterr(err, EINVAL, "device %s: empty", device);
	return 0;
}

/*
 * The uuid of a disk's dm device: "VAIO-DISK-<disk_id>", so that udev
 * rules and LVM filters can tell dm-vaio's disks (a VM's disk: its
 * partitions and volume groups are the guest's) from the host's own
 * devices. DISK-: a disk named "POOL-x" must not take pool x's uuid.
 */
#define DISK_UUID_PREFIX "VAIO-DISK-"

/*
 * Loads the vaio table "<data_dev> <#> disk_id <id> <chain>" over
 * @start..@len into dm device @name: @type DM_DEVICE_CREATE (a new device,
 * resumed at once) or DM_DEVICE_RELOAD (its inactive slot). The chain is
 * checked first; a table the kernel refuses comes back with its reason.
 */
static int load_table(struct vaio_nl *nl, int type, const char *name,
		      uint64_t start, uint64_t len, const char *data_dev,
		      const char *id, const struct vaio_chain *chain,
		      struct vaio_err *err)
{
	char params[8192], why[512], uuid[DM_UUID_LEN];
	struct vaio_nl *ev;
	struct dm_task *dmt;
	int r;

	if (chain->n) {
		r = vaio_chain_check(nl, chain, err);
		if (r)
			return r;
	}
	if (vaio_table_params(data_dev, id, chain, params, sizeof(params)))
		return vaio_seterr(err, ENAMETOOLONG, "disk %s: table too long",
				   name);

	ev = vaio_nl_open(true, NULL);
	dmt = task_new(type);
	snprintf(uuid, sizeof(uuid), DISK_UUID_PREFIX "%s", id);
	/* Filter arguments may be secrets: wipe the ioctl buffers. */
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_secure_data(dmt) ||
	    (type == DM_DEVICE_CREATE && !dm_task_set_uuid(dmt, uuid)) ||
	    !dm_task_add_target(dmt, start, len, "vaio", params)) {
		r = task_failed(err, name);
	} else {
		r = run_task(dmt, type == DM_DEVICE_CREATE);
		if (r) {
			/* Nothing was loaded: what was live stays live. */
			table_error(ev, name, why, sizeof(why));
			r = vaio_seterr(err, -r, "disk %s: %s", name, why);
		}
	}
	if (dmt)
		dm_task_destroy(dmt);
	vaio_nl_close(ev);
	return r;
}

int vaio_dm_create(struct vaio_nl *nl, const char *name, const char *device,
		   const struct vaio_chain *chain, struct vaio_err *err)
{
	char devt[32];
	uint64_t sectors;
	int r;

	if (!vaio_valid_name(name))
		return vaio_seterr(err, EINVAL,
				   "disk name '%s': use up to 63 of A-Z a-z 0-9 . _ : -",
				   name);
	r = device_sectors(device, &sectors, devt, sizeof(devt), err);
	if (r)
		return r;
	r = vaio_dm_state(name, err);
	if (r < 0)
		return r;
	if (r)
		return vaio_seterr(err, EEXIST,
				   "disk %s: a device-mapper device of that name exists",
				   name);
	return load_table(nl, DM_DEVICE_CREATE, name, 0, sectors, devt, name,
			  chain, err);
}

/* The live table of @name: its one vaio target's extent and data device. */
static int live_table(const char *name, uint64_t *start, uint64_t *len,
		      char *data_dev, size_t dlen, struct vaio_err *err)
{
	struct dm_task *dmt;
	char *type = NULL, *params = NULL;
	uint64_t s, l;
	void *next = NULL;
	int n = 0, r = 0;

	dmt = task_new(DM_DEVICE_TABLE);
	if (!dmt || !dm_task_set_name(dmt, name)) {
		r = task_failed(err, name);
		goto out;
	}
	r = run_task(dmt, false);
	if (r) {
		r = vaio_seterr(err, -r, "disk %s: %s", name, strerror(-r));
		goto out;
	}
	do {
		next = dm_get_next_target(dmt, next, &s, &l, &type, &params);
		if (!type)
			break;
		n++;
		if (strcmp(type, "vaio"))
			break;
		*start = s;
		*len = l;
		snprintf(data_dev, dlen, "%.*s", (int)strcspn(params, " "), params);
	} while (next);
	if (!n)
		r = vaio_seterr(err, ENODEV, "disk %s: has no table (not resumed?)",
				name);
	else if (n > 1 || strcmp(type, "vaio"))
		r = vaio_seterr(err, EINVAL,
				"disk %s: the table is not one vaio target; reload it with dmsetup",
				name);
out:
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/* Runs @type (SUSPEND, RESUME, CLEAR) on @name; 0 or a negative errno. */
static int simple_task(int type, const char *name)
{
	struct dm_task *dmt = task_new(type);
	int r = -ENOMEM;

	if (dmt && dm_task_set_name(dmt, name))
		r = run_task(dmt, type == DM_DEVICE_RESUME);
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/*
 * Disk @name, made before disks had uuids (or by hand with none), gets
 * its own: the kernel sets one only where there is none. Best effort.
 */
static void disk_uuid_backfill(const char *name, const char *id)
{
	char uuid[DM_UUID_LEN];
	struct dm_info info;
	struct dm_task *dmt;

	if (dev_info(name, &info, uuid, sizeof(uuid)) || !info.exists ||
	    uuid[0])
		return;
	snprintf(uuid, sizeof(uuid), DISK_UUID_PREFIX "%s", id);
	dmt = task_new(DM_DEVICE_RENAME);
	if (dmt && dm_task_set_name(dmt, name) && dm_task_set_newuuid(dmt, uuid))
		run_task(dmt, true);
	if (dmt)
		dm_task_destroy(dmt);
}

int vaio_dm_apply(struct vaio_nl *nl, const char *name,
		  const struct vaio_chain *chain, struct vaio_err *err)
{
	char data_dev[64], id[VAIO_NAME_MAX], why[512];
	struct vaio_disk_info *live = malloc(sizeof(*live));
	struct vaio_nl *ev = NULL;
	struct vaio_chain now;
	uint64_t start = 0, len = 0;
	sigset_t block, old;
	int r;

	if (!live)
		return vaio_seterr(err, ENOMEM, "out of memory");
	r = live_table(name, &start, &len, data_dev, sizeof(data_dev), err);
	if (!r)
		r = vaio_disk_find(nl, name, false, live, err);
	if (r) {
		free(live);
		return r;
	}
	strcpy(id, live->id);

	/* Between load and resume, an interruption would leave a table behind. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);

	r = load_table(nl, DM_DEVICE_RELOAD, name, start, len, data_dev, id,
		       chain, err);
	if (r)
		goto out;

	/* The target may refuse the resume too, and say why. */
	ev = vaio_nl_open(true, NULL);
	r = simple_task(DM_DEVICE_RESUME, name);
	if (!r)
		goto out;
	/*
	 * The resume failed: either before the swap (the old table is live,
	 * the new one still loaded) or after it. Drop what is loaded, resume
	 * what is live, and say which chain that is.
	 */
	if (table_error(ev, name, why, sizeof(why)) &&
	    !strncmp(why, "resume refused: ", 16)) {
		/*
		 * The target refused the new table at its resume, after the
		 * swap (the disk changed since the load): the old table is
		 * gone, the device suspended with the new one.
		 */
		r = vaio_seterr(err, -r,
				"disk %s: %s; the device is left suspended with the new table (vaioctl disk remove, then create it again)",
				name, why);
		goto out;
	}
	snprintf(why, sizeof(why), "%s", dm_last_error[0] ? dm_last_error :
		 strerror(-r));
	simple_task(DM_DEVICE_CLEAR, name);
	if (simple_task(DM_DEVICE_RESUME, name)) {
		r = vaio_seterr(err, -r,
				"disk %s: resume failed (%s); the device may be left suspended: dmsetup resume %s",
				name, why, name);
		goto out;
	}
	if (!vaio_disk_get(nl, id, live, NULL)) {
		vaio_chain_from_disk(live, &now);
		if (vaio_chain_equal(&now, chain)) {
			r = 0;	/* the new chain made it after all */
			goto out;
		}
	}
	r = vaio_seterr(err, -r, "disk %s: resume failed (%s); the old filters stay",
			name, why);
out:
	if (!r)
		disk_uuid_backfill(name, id);
	vaio_nl_close(ev);
	free(live);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

/*
 * Removes dm device @name, called @who in errors; @retry: while it is
 * open (udev may be probing a new device).
 */
static int remove_named(const char *name, const char *who, bool retry,
			struct vaio_err *err)
{
	struct dm_task *dmt;
	int r;

	dmt = task_new(DM_DEVICE_REMOVE);
	if (!dmt || !dm_task_set_name(dmt, name) ||
	    (retry && !dm_task_retry_remove(dmt))) {
		r = task_failed(err, name);
	} else {
		r = run_task(dmt, true);
		if (r == -EBUSY)
			r = vaio_seterr(err, EBUSY, "%s: in use (open)", who);
		else if (r)
			r = vaio_seterr(err, -r, "%s: %s", who,
					dm_last_error[0] ? dm_last_error :
					strerror(-r));
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int vaio_dm_remove(const char *name, struct vaio_err *err)
{
	char who[256];

	snprintf(who, sizeof(who), "disk %s", name);
	return remove_named(name, who, false, err);
}

int vaio_dm_suspend(const char *name, bool suspend, struct vaio_err *err)
{
	int r;

	r = simple_task(suspend ? DM_DEVICE_SUSPEND : DM_DEVICE_RESUME, name);
	if (r)
		r = vaio_seterr(err, -r, "disk %s: %s: %s", name,
				suspend ? "suspend" : "resume",
				dm_last_error[0] ? dm_last_error : strerror(-r));
	return r;
}

int vaio_dm_message(const char *name, const char *msg, struct vaio_err *err)
{
	struct dm_task *dmt;
	int r;

	dmt = task_new(DM_DEVICE_TARGET_MSG);
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_set_sector(dmt, 0) ||
	    !dm_task_set_message(dmt, msg)) {
		r = task_failed(err, name);
	} else {
		r = run_task(dmt, false);
		if (r)
			r = vaio_seterr(err, -r, "disk %s: message '%s': %s", name, msg,
					dm_last_error[0] ? dm_last_error : strerror(-r));
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int vaio_dm_open_count(const char *name, int *count, struct vaio_err *err)
{
	struct dm_info info;
	int r = vaio_dm_info(name, &info, err);

	*count = r ? 0 : info.open_count;
	return r;
}

int vaio_dm_info(const char *name, struct dm_info *out, struct vaio_err *err)
{
	struct dm_task *dmt;
	struct dm_info info = { 0 };
	int r;

	dmt = task_new(DM_DEVICE_INFO);
	if (!dmt || !dm_task_set_name(dmt, name)) {
		r = task_failed(err, name);
	} else {
		r = run_task(dmt, false);
		if (!r && !dm_task_get_info(dmt, &info))
			r = -EIO;
		if (!r && !info.exists)
			r = vaio_seterr(err, ENODEV, "disk %s: no dm device", name);
		else if (r)
			r = vaio_seterr(err, -r, "disk %s: %s", name,
					dm_last_error[0] ? dm_last_error :
					strerror(-r));
		*out = info;
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/*
 *--------------------------------------------------------------
 * Cache pools
 *--------------------------------------------------------------
 */

/* The uuid of a pool's linear device: what tells it is vaioctl's. */
#define TIER_UUID_PREFIX "VAIO-TIER-"
/* The uuid of a pool's dm device. */
#define POOL_UUID_PREFIX "VAIO-POOL-"

void vaio_pool_tier_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s-tier", name);
}

/* dm device @name's info and uuid; info->exists is false if it is not. */
static int dev_info(const char *name, struct dm_info *info, char *uuid,
		    size_t ulen)
{
	struct dm_task *dmt = task_new(DM_DEVICE_INFO);
	const char *u;
	int r = -ENOMEM;

	memset(info, 0, sizeof(*info));
	uuid[0] = '\0';
	if (dmt && dm_task_set_name(dmt, name)) {
		r = run_task(dmt, false);
		if (!r && !dm_task_get_info(dmt, info))
			r = -EIO;
		u = r || !info->exists ? NULL : dm_task_get_uuid(dmt);
		snprintf(uuid, ulen, "%s", u ? u : "");
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/* Removes dm device @name: pool @pool or its linear device. */
static int remove_dev(const char *pool, const char *name, bool retry,
		      struct vaio_err *err)
{
	char who[256];

	if (strcmp(pool, name))
		snprintf(who, sizeof(who), "pool %s: %s", pool, name);
	else
		snprintf(who, sizeof(who), "pool %s", pool);
	return remove_named(name, who, retry, err);
}

/* Is dm device @tier pool @pool's linear device, made by vaioctl? */
static bool tier_is_ours(const char *pool, const char *tier,
			 struct dm_info *info)
{
	char uuid[DM_UUID_LEN], want[DM_UUID_LEN];

	snprintf(want, sizeof(want), TIER_UUID_PREFIX "%s", pool);
	return !dev_info(tier, info, uuid, sizeof(uuid)) && info->exists &&
		!strcmp(uuid, want);
}

/*
 * Creates @tier, dm-linear over @n devices @devt of @len sectors each, in
 * that order; its "major:minor" in @tdevt.
 */
static int tier_create(const char *pool, const char *tier, char devt[][32],
		       const uint64_t *len, int n, char *tdevt, size_t tlen,
		       struct vaio_err *err)
{
	char uuid[DM_UUID_LEN], params[64];
	struct dm_task *dmt;
	struct dm_info info;
	uint64_t start = 0;
	int i, r = 0;

	snprintf(uuid, sizeof(uuid), TIER_UUID_PREFIX "%s", pool);
	dmt = task_new(DM_DEVICE_CREATE);
	if (!dmt || !dm_task_set_name(dmt, tier) || !dm_task_set_uuid(dmt, uuid))
		r = -ENOMEM;
	for (i = 0; !r && i < n; i++) {
		snprintf(params, sizeof(params), "%.31s 0", devt[i]);
		if (!dm_task_add_target(dmt, start, len[i], "linear", params))
			r = -ENOMEM;
		start += len[i];
	}
	if (r) {
		r = task_failed(err, tier);
	} else {
		r = run_task_udev(dmt, UDEV_PRIVATE);
		if (r)
			r = vaio_seterr(err, -r, "pool %s: creating %s: %s", pool,
					tier, dm_last_error[0] ? dm_last_error :
					strerror(-r));
	}
	if (dmt)
		dm_task_destroy(dmt);
	if (r)
		return r;
	if (dev_info(tier, &info, uuid, sizeof(uuid)) || !info.exists) {
		remove_dev(pool, tier, true, NULL);
		return vaio_seterr(err, ENODEV, "pool %s: %s vanished as it was made",
				   pool, tier);
	}
	snprintf(tdevt, tlen, "%u:%u", info.major, info.minor);
	return 0;
}

/*
 * Loads pool @c's table "<devt>[ memory_mib=<n>][ block_size=<n>]
 * [ uuid=<uuid>][ format]" into a new device: block_size= only for a size
 * other than 4096, which kernels without block sizes refuse.
 */
static int pool_load(const char *name, const char *devt,
		     const struct vaio_pool_conf *c, struct vaio_err *err)
{
	char params[192], uuid[DM_UUID_LEN];
	struct dm_task *dmt;
	int n, r;

	snprintf(uuid, sizeof(uuid), POOL_UUID_PREFIX "%s", name);
	n = snprintf(params, sizeof(params), "%s", devt);
	if (c->memory_mib)
		n += snprintf(params + n, sizeof(params) - n,
			      " memory_mib=%" PRIu64, c->memory_mib);
	if (c->block_size && c->block_size != VAIO_POOL_BLOCK_DEFAULT)
		n += snprintf(params + n, sizeof(params) - n,
			      " block_size=%" PRIu32, c->block_size);
	if (c->uuid[0])
		n += snprintf(params + n, sizeof(params) - n, " uuid=%s",
			      c->uuid);
	if (c->format)
		snprintf(params + n, sizeof(params) - n, " format");
	dmt = task_new(DM_DEVICE_CREATE);
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_set_uuid(dmt, uuid) ||
	    !dm_task_add_target(dmt, 0, 8, "vaio-cache-pool", params)) {
		r = task_failed(err, name);
	} else {
		r = run_task_udev(dmt, UDEV_PRIVATE);
		if (r)
			r = vaio_seterr(err, -r,
					"pool %s: the kernel refused it (%s; see the kernel log)",
					name, dm_last_error[0] ? dm_last_error :
					strerror(-r));
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/*
 * The pool superblock, sector 0 of the cache device (struct cache_sb in
 * dm-vaio/filters/cache-format.h, little endian): the offsets of the
 * fields read here, and its size, which its checksum covers.
 */
#define SB_MAGIC		0x4843414f49414156ULL
#define SB_OFF_VERSION		8
#define SB_OFF_BLOCK_SIZE	12
#define SB_OFF_UUID		52
#define SB_OFF_CSUM		68
#define SB_LEN			72

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* UUID text @s (checked already) as the 16 bytes the kernel keeps. */
static void uuid_bytes(const char *s, unsigned char *out)
{
	int i = 0, hi = -1;

	for (; *s && i < 16; s++) {
		int v = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			*s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;

		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[i++] = hi << 4 | v;
			hi = -1;
		}
	}
}

int vaio_pool_sb_block_size(const char *device, const char *uuid,
			    uint32_t *block_size, struct vaio_err *err)
{
	static const unsigned char zero[16];
	unsigned char *buf, want[16], sbuf[SB_LEN];
	void *mem;
	uint64_t magic = 0;
	uint32_t version, bs, csum;
	ssize_t n;
	int fd, e, i;

	*block_size = 0;
	/* Read only; O_DIRECT for what the device holds, not a cached page. */
	fd = open(device, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL)
		fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vaio_seterr(err, errno, "device %s: %s", device,
				   strerror(errno));
	if (posix_memalign(&mem, 4096, 4096)) {
		close(fd);
		return vaio_seterr(err, ENOMEM, "out of memory");
	}
	buf = mem;
	n = pread(fd, buf, 4096, 0);
	e = errno;
	close(fd);
	if (n < SB_LEN) {
		free(buf);
		return vaio_seterr(err, n < 0 ? e : EIO,
				   "device %s: cannot read its first 4 KiB: %s",
				   device, n < 0 ? strerror(e) : "short read");
	}
	memcpy(sbuf, buf, SB_LEN);
	free(buf);
	for (i = 7; i >= 0; i--)
		magic = magic << 8 | sbuf[i];
	version = get_le32(sbuf + SB_OFF_VERSION);
	bs = get_le32(sbuf + SB_OFF_BLOCK_SIZE);
	/* Not a pool the kernel would take with its own size: none. */
	if (magic != SB_MAGIC || (version != 2 && version != 3) ||
	    !vaio_pool_block_size_valid(bs))
		return 0;
	/* Its checksum: over the superblock with the checksum's field 0. */
	csum = get_le32(sbuf + SB_OFF_CSUM);
	memset(sbuf + SB_OFF_CSUM, 0, 4);
	if (vaio_crc32c(~0U, sbuf, SB_LEN) != csum)
		return 0;
	/*
	 * Another pool: not this one's size (the kernel refuses it). One
	 * from before uuids (zero), or no uuid asked for: the kernel takes
	 * it, with this size.
	 */
	if (uuid && uuid[0]) {
		uuid_bytes(uuid, want);
		if (memcmp(sbuf + SB_OFF_UUID, want, 16) &&
		    memcmp(sbuf + SB_OFF_UUID, zero, 16))
			return 0;
	}
	*block_size = bs;
	return 0;
}

/* "4 KiB", "32 KiB", "1 MiB": block size @bytes. */
static const char *bs_text(uint32_t bytes, char *buf, size_t len)
{
	if (bytes >= (1u << 20) && !(bytes & ((1u << 20) - 1)))
		snprintf(buf, len, "%u MiB", (unsigned int)(bytes >> 20));
	else
		snprintf(buf, len, "%u KiB", (unsigned int)(bytes >> 10));
	return buf;
}

/*
 * A pool taken (not formatted, not wiped): the block size in its
 * superblock on @c's first device, if it holds that pool. Not given: it
 * becomes @c's (the tier over several devices is cut in blocks of it, as
 * when the pool was made). Another size given: refused here, before
 * anything is made.
 */
static int pool_take_block_size(struct vaio_pool_conf *c, struct vaio_err *err)
{
	char a[32], b[32];
	uint32_t bs;
	int r;

	if (c->format || c->wipe)
		return 0;
	r = vaio_pool_sb_block_size(c->devices[0], c->uuid, &bs, err);
	if (r || !bs)
		return r;
	if (c->block_size_given && bs != (c->block_size ? c->block_size :
					  VAIO_POOL_BLOCK_DEFAULT))
		return vaio_seterr(err, EINVAL,
				   "pool %s: %s holds a pool of %s blocks, not %s",
				   c->name, c->devices[0], bs_text(bs, a, sizeof(a)),
				   bs_text(c->block_size ? c->block_size :
					   VAIO_POOL_BLOCK_DEFAULT, b, sizeof(b)));
	if (c->memory_mib && bs != VAIO_POOL_BLOCK_DEFAULT)
		return vaio_seterr(err, EINVAL,
				   "pool %s: %s holds a pool of %s blocks: a memory tier needs 4 KiB blocks for now",
				   c->name, c->devices[0], bs_text(bs, a, sizeof(a)));
	c->block_size = bs;
	return 0;
}

int vaio_pool_create(struct vaio_pool_conf *c, struct vaio_err *err)
{
	char devt[VAIO_POOL_MAX_DEVICES][32], tier[DM_NAME_LEN], tdevt[32];
	uint64_t len[VAIO_POOL_MAX_DEVICES];
	struct dm_info info;
	struct vaio_err e2;
	sigset_t block, old;
	uint32_t bs = c->block_size ? c->block_size : VAIO_POOL_BLOCK_DEFAULT;
	int i, j, r;

	if (!vaio_valid_name(c->name))
		return vaio_seterr(err, EINVAL,
				   "pool name '%s': use up to 63 of A-Z a-z 0-9 . _ : -",
				   c->name);
	if (c->ndevices < 1 || c->ndevices > VAIO_POOL_MAX_DEVICES)
		return vaio_seterr(err, EINVAL, "pool %s: give 1 to %d devices",
				   c->name, VAIO_POOL_MAX_DEVICES);
	if (!vaio_pool_block_size_valid(bs))
		return vaio_seterr(err, EINVAL,
				   "pool %s: block size %" PRIu32 ": give a power of two from 4096 to 1048576 bytes",
				   c->name, bs);
	/* Every device first: there, a block device, unused, named once. */
	for (i = 0; i < c->ndevices; i++) {
		r = device_sectors(c->devices[i], &len[i], devt[i],
				   sizeof(devt[i]), err);
		if (r)
			return r;
		for (j = 0; j < i; j++)
			if (!strcmp(devt[i], devt[j]))
				return vaio_seterr(err, EINVAL,
						   "device %s: named twice%s%s",
						   c->devices[i],
						   strcmp(c->devices[i], c->devices[j]) ?
						   ", also as " : "",
						   strcmp(c->devices[i], c->devices[j]) ?
						   c->devices[j] : "");
	}
	/*
	 * A pool taken keeps its block size: the one in its superblock, read
	 * before the devices are cut in blocks (cut in 4 KiB ones, a pool of
	 * larger blocks would find every block past its first device at
	 * another place).
	 */
	r = pool_take_block_size(c, err);
	if (r)
		return r;
	bs = c->block_size ? c->block_size : VAIO_POOL_BLOCK_DEFAULT;
	for (i = 0; i < c->ndevices; i++) {
		/* Several: whole blocks, none across two devices. */
		if (c->ndevices > 1)
			len[i] &= ~(uint64_t)(bs / 512 - 1);
		if (!len[i])
			return vaio_seterr(err, EINVAL,
					   "device %s: smaller than a block (%" PRIu32 " KiB)",
					   c->devices[i], bs / 1024);
	}
	r = vaio_dm_state(c->name, err);
	if (r < 0)
		return r;
	if (r)
		return vaio_seterr(err, EEXIST,
				   "pool %s: a device-mapper device of that name exists",
				   c->name);
	/*
	 * create --force, every device checked: whatever pool the device held
	 * goes (its superblock, the first 4 KiB of the first device), so that
	 * the kernel makes a new one. Exclusive: not a device in use.
	 */
	if (c->wipe) {
		static const char zeros[4096];
		int fd = open(c->devices[0], O_WRONLY | O_EXCL | O_CLOEXEC);

		if (fd < 0)
			return vaio_seterr(err, errno, "device %s: %s", c->devices[0],
					   strerror(errno));
		if (pwrite(fd, zeros, sizeof(zeros), 0) != sizeof(zeros) || fsync(fd)) {
			r = vaio_seterr(err, errno, "device %s: cannot clear it: %s",
					c->devices[0], strerror(errno));
			close(fd);
			return r;
		}
		close(fd);
	}
	if (c->ndevices == 1)
		return pool_load(c->name, devt[0], c, err);

	vaio_pool_tier_name(c->name, tier, sizeof(tier));
	r = vaio_dm_state(tier, err);
	if (r < 0)
		return r;
	if (r) {
		/* Left by a pool of this name that did not go whole. */
		if (!tier_is_ours(c->name, tier, &info) || info.open_count)
			return vaio_seterr(err, EEXIST,
					   "pool %s: a device-mapper device %s exists",
					   c->name, tier);
		r = remove_dev(c->name, tier, true, err);
		if (r)
			return r;
	}
	/* An interruption between the two would leave the tier behind. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	r = tier_create(c->name, tier, devt, len, c->ndevices, tdevt,
			sizeof(tdevt), err);
	if (!r) {
		r = pool_load(c->name, tdevt, c, err);
		if (r)
			remove_dev(c->name, tier, true, &e2);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int vaio_pool_remove(const char *name, struct vaio_err *err)
{
	char tier[DM_NAME_LEN];
	struct dm_info info;
	int r;

	r = vaio_dm_state(name, err);
	if (r < 0)
		return r;
	if (r) {
		r = remove_dev(name, name, false, err);
		if (r)
			return r;
	}
	vaio_pool_tier_name(name, tier, sizeof(tier));
	if (tier_is_ours(name, tier, &info))
		return remove_dev(name, tier, true, err);
	return 0;
}

int vaio_pool_parse_table(const char *params, struct vaio_pool_info *p)
{
	char copy[256], *w, *save = NULL, *end;
	unsigned long long v;
	int r = 0;

	p->device[0] = '\0';
	p->memory_mib = 0;
	p->block_size = VAIO_POOL_BLOCK_DEFAULT;
	if (snprintf(copy, sizeof(copy), "%s", params) >= (int)sizeof(copy))
		r = -EINVAL;
	w = strtok_r(copy, " ", &save);
	if (!w || snprintf(p->device, sizeof(p->device), "%s", w) >=
	    (int)sizeof(p->device)) {
		p->device[0] = '\0';
		return -EINVAL;
	}
	/* The words after the device, in any order. */
	while ((w = strtok_r(NULL, " ", &save))) {
		bool mib = !strncmp(w, "memory_mib=", 11);

		if (!mib && strncmp(w, "block_size=", 11))
			continue;
		errno = 0;
		v = strtoull(w + 11, &end, 10);
		if (errno || end == w + 11 || *end || (!mib && v > UINT32_MAX)) {
			r = -EINVAL;
			continue;
		}
		if (mib)
			p->memory_mib = v;
		else
			p->block_size = v;
	}
	return r;
}

int vaio_pool_parse_status(const char *params, struct vaio_pool_info *p)
{
	int end = 0, end2 = 0, end3 = 0;

	if (sscanf(params, "block_size %" SCNu32 " blocks %" SCNu64 " used %"
		   SCNu64 " filling %" SCNu64 " free %" SCNu64 " disks %u"
		   " reserved_pct %u state %15s errors %" SCNu64 " dirty %"
		   SCNu64 "%n", &p->block_size, &p->blocks, &p->used,
		   &p->filling, &p->free, &p->disks, &p->reserved_pct, p->state,
		   &p->errors, &p->dirty, &end) != 10) {
		snprintf(p->state, sizeof(p->state), "unknown");
		/* The table's, if it was read; else what a pool has by default. */
		if (!vaio_pool_block_size_valid(p->block_size))
			p->block_size = VAIO_POOL_BLOCK_DEFAULT;
		return -EINVAL;
	}
	/* Kernels with the memory tier add it (0 blocks: none). */
	if (sscanf(params + end, " memory_blocks %" SCNu64 " memory_used %"
		   SCNu64 "%n", &p->memory_blocks, &p->memory_used, &end2) != 2)
		p->memory_blocks = 0;
	/* And kernels with pool identities, its uuid; then its index's RAM. */
	else if (sscanf(params + end + end2, " uuid %36s%n", p->uuid,
			&end3) != 1)
		p->uuid[0] = '\0';
	else if (sscanf(params + end + end2 + end3, " index_kib %" SCNu64,
			&p->index_kib) != 1)
		p->index_kib = 0;
	return 0;
}

/*
 * Fills @p from dm device @name, if its table is a vaio-cache-pool: 1.
 * The table first, which has no side effect; the status of a pool only,
 * and without a flush (a thin or cache pool's status commits otherwise).
 */
static int pool_info(const char *name, struct vaio_pool_info *p)
{
	struct dm_task *dmt;
	struct dm_info info = { 0 };
	char *type = NULL, *params = NULL;
	uint64_t s, l;
	int r = 0;

	memset(p, 0, sizeof(*p));
	/*
	 * The cache device and the memory tier's size, from the table; any
	 * table, so its buffers wiped (dm-crypt keys, vaio's arguments).
	 */
	dmt = task_new(DM_DEVICE_TABLE);
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_secure_data(dmt) ||
	    run_task(dmt, false))
		goto out;
	dm_get_next_target(dmt, NULL, &s, &l, &type, &params);
	if (!type || strcmp(type, "vaio-cache-pool") || !params)
		goto out;
	vaio_pool_parse_table(params, p);
	dm_task_destroy(dmt);

	type = NULL;
	params = NULL;
	dmt = task_new(DM_DEVICE_STATUS);
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_no_flush(dmt) ||
	    run_task(dmt, false))
		goto out;
	dm_get_next_target(dmt, NULL, &s, &l, &type, &params);
	/* A reload of another table since: not a pool any more. */
	if (!type || strcmp(type, "vaio-cache-pool") || !params ||
	    !dm_task_get_info(dmt, &info))
		goto out;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->open_count = info.open_count;
	vaio_pool_parse_status(params, p);
	r = 1;
out:
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

static int cmp_pools(const void *a, const void *b)
{
	const struct vaio_pool_info *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int vaio_pool_list(struct vaio_pool_info **pools, int *n, struct vaio_err *err)
{
	struct vaio_pool_info *v = NULL, *nv;
	struct dm_names *names;
	struct dm_task *dmt;
	unsigned int next = 0;
	int r;

	*pools = NULL;
	*n = 0;
	dmt = task_new(DM_DEVICE_LIST);
	if (!dmt)
		return task_failed(err, "listing device-mapper devices");
	r = run_task(dmt, false);
	if (r) {
		dm_task_destroy(dmt);
		return vaio_seterr(err, -r, "listing device-mapper devices: %s",
				   strerror(-r));
	}
	names = dm_task_get_names(dmt);
	if (names && names->dev) {
		do {
			names = (struct dm_names *)((char *)names + next);
			nv = realloc(v, (*n + 1) * sizeof(*v));
			if (!nv) {
				free(v);
				dm_task_destroy(dmt);
				return vaio_seterr(err, ENOMEM, "out of memory");
			}
			v = nv;
			if (pool_info(names->name, &v[*n]))
				(*n)++;
			next = names->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_pools);
	*pools = v;
	return 0;
}

/*
 *--------------------------------------------------------------
 * LUKS2 data areas (vaioctl crypt open, close)
 *--------------------------------------------------------------
 */

int vaio_dm_linear_create(const char *name, const char *uuid,
			  const char *devt, uint64_t offset, uint64_t len,
			  char *out_devt, size_t out_len, struct vaio_err *err)
{
	char params[64], got[DM_UUID_LEN];
	struct dm_task *dmt;
	struct dm_info info;
	int r = 0;

	snprintf(params, sizeof(params), "%.31s %" PRIu64, devt, offset);
	dmt = task_new(DM_DEVICE_CREATE);
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_set_uuid(dmt, uuid) ||
	    !dm_task_add_target(dmt, 0, len, "linear", params)) {
		r = task_failed(err, name);
	} else {
		r = run_task_udev(dmt, UDEV_PRIVATE);
		if (r)
			r = vaio_seterr(err, -r, "creating %s: %s", name,
					dm_last_error[0] ? dm_last_error :
					strerror(-r));
	}
	if (dmt)
		dm_task_destroy(dmt);
	if (r)
		return r;
	if (dev_info(name, &info, got, sizeof(got)) || !info.exists ||
	    strcmp(got, uuid)) {
		remove_named(name, name, true, NULL);
		return vaio_seterr(err, ENODEV, "%s vanished as it was made", name);
	}
	snprintf(out_devt, out_len, "%u:%u", info.major, info.minor);
	return 0;
}

int vaio_dm_uuid(const char *name, char *uuid, size_t len,
		 struct vaio_err *err)
{
	struct dm_info info;
	int r;

	r = dev_info(name, &info, uuid, len);
	if (r)
		return vaio_seterr(err, -r, "%s: cannot ask device-mapper: %s",
				   name, dm_last_error[0] ? dm_last_error :
				   strerror(-r));
	return info.exists ? 1 : 0;
}

int vaio_dm_remove_dev(const char *name, struct vaio_err *err)
{
	return remove_named(name, name, false, err);
}
