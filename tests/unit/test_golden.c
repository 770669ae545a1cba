/* test_golden.c — every block and loss against golden values from an
 * independent implementation (PyTorch float64 autograd, written by
 * tests/fixtures/gen_fixtures.py). For each fixture case: build the model from
 * its command list, copy the reference parameters into θ tensor by tensor
 * (matched by block number and short name, shapes checked), then compare the
 * output, the loss, ∇θ L for every tensor and ∇x L, each to 1e-10 relative
 * (max-norm error over the reference's max-norm). A gradient that is zero in
 * exact arithmetic (the bias before a batchnorm) is rounding noise in both
 * implementations: a tensor's max-norm is floored at 1e-5 of the case's largest
 * reference gradient entry, so it must agree to 1e-15 of that. */
#include "test.h"
#include "fixture.h"
#include "noether/model.h"
#include "noether/loss.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_TOL 1e-10

static double worst;          /* largest error seen over all cases */
static int nskipped;          /* cases whose block kind is not registered */
static char worst_what[160];

/* Splits s in place on blanks into argv (at most max). */
static int split_words(char *s, char **argv, int max)
{
	int n = 0;
	for (char *p = strtok(s, " \t"); p && n < max; p = strtok(NULL, " \t"))
		argv[n++] = p;
	return n;
}

static void compare(const char *cname, const char *what, const double *got, const struct fixture_tensor *want,
                    size_t n, double floor, double *case_worst)
{
	char msg[200];
	snprintf(msg, sizeof msg, "%s: %s has %zu values (fixture %zu)", cname, what, n, want ? want->size : 0);
	if (!CHECK(want && want->size == n, msg))
		return;
	double e = fixture_rel_err(got, want->v, n, floor);
	snprintf(msg, sizeof msg, "%s: %s rel err %.3g <= %g", cname, what, e, GOLDEN_TOL);
	if (!CHECK(e <= GOLDEN_TOL, msg))
		for (size_t i = 0; i < n && i < 8; i++)
			printf("    [%zu] got %.17g want %.17g\n", i, got[i], want->v[i]);
	if (!(e <= *case_worst))
		*case_worst = e;
	if (!(e <= worst)) {
		worst = e;
		snprintf(worst_what, sizeof worst_what, "%s: %s", cname, what);
	}
}

static void run_case(const struct fixture_case *c)
{
	char err[512] = "", msg[600];
	struct model *m = model_new();
	int lk = -1, ok = 1;
	for (int i = 0; i < c->ncmds && ok; i++) {
		char line[256], *argv[64];
		snprintf(line, sizeof line, "%s", c->cmd[i]);
		int argc = split_words(line, argv, 64);
		if (argc >= 2 && !strcmp(argv[0], "layer")) {
			if (!block_kind_find(argv[1])) {
				/* every fixture's block kind must exist: a missing one is a failure */
				snprintf(msg, sizeof msg, "%s: block kind '%s' is registered", c->name, argv[1]);
				CHECK(0, msg);
				nskipped++;
				model_free(m);
				return;
			}
			int rc = model_add(m, argv[1], argc - 2, argv + 2, err, sizeof err);
			snprintf(msg, sizeof msg, "%s: '%s': %s", c->name, c->cmd[i], rc ? err : "ok");
			ok = CHECK(rc == 0, msg);
		} else if (argc == 2 && !strcmp(argv[0], "loss")) {
			lk = loss_find(argv[1]);
			snprintf(msg, sizeof msg, "%s: known loss '%s'", c->name, argv[1]);
			ok = CHECK(lk >= 0, msg);
		} else {
			snprintf(msg, sizeof msg, "%s: unknown fixture command '%s'", c->name, c->cmd[i]);
			ok = CHECK(0, msg);
		}
	}
	snprintf(msg, sizeof msg, "%s: has a loss", c->name);
	if (!ok || !CHECK(lk >= 0, msg)) {
		model_free(m);
		return;
	}
	struct shape in = { c->in_len, c->in_width };
	/* workspace for more samples than used: a block must honour n, not max_batch */
	int rc = model_build(m, in, c->batch + 3, err, sizeof err);
	snprintf(msg, sizeof msg, "%s: build: %s", c->name, rc ? err : "ok");
	if (!CHECK(rc == 0, msg)) {
		model_free(m);
		return;
	}
	double *theta = calloc(m->nparams + 1, sizeof *theta);
	double *grad = calloc(m->nparams + 1, sizeof *grad);
	/* parameters: every block tensor must be in the fixture with its shape,
	 * and every fixture parameter must be used */
	int nfix = 0, nused = 0;
	for (int t = 0; t < c->ntensors; t++)
		nfix += !strncmp(c->t[t].name, "param.", 6);
	for (int b = 0; b < m->nblocks; b++)
		for (int t = 0; t < m->blocks[b].ntensors; t++) {
			const struct tensor_view *v = &m->blocks[b].tensors[t];
			char name[96];
			snprintf(name, sizeof name, "param.%d.%s", b + 1, v->short_name);
			const struct fixture_tensor *ft = fixture_tensor(c, name);
			int same = ft && ft->ndim == v->ndim && ft->size == v->size;
			for (int k = 0; same && k < v->ndim; k++)
				same = ft->dim[k] == v->dim[k];
			snprintf(msg, sizeof msg, "%s: fixture has %s with the block's shape", c->name, name);
			if (CHECK(same, msg)) {
				memcpy(theta + v->off, ft->v, v->size * sizeof *theta);
				nused++;
			}
		}
	snprintf(msg, sizeof msg, "%s: all %d fixture parameter tensors used (%d)", c->name, nfix, nused);
	CHECK(nfix == nused, msg);

	const struct fixture_tensor *x = fixture_tensor(c, "x"), *y = fixture_tensor(c, "y"),
	                            *lab = fixture_tensor(c, "labels");
	size_t nx = (size_t)c->batch * c->in_len * c->in_width;
	int R = c->batch * m->out.len, w = m->out.width;
	snprintf(msg, sizeof msg, "%s: input and targets present and sized", c->name);
	int tgt_ok = lk == LOSS_XENT ? lab && lab->size == (size_t)R
	           : y && y->size == (size_t)R * (lk == LOSS_MSE ? w : 1);
	if (!CHECK(x && x->size == nx && tgt_ok, msg)) {
		free(theta); free(grad); model_free(m);
		return;
	}
	int *labels = NULL;
	if (lab) {
		labels = calloc((size_t)R, sizeof *labels);
		for (int r = 0; r < R; r++)
			labels[r] = (int)lab->v[r];
	}
	double case_worst = 0;
	{	/* dirty every workspace first (a larger batch, other values): the real
		 * pass must not depend on what a previous pass left behind */
		int n2 = c->batch + 3;
		size_t nx2 = (size_t)n2 * c->in_len * c->in_width, nf2 = (size_t)n2 * m->out.len * w;
		double *x2 = malloc(nx2 * sizeof *x2), *dy2 = malloc(nf2 * sizeof *dy2);
		double *g2 = calloc(m->nparams + 1, sizeof *g2), *dx2 = malloc(nx2 * sizeof *dx2);
		for (size_t i = 0; i < nx2; i++)
			x2[i] = 2.0 * sin(1.0 + (double)i);
		for (size_t i = 0; i < nf2; i++)
			dy2[i] = cos((double)i);
		model_forward(m, theta, x2, n2);
		model_backward(m, theta, dy2, g2, dx2);
		free(x2); free(dy2); free(g2); free(dx2);
	}
	const double *f = model_forward(m, theta, x->v, c->batch);
	compare(c->name, "output f", f, fixture_tensor(c, "f"), (size_t)R * w, 1e-300, &case_worst);
	double *df = calloc((size_t)R * w, sizeof *df);
	double L = loss_eval(lk, f, R, w, y ? y->v : NULL, labels, df);
	compare(c->name, "loss", &L, fixture_tensor(c, "loss"), 1, 1e-300, &case_worst);
	double gfloor = 1e-300;   /* 1e-5 of the largest reference gradient entry */
	for (int t = 0; t < c->ntensors; t++)
		if (!strncmp(c->t[t].name, "grad.", 5))
			for (size_t i = 0; i < c->t[t].size; i++)
				if (1e-5 * fabs(c->t[t].v[i]) > gfloor)
					gfloor = 1e-5 * fabs(c->t[t].v[i]);
	double *dx = calloc(nx, sizeof *dx);
	model_backward(m, theta, df, grad, dx);
	for (int b = 0; b < m->nblocks; b++)
		for (int t = 0; t < m->blocks[b].ntensors; t++) {
			const struct tensor_view *v = &m->blocks[b].tensors[t];
			char name[96];
			snprintf(name, sizeof name, "grad.%d.%s", b + 1, v->short_name);
			compare(c->name, name, grad + v->off, fixture_tensor(c, name), v->size, gfloor, &case_worst);
		}
	compare(c->name, "dx", dx, fixture_tensor(c, "dx"), nx, 1e-300, &case_worst);
	/* backward ADDS into the gradient (and works without dx): a second pass
	 * with dx == NULL must leave exactly twice the reference */
	model_backward(m, theta, df, grad, NULL);
	double adds_worst = 0;
	for (int b = 0; b < m->nblocks; b++)
		for (int t = 0; t < m->blocks[b].ntensors; t++) {
			const struct tensor_view *v = &m->blocks[b].tensors[t];
			char name[96];
			snprintf(name, sizeof name, "grad.%d.%s", b + 1, v->short_name);
			const struct fixture_tensor *ft = fixture_tensor(c, name);
			if (!ft || ft->size != v->size)
				continue;
			for (size_t i = 0; i < v->size; i++)
				grad[v->off + i] *= 0.5;
			double e = fixture_rel_err(grad + v->off, ft->v, v->size, gfloor);
			adds_worst = e > adds_worst ? e : adds_worst;
		}
	snprintf(msg, sizeof msg, "%s: a second backward (dx = NULL) adds into the gradient (rel %.1e)", c->name, adds_worst);
	CHECK(adds_worst <= GOLDEN_TOL, msg);
	printf("  %-34s %3zu params  max rel err %.2e\n", c->name, m->nparams, case_worst);
	free(dx); free(df); free(labels); free(theta); free(grad);
	model_free(m);
}

/* The reader refuses malformed files with a message instead of crashing. */
static void check_reader(void)
{
	static const char *const bad[] = {
		"tensor x 1 2\n1 2\n",                                  /* outside a case */
		"case a\ninput 1 2\nbatch 1\ntensor x 1 3\n1 2\nend\n",  /* too few values */
		"case a\ninput 1 2\nbatch 1\ntensor x 1 2\n1 zz\nend\n", /* not a number */
		"case a\ninput 1 2\nbatch 1\ntensor x 4 1 1 1 1\nend\n",  /* ndim 4 */
		"case a\ninput 1 2\nbatch 1\ntensor x 1 -3\nend\n",       /* negative size */
		"case a\ninput 1 2\nbatch 1\n",                          /* no end */
		"case a\nend\n",                                          /* no shape */
		"case a\nfrobnicate\nend\n",                             /* unknown record */
		"case a\ninput 1 2\nbatch 1\ntensor x 1 2\n1 2 3\nend\n", /* extra value */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[256] = "", msg[320];
		FILE *fp = fmemopen((void *)bad[i], strlen(bad[i]), "r");
		struct fixture_file *f = fp ? fixture_read(fp, "bad", err, sizeof err) : NULL;
		snprintf(msg, sizeof msg, "malformed fixture %zu refused (%s)", i, err);
		CHECK(fp && !f && err[0], msg);
		fixture_free(f);
		if (fp)
			fclose(fp);
	}
	const char *good = "# c\ncase a\ncmd loss mse\ninput 2 1\nbatch 1\ntensor x 2 2 1\n1.5\n-2e-3\nend\n";
	char err[256] = "";
	FILE *fp = fmemopen((void *)good, strlen(good), "r");
	struct fixture_file *f = fp ? fixture_read(fp, "good", err, sizeof err) : NULL;
	const struct fixture_tensor *x = f && f->ncases == 1 ? fixture_tensor(&f->c[0], "x") : NULL;
	CHECK(x && x->size == 2 && x->v[0] == 1.5 && x->v[1] == -2e-3 && f->c[0].ncmds == 1, "well-formed fixture read");
	fixture_free(f);
	if (fp)
		fclose(fp);
}

int main(void)
{
	check_reader();
	char path[1024], err[1200], line[256];
	snprintf(path, sizeof path, "%s/golden.idx", fixture_dir());
	FILE *idx = fopen(path, "r");
	if (!CHECK(idx != NULL, "fixture index tests/fixtures/golden.idx opens (run from the source root)"))
		return test_summary("test_golden");
	int nfiles = 0, ncases = 0;
	while (fgets(line, sizeof line, idx)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		snprintf(path, sizeof path, "%s/%s", fixture_dir(), line);
		struct fixture_file *ff = fixture_load(path, err, sizeof err);
		if (!CHECK(ff != NULL, ff ? "" : err))
			continue;
		nfiles++;
		printf("%s\n", line);
		for (int i = 0; i < ff->ncases; i++, ncases++)
			run_case(&ff->c[i]);
		fixture_free(ff);
	}
	fclose(idx);
	CHECK(nfiles > 0 && ncases > 0, "at least one golden case was read");
	printf("%d files, %d cases (%d skipped); worst rel err %.2e (%s)\n", nfiles, ncases, nskipped, worst, worst_what);
	return test_summary("test_golden");
}
