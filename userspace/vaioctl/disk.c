// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the disk object: create, remove, list, show.
 */
#include "vaioctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/*
 *--------------------------------------------------------------
 * disk
 *--------------------------------------------------------------
 */

/*
 * Dies unless block device @dev (of identity @id, "" for none) is no
 * recorded disk's already: by the same device now, or the same identity.
 */
static void disk_device_unused(const char *dev, const char *id)
{
	char devt[32], other[32];
	struct vaio_disk_conf c;
	struct vaio_err err;
	char **names;
	int n, i;

	if (vaio_blkdev_devt(dev, devt, sizeof(devt), &err) ||
	    vaio_disk_names(&names, &n, &err))
		die_err(&err);
	for (i = 0; i < n; i++) {
		/* It may be of this device: which, nobody can tell. */
		if (vaio_disk_conf_load(names[i], &c, &err))
			die(EXIT_FAIL, "%s; fix or remove that record first", err.msg);
		/*
		 * The same identity; or the same device by path, unless that
		 * record's identity says its device is another one now.
		 */
		if ((id[0] && !strcmp(id, c.identity)) ||
		    ((!c.identity[0] || !strcmp(id, c.identity)) &&
		     !vaio_blkdev_devt(c.device, other, sizeof(other), NULL) &&
		     !strcmp(other, devt)))
			die(EXIT_FAIL, "device %s is disk %s's device already (%s)",
			    dev, names[i], c.identity[0] ? c.identity : c.device);
	}
	vaio_names_free(names, n);
}

int disk_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct vaio_disk_conf d;
	struct vaio_policy p;
	struct vaio_err err;
	const char *policy = "";
	int c, lock;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "P:h", opts, NULL)) != -1) {
		if (c == 'P')
			policy = optarg;
		else if (c == 'h')
			usage(usage_disk, EXIT_OK);
		else
			usage(usage_disk, EXIT_USAGE);
	}
	argc -= optind - 1;
	argv += optind - 1;
	want_args(argc, argv, 2, usage_disk);
	check_name("disk", argv[0]);
	if (argv[1][0] != '/')
		die(EXIT_FAIL, "device '%s': give the device's path, /dev/...", argv[1]);

	lock = lock_conf(&err);
	if (lock < 0)
		die_err(&err);
	if (vaio_disk_conf_exists(argv[0]))
		die(EXIT_FAIL, "disk %s exists already", argv[0]);
	memset(&d, 0, sizeof(d));
	if (vaio_dev_identity(argv[1], d.identity, sizeof(d.identity), &err))
		die_err(&err);
	disk_device_unused(argv[1], d.identity);
	memset(&p, 0, sizeof(p));
	if (policy[0]) {
		check_name("policy", policy);
		if (vaio_policy_load(policy, &p, &err))
			die_err(&err);
	}
	if (vaio_dm_create(nl(), argv[0], argv[1], &p.chain, &err))
		die_err(&err);
	strcpy(d.name, argv[0]);
	snprintf(d.device, sizeof(d.device), "%s", argv[1]);
	strcpy(d.policy, policy);
	if (vaio_disk_conf_save(&d, &err)) {
		vaio_dm_remove(argv[0], NULL);
		die_err(&err);
	}
	unlock_conf(lock);
	if (!d.identity[0])
		fprintf(stderr, "vaioctl: %s has no stable identity (no serial, WWID or device-mapper uuid): recorded by its path, which a reboot may give another device\n",
			argv[1]);
	return EXIT_OK;
}

/* Dirty blocks of live disk @name's cache: 0 without a cache, -1 unknown. */
static long long disk_dirty(const char *name)
{
	struct vaio_disk_info *d = malloc(sizeof(*d));
	struct vaio_err err;
	long long dirty = -1;
	int i, r;

	r = d ? find_disk(name, d, &err) : -ENOMEM;
	if (r == -ENODEV) {
		dirty = 0;	/* gone: nothing of it to keep */
	} else if (!r) {
		for (i = 0; i < d->nfilters && strcmp(d->filters[i].type, "cache"); i++)
			;
		dirty = i == d->nfilters ? 0 : filter_word(d, "cache", "dirty");
	}
	free(d);
	return dirty;
}

int disk_remove(int argc, char **argv)
{
	static const struct vaio_chain none;
	struct vaio_disk_conf d;
	struct vaio_err err;
	long long dirty;
	int lock, r;

	want_args(argc, argv, 1, usage_disk);
	check_name("disk", argv[0]);
	lock = lock_conf(&err);
	if (lock < 0 || vaio_disk_conf_load(argv[0], &d, &err))
		die_err(&err);
	/*
	 * A write-back cache's dirty blocks go below first, as before a
	 * policy change: a disk below that cannot take them keeps the disk.
	 */
	/* A device-mapper that cannot say whether it is there: kept. */
	r = vaio_dm_state(argv[0], &err);
	if (r < 0 || (r && cache_drain(argv[0], &none, &err)))
		die_err(&err);
	/* Blocks the cache may not write below (said why): they are the newest. */
	if (r && (dirty = disk_dirty(argv[0])) < 0)
		die(EXIT_FAIL, "disk %s: cannot read its cache's dirty blocks; not removed",
		    argv[0]);
	if (r && dirty > 0)
		die(EXIT_FAIL, "disk %s: its cache still holds %lld dirty blocks, newer than the disk below; not removed (see the kernel log)",
		    argv[0], dirty);
	if (r && vaio_dm_remove(argv[0], &err))
		die_err(&err);
	if (vaio_disk_conf_delete(argv[0], &err))
		die_err(&err);
	unlock_conf(lock);
	return EXIT_OK;
}

/* A disk: the kernel's view @k, and with @conf the configuration's @c. */
struct json_object *json_disk(const struct vaio_disk_info *k,
				     const struct vaio_disk_conf *c, bool conf)
{
	struct json_object *o = json_object_new_object();
	struct json_object *fs = json_object_new_array();
	int i;

	json_object_object_add(o, "disk", json_object_new_string(c ? c->name : k->dm_name));
	json_object_object_add(o, "state", json_object_new_string(k ? "active" : "absent"));
	if (conf) {
		json_object_object_add(o, "managed", json_object_new_boolean(c != NULL));
		json_object_object_add(o, "device",
				       c ? json_object_new_string(c->device) : NULL);
		json_object_object_add(o, "identity", c && c->identity[0] ?
				       json_object_new_string(c->identity) : NULL);
		json_object_object_add(o, "policy", c && c->policy[0] ?
				       json_object_new_string(c->policy) : NULL);
	}
	if (k) {
		json_object_object_add(o, "disk_id", json_object_new_string(k->id));
		json_object_object_add(o, "dm_name", json_object_new_string(k->dm_name));
		json_object_object_add(o, "dm_dev", json_object_new_string(k->dm_dev));
		json_object_object_add(o, "data_dev", json_object_new_string(k->data_dev));
		json_object_object_add(o, "sectors", json_object_new_uint64(k->sectors));
		json_object_object_add(o, "stats", json_stats(&k->st));
		for (i = 0; i < k->nfilters; i++)
			json_object_array_add(fs, json_filter(&k->filters[i]));
	}
	json_object_object_add(o, "filters", fs);
	return o;
}

/* Kernel disks and configured disks, by name. */
struct disk_row {
	char name[128];
	struct vaio_disk_info *k;
	struct vaio_disk_conf *c;
	bool unreadable;	/* a record that does not read */
};

/*
 * The disks, live and recorded; @only: that disk's record alone. Returns
 * how many records did not read (each said on stderr).
 */
static int collect_disks(struct disk_row **rows, int *nrows,
			 struct vaio_disk_info **kd, struct vaio_disk_conf **cd,
			 const char *only)
{
	struct vaio_err err;
	char **names;
	int nk, nc, i, j, n = 0, bad = 0;

	if (vaio_disk_list(nl(), kd, &nk, &err) ||
	    vaio_disk_names(&names, &nc, &err))
		die_err(&err);
	*cd = calloc(nc + 1, sizeof(**cd));
	*rows = calloc(nk + nc + 1, sizeof(**rows));
	if (!*cd || !*rows)
		die(EXIT_FAIL, "out of memory");
	for (i = 0; i < nc; i++) {
		if (only && strcmp(names[i], only))
			continue;
		snprintf((*rows)[n].name, sizeof((*rows)[n].name), "%s", names[i]);
		if (vaio_disk_conf_load(names[i], &(*cd)[i], &err)) {
			/* Listed as such, never as unmanaged. */
			fprintf(stderr, "vaioctl: %s\n", err.msg);
			bad++;
			(*rows)[n++].unreadable = true;
			continue;
		}
		(*rows)[n++].c = &(*cd)[i];
	}
	for (i = 0; i < nk; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp((*rows)[j].name, (*kd)[i].dm_name))
				break;
		if (j == n)
			snprintf((*rows)[n++].name, sizeof((*rows)[0].name), "%s",
				 (*kd)[i].dm_name);
		(*rows)[j].k = &(*kd)[i];
	}
	vaio_names_free(names, nc);
	*nrows = n;
	return bad;
}

void filters_line(const struct vaio_disk_info *k, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; k && i < k->nfilters && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s(%s)", i ? " " : "",
			      k->filters[i].type, vaio_state_name(k->filters[i].state));
	if (!buf[0])
		snprintf(buf, len, "-");
}

int disk_list(int argc, char **argv)
{
	struct json_object *arr = json_object_new_array();
	struct vaio_disk_info *kd;
	struct vaio_disk_conf *cd;
	struct disk_row *rows;
	char fl[1024];
	int n, i, bad;

	want_args(argc, argv, 0, usage_disk);
	/* A record that does not read: the rest listed, the exit status 1. */
	bad = collect_disks(&rows, &n, &kd, &cd, NULL);
	if (!json_out)
		printf("%-20s %-8s %-16s %-20s %s\n", "NAME", "STATE", "POLICY",
		       "DEVICE", "FILTERS");
	for (i = 0; i < n; i++) {
		if (json_out && rows[i].unreadable) {
			struct json_object *o = rows[i].k ?
				json_disk(rows[i].k, NULL, true) : json_object_new_object();

			json_object_object_add(o, "disk", json_object_new_string(rows[i].name));
			json_object_object_add(o, "managed", NULL);
			json_object_object_add(o, "error", json_object_new_string("record unreadable"));
			json_object_array_add(arr, o);
			continue;
		}
		if (json_out) {
			json_object_array_add(arr, json_disk(rows[i].k, rows[i].c, true));
			continue;
		}
		filters_line(rows[i].k, fl, sizeof(fl));
		printf("%-20s %-8s %-16s %-20s %s\n", rows[i].name,
		       rows[i].k ? "active" : "absent",
		       rows[i].unreadable ? "(unreadable)" :
		       rows[i].c ? (rows[i].c->policy[0] ? rows[i].c->policy : "-") :
				   "(unmanaged)",
		       rows[i].c ? rows[i].c->device : rows[i].k ? rows[i].k->data_dev : "-",
		       fl);
	}
	if (json_out)
		print_json(arr);
	else
		json_object_put(arr);
	free(rows);
	free(kd);
	free(cd);
	return bad ? EXIT_FAIL : EXIT_OK;
}

static void print_disk(const struct vaio_disk_info *k,
		       const struct vaio_disk_conf *c, const char *name)
{
	int i, j;

	printf("disk %s\n", name);
	printf("    state %s%s\n", k ? "active" : "absent",
	       c ? "" : ", not managed by vaioctl");
	if (c)
		printf("    device %s (%s)\n    policy %s\n", c->device,
		       c->identity[0] ? c->identity : "no identity",
		       c->policy[0] ? c->policy : "-");
	if (!k)
		return;
	printf("    disk_id %s  dm %s (%s)  data %s  sectors %llu\n", k->id,
	       k->dm_name, k->dm_dev, k->data_dev,
	       (unsigned long long)k->sectors);
	printf("    reads %llu writes %llu read_bytes %llu write_bytes %llu flushes %llu discards %llu errors %llu\n",
	       (unsigned long long)k->st.reads, (unsigned long long)k->st.writes,
	       (unsigned long long)k->st.read_sectors << 9,
	       (unsigned long long)k->st.write_sectors << 9,
	       (unsigned long long)k->st.flushes,
	       (unsigned long long)k->st.discards,
	       (unsigned long long)k->st.errors);
	for (i = 0; i < k->nfilters; i++) {
		const struct vaio_filter_info *f = &k->filters[i];

		printf("    filter %s class %s state %s fail %s\n", f->type,
		       vaio_class_name(f->class), vaio_state_name(f->state),
		       fail_name(f->fail_mode));
		if (f->fail_reason[0])
			printf("        reason %s\n", f->fail_reason);
		printf("        args");
		for (j = 0; j < f->argc; j++)
			printf(" %s", f->argv[j]);
		printf("%s\n        status %s\n", f->argc ? "" : " -",
		       f->status[0] ? f->status : "-");
	}
}

int disk_show(int argc, char **argv)
{
	struct vaio_disk_info *kd;
	struct vaio_disk_conf *cd;
	struct disk_row *rows;
	int n, i;

	want_args(argc, argv, 1, usage_disk);
	/* Its record does not read (said): not shown as unmanaged. */
	if (collect_disks(&rows, &n, &kd, &cd, argv[0]))
		exit(EXIT_FAIL);
	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].name, argv[0]))
			break;
	if (i == n)
		die(EXIT_FAIL, "disk %s does not exist", argv[0]);
	if (json_out)
		print_json(json_disk(rows[i].k, rows[i].c, true));
	else
		print_disk(rows[i].k, rows[i].c, rows[i].name);
	free(rows);
	free(kd);
	free(cd);
	return EXIT_OK;
}
