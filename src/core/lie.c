/* lie.c — numerical counting (Lie rank of the gradient fields) and discovery
 * (null space of the degree-<=2 law equations) of conservation laws.
 *
 * Invariants:
 *  - A field family is only ever touched through struct lie_fields; field k is
 *    a fixed function of θ, so brackets of fields can be differentiated.
 *  - Brackets are right-nested monomials [X_a,[X_b,...,X_z]] of fresh random
 *    fields; their Jacobian-vector products are central differences with
 *    Richardson extrapolation, each checked against the half-order estimate at
 *    twice the step. An inconsistent difference (a kink crossed) never becomes
 *    a direction: the candidate is dropped.
 *  - Candidate values are normalised by the sum of the norms of their two
 *    bracket terms (not by their own norm), so a bracket that cancels to
 *    rounding noise stays noise and cannot pose as a new direction.
 *  - The law search works in a basis free of identities: for a tensor with k
 *    axes the k axis-Gram traces all equal ||T||², so one diagonal entry of each
 *    axis >= 1 is left out of the system (and re-used only for display).
 * Nothing here prints; results go to structs, messages to caller buffers. */
#include "noether/lie.h"
#include "noether/linalg.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info);

static double nrm2(size_t n, const double *x)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

static uint64_t mix_seed(unsigned long seed, long k)
{
	return (uint64_t)seed * 0x9E3779B97F4A7C15ULL + (uint64_t)k * 0xBF58476D1CE4E5B9ULL + 0x94D049BB133111EBULL;
}

static int all_finite(size_t n, const double *x)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ generators */

struct lie_gen {
	struct model *m;
	size_t D;
	int family;
	unsigned long seed;
	double xscale;
	int center;
	size_t insz, outsz;
	double *x, *c;
	/* family */
	enum loss_kind loss;
	int nz;
	lie_sample_fn sample;
	void *sctx;
	long ncache;
	struct dataset **zs;
	double **ts;
	double *df;
	size_t dfcap;
	char err[256];
};

static int gen_outputs_eval(void *ctx, long k, const double *theta, double *out)
{
	struct lie_gen *g = ctx;
	struct rng r;
	rng_seed(&r, mix_seed(g->seed, k));
	/* a log-uniform radius in [e^-1, e^3.5] × xscale: every ReLU kink (|b_j| vs
	 * |w_j·x|) is crossed by some sample, so rare activation patterns are seen */
	double rad = g->xscale * exp(-1.0 + 4.5 * rng_uniform(&r));
	for (size_t i = 0; i < g->insz; i++)
		g->x[i] = rad * rng_normal(&r);
	for (size_t i = 0; i < g->outsz; i++)
		g->c[i] = rng_normal(&r);
	if (g->center) {   /* zero-sum rows: the directions ∂ℓ/∂f of a shift-invariant loss */
		int w = g->m->out.width;
		for (size_t row = 0; row + (size_t)w <= g->outsz; row += (size_t)w) {
			double mean = 0;
			for (int j = 0; j < w; j++)
				mean += g->c[row + j] / w;
			for (int j = 0; j < w; j++)
				g->c[row + j] -= mean;
		}
	}
	model_forward(g->m, theta, g->x, 1);
	memset(out, 0, g->D * sizeof *out);
	model_backward(g->m, theta, g->c, out, NULL);
	return 0;
}

static int gen_family_eval(void *ctx, long k, const double *theta, double *out)
{
	struct lie_gen *g = ctx;
	if (k < 0)
		return nt_err(g->err, sizeof g->err, NT_EINVAL, "negative field index");
	if (k >= g->ncache) {
		long nc = g->ncache ? g->ncache : 64;
		while (nc <= k)
			nc *= 2;
		g->zs = xrealloc(g->zs, (size_t)nc * sizeof *g->zs);
		g->ts = xrealloc(g->ts, (size_t)nc * sizeof *g->ts);
		for (long i = g->ncache; i < nc; i++) {
			g->zs[i] = NULL;
			g->ts[i] = NULL;
		}
		g->ncache = nc;
	}
	struct model *m = g->m;
	int w = m->out.width;
	if (!g->zs[k]) {
		struct dataset *z = g->sample(g->sctx, k, g->nz, g->err, sizeof g->err);
		if (!z)
			return NT_EINVAL;
		if (z->n > m->max_batch || z->len != m->in.len || z->d_in != m->in.width || z->out_len != m->out.len) {
			data_free(z);
			return nt_err(g->err, sizeof g->err, NT_EINVAL,
			              "sampled data set does not fit the model (n=%d, len=%d, width=%d)", z->n, z->len, z->d_in);
		}
		double *t = NULL;
		int rc = loss_targets(g->loss, z, w, &t, g->err, sizeof g->err);
		if (rc) {
			data_free(z);
			return rc;
		}
		g->zs[k] = z;
		g->ts[k] = t;
	}
	const struct dataset *z = g->zs[k];
	int R = z->n * m->out.len;
	size_t need = (size_t)R * (size_t)w;
	if (need > g->dfcap) {
		g->df = xrealloc(g->df, need * sizeof *g->df);
		g->dfcap = need;
	}
	const double *f = model_forward(m, theta, z->x, z->n);
	loss_eval(g->loss, f, R, w, g->ts[k], z->label, g->df);
	memset(out, 0, g->D * sizeof *out);
	model_backward(m, theta, g->df, out, NULL);
	return 0;
}

static struct lie_gen *gen_new(struct model *m)
{
	struct lie_gen *g = xcalloc(1, sizeof *g);
	g->m = m;
	g->D = m->nparams;
	g->insz = (size_t)m->in.len * (size_t)m->in.width;
	g->outsz = (size_t)m->out.len * (size_t)m->out.width;
	g->x = xcalloc(g->insz + 1, sizeof(double));
	g->c = xcalloc(g->outsz + 1, sizeof(double));
	return g;
}

struct lie_gen *lie_gen_outputs(struct model *m, unsigned long seed, double xscale, int center)
{
	struct lie_gen *g = gen_new(m);
	g->center = center;
	g->seed = seed;
	g->xscale = xscale > 0 ? xscale : 1.0;
	return g;
}

struct lie_gen *lie_gen_family(struct model *m, enum loss_kind loss, int n_per_set,
                               lie_sample_fn sample, void *sctx)
{
	struct lie_gen *g = gen_new(m);
	g->family = 1;
	g->loss = loss;
	g->nz = n_per_set > 0 ? n_per_set : 1;
	g->sample = sample;
	g->sctx = sctx;
	return g;
}

void lie_gen_free(struct lie_gen *g)
{
	if (!g)
		return;
	for (long i = 0; i < g->ncache; i++) {
		data_free(g->zs[i]);
		free(g->ts[i]);
	}
	free(g->zs);
	free(g->ts);
	free(g->df);
	free(g->x);
	free(g->c);
	free(g);
}

struct lie_fields lie_gen_fields(struct lie_gen *g)
{
	struct lie_fields f = { g->D, g->family ? gen_family_eval : gen_outputs_eval, g };
	return f;
}

const char *lie_gen_error(const struct lie_gen *g)
{
	return g->err;
}

/* Default family sampler: regenerate the base kind with a fresh seed and n
 * samples; fall back to random rows of the base set. Targets are random. */
struct dataset *lie_family_sample(void *ctx, long k, int n_hint, char *err, size_t len)
{
	const struct lie_family *f = ctx;
	const struct dataset *b = f->base;
	struct rng r;
	rng_seed(&r, mix_seed(f->seed + 7919, k));
	int n = n_hint > 0 ? n_hint : 1;
	struct dataset *z = NULL;
	char buf[sizeof b->desc], *argv[40], nb[32], sb[32];
	str_copy(buf, b->desc, sizeof buf);
	int argc = 0;
	char *save = NULL;
	char *tok = strtok_r(buf, " ", &save); /* kind */
	while (tok && (tok = strtok_r(NULL, " ", &save)) && argc < 36)
		if (strncmp(tok, "n=", 2) && strncmp(tok, "seed=", 5))
			argv[argc++] = tok;
	snprintf(nb, sizeof nb, "n=%d", n);
	snprintf(sb, sizeof sb, "seed=%lu", (unsigned long)(rng_next(&r) % 0x7fffffffUL));
	argv[argc++] = nb;
	argv[argc++] = sb;
	char e2[256];
	z = b->kind[0] ? data_generate(b->kind, argc, argv, e2, sizeof e2) : NULL;
	if (z && (z->n != n || z->len != b->len || z->d_in != b->d_in || z->out_len != b->out_len ||
	          z->d_out != b->d_out || z->n_classes != b->n_classes)) {
		data_free(z);
		z = NULL;
	}
	if (!z) {
		if (b->n < 1) {
			nt_err(err, len, NT_ESTATE, "no base data set to sample from");
			return NULL;
		}
		z = xcalloc(1, sizeof *z);
		str_copy(z->kind, b->kind, sizeof z->kind);
		z->n = n; z->len = b->len; z->d_in = b->d_in; z->out_len = b->out_len;
		z->d_out = b->d_out; z->n_classes = b->n_classes; z->orbit = 1;
		size_t row = (size_t)b->len * b->d_in;
		z->x = xmalloc((size_t)n * row * sizeof(double));
		for (int i = 0; i < n; i++) {
			size_t src = (size_t)rng_below(&r, (uint64_t)b->n);
			memcpy(z->x + i * row, b->x + src * row, row * sizeof(double));
		}
		if (b->d_out > 0)
			z->y = xcalloc((size_t)n * b->out_len * b->d_out, sizeof(double));
		if (b->n_classes > 0)
			z->label = xcalloc((size_t)n * b->out_len, sizeof(int));
	}
	if (z->y)
		for (size_t i = 0; i < (size_t)z->n * z->out_len * z->d_out; i++)
			z->y[i] = rng_normal(&r);
	if (z->label)
		for (size_t i = 0; i < (size_t)z->n * z->out_len; i++)
			z->label[i] = (int)rng_below(&r, (uint64_t)(z->n_classes > 0 ? z->n_classes : 2));
	if (f->augment && f->augment(f->actx, z, err, len)) {
		data_free(z);
		return NULL;
	}
	return z;
}

/* ------------------------------------------------------------------ counting */

struct cctx {
	const struct lie_fields *F;
	size_t D;
	double sigma;
	long evals;
};

/* Finite-difference step (relative to the parameter scale) used to
 * differentiate an expression of the given bracket depth: deeper expressions
 * carry more rounding noise, so they take longer steps. */
static double fd_step(int depth)
{
	static const double steps[] = { 1e-4, 1e-3, 4e-3, 1.5e-2, 4e-2, 8e-2, 1.5e-1 };
	return steps[depth < 6 ? depth : 6];
}

static int eval_expr(struct cctx *c, const long *g, int depth, const double *th, double *out, double *scale);

/* out = J_E(θ) v for expression E = (g, depth): Richardson-extrapolated central
 * differences; returns 1 when the two step sizes disagree (kink), 0 ok. fnorm
 * is ||E(θ)|| (the scale against which disagreement is judged). */
static int dir_deriv(struct cctx *c, const long *g, int depth, const double *th, const double *v,
                     double fnorm, double *out)
{
	size_t D = c->D;
	double n = nrm2(D, v);
	if (n == 0) {
		memset(out, 0, D * sizeof *out);
		return 0;
	}
	double h = fd_step(depth) * c->sigma;
	double *pt = xmalloc(5 * D * sizeof *pt), *fp = pt + D, *fm = fp + D, *gp = fm + D, *gm = gp + D;
	double sc;
	int rc = 0;
	const double mult[4] = { 1, -1, 2, -2 };
	double *dst[4] = { fp, fm, gp, gm };
	for (int s = 0; s < 4 && !rc; s++) {
		for (size_t i = 0; i < D; i++)
			pt[i] = th[i] + mult[s] * h * v[i] / n;
		rc = eval_expr(c, g, depth, pt, dst[s], &sc);
	}
	if (!rc) {
		double diff = 0, d1n = 0;
		for (size_t i = 0; i < D; i++) {
			double d1 = (fp[i] - fm[i]) / (2 * h), d2 = (gp[i] - gm[i]) / (4 * h);
			diff += (d1 - d2) * (d1 - d2);
			d1n += d1 * d1;
			out[i] = n * (4 * d1 - d2) / 3;
		}
		if (sqrt(diff) > 1e-3 * (sqrt(d1n) + fnorm / c->sigma))
			rc = 1;
	}
	free(pt);
	return rc;
}

/* Value at θ of the right-nested bracket [X_g0,[X_g1,...,X_gdepth]]. *scale
 * gets the size of the terms it is made of. Returns 0, 1 (FD inconsistent or
 * non-finite) or a negative generator error. */
static int eval_expr(struct cctx *c, const long *g, int depth, const double *th, double *out, double *scale)
{
	size_t D = c->D;
	if (depth == 0) {
		int rc = c->F->eval(c->F->ctx, g[0], th, out);
		c->evals++;
		if (rc)
			return rc;
		if (!all_finite(D, out))
			return 1;
		*scale = nrm2(D, out);
		return 0;
	}
	double *X = xmalloc(4 * D * sizeof *X), *E = X + D, *t1 = E + D, *t2 = t1 + D;
	double sx = 0, se = 0;
	int rc = eval_expr(c, g, 0, th, X, &sx);
	if (!rc)
		rc = eval_expr(c, g + 1, depth - 1, th, E, &se);
	if (!rc)
		rc = dir_deriv(c, g + 1, depth - 1, th, X, nrm2(D, E), t1);  /* J_E X */
	if (!rc)
		rc = dir_deriv(c, g, 0, th, E, sx, t2);                       /* J_X E */
	if (!rc) {
		for (size_t i = 0; i < D; i++)
			out[i] = t1[i] - t2[i];
		*scale = nrm2(D, t1) + nrm2(D, t2);
	}
	free(X);
	return rc;
}

/* Removes from v its components along the r orthonormal rows of Q (twice, for
 * stability); returns the norm of what is left. */
static double project_out(const double *Q, int r, size_t D, double *v)
{
	for (int pass = 0; pass < 2; pass++)
		for (int j = 0; j < r; j++) {
			const double *q = Q + (size_t)j * D;
			double d = dot((int)D, q, v);
			axpy((int)D, -d, q, v);
		}
	return nrm2(D, v);
}

void lie_count_defaults(struct lie_count_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_level = 4;
	o->patience = 12;
	o->gap_min = 1e3;
}

/* Relative residual above which a candidate is a new direction, per level:
 * level-0 values are exact gradients (noise ~1e-15), each bracket level adds
 * finite-difference noise. */
static double level_tol(int d)
{
	static const double tol[] = { 1e-8, 1e-6, 1e-5, 1e-4, 3e-4, 1e-3 };
	return tol[d < 5 ? d : 5];
}

static void sv_window(const double *s, int n, int r, int *first, int *nsv, double *out)
{
	int lo = r - LIE_NSV + 1 > 0 ? r - LIE_NSV + 1 : 0;   /* 0-based index of σ_{lo+1} */
	int hi = r + LIE_NSV < n ? r + LIE_NSV : n;
	*first = lo + 1;
	*nsv = hi - lo;
	for (int i = lo; i < hi; i++)
		out[i - lo] = s[i];
}

int lie_count(const struct lie_fields *F, const double *theta, const struct lie_count_opts *o,
              struct lie_count_result *res, char *err, size_t len)
{
	struct lie_count_opts def;
	if (!o) {
		lie_count_defaults(&def);
		o = &def;
	}
	size_t D = F->D;
	memset(res, 0, sizeof *res);
	res->D = D;
	double t0 = now_seconds();
	struct cctx c = { F, D, nrm2(D, theta), 0 };
	if (!(c.sigma > 0) || !isfinite(c.sigma))
		c.sigma = 1.0;
	int maxlev = o->max_level > 0 ? o->max_level : 4;
	if (maxlev >= LIE_MAX_LEVELS)
		maxlev = LIE_MAX_LEVELS - 1;
	int patience = o->patience > 0 ? o->patience : 12;
	double gap_min = o->gap_min > 0 ? o->gap_min : 1e3;
	int scap = (int)(4 * D + 64);
	double *Q = xmalloc((D * D + 1) * sizeof *Q);
	double *S = xmalloc(((size_t)scap * D + 1) * sizeof *S);
	double *v = xmalloc((D + 1) * sizeof *v), *w = xmalloc((D + 1) * sizeof *w);
	int r = 0, ns = 0, rc = 0, timed_out = 0;
	long k = 0;
	long gens[LIE_MAX_LEVELS + 1];
	for (int d = 0; d <= maxlev && r < (int)D; d++) {
		struct lie_level *lv = &res->lv[res->nlevels++];
		lv->level = d;
		lv->tol = level_tol(d);
		lv->acc_min = 1;
		lv->rej_max = 0;
		int run = 0, tries = 0, maxtries = (int)(4 * D) + 100;
		while (run < patience && r < (int)D && tries < maxtries) {
			if (o->interrupt && *o->interrupt) {
				rc = nt_err(err, len, NT_EINTR, "laws count: interrupted");
				goto done;
			}
			if (o->time_limit > 0 && now_seconds() - t0 > o->time_limit) {
				timed_out = 1;
				res->uncertain = 1;
				lv->uncertain = 1;
				goto finish;
			}
			tries++;
			for (int i = 0; i <= d; i++)
				gens[i] = k++;
			double sc = 0;
			int e = eval_expr(&c, gens, d, theta, v, &sc);
			if (e < 0) {
				rc = e;
				nt_err(err, len, e, "laws count: the field generator failed");
				goto done;
			}
			if (e == 1) {
				/* dropped, not evidence of stagnation; too many drops end the level as uncertain */
				if (++lv->rejected_fd > 3 * patience) {
					lv->uncertain = 1;
					break;
				}
				continue;
			}
			lv->tried++;
			if (!(sc > 0)) {
				run++;
				continue;
			}
			for (size_t i = 0; i < D; i++)
				v[i] /= sc;
			if (ns < scap)
				memcpy(S + (size_t)ns++ * D, v, D * sizeof *v);
			memcpy(w, v, D * sizeof *v);
			double rn = project_out(Q, r, D, w);
			if (rn > lv->tol) {
				for (size_t i = 0; i < D; i++)
					w[i] /= rn;
				/* one more pass against Q after normalising keeps Q orthonormal */
				double rn2 = project_out(Q, r, D, w);
				for (size_t i = 0; i < D; i++)
					w[i] /= rn2;
				memcpy(Q + (size_t)r * D, w, D * sizeof *w);
				r++;
				lv->accepted++;
				if (rn < lv->acc_min)
					lv->acc_min = rn;
				run = 0;
			} else {
				if (rn > lv->rej_max)
					lv->rej_max = rn;
				run++;
			}
		}
		lv->rank = r;
		lv->gap = lv->accepted && lv->rej_max > 0 ? lv->acc_min / lv->rej_max : INFINITY;
		if (lv->accepted && lv->rej_max > 0 && lv->gap < gap_min)
			lv->uncertain = 1;
		if (!lv->accepted && lv->rej_max > 0 && lv->tol / lv->rej_max < 10)
			lv->uncertain = 1;  /* the largest rejected residual sits just under the threshold */
		if (lv->uncertain)
			res->uncertain = 1;
		if (lv->accepted == 0 && d > 0)
			break;
		if (r == 0)
			break;             /* every field vanishes at θ: so do their brackets */
		if (d == maxlev && lv->accepted > 0 && r < (int)D) {
			res->saturated = 1;
			res->uncertain = 1;
		}
	}
finish:
	res->rank = res->rank_incremental = r;
	res->upper = (int)D - r;
	if (ns > 0) {
		/* The level-by-level thresholds judge one candidate at a time against
		 * the directions accepted so far, so a finite-difference bracket just
		 * above its level's tolerance can slip in. The singular values of all
		 * candidates together are the better witness: when their largest gap is
		 * clear it decides the rank, and the level flags become informational. */
		int mn = ns < (int)D ? ns : (int)D;
		double *s = xmalloc((size_t)mn * sizeof *s);
		if (!svd_values(ns, (int)D, S, s)) {
			int best = 0;
			double best_gap = 0;
			for (int i = 1; i < mn; i++) {
				double g = s[i] > 0 ? s[i - 1] / s[i] : INFINITY;
				if (s[i - 1] > 1e-14 * s[0] && g > best_gap) {
					best_gap = g;
					best = i;
				}
			}
			/* all candidates independent: no gap inside, the smallest far from noise */
			if (mn > 0 && s[mn - 1] > 1e-6 * s[0] && best_gap < gap_min) {
				best = mn;
				best_gap = INFINITY;
			}
			if (best_gap >= gap_min && best != r && best >= 1) {
				r = best;
				res->revised = 1;
				res->rank = r;
				res->upper = (int)D - r;
			}
			sv_window(s, mn, r, &res->sv_first, &res->nsv, res->sv);
			res->sv_gap = r >= mn ? INFINITY : r == 0 ? 0 : s[r] > 0 ? s[r - 1] / s[r] : INFINITY;
			if (r < mn && r > 0 && res->sv_gap < gap_min)
				res->uncertain = 1;
			else if (!res->saturated && !timed_out)
				res->uncertain = 0;
		}
		free(s);
	}
done:
	res->field_evals = c.evals;
	res->seconds = now_seconds() - t0;
	free(Q);
	free(S);
	free(v);
	free(w);
	return rc;
}

/* ------------------------------------------------------------------ lower bound */

int lie_grad_rank(struct quantity *const *q, int nq, const double *theta, size_t D, struct lie_rank *r)
{
	memset(r, 0, sizeof *r);
	int rows = 0;
	for (int i = 0; i < nq; i++)
		rows += q[i]->ncomp;
	r->nrows = rows;
	r->gap = INFINITY;
	if (!rows || !D)
		return 0;
	double *G = xcalloc((size_t)rows * D, sizeof *G);
	int k = 0;
	for (int i = 0; i < nq; i++)
		for (int j = 0; j < q[i]->ncomp; j++) {
			double *g = G + (size_t)k * D;
			quantity_comp_grad(q[i], j, theta, 1.0, g);
			double n = nrm2(D, g);
			if (n > 0) {
				for (size_t t = 0; t < D; t++)
					g[t] /= n;
				k++;
			} else {
				memset(g, 0, D * sizeof *g);
			}
		}
	if (!k) {
		free(G);
		return 0;
	}
	int mn = k < (int)D ? k : (int)D;
	double *s = xmalloc((size_t)mn * sizeof *s);
	int rc = svd_values(k, (int)D, G, s);
	if (!rc) {
		int rank = 0;
		while (rank < mn && s[rank] > 1e-9 * s[0])
			rank++;
		r->rank = rank;
		r->gap = rank < mn ? (s[rank] > 0 ? s[rank - 1] / s[rank] : INFINITY) : INFINITY;
		r->uncertain = r->gap < 1e3;
		sv_window(s, mn, rank, &r->sv_first, &r->nsv, r->sv);
	}
	free(s);
	free(G);
	return rc ? NT_EINVAL : 0;
}

/* ------------------------------------------------------------------ discovery */

/* One axis of one tensor: off[a*rest + t] is the θ index of the t-th entry
 * whose index along the axis is a. */
struct taxis {
	const struct tensor_view *tv;
	int axis, n, rest;
	size_t *off;
};

/* An unknown coefficient: a linear term θ_i, or the Gram entry (a,b) of an axis. */
struct unk {
	int lin;
	size_t i;
	int ax;          /* index into the taxis table */
	int a, b;
	int dropped;     /* identity-redundant: kept out of the system */
	int col;         /* column in the system, -1 if dropped */
};

static void taxis_fill(struct taxis *t, const struct tensor_view *tv, int axis)
{
	int dims[3] = { tv->dim[0], tv->ndim > 1 ? tv->dim[1] : 1, tv->ndim > 2 ? tv->dim[2] : 1 };
	t->tv = tv;
	t->axis = axis;
	t->n = dims[axis];
	t->rest = (int)(tv->size / (size_t)t->n);
	t->off = xmalloc(tv->size * sizeof *t->off);
	int *cnt = xcalloc((size_t)t->n, sizeof *cnt);
	size_t f = 0;
	for (int i0 = 0; i0 < dims[0]; i0++)
		for (int i1 = 0; i1 < dims[1]; i1++)
			for (int i2 = 0; i2 < dims[2]; i2++, f++) {
				int idx[3] = { i0, i1, i2 };
				int a = idx[axis];
				t->off[(size_t)a * t->rest + cnt[a]++] = tv->off + f;
			}
	free(cnt);
}

struct strbuf { char *s; size_t n, cap; };

static void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->n;
		va_start(ap, fmt);
		int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (w < 0)
			return;
		if (b->s && (size_t)w < room) {
			b->n += (size_t)w;
			return;
		}
		b->cap = (b->cap + (size_t)w + 64) * 2;
		b->s = xrealloc(b->s, b->cap);
		if (b->n == 0)
			b->s[0] = 0;
	}
}

static void index_text(const struct tensor_view *tv, size_t flat, char *buf, size_t len)
{
	size_t rel = flat - tv->off;
	if (tv->ndim == 1)
		snprintf(buf, len, "[%zu]", rel);
	else if (tv->ndim == 2)
		snprintf(buf, len, "[%zu,%zu]", rel / (size_t)tv->dim[1], rel % (size_t)tv->dim[1]);
	else
		snprintf(buf, len, "[%zu,%zu,%zu]", rel / ((size_t)tv->dim[1] * tv->dim[2]),
		         rel / (size_t)tv->dim[2] % (size_t)tv->dim[1], rel % (size_t)tv->dim[2]);
}

static void slice_text(const struct taxis *t, int a, char *buf, size_t len)
{
	int nd = t->tv->ndim;
	if (nd == 1)
		snprintf(buf, len, "%s[%d]", t->tv->name, a);
	else if (nd == 2)
		snprintf(buf, len, t->axis == 0 ? "%s[%d,:]" : "%s[:,%d]", t->tv->name, a);
	else
		snprintf(buf, len, t->axis == 0 ? "%s[%d,:,:]" : t->axis == 1 ? "%s[:,%d,:]" : "%s[:,:,%d]", t->tv->name, a);
}

static void coef_text(struct strbuf *b, double c, int first)
{
	double a = fabs(c);
	const char *sign = c < 0 ? (first ? "-" : " - ") : (first ? "" : " + ");
	double ra = round(a);
	if (fabs(a - 1) < 1e-6)
		sb_printf(b, "%s", sign);
	else if (fabs(a - ra) < 1e-6 * (ra > 1 ? ra : 1))
		sb_printf(b, "%s%.0f ", sign, ra);
	else
		sb_printf(b, "%s%.4g ", sign, a);
}

void lie_find_defaults(struct lie_find_opts *o)
{
	memset(o, 0, sizeof *o);
	o->degree = 2;
	o->points = 0;
	o->max_unknowns = 4000;
}

void lie_find_result_free(struct lie_find_result *r)
{
	for (int i = 0; i < r->nlaws; i++) {
		quantity_free(r->laws[i]);
		free(r->text[i]);
	}
	free(r->laws);
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* Weighted-median shift: minimises Σ|v_u + λ t_u| over λ for t_u in {0,±1}. */
static double l1_shift(const double *v, const double *t, int n)
{
	int m = 0;
	for (int u = 0; u < n; u++)
		m += t[u] != 0;
	if (!m)
		return 0;
	double *z = xmalloc((size_t)m * sizeof *z);
	m = 0;
	for (int u = 0; u < n; u++)
		if (t[u] != 0)
			z[m++] = -v[u] * t[u];
	/* insertion sort: m is a few hundred at most */
	for (int i = 1; i < m; i++) {
		double x = z[i];
		int j = i - 1;
		while (j >= 0 && z[j] > x) {
			z[j + 1] = z[j];
			j--;
		}
		z[j + 1] = x;
	}
	double med = z[m / 2];
	free(z);
	return med;
}

int lie_find(const struct model *m, const struct lie_fields *F, const struct lie_find_opts *o,
             struct lie_find_result *res, char *err, size_t len)
{
	struct lie_find_opts def;
	if (!o) {
		lie_find_defaults(&def);
		o = &def;
	}
	memset(res, 0, sizeof *res);
	double t0 = now_seconds();
	size_t D = F->D;
	int degree = o->degree >= 2 ? 2 : 1;
	int P = o->points;   /* distinct θ points; 0: one per equation */
	/* axes and unknowns */
	int ntv = 0;
	for (int b = 0; b < m->nblocks; b++)
		ntv += m->blocks[b].ntensors;
	struct taxis *ax = xcalloc((size_t)ntv * 3 + 1, sizeof *ax);
	int nax = 0;
	int cap = 1024, nu = 0;
	struct unk *u = xmalloc((size_t)cap * sizeof *u);
	double total_u = 0;
	for (int b = 0; b < m->nblocks; b++)
		for (int t = 0; t < m->blocks[b].ntensors; t++) {
			const struct tensor_view *tv = &m->blocks[b].tensors[t];
			for (int a = 0; a < tv->ndim; a++) {
				int n = tv->dim[a];
				total_u += (double)n * (n + 1) / 2;
			}
			total_u += (double)tv->size;
		}
	if (degree < 2)
		total_u = (double)D;
	int maxu = o->max_unknowns > 0 ? o->max_unknowns : 4000;
	if (total_u > maxu) {
		free(ax);
		free(u);
		return nt_err(err, len, NT_ERANGE, "laws find: %.0f unknowns exceed the limit of %d (use degree=1 or a smaller model)",
		              total_u, maxu);
	}
	if (degree >= 2)
		for (int b = 0; b < m->nblocks; b++)
			for (int t = 0; t < m->blocks[b].ntensors; t++) {
				const struct tensor_view *tv = &m->blocks[b].tensors[t];
				for (int a = 0; a < tv->ndim; a++) {
					struct taxis *x = &ax[nax];
					taxis_fill(x, tv, a);
					for (int i = 0; i < x->n; i++)
						for (int j = i; j < x->n; j++) {
							if (nu == cap) {
								cap *= 2;
								u = xrealloc(u, (size_t)cap * sizeof *u);
							}
							struct unk q = { 0, 0, nax, i, j, 0, -1 };
							q.dropped = a >= 1 && i == j && i == x->n - 1;
							u[nu++] = q;
						}
					nax++;
				}
			}
	for (size_t i = 0; i < D; i++) {
		if (nu == cap) {
			cap *= 2;
			u = xrealloc(u, (size_t)cap * sizeof *u);
		}
		struct unk q = { 1, i, -1, 0, 0, 0, -1 };
		u[nu++] = q;
	}
	int U = 0;
	for (int i = 0; i < nu; i++)
		u[i].col = u[i].dropped ? -1 : U++;
	int E = U + 16 + U / 8;
	res->nunknowns = U;
	res->nequations = E;
	double *A = xcalloc((size_t)E * U, sizeof *A);
	double *th = xmalloc((D + 1) * sizeof *th), *fv = xmalloc((D + 1) * sizeof *fv);
	int rc = 0;
	long k = 0;
	int row = 0;
	/* a fresh random θ every rpp equations: at one θ the fields constrain ∇h(θ)
	 * only, so the quadratic part needs many points to be pinned down */
	int rpp = P > 0 && P < E ? (E + P - 1) / P : 1;
	for (row = 0; row < E; row++) {
		if (row % rpp == 0) {
			int p = row / rpp;
			struct init_spec sp = { INIT_NORMAL, 0.0, o->seed * 7919 + (unsigned long)p + 101 };
			model_init(m, th, &sp);
			struct rng r;
			rng_seed(&r, mix_seed(o->seed + 17, p));
			double rms = nrm2(D, th) / sqrt((double)(D ? D : 1));
			if (!(rms > 0))
				rms = 1;
			for (size_t i = 0; i < D; i++)
				th[i] += 0.2 * rms * rng_normal(&r);
		}
		if (o->interrupt && *o->interrupt) {
			rc = nt_err(err, len, NT_EINTR, "laws find: interrupted");
			goto out;
		}
		int g = F->eval(F->ctx, k++, th, fv);
		if (g) {
			rc = nt_err(err, len, g, "laws find: the field generator failed");
			goto out;
		}
		double *a = A + (size_t)row * U;
		for (int i = 0; i < nu; i++) {
			if (u[i].col < 0)
				continue;
			if (u[i].lin) {
				a[u[i].col] = fv[u[i].i];
			} else {
				const struct taxis *x = &ax[u[i].ax];
				const size_t *oa = x->off + (size_t)u[i].a * x->rest, *ob = x->off + (size_t)u[i].b * x->rest;
				double sum = 0;
				for (int t = 0; t < x->rest; t++)
					sum += th[oa[t]] * fv[ob[t]] + fv[oa[t]] * th[ob[t]];
				a[u[i].col] = sum;
			}
		}
		double n = nrm2((size_t)U, a);
		if (n > 0)
			for (int j = 0; j < U; j++)
				a[j] /= n;
	}
	/* column scaling */
	double *cs = xmalloc((size_t)U * sizeof *cs);
	for (int j = 0; j < U; j++) {
		double s = 0;
		for (int i = 0; i < E; i++)
			s += A[(size_t)i * U + j] * A[(size_t)i * U + j];
		cs[j] = s > 0 ? sqrt(s) : 1.0;
		for (int i = 0; i < E; i++)
			A[(size_t)i * U + j] /= cs[j];
	}
	/* SVD: row-major A (E,U) is column-major A^T (U,E); its left singular
	 * vectors (U,U) are the right singular vectors of A. */
	double *s = xmalloc((size_t)U * sizeof *s), *uu = xmalloc((size_t)U * U * sizeof *uu);
	double thr = 1e-9;
	if (U > 500) {
		/* large systems: eigen-decomposition of the normal matrix A^T A, about
		 * 4× faster than the SVD; it squares the singular values, so the
		 * null-space threshold is the square root of the SVD one (noise floor
		 * ~1e-8 relative, real singular values of these exact systems sit far
		 * above it) */
		double *Gm = xmalloc((size_t)U * U * sizeof *Gm), *w = xmalloc((size_t)U * sizeof *w);
		mm(1, 0, U, U, E, 1.0, A, A, 0.0, Gm);
		int info = sym_eig(U, Gm, w);
		if (info) {
			rc = nt_err(err, len, NT_EINVAL, "laws find: eigen-decomposition failed (LAPACK info %d)", info);
			free(Gm); free(w); free(s); free(uu); free(cs);
			goto out;
		}
		for (int j = 0; j < U; j++) {
			s[U - 1 - j] = sqrt(w[j] > 0 ? w[j] : 0);
			for (int i = 0; i < U; i++)
				uu[(size_t)(U - 1 - j) * U + i] = Gm[(size_t)i * U + j];
		}
		free(Gm);
		free(w);
		thr = 3e-6;
	} else {
		int M = U, N = E, lda = U, ldu = U, ldvt = 1, lwork = -1, info = 0;
		double wq, dummy;
		int *iw = xmalloc((size_t)8 * U * sizeof *iw);
		dgesdd_("O", &M, &N, A, &lda, s, uu, &ldu, &dummy, &ldvt, &wq, &lwork, iw, &info);
		if (!info) {
			lwork = (int)wq;
			double *work = xmalloc((size_t)lwork * sizeof *work);
			dgesdd_("O", &M, &N, A, &lda, s, uu, &ldu, &dummy, &ldvt, work, &lwork, iw, &info);
			free(work);
		}
		free(iw);
		if (info) {
			rc = nt_err(err, len, NT_EINVAL, "laws find: SVD failed (LAPACK info %d)", info);
			free(s); free(uu); free(cs);
			goto out;
		}
	}
	int rank = 0;
	while (rank < U && s[rank] > thr * s[0])
		rank++;
	int kn = U - rank;
	sv_window(s, U, rank, &res->sv_first, &res->nsv, res->sv);
	res->gap = rank > 0 && rank < U ? (s[rank] > 0 ? s[rank - 1] / s[rank] : INFINITY) : INFINITY;
	res->uncertain = res->gap < 1e3;
	/* null basis in real coefficients, rows of Nb (kn, U) */
	double *Nb = xmalloc(((size_t)kn * U + 1) * sizeof *Nb);
	for (int r = 0; r < kn; r++)
		for (int j = 0; j < U; j++)
			Nb[(size_t)r * U + j] = uu[(size_t)(rank + r) * U + j] / cs[j];
	free(s); free(uu); free(cs);
	/* reduced row echelon form */
	double mx = 0;
	for (size_t i = 0; i < (size_t)kn * U; i++)
		if (fabs(Nb[i]) > mx)
			mx = fabs(Nb[i]);
	int rr = 0;
	for (int j = 0; j < U && rr < kn; j++) {
		int p = rr;
		for (int i = rr + 1; i < kn; i++)
			if (fabs(Nb[(size_t)i * U + j]) > fabs(Nb[(size_t)p * U + j]))
				p = i;
		if (fabs(Nb[(size_t)p * U + j]) <= 1e-7 * mx)
			continue;
		if (p != rr)
			for (int t = 0; t < U; t++) {
				double x = Nb[(size_t)p * U + t];
				Nb[(size_t)p * U + t] = Nb[(size_t)rr * U + t];
				Nb[(size_t)rr * U + t] = x;
			}
		double pv = Nb[(size_t)rr * U + j];
		for (int t = 0; t < U; t++)
			Nb[(size_t)rr * U + t] /= pv;
		for (int i = 0; i < kn; i++)
			if (i != rr) {
				double f = Nb[(size_t)i * U + j];
				if (f != 0)
					for (int t = 0; t < U; t++)
						Nb[(size_t)i * U + t] -= f * Nb[(size_t)rr * U + t];
			}
		rr++;
	}
	/* laws: expand into all unknowns (dropped ones included), simplify, build */
	res->laws = xcalloc((size_t)kn + 1, sizeof *res->laws);
	res->text = xcalloc((size_t)kn + 1, sizeof *res->text);
	double *full = xmalloc((size_t)nu * sizeof *full), *tid = xmalloc((size_t)nu * sizeof *tid);
	for (int r = 0; r < rr; r++) {
		const double *nv = Nb + (size_t)r * U;
		for (int i = 0; i < nu; i++) {
			full[i] = u[i].col >= 0 ? nv[u[i].col] : 0;
			if (fabs(full[i]) < 1e-9)
				full[i] = 0;
		}
		/* add multiples of the trace identities where that makes the law sparser */
		for (int round_ = 0; round_ < 2; round_++)
			for (int a0 = 0; a0 < nax; a0++) {
				if (ax[a0].axis != 0 || ax[a0].tv->ndim < 2)
					continue;
				for (int a1 = a0 + 1; a1 < nax && ax[a1].tv == ax[a0].tv; a1++) {
					for (int i = 0; i < nu; i++)
						tid[i] = !u[i].lin && u[i].a == u[i].b ? (u[i].ax == a0 ? 1.0 : u[i].ax == a1 ? -1.0 : 0.0) : 0.0;
					double lam = l1_shift(full, tid, nu);
					if (lam != 0) {
						double before = 0, after = 0;
						for (int i = 0; i < nu; i++) {
							before += fabs(full[i]);
							after += fabs(full[i] + lam * tid[i]);
						}
						if (after < before - 1e-9)
							for (int i = 0; i < nu; i++) {
								full[i] += lam * tid[i];
								if (fabs(full[i]) < 1e-9)
									full[i] = 0;
							}
					}
				}
			}
		/* normalise: first coefficient +1 when all coefficients are ±1-ish, else largest = 1 */
		double first = 0, big = 0;
		for (int i = 0; i < nu; i++) {
			if (full[i] != 0 && first == 0)
				first = full[i];
			if (fabs(full[i]) > big)
				big = fabs(full[i]);
		}
		if (first == 0)
			continue;
		double norm = fabs(first) > 1e-3 * big ? first : (first < 0 ? -big : big);
		int quad = 0;
		for (int i = 0; i < nu; i++) {
			full[i] /= norm;
			if (full[i] != 0 && !u[i].lin)
				quad = 1;
		}
		char name[32];
		snprintf(name, sizeof name, "found.%d", res->nlaws + 1);
		struct quantity *q = quantity_new(name, quad ? QK_QUADRATIC : QK_LINEAR, 1);
		q->role = QR_CANDIDATE;
		struct strbuf tb = { 0 };
		int firstterm = 1;
		for (int i = 0; i < nu; i++) {
			double cf = full[i];
			if (cf == 0)
				continue;
			char slice[128], slice2[128], idx[48];
			coef_text(&tb, cf, firstterm);
			firstterm = 0;
			if (u[i].lin) {
				const struct tensor_view *tv = NULL;
				for (int b = 0; b < m->nblocks && !tv; b++)
					for (int t = 0; t < m->blocks[b].ntensors; t++) {
						const struct tensor_view *x = &m->blocks[b].tensors[t];
						if (u[i].i >= x->off && u[i].i < x->off + x->size)
							tv = x;
					}
				if (tv) {
					index_text(tv, u[i].i, idx, sizeof idx);
					sb_printf(&tb, "%s%s", tv->name, idx);
				} else {
					sb_printf(&tb, "θ[%zu]", u[i].i);
				}
				qcomp_add(&q->comp[0], (int)u[i].i, -1, cf);
			} else {
				const struct taxis *x = &ax[u[i].ax];
				slice_text(x, u[i].a, slice, sizeof slice);
				if (u[i].a == u[i].b) {
					if (x->tv->ndim == 1)
						sb_printf(&tb, "%s^2", slice);
					else
						sb_printf(&tb, "||%s||^2", slice);
				} else {
					slice_text(x, u[i].b, slice2, sizeof slice2);
					sb_printf(&tb, "%s·%s", slice, slice2);
				}
				const size_t *oa = x->off + (size_t)u[i].a * x->rest, *ob = x->off + (size_t)u[i].b * x->rest;
				for (int t = 0; t < x->rest; t++)
					qcomp_add(&q->comp[0], (int)oa[t], (int)ob[t], cf);
			}
		}
		str_copy(q->formula, tb.s ? tb.s : "", sizeof q->formula);
		res->laws[res->nlaws] = q;
		res->text[res->nlaws] = tb.s ? tb.s : xstrdup("");
		res->nlaws++;
	}
	free(full);
	free(tid);
	free(Nb);
out:
	for (int i = 0; i < nax; i++)
		free(ax[i].off);
	free(ax);
	free(u);
	free(A);
	free(th);
	free(fv);
	res->seconds = now_seconds() - t0;
	return rc;
}

/* ------------------------------------------------------------------ span test */

int lie_span_contains(struct quantity *const *basis, int nb, const struct quantity *q, size_t D,
                      unsigned long seed, double *resid)
{
	const int P = 3;
	size_t L = (size_t)P * D;
	double *th = xmalloc(L * sizeof *th);
	struct rng r;
	rng_seed(&r, mix_seed(seed + 5, 3));
	for (size_t i = 0; i < L; i++)
		th[i] = rng_normal(&r);
	int rows = 0;
	for (int i = 0; i < nb; i++)
		rows += basis[i]->ncomp;
	double *Qm = xcalloc((size_t)(rows + 1) * L, sizeof *Qm);
	int rk = 0;
	for (int i = 0; i < nb; i++)
		for (int c = 0; c < basis[i]->ncomp; c++) {
			double *g = Qm + (size_t)rk * L;
			memset(g, 0, L * sizeof *g);
			for (int p = 0; p < P; p++)
				quantity_comp_grad(basis[i], c, th + (size_t)p * D, 1.0, g + (size_t)p * D);
			double n0 = nrm2(L, g);
			if (n0 == 0)
				continue;
			double n1 = project_out(Qm, rk, L, g);
			if (n1 > 1e-10 * n0) {
				for (size_t t = 0; t < L; t++)
					g[t] /= n1;
				rk++;
			}
		}
	double worst = 0;
	double *g = xmalloc(L * sizeof *g);
	for (int c = 0; c < q->ncomp; c++) {
		memset(g, 0, L * sizeof *g);
		for (int p = 0; p < P; p++)
			quantity_comp_grad(q, c, th + (size_t)p * D, 1.0, g + (size_t)p * D);
		double n0 = nrm2(L, g);
		if (n0 == 0)
			continue;
		double n1 = project_out(Qm, rk, L, g) / n0;
		if (n1 > worst)
			worst = n1;
	}
	free(g);
	free(Qm);
	free(th);
	if (resid)
		*resid = worst;
	return worst <= 1e-7;
}
