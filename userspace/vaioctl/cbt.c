// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the cbt object, changed-block tracking (Documentation/backup.rst):
 * status, mark and changes of a disk's cbt filter.
 */
#include "vaioctl.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The disk_id of @name (a dm name or a disk_id); exits if none. */
static void cbt_disk(const char *name, char *id, size_t len)
{
	struct vaio_disk_info *d = malloc(sizeof(*d));
	struct vaio_err err;
	int r;

	if (!d)
		die(EXIT_FAIL, "out of memory");
	r = find_disk(name, d, &err);
	if (r == -ENODEV) {
		check_name("disk", name);
		snprintf(id, len, "%s", name);
	} else if (r) {
		die_err(&err);
	} else {
		snprintf(id, len, "%s", d->id);
	}
	free(d);
}

static int cbt_status(int argc, char **argv)
{
	char id[VAIO_NAME_MAX], cid[40], uuid[37];
	struct vaio_cbt_status st;
	struct vaio_err err;
	const uint8_t *u;

	want_args(argc, argv, 1, usage_cbt);
	cbt_disk(argv[0], id, sizeof(id));
	if (vaio_cbt_status(nl(), id, &st, &err))
		die_err(&err);
	u = st.uuid;
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	open_json_object(NULL);
	print_string(PRINT_ANY, "disk", "disk %s\n", id);
	print_bool(PRINT_JSON, "lost", NULL, st.lost);
	if (st.lost) {
		print_text("  tracking lost: a full backup is needed\n");
	} else {
		snprintf(cid, sizeof(cid), "%016" PRIx64, st.gen);
		print_string(PRINT_ANY, "generation", "  generation %s\n", cid);
		print_u64(PRINT_ANY, "epoch", "  epoch %" PRIu64 "\n", st.epoch);
		vaio_cbt_format_id(cid, sizeof(cid), st.gen, 0);
		print_string(PRINT_ANY, "start", "  start %s\n", cid);
		if (st.epoch > 1) {
			vaio_cbt_format_id(cid, sizeof(cid), st.gen,
					   st.epoch - 1);
			print_string(PRINT_ANY, "last_mark", "  last mark %s\n",
				     cid);
		}
		print_u64(PRINT_ANY, "first", "  epochs kept apart from %" PRIu64 "\n",
			  st.first);
	}
	print_u64(PRINT_ANY, "block_bytes", "  block %" PRIu64 " bytes\n",
		  st.block_bytes);
	print_u64(PRINT_ANY, "disk_bytes", "  disk %" PRIu64 " bytes\n",
		  st.disk_bytes);
	print_uint(PRINT_ANY, "slots", "  slots %u\n", st.slots);
	print_string(PRINT_ANY, "metadata_uuid", "  metadata %s\n", uuid);
	close_json_object();
	return EXIT_OK;
}

static int cbt_mark(int argc, char **argv)
{
	char id[VAIO_NAME_MAX], cid[40];
	struct vaio_err err;
	uint64_t gen, epoch;

	want_args(argc, argv, 1, usage_cbt);
	cbt_disk(argv[0], id, sizeof(id));
	if (vaio_cbt_mark(nl(), id, &gen, &epoch, &err))
		die_err(&err);
	vaio_cbt_format_id(cid, sizeof(cid), gen, epoch);
	open_json_object(NULL);
	print_string(PRINT_JSON, "disk", NULL, id);
	print_string(PRINT_ANY, "change_id", "%s\n", cid);
	close_json_object();
	return EXIT_OK;
}

/*
 * The extents of a query, kept until its last message: a query that fails
 * halfway (EAGAIN, ESTALE) prints nothing of its list, never part of it.
 * 16 bytes an extent.
 */
struct changes_list {
	uint64_t (*ext)[2];
	size_t n, cap;
	uint64_t bytes;
};

static int keep_extent(uint64_t start, uint64_t len, void *arg)
{
	struct changes_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		void *p = reallocarray(l->ext, cap, sizeof(*l->ext));

		if (!p)
			die(EXIT_FAIL, "changes: out of memory for the list of extents");
		l->ext = p;
		l->cap = cap;
	}
	l->ext[l->n][0] = start;
	l->ext[l->n][1] = len;
	l->n++;
	l->bytes += len;
	return 0;
}

static int cbt_changes(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ }
	};
	char id[VAIO_NAME_MAX];
	struct changes_list list = { 0 };
	const char *since = NULL;
	uint64_t gen, epoch;
	struct vaio_err err;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (opt != 's')
			usage(usage_cbt, EXIT_USAGE);
		since = optarg;
	}
	argc -= optind;
	argv += optind;
	want_args(argc, argv, 1, usage_cbt);
	if (!since)
		die(EXIT_USAGE, "changes needs --since CHANGEID");
	if (vaio_cbt_parse_id(since, &gen, &epoch))
		die(EXIT_USAGE, "changeId '%s' is malformed: GENERATION:EPOCH, 16 hex digits and a number",
		    since);
	cbt_disk(argv[0], id, sizeof(id));
	if (vaio_cbt_changes(nl(), id, gen, epoch, keep_extent, &list, &err))
		die_err(&err);
	open_json_object(NULL);
	print_string(PRINT_JSON, "disk", NULL, id);
	print_string(PRINT_JSON, "since", NULL, since);
	open_json_array("extents");
	for (size_t i = 0; i < list.n; i++) {
		open_json_object(NULL);
		print_u64(PRINT_ANY, "start", "%" PRIu64, list.ext[i][0]);
		print_u64(PRINT_ANY, "length", " %" PRIu64 "\n", list.ext[i][1]);
		close_json_object();
	}
	close_json_array();
	print_u64(PRINT_JSON, "bytes", NULL, list.bytes);
	close_json_object();
	free(list.ext);
	return EXIT_OK;
}

int cbt(int argc, char **argv)
{
	static const char *const names[] = { "status", "mark", "changes", NULL };

	if (!argc)
		usage(usage_cbt, EXIT_USAGE);
	if (is_help(argv[0]))
		usage(usage_cbt, EXIT_OK);
	argv[0] = (char *)expand(argv[0], names);
	if (!strcmp(argv[0], "status"))
		return cbt_status(argc - 1, argv + 1);
	if (!strcmp(argv[0], "mark"))
		return cbt_mark(argc - 1, argv + 1);
	if (!strcmp(argv[0], "changes"))
		return cbt_changes(argc, argv);
	fprintf(stderr, "vaioctl: unknown cbt command '%s'\n", argv[0]);
	usage(usage_cbt, EXIT_USAGE);
}
