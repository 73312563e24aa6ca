/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-vaio-test (testing only): the netlink commands of its filter types,
 * sent with VAIO_CMD_FILTER_CALL (<linux/dm-vaio.h>): FILTER_CMD is one of
 * enum vaio_test_cmd, FILTER_DATA holds enum vaio_test_attr attributes.
 *
 *   VAIO_TEST_CMD_GET   answers MAPS, END_IOS (the instance's counters, as
 *                       its status words maps and end_ios) and TAG.
 *   VAIO_TEST_CMD_SET   TAG (0 to VAIO_TEST_TAG_MAX): the instance keeps it
 *                       (its status word tag shows it). Answers nothing.
 *   VAIO_TEST_CMD_BIOS  dump only: the last VAIO_TEST_RING bios the
 *                       instance mapped, newest first, an ENTRY each,
 *                       VAIO_TEST_PER_MSG entries per message at most.
 */
#ifndef _UAPI_LINUX_DM_VAIO_TEST_H
#define _UAPI_LINUX_DM_VAIO_TEST_H

#define VAIO_TEST_TAG_MAX	1000000
#define VAIO_TEST_RING		64
#define VAIO_TEST_PER_MSG	8

enum vaio_test_cmd {
	VAIO_TEST_CMD_UNSPEC,
	VAIO_TEST_CMD_GET,
	VAIO_TEST_CMD_SET,
	VAIO_TEST_CMD_BIOS,
};

enum vaio_test_attr {
	VAIO_TEST_ATTR_UNSPEC,
	VAIO_TEST_ATTR_PAD,
	VAIO_TEST_ATTR_MAPS,		/* u64 */
	VAIO_TEST_ATTR_END_IOS,		/* u64 */
	VAIO_TEST_ATTR_TAG,		/* u32 */
	VAIO_TEST_ATTR_ENTRY,		/* nest: VAIO_TEST_BIO_* */

	__VAIO_TEST_ATTR_MAX
};

#define VAIO_TEST_ATTR_MAX (__VAIO_TEST_ATTR_MAX - 1)

/* A bio of the VAIO_TEST_CMD_BIOS dump. */
enum vaio_test_bio_attr {
	VAIO_TEST_BIO_UNSPEC,
	VAIO_TEST_BIO_PAD,
	VAIO_TEST_BIO_SEQ,		/* u64: bios the instance mapped before */
	VAIO_TEST_BIO_SECTOR,		/* u64 */
	VAIO_TEST_BIO_SECTORS,		/* u32 */
	VAIO_TEST_BIO_OP,		/* u32: REQ_OP_*: 0 read, 1 write, ... */

	__VAIO_TEST_BIO_MAX
};

#endif /* _UAPI_LINUX_DM_VAIO_TEST_H */
