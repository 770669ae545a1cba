/* lie.c — numerical counting of conservation laws (Lie rank of the gradient
 * fields), the rank of laws' gradients (lower bound, metric laws.rank), the
 * span test, and the restriction of a field family to a parameter subset.
 *
 * Invariants:
 *  - A field family is only ever touched through struct lie_fields; field k is
 *    a fixed function of θ, so brackets of fields can be differentiated.
 *  - Brackets are right-nested monomials [X_a,[X_b,...,X_z]] of fresh random
 *    fields; their Jacobian-vector products are central differences with
 *    Richardson extrapolation, each checked against the half-order estimate
 *    at twice the step. A difference taken across a kink never becomes a
 *    direction: when the family reports activation patterns, any field whose
 *    pattern at a stencil point differs from its pattern at θ drops the
 *    candidate (exactly, however small the kink); otherwise an inconsistent
 *    difference does. A dropped candidate is replaced by a fresh one (new
 *    inputs: the point moves off the kink).
 *  - Candidate values are normalised by the sum of the norms of their two
 *    bracket terms (not by their own norm), so a bracket that cancels to
 *    rounding noise stays noise and cannot pose as a new direction; and by no
 *    less than |X||E|/σ, the size the terms have when the fields change at
 *    the rate of θ, so a bracket whose terms both vanish stays noise too.
 *  - The basis of the span found so far is a product of Householder
 *    reflectors (struct hh): the frame it defines is orthogonal to rounding.
 *    Candidates arrive in batches, get the reflectors in blocks (LAPACK
 *    dlarfb), and are decided one at a time in order within the batch: the
 *    norm of a candidate's coordinates off the span is its residual, the
 *    same decision as projecting it off everything accepted before it. A
 *    rejected candidate adds nothing. A bracket level's decisions are
 *    confirmed by the singular values of all its candidates, which overrule
 *    the one-at-a-time thresholds when their gap is clear.
 * Nothing here prints; results go to structs, messages to caller buffers. */
#include "lie_impl.h"
#include "noether/linalg.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <cblas.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info);

/* ------------------------------------------------------------------ helpers */

double lie_nrm2(size_t n, const double *x)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

uint64_t lie_mix_seed(unsigned long seed, long k)
{
	return (uint64_t)seed * 0x9E3779B97F4A7C15ULL + (uint64_t)k * 0xBF58476D1CE4E5B9ULL + 0x94D049BB133111EBULL;
}

int lie_all_finite(size_t n, const double *x)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

void lie_sv_window(const double *s, int n, int r, int *first, int *nsv, double *out)
{
	int lo = r - LIE_NSV + 1 > 0 ? r - LIE_NSV + 1 : 0;   /* 0-based index of σ_{lo+1} */
	int hi = r + LIE_NSV < n ? r + LIE_NSV : n;
	if (lo > hi)
		lo = hi;
	*first = lo + 1;
	*nsv = hi - lo;
	for (int i = lo; i < hi; i++)
		out[i - lo] = s[i];
}

int lie_svd(int m, int n, double *A, double *s, double *vt)
{
	if (!vt)
		return svd_values(m, n, A, s);
	/* A row-major (m,n) is Aᵀ column-major (n,m) = U Σ Vᵀ: A's right singular
	 * vectors are the columns of U (n, mn), i.e. the rows of vt. */
	int mn = m < n ? m : n;
	int M = n, N = m, lda = n, ldu = n, ldvt = mn, lwork = -1, info = 0;
	double wq;
	double *v2 = xmalloc(((size_t)mn * m + 1) * sizeof *v2);
	int *iw = xmalloc((size_t)8 * mn * sizeof *iw + sizeof *iw);
	dgesdd_("S", &M, &N, A, &lda, s, vt, &ldu, v2, &ldvt, &wq, &lwork, iw, &info);
	if (!info) {
		lwork = (int)wq;
		double *work = xmalloc(((size_t)lwork + 1) * sizeof *work);
		dgesdd_("S", &M, &N, A, &lda, s, vt, &ldu, v2, &ldvt, work, &lwork, iw, &info);
		free(work);
	}
	free(iw);
	free(v2);
	return info;
}

void dpstrf_(const char *uplo, const int *n, double *a, const int *lda, int *piv, int *rank, const double *tol,
             double *work, int *info);

static int dbl_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x > y ? -1 : x < y;
}

int lie_psd_null(int n, double *S, double tol, int *rank, double **null, double *vals)
{
	*rank = 0;
	*null = NULL;
	if (n <= 0)
		return 0;
	double *diag = xmalloc((size_t)n * sizeof *diag), *work = xmalloc(2 * (size_t)n * sizeof *work);
	int *piv = xmalloc((size_t)n * sizeof *piv), r = 0, info = 0;
	for (int j = 0; j < n; j++)
		diag[j] = S[(size_t)j * n + j];
	/* column-major view (the matrix is symmetric): Pᵀ S P = Rᵀ R, R upper */
	dpstrf_("U", &n, S, &n, piv, &r, &tol, work, &info);
	free(work);
	if (info < 0) {
		free(diag);
		free(piv);
		return info;
	}
	if (info == 0)
		r = n;
	/* dpstrf takes its first pivot unchecked: drop trailing pivots <= tol */
	while (r > 0 && S[(size_t)(r - 1) * n + (r - 1)] * S[(size_t)(r - 1) * n + (r - 1)] <= tol)
		r--;
	int k = n - r;
	for (int i = 0; i < r; i++)
		vals[i] = fabs(S[(size_t)i * n + i]);
	/* Schur complement diagonal of the trailing pivots */
	for (int j = r; j < n; j++) {
		double d = diag[piv[j] - 1];
		for (int i = 0; i < r; i++)
			d -= S[(size_t)j * n + i] * S[(size_t)j * n + i];
		vals[j] = sqrt(d > 0 ? d : 0);
	}
	qsort(vals + r, (size_t)k, sizeof *vals, dbl_desc);
	free(diag);
	*rank = r;
	if (k > 0) {
		/* R11 Y = −R12 (column-major, R12 (r, k) at column r) */
		double *Y = xmalloc(((size_t)r * k + 1) * sizeof *Y);
		for (int j = 0; j < k; j++)
			for (int i = 0; i < r; i++)
				Y[(size_t)j * r + i] = -S[(size_t)(r + j) * n + i];
		if (r > 0)
			cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, r, k, 1.0, S, n, Y, r);
		double *Z = xcalloc((size_t)k * n, sizeof *Z);
		for (int j = 0; j < k; j++) {
			double *z = Z + (size_t)j * n;
			for (int i = 0; i < r; i++)
				z[piv[i] - 1] = Y[(size_t)j * r + i];
			z[piv[r + j] - 1] = 1.0;
			double nz = lie_nrm2((size_t)n, z);
			for (int i = 0; i < n; i++)
				z[i] /= nz;
		}
		free(Y);
		*null = Z;
	}
	free(piv);
	return 0;
}

void lie_progress(lie_progress_fn fn, void *ctx, double frac, const char *stage)
{
	if (fn)
		fn(ctx, frac < 0 ? 0 : frac > 1 ? 1 : frac, stage);
}

double lie_rate(const struct quantity *q, int c, const double *theta, const double *X, size_t D, double *g)
{
	memset(g, 0, D * sizeof *g);
	quantity_comp_grad(q, c, theta, 1.0, g);
	double hn = lie_nrm2(D, g), xn = lie_nrm2(D, X);
	if (!(hn > 0) || !(xn > 0))
		return 0;
	double d = 0;
	for (size_t i = 0; i < D; i++)
		d += g[i] * X[i];
	return fabs(d) / (hn * xn);
}

/* ------------------------------------------------------------------ counting */

/* The noise floor of a bracket level's singular values, as a fraction of the
 * level's threshold: below it a gap is not evidence. */
#define NOISE_FRAC 0.1
/* Candidates per batch: field values (cheap), brackets (each costs 10 to 1400
 * field evaluations). */
#define BATCH_FIELDS 512
#define BATCH_SLOW 64
#define BATCH_BRACKETS 64
/* Bracket-level candidates kept for the level's singular values. */
#define LEVEL_STORE_MAX 4096

struct cctx {
	const struct lie_fields *F;
	size_t D;
	double sigma;
	long evals;
	/* activation patterns of the current candidate's fields at its base point */
	int nseen;
	long seen_k[LIE_MAX_LEVELS + 1];
	uint64_t seen_p[LIE_MAX_LEVELS + 1];
};

/* Finite-difference step (relative to the parameter scale) used to
 * differentiate an expression of the given bracket depth: deeper expressions
 * carry more rounding noise, so they take longer steps. */
static double fd_step(int depth)
{
	static const double steps[] = { 1e-4, 1e-3, 4e-3, 1.5e-2, 4e-2, 8e-2, 1.5e-1 };
	return steps[depth < 6 ? depth : 6];
}

/* Relative residual above which a candidate is a new direction, per level:
 * level-0 values are exact gradients (noise ~1e-15), each bracket level adds
 * finite-difference noise. */
static double level_tol(int d)
{
	static const double tol[] = { 1e-8, 1e-6, 1e-5, 1e-4, 3e-4, 1e-3 };
	return tol[d < 5 ? d : 5];
}

static int eval_expr(struct cctx *c, const long *g, int depth, const double *th, double *out, double *scale);

/* out = J_E(θ) v for expression E = (g, depth): Richardson-extrapolated central
 * differences at steps h and 2h; returns 1 when the two disagree (a kink the
 * field family cannot report, or noise), 0 ok. fnorm is ||E(θ)|| (the scale
 * against which disagreement is judged). */
static int dir_deriv(struct cctx *c, const long *g, int depth, const double *th, const double *v,
                     double fnorm, double *out)
{
	size_t D = c->D;
	double n = lie_nrm2(D, v);
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
		if (!(sqrt(diff) <= 1e-3 * (sqrt(d1n) + fnorm / c->sigma)))
			rc = 1;
	}
	free(pt);
	return rc;
}

/* Evaluates field k at th; with a family that reports activation patterns,
 * returns 1 when field k's pattern differs from the one it had at the
 * candidate's base point (its first evaluation): a kink lies between. */
static int eval_field(struct cctx *c, long k, const double *th, double *out)
{
	int rc = c->F->eval(c->F->ctx, k, th, out);
	c->evals++;
	if (rc)
		return rc;
	if (!lie_all_finite(c->D, out))
		return 1;
	if (c->F->pattern) {
		uint64_t p = c->F->pattern(c->F->ctx);
		for (int i = 0; i < c->nseen; i++)
			if (c->seen_k[i] == k)
				return p == c->seen_p[i] ? 0 : 1;
		if (c->nseen < LIE_MAX_LEVELS + 1) {
			c->seen_k[c->nseen] = k;
			c->seen_p[c->nseen++] = p;
		}
	}
	return 0;
}

/* Value at θ of the right-nested bracket [X_g0,[X_g1,...,X_gdepth]]. *scale
 * gets the size of the terms it is made of. Returns 0, 1 (dropped: a kink
 * crossed, a stencil inconsistent, a value not finite) or a negative generator
 * error. Every field is first evaluated at θ (the base of its pattern). */
static int eval_expr(struct cctx *c, const long *g, int depth, const double *th, double *out, double *scale)
{
	size_t D = c->D;
	if (depth == 0) {
		int rc = eval_field(c, g[0], th, out);
		if (!rc)
			*scale = lie_nrm2(D, out);
		return rc;
	}
	double *X = xmalloc(4 * D * sizeof *X), *E = X + D, *t1 = E + D, *t2 = t1 + D;
	double sx = 0, se = 0;
	int rc = eval_expr(c, g, 0, th, X, &sx);
	if (!rc)
		rc = eval_expr(c, g + 1, depth - 1, th, E, &se);
	if (!rc)
		rc = dir_deriv(c, g + 1, depth - 1, th, X, lie_nrm2(D, E), t1);  /* J_E X */
	if (!rc)
		rc = dir_deriv(c, g, 0, th, E, sx, t2);                           /* J_X E */
	if (!rc) {
		for (size_t i = 0; i < D; i++)
			out[i] = t1[i] - t2[i];
		/* the size of the terms, but at least the size they would have if the
		 * fields changed at the rate of θ (|X||E|/σ): when both terms vanish
		 * (fields that do not interact) their rounding noise must not be
		 * blown up into a direction */
		double ref = sx * lie_nrm2(D, E) / c->sigma;
		*scale = lie_nrm2(D, t1) + lie_nrm2(D, t2);
		if (*scale < ref)
			*scale = ref;
	}
	free(X);
	return rc;
}

void lie_count_defaults(struct lie_count_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_level = 4;
	o->patience = 12;
	o->gap_min = 1e3;
}

/* ------------------------------------------------------------------ Householder basis */

/* An orthonormal basis grown one direction at a time, held as Householder
 * reflectors in LAPACK's dgeqrf layout: column k of Y (D, cap), column-major,
 * is reflector k, which acts on coordinates k..D−1 only (Y[k·D + j] = 0 for
 * j < k, 1 at j = k); Q = H_0 H_1 ··· H_{r−1}. In the frame Qᵀ the first r
 * coordinates span the basis and the rest is its orthogonal complement: a
 * vector's residual off the span is the norm of its coordinates r..D−1, and
 * taking it into the basis is one more reflector. Applying the reflectors to
 * a batch costs about half of one Gram–Schmidt pass and is orthogonal to
 * rounding, so it needs no second pass. They are applied in blocks of HB
 * (compact WY form I − V T Vᵀ, LAPACK dlarfb); the triangular factor T of
 * each block is built one column per reflector as it is made (dlarft's
 * recurrence) and kept, since the same blocks are applied to every batch. */
#define HB 128

void dlarfg_(const int *n, double *alpha, double *x, const int *incx, double *tau);
void dlarfb_(const char *side, const char *trans, const char *direct, const char *storev, const int *m, const int *n,
             const int *k, const double *v, const int *ldv, const double *t, const int *ldt, double *c, const int *ldc,
             double *work, const int *ldwork);

struct hh {
	size_t D;
	double *Y, *tau;
	int r, cap;
	double *T;            /* T of each block of HB reflectors (HB×HB column-major, upper), kept up to date */
	double *work;         /* dlarfb scratch (maxb, HB) */
	int maxb;             /* widest batch hh_apply takes */
};

static void hh_init(struct hh *h, size_t D, int maxb)
{
	memset(h, 0, sizeof *h);
	h->D = D;
	h->maxb = maxb;
	h->work = xmalloc(((size_t)maxb * HB + 1) * sizeof *h->work);
}

static void hh_free(struct hh *h)
{
	free(h->Y);
	free(h->tau);
	free(h->T);
	free(h->work);
	memset(h, 0, sizeof *h);
}

static size_t hh_bytes(const struct hh *h)
{
	return ((size_t)h->cap * h->D + ((size_t)h->cap / HB + 1) * HB * HB + (size_t)h->maxb * HB) * sizeof(double);
}

static void hh_reserve(struct hh *h, int rows)
{
	if (rows <= h->cap)
		return;
	int cap = h->cap ? h->cap : 64;
	while (cap < rows)
		cap *= 2;
	if ((size_t)cap > h->D)
		cap = (int)h->D;
	h->Y = xrealloc(h->Y, ((size_t)cap * h->D + 1) * sizeof *h->Y);
	h->tau = xrealloc(h->tau, ((size_t)cap + 1) * sizeof *h->tau);
	h->T = xrealloc(h->T, ((size_t)cap / HB + 1) * HB * HB * sizeof *h->T);
	h->cap = cap;
}

/* Keeps the first r reflectors only (the blocks' T stay valid: column i of
 * a block's T depends on its reflectors up to i only). */
static void hh_truncate(struct hh *h, int r)
{
	if (r < h->r)
		h->r = r;
}

/* Makes w (D, in the current frame) reflector r, with residual norm rn > 0
 * (the norm of w[r..D)), and adds its column to its block's T (LAPACK dlarft's
 * recurrence: T[0:i, i] = −τ_i T[0:i, 0:i] Y[:, 0:i]ᵀ y_i over the block). */
static void hh_push(struct hh *h, double *w)
{
	size_t D = h->D;
	int r = h->r, n = (int)D - r, one = 1;
	hh_reserve(h, r + 1);
	double *y = h->Y + (size_t)r * D, alpha = w[r], tau = 0;
	dlarfg_(&n, &alpha, w + r + 1, &one, &tau);
	memset(y, 0, (size_t)r * sizeof *y);
	y[r] = 1;
	memcpy(y + r + 1, w + r + 1, (size_t)(n - 1) * sizeof *y);
	h->tau[r] = tau;
	int b0 = r / HB * HB, li = r - b0;
	double *Tb = h->T + (size_t)(r / HB) * HB * HB;
	if (li > 0) {
		cblas_dgemv(CblasColMajor, CblasTrans, n, li, -tau, h->Y + (size_t)b0 * D + r, (int)D, y + r, 1, 0.0,
		            Tb + (size_t)li * HB, 1);
		cblas_dtrmv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, li, Tb, HB, Tb + (size_t)li * HB, 1);
	}
	Tb[(size_t)li * HB + li] = tau;
	h->r++;
}

/* Applies reflectors k0..k1−1 (their transposes, in order) to the b <= maxb
 * columns of V (D, b), column-major: V ← H_{k1−1} ··· H_{k0} V. Columns that
 * have reflectors 0..k0−1 applied then have 0..k1−1. A run of reflectors
 * inside one block uses the principal submatrix of the block's T. */
static void hh_apply(struct hh *h, int k0, int k1, double *V, int b)
{
	size_t D = h->D;
	int ld = (int)D, ldt = HB;
	for (int j = k0; j < k1;) {
		int b0 = j / HB * HB, end = b0 + HB < k1 ? b0 + HB : k1;
		int nb = end - j, m = (int)D - j;
		const double *T = h->T + (size_t)(j / HB) * HB * HB + (size_t)(j - b0) * (HB + 1);
		dlarfb_("L", "T", "F", "C", &m, &b, &nb, h->Y + (size_t)j * D + j, &ld, T, &ldt, V + j, &ld, h->work, &b);
		j = end;
	}
}

/* Decisions on a batch: counters of a level, or NULL. */
struct hh_note {
	int accepted;
	double acc_min, rej_max;
	int run;              /* rejected in a row */
};

/* Decides columns [i0, i1) of V (D, b), each with every reflector made
 * before column i0 applied: one at a time in order, a column whose residual
 * off the span (the norm of its coordinates r..D−1) exceeds tol becomes
 * reflector r (V's column is overwritten). The range is split in two and the
 * second half gets the first half's new reflectors in one blocked
 * application, so the batch runs at level-3 speed. Stops when the basis
 * spans R^D. */
static void hh_decide(struct hh *h, double *V, int i0, int i1, double tol, struct hh_note *nt)
{
	size_t D = h->D;
	if (h->r >= (int)D || i1 <= i0)
		return;
	if (i1 - i0 > 1) {
		int m = (i0 + i1) / 2, r0 = h->r;
		hh_decide(h, V, i0, m, tol, nt);
		if (h->r >= (int)D)
			return;
		hh_apply(h, r0, h->r, V + (size_t)m * D, i1 - m);
		hh_decide(h, V, m, i1, tol, nt);
		return;
	}
	double *w = V + (size_t)i0 * D;
	double rn = lie_nrm2(D - (size_t)h->r, w + h->r);
	if (rn > tol) {
		hh_push(h, w);
		if (nt) {
			nt->accepted++;
			if (rn < nt->acc_min)
				nt->acc_min = rn;
			nt->run = 0;
		}
	} else if (nt) {
		if (rn > nt->rej_max)
			nt->rej_max = rn;
		nt->run++;
	}
}

/* ------------------------------------------------------------------ the count's state */

/* The working state of one count: the basis of the span found so far (all
 * levels), a batch of candidates, and a bracket level's store. */
struct counter {
	struct cctx c;
	size_t D;
	struct hh h;
	double *V;            /* batch of candidates (D, BATCH_FIELDS) column-major: one per column */
	double *L;            /* bracket level store: lw = D − q0 coordinates (q0.. in the frame of the
	                         earlier levels' reflectors, i.e. projected off their span) per row */
	int nl, lcap, lw;
	long k;               /* next field index */
	size_t mem_max;
};

static void counter_mem(struct counter *t)
{
	size_t mem = hh_bytes(&t->h) + ((size_t)BATCH_FIELDS + (size_t)t->lcap + 9) * t->D * sizeof(double);
	if (mem > t->mem_max)
		t->mem_max = mem;
}

/* Keeps coordinates q0.. of the b columns of V (frame of reflectors 0..q0−1)
 * as rows of the level store. */
static void l_append(struct counter *t, const double *V, int nb, int q0)
{
	if (t->nl < 0)
		return;             /* already over the limit */
	if (t->nl + nb > LEVEL_STORE_MAX) {
		t->nl = -1;         /* too many: the level is decided by its thresholds alone */
		return;
	}
	size_t w = t->D - (size_t)q0;
	if (t->nl + nb > t->lcap) {
		int cap = t->lcap ? t->lcap : 32;
		while (cap < t->nl + nb)
			cap *= 2;
		t->L = xrealloc(t->L, ((size_t)cap * t->D + 1) * sizeof *t->L);
		t->lcap = cap;
	}
	t->lw = (int)w;
	for (int i = 0; i < nb; i++)
		memcpy(t->L + (size_t)(t->nl + i) * w, V + (size_t)i * t->D + q0, w * sizeof *V);
	t->nl += nb;
}

/* A bracket level's confirmation: singular values of its candidates (rows of
 * L: coordinates q0.. in the frame of the earlier levels). Where their largest
 * gap above the finite-difference error floor is clear it decides the level's
 * rank; the level's reflectors are then replaced by those of the leading right
 * singular vectors. Sets lv->gap, lv->sv*, lv->revised; returns the level's
 * rank. */
static int confirm_level(struct counter *t, struct lie_level *lv, int q0, double gap_min)
{
	struct hh *h = &t->h;
	int kinc = h->r - q0, n = t->nl, w = t->lw;
	size_t D = t->D;
	if (n <= 0 || w <= 0)
		return kinc;
	int mn = n < w ? n : w;
	double *s = xmalloc(((size_t)mn + 1) * sizeof *s), *vt = xmalloc(((size_t)mn * w + 1) * sizeof *vt);
	double *A = xmalloc(((size_t)n * w + 1) * sizeof *A);
	memcpy(A, t->L, (size_t)n * w * sizeof *A);
	int rc = lie_svd(n, w, A, s, vt);
	free(A);
	int k = kinc;
	if (!rc) {
		double floor = 3 * NOISE_FRAC * lv->tol;
		int best = -1;
		double best_gap = 0;
		for (int i = 1; i <= mn; i++) {
			if (s[i - 1] <= floor)
				break;
			double g = i < mn ? (s[i] > 0 ? s[i - 1] / s[i] : INFINITY) : INFINITY;
			if (i == mn && n > mn)
				continue;   /* no candidate below: no evidence of a gap */
			if (g > best_gap) {
				best_gap = g;
				best = i;
			}
		}
		if (best >= 1 && best_gap >= gap_min && best != kinc) {
			/* the level's span becomes that of the leading singular vectors:
			 * drop its reflectors and make new ones from those vectors (in the
			 * frame of reflectors 0..q0−1; orthonormal, so each is taken) */
			hh_truncate(h, q0);
			for (int c0 = 0; c0 < best; c0 += BATCH_FIELDS) {
				int nb = best - c0 < BATCH_FIELDS ? best - c0 : BATCH_FIELDS, r0 = h->r;
				for (int i = 0; i < nb; i++) {
					double *col = t->V + (size_t)i * D;
					memset(col, 0, (size_t)q0 * sizeof *col);
					memcpy(col + q0, vt + (size_t)(c0 + i) * w, (size_t)w * sizeof *col);
				}
				hh_apply(h, q0, r0, t->V, nb);
				hh_decide(h, t->V, 0, nb, -1.0, NULL);
			}
			k = h->r - q0;
			lv->revised = 1;
		}
		if (k > 0)
			lv->gap = k < mn ? (s[k] > 0 ? s[k - 1] / s[k] : INFINITY) : INFINITY;
		else
			lv->gap = s[0] > 0 ? lv->tol / s[0] : INFINITY;
		lie_sv_window(s, mn, k, &lv->sv_first, &lv->nsv, lv->sv);
	}
	free(s);
	free(vt);
	return k;
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
	res->gap = INFINITY;
	double t0 = now_seconds();
	struct counter t;
	memset(&t, 0, sizeof t);
	t.D = D;
	t.c.F = F;
	t.c.D = D;
	t.c.sigma = lie_nrm2(D, theta);
	if (!(t.c.sigma > 0) || !isfinite(t.c.sigma))
		t.c.sigma = 1.0;
	int maxlev = o->max_level > 0 ? o->max_level : 4;
	if (maxlev >= LIE_MAX_LEVELS)
		maxlev = LIE_MAX_LEVELS - 1;
	int patience = o->patience > 0 ? o->patience : 12;
	double gap_min = o->gap_min > 0 ? o->gap_min : 1e3;
	t.V = xmalloc(((size_t)BATCH_FIELDS * D + 1) * sizeof *t.V);
	hh_init(&t.h, D, BATCH_FIELDS);
	int rc = 0, timed_out = 0;
	long gens[LIE_MAX_LEVELS + 1];
	char stage[48];
	for (int d = 0; d <= maxlev && t.h.r < (int)D; d++) {
		struct lie_level *lv = &res->lv[res->nlevels++];
		lv->level = d;
		lv->tol = level_tol(d);
		lv->acc_min = 1;
		lv->rej_max = 0;
		lv->gap = INFINITY;
		int q0 = t.h.r;
		t.nl = 0;
		struct hh_note nt = { 0, 1, 0, 0 };
		/* patience: field values are cheap, 64 in a row; brackets get a budget
		 * of about 20·D field evaluations per level (new directions among
		 * random brackets of a ReLU net can be rare), at least `patience`,
		 * at most 200 in a row */
		int pat;
		if (d == 0) {
			pat = patience > BATCH_SLOW ? patience : BATCH_SLOW;
		} else {
			double per = 1;
			for (int i = 0; i < d; i++)
				per = 5 * per + 5;             /* field evaluations of one depth-d bracket */
			double b = 20.0 * (double)D / per;
			pat = b > 200 ? 200 : b < patience ? patience : (int)b;
		}
		int tries = 0, maxtries = (int)(4 * D) + 100, stop = 0, dropped_out = 0, slow = 0;
		if (d == 0)
			snprintf(stage, sizeof stage, "count: fields");
		else
			snprintf(stage, sizeof stage, "count: brackets level %d", d);
		while (!stop && nt.run < pat && t.h.r < (int)D && tries < maxtries) {
			/* field values: big batches while most are new directions, small
			 * ones once rejections start (each costs a pass over Q) */
			int nb;
			if (d == 0) {
				/* at most half of what is left: the batch that reaches the
				 * final rank is wasted work beyond it */
				nb = slow ? BATCH_SLOW : ((int)D - t.h.r) / 2;
				nb = nb < BATCH_SLOW ? BATCH_SLOW : nb > BATCH_FIELDS ? BATCH_FIELDS : nb;
			} else {
				nb = pat - nt.run < BATCH_BRACKETS ? pat - nt.run : BATCH_BRACKETS;
			}
			if (nb < 1)
				nb = 1;
			int got = 0;
			while (got < nb && tries < maxtries) {
				if (o->interrupt && *o->interrupt) {
					rc = nt_err(err, len, NT_EINTR, "laws count: interrupted");
					goto done;
				}
				if (o->time_limit > 0 && now_seconds() - t0 > o->time_limit) {
					timed_out = 1;
					lv->uncertain = 1;
					stop = 1;
					break;
				}
				tries++;
				for (int i = 0; i <= d; i++)
					gens[i] = t.k++;
				double sc = 0;
				double *v = t.V + (size_t)got * D;
				t.c.nseen = 0;
				int e = eval_expr(&t.c, gens, d, theta, v, &sc);
				if (e < 0) {
					rc = nt_err(err, len, e, "laws count: the field generator failed");
					goto done;
				}
				if (e == 1) {
					/* dropped, not evidence of stagnation; too many drops end the
					 * level, uncertain unless it has clean evidence (below) */
					if (++lv->rejected_fd > 3 * pat) {
						dropped_out = 1;
						stop = 1;
						break;
					}
					continue;
				}
				lv->tried++;
				if (sc > 0)
					for (size_t i = 0; i < D; i++)
						v[i] /= sc;
				else
					memset(v, 0, D * sizeof *v);
				got++;
				if (d > 0)
					lie_progress(o->progress, o->progress_ctx, 0.9 + 0.1 * (d - 1 + (double)nt.run / pat) / maxlev, stage);
			}
			if (!got)
				break;
			/* the frame of the earlier levels (what the level store keeps),
			 * then of this level's reflectors so far */
			hh_apply(&t.h, 0, q0, t.V, got);
			if (d > 0)
				l_append(&t, t.V, got, q0);
			hh_apply(&t.h, q0, t.h.r, t.V, got);
			int acc0 = nt.accepted;
			hh_decide(&t.h, t.V, 0, got, lv->tol, &nt);
			counter_mem(&t);
			slow = nt.accepted - acc0 < (3 * got) / 4;
			if (d == 0)
				lie_progress(o->progress, o->progress_ctx, 0.9 * t.h.r / (double)D, stage);
		}
		lv->accepted = lv->accepted_incremental = nt.accepted;
		lv->acc_min = nt.acc_min;
		lv->rej_max = nt.rej_max;
		if (d == 0) {
			if (lv->accepted && lv->rej_max > 0)
				lv->gap = lv->acc_min / lv->rej_max;
		} else if (t.nl > 0) {
			int k = confirm_level(&t, lv, q0, gap_min);
			lv->accepted = k;
		} else if (lv->accepted && lv->rej_max > 0) {
			lv->gap = lv->acc_min / lv->rej_max;
		}
		lv->rank = t.h.r;
		/* stopped by dropped candidates: uncertain when the level still grew
		 * or decided nothing (a level that adds nothing from the candidates
		 * it could decide, each clearly below its threshold, is evidence) */
		if (dropped_out && (lv->accepted > 0 || lv->tried == 0))
			lv->uncertain = 1;
		if (lv->accepted > 0 && lv->gap < gap_min)
			lv->uncertain = 1;
		if (lv->accepted == 0 && lv->gap < 10)
			lv->uncertain = 1;   /* the largest rejected residual sits just under the threshold */
		if ((lv->accepted > 0 || d > 0) && lv->gap < res->gap)
			res->gap = lv->gap;
		if (lv->uncertain)
			res->uncertain = 1;
		if (stop && timed_out)
			break;
		if (lv->accepted == 0 && d > 0)
			break;
		if (t.h.r == 0)
			break;             /* every field vanishes at θ: so do their brackets */
		if (d == maxlev && lv->accepted > 0 && t.h.r < (int)D) {
			res->saturated = 1;
			res->uncertain = 1;
		}
	}
	res->rank = t.h.r;
	res->upper = (int)D - t.h.r;
	lie_progress(o->progress, o->progress_ctx, 1.0, "count: done");
done:
	res->field_evals = t.c.evals;
	res->seconds = now_seconds() - t0;
	res->mem_bytes = t.mem_max;
	hh_free(&t.h);
	free(t.V);
	free(t.L);
	return rc;
}

/* ------------------------------------------------------------------ lower bound */

int lie_grad_rank_masked(struct quantity *const *q, int nq, const double *theta, size_t D,
                         const unsigned char *mask, struct lie_rank *r)
{
	memset(r, 0, sizeof *r);
	int rows = 0;
	for (int i = 0; i < nq; i++)
		rows += q[i]->ncomp;
	r->nrows = rows;
	r->gap = INFINITY;
	size_t n = 0;
	size_t *idx = xmalloc((D + 1) * sizeof *idx);
	for (size_t i = 0; i < D; i++)
		if (!mask || mask[i])
			idx[n++] = i;
	if (!rows || !n) {
		free(idx);
		return 0;
	}
	double *G = xcalloc((size_t)rows * n, sizeof *G), *g = xmalloc(D * sizeof *g);
	int k = 0;
	for (int i = 0; i < nq; i++)
		for (int j = 0; j < q[i]->ncomp; j++) {
			memset(g, 0, D * sizeof *g);
			quantity_comp_grad(q[i], j, theta, 1.0, g);
			double *row = G + (size_t)k * n;
			for (size_t t = 0; t < n; t++)
				row[t] = g[idx[t]];
			double nr = lie_nrm2(n, row);
			if (nr > 0 && isfinite(nr)) {
				for (size_t t = 0; t < n; t++)
					row[t] /= nr;
				k++;
			}
		}
	free(g);
	free(idx);
	if (!k) {
		free(G);
		return 0;
	}
	int mn = k < (int)n ? k : (int)n;
	double *s = xmalloc((size_t)mn * sizeof *s);
	int rc = svd_values(k, (int)n, G, s);
	if (!rc) {
		int rank = 0;
		while (rank < mn && s[rank] > 1e-9 * s[0])
			rank++;
		r->rank = rank;
		r->gap = rank < mn ? (s[rank] > 0 ? s[rank - 1] / s[rank] : INFINITY) : INFINITY;
		r->uncertain = r->gap < 1e3;
		lie_sv_window(s, mn, rank, &r->sv_first, &r->nsv, r->sv);
	}
	free(s);
	free(G);
	return rc ? NT_EINVAL : 0;
}

int lie_grad_rank(struct quantity *const *q, int nq, const double *theta, size_t D, struct lie_rank *r)
{
	return lie_grad_rank_masked(q, nq, theta, D, NULL, r);
}

int lie_laws_rank(const struct qset *s, const double *theta, size_t D, struct lie_rank *r)
{
	struct quantity **q = xcalloc((size_t)s->n + 1, sizeof *q);
	int n = 0;
	for (int i = 0; i < s->n; i++)   /* phase-space laws live on (θ, v): 2D coordinates */
		if (s->q[i]->role == QR_LAW && !s->q[i]->internal && !s->q[i]->phase)
			q[n++] = s->q[i];
	int rc = lie_grad_rank(q, n, theta, D, r);
	free(q);
	return rc;
}

/* ------------------------------------------------------------------ subsets */

long lie_params_mask(const struct model *m, const char *patterns, unsigned char *mask, char *err, size_t len)
{
	size_t D = m->nparams;
	memset(mask, 0, D);
	char buf[512];
	if (strlen(patterns) >= sizeof buf)
		return nt_err(err, len, NT_ERANGE, "params: pattern list longer than %zu characters", sizeof buf - 1);
	str_copy(buf, patterns, sizeof buf);
	char *save = NULL;
	int npat = 0;
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		while (*p == ' ')
			p++;
		if (!*p)
			continue;
		npat++;
		int hit = 0;
		for (int b = 0; b < m->nblocks; b++)
			for (int t = 0; t < m->blocks[b].ntensors; t++) {
				const struct tensor_view *tv = &m->blocks[b].tensors[t];
				if (!fnmatch(p, tv->name, 0)) {
					memset(mask + tv->off, 1, tv->size);
					hit = 1;
				}
			}
		if (!hit)
			return nt_err(err, len, NT_ENOENT, "params: '%s' matches no tensor (names look like %s)", p,
			              m->nblocks && m->blocks[0].ntensors ? m->blocks[0].tensors[0].name : "layer1.dense.W");
	}
	if (!npat)
		return nt_err(err, len, NT_EINVAL, "params: empty pattern list");
	long n = 0;
	for (size_t i = 0; i < D; i++)
		n += mask[i] != 0;
	return n;
}

#define SUB_CACHE 8

struct lie_sub {
	const struct model *m;
	const struct lie_fields *F;
	size_t D, n;
	size_t *idx;
	unsigned long seed;
	double *fx;
	long ck[SUB_CACHE];       /* cached random points φ_k (ring) */
	double *cphi[SUB_CACHE];
	int cnext;
};

static const double *sub_point(struct lie_sub *s, long k)
{
	for (int i = 0; i < SUB_CACHE; i++)
		if (s->ck[i] == k)
			return s->cphi[i];
	int i = s->cnext;
	s->cnext = (s->cnext + 1) % SUB_CACHE;
	struct init_spec sp = { INIT_NORMAL, 0.0, (unsigned long)(lie_mix_seed(s->seed + 31, k) >> 1) };
	model_init(s->m, s->cphi[i], &sp);
	s->ck[i] = k;
	return s->cphi[i];
}

static int sub_eval(void *ctx, long k, const double *theta_t, double *out)
{
	struct lie_sub *s = ctx;
	const double *phi = sub_point(s, k);
	double *full = s->fx + s->D;
	memcpy(full, phi, s->D * sizeof *full);
	for (size_t i = 0; i < s->n; i++)
		full[s->idx[i]] = theta_t[i];
	int rc = s->F->eval(s->F->ctx, k, full, s->fx);
	if (rc)
		return rc;
	for (size_t i = 0; i < s->n; i++)
		out[i] = s->fx[s->idx[i]];
	return 0;
}

struct lie_sub *lie_sub_new(const struct model *m, const struct lie_fields *F, const unsigned char *mask,
                            unsigned long seed)
{
	struct lie_sub *s = xcalloc(1, sizeof *s);
	s->m = m;
	s->F = F;
	s->D = F->D;
	s->seed = seed;
	s->idx = xmalloc((s->D + 1) * sizeof *s->idx);
	for (size_t i = 0; i < s->D; i++)
		if (mask[i])
			s->idx[s->n++] = i;
	s->fx = xmalloc((2 * s->D + 1) * sizeof *s->fx);
	for (int i = 0; i < SUB_CACHE; i++) {
		s->ck[i] = -1;
		s->cphi[i] = xmalloc((s->D + 1) * sizeof(double));
	}
	return s;
}

static uint64_t sub_pattern(void *ctx)
{
	const struct lie_sub *s = ctx;
	return s->F->pattern(s->F->ctx);
}

struct lie_fields lie_sub_fields(struct lie_sub *s)
{
	struct lie_fields f = { s->n, sub_eval, s, s->F->pattern ? sub_pattern : NULL };
	return f;
}

void lie_sub_restrict(const struct lie_sub *s, const double *theta, double *out)
{
	for (size_t i = 0; i < s->n; i++)
		out[i] = theta[s->idx[i]];
}

void lie_sub_free(struct lie_sub *s)
{
	if (!s)
		return;
	for (int i = 0; i < SUB_CACHE; i++)
		free(s->cphi[i]);
	free(s->idx);
	free(s->fx);
	free(s);
}

/* ------------------------------------------------------------------ span test */

/* The test runs on gradients stacked over P random points (length P·D): a
 * basis of the basis quantities' stacked gradients, then the residual of each
 * of q's off its span. Rows are decided one at a time in order, each kept
 * when more than 1e-10 of it lies off the span of those kept before. */
int lie_span_contains(struct quantity *const *basis, int nb, const struct quantity *q, size_t D,
                      unsigned long seed, double *resid)
{
	const int P = 3;
	size_t L = (size_t)P * D;
	double *th = xmalloc(L * sizeof *th);
	struct rng r;
	rng_seed(&r, lie_mix_seed(seed + 5, 3));
	for (size_t i = 0; i < L; i++)
		th[i] = rng_normal(&r);
	int rows = 0;
	for (int i = 0; i < nb; i++)
		rows += basis[i]->ncomp;
	int wide = rows > q->ncomp ? rows : q->ncomp;
	double *G = xmalloc(((size_t)(wide + 1) * L) * sizeof *G);
	int n = 0;
	for (int i = 0; i < nb; i++)
		for (int c = 0; c < basis[i]->ncomp; c++) {
			double *g = G + (size_t)n * L;
			memset(g, 0, L * sizeof *g);
			for (int p = 0; p < P; p++)
				quantity_comp_grad(basis[i], c, th + (size_t)p * D, 1.0, g + (size_t)p * D);
			double n0 = lie_nrm2(L, g);
			if (!(n0 > 0))
				continue;
			for (size_t t = 0; t < L; t++)
				g[t] /= n0;
			n++;
		}
	struct hh h;
	hh_init(&h, L, wide > 0 ? wide : 1);
	hh_decide(&h, G, 0, n, 1e-10, NULL);
	/* q's components, with their norms */
	double *n0 = xmalloc(((size_t)q->ncomp + 1) * sizeof *n0);
	int m = 0;
	for (int c = 0; c < q->ncomp; c++) {
		double *g = G + (size_t)m * L;
		memset(g, 0, L * sizeof *g);
		for (int p = 0; p < P; p++)
			quantity_comp_grad(q, c, th + (size_t)p * D, 1.0, g + (size_t)p * D);
		n0[m] = lie_nrm2(L, g);
		if (n0[m] > 0)
			m++;
	}
	hh_apply(&h, 0, h.r, G, m);
	double worst = 0;
	for (int c = 0; c < m; c++) {
		double n1 = lie_nrm2(L - (size_t)h.r, G + (size_t)c * L + h.r) / n0[c];
		if (n1 > worst)
			worst = n1;
	}
	hh_free(&h);
	free(n0);
	free(G);
	free(th);
	if (resid)
		*resid = worst;
	return worst <= 1e-7;
}
