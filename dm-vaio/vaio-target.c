// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio: the "vaio" device-mapper target.
 *
 * Passes every bio of a disk to one underlying device.
 *
 * Table line:
 *   <start> <len> vaio <data_dev> [<#feature args> [disk_id <name>]]
 */

#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#define DM_MSG_PREFIX "vaio"

#define VAIO_DISK_ID_MAX 64

struct vaio_c {
	struct dm_dev *data_dev;
	char disk_id[VAIO_DISK_ID_MAX];
};

static int parse_features(struct dm_arg_set *as, struct vaio_c *vc,
			  struct dm_target *ti)
{
	unsigned int argc;
	const char *arg;

	if (!as->argc)
		return 0;

	if (kstrtouint(dm_shift_arg(as), 10, &argc)) {
		ti->error = "Invalid number of feature arguments";
		return -EINVAL;
	}
	if (argc > as->argc) {
		ti->error = "Not enough feature arguments";
		return -EINVAL;
	}

	while (argc) {
		arg = dm_shift_arg(as);
		argc--;

		if (!strcasecmp(arg, "disk_id") && argc >= 1) {
			arg = dm_shift_arg(as);
			argc--;
			if (!*arg || strlen(arg) >= VAIO_DISK_ID_MAX) {
				ti->error = "Invalid disk_id";
				return -EINVAL;
			}
			strscpy(vc->disk_id, arg, sizeof(vc->disk_id));
			continue;
		}

		ti->error = "Unrecognised feature argument";
		return -EINVAL;
	}

	return 0;
}

static int vaio_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct vaio_c *vc;
	int r;

	if (argc < 1) {
		ti->error = "Missing data device argument";
		return -EINVAL;
	}

	vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	if (!vc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}

	r = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table),
			  &vc->data_dev);
	if (r) {
		ti->error = "Data device lookup failed";
		goto bad;
	}

	r = parse_features(&as, vc, ti);
	if (r)
		goto bad;

	if (as.argc) {
		ti->error = "Too many arguments";
		r = -EINVAL;
		goto bad;
	}

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->private = vc;
	return 0;

bad:
	if (vc->data_dev)
		dm_put_device(ti, vc->data_dev);
	kfree(vc);
	return r;
}

static void vaio_dtr(struct dm_target *ti)
{
	struct vaio_c *vc = ti->private;

	dm_put_device(ti, vc->data_dev);
	kfree(vc);
}

static int vaio_map(struct dm_target *ti, struct bio *bio)
{
	struct vaio_c *vc = ti->private;

	bio_set_dev(bio, vc->data_dev->bdev);
	bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	return DM_MAPIO_REMAPPED;
}

static void vaio_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result,
			unsigned int maxlen)
{
	struct vaio_c *vc = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%s", vc->disk_id[0] ? vc->disk_id : "-");
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s", vc->data_dev->name);
		if (vc->disk_id[0])
			DMEMIT(" 2 disk_id %s", vc->disk_id);
		break;
	case STATUSTYPE_IMA:
		DMEMIT("target_name=%s,target_version=%u.%u.%u,data_dev=%s;",
		       ti->type->name, ti->type->version[0],
		       ti->type->version[1], ti->type->version[2],
		       vc->data_dev->name);
		break;
	}
}

static int vaio_iterate_devices(struct dm_target *ti,
				iterate_devices_callout_fn fn, void *data)
{
	struct vaio_c *vc = ti->private;

	return fn(ti, vc->data_dev, 0, ti->len, data);
}

static struct target_type vaio_target = {
	.name		 = "vaio",
	.version	 = {0, 1, 0},
	.module		 = THIS_MODULE,
	.ctr		 = vaio_ctr,
	.dtr		 = vaio_dtr,
	.map		 = vaio_map,
	.status		 = vaio_status,
	.iterate_devices = vaio_iterate_devices,
};

static int __init dm_vaio_init(void)
{
	return dm_register_target(&vaio_target);
}

static void __exit dm_vaio_exit(void)
{
	dm_unregister_target(&vaio_target);
}

module_init(dm_vaio_init);
module_exit(dm_vaio_exit);

MODULE_DESCRIPTION(DM_NAME " vaio target: I/O filter framework for VM disks");
MODULE_LICENSE("GPL");
