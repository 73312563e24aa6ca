// SPDX-License-Identifier: GPL-2.0-only
/*
 * crc32c as the kernel's crc32c() computes it: Castagnoli, reflected, no
 * final inversion (the cache pool's checksums start from ~0). Its own
 * object, so that a tool can link it alone.
 */
#include "vaio.h"

uint32_t vaio_crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78U & -(crc & 1));
	}
	return crc;
}
