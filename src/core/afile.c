/* afile.c — write-to-temporary-then-rename (see afile.h). Every file the
 * program writes (CSV exports, sweeps, checkpoint series, data sets,
 * safetensors, saved sessions) goes through these three functions. */
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <string.h>

int afile_open(struct afile *a, const char *path, const char *mode, const char *who, char *err, size_t len)
{
	a->f = NULL;
	if (snprintf(a->tmp, sizeof a->tmp, "%s.tmp", path) >= (int)sizeof a->tmp ||
	    snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path)
		return nt_err(err, len, NT_EINVAL, "%s: path too long", who);
	a->f = fopen(a->tmp, mode);
	if (!a->f)
		return nt_err(err, len, NT_EIO, "%s: cannot write '%s': %s", who, path, strerror(errno));
	return 0;
}

int afile_commit(struct afile *a, const char *who, char *err, size_t len)
{
	int bad = ferror(a->f);
	int closed = fclose(a->f);
	a->f = NULL;
	if (closed || bad) {
		remove(a->tmp);
		return nt_err(err, len, NT_EIO, "%s: write to '%s' failed", who, a->path);
	}
	if (rename(a->tmp, a->path)) {
		int e = errno;
		remove(a->tmp);
		return nt_err(err, len, NT_EIO, "%s: cannot create '%s': %s", who, a->path, strerror(e));
	}
	return 0;
}

void afile_abort(struct afile *a)
{
	if (a->f)
		fclose(a->f);
	a->f = NULL;
	remove(a->tmp);
}
