/* fixture.c — reads golden fixture files (see fixture.h and
 * tests/fixtures/gen_fixtures.py). Line-oriented header records, tensor values
 * read as whitespace-separated numbers spanning any number of lines. A malformed
 * file is an error naming the line, never a crash. */
#include "fixture.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fixture_dir(void)
{
	const char *d = getenv("NOETHER_FIXTURES");
	return d && *d ? d : "tests/fixtures";
}

void fixture_free(struct fixture_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->ncases; i++)
		for (int t = 0; t < f->c[i].ntensors; t++)
			free(f->c[i].t[t].v);
	free(f->c);
	free(f);
}

const struct fixture_tensor *fixture_tensor(const struct fixture_case *c, const char *name)
{
	for (int i = 0; i < c->ntensors; i++)
		if (!strcmp(c->t[i].name, name))
			return &c->t[i];
	return NULL;
}

/* Copies src into dst (size n), truncating, always NUL-terminated. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t L = strlen(src);
	if (L >= n)
		L = n - 1;
	memcpy(dst, src, L);
	dst[L] = 0;
}

static int fail(char *err, size_t len, const char *path, int line, const char *what)
{
	snprintf(err, len, "%s:%d: %s", path, line, what);
	return -1;
}

/* Reads n doubles from fp (counting newlines into *line). */
static int read_values(FILE *fp, double *v, size_t n, int *line)
{
	for (size_t i = 0; i < n; i++) {
		int ch;
		while ((ch = fgetc(fp)) == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			if (ch == '\n')
				(*line)++;
		if (ch == EOF)
			return -1;
		ungetc(ch, fp);
		if (fscanf(fp, "%lf", &v[i]) != 1)
			return -1;
	}
	/* consume the rest of the last line */
	int ch;
	while ((ch = fgetc(fp)) != EOF && ch != '\n')
		if (ch != ' ' && ch != '\t' && ch != '\r')
			return -1;
	if (ch == '\n')
		(*line)++;
	return 0;
}

struct fixture_file *fixture_load(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: cannot open (run the tests from the source root, or set NOETHER_FIXTURES)", path);
		return NULL;
	}
	struct fixture_file *f = fixture_read(fp, path, err, errlen);
	fclose(fp);
	return f;
}

struct fixture_file *fixture_read(FILE *fp, const char *path, char *err, size_t errlen)
{
	struct fixture_file *f = calloc(1, sizeof *f);
	int cap = 0, line = 0;
	struct fixture_case *c = NULL;
	char buf[1024];
	int rc = 0;
	while (fgets(buf, sizeof buf, fp)) {
		line++;
		size_t L = strlen(buf);
		if (L && buf[L - 1] != '\n' && !feof(fp)) {
			rc = fail(err, errlen, path, line, "line too long");
			break;
		}
		while (L && (buf[L - 1] == '\n' || buf[L - 1] == '\r'))
			buf[--L] = 0;
		if (!L || buf[0] == '#')
			continue;
		if (!strncmp(buf, "case ", 5)) {
			if (c) {
				rc = fail(err, errlen, path, line, "case without end");
				break;
			}
			if (f->ncases == cap) {
				cap = cap ? 2 * cap : 16;
				f->c = realloc(f->c, (size_t)cap * sizeof *f->c);
			}
			c = &f->c[f->ncases++];
			memset(c, 0, sizeof *c);
			copy_str(c->name, sizeof c->name, buf + 5);
			continue;
		}
		if (!c) {
			rc = fail(err, errlen, path, line, "record outside a case");
			break;
		}
		if (!strcmp(buf, "end")) {
			if (!c->in_len || !c->in_width || !c->batch) {
				rc = fail(err, errlen, path, line, "case lacks input or batch");
				break;
			}
			c = NULL;
		} else if (!strncmp(buf, "cmd ", 4)) {
			if (c->ncmds == FIXTURE_MAX_CMDS || strlen(buf + 4) >= sizeof c->cmd[0]) {
				rc = fail(err, errlen, path, line, "too many or too long commands");
				break;
			}
			copy_str(c->cmd[c->ncmds++], sizeof c->cmd[0], buf + 4);
		} else if (!strncmp(buf, "input ", 6)) {
			if (sscanf(buf + 6, "%d %d", &c->in_len, &c->in_width) != 2 || c->in_len < 1 || c->in_width < 1) {
				rc = fail(err, errlen, path, line, "bad input shape");
				break;
			}
		} else if (!strncmp(buf, "batch ", 6)) {
			if (sscanf(buf + 6, "%d", &c->batch) != 1 || c->batch < 1) {
				rc = fail(err, errlen, path, line, "bad batch");
				break;
			}
		} else if (!strncmp(buf, "tensor ", 7)) {
			if (c->ntensors == FIXTURE_MAX_TENSORS) {
				rc = fail(err, errlen, path, line, "too many tensors");
				break;
			}
			struct fixture_tensor *t = &c->t[c->ntensors];
			memset(t, 0, sizeof *t);
			t->dim[0] = t->dim[1] = t->dim[2] = 1;
			int k = sscanf(buf + 7, "%63s %d %d %d %d", t->name, &t->ndim, &t->dim[0], &t->dim[1], &t->dim[2]);
			if (k < 3 || t->ndim < 1 || t->ndim > 3 || k != 2 + t->ndim ||
			    t->dim[0] < 1 || t->dim[1] < 1 || t->dim[2] < 1) {
				rc = fail(err, errlen, path, line, "bad tensor header");
				break;
			}
			t->size = (size_t)t->dim[0] * t->dim[1] * t->dim[2];
			if (t->size > 10000000) {
				rc = fail(err, errlen, path, line, "tensor too large");
				break;
			}
			t->v = malloc(t->size * sizeof(double));
			c->ntensors++;
			if (read_values(fp, t->v, t->size, &line)) {
				rc = fail(err, errlen, path, line, "bad or missing tensor values");
				break;
			}
		} else {
			rc = fail(err, errlen, path, line, "unknown record");
			break;
		}
	}
	if (!rc && c)
		rc = fail(err, errlen, path, line, "file ends inside a case");
	if (rc) {
		fixture_free(f);
		return NULL;
	}
	return f;
}

double fixture_rel_err(const double *a, const double *b, size_t n, double floor)
{
	double dmax = 0, bmax = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs(a[i] - b[i]);
		if (!(d <= dmax))   /* NaN propagates as infinite error */
			dmax = isnan(d) ? INFINITY : d;
		if (fabs(b[i]) > bmax)
			bmax = fabs(b[i]);
	}
	double s = bmax > floor ? bmax : floor;
	return s > 0 ? dmax / s : dmax;
}
