/* test_gradcheck.c — finite-difference check of every block kind in the
 * registry and of every loss: ∇θ L and ∇x L from model_backward against
 * central differences.
 *
 * Method: step h_i = 1e-5·max(1,|θ_i|); central differences at h and h/2,
 * combined by Richardson extrapolation (error O(h^4), so rounding dominates).
 * A parameter's relative error is |an - fd| / max(|an|, |fd|, 1e-3·max|fd|)
 * and must be <= 1e-6 for every parameter and every input entry.
 * Kinks: the inputs of relu / leaky-relu blocks must be >= 1e-3 away from 0,
 * and the K-th and (K+1)-th gating logits of a top-k moe >= 1e-3 apart; kinks
 * inside a block (ffn act=relu, conv1d, relu inside residual) are caught by the
 * two step sizes disagreeing (a smooth function gives the same difference
 * quotient to ~1e-10). Either way the point is redrawn (at most 40 times).
 * Kinds come from block_kinds[] so a new block is checked automatically: its
 * cases from kind_cases.c, or a generic guess; a kind that cannot be built is
 * skipped with the reason printed. */
#include "test.h"
#include "kind_cases.h"
#include "noether/model.h"
#include "noether/loss.h"
#include "noether/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GC_TOL 1e-6
#define GC_KINK 1e-3
#define GC_TRIES 40

struct problem {
	struct model *m;
	enum loss_kind lk;
	double *theta, *x, *t, *df, *grad, *dx;
	int *labels;
	int n, R, w;
	size_t nx;
};

static double worst_all;

static double loss_at(struct problem *p)
{
	const double *f = model_forward(p->m, p->theta, p->x, p->n);
	return loss_eval(p->lk, f, p->R, p->w, p->t, p->labels, NULL);
}

/* Smallest gap, over rows, between the K-th and (K+1)-th largest gating logit
 * l = x W^T of a moe block with gate=topk:K (the selection's switching
 * surface); +inf for other gates. */
static double topk_gap(const struct block *b, const double *theta, const double *x, int n)
{
	char desc[256] = "";
	const char *g;
	const struct tensor_view *W = block_tensor(b, "W");
	if (!b->kind->describe || !W)
		return INFINITY;
	b->kind->describe(b, desc, sizeof desc);
	if (!(g = strstr(desc, "topk:")))
		return INFINITY;
	int K = atoi(g + 5), E = W->dim[0], d = W->dim[1], R = n * b->in.len;
	double gap = INFINITY, l[64];
	if (K < 1 || E > 64 || K >= E)
		return INFINITY;
	for (int r = 0; r < R; r++) {
		for (int e = 0; e < E; e++) {
			l[e] = 0;
			for (int j = 0; j < d; j++)
				l[e] += x[(size_t)r * d + j] * theta[W->off + (size_t)e * d + j];
		}
		for (int i = 1; i < E; i++)       /* insertion sort, descending */
			for (int j = i; j > 0 && l[j] > l[j - 1]; j--) {
				double t = l[j]; l[j] = l[j - 1]; l[j - 1] = t;
			}
		if (l[K - 1] - l[K] < gap)
			gap = l[K - 1] - l[K];
	}
	return gap;
}

/* Draws θ, x and targets; returns 0 if the point is clear of activation kinks. */
static int draw_point(struct problem *p, struct rng *r)
{
	struct init_spec spec = { INIT_NORMAL, 0.0, rng_next(r) };
	model_init(p->m, p->theta, &spec);
	for (size_t i = 0; i < p->m->nparams; i++)
		p->theta[i] += 0.3 * rng_normal(r);
	for (size_t i = 0; i < p->nx; i++)
		p->x[i] = rng_normal(r);
	for (int i = 0; i < p->R; i++) {
		p->labels[i] = (int)rng_below(r, (uint64_t)p->w);
		for (int j = 0; j < p->w; j++)
			p->t[(size_t)i * p->w + j] = p->lk == LOSS_MSE ? rng_normal(r) : (rng_uniform(r) < 0.5 ? -1.0 : 1.0);
	}
	model_forward(p->m, p->theta, p->x, p->n);
	for (int b = 0; b < p->m->nblocks; b++) {
		const struct block *bl = &p->m->blocks[b];
		const char *k = bl->kind->name;
		const double *in = b ? p->m->outs[b - 1] : p->x;
		size_t N = (size_t)p->n * bl->in.len * bl->in.width;
		if (!strcmp(k, "relu") || !strcmp(k, "leaky-relu")) {
			for (size_t i = 0; i < N; i++)
				if (fabs(in[i]) < GC_KINK)
					return -1;
		} else if (!strcmp(k, "moe") && topk_gap(bl, p->theta, in, p->n) < GC_KINK) {
			return -1;
		}
	}
	return 0;
}

/* Difference quotients of L in coordinate v[i] at steps h and h/2. */
static void quotients(struct problem *p, double *v, size_t i, double *q1, double *q2)
{
	double v0 = v[i], h = 1e-5 * (fabs(v0) > 1 ? fabs(v0) : 1);
	v[i] = v0 + h;       double a = loss_at(p);
	v[i] = v0 - h;       double b = loss_at(p);
	v[i] = v0 + h / 2;   double c = loss_at(p);
	v[i] = v0 - h / 2;   double d = loss_at(p);
	v[i] = v0;
	*q1 = (a - b) / (2 * h);
	*q2 = (c - d) / h;
}

/* Finite differences of all coordinates of v (n of them) into fd; returns -1 if
 * the function is not smooth at this point (a kink within the step). */
static int fd_vector(struct problem *p, double *v, size_t n, double *fd)
{
	double scale = 0;
	for (size_t i = 0; i < n; i++) {
		double q1, q2;
		quotients(p, v, i, &q1, &q2);
		fd[i] = (4 * q2 - q1) / 3;
		if (fabs(fd[i]) > scale)
			scale = fabs(fd[i]);
		if (fabs(q1 - q2) > 1e-7 * (1 + fabs(q2)))
			return -1;
	}
	return 0;
}

/* Max per-entry relative error (see the top comment); *where gets its index. */
static double compare(const double *an, const double *fd, size_t n, size_t *where, double *norm_err)
{
	double mx = 0, worst = 0, num = 0, den = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(fd[i]) > mx)
			mx = fabs(fd[i]);
	*where = 0;
	for (size_t i = 0; i < n; i++) {
		double s = fabs(an[i]) > fabs(fd[i]) ? fabs(an[i]) : fabs(fd[i]);
		if (s < 1e-3 * mx)
			s = 1e-3 * mx;
		if (s < 1e-14)
			s = 1e-14;
		double e = fabs(an[i] - fd[i]) / s;
		if (!(e <= worst)) {
			worst = isnan(e) ? INFINITY : e;
			*where = i;
		}
		num += (an[i] - fd[i]) * (an[i] - fd[i]);
		den += fd[i] * fd[i];
	}
	*norm_err = den > 0 ? sqrt(num / den) : sqrt(num);
	return worst;
}

/* Runs the check on a built model; label names the case in messages. */
static void check_model(struct model *m, enum loss_kind lk, int n, const char *label, unsigned long seed)
{
	struct problem p = { 0 };
	p.m = m;
	p.lk = lk;
	p.n = n;
	p.R = n * m->out.len;
	p.w = m->out.width;
	p.nx = (size_t)n * m->in.len * m->in.width;
	size_t np = m->nparams;
	p.theta = calloc(np + 1, sizeof(double));
	p.grad = calloc(np + 1, sizeof(double));
	p.x = calloc(p.nx, sizeof(double));
	p.dx = calloc(p.nx, sizeof(double));
	p.t = calloc((size_t)p.R * p.w, sizeof(double));
	p.df = calloc((size_t)p.R * p.w, sizeof(double));
	p.labels = calloc((size_t)p.R, sizeof(int));
	double *fdt = calloc(np + 1, sizeof(double)), *fdx = calloc(p.nx, sizeof(double));
	struct rng r;
	rng_seed(&r, seed);
	int tries = 0, ok = 0;
	for (; tries < GC_TRIES && !ok; tries++) {
		if (draw_point(&p, &r))
			continue;
		if (fd_vector(&p, p.theta, np, fdt) || fd_vector(&p, p.x, p.nx, fdx))
			continue;
		ok = 1;
	}
	char msg[400];
	snprintf(msg, sizeof msg, "%s: a smooth point found in %d draws", label, tries);
	if (!CHECK(ok, msg))
		goto out;
	const double *f = model_forward(m, p.theta, p.x, n);
	loss_eval(lk, f, p.R, p.w, p.t, p.labels, p.df);
	memset(p.grad, 0, np * sizeof(double));
	model_backward(m, p.theta, p.df, p.grad, p.dx);
	size_t wt = 0, wx = 0;
	double nt = 0, nxe = 0;
	double et = np ? compare(p.grad, fdt, np, &wt, &nt) : 0;
	double ex = compare(p.dx, fdx, p.nx, &wx, &nxe);
	char pname[128] = "-";
	if (np)
		model_param_name(m, wt, pname, sizeof pname);
	printf("  %-58s D=%-4zu θ: max %.1e norm %.1e  x: max %.1e norm %.1e%s\n", label, np, et, nt, ex, nxe,
	       tries > 1 ? "  (redrawn)" : "");
	snprintf(msg, sizeof msg, "%s: ∇θ rel err %.2e <= %g (worst at %s: analytic %.10g, fd %.10g)", label, et, GC_TOL,
	         pname, np ? p.grad[wt] : 0.0, np ? fdt[wt] : 0.0);
	CHECK(et <= GC_TOL, msg);
	snprintf(msg, sizeof msg, "%s: ∇x rel err %.2e <= %g (worst at x[%zu]: analytic %.10g, fd %.10g)", label, ex, GC_TOL,
	         wx, p.dx[wx], fdx[wx]);
	CHECK(ex <= GC_TOL, msg);
	/* a gradient that is identically zero would pass trivially: insist on signal */
	double gmax = 0;
	for (size_t i = 0; i < np; i++)
		gmax = fabs(p.grad[i]) > gmax ? fabs(p.grad[i]) : gmax;
	snprintf(msg, sizeof msg, "%s: gradient is not trivially zero", label);
	CHECK(np == 0 || gmax > 1e-8, msg);
	if (et > worst_all)
		worst_all = et;
	if (ex > worst_all)
		worst_all = ex;
out:
	free(fdt); free(fdx);
	free(p.theta); free(p.grad); free(p.x); free(p.dx); free(p.t); free(p.df); free(p.labels);
}

static enum loss_kind loss_for(const struct model *m)
{
	return !strcmp(m->blocks[m->nblocks - 1].kind->name, "head") ? LOSS_XENT : LOSS_MSE;
}

/* Tries to build `dense 3 → KIND ARGS → dense 2` with guessed ARGS: none, a
 * positional 3, then every option key set to 3, dropping keys one at a time
 * until the block accepts them. Checks the first that builds; returns 0, or -1
 * with the last error in err. */
static int try_generic(const struct block_kind *bk, const char *args, unsigned long seed, char *err, size_t len)
{
	char layer[256], desc[300], label[400];
	snprintf(layer, sizeof layer, "%s%s%s", bk->name, args[0] ? " " : "", args);
	struct kind_case kc;
	kind_case_generic(layer, &kc);
	struct model *m = model_new();
	int rc = kind_case_build(m, &kc, err, len);
	if (!rc) {
		kind_case_describe(&kc, desc, sizeof desc);
		snprintf(label, sizeof label, "%s [generic] %s", bk->name, desc);
		check_model(m, loss_for(m), kc.batch, label, seed);
	}
	model_free(m);
	return rc ? -1 : 0;
}

static int check_generic(const struct block_kind *bk, unsigned long seed, char *err, size_t len)
{
	if (!try_generic(bk, "", seed, err, len) || !try_generic(bk, "3", seed, err, len))
		return 0;
	const char *keys[16];   /* the kind's key=value options */
	int nk = 0;
	for (const struct opt_spec *o = bk->opts; o && o->key && nk < 16; o++)
		if (!(o->flags & OPTF_POSITIONAL) && o->type != OPT_FLAG)
			keys[nk++] = o->key;
	unsigned drop = 0;   /* bit i: option i left out */
	for (int round = 0; round <= nk; round++) {
		for (int skip = -1; skip < nk; skip++) {
			if (skip >= 0 && (drop >> skip & 1))
				continue;
			char args[256] = "";
			for (int i = 0; i < nk; i++)
				if (!(drop >> i & 1) && i != skip)
					snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s=3", args[0] ? " " : "", keys[i]);
			if (!try_generic(bk, args, seed, err, len))
				return 0;
		}
		/* drop the first option named in the error, else the first remaining one */
		int d = -1;
		for (int i = 0; i < nk && d < 0; i++)
			if (!(drop >> i & 1) && strstr(err, keys[i]))
				d = i;
		for (int i = 0; i < nk && d < 0; i++)
			if (!(drop >> i & 1))
				d = i;
		if (d < 0)
			break;
		drop |= 1u << d;
	}
	return -1;
}

static void check_kinds(void)
{
	int nkinds = 0, nskip = 0;
	for (int k = 0; block_kinds[k]; k++, nkinds++) {
		const char *name = block_kinds[k]->name;
		const struct kind_case *list[16];
		int nc = kind_cases_for(name, list, 16);
		char err[512] = "", label[300], desc[256];
		if (nc == 0) {
			/* unknown to the table: guess options from the kind's own option list */
			if (check_generic(block_kinds[k], 7000 + (unsigned long)k, err, sizeof err)) {
				printf("  SKIP %s: no test case in kind_cases.c and no generic guess builds (%s)\n", name, err);
				nskip++;
			}
			continue;
		}
		for (int c = 0; c < nc; c++) {
			struct model *m = model_new();
			kind_case_describe(list[c], desc, sizeof desc);
			snprintf(label, sizeof label, "%s: %s", name, desc);
			int rc = kind_case_build(m, list[c], err, sizeof err);
			char msg[900];
			snprintf(msg, sizeof msg, "%s builds (%s)", label, rc ? err : "ok");
			if (CHECK(rc == 0, msg))
				check_model(m, loss_for(m), list[c]->batch, label, 1000 + 31 * (unsigned long)k + (unsigned long)c);
			model_free(m);
		}
	}
	printf("%d block kinds in the registry, %d skipped\n", nkinds, nskip);
	CHECK(nkinds >= 8, "the registry lists the basic block kinds");
}

static void check_losses(void)
{
	for (int k = 0; loss_names[k]; k++) {
		int w = k == LOSS_MSE ? 2 : k == LOSS_XENT ? 3 : 1;
		char layer[32], err[512] = "", label[128];
		snprintf(layer, sizeof layer, "dense %d", w);
		struct kind_case kc = { loss_names[k], { "dense 4", "tanh", layer, NULL }, 1, 3, 5 };
		struct model *m = model_new();
		int rc = kind_case_build(m, &kc, err, sizeof err);
		snprintf(label, sizeof label, "loss %s: dense 4 | tanh | %s", loss_names[k], layer);
		if (CHECK(rc == 0, label))
			check_model(m, (enum loss_kind)k, kc.batch, label, 500 + (unsigned long)k);
		model_free(m);

		/* ∂L/∂f directly, including large margins (stable forms) */
		double f[12], t[12], df[12];
		int lab[4] = { 0, 2, 1, 2 };
		int R = 4;
		struct rng r;
		rng_seed(&r, 900 + (unsigned long)k);
		for (int i = 0; i < R * w; i++) {
			f[i] = 3 * rng_normal(&r);
			t[i] = k == LOSS_MSE ? rng_normal(&r) : (i % 2 ? 1.0 : -1.0);
		}
		if (k == LOSS_LOGISTIC)
			f[0] = 30.0, f[1] = 30.0;   /* margin -30 and +30 */
		loss_eval((enum loss_kind)k, f, R, w, t, lab, df);
		double worst = 0;
		for (int i = 0; i < R * w; i++) {
			double h = 1e-5 * (fabs(f[i]) > 1 ? fabs(f[i]) : 1), f0 = f[i];
			f[i] = f0 + h; double a = loss_eval((enum loss_kind)k, f, R, w, t, lab, NULL);
			f[i] = f0 - h; double b = loss_eval((enum loss_kind)k, f, R, w, t, lab, NULL);
			f[i] = f0;
			double fd = (a - b) / (2 * h), s = fabs(fd) > 1e-6 ? fabs(fd) : 1e-6;
			double e = fabs(fd - df[i]) / s;
			worst = e > worst ? e : worst;
		}
		snprintf(label, sizeof label, "loss %s: dL/df matches differences (rel %.1e)", loss_names[k], worst);
		CHECK(worst < 1e-6, label);
		printf("  %s\n", label);
	}
}

int main(void)
{
	printf("block kinds (registry order):\n");
	check_kinds();
	printf("losses:\n");
	check_losses();
	printf("worst relative error %.2e (tolerance %g)\n", worst_all, GC_TOL);
	return test_summary("test_gradcheck");
}
