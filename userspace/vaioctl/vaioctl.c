// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: administer dm-vaio disks, storage policies and filters.
 *
 *   vaioctl [OPTIONS] OBJECT COMMAND [ARGS]
 *
 * See vaioctl(8). Exit status: 0 success, 1 failure, 2 usage error.
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

/* The project's version: ../VERSION, passed by userspace/Makefile. */
#ifndef VAIO_VERSION
#error "VAIO_VERSION is not defined: build with userspace/Makefile"
#endif

/*
 *--------------------------------------------------------------
 * Usage
 *--------------------------------------------------------------
 */

static const char usage_main[] =
"Usage: vaioctl [OPTIONS] OBJECT COMMAND [ARGS]\n"
"OBJECT := filter | policy | disk | cache | stats | event | monitor | apply | repl\n"
"OPTIONS := -j|--json  -p|--pretty  -C|--confdir DIR  -h|--help  -V|--version\n"
"\n"
"  vaioctl filter list\n"
"  vaioctl filter reactivate DISK FILTER\n"
"  vaioctl filter call DISK FILTER CMD [NUM=VALUE...] [--dump]\n"
"  vaioctl policy create|edit NAME COMPONENT...\n"
"  vaioctl policy show NAME | list | delete NAME\n"
"  vaioctl policy assign POLICY DISK | unassign DISK\n"
"  vaioctl disk create NAME DEVICE [--policy POLICY]\n"
"  vaioctl disk remove NAME | list | show NAME\n"
"  vaioctl cache pool create NAME DEVICE... [--memory SIZE]\n"
"  vaioctl cache pool remove NAME | list | show NAME\n"
"  vaioctl stats [DISK...] [--top N] [--sort KEY] [--watch [SECONDS]] [--count N]\n"
"  vaioctl event snapshot DISK TAG\n"
"  vaioctl monitor [--count N]\n"
"  vaioctl apply\n"
"  vaioctl repl status [DISK] | init DISK --primary [--skip-initial-sync] |\n"
"               init DISK --secondary | promote DISK [--force] [--mark TAG] |\n"
"               demote DISK [--force] | disconnect DISK |\n"
"               wait DISK [--conn STATE] [--synced] [--timeout SECONDS] |\n"
"               verify DISK [--stop] [--no-wait] [--timeout SECONDS] |\n"
"               marks DISK\n"
"\n"
"COMPONENT := TYPE[:KEY=VALUE[,KEY=VALUE]...]   (KEY fail=open|closed)\n";

const char usage_filter[] =
"Usage: vaioctl filter list\n"
"       vaioctl filter reactivate DISK FILTER\n"
"       vaioctl filter call DISK FILTER CMD [NUM=VALUE...] [--dump]\n"
"  list: the registered filter types in class order, with their parameters.\n"
"  reactivate: make a failed or bypassed filter (type or class name) active.\n"
"  call: the filter's own netlink command CMD (a number), for filter\n"
"    developers: attribute NUM (1-16383) of the request's FILTER_DATA is\n"
"    VALUE: u8:N u16:N u32:N u64:N s:TEXT x:HEXBYTES, or empty for a flag;\n"
"    without a prefix a number (decimal or 0x) is a u32, or a u64 if it\n"
"    needs more, anything else a string. Prints the answer's attributes,\n"
"    one per line (NUM=VALUE; a nest NUM: NUM=VALUE ...); --dump: a dump.\n";

const char usage_policy[] =
"Usage: vaioctl policy create NAME COMPONENT...\n"
"       vaioctl policy edit NAME COMPONENT...\n"
"       vaioctl policy show NAME\n"
"       vaioctl policy list\n"
"       vaioctl policy delete NAME\n"
"       vaioctl policy assign POLICY DISK\n"
"       vaioctl policy unassign DISK\n"
"COMPONENT := TYPE[:KEY=VALUE[,KEY=VALUE]...]\n"
"  One component per filter class; KEY fail=open|closed sets what a failure\n"
"  of the filter does (default open: bypass it). edit replaces the components\n"
"  and re-applies the policy to every disk that uses it, all or none.\n";

const char usage_disk[] =
"Usage: vaioctl disk create NAME DEVICE [-P|--policy POLICY]\n"
"       vaioctl disk remove NAME\n"
"       vaioctl disk list\n"
"       vaioctl disk show NAME\n"
"  create: a vaio device /dev/mapper/NAME over block device DEVICE.\n";

const char usage_cache[] =
"Usage: vaioctl cache pool create NAME DEVICE... [-m|--memory SIZE] [-u|--uuid UUID] [-f|--force]\n"
"       vaioctl cache pool remove NAME\n"
"       vaioctl cache pool list\n"
"       vaioctl cache pool show NAME\n"
"  A cache pool is the host's cache tier on fast DEVICEs, /dev/mapper/NAME,\n"
"  shared by the disks whose policy has a cache:pool=NAME component. Several\n"
"  DEVICEs are joined in their order by a linear device, NAME-tier.\n"
"  --memory: a memory tier in front of them, SIZE MiB or with a suffix K, M,\n"
"  G or T (1024-based): a whole number of MiB. remove refuses a pool that a\n"
"  disk uses.\n";

const char usage_stats[] =
"Usage: vaioctl stats [DISK...] [-t|--top N] [-s|--sort KEY]\n"
"                     [-w|--watch [SECONDS]] [-c|--count N]\n"
"KEY := iops | reads | writes | bytes | read_bytes | write_bytes | flushes |\n"
"       discards | errors | cache_hits   (default iops)\n"
"  cache_hits: read and write hits of the disk's cache filter.\n"
"  Without --watch: totals since each disk's table was loaded. With --watch:\n"
"  rates per second every SECONDS (default 1), --count times (default: until\n"
"  interrupted).\n";

const char usage_event[] =
"Usage: vaioctl event snapshot DISK TAG\n"
"  Deliver a snapshot control event to every filter of DISK, in class order;\n"
"  a filter may veto it.\n";

const char usage_monitor[] =
"Usage: vaioctl monitor [-c|--count N] [-t|--timestamp]\n"
"  Print disk, filter and control-event notifications as they happen.\n";

const char usage_apply[] =
"Usage: vaioctl apply\n"
"  Create every disk recorded in the configuration that does not exist and\n"
"  bring every disk's filters in line with its policy (after a reboot).\n";

static const char usage_repl[] =
"Usage: vaioctl repl [status [DISK]]\n"
"       vaioctl repl init DISK --primary [--skip-initial-sync]\n"
"       vaioctl repl init DISK --secondary\n"
"       vaioctl repl promote DISK [-f|--force] [--mark TAG]\n"
"       vaioctl repl demote DISK [-f|--force] [-t|--timeout SECONDS]\n"
"       vaioctl repl disconnect DISK\n"
"       vaioctl repl wait DISK [--conn STATE] [--synced] [-t|--timeout SECONDS]\n"
"       vaioctl repl verify DISK [--stop] [--no-wait] [-t|--timeout SECONDS]\n"
"       vaioctl repl marks DISK\n"
"STATE := standalone | waiting | connected | sync-source | sync-target\n"
"  Disks with a replication filter (dm-vaio-replication), by disk_id.\n"
"  init: the role of a new pair's disk; --skip-initial-sync: the two disks\n"
"  are known to be equal (both new and zeroed), no first full resync.\n"
"  promote --force: even while connected to a primary, or inconsistent;\n"
"  --mark TAG: only if this replica is exactly at snapshot mark TAG.\n"
"  marks: the snapshot marks (vaioctl event snapshot on the primary) this\n"
"  side keeps, newest first: held on the replica, writes since.\n"
"  demote refuses while the device is open, and waits (at most SECONDS,\n"
"  default 60) until the peer has confirmed every write, connected;\n"
"  --force: also discard this disk's data (a full resync from the primary\n"
"  follows).\n"
"  wait: until conn is STATE, or with --synced until connected with\n"
"  nothing out of sync and no lag; at most SECONDS (default 60).\n"
"  verify (on a connected primary): compares both disks by checksums of\n"
"  each 4 KiB, waits for the end (--no-wait: not) and reports; blocks\n"
"  that differ are marked out of sync and resynced. Exit 1 if any differ.\n";

void __attribute__((noreturn)) usage(const char *text, int code)
{
	fputs(text, code ? stderr : stdout);
	exit(code);
}

bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

/* Exactly @n positional arguments, or usage. -h anywhere: help. */
void want_args(int argc, char **argv, int n, const char *text)
{
	int i;

	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			usage(text, EXIT_OK);
	if (argc < n) {
		fprintf(stderr, "vaioctl: missing argument\n");
		usage(text, EXIT_USAGE);
	}
	if (argc > n) {
		fprintf(stderr, "vaioctl: unexpected argument '%s'\n", argv[n]);
		usage(text, EXIT_USAGE);
	}
}

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
static int repl(int argc, char **argv)
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

/*
 *--------------------------------------------------------------
 * main
 *--------------------------------------------------------------
 */

static const struct cmd cmds[] = {
	{ "filter", "list", filter_list, usage_filter },
	{ "filter", "reactivate", filter_reactivate, usage_filter },
	{ "filter", "call", filter_call, usage_filter },
	{ "policy", "create", policy_create, usage_policy },
	{ "policy", "edit", policy_edit, usage_policy },
	{ "policy", "show", policy_show, usage_policy },
	{ "policy", "list", policy_list, usage_policy },
	{ "policy", "delete", policy_delete, usage_policy },
	{ "policy", "assign", policy_assign, usage_policy },
	{ "policy", "unassign", policy_unassign, usage_policy },
	{ "disk", "create", disk_create, usage_disk },
	{ "disk", "remove", disk_remove, usage_disk },
	{ "disk", "list", disk_list, usage_disk },
	{ "disk", "show", disk_show, usage_disk },
	{ "cache", NULL, cache, usage_cache },
	{ "stats", NULL, stats, usage_stats },
	{ "event", NULL, event, usage_event },
	{ "monitor", NULL, monitor, usage_monitor },
	{ "apply", NULL, apply, usage_apply },
	{ "repl", NULL, repl, usage_repl },
	{ }
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "confdir", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	const char *objects[16], *commands[16];
	const struct cmd *c, *obj = NULL;
	int opt, n;

	while ((opt = getopt_long(argc, argv, "+jpC:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json_out = true;
			break;
		case 'p':
			json_flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				     JSON_C_TO_STRING_NOSLASHESCAPE;
			break;
		case 'C':
			vaio_conf_set_dir(optarg);
			break;
		case 'h':
			usage(usage_main, EXIT_OK);
		case 'V':
			printf("vaioctl %s\n", VAIO_VERSION);
			return EXIT_OK;
		default:
			usage(usage_main, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (!argc)
		usage(usage_main, EXIT_USAGE);
	if (is_help(argv[0]))
		usage(usage_main, EXIT_OK);

	/* Objects and their commands may be shortened (expand()). */
	for (c = cmds, n = 0; c->object; c++)
		if (!n || strcmp(objects[n - 1], c->object))
			objects[n++] = c->object;
	objects[n] = NULL;
	argv[0] = (char *)expand(argv[0], objects);
	if (argc > 1 && !is_help(argv[1])) {
		for (c = cmds, n = 0; c->object; c++)
			if (!strcmp(c->object, argv[0]) && c->command)
				commands[n++] = c->command;
		commands[n] = NULL;
		argv[1] = (char *)expand(argv[1], commands);
	}
	for (c = cmds; c->object; c++) {
		if (strcmp(c->object, argv[0]))
			continue;
		obj = c;
		if (!c->command)
			return c->fn(argc - 1, argv + 1);
		if (argc > 1 && !strcmp(c->command, argv[1]))
			return c->fn(argc - 2, argv + 2);
	}
	if (!obj) {
		fprintf(stderr, "vaioctl: unknown object '%s'\n", argv[0]);
		usage(usage_main, EXIT_USAGE);
	}
	if (argc > 1 && is_help(argv[1]))
		usage(obj->usage, EXIT_OK);
	if (argc > 1)
		fprintf(stderr, "vaioctl: unknown command '%s %s'\n", argv[0], argv[1]);
	else
		fprintf(stderr, "vaioctl: %s needs a command\n", argv[0]);
	usage(obj->usage, EXIT_USAGE);
}
