// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio: helpers for filters that transform data (encryption): bounce
 * pages for the copy a write is given, and walks over a bio's data.
 * See dm-vaio-filter.h and Documentation/filter-api.rst.
 */
#include "vaio-internal.h"

#include <linux/bio.h>
#include <linux/dm-io.h>
#include <linux/highmem.h>
#include <linux/slab.h>

int vaio_bounce_pool_init(struct vaio_filter *f, struct vaio_bounce_pool *bp,
			  unsigned int max_pages)
{
	int r;

	if (!max_pages || max_pages > BIO_MAX_VECS)
		return -EINVAL;
	/* A reserve for one whole write: see vaio_bounce_write(). */
	r = mempool_init_page_pool(&bp->pages, max_pages, 0);
	if (r)
		return r;
	r = mempool_init_kmalloc_pool(&bp->vecs, 2,
				      max_pages * sizeof(struct bio_vec));
	if (r) {
		mempool_exit(&bp->pages);
		return r;
	}
	mutex_init(&bp->lock);
	bp->max_pages = max_pages;
	f->max_io_sectors = max_pages << (PAGE_SHIFT - SECTOR_SHIFT);
	f->transforms_data = true;
	return 0;
}
EXPORT_SYMBOL_GPL(vaio_bounce_pool_init);

void vaio_bounce_pool_exit(struct vaio_bounce_pool *bp)
{
	mempool_exit(&bp->vecs);
	mempool_exit(&bp->pages);
	mutex_destroy(&bp->lock);
}
EXPORT_SYMBOL_GPL(vaio_bounce_pool_exit);

static void bounce_free(struct vaio_bounce_pool *bp, struct vaio_bounce *b)
{
	unsigned short i;

	for (i = 0; i < b->nr_pages; i++)
		mempool_free(b->bvec[i].bv_page, &bp->pages);
	mempool_free(b->bvec, &bp->vecs);
	b->bvec = NULL;
	b->nr_pages = 0;
}

/*
 * The pages for @bytes of data. Without direct reclaim it may fail; with
 * it, one caller at a time takes from the reserve, so that two cannot each
 * hold half of it and wait for the other (as dm-crypt's bio_alloc_lock).
 */
static int bounce_alloc(struct vaio_bounce_pool *bp, struct vaio_bounce *b,
			unsigned int bytes, gfp_t gfp)
{
	bool sleeping = gfpflags_allow_blocking(gfp);
	unsigned int i, n;
	int r = 0;

	/* The core splits the VM's bios to max_io_sectors. */
	if (WARN_ON_ONCE(bytes > bp->max_pages * PAGE_SIZE))
		return -EIO;
	n = DIV_ROUND_UP(bytes, PAGE_SIZE);
	if (!sleeping)
		gfp |= __GFP_NOWARN;
	else
		mutex_lock(&bp->lock);
	b->nr_pages = 0;
	b->bvec = mempool_alloc(&bp->vecs, gfp);
	if (!b->bvec) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct page *page = mempool_alloc(&bp->pages, gfp);

		if (!page) {
			bounce_free(bp, b);
			r = -ENOMEM;
			goto out;
		}
		bvec_set_page(&b->bvec[i], page,
			      min_t(unsigned int, bytes - i * PAGE_SIZE, PAGE_SIZE),
			      0);
		b->nr_pages = i + 1;
	}
out:
	if (sleeping)
		mutex_unlock(&bp->lock);
	return r;
}

int vaio_bounce_write(struct vaio_bounce_pool *bp, struct bio *bio,
		      struct vaio_bounce *b, gfp_t gfp, vaio_transform_fn fn,
		      void *ctx)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	unsigned int off = 0;
	int r;

	b->bvec = NULL;
	if (!bio->bi_iter.bi_size)	/* an empty flush: nothing to copy */
		return 0;
	r = bounce_alloc(bp, b, bio->bi_iter.bi_size, gfp);
	if (r)
		return r;
	bio_for_each_segment(bv, bio, iter) {
		unsigned int done = 0;

		while (done < bv.bv_len) {
			struct bio_vec *to = &b->bvec[off / PAGE_SIZE];
			unsigned int in_page = off % PAGE_SIZE;
			unsigned int len = min(bv.bv_len - done,
					       (unsigned int)PAGE_SIZE - in_page);
			u8 *src = bvec_kmap_local(&bv);
			u8 *dst = kmap_local_page(to->bv_page);

			r = fn(ctx, dst + in_page, src + done, len, off);
			kunmap_local(dst);
			kunmap_local(src);
			if (r) {
				bounce_free(bp, b);
				return r;
			}
			done += len;
			off += len;
		}
	}
	vaio_bio_replace_data(bio, &b->save, b->bvec, b->nr_pages);
	return 0;
}
EXPORT_SYMBOL_GPL(vaio_bounce_write);

void vaio_bounce_end(struct vaio_bounce_pool *bp, struct bio *bio,
		     struct vaio_bounce *b)
{
	if (!b->bvec)
		return;
	vaio_bio_restore_data(bio, &b->save);
	bounce_free(bp, b);
}
EXPORT_SYMBOL_GPL(vaio_bounce_end);

int vaio_transform_data(struct bio *bio, struct bvec_iter iter,
			vaio_transform_fn fn, void *ctx)
{
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned int off = 0;
	int r = 0;

	__bio_for_each_segment(bv, bio, it, iter) {
		u8 *p = bvec_kmap_local(&bv);

		r = fn(ctx, p, p, bv.bv_len, off);
		kunmap_local(p);
		if (r)
			break;
		off += bv.bv_len;
	}
	return r;
}
EXPORT_SYMBOL_GPL(vaio_transform_data);

int vaio_sync_io(struct dm_io_client *client, struct block_device *bdev,
		 blk_opf_t opf, sector_t sector, void *buf, size_t bytes,
		 bool vmem)
{
	struct dm_io_region where = {
		.bdev = bdev, .sector = sector, .count = bytes >> SECTOR_SHIFT,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = vmem ? DM_IO_VMA : DM_IO_KMEM,
		.client = client,
	};
	unsigned long bits;

	if (vmem)
		req.mem.ptr.vma = buf;
	else
		req.mem.ptr.addr = buf;
	return dm_io(&req, 1, &where, &bits, IOPRIO_DEFAULT);
}
EXPORT_SYMBOL_GPL(vaio_sync_io);
