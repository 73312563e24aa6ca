// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio replication: the out-of-sync bitmap and the per-chunk counters.
 *
 * A bit per 4 KiB (REPL_BM_SHIFT) says the peer may lack the block; a
 * counter per 1 MiB chunk (REPL_CHUNK_SHIFT) counts the local writes in
 * flight that a resync of the chunk waits for. Callers hold d->slock;
 * chunks_add() wakes the resyncer (d->rs_wait) when its chunk drains.
 */

#include "repl.h"

#include <linux/bitmap.h>

static void bm_range(struct repl_disk *d, sector_t sector, u64 bytes,
		     unsigned long *first, unsigned long *nr)
{
	unsigned long last;

	*nr = 0;
	if (!bytes || sector >= d->sectors)
		return;
	*first = sector >> REPL_BM_SHIFT;
	last = (sector + (bytes >> 9) - 1) >> REPL_BM_SHIFT;
	if (last >= d->bm_bits)
		last = d->bm_bits - 1;
	*nr = last - *first + 1;
}

void bm_set(struct repl_disk *d, sector_t sector, u64 bytes)
{
	unsigned long first, nr;

	bm_range(d, sector, bytes, &first, &nr);
	if (nr)
		bitmap_set(d->bm, first, nr);
}

void bm_clear(struct repl_disk *d, sector_t sector, u64 bytes)
{
	unsigned long first, nr;

	bm_range(d, sector, bytes, &first, &nr);
	if (nr)
		bitmap_clear(d->bm, first, nr);
}

u64 bm_bytes(struct repl_disk *d)
{
	return (u64)bitmap_weight(d->bm, d->bm_bits) << (REPL_BM_SHIFT + 9);
}

bool in_chunk(sector_t sector, u32 bytes, long chunk)
{
	sector_t cs = (sector_t)chunk << REPL_CHUNK_SHIFT;

	return bytes && sector < cs + (1U << REPL_CHUNK_SHIFT) &&
	       sector + (bytes >> 9) > cs;
}

/* Counts a local write in flight in each chunk it touches. */
void chunks_add(struct repl_disk *d, sector_t sector, u32 bytes, int v)
{
	unsigned long c, last;

	if (!bytes || sector >= d->sectors)
		return;
	last = min_t(unsigned long, (sector + (bytes >> 9) - 1) >> REPL_CHUNK_SHIFT,
		     d->nr_chunks - 1);
	for (c = sector >> REPL_CHUNK_SHIFT; c <= last; c++)
		if (!atomic_add_return(v, &d->chunk_writes[c]) && c == d->rs_chunk)
			wake_up(&d->rs_wait);
}

size_t bm_alloc_bytes(unsigned long bits)
{
	return round_up(BITS_TO_LONGS(bits) * sizeof(long), 4096);
}
