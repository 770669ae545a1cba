/* model.c — a stack of blocks over one θ buffer: option parsing, shape
 * inference and layout (model_build), forward and backward over a workspace
 * sized once for max_batch samples (nothing is allocated in a pass), and the
 * catalogue laws of the assembled model.
 * Invariant after a successful build: block b's tensors are consecutive in θ
 * starting at blocks[b].param_off, blocks in order, total nparams. */
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct model *model_new(void)
{
	return xcalloc(1, sizeof(struct model));
}

static void model_free_workspace(struct model *m)
{
	if (m->outs)
		for (int i = 0; i < m->nblocks; i++)
			free(m->outs[i]);
	if (m->acts)
		for (int i = 0; i < m->nblocks; i++)
			free(m->acts[i]);
	free(m->outs);
	free(m->acts);
	free(m->ws);
	free(m->gbuf[0]);
	free(m->gbuf[1]);
	m->outs = m->acts = NULL;
	m->ws = m->gbuf[0] = m->gbuf[1] = NULL;
	m->built = 0;
}

void model_clear(struct model *m)
{
	model_free_workspace(m);
	for (int i = 0; i < m->nblocks; i++)
		if (m->blocks[i].kind->destroy)
			m->blocks[i].kind->destroy(&m->blocks[i]);
	m->nblocks = 0;
	m->nparams = 0;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	model_clear(m);
	free(m);
}

static void block_set_name(struct block *b, int index)
{
	b->index = index;
	snprintf(b->name, sizeof b->name, "layer%d.%s", index + 1, b->kind->name);
}

int model_add(struct model *m, const char *name, int argc, char **argv, char *err, size_t errlen)
{
	const struct block_kind *k = block_kind_find(name);
	if (!k)
		return nt_err(err, errlen, NT_ENOENT, "unknown layer '%s' (try: help layer)", name);
	if (m->nblocks >= NT_MAX_BLOCKS)
		return nt_err(err, errlen, NT_ERANGE, "too many layers (limit %d)", NT_MAX_BLOCKS);
	struct block *b = &m->blocks[m->nblocks];
	memset(b, 0, sizeof *b);
	b->kind = k;
	block_set_name(b, m->nblocks);
	int rc = k->configure ? k->configure(b, argc, argv, err, errlen) : 0;
	if (rc) {
		if (k->destroy)
			k->destroy(b);
		memset(b, 0, sizeof *b);
		return rc;       /* the model as it was, workspace included */
	}
	model_free_workspace(m); /* sized for the old block count: free before growing */
	m->nblocks++;
	return 0;
}

int model_pop(struct model *m)
{
	if (!m->nblocks)
		return NT_ESTATE;
	model_free_workspace(m);
	struct block *b = &m->blocks[m->nblocks - 1];
	if (b->kind->destroy)
		b->kind->destroy(b);
	m->nblocks--;
	return 0;
}

int model_layout(struct model *m, struct shape in, const char *prefix, char *err, size_t errlen)
{
	const char *what = prefix ? "inner block" : "layer";
	struct shape s = in;
	size_t off = 0;
	for (int i = 0; i < m->nblocks; i++) {
		struct block *b = &m->blocks[i];
		if (prefix) {
			b->index = i;
			snprintf(b->name, sizeof b->name, "%s.%s%d", prefix, b->kind->name, i + 1);
		} else {
			block_set_name(b, i);
		}
		b->in = s;
		b->ntensors = 0;
		b->nparam = 0;
		b->act_per_sample = b->ws_per_sample = b->ws_fixed = 0;
		char e[512] = "";
		int rc = b->kind->setup(b, s, e, sizeof e);
		if (rc)
			return nt_err(err, errlen, rc, "%s %d (%s): %s", what, i + 1, b->kind->name, e);
		if (b->out.width < 1 || b->out.len < 1)
			return nt_err(err, errlen, NT_EINVAL, "%s %d (%s): empty output", what, i + 1, b->kind->name);
		b->param_off = off;
		for (int t = 0; t < b->ntensors; t++)
			b->tensors[t].off += off;
		off += b->nparam;
		if (off > NT_MAX_PARAMS)
			return nt_err(err, errlen, NT_ERANGE, "%s %d (%s): %zu parameters exceed the limit %d",
			              what, i + 1, b->kind->name, off, NT_MAX_PARAMS);
		s = b->out;
	}
	m->in = in;
	m->out = s;
	m->nparams = off;
	return 0;
}

int model_build(struct model *m, struct shape in, int max_batch, char *err, size_t errlen)
{
	model_free_workspace(m);
	if (m->nblocks == 0)
		return nt_err(err, errlen, NT_ESTATE, "the model has no layers (add one: layer dense 8)");
	if (max_batch < 1)
		max_batch = 1;
	int rc = model_layout(m, in, NULL, err, errlen);
	if (rc)
		return rc;
	size_t gmax = (size_t)in.len * in.width, ws = 0;
	for (int i = 0; i < m->nblocks; i++) {
		struct block *b = &m->blocks[i];
		size_t o = (size_t)b->out.len * b->out.width;
		if (o > gmax)
			gmax = o;
		size_t w = b->ws_per_sample * (size_t)max_batch + b->ws_fixed;
		if (w > ws)
			ws = w;
		if (o * (size_t)max_batch > NT_MAX_ELEMS || b->act_per_sample * (size_t)max_batch > NT_MAX_ELEMS)
			return nt_err(err, errlen, NT_ERANGE, "layer %d (%s): activations of %d samples exceed the limit of %d doubles",
			              i + 1, b->kind->name, max_batch, NT_MAX_ELEMS);
	}
	m->max_batch = max_batch;
	m->outs = xcalloc((size_t)m->nblocks, sizeof *m->outs);
	m->acts = xcalloc((size_t)m->nblocks, sizeof *m->acts);
	for (int i = 0; i < m->nblocks; i++) {
		struct block *b = &m->blocks[i];
		m->outs[i] = xcalloc((size_t)b->out.len * b->out.width * (size_t)max_batch, sizeof(double));
		m->acts[i] = xcalloc(b->act_per_sample * (size_t)max_batch + 1, sizeof(double));
	}
	m->ws = xcalloc(ws + 1, sizeof(double));
	m->gbuf_size = gmax * (size_t)max_batch;
	m->gbuf[0] = xcalloc(m->gbuf_size, sizeof(double));
	m->gbuf[1] = xcalloc(m->gbuf_size, sizeof(double));
	m->built = 1;
	return 0;
}

void model_init(const struct model *m, double *theta, const struct init_spec *spec)
{
	struct rng r;
	rng_seed(&r, spec->seed);
	for (int i = 0; i < m->nblocks; i++)
		if (m->blocks[i].kind->init)
			m->blocks[i].kind->init(&m->blocks[i], theta, spec, &r);
}

const double *model_forward(struct model *m, const double *theta, const double *x, int n)
{
	const double *in = x;
	for (int i = 0; i < m->nblocks; i++) {
		const struct block *b = &m->blocks[i];
		b->kind->forward(b, theta, n, in, m->outs[i], m->acts[i], m->ws);
		in = m->outs[i];
	}
	m->n_cur = n;
	m->x_cur = x;
	return in;
}

void model_backward(struct model *m, const double *theta, const double *dy, double *grad, double *dx)
{
	const double *g = dy;
	int n = m->n_cur, pp = 0;
	for (int i = m->nblocks - 1; i >= 0; i--) {
		const struct block *b = &m->blocks[i];
		const double *in = i ? m->outs[i - 1] : m->x_cur;
		double *d = i ? m->gbuf[pp] : dx;
		b->kind->backward(b, theta, n, in, m->outs[i], m->acts[i], g, d, grad, m->ws);
		g = d;
		pp ^= 1;
	}
}

const struct tensor_view *model_find_tensor(const struct model *m, const char *name)
{
	for (int i = 0; i < m->nblocks; i++)
		for (int t = 0; t < m->blocks[i].ntensors; t++)
			if (!strcmp(m->blocks[i].tensors[t].name, name))
				return &m->blocks[i].tensors[t];
	return NULL;
}

void model_param_name(const struct model *m, size_t i, char *buf, size_t len)
{
	for (int b = 0; b < m->nblocks; b++)
		for (int t = 0; t < m->blocks[b].ntensors; t++) {
			const struct tensor_view *v = &m->blocks[b].tensors[t];
			if (i >= v->off && i < v->off + v->size) {
				size_t k = i - v->off;
				if (v->ndim == 1)
					snprintf(buf, len, "%s[%zu]", v->name, k);
				else if (v->ndim == 2)
					snprintf(buf, len, "%s[%zu,%zu]", v->name, k / (size_t)v->dim[1], k % (size_t)v->dim[1]);
				else
					snprintf(buf, len, "%s[%zu,%zu,%zu]", v->name, k / ((size_t)v->dim[1] * v->dim[2]),
					         (k / (size_t)v->dim[2]) % (size_t)v->dim[1], k % (size_t)v->dim[2]);
				return;
			}
		}
	snprintf(buf, len, "θ[%zu]", i);
}

double model_flops_per_sample(const struct model *m)
{
	/* parameter contractions dominate: 2 per parameter per row forward, 2 for
	 * ∂θ and 2 for ∂x backward — except the first block, whose input gradient
	 * model_backward never asks for (dx = NULL); blocks add their own extra
	 * (attention scores) or correction (top-k routing) through the flops hook */
	double f = 0;
	for (int i = 0; i < m->nblocks; i++) {
		const struct block *b = &m->blocks[i];
		f += (i ? 6.0 : 4.0) * (double)b->nparam * b->in.len;
		if (b->kind->flops)
			f += b->kind->flops(b);
	}
	return f;
}

void model_laws(const struct model *m, struct qset *out)
{
	lawbuild_model(m, 0, -1, out);
	/* contrasts: every tensor's squared norm */
	for (int i = 0; i < m->nblocks; i++)
		for (int t = 0; t < m->blocks[i].ntensors; t++) {
			const struct tensor_view *v = &m->blocks[i].tensors[t];
			char name[96];
			snprintf(name, sizeof name, "|%s|^2", v->name);
			struct quantity *q = quantity_new(name, QK_QUADRATIC, 1);
			snprintf(q->formula, sizeof q->formula, "||%s||_F^2 (not conserved)", v->name);
			q->role = QR_CONTRAST;
			q->block = i;
			for (size_t k = 0; k < v->size; k++)
				qcomp_add(&q->comp[0], (int)(v->off + k), (int)(v->off + k), 1.0);
			qset_add(out, q);
		}
}

int model_batch_stats(const struct model *m)
{
	for (int i = 0; i < m->nblocks; i++) {
		const struct block *b = &m->blocks[i];
		const struct model *im = b->kind->inner ? b->kind->inner(b) : NULL;
		if (b->kind->batch_stats || (im && model_batch_stats(im)))
			return 1;
	}
	return 0;
}

int model_tensorizable(const struct model *m)
{
	for (int i = 0; i < m->nblocks; i++)
		if (!m->blocks[i].kind->tensorizable)
			return 0;
	return 1;
}
