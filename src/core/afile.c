/* afile.c — write-to-temporary-then-rename (see afile.h). Every file the
 * program writes (CSV exports, sweeps, checkpoint series, data sets,
 * safetensors, saved sessions) goes through these three functions.
 * Invariants: the rename lands on the file a symbolic link points to, never
 * on the link; only a regular file (or nothing) is ever replaced, so a
 * directory, device, FIFO or socket at the path is refused; the temporary
 * sits beside the target (same file system) and is opened without following
 * a link; a replaced file keeps its permission bits. */
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Follows symbolic links from path to the final name (which need not exist)
 * into out (4096 bytes). 0, or an error naming path. */
static int resolve(const char *path, char *out, const char *who, char *err, size_t len)
{
	char cur[4096], link[4096];
	if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur)
		return nt_err(err, len, NT_EINVAL, "%s: path too long", who);
	for (int hops = 0;; hops++) {
		struct stat st;
		if (lstat(cur, &st) || !S_ISLNK(st.st_mode))
			break;
		if (hops == 40)
			return nt_err(err, len, NT_EIO, "%s: cannot write '%s': more than 40 symbolic links", who, path);
		ssize_t n = readlink(cur, link, sizeof link - 1);
		if (n < 0)
			return nt_err(err, len, NT_EIO, "%s: cannot write '%s': %s", who, path, strerror(errno));
		link[n] = 0;
		char *slash = strrchr(cur, '/');
		size_t dir = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
		if (dir + (size_t)n + 1 > sizeof cur)
			return nt_err(err, len, NT_EINVAL, "%s: path too long", who);
		memcpy(cur + dir, link, (size_t)n + 1);
	}
	memcpy(out, cur, strlen(cur) + 1);
	return 0;
}

static const char *file_type(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISCHR(m) || S_ISBLK(m) ? "a device" : S_ISFIFO(m) ? "a FIFO"
	     : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int afile_open(struct afile *a, const char *path, const char *mode, const char *who, char *err, size_t len)
{
	a->f = NULL;
	a->tmp[0] = 0;
	int rc = resolve(path, a->path, who, err, len);
	if (rc)
		return rc;
	if (snprintf(a->tmp, sizeof a->tmp, "%s.tmp", a->path) >= (int)sizeof a->tmp) {
		a->tmp[0] = 0;
		return nt_err(err, len, NT_EINVAL, "%s: path too long", who);
	}
	struct stat st;
	int exists = stat(a->path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode)) {
		a->tmp[0] = 0;
		return nt_err(err, len, NT_EIO, "%s: cannot write '%s': it is %s, not a regular file", who, path,
		              file_type(st.st_mode));
	}
	int fd = open(a->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0) {
		int e = errno;
		a->tmp[0] = 0;
		return nt_err(err, len, NT_EIO, "%s: cannot write '%s': %s", who, path, strerror(e));
	}
	if (exists)
		(void)fchmod(fd, st.st_mode & 07777);
	a->f = fdopen(fd, mode);
	if (!a->f) {
		int e = errno;
		close(fd);
		remove(a->tmp);
		a->tmp[0] = 0;
		return nt_err(err, len, NT_EIO, "%s: cannot write '%s': %s", who, path, strerror(e));
	}
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
	if (a->tmp[0])
		remove(a->tmp);
}
