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

#include <json-c/json.h>

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
	if (json_out) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "disk", json_object_new_string(d->dm_name));
		json_object_object_add(o, "event", json_object_new_string("snapshot"));
		json_object_object_add(o, "tag", json_object_new_string(argv[2]));
		json_object_object_add(o, "delivered", json_object_new_int(n));
		print_json(o);
	} else {
		printf("snapshot %s of %s delivered to %u filter%s\n", argv[2],
		       d->dm_name, n, n == 1 ? "" : "s");
	}
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

/* With --timestamp: "[TIME] " before a line, "time" in an object. */
static void print_ts(struct json_object *o)
{
	char t[64];

	if (!monitor_ts)
		return;
	timestamp(t, sizeof(t));
	if (o)
		json_object_object_add(o, "time", json_object_new_string(t));
	else
		printf("[%s] ", t);
}

static void print_notification(const struct vaio_notification *n)
{
	const struct vaio_disk_info *d = &n->disk;
	const char *ev = n->event >= 0 && n->event < 6 ? event_names[n->event] : "unknown";
	struct json_object *o;
	char fl[1024];

	if (json_out) {
		o = json_object_new_object();
		switch (n->cmd) {
		case VAIO_CMD_NTF_DISK_NEW:
		case VAIO_CMD_NTF_DISK_CHANGE:
			json_object_put(o);
			o = json_disk(d, NULL, false);
			json_object_object_add(o, "what", json_object_new_string(
				n->cmd == VAIO_CMD_NTF_DISK_NEW ? "disk-new" : "disk-change"));
			break;
		case VAIO_CMD_NTF_DISK_DEL:
			json_object_object_add(o, "what", json_object_new_string("disk-del"));
			json_object_object_add(o, "disk_id", json_object_new_string(d->id));
			json_object_object_add(o, "dm_name", json_object_new_string(d->dm_name));
			break;
		case VAIO_CMD_NTF_FILTER_STATE:
			json_object_object_add(o, "what", json_object_new_string("filter-state"));
			json_object_object_add(o, "disk_id", json_object_new_string(d->id));
			json_object_object_add(o, "filter", json_filter(&n->filter));
			break;
		case VAIO_CMD_NTF_EVENT:
			json_object_object_add(o, "what", json_object_new_string("event"));
			json_object_object_add(o, "disk_id", json_object_new_string(d->id));
			json_object_object_add(o, "event", json_object_new_string(ev));
			json_object_object_add(o, "tag", json_object_new_string(n->tag));
			if (n->has_delivered)
				json_object_object_add(o, "delivered",
						       json_object_new_int(n->delivered));
			if (n->error[0])
				json_object_object_add(o, "error",
						       json_object_new_string(n->error));
			if (n->filter_name[0])
				json_object_object_add(o, "vetoed_by",
						       json_object_new_string(n->filter_name));
			break;
		case VAIO_CMD_NTF_TABLE_ERROR:
			json_object_object_add(o, "what", json_object_new_string("table-error"));
			json_object_object_add(o, "dm_name", json_object_new_string(d->dm_name));
			json_object_object_add(o, "error", json_object_new_string(n->error));
			break;
		default:
			json_object_object_add(o, "what", json_object_new_string("unknown"));
			json_object_object_add(o, "cmd", json_object_new_int(n->cmd));
		}
		print_ts(o);
		print_json(o);
		return;
	}

	print_ts(NULL);
	switch (n->cmd) {
	case VAIO_CMD_NTF_DISK_NEW:
	case VAIO_CMD_NTF_DISK_CHANGE:
		filters_line(d, fl, sizeof(fl));
		printf("%s %s dm %s (%s) data %s filters %s\n",
		       n->cmd == VAIO_CMD_NTF_DISK_NEW ? "disk-new" : "disk-change",
		       d->id, d->dm_name, d->dm_dev, d->data_dev, fl);
		break;
	case VAIO_CMD_NTF_DISK_DEL:
		printf("disk-del %s dm %s\n", d->id, d->dm_name);
		break;
	case VAIO_CMD_NTF_FILTER_STATE:
		printf("filter-state %s %s %s%s%s\n", d->id, n->filter.type,
		       vaio_state_name(n->filter.state),
		       n->filter.fail_reason[0] ? ": " : "", n->filter.fail_reason);
		break;
	case VAIO_CMD_NTF_EVENT:
		if (n->has_delivered)
			printf("event %s %s %s delivered to %u\n", d->id, ev,
			       n->tag, n->delivered);
		else
			printf("event %s %s %s vetoed by %s: %s\n", d->id, ev, n->tag,
			       n->filter_name[0] ? n->filter_name : "-", n->error);
		break;
	case VAIO_CMD_NTF_TABLE_ERROR:
		printf("table-error %s: %s\n", d->dm_name, n->error);
		break;
	default:
		printf("unknown notification %d\n", n->cmd);
	}
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
	struct json_object *o;
	struct vaio_err err;
	int nd, i;

	while (n && vaio_nl_next(ev, 0, n, &err) > 0)
		;

	if (json_out) {
		o = json_object_new_object();
		json_object_object_add(o, "what", json_object_new_string("overrun"));
		print_ts(o);
		print_json(o);
	} else {
		print_ts(NULL);
		printf("overrun: notifications lost; the disks now:\n");
	}
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
