/* lie_find.c — discovery of conservation laws: a basis of every law that is a
 * linear form plus a combination of the Gram matrices of each tensor along
 * each axis (||W[a,:]||², W[a,:]·W[b,:], ||W[:,a]||², b[a]·b[b], ...).
 *
 * Stages (lie_find): unknowns → equations <∇h(θ), X(θ)> = 0 at random points
 * → null space (SVD, or the lowest eigenvectors of the normal matrix for large
 * systems, built from row blocks so the equations are never stored whole) →
 * refinement against equations at fresh points until the candidate space stops
 * shrinking → reduced row echelon form → laws (sparsified, coefficients
 * snapped to simple fractions when that keeps them laws) → final rate check of
 * every law at fresh points → rank of the laws' gradients.
 *
 * Invariants:
 *  - The system is free of identities: for a tensor with k axes the k
 *    axis-Gram traces all equal ||T||², so one diagonal entry of each axis >= 1
 *    is left out (and re-used only to make a law sparser for display).
 *  - No law leaves this file unless its rate against fresh fields at fresh
 *    points is at most LIE_RATE_TOL.
 * Nothing here prints; results go to structs, messages to caller buffers. */
#include "lie_impl.h"
#include "noether/linalg.h"
#include "noether/rng.h"
#include "noether/util.h"
#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The unknowns of one search. */
struct fsys {
	const struct model *m;
	size_t D;
	int nax;
	struct taxis *ax;
	int nu, cap;
	struct unk *u;   /* all unknowns, dropped ones included */
	int U;           /* columns of the system */
};

/* Fixed seeds of the random points: the first system, the refinement rounds
 * and the final check never share a point. */
#define PT_SYSTEM 0L
#define PT_REFINE 1000000L
#define PT_CHECK 2000000L
/* fresh fields per check point, check points */
#define CHECK_FIELDS 4
#define CHECK_POINTS 3
#define REFINE_ROUNDS 4

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

static void fsys_free(struct fsys *s)
{
	for (int i = 0; i < s->nax; i++)
		free(s->ax[i].off);
	free(s->ax);
	free(s->u);
	memset(s, 0, sizeof *s);
}

static void unk_push(struct fsys *s, struct unk q)
{
	if (s->nu == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->u = xrealloc(s->u, (size_t)s->cap * sizeof *s->u);
	}
	s->u[s->nu++] = q;
}

static int tensor_in_mask(const struct tensor_view *tv, const unsigned char *mask)
{
	if (!mask)
		return 1;
	for (size_t i = 0; i < tv->size; i++)
		if (!mask[tv->off + i])
			return 0;
	return 1;
}

/* Stage 1: the unknowns (Gram entries of every axis of every tensor inside the
 * mask, for degree 2, and every parameter inside it). Returns 0 or NT_ERANGE. */
static int fsys_build(struct fsys *s, const struct model *m, int degree, const unsigned char *mask, int maxu,
                      char *err, size_t len)
{
	memset(s, 0, sizeof *s);
	s->m = m;
	s->D = m->nparams;
	int ntv = 0;
	double total = 0;
	for (int b = 0; b < m->nblocks; b++)
		for (int t = 0; t < m->blocks[b].ntensors; t++) {
			const struct tensor_view *tv = &m->blocks[b].tensors[t];
			ntv++;
			if (degree >= 2 && tensor_in_mask(tv, mask))
				for (int a = 0; a < tv->ndim; a++)
					total += (double)tv->dim[a] * (tv->dim[a] + 1) / 2;
		}
	for (size_t i = 0; i < s->D; i++)
		total += !mask || mask[i];
	if (total > maxu)
		return nt_err(err, len, NT_ERANGE, "laws find: %.0f unknowns exceed the limit of %d (use degree=1, params=, or a "
		              "smaller model)", total, maxu);
	s->ax = xcalloc((size_t)ntv * 3 + 1, sizeof *s->ax);
	if (degree >= 2)
		for (int b = 0; b < m->nblocks; b++)
			for (int t = 0; t < m->blocks[b].ntensors; t++) {
				const struct tensor_view *tv = &m->blocks[b].tensors[t];
				if (!tensor_in_mask(tv, mask))
					continue;
				for (int a = 0; a < tv->ndim; a++) {
					struct taxis *x = &s->ax[s->nax];
					taxis_fill(x, tv, a);
					for (int i = 0; i < x->n; i++)
						for (int j = i; j < x->n; j++) {
							struct unk q = { 0, 0, s->nax, i, j, 0, -1 };
							q.dropped = a >= 1 && i == j && i == x->n - 1;
							unk_push(s, q);
						}
					s->nax++;
				}
			}
	for (size_t i = 0; i < s->D; i++)
		if (!mask || mask[i]) {
			struct unk q = { 1, i, -1, 0, 0, 0, -1 };
			unk_push(s, q);
		}
	for (int i = 0; i < s->nu; i++)
		s->u[i].col = s->u[i].dropped ? -1 : s->U++;
	return 0;
}

/* Stage 2: one equation, the coefficients of <∇u(θ), X> for every unknown
 * column, normalised to unit length. */
static void fsys_row(const struct fsys *s, const double *th, const double *fv, double *a)
{
	for (int i = 0; i < s->nu; i++) {
		const struct unk *q = &s->u[i];
		if (q->col < 0)
			continue;
		if (q->lin) {
			a[q->col] = fv[q->i];
		} else {
			const struct taxis *x = &s->ax[q->ax];
			const size_t *oa = x->off + (size_t)q->a * x->rest, *ob = x->off + (size_t)q->b * x->rest;
			double sum = 0;
			for (int t = 0; t < x->rest; t++)
				sum += th[oa[t]] * fv[ob[t]] + fv[oa[t]] * th[ob[t]];
			a[q->col] = sum;
		}
	}
	double n = lie_nrm2((size_t)s->U, a);
	if (n > 0)
		for (int j = 0; j < s->U; j++)
			a[j] /= n;
}

/* Random point number p of stream `seed`: the model's initialisation with its
 * own seed, jittered by 20% of its rms so no entry sits at a special value. */
static void random_point(const struct model *m, unsigned long seed, long p, double *th)
{
	size_t D = m->nparams;
	struct init_spec sp = { INIT_NORMAL, 0.0, seed * 7919 + (unsigned long)p + 101 };
	model_init(m, th, &sp);
	struct rng r;
	rng_seed(&r, lie_mix_seed(seed + 17, p));
	double rms = lie_nrm2(D, th) / sqrt((double)(D ? D : 1));
	if (!(rms > 0))
		rms = 1;
	for (size_t i = 0; i < D; i++)
		th[i] += 0.2 * rms * rng_normal(&r);
}

/* Field evaluations of the search: the field index and the point stream. */
struct fctx {
	const struct fsys *s;
	const struct lie_fields *F;
	const struct lie_find_opts *o;
	long k;                /* next field index */
	double *th, *fv;       /* D each */
	char *err;
	size_t len;
};

/* Fills rows [0, n) of A (n, U): row i from field k++ at point pt(i). With
 * rpp > 0 a new point every rpp rows (point base + i/rpp), else one per row. */
static int fill_rows(struct fctx *c, double *A, int n, long base, int rpp, int row0, int rows_total, const char *stage)
{
	const struct fsys *s = c->s;
	for (int i = 0; i < n; i++) {
		int gi = row0 + i;
		if (rpp <= 1 || gi % rpp == 0)
			random_point(s->m, c->o->seed, base + (rpp > 1 ? gi / rpp : gi), c->th);
		if (c->o->interrupt && *c->o->interrupt)
			return nt_err(c->err, c->len, NT_EINTR, "laws find: interrupted");
		int g = c->F->eval(c->F->ctx, c->k++, c->th, c->fv);
		if (g)
			return nt_err(c->err, c->len, g, "laws find: the field generator failed");
		fsys_row(s, c->th, c->fv, A + (size_t)i * s->U);
		if ((gi & 63) == 0)
			lie_progress(c->o->progress, c->o->progress_ctx, 0.6 * gi / (double)(rows_total ? rows_total : 1), stage);
	}
	return 0;
}

/* Stage 3: null space of the first system. *Nb gets kn rows (kn, U) of
 * coefficients in the unknowns' own scale. */
static int null_space(struct fctx *c, struct lie_find_result *res, double **Nb, int *kn)
{
	const struct fsys *s = c->s;
	int U = s->U, P = c->o->points;
	int E = U + 16 + U / 8;
	int rpp = P > 0 && P < E ? (E + P - 1) / P : 1;
	res->nequations = E;
	*Nb = NULL;
	*kn = 0;
	if (U == 0)
		return 0;
	double *cs = xmalloc((size_t)U * sizeof *cs);
	double *vecs = NULL;     /* (nnull, U) null vectors in scaled coordinates */
	int nnull = 0, rc = 0;
	double gap = INFINITY;
	if (U <= 500) {
		double *A = xcalloc((size_t)E * U, sizeof *A);
		rc = fill_rows(c, A, E, PT_SYSTEM, rpp, 0, E, "find: equations");
		if (rc) {
			free(A);
			free(cs);
			return rc;
		}
		for (int j = 0; j < U; j++) {
			double q = 0;
			for (int i = 0; i < E; i++)
				q += A[(size_t)i * U + j] * A[(size_t)i * U + j];
			cs[j] = q > 0 ? sqrt(q) : 1.0;
			for (int i = 0; i < E; i++)
				A[(size_t)i * U + j] /= cs[j];
		}
		lie_progress(c->o->progress, c->o->progress_ctx, 0.6, "find: null space");
		double *sv = xmalloc((size_t)U * sizeof *sv), *vt = xmalloc((size_t)U * U * sizeof *vt);
		int info = lie_svd(E, U, A, sv, vt);
		free(A);
		if (info) {
			free(sv);
			free(vt);
			free(cs);
			return nt_err(c->err, c->len, NT_EINVAL, "laws find: SVD failed (LAPACK info %d)", info);
		}
		int rank = 0;
		while (rank < U && sv[rank] > 1e-9 * sv[0])
			rank++;
		nnull = U - rank;
		lie_sv_window(sv, U, rank, &res->sv_first, &res->nsv, res->sv);
		gap = rank > 0 && rank < U ? (sv[rank] > 0 ? sv[rank - 1] / sv[rank] : INFINITY) : INFINITY;
		vecs = xmalloc(((size_t)nnull * U + 1) * sizeof *vecs);
		memcpy(vecs, vt + (size_t)rank * U, (size_t)nnull * U * sizeof *vecs);
		free(sv);
		free(vt);
	} else {
		/* normal matrix N = Aᵀ A from blocks of rows; squaring the singular
		 * values puts the null-space threshold at the square root of the SVD's
		 * (noise ~1e-8 relative; these exact systems have their real singular
		 * values far above it) */
		const int RB = 256;
		double *N = xcalloc((size_t)U * U, sizeof *N), *Ab = xmalloc((size_t)RB * U * sizeof *Ab);
		for (int r0 = 0; r0 < E && !rc; r0 += RB) {
			int nb = E - r0 < RB ? E - r0 : RB;
			rc = fill_rows(c, Ab, nb, PT_SYSTEM, rpp, r0, E, "find: equations");
			if (!rc)
				cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, U, nb, 1.0, Ab, U, 1.0, N, U);
		}
		free(Ab);
		if (rc) {
			free(N);
			free(cs);
			return rc;
		}
		lie_progress(c->o->progress, c->o->progress_ctx, 0.6, "find: null space");
		for (int j = 0; j < U; j++)
			cs[j] = N[(size_t)j * U + j] > 0 ? sqrt(N[(size_t)j * U + j]) : 1.0;
		for (int i = 0; i < U; i++)
			for (int j = i; j < U; j++) {
				double v = N[(size_t)i * U + j] / (cs[i] * cs[j]);
				N[(size_t)i * U + j] = N[(size_t)j * U + i] = v;
			}
		/* largest eigenvalue by power iteration (a factor of 2 is enough) */
		double *x = xmalloc((size_t)U * sizeof *x), *y = xmalloc((size_t)U * sizeof *y), lmax = 1;
		for (int j = 0; j < U; j++)
			x[j] = 1.0 / sqrt((double)U) * (1 + 0.01 * (j % 7));
		for (int it = 0; it < 12; it++) {
			cblas_dsymv(CblasRowMajor, CblasUpper, U, 1.0, N, U, x, 1, 0.0, y, 1);
			lmax = lie_nrm2((size_t)U, y);
			if (!(lmax > 0))
				break;
			for (int j = 0; j < U; j++)
				x[j] = y[j] / lmax;
		}
		free(x);
		free(y);
		double thr = 3e-6 * 3e-6 * lmax;
		double *vals = xmalloc(((size_t)U + 1) * sizeof *vals);
		int rank = 0;
		int info = lie_psd_null(U, N, thr, &rank, &vecs, vals);
		free(N);
		if (info) {
			free(vals);
			free(cs);
			return nt_err(c->err, c->len, NT_EINVAL, "laws find: pivoted Cholesky failed (LAPACK info %d)", info);
		}
		nnull = U - rank;
		lie_sv_window(vals, U, rank, &res->sv_first, &res->nsv, res->sv);
		gap = rank > 0 && rank < U ? (vals[rank] > 0 ? vals[rank - 1] / vals[rank] : INFINITY) : INFINITY;
		free(vals);
	}
	res->gap = gap;
	res->uncertain = gap < 1e3;
	for (int r = 0; r < nnull; r++)
		for (int j = 0; j < U; j++)
			vecs[(size_t)r * U + j] /= cs[j];
	free(cs);
	*Nb = vecs;
	*kn = nnull;
	return 0;
}

/* Reduced row echelon form of the kn rows of Nb (kn, U), in place; returns
 * the number of independent rows (the first rows of Nb). */
static int rref(double *Nb, int kn, int U)
{
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
	return rr;
}

/* Stage 4: refinement. The candidates span the null space of equations at
 * the first points; with few points (points=P) that space holds more than the
 * laws. Equations at fresh points, restricted to the candidate space, cut it
 * down until a round removes nothing. Updates *Nb (rows normalised) and *kn. */
static int refine(struct fctx *c, struct lie_find_result *res, double **Nb, int *kn)
{
	const struct fsys *s = c->s;
	int U = s->U;
	for (int round = 0; round < REFINE_ROUNDS && *kn > 0; round++) {
		int n = *kn, E2 = n + 16 + n / 8;
		double *B = *Nb;
		for (int r = 0; r < n; r++) {
			double nr = lie_nrm2((size_t)U, B + (size_t)r * U);
			if (nr > 0)
				for (int j = 0; j < U; j++)
					B[(size_t)r * U + j] /= nr;
		}
		double *A = xmalloc(((size_t)E2 * U + 1) * sizeof *A);
		int rc = fill_rows(c, A, E2, PT_REFINE + (long)round * 100000, 1, 0, E2, "find: verify");
		if (rc) {
			free(A);
			return rc;
		}
		/* M (E2, n) = A Bᵀ: the residual of every candidate on every fresh equation */
		double *M = xmalloc(((size_t)E2 * n + 1) * sizeof *M);
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, E2, n, U, 1.0, A, U, B, U, 0.0, M, n);
		free(A);
		/* its null space: the Gram matrix MᵀM and a pivoted Cholesky; a law
		 * leaves rounding-level residuals on unit rows (σ <= 1e-7·√E2) */
		double *G = xcalloc((size_t)n * n + 1, sizeof *G);
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, E2, 1.0, M, n, 0.0, G, n);
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				G[(size_t)j * n + i] = G[(size_t)i * n + j];
		free(M);
		double *vals = xmalloc(((size_t)n + 1) * sizeof *vals), *Z = NULL;
		int rank = 0;
		int info = lie_psd_null(n, G, 1e-14 * E2, &rank, &Z, vals);
		free(G);
		free(vals);
		if (info) {
			free(Z);
			return nt_err(c->err, c->len, NT_EINVAL, "laws find: pivoted Cholesky failed (LAPACK info %d)", info);
		}
		int keep = n - rank;
		if (keep == n) {
			free(Z);
			break;
		}
		double *NB = xmalloc(((size_t)keep * U + 1) * sizeof *NB);
		if (keep > 0)
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, keep, U, n, 1.0, Z, n, B, U, 0.0, NB, U);
		free(Z);
		free(B);
		res->refined += n - keep;
		*Nb = NB;
		*kn = keep;
	}
	return 0;
}

/* ------------------------------------------------------------------ laws and text */

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

static const struct tensor_view *tensor_of(const struct model *m, size_t i)
{
	for (int b = 0; b < m->nblocks; b++)
		for (int t = 0; t < m->blocks[b].ntensors; t++) {
			const struct tensor_view *x = &m->blocks[b].tensors[t];
			if (i >= x->off && i < x->off + x->size)
				return x;
		}
	return NULL;
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

/* Expands a system row into every unknown (dropped ones at 0) and adds
 * multiples of the trace identities (the axis Grams of a tensor share
 * ||T||²) where that makes the law sparser. */
static void expand_sparsify(const struct fsys *s, const double *nv, double *full, double *tid)
{
	int nu = s->nu;
	for (int i = 0; i < nu; i++) {
		full[i] = s->u[i].col >= 0 ? nv[s->u[i].col] : 0;
		if (fabs(full[i]) < 1e-9)
			full[i] = 0;
	}
	for (int round_ = 0; round_ < 2; round_++)
		for (int a0 = 0; a0 < s->nax; a0++) {
			if (s->ax[a0].axis != 0 || s->ax[a0].tv->ndim < 2)
				continue;
			for (int a1 = a0 + 1; a1 < s->nax && s->ax[a1].tv == s->ax[a0].tv; a1++) {
				for (int i = 0; i < nu; i++)
					tid[i] = !s->u[i].lin && s->u[i].a == s->u[i].b ? (s->u[i].ax == a0 ? 1.0 : s->u[i].ax == a1 ? -1.0 : 0.0) : 0.0;
				double lam = l1_shift(full, tid, nu);
				if (lam == 0)
					continue;
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

/* Normalises: first coefficient +1 when it is not tiny, else the largest ±1.
 * Returns 0 when the law vanished. */
static int normalise(double *full, int nu)
{
	double first = 0, big = 0;
	for (int i = 0; i < nu; i++) {
		if (full[i] != 0 && first == 0)
			first = full[i];
		if (fabs(full[i]) > big)
			big = fabs(full[i]);
	}
	if (first == 0)
		return 0;
	double norm = fabs(first) > 1e-3 * big ? first : (first < 0 ? -big : big);
	for (int i = 0; i < nu; i++)
		full[i] /= norm;
	return 1;
}

/* Snaps every coefficient to a fraction with denominator 1, 2, 3, 4, 6 or 12
 * when all of them lie within 1e-6 of one; returns 1 if it did. */
static int snap(double *full, int nu)
{
	static const int dens[] = { 1, 2, 3, 4, 6, 12 };
	for (size_t d = 0; d < sizeof dens / sizeof dens[0]; d++) {
		int ok = 1;
		for (int i = 0; i < nu && ok; i++) {
			double x = full[i] * dens[d];
			ok = fabs(x - round(x)) < 1e-6 * (fabs(x) > 1 ? fabs(x) : 1);
		}
		if (ok) {
			for (int i = 0; i < nu; i++)
				full[i] = round(full[i] * dens[d]) / dens[d];
			return 1;
		}
	}
	return 0;
}

/* The law with coefficients full[nu] as a quantity and its readable text. */
static struct quantity *build_law(const struct fsys *s, const double *full, const char *name, char **text)
{
	int quad = 0;
	for (int i = 0; i < s->nu; i++)
		if (full[i] != 0 && !s->u[i].lin)
			quad = 1;
	struct quantity *q = quantity_new(name, quad ? QK_QUADRATIC : QK_LINEAR, 1);
	q->role = QR_CANDIDATE;
	struct strbuf tb = { 0 };
	int firstterm = 1;
	for (int i = 0; i < s->nu; i++) {
		double cf = full[i];
		if (cf == 0)
			continue;
		const struct unk *u = &s->u[i];
		char slice[128], slice2[128], idx[48];
		coef_text(&tb, cf, firstterm);
		firstterm = 0;
		if (u->lin) {
			const struct tensor_view *tv = tensor_of(s->m, u->i);
			if (tv) {
				index_text(tv, u->i, idx, sizeof idx);
				sb_printf(&tb, "%s%s", tv->name, idx);
			} else {
				sb_printf(&tb, "θ[%zu]", u->i);
			}
			qcomp_add(&q->comp[0], (int)u->i, -1, cf);
		} else {
			const struct taxis *x = &s->ax[u->ax];
			slice_text(x, u->a, slice, sizeof slice);
			if (u->a == u->b) {
				if (x->tv->ndim == 1)
					sb_printf(&tb, "%s^2", slice);
				else
					sb_printf(&tb, "||%s||^2", slice);
			} else {
				slice_text(x, u->b, slice2, sizeof slice2);
				sb_printf(&tb, "%s·%s", slice, slice2);
			}
			const size_t *oa = x->off + (size_t)u->a * x->rest, *ob = x->off + (size_t)u->b * x->rest;
			for (int t = 0; t < x->rest; t++)
				qcomp_add(&q->comp[0], (int)oa[t], (int)ob[t], cf);
		}
	}
	str_copy(q->formula, tb.s ? tb.s : "", sizeof q->formula);
	*text = tb.s ? tb.s : xstrdup("");
	return q;
}

/* The final check: the largest relative rate of each law against fresh
 * fields at fresh points. rates[i] for laws[i]. */
static int check_laws(struct fctx *c, struct quantity **laws, int n, double *rates)
{
	const struct fsys *s = c->s;
	size_t D = s->D;
	double *X = xmalloc(((size_t)CHECK_FIELDS * D + 1) * sizeof *X), *g = xmalloc((D + 1) * sizeof *g);
	for (int i = 0; i < n; i++)
		rates[i] = 0;
	int rc = 0;
	for (int p = 0; p < CHECK_POINTS && !rc; p++) {
		random_point(s->m, c->o->seed, PT_CHECK + p, c->th);
		for (int f = 0; f < CHECK_FIELDS && !rc; f++) {
			int e = c->F->eval(c->F->ctx, c->k++, c->th, X + (size_t)f * D);
			if (e)
				rc = nt_err(c->err, c->len, e, "laws find: the field generator failed");
		}
		for (int i = 0; i < n && !rc; i++) {
			if (c->o->interrupt && *c->o->interrupt)
				rc = nt_err(c->err, c->len, NT_EINTR, "laws find: interrupted");
			for (int f = 0; f < CHECK_FIELDS; f++) {
				double r = lie_rate(laws[i], 0, c->th, X + (size_t)f * D, D, g);
				if (!(r <= rates[i]))
					rates[i] = r;
			}
		}
	}
	free(X);
	free(g);
	return rc;
}

void lie_find_defaults(struct lie_find_opts *o)
{
	memset(o, 0, sizeof *o);
	o->degree = 2;
	o->points = 0;
	o->max_unknowns = 10000;
}

void lie_find_result_free(struct lie_find_result *r)
{
	for (int i = 0; i < r->nlaws; i++) {
		quantity_free(r->laws[i]);
		free(r->text[i]);
	}
	free(r->laws);
	free(r->text);
	free(r->rate);
	memset(r, 0, sizeof *r);
}

/* Stages 5-6: laws from the basis rows, each checked; fills res. */
static int make_laws(struct fctx *c, struct lie_find_result *res, const double *Nb, int rr)
{
	const struct fsys *s = c->s;
	int nu = s->nu;
	res->laws = xcalloc((size_t)rr + 1, sizeof *res->laws);
	res->text = xcalloc((size_t)rr + 1, sizeof *res->text);
	res->rate = xcalloc((size_t)rr + 1, sizeof *res->rate);
	double *full = xmalloc(((size_t)nu + 1) * sizeof *full), *raw = xmalloc(((size_t)nu + 1) * sizeof *raw);
	double *tid = xmalloc(((size_t)nu + 1) * sizeof *tid);
	/* snapped and raw candidate of each row */
	struct quantity **cand = xcalloc(2 * (size_t)rr + 1, sizeof *cand);
	char **ctext = xcalloc(2 * (size_t)rr + 1, sizeof *ctext);
	double *crate = xcalloc(2 * (size_t)rr + 1, sizeof *crate);
	int nc = 0;
	for (int r = 0; r < rr; r++) {
		expand_sparsify(s, Nb + (size_t)r * s->U, full, tid);
		if (!normalise(full, nu))
			continue;
		memcpy(raw, full, (size_t)nu * sizeof *raw);
		int snapped = snap(full, nu);
		char name[32];
		snprintf(name, sizeof name, "found.%d", r + 1);
		cand[nc] = build_law(s, snapped ? full : raw, name, &ctext[nc]);
		nc++;
		if (snapped) {
			cand[nc] = build_law(s, raw, name, &ctext[nc]);
			nc++;
		} else {
			cand[nc] = NULL;
			ctext[nc] = NULL;
			nc++;
		}
	}
	int rc = 0;
	{
		/* check every non-NULL candidate in one pass over the fresh points */
		struct quantity **live = xcalloc((size_t)nc + 1, sizeof *live);
		int *map = xcalloc((size_t)nc + 1, sizeof *map), nl = 0;
		for (int i = 0; i < nc; i++)
			if (cand[i]) {
				map[nl] = i;
				live[nl++] = cand[i];
			}
		double *rt = xcalloc((size_t)nl + 1, sizeof *rt);
		lie_progress(c->o->progress, c->o->progress_ctx, 0.9, "find: check");
		rc = check_laws(c, live, nl, rt);
		for (int i = 0; i < nl; i++)
			crate[map[i]] = rt[i];
		free(rt);
		free(map);
		free(live);
	}
	for (int i = 0; i + 1 < nc && !rc; i += 2) {
		int pick = -1;
		if (crate[i] <= LIE_RATE_TOL)
			pick = i;
		else if (cand[i + 1] && crate[i + 1] <= LIE_RATE_TOL)
			pick = i + 1;
		if (pick < 0) {
			res->rejected++;
			continue;
		}
		struct quantity *q = cand[pick];
		snprintf(q->name, sizeof q->name, "found.%d", res->nlaws + 1);
		res->laws[res->nlaws] = q;
		res->text[res->nlaws] = ctext[pick];
		res->rate[res->nlaws] = crate[pick];
		res->nlaws++;
		cand[pick] = NULL;
		ctext[pick] = NULL;
	}
	for (int i = 0; i < nc; i++) {
		quantity_free(cand[i]);
		free(ctext[i]);
	}
	free(cand);
	free(ctext);
	free(crate);
	free(full);
	free(raw);
	free(tid);
	res->check_points = CHECK_POINTS;
	return rc;
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
	struct fsys s;
	int rc = fsys_build(&s, m, o->degree >= 2 ? 2 : 1, o->mask, o->max_unknowns > 0 ? o->max_unknowns : 10000, err, len);
	if (rc) {
		res->seconds = now_seconds() - t0;
		return rc;
	}
	res->nunknowns = s.U;
	struct fctx c = { &s, F, o, 0, xmalloc((D + 1) * sizeof(double)), xmalloc((D + 1) * sizeof(double)), err, len };
	double *Nb = NULL;
	int kn = 0;
	rc = null_space(&c, res, &Nb, &kn);
	res->candidates = kn;
	if (!rc)
		rc = refine(&c, res, &Nb, &kn);
	if (!rc && kn > 0) {
		int rr = rref(Nb, kn, s.U);
		rc = make_laws(&c, res, Nb, rr);
	}
	if (!rc && res->nlaws > 0) {
		struct lie_rank lr;
		random_point(m, o->seed, PT_CHECK + 99, c.th);
		lie_grad_rank(res->laws, res->nlaws, c.th, D, &lr);
		res->independent = lr.rank;
	}
	lie_progress(o->progress, o->progress_ctx, 1.0, "find: done");
	free(Nb);
	free(c.th);
	free(c.fv);
	fsys_free(&s);
	if (rc)
		lie_find_result_free(res);   /* laws made before an interrupt: nothing for the caller to free */
	res->seconds = now_seconds() - t0;
	return rc;
}

/* ------------------------------------------------------------------ hand-over */

/* "found.<form>(<support>)": form linear, norms (squared norms of slices only)
 * or quad; support the slices when there are at most three, else the tensors. */
static void law_name(const struct model *m, const struct quantity *q, char *name, size_t len)
{
	const struct qcomp *c = &q->comp[0];
	int lin = 0, quad = 0, offd = 0;
	const struct tensor_view *tv[16];
	int ntv = 0, more = 0;
	for (int t = 0; t < c->nterms; t++) {
		const struct qterm *x = &c->terms[t];
		if (x->j < 0)
			lin = 1;
		else
			quad = 1;
		const struct tensor_view *a = tensor_of(m, (size_t)x->i), *b = x->j >= 0 ? tensor_of(m, (size_t)x->j) : NULL;
		if (x->j >= 0 && x->j != x->i)
			offd = 1;
		const struct tensor_view *ab[2] = { a, b };
		for (int k = 0; k < 2; k++) {
			if (!ab[k])
				continue;
			int seen = 0;
			for (int i = 0; i < ntv; i++)
				seen |= tv[i] == ab[k];
			if (!seen) {
				if (ntv < 16)
					tv[ntv++] = ab[k];
				else
					more = 1;
			}
		}
	}
	(void)offd;
	const char *form = !quad ? "linear" : lin ? "mixed" : "quad";
	size_t p = (size_t)snprintf(name, len, "found.%s(", form);
	for (int i = 0; i < ntv && p < len; i++) {
		size_t need = strlen(tv[i]->name) + 2;
		if (p + need + 4 >= len) {
			more = 1;
			break;
		}
		p += (size_t)snprintf(name + p, len - p, "%s%s", i ? "," : "", tv[i]->name);
	}
	if (p < len)
		snprintf(name + p, len - p, "%s)", more ? ",…" : "");
}

int lie_find_take_new(struct lie_find_result *r, const struct model *m, struct quantity *const *have, int nhave,
                      size_t D, struct qset *out)
{
	int moved = 0, keep = 0;
	for (int i = 0; i < r->nlaws; i++) {
		struct quantity *q = r->laws[i];
		if (lie_span_contains(have, nhave, q, D, 11, NULL)) {
			r->laws[keep] = q;
			r->text[keep] = r->text[i];
			r->rate[keep] = r->rate[i];
			keep++;
			continue;
		}
		char base[96], name[96];
		law_name(m, q, base, sizeof base);
		str_copy(name, base, sizeof name);
		for (int n = 2; qset_find(out, name); n++) {
			char suf[16];
			int sl = snprintf(suf, sizeof suf, ".%d", n);
			size_t bl = strlen(base);
			if (bl + (size_t)sl >= sizeof name)
				bl = sizeof name - 1 - (size_t)sl;
			memcpy(name, base, bl);
			memcpy(name + bl, suf, (size_t)sl + 1);
		}
		str_copy(q->name, name, sizeof q->name);
		str_copy(q->formula, r->text[i], sizeof q->formula);
		q->role = QR_CANDIDATE;
		qset_add(out, q);
		free(r->text[i]);
		moved++;
	}
	r->nlaws = keep;
	return moved;
}
