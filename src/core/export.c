/* export.c — CSV export of the trace. Contract (scripts and tests read it):
 *   '#' metadata lines: version, seeds, the commands that built the session;
 *   header  step,tau,loss,<watched quantities>   (law:<name> for quantities shown
 *   as conserved, q:<name> for the others; a matrix law gets one column per
 *   upper-triangle entry, law:<name>.<i>.<j>);
 *   one row per recorded step (every=N keeps every N-th), numbers %.17g.
 * Numbers use printf %.17g; front ends set only LC_CTYPE (never LC_NUMERIC),
 * so the decimal point is always '.'. Written to FILE.tmp, then renamed. */
#include "noether/session.h"
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifndef NT_VERSION
#define NT_VERSION "0.0"
#endif

static void col_name(FILE *f, const struct quantity *q, int k, int r)
{
	const char *pre = q->role == QR_LAW ? "law:" : "q:";
	if (q->ncomp == 1) {
		fprintf(f, ",%s%s", pre, q->name);
		return;
	}
	/* upper-triangle index k of an r×r matrix → (i, j) */
	int i = 0, kk = k;
	while (kk >= r - i) {
		kk -= r - i;
		i++;
	}
	fprintf(f, ",%s%s.%d.%d", pre, q->name, i, i + kk);
}

static int tri_size(int ncomp)
{
	int r = 1;
	while (r * (r + 1) / 2 < ncomp)
		r++;
	return r * (r + 1) / 2 == ncomp ? r : 0;
}

void session_write_csv_metadata(const struct session *s, FILE *f)
{
	fprintf(f, "# noether %s\n", NT_VERSION);
	fprintf(f, "# data_seed=%lu init_seed=%lu opt_seed=%lu check_seed=%lu\n", s->data->seed, s->init.seed,
	        s->opt.seed, s->check_seed);
	fprintf(f, "# parameters=%zu laws=%d claimed_fails=%d contrasts=%d\n", s->D, session_count(s, QR_LAW),
	        session_count(s, QR_CLAIMED_FAILS), session_count(s, QR_CONTRAST));
	for (int i = 0; i < s->nhistory; i++)
		fprintf(f, "# command: %s\n", s->history[i]);
}

int session_export_csv(struct session *s, const char *path, long every)
{
	int rc = session_prepare(s);
	if (rc)
		return rc;
	if (every < 1)
		return nt_err(s->err, sizeof s->err, NT_EINVAL, "export: every= must be a positive integer");
	struct afile a;
	if ((rc = afile_open(&a, path, "w", "export", s->err, sizeof s->err)))
		return rc;
	FILE *f = a.f;
	session_write_csv_metadata(s, f);
	fprintf(f, "step,tau,loss");
	for (int i = 0; i < s->q.n; i++) {
		const struct quantity *q = s->q.q[i];
		if (!q->watched)
			continue;
		int r = q->ncomp > 1 ? tri_size(q->ncomp) : 1;
		for (int k = 0; k < q->ncomp; k++)
			col_name(f, q, k, r ? r : q->ncomp);
	}
	fputc('\n', f);
	const struct trace *t = &s->trace;
	for (long r = 0; r < t->nrows; r++) {
		const double *row = t->rows + (size_t)r * t->width;
		if ((long)row[0] % (every * t->stride) && r != t->nrows - 1)
			continue;
		fprintf(f, "%.17g,%.17g,%.17g", row[0], row[1], row[2]);
		for (int i = 0; i < s->q.n; i++) {
			const struct quantity *q = s->q.q[i];
			if (!q->watched)
				continue;
			for (int k = 0; k < q->ncomp; k++)
				fprintf(f, ",%.17g", row[TRACE_FIXED + q->slot + k]);
		}
		fputc('\n', f);
	}
	return afile_commit(&a, "export", s->err, sizeof s->err);
}
