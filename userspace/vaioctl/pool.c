// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the cache object: cache pool create, remove, list, show.
 */
#include "vaioctl.h"

#include <blkid.h>
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 *--------------------------------------------------------------
 * cache pool
 *--------------------------------------------------------------
 */

/* The device pool @c sits on: its one device, or its linear device. */
static void pool_device(const struct vaio_pool_conf *c, char *buf, size_t len)
{
	char tier[128];

	if (c->ndevices == 1) {
		snprintf(buf, len, "%s", c->devices[0]);
	} else {
		vaio_pool_tier_name(c->name, tier, sizeof(tier));
		snprintf(buf, len, "/dev/mapper/%s", tier);
	}
}

/* @c's devices joined by @sep, or "-" without a record. */
static void pool_members(const struct vaio_pool_conf *c, const char *sep,
			 char *buf, size_t len)
{
	size_t n = 0;
	int i;

	snprintf(buf, len, "-");
	for (i = 0; c && i < c->ndevices && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? sep : "",
			      c->devices[i]);
}

/* "4 KiB", "32 KiB", "1 MiB": block size @bytes, for the text. */
static const char *block_size_text(uint32_t bytes, char *buf, size_t len)
{
	if (bytes >= (1u << 20) && !(bytes & ((1u << 20) - 1)))
		snprintf(buf, len, "%u MiB", bytes >> 20);
	else if (bytes >= 1024 && !(bytes & 1023))
		snprintf(buf, len, "%u KiB", bytes >> 10);
	else
		snprintf(buf, len, "%u bytes", bytes);
	return buf;
}

/* How print_pool() writes a pool in the text. */
enum pool_style { POOL_SHOW, POOL_ROW };

/*
 * A pool's fields into the open object: the live pool @p (NULL: absent)
 * and its record @c (NULL: none); in the text pool show's paragraph or
 * pool list's row. The JSON's order is the keys'; the text's where it
 * differs (the major:minor after the device, the memory tier's size with
 * its blocks, list's columns) says those fields apart.
 */
static void print_pool(const char *name, const struct vaio_pool_info *p,
		       const struct vaio_pool_conf *c, enum pool_style style)
{
	enum output_type ts = style == POOL_SHOW ? PRINT_ANY : PRINT_JSON;
	bool show = style == POOL_SHOW, multi = c && c->ndevices > 1;
	char dev[4200], members[VAIO_POOL_MAX_DEVICES * 4100], mem[48];
	const char *uuid = p && p->uuid[0] ? p->uuid :
			   c && c->uuid[0] ? c->uuid : NULL;
	uint64_t memory_mib = p ? p->memory_mib : c->memory_mib;
	/* The live pool's, else the record's (0 in a record: 4096). */
	uint32_t bs = p && p->block_size ? p->block_size :
		      !p && c && c->block_size ? c->block_size :
		      VAIO_POOL_BLOCK_DEFAULT;
	char bst[32], fmt[64];
	int i;

	block_size_text(bs, bst, sizeof(bst));

	print_string(PRINT_ANY, "pool", show ? "pool %s\n" : "%-20s ", name);
	if (c)
		pool_device(c, dev, sizeof(dev));
	print_string(ts, "device", "    device %s", c ? dev : NULL);
	/* The device in the live table, with the device in the text. */
	if (show)
		print_text(" (%s)", p ? p->device : "-");
	if (c) {
		if (show && multi)
			print_text(", linear over");
		open_json_array("devices");
		for (i = 0; i < c->ndevices; i++)
			print_string(show && multi ? PRINT_ANY : PRINT_JSON, NULL,
				     " %s", c->devices[i]);
		close_json_array();
	} else {
		print_null(PRINT_JSON, "devices", NULL, NULL);
	}
	print_bool(PRINT_JSON, "recorded", NULL, c != NULL);
	if (show)
		print_text("%s\n", c ? "" : ", not recorded");
	print_string(ts, "uuid", "    uuid %s\n", uuid);
	/* An absent pool's memory tier here; a live one's with its blocks. */
	print_u64(!p && memory_mib ? ts : PRINT_JSON, "memory_mib",
		  "    memory %llu MiB\n", memory_mib);
	if (!p) {
		print_uint(PRINT_JSON, "block_size", NULL, bs);
		if (show)
			print_text("    blocks of %s\n", bst);
		print_string(ts, "state", "    state %s (vaioctl apply creates it)\n",
			     "absent");
		if (!show) {
			pool_members(c, ",", members, sizeof(members));
			print_text("%-9s %10s %10s %10s %-13s %6s %9s %-7s %s\n",
				   "-", "0", "0", "0", "-", "0", "0%", "absent",
				   members);
		}
		return;
	}
	print_string(show ? PRINT_JSON : PRINT_ANY, "devt", "%-9s ", p->device);
	print_string(ts, "state", "    state %s\n", p->state);
	print_uint(PRINT_JSON, "block_size", NULL, bs);
	snprintf(fmt, sizeof(fmt), "    blocks %%llu of %s:", bst);
	print_u64(PRINT_ANY, "blocks", show ? fmt : "%10llu ", p->blocks);
	print_u64(PRINT_ANY, "used", show ? " used %llu" : "%10llu ", p->used);
	print_u64(ts, "filling", " filling %llu", p->filling);
	print_u64(PRINT_ANY, "free", show ? " free %llu\n" : "%10llu ", p->free);
	if (!show) {
		if (p->memory_blocks)
			snprintf(mem, sizeof(mem), "%llu/%llu",
				 (unsigned long long)p->memory_used,
				 (unsigned long long)p->memory_blocks);
		else
			snprintf(mem, sizeof(mem), "-");
		print_text("%-13s ", mem);
	}
	print_uint(PRINT_ANY, "disks", show ? "    disks %u" : "%6u ", p->disks);
	print_uint(PRINT_ANY, "reserved_pct", show ? "  reserved %u%%" : "%8u%% ",
		   p->reserved_pct);
	print_u64(ts, "errors", "  errors %llu", p->errors);
	print_u64(ts, "dirty", "  dirty %llu\n", p->dirty);
	if (show && !memory_mib && !p->memory_blocks)
		print_text("    memory none\n");
	else if (show)
		print_text("    memory %llu MiB:", (unsigned long long)memory_mib);
	ts = show && (memory_mib || p->memory_blocks) ? PRINT_ANY : PRINT_JSON;
	snprintf(fmt, sizeof(fmt), " blocks %%llu of %s,", bst);
	print_u64(ts, "memory_blocks", fmt, p->memory_blocks);
	print_u64(ts, "memory_used", " used %llu\n", p->memory_used);
	if (p->index_kib) {
		print_u64(show ? PRINT_ANY : PRINT_JSON, "index_kib",
			  "    index %llu KiB of RAM\n", p->index_kib);
	}
	if (!show) {
		pool_members(c, ",", members, sizeof(members));
		print_text("%-7s %s\n", p->state, members);
	}
}

/* The live pools and the recorded ones, by name, printed. @only: one. */
static int pool_print(const char *only)
{
	struct vaio_pool_conf *c = malloc(sizeof(*c));
	struct vaio_pool_info *live;
	struct vaio_err err;
	char **names;
	int nlive, nn, i, j, shown = 0, bad = 0;

	if (!c)
		die(EXIT_FAIL, "out of memory");
	if (vaio_pool_list(&live, &nlive, &err) || vaio_pool_names(&names, &nn, &err))
		die_err(&err);
	if (!only) {
		print_text("%-20s %-9s %10s %10s %10s %-13s %6s %9s %-7s %s\n",
			   "POOL", "DEVICE", "BLOCKS", "USED", "FREE", "MEMORY",
			   "DISKS", "RESERVED", "STATE", "DEVICES");
		open_json_array(NULL);
	}
	/* Live pools first, then the recorded ones that are not there. */
	for (i = 0; i < nlive + nn; i++) {
		const struct vaio_pool_info *p = i < nlive ? &live[i] : NULL;
		const char *name = p ? p->name : names[i - nlive];
		bool rec = vaio_pool_conf_exists(name);

		if (!p) {
			for (j = 0; j < nlive; j++)
				if (!strcmp(live[j].name, name))
					break;
			if (j < nlive)
				continue;
		}
		if (only && strcmp(only, name))
			continue;
		if (rec && vaio_pool_conf_load(name, c, &err)) {
			/* Said, and the exit status 1; a live pool still shown. */
			fprintf(stderr, "vaioctl: %s\n", err.msg);
			bad++;
			rec = false;
			if (!p)
				continue;
		}
		shown++;
		open_json_object(NULL);
		print_pool(name, p, rec ? c : NULL, only ? POOL_SHOW : POOL_ROW);
		close_json_object();
	}
	if (!only)
		close_json_array();
	if (only && !shown && bad)
		exit(EXIT_FAIL);
	if (only && !shown)
		die(EXIT_FAIL, "pool %s does not exist", only);
	free(live);
	free(c);
	vaio_names_free(names, nn);
	return bad ? EXIT_FAIL : EXIT_OK;
}

/*
 * The SIZE of option @opt in bytes: a whole number of 2^@shift bytes (of
 * @what), or a number with one of the suffixes @units (of "KMGT": K, M,
 * G, T, powers of 1024, either case), which @said names.
 */
static uint64_t parse_size(const char *opt, const char *s, int shift,
			   const char *what, const char *units, const char *said)
{
	static const char all[] = "KMGT";
	unsigned long long n;
	const char *u = NULL;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end && !end[1] && strchr(units, toupper((unsigned char)*end)))
		u = strchr(all, toupper((unsigned char)*end));
	/* No sign, no blanks, no fraction. */
	if (!isdigit((unsigned char)*s) || (*end && !u))
		die(EXIT_USAGE, "%s '%s': give a whole number of %s, or a number with %s",
		    opt, s, what, said);
	if (u)
		shift = 10 * (u - all + 1);
	if (errno || n > UINT64_MAX >> shift)
		die(EXIT_USAGE, "%s '%s': too large", opt, s);
	return (uint64_t)n << shift;
}

/*
 * --memory SIZE: MiB, or with a suffix K, M, G or T (powers of 1024); a
 * whole number of MiB, at least 1.
 */
static uint64_t parse_memory(const char *s)
{
	uint64_t n = parse_size("--memory", s, 20, "MiB", "KMGT",
				"a K, M, G or T suffix");

	if (!n)
		die(EXIT_USAGE, "--memory '%s': the memory tier needs at least 1 MiB", s);
	if (n & ((1 << 20) - 1))
		die(EXIT_USAGE, "--memory '%s': not a whole number of MiB", s);
	return n >> 20;
}

/*
 * --block-size SIZE: bytes, or with a suffix K or M (powers of 1024); a
 * power of two from 4 KiB to 1 MiB.
 */
static uint32_t parse_block_size(const char *s)
{
	uint64_t n = parse_size("--block-size", s, 0, "bytes", "KM",
				"a K or M suffix");

	if (!vaio_pool_block_size_valid(n))
		die(EXIT_USAGE, "--block-size '%s': give a power of two from 4K to 1M (4096 to 1048576 bytes)",
		    s);
	return n;
}

/* The pool superblock's first 8 bytes (dm-vaio/filters/cache.h). */
#define VAIO_CACHE_MAGIC	0x4843414f49414156ULL

/*
 * What libblkid finds on @dev (a file system, a RAID member, a partition
 * table, LVM, another signature): "" for nothing. A pool is made only of
 * a device that holds nothing of the kind, or with --force.
 */
void device_signature(const char *dev, char *what, size_t len)
{
	const char *type = NULL, *usage = NULL;
	/* Missing, in use or not readable: said by the checks after. */
	int fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
	blkid_probe pr = fd < 0 ? NULL : blkid_new_probe();
	uint64_t magic;
	int r;

	what[0] = '\0';
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0)) {
		if (pr)
			blkid_free_probe(pr);
		if (fd >= 0)
			close(fd);
		return;
	}
	/* A vaio cache pool, which libblkid does not know. */
	if (pread(fd, &magic, sizeof(magic), 0) == sizeof(magic) &&
	    le64toh(magic) == VAIO_CACHE_MAGIC) {
		snprintf(what, len, "a vaio cache pool (--uuid takes it)");
		blkid_free_probe(pr);
		close(fd);
		return;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	r = blkid_do_safeprobe(pr);
	if (r == -2) {
		snprintf(what, len, "several signatures");
	} else if (r < 0) {
		snprintf(what, len, "something it cannot probe");
	} else if (r == 0) {
		blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
		blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
		if (!type)
			blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL);
		snprintf(what, len, "%s%s%s%s", type ? type : "a signature",
			 usage ? " (" : "", usage ? usage : "", usage ? ")" : "");
	}
	blkid_free_probe(pr);
	close(fd);
}

/* A new pool's identity, from the kernel's generator. */
static void new_uuid(char *uuid, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");

	if (!f || !fgets(uuid, len, f))
		die(EXIT_FAIL, "cannot make a uuid: %s", strerror(errno));
	fclose(f);
	uuid[strcspn(uuid, "\n")] = '\0';
}

uint32_t pool_block_size(const char *name)
{
	struct vaio_pool_info *live;
	struct vaio_err err;
	uint32_t bs = 0;
	int n, i;

	if (vaio_pool_list(&live, &n, &err))
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp(live[i].name, name) && strcmp(live[i].state, "unknown"))
			bs = live[i].block_size;
	free(live);
	return bs;
}

static int pool_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *uuid = NULL;
	struct vaio_pool_conf *c = calloc(1, sizeof(*c));
	char members[VAIO_POOL_MAX_DEVICES * 4100], sig[128];
	uint64_t memory_mib = 0;
	uint32_t block_size = 0, live_bs;
	struct vaio_err err;
	bool force = false;
	char bst[32], bst2[32];
	int o, i, j, lock;

	if (!c)
		die(EXIT_FAIL, "out of memory");
	optind = 0;
	while ((o = getopt_long(argc + 1, argv - 1, "m:b:fu:h", opts, NULL)) != -1) {
		if (o == 'm')
			memory_mib = parse_memory(optarg);
		else if (o == 'b')
			block_size = parse_block_size(optarg);
		else if (o == 'f')
			force = true;
		else if (o == 'u')
			uuid = optarg;
		else if (o == 'h')
			usage(usage_cache, EXIT_OK);
		else
			usage(usage_cache, EXIT_USAGE);
	}
	argc -= optind - 1;
	argv += optind - 1;
	/* The kernel's rule for now, said here before anything is done. */
	if (memory_mib && block_size && block_size != VAIO_POOL_BLOCK_DEFAULT)
		die(EXIT_USAGE, "--memory needs --block-size 4K for now");
	if (argc < 2) {
		fprintf(stderr, "vaioctl: missing argument\n");
		usage(usage_cache, EXIT_USAGE);
	}
	check_name("pool", argv[0]);
	if (argc - 1 > VAIO_POOL_MAX_DEVICES)
		die(EXIT_FAIL, "pool %s: at most %d devices", argv[0],
		    VAIO_POOL_MAX_DEVICES);
	snprintf(c->name, sizeof(c->name), "%s", argv[0]);
	c->memory_mib = memory_mib;
	/*
	 * A new pool's: 4 KiB if not given. The pool --uuid takes has its
	 * own, in its superblock: vaio_pool_create() reads it before making
	 * anything (none given: that one; another given: refused).
	 */
	c->block_size = block_size || uuid ? block_size : VAIO_POOL_BLOCK_DEFAULT;
	c->block_size_given = block_size != 0;
	for (i = 1; i < argc; i++) {
		if (argv[i][0] != '/')
			die(EXIT_FAIL, "pool device '%s': give an absolute path", argv[i]);
		for (j = 1; j < i; j++)
			if (!strcmp(argv[i], argv[j]))
				die(EXIT_FAIL, "device %s: named twice", argv[i]);
		if (snprintf(c->devices[i - 1], sizeof(c->devices[0]), "%s",
			     argv[i]) >= (int)sizeof(c->devices[0]))
			die(EXIT_FAIL, "pool device path too long");
	}
	c->ndevices = argc - 1;
	/*
	 * Made here: a device holding something else is not overwritten. With
	 * --uuid the device holds the pool (the kernel checks it is that one).
	 */
	for (i = 0; i < c->ndevices && !force && !uuid; i++) {
		device_signature(c->devices[i], sig, sizeof(sig));
		if (sig[0])
			die(EXIT_FAIL, "device %s holds %s: not made a cache pool (--force to overwrite it)",
			    c->devices[i], sig);
	}
	/*
	 * A new pool, or with --uuid the pool on the device (its blocks, dirty
	 * ones too, come back); a device holding another pool is refused by
	 * the kernel. --force: a new pool whatever the device holds.
	 */
	if (uuid && force)
		die(EXIT_USAGE, "--uuid takes the pool on the device, --force makes a new one: give one");
	if (uuid) {
		if (!vaio_valid_uuid(uuid))
			die(EXIT_USAGE, "--uuid '%s': not a UUID", uuid);
		snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
		c->format = false;	/* that pool, or none: never a new one */
	} else {
		new_uuid(c->uuid, sizeof(c->uuid));
		c->format = true;
	}

	lock = lock_conf(&err);
	if (lock < 0)
		die_err(&err);
	if (vaio_pool_conf_exists(c->name))
		die(EXIT_FAIL, "pool %s exists", c->name);
	c->wipe = force;
	if (vaio_pool_create(c, &err))
		die_err(&err);
	/*
	 * The block size the pool has: recorded if none was given or found;
	 * else the one given, checked already against a superblock that
	 * could be read, and by the kernel, except 4096 (block_size= is
	 * given for other sizes only, which kernels without block sizes
	 * refuse): checked here again.
	 */
	live_bs = pool_block_size(c->name);
	if (!c->block_size) {
		c->block_size = live_bs;
	} else if (live_bs && live_bs != c->block_size) {
		vaio_pool_remove(c->name, NULL);
		die(EXIT_FAIL, "pool %s: the device holds a pool of %s blocks, not %s",
		    c->name, block_size_text(live_bs, bst, sizeof(bst)),
		    block_size_text(c->block_size, bst2, sizeof(bst2)));
	}
	if (vaio_pool_conf_save(c, &err)) {
		vaio_pool_remove(c->name, NULL);
		die_err(&err);
	}
	unlock_conf(lock);
	if (json_out) {
		free(c);
		return pool_print(argv[0]);
	}
	pool_members(c, " ", members, sizeof(members));
	printf("pool %s created on %s", c->name, members);
	if (c->memory_mib)
		printf(" with %llu MiB of memory", (unsigned long long)c->memory_mib);
	if (c->block_size && c->block_size != VAIO_POOL_BLOCK_DEFAULT)
		printf(", blocks of %s", block_size_text(c->block_size, bst,
							 sizeof(bst)));
	putchar('\n');
	free(c);
	return EXIT_OK;
}

static int cache_pool(int argc, char **argv)
{
	struct vaio_err err;
	int lock, open, r;

	if (argc && is_help(argv[0]))
		usage(usage_cache, EXIT_OK);
	if (argc)
		argv[0] = (char *)expand(argv[0], (const char *const[]){
			"list", "show", "create", "remove", NULL });
	if (!argc || !strcmp(argv[0], "list")) {
		want_args(argc ? argc - 1 : 0, argv + 1, 0, usage_cache);
		return pool_print(NULL);
	}
	if (!strcmp(argv[0], "show")) {
		want_args(argc - 1, argv + 1, 1, usage_cache);
		return pool_print(argv[1]);
	}
	if (!strcmp(argv[0], "create"))
		return pool_create(argc - 1, argv + 1);
	if (!strcmp(argv[0], "remove")) {
		want_args(argc - 1, argv + 1, 1, usage_cache);
		check_name("pool", argv[1]);
		lock = lock_conf(&err);
		if (lock < 0)
			die_err(&err);
		r = vaio_dm_state(argv[1], &err);
		if (r < 0)
			die_err(&err);
		if (r) {
			struct vaio_pool_info *live;
			int n, i;

			if (vaio_pool_list(&live, &n, &err))
				die_err(&err);
			for (i = 0; i < n; i++)
				if (!strcmp(live[i].name, argv[1]))
					break;
			if (i == n)
				die(EXIT_FAIL, "%s is not a cache pool", argv[1]);
			free(live);
			if (vaio_dm_open_count(argv[1], &open, &err))
				die_err(&err);
			if (open)
				die(EXIT_FAIL, "pool %s: in use by %d disk%s; remove their cache components first",
				    argv[1], open, open == 1 ? "" : "s");
		} else if (!vaio_pool_conf_exists(argv[1])) {
			die(EXIT_FAIL, "pool %s does not exist", argv[1]);
		}
		/* The pool, then the linear device under it if it has one. */
		if (vaio_pool_remove(argv[1], &err))
			die_err(&err);
		if (vaio_pool_conf_exists(argv[1]) &&
		    vaio_pool_conf_delete(argv[1], &err))
			die_err(&err);
		unlock_conf(lock);
		if (!json_out)
			printf("pool %s removed\n", argv[1]);
		return EXIT_OK;
	}
	fprintf(stderr, "vaioctl: unknown command 'cache pool %s'\n", argv[0]);
	usage(usage_cache, EXIT_USAGE);
}

int cache(int argc, char **argv)
{
	if (argc && is_help(argv[0]))
		usage(usage_cache, EXIT_OK);
	if (argc)
		argv[0] = (char *)expand(argv[0], (const char *const[]){ "pool", NULL });
	if (!argc || strcmp(argv[0], "pool")) {
		if (argc)
			fprintf(stderr, "vaioctl: unknown command 'cache %s'\n", argv[0]);
		usage(usage_cache, EXIT_USAGE);
	}
	return cache_pool(argc - 1, argv + 1);
}
