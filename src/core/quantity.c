/* quantity.c — sparse polynomials of degree <= 2 in θ (and expression callbacks):
 * value, gradient and magnitude. Terms with j < 0 are linear. Every consumer
 * (checker, drift, screen, CSV, counting) goes through these functions; the
 * per-step trace uses a qplan, which computes the same values, faster. */
#include "noether/quantity.h"
#include "noether/util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct quantity *quantity_new(const char *name, enum qkind kind, int ncomp)
{
	struct quantity *q = xcalloc(1, sizeof *q);
	str_copy(q->name, name, sizeof q->name);
	q->kind = kind;
	q->role = QR_CANDIDATE;
	q->block = -1;
	q->ncomp = ncomp;
	q->comp = xcalloc((size_t)(ncomp > 0 ? ncomp : 1), sizeof *q->comp);
	for (int k = 0; k < ncomp; k++)
		q->comp[k].weight = 1.0;
	q->h0 = xcalloc((size_t)(ncomp > 0 ? ncomp : 1), sizeof(double));
	q->hk = xcalloc((size_t)(ncomp > 0 ? ncomp : 1), sizeof(double));
	q->watched = 1;
	q->slot = -1;
	q->pslot = -1;
	q->decay = 1.0;
	return q;
}

void quantity_free(struct quantity *q)
{
	if (!q)
		return;
	for (int k = 0; k < q->ncomp; k++)
		free(q->comp[k].terms);
	free(q->comp);
	free(q->h0);
	free(q->hk);
	free(q->hp);
	if (q->fn_free)
		q->fn_free(q->fn_ctx);
	free(q);
}

struct quantity *quantity_clone(const struct quantity *q)
{
	struct quantity *c = xmalloc(sizeof *c);
	*c = *q;
	int n = q->ncomp > 0 ? q->ncomp : 1;
	c->comp = xcalloc((size_t)n, sizeof *c->comp);
	for (int k = 0; k < q->ncomp; k++) {
		c->comp[k] = q->comp[k];
		c->comp[k].cap = q->comp[k].nterms;
		c->comp[k].terms = q->comp[k].nterms ? xmalloc((size_t)q->comp[k].nterms * sizeof *c->comp[k].terms) : NULL;
		if (q->comp[k].nterms)
			memcpy(c->comp[k].terms, q->comp[k].terms, (size_t)q->comp[k].nterms * sizeof *c->comp[k].terms);
	}
	c->h0 = xmalloc((size_t)n * sizeof(double));
	c->hk = xmalloc((size_t)n * sizeof(double));
	memcpy(c->h0, q->h0, (size_t)n * sizeof(double));
	memcpy(c->hk, q->hk, (size_t)n * sizeof(double));
	c->hp = NULL;
	c->pslot = -1;
	if (q->fn_ctx)
		c->fn_ctx = q->fn_dup ? q->fn_dup(q->fn_ctx) : NULL;
	if (q->fn_ctx && !c->fn_ctx) {   /* not shareable: evaluates to nothing */
		c->fn = NULL;
		c->fn_free = NULL;
	}
	return c;
}

void qcomp_add(struct qcomp *c, int i, int j, double coef)
{
	if (c->nterms == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		c->terms = xrealloc(c->terms, (size_t)c->cap * sizeof *c->terms);
	}
	c->terms[c->nterms++] = (struct qterm){ i, j, coef };
}

void qset_add(struct qset *s, struct quantity *q)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->q = xrealloc(s->q, (size_t)s->cap * sizeof *s->q);
	}
	s->q[s->n++] = q;
}

void qset_clear(struct qset *s)
{
	for (int i = 0; i < s->n; i++)
		quantity_free(s->q[i]);
	free(s->q);
	s->q = NULL;
	s->n = s->cap = 0;
}

void qset_remove(struct qset *s, int index)
{
	if (index < 0 || index >= s->n)
		return;
	quantity_free(s->q[index]);
	memmove(s->q + index, s->q + index + 1, (size_t)(s->n - index - 1) * sizeof *s->q);
	s->n--;
}

struct quantity *qset_find(const struct qset *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->q[i]->name, name))
			return s->q[i];
	return NULL;
}

/* The value of a component, in the one order every evaluation uses (the plan
 * below gives the same bits): a component of fewer than QPLAN_LONG terms sums
 * them in order from 0 (as an expression written by hand does); a longer one
 * adds term t (c·θ_i·θ_j, or c·θ_i) into the partial sum t mod 4, the four
 * partial sums starting at 0 and combined (p0 + p1) + (p2 + p3), so that four
 * consecutive terms are one vector. */
enum { QPLAN_LONG = 16 };

double quantity_comp_value(const struct quantity *q, int k, const double *theta)
{
	if (q->fn)
		return q->fn(q, theta, NULL, 0.0);
	const struct qcomp *c = &q->comp[k];
	double p[4] = { 0.0, 0.0, 0.0, 0.0 };
	const int lanes = c->nterms < QPLAN_LONG ? 1 : 4;
	for (int t = 0; t < c->nterms; t++) {
		const struct qterm *e = &c->terms[t];
		p[t % lanes] += e->j < 0 ? e->c * theta[e->i] : e->c * theta[e->i] * theta[e->j];
	}
	return lanes == 1 ? p[0] : (p[0] + p[1]) + (p[2] + p[3]);
}

void quantity_eval(const struct quantity *q, const double *theta, double *out)
{
	for (int k = 0; k < q->ncomp; k++)
		out[k] = quantity_comp_value(q, k, theta);
}

void quantity_comp_grad(const struct quantity *q, int k, const double *theta, double scale, double *grad)
{
	if (q->fn) {
		q->fn(q, theta, grad, scale);
		return;
	}
	const struct qcomp *c = &q->comp[k];
	for (int t = 0; t < c->nterms; t++) {
		const struct qterm *e = &c->terms[t];
		if (e->j < 0) {
			grad[e->i] += scale * e->c;
		} else {
			grad[e->i] += scale * e->c * theta[e->j];
			grad[e->j] += scale * e->c * theta[e->i];
		}
	}
}

double quantity_magnitude(const struct quantity *q, const double *theta)
{
	if (q->fn)
		return fabs(q->fn(q, theta, NULL, 0.0));
	double m = 0;
	for (int k = 0; k < q->ncomp; k++) {
		const struct qcomp *c = &q->comp[k];
		for (int t = 0; t < c->nterms; t++) {
			const struct qterm *e = &c->terms[t];
			m += fabs(e->j < 0 ? e->c * theta[e->i] : e->c * theta[e->i] * theta[e->j]);
		}
	}
	return m;
}

double quantity_norm(const struct quantity *q, const double *v)
{
	if (q->ncomp == 1)
		return fabs(v[0]);
	double s = 0;
	for (int k = 0; k < q->ncomp; k++)
		s += q->comp[k].weight * v[k] * v[k];
	return sqrt(s);
}

int quantity_max_index(const struct quantity *q)
{
	int m = 0;
	for (int k = 0; k < q->ncomp; k++)
		for (int t = 0; t < q->comp[k].nterms; t++) {
			const struct qterm *e = &q->comp[k].terms[t];
			if (e->i + 1 > m)
				m = e->i + 1;
			if (e->j + 1 > m)
				m = e->j + 1;
		}
	return m;
}

/* ---- evaluation plan ----------------------------------------------------------
 * Every value is summed in quantity_comp_value's order. Terms are read as
 *  - squares ±θ_i² (i = j, c = ±1): one load from y = (θ², -θ², 0), computed
 *    once per evaluation (c·θ_i·θ_i is exactly ±(θ_i·θ_i): rounding is
 *    symmetric);
 *  - anything else: (c·x_i)·x_j with x = (θ, 1, 0), a linear term c·θ_i reading
 *    x_j = x[D] = 1 (c·θ_i·1 is c·θ_i exactly).
 * Two layouts:
 *  - long components (at least QPLAN_LONG terms: whole tensors, long rows) go
 *    one at a time, four consecutive terms as one vector — the four partial
 *    sums are its lanes — a run of four consecutive squares of one sign being
 *    one vector load (QC_RUN), other chunks four loads (QC_SQ) or four general
 *    terms (QC_GEN);
 *  - the short ones (neuron laws, small matrix laws, single terms) in groups
 *    of four of similar length, side by side: lane l of a vector is component
 *    l of the group, its terms interleaved (step t: term t of each) and added
 *    in order; a component that has run out adds +0, which leaves its sum
 *    unchanged (a sum is never -0: it starts at +0, and in round-to-nearest
 *    x + y is -0 only when both are).
 * The processor overlaps the independent chains of successive components. */
enum { QC_RUN, QC_SQ, QC_GEN };

struct qgroups {
	int n;                  /* groups of four components */
	int *off, *len, *dst;   /* per group: first entry, steps, 4 destinations (-1: none) */
};

struct qplan {
	int nq;                 /* quantities the plan was built for */
	size_t D;
	/* long components */
	int nlong;
	int *ldst, *lrun, *lsq, *lgen;   /* per component: destination, its QC_RUN, QC_SQ, QC_GEN chunks (in that order) */
	int *lmix;              /* per component: 1 when the kinds are mixed otherwise (then lkind says) */
	unsigned char *lkind;   /* per chunk */
	int *lix;               /* per chunk: 1, 4 or 8 indices */
	double *lcf;            /* per QC_GEN chunk: 4 coefficients */
	/* groups of short components */
	struct qgroups sq, gen;
	int *sidx;              /* square groups: [off + 4t + l] index into y */
	struct qterm *gterm;    /* general groups: [off + 4t + l] (i, j into x, c) */
	int need_y, need_x;
	double *x, *y;          /* (θ, 1, 0) and (θ², -θ², 0) */
};

static int qterm_is_square(const struct qterm *e)
{
	return e->i == e->j && (e->c == 1.0 || e->c == -1.0);
}

struct qplan_item { int nterms, dst; const struct qcomp *c; };

static int qplan_cmp(const void *a, const void *b)
{
	const struct qplan_item *x = a, *y = b;
	if (x->nterms != y->nterms)
		return x->nterms < y->nterms ? 1 : -1;
	return (x->dst > y->dst) - (x->dst < y->dst);
}

/* Kind of the chunk of (up to) four terms at e. */
static int qchunk_kind(const struct qterm *e, int m)
{
	int sq = 1, run = m == 4;
	for (int t = 0; t < m; t++) {
		sq &= qterm_is_square(&e[t]);
		run &= t == 0 || (e[t].i == e[0].i + t && e[t].c == e[0].c);
	}
	return !sq ? QC_GEN : run ? QC_RUN : QC_SQ;
}

/* Lays out the sorted short components it[0..n) in groups of four; returns
 * the number of entries (4 per step). */
static size_t qplan_group(struct qgroups *g, const struct qplan_item *it, int n)
{
	g->n = (n + 3) / 4;
	g->off = xcalloc((size_t)g->n + 1, sizeof *g->off);
	g->len = xcalloc((size_t)g->n + 1, sizeof *g->len);
	g->dst = xcalloc((size_t)g->n * 4 + 1, sizeof *g->dst);
	size_t total = 0;
	for (int k = 0; k < g->n; k++) {
		g->len[k] = it[4 * k].nterms;   /* sorted: the first is the longest */
		g->off[k] = (int)total;
		total += (size_t)g->len[k] * 4;
		for (int l = 0; l < 4; l++)
			g->dst[4 * k + l] = 4 * k + l < n ? it[4 * k + l].dst : -1;
	}
	return total;
}

struct qplan *qplan_new(const struct qset *s, size_t D)
{
	struct qplan *p = xcalloc(1, sizeof *p);
	p->nq = s->n;
	p->D = D;
	int n = 0;
	for (int i = 0; i < s->n; i++)
		if (!s->q[i]->fn && !s->q[i]->phase)   /* expressions and phase-space laws: the plain path */
			n += s->q[i]->ncomp;
	struct qplan_item *lg = xcalloc((size_t)n + 1, sizeof *lg), *sq = xcalloc((size_t)n + 1, sizeof *sq),
	                  *gen = xcalloc((size_t)n + 1, sizeof *gen);
	int nlg = 0, nsq = 0, ngen = 0;
	size_t nch = 0, nix = 0, ncf = 0;
	for (int i = 0; i < s->n; i++) {
		const struct quantity *q = s->q[i];
		if (q->fn || q->phase)
			continue;
		for (int k = 0; k < q->ncomp; k++) {
			const struct qcomp *c = &q->comp[k];
			struct qplan_item e = { c->nterms, q->slot + k, c };
			int nc = (c->nterms + 3) / 4, allsq = 1;
			for (int b = 0; b < nc; b++) {
				int m = c->nterms - 4 * b < 4 ? c->nterms - 4 * b : 4, kd = qchunk_kind(c->terms + 4 * b, m);
				allsq &= kd != QC_GEN;
				nix += kd == QC_RUN ? 1 : kd == QC_SQ ? 4 : 8;
				ncf += kd == QC_GEN ? 4 : 0;
			}
			if (c->nterms >= QPLAN_LONG) {
				lg[nlg++] = e;
				nch += (size_t)nc;
			} else if (allsq) {
				sq[nsq++] = e;
			} else {
				gen[ngen++] = e;
			}
		}
	}
	/* long components: their chunks, in term order */
	p->nlong = nlg;
	p->ldst = xcalloc((size_t)nlg + 1, sizeof *p->ldst);
	p->lrun = xcalloc((size_t)nlg + 1, sizeof *p->lrun);
	p->lsq = xcalloc((size_t)nlg + 1, sizeof *p->lsq);
	p->lgen = xcalloc((size_t)nlg + 1, sizeof *p->lgen);
	p->lmix = xcalloc((size_t)nlg + 1, sizeof *p->lmix);
	p->lkind = xcalloc(nch + 1, 1);
	p->lix = xcalloc(nix + 1, sizeof *p->lix);
	p->lcf = xcalloc(ncf + 1, sizeof *p->lcf);
	size_t ch = 0, xi = 0, xc = 0;
	for (int n2 = 0; n2 < nlg; n2++) {
		const struct qcomp *c = lg[n2].c;
		int nc = (c->nterms + 3) / 4, last = QC_RUN;
		p->ldst[n2] = lg[n2].dst;
		for (int b = 0; b < nc; b++, ch++) {
			const struct qterm *e = c->terms + 4 * b;
			int m = c->nterms - 4 * b < 4 ? c->nterms - 4 * b : 4, kd = qchunk_kind(e, m);
			p->lmix[n2] |= kd < last;
			last = kd;
			p->lrun[n2] += kd == QC_RUN;
			p->lsq[n2] += kd == QC_SQ;
			p->lgen[n2] += kd == QC_GEN;
			p->lkind[ch] = (unsigned char)kd;
			int *ix = p->lix + xi;
			if (kd == QC_RUN) {
				ix[0] = e[0].c > 0 ? e[0].i : (int)D + e[0].i;
				xi += 1;
				p->need_y = 1;
			} else if (kd == QC_SQ) {
				for (int t = 0; t < 4; t++)
					ix[t] = t >= m ? 2 * (int)D : e[t].c > 0 ? e[t].i : (int)D + e[t].i;
				xi += 4;
				p->need_y = 1;
			} else {
				for (int t = 0; t < 4; t++) {
					ix[2 * t] = t < m ? e[t].i : (int)D + 1;
					ix[2 * t + 1] = t < m ? (e[t].j < 0 ? (int)D : e[t].j) : (int)D + 1;
					p->lcf[xc + t] = t < m ? e[t].c : 0.0;
				}
				xi += 8;
				xc += 4;
				p->need_x = 1;
			}
		}
	}
	/* short components: groups of four, side by side */
	qsort(sq, (size_t)nsq, sizeof *sq, qplan_cmp);
	qsort(gen, (size_t)ngen, sizeof *gen, qplan_cmp);
	size_t ns = qplan_group(&p->sq, sq, nsq), ng = qplan_group(&p->gen, gen, ngen);
	p->sidx = xcalloc(ns + 1, sizeof *p->sidx);
	p->gterm = xcalloc(ng + 1, sizeof *p->gterm);
	for (int g = 0; g < p->sq.n; g++)
		for (int l = 0; l < 4; l++)
			for (int t = 0; t < p->sq.len[g]; t++) {
				int m = 4 * g + l, *e = &p->sidx[(size_t)p->sq.off[g] + 4 * (size_t)t + l];
				if (m < nsq && t < sq[m].nterms) {
					const struct qterm *u = &sq[m].c->terms[t];
					*e = u->c > 0 ? u->i : (int)D + u->i;
				} else {
					*e = 2 * (int)D;
				}
			}
	for (int g = 0; g < p->gen.n; g++)
		for (int l = 0; l < 4; l++)
			for (int t = 0; t < p->gen.len[g]; t++) {
				int m = 4 * g + l;
				struct qterm *e = &p->gterm[(size_t)p->gen.off[g] + 4 * (size_t)t + l];
				if (m < ngen && t < gen[m].nterms) {
					*e = gen[m].c->terms[t];
					if (e->j < 0)
						e->j = (int)D;
				} else {
					*e = (struct qterm){ (int)D + 1, (int)D + 1, 0.0 };
				}
			}
	p->need_y |= p->sq.n > 0;
	p->need_x |= p->gen.n > 0;
	p->x = xcalloc(D + 2, sizeof *p->x);
	p->y = xcalloc(2 * D + 1, sizeof *p->y);
	free(lg);
	free(sq);
	free(gen);
	return p;
}

static void qgroups_free(struct qgroups *g)
{
	free(g->off); free(g->len); free(g->dst);
}

void qplan_free(struct qplan *p)
{
	if (!p)
		return;
	free(p->ldst); free(p->lrun); free(p->lsq); free(p->lgen); free(p->lmix);
	free(p->lkind); free(p->lix); free(p->lcf);
	qgroups_free(&p->sq);
	qgroups_free(&p->gen);
	free(p->sidx); free(p->gterm);
	free(p->x); free(p->y);
	free(p);
}

int qplan_count(const struct qplan *p) { return p ? p->nq : -1; }

typedef double qv4 __attribute__((vector_size(32)));

/* One chunk of a long component added into acc (ix, cf advanced). */
static inline __attribute__((always_inline)) void qc_run(qv4 *acc, const double *y, const int **ix)
{
	qv4 v;
	__builtin_memcpy(&v, y + (*ix)[0], sizeof v);
	*acc += v;
	*ix += 1;
}

static inline __attribute__((always_inline)) void qc_sq(qv4 *acc, const double *y, const int **ix)
{
	const int *i = *ix;
	*acc += (qv4){ y[i[0]], y[i[1]], y[i[2]], y[i[3]] };
	*ix += 4;
}

static inline __attribute__((always_inline)) void qc_gen(qv4 *acc, const double *x, const int **ix, const double **cf)
{
	const int *i = *ix;
	const double *c = *cf;
	const qv4 cv = { c[0], c[1], c[2], c[3] };
	const qv4 a = { x[i[0]], x[i[2]], x[i[4]], x[i[6]] };
	const qv4 b = { x[i[1]], x[i[3]], x[i[5]], x[i[7]] };
	*acc += (cv * a) * b;
	*ix += 8;
	*cf += 4;
}

/* One step of a group of short components: term t of each of the four. */
static inline __attribute__((always_inline)) void qg_sq(qv4 *acc, const double *y, const int *e)
{
	*acc += (qv4){ y[e[0]], y[e[1]], y[e[2]], y[e[3]] };
}

static inline __attribute__((always_inline)) void qg_gen(qv4 *acc, const double *x, const struct qterm *e)
{
	const qv4 c = { e[0].c, e[1].c, e[2].c, e[3].c };
	const qv4 a = { x[e[0].i], x[e[1].i], x[e[2].i], x[e[3].i] };
	const qv4 b = { x[e[0].j], x[e[1].j], x[e[2].j], x[e[3].j] };
	*acc += (c * a) * b;
}

static inline __attribute__((always_inline)) void qg_store(const int *dst, const qv4 *a, double *out)
{
	for (int l = 0; l < 4; l++)
		if (dst[l] >= 0)
			out[dst[l]] = (*a)[l];
}

/* Cloned for AVX2 (vectors of 4 in one register) and the baseline; the same
 * IEEE operations lane by lane, so the same bits. */
__attribute__((target_clones("arch=x86-64-v3", "default")))
void qplan_eval(struct qplan *p, const double *theta, double *out)
{
	const size_t D = p->D;
	if (p->need_y) {
		const double *restrict th = theta;
		double *restrict yp = p->y, *restrict yn = p->y + D;
		for (size_t i = 0; i < D; i++) {
			const double t = th[i] * th[i];
			yp[i] = t;
			yn[i] = -t;
		}
		p->y[2 * D] = 0.0;
	}
	if (p->need_x) {
		memcpy(p->x, theta, D * sizeof *p->x);
		p->x[D] = 1.0;
		p->x[D + 1] = 0.0;
	}
	const double *y = p->y, *x = p->x, *cf = p->lcf;
	const unsigned char *kind = p->lkind;
	const int *ix = p->lix;
	for (int n = 0; n < p->nlong; n++) {
		qv4 acc = { 0.0, 0.0, 0.0, 0.0 };
		int nr = p->lrun[n], ns = p->lsq[n], ng = p->lgen[n];
		if (!p->lmix[n]) {                  /* runs, squares, general terms, in that order */
			for (int b = 0; b < nr; b++)
				qc_run(&acc, y, &ix);
			for (int b = 0; b < ns; b++)
				qc_sq(&acc, y, &ix);
			for (int b = 0; b < ng; b++)
				qc_gen(&acc, x, &ix, &cf);
		} else {
			for (int b = 0; b < nr + ns + ng; b++)
				switch (kind[b]) {
				case QC_RUN: qc_run(&acc, y, &ix); break;
				case QC_SQ: qc_sq(&acc, y, &ix); break;
				default: qc_gen(&acc, x, &ix, &cf); break;
				}
		}
		kind += nr + ns + ng;
		out[p->ldst[n]] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
	}
	for (int g = 0; g < p->sq.n; g++) {
		const int *e = p->sidx + p->sq.off[g];
		qv4 a = { 0.0, 0.0, 0.0, 0.0 };
		for (int t = p->sq.len[g]; t > 0; t--, e += 4)
			qg_sq(&a, y, e);
		qg_store(p->sq.dst + 4 * g, &a, out);
	}
	for (int g = 0; g < p->gen.n; g++) {
		const struct qterm *e = p->gterm + p->gen.off[g];
		qv4 a = { 0.0, 0.0, 0.0, 0.0 };
		for (int t = p->gen.len[g]; t > 0; t--, e += 4)
			qg_gen(&a, x, e);
		qg_store(p->gen.dst + 4 * g, &a, out);
	}
}
