/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-vaio core internals, shared by the files of dm-vaio.ko only.
 */
#ifndef DM_VAIO_INTERNAL_H
#define DM_VAIO_INTERNAL_H

#include "dm-vaio-filter.h"

#define DM_MSG_PREFIX "vaio"

#define VAIO_NAME_MAX 64

/* vaio-registry.c */
bool vaio_valid_name(const char *s);
const struct vaio_filter_type *vaio_filter_type_get(const char *name);
void vaio_filter_type_put(const struct vaio_filter_type *type);

/* vaio-target.c: pure helpers (KUnit tests them, vaio-kunit.c) */
unsigned int vaio_chain_layout(struct vaio_filter **fs, unsigned int n);
unsigned int vaio_count_words(const char *s);

#endif /* DM_VAIO_INTERNAL_H */
