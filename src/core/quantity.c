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

double quantity_comp_value(const struct quantity *q, int k, const double *theta)
{
	if (q->fn)
		return q->fn(q, theta, NULL, 0.0);
	const struct qcomp *c = &q->comp[k];
	double v = 0;
	for (int t = 0; t < c->nterms; t++) {
		const struct qterm *e = &c->terms[t];
		v += e->j < 0 ? e->c * theta[e->i] : e->c * theta[e->i] * theta[e->j];
	}
	return v;
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
 * Two kinds of components. "Square" components have only terms ±θ_i² (c = ±1,
 * i = j: every neuron law, plane law and norm contrast); their terms become
 * indices into y = (θ_0², ..., θ_{D-1}², -θ_0², ..., -θ_{D-1}², 0), computed
 * once per evaluation (c·θ_i·θ_i rounds to exactly ±(θ_i·θ_i): rounding is
 * symmetric), so a term costs one load and one addition. The other components
 * ("general": matrix laws off the diagonal, linear laws, other coefficients)
 * keep their terms (i, j, c), evaluated as c·x_i·x_j with x = (θ, 1, 0): a
 * linear term c·θ_i reads x_j = x[D] = 1 (c·θ_i·1 is c·θ_i exactly).
 * Each kind is sorted by length and cut into groups of QPLAN_LANES components
 * whose terms are interleaved (lane l of step t is term t of the group's
 * component l), so the independent sums overlap; a component that has run
 * out adds padding terms equal to +0 (y[2D], or 0·x[D+1]·x[D+1]), which leave
 * its sum unchanged. */
enum { QPLAN_LANES = 4 };

struct qplan_groups {
	int n;                         /* groups */
	int *off, *len, *dst;          /* per group; dst: QPLAN_LANES per group, -1 unused */
};

struct qplan {
	int nq;
	size_t D;
	struct qplan_groups sq, gen;
	int *idx;                      /* square terms: indices into y */
	struct qterm *terms;           /* general terms */
	double *x, *y;                 /* (θ, 1, 0) and (θ², -θ², 0) */
};

struct qplan_item { int nterms, dst; const struct qcomp *c; };

static int qplan_cmp(const void *a, const void *b)
{
	const struct qplan_item *x = a, *y = b;
	if (x->nterms != y->nterms)
		return x->nterms < y->nterms ? 1 : -1;
	return (x->dst > y->dst) - (x->dst < y->dst);
}

static int qcomp_is_square(const struct qcomp *c)
{
	for (int t = 0; t < c->nterms; t++)
		if (c->terms[t].i != c->terms[t].j || (c->terms[t].c != 1.0 && c->terms[t].c != -1.0))
			return 0;
	return 1;
}

/* Lays out n sorted items in groups; returns the number of lane-terms. */
static size_t qplan_group(struct qplan_groups *g, const struct qplan_item *it, int n)
{
	g->n = (n + QPLAN_LANES - 1) / QPLAN_LANES;
	g->off = xcalloc((size_t)g->n + 1, sizeof *g->off);
	g->len = xcalloc((size_t)g->n + 1, sizeof *g->len);
	g->dst = xcalloc((size_t)g->n * QPLAN_LANES + 1, sizeof *g->dst);
	size_t total = 0;
	for (int k = 0; k < g->n; k++) {
		g->len[k] = it[k * QPLAN_LANES].nterms;   /* sorted: the first is the longest */
		g->off[k] = (int)total;
		total += (size_t)g->len[k] * QPLAN_LANES;
		for (int l = 0; l < QPLAN_LANES; l++) {
			int m = k * QPLAN_LANES + l;
			g->dst[(size_t)k * QPLAN_LANES + l] = m < n ? it[m].dst : -1;
		}
	}
	return total;
}

struct qplan *qplan_new(const struct qset *s, size_t D)
{
	struct qplan *p = xcalloc(1, sizeof *p);
	p->nq = s->n;
	p->D = D;
	int n = 0, nsq = 0, ngen = 0;
	for (int i = 0; i < s->n; i++)
		if (!s->q[i]->fn && !s->q[i]->phase)
			n += s->q[i]->ncomp;
	struct qplan_item *sq = xcalloc((size_t)n + 1, sizeof *sq), *gen = xcalloc((size_t)n + 1, sizeof *gen);
	for (int i = 0; i < s->n; i++) {
		const struct quantity *q = s->q[i];
		if (q->fn || q->phase)       /* expressions and phase-space laws: the plain path */
			continue;
		for (int k = 0; k < q->ncomp; k++) {
			struct qplan_item e = { q->comp[k].nterms, q->slot + k, &q->comp[k] };
			if (qcomp_is_square(&q->comp[k]))
				sq[nsq++] = e;
			else
				gen[ngen++] = e;
		}
	}
	qsort(sq, (size_t)nsq, sizeof *sq, qplan_cmp);
	qsort(gen, (size_t)ngen, sizeof *gen, qplan_cmp);
	size_t nidx = qplan_group(&p->sq, sq, nsq), nterm = qplan_group(&p->gen, gen, ngen);
	p->idx = xcalloc(nidx + 1, sizeof *p->idx);
	p->terms = xcalloc(nterm + 1, sizeof *p->terms);
	for (int g = 0; g < p->sq.n; g++)
		for (int l = 0; l < QPLAN_LANES; l++) {
			int m = g * QPLAN_LANES + l;
			for (int t = 0; t < p->sq.len[g]; t++) {
				int *e = &p->idx[(size_t)p->sq.off[g] + (size_t)t * QPLAN_LANES + l];
				if (m < nsq && t < sq[m].nterms) {
					const struct qterm *u = &sq[m].c->terms[t];
					*e = u->c > 0 ? u->i : (int)D + u->i;
				} else {
					*e = 2 * (int)D;
				}
			}
		}
	for (int g = 0; g < p->gen.n; g++)
		for (int l = 0; l < QPLAN_LANES; l++) {
			int m = g * QPLAN_LANES + l;
			for (int t = 0; t < p->gen.len[g]; t++) {
				struct qterm *e = &p->terms[(size_t)p->gen.off[g] + (size_t)t * QPLAN_LANES + l];
				if (m < ngen && t < gen[m].nterms) {
					*e = gen[m].c->terms[t];
					if (e->j < 0)
						e->j = (int)D;
				} else {
					*e = (struct qterm){ (int)D + 1, (int)D + 1, 0.0 };
				}
			}
		}
	p->x = xcalloc(D + 2, sizeof *p->x);
	p->y = xcalloc(2 * D + 1, sizeof *p->y);
	free(sq);
	free(gen);
	return p;
}

static void qplan_groups_free(struct qplan_groups *g)
{
	free(g->off); free(g->len); free(g->dst);
}

void qplan_free(struct qplan *p)
{
	if (!p)
		return;
	qplan_groups_free(&p->sq);
	qplan_groups_free(&p->gen);
	free(p->idx); free(p->terms); free(p->x); free(p->y);
	free(p);
}

int qplan_count(const struct qplan *p) { return p ? p->nq : -1; }

static void qplan_store(const int *d, double v0, double v1, double v2, double v3, double *out)
{
	if (d[0] >= 0) out[d[0]] = v0;
	if (d[1] >= 0) out[d[1]] = v1;
	if (d[2] >= 0) out[d[2]] = v2;
	if (d[3] >= 0) out[d[3]] = v3;
}

void qplan_eval(struct qplan *p, const double *theta, double *out)
{
	size_t D = p->D;
	if (p->sq.n) {
		double *restrict y = p->y;
		for (size_t i = 0; i < D; i++) {
			double t = theta[i] * theta[i];
			y[i] = t;
			y[D + i] = -t;
		}
		y[2 * D] = 0.0;
		for (int g = 0; g < p->sq.n; g++) {
			const int *e = p->idx + p->sq.off[g];
			double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
			for (int t = 0; t < p->sq.len[g]; t++, e += QPLAN_LANES) {
				v0 += y[e[0]];
				v1 += y[e[1]];
				v2 += y[e[2]];
				v3 += y[e[3]];
			}
			qplan_store(p->sq.dst + (size_t)g * QPLAN_LANES, v0, v1, v2, v3, out);
		}
	}
	if (p->gen.n) {
		double *x = p->x;
		memcpy(x, theta, D * sizeof *x);
		x[D] = 1.0;
		x[D + 1] = 0.0;
		for (int g = 0; g < p->gen.n; g++) {
			const struct qterm *e = p->terms + p->gen.off[g];
			double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
			for (int t = 0; t < p->gen.len[g]; t++, e += QPLAN_LANES) {
				v0 += e[0].c * x[e[0].i] * x[e[0].j];
				v1 += e[1].c * x[e[1].i] * x[e[1].j];
				v2 += e[2].c * x[e[2].i] * x[e[2].j];
				v3 += e[3].c * x[e[3].i] * x[e[3].j];
			}
			qplan_store(p->gen.dst + (size_t)g * QPLAN_LANES, v0, v1, v2, v3, out);
		}
	}
}
