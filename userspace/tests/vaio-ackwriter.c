// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaio-ackwriter: a writer that logs every acknowledged write, and the
 * checks of a disk against its log (selftests/repl/async-crash, power-off).
 *
 *   vaio-ackwriter write --dev DEV --log LOG --seed N [--threads Q]
 *                        [--count C | --seconds S] [--blocks NB] [--fua]
 *                        [--start-seq K] [--keep-going] [--readers R]
 *   vaio-ackwriter scan --dev DEV [--blocks NB]
 *   vaio-ackwriter check --log LOG (--dev DEV | --scan FILE)
 *                        [--prefix] [--complete] [-v]
 *
 * Write number seq (1, 2, ...) goes to block
 *   block(seed, seq) = mix64(seed ^ (seq * 0x9e3779b97f4a7c15)) % NB
 * of 4 KiB, and its content follows from (seed, seq): a header
 * {"VAIOACKW", seq, block, seed, crc32 of the rest}, then bytes of a
 * xorshift generator seeded with mix64(seed + seq). Q threads write at
 * once, never two to the same block. Each write records its watermark
 * wm: every write with seq <= wm had completed when it was issued.
 *
 * The log (a file or a block device, written O_DSYNC): a 4 KiB header
 * {"VAIOACKL", seed, NB}, then 16-byte records {seq, wm} (little-endian),
 * one per acknowledged write, appended after the write completed; each
 * record is on the log before the writer goes on. A power cut loses at most
 * the records of the writes in flight. Zeroes end the log.
 *
 * A write that fails ends the run, or with --keep-going is counted and not
 * logged (its block holds its data or what it held before), and the run
 * goes on: for a disk below that fails for a while.
 *
 * --readers R: R threads read random blocks while the writers write, and
 * count a stale read: a block read back older than the last write to it
 * acknowledged before the read was issued (or holding no write of this
 * run). No write to a block is in flight while it is read, and none is
 * issued until the read completes, so a read sees one whole write. A
 * failed read is counted, not a violation. Stale reads make the exit
 * status 1; the first ones are printed.
 *
 * check --complete: every logged seq is on the disk (its block holds it or
 * a later write). check --prefix: let L be the largest wm of the logged
 * writes the disk holds; every write with seq <= L is on the disk. That
 * is the disk holds a prefix of the history (writes in flight together
 * may land in any order; one issued after another completed may not land
 * before it). Exit status 0 ok, 1 violated, 2 usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BS		4096
#define HDR_MAGIC	"VAIOACKW"
#define LOG_MAGIC	"VAIOACKL"
#define MAX_THREADS	64
#define BAD		UINT64_MAX	/* classify(): not a write of a run */

struct blk_hdr {
	char magic[8];
	uint64_t seq, block, seed;
	uint32_t crc;
	uint32_t pad;
};

struct log_hdr {
	char magic[8];
	uint64_t seed, blocks;
};

struct rec {
	uint64_t seq, wm;
};

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vaio-ackwriter: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t block_of(uint64_t seed, uint64_t seq, uint64_t nb)
{
	return mix64(seed ^ (seq * 0x9e3779b97f4a7c15ULL)) % nb;
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
	uint32_t c = ~0U;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & -(c & 1));
	}
	return ~c;
}

/* The block of write @seq, as it must read back. */
static void fill(unsigned char *buf, uint64_t seed, uint64_t seq, uint64_t block)
{
	struct blk_hdr h = { .seq = seq, .block = block, .seed = seed };
	uint64_t x = mix64(seed + seq) | 1;
	size_t i;

	for (i = sizeof(h); i + 8 <= BS; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
	memcpy(h.magic, HDR_MAGIC, 8);
	h.crc = crc32(buf + sizeof(h), BS - sizeof(h));
	memcpy(buf, &h, sizeof(h));
}

static uint64_t dev_blocks(int fd, const char *path)
{
	struct stat st;
	uint64_t bytes;

	if (fstat(fd, &st))
		die(2, "%s: %s", path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes))
			die(2, "%s: BLKGETSIZE64: %s", path, strerror(errno));
	} else {
		bytes = st.st_size;
	}
	if (bytes < BS)
		die(2, "%s: smaller than a block", path);
	return bytes / BS;
}

/* The mode is for O_CREAT (the log): without it the file got whatever. */
static int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT, 0600);

	if (fd < 0 && errno == EINVAL) {
		/* tmpfs has no O_DIRECT: O_DSYNC writes are as durable there. */
		fd = open(path, flags, 0600);
	}
	if (fd < 0)
		die(2, "%s: %s", path, strerror(errno));
	return fd;
}

static void *xalign(void)
{
	void *p;

	if (posix_memalign(&p, BS, BS))
		die(2, "out of memory");
	return p;
}

/*
 *--------------------------------------------------------------
 * write
 *--------------------------------------------------------------
 */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int dev, log;
	uint64_t seed, nb, next, count, acked, failed, errors;
	bool keep_going;
	uint64_t inflight_block[MAX_THREADS];
	uint64_t inflight_seq[MAX_THREADS];	/* 0: slot free */
	uint64_t reading_block[MAX_THREADS];
	bool reading[MAX_THREADS];
	uint64_t *last_acked;		/* per block, readers only */
	uint64_t reads, read_errors, stale;
	uint64_t done_floor;		/* every seq <= it completed */
	unsigned char *done;		/* completed, above the floor (ring) */
	uint64_t ring;
	time_t end;
	unsigned char *logbuf;		/* the current log block */
	uint64_t lognext;		/* next record's byte offset */
} w = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool block_busy(uint64_t block, int self)
{
	int i;

	for (i = 0; i < MAX_THREADS; i++)
		if ((i != self && w.inflight_seq[i] && w.inflight_block[i] == block) ||
		    (w.reading[i] && w.reading_block[i] == block))
			return true;
	return false;
}

/* w.lock held: a record on the log, durably, before anything else. */
static int log_append(uint64_t seq, uint64_t wm)
{
	struct rec r = { .seq = seq, .wm = wm };
	uint64_t off = w.lognext;
	uint64_t base = off / BS * BS;

	memcpy(w.logbuf + off % BS, &r, sizeof(r));
	if (pwrite(w.log, w.logbuf, BS, base) != BS)
		return -1;
	w.lognext += sizeof(r);
	if (w.lognext % BS == 0) {
		/*
		 * A full block: the next one ends the log until a record is
		 * in it, or an older, longer run's records would read on.
		 */
		memset(w.logbuf, 0, BS);
		if (pwrite(w.log, w.logbuf, BS, w.lognext) != BS)
			return -1;
	}
	return 0;
}

/* w.lock held: write @seq completed (or failed); raise the floor. */
static void mark_done(uint64_t seq)
{
	w.done[seq % w.ring] = 1;
	while (w.done[(w.done_floor + 1) % w.ring]) {
		w.done[(w.done_floor + 1) % w.ring] = 0;
		w.done_floor++;
	}
}

static void *writer(void *arg)
{
	int self = (int)(intptr_t)arg;
	unsigned char *buf = xalign();

	pthread_mutex_lock(&w.lock);
	for (;;) {
		uint64_t seq, block, wm;
		ssize_t n;

		if (stop || w.failed || (w.count && w.next > w.count) ||
		    (w.end && time(NULL) >= w.end))
			break;
		seq = w.next;
		block = block_of(w.seed, seq, w.nb);
		/* Never two writes of one block in flight: wait for it. */
		if (block_busy(block, -1) ||
		    seq - w.done_floor >= w.ring) {
			pthread_cond_wait(&w.cond, &w.lock);
			continue;
		}
		w.next++;
		wm = w.done_floor;
		w.inflight_seq[self] = seq;
		w.inflight_block[self] = block;
		pthread_mutex_unlock(&w.lock);

		fill(buf, w.seed, seq, block);
		n = pwrite(w.dev, buf, BS, (off_t)(block * BS));

		pthread_mutex_lock(&w.lock);
		w.inflight_seq[self] = 0;
		if (n != BS && w.keep_going) {
			/* Done, not acknowledged: not logged. */
			w.errors++;
			mark_done(seq);
			pthread_mutex_unlock(&w.lock);
			usleep(1000);	/* a disk that fails fails fast */
			pthread_mutex_lock(&w.lock);
		} else if (n != BS) {
			fprintf(stderr, "vaio-ackwriter: write %" PRIu64 " (block %" PRIu64 "): %s\n",
				seq, block, n < 0 ? strerror(errno) : "short write");
			w.failed = 1;
		} else if (log_append(seq, wm)) {
			fprintf(stderr, "vaio-ackwriter: log: %s\n", strerror(errno));
			w.failed = 1;
		} else {
			w.acked++;
			if (w.last_acked)
				w.last_acked[block] = seq;
			mark_done(seq);
		}
		pthread_cond_broadcast(&w.cond);
	}
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	free(buf);
	return NULL;
}

static bool writing(void)
{
	return !stop && !w.failed && !(w.count && w.next > w.count) &&
	       !(w.end && time(NULL) >= w.end);
}

static uint64_t classify(const unsigned char *buf, uint64_t block,
			 uint64_t *seed, unsigned char *ref);

/* A reader: random blocks, each read while no write of it is in flight. */
static void *reader(void *arg)
{
	int self = (int)(intptr_t)arg;
	unsigned char *buf = xalign(), *ref = xalign();
	uint64_t x = mix64(w.seed ^ (uint64_t)self) | 1;

	pthread_mutex_lock(&w.lock);
	while (writing()) {
		uint64_t block, acked, issued, seq, seed = 0;
		ssize_t n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		block = x % w.nb;
		if (block_busy(block, -1)) {
			pthread_cond_wait(&w.cond, &w.lock);
			continue;
		}
		w.reading[self] = true;
		w.reading_block[self] = block;
		acked = w.last_acked[block];
		issued = w.next - 1;
		pthread_mutex_unlock(&w.lock);

		n = pread(w.dev, buf, BS, (off_t)(block * BS));
		seq = n == BS ? classify(buf, block, &seed, ref) : 0;

		pthread_mutex_lock(&w.lock);
		w.reading[self] = false;
		w.reads++;
		if (n != BS) {
			w.read_errors++;
		} else if (seq == BAD || seq < acked || seq > issued ||
			   (seq && seed != w.seed)) {
			if (w.stale++ < 10)
				fprintf(stderr, "vaio-ackwriter: stale read: block %" PRIu64 " holds %s%" PRIu64 ", write %" PRIu64 " to it was acknowledged before the read\n",
					block, seq == BAD ? "no write of this run, " : "write ",
					seq == BAD ? 0 : seq, acked);
		}
		pthread_cond_broadcast(&w.cond);
		if (n != BS) {
			pthread_mutex_unlock(&w.lock);
			usleep(1000);
			pthread_mutex_lock(&w.lock);
		}
	}
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	free(buf);
	free(ref);
	return NULL;
}

static int cmd_write(const char *dev, const char *log, uint64_t seed,
		     uint64_t nb, int threads, uint64_t start, uint64_t count,
		     int seconds, bool fua, int readers)
{
	pthread_t tid[MAX_THREADS], rid[MAX_THREADS];
	struct log_hdr *lh;
	int i;

	w.dev = open_direct(dev, O_RDWR | (fua ? O_DSYNC : 0));
	w.log = open_direct(log, O_RDWR | O_CREAT | O_DSYNC);
	w.nb = nb ? nb : dev_blocks(w.dev, dev);
	w.seed = seed;
	w.next = start;
	w.done_floor = start - 1;
	w.count = count ? start - 1 + count : 0;
	w.end = seconds ? time(NULL) + seconds : 0;
	w.ring = 4 * MAX_THREADS;
	w.done = calloc(w.ring, 1);
	w.logbuf = xalign();
	if (readers)
		w.last_acked = calloc(w.nb, sizeof(*w.last_acked));
	if (!w.done || (readers && !w.last_acked))
		die(2, "out of memory");
	memset(w.logbuf, 0, BS);
	lh = (struct log_hdr *)w.logbuf;
	memcpy(lh->magic, LOG_MAGIC, 8);
	lh->seed = seed;
	lh->blocks = w.nb;
	if (pwrite(w.log, w.logbuf, BS, 0) != BS)
		die(2, "%s: %s", log, strerror(errno));
	/* A log longer than this run's must not show old records. */
	memset(w.logbuf, 0, BS);
	if (pwrite(w.log, w.logbuf, BS, BS) != BS)
		die(2, "%s: %s", log, strerror(errno));
	w.lognext = BS;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, writer, (void *)(intptr_t)i))
			die(2, "cannot start a thread");
	for (i = 0; i < readers; i++)
		if (pthread_create(&rid[i], NULL, reader, (void *)(intptr_t)i))
			die(2, "cannot start a thread");
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_lock(&w.lock);
	stop = 1;	/* the readers stop with the writers */
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	for (i = 0; i < readers; i++)
		pthread_join(rid[i], NULL);
	printf("acked %" PRIu64 " last_seq %" PRIu64 " failed %" PRIu64,
	       w.acked, w.next - 1, w.errors);
	if (readers)
		printf(" reads %" PRIu64 " read_errors %" PRIu64 " stale %" PRIu64,
		       w.reads, w.read_errors, w.stale);
	printf("\n");
	return w.failed || w.stale ? 1 : 0;
}

/*
 *--------------------------------------------------------------
 * scan and check
 *--------------------------------------------------------------
 */

/* What a block holds: its seq, 0 for zeroes, BAD for anything else. */
static uint64_t classify(const unsigned char *buf, uint64_t block,
			 uint64_t *seed, unsigned char *ref)
{
	struct blk_hdr h;
	size_t i;

	for (i = 0; i < BS && !buf[i]; i++)
		;
	if (i == BS)
		return 0;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, HDR_MAGIC, 8) || h.block != block || !h.seq)
		return BAD;
	fill(ref, h.seed, h.seq, block);
	if (memcmp(ref, buf, BS))
		return BAD;
	*seed = h.seed;
	return h.seq;
}

static int cmd_scan(const char *dev, uint64_t nb)
{
	unsigned char *buf = xalign(), *ref = xalign();
	int fd = open_direct(dev, O_RDONLY);
	uint64_t b, seq, seed = 0;

	if (!nb)
		nb = dev_blocks(fd, dev);
	for (b = 0; b < nb; b++) {
		if (pread(fd, buf, BS, (off_t)(b * BS)) != BS)
			die(2, "%s: read of block %" PRIu64 ": %s", dev, b,
			    strerror(errno));
		seq = classify(buf, b, &seed, ref);
		if (seq == BAD)
			printf("%" PRIu64 " bad\n", b);
		else if (seq)
			printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", b, seq, seed);
	}
	close(fd);
	free(buf);
	free(ref);
	return 0;
}

struct state {
	uint64_t nb, seed;
	uint64_t *disk;		/* per block: seq, 0 or BAD */
	uint64_t *disk_seed;
	uint64_t *wm;		/* per seq, logged ones; 0: not logged */
	bool *logged;
	uint64_t max_seq;	/* the largest seq logged */
	uint64_t nrec;
};

static void read_log(const char *path, struct state *s)
{
	unsigned char *buf = xalign();
	struct log_hdr lh;
	uint64_t cap = 1024, off;
	int fd = open_direct(path, O_RDONLY);
	struct rec *recs = malloc(cap * sizeof(*recs));
	bool end = false;
	uint64_t i;

	if (!recs)
		die(2, "out of memory");
	if (pread(fd, buf, BS, 0) != BS)
		die(2, "%s: no log header", path);
	memcpy(&lh, buf, sizeof(lh));
	if (memcmp(lh.magic, LOG_MAGIC, 8))
		die(2, "%s: not a vaio-ackwriter log", path);
	s->seed = lh.seed;
	s->nb = lh.blocks;
	for (off = BS; !end; off += BS) {
		if (pread(fd, buf, BS, (off_t)off) != BS)
			break;
		for (i = 0; i < BS / sizeof(struct rec); i++) {
			struct rec r;

			memcpy(&r, buf + i * sizeof(r), sizeof(r));
			if (!r.seq) {
				end = true;
				break;
			}
			if (s->nrec == cap) {
				cap *= 2;
				recs = realloc(recs, cap * sizeof(*recs));
				if (!recs)
					die(2, "out of memory");
			}
			recs[s->nrec++] = r;
			if (r.seq > s->max_seq)
				s->max_seq = r.seq;
		}
	}
	s->wm = calloc(s->max_seq + 2, sizeof(*s->wm));
	s->logged = calloc(s->max_seq + 2, sizeof(*s->logged));
	if (!s->wm || !s->logged)
		die(2, "out of memory");
	for (i = 0; i < s->nrec; i++) {
		if (recs[i].wm >= recs[i].seq)
			die(1, "log: write %" PRIu64 " has watermark %" PRIu64,
			    recs[i].seq, recs[i].wm);
		s->wm[recs[i].seq] = recs[i].wm;
		s->logged[recs[i].seq] = true;
	}
	free(recs);
	free(buf);
	close(fd);
}

static void read_disk(const char *dev, const char *scan, struct state *s)
{
	char line[256];
	uint64_t b;
	FILE *f;

	s->disk = calloc(s->nb, sizeof(*s->disk));
	s->disk_seed = calloc(s->nb, sizeof(*s->disk_seed));
	if (!s->disk || !s->disk_seed)
		die(2, "out of memory");
	if (dev) {
		unsigned char *buf = xalign(), *ref = xalign();
		int fd = open_direct(dev, O_RDONLY);

		for (b = 0; b < s->nb; b++) {
			if (pread(fd, buf, BS, (off_t)(b * BS)) != BS)
				die(2, "%s: read of block %" PRIu64 ": %s", dev,
				    b, strerror(errno));
			s->disk[b] = classify(buf, b, &s->disk_seed[b], ref);
		}
		close(fd);
		free(buf);
		free(ref);
		return;
	}
	f = fopen(scan, "r");
	if (!f)
		die(2, "%s: %s", scan, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		uint64_t seq, seed;
		char word[8];

		if (sscanf(line, "%" SCNu64 " %7s", &b, word) == 2 &&
		    !strcmp(word, "bad") && b < s->nb) {
			s->disk[b] = BAD;
		} else if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64,
				  &b, &seq, &seed) == 3 && b < s->nb && seq) {
			s->disk[b] = seq;
			s->disk_seed[b] = seed;
		} else {
			die(2, "%s: cannot read line: %s", scan, line);
		}
	}
	fclose(f);
}

static void state_free(struct state *s)
{
	free(s->disk);
	free(s->disk_seed);
	free(s->wm);
	free(s->logged);
}

static int cmd_check(const char *log, const char *dev, const char *scan,
		     bool prefix, bool complete, bool verbose)
{
	struct state s = { 0 };
	uint64_t b, seq, L = 0, top = 0, issued_max;
	int bad = 0;

	read_log(log, &s);
	read_disk(dev, scan, &s);
	/* Writes in flight at the end were never logged: allow some. */
	issued_max = s.max_seq + MAX_THREADS;
	for (b = 0; b < s.nb; b++) {
		seq = s.disk[b];
		if (!seq)
			continue;
		if (seq == BAD) {
			if (bad++ < 10)
				printf("bad: block %" PRIu64 " holds no write of this writer\n", b);
			continue;
		}
		if (s.disk_seed[b] != s.seed || block_of(s.seed, seq, s.nb) != b ||
		    seq > issued_max) {
			if (bad++ < 10)
				printf("bad: block %" PRIu64 " holds write %" PRIu64 " of seed %" PRIu64 ", not one of this log's\n",
				       b, seq, s.disk_seed[b]);
			continue;
		}
		if (seq > top)
			top = seq;
		if (seq <= s.max_seq && s.logged[seq] && s.wm[seq] > L)
			L = s.wm[seq];
	}
	if (complete) {
		for (seq = 1; seq <= s.max_seq; seq++) {
			if (!s.logged[seq])
				continue;
			b = block_of(s.seed, seq, s.nb);
			if (s.disk[b] != BAD && s.disk[b] >= seq)
				continue;
			if (bad++ < 10)
				printf("missing: acknowledged write %" PRIu64 " (block %" PRIu64 "); the block holds %" PRIu64 "\n",
				       seq, b, s.disk[b] == BAD ? 0 : s.disk[b]);
		}
	}
	if (prefix) {
		for (seq = 1; seq <= L; seq++) {
			b = block_of(s.seed, seq, s.nb);
			if (s.disk[b] != BAD && s.disk[b] >= seq)
				continue;
			if (bad++ < 10)
				printf("not a prefix: write %" PRIu64 " (block %" PRIu64 ") is missing, yet a write issued after it completed is there; the block holds %" PRIu64 "\n",
				       seq, b, s.disk[b] == BAD ? 0 : s.disk[b]);
		}
	}
	if (bad)
		printf("FAILED: %d violations (%" PRIu64 " acknowledged writes logged)\n",
		       bad, s.nrec);
	else
		printf("ok: %" PRIu64 " acknowledged writes logged (up to seq %" PRIu64 "), the disk holds writes up to seq %" PRIu64 ", prefix %" PRIu64 "%s\n",
		       s.nrec, s.max_seq, top, L, verbose ? "" : "");
	state_free(&s);
	return bad ? 1 : 0;
}

static void __attribute__((noreturn)) usage(int code)
{
	fputs("Usage: vaio-ackwriter write --dev DEV --log LOG --seed N [--threads Q]\n"
	      "                            [--count C | --seconds S] [--blocks NB] [--fua]\n"
	      "                            [--start-seq K] [--keep-going] [--readers R]\n"
	      "       vaio-ackwriter scan --dev DEV [--blocks NB]\n"
	      "       vaio-ackwriter check --log LOG (--dev DEV | --scan FILE)\n"
	      "                            [--prefix] [--complete] [-v]\n"
	      "Writes self-describing 4 KiB blocks, logs each acknowledged one,\n"
	      "and checks a disk against the log (see the top of the source).\n",
	      code ? stderr : stdout);
	exit(code);
}

static uint64_t num(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end)
		die(2, "%s: '%s' is not a number", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 'q' },
		{ "count", required_argument, NULL, 'c' },
		{ "start-seq", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "fua", no_argument, NULL, 'F' },
		{ "keep-going", no_argument, NULL, 'K' },
		{ "readers", required_argument, NULL, 'r' },
		{ "scan", required_argument, NULL, 'f' },
		{ "prefix", no_argument, NULL, 'p' },
		{ "complete", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *cmd, *dev = NULL, *log = NULL, *scan = NULL;
	uint64_t seed = 0, count = 0, nb = 0, seconds = 0, threads = 1, start = 1;
	uint64_t readers = 0;
	bool have_seed = false, fua = false, prefix = false, complete = false;
	bool verbose = false;
	int c;

	if (argc < 2)
		usage(2);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		usage(0);
	optind = 2;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'l': log = optarg; break;
		case 'f': scan = optarg; break;
		case 's': seed = num("--seed", optarg); have_seed = true; break;
		case 'q': threads = num("--threads", optarg); break;
		case 'c': count = num("--count", optarg); break;
		case 'k': start = num("--start-seq", optarg); break;
		case 'S': seconds = num("--seconds", optarg); break;
		case 'b': nb = num("--blocks", optarg); break;
		case 'F': fua = true; break;
		case 'K': w.keep_going = true; break;
		case 'r': readers = num("--readers", optarg); break;
		case 'p': prefix = true; break;
		case 'C': complete = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind != argc)
		die(2, "unexpected argument '%s'", argv[optind]);
	if (!strcmp(cmd, "write")) {
		if (!dev || !log || !have_seed)
			die(2, "write needs --dev, --log and --seed");
		if (!threads || threads > MAX_THREADS)
			die(2, "--threads: 1 to %d", MAX_THREADS);
		if (readers > MAX_THREADS)
			die(2, "--readers: 0 to %d", MAX_THREADS);
		if (seconds > 86400)
			die(2, "--seconds: at most 86400");
		if (!start)
			die(2, "--start-seq: from 1");
		return cmd_write(dev, log, seed, nb, (int)threads, start, count,
				 (int)seconds, fua, (int)readers);
	}
	if (!strcmp(cmd, "scan")) {
		if (!dev)
			die(2, "scan needs --dev");
		return cmd_scan(dev, nb);
	}
	if (!strcmp(cmd, "check")) {
		if (!log || !dev == !scan)
			die(2, "check needs --log and one of --dev, --scan");
		if (!prefix && !complete)
			prefix = true;
		return cmd_check(log, dev, scan, prefix, complete, verbose);
	}
	die(2, "unknown command '%s' (write, scan, check)", cmd);
}
