/* util.h — allocation that cannot fail silently, bounded string helpers and the
 * error convention shared by the core: functions return 0 or a negative code and
 * write one human sentence into a caller-supplied buffer. */
#ifndef NOETHER_UTIL_H
#define NOETHER_UTIL_H
#include <stddef.h>

enum nt_status {
	NT_OK = 0,
	NT_EINVAL = -1,   /* bad argument, shape or value */
	NT_ENOENT = -2,   /* unknown name, missing file */
	NT_ERANGE = -3,   /* size beyond a stated limit */
	NT_EIO = -4,      /* read/write failure, corrupt file */
	NT_EDIVERGED = -5,/* NaN/Inf during training */
	NT_ESTATE = -6,   /* command not valid in this state */
	NT_EINTR = -7     /* interrupted by the user */
};

/* Hard limits, named in error messages. */
#define NT_MAX_WIDTH    4096     /* any layer width */
#define NT_MAX_SAMPLES  1000000  /* data set rows */
#define NT_MAX_PARAMS   20000000 /* parameters in θ */
#define NT_MAX_BLOCKS   64       /* blocks in a model */
#define NT_MAX_SEQ      1024     /* sequence length */
#define NT_MAX_ELEMS    100000000 /* doubles in one workspace */

/* xmalloc/xcalloc/xrealloc: abort with a message on out-of-memory (the only
 * place the core may stop the process). Caller frees with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* xappend: array p of n elements of size elem, with room made for element n.
 * Capacity doubles whenever n reaches a power of two, so a list built by
 * appending costs O(n) copying, not O(n^2). Only for arrays that grow by
 * appending from (NULL, 0) and are freed whole. */
void *xappend(void *p, size_t n, size_t elem);

/* Formats into buf (size len), always NUL-terminated; returns NT_EINVAL etc. as
 * given in code so callers can write `return nt_err(err, len, NT_EINVAL, ...)`. */
int nt_err(char *buf, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Strict number parsing: the whole string must be a finite number.
 * Return 0 on success, -1 otherwise. */
int parse_double(const char *s, double *out);
int parse_long(const char *s, long *out);

/* Copies src into dst (size n), truncating; always NUL-terminated. */
void str_copy(char *dst, const char *src, size_t n);

/* Monotonic wall clock in seconds. */
double now_seconds(void);

/* Progress of a long computation (a count, a sweep, N steps): fn gets the
 * fraction done of the whole job in [0, 1] (a job starts at 0) and a short
 * stage name. It is called from the thread doing the work, between chunks, so
 * it must return quickly and must not touch what is being computed. */
struct nt_progress {
	void (*fn)(void *user, double frac, const char *stage);
	void *user;
};
/* Calls p->fn when p and p->fn are set. */
void nt_progress_report(const struct nt_progress *p, double frac, const char *stage);
#endif
