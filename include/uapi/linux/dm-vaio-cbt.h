/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-vaio-cbt: the netlink commands of the changed-block tracking filter,
 * sent with VAIO_CMD_FILTER_CALL (<linux/dm-vaio.h>): FILTER_CMD is one of
 * enum vaio_cbt_cmd, FILTER_DATA holds enum vaio_cbt_attr attributes.
 * Documentation/backup.rst describes them.
 *
 *   VAIO_CBT_CMD_STATUS   answers GEN, EPOCH, FIRST, BLOCK_BYTES,
 *                         DISK_BYTES, SLOTS, UUID and LOST.
 *   VAIO_CBT_CMD_MARK     closes the current epoch and starts the next;
 *                         answers the changeId of the point, GEN and
 *                         EPOCH (the epoch closed).
 *   VAIO_CBT_CMD_CHANGES  dump only: GEN and EPOCH (a changeId) given,
 *                         the extents written since that point, in
 *                         order, an EXTENT each. A changeId of another
 *                         generation, or of an epoch not closed yet, is
 *                         refused (EINVAL, with a message); after a
 *                         loss of tracking (LOST) every query is
 *                         refused (ESTALE): a full backup is needed.
 *
 * A changeId is written "<generation>:<epoch>", the generation as 16 hex
 * digits; epoch 0 of a generation is its start.
 */
#ifndef _UAPI_LINUX_DM_VAIO_CBT_H
#define _UAPI_LINUX_DM_VAIO_CBT_H

enum vaio_cbt_cmd {
	VAIO_CBT_CMD_UNSPEC,
	VAIO_CBT_CMD_STATUS,
	VAIO_CBT_CMD_MARK,
	VAIO_CBT_CMD_CHANGES,
};

enum vaio_cbt_attr {
	VAIO_CBT_ATTR_UNSPEC,
	VAIO_CBT_ATTR_PAD,
	VAIO_CBT_ATTR_GEN,		/* u64: the generation, never 0 */
	VAIO_CBT_ATTR_EPOCH,		/* u64 */
	VAIO_CBT_ATTR_FIRST,		/* u64: the oldest epoch kept apart */
	VAIO_CBT_ATTR_BLOCK_BYTES,	/* u32: the tracking granularity */
	VAIO_CBT_ATTR_DISK_BYTES,	/* u64 */
	VAIO_CBT_ATTR_SLOTS,		/* u32: epoch bitmaps on the device */
	VAIO_CBT_ATTR_UUID,		/* binary, 16: the metadata's */
	VAIO_CBT_ATTR_LOST,		/* u8: tracking lost, no generation */
	VAIO_CBT_ATTR_EXTENT,		/* nest: VAIO_CBT_EXTENT_* */

	__VAIO_CBT_ATTR_MAX
};

#define VAIO_CBT_ATTR_MAX (__VAIO_CBT_ATTR_MAX - 1)

/* An extent of the VAIO_CBT_CMD_CHANGES dump, in bytes. */
enum vaio_cbt_extent_attr {
	VAIO_CBT_EXTENT_UNSPEC,
	VAIO_CBT_EXTENT_PAD,
	VAIO_CBT_EXTENT_START,		/* u64 */
	VAIO_CBT_EXTENT_LENGTH,		/* u64 */

	__VAIO_CBT_EXTENT_MAX
};

#endif /* _UAPI_LINUX_DM_VAIO_CBT_H */
