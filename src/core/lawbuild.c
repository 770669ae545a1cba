/* lawbuild.c — the law builders of lawbuild.h: per-unit rescaling laws, Gram
 * (matrix) laws and linear sums from declarations, and the model pass that
 * derives the laws between neighbouring blocks from their ports.
 * Invariant: terms are added in row-major order of each part's entries, part by
 * part in declaration order, so a law's components do not depend on who built it. */
#include "noether/lawbuild.h"
#include "noether/block.h"
#include "noether/model.h"
#include "noether/quantity.h"
#include "noether/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- declarations ---- */

static struct law_decl *decl_new(struct law_decls *d, enum law_form form, const char *name)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 8;
		d->decl = xrealloc(d->decl, (size_t)d->cap * sizeof *d->decl);
	}
	struct law_decl *l = &d->decl[d->n++];
	memset(l, 0, sizeof *l);
	l->form = form;
	l->width = 1;
	l->p = 1;
	l->watch = -1;
	str_copy(l->name, name, sizeof l->name);
	return l;
}

struct law_decl *law_units(struct law_decls *d, const char *name, int units, double p)
{
	struct law_decl *l = decl_new(d, LAW_UNITS, name);
	l->units = units;
	l->p = p;
	return l;
}

struct law_decl *law_gram(struct law_decls *d, const char *name)
{
	return decl_new(d, LAW_GRAM, name);
}

struct law_decl *law_sum(struct law_decls *d, const char *name)
{
	return decl_new(d, LAW_SUM, name);
}

static void part_push(struct law_decl *l, const struct law_part *p)
{
	if (l->nparts == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		l->part = xrealloc(l->part, (size_t)l->cap * sizeof *l->part);
	}
	l->part[l->nparts++] = *p;
}

void law_add_part(struct law_decls *d, struct law_decl *l, const struct tensor_view *t, int axis, double coef)
{
	struct law_part p = { t, axis, coef, d->base, NULL, d->who, 0 };
	part_push(l, &p);
}

void law_label_parts(struct law_decl *l, const char *label)
{
	for (int k = 0; k < l->nparts; k++)
		l->part[k].label = label;
}

void law_read(struct law_decls *d, const struct tensor_view *t, int axis)
{
	law_add_part(d, &d->read, t, axis, 1.0);
}

void law_write(struct law_decls *d, const struct tensor_view *t, int axis)
{
	law_add_part(d, &d->write, t, axis, 1.0);
}

void law_write_bias(struct law_decls *d, const struct tensor_view *t, int axis)
{
	law_add_part(d, &d->write, t, axis, 1.0);
	d->write.part[d->write.nparts - 1].flags = LP_BIAS;
}

void law_write_diag(struct law_decls *d, const struct tensor_view *t, int axis, int bias)
{
	law_add_part(d, &d->write, t, axis, 1.0);
	d->write.part[d->write.nparts - 1].flags = LP_DIAG | (bias ? LP_BIAS : 0);
}

void law_decls_clear(struct law_decls *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->decl[i].part);
	free(d->decl);
	free(d->read.part);
	free(d->write.part);
	free(d->skip_read.part);
	free(d->skip_write.part);
	memset(d, 0, sizeof *d);
}

/* ---- terms ---- */

/* Index of entry (a, b, c) of part p in θ. */
static int at(const struct law_part *p, int a, int b, int c)
{
	const struct tensor_view *t = p->t;
	return (int)(p->base + t->off + ((size_t)a * t->dim[1] + (size_t)b) * t->dim[2] + (size_t)c);
}

/* Adds coef·θ² of every entry of p whose index on p->axis is in [lo, hi)
 * (every entry when axis < 0). */
static void add_slice_norm(struct qcomp *cp, const struct law_part *p, int lo, int hi, double coef)
{
	int lim[3][2] = { { 0, p->t->dim[0] }, { 0, p->t->dim[1] }, { 0, p->t->dim[2] } };
	if (p->axis >= 0) {
		lim[p->axis][0] = lo;
		lim[p->axis][1] = hi;
	}
	for (int a = lim[0][0]; a < lim[0][1]; a++)
		for (int b = lim[1][0]; b < lim[1][1]; b++)
			for (int c = lim[2][0]; c < lim[2][1]; c++) {
				int k = at(p, a, b, c);
				qcomp_add(cp, k, k, coef);
			}
}

/* Adds coef·Σ T[..i..]·T[..j..] over the other indices (axis = p->axis). */
static void add_gram_entry(struct qcomp *cp, const struct law_part *p, int i, int j, double coef)
{
	int n[3] = { p->t->dim[0], p->t->dim[1], p->t->dim[2] };
	n[p->axis] = 1;
	for (int a = 0; a < n[0]; a++)
		for (int b = 0; b < n[1]; b++)
			for (int c = 0; c < n[2]; c++) {
				int x[3] = { a, b, c }, y[3] = { a, b, c };
				x[p->axis] = i;
				y[p->axis] = j;
				qcomp_add(cp, at(p, x[0], x[1], x[2]), at(p, y[0], y[1], y[2]), coef);
			}
}

/* Components of a sum over p->axis: one per index of the other axes (every
 * entry when axis < 0). */
static int sum_ncomp(const struct law_part *p)
{
	return p->axis < 0 ? (int)p->t->size : (int)(p->t->size / (size_t)p->t->dim[p->axis]);
}

/* Adds coef·Σ over p->axis of the entries whose other indices, in row-major
 * order, are number j (linear); axis < 0: entry j alone. */
static void add_axis_sum(struct qcomp *cp, const struct law_part *p, int j, double coef)
{
	const struct tensor_view *t = p->t;
	int idx[3], rem = j;
	for (int k = 2; k >= 0; k--)
		if (k != p->axis) {
			idx[k] = rem % t->dim[k];
			rem /= t->dim[k];
		}
	if (p->axis < 0) {
		qcomp_add(cp, at(p, idx[0], idx[1], idx[2]), -1, coef);
		return;
	}
	for (int i = 0; i < t->dim[p->axis]; i++) {
		idx[p->axis] = i;
		qcomp_add(cp, at(p, idx[0], idx[1], idx[2]), -1, coef);
	}
}

/* ---- formulas ---- */

/* "||T[j,:]||^2", "T[j]^2", "||T[:,2j:2j+2]||^2", "||T||^2" for unit u. */
static void slice_text(const struct law_part *p, int lo, int hi, char *buf, size_t len)
{
	const struct tensor_view *t = p->t;
	if (p->axis < 0) {
		snprintf(buf, len, "||%s||^2", t->name);
		return;
	}
	if (t->ndim == 1) {
		snprintf(buf, len, "%s[%d]^2", t->name, lo);
		return;
	}
	char idx[3][24];
	for (int k = 0; k < t->ndim; k++) {
		if (k != p->axis)
			snprintf(idx[k], sizeof idx[k], ":");
		else if (hi - lo == 1)
			snprintf(idx[k], sizeof idx[k], "%d", lo);
		else
			snprintf(idx[k], sizeof idx[k], "%d:%d", lo, hi);
	}
	if (t->ndim == 2)
		snprintf(buf, len, "||%s[%s,%s]||^2", t->name, idx[0], idx[1]);
	else
		snprintf(buf, len, "||%s[%s,%s,%s]||^2", t->name, idx[0], idx[1], idx[2]);
}

/* Appends " + x" / " - x" (or x first), with |coef| when it is not 1. */
static void append_term(char *buf, size_t len, double coef, const char *x, int first, int with_coef)
{
	size_t p = strlen(buf);
	char c[32] = "";
	if (with_coef && coef != 1 && coef != -1)
		snprintf(c, sizeof c, "%g ", coef < 0 ? -coef : coef);
	if (p < len)
		snprintf(buf + p, len - p, "%s%s%s", first ? (coef < 0 ? "-" : "") : coef < 0 ? " - " : " + ", c, x);
}

/* "T T^T" (axis 0), "T^T T" (axis 1), "b b^T" (a vector), "T·T^T over axis k". */
static void gram_text(const struct law_part *p, char *buf, size_t len)
{
	const struct tensor_view *t = p->t;
	if (t->ndim == 1)
		snprintf(buf, len, "%s %s^T", t->short_name, t->short_name);
	else if (t->ndim == 2)
		snprintf(buf, len, p->axis == 0 ? "%s %s^T" : "%s^T %s", t->name, t->name);
	else
		snprintf(buf, len, "Gram_%d(%s)", p->axis, t->name);
}

/* ---- builders ---- */

static int build_units(const struct law_decl *l, const char *prefix, int block, struct qset *out)
{
	int indexed = 0, w = l->width;
	for (int k = 0; k < l->nparts; k++)
		indexed |= l->part[k].axis >= 0;
	for (int u = 0; u < l->units; u++) {
		char name[96];
		if (indexed)
			snprintf(name, sizeof name, "%s.%s%d", prefix, l->name, u);
		else
			snprintf(name, sizeof name, "%s.%s", prefix, l->name);
		struct quantity *q = quantity_new(name, QK_QUADRATIC, 1);
		struct quantity *side[2] = { NULL, NULL };
		const char *label[2] = { l->in_label, l->out_label };
		char text[2][160] = { "", "" };
		int nside[2] = { 0, 0 };
		q->block = block;
		q->sym_p = l->p;
		for (int s = 0; s < 2; s++)
			if (label[s]) {
				side[s] = quantity_new("", QK_QUADRATIC, 1);
				snprintf(side[s]->name, sizeof side[s]->name, "%s.%s", name, label[s]);
				side[s]->role = QR_CONTRAST;
				side[s]->block = block;
				side[s]->watched = u == l->watch;
			}
		for (int k = 0; k < l->nparts; k++) {
			const struct law_part *p = &l->part[k];
			int s = p->coef < 0;
			char x[128];
			slice_text(p, u * w, u * w + w, x, sizeof x);
			append_term(q->formula, sizeof q->formula, p->coef, x, k == 0, 1);
			append_term(text[s], sizeof text[s], 1.0, x, nside[s]++ == 0, 0);
			add_slice_norm(&q->comp[0], p, u * w, u * w + w, p->coef);
			if (side[s])
				add_slice_norm(&side[s]->comp[0], p, u * w, u * w + w, 1.0);
		}
		if (l->note) {
			size_t n = strlen(q->formula);
			if (indexed)
				snprintf(q->formula + n, sizeof q->formula - n, " (%s %d)", l->note, u);
			else
				snprintf(q->formula + n, sizeof q->formula - n, " (%s)", l->note);
		}
		qset_add(out, q);
		for (int s = 0; s < 2; s++)
			if (side[s]) {
				snprintf(side[s]->formula, sizeof side[s]->formula, "%s (one term of %s)", text[s], name);
				qset_add(out, side[s]);
			}
	}
	return l->units;
}

static int build_gram(const struct law_decl *l, const char *prefix, int block, struct qset *out)
{
	if (l->nparts == 0)
		return 0;
	int r = l->part[0].t->dim[l->part[0].axis];
	for (int k = 1; k < l->nparts; k++)
		if (l->part[k].t->dim[l->part[k].axis] != r)
			return 0;   /* a declaration across mismatched sizes: no law */
	char name[96];
	snprintf(name, sizeof name, "%s.%s", prefix, l->name);
	struct quantity *q = quantity_new(name, QK_QUADRATIC, r * (r + 1) / 2);
	q->block = block;
	char f[1024] = "";
	int ntensors = 0;
	for (int k = 0; k < l->nparts; k++) {
		const struct law_part *p = &l->part[k];
		char x[192];
		ntensors++;
		if (p->label && k > 0 && l->part[k - 1].label == p->label && l->part[k - 1].who == p->who
		    && (l->part[k - 1].coef < 0) == (p->coef < 0))
			continue;   /* a run of parts with one label is written once */
		if (p->label && p->who && strcmp(p->who, prefix))
			snprintf(x, sizeof x, "%s of %s", p->label, p->who);
		else if (p->label)
			snprintf(x, sizeof x, "%s", p->label);
		else
			gram_text(p, x, sizeof x);
		append_term(f, sizeof f, p->label ? (p->coef < 0 ? -1.0 : 1.0) : p->coef, x, k == 0, 1);
	}
	size_t n = strlen(f);
	if (l->note)
		snprintf(f + n, sizeof f - n, " (%d×%d) %s", r, r, l->note);
	else
		snprintf(f + n, sizeof f - n, " (%d×%d, upper triangle)", r, r);
	if (strlen(f) < sizeof q->formula)
		snprintf(q->formula, sizeof q->formula, "%s", f);
	else   /* too long to list (a stream through many blocks): say what it is */
		snprintf(q->formula, sizeof q->formula,
		         "writers' Gram - readers' Gram of the features after %s, %d tensors (%d×%d, upper triangle)",
		         prefix, ntensors, r, r);
	int c = 0;
	for (int i = 0; i < r; i++)
		for (int j = i; j < r; j++, c++) {
			q->comp[c].weight = i == j ? 1.0 : 2.0;
			for (int k = 0; k < l->nparts; k++)
				add_gram_entry(&q->comp[c], &l->part[k], i, j, l->part[k].coef);
		}
	qset_add(out, q);
	return 1;
}

/* Σ over the declared axis of each part (a vector: one component; a matrix: one
 * per index of the other axis). */
static int build_sum(const struct law_decl *l, const char *prefix, int block, struct qset *out)
{
	if (l->nparts == 0)
		return 0;
	const struct law_part *p0 = &l->part[0];
	const struct tensor_view *t = p0->t;
	int ncomp = sum_ncomp(p0);
	for (int k = 1; k < l->nparts; k++)
		if (sum_ncomp(&l->part[k]) != ncomp)
			return 0;   /* parts of different sizes: no law */
	char name[96];
	snprintf(name, sizeof name, "%s.%s", prefix, l->name);
	struct quantity *q = quantity_new(name, QK_LINEAR, ncomp);
	q->block = block;
	static const char *const idx2[] = { "i,:", ":,i" }, *const idx3[] = { "i,:,:", ":,i,:", ":,:,i" };
	if (p0->axis < 0)
		snprintf(q->formula, sizeof q->formula, "%s, each entry (%d-vector%s%s)", t->name, ncomp,
		         l->note ? "; " : "", l->note ? l->note : "");
	else if (t->ndim == 1)
		snprintf(q->formula, sizeof q->formula, "sum_i %s[i]%s%s%s", t->name, l->note ? " (" : "",
		         l->note ? l->note : "", l->note ? ")" : "");
	else
		snprintf(q->formula, sizeof q->formula, "sum_i %s[%s] (%d-vector%s%s)", t->name,
		         t->ndim == 2 ? idx2[p0->axis] : idx3[p0->axis], ncomp, l->note ? "; " : "", l->note ? l->note : "");
	for (int j = 0; j < ncomp; j++)
		for (int k = 0; k < l->nparts; k++)
			add_axis_sum(&q->comp[j], &l->part[k], j, l->part[k].coef);
	qset_add(out, q);
	if (l->in_label) {   /* contrast: the first term of the sum alone */
		struct quantity *c = quantity_new("", QK_LINEAR, ncomp);
		snprintf(c->name, sizeof c->name, "%s.%s", name, l->in_label);
		if (t->ndim == 1)
			snprintf(c->formula, sizeof c->formula, "%s[0] alone (one term of %s)", t->name, name);
		else
			snprintf(c->formula, sizeof c->formula, "%s[%s] alone (one term of %s)", t->name,
			         p0->axis == 0 ? "0,:" : ":,0", name);
		c->block = block;
		c->role = QR_CONTRAST;
		for (int j = 0; j < ncomp; j++)
			qcomp_add(&c->comp[j], t->ndim == 1 ? at(p0, 0, 0, 0) : p0->axis == 0 ? at(p0, 0, j, 0) : at(p0, j, 0, 0),
			          -1, 1.0);
		qset_add(out, c);
	}
	return 1;
}

int law_build(const struct law_decl *l, const char *prefix, int block, struct qset *out)
{
	switch (l->form) {
	case LAW_UNITS: return build_units(l, prefix, block, out);
	case LAW_GRAM: return build_gram(l, prefix, block, out);
	case LAW_SUM: return build_sum(l, prefix, block, out);
	}
	return 0;
}

/* ---- the model pass ---- */

/* Declarations of block b (its own laws and ports; for a composite block that
 * passes the stream on, its inner chain's first read port, or what its first
 * block absorbs of the stream, and its last write port). */
static void declare_block(const struct block *b, size_t base, struct law_decls *d)
{
	memset(d, 0, sizeof *d);
	d->base = base;
	d->who = b->name;
	if (b->kind->declare)
		b->kind->declare(b, d);
	const struct model *im = b->kind->inner ? b->kind->inner(b) : NULL;
	if (b->kind->pass == PASS_SKIP && im && im->nblocks > 0) {
		struct law_decls first, last;
		declare_block(&im->blocks[0], base + b->param_off, &first);
		declare_block(&im->blocks[im->nblocks - 1], base + b->param_off, &last);
		if ((first.read.nparts || first.in_scale || first.in_shift) && last.write.nparts) {
			for (int k = 0; k < first.read.nparts; k++)
				part_push(&d->skip_read, &first.read.part[k]);
			if (!first.read.nparts) {
				d->skip_in_scale = first.in_scale;
				d->skip_in_shift = first.in_shift;
			}
			for (int k = 0; k < last.write.nparts; k++)
				part_push(&d->skip_write, &last.write.part[k]);
		}
		law_decls_clear(&first);
		law_decls_clear(&last);
	}
}

/* Nearest block from k in direction dir (+1/-1) past blocks that pass every
 * linear map of the features on (PASS_LINEAR), or -1 at the model's end. */
static int past_linear(const struct model *m, int k, int dir)
{
	while (k >= 0 && k < m->nblocks && m->blocks[k].kind->pass == PASS_LINEAR)
		k += dir;
	return k >= 0 && k < m->nblocks ? k : -1;
}

/* Per-feature law through an elementwise homogeneous block: writers of the
 * block before (+1), readers of the block after (-p), past mean pooling. */
static int unit_law_through(const struct block *act, int owner, const struct law_decls *w,
                            const struct law_decls *r, struct qset *out)
{
	double p = act->kind->positive_homogeneous;
	struct law_decl l;
	memset(&l, 0, sizeof l);
	l.form = LAW_UNITS;
	str_copy(l.name, "n", sizeof l.name);
	l.units = act->in.width;
	l.width = 1;
	l.p = p;
	l.in_label = "in";
	l.out_label = "out";
	l.watch = 0;
	for (int k = 0; k < w->write.nparts; k++) {
		struct law_part q = w->write.part[k];
		q.coef = 1.0;
		part_push(&l, &q);
	}
	for (int k = 0; k < r->read.nparts; k++) {
		struct law_part q = r->read.part[k];
		q.coef = -p;
		part_push(&l, &q);
	}
	int n = build_units(&l, act->name, owner, out);
	free(l.part);
	return n;
}

static void push_side(struct law_decl *l, const struct law_decl *port, double coef)
{
	for (int k = 0; k < port->nparts; k++) {
		struct law_part q = port->part[k];
		q.coef = coef;
		part_push(l, &q);
	}
}

/* The maps of the features after a writer that a stream's blocks all allow,
 * largest first: every change of basis, positive diagonal ones, λI. */
enum { G_NONE, G_SCALAR, G_DIAG, G_GL };

static int min_group(int a, int b)
{
	return a < b ? a : b;
}

/* What a write port allows: diagonal parts only positive rescalings per feature. */
static int write_group(const struct law_decl *port)
{
	for (int k = 0; k < port->nparts; k++)
		if (port->part[k].flags & LP_DIAG)
			return G_DIAG;
	return G_GL;
}

static int scale_group(int in_scale)
{
	return in_scale == IN_SCALE_ALL ? G_SCALAR : in_scale == IN_SCALE_EACH ? G_DIAG : G_NONE;
}

#define SHIFT_ALL (IN_SHIFT_CONST | IN_SHIFT_EACH | IN_SHIFT_ROW)

/* A stream: the features written by one block, followed to where they are
 * read. Readers are events in stream order (a linear reader absorbs no shift);
 * each writer part remembers how many events came before it, so its shifts
 * are judged by the readers after it only. */
struct stream {
	struct law_decl w, r;   /* writers' parts (+1), linear readers' parts (−1) */
	int *w_ev;              /* per writer part: events before it */
	unsigned *ev;           /* per reader event: the shifts it absorbs */
	int nev, evcap;
	int group;              /* G_*: the maps every block on the way allows */
	int norms;              /* invariant readers (normalization layers) on the way */
	unsigned norm_shift;    /* shifts every one of them absorbs */
	int full;               /* every writer part is a full linear port */
	int through;            /* it passed pooling or a residual block */
	int reader;             /* the block it ends in */
};

static void stream_writer(struct stream *s, const struct law_decl *port)
{
	for (int k = 0; k < port->nparts; k++) {
		struct law_part q = port->part[k];
		q.coef = 1.0;
		part_push(&s->w, &q);
		s->w_ev = xrealloc(s->w_ev, (size_t)s->w.cap * sizeof *s->w_ev);
		s->w_ev[s->w.nparts - 1] = s->nev;
		s->full &= !(q.flags & LP_DIAG);
	}
	s->group = min_group(s->group, write_group(port));
}

/* A reader: linear (its read port) or a normalization layer (what it absorbs). */
static void stream_reader(struct stream *s, const struct law_decl *read, int in_scale, unsigned in_shift)
{
	if (s->nev == s->evcap) {
		s->evcap = s->evcap ? 2 * s->evcap : 4;
		s->ev = xrealloc(s->ev, (size_t)s->evcap * sizeof *s->ev);
	}
	if (read && read->nparts) {
		push_side(&s->r, read, -1.0);
		s->ev[s->nev++] = 0;
		return;
	}
	s->ev[s->nev++] = in_shift;
	s->group = min_group(s->group, scale_group(in_scale));
	s->norm_shift = s->norms++ ? s->norm_shift & in_shift : in_shift;
}

/* Follows the stream written by block i past PASS_LINEAR blocks and through
 * PASS_SKIP blocks (their inner readers and writers join it) to the first
 * block that reads it linearly or absorbs a rescaling or shift of it (a
 * normalization layer). Returns 1 when it ends there, 0 when anything else is
 * on the way (the model's end, a nonlinear reader, a skip block whose inner
 * chain neither reads the stream linearly nor absorbs it, or writes it back
 * nonlinearly): then no law. */
static int stream_walk(const struct model *m, int i, const struct law_decls *dd, struct stream *s)
{
	memset(s, 0, sizeof *s);
	if (dd[i].write.nparts == 0)
		return 0;
	s->group = G_GL;
	s->full = 1;
	stream_writer(s, &dd[i].write);
	for (int k = i + 1; k < m->nblocks; k++) {
		const struct block *b = &m->blocks[k];
		const struct law_decls *e = &dd[k];
		if (b->kind->pass == PASS_LINEAR) {
			s->through = 1;
			continue;
		}
		if (b->kind->pass == PASS_SKIP) {
			if (!e->skip_write.nparts)
				return 0;
			stream_reader(s, &e->skip_read, e->skip_in_scale, e->skip_in_shift);
			stream_writer(s, &e->skip_write);
			s->through = 1;
			continue;
		}
		if (!e->read.nparts && !e->in_scale && !e->in_shift)
			return 0;
		stream_reader(s, &e->read, e->in_scale, e->in_shift);
		s->reader = k;
		return 1;
	}
	return 0;
}

/* The shift laws of a stream, per writer part, from the shifts every reader
 * after it absorbs (see lawbuild.h). */
static int shift_laws(const struct model *m, int i, int owner, const struct stream *s, struct qset *out)
{
	int n = 0;
	for (int k = 0; k < s->w.nparts; k++) {
		const struct law_part *p = &s->w.part[k];
		unsigned sh = SHIFT_ALL;
		for (int e = s->w_ev[k]; e < s->nev; e++)
			sh &= s->ev[e];
		struct law_decl l;
		struct law_part q = *p;
		char note[96];
		memset(&l, 0, sizeof l);
		l.form = LAW_SUM;
		if ((p->flags & LP_BIAS) && (sh & IN_SHIFT_EACH)) {
			q.axis = -1;
			snprintf(note, sizeof note, "no gradient: %s removes each feature's mean", m->blocks[s->reader].name);
		} else if (((p->flags & LP_BIAS) && (sh & (IN_SHIFT_CONST | IN_SHIFT_ROW)))
		           || (!(p->flags & LP_DIAG) && (sh & IN_SHIFT_ROW))) {
			snprintf(note, sizeof note, "%s removes the mean of each row", m->blocks[s->reader].name);
		} else {
			continue;
		}
		if (s->through)
			snprintf(l.name, sizeof l.name, "stream-shift%d", k);
		else
			snprintf(l.name, sizeof l.name, "shift-%s", p->t->short_name);
		q.coef = 1.0;
		l.note = note;
		part_push(&l, &q);
		n += build_sum(&l, m->blocks[i].name, owner, out);
		free(l.part);
	}
	return n;
}

/* 1^T M 1 of the stream's Gram matrix M (writers' Gram − linear readers'
 * Gram): Σ_parts coef ||T summed over its feature axis||². The law of the
 * change of basis G = I + t·11^T, which layernorm absorbs (Gy = y + t(1·y)1)
 * and linear readers undo. */
static int shift_gram_law(const struct block *wb, int owner, const struct stream *s, struct qset *out)
{
	char name[96];
	snprintf(name, sizeof name, "%s.stream-sum", wb->name);
	struct quantity *q = quantity_new(name, QK_QUADRATIC, 1);
	q->block = owner;
	snprintf(q->formula, sizeof q->formula, "writers' - readers' ||sum over the features||^2 of the stream after %s, "
	         "%d tensors (1^T M 1: M the stream's Gram matrix)", wb->name, s->w.nparts + s->r.nparts);
	for (int pass = 0; pass < 2; pass++) {
		const struct law_decl *side = pass ? &s->r : &s->w;
		for (int k = 0; k < side->nparts; k++) {
			const struct law_part *p = &side->part[k];
			int r = p->t->dim[p->axis];
			for (int a = 0; a < r; a++)
				for (int b = 0; b < r; b++)
					add_gram_entry(&q->comp[0], p, a, b, p->coef);
		}
	}
	qset_add(out, q);
	return 1;
}

/* Laws of the stream written by block i: the Gram law when every block on
 * the way allows any change of basis, else per-feature or whole-stream
 * rescaling laws (p = 1 against linear readers; none: the writers' squared
 * norm alone) — and, when every normalization on it is a layernorm, 1^T M 1 —
 * then the shift laws. */
static int stream_law(const struct model *m, int i, int owner, struct law_decls *dd, struct qset *out)
{
	struct stream s;
	int n = 0;
	if (stream_walk(m, i, dd, &s)) {
		const char *prefix = m->blocks[i].name, *rname = m->blocks[s.reader].name;
		int readers = s.r.nparts > 0;
		const char *next = dd[i].write_name ? dd[i].write_name : "next";
		if (s.group == G_GL) {
			struct law_decl l;
			memset(&l, 0, sizeof l);
			l.form = LAW_GRAM;
			snprintf(l.name, sizeof l.name, "%s", s.through ? "stream" : next);
			push_side(&l, &s.w, 1.0);
			push_side(&l, &s.r, -1.0);
			n += build_gram(&l, prefix, owner, out);
			free(l.part);
		} else if (s.group == G_DIAG || s.group == G_SCALAR) {
			const struct law_part *p0 = &s.w.part[0];
			char note[96];
			struct law_decl l;
			memset(&l, 0, sizeof l);
			l.form = LAW_UNITS;
			snprintf(l.name, sizeof l.name, "%s", readers ? (s.through ? "stream" : next)
			                                               : (s.through ? "stream-scale" : "scale"));
			l.units = s.group == G_DIAG ? p0->t->dim[p0->axis] : 1;
			l.width = 1;
			l.p = readers ? 1.0 : 0.0;
			if (readers) {
				l.in_label = "in";
				l.out_label = "out";
				l.watch = 0;
			} else {
				l.watch = -1;
			}
			if (s.group == G_DIAG)
				snprintf(note, sizeof note, "feature");
			else if (!readers && s.through)
				snprintf(note, sizeof note, "a stream read only by normalization layers");
			else if (!readers)
				snprintf(note, sizeof note, "scale-invariant input of %s", rname);
			else
				snprintf(note, sizeof note, "the stream scaled by one factor, read by %s", rname);
			l.note = note;
			for (int pass = 0; pass < 2; pass++) {
				const struct law_decl *side = pass ? &s.r : &s.w;
				for (int k = 0; k < side->nparts; k++) {
					struct law_part q = side->part[k];
					if (s.group == G_SCALAR)
						q.axis = -1;
					part_push(&l, &q);
				}
			}
			n += build_units(&l, prefix, owner, out);
			free(l.part);
			/* without linear readers 1^T M 1 follows from the column sums */
			if (s.group == G_SCALAR && readers && s.full && (s.norm_shift & IN_SHIFT_ROW))
				n += shift_gram_law(&m->blocks[i], owner, &s, out);
		}
		n += shift_laws(m, i, owner, &s, out);
	}
	free(s.w.part);
	free(s.r.part);
	free(s.w_ev);
	free(s.ev);
	return n;
}

/* A block whose output rows sum to zero (layernorm without affine): the next
 * reader's read parts summed over their input axis are linear laws. */
static int zero_sum_laws(const struct model *m, int i, int owner, const struct law_decls *dd, struct qset *out)
{
	int k = past_linear(m, i + 1, 1), n = 0;
	if (!dd[i].out_zero_sum || k < 0)
		return 0;
	for (int j = 0; j < dd[k].read.nparts; j++) {
		struct law_decl l;
		char note[96];
		memset(&l, 0, sizeof l);
		l.form = LAW_SUM;
		snprintf(l.name, sizeof l.name, "zero-sum%d", j);
		snprintf(note, sizeof note, "the rows of %s sum to 0", m->blocks[i].name);
		l.note = note;
		part_push(&l, &dd[k].read.part[j]);
		n += build_sum(&l, m->blocks[i].name, owner, out);
		free(l.part);
	}
	return n;
}

int lawbuild_model(const struct model *m, size_t base, int block, struct qset *out)
{
	if (m->nblocks == 0)
		return 0;
	struct law_decls *dd = xcalloc((size_t)m->nblocks, sizeof *dd);
	for (int i = 0; i < m->nblocks; i++)
		declare_block(&m->blocks[i], base, &dd[i]);
	int nl = 0;
	for (int i = 0; i < m->nblocks; i++) {
		const struct block *b = &m->blocks[i];
		int owner = block >= 0 ? block : i;
		const struct model *im = b->kind->inner ? b->kind->inner(b) : NULL;
		if (im)
			nl += lawbuild_model(im, base + b->param_off, owner, out);
		for (int k = 0; k < dd[i].n; k++)
			nl += law_build(&dd[i].decl[k], b->name, owner, out);
		if (b->kind->pass == PASS_SCALE && b->kind->positive_homogeneous > 0) {
			int w = past_linear(m, i - 1, -1), r = past_linear(m, i + 1, 1);
			if (w >= 0 && r >= 0 && dd[w].write.nparts && dd[r].read.nparts)
				nl += unit_law_through(b, owner, &dd[w], &dd[r], out);
		}
		nl += stream_law(m, i, owner, dd, out);
		nl += zero_sum_laws(m, i, owner, dd, out);
	}
	for (int i = 0; i < m->nblocks; i++)
		law_decls_clear(&dd[i]);
	free(dd);
	return nl;
}
