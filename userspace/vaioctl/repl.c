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

static int verify_pct(const struct vaio_repl_info *r)
{
	if (!r->verify_total)
		return 0;
	return (int)(r->verify_done * 100 / r->verify_total);
}

/* How print_verify() writes the verify's fields in the text. */
enum verify_style { VERIFY_STATUS, VERIFY_RESULT, VERIFY_JSON };

/* The verify's fields into the open object. */
static void print_verify(const struct vaio_repl_info *r, enum verify_style style)
{
	static const struct {
		const char *state, *total, *done, *pct, *bps, *diff, *extents;
	} fmts[] = {
		[VERIFY_STATUS] = { "  verify %s", NULL, NULL, " %d%%", " %s/s",
				    "  differ %s", " in %llu extents\n" },
		[VERIFY_RESULT] = { ": verify %s:", " size %s,", " compared %s,",
				    NULL, NULL, " differ %s", " in %llu extents" },
		[VERIFY_JSON] = { },
	};

#define T(fmt) ((fmt) ? PRINT_ANY : PRINT_JSON)
	print_string(T(fmts[style].state), "state", fmts[style].state,
		     vaio_repl_verify_name(r->verify_state));
	print_size(T(fmts[style].total), "total_bytes", fmts[style].total,
		   r->verify_total);
	print_size(T(fmts[style].done), "done_bytes", fmts[style].done,
		   r->verify_done);
	print_int(T(fmts[style].pct), "pct", fmts[style].pct, verify_pct(r));
	print_size(T(fmts[style].bps), "bps", fmts[style].bps, r->verify_bps);
	print_size(T(fmts[style].diff), "diff_bytes", fmts[style].diff,
		   r->verify_diff);
	print_u64(T(fmts[style].extents), "diff_extents", fmts[style].extents,
		  r->verify_extents);
#undef T
}

/* How print_marks() writes the marks in the text. */
enum marks_style { MARKS_STATUS, MARKS_TABLE };

/*
 * The snapshot marks, newest first, as an array: repl marks' table, or in
 * repl status the newest one alone.
 */
static void print_marks(const struct vaio_repl_info *r, enum marks_style style)
{
	bool table = style == MARKS_TABLE;
	enum output_type t;
	char gen[24], when[32];
	struct tm tm;
	time_t tt;
	int i;

	open_json_array("marks");
	for (i = 0; i < r->nr_marks; i++) {
		const struct vaio_repl_mark_info *m = &r->marks[i];

		t = table || !i ? PRINT_ANY : PRINT_JSON;
		open_json_object(NULL);
		print_string(t, "tag", table ? "%-24s " : "  mark %s", m->tag);
		/* The time as a number in JSON, in UTC in the table. */
		print_u64(PRINT_JSON, "time", NULL, m->time);
		if (table) {
			tt = (time_t)m->time;
			if (!gmtime_r(&tt, &tm) ||
			    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
				snprintf(when, sizeof(when), "%llu",
					 (unsigned long long)m->time);
			print_text("%-20s ", when);
		}
		snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)m->gen);
		print_string(table ? PRINT_ANY : PRINT_JSON, "gen", "%s ", gen);
		print_bool(PRINT_JSON, "on_replica", NULL, m->on_replica);
		if (table)
			print_text("%-10s ", m->on_replica ? "held" : "not-yet");
		else if (!i)
			print_text(" (%s on the replica,",
				   m->on_replica ? "held" : "not yet");
		print_u64(t, "writes_after", table ? "%llu\n" : " %llu writes since)",
			  m->writes_after);
		if (!table && !i)
			print_text("%s\n", r->nr_marks > 1 ? ", older: repl marks" : "");
		close_json_object();
	}
	close_json_array();
}

/* A replicated disk's fields into the open object; in the text its block. */
static void print_repl(const struct vaio_repl_info *r)
{
	char gen[24];
	int i;

	snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)r->gen);
	print_string(PRINT_ANY, "disk", "%s:", r->id);
	print_string(PRINT_ANY, "role", " %s", vaio_repl_role_name(r->role));
	print_string(PRINT_ANY, "mode", " %s",
		     r->mode >= 0 ? vaio_repl_mode_name(r->mode) : NULL);
	print_string(PRINT_ANY, "conn", " %s", vaio_repl_conn_name(r->conn));
	print_string(PRINT_ANY, "peer", " peer %s", r->has_live ? r->peer : NULL);
	/* Not known yet: "" in JSON, "-" in the text. */
	print_string(r->has_live && !r->remote_disk[0] ? PRINT_JSON : PRINT_ANY,
		     "remote_disk", " remote %s\n",
		     r->has_live ? r->remote_disk : NULL);
	if (r->has_live && !r->remote_disk[0])
		print_text(" remote -\n");
	if (r->reason[0])
		print_string(PRINT_ANY, "reason", "  reason: %s\n", r->reason);
	else
		print_null(PRINT_JSON, "reason", NULL, NULL);
	print_bool(PRINT_ANY, "consistent", "  consistent %s", r->consistent);
	print_bool(PRINT_ANY, "new_pair", "  new-pair %s", r->new_pair);
	print_string(PRINT_ANY, "gen", "  gen %s", gen);
	open_json_array("history");
	for (i = 0; i < VAIO_REPL_GEN_HISTORY && r->history[i]; i++) {
		snprintf(gen, sizeof(gen), "%016llx",
			 (unsigned long long)r->history[i]);
		print_string(PRINT_JSON, NULL, NULL, gen);
	}
	close_json_array();
	print_u64(PRINT_ANY, "sectors", "  sectors %llu\n", r->sectors);
	print_u64(PRINT_ANY, "lag_writes", "  lag %llu writes", r->lag_writes);
	print_size(PRINT_ANY, "lag_bytes", " of %s,", r->lag_bytes);
	print_u64(PRINT_ANY, "lag_ms", " %llu ms", r->lag_ms);
	print_size(PRINT_ANY, "oos_bytes", "  out-of-sync %s", r->oos_bytes);
	print_u64(PRINT_JSON, "sync_total", NULL, r->sync_total);
	print_size(PRINT_ANY, "sync_bps", "  resync %s/s", r->sync_bps);
	print_int(PRINT_ANY, "sync_pct", " %d%%", vaio_repl_sync_pct(r));
	print_u64(PRINT_ANY, "sync_eta_s", " eta %llu s\n", vaio_repl_sync_eta(r));
	print_u64(PRINT_ANY, "sent_writes", "  sent %llu", r->sent_writes);
	print_u64(PRINT_ANY, "acked_writes", " acked %llu", r->acked_writes);
	print_u64(PRINT_ANY, "recv_writes", " received %llu writes",
		  r->recv_writes);
	print_size(PRINT_ANY, "resynced_bytes", "  resynced %s", r->resynced_bytes);
	print_u64(PRINT_ANY, "connects", "  connects %llu\n", r->connects);
	open_json_object("verify");
	print_verify(r, r->verify_state != VAIO_REPL_VERIFY_NONE ?
		     VERIFY_STATUS : VERIFY_JSON);
	close_json_object();
	print_marks(r, MARKS_STATUS);
}

static int repl_status(int argc, char **argv)
{
	struct vaio_repl_info *infos = NULL;
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
	open_json_array(NULL);
	for (i = 0; i < n; i++) {
		open_json_object(NULL);
		print_repl(&infos[i]);
		close_json_object();
	}
	close_json_array();
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

	want_args(argc, argv, 1, usage_repl);
	if (is_help(argv[0]))
		usage(usage_repl, EXIT_OK);
	repl_find(argv[0], &info);
	if (!info.nr_marks)
		print_text("%s: no snapshot marks\n", info.id);
	else
		print_text("%-24s %-20s %-16s %-10s %s\n", "TAG", "TIME (UTC)",
			   "GEN", "REPLICA", "WRITES SINCE");
	print_marks(&info, MARKS_TABLE);
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
	open_json_object(NULL);
	print_text("%s", info.id);
	print_verify(&info, VERIFY_RESULT);
	print_text("%s\n", info.verify_diff ?
		   " (marked out of sync: the resync copies them)" : "");
	close_json_object();
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
