// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the stats object.
 */
#include "vaioctl.h"

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 *--------------------------------------------------------------
 * stats
 *--------------------------------------------------------------
 */

static const char *const sort_keys[] = {
	"iops", "reads", "writes", "bytes", "read_bytes", "write_bytes",
	"flushes", "discards", "errors", "cache_hits", "throttled", NULL,
};
#define SORT_FILTER 9	/* from here on, the keys of filter_sum() */

/*
 * The sum of the status words of @d's filter that sort key @key reads
 * (@key >= SORT_FILTER): cache hits, read and write; the time the qos
 * filter held bios back, in ms.
 */
static double filter_sum(const struct vaio_disk_info *d, int key)
{
	static const struct {
		const char *type, *words[3];
	} sums[] = {
		{ "cache", { "read_hits", "write_hits" } },
		{ "qos", { "throttled_ms" } },
	};
	char keys[64][VAIO_NAME_MAX], values[64][VAIO_ARG_MAX];
	const char *const *w;
	double sum = 0;
	int i, j, n;

	for (i = 0; i < d->nfilters; i++) {
		if (strcmp(d->filters[i].type, sums[key - SORT_FILTER].type))
			continue;
		n = vaio_status_pairs(d->filters[i].status, keys, values, 64);
		for (j = 0; j < n; j++)
			for (w = sums[key - SORT_FILTER].words; *w; w++)
				if (!strcmp(keys[j], *w))
					sum += strtod(values[j], NULL);
	}
	return sum;
}

static double stat_value(const struct vaio_stats_info *s, int key)
{
	switch (key) {
	case 0:
		return s->reads + s->writes;
	case 1:
		return s->reads;
	case 2:
		return s->writes;
	case 3:
		return (s->read_sectors + s->write_sectors) * 512.0;
	case 4:
		return s->read_sectors * 512.0;
	case 5:
		return s->write_sectors * 512.0;
	case 6:
		return s->flushes;
	case 7:
		return s->discards;
	default:
		return s->errors;
	}
}

struct stat_row {
	const struct vaio_disk_info *d;
	struct vaio_stats_info v;	/* totals, or deltas */
	double secs;			/* 0: totals */
	double key;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct stat_row *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return strcmp(x->d->dm_name, y->d->dm_name);
}

static bool selected(const struct vaio_disk_info *d, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], d->dm_name) || !strcmp(argv[i], d->id))
			return true;
	return !argc;
}

static double rate(uint64_t v, double secs)
{
	return secs > 0 ? v / secs : v;
}

/*
 * The totals of @st: in the text (@t PRINT_ANY) the columns after IOS,
 * in human units unless --raw; in JSON the object "totals".
 */
static void print_totals(const struct vaio_stats_info *st, enum output_type t)
{
	open_json_object("totals");
	print_count(t, "reads", " %10s", st->reads);
	print_count(t, "writes", " %10s", st->writes);
	print_size(t, "read_bytes", " %12s", st->read_sectors << 9);
	print_size(t, "write_bytes", " %12s", st->write_sectors << 9);
	print_count(t, "flushes", " %8s", st->flushes);
	print_count(t, "discards", " %8s", st->discards);
	print_count(t, "errors", " %8s\n", st->errors);
	close_json_object();
}

/*
 * A sample: a row per disk (rates per second over the interval with
 * --watch, else totals) and its filters' lines; with -j an array of an
 * object per disk, on one line.
 */
static void print_stats(struct stat_row *rows, int n)
{
	int i, j;

	if (rows[0].secs > 0 || !n)
		print_text("%-20s %10s %10s %10s %12s %12s %8s %8s %8s\n",
			   "DISK", "IOPS", "READ/s", "WRITE/s", "RD_BYTES/s",
			   "WR_BYTES/s", "FLUSH/s", "DISC/s", "ERR/s");
	else
		print_text("%-20s %10s %10s %10s %12s %12s %8s %8s %8s\n",
			   "DISK", "IOS", "READS", "WRITES", "RD_BYTES",
			   "WR_BYTES", "FLUSHES", "DISCARDS", "ERRORS");
	open_json_array(NULL);
	for (i = 0; i < n; i++) {
		const struct vaio_stats_info *v = &rows[i].v;
		double s = rows[i].secs;

		open_json_object(NULL);
		print_string(PRINT_ANY, "disk", "%-20s", rows[i].d->dm_name);
		print_string(PRINT_JSON, "disk_id", NULL, rows[i].d->id);
		if (s > 0) {
			print_float(PRINT_JSON, "interval", NULL,
				    ((long)(s * 1000 + 0.5)) / 1000.0);
			print_rate(PRINT_ANY, "iops", " %10s",
				   rate(v->reads + v->writes, s), false);
			print_rate(PRINT_ANY, "reads_per_sec", " %10s",
				   rate(v->reads, s), false);
			print_rate(PRINT_ANY, "writes_per_sec", " %10s",
				   rate(v->writes, s), false);
			print_rate(PRINT_ANY, "read_bytes_per_sec", " %12s",
				   rate(v->read_sectors << 9, s), true);
			print_rate(PRINT_ANY, "write_bytes_per_sec", " %12s",
				   rate(v->write_sectors << 9, s), true);
			print_rate(PRINT_ANY, "flushes_per_sec", " %8s",
				   rate(v->flushes, s), false);
			print_rate(PRINT_ANY, "discards_per_sec", " %8s",
				   rate(v->discards, s), false);
			print_rate(PRINT_ANY, "errors_per_sec", " %8s\n",
				   rate(v->errors, s), false);
			print_totals(&rows[i].d->st, PRINT_JSON);
		} else {
			print_count(PRINT_FP, NULL, " %10s", v->reads + v->writes);
			print_totals(&rows[i].d->st, PRINT_ANY);
		}
		open_json_array("filters");
		for (j = 0; j < rows[i].d->nfilters; j++)
			print_filter(NULL, &rows[i].d->filters[j], FILTER_STATS);
		close_json_array();
		close_json_object();
	}
	close_json_array();
	fflush(stdout);
}

/* @v minus @prev, counter by counter, as far as @v counts on from @prev. */
static void stats_delta(struct vaio_stats_info *v,
			const struct vaio_stats_info *p)
{
	/* A reload restarted the counters: the totals are the counts since. */
	if (v->reads < p->reads || v->writes < p->writes ||
	    v->read_sectors < p->read_sectors ||
	    v->write_sectors < p->write_sectors || v->flushes < p->flushes ||
	    v->discards < p->discards || v->errors < p->errors)
		return;
	v->reads -= p->reads;
	v->writes -= p->writes;
	v->read_sectors -= p->read_sectors;
	v->write_sectors -= p->write_sectors;
	v->flushes -= p->flushes;
	v->discards -= p->discards;
	v->errors -= p->errors;
}

int stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "top", required_argument, NULL, 't' },
		{ "sort", required_argument, NULL, 's' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct vaio_disk_info *prev = NULL, *cur;
	struct stat_row *rows;
	struct vaio_err err;
	double interval = 0, t0 = 0, t1, fsum = 0, psum;
	long top = -1, count = -1;
	int c, key = 0, np = 0, nc, i, j, n;
	char *end;

	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			usage(usage_stats, EXIT_OK);
	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "t:s:w::c:rh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			top = strtol(optarg, &end, 10);
			if (*end || top < 1)
				die(EXIT_USAGE, "--top needs a positive number, not '%s'", optarg);
			break;
		case 's':
			for (key = 0; sort_keys[key]; key++)
				if (!strcmp(sort_keys[key], optarg))
					break;
			if (!sort_keys[key])
				die(EXIT_USAGE, "--sort: unknown key '%s' (iops, reads, writes, bytes, read_bytes, write_bytes, flushes, discards, errors, cache_hits, throttled)",
				    optarg);
			break;
		case 'w':
			interval = 1;
			if (!optarg && optind < argc + 1 && argv[optind - 1][0] != '-' &&
			    strtod(argv[optind - 1], &end) > 0 && !*end)
				optarg = argv[optind++ - 1];
			if (optarg) {
				interval = strtod(optarg, &end);
				if (*end || interval < 0.1 || interval > 3600)
					die(EXIT_USAGE, "--watch: interval '%s' is not 0.1 to 3600 seconds",
					    optarg);
			}
			break;
		case 'c':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1)
				die(EXIT_USAGE, "--count needs a positive number, not '%s'", optarg);
			break;
		case 'r':
			human = false;
			break;
		case 'h':
			usage(usage_stats, EXIT_OK);
		default:
			usage(usage_stats, EXIT_USAGE);
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (count > 0 && !interval)
		die(EXIT_USAGE, "--count goes with --watch");

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (;;) {
		t1 = now();
		if (vaio_disk_list(nl(), &cur, &nc, &err))
			die_err(&err);
		for (i = 0; i < argc; i++) {
			for (j = 0; j < nc; j++)
				if (selected(&cur[j], 1, argv + i))
					break;
			if (j == nc)
				die(EXIT_FAIL, "disk %s does not exist", argv[i]);
		}
		rows = calloc(nc + 1, sizeof(*rows));
		if (!rows)
			die(EXIT_FAIL, "out of memory");
		for (i = n = 0; i < nc; i++) {
			if (!selected(&cur[i], argc, argv))
				continue;
			rows[n].d = &cur[i];
			rows[n].v = cur[i].st;
			if (key >= SORT_FILTER)
				fsum = filter_sum(&cur[i], key);
			for (j = 0; prev && j < np; j++) {
				if (strcmp(prev[j].id, cur[i].id))
					continue;
				rows[n].secs = t1 - t0;
				stats_delta(&rows[n].v, &prev[j].st);
				/* Not after a reload restarted the counts. */
				psum = key >= SORT_FILTER ?
				       filter_sum(&prev[j], key) : 0;
				if (fsum >= psum)
					fsum -= psum;
				break;
			}
			rows[n].key = (key >= SORT_FILTER ? fsum :
				       stat_value(&rows[n].v, key)) /
				      (rows[n].secs > 0 ? rows[n].secs : 1);
			n++;
		}
		if (n > 1)
			qsort(rows, n, sizeof(*rows), cmp_rows);
		if (top > 0 && n > top)
			n = top;
		if (!interval || prev) {
			if (interval && !json_out && isatty(STDOUT_FILENO))
				printf("\033[H\033[2J");
			print_stats(rows, n);
			if (count > 0)
				count--;
		}
		free(rows);
		free(prev);
		prev = cur;
		np = nc;
		t0 = t1;
		if (!interval || !count || stop)
			break;
		usleep(interval * 1e6);
		if (stop)
			break;
	}
	free(prev);
	return EXIT_OK;
}
