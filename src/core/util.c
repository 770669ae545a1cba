/* util.c — allocation wrappers (the only place the core may stop the process:
 * out of memory), error formatting, strict number parsing and a monotonic clock. */
#include "noether/util.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(size_t n)
{
	fprintf(stderr, "noether: out of memory (%zu bytes)\n", n);
	abort(); /* xmalloc: out-of-memory is the one fatal error */
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *xappend(void *p, size_t n, size_t elem)
{
	if (n && (n & (n - 1)))        /* not a power of two: room was made before */
		return p;
	if (n > SIZE_MAX / 2 / elem)
		oom(SIZE_MAX);
	return xrealloc(p, (n ? 2 * n : 1) * elem);
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

int nt_err(char *buf, size_t len, int code, const char *fmt, ...)
{
	if (buf && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return code;
}

int parse_double(const char *s, double *out)
{
	char *end;
	double v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int parse_long(const char *s, long *out)
{
	char *end;
	long v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno == ERANGE) {
		/* accept integral floats such as 1e3 */
		double d;
		if (parse_double(s, &d) == 0 && d == floor(d) && fabs(d) < 9e15) {
			*out = (long)d;
			return 0;
		}
		return -1;
	}
	*out = v;
	return 0;
}

void str_copy(char *dst, const char *src, size_t n)
{
	if (!n)
		return;
	size_t k = strlen(src);
	if (k >= n)
		k = n - 1;
	memcpy(dst, src, k);
	dst[k] = 0;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void nt_progress_report(const struct nt_progress *p, double frac, const char *stage)
{
	if (p && p->fn)
		p->fn(p->user, frac, stage);
}
