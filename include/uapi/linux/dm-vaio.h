/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-vaio generic netlink interface, shared by the kernel (dm-vaio.ko) and
 * userspace (libvaio, vaioctl, vaiod).
 *
 * Family VAIO_GENL_NAME, version VAIO_GENL_VERSION, initial network
 * namespace only. Requests and what they answer:
 *
 *   VAIO_CMD_FILTER_GET     dump: one message per registered filter type
 *                           (TYPE, CLASS, CLASS_NAME, VERSION, PARAMS)
 *   VAIO_CMD_DISK_GET       DISK_ID: that disk; dump: every disk with a live
 *                           vaio table (DISK_ID, DM_NAME, DM_DEV, DATA_DEV,
 *                           SECTORS, STATS, FILTERS). A filter's ARGS (which
 *                           may hold secrets) only for CAP_SYS_ADMIN.
 *   VAIO_CMD_CHAIN_CHECK    CHAIN: is this chain valid (types registered,
 *                           one per class, their per-bio data 2048 bytes
 *                           at most together, VAIO_MAX_ARGS arguments at
 *                           most each, parameters declared and well
 *                           typed; what only a filter's constructor can
 *                           check is left to the table load)? Error with
 *                           extack otherwise; the bad attribute is the
 *                           FILTER_ATTR_TYPE, the ARG or (per-bio data)
 *                           the FILTER at fault. CAP_SYS_ADMIN.
 *   VAIO_CMD_DISK_EVENT     DISK_ID, EVENT (VAIO_EVENT_SNAPSHOT), TAG: a
 *                           control event; answered with DELIVERED, or an
 *                           error whose extack is the vetoing filter's
 *                           reason. CAP_SYS_ADMIN.
 *   VAIO_CMD_FILTER_REACTIVATE  DISK_ID, FILTER_NAME (type or class).
 *                           CAP_SYS_ADMIN.
 *   VAIO_CMD_FILTER_CALL    DISK_ID, FILTER_NAME (type or class), FILTER_CMD
 *                           and optional FILTER_DATA: a command the filter
 *                           of the disk's live table defines, with its own
 *                           attributes nested in FILTER_DATA (checked
 *                           against the filter type's policy). Answers
 *                           DISK_ID, FILTER_NAME (the type), FILTER_CMD and
 *                           FILTER_DATA, filled by the filter. As a dump:
 *                           the same request, and messages each with a
 *                           FILTER_DATA of whole entries; a dump ends with
 *                           EAGAIN if the disk's live table changed meanwhile.
 *                           CAP_SYS_ADMIN. The commands and attributes of a
 *                           filter are its own (dm-vaio-test's are in
 *                           <linux/dm-vaio-test.h>).
 *
 * A chain is applied to a disk by a device-mapper table reload (libvaio
 * does it through libdevmapper): the table is the one truth of what is
 * attached, and DISK_GET reports the live table's chain.
 *
 * Notifications, on multicast group VAIO_GENL_MCGRP_EVENTS:
 *
 *   VAIO_CMD_NTF_DISK_NEW      a disk's first table was resumed (as DISK_GET,
 *                              without ARGS)
 *   VAIO_CMD_NTF_DISK_CHANGE   a new table was resumed (the same)
 *   VAIO_CMD_NTF_DISK_DEL      DISK_ID, DM_NAME: the disk's device is gone
 *   VAIO_CMD_NTF_FILTER_STATE  DISK_ID, FILTER (TYPE, STATE, FAIL_REASON)
 *   VAIO_CMD_NTF_EVENT         DISK_ID, EVENT, TAG, DELIVERED or ERROR
 *                              (with FILTER_NAME of the vetoing filter)
 *   VAIO_CMD_NTF_TABLE_ERROR   DM_NAME, ERROR: a vaio table line was refused
 *                              (the reason dmsetup cannot show)
 */
#ifndef _UAPI_LINUX_DM_VAIO_H
#define _UAPI_LINUX_DM_VAIO_H

#define VAIO_GENL_NAME		"vaio"
#define VAIO_GENL_VERSION	1
#define VAIO_GENL_MCGRP_EVENTS	"events"

/* Longest disk_id, filter type name or snapshot tag, with its NUL. */
#define VAIO_NAME_MAX		64
/* Longest filter argument ("key=value"), with its NUL. */
#define VAIO_ARG_MAX		256
/* Most arguments one filter takes. */
#define VAIO_MAX_ARGS		32

enum vaio_cmd {
	VAIO_CMD_UNSPEC,
	VAIO_CMD_FILTER_GET,
	VAIO_CMD_DISK_GET,
	VAIO_CMD_CHAIN_CHECK,
	VAIO_CMD_DISK_EVENT,
	VAIO_CMD_FILTER_REACTIVATE,
	VAIO_CMD_NTF_DISK_NEW,
	VAIO_CMD_NTF_DISK_CHANGE,
	VAIO_CMD_NTF_DISK_DEL,
	VAIO_CMD_NTF_FILTER_STATE,
	VAIO_CMD_NTF_EVENT,
	VAIO_CMD_NTF_TABLE_ERROR,
	VAIO_CMD_FILTER_CALL,

	__VAIO_CMD_MAX
};

#define VAIO_CMD_MAX (__VAIO_CMD_MAX - 1)

enum vaio_attr {
	VAIO_ATTR_UNSPEC,
	VAIO_ATTR_PAD,
	VAIO_ATTR_DISK_ID,	/* string */
	VAIO_ATTR_DM_NAME,	/* string: the device-mapper device's name */
	VAIO_ATTR_DM_DEV,	/* string: its "major:minor" */
	VAIO_ATTR_DATA_DEV,	/* string: the data device, "major:minor" */
	VAIO_ATTR_SECTORS,	/* u64: length of the disk in 512-byte sectors */
	VAIO_ATTR_STATS,	/* nest: VAIO_STAT_* */
	VAIO_ATTR_FILTERS,	/* nest: VAIO_ATTR_FILTER, in class order */
	VAIO_ATTR_FILTER,	/* nest: VAIO_FILTER_ATTR_* */
	VAIO_ATTR_CHAIN,	/* nest: VAIO_ATTR_FILTER (request) */
	VAIO_ATTR_EVENT,	/* u8: enum vaio_event_uapi */
	VAIO_ATTR_TAG,		/* string: a snapshot's tag */
	VAIO_ATTR_DELIVERED,	/* u32: filters an event was delivered to */
	VAIO_ATTR_FILTER_NAME,	/* string: a filter of a disk, type or class */
	VAIO_ATTR_ERROR,	/* string: what went wrong */
	/* flag: a dump's disk without ARGS and STATUS (too large): DISK_GET it */
	VAIO_ATTR_TRUNCATED,
	VAIO_ATTR_FILTER_CMD,	/* u32: a command the filter defines */
	VAIO_ATTR_FILTER_DATA,	/* nest: attributes the filter defines */

	__VAIO_ATTR_MAX
};

#define VAIO_ATTR_MAX (__VAIO_ATTR_MAX - 1)

/* Counters of a disk, from the table's creation. */
enum vaio_stat {
	VAIO_STAT_UNSPEC,
	VAIO_STAT_PAD,
	VAIO_STAT_READS,	/* u64: read bios */
	VAIO_STAT_WRITES,	/* u64: write bios with data */
	VAIO_STAT_FLUSHES,	/* u64: bios with REQ_PREFLUSH */
	VAIO_STAT_DISCARDS,	/* u64: discard, secure erase, write zeroes */
	VAIO_STAT_ERRORS,	/* u64: bios completed with an error */
	VAIO_STAT_READ_SECTORS,	 /* u64 */
	VAIO_STAT_WRITE_SECTORS, /* u64 */

	__VAIO_STAT_MAX
};

#define VAIO_STAT_MAX (__VAIO_STAT_MAX - 1)

enum vaio_filter_attr {
	VAIO_FILTER_ATTR_UNSPEC,
	VAIO_FILTER_ATTR_TYPE,		/* string: filter type name */
	VAIO_FILTER_ATTR_CLASS,		/* u8: enum vaio_filter_class */
	VAIO_FILTER_ATTR_CLASS_NAME,	/* string */
	VAIO_FILTER_ATTR_VERSION,	/* string: "major.minor.patch" */
	VAIO_FILTER_ATTR_PARAMS,	/* nest: VAIO_FILTER_ATTR_PARAM, in order */
	VAIO_FILTER_ATTR_PARAM,		/* nest: VAIO_PARAM_ATTR_* */
	VAIO_FILTER_ATTR_FAIL_MODE,	/* u8: enum vaio_fail_mode */
	VAIO_FILTER_ATTR_STATE,		/* u8: enum vaio_filter_state */
	VAIO_FILTER_ATTR_FAIL_REASON,	/* string */
	VAIO_FILTER_ATTR_ARGS,		/* nest: VAIO_FILTER_ATTR_ARG */
	VAIO_FILTER_ATTR_ARG,		/* string: one table argument */
	VAIO_FILTER_ATTR_STATUS,	/* string: the filter's status words */
	/* u32: a type's allowed fail modes, BIT(enum vaio_fail_mode_uapi) */
	VAIO_FILTER_ATTR_FAIL_MODES,

	__VAIO_FILTER_ATTR_MAX
};

#define VAIO_FILTER_ATTR_MAX (__VAIO_FILTER_ATTR_MAX - 1)

/* A parameter a filter type declares: its arguments are key=value. */
enum vaio_param_attr {
	VAIO_PARAM_ATTR_UNSPEC,
	VAIO_PARAM_ATTR_PAD,
	VAIO_PARAM_ATTR_NAME,		/* string */
	VAIO_PARAM_ATTR_TYPE,		/* u8: enum vaio_param_type */
	VAIO_PARAM_ATTR_CHOICES,	/* string: "a|b|c", for ENUM */
	VAIO_PARAM_ATTR_RANGE_MIN,	/* u64, for UINT */
	VAIO_PARAM_ATTR_RANGE_MAX,	/* u64, for UINT */
	VAIO_PARAM_ATTR_DEFAULT,	/* string */
	VAIO_PARAM_ATTR_HELP,		/* string */
	VAIO_PARAM_ATTR_SECRET,		/* flag: a value never to be echoed */

	__VAIO_PARAM_ATTR_MAX
};

#define VAIO_PARAM_ATTR_MAX (__VAIO_PARAM_ATTR_MAX - 1)

/* Filter classes, in the order a write meets them. */
enum vaio_filter_class {
	VAIO_FILTER_CLASS_QOS,
	VAIO_FILTER_CLASS_INSPECTION,
	VAIO_FILTER_CLASS_ENCRYPTION,
	VAIO_FILTER_CLASS_REPLICATION,
	VAIO_FILTER_CLASS_CACHE,
};

enum vaio_param_type {
	VAIO_PARAM_UINT,	/* decimal, MIN..MAX */
	VAIO_PARAM_BOOL,	/* 0 or 1 */
	VAIO_PARAM_ENUM,	/* one of CHOICES */
	VAIO_PARAM_STRING,	/* [A-Za-z0-9._:/@+-], shorter than VAIO_ARG_MAX */
};

enum vaio_fail_mode_uapi {
	VAIO_FAIL_MODE_OPEN,	/* on failure the filter is bypassed */
	VAIO_FAIL_MODE_CLOSED,	/* on failure the disk fails its I/O */
};

enum vaio_filter_state_uapi {
	VAIO_STATE_ACTIVE,
	VAIO_STATE_BYPASSED,
	VAIO_STATE_FAILED,
};

enum vaio_event_uapi {
	VAIO_EVENT_ATTACH,
	VAIO_EVENT_DETACH,
	VAIO_EVENT_SUSPEND,
	VAIO_EVENT_RESUME,
	VAIO_EVENT_GROW,
	VAIO_EVENT_SNAPSHOT,
	VAIO_EVENT_QUIESCE,
};

#endif /* _UAPI_LINUX_DM_VAIO_H */
