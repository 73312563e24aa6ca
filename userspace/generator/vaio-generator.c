// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaio-generator: a systemd generator (systemd.generator(7)). At boot,
 * before units start, it reads the records under /etc/vaio and makes
 * vaio-apply.service wait for the block devices they name: each disk's
 * device, each cache pool's devices, and the devices a disk's policy
 * names (replication's meta=). Each goes in a drop-in,
 *
 *   <dir>/vaio-apply.service.d/50-vaio-devices.conf
 *
 * as Wants= and After= on its .device unit (the name systemd-escape
 * --path --suffix=device gives), as systemd-cryptsetup-generator does
 * for the devices of /etc/crypttab. A device that never appears holds
 * vaio-apply back for its job timeout (DefaultDeviceTimeoutSec), then
 * vaio-apply runs without it and fails that disk alone.
 *
 * A generator must not hold the boot back: a record that does not read
 * is said on stderr (the kernel log, this early) and left out; the exit
 * status is 0 but when the drop-in cannot be written.
 *
 *   vaio-generator NORMAL_DIR [EARLY_DIR LATE_DIR]
 *
 * VAIO_CONFDIR moves /etc/vaio (tests).
 */
#include "../lib/vaio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DROPIN_DIR	"vaio-apply.service.d"
#define DROPIN		"50-vaio-devices.conf"
#define MAX_DEVICES	1024

static char *devices[MAX_DEVICES];
static int ndevices;

/*
 * The .device unit of @path into @unit, as systemd's unit_name_from_path()
 * makes it: the path without repeated, leading and trailing slashes and
 * "." components, slashes made dashes, every other byte but
 * [A-Za-z0-9:_.] (and a leading '.') as \xNN. False if @path is not an
 * absolute path, has a ".." component (systemd refuses it), or @unit is
 * short.
 */
static bool device_unit(const char *path, char *unit, size_t len)
{
	static const char suffix[] = ".device";
	const char *p = path;
	size_t n = 0;
	bool first = true;
	int w;

	if (path[0] != '/')
		return false;
	while (*p) {
		if (*p == '/') {
			while (*p == '/')
				p++;
			/* "." is left out, ".." refused. */
			if (p[0] == '.' && (p[1] == '/' || !p[1])) {
				p++;
				continue;
			}
			if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
				return false;
			if (!*p)
				break;
			if (!first) {
				if (n + 1 >= len)
					return false;
				unit[n++] = '-';
			}
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == ':' || *p == '_' ||
		    (*p == '.' && !first)) {
			if (n + 1 >= len)
				return false;
			unit[n++] = *p;
		} else {
			w = snprintf(unit + n, len - n, "\\x%02x",
				     (unsigned char)*p);
			if (w < 0 || (size_t)w >= len - n)
				return false;
			n += w;
		}
		first = false;
		p++;
	}
	/* "/" alone is "-.device"; no block device is that. */
	if (first)
		return false;
	if (n + sizeof(suffix) > len)
		return false;
	memcpy(unit + n, suffix, sizeof(suffix));
	return true;
}

/*
 * Whether @path is a LUKS2 header's data area, /dev/mapper/vaio-NAME-data:
 * only "vaioctl crypt open" makes it, once the admin unlocks the header,
 * so waiting for it would hold vaio-apply back for nothing.
 */
static bool unlocked_only(const char *path)
{
	static const char prefix[] = "/dev/mapper/vaio-", suffix[] = "-data";
	size_t n = strlen(path);

	return n > strlen(prefix) + strlen(suffix) &&
	       !strncmp(path, prefix, strlen(prefix)) &&
	       !strcmp(path + n - strlen(suffix), suffix);
}

/* Adds @path, once, if it is a device path that appears by itself. */
static void add_device(const char *path)
{
	int i;

	if (strncmp(path, "/dev/", 5) || unlocked_only(path))
		return;
	for (i = 0; i < ndevices; i++)
		if (!strcmp(devices[i], path))
			return;
	if (ndevices == MAX_DEVICES) {
		fprintf(stderr, "vaio-generator: more than %d devices, %s left out\n",
			MAX_DEVICES, path);
		return;
	}
	devices[ndevices] = strdup(path);
	if (devices[ndevices])
		ndevices++;
}

/* The devices a policy's components name ("key=/dev/..."). */
static void add_policy(const char *name)
{
	static struct vaio_policy pol;	/* 64 KiB: not on the stack */
	struct vaio_err err = { 0 };
	const char *v;
	int i, j;

	if (vaio_policy_load(name, &pol, &err)) {
		fprintf(stderr, "vaio-generator: policy %s: %s\n", name, err.msg);
		return;
	}
	for (i = 0; i < pol.chain.n; i++)
		for (j = 0; j < pol.chain.c[i].argc; j++) {
			v = strchr(pol.chain.c[i].argv[j], '=');
			if (v)
				add_device(v + 1);
		}
}

static void add_disks(void)
{
	struct vaio_disk_conf d;
	struct vaio_err err = { 0 };
	char **names;
	int i, n;

	if (vaio_disk_names(&names, &n, &err)) {
		fprintf(stderr, "vaio-generator: disks: %s\n", err.msg);
		return;
	}
	for (i = 0; i < n; i++) {
		if (vaio_disk_conf_load(names[i], &d, &err)) {
			fprintf(stderr, "vaio-generator: disk %s: %s\n",
				names[i], err.msg);
			continue;
		}
		add_device(d.device);
		if (d.policy[0])
			add_policy(d.policy);
	}
	vaio_names_free(names, n);
}

static void add_pools(void)
{
	struct vaio_pool_conf *p;
	struct vaio_err err = { 0 };
	char **names;
	int i, j, n;

	/* A pool record is large (16 paths of 4 KiB): not on the stack. */
	p = malloc(sizeof(*p));
	if (!p)
		return;
	if (vaio_pool_names(&names, &n, &err)) {
		fprintf(stderr, "vaio-generator: pools: %s\n", err.msg);
		free(p);
		return;
	}
	for (i = 0; i < n; i++) {
		if (vaio_pool_conf_load(names[i], p, &err)) {
			fprintf(stderr, "vaio-generator: pool %s: %s\n",
				names[i], err.msg);
			continue;
		}
		for (j = 0; j < p->ndevices; j++)
			add_device(p->devices[j]);
	}
	vaio_names_free(names, n);
	free(p);
}

/* The drop-in, written whole to a temporary file, then renamed. */
static int write_dropin(const char *dir)
{
	char path[4096], tmp[4200], unit[4096 * 4 + 16];
	bool bad;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/" DROPIN_DIR, dir);
	if (mkdir(path, 0755) && errno != EEXIST) {
		fprintf(stderr, "vaio-generator: %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/" DROPIN_DIR "/" DROPIN, dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "vaio-generator: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	fprintf(f, "# Made by vaio-generator from the records in %s.\n[Unit]\n",
		vaio_conf_dir());
	for (i = 0; i < ndevices; i++) {
		if (!device_unit(devices[i], unit, sizeof(unit))) {
			fprintf(stderr, "vaio-generator: %s: no unit name\n",
				devices[i]);
			continue;
		}
		fprintf(f, "Wants=%s\nAfter=%s\n", unit, unit);
	}
	bad = ferror(f);
	if (fclose(f) || bad || rename(tmp, path)) {
		fprintf(stderr, "vaio-generator: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i, r;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: vaio-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n");
		return 1;
	}
	add_disks();
	add_pools();
	/* No records: nothing to wait for (vaio-apply does not run). */
	r = ndevices ? write_dropin(argv[1]) : 0;
	for (i = 0; i < ndevices; i++)
		free(devices[i]);
	return r;
}
