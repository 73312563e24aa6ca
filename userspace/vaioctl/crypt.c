// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaioctl: the crypt object: LUKS2 headers for the crypt filter, through
 * libcryptsetup (key derivation, keyslots and tokens are its own):
 * format, open, close, add-key, remove-key, status.
 *
 * open puts the header's volume key into the user keyring as the logon
 * key "vaio:NAME", which a crypt:key=:<bytes>:logon:vaio:NAME component
 * names, and, since vaio has no data offset, makes a dm-linear device
 * "vaio-NAME-data" over the header's data area for the vaio disk to sit
 * on. The volume key is only ever in buffers of libcryptsetup's safe
 * allocator, wiped when freed (and at exit), and in the keyring.
 */
#include "vaioctl.h"

#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/keyctl.h>

#include <json-c/json.h>
#include <libcryptsetup.h>

/* The dm uuid of an open header's data area: this and the LUKS uuid. */
#define DATA_UUID_PREFIX	"VAIO-LUKS-"
/* A passphrase typed or on a line of standard input; a key file's size. */
#define LINE_MAX_BYTES		512
#define KEYFILE_MAX_BYTES	(8 << 20)
/* pbkdf2's fewest iterations (libcryptsetup's minimum). */
#define PBKDF2_MIN_ITERATIONS	1000

/*
 *--------------------------------------------------------------
 * Secrets: passphrases and the volume key
 *--------------------------------------------------------------
 */

struct secret {
	char *buf;		/* crypt_safe_alloc(): wiped when freed */
	size_t len;
};

/*
 * What is held, freed (so wiped) at exit, die() included: a secret is
 * here from secret_hold() to secret_free(), which every command calls
 * before it returns (the secrets are on its stack).
 */
static struct secret *held_secrets[4];

static void secret_free(struct secret *s)
{
	size_t i;

	if (s->buf)
		crypt_safe_free(s->buf);
	s->buf = NULL;
	s->len = 0;
	for (i = 0; i < sizeof(held_secrets) / sizeof(held_secrets[0]); i++)
		if (held_secrets[i] == s)
			held_secrets[i] = NULL;
}

static void secrets_wipe(void)
{
	size_t i;

	for (i = 0; i < sizeof(held_secrets) / sizeof(held_secrets[0]); i++)
		if (held_secrets[i])
			secret_free(held_secrets[i]);
}

static void secret_hold(struct secret *s, size_t size)
{
	static bool registered;
	size_t i;

	if (!registered) {
		atexit(secrets_wipe);
		registered = true;
	}
	s->buf = crypt_safe_alloc(size);
	s->len = 0;
	if (!s->buf)
		die(EXIT_FAIL, "out of memory");
	for (i = 0; i < sizeof(held_secrets) / sizeof(held_secrets[0]); i++)
		if (!held_secrets[i] || held_secrets[i] == s) {
			held_secrets[i] = s;
			return;
		}
	die(EXIT_FAIL, "internal error: too many secrets");
}

/* Key file @path, whole (as cryptsetup's --key-file): its bytes. */
static void read_keyfile(const char *path, struct secret *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die(EXIT_FAIL, "key file %s: %s", path, strerror(errno));
	secret_hold(s, KEYFILE_MAX_BYTES + 1);
	while ((n = read(fd, s->buf + s->len, KEYFILE_MAX_BYTES + 1 - s->len)) > 0)
		if ((s->len += (size_t)n) > KEYFILE_MAX_BYTES)
			break;
	if (n < 0)
		die(EXIT_FAIL, "key file %s: %s", path, strerror(errno));
	close(fd);
	if (s->len > KEYFILE_MAX_BYTES)
		die(EXIT_FAIL, "key file %s: larger than %d bytes", path,
		    KEYFILE_MAX_BYTES);
	if (!s->len)
		die(EXIT_FAIL, "key file %s is empty", path);
}

/*
 * A line of standard input, without its newline: typed without echo
 * after @prompt (on stderr) at a terminal, else read up to the newline
 * (a byte at a time: the next line stays for the next passphrase).
 */
static void read_line(const char *prompt, struct secret *s)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, noecho;
	bool restore = false;
	ssize_t n;
	char c;

	secret_hold(s, LINE_MAX_BYTES + 1);
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (!tcgetattr(STDIN_FILENO, &old)) {
			noecho = old;
			noecho.c_lflag &= ~(tcflag_t)ECHO;
			restore = !tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
		}
	}
	while ((n = read(STDIN_FILENO, &c, 1)) == 1 && c != '\n') {
		if (s->len > LINE_MAX_BYTES)
			break;
		s->buf[s->len++] = c;	/* the buffer has LINE_MAX_BYTES + 1 */
	}
	c = 0;
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (tty)
		fputc('\n', stderr);
	if (n < 0)
		die(EXIT_FAIL, "reading the passphrase: %s", strerror(errno));
	if (s->len > LINE_MAX_BYTES)
		die(EXIT_FAIL, "passphrase longer than %d bytes (use --key-file)",
		    LINE_MAX_BYTES);
	if (!s->len)
		die(EXIT_FAIL, "no passphrase given%s", tty ? "" :
		    " (an empty line or nothing on standard input)");
}

/*
 * A passphrase: key file @keyfile's bytes, else a line of standard input
 * (@prompt at a terminal; @verify: typed twice there).
 */
static void get_pass(const char *keyfile, const char *prompt, bool verify,
		     struct secret *s)
{
	struct secret again = { 0 };

	if (keyfile) {
		read_keyfile(keyfile, s);
		return;
	}
	read_line(prompt, s);
	if (!verify || !isatty(STDIN_FILENO))
		return;
	read_line("Again: ", &again);
	if (again.len != s->len || memcmp(again.buf, s->buf, s->len))
		die(EXIT_FAIL, "the passphrases differ");
	secret_free(&again);
}

/*
 *--------------------------------------------------------------
 * Helpers
 *--------------------------------------------------------------
 */

static char cs_error[512];

/* libcryptsetup's errors: keep the last, print nothing. */
static void cs_log(int level, const char *msg, void *usrptr)
{
	size_t n;

	(void)usrptr;
	if (level != CRYPT_LOG_ERROR)
		return;
	snprintf(cs_error, sizeof(cs_error), "%s", msg);
	n = strlen(cs_error);
	while (n && (cs_error[n - 1] == '\n' || cs_error[n - 1] == '.'))
		cs_error[--n] = '\0';
}

/* ": <libcryptsetup's last error>", or ": <strerror(-r)>". */
static const char *cs_why(int r)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), ": %s", cs_error[0] ? cs_error : strerror(-r));
	return buf;
}

/* Every crypt command changes or reads a header: CAP_SYS_ADMIN. */
static void need_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

	if (syscall(SYS_capget, &h, d))
		die(EXIT_FAIL, "cannot read our capabilities: %s", strerror(errno));
	if (!(d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN)))
		die(EXIT_FAIL, "crypt: permission denied (needs CAP_SYS_ADMIN)");
	crypt_set_log_callback(NULL, cs_log, NULL);
	/* Passphrases and the volume key: never in a core dump. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }))
		die(EXIT_FAIL, "cannot turn core dumps off: %s", strerror(errno));
}

/* Block device @dev's "major:minor" and size in 512-byte sectors. */
static void device_size(const char *dev, char *devt, size_t len,
			uint64_t *sectors)
{
	struct vaio_err err;
	uint64_t bytes;
	int fd;

	if (vaio_blkdev_devt(dev, devt, len, &err))
		die_err(&err);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_FAIL, "%s: %s", dev, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &bytes))
		die(EXIT_FAIL, "%s: cannot read its size: %s", dev, strerror(errno));
	close(fd);
	*sectors = bytes >> 9;
}

/*
 * Dies if block device @dev is in use: mounted, or under a device-mapper
 * device (a vaio disk, a cryptsetup mapping, vaio-NAME-data), which hold
 * it exclusively.
 */
static void device_not_in_use(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd < 0 && errno == EBUSY)
		die(EXIT_FAIL, "%s is in use (mounted, or a device-mapper device such as a vaio disk, a cryptsetup mapping or vaio-NAME-data is on it)",
		    dev);
	if (fd < 0)
		die(EXIT_FAIL, "%s: %s", dev, strerror(errno));
	close(fd);
}

/* Header @dev's LUKS2 header, loaded; dies if it has none. */
static struct crypt_device *load_luks2(const char *dev)
{
	struct crypt_device *cd;
	char devt[32];
	struct vaio_err err;
	bool luks1;
	int r;

	if (vaio_blkdev_devt(dev, devt, sizeof(devt), &err))
		die_err(&err);
	cs_error[0] = '\0';
	r = crypt_init(&cd, dev);
	if (r < 0)
		die(EXIT_FAIL, "%s%s", dev, cs_why(r));
	r = crypt_load(cd, CRYPT_LUKS2, NULL);
	if (!r)
		return cd;
	crypt_free(cd);
	luks1 = !crypt_init(&cd, dev) && !crypt_load(cd, CRYPT_LUKS1, NULL);
	crypt_free(cd);
	if (luks1)
		die(EXIT_FAIL, "%s has a LUKS1 header: only LUKS2 is supported (cryptsetup convert --type luks2 converts it)",
		    dev);
	die(EXIT_FAIL, "%s is not a LUKS2 device (no valid LUKS2 header%s)", dev,
	    cs_error[0] ? cs_why(r) : "");
}

/* What a LUKS2 header says of its data. */
struct luks_info {
	char uuid[40];
	char cipher[64];	/* "aes-xts-plain64" */
	int key_bytes;
	int sector_size;
	uint64_t offset;	/* data offset, 512-byte sectors */
	uint64_t sectors;	/* the data area's, 0: none */
	uint64_t iv_offset;	/* 512-byte sectors */
	bool discards;		/* persistent allow-discards flag */
	bool integrity;		/* authenticated: dm-integrity below */
	uint32_t requirements;	/* what a reader must know (reencryption) */
	int segments;
	struct json_object *meta;	/* crypt_dump_json(), or NULL */
};

static void luks_info(struct crypt_device *cd, const char *dev,
		      struct luks_info *li)
{
	struct crypt_params_integrity ip = { 0 };
	struct json_object *segs, *seg, *size;
	const char *json = NULL, *s;
	uint64_t dev_sectors;
	uint32_t flags = 0;
	char devt[32];

	memset(li, 0, sizeof(*li));
	snprintf(li->uuid, sizeof(li->uuid), "%s", crypt_get_uuid(cd) ?: "");
	snprintf(li->cipher, sizeof(li->cipher), "%s-%s",
		 crypt_get_cipher(cd) ?: "?", crypt_get_cipher_mode(cd) ?: "?");
	li->key_bytes = crypt_get_volume_key_size(cd);
	li->sector_size = crypt_get_sector_size(cd);
	li->offset = crypt_get_data_offset(cd);
	li->iv_offset = crypt_get_iv_offset(cd);
	if (!crypt_persistent_flags_get(cd, CRYPT_FLAGS_ACTIVATION, &flags))
		li->discards = flags & CRYPT_ACTIVATE_ALLOW_DISCARDS;
	li->integrity = !crypt_get_integrity_info(cd, &ip) && ip.integrity;
	if (crypt_persistent_flags_get(cd, CRYPT_FLAGS_REQUIREMENTS,
				       &li->requirements))
		li->requirements = ~0u;
	device_size(dev, devt, sizeof(devt), &dev_sectors);
	li->sectors = dev_sectors > li->offset ? dev_sectors - li->offset : 0;
	if (!crypt_dump_json(cd, &json, 0) && json)
		li->meta = json_tokener_parse(json);
	/* The data segment: "dynamic" (to the end of the device) or bytes. */
	if (li->meta && json_object_object_get_ex(li->meta, "segments", &segs)) {
		li->segments = json_object_object_length(segs);
		if (json_object_object_get_ex(segs, "0", &seg) &&
		    json_object_object_get_ex(seg, "size", &size)) {
			s = json_object_get_string(size);
			if (s && strcmp(s, "dynamic") &&
			    strtoull(s, NULL, 10) / 512 < li->sectors)
				li->sectors = strtoull(s, NULL, 10) / 512;
		}
	}
}

/* Dies unless @li is a header the crypt filter can take. */
static void luks_usable(const char *dev, const struct luks_info *li)
{
	uint64_t unit = (uint64_t)li->sector_size / 512;

	if (strcmp(li->cipher, "aes-xts-plain64"))
		die(EXIT_FAIL, "%s: cipher %s: the crypt filter takes aes-xts-plain64 only",
		    dev, li->cipher);
	if (li->key_bytes != 32 && li->key_bytes != 64)
		die(EXIT_FAIL, "%s: a key of %d bits: the crypt filter takes 256 or 512",
		    dev, li->key_bytes * 8);
	if (li->requirements)
		die(EXIT_FAIL, "%s: the header has requirements (0x%x: a reencryption?) the crypt filter does not meet",
		    dev, li->requirements);
	if (li->integrity)
		die(EXIT_FAIL, "%s: authenticated encryption (dm-integrity): the crypt filter has none",
		    dev);
	if (li->segments != 1)
		die(EXIT_FAIL, "%s: %d data segments (a reencryption in progress?): the crypt filter takes one",
		    dev, li->segments);
	if (!li->offset)
		die(EXIT_FAIL, "%s: the header's data offset is 0 (a detached header): not supported",
		    dev);
	if (!li->sectors || li->sectors % unit)
		die(EXIT_FAIL, "%s: the data area (%" PRIu64 " sectors) is not a whole number of %d-byte sectors",
		    dev, li->sectors, li->sector_size);
	if (li->iv_offset % unit)
		die(EXIT_FAIL, "%s: IV offset %" PRIu64 " is not a whole number of %d-byte sectors",
		    dev, li->iv_offset, li->sector_size);
}

/* The crypt: policy component for @li's key "vaio:@name". */
static void component(const struct luks_info *li, const char *name,
		      char *buf, size_t len)
{
	char iv[48] = "";

	if (li->iv_offset)
		snprintf(iv, sizeof(iv), ",iv_offset=%" PRIu64, li->iv_offset);
	snprintf(buf, len, "crypt:key=:%d:logon:vaio:%s,sector_size=%d%s%s,fail=closed",
		 li->key_bytes, name, li->sector_size, iv,
		 li->discards ? ",allow_discards=1" : "");
}

/* The logon key "vaio:@name" in the user keyring: its serial, or -1. */
static long key_find(const char *desc)
{
	return syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "logon",
		       desc, 0);
}

/* Unlinks key @serial from the user keyring, and invalidates it. */
static void key_drop(long serial)
{
	syscall(SYS_keyctl, KEYCTL_UNLINK, serial, KEY_SPEC_USER_KEYRING);
	/* Linked elsewhere too: gone from every keyring. */
	syscall(SYS_keyctl, KEYCTL_INVALIDATE, serial);
}

static void data_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "vaio-%s-data", name);
}

/*
 *--------------------------------------------------------------
 * What a disk's policy may be given (disk create, apply)
 *--------------------------------------------------------------
 */

/* The value of @key in component @c, or NULL. */
static const char *comp_arg(const struct vaio_component *c, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < c->argc; i++)
		if (!strncmp(c->argv[i], key, n) && c->argv[i][n] == '=')
			return c->argv[i] + n + 1;
	return NULL;
}

/* Whether @dev holds a LUKS header (either version; any open mode). */
static bool holds_luks(const char *dev)
{
	struct crypt_device *cd;
	bool r;

	if (crypt_init(&cd, dev) < 0)
		return false;
	r = !crypt_load(cd, CRYPT_LUKS, NULL);
	crypt_free(cd);
	return r;
}

/*
 * sysfs attribute @attr of block device @devt ("major:minor") into @buf,
 * without its newline; "" if it has none.
 */
static void sys_attr(const char *devt, const char *attr, char *buf, size_t len)
{
	char path[256];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/block/%s/%s", devt, attr);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* The one device under dm device @devt, as "/dev/<name>", or "". */
static void dm_lower(const char *devt, char *buf, size_t len)
{
	char path[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/block/%s/slaves", devt);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && n++ == 0)
			snprintf(buf, len, "/dev/%s", e->d_name);
	closedir(d);
	if (n != 1)
		buf[0] = '\0';
}

int crypt_device_check(const char *dev, const struct vaio_policy *p,
		       struct vaio_err *err)
{
	const struct vaio_component *c = NULL;
	char devt[32], uuid[160], name[160], lower[300], want[200];
	struct crypt_device *cd;
	const char *ss, *v;
	int i, r, sector;

	for (i = 0; i < p->chain.n; i++)
		if (!strcmp(p->chain.c[i].type, "crypt"))
			c = &p->chain.c[i];
	if (c && holds_luks(dev))
		return vaio_seterr(err, EINVAL,
				   "device %s holds a LUKS header, which policy %s's crypt filter would write over: give the disk the header's data area (vaioctl crypt open %s NAME makes /dev/mapper/vaio-NAME-data)",
				   dev, p->name, dev);
	r = vaio_blkdev_devt(dev, devt, sizeof(devt), err);
	if (r)
		return r;
	sys_attr(devt, "dm/uuid", uuid, sizeof(uuid));
	if (strncmp(uuid, DATA_UUID_PREFIX, strlen(DATA_UUID_PREFIX)))
		return 0;
	/* A LUKS2 data area: the header's key, layout and name. */
	sys_attr(devt, "dm/name", name, sizeof(name));
	if (!c)
		return vaio_seterr(err, EINVAL,
				   "device %s is a LUKS2 data area: without the crypt filter (policy %s) the disk would read ciphertext and write plaintext there",
				   dev, p->name[0] ? p->name : "none");
	dm_lower(devt, lower, sizeof(lower));
	if (!lower[0] || crypt_init(&cd, lower) < 0)
		return vaio_seterr(err, ENODEV,
				   "device %s: cannot find the LUKS2 header under it",
				   dev);
	r = crypt_load(cd, CRYPT_LUKS2, NULL);
	sector = crypt_get_sector_size(cd);
	snprintf(want, sizeof(want), ":%d:logon:vaio:%.*s",
		 crypt_get_volume_key_size(cd),
		 (int)(strlen(name) > 10 ? strlen(name) - 10 : 0), name + 5);
	crypt_free(cd);
	if (r < 0)
		return vaio_seterr(err, ENODEV,
				   "device %s: %s under it has no LUKS2 header", dev,
				   lower);
	ss = comp_arg(c, "sector_size");
	v = comp_arg(c, "key");
	if (!v || strcmp(v, want) || (ss ? atoi(ss) : 512) != sector ||
	    ((v = comp_arg(c, "iv_offset")) && strcmp(v, "0")) ||
	    ((v = comp_arg(c, "iv_large_sectors")) && strcmp(v, "0")))
		return vaio_seterr(err, EINVAL,
				   "device %s is the data area of %s's LUKS2 header: policy %s's crypt component must say key=%s,sector_size=%d (as vaioctl crypt open printed), no iv_offset or iv_large_sectors",
				   dev, lower, p->name, want, sector);
	return 0;
}

/*
 * How many block devices carry (LUKS) uuid @uuid: libblkid probes every
 * one of /proc/partitions. -1 if it cannot.
 */
static int uuid_count(const char *uuid)
{
	blkid_dev_iterate it;
	blkid_cache cache;
	blkid_dev d;
	int n = 0;

	/* A cache of its own, read from nothing and saved nowhere. */
	if (blkid_get_cache(&cache, "/dev/null"))
		return -1;
	if (blkid_probe_all(cache)) {
		blkid_put_cache(cache);
		return -1;
	}
	it = blkid_dev_iterate_begin(cache);
	if (it && !blkid_dev_set_search(it, "UUID", uuid))
		while (!blkid_dev_next(it, &d))
			n++;
	blkid_dev_iterate_end(it);
	blkid_put_cache(cache);
	return it ? n : -1;
}

/* The pbkdf of new keyslots: pbkdf2 with @iterations, for tests. */
static void set_pbkdf(struct crypt_device *cd, long iterations)
{
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2,
		.hash = "sha256",
		.iterations = (uint32_t)iterations,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	int r;

	if (!iterations)
		return;
	r = crypt_set_pbkdf_type(cd, &pbkdf);
	if (r < 0)
		die(EXIT_FAIL, "--pbkdf-iterations %ld%s", iterations, cs_why(r));
}

static long parse_iterations(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || end == s || n < PBKDF2_MIN_ITERATIONS || n > UINT32_MAX)
		die(EXIT_USAGE, "--pbkdf-iterations '%s': a number from %d", s,
		    PBKDF2_MIN_ITERATIONS);
	return n;
}

/*
 * Wipes every signature libblkid finds on @dev (format --force), as
 * cryptsetup luksFormat does: none is left to be found beside LUKS.
 */
static void wipe_signatures(const char *dev)
{
	int fd = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
	blkid_probe pr = fd < 0 ? NULL : blkid_new_probe();

	if (!pr || blkid_probe_set_device(pr, fd, 0, 0))
		die(EXIT_FAIL, "%s: cannot probe its signatures to wipe them", dev);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	while (!blkid_do_probe(pr))
		if (blkid_do_wipe(pr, 0))
			die(EXIT_FAIL, "%s: cannot wipe a signature: %s", dev,
			    strerror(errno));
	blkid_free_probe(pr);
	if (fsync(fd))
		die(EXIT_FAIL, "%s: %s", dev, strerror(errno));
	close(fd);
}

/*
 *--------------------------------------------------------------
 * crypt format
 *--------------------------------------------------------------
 */

int crypt_format_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "key-size", required_argument, NULL, 's' },
		{ "sector-size", required_argument, NULL, 'S' },
		{ "pbkdf-iterations", required_argument, NULL, 'i' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct crypt_params_luks2 params = { .sector_size = 512 };
	const char *keyfile = NULL, *dev;
	struct secret pass = { 0 };
	struct crypt_device *cd;
	char sig[128], devt[32], prompt[4200], id[256];
	struct vaio_err err;
	uint64_t sectors;
	int key_bits = 512, o, r;
	long iterations = 0;
	bool force = false;

	optind = 0;
	while ((o = getopt_long(argc + 1, argv - 1, "k:fh", opts, NULL)) != -1) {
		switch (o) {
		case 'k':
			keyfile = optarg;
			break;
		case 's':
			if (strcmp(optarg, "256") && strcmp(optarg, "512"))
				die(EXIT_USAGE, "--key-size '%s': 256 or 512 (bits)", optarg);
			key_bits = atoi(optarg);
			break;
		case 'S':
			if (strcmp(optarg, "512") && strcmp(optarg, "4096"))
				die(EXIT_USAGE, "--sector-size '%s': 512 or 4096", optarg);
			params.sector_size = (uint32_t)atoi(optarg);
			break;
		case 'i':
			iterations = parse_iterations(optarg);
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			usage(usage_crypt, EXIT_OK);
		default:
			usage(usage_crypt, EXIT_USAGE);
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	want_args(argc, argv, 1, usage_crypt);
	dev = argv[0];
	need_cap_sys_admin();

	device_size(dev, devt, sizeof(devt), &sectors);
	device_not_in_use(dev);
	/*
	 * Ciphertext looks like nothing to libblkid: a recorded disk's
	 * device, or one of vaio's own devices, is never formatted, --force
	 * or not.
	 */
	if (vaio_dev_identity(dev, id, sizeof(id), &err))
		die_err(&err);
	if (!strncmp(id, "dm-uuid:VAIO-", strlen("dm-uuid:VAIO-")))
		die(EXIT_FAIL, "%s is a device vaio made (dm uuid %s): not formatted",
		    dev, id + strlen("dm-uuid:"));
	disk_device_unused(dev, id);
	device_signature(dev, sig, sizeof(sig));
	if (sig[0] && !force)
		die(EXIT_FAIL, "%s holds %s: give --force to format it anyway (what it holds is lost)",
		    dev, sig);
	if (sectors % (params.sector_size / 512))
		die(EXIT_FAIL, "%s: its size is not a whole number of %u-byte sectors",
		    dev, params.sector_size);

	snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", dev);
	get_pass(keyfile, prompt, true, &pass);
	if (sig[0])
		wipe_signatures(dev);

	r = crypt_init(&cd, dev);
	if (r < 0)
		die(EXIT_FAIL, "%s%s", dev, cs_why(r));
	set_pbkdf(cd, iterations);
	r = crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, NULL,
			 (size_t)key_bits / 8, &params);
	if (r < 0)
		die(EXIT_FAIL, "%s: cannot write a LUKS2 header%s", dev, cs_why(r));
	r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0,
					    pass.buf, pass.len);
	secret_free(&pass);
	if (r < 0)
		die(EXIT_FAIL, "%s: cannot add the keyslot%s (the header was written: format it again)",
		    dev, cs_why(r));

	open_json_object(NULL);
	print_string(PRINT_ANY, "device", "%s: LUKS2", dev);
	print_string(PRINT_ANY, "uuid", " uuid %s", crypt_get_uuid(cd));
	print_string(PRINT_ANY, "cipher", " cipher %s", "aes-xts-plain64");
	print_int(PRINT_ANY, "key_size", " key_size %d", key_bits);
	print_uint(PRINT_ANY, "sector_size", " sector_size %u", params.sector_size);
	print_u64(PRINT_ANY, "data_offset", " data_offset %" PRIu64,
		  crypt_get_data_offset(cd));
	print_int(PRINT_ANY, "keyslot", " keyslot %d\n", r);
	close_json_object();
	crypt_free(cd);
	return EXIT_OK;
}

/*
 *--------------------------------------------------------------
 * crypt open, close
 *--------------------------------------------------------------
 */

/* Does header @cd have a token? */
static bool has_tokens(struct crypt_device *cd)
{
	int i, max = crypt_token_max(CRYPT_LUKS2);
	crypt_token_info t;

	for (i = 0; i < max; i++) {
		t = crypt_token_status(cd, i, NULL);
		if (t != CRYPT_TOKEN_INACTIVE && t != CRYPT_TOKEN_INVALID)
			return true;
	}
	return false;
}

/*
 * The volume key of @cd into @vk through a token (systemd-cryptenroll's
 * TPM2 or FIDO2, luks2-keyring...): the keyslot, or a negative errno.
 */
static int vk_by_token(struct crypt_device *cd, struct secret *vk)
{
	struct crypt_keyslot_context *kc = NULL;
	int r;

	r = crypt_keyslot_context_init_by_token(cd, CRYPT_ANY_TOKEN, NULL, NULL, 0,
						NULL, &kc);
	if (r < 0)
		return r;
	r = crypt_volume_key_get_by_keyslot_context(cd, CRYPT_ANY_SLOT, vk->buf,
						    &vk->len, kc);
	crypt_keyslot_context_free(kc);
	return r;
}

/*
 * The options of open and remove-key: -k/--key-file FILE, then @nargs
 * arguments; *@argc and *@argv moved to them. The key file, or NULL.
 */
static const char *keyfile_args(int *argc, char ***argv, int nargs)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *keyfile = NULL;
	int o;

	optind = 0;
	while ((o = getopt_long(*argc + 1, *argv - 1, "k:h", opts, NULL)) != -1) {
		if (o == 'k')
			keyfile = optarg;
		else if (o == 'h')
			usage(usage_crypt, EXIT_OK);
		else
			usage(usage_crypt, EXIT_USAGE);
	}
	*argc -= optind - 1;
	*argv += optind - 1;
	want_args(*argc, *argv, nargs, usage_crypt);
	return keyfile;
}

int crypt_open_cmd(int argc, char **argv)
{
	char desc[96], dname[128], duuid[128], got[128], devt[32], ldevt[32];
	char comp[256], prompt[4200], path[160];
	const char *keyfile, *dev, *name;
	struct secret pass = { 0 }, vk = { 0 };
	struct crypt_device *cd;
	struct luks_info li;
	struct vaio_err err;
	uint64_t sectors;
	int r, slot = -1;
	bool token = false;
	long serial;

	keyfile = keyfile_args(&argc, &argv, 2);
	dev = argv[0];
	name = argv[1];
	check_name("crypt", name);
	need_cap_sys_admin();

	snprintf(desc, sizeof(desc), "vaio:%s", name);
	data_name(name, dname, sizeof(dname));
	if (key_find(desc) >= 0)
		die(EXIT_FAIL, "%s is open already: key %s is in the keyring (vaioctl crypt close %s first)",
		    name, desc, name);
	r = vaio_dm_uuid(dname, got, sizeof(got), &err);
	if (r < 0)
		die_err(&err);
	if (r)
		die(EXIT_FAIL, "%s is open already: %s exists (vaioctl crypt close %s first)",
		    name, dname, name);

	cd = load_luks2(dev);
	luks_info(cd, dev, &li);
	luks_usable(dev, &li);
	device_size(dev, devt, sizeof(devt), &sectors);
	device_not_in_use(dev);
	/*
	 * A disk recorded on vaio-NAME-data is known by the LUKS uuid: with
	 * two devices of that uuid (a clone, a storage snapshot), the one
	 * opened may be the old one.
	 */
	r = uuid_count(li.uuid);
	if (r > 1)
		die(EXIT_FAIL, "%s: %d devices carry LUKS uuid %s (a clone or a snapshot of the disk?): not opened, either may be the one its disk was written on",
		    dev, r, li.uuid);

	secret_hold(&vk, (size_t)li.key_bytes);
	vk.len = (size_t)li.key_bytes;
	if (!keyfile && has_tokens(cd)) {
		cs_error[0] = '\0';
		r = vk_by_token(cd, &vk);
		if (r >= 0) {
			slot = r;
			token = true;
		} else {
			fprintf(stderr, "vaioctl: no token of %s gave the key%s: asking for a passphrase\n",
				dev, cs_why(r));
			vk.len = (size_t)li.key_bytes;
		}
	}
	if (!token) {
		snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", dev);
		get_pass(keyfile, prompt, false, &pass);
		cs_error[0] = '\0';
		r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk.buf, &vk.len,
					 pass.buf, pass.len);
		secret_free(&pass);
		if (r == -EPERM)
			die(EXIT_FAIL, "%s: wrong passphrase (it opens no keyslot)", dev);
		if (r < 0)
			die(EXIT_FAIL, "%s: cannot unlock the header%s", dev, cs_why(r));
		slot = r;
	}
	if (vk.len != (size_t)li.key_bytes)
		die(EXIT_FAIL, "%s: the volume key has %zu bytes, the header says %d",
		    dev, vk.len, li.key_bytes);

	serial = syscall(SYS_add_key, "logon", desc, vk.buf, vk.len,
			 KEY_SPEC_USER_KEYRING);
	secret_free(&vk);
	if (serial < 0)
		die(EXIT_FAIL, "cannot add key %s to the user keyring: %s", desc,
		    strerror(errno));
	/* Table loads look in the session's keyrings (request_key()). */
	if (syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING,
		    "logon", desc, 0) < 0)
		fprintf(stderr, "vaioctl: warning: key %s is in the user keyring, which this session's keyring does not link (sudo without pam_keyinit?): table loads from this session will not find it (use a root login or sudo -i, or keyctl link @u @s)\n",
			desc);

	snprintf(duuid, sizeof(duuid), DATA_UUID_PREFIX "%s", li.uuid);
	r = vaio_dm_linear_create(dname, duuid, devt, li.offset, li.sectors, ldevt,
				  sizeof(ldevt), &err);
	if (r) {
		key_drop(serial);
		if (r == -EBUSY || r == -EEXIST)
			die(EXIT_FAIL, "%s (is %s open under another name? dm uuid %s is taken); key %s removed",
			    err.msg, dev, duuid, desc);
		die(EXIT_FAIL, "%s; key %s removed", err.msg, desc);
	}
	crypt_free(cd);

	component(&li, name, comp, sizeof(comp));
	snprintf(path, sizeof(path), "/dev/mapper/%s", dname);
	open_json_object(NULL);
	print_string(PRINT_ANY, "name", "%s:", name);
	print_string(PRINT_ANY, "key", " key %s", desc);
	print_int(PRINT_ANY, "key_size", " (%d bytes) in the user keyring", li.key_bytes);
	print_int(PRINT_ANY, "keyslot", ", from keyslot %d", slot);
	print_bool(PRINT_JSON, "token", NULL, token);
	if (token)
		print_text(" (a token)");
	print_text("\n");
	print_string(PRINT_ANY, "device", "device %s", path);
	print_u64(PRINT_ANY, "data_offset", " (the data area: from sector %" PRIu64,
		  li.offset);
	print_u64(PRINT_ANY, "sectors", ", %" PRIu64 " sectors)\n", li.sectors);
	print_string(PRINT_ANY, "component", "component %s\n", comp);
	close_json_object();
	if (li.meta)
		json_object_put(li.meta);
	return EXIT_OK;
}

int crypt_close_cmd(int argc, char **argv)
{
	char desc[96], dname[128], uuid[128];
	struct vaio_err err;
	const char *name;
	long serial;
	int r;

	want_args(argc, argv, 1, usage_crypt);
	name = argv[0];
	check_name("crypt", name);
	need_cap_sys_admin();

	snprintf(desc, sizeof(desc), "vaio:%s", name);
	data_name(name, dname, sizeof(dname));
	r = vaio_dm_uuid(dname, uuid, sizeof(uuid), &err);
	if (r < 0)
		die_err(&err);
	serial = key_find(desc);
	if (!r && serial < 0)
		die(EXIT_FAIL, "%s is not open (no key %s in the keyring, no %s)",
		    name, desc, dname);
	/* A key of that name put there by hand, for a disk without a header. */
	if (!r)
		die(EXIT_FAIL, "%s is not open (no %s): key %s is not crypt open's, left as it is (keyctl unlink removes it)",
		    name, dname, desc);
	if (r) {
		if (strncmp(uuid, DATA_UUID_PREFIX, strlen(DATA_UUID_PREFIX)))
			die(EXIT_FAIL, "%s is not vaioctl's (dm uuid '%s'): left as it is",
			    dname, uuid);
		r = vaio_dm_remove_dev(dname, &err);
		if (r) {
			if (r == -EBUSY)
				die(EXIT_FAIL, "%s is in use: remove the vaio disk on it first (vaioctl disk remove); nothing closed",
				    dname);
			die_err(&err);
		}
	}
	if (serial >= 0)
		key_drop(serial);
	return EXIT_OK;
}

/*
 *--------------------------------------------------------------
 * crypt add-key, remove-key
 *--------------------------------------------------------------
 */

/*
 * A passphrase of header @cd of @dev (key file @keyfile, else asked with
 * @prompt) into @pass, checked against its keyslots: the keyslot it
 * opens. Dies if it opens none.
 */
static int checked_pass(struct crypt_device *cd, const char *dev,
			const char *keyfile, const char *prompt,
			struct secret *pass)
{
	int r;

	get_pass(keyfile, prompt, false, pass);
	cs_error[0] = '\0';
	r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pass->buf,
					 pass->len, 0);
	if (r == -EPERM)
		die(EXIT_FAIL, "%s: wrong passphrase (it opens no keyslot)", dev);
	if (r < 0)
		die(EXIT_FAIL, "%s: cannot unlock the header%s", dev, cs_why(r));
	return r;
}

int crypt_add_key_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "new-key-file", required_argument, NULL, 'n' },
		{ "pbkdf-iterations", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *keyfile = NULL, *newfile = NULL, *dev;
	struct secret pass = { 0 }, npass = { 0 };
	struct crypt_device *cd;
	char prompt[4200];
	long iterations = 0;
	int o, r;

	optind = 0;
	while ((o = getopt_long(argc + 1, argv - 1, "k:h", opts, NULL)) != -1) {
		if (o == 'k')
			keyfile = optarg;
		else if (o == 'n')
			newfile = optarg;
		else if (o == 'i')
			iterations = parse_iterations(optarg);
		else if (o == 'h')
			usage(usage_crypt, EXIT_OK);
		else
			usage(usage_crypt, EXIT_USAGE);
	}
	argc -= optind - 1;
	argv += optind - 1;
	want_args(argc, argv, 1, usage_crypt);
	dev = argv[0];
	need_cap_sys_admin();

	cd = load_luks2(dev);
	snprintf(prompt, sizeof(prompt), "A passphrase of %s: ", dev);
	/* Checked before the new one is asked for. */
	checked_pass(cd, dev, keyfile, prompt, &pass);
	snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", dev);
	get_pass(newfile, prompt, true, &npass);
	set_pbkdf(cd, iterations);
	cs_error[0] = '\0';
	r = crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, pass.buf, pass.len,
					    npass.buf, npass.len);
	secret_free(&pass);
	secret_free(&npass);
	if (r < 0)
		die(EXIT_FAIL, "%s: cannot add a keyslot%s", dev, cs_why(r));
	open_json_object(NULL);
	print_string(PRINT_ANY, "device", "%s:", dev);
	print_int(PRINT_ANY, "keyslot", " added keyslot %d\n", r);
	close_json_object();
	crypt_free(cd);
	return EXIT_OK;
}

int crypt_remove_key_cmd(int argc, char **argv)
{
	const char *keyfile, *dev;
	struct secret pass = { 0 };
	struct crypt_device *cd;
	char prompt[4200];
	int o, r;

	keyfile = keyfile_args(&argc, &argv, 1);
	dev = argv[0];
	need_cap_sys_admin();

	cd = load_luks2(dev);
	snprintf(prompt, sizeof(prompt), "Passphrase to remove from %s: ", dev);
	r = checked_pass(cd, dev, keyfile, prompt, &pass);
	secret_free(&pass);
	if (crypt_keyslot_status(cd, r) == CRYPT_SLOT_ACTIVE_LAST)
		die(EXIT_FAIL, "%s: keyslot %d is the last one: without it nothing could open the data; add another first",
		    dev, r);
	cs_error[0] = '\0';
	o = crypt_keyslot_destroy(cd, r);
	if (o < 0)
		die(EXIT_FAIL, "%s: cannot remove keyslot %d%s", dev, r, cs_why(o));
	open_json_object(NULL);
	print_string(PRINT_ANY, "device", "%s:", dev);
	print_int(PRINT_ANY, "keyslot", " removed keyslot %d\n", r);
	close_json_object();
	crypt_free(cd);
	return EXIT_OK;
}

/*
 *--------------------------------------------------------------
 * crypt status
 *--------------------------------------------------------------
 */

/* The string at @key of @obj, or "?". */
static const char *jstr(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return "?";
	return json_object_get_string(v) ?: "?";
}

int crypt_status_cmd(int argc, char **argv)
{
	struct json_object *objs, *kdf, *slots;
	struct crypt_device *cd;
	struct luks_info li;
	const char *dev;
	size_t i;

	want_args(argc, argv, 1, usage_crypt);
	dev = argv[0];
	need_cap_sys_admin();
	cd = load_luks2(dev);
	luks_info(cd, dev, &li);

	open_json_object(NULL);
	print_string(PRINT_ANY, "device", "%s: LUKS2\n", dev);
	print_string(PRINT_ANY, "uuid", "    uuid %s\n", li.uuid);
	print_string(PRINT_ANY, "cipher", "    cipher %s", li.cipher);
	print_int(PRINT_ANY, "key_size", " key_size %d", li.key_bytes * 8);
	print_int(PRINT_ANY, "sector_size", " sector_size %d\n", li.sector_size);
	print_u64(PRINT_ANY, "data_offset", "    data_offset %" PRIu64, li.offset);
	print_u64(PRINT_ANY, "data_sectors", " data_sectors %" PRIu64, li.sectors);
	print_u64(PRINT_ANY, "iv_offset", " iv_offset %" PRIu64, li.iv_offset);
	print_bool(PRINT_ANY, "allow_discards", " allow_discards %s\n", li.discards);

	open_json_array("keyslots");
	if (li.meta && json_object_object_get_ex(li.meta, "keyslots", &objs)) {
		json_object_object_foreach(objs, id, ks) {
			json_object_object_get_ex(ks, "kdf", &kdf);
			open_json_object(NULL);
			print_int(PRINT_ANY, "keyslot", "    keyslot %d", atoi(id));
			print_string(PRINT_ANY, "type", " %s", jstr(ks, "type"));
			print_string(PRINT_ANY, "kdf", " kdf %s\n", jstr(kdf, "type"));
			close_json_object();
		}
	}
	close_json_array();
	open_json_array("tokens");
	if (li.meta && json_object_object_get_ex(li.meta, "tokens", &objs)) {
		json_object_object_foreach(objs, id, tk) {
			open_json_object(NULL);
			print_int(PRINT_ANY, "token", "    token %d", atoi(id));
			print_string(PRINT_ANY, "type", " %s", jstr(tk, "type"));
			print_text(" keyslots");
			open_json_array("keyslots");
			if (json_object_object_get_ex(tk, "keyslots", &slots))
				for (i = 0; i < json_object_array_length(slots); i++)
					print_int(PRINT_ANY, NULL, " %d",
						  atoi(json_object_get_string(
							json_object_array_get_idx(slots, i)) ?: "-1"));
			close_json_array();
			print_text("\n");
			close_json_object();
		}
	}
	close_json_array();
	close_json_object();
	if (li.meta)
		json_object_put(li.meta);
	crypt_free(cd);
	return EXIT_OK;
}
