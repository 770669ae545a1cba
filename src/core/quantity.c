/* quantity.c — sparse polynomials of degree <= 2 in θ (and expression callbacks):
 * value, gradient and magnitude. Terms with j < 0 are linear. Every consumer
 * (checker, drift, screen, CSV, counting) goes through these functions. */
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
	if (q->fn_free)
		q->fn_free(q->fn_ctx);
	free(q);
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
