/* afile.h — files written whole or not at all: write to PATH.tmp, then rename
 * onto PATH. On any failure the temporary file is removed and PATH is left as
 * it was, so an interrupted or failed export never leaves a partial file.
 * A symbolic link at PATH is followed (the file it names is written, the link
 * stays); a directory, device, FIFO or socket there is refused, never
 * replaced. */
#ifndef NOETHER_AFILE_H
#define NOETHER_AFILE_H
#include <stddef.h>
#include <stdio.h>

struct afile {
	FILE *f;
	char tmp[4096];                /* "" when no temporary exists */
	char path[4096];               /* the target, symbolic links followed */
};

/* Opens TARGET.tmp with fopen mode (e.g. "w", "wb"), TARGET being PATH with
 * symbolic links followed. Returns 0, or NT_EINVAL (path too long) / NT_EIO
 * (not a regular file, cannot create) with "WHO: ..." in err. */
int afile_open(struct afile *a, const char *path, const char *mode, const char *who, char *err, size_t len);
/* Closes, checks for write errors and renames onto PATH. Returns 0 or NT_EIO
 * with a message; the temporary file never survives a failure. */
int afile_commit(struct afile *a, const char *who, char *err, size_t len);
/* Gives up: closes and removes the temporary file. */
void afile_abort(struct afile *a);
#endif
