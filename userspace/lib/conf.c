// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvaio: policies and disks, persisted as small JSON files (json-c), one
 * per object, so that they read and diff well:
 *
 *   <confdir>/policies/<name>.json  {"policy": NAME, "components": [...]}
 *   <confdir>/disks/<name>.json     {"disk": NAME, "device": PATH,
 *                                    "policy": NAME or null}
 *   <confdir>/pools/<name>.json     {"pool": NAME, "device": PATH,
 *                                    "memory_mib": N, "block_size": N,
 *                                    "uuid": UUID}
 *                                   or "devices": [PATH, PATH...] for a
 *                                   pool on several devices; memory_mib
 *                                   absent without a memory tier,
 *                                   block_size (bytes, a power of two
 *                                   from 4096 to 1048576) absent for
 *                                   4096, uuid in files from before pool
 *                                   uuids
 *
 * Files are replaced atomically (write, fsync, rename); changes are made
 * under an exclusive lock on <confdir>/.lock.
 */
#include "vaio.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define CONF_FILE_MAX (1 << 20)

static char confdir[4096];

void vaio_conf_set_dir(const char *dir)
{
	snprintf(confdir, sizeof(confdir), "%s", dir);
}

const char *vaio_conf_dir(void)
{
	const char *env;

	if (!confdir[0]) {
		env = getenv("VAIO_CONFDIR");
		vaio_conf_set_dir(env && *env ? env : "/etc/vaio");
	}
	return confdir;
}

static int errno_err(struct vaio_err *err, const char *path, int e)
{
	if (e == EACCES || e == EPERM || e == EROFS)
		return vaio_seterr(err, e, "%s: %s (changing the configuration needs root)",
				   path, strerror(e));
	return vaio_seterr(err, e, "%s: %s", path, strerror(e));
}

static int mkdirs(const char *sub, struct vaio_err *err)
{
	char path[4200];

	if (mkdir(vaio_conf_dir(), 0755) && errno != EEXIST)
		return errno_err(err, vaio_conf_dir(), errno);
	snprintf(path, sizeof(path), "%s/%s", vaio_conf_dir(), sub);
	/* Policies hold filter arguments, which may be secrets: root only. */
	if (mkdir(path, strcmp(sub, "policies") ? 0755 : 0700) && errno != EEXIST)
		return errno_err(err, path, errno);
	return 0;
}

/* The pid the lock file names (its holder's, or a past one's): 0 if none. */
static long lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int vaio_conf_lock(struct vaio_err *err)
{
	const char *env = getenv("VAIO_CONF_LOCK_TIMEOUT");
	int timeout_s = env ? atoi(env) : 0;
	char path[4200], pid[32];
	bool said = false;
	int fd, waited;

	if (mkdirs("policies", err) || mkdirs("disks", err))
		return -1;
	snprintf(path, sizeof(path), "%s/.lock", vaio_conf_dir());
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		errno_err(err, path, errno);
		return -1;
	}
	if (timeout_s <= 0)
		timeout_s = VAIO_CONF_LOCK_TIMEOUT_S;
	/* Held: said once, with its holder, and given up after a while. */
	for (waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited += 100) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			errno_err(err, path, errno);
			close(fd);
			return -1;
		}
		if (waited >= timeout_s * 1000) {
			vaio_seterr(err, EBUSY,
				    "%s: held by process %ld for %d s: another vaioctl still at work?",
				    path, lock_holder(fd), timeout_s);
			close(fd);
			return -1;
		}
		if (!said && waited >= 1000) {
			fprintf(stderr, "vaioctl: waiting for %s, held by process %ld (up to %d s)\n",
				path, lock_holder(fd), timeout_s);
			said = true;
		}
		usleep(100 * 1000);
	}
	/* Ours: our pid in it, for the next one to name. */
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0)
		(void)0;	/* only a name for messages: the lock counts */
	return fd;
}

void vaio_conf_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void obj_path(char *path, size_t len, const char *dir, const char *name)
{
	snprintf(path, len, "%s/%s/%s.json", vaio_conf_dir(), dir, name);
}

static bool exists(const char *dir, const char *name)
{
	char path[4200];

	obj_path(path, sizeof(path), dir, name);
	return vaio_valid_name(name) && !access(path, F_OK);
}

bool vaio_policy_exists(const char *name)
{
	return exists("policies", name);
}

bool vaio_disk_conf_exists(const char *name)
{
	return exists("disks", name);
}

/* The JSON object in @path; errors say which line. -ENOENT if absent. */
static int read_json(const char *path, struct json_object **out,
		     struct vaio_err *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	struct json_object *obj;
	char *data;
	size_t off, line = 1, i;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : errno_err(err, path, errno);
	data = malloc(CONF_FILE_MAX + 1);
	if (!data) {
		close(fd);
		return vaio_seterr(err, ENOMEM, "out of memory");
	}
	n = read(fd, data, CONF_FILE_MAX + 1);
	close(fd);
	if (n < 0 || n > CONF_FILE_MAX) {
		free(data);
		return n < 0 ? errno_err(err, path, errno) :
			vaio_seterr(err, EFBIG, "%s: too large", path);
	}
	data[n] = '\0';

	tok = json_tokener_new();
	if (!tok) {
		free(data);
		return vaio_seterr(err, ENOMEM, "out of memory");
	}
	obj = json_tokener_parse_ex(tok, data, n);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_success) {
		/* Nothing but white space after the object. */
		off += strspn(data + off, " \t\r\n");
		if (off < (size_t)n)
			jerr = json_tokener_error_parse_unexpected;
	} else if (jerr == json_tokener_continue) {
		off = n;
		jerr = json_tokener_error_parse_eof;
	}
	if (jerr != json_tokener_success || !json_object_is_type(obj, json_type_object)) {
		for (i = 0; i < off && i < (size_t)n; i++)
			line += data[i] == '\n';
		json_object_put(obj);
		free(data);
		if (jerr == json_tokener_success)
			return vaio_seterr(err, EINVAL, "%s: not a JSON object", path);
		return vaio_seterr(err, EINVAL, "%s: line %zu: %s", path, line,
				   json_tokener_error_desc(jerr));
	}
	free(data);
	*out = obj;
	return 0;
}

/* The directory of @path on disk: a rename or unlink in it made durable. */
static void sync_dir(const char *path)
{
	char dir[4300];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Replaces @path by @obj: whole or not at all, also across a crash. */
static int write_json(const char *path, struct json_object *obj, mode_t mode,
		      struct vaio_err *err)
{
	const char *s = json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE);
	char tmp[4300];
	size_t len = strlen(s);
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return errno_err(err, tmp, errno);
	if (write(fd, s, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd))
		r = errno_err(err, tmp, errno ?: EIO);
	if (close(fd) && !r)
		r = errno_err(err, tmp, errno);
	if (!r && rename(tmp, path))
		r = errno_err(err, path, errno);
	if (r) {
		unlink(tmp);
		return r;
	}
	sync_dir(path);
	return 0;
}

/* Only @keys may be in @obj: a typo is an error, not silently ignored. */
static int check_keys(struct json_object *obj, const char *path,
		      const char *const *keys, struct vaio_err *err)
{
	int i;

	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], key))
				break;
		if (!keys[i])
			return vaio_seterr(err, EINVAL, "%s: unknown key \"%s\"",
					   path, key);
	}
	return 0;
}

/* The string @key of @obj, which must match @name if @name is given. */
static int get_name(struct json_object *obj, const char *key, const char *path,
		    const char *name, char *out, size_t len,
		    struct vaio_err *err)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return vaio_seterr(err, EINVAL, "%s: \"%s\" must be a string",
				   path, key);
	s = json_object_get_string(v);
	if (name && strcmp(s, name))
		return vaio_seterr(err, EINVAL,
				   "%s: \"%s\" is \"%s\" but the file is named for \"%s\"",
				   path, key, s, name);
	if (strlen(s) >= len)
		return vaio_seterr(err, EINVAL, "%s: \"%s\" is too long", path, key);
	strcpy(out, s);
	return 0;
}

int vaio_policy_load(const char *name, struct vaio_policy *p,
		     struct vaio_err *err)
{
	static const char *const keys[] = { "policy", "components", NULL };
	struct json_object *obj, *comps, *c;
	struct vaio_err cerr;
	char path[4200];
	size_t i;
	int r;

	memset(p, 0, sizeof(*p));
	if (!vaio_valid_name(name))
		return vaio_seterr(err, EINVAL, "policy '%s': invalid name", name);
	obj_path(path, sizeof(path), "policies", name);
	r = read_json(path, &obj, err);
	if (r == -ENOENT)
		return vaio_seterr(err, ENOENT, "policy %s does not exist", name);
	if (r)
		return r;
	r = check_keys(obj, path, keys, err);
	if (!r)
		r = get_name(obj, "policy", path, name, p->name, sizeof(p->name),
			     err);
	if (r)
		goto out;
	if (!json_object_object_get_ex(obj, "components", &comps) ||
	    !json_object_is_type(comps, json_type_array)) {
		r = vaio_seterr(err, EINVAL,
				"%s: \"components\" must be an array of strings",
				path);
		goto out;
	}
	for (i = 0; i < json_object_array_length(comps); i++) {
		c = json_object_array_get_idx(comps, i);
		if (!json_object_is_type(c, json_type_string)) {
			r = vaio_seterr(err, EINVAL,
					"%s: component %zu is not a string",
					path, i + 1);
			goto out;
		}
		r = vaio_chain_add(&p->chain, json_object_get_string(c), &cerr);
		if (r) {
			vaio_seterr(err, -r, "%s: %s", path, cerr.msg);
			goto out;
		}
	}
out:
	json_object_put(obj);
	return r;
}

int vaio_policy_save(const struct vaio_policy *p, struct vaio_err *err)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *comps = json_object_new_array();
	char path[4200], buf[VAIO_ARG_MAX * 4];
	int i, r;

	if (!obj || !comps) {
		json_object_put(obj);
		json_object_put(comps);
		return vaio_seterr(err, ENOMEM, "out of memory");
	}
	json_object_object_add(obj, "policy", json_object_new_string(p->name));
	for (i = 0; i < p->chain.n; i++) {
		vaio_component_format(&p->chain.c[i], buf, sizeof(buf));
		json_object_array_add(comps, json_object_new_string(buf));
	}
	json_object_object_add(obj, "components", comps);
	obj_path(path, sizeof(path), "policies", p->name);
	r = mkdirs("policies", err);
	if (!r)
		r = write_json(path, obj, 0600, err);
	json_object_put(obj);
	return r;
}

static int delete(const char *dir, const char *name, struct vaio_err *err)
{
	char path[4200];

	obj_path(path, sizeof(path), dir, name);
	if (unlink(path))
		return errno_err(err, path, errno);
	/* Gone across a crash too, or apply makes it again at boot. */
	sync_dir(path);
	return 0;
}

int vaio_policy_delete(const char *name, struct vaio_err *err)
{
	return delete("policies", name, err);
}

int vaio_disk_conf_load(const char *name, struct vaio_disk_conf *d,
			struct vaio_err *err)
{
	static const char *const keys[] = { "disk", "device", "policy",
					    "identity", NULL };
	struct json_object *obj, *v;
	char path[4200];
	int r;

	memset(d, 0, sizeof(*d));
	if (!vaio_valid_name(name))
		return vaio_seterr(err, EINVAL, "disk '%s': invalid name", name);
	obj_path(path, sizeof(path), "disks", name);
	r = read_json(path, &obj, err);
	if (r == -ENOENT)
		return vaio_seterr(err, ENOENT,
				   "disk %s is not managed by vaioctl (no %s)",
				   name, path);
	if (r)
		return r;
	r = check_keys(obj, path, keys, err);
	if (!r)
		r = get_name(obj, "disk", path, name, d->name, sizeof(d->name),
			     err);
	if (!r)
		r = get_name(obj, "device", path, NULL, d->device,
			     sizeof(d->device), err);
	if (!r && json_object_object_get_ex(obj, "policy", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		r = get_name(obj, "policy", path, NULL, d->policy,
			     sizeof(d->policy), err);
		if (!r && !vaio_valid_name(d->policy))
			r = vaio_seterr(err, EINVAL, "%s: invalid policy name",
					path);
	}
	/* Older records have none: nothing to check them by. */
	if (!r && json_object_object_get_ex(obj, "identity", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		r = get_name(obj, "identity", path, NULL, d->identity,
			     sizeof(d->identity), err);
		if (!r && !d->identity[0])
			r = vaio_seterr(err, EINVAL, "%s: \"identity\" is empty",
					path);
	}
	if (!r && d->device[0] != '/')
		r = vaio_seterr(err, EINVAL,
				"%s: \"device\" must be an absolute path", path);
	json_object_put(obj);
	return r;
}

int vaio_disk_conf_save(const struct vaio_disk_conf *d, struct vaio_err *err)
{
	struct json_object *obj = json_object_new_object();
	char path[4200];
	int r;

	if (!obj)
		return vaio_seterr(err, ENOMEM, "out of memory");
	json_object_object_add(obj, "disk", json_object_new_string(d->name));
	json_object_object_add(obj, "device", json_object_new_string(d->device));
	json_object_object_add(obj, "policy", d->policy[0] ?
			       json_object_new_string(d->policy) : NULL);
	/* None: no key, so that an older vaioctl still reads the record. */
	if (d->identity[0])
		json_object_object_add(obj, "identity",
				       json_object_new_string(d->identity));
	obj_path(path, sizeof(path), "disks", d->name);
	r = mkdirs("disks", err);
	if (!r)
		r = write_json(path, obj, 0644, err);
	json_object_put(obj);
	return r;
}

int vaio_disk_conf_delete(const char *name, struct vaio_err *err)
{
	return delete("disks", name, err);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_names(const char *sub, char ***names, int *n,
		      struct vaio_err *err)
{
	char path[4200], **v = NULL, **nv;
	struct dirent *de;
	size_t len;
	DIR *dir;

	*names = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", vaio_conf_dir(), sub);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : errno_err(err, path, errno);
	while ((de = readdir(dir))) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		de->d_name[len - 5] = '\0';
		if (!vaio_valid_name(de->d_name))
			continue;
		nv = realloc(v, (*n + 1) * sizeof(*v));
		if (!nv || !(nv[*n] = strdup(de->d_name))) {
			closedir(dir);
			vaio_names_free(nv ?: v, *n);
			return vaio_seterr(err, ENOMEM, "out of memory");
		}
		v = nv;
		(*n)++;
	}
	closedir(dir);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_names);
	*names = v;
	return 0;
}

int vaio_policy_names(char ***names, int *n, struct vaio_err *err)
{
	return list_names("policies", names, n, err);
}

int vaio_disk_names(char ***names, int *n, struct vaio_err *err)
{
	return list_names("disks", names, n, err);
}

void vaio_names_free(char **names, int n)
{
	while (n-- > 0)
		free(names[n]);
	free(names);
}

bool vaio_valid_uuid(const char *u)
{
	int i;

	if (strlen(u) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)u[i])) {
			return false;
		}
	}
	return true;
}

bool vaio_pool_block_size_valid(uint64_t bytes)
{
	return bytes >= VAIO_POOL_BLOCK_MIN && bytes <= VAIO_POOL_BLOCK_MAX &&
	       !(bytes & (bytes - 1));
}

bool vaio_pool_conf_exists(const char *name)
{
	return exists("pools", name);
}

/* @p's devices: "device", a path, or "devices", an array of paths. */
static int get_pool_devices(struct json_object *obj, const char *path,
			    struct vaio_pool_conf *p, struct vaio_err *err)
{
	struct json_object *one, *arr, *v;
	bool has_one, has_arr;
	const char *s;
	size_t i, n;
	int r;

	has_one = json_object_object_get_ex(obj, "device", &one);
	has_arr = json_object_object_get_ex(obj, "devices", &arr);
	if (has_one && has_arr)
		return vaio_seterr(err, EINVAL,
				   "%s: \"device\" and \"devices\": give one of them",
				   path);
	if (!has_arr) {
		r = get_name(obj, "device", path, NULL, p->devices[0],
			     sizeof(p->devices[0]), err);
		if (r)
			return r;
		p->ndevices = 1;
		goto check;
	}
	n = json_object_is_type(arr, json_type_array) ?
		json_object_array_length(arr) : 0;
	if (!n)
		return vaio_seterr(err, EINVAL,
				   "%s: \"devices\" must be an array of paths",
				   path);
	if (n > VAIO_POOL_MAX_DEVICES)
		return vaio_seterr(err, EINVAL,
				   "%s: \"devices\": more than %d devices",
				   path, VAIO_POOL_MAX_DEVICES);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string))
			return vaio_seterr(err, EINVAL,
					   "%s: device %zu is not a string",
					   path, i + 1);
		s = json_object_get_string(v);
		if (strlen(s) >= sizeof(p->devices[0]))
			return vaio_seterr(err, EINVAL,
					   "%s: device %zu is too long", path,
					   i + 1);
		strcpy(p->devices[i], s);
	}
	p->ndevices = n;
check:
	for (i = 0; i < (size_t)p->ndevices; i++)
		if (p->devices[i][0] != '/')
			return vaio_seterr(err, EINVAL,
					   "%s: device \"%s\" must be an absolute path",
					   path, p->devices[i]);
	return 0;
}

int vaio_pool_conf_load(const char *name, struct vaio_pool_conf *p,
			struct vaio_err *err)
{
	static const char *const keys[] = {
		"pool", "device", "devices", "memory_mib", "block_size", "uuid",
		NULL
	};
	struct json_object *obj, *v;
	char path[4200];
	int64_t mib, bs;
	int r;

	memset(p, 0, sizeof(*p));
	if (!vaio_valid_name(name))
		return vaio_seterr(err, EINVAL, "pool '%s': invalid name", name);
	obj_path(path, sizeof(path), "pools", name);
	r = read_json(path, &obj, err);
	if (r == -ENOENT)
		return vaio_seterr(err, ENOENT,
				   "pool %s is not managed by vaioctl (no %s)",
				   name, path);
	if (r)
		return r;
	r = check_keys(obj, path, keys, err);
	if (!r)
		r = get_name(obj, "pool", path, name, p->name, sizeof(p->name),
			     err);
	if (!r)
		r = get_pool_devices(obj, path, p, err);
	/* Files from before the memory tier have no "memory_mib". */
	if (!r && json_object_object_get_ex(obj, "memory_mib", &v)) {
		mib = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || mib < 0)
			r = vaio_seterr(err, EINVAL,
					"%s: \"memory_mib\" must be a number of MiB (0: none)",
					path);
		else
			p->memory_mib = mib;
	}
	/* Files from before block sizes, and pools of 4 KiB, have none. */
	p->block_size = VAIO_POOL_BLOCK_DEFAULT;
	if (!r && json_object_object_get_ex(obj, "block_size", &v)) {
		bs = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) ||
		    !vaio_pool_block_size_valid(bs))
			r = vaio_seterr(err, EINVAL,
					"%s: \"block_size\" must be a number of bytes, a power of two from 4096 to 1048576",
					path);
		else
			p->block_size = bs;
		p->block_size_given = !r;
	}
	/* Files from before pool uuids have none: apply records one. */
	if (!r && json_object_object_get_ex(obj, "uuid", &v)) {
		const char *u = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) || !vaio_valid_uuid(u))
			r = vaio_seterr(err, EINVAL,
					"%s: \"uuid\" must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
					path);
		else
			strcpy(p->uuid, u);
	}
	json_object_put(obj);
	return r;
}

/*
 * A pool on one device without a memory tier, of 4 KiB blocks, is written
 * as before they came, {"pool", "device"}, which older versions read too.
 */
int vaio_pool_conf_save(const struct vaio_pool_conf *p, struct vaio_err *err)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *arr;
	char path[4200];
	int i, r;

	if (!obj)
		return vaio_seterr(err, ENOMEM, "out of memory");
	json_object_object_add(obj, "pool", json_object_new_string(p->name));
	if (p->ndevices == 1) {
		json_object_object_add(obj, "device",
				       json_object_new_string(p->devices[0]));
	} else {
		arr = json_object_new_array();
		if (!arr) {
			json_object_put(obj);
			return vaio_seterr(err, ENOMEM, "out of memory");
		}
		for (i = 0; i < p->ndevices; i++)
			json_object_array_add(arr,
					      json_object_new_string(p->devices[i]));
		json_object_object_add(obj, "devices", arr);
	}
	if (p->memory_mib)
		json_object_object_add(obj, "memory_mib",
				       json_object_new_int64(p->memory_mib));
	if (p->block_size && p->block_size != VAIO_POOL_BLOCK_DEFAULT) {
		if (!vaio_pool_block_size_valid(p->block_size)) {
			json_object_put(obj);
			return vaio_seterr(err, EINVAL,
					   "pool %s: block size %u: give a power of two from 4096 to 1048576 bytes",
					   p->name, (unsigned int)p->block_size);
		}
		json_object_object_add(obj, "block_size",
				       json_object_new_int64(p->block_size));
	}
	if (p->uuid[0])
		json_object_object_add(obj, "uuid", json_object_new_string(p->uuid));
	obj_path(path, sizeof(path), "pools", p->name);
	r = mkdirs("pools", err);
	if (!r)
		r = write_json(path, obj, 0644, err);
	json_object_put(obj);
	return r;
}

int vaio_pool_conf_delete(const char *name, struct vaio_err *err)
{
	return delete("pools", name, err);
}

int vaio_pool_names(char ***names, int *n, struct vaio_err *err)
{
	return list_names("pools", names, n, err);
}
