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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libdevmapper.h>
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

/* Runs @dmt; with @cookie it waits for udev (or makes the nodes itself). */
static int run_task(struct dm_task *dmt, bool cookie)
{
	uint32_t c = 0;
	int ok;

	dm_last_error[0] = '\0';
	if (cookie && !dm_task_set_cookie(dmt, &c, 0))
		return -EIO;
	ok = dm_task_run(dmt);
	if (cookie)
		dm_udev_wait(c);
	return ok ? 0 : -(dm_task_get_errno(dmt) ?: EIO);
}

bool vaio_dm_exists(const char *name)
{
	struct dm_task *dmt;
	struct dm_info info = { 0 };

	dm_setup();
	dmt = dm_task_create(DM_DEVICE_INFO);
	if (!dmt)
		return false;
	if (dm_task_set_name(dmt, name) && !run_task(dmt, false))
		dm_task_get_info(dmt, &info);
	dm_task_destroy(dmt);
	return info.exists;
}

/* Why the kernel refused @name's table, from the events socket. */
static void table_error(struct vaio_nl *ev, const char *name, char *why,
			size_t len)
{
	struct vaio_notification *n = malloc(sizeof(*n));

	snprintf(why, len, "%s", dm_last_error[0] ? dm_last_error :
		 "the kernel refused the table (see the kernel log)");
	while (n && ev && vaio_nl_next(ev, 0, n, NULL) == 1)
		if (n->cmd == VAIO_CMD_NTF_TABLE_ERROR &&
		    !strcmp(n->disk.dm_name, name))
			snprintf(why, len, "%s", n->error);
	free(n);
}

/* @device's size, and its "major:minor" for the table line in @devt. */
static int device_sectors(const char *device, uint64_t *sectors, char *devt,
			  size_t devt_len, struct vaio_err *err)
{
	struct stat st;
	uint64_t bytes;
	int fd;

	if (stat(device, &st))
		return vaio_seterr(err, errno, "device %s: %s", device,
				   strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return vaio_seterr(err, ENOTBLK, "device %s: not a block device",
				   device);
	/* Not the path: the table line has no room for spaces or escapes. */
	snprintf(devt, devt_len, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
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
	char params[8192], why[512];
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
	dmt = dm_task_create(type);
	/* Filter arguments may be secrets: wipe the ioctl buffers. */
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_secure_data(dmt) ||
	    !dm_task_add_target(dmt, start, len, "vaio", params)) {
		r = vaio_seterr(err, ENOMEM, "disk %s: out of memory", name);
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

	dm_setup();
	if (!vaio_valid_name(name))
		return vaio_seterr(err, EINVAL,
				   "disk name '%s': use up to 63 of A-Z a-z 0-9 . _ : -",
				   name);
	r = device_sectors(device, &sectors, devt, sizeof(devt), err);
	if (r)
		return r;
	if (vaio_dm_exists(name))
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

	dmt = dm_task_create(DM_DEVICE_TABLE);
	if (!dmt || !dm_task_set_name(dmt, name)) {
		r = vaio_seterr(err, ENOMEM, "out of memory");
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

/* Runs @type (RESUME, CLEAR) on @name; 0 or a negative errno. */
static int simple_task(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);
	int r = -ENOMEM;

	if (dmt && dm_task_set_name(dmt, name))
		r = run_task(dmt, type == DM_DEVICE_RESUME);
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int vaio_dm_apply(struct vaio_nl *nl, const char *name,
		  const struct vaio_chain *chain, struct vaio_err *err)
{
	char data_dev[64], id[VAIO_NAME_MAX], why[512];
	struct vaio_disk_info *live = malloc(sizeof(*live));
	struct vaio_chain now;
	uint64_t start = 0, len = 0;
	sigset_t block, old;
	int r;

	dm_setup();
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

	r = simple_task(DM_DEVICE_RESUME, name);
	if (!r)
		goto out;
	/*
	 * The resume failed: either before the swap (the old table is live,
	 * the new one still loaded) or after it. Drop what is loaded, resume
	 * what is live, and say which chain that is.
	 */
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
	free(live);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int vaio_dm_remove(const char *name, struct vaio_err *err)
{
	struct dm_task *dmt;
	int r;

	dm_setup();
	dmt = dm_task_create(DM_DEVICE_REMOVE);
	if (!dmt || !dm_task_set_name(dmt, name)) {
		r = vaio_seterr(err, ENOMEM, "out of memory");
	} else {
		r = run_task(dmt, true);
		if (r == -EBUSY)
			r = vaio_seterr(err, EBUSY, "disk %s: in use (open)",
					name);
		else if (r)
			r = vaio_seterr(err, -r, "disk %s: %s", name,
					dm_last_error[0] ? dm_last_error :
					strerror(-r));
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int vaio_dm_message(const char *name, const char *msg, struct vaio_err *err)
{
	struct dm_task *dmt;
	int r;

	dm_setup();
	dmt = dm_task_create(DM_DEVICE_TARGET_MSG);
	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_set_sector(dmt, 0) ||
	    !dm_task_set_message(dmt, msg)) {
		r = vaio_seterr(err, ENOMEM, "out of memory");
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
	struct dm_task *dmt;
	struct dm_info info = { 0 };
	int r;

	dm_setup();
	dmt = dm_task_create(DM_DEVICE_INFO);
	if (!dmt || !dm_task_set_name(dmt, name)) {
		r = vaio_seterr(err, ENOMEM, "out of memory");
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
		*count = info.open_count;
	}
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

int vaio_pool_create(const char *name, const char *device,
		     struct vaio_err *err)
{
	char devt[32], params[64];
	struct dm_task *dmt;
	uint64_t sectors;
	int r;

	dm_setup();
	if (!vaio_valid_name(name))
		return vaio_seterr(err, EINVAL,
				   "pool name '%s': use up to 63 of A-Z a-z 0-9 . _ : -",
				   name);
	r = device_sectors(device, &sectors, devt, sizeof(devt), err);
	if (r)
		return r;
	if (vaio_dm_exists(name))
		return vaio_seterr(err, EEXIST,
				   "pool %s: a device-mapper device of that name exists",
				   name);
	snprintf(params, sizeof(params), "%s", devt);
	dmt = dm_task_create(DM_DEVICE_CREATE);
	if (!dmt || !dm_task_set_name(dmt, name) ||
	    !dm_task_add_target(dmt, 0, 8, "vaio-cache-pool", params)) {
		r = vaio_seterr(err, ENOMEM, "pool %s: out of memory", name);
	} else {
		r = run_task(dmt, true);
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

/* Fills @p from dm device @name, if its table is a vaio-cache-pool: 1. */
static int pool_info(const char *name, struct vaio_pool_info *p)
{
	struct dm_task *dmt;
	struct dm_info info = { 0 };
	char *type = NULL, *params = NULL;
	uint64_t s, l;
	int r = 0;

	memset(p, 0, sizeof(*p));
	dmt = dm_task_create(DM_DEVICE_STATUS);
	if (!dmt || !dm_task_set_name(dmt, name) || run_task(dmt, false))
		goto out;
	dm_get_next_target(dmt, NULL, &s, &l, &type, &params);
	if (!type || strcmp(type, "vaio-cache-pool") || !params ||
	    !dm_task_get_info(dmt, &info))
		goto out;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->open_count = info.open_count;
	if (sscanf(params, "block_size 4096 blocks %" SCNu64 " used %" SCNu64
		   " filling %" SCNu64 " free %" SCNu64 " disks %u reserved_pct %u"
		   " state %15s errors %" SCNu64 " dirty %" SCNu64, &p->blocks,
		   &p->used, &p->filling, &p->free, &p->disks, &p->reserved_pct,
		   p->state, &p->errors, &p->dirty) != 9)
		snprintf(p->state, sizeof(p->state), "unknown");
	dm_task_destroy(dmt);
	/* The cache device, from the table. */
	dmt = dm_task_create(DM_DEVICE_TABLE);
	if (dmt && dm_task_set_name(dmt, name) && !run_task(dmt, false)) {
		dm_get_next_target(dmt, NULL, &s, &l, &type, &params);
		if (params)
			snprintf(p->device, sizeof(p->device), "%s", params);
	}
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

	dm_setup();
	*pools = NULL;
	*n = 0;
	dmt = dm_task_create(DM_DEVICE_LIST);
	if (!dmt)
		return vaio_seterr(err, ENOMEM, "out of memory");
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
