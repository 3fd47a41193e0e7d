// SPDX-License-Identifier: GPL-2.0
/*
 * find-substream STREAM PIECE: print the offset at which the bytes of PIECE
 * occur in STREAM. Exit status: 0 found, 1 not found, 2 error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	long size;
	FILE *f;

	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto cleanup;
	buf = malloc(size ? size : 1);
	if (!buf)
		goto cleanup;
	if (fread(buf, 1, size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
		goto cleanup;
	}
	*len = size;
cleanup:
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	unsigned char *stream, *piece, *hit;
	size_t slen, plen;
	int ret = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: find-substream STREAM PIECE\n");
		return 2;
	}
	stream = slurp(argv[1], &slen);
	piece = slurp(argv[2], &plen);
	if (!stream || !piece || plen == 0) {
		fprintf(stderr, "find-substream: cannot read %s or %s (or it is empty)\n",
			argv[1], argv[2]);
		goto cleanup;
	}
	hit = memmem(stream, slen, piece, plen);
	if (hit) {
		printf("%zu\n", (size_t)(hit - stream));
		ret = 0;
	} else {
		ret = 1;
	}
cleanup:
	free(stream);
	free(piece);
	return ret;
}
