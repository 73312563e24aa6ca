// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the repl object.
 */
#include "vaioctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

/*
 *--------------------------------------------------------------
 * repl
 *--------------------------------------------------------------
 */

static struct vaio_nl *repl_sock;

static struct vaio_nl *repl_nl(void)
{
	struct vaio_err err;

	if (!repl_sock) {
		repl_sock = vaio_repl_open(false, &err);
		if (!repl_sock)
			die_err(&err);
	}
	return repl_sock;
}

/*
 * The replicated disk @name: a disk_id, or failing that the dm name of a
 * vaio disk whose disk_id differs.
 */
static void repl_find(const char *name, struct vaio_repl_info *info)
{
	struct vaio_disk_info *d;
	struct vaio_nl *v;
	struct vaio_err err;
	int r;

	r = vaio_repl_get(repl_nl(), name, info, &err);
	if (r != -ENODEV) {
		if (r)
			die_err(&err);
		return;
	}
	d = malloc(sizeof(*d));
	v = d ? vaio_nl_open(false, NULL) : NULL;
	if (v && !vaio_disk_find(v, name, false, d, NULL) &&
	    strcmp(d->id, name) && !vaio_repl_get(repl_nl(), d->id, info, NULL))
		r = 0;
	vaio_nl_close(v);
	free(d);
	if (r)
		die(EXIT_FAIL, "no replicated disk %s", name);
}

static int cmp_repl(const void *a, const void *b)
{
	const struct vaio_repl_info *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static struct json_object *json_str_or_null(const char *s, bool present)
{
	return present ? json_object_new_string(s) : NULL;
}

static int verify_pct(const struct vaio_repl_info *r)
{
	if (!r->verify_total)
		return 0;
	return (int)(r->verify_done * 100 / r->verify_total);
}

static struct json_object *json_repl_verify(const struct vaio_repl_info *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "state",
			       json_object_new_string(vaio_repl_verify_name(r->verify_state)));
	json_object_object_add(o, "total_bytes", json_object_new_uint64(r->verify_total));
	json_object_object_add(o, "done_bytes", json_object_new_uint64(r->verify_done));
	json_object_object_add(o, "pct", json_object_new_int(verify_pct(r)));
	json_object_object_add(o, "bps", json_object_new_uint64(r->verify_bps));
	json_object_object_add(o, "diff_bytes", json_object_new_uint64(r->verify_diff));
	json_object_object_add(o, "diff_extents",
			       json_object_new_uint64(r->verify_extents));
	return o;
}

static struct json_object *json_repl_marks(const struct vaio_repl_info *r)
{
	struct json_object *arr = json_object_new_array();
	int i;

	for (i = 0; i < r->nr_marks; i++) {
		const struct vaio_repl_mark_info *m = &r->marks[i];
		struct json_object *o = json_object_new_object();
		char gen[24];

		snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)m->gen);
		json_object_object_add(o, "tag", json_object_new_string(m->tag));
		json_object_object_add(o, "time", json_object_new_uint64(m->time));
		json_object_object_add(o, "gen", json_object_new_string(gen));
		json_object_object_add(o, "on_replica",
				       json_object_new_boolean(m->on_replica));
		json_object_object_add(o, "writes_after",
				       json_object_new_uint64(m->writes_after));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *json_repl(const struct vaio_repl_info *r)
{
	struct json_object *o = json_object_new_object(), *hist;
	char gen[24];
	int i;

	snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)r->gen);
	json_object_object_add(o, "disk", json_object_new_string(r->id));
	json_object_object_add(o, "role",
			       json_object_new_string(vaio_repl_role_name(r->role)));
	json_object_object_add(o, "mode", json_str_or_null(vaio_repl_mode_name(r->mode),
							   r->mode >= 0));
	json_object_object_add(o, "conn",
			       json_object_new_string(vaio_repl_conn_name(r->conn)));
	json_object_object_add(o, "peer", json_str_or_null(r->peer, r->has_live));
	json_object_object_add(o, "remote_disk",
			       json_str_or_null(r->remote_disk, r->has_live));
	json_object_object_add(o, "reason", json_str_or_null(r->reason, r->reason[0]));
	json_object_object_add(o, "consistent", json_object_new_boolean(r->consistent));
	json_object_object_add(o, "new_pair", json_object_new_boolean(r->new_pair));
	json_object_object_add(o, "gen", json_object_new_string(gen));
	hist = json_object_new_array();
	for (i = 0; i < VAIO_REPL_GEN_HISTORY && r->history[i]; i++) {
		snprintf(gen, sizeof(gen), "%016llx",
			 (unsigned long long)r->history[i]);
		json_object_array_add(hist, json_object_new_string(gen));
	}
	json_object_object_add(o, "history", hist);
	json_object_object_add(o, "sectors", json_object_new_uint64(r->sectors));
	json_object_object_add(o, "lag_writes", json_object_new_uint64(r->lag_writes));
	json_object_object_add(o, "lag_bytes", json_object_new_uint64(r->lag_bytes));
	json_object_object_add(o, "lag_ms", json_object_new_uint64(r->lag_ms));
	json_object_object_add(o, "oos_bytes", json_object_new_uint64(r->oos_bytes));
	json_object_object_add(o, "sync_total", json_object_new_uint64(r->sync_total));
	json_object_object_add(o, "sync_bps", json_object_new_uint64(r->sync_bps));
	json_object_object_add(o, "sync_pct", json_object_new_int(vaio_repl_sync_pct(r)));
	json_object_object_add(o, "sync_eta_s",
			       json_object_new_uint64(vaio_repl_sync_eta(r)));
	json_object_object_add(o, "sent_writes", json_object_new_uint64(r->sent_writes));
	json_object_object_add(o, "acked_writes",
			       json_object_new_uint64(r->acked_writes));
	json_object_object_add(o, "recv_writes", json_object_new_uint64(r->recv_writes));
	json_object_object_add(o, "resynced_bytes",
			       json_object_new_uint64(r->resynced_bytes));
	json_object_object_add(o, "connects", json_object_new_uint64(r->connects));
	json_object_object_add(o, "verify", json_repl_verify(r));
	json_object_object_add(o, "marks", json_repl_marks(r));
	return o;
}

static void print_repl(const struct vaio_repl_info *r)
{
	printf("%s: %s %s %s peer %s remote %s\n", r->id,
	       vaio_repl_role_name(r->role),
	       r->mode >= 0 ? vaio_repl_mode_name(r->mode) : "-",
	       vaio_repl_conn_name(r->conn), r->has_live ? r->peer : "-",
	       r->has_live && r->remote_disk[0] ? r->remote_disk : "-");
	printf("  lag %llu writes %llu KiB %llu ms  out-of-sync %llu KiB  resync %d%% %llu KiB/s eta %llu s\n",
	       (unsigned long long)r->lag_writes,
	       (unsigned long long)r->lag_bytes >> 10,
	       (unsigned long long)r->lag_ms,
	       (unsigned long long)r->oos_bytes >> 10, vaio_repl_sync_pct(r),
	       (unsigned long long)r->sync_bps >> 10,
	       (unsigned long long)vaio_repl_sync_eta(r));
	printf("  gen %016llx  consistent %s  new-pair %s  sectors %llu  connects %llu\n",
	       (unsigned long long)r->gen, r->consistent ? "yes" : "no",
	       r->new_pair ? "yes" : "no", (unsigned long long)r->sectors,
	       (unsigned long long)r->connects);
	printf("  sent %llu acked %llu received %llu writes  resynced %llu KiB\n",
	       (unsigned long long)r->sent_writes,
	       (unsigned long long)r->acked_writes,
	       (unsigned long long)r->recv_writes,
	       (unsigned long long)r->resynced_bytes >> 10);
	if (r->nr_marks)
		printf("  mark %s (%s on the replica, %llu writes since)%s\n",
		       r->marks[0].tag, r->marks[0].on_replica ? "held" : "not yet",
		       (unsigned long long)r->marks[0].writes_after,
		       r->nr_marks > 1 ? ", older: repl marks" : "");
	if (r->verify_state != VAIO_REPL_VERIFY_NONE)
		printf("  verify %s %d%% %llu KiB/s  differ %llu KiB in %llu extents\n",
		       vaio_repl_verify_name(r->verify_state), verify_pct(r),
		       (unsigned long long)r->verify_bps >> 10,
		       (unsigned long long)r->verify_diff >> 10,
		       (unsigned long long)r->verify_extents);
	if (r->reason[0])
		printf("  reason: %s\n", r->reason);
}

static int repl_status(int argc, char **argv)
{
	struct vaio_repl_info *infos = NULL;
	struct json_object *arr;
	struct vaio_err err;
	int n = 0, i;

	if (argc > 1)
		want_args(argc, argv, 1, usage_repl);
	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			usage(usage_repl, EXIT_OK);
	if (argc == 1) {
		infos = malloc(sizeof(*infos));
		if (!infos)
			die(EXIT_FAIL, "out of memory");
		repl_find(argv[0], infos);
		n = 1;
	} else if (vaio_repl_list(repl_nl(), &infos, &n, &err)) {
		die_err(&err);
	}
	if (n > 1)
		qsort(infos, n, sizeof(*infos), cmp_repl);
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		if (json_out)
			json_object_array_add(arr, json_repl(&infos[i]));
		else
			print_repl(&infos[i]);
	}
	if (json_out)
		print_json(arr);
	else
		json_object_put(arr);
	free(infos);
	return EXIT_OK;
}

/* Options of repl init, promote, demote and wait. */
struct repl_opts {
	bool primary, secondary, skip_sync, force, synced, stop, no_wait;
	const char *mark;
	int conn;			/* -1: not given */
	double timeout;
};

static void repl_parse(int *argc, char ***argv, const char *allowed,
		       struct repl_opts *o)
{
	static const struct option opts[] = {
		{ "primary", no_argument, NULL, 'P' },
		{ "secondary", no_argument, NULL, 'S' },
		{ "skip-initial-sync", no_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "conn", required_argument, NULL, 'c' },
		{ "synced", no_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stop", no_argument, NULL, 'x' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "mark", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	char *end;
	int c, i;

	memset(o, 0, sizeof(*o));
	o->conn = -1;
	o->timeout = 60;
	for (i = 0; i < *argc; i++)
		if (is_help((*argv)[i]))
			usage(usage_repl, EXIT_OK);
	optind = 0;
	while ((c = getopt_long(*argc + 1, *argv - 1, "ft:h", opts, NULL)) != -1) {
		if (c == 'h')
			usage(usage_repl, EXIT_OK);
		if (c == '?' || !strchr(allowed, c)) {
			for (i = 0; c != '?' && opts[i].name; i++)
				if (opts[i].val == c)
					fprintf(stderr, "vaioctl: --%s does not go with this command\n",
						opts[i].name);
			usage(usage_repl, EXIT_USAGE);
		}
		switch (c) {
		case 'P':
			o->primary = true;
			break;
		case 'S':
			o->secondary = true;
			break;
		case 'k':
			o->skip_sync = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 's':
			o->synced = true;
			break;
		case 'x':
			o->stop = true;
			break;
		case 'n':
			o->no_wait = true;
			break;
		case 'm':
			o->mark = optarg;
			break;
		case 'c':
			o->conn = vaio_repl_conn_by_name(optarg);
			if (o->conn < 0)
				die(EXIT_USAGE, "--conn: unknown state '%s' (standalone, waiting, connected, sync-source, sync-target)",
				    optarg);
			break;
		case 't':
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (*end || errno || !(o->timeout > 0) || o->timeout > 31536000)
				die(EXIT_USAGE, "--timeout: '%s' is not a number of seconds",
				    optarg);
			break;
		}
	}
	*argc -= optind - 1;
	*argv += optind - 1;
}

static int repl_init(int argc, char **argv)
{
	struct repl_opts o;
	struct vaio_repl_info info;
	struct vaio_err err;

	repl_parse(&argc, &argv, "PSk", &o);
	want_args(argc, argv, 1, usage_repl);
	if (o.primary == o.secondary)
		die(EXIT_USAGE, "repl init: give --primary or --secondary");
	if (o.skip_sync && !o.primary)
		die(EXIT_USAGE, "repl init: --skip-initial-sync goes with --primary");
	repl_find(argv[0], &info);
	if (vaio_repl_set_role(repl_nl(), info.id, o.primary ?
			       VAIO_REPL_ROLE_PRIMARY : VAIO_REPL_ROLE_SECONDARY,
			       false, o.skip_sync, true, &err))
		die_err(&err);
	return EXIT_OK;
}

static int repl_promote(int argc, char **argv)
{
	struct repl_opts o;
	struct vaio_repl_info info;
	struct vaio_err err;

	repl_parse(&argc, &argv, "fm", &o);
	want_args(argc, argv, 1, usage_repl);
	repl_find(argv[0], &info);
	if (o.mark) {
		/* Only exactly at that consistent point. */
		const struct vaio_repl_mark_info *m = NULL;
		int i;

		for (i = 0; i < info.nr_marks && !m; i++)
			if (!strcmp(info.marks[i].tag, o.mark))
				m = &info.marks[i];
		if (!m)
			die(EXIT_FAIL, "%s: no snapshot mark '%s' here (vaioctl repl marks %s)",
			    info.id, o.mark, info.id);
		if (!m->on_replica || !info.consistent)
			die(EXIT_FAIL, "%s: this disk does not hold mark '%s' consistently",
			    info.id, o.mark);
		if (m->writes_after || m != &info.marks[0])
			die(EXIT_FAIL, "%s: %llu writes arrived after mark '%s'%s: the disk is past that point",
			    info.id, (unsigned long long)m->writes_after, o.mark,
			    m != &info.marks[0] ? " (and newer marks)" : "");
	}
	if (vaio_repl_set_role(repl_nl(), info.id, VAIO_REPL_ROLE_PRIMARY,
			       o.force, false, false, &err))
		die_err(&err);
	return EXIT_OK;
}

static int repl_demote(int argc, char **argv)
{
	struct repl_opts o;
	struct vaio_repl_info info;
	struct vaio_err err;
	double t0;
	int ret;

	repl_parse(&argc, &argv, "ft", &o);
	want_args(argc, argv, 1, usage_repl);
	repl_find(argv[0], &info);
	/*
	 * A VM still using the disk would see its writes fail: the kernel
	 * refuses while the device is open (for any netlink client).
	 */
	if (o.force) {
		fprintf(stderr, "vaioctl: warning: %s: --force discards this disk's data: a full resync from the primary follows at the next connection\n",
			info.id);
	}
	/*
	 * The kernel waits a few seconds a call for the peer to confirm
	 * every write (-EAGAIN, still connected, when it has not): ask
	 * again until --timeout.
	 */
	t0 = now();
	while ((ret = vaio_repl_set_role(repl_nl(), info.id,
					 VAIO_REPL_ROLE_SECONDARY, o.force,
					 false, false, &err)) == -EAGAIN &&
	       now() - t0 < o.timeout) {
		/* Not a busy loop when the kernel answers at once. */
		nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
		if (!vaio_repl_get(repl_nl(), info.id, &info, &err))
			fprintf(stderr, "vaioctl: %s: waiting for the peer to confirm %llu write%s (%llu KiB)\n",
				info.id, (unsigned long long)info.lag_writes,
				info.lag_writes == 1 ? "" : "s",
				(unsigned long long)info.lag_bytes >> 10);
	}
	if (ret)
		die_err(&err);
	return EXIT_OK;
}

static int repl_disconnect(int argc, char **argv)
{
	struct vaio_repl_info info;
	struct vaio_err err;

	want_args(argc, argv, 1, usage_repl);
	repl_find(argv[0], &info);
	if (vaio_repl_disconnect(repl_nl(), info.id, &err))
		die_err(&err);
	return EXIT_OK;
}

/* repl marks DISK: the snapshot marks this side keeps, newest first. */
static int repl_marks(int argc, char **argv)
{
	struct vaio_repl_info info;
	char when[32];
	struct tm tm;
	time_t t;
	int i;

	want_args(argc, argv, 1, usage_repl);
	if (is_help(argv[0]))
		usage(usage_repl, EXIT_OK);
	repl_find(argv[0], &info);
	if (json_out) {
		print_json(json_repl_marks(&info));
		return EXIT_OK;
	}
	if (!info.nr_marks) {
		printf("%s: no snapshot marks\n", info.id);
		return EXIT_OK;
	}
	printf("%-24s %-20s %-16s %-10s %s\n", "TAG", "TIME (UTC)", "GEN",
	       "REPLICA", "WRITES SINCE");
	for (i = 0; i < info.nr_marks; i++) {
		const struct vaio_repl_mark_info *m = &info.marks[i];

		t = (time_t)m->time;
		if (!gmtime_r(&t, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
			snprintf(when, sizeof(when), "%llu",
				 (unsigned long long)m->time);
		printf("%-24s %-20s %016llx %-10s %llu\n", m->tag, when,
		       (unsigned long long)m->gen,
		       m->on_replica ? "held" : "not-yet",
		       (unsigned long long)m->writes_after);
	}
	return EXIT_OK;
}

/*
 * repl verify DISK [--stop] [--no-wait] [--timeout S]: by default waits for
 * the end and reports; exit 1 if blocks differ (they are then resynced).
 */
static int repl_verify(int argc, char **argv)
{
	struct repl_opts o;
	struct vaio_repl_info info;
	struct vaio_err err;
	double end;

	repl_parse(&argc, &argv, "xnt", &o);
	want_args(argc, argv, 1, usage_repl);
	repl_find(argv[0], &info);
	if (vaio_repl_verify(repl_nl(), info.id, o.stop, &err))
		die_err(&err);
	if (o.stop || o.no_wait)
		return EXIT_OK;
	end = now() + o.timeout;
	for (;;) {
		usleep(200000);
		if (vaio_repl_get(repl_nl(), info.id, &info, &err))
			die_err(&err);
		if (info.verify_state != VAIO_REPL_VERIFY_RUNNING)
			break;
		if (now() >= end)
			die(EXIT_FAIL, "%s: verify timed out at %d%% (it goes on; --stop stops it)",
			    info.id, verify_pct(&info));
	}
	if (json_out) {
		print_json(json_repl_verify(&info));
	} else {
		printf("%s: verify %s: %llu of %llu KiB compared, %llu KiB differ in %llu extents%s\n",
		       info.id, vaio_repl_verify_name(info.verify_state),
		       (unsigned long long)info.verify_done >> 10,
		       (unsigned long long)info.verify_total >> 10,
		       (unsigned long long)info.verify_diff >> 10,
		       (unsigned long long)info.verify_extents,
		       info.verify_diff ? " (marked out of sync: the resync copies them)" : "");
	}
	if (info.verify_state != VAIO_REPL_VERIFY_DONE) {
		fprintf(stderr, "vaioctl: %s: verify did not finish: %s\n", info.id,
			info.reason[0] ? info.reason : "stopped");
		return EXIT_FAIL;
	}
	return info.verify_diff ? EXIT_FAIL : EXIT_OK;
}

static bool repl_reached(const struct vaio_repl_info *r, const struct repl_opts *o)
{
	if (o->conn >= 0 && r->conn != o->conn)
		return false;
	if (o->synced && (r->conn != VAIO_REPL_CONN_CONNECTED || r->oos_bytes ||
			  r->lag_writes))
		return false;
	return true;
}

static int repl_wait(int argc, char **argv)
{
	struct repl_opts o;
	struct vaio_repl_info info;
	struct vaio_err err;
	double end;

	repl_parse(&argc, &argv, "cst", &o);
	want_args(argc, argv, 1, usage_repl);
	if (o.conn < 0 && !o.synced)
		die(EXIT_USAGE, "repl wait: give --conn STATE or --synced");
	repl_find(argv[0], &info);
	end = now() + o.timeout;
	for (;;) {
		if (repl_reached(&info, &o))
			return EXIT_OK;
		if (now() >= end)
			die(EXIT_FAIL, "timed out: conn %s, %llu KiB out of sync",
			    vaio_repl_conn_name(info.conn),
			    (unsigned long long)info.oos_bytes >> 10);
		usleep(100000);
		if (vaio_repl_get(repl_nl(), info.id, &info, &err))
			die_err(&err);
	}
}

static const struct cmd repl_cmds[] = {
	{ "repl", "status", repl_status, usage_repl },
	{ "repl", "init", repl_init, usage_repl },
	{ "repl", "promote", repl_promote, usage_repl },
	{ "repl", "demote", repl_demote, usage_repl },
	{ "repl", "disconnect", repl_disconnect, usage_repl },
	{ "repl", "wait", repl_wait, usage_repl },
	{ "repl", "verify", repl_verify, usage_repl },
	{ "repl", "marks", repl_marks, usage_repl },
	{ }
};

/* "vaioctl repl" alone is "vaioctl repl status", as "ip link" is "show". */
int repl(int argc, char **argv)
{
	const struct cmd *c;

	if (!argc)
		return repl_status(0, argv);
	if (is_help(argv[0]))
		usage(usage_repl, EXIT_OK);
	argv[0] = (char *)expand(argv[0], (const char *const[]){
		"status", "init", "promote", "demote", "disconnect", "wait",
		"verify", "marks", NULL });
	for (c = repl_cmds; c->object; c++)
		if (!strcmp(c->command, argv[0]))
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "vaioctl: unknown command 'repl %s'\n", argv[0]);
	usage(usage_repl, EXIT_USAGE);
}
