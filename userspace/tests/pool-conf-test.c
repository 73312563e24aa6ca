// SPDX-License-Identifier: GPL-2.0-only
/*
 * pool-conf-test: a cache pool's block size in libvaio (issue 19): the
 * pool target's table and status as vaio_pool_parse_table() and
 * vaio_pool_parse_status() read them, and the "block_size" key of pool
 * records (written only when not 4096, checked when read, said to be
 * given or not), in a temporary confdir; the block size read from a pool
 * superblock (vaio_pool_sb_block_size(), of a file). No kernel needed.
 * TAP output; exit 1 if a case fails.
 */
#include "../lib/vaio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int n, failed;
static char dir[] = "/tmp/pool-conf-test.XXXXXX";

static void ok(bool good, const char *name)
{
	n++;
	if (!good)
		failed++;
	printf("%s %d - %s\n", good ? "ok" : "not ok", n, name);
}

static void table(const char *params, int r, const char *dev, uint64_t mib,
		  uint32_t bs)
{
	struct vaio_pool_info p;
	char name[160];
	int got;

	memset(&p, 0xa5, sizeof(p));
	got = vaio_pool_parse_table(params, &p);
	snprintf(name, sizeof(name), "table '%s'", params);
	if (got != r || strcmp(p.device, dev) || p.memory_mib != mib ||
	    p.block_size != bs)
		printf("# got %d, device '%s', memory_mib %" PRIu64 ", block_size %" PRIu32 "\n",
		       got, p.device, p.memory_mib, p.block_size);
	ok(got == r && !strcmp(p.device, dev) && p.memory_mib == mib &&
	   p.block_size == bs, name);
}

/* @params with the table's block size @tbs already read. */
static void status(const char *params, uint32_t tbs, const char *state,
		   uint32_t bs, uint64_t blocks, uint64_t dirty, uint64_t mem,
		   const char *uuid, uint64_t index_kib)
{
	struct vaio_pool_info p;
	char name[300];

	memset(&p, 0, sizeof(p));
	p.block_size = tbs;
	vaio_pool_parse_status(params, &p);
	snprintf(name, sizeof(name), "status '%.250s'", params);
	if (strcmp(p.state, state) || p.block_size != bs ||
	    (strcmp(state, "unknown") && (p.blocks != blocks ||
	     p.dirty != dirty || p.memory_blocks != mem ||
	     strcmp(p.uuid, uuid) || p.index_kib != index_kib))) {
		printf("# got state %s, block_size %" PRIu32 ", blocks %" PRIu64
		       ", dirty %" PRIu64 ", memory_blocks %" PRIu64 ", uuid '%s'"
		       ", index_kib %" PRIu64 "\n",
		       p.state, p.block_size, p.blocks, p.dirty, p.memory_blocks,
		       p.uuid, p.index_kib);
		ok(false, name);
		return;
	}
	ok(true, name);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pools/%s.json", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static bool file_has(const char *name, const char *text)
{
	char path[256], buf[4096];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pools/%s.json", dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return strstr(buf, text) != NULL;
}

/* Record @name (its text @text) loads with block size @bs, or fails (0). */
static void load(const char *name, const char *text, uint32_t bs,
		 const char *why)
{
	struct vaio_pool_conf *c = malloc(sizeof(*c));
	struct vaio_err err = { 0 };
	char desc[160];
	int r;

	if (!c)
		exit(1);
	write_file(name, text);
	r = vaio_pool_conf_load(name, c, &err);
	snprintf(desc, sizeof(desc), "record %s", text);
	if (bs ? r || c->block_size != bs : !r || !strstr(err.msg, why)) {
		printf("# got %d (%s), block_size %" PRIu32 "\n", r,
		       r ? err.msg : "", r ? 0 : c->block_size);
		ok(false, desc);
	} else {
		ok(true, desc);
	}
	free(c);
}

/* A record of block size @bs saved, then loaded: @key in the file or not. */
static void round_trip(uint32_t bs, uint32_t want, bool key)
{
	struct vaio_pool_conf *c = calloc(1, sizeof(*c));
	struct vaio_err err = { 0 };
	char desc[80];
	bool good;

	if (!c)
		exit(1);
	snprintf(c->name, sizeof(c->name), "rt");
	c->ndevices = 1;
	snprintf(c->devices[0], sizeof(c->devices[0]), "/dev/ram0");
	c->block_size = bs;
	good = !vaio_pool_conf_save(c, &err) &&
		file_has("rt", "\"block_size\"") == key;
	memset(c, 0, sizeof(*c));
	good = good && !vaio_pool_conf_load("rt", c, &err) &&
		c->block_size == want;
	if (!good)
		printf("# %s; block_size %" PRIu32 "\n", err.msg, c->block_size);
	snprintf(desc, sizeof(desc), "saved with block_size %" PRIu32 ", read %" PRIu32 "%s",
		 bs, want, key ? "" : " (no key)");
	ok(good, desc);
	free(c);
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = v >> (8 * i);
}

/*
 * A file "sb" in the confdir of 8 KiB whose first 72 bytes are a pool
 * superblock (struct cache_sb: magic 0, version 8, block_size 12, uuid
 * 52, csum 68) of @version, @bs, uuid bytes @uuid (NULL: zero), with its
 * checksum (plus @csum_off), then the block size read asking for @want.
 */
static void sb_case(uint64_t magic, uint32_t version, uint32_t bs,
		    const unsigned char *uuid, uint32_t csum_off,
		    const char *want, uint32_t expect, const char *desc)
{
	static unsigned char buf[8192];
	struct vaio_err err = { 0 };
	char path[300];
	uint32_t got = 1;
	int fd, r;

	memset(buf, 0, sizeof(buf));
	put_le(buf, magic, 8);
	put_le(buf + 8, version, 4);
	put_le(buf + 12, bs, 4);
	put_le(buf + 16, 1000, 8);	/* nslots, meta_start... anything */
	put_le(buf + 24, 2048, 8);
	if (uuid)
		memcpy(buf + 52, uuid, 16);
	put_le(buf + 68, vaio_crc32c(~0U, buf, 72) + csum_off, 4);
	snprintf(path, sizeof(path), "%s/sb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		perror(path);
		exit(1);
	}
	close(fd);
	r = vaio_pool_sb_block_size(path, want, &got, &err);
	if (r || got != expect)
		printf("# got %d (%s), block size %" PRIu32 "\n", r, err.msg, got);
	ok(!r && got == expect, desc);
}

int main(void)
{
	static const char *const U = "3f1c2a9e-5b7d-4c1e-9a0b-7d6e5f4c3b2a";
	char s[300], path[300];
	uint64_t v;
	bool good = true;

	printf("TAP version 13\n1..48\n");

	/* Block sizes: powers of two, 4 KiB to 1 MiB. */
	for (v = 4096; v <= 1048576; v <<= 1)
		good = good && vaio_pool_block_size_valid(v);
	ok(good, "4096 to 1048576, powers of two, valid");
	ok(!vaio_pool_block_size_valid(0) && !vaio_pool_block_size_valid(2048) &&
	   !vaio_pool_block_size_valid(3000) &&
	   !vaio_pool_block_size_valid(12288) &&
	   !vaio_pool_block_size_valid(2097152) &&
	   !vaio_pool_block_size_valid(1ULL << 32 | 4096),
	   "0, 2048, 3000, 12288, 2 MiB, 2^32+4096 invalid");

	/* The table: the words after the device in any order. */
	table("254:3", 0, "254:3", 0, 4096);
	table("254:3 memory_mib=4", 0, "254:3", 4, 4096);
	table("254:3 block_size=32768", 0, "254:3", 0, 32768);
	table("254:3 memory_mib=4 block_size=8192", 0, "254:3", 4, 8192);
	table("254:3 block_size=1048576 memory_mib=16", 0, "254:3", 16, 1048576);
	table("254:3 uuid=x block_size=65536 format", 0, "254:3", 0, 65536);
	table("254:3  block_size=65536", 0, "254:3", 0, 65536);
	table("254:3 block_size=", -EINVAL, "254:3", 0, 4096);
	table("254:3 block_size=32k", -EINVAL, "254:3", 0, 4096);
	table("", -EINVAL, "", 0, 4096);

	/* The status: block_size its first number. */
	status("block_size 4096 blocks 7904 used 3 filling 0 free 7901 disks 1 reserved_pct 0 state ok errors 0 dirty 2",
	       4096, "ok", 4096, 7904, 2, 0, "", 0);
	status("block_size 32768 blocks 988 used 0 filling 0 free 988 disks 0 reserved_pct 0 state ok errors 0 dirty 0 memory_blocks 0 memory_used 0",
	       32768, "ok", 32768, 988, 0, 0, "", 0);
	snprintf(s, sizeof(s), "block_size 1048576 blocks 30 used 1 filling 0 free 29 disks 2 reserved_pct 10 state failed errors 3 dirty 1 memory_blocks 0 memory_used 0 uuid %s",
		 U);
	status(s, 4096, "failed", 1048576, 30, 1, 0, U, 0);
	snprintf(s, sizeof(s), "block_size 4096 blocks 7904 used 0 filling 0 free 7904 disks 0 reserved_pct 0 state ok errors 0 dirty 0 memory_blocks 1024 memory_used 7 uuid %s",
		 U);
	status(s, 4096, "ok", 4096, 7904, 0, 1024, U, 0);
	snprintf(s, sizeof(s), "block_size 32768 blocks 988 used 0 filling 0 free 988 disks 0 reserved_pct 0 state ok errors 0 dirty 0 memory_blocks 0 memory_used 0 uuid %s index_kib 27",
		 U);
	status(s, 4096, "ok", 32768, 988, 0, 0, U, 27);
	status("block_size 16384 blocks 9", 16384, "unknown", 16384, 0, 0, 0, "", 0);
	status("something else", 65536, "unknown", 65536, 0, 0, 0, "", 0);
	status("something else", 0, "unknown", 4096, 0, 0, 0, "", 0);

	/* Records: "block_size" optional, in bytes, checked. */
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	vaio_conf_set_dir(dir);
	snprintf(path, sizeof(path), "%s/pools", dir);
	if (mkdir(path, 0755)) {
		perror(path);
		return 1;
	}
	load("old", "{\"pool\": \"old\", \"device\": \"/dev/ram0\"}", 4096, NULL);
	load("b32", "{\"pool\": \"b32\", \"device\": \"/dev/ram0\", \"block_size\": 32768}",
	     32768, NULL);
	load("b4", "{\"pool\": \"b4\", \"device\": \"/dev/ram0\", \"block_size\": 4096}",
	     4096, NULL);
	load("b1m", "{\"pool\": \"b1m\", \"devices\": [\"/dev/ram0\", \"/dev/ram1\"], \"block_size\": 1048576, \"memory_mib\": 0}",
	     1048576, NULL);
	load("bad1", "{\"pool\": \"bad1\", \"device\": \"/dev/ram0\", \"block_size\": 3000}",
	     0, "\"block_size\" must be a number of bytes, a power of two from 4096 to 1048576");
	load("bad2", "{\"pool\": \"bad2\", \"device\": \"/dev/ram0\", \"block_size\": 2097152}",
	     0, "\"block_size\" must be");
	load("bad3", "{\"pool\": \"bad3\", \"device\": \"/dev/ram0\", \"block_size\": \"32K\"}",
	     0, "\"block_size\" must be");
	load("bad4", "{\"pool\": \"bad4\", \"device\": \"/dev/ram0\", \"block_size\": 0}",
	     0, "\"block_size\" must be");
	load("bad5", "{\"pool\": \"bad5\", \"device\": \"/dev/ram0\", \"block_size\": -4096}",
	     0, "\"block_size\" must be");
	load("bad6", "{\"pool\": \"bad6\", \"device\": \"/dev/ram0\", \"block_size\": 32768.0}",
	     0, "\"block_size\" must be");
	round_trip(0, 4096, false);
	round_trip(4096, 4096, false);
	round_trip(32768, 32768, true);
	round_trip(1048576, 1048576, true);
	{
		struct vaio_pool_conf *c = calloc(1, sizeof(*c));
		struct vaio_err err = { 0 };

		if (!c)
			return 1;
		snprintf(c->name, sizeof(c->name), "rt");
		c->ndevices = 1;
		snprintf(c->devices[0], sizeof(c->devices[0]), "/dev/ram0");
		c->block_size = 12288;
		ok(vaio_pool_conf_save(c, &err) && strstr(err.msg, "block size 12288"),
		   "a record of block size 12288 not saved");
		free(c);
	}

	/* Said to be given: by the key only, 4096 too. */
	{
		struct vaio_pool_conf *c = calloc(1, sizeof(*c));
		struct vaio_err err = { 0 };

		if (!c)
			return 1;
		ok(!vaio_pool_conf_load("old", c, &err) && !c->block_size_given &&
		   c->block_size == 4096 &&
		   !vaio_pool_conf_load("b4", c, &err) && c->block_size_given &&
		   !vaio_pool_conf_load("b32", c, &err) && c->block_size_given,
		   "a record's block size given by its key only");
		free(c);
	}

	/* The superblock: the pool's block size, or 0 (not that pool's). */
	{
		static const unsigned char ub[16] = {
			0x3f, 0x1c, 0x2a, 0x9e, 0x5b, 0x7d, 0x4c, 0x1e,
			0x9a, 0x0b, 0x7d, 0x6e, 0x5f, 0x4c, 0x3b, 0x2a };
		static const char *const other = "3f1c2a9e-5b7d-4c1e-9a0b-7d6e5f4c3b2b";
		const uint64_t M = 0x4843414f49414156ULL;
		struct vaio_err err = { 0 };
		uint32_t got = 1;

		sb_case(M, 3, 32768, ub, 0, U, 32768, "superblock: 32 KiB, its uuid");
		sb_case(M, 3, 1048576, ub, 0, "3F1C2A9E-5B7D-4C1E-9A0B-7D6E5F4C3B2A",
			1048576, "superblock: 1 MiB, its uuid in capitals");
		sb_case(M, 2, 65536, ub, 0, U, 65536, "superblock: version 2");
		sb_case(M, 3, 32768, ub, 0, other, 0, "superblock: another pool's: 0");
		sb_case(M, 3, 32768, NULL, 0, U, 32768,
			"superblock: no uuid (before uuids): taken");
		sb_case(M, 3, 32768, ub, 0, "", 32768, "superblock: no uuid asked: taken");
		sb_case(M, 3, 32768, ub, 1, U, 0, "superblock: a bad checksum: 0");
		sb_case(M, 1, 32768, ub, 0, U, 0, "superblock: version 1: 0");
		sb_case(M, 4, 32768, ub, 0, U, 0, "superblock: version 4: 0");
		sb_case(M, 3, 12288, ub, 0, U, 0, "superblock: block size 12288: 0");
		sb_case(M + 1, 3, 32768, ub, 0, U, 0, "superblock: another magic: 0");
		snprintf(path, sizeof(path), "%s/nosuch", dir);
		ok(vaio_pool_sb_block_size(path, U, &got, &err) == -ENOENT &&
		   !got && strstr(err.msg, "nosuch"),
		   "superblock: a missing device fails, naming it");
	}

	snprintf(s, sizeof(s), "rm -rf '%s'", dir);
	if (system(s))
		printf("# could not remove %s\n", dir);
	printf("# %d of %d failed\n", failed, n);
	return failed ? 1 : 0;
}
