// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvaio: the stable identity of a block device, from sysfs, so that a
 * record made of /dev/sdb is not applied to whatever /dev/sdb is after a
 * reboot renumbered the disks (udev's /dev/disk/by-id names come from the
 * same attributes).
 */
#include "vaio.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* The first line of @dir/@attr, blanks trimmed, into @out; "" if none. */
static void read_attr(const char *dir, const char *attr, char *out, size_t len)
{
	char path[PATH_MAX + 64];
	size_t n;
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	f = fopen(path, "re");
	if (!f)
		return;
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	fclose(f);
	n = strlen(out);
	while (n && isspace((unsigned char)out[n - 1]))
		out[--n] = '\0';
	for (n = 0; isspace((unsigned char)out[n]); n++)
		;
	memmove(out, out + n, strlen(out + n) + 1);
}

/* Does @dir/@attr exist? */
static bool access_attr(const char *dir, const char *attr)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	return !stat(path, &st);
}

int vaio_blkdev_devt(const char *path, char *devt, size_t len,
		     struct vaio_err *err)
{
	struct stat st;

	if (stat(path, &st))
		return vaio_seterr(err, errno, "device %s: %s", path, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return vaio_seterr(err, ENOTBLK, "device %s: not a block device", path);
	snprintf(devt, len, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

int vaio_dev_identity(const char *path, char *id, size_t len,
		      struct vaio_err *err)
{
	char devt[32], link[64], dir[PATH_MAX], v[256], part[32];
	const char *kind = NULL;
	char *slash;
	int r;

	id[0] = '\0';
	r = vaio_blkdev_devt(path, devt, sizeof(devt), err);
	if (r)
		return r;
	snprintf(link, sizeof(link), "/sys/dev/block/%s", devt);
	if (!realpath(link, dir))
		return vaio_seterr(err, errno, "device %s: no %s: %s", path, link,
				   strerror(errno));
	/* A partition: the disk's identity and the partition's number. */
	read_attr(dir, "partition", part, sizeof(part));
	if (part[0]) {
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
	}
	/*
	 * A device-mapper device without a uuid has none: its name says no
	 * more than its path.
	 */
	read_attr(dir, "dm/uuid", v, sizeof(v));
	if (v[0])
		kind = "dm-uuid";
	else if (access_attr(dir, "dm"))
		return 0;
	/*
	 * An NVMe namespace's own wwid (its NGUID, EUI-64 or the kernel's
	 * form with the namespace id): "device" is the controller, whose
	 * serial its namespaces share. SCSI's is under "device".
	 */
	if (!kind) {
		read_attr(dir, "wwid", v, sizeof(v));
		if (!v[0])
			read_attr(dir, "device/wwid", v, sizeof(v));
		if (v[0])
			kind = "wwid";
	}
	if (!kind) {
		read_attr(dir, "serial", v, sizeof(v));	/* virtio-blk */
		if (!v[0])
			read_attr(dir, "device/serial", v, sizeof(v));
		if (v[0])
			kind = "serial";
	}
	if (!kind)
		return 0;
	if ((size_t)snprintf(id, len, "%s:%s%s%s", kind, v, part[0] ? ":part" : "",
			     part) >= len) {
		id[0] = '\0';
		return vaio_seterr(err, ENAMETOOLONG, "device %s: its identity is too long",
				   path);
	}
	return 0;
}
