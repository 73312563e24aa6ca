/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-vaio replication: the generic netlink family of the replication filter
 * (dm-vaio-replication.ko) and the wire protocol between two hosts, shared
 * by the kernel, vaiod and vaioctl. See Documentation/replication.rst.
 *
 * Family VAIO_REPL_GENL_NAME, version 1, initial network namespace only.
 *
 *   VAIO_REPL_CMD_GET        DISK_ID: that disk; dump: every disk with a
 *                            replication filter. The status attributes.
 *   VAIO_REPL_CMD_CONNECT    DISK_ID, FD (a connected TCP socket, already
 *                            authenticated by vaiod), PEER_SECTORS,
 *                            PEER_ROLE, optional FULL_SYNC: the kernel takes
 *                            the socket and replicates over it.
 *                            CAP_NET_ADMIN.
 *   VAIO_REPL_CMD_DISCONNECT DISK_ID: drop the connection (writes are then
 *                            tracked). CAP_NET_ADMIN.
 *   VAIO_REPL_CMD_SET_ROLE   DISK_ID, ROLE, optional FORCE, optional
 *                            SKIP_SYNC (with ROLE primary on a new pair:
 *                            the disks are known equal). CAP_NET_ADMIN.
 *
 * Notifications on group VAIO_REPL_GENL_MCGRP_EVENTS:
 *
 *   VAIO_REPL_NTF_STATE      the status of a disk whose connection state
 *                            changed, or that appeared or left (CONN
 *                            VAIO_REPL_CONN_GONE).
 */
#ifndef _UAPI_LINUX_DM_VAIO_REPL_H
#define _UAPI_LINUX_DM_VAIO_REPL_H

#include <linux/types.h>

#define VAIO_REPL_GENL_NAME		"vaio_repl"
#define VAIO_REPL_GENL_VERSION		1
#define VAIO_REPL_GENL_MCGRP_EVENTS	"events"

enum vaio_repl_cmd {
	VAIO_REPL_CMD_UNSPEC,
	VAIO_REPL_CMD_GET,
	VAIO_REPL_CMD_CONNECT,
	VAIO_REPL_CMD_DISCONNECT,
	VAIO_REPL_CMD_SET_ROLE,
	VAIO_REPL_NTF_STATE,
	VAIO_REPL_CMD_VERIFY,		/* DISK_ID [STOP]: online verify */

	__VAIO_REPL_CMD_MAX
};

#define VAIO_REPL_CMD_MAX (__VAIO_REPL_CMD_MAX - 1)

enum vaio_repl_attr {
	VAIO_REPL_ATTR_UNSPEC,
	VAIO_REPL_ATTR_PAD,
	VAIO_REPL_ATTR_DISK_ID,		/* string */
	VAIO_REPL_ATTR_FD,		/* u32 */
	VAIO_REPL_ATTR_ROLE,		/* u8, enum vaio_repl_role */
	VAIO_REPL_ATTR_PEER_ROLE,	/* u8 */
	VAIO_REPL_ATTR_FORCE,		/* flag */
	VAIO_REPL_ATTR_SKIP_SYNC,	/* flag */
	VAIO_REPL_ATTR_FULL_SYNC,	/* flag */
	VAIO_REPL_ATTR_SECTORS,		/* u64, this disk */
	VAIO_REPL_ATTR_PEER_SECTORS,	/* u64 */
	VAIO_REPL_ATTR_CONN,		/* u8, enum vaio_repl_conn */
	VAIO_REPL_ATTR_MODE,		/* u8, enum vaio_repl_mode */
	VAIO_REPL_ATTR_PEER,		/* string, host:port (table peer=) */
	VAIO_REPL_ATTR_REMOTE_DISK,	/* string (table remote_disk=) */
	VAIO_REPL_ATTR_SECRET,		/* string, a path (table secret=) */
	VAIO_REPL_ATTR_REASON,		/* string: why the last connection ended */
	VAIO_REPL_ATTR_GEN,		/* u64, current data generation */
	VAIO_REPL_ATTR_GEN_HISTORY,	/* nested u64s, newest first */
	VAIO_REPL_ATTR_CONSISTENT,	/* u8: 1 unless a resync target */
	VAIO_REPL_ATTR_LAG_WRITES,	/* u64 */
	VAIO_REPL_ATTR_LAG_BYTES,	/* u64 */
	VAIO_REPL_ATTR_LAG_MS,		/* u64 */
	VAIO_REPL_ATTR_OOS_BYTES,	/* u64, out of sync (bitmap weight) */
	VAIO_REPL_ATTR_SYNC_TOTAL,	/* u64 bytes the resync began with */
	VAIO_REPL_ATTR_SYNC_BPS,	/* u64, resync rate, bytes per second */
	VAIO_REPL_ATTR_SENT_WRITES,	/* u64 */
	VAIO_REPL_ATTR_ACKED_WRITES,	/* u64 */
	VAIO_REPL_ATTR_RECV_WRITES,	/* u64, as secondary */
	VAIO_REPL_ATTR_RESYNCED_BYTES,	/* u64 */
	VAIO_REPL_ATTR_CONNECTS,	/* u64 */
	/* flag: a primary set up with SKIP_SYNC, never connected since */
	VAIO_REPL_ATTR_NEW_PAIR,
	VAIO_REPL_ATTR_STOP,		/* flag: VERIFY, stop a running one */
	VAIO_REPL_ATTR_VERIFY_STATE,	/* u8, enum vaio_repl_verify */
	VAIO_REPL_ATTR_VERIFY_TOTAL,	/* u64 bytes to compare */
	VAIO_REPL_ATTR_VERIFY_DONE,	/* u64 bytes compared */
	VAIO_REPL_ATTR_VERIFY_DIFF,	/* u64 bytes found different */
	VAIO_REPL_ATTR_VERIFY_EXTENTS,	/* u64 runs of different blocks */
	VAIO_REPL_ATTR_VERIFY_BPS,	/* u64, bytes per second */
	/* nested: VAIO_REPL_ATTR_MARK nests of enum vaio_repl_mark_attr */
	VAIO_REPL_ATTR_MARKS,
	VAIO_REPL_ATTR_MARK,
	VAIO_REPL_ATTR_INIT,		/* flag: SET_ROLE of a new pair (repl init) */

	__VAIO_REPL_ATTR_MAX
};

#define VAIO_REPL_ATTR_MAX (__VAIO_REPL_ATTR_MAX - 1)

/*
 * Snapshot marks: a snapshot control event on a primary in sync puts a MARK
 * in the stream; the secondary, once every write before it is on its disk
 * and flushed, records it (in its metadata) and answers MARK_ACK. Each side
 * keeps its last VAIO_REPL_MARKS marks, newest first.
 */
#define VAIO_REPL_MARKS		8

enum vaio_repl_mark_attr {
	VAIO_REPL_MARK_ATTR_UNSPEC,
	VAIO_REPL_MARK_ATTR_PAD,
	VAIO_REPL_MARK_ATTR_TAG,	/* string */
	VAIO_REPL_MARK_ATTR_TIME,	/* u64, the primary's wall clock, s */
	VAIO_REPL_MARK_ATTR_GEN,	/* u64, the data generation then */
	/* u64: writes sent (primary) or received (secondary) since */
	VAIO_REPL_MARK_ATTR_WRITES_AFTER,
	VAIO_REPL_MARK_ATTR_ON_REPLICA,	/* u8: the replica holds the point */

	__VAIO_REPL_MARK_ATTR_MAX
};

#define VAIO_REPL_MARK_ATTR_MAX (__VAIO_REPL_MARK_ATTR_MAX - 1)

enum vaio_repl_role {
	VAIO_REPL_ROLE_SECONDARY,
	VAIO_REPL_ROLE_PRIMARY,
};

enum vaio_repl_mode {
	VAIO_REPL_MODE_SYNC,
	VAIO_REPL_MODE_ASYNC,
};

enum vaio_repl_conn {
	VAIO_REPL_CONN_STANDALONE,	/* no peer wanted (a secondary idles) */
	VAIO_REPL_CONN_WAITING,		/* wants a connection from vaiod */
	VAIO_REPL_CONN_CONNECTED,	/* replicating, peer up to date */
	VAIO_REPL_CONN_SYNC_SOURCE,	/* connected, resyncing the peer */
	VAIO_REPL_CONN_SYNC_TARGET,	/* connected, being resynced */
	VAIO_REPL_CONN_GONE,		/* NTF only: the disk's filter left */
};

/*
 * Online verify (VAIO_REPL_CMD_VERIFY, on a connected primary): both sides
 * checksum each 1 MiB chunk, a crc32 (IEEE 802.3) per 4 KiB block; only checksums
 * cross the network. Blocks that differ are counted, and marked out of
 * sync, so that the resync that follows copies them.
 */
enum vaio_repl_verify {
	VAIO_REPL_VERIFY_NONE,		/* never run on this disk */
	VAIO_REPL_VERIFY_RUNNING,
	VAIO_REPL_VERIFY_DONE,		/* the last run compared everything */
	VAIO_REPL_VERIFY_STOPPED,	/* stopped, or the connection ended */
};

/*
 * Wire protocol, one TCP connection per disk, big-endian. Every frame is
 * a struct vaio_repl_hdr and len bytes of payload. vaiod runs the
 * handshake (HELLO, AUTH, STATE, ERROR); the kernel everything after it.
 */
#define VAIO_REPL_MAGIC		0x56525031	/* "VRP1" */
#define VAIO_REPL_PORT		7790
#define VAIO_REPL_MAX_PAYLOAD	(1U << 20)	/* data, plus the fixed part */
/* Most bytes one DISCARD or ZEROES covers (the primary's limits split them). */
#define VAIO_REPL_MAX_EXTENT	(8U << 20)

enum vaio_repl_frame {
	/* handshake, vaiod */
	VAIO_REPL_F_HELLO = 1,
	VAIO_REPL_F_AUTH,
	VAIO_REPL_F_STATE,
	VAIO_REPL_F_ERROR,
	VAIO_REPL_F_GO,
	/* data path, kernel */
	VAIO_REPL_F_DATA = 16,	/* vaio_repl_data + data */
	VAIO_REPL_F_WRITE_ACK,	/* vaio_repl_ack */
	VAIO_REPL_F_NEG_ACK,	/* vaio_repl_ack */
	VAIO_REPL_F_FLUSH,	/* vaio_repl_data (id; no payload) */
	VAIO_REPL_F_FLUSH_ACK,	/* vaio_repl_ack */
	VAIO_REPL_F_BARRIER,	/* vaio_repl_barrier */
	VAIO_REPL_F_BARRIER_ACK,/* vaio_repl_barrier */
	VAIO_REPL_F_PING,
	VAIO_REPL_F_PING_ACK,
	VAIO_REPL_F_BITMAP,	/* vaio_repl_range[] */
	VAIO_REPL_F_BITMAP_END,
	VAIO_REPL_F_RS_DATA,	/* vaio_repl_data + data */
	VAIO_REPL_F_RS_ACK,	/* vaio_repl_ack */
	VAIO_REPL_F_SYNC_DONE,	/* vaio_repl_gen */
	VAIO_REPL_F_DISCARD,	/* vaio_repl_data, no data */
	VAIO_REPL_F_ZEROES,	/* vaio_repl_data, no data */
	VAIO_REPL_F_BYE,
	/* The primary tracks writes it does not send: no prefix any more. */
	VAIO_REPL_F_AHEAD,
	VAIO_REPL_F_VERIFY_REQ,	/* vaio_repl_data, no data */
	/* vaio_repl_ack, then a __be32 crc32 per 4 KiB of the range */
	VAIO_REPL_F_VERIFY_REPLY,
	VAIO_REPL_F_MARK,	/* vaio_repl_mark */
	VAIO_REPL_F_MARK_ACK,	/* vaio_repl_mark, echoed */
};

struct vaio_repl_hdr {
	__be32 magic;
	__be16 type;
	__be16 flags;
	__be32 len;		/* payload bytes */
	__be32 seq;		/* +1 per frame in each direction */
};

/* DATA flags */
#define VAIO_REPL_DF_FUA	0x1
#define VAIO_REPL_DF_PREFLUSH	0x2
#define VAIO_REPL_DF_ACK	0x4	/* answer with WRITE_ACK (sync) */
/*
 * With ACK: answer once written, in a volatile cache maybe (no FUA); the
 * primary keeps the range until a later FLUSH is answered.
 */
#define VAIO_REPL_DF_CACHED	0x8

/*
 * WRITE_ACK flags. DURABLE: the write is on stable storage already (the
 * replica's disk had no volatile cache when the write was submitted nor
 * when it completed): no FLUSH is needed to keep it, and the primary
 * drops its record at once.
 */
#define VAIO_REPL_AF_DURABLE	0x1

struct vaio_repl_data {
	__be64 sector;
	__be64 id;
	__be32 size;		/* bytes, a multiple of 512 */
	__be32 epoch;
};

struct vaio_repl_ack {
	__be64 id;
	__be64 sector;
	__be32 size;
	__be32 status;		/* 0 or a positive errno */
};

struct vaio_repl_barrier {
	__be32 epoch;
	__be32 count;		/* writes in the epoch */
};

struct vaio_repl_range {
	__be64 sector;
	__be32 nr_sectors;
	__be32 pad;
};

#define VAIO_REPL_TAG_LEN	64	/* NUL-terminated, as VAIO_NAME_MAX */

struct vaio_repl_mark {
	__be64 time;		/* seconds since the epoch */
	char tag[VAIO_REPL_TAG_LEN];
};

struct vaio_repl_gen {
	__be64 gen;
};

/* Handshake payloads (vaiod only). */
#define VAIO_REPL_NONCE_LEN	32
#define VAIO_REPL_MAC_LEN	32
#define VAIO_REPL_NAME_LEN	64

/* HELLO features: the sender runs vaiod --tls (both sides must). */
#define VAIO_REPL_HELLO_F_TLS	0x1

struct vaio_repl_hello {
	__be32 version;		/* 1 */
	__be32 features;	/* VAIO_REPL_HELLO_F_* */
	char disk[VAIO_REPL_NAME_LEN];	/* the acceptor's disk, NUL-padded */
	__u8 nonce[VAIO_REPL_NONCE_LEN];
};

struct vaio_repl_auth {
	__u8 mac[VAIO_REPL_MAC_LEN];
};

#define VAIO_REPL_GEN_HISTORY	4

#define VAIO_REPL_SF_NEW_PAIR	0x1

struct vaio_repl_state {
	__be64 sectors;
	__be64 gen;
	__be64 history[VAIO_REPL_GEN_HISTORY];
	__u8 role;
	__u8 mode;
	__u8 consistent;
	__u8 flags;		/* VAIO_REPL_SF_* */
	__u8 pad[4];
};

#endif /* _UAPI_LINUX_DM_VAIO_REPL_H */
