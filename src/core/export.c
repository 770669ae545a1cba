/* export.c — CSV export of the runs' traces. Contract (scripts and tests read it):
 *   '#' metadata lines: version, seeds, the commands that built the experiment;
 *   header  step,tau,loss,<watched quantities>   (law:<name> for quantities shown
 *   as conserved, q:<name> for the others; a matrix law gets one column per
 *   upper-triangle entry, law:<name>.<i>.<j>; a vector law one per index,
 *   law:<name>.<i>);
 *   then pred:<name> for each law with an exact one-step identity (its
 *   predicted value), last lambda (Λ); values are plain h (under weight decay a law is
 *   compared with F_k·h(θ0), F_k from Λ: e^{-2Λ} quadratic, e^{-Λ} linear);
 *   under compare, run B's columns follow, each prefixed "B.": B.tau, B.loss,
 *   B.law:<name>, B.pred:<name> ..., on the row of the same step;
 *   one row per recorded step (every=N keeps every N-th), numbers %.17g.
 * Numbers use printf %.17g; front ends set only LC_CTYPE (never LC_NUMERIC),
 * so the decimal point is always '.'. Written to FILE.tmp, then renamed. */
#include "exp_impl.h"
#include "noether/afile.h"
#include "noether/util.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#ifndef NT_VERSION
#define NT_VERSION "0.0"
#endif

/* A matrix-valued law stores the upper triangle of an r×r matrix with weight 2
 * off the diagonal; any other multi-component quantity is a vector. */
static int matrix_side(const struct quantity *q)
{
	int r = 1;
	while (r * (r + 1) / 2 < q->ncomp)
		r++;
	if (r * (r + 1) / 2 != q->ncomp || r < 2)
		return 0;
	for (int k = 0; k < q->ncomp; k++)
		if (q->comp[k].weight != 1.0)
			return r;
	return 0;
}

static void col_name(FILE *f, const char *prefix, const struct quantity *q, int k, int r)
{
	const char *pre = strstr(prefix, "pred:") ? "" : q->role == QR_LAW ? "law:" : "q:";
	if (q->ncomp == 1) {
		fprintf(f, ",%s%s%s", prefix, pre, q->name);
		return;
	}
	if (!r) {
		fprintf(f, ",%s%s%s.%d", prefix, pre, q->name, k);
		return;
	}
	/* upper-triangle index k of an r×r matrix → (i, j) */
	int i = 0, kk = k;
	while (kk >= r - i) {
		kk -= r - i;
		i++;
	}
	fprintf(f, ",%s%s%s.%d.%d", prefix, pre, q->name, i, i + kk);
}

void experiment_write_csv_metadata(const struct experiment *x, FILE *f)
{
	const struct run *a = x->runs[0];
	fprintf(f, "# noether %s\n", NT_VERSION);
	fprintf(f, "# data_seed=%lu init_seed=%lu opt_seed=%lu check_seed=%lu\n", x->data ? x->data->seed : 0ul, x->init.seed,
	        x->set.opt.seed, x->check_seed);
	fprintf(f, "# parameters=%zu laws=%d claimed_fails=%d contrasts=%d\n", x->D, run_count(a, QR_LAW),
	        run_count(a, QR_CLAIMED_FAILS), run_count(a, QR_CONTRAST));
	for (int i = 0; i < x->nhistory; i++)
		fprintf(f, "# command: %s\n", x->history[i]);
}

static void header_cols(FILE *f, const struct run *r, const char *prefix)
{
	char pp[16];
	snprintf(pp, sizeof pp, "%spred:", prefix);
	for (int i = 0; i < r->q.n; i++) {
		const struct quantity *q = r->q.q[i];
		if (!q->watched || q->internal)
			continue;
		int side = matrix_side(q);
		for (int k = 0; k < q->ncomp; k++)
			col_name(f, prefix, q, k, side);
	}
	for (int i = 0; i < r->q.n; i++) {      /* then each law's prediction */
		const struct quantity *q = r->q.q[i];
		if (!q->watched || q->internal || q->pslot < 0)
			continue;
		int side = matrix_side(q);
		for (int k = 0; k < q->ncomp; k++)
			col_name(f, pp, q, k, side);
	}
}

static void value_cols(FILE *f, const struct run *r, const double *row)
{
	for (int i = 0; i < r->q.n; i++) {
		const struct quantity *q = r->q.q[i];
		if (!q->watched || q->internal)
			continue;
		for (int k = 0; k < q->ncomp; k++)
			fprintf(f, ",%.17g", row ? row[TRACE_FIXED + q->slot + k] : NAN);
	}
	for (int i = 0; i < r->q.n; i++) {
		const struct quantity *q = r->q.q[i];
		if (!q->watched || q->internal || q->pslot < 0)
			continue;
		for (int k = 0; k < q->ncomp; k++)
			fprintf(f, ",%.17g", row ? row[TRACE_FIXED + r->nvals + q->pslot + k] : NAN);
	}
}

int experiment_export_csv(struct experiment *x, const char *path, long every)
{
	int rc = experiment_prepare(x);
	if (rc)
		return rc;
	if (every < 1)
		return nt_err(x->err, sizeof x->err, NT_EINVAL, "export: every= must be a positive integer");
	struct afile af;
	if ((rc = afile_open(&af, path, "w", "export", x->err, sizeof x->err)))
		return rc;
	FILE *f = af.f;
	const struct run *a = x->runs[0], *b = x->nruns > 1 ? x->runs[1] : NULL;
	experiment_write_csv_metadata(x, f);
	if (b) {
		char sa[128], sb[128];
		if (!strcmp(x->compare_what, "schedule")) {
			schedule_format(&a->set.sched, sa, sizeof sa);
			schedule_format(&b->set.sched, sb, sizeof sb);
		} else if (!strcmp(x->compare_what, "wd")) {
			snprintf(sa, sizeof sa, "wd %g", a->set.wd);
			snprintf(sb, sizeof sb, "wd %g", b->set.wd);
		} else {
			optimizer_format(&a->set.opt, sa, sizeof sa);
			optimizer_format(&b->set.opt, sb, sizeof sb);
		}
		fprintf(f, "# compare %s: A = %s; B = %s (columns B.*)\n", x->compare_what, sa, sb);
	}
	fprintf(f, "# dynamics: %s%s%s\n", a->dynamics, b ? "; B: " : "", b ? b->dynamics : "");
	fprintf(f, "step,tau,loss");
	header_cols(f, a, "");
	if (b) {
		fprintf(f, ",B.tau,B.loss");
		header_cols(f, b, "B.");
	}
	fprintf(f, ",lambda%s\n", b ? ",B.lambda" : "");
	const struct trace *t = &a->trace, *tb = b ? &b->trace : NULL;
	long j = 0;
	for (long r = 0; r < t->nrows; r++) {
		const double *row = t->rows + (size_t)r * t->width;
		if ((long)row[0] % (every * t->stride) && r != t->nrows - 1)
			continue;
		fprintf(f, "%.17g,%.17g,%.17g", row[0], row[1], row[2]);
		value_cols(f, a, row);
		if (b) {
			while (j < tb->nrows && tb->rows[(size_t)j * tb->width] < row[0])
				j++;
			const double *rb = j < tb->nrows && tb->rows[(size_t)j * tb->width] == row[0] ? tb->rows + (size_t)j * tb->width : NULL;
			fprintf(f, ",%.17g,%.17g", rb ? rb[1] : NAN, rb ? rb[2] : NAN);
			value_cols(f, b, rb);
			fprintf(f, ",%.17g,%.17g\n", row[4], rb ? rb[4] : NAN);
		} else {
			fprintf(f, ",%.17g\n", row[4]);
		}
	}
	return afile_commit(&af, "export", x->err, sizeof x->err);
}
