/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvaio: what dm-vaio's tools share.
 *
 *   netlink (nl.c)    the kernel's "vaio" generic netlink family, over libmnl
 *   chains (chain.c)  policy components "type:key=value,...", table lines
 *   dm (dm.c)         creating and reloading vaio devices, over libdevmapper
 *   config (conf.c)   policies and disks persisted under /etc/vaio, json-c
 *   replication (repl.c)  the "vaio_repl" family of dm-vaio-replication,
 *                     and vaio_repl_decide(), the handshake's verdict
 *
 * Functions return 0 or a negative errno and fill a struct vaio_err with a
 * one-line message saying what and where.
 */
#ifndef VAIO_LIB_H
#define VAIO_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/dm-vaio.h>
#include <linux/dm-vaio-repl.h>
#include <linux/netlink.h>

#define VAIO_NR_CLASSES		5
#define VAIO_MAX_PARAMS		32
#define VAIO_MAX_COMPONENTS	8
#define VAIO_STATUS_MAX		1024

struct vaio_err {
	char msg[1024];
};

/* Sets err->msg (printf style) and returns -@errnum. */
int vaio_seterr(struct vaio_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

bool vaio_valid_name(const char *s);
/* A UUID as text: 36 characters, 8-4-4-4-12 hex digits. */
bool vaio_valid_uuid(const char *u);
const char *vaio_class_name(int class);
int vaio_class_by_name(const char *name);
const char *vaio_state_name(int state);

/*
 *--------------------------------------------------------------
 * Netlink
 *--------------------------------------------------------------
 */

struct vaio_param_info {
	char name[VAIO_NAME_MAX];
	int type;			/* enum vaio_param_type */
	char choices[VAIO_ARG_MAX];
	uint64_t min, max;
	bool has_range;
	char def[VAIO_ARG_MAX];
	char help[VAIO_ARG_MAX];
	bool secret;			/* its value is never echoed */
};

struct vaio_type_info {
	char name[VAIO_NAME_MAX];
	int class;
	char version[32];
	/* BIT(enum vaio_fail_mode_uapi) the type allows; 0: not said */
	unsigned int fail_modes;
	int nparams;
	struct vaio_param_info params[VAIO_MAX_PARAMS];
};

struct vaio_filter_info {
	char type[VAIO_NAME_MAX];
	int class;
	int fail_mode;			/* enum vaio_fail_mode_uapi */
	int state;			/* enum vaio_filter_state_uapi */
	char fail_reason[VAIO_ARG_MAX];
	int argc;
	char argv[VAIO_MAX_ARGS][VAIO_ARG_MAX];
	char status[VAIO_STATUS_MAX];
};

struct vaio_stats_info {
	uint64_t reads, writes, flushes, discards, errors;
	uint64_t read_sectors, write_sectors;
};

struct vaio_disk_info {
	char id[VAIO_NAME_MAX];
	char dm_name[128];
	char dm_dev[32];
	char data_dev[32];
	uint64_t sectors;
	bool truncated;			/* a dump left ARGS and STATUS out */
	struct vaio_stats_info st;
	int nfilters;
	struct vaio_filter_info filters[VAIO_NR_CLASSES];
};

/* A notification from the events group. */
struct vaio_notification {
	int cmd;			/* VAIO_CMD_NTF_* */
	struct vaio_disk_info disk;	/* DISK_NEW/CHANGE; id, dm_name else */
	struct vaio_filter_info filter;	/* FILTER_STATE */
	int event;			/* EVENT */
	char tag[VAIO_NAME_MAX];
	bool has_delivered;
	unsigned int delivered;
	char filter_name[VAIO_NAME_MAX];
	char error[VAIO_ARG_MAX];
};

struct vaio_nl;
struct vaio_chain;

/* Opens a socket to the family; @events: subscribe to the events group. */
struct vaio_nl *vaio_nl_open(bool events, struct vaio_err *err);
void vaio_nl_close(struct vaio_nl *nl);
int vaio_nl_fd(struct vaio_nl *nl);

int vaio_filter_types(struct vaio_nl *nl, struct vaio_type_info **types,
		      int *n, struct vaio_err *err);
const struct vaio_type_info *vaio_type_find(const struct vaio_type_info *types,
					    int n, const char *name);
/* -ENODEV if there is no disk @id with a live table. */
int vaio_disk_get(struct vaio_nl *nl, const char *id,
		  struct vaio_disk_info *disk, struct vaio_err *err);
int vaio_disk_list(struct vaio_nl *nl, struct vaio_disk_info **disks, int *n,
		   struct vaio_err *err);
/*
 * The live disk whose dm device is called @name, or with @or_id failing
 * that, whose disk_id is @name; -ENODEV if none.
 */
int vaio_disk_find(struct vaio_nl *nl, const char *name, bool or_id,
		   struct vaio_disk_info *disk, struct vaio_err *err);
/* The kernel's verdict on @chain; the error names the component at fault. */
int vaio_chain_check(struct vaio_nl *nl, const struct vaio_chain *chain,
		     struct vaio_err *err);
/*
 * Each component of @chain without "fail=" made fail_closed if its type
 * allows only that (encryption); the others keep fail_open. Returns how
 * many such components have a type not registered yet (its module not
 * loaded: vaio_chain_check() loads it), or -errno.
 */
int vaio_chain_fail_defaults(struct vaio_nl *nl, struct vaio_chain *chain,
			     struct vaio_err *err);
int vaio_snapshot(struct vaio_nl *nl, const char *id, const char *tag,
		  unsigned int *delivered, struct vaio_err *err);
int vaio_reactivate(struct vaio_nl *nl, const char *id, const char *filter,
		    struct vaio_err *err);

/* An attribute of a filter command's FILTER_DATA: @len bytes at @data. */
struct vaio_call_attr {
	uint16_t type;
	uint16_t len;
	const void *data;
};

/*
 * A filter's own netlink command (VAIO_CMD_FILTER_CALL): command @cmd of
 * filter @filter (type or class) of disk @id, with @n attributes in
 * FILTER_DATA (none: no FILTER_DATA). @cb gets each answer's FILTER_DATA
 * (NULL if it had none): the one reply, or every message of a @dump; it
 * returns 0 or a negative errno, which stops. Returns 0, or a negative
 * errno with the kernel's (or the filter's) message in @err.
 */
int vaio_filter_call(struct vaio_nl *nl, const char *id, const char *filter,
		     uint32_t cmd, const struct vaio_call_attr *attrs, int n,
		     bool dump, int (*cb)(const struct nlattr *data, void *arg),
		     void *arg, struct vaio_err *err);
/*
 * The next notification; @timeout_ms < 0 waits for ever. Returns 1 with
 * @ntf, 0 on timeout, or a negative errno.
 */
int vaio_nl_next(struct vaio_nl *nl, int timeout_ms,
		 struct vaio_notification *ntf, struct vaio_err *err);

/* Splits a filter's status words "key value ..." into pairs: count. */
int vaio_status_pairs(const char *status, char keys[][VAIO_NAME_MAX],
		      char values[][VAIO_ARG_MAX], int max);

/*
 *--------------------------------------------------------------
 * Chains: a policy's components
 *--------------------------------------------------------------
 */

struct vaio_component {
	char type[VAIO_NAME_MAX];
	int fail_mode;			/* enum vaio_fail_mode_uapi */
	bool fail_given;		/* "fail=" was in the component */
	int argc;
	char argv[VAIO_MAX_ARGS][VAIO_ARG_MAX];
};

struct vaio_chain {
	int n;
	struct vaio_component c[VAIO_MAX_COMPONENTS];
};

/* "type[:key=value[,key=value]...]", key fail=open|closed reserved. */
int vaio_component_parse(const char *s, struct vaio_component *c,
			 struct vaio_err *err);
void vaio_component_format(const struct vaio_component *c, char *buf,
			   size_t len);
int vaio_chain_add(struct vaio_chain *chain, const char *component,
		   struct vaio_err *err);
/* The chain of a live disk, as netlink reports it. */
void vaio_chain_from_disk(const struct vaio_disk_info *disk,
			  struct vaio_chain *chain);
/* Same filters with the same arguments and fail modes, in any order. */
bool vaio_chain_equal(const struct vaio_chain *a, const struct vaio_chain *b);
/* The vaio target's parameters: "<dev> [<n> disk_id <id> filter ...]". */
int vaio_table_params(const char *data_dev, const char *disk_id,
		      const struct vaio_chain *chain, char *buf, size_t len);

/*
 *--------------------------------------------------------------
 * Device-mapper
 *--------------------------------------------------------------
 */

/*
 * Does dm device @name exist? 1 or 0; a negative errno, @err set, when
 * device-mapper cannot say (never taken for "absent").
 */
int vaio_dm_state(const char *name, struct vaio_err *err);
/* Creates dm device @name on block device @device with @chain. */
int vaio_dm_create(struct vaio_nl *nl, const char *name, const char *device,
		   const struct vaio_chain *chain, struct vaio_err *err);
/*
 * Replaces the chain of vaio device @name: one table reload, so either the
 * whole chain is attached or nothing changes.
 */
int vaio_dm_apply(struct vaio_nl *nl, const char *name,
		  const struct vaio_chain *chain, struct vaio_err *err);
int vaio_dm_remove(const char *name, struct vaio_err *err);
/* dmsetup message @name 0 @msg: to the target (a filter: "<type> ..."). */
int vaio_dm_message(const char *name, const char *msg, struct vaio_err *err);
/* The state of dm device @name (libdevmapper's dm_info). */
struct dm_info;
int vaio_dm_info(const char *name, struct dm_info *info, struct vaio_err *err);
/* Suspends (@suspend) or resumes dm device @name. */
int vaio_dm_suspend(const char *name, bool suspend, struct vaio_err *err);
/* How many openers dm device @name has (libdevmapper's open_count). */
int vaio_dm_open_count(const char *name, int *count, struct vaio_err *err);
/*
 * Creates dm device @name, of dm uuid @uuid, dm-linear over @len sectors of
 * block device @devt ("major:minor") from sector @offset; its own
 * "major:minor" in @out_devt. Undoes it if it fails.
 */
int vaio_dm_linear_create(const char *name, const char *uuid,
			  const char *devt, uint64_t offset, uint64_t len,
			  char *out_devt, size_t out_len, struct vaio_err *err);
/*
 * The dm uuid of dm device @name into @uuid: 1 if it exists, 0 if not, or
 * a negative errno with @err.
 */
int vaio_dm_uuid(const char *name, char *uuid, size_t len,
		 struct vaio_err *err);
/* Removes dm device @name: -EBUSY "@name: in use (open)" while open. */
int vaio_dm_remove_dev(const char *name, struct vaio_err *err);

/*
 *--------------------------------------------------------------
 * Configuration: <confdir>/policies/<name>.json, disks/<name>.json
 *--------------------------------------------------------------
 */

struct vaio_policy {
	char name[VAIO_NAME_MAX];
	struct vaio_chain chain;
};

struct vaio_disk_conf {
	char name[VAIO_NAME_MAX];
	char device[4096];
	char policy[VAIO_NAME_MAX];	/* "" for none */
	char identity[320];		/* vaio_dev_identity(); "" for none */
};

/*
 * The "major:minor" of block device @path, into @devt:
 * 0, or -errno with @err (missing, not a block device).
 */
int vaio_blkdev_devt(const char *path, char *devt, size_t len,
		     struct vaio_err *err);

/*
 * The stable identity of block device @path: "dm-uuid:U" (device-mapper),
 * "wwid:W" (an NVMe namespace, SCSI), "serial:S" (virtio-blk and others),
 * with ":partN" for partition N of such a disk; "" when sysfs gives it
 * none (RAM disks, loop, null_blk, device-mapper without a uuid). 0, or
 * -errno with @err.
 */
int vaio_dev_identity(const char *path, char *id, size_t len,
		      struct vaio_err *err);

/* VAIO_CONFDIR from the environment, or /etc/vaio. */
void vaio_conf_set_dir(const char *dir);
const char *vaio_conf_dir(void);
/*
 * An exclusive lock on the configuration, for changes; -1 on error. A
 * lock held elsewhere is waited for (said on stderr after 1 s, with the
 * holder's pid) up to VAIO_CONF_LOCK_TIMEOUT_S (or the environment's
 * VAIO_CONF_LOCK_TIMEOUT, seconds), then -1 (EBUSY).
 */
#define VAIO_CONF_LOCK_TIMEOUT_S	60
int vaio_conf_lock(struct vaio_err *err);
void vaio_conf_unlock(int fd);

bool vaio_policy_exists(const char *name);
bool vaio_disk_conf_exists(const char *name);
int vaio_policy_load(const char *name, struct vaio_policy *p,
		     struct vaio_err *err);
int vaio_policy_save(const struct vaio_policy *p, struct vaio_err *err);
int vaio_policy_delete(const char *name, struct vaio_err *err);
/* Names, sorted; free with vaio_names_free(). */
int vaio_policy_names(char ***names, int *n, struct vaio_err *err);

int vaio_disk_conf_load(const char *name, struct vaio_disk_conf *d,
			struct vaio_err *err);
int vaio_disk_conf_save(const struct vaio_disk_conf *d, struct vaio_err *err);
int vaio_disk_conf_delete(const char *name, struct vaio_err *err);
int vaio_disk_names(char ***names, int *n, struct vaio_err *err);

void vaio_names_free(char **names, int n);

/*
 *--------------------------------------------------------------
 * Cache pools: dm devices with a vaio-cache-pool table, recorded in
 * <confdir>/pools/<name>.json
 *--------------------------------------------------------------
 */

#define VAIO_POOL_MAX_DEVICES	16
/*
 * A pool's block size (table argument block_size=): the cache's unit of
 * allocation and of I/O to it, a power of two in bytes from 4 KiB to
 * 1 MiB; 4 KiB if not given (and the only size with a memory tier, for
 * now).
 */
#define VAIO_POOL_BLOCK_DEFAULT	4096u
#define VAIO_POOL_BLOCK_MIN	4096u
#define VAIO_POOL_BLOCK_MAX	(1u << 20)

/*
 * A pool on one device sits on it; on several, on a dm-linear device
 * "<name>-tier" that concatenates them in this order.
 */
struct vaio_pool_conf {
	char name[VAIO_NAME_MAX];
	int ndevices;
	char devices[VAIO_POOL_MAX_DEVICES][4096];
	uint64_t memory_mib;		/* the memory tier; 0 for none */
	/* Bytes; 0 (records from before block sizes): 4096. */
	uint32_t block_size;
	/*
	 * The pool's identity, in its superblock: the table names it, and a
	 * device that holds another pool is refused ("": not recorded, from
	 * before uuids; apply records the one it finds).
	 */
	char uuid[37];
	bool format;			/* not recorded: create may format */
	bool wipe;			/* not recorded: create --force */
	/*
	 * Not recorded: block_size was said (create --block-size, the
	 * record's "block_size"). If not, a pool taken gets the size in its
	 * superblock.
	 */
	bool block_size_given;
};

struct vaio_pool_info {
	char name[VAIO_NAME_MAX];
	char device[32];		/* major:minor of the cache device */
	uint64_t memory_mib;		/* from the table; 0 for none */
	/*
	 * Bytes, from the status (from the table if the status cannot be
	 * read); blocks, used, filling, free, dirty and memory_blocks count
	 * blocks of this size.
	 */
	uint32_t block_size;
	uint64_t memory_blocks;		/* blocks of the memory tier */
	uint64_t memory_used;
	uint64_t blocks, used, filling, free;
	unsigned int disks;		/* disks caching on it */
	unsigned int open_count;
	unsigned int reserved_pct;
	char state[16];			/* "ok" or "failed" */
	uint64_t errors;
	uint64_t dirty;			/* blocks only the cache has */
	char uuid[37];			/* from the status; "" if not shown */
	uint64_t index_kib;		/* RAM of its index; 0 if not shown */
};

/* A block size a pool can have: a power of two, 4 KiB to 1 MiB. */
bool vaio_pool_block_size_valid(uint64_t bytes);
/*
 * Fill @p from a vaio-cache-pool target's table ("MAJ:MIN[ memory_mib=N]
 * [ block_size=N]", the words after the device in any order; others are
 * ignored) or status ("block_size N blocks N ... [ memory_blocks N
 * memory_used N][ uuid U][ index_kib N]"). 0, or -EINVAL if it cannot be read (a status:
 * p->state is then "unknown").
 */
int vaio_pool_parse_table(const char *params, struct vaio_pool_info *p);
int vaio_pool_parse_status(const char *params, struct vaio_pool_info *p);

bool vaio_pool_conf_exists(const char *name);
int vaio_pool_conf_load(const char *name, struct vaio_pool_conf *p,
			struct vaio_err *err);
int vaio_pool_conf_save(const struct vaio_pool_conf *p, struct vaio_err *err);
int vaio_pool_conf_delete(const char *name, struct vaio_err *err);
int vaio_pool_names(char ***names, int *n, struct vaio_err *err);

/*
 * Creates dm device @c->name, a cache pool on @c's device, or on several
 * through "<name>-tier" (each device cut to whole blocks of the pool's
 * size), with @c's memory tier. Undoes what it did if it fails. A pool
 * taken (neither @c->format nor @c->wipe) whose superblock is on the
 * first device keeps its block size: @c->block_size becomes it, or, if
 * @c->block_size_given and it differs, the pool is refused before
 * anything is made.
 */
int vaio_pool_create(struct vaio_pool_conf *c, struct vaio_err *err);
/*
 * The block size in the cache pool superblock at the start of @device
 * (read only): @block_size 0 if there is none (no pool, a version other
 * than 2 or 3, a bad checksum), or it is another pool's than @uuid's (""
 * or NULL: any pool; a superblock from before uuids is taken as @uuid's,
 * as the kernel takes it). Fails only if the device cannot be read.
 */
/* The kernel's crc32c(@crc, @data, @len) (lib/crc32c.c). */
uint32_t vaio_crc32c(uint32_t crc, const void *data, size_t len);

int vaio_pool_sb_block_size(const char *device, const char *uuid,
			    uint32_t *block_size, struct vaio_err *err);
/*
 * Removes dm device @name, a cache pool (refused while open), then its
 * "<name>-tier" if it has one; either may be absent already.
 */
int vaio_pool_remove(const char *name, struct vaio_err *err);
/* "<name>-tier", the dm name of the linear device under pool @name. */
void vaio_pool_tier_name(const char *name, char *buf, size_t len);
/* The pools there are, sorted by name; free() *pools. */
int vaio_pool_list(struct vaio_pool_info **pools, int *n, struct vaio_err *err);

/*
 *--------------------------------------------------------------
 * Replication: the "vaio_repl" family (include/uapi/linux/dm-vaio-repl.h)
 *--------------------------------------------------------------
 */

#define VAIO_REPL_REASON_MAX	256
#define VAIO_REPL_PEER_MAX	256
#define VAIO_REPL_PATH_MAX	4096

/* A disk's replication status, as VAIO_REPL_CMD_GET and NTF_STATE give it. */
struct vaio_repl_info {
	char id[VAIO_NAME_MAX];
	int role;			/* enum vaio_repl_role */
	int mode;			/* enum vaio_repl_mode; -1 unknown */
	int conn;			/* enum vaio_repl_conn */
	bool has_live;			/* PEER given: a live table */
	char peer[VAIO_REPL_PEER_MAX];		/* host:port */
	char remote_disk[VAIO_NAME_MAX];
	char secret[VAIO_REPL_PATH_MAX];	/* "" unless CAP_NET_ADMIN */
	char reason[VAIO_REPL_REASON_MAX];	/* "" if none */
	uint64_t sectors, gen;
	uint64_t history[VAIO_REPL_GEN_HISTORY];	/* newest first, 0: none */
	bool consistent, new_pair;
	uint64_t lag_writes, lag_bytes, lag_ms, oos_bytes;
	uint64_t sync_total, sync_bps;
	uint64_t sent_writes, acked_writes, recv_writes, resynced_bytes;
	uint64_t connects;
	/* Snapshot marks, newest first (VAIO_REPL_MARK_ATTR_*). */
	struct vaio_repl_mark_info {
		char tag[VAIO_NAME_MAX];
		uint64_t time, gen, writes_after;
		bool on_replica;
	} marks[VAIO_REPL_MARKS];
	int nr_marks;
	int verify_state;		/* enum vaio_repl_verify */
	uint64_t verify_total, verify_done, verify_diff, verify_extents;
	uint64_t verify_bps;
};

/*
 * A socket to the family; @events: subscribe to its events group. Fails
 * with -ENOENT "replication module not loaded (modprobe
 * dm-vaio-replication)" when the family does not exist.
 */
struct vaio_nl *vaio_repl_open(bool events, struct vaio_err *err);
/* -ENODEV "no replicated disk ID" if @id has no replication filter. */
int vaio_repl_get(struct vaio_nl *nl, const char *id,
		  struct vaio_repl_info *info, struct vaio_err *err);
/* Every disk with a replication filter; free(*infos). */
int vaio_repl_list(struct vaio_nl *nl, struct vaio_repl_info **infos, int *n,
		   struct vaio_err *err);
/* Hands connected, authenticated TCP socket @fd to the kernel for @id. */
int vaio_repl_connect(struct vaio_nl *nl, const char *id, int fd,
		      uint64_t peer_sectors, int peer_role, bool full_sync,
		      struct vaio_err *err);
int vaio_repl_disconnect(struct vaio_nl *nl, const char *id,
			 struct vaio_err *err);
/* @init: repl init, a disk without a generation joins a new pair. */
int vaio_repl_set_role(struct vaio_nl *nl, const char *id, int role,
		       bool force, bool skip_sync, bool init,
		       struct vaio_err *err);
/* Starts an online verify on a connected primary, or @stop's it. */
int vaio_repl_verify(struct vaio_nl *nl, const char *id, bool stop,
		     struct vaio_err *err);
const char *vaio_repl_verify_name(int state);	/* "none", "running", ... */
/*
 * The next VAIO_REPL_NTF_STATE; @timeout_ms < 0 waits for ever, 0 does
 * not wait. Returns 1 with @info, 0 if none came, or a negative errno
 * (-ENOBUFS: notifications were lost, dump again).
 */
int vaio_repl_next(struct vaio_nl *nl, int timeout_ms,
		   struct vaio_repl_info *info, struct vaio_err *err);

const char *vaio_repl_role_name(int role);	/* "primary", "secondary" */
const char *vaio_repl_mode_name(int mode);	/* "sync", "async" */
const char *vaio_repl_conn_name(int conn);	/* "standalone", ... "gone" */
int vaio_repl_conn_by_name(const char *name);	/* -1 if unknown */
/* Resync progress: 0..100, 100 when nothing is to be resynced. */
int vaio_repl_sync_pct(const struct vaio_repl_info *info);
/* Seconds the resync still needs at its current rate; 0 if no rate. */
uint64_t vaio_repl_sync_eta(const struct vaio_repl_info *info);

/* One side of a handshake: what it says in its STATE frame. */
struct repl_side {
	uint64_t sectors;
	uint64_t gen;
	uint64_t history[VAIO_REPL_GEN_HISTORY];	/* 0: empty slot */
	int role;			/* enum vaio_repl_role */
	int mode;
	bool consistent;
	bool new_pair;
};

/*
 * Whether two disks may be connected, and with a full resync: the rules of
 * Documentation/replication.rst, the same on both hosts. @primary is the
 * side that claims the primary role (either order is accepted). Returns
 * true with *@full_sync, or false with *@why, the refusal (a thread-local
 * buffer, valid until the next call).
 */
bool vaio_repl_decide(const struct repl_side *primary,
		      const struct repl_side *secondary, bool *full_sync,
		      const char **why);

/*
 *--------------------------------------------------------------
 * Changed-block tracking: the cbt filter's commands (cbt.c,
 * include/uapi/linux/dm-vaio-cbt.h) through vaio_filter_call()
 *--------------------------------------------------------------
 */

struct vaio_cbt_status {
	uint64_t gen;			/* 0 when lost */
	uint64_t epoch;			/* the current one */
	uint64_t first;			/* the oldest kept apart */
	uint64_t disk_bytes;
	uint32_t block_bytes;
	uint32_t slots;
	uint8_t uuid[16];		/* the metadata device's */
	bool lost;			/* tracking lost: a full backup */
};

/* "<generation>:<epoch>", 16 hex digits and a decimal: 0 or -EINVAL. */
int vaio_cbt_parse_id(const char *s, uint64_t *gen, uint64_t *epoch);
/* Writes a changeId into @buf (at least 38 bytes). */
void vaio_cbt_format_id(char *buf, size_t len, uint64_t gen, uint64_t epoch);
int vaio_cbt_status(struct vaio_nl *nl, const char *id,
		    struct vaio_cbt_status *st, struct vaio_err *err);
/* Closes the current epoch: the changeId of the point, *@gen:*@epoch. */
int vaio_cbt_mark(struct vaio_nl *nl, const char *id, uint64_t *gen,
		  uint64_t *epoch, struct vaio_err *err);
/*
 * The extents written since changeId @gen:@since, in order, to @cb (bytes;
 * it returns 0, or a negative errno that stops). A stale or unknown
 * changeId fails with the kernel's message.
 */
int vaio_cbt_changes(struct vaio_nl *nl, const char *id, uint64_t gen,
		     uint64_t since,
		     int (*cb)(uint64_t start, uint64_t len, void *arg),
		     void *arg, struct vaio_err *err);

#endif /* VAIO_LIB_H */
