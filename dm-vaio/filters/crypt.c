// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-vaio-crypt: block encryption of a VM disk (filter class encryption),
 * byte-compatible with dm-crypt (Documentation/encryption.rst).
 *
 * For the same key, cipher, sector size, IV offset and IV mode the blocks
 * on the disk below are those dm-crypt writes: aes-xts-plain64, the IV of
 * each cipher sector the little-endian 64-bit number of its first 512-byte
 * sector on the disk plus iv_offset (with iv_large_sectors: that number in
 * sector_size units), as drivers/md/dm-crypt.c computes it. The key comes
 * from the kernel keyring only (key=:<bytes>:logon:<description>, as
 * dm-crypt's table accepts); the filter keeps no copy of it but the
 * cipher's own context, which the crypto API wipes when it is freed.
 *
 * A write is deferred (VAIO_DEFER) to the filter's workqueue, an unbound
 * one that runs on every CPU as dm-crypt's kcryptd: a worker takes bounce
 * pages from the core's pool (GFP_NOIO: it cannot fail for memory),
 * encrypts the VM's data into them sector by sector, points the bio at the
 * copy and continues it. A read's completion is deferred
 * (VAIO_END_DEFER) to the same workqueue, where it is decrypted in place.
 * The cipher may be asynchronous (an AES-NI implementation behind cryptd):
 * a worker waits for each request, which it may, in process context. The
 * VM's pages are never changed by a write, and nothing is allocated per
 * bio beyond the bounce pool and the request pool, both mempools.
 *
 * fail_closed only: bypassed, the filter would write plaintext and read
 * ciphertext. A transforming filter offers no write-zeroes or secure
 * erase (the blocks they leave would not read back as zeroes), and no
 * discard unless allow_discards=1 (which shows the disk below which
 * blocks are free, as dm-crypt's allow_discards).
 */
#define DM_MSG_PREFIX "vaio-crypt"

#include "../dm-vaio-filter.h"

#include <crypto/algapi.h>
#include <crypto/skcipher.h>
#include <keys/user-type.h>
#include <linux/atomic.h>
#include <linux/key.h>
#include <linux/log2.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#define CRYPT_CIPHER		"aes-xts-plain64"
#define CRYPT_ALG		"xts(aes)"	/* the crypto API's name */
#define CRYPT_IV_SIZE		16		/* XTS: one AES block */
#define CRYPT_DESC_MAX		128		/* key description, with NUL */
/*
 * Bounce pages: bios of up to 1 MiB reach the filter; the reserve of one
 * whole write is the filter's RAM per disk, as dm-crypt's page pool.
 */
#define CRYPT_BOUNCE_PAGES	256
#define CRYPT_REQS_MIN		4		/* reserve of cipher requests */
#define CRYPT_KCV_SIZE		32		/* two AES blocks: XTS's least is one */

/*
 * What a running disk's data below was encrypted with, shared by the
 * instances of one disk (found by vaio_disk_id(), as filter-api.rst's
 * per-disk objects): a reload's table is refused in ->ctr() unless it
 * names the same cipher, layout and key bytes, since the core carries the
 * filter over whatever its arguments (carried_over() compares the type
 * and the disk below only). The key is compared through a check value:
 * CRYPT_KCV_SIZE zero bytes encrypted under the instance's cipher at an
 * IV no sector has (all bytes 0xff: plain64 IVs have zero high bytes). It
 * is kept in kernel memory only, never shown in the status or the log,
 * and wiped when the object is freed.
 *
 * Lifetime: each instance holds a reference from its ->ctr() to its
 * ->dtr() (or its failed ->ctr()); the object is freed with the last
 * one. The old and the new table's instances hold it at once during a
 * reload; removing the device, or replacing its table with another
 * target's, destroys the last instance and forgets the disk, so that a
 * device created again may have another key. All under crypt_disks_lock.
 */
struct crypt_disk {
	struct list_head node;		/* in crypt_disks */
	unsigned int refs;		/* instances holding it */
	const char *id;			/* vaio_disk_id(), a copy */
	const char *cipher;
	unsigned int key_size;
	unsigned int sector_size;
	u64 iv_offset;
	bool iv_large_sectors;
	u8 kcv[CRYPT_KCV_SIZE];		/* the key check value */
};

static LIST_HEAD(crypt_disks);
static DEFINE_MUTEX(crypt_disks_lock);

static const char crypt_differs[] =
	"crypt: the new table's key or layout differs from the running disk's";
static const char crypt_no_detach[] =
	"a running disk cannot drop its encryption: remove the disk and create it again";
static const char crypt_no_attach[] =
	"a running disk cannot take on encryption: remove the disk and create it again";

struct crypt_filter {
	struct vaio_filter *f;
	struct crypt_disk *d;		/* the disk's, held */
	struct crypto_skcipher *tfm;
	mempool_t reqs;			/* skcipher requests, one per worker */
	unsigned int req_size;
	struct vaio_bounce_pool pool;
	struct workqueue_struct *wq;

	unsigned int sector_size;	/* bytes of one cipher sector */
	unsigned int sector_shift;	/* log2(sector_size / 512) */
	u64 iv_offset;			/* 512-byte sectors */
	bool iv_large_sectors;
	bool allow_discards;
	unsigned int key_size;		/* bytes */
	char key_desc[CRYPT_DESC_MAX];	/* for the status only */

	atomic64_t reads;		/* bios decrypted */
	atomic64_t writes;		/* bios encrypted */
	atomic64_t read_bytes;
	atomic64_t write_bytes;
	atomic64_t errors;		/* bios failed by a cipher error */
};

struct crypt_bio {			/* the per-bio area */
	struct vaio_bounce bounce;	/* a write's ciphertext */
	struct bvec_iter iter;		/* the data as ->map() saw it */
	struct work_struct work;
	struct vaio_filter *f;
	struct bio *bio;
};

/* One worker's cipher state over one bio. */
struct crypt_ctx {
	struct crypt_filter *c;
	struct skcipher_request *req;
	struct crypto_wait wait;
	sector_t sector;		/* the bio's first, on the disk */
	bool encrypt;
};

/* The table's words, checked together (->args_check()) and used (->ctr()). */
struct crypt_args {
	unsigned int key_size;
	const char *key_desc;		/* into argv */
	unsigned int sector_size;
	u64 iv_offset;
	bool iv_large_sectors;
	bool allow_discards;
};

/* key=:<bytes>:logon:<description>, as dm-crypt's keyring key string. */
static int crypt_parse_key(const char *k, struct crypt_args *a,
			   const char **error)
{
	static const char logon[] = ":logon:";
	const char *colon;
	char num[8];
	size_t n;

	*error = "crypt: key must be :<bytes>:logon:<description>, a keyring key";
	if (k[0] != ':')
		return -EINVAL;
	colon = strchr(k + 1, ':');
	if (!colon)
		return -EINVAL;
	n = colon - (k + 1);
	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, k + 1, n);
	num[n] = '\0';
	if (kstrtouint(num, 10, &a->key_size))
		return -EINVAL;
	if (strncmp(colon, logon, sizeof(logon) - 1))
		return -EINVAL;
	a->key_desc = colon + sizeof(logon) - 1;
	if (!*a->key_desc)
		return -EINVAL;
	if (strlen(a->key_desc) >= CRYPT_DESC_MAX) {
		*error = "crypt: key description longer than 127 characters";
		return -EINVAL;
	}
	/* XTS: two AES keys of 128 or 256 bits. */
	if (a->key_size != 32 && a->key_size != 64) {
		*error = "crypt: aes-xts-plain64 takes a key of 32 or 64 bytes (256 or 512 bits)";
		return -EINVAL;
	}
	*error = NULL;
	return 0;
}

static int crypt_parse(unsigned int argc, char **argv, struct crypt_args *a,
		       const char **error)
{
	const char *k = vaio_param(argc, argv, "key");
	const char *v;
	int r;

	memset(a, 0, sizeof(*a));
	if (!k) {
		*error = "crypt: needs key=:<bytes>:logon:<description>";
		return -EINVAL;
	}
	r = crypt_parse_key(k, a, error);
	if (r)
		return r;
	/* cipher=: the core checked it is one of the choices, the only one. */
	a->sector_size = 512;
	v = vaio_param(argc, argv, "sector_size");
	if (v && kstrtouint(v, 10, &a->sector_size))
		goto bad_number;
	if (!is_power_of_2(a->sector_size)) {
		*error = "crypt: sector_size must be 512, 1024, 2048 or 4096";
		return -EINVAL;
	}
	v = vaio_param(argc, argv, "iv_offset");
	if (v && kstrtou64(v, 10, &a->iv_offset))
		goto bad_number;
	/* As dm-crypt: whole cipher sectors. */
	if (a->iv_offset & ((a->sector_size >> SECTOR_SHIFT) - 1)) {
		*error = "crypt: iv_offset must be a multiple of sector_size (in 512-byte sectors)";
		return -EINVAL;
	}
	v = vaio_param(argc, argv, "iv_large_sectors");
	a->iv_large_sectors = v && !strcmp(v, "1");
	v = vaio_param(argc, argv, "allow_discards");
	a->allow_discards = v && !strcmp(v, "1");
	*error = NULL;		/* accepted: no error for the core to see */
	return 0;

bad_number:
	*error = "crypt: parameter value is not a number";
	return -EINVAL;
}

/* At table load before ->ctr() and for CHAIN_CHECK (vaioctl policy). */
static int crypt_args_check(unsigned int argc, char **argv,
			    const char **error)
{
	struct crypt_args a;

	return crypt_parse(argc, argv, &a, error);
}

/*
 * The key from the keyring into the cipher, through a buffer wiped at
 * once: the cipher's context is the only copy the filter keeps.
 */
static int crypt_set_key(struct crypt_filter *c, const struct crypt_args *a,
			 char **error)
{
	const struct user_key_payload *ukp;
	struct key *key;
	u8 *buf;
	int r;

	buf = kmalloc(a->key_size, GFP_KERNEL);
	if (!buf) {
		*error = "crypt: cannot allocate the key buffer";
		return -ENOMEM;
	}
	key = request_key(&key_type_logon, a->key_desc, NULL);
	if (IS_ERR(key)) {
		r = PTR_ERR(key);
		if (r == -EKEYREVOKED || r == -EKEYEXPIRED)
			*error = "crypt: the keyring's key was revoked or has expired";
		else
			*error = "crypt: no such logon key in the keyring";
		goto out;
	}
	down_read(&key->sem);
	ukp = user_key_payload_locked(key);
	if (!ukp) {
		*error = "crypt: the keyring's key was revoked";
		r = -EKEYREVOKED;
	} else if (ukp->datalen != a->key_size) {
		*error = "crypt: the keyring's key is not of the size the table says";
		r = -EINVAL;
	} else {
		memcpy(buf, ukp->data, a->key_size);
		r = 0;
	}
	up_read(&key->sem);
	key_put(key);
	if (r)
		goto out;
	r = crypto_skcipher_setkey(c->tfm, buf, a->key_size);
	if (r)
		*error = "crypt: the cipher refused the key";
out:
	kfree_sensitive(buf);
	return r;
}

/*
 * The key check value of @c's cipher (see struct crypt_disk) into @kcv:
 * zeroes encrypted at an IV no sector has, in buffers wiped after use.
 */
static int crypt_kcv(struct crypt_filter *c, u8 *kcv, char **error)
{
	struct skcipher_request *req;
	struct scatterlist sg;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *buf;
	int r;

	buf = kzalloc(CRYPT_KCV_SIZE + CRYPT_IV_SIZE, GFP_KERNEL);
	req = buf ? skcipher_request_alloc(c->tfm, GFP_KERNEL) : NULL;
	if (!req) {
		kfree(buf);
		*error = "crypt: cannot allocate the key check";
		return -ENOMEM;
	}
	memset(buf + CRYPT_KCV_SIZE, 0xff, CRYPT_IV_SIZE);
	sg_init_one(&sg, buf, CRYPT_KCV_SIZE);
	skcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				      CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	skcipher_request_set_crypt(req, &sg, &sg, CRYPT_KCV_SIZE,
				   buf + CRYPT_KCV_SIZE);
	r = crypto_wait_req(crypto_skcipher_encrypt(req), &wait);
	if (r)
		*error = "crypt: the cipher failed the key check";
	else
		memcpy(kcv, buf, CRYPT_KCV_SIZE);
	skcipher_request_free(req);	/* wipes the request */
	kfree_sensitive(buf);
	return r;
}

static void crypt_disk_put(struct crypt_disk *d)
{
	mutex_lock(&crypt_disks_lock);
	if (--d->refs) {
		mutex_unlock(&crypt_disks_lock);
		return;
	}
	list_del(&d->node);
	mutex_unlock(&crypt_disks_lock);
	kfree(d->id);
	kfree_sensitive(d);		/* the key check value with it */
}

/*
 * The disk's object for @c, made if no instance of the disk holds one;
 * refused if one does and @c's cipher, layout or key differ from it.
 */
static int crypt_disk_get(struct crypt_filter *c, char **error)
{
	const char *id = vaio_disk_id(c->f);
	struct crypt_disk *d, *nd;
	u8 kcv[CRYPT_KCV_SIZE];
	int r;

	r = crypt_kcv(c, kcv, error);
	if (r)
		goto out;
	nd = kzalloc(sizeof(*nd), GFP_KERNEL);
	if (nd)
		nd->id = kstrdup(id, GFP_KERNEL);
	if (!nd || !nd->id) {
		kfree(nd);
		*error = "crypt: cannot allocate the disk's state";
		r = -ENOMEM;
		goto out;
	}
	nd->refs = 1;
	nd->cipher = CRYPT_CIPHER;
	nd->key_size = c->key_size;
	nd->sector_size = c->sector_size;
	nd->iv_offset = c->iv_offset;
	nd->iv_large_sectors = c->iv_large_sectors;
	memcpy(nd->kcv, kcv, sizeof(kcv));

	mutex_lock(&crypt_disks_lock);
	list_for_each_entry(d, &crypt_disks, node) {
		if (strcmp(d->id, id))
			continue;
		/* Another instance of this disk runs, or is about to. */
		if (strcmp(d->cipher, nd->cipher) ||
		    d->key_size != nd->key_size ||
		    d->sector_size != nd->sector_size ||
		    d->iv_offset != nd->iv_offset ||
		    d->iv_large_sectors != nd->iv_large_sectors ||
		    crypto_memneq(d->kcv, nd->kcv, sizeof(d->kcv))) {
			*error = (char *)crypt_differs;
			r = -EINVAL;
		} else {
			d->refs++;
			c->d = d;
		}
		mutex_unlock(&crypt_disks_lock);
		kfree(nd->id);
		kfree_sensitive(nd);
		goto out;
	}
	list_add(&nd->node, &crypt_disks);
	c->d = nd;
	mutex_unlock(&crypt_disks_lock);
out:
	memzero_explicit(kcv, sizeof(kcv));
	return r;
}

/*
 * A vaio_transform_fn: @len bytes at byte @off of the bio's data, whole
 * cipher sectors within one page (the core splits pieces where a page
 * ends, the disk's logical block size being at least sector_size).
 * Encrypts from @src to @dst, or decrypts in place.
 */
static int crypt_fn(void *p, void *dst, const void *src, unsigned int len,
		    unsigned int off)
{
	struct crypt_ctx *ctx = p;
	struct crypt_filter *c = ctx->c;
	unsigned int ss = c->sector_size, done;
	struct scatterlist sg_in, sg_out;
	sector_t sector;
	u8 iv[CRYPT_IV_SIZE];
	int r;

	if (unlikely((len | off) & (ss - 1)))
		return -EIO;
	sector = ctx->sector + (off >> SECTOR_SHIFT);
	for (done = 0; done < len; done += ss, sector += ss >> SECTOR_SHIFT) {
		u64 iv_sector = sector + c->iv_offset;

		/* plain64, as dm-crypt's crypt_iv_plain64_gen() */
		if (c->iv_large_sectors)
			iv_sector >>= c->sector_shift;
		memset(iv, 0, sizeof(iv));
		*(__le64 *)iv = cpu_to_le64(iv_sector);

		sg_init_one(&sg_in, src + done, ss);
		sg_init_one(&sg_out, dst + done, ss);
		skcipher_request_set_callback(ctx->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
					      CRYPTO_TFM_REQ_MAY_SLEEP,
					      crypto_req_done, &ctx->wait);
		skcipher_request_set_crypt(ctx->req, &sg_in, &sg_out, ss, iv);
		r = crypto_wait_req(ctx->encrypt ?
				    crypto_skcipher_encrypt(ctx->req) :
				    crypto_skcipher_decrypt(ctx->req),
				    &ctx->wait);
		if (r)
			return r;
	}
	return 0;
}

static void crypt_ctx_init(struct crypt_ctx *ctx, struct crypt_filter *c,
			   sector_t sector, bool encrypt)
{
	ctx->c = c;
	/* From the reserve: cannot fail, waits for a worker at worst. */
	ctx->req = mempool_alloc(&c->reqs, GFP_NOIO);
	skcipher_request_set_tfm(ctx->req, c->tfm);
	crypto_init_wait(&ctx->wait);
	ctx->sector = sector;
	ctx->encrypt = encrypt;
}

static void crypt_ctx_exit(struct crypt_ctx *ctx)
{
	mempool_free(ctx->req, &ctx->c->reqs);
}

static void crypt_write_work(struct work_struct *w)
{
	struct crypt_bio *b = container_of(w, struct crypt_bio, work);
	struct crypt_filter *c = b->f->private;
	struct bio *bio = b->bio;
	unsigned int noio = memalloc_noio_save();
	struct crypt_ctx ctx;
	int r;

	crypt_ctx_init(&ctx, c, b->iter.bi_sector, true);
	r = vaio_bounce_write(&c->pool, bio, &b->bounce, GFP_NOIO, crypt_fn,
			      &ctx);
	crypt_ctx_exit(&ctx);
	memalloc_noio_restore(noio);
	if (r) {
		/* A cipher error: the bio is unchanged, nothing is written. */
		atomic64_inc(&c->errors);
		bio->bi_status = BLK_STS_IOERR;
		vaio_bio_continue(bio, VAIO_FAIL);
		return;
	}
	atomic64_inc(&c->writes);
	atomic64_add(b->iter.bi_size, &c->write_bytes);
	vaio_bio_continue(bio, VAIO_PASS);
}

static void crypt_read_work(struct work_struct *w)
{
	struct crypt_bio *b = container_of(w, struct crypt_bio, work);
	struct crypt_filter *c = b->f->private;
	struct bio *bio = b->bio;
	unsigned int noio = memalloc_noio_save();
	struct crypt_ctx ctx;
	int r;

	crypt_ctx_init(&ctx, c, b->iter.bi_sector, false);
	r = vaio_transform_data(bio, b->iter, crypt_fn, &ctx);
	crypt_ctx_exit(&ctx);
	memalloc_noio_restore(noio);
	if (r) {
		/* Never hand the VM ciphertext as its data. */
		atomic64_inc(&c->errors);
		bio->bi_status = BLK_STS_IOERR;
	} else {
		atomic64_inc(&c->reads);
		atomic64_add(b->iter.bi_size, &c->read_bytes);
	}
	vaio_bio_end_continue(bio);
}

static enum vaio_verdict crypt_map(struct vaio_filter *f, struct bio *bio,
				   void *data)
{
	struct crypt_filter *c = f->private;
	struct crypt_bio *b = data;

	b->bounce.bvec = NULL;
	b->iter = bio->bi_iter;
	/*
	 * Whole cipher sectors only, as dm-crypt's crypt_map(): the IVs of a
	 * bio starting or ending within one would be shifted (garbage read,
	 * garbage written). The queue limits keep the VM's bios whole; a
	 * filter above with I/O of its own, or splitting at its
	 * max_io_sectors, may not. An empty flush has no data. A discard
	 * (allow_discards) of part of a cipher sector would turn the rest
	 * of it into garbage.
	 */
	if (unlikely(((bio->bi_iter.bi_sector << SECTOR_SHIFT) |
		      bio->bi_iter.bi_size) & (c->sector_size - 1)) &&
	    bio->bi_iter.bi_size &&
	    (bio_op(bio) == REQ_OP_READ || bio_op(bio) == REQ_OP_WRITE ||
	     bio_op(bio) == REQ_OP_DISCARD)) {
		DMERR_LIMIT("%s: failed a bio not of whole cipher sectors: %u bytes at %llu",
			    vaio_disk_id(f), bio->bi_iter.bi_size,
			    (unsigned long long)bio->bi_iter.bi_sector);
		bio->bi_status = BLK_STS_IOERR;
		return VAIO_FAIL;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return VAIO_PASS;	/* decrypted at its completion */
	case REQ_OP_WRITE:
		if (!bio_sectors(bio))
			return VAIO_PASS;	/* an empty flush */
		b->f = f;
		b->bio = bio;
		INIT_WORK(&b->work, crypt_write_work);
		queue_work(c->wq, &b->work);
		return VAIO_DEFER;
	case REQ_OP_DISCARD:
		if (c->allow_discards)
			return VAIO_PASS;
		fallthrough;
	default:
		/*
		 * Withdrawn in ->ctr() (write-zeroes, secure erase, discard
		 * without allow_discards): the blocks they leave would not
		 * read back as what the VM asked for.
		 */
		bio->bi_status = BLK_STS_NOTSUPP;
		return VAIO_FAIL;
	}
}

static enum vaio_end_verdict crypt_end_io(struct vaio_filter *f,
					  struct bio *bio, void *data,
					  blk_status_t *error)
{
	struct crypt_filter *c = f->private;
	struct crypt_bio *b = data;

	/* A write: the VM's pages back, the ciphertext's to the pool. */
	vaio_bounce_end(&c->pool, bio, &b->bounce);
	if (*error || bio_op(bio) != REQ_OP_READ || !b->iter.bi_size)
		return VAIO_END_DONE;
	b->f = f;
	b->bio = bio;
	INIT_WORK(&b->work, crypt_read_work);
	queue_work(c->wq, &b->work);
	return VAIO_END_DEFER;
}

static void crypt_free(struct crypt_filter *c)
{
	if (c->d)
		crypt_disk_put(c->d);
	if (c->wq)		/* flushed: no bio in flight, none queued */
		destroy_workqueue(c->wq);
	if (c->pool.max_pages)
		vaio_bounce_pool_exit(&c->pool);
	mempool_exit(&c->reqs);
	/* crypto_free_skcipher() wipes the context, the key with it. */
	if (!IS_ERR_OR_NULL(c->tfm))
		crypto_free_skcipher(c->tfm);
	kfree(c);
}

static int crypt_ctr(struct vaio_filter *f, unsigned int argc, char **argv,
		     char **error)
{
	struct crypt_filter *c;
	struct crypt_args a;
	const char *e;
	int r;

	/*
	 * crypt_fn() gives the cipher the addresses of the core's kmap_local
	 * mappings through sg_init_one(), which needs a linear-map address:
	 * not a highmem page's (32-bit). The core's transform callback has
	 * no page to give sg_set_page() instead.
	 */
	if (IS_ENABLED(CONFIG_HIGHMEM)) {
		*error = "crypt: kernels with HIGHMEM (32-bit) are not supported";
		return -EOPNOTSUPP;
	}
	r = crypt_parse(argc, argv, &a, &e);
	if (r) {
		*error = (char *)e;	/* a static string */
		return r;
	}
	if (f->ti->len & ((a.sector_size >> SECTOR_SHIFT) - 1)) {
		*error = "crypt: the disk's length is not a multiple of sector_size";
		return -EINVAL;
	}

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		*error = "crypt: cannot allocate the filter";
		return -ENOMEM;
	}
	c->f = f;
	c->sector_size = a.sector_size;
	c->sector_shift = ilog2(a.sector_size) - SECTOR_SHIFT;
	c->iv_offset = a.iv_offset;
	c->iv_large_sectors = a.iv_large_sectors;
	c->allow_discards = a.allow_discards;
	c->key_size = a.key_size;
	strscpy(c->key_desc, a.key_desc, sizeof(c->key_desc));
	atomic64_set(&c->reads, 0);
	atomic64_set(&c->writes, 0);
	atomic64_set(&c->read_bytes, 0);
	atomic64_set(&c->write_bytes, 0);
	atomic64_set(&c->errors, 0);

	c->tfm = crypto_alloc_skcipher(CRYPT_ALG, 0, 0);
	if (IS_ERR(c->tfm)) {
		r = PTR_ERR(c->tfm);
		*error = "crypt: the kernel has no xts(aes) cipher";
		goto bad;
	}
	if (crypto_skcipher_ivsize(c->tfm) != CRYPT_IV_SIZE) {
		r = -EINVAL;
		*error = "crypt: xts(aes) has an unexpected IV size";
		goto bad;
	}
	r = crypt_set_key(c, &a, error);
	if (r)
		goto bad;
	r = crypt_disk_get(c, error);
	if (r)
		goto bad;

	c->req_size = sizeof(struct skcipher_request) +
		      crypto_skcipher_reqsize(c->tfm);
	r = mempool_init_kmalloc_pool(&c->reqs, CRYPT_REQS_MIN, c->req_size);
	if (r) {
		*error = "crypt: cannot allocate the cipher requests";
		goto bad;
	}
	r = vaio_bounce_pool_init(f, &c->pool, CRYPT_BOUNCE_PAGES);
	if (r) {
		*error = "crypt: cannot allocate the bounce pages";
		goto bad;
	}
	/* As dm-crypt's kcryptd: every CPU, a rescuer under memory pressure. */
	c->wq = alloc_workqueue("kvaiocrypt/%s",
				WQ_UNBOUND | WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM,
				num_online_cpus(),
				dm_device_name(dm_table_get_md(f->ti->table)));
	if (!c->wq) {
		r = -ENOMEM;
		*error = "crypt: cannot allocate the workqueue";
		goto bad;
	}

	f->no_discard = !a.allow_discards;
	f->no_write_zeroes = true;
	f->no_secure_erase = true;
	f->private = c;
	return 0;

bad:
	crypt_free(c);
	return r;
}

static void crypt_dtr(struct vaio_filter *f)
{
	crypt_free(f->private);
}

/*
 * The data below is ciphertext exactly while the filter is in the disk's
 * chain: a running disk can neither drop it (the VM would read
 * ciphertext, and its new writes would land in plaintext below) nor take
 * it on (it would decrypt plaintext into garbage). Only the device's
 * first table attaches it. A swap to another target (dm-linear) is not
 * asked: see Documentation/encryption.rst.
 */
static int crypt_event_check(struct vaio_filter *f, const struct vaio_event *ev,
			     const char **reason)
{
	if (ev->type == VAIO_EV_DETACH) {
		*reason = crypt_no_detach;
		return -EINVAL;
	}
	if (ev->type == VAIO_EV_ATTACH && !ev->disk_new) {
		*reason = crypt_no_attach;
		return -EINVAL;
	}
	return 0;
}

/* Whole cipher sectors in every bio, as dm-crypt's io_hints. */
static void crypt_io_hints(struct vaio_filter *f, struct queue_limits *limits)
{
	struct crypt_filter *c = f->private;

	limits->logical_block_size = max_t(unsigned int,
					   limits->logical_block_size,
					   c->sector_size);
	limits->physical_block_size = max_t(unsigned int,
					    limits->physical_block_size,
					    c->sector_size);
	limits->io_min = max_t(unsigned int, limits->io_min, c->sector_size);
}

/* Never the key: its size and its description in the keyring. */
static void crypt_status(struct vaio_filter *f, char *result,
			 unsigned int maxlen)
{
	struct crypt_filter *c = f->private;
	unsigned int sz = 0;

	DMEMIT("cipher %s key_size %u key_desc logon:%s ", CRYPT_CIPHER,
	       c->key_size, c->key_desc);
	DMEMIT("sector_size %u iv_offset %llu iv_large_sectors %d allow_discards %d ",
	       c->sector_size, c->iv_offset, c->iv_large_sectors,
	       c->allow_discards);
	DMEMIT("reads %lld writes %lld read_kib %lld write_kib %lld errors %lld",
	       atomic64_read(&c->reads), atomic64_read(&c->writes),
	       atomic64_read(&c->read_bytes) >> 10,
	       atomic64_read(&c->write_bytes) >> 10,
	       atomic64_read(&c->errors));
}

static const struct vaio_param crypt_params[] = {
	{ .name = "key", .kind = VAIO_PARAM_KIND_STRING, .secret = true,
	  .help = ":<bytes>:logon:<description>: a logon key of the kernel keyring" },
	{ .name = "cipher", .kind = VAIO_PARAM_KIND_ENUM,
	  .choices = CRYPT_CIPHER, .def = CRYPT_CIPHER,
	  .help = "the cipher, as dm-crypt names it" },
	{ .name = "sector_size", .kind = VAIO_PARAM_KIND_UINT, .min = 512,
	  .max = 4096, .def = "512",
	  .help = "bytes encrypted with one IV: 512, 1024, 2048 or 4096" },
	{ .name = "iv_offset", .kind = VAIO_PARAM_KIND_UINT, .min = 0,
	  .max = U64_MAX >> 1, .def = "0",
	  .help = "added to the 512-byte sector number of the IV, as dm-crypt's iv_offset" },
	{ .name = "iv_large_sectors", .kind = VAIO_PARAM_KIND_BOOL, .def = "0",
	  .help = "IVs count sector_size units, not 512 bytes (as LUKS2 does)" },
	{ .name = "allow_discards", .kind = VAIO_PARAM_KIND_BOOL, .def = "0",
	  .help = "pass discards down (shows the disk below which blocks are free)" },
	{ }
};

static struct vaio_filter_type crypt_type = {
	.name = "crypt",
	.class = VAIO_CLASS_ENCRYPTION,
	.version = { 0, 1, 0 },
	.owner = THIS_MODULE,
	.per_bio_data_size = sizeof(struct crypt_bio),
	.params = crypt_params,
	/* Bypassed, it would write plaintext and read ciphertext. */
	.fail_modes = VAIO_ALLOW_FAIL_CLOSED,
	.ops = {
		.args_check = crypt_args_check,
		.ctr = crypt_ctr,
		.dtr = crypt_dtr,
		.event_check = crypt_event_check,
		.map = crypt_map,
		.end_io = crypt_end_io,
		.io_hints = crypt_io_hints,
		.status = crypt_status,
	},
};

static int __init crypt_init(void)
{
	return vaio_register_filter(&crypt_type);
}

static void __exit crypt_exit(void)
{
	vaio_unregister_filter(&crypt_type);
}

module_init(crypt_init);
module_exit(crypt_exit);

MODULE_DESCRIPTION("dm-vaio crypt filter: AES-XTS block encryption, dm-crypt compatible");
MODULE_AUTHOR("dm-vaio developers");
MODULE_LICENSE("GPL");
MODULE_ALIAS("dm-vaio-crypt");
