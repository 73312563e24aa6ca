// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the apply object.
 */
#include "vaioctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/*
 *--------------------------------------------------------------
 * apply
 *--------------------------------------------------------------
 */

/*
 * Is the device of record @d the one it was made of? Its identity now must
 * be the recorded one (a record without one, from before them, or of a
 * device without one, is taken as it is).
 */
static int disk_identity_check(const struct vaio_disk_conf *d,
			       struct vaio_err *err)
{
	char now[sizeof(d->identity)];
	struct vaio_err e;
	int r;

	if (!d->identity[0])
		return 0;
	r = vaio_dev_identity(d->device, now, sizeof(now), &e);
	if (r)
		return vaio_seterr(err, -r, "disk %s: %s; not created", d->name,
				   e.msg);
	if (strcmp(now, d->identity))
		return vaio_seterr(err, ENXIO,
				   "disk %s: %s is %s now, not the recorded %s (renumbered?); not created",
				   d->name, d->device, now[0] ? now : "a device without identity",
				   d->identity);
	return 0;
}

/*
 * A record from before identities, of live disk @k: if the recorded path
 * is the device the disk runs on, its identity is recorded now (as a pool
 * record gets its pool's uuid), so that the next boot checks it.
 */
static int disk_identity_backfill(struct vaio_disk_conf *d,
				  const struct vaio_disk_info *k,
				  struct vaio_err *err)
{
	char devt[32];

	if (d->identity[0] ||
	    vaio_blkdev_devt(d->device, devt, sizeof(devt), NULL) ||
	    strcmp(devt, k->data_dev) ||
	    vaio_dev_identity(d->device, d->identity, sizeof(d->identity), err) ||
	    !d->identity[0])
		return 0;
	return vaio_disk_conf_save(d, err);
}

/* Brings disk @name in line with its record; says what it did. */
static int apply_disk(const char *name, const char **did, struct vaio_err *err)
{
	struct vaio_disk_info *k = malloc(sizeof(*k));
	struct vaio_disk_conf d;
	struct vaio_policy p;
	struct vaio_chain live;
	int r;

	*did = "failed";
	memset(&p, 0, sizeof(p));
	r = k ? 0 : vaio_seterr(err, ENOMEM, "out of memory");
	if (!r)
		r = vaio_disk_conf_load(name, &d, err);
	if (!r && d.policy[0])
		r = vaio_policy_load(d.policy, &p, err);
	if (r)
		goto out;
	r = vaio_dm_state(name, err);
	if (r < 0)
		goto out;
	if (!r) {
		r = disk_identity_check(&d, err);
		if (!r)
			r = crypt_device_check(d.device, &p, err);
		if (!r)
			r = vaio_dm_create(nl(), name, d.device, &p.chain, err);
		if (!r)
			*did = "created";
		goto out;
	}
	r = find_disk(name, k, err);
	if (r)
		goto out;
	r = disk_identity_backfill(&d, k, err);
	if (r)
		goto out;
	vaio_chain_from_disk(k, &live);
	if (vaio_chain_equal(&live, &p.chain)) {
		*did = "unchanged";
		goto out;
	}
	r = cache_drain(name, &p.chain, err);
	if (!r)
		r = vaio_dm_apply(nl(), name, &p.chain, err);
	if (!r)
		*did = "updated";
out:
	free(k);
	return r;
}

/* A record from before pool uuids gets the uuid of the pool it made. */
static int pool_record_uuid(struct vaio_pool_conf *c, struct vaio_err *err)
{
	struct vaio_pool_info *pools;
	char **names;
	int n, i, r;

	r = vaio_pool_list(&pools, &n, err);
	if (r)
		return r;
	for (i = 0; i < n; i++)
		if (!strcmp(pools[i].name, c->name) && pools[i].uuid[0])
			snprintf(c->uuid, sizeof(c->uuid), "%s", pools[i].uuid);
	free(pools);
	if (!c->uuid[0])
		return 0;
	r = vaio_pool_names(&names, &n, err);
	if (r)
		return r;
	for (i = 0; i < n && !r; i++) {
		struct vaio_pool_conf o;

		if (strcmp(names[i], c->name) && !vaio_pool_conf_load(names[i], &o, err) &&
		    !strcmp(o.uuid, c->uuid))
			r = vaio_seterr(err, EEXIST,
					"pool %s: the pool made is pool %s's (uuid %s): a device renumbered?",
					c->name, names[i], c->uuid);
	}
	vaio_names_free(names, n);
	return r ? r : vaio_pool_conf_save(c, err);
}

/* Creates recorded pool @name if it does not exist; says what it did. */
static int apply_pool(const char *name, const char **did, struct vaio_err *err)
{
	struct vaio_pool_conf *c = malloc(sizeof(*c));
	int r = c ? vaio_pool_conf_load(name, c, err) :
		vaio_seterr(err, ENOMEM, "out of memory");
	bool given;

	*did = "unchanged";
	/*
	 * Its linear device too, in the recorded order: the same layout (a
	 * record without "block_size" gets the pool's, from its superblock:
	 * the devices are cut in blocks of it). The pool recorded, no other
	 * (its uuid), and nothing formatted: a device without the pool is
	 * refused.
	 */
	if (!r)
		r = vaio_dm_state(name, err);
	if (r > 0) {
		r = 0;		/* there */
	} else if (!r) {
		given = c->block_size_given;
		r = vaio_pool_create(c, err);
		*did = "created";
		if (!r && !c->uuid[0])
			r = pool_record_uuid(c, err);
		else if (!r && !given && c->block_size != VAIO_POOL_BLOCK_DEFAULT)
			r = vaio_pool_conf_save(c, err);	/* its size found */
	}
	if (r)
		*did = "failed";
	free(c);
	return r;
}

/*
 * One result of apply: an object {WHAT: NAME, "result", "error"} with -j,
 * else a line ("pool NAME: created", "NAME: unchanged"), errors on
 * standard error.
 */
static void apply_report(const char *what, const char *name, int r,
			 const char *did, const struct vaio_err *err)
{
	const char *prefix = strcmp(what, "pool") ? "" : "pool ";

	if (r && !json_out)
		fprintf(stderr, "vaioctl: %s%s: %s\n", prefix, name, err->msg);
	open_json_object(NULL);
	print_text("%s", r ? "" : prefix);
	print_string(r ? PRINT_JSON : PRINT_ANY, what, "%s", name);
	print_string(r ? PRINT_JSON : PRINT_ANY, "result", ": %s\n", did);
	if (r)
		print_string(PRINT_JSON, "error", NULL, err->msg);
	close_json_object();
}

/*
 * --down: removes recorded disk @name's device if it is there and is a
 * vaio disk of that name (a device of that name that is not one is left
 * alone); says what it did. The kernel writes a write-back cache's dirty
 * blocks below as the disk goes, or keeps them in the pool, which is
 * persistent; replication keeps what the peer lacks in its bitmap.
 */
static int down_disk(const char *name, const char **did, struct vaio_err *err)
{
	struct vaio_disk_info *k;
	int r = vaio_dm_state(name, err);

	*did = r ? "failed" : "absent";
	if (r <= 0)
		return r;
	k = malloc(sizeof(*k));
	r = k ? vaio_disk_find(nl(), name, false, k, err) :
		vaio_seterr(err, ENOMEM, "out of memory");
	free(k);
	if (r == -ENODEV)
		return vaio_seterr(err, ENODEV,
				   "%s is not a vaio disk; left alone", name);
	if (!r)
		r = vaio_dm_remove(name, err);
	if (!r)
		*did = "removed";
	return r;
}

/* --down: recorded pool @name, if it is there and is a cache pool. */
static int down_pool(const char *name, const char **did, struct vaio_err *err)
{
	struct vaio_pool_info *live;
	int n, i, r = vaio_dm_state(name, err);

	*did = r ? "failed" : "absent";
	if (r <= 0)
		return r;
	r = vaio_pool_list(&live, &n, err);
	if (r)
		return r;
	for (i = 0; i < n && strcmp(live[i].name, name); i++)
		;
	free(live);
	if (i == n)
		return vaio_seterr(err, ENODEV,
				   "%s is not a cache pool; left alone", name);
	r = vaio_pool_remove(name, err);
	if (!r)
		*did = "removed";
	return r;
}

/* What apply does to one recorded object: apply_disk(), down_pool()... */
typedef int (*apply_fn)(const char *name, const char **did,
			struct vaio_err *err);

/*
 * @fn on every recorded @what ("disk" or "pool"), reported; a
 * signal held stops it between two (the one under way finishes). False
 * if one failed.
 */
static bool apply_each(const char *what, apply_fn fn)
{
	struct vaio_err err;
	const char *did;
	char **names;
	bool ok = true;
	int n, i;

	if ((strcmp(what, "pool") ? vaio_disk_names : vaio_pool_names)(&names, &n, &err))
		die_err(&err);
	for (i = 0; i < n && !held_signal(); i++) {
		int r = fn(names[i], &did, &err);

		if (r)
			ok = false;
		apply_report(what, names[i], r, did, &err);
	}
	vaio_names_free(names, n);
	return ok;
}

int apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "down", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct vaio_err err;
	bool down = false, ok;
	int o, lock;

	optind = 0;
	while ((o = getopt_long(argc + 1, argv - 1, "dh", opts, NULL)) != -1) {
		if (o == 'd')
			down = true;
		else if (o == 'h')
			usage(usage_apply, EXIT_OK);
		else
			usage(usage_apply, EXIT_USAGE);
	}
	argc -= optind - 1;
	argv += optind - 1;
	want_args(argc, argv, 0, usage_apply);
	lock = lock_conf(&err);
	if (lock < 0)
		die_err(&err);
	open_json_array(NULL);
	if (down) {
		/*
		 * --down (vaio-apply.service's ExecStop): the disks first, they
		 * hold their pools; the records stay, the next apply makes them
		 * again. A disk in use stays, and so does its pool.
		 */
		ok = apply_each("disk", down_disk);
		ok &= apply_each("pool", down_pool);
	} else {
		/* Cache pools first: the disks' cache filters name them. */
		ok = apply_each("pool", apply_pool);
		ok &= apply_each("disk", apply_disk);
	}
	close_json_array();
	unlock_conf(lock);
	return ok ? EXIT_OK : EXIT_FAIL;
}
