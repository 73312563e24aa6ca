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
void disk_device_unused(const char *dev, const char *id)
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
	if (crypt_device_check(argv[1], &p, &err))
		die_err(&err);
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

/*
 * A disk's fields into the open object: the kernel's view @k, and with
 * @conf the configuration's @c (NULL: not recorded, or with @unreadable a
 * record that does not read), named @name; in the text as @style says:
 * disk show's paragraph, disk list's row, monitor's words or none.
 */
void print_disk(const struct vaio_disk_info *k, const struct vaio_disk_conf *c,
		bool conf, bool unreadable, const char *name,
		enum disk_style style)
{
	static const struct {
		const char *disk, *state, *id, *dm_name, *dm_dev, *data_dev,
			*sectors;
	} fmts[] = {
		[DISK_SHOW] = { "disk %s\n", "    state %s", "    disk_id %s",
				"  dm %s", " (%s)", "  data %s",
				"  sectors %llu\n" },
		[DISK_ROW] = { "%-20s ", "%-8s " },
		[DISK_EVENT] = { NULL, NULL, " %s", " dm %s", " (%s)", " data %s" },
		[DISK_JSON] = { },
	};
	const struct vaio_stats_info *st = k ? &k->st : NULL;
	enum output_type tc, ts = style == DISK_SHOW ? PRINT_ANY : PRINT_JSON;
	char fl[1024];
	int i;

#define T(fmt) ((fmt) ? PRINT_ANY : PRINT_JSON)
	print_string(T(fmts[style].disk), "disk", fmts[style].disk, name);
	print_string(T(fmts[style].state), "state", fmts[style].state,
		     k ? "active" : "absent");
	if (conf) {
		if (unreadable)
			print_null(PRINT_JSON, "managed", NULL, NULL);
		else
			print_bool(PRINT_JSON, "managed", NULL, c != NULL);
		if (style == DISK_SHOW)
			print_text("%s\n", c ? "" : ", not managed by vaioctl");
		/* disk show: a paragraph of the record's, if there is one. */
		tc = c && style == DISK_SHOW ? PRINT_ANY : PRINT_JSON;
		print_string(tc, "device", "    device %s", c ? c->device : NULL);
		if (c && c->identity[0])
			print_string(tc, "identity", " (%s)\n", c->identity);
		else
			print_null(tc, "identity", " (%s)\n", "no identity");
		if (style == DISK_ROW && !c)
			print_null(PRINT_ANY, "policy", "%-16s ",
				   unreadable ? "(unreadable)" : "(unmanaged)");
		else
			print_string(style == DISK_ROW ? PRINT_ANY : tc, "policy",
				     style == DISK_ROW ? "%-16s " : "    policy %s\n",
				     c && c->policy[0] ? c->policy : NULL);
		if (style == DISK_ROW)
			print_text("%-20s ", c ? c->device : k ? k->data_dev : "-");
	}
	if (k) {
		print_string(T(fmts[style].id), "disk_id", fmts[style].id, k->id);
		print_string(T(fmts[style].dm_name), "dm_name", fmts[style].dm_name,
			     k->dm_name);
		print_string(T(fmts[style].dm_dev), "dm_dev", fmts[style].dm_dev,
			     k->dm_dev);
		print_string(T(fmts[style].data_dev), "data_dev",
			     fmts[style].data_dev, k->data_dev);
		print_u64(T(fmts[style].sectors), "sectors", fmts[style].sectors,
			  k->sectors);
		open_json_object("stats");
		print_u64(ts, "reads", "    reads %llu", st->reads);
		print_u64(ts, "writes", " writes %llu", st->writes);
		print_u64(ts, "read_bytes", " read_bytes %llu", st->read_sectors << 9);
		print_u64(ts, "write_bytes", " write_bytes %llu",
			  st->write_sectors << 9);
		print_u64(ts, "flushes", " flushes %llu", st->flushes);
		print_u64(ts, "discards", " discards %llu", st->discards);
		print_u64(ts, "errors", " errors %llu\n", st->errors);
		close_json_object();
	}
	/* disk list and monitor: "TYPE(STATE) ..." in the text. */
	if (style == DISK_ROW || style == DISK_EVENT) {
		filters_line(k, fl, sizeof(fl));
		print_text(style == DISK_ROW ? "%s\n" : " filters %s\n", fl);
	}
	open_json_array("filters");
	for (i = 0; k && i < k->nfilters; i++)
		print_filter(NULL, &k->filters[i],
			     style == DISK_SHOW ? FILTER_SHOW : FILTER_JSON);
	close_json_array();
#undef T
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
	struct vaio_disk_info *kd;
	struct vaio_disk_conf *cd;
	struct disk_row *rows;
	int n, i, bad;

	want_args(argc, argv, 0, usage_disk);
	/* A record that does not read: the rest listed, the exit status 1. */
	bad = collect_disks(&rows, &n, &kd, &cd, NULL);
	print_text("%-20s %-8s %-16s %-20s %s\n", "NAME", "STATE", "POLICY",
		   "DEVICE", "FILTERS");
	open_json_array(NULL);
	for (i = 0; i < n; i++) {
		open_json_object(NULL);
		if (rows[i].unreadable && !rows[i].k) {
			/* Nothing known of it but its name. */
			print_string(PRINT_ANY, "disk", "%-20s ", rows[i].name);
			print_text("%-8s ", "absent");
			print_null(PRINT_ANY, "managed", "%-16s ", "(unreadable)");
			print_text("%-20s %s\n", "-", "-");
		} else {
			print_disk(rows[i].k, rows[i].c, true, rows[i].unreadable,
				   rows[i].name, DISK_ROW);
		}
		if (rows[i].unreadable)
			print_string(PRINT_JSON, "error", NULL, "record unreadable");
		close_json_object();
	}
	close_json_array();
	free(rows);
	free(kd);
	free(cd);
	return bad ? EXIT_FAIL : EXIT_OK;
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
	open_json_object(NULL);
	print_disk(rows[i].k, rows[i].c, true, false, rows[i].name, DISK_SHOW);
	close_json_object();
	free(rows);
	free(kd);
	free(cd);
	return EXIT_OK;
}
