// SPDX-License-Identifier: GPL-2.0-only
/*
 * vaio-crc32c: the checksum the kernel's crc32c(~0, data, len) gives for
 * stdin (Castagnoli, reflected, no final inversion), as the cache pool's
 * superblock carries it: for a test to write a superblock of its own
 * making (selftests/cache/many-disks: a version 2 pool; the guest has no
 * tool that computes it).
 *
 *   vaio-crc32c        prints it as 0x%08x
 *   vaio-crc32c -b     writes it as 4 bytes, little endian
 *
 * Exits 0, or 1 on an error (and 2 on a usage error).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../lib/vaio.h"

int main(int argc, char **argv)
{
	unsigned char buf[65536], le[4];
	uint32_t crc = ~0U;
	size_t n;
	int i;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "-b"))) {
		fprintf(stderr, "usage: vaio-crc32c [-b] <data\n");
		return 2;
	}
	/* The standard check value ("123456789": 0xe3069283, inverted). */
	if (~vaio_crc32c(~0U, (const unsigned char *)"123456789", 9) != 0xe3069283U) {
		fprintf(stderr, "vaio-crc32c: wrong check value\n");
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		crc = vaio_crc32c(crc, buf, n);
	if (ferror(stdin)) {
		perror("vaio-crc32c: stdin");
		return 1;
	}
	if (argc == 1) {
		printf("0x%08x\n", crc);
		return 0;
	}
	for (i = 0; i < 4; i++)
		le[i] = crc >> (8 * i);
	return fwrite(le, 1, 4, stdout) == 4 && !fflush(stdout) ? 0 : 1;
}
