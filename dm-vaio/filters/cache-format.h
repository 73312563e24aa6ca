/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vaio cache filter: the format of the cache device. Little endian.
 * See Documentation/cache.rst.
 */
#ifndef DM_VAIO_CACHE_FORMAT_H
#define DM_VAIO_CACHE_FORMAT_H

#include <linux/blk_types.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/types.h>

/*
 * Cache blocks: a power of two from 4 KiB to 1 MiB, the pool's block_size=
 * when it is made, then its superblock's. 4 KiB is the default.
 */
#define CACHE_MIN_BLOCK_SHIFT	3	/* sectors: 4 KiB */
#define CACHE_MAX_BLOCK_SHIFT	11	/* sectors: 1 MiB */
#define CACHE_DEFAULT_BLOCK_BYTES	4096
/*
 * On the cache device: the superblock (sector 0), the disk table (sector
 * 8, 256 entries of 128 bytes: 32 KiB), the rest of the first MiB
 * unused; from 1 MiB the metadata entries, 16 bytes per cache block, 31
 * to a sector with its checksum, rounded up to a block; then the data,
 * p->data_start on. Every part carries a crc32c (since version 2;
 * version 1 had none). Version 3: 256 disks (2 had 64).
 */
#define CACHE_SB_SECTOR		0
#define CACHE_DISKTAB_SECTOR	8
#define CACHE_DISKTAB_BYTES	32768
#define CACHE_META_START	2048
#define CACHE_MAGIC		0x4843414f49414156ULL	/* bytes "VAAIOACH" */
#define CACHE_VERSION		3
/* Version 2: the same but for a disk table of 64 entries (8 KiB). */
#define CACHE_V2_DISKS		64
#define CACHE_MIN_BLOCKS	64
#define CACHE_MAX_BLOCKS	BIT(30)
/* Disks of a pool: entries in the disk table, indexed by a u8. */
#define CACHE_MAX_DISKS		256

/* The superblock, in sector 0 of the cache device. */
struct cache_sb {
	__le64 magic;
	__le32 version;
	__le32 block_size;
	__le64 nslots;
	__le64 meta_start;	/* sectors */
	__le64 data_start;	/* sectors */
	__le64 activations;
	__le32 clean;		/* 1: written when the pool went; clean entries hold */
	__u8 uuid[16];		/* the pool's; zero in older superblocks */
	__le32 csum;		/* crc32c of the above, csum 0 (version 2) */
};

/* A disk of the pool, in the disk table; id empty: unused. */
struct cache_disk_entry {
	char id[64];
	__le64 len;		/* sectors */
	u8 flags;		/* DISK_RAN_WITHOUT; 0 in older pools */
	u8 pad[3];
	__le32 csum;		/* crc32c: the pool's seed, its index, the entry */
	u8 pad2[48];
};

/*
 * The disk went on without the cache while it held dirty blocks of it: no
 * attach (a first table after a reboot too) writes them back until the
 * admin says whose data is current (the pool's forget or adopt).
 */
#define DISK_RAN_WITHOUT	0x01

#define ENTRY_DIRTY	0x01
#define ENTRY_VALID	0x02	/* clean: holds only after a clean shutdown */

/*
 * The entry of one cache block: the block holds the newest data of block
 * oblock of the disk with index disk in the disk table; seq orders two
 * entries of one block. After a crash only dirty entries count; after a
 * clean shutdown (sb->clean) valid ones too.
 */
struct cache_mentry {
	__le64 oblock;
	__le32 seq;
	u8 disk;
	u8 flags;
	__le16 pad;
};

/*
 * A sector of entries: a write of it is whole or not there at all, on a
 * device that writes sectors atomically, so a commit cut by a power loss
 * leaves each sector old or new, never torn; the checksum (seeded with
 * the pool's uuid, over the sector with csum 0 and its index in the
 * entry area) finds one that is neither, or another pool's, or misplaced.
 */
#define CACHE_ENTRIES_PER_SECTOR	31
struct cache_msector {
	struct cache_mentry e[CACHE_ENTRIES_PER_SECTOR];
	__le32 csum;
	__le32 index;
	__le64 pad;
};

/* The entry area is read, committed and checksummed in pages of 4 KiB. */
#define CACHE_META_BYTES	4096
#define CACHE_META_SECTORS	(CACHE_META_BYTES >> SECTOR_SHIFT)
#define CACHE_ENTRIES_PER_PAGE	(CACHE_ENTRIES_PER_SECTOR * CACHE_META_SECTORS)

static_assert(sizeof(struct cache_msector) == SECTOR_SIZE);
static_assert(sizeof(struct cache_disk_entry) == 128);
/* Every index a u8 can hold has its place (pool_recover()). */
static_assert(CACHE_MAX_DISKS == 1 << BITS_PER_BYTE);
static_assert(CACHE_MAX_DISKS * sizeof(struct cache_disk_entry) <=
	      CACHE_DISKTAB_BYTES);
static_assert(CACHE_DISKTAB_SECTOR * SECTOR_SIZE + CACHE_DISKTAB_BYTES <=
	      CACHE_META_START * SECTOR_SIZE);
/*
 * The superblock, the table and the entries are read and written in
 * pages (pool_rw()): of 4 KiB, or a superblock's page would cover the
 * table, and an entry page its neighbour.
 */
static_assert(PAGE_SIZE == CACHE_META_BYTES);
static_assert(sizeof(struct cache_sb) <= SECTOR_SIZE);

#endif /* DM_VAIO_CACHE_FORMAT_H */
