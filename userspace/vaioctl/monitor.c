// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the event and monitor objects.
 */
#include "vaioctl.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 *--------------------------------------------------------------
 * event, monitor
 *--------------------------------------------------------------
 */

int event(int argc, char **argv)
{
	struct vaio_disk_info *d = malloc(sizeof(*d));
	struct vaio_err err;
	unsigned int n;

	if (argc && is_help(argv[0]))
		usage(usage_event, EXIT_OK);
	if (argc)
		argv[0] = (char *)expand(argv[0], (const char *const[]){ "snapshot", NULL });
	if (!argc || strcmp(argv[0], "snapshot")) {
		if (argc)
			fprintf(stderr, "vaioctl: unknown event '%s'\n", argv[0]);
		usage(usage_event, EXIT_USAGE);
	}
	want_args(argc - 1, argv + 1, 2, usage_event);
	if (!vaio_valid_name(argv[2]))
		die(EXIT_FAIL, "snapshot tag '%s' is invalid: use 1 to 63 of A-Z a-z 0-9 . _ : -",
		    argv[2]);
	if (!d)
		die(EXIT_FAIL, "out of memory");
	if (find_disk(argv[1], d, &err) ||
	    vaio_snapshot(nl(), d->id, argv[2], &n, &err))
		die_err(&err);
	open_json_object(NULL);
	print_text("snapshot %s of %s delivered to %u filter%s\n", argv[2],
		   d->dm_name, n, n == 1 ? "" : "s");
	print_string(PRINT_JSON, "disk", NULL, d->dm_name);
	print_string(PRINT_JSON, "event", NULL, "snapshot");
	print_string(PRINT_JSON, "tag", NULL, argv[2]);
	print_uint(PRINT_JSON, "delivered", NULL, n);
	close_json_object();
	free(d);
	return EXIT_OK;
}

static const char *const event_names[] = {
	"attach", "detach", "suspend", "resume", "grow", "snapshot",
};

/* monitor --timestamp: the time a notification was read, local, ms. */
static bool monitor_ts;

static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ld", ts.tv_nsec / 1000000);
}

/* With --timestamp: "[TIME] " before a line, "time" last in an object. */
static void print_ts(enum output_type t)
{
	char ts[64];

	if (!monitor_ts)
		return;
	timestamp(ts, sizeof(ts));
	print_string(t, "time", "[%s] ", ts);
}

/*
 * One notification: a line ("[TIME] WHAT ..."), or an object per line
 * ({..., "what": WHAT, "time": TIME}).
 */
static void print_notification(const struct vaio_notification *n)
{
	const struct vaio_disk_info *d = &n->disk;
	const char *ev = n->event >= 0 && n->event < 6 ? event_names[n->event] : "unknown";
	const char *what;

	print_ts(PRINT_FP);
	open_json_object(NULL);
	switch (n->cmd) {
	case VAIO_CMD_NTF_DISK_NEW:
	case VAIO_CMD_NTF_DISK_CHANGE:
		what = n->cmd == VAIO_CMD_NTF_DISK_NEW ? "disk-new" : "disk-change";
		print_text("%s", what);
		print_disk(d, NULL, false, false, d->dm_name, DISK_EVENT);
		print_string(PRINT_JSON, "what", NULL, what);
		break;
	case VAIO_CMD_NTF_DISK_DEL:
		print_string(PRINT_ANY, "what", "%s", "disk-del");
		print_string(PRINT_ANY, "disk_id", " %s", d->id);
		print_string(PRINT_ANY, "dm_name", " dm %s\n", d->dm_name);
		break;
	case VAIO_CMD_NTF_FILTER_STATE:
		print_string(PRINT_ANY, "what", "%s", "filter-state");
		print_string(PRINT_ANY, "disk_id", " %s", d->id);
		print_filter("filter", &n->filter, FILTER_EVENT);
		print_text("\n");
		break;
	case VAIO_CMD_NTF_EVENT:
		print_string(PRINT_ANY, "what", "%s", "event");
		print_string(PRINT_ANY, "disk_id", " %s", d->id);
		print_string(PRINT_ANY, "event", " %s", ev);
		print_string(PRINT_ANY, "tag", " %s", n->tag);
		if (n->has_delivered)
			print_uint(PRINT_ANY, "delivered", " delivered to %u\n",
				   n->delivered);
		else
			print_text(" vetoed by %s: %s\n",
				   n->filter_name[0] ? n->filter_name : "-", n->error);
		if (n->error[0])
			print_string(PRINT_JSON, "error", NULL, n->error);
		if (n->filter_name[0])
			print_string(PRINT_JSON, "vetoed_by", NULL, n->filter_name);
		break;
	case VAIO_CMD_NTF_TABLE_ERROR:
		print_string(PRINT_ANY, "what", "%s", "table-error");
		print_string(PRINT_ANY, "dm_name", " %s", d->dm_name);
		print_string(PRINT_ANY, "error", ": %s\n", n->error);
		break;
	default:
		print_string(PRINT_ANY, "what", "%s notification", "unknown");
		print_int(PRINT_ANY, "cmd", " %d\n", n->cmd);
	}
	print_ts(PRINT_JSON);
	close_json_object();
	fflush(stdout);
}

/*
 * Notifications were lost (the socket overran): "overrun" and then each
 * live disk as a disk-change, so that a reader is up to date again. What
 * was queued before is older than that: dropped unread.
 */
static void monitor_resync(struct vaio_nl *ev)
{
	struct vaio_notification *n = calloc(1, sizeof(*n));
	struct vaio_disk_info *disks;
	struct vaio_err err;
	int nd, i;

	while (n && vaio_nl_next(ev, 0, n, &err) > 0)
		;

	print_ts(PRINT_FP);
	open_json_object(NULL);
	print_string(PRINT_ANY, "what", "%s: notifications lost; the disks now:\n",
		     "overrun");
	print_ts(PRINT_JSON);
	close_json_object();
	if (!n || vaio_disk_list(nl(), &disks, &nd, &err)) {
		fprintf(stderr, "vaioctl: after an overrun: %s\n", n ? err.msg : "out of memory");
		free(n);
		return;
	}
	n->cmd = VAIO_CMD_NTF_DISK_CHANGE;
	for (i = 0; i < nd; i++) {
		n->disk = disks[i];
		print_notification(n);
	}
	fflush(stdout);
	free(disks);
	free(n);
}

int monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timestamp", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct vaio_notification *n = malloc(sizeof(*n));
	struct vaio_err err;
	struct vaio_nl *ev;
	long count = -1;
	int c, r;
	char *end;

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "c:th", opts, NULL)) != -1) {
		if (c == 't') {
			monitor_ts = true;
		} else if (c == 'c') {
			count = strtol(optarg, &end, 10);
			if (*end || count < 1)
				die(EXIT_USAGE, "--count needs a positive number, not '%s'", optarg);
		} else if (c == 'h') {
			usage(usage_monitor, EXIT_OK);
		} else {
			usage(usage_monitor, EXIT_USAGE);
		}
	}
	want_args(argc - (optind - 1), argv + (optind - 1), 0, usage_monitor);
	if (!n)
		die(EXIT_FAIL, "out of memory");
	ev = vaio_nl_open(true, &err);
	if (!ev)
		die_err(&err);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (count && !stop) {
		r = vaio_nl_next(ev, 500, n, &err);
		if (r == -ENOBUFS) {
			/* Some lost: said, then where every disk is now. */
			monitor_resync(ev);
			continue;
		}
		if (r < 0)
			die_err(&err);
		if (!r)
			continue;
		print_notification(n);
		if (count > 0)
			count--;
	}
	vaio_nl_close(ev);
	free(n);
	return EXIT_OK;
}
