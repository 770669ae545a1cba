/* residual.c — the residual wrapper  y = x + g(x),  g = a chain of inner blocks.
 *
 * Syntax: `layer residual { dense 16 , relu , dense 8 }` — inner blocks are
 * separated by ',' (';' ends a command in the command layer); the braces are
 * optional; nesting a residual inside a residual is refused.
 *
 * Conventions (for reproducing it elsewhere, e.g. PyTorch):
 *   x (R,d) rows as for any block; g's output must have the shape of x.
 *   The inner blocks follow their own conventions; their tensors are laid out in
 *   θ one after the other, in order, exactly as if they were top-level layers,
 *   and are listed under the residual's name: inner block k (1-based) of kind K
 *   is "<layer>.residual.K<k>", e.g. layer2.residual.dense1.W, layer2.residual.dense3.b.
 *   In PyTorch: y = x + g(x).
 * Laws: those of g, built from the inner chain's declarations (so a relu between
 * two inner dense blocks gives its per-neuron laws; block_kind.inner), shifted to
 * absolute θ offsets. The skip passes the stream on (PASS_SKIP): when g reads its
 * input and writes its output linearly, a change of basis of the whole residual
 * stream is a symmetry, and the model builder adds the stream law over every
 * parameter touching it (lawbuild.h). A rescaling of g's output alone is not one.
 * Invariants: priv is an inner struct model (not built: this file does its layout);
 * inner tensor offsets are relative to the residual block's param_off; act holds,
 * per inner block, its output then its own act; ws holds two gradient buffers of
 * gmax doubles per sample (the config) and then the largest inner workspace. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RES_MAX_WORDS 32

struct residual_cfg {
	long gmax;   /* doubles per sample of one inner gradient buffer, set by setup */
};
_Static_assert(sizeof(struct residual_cfg) <= NT_BLOCK_CFG, "residual_cfg fits in a block");

static long gmax_of(const struct block *b) { return ((const struct residual_cfg *)block_config(b))->gmax; }

static void residual_destroy(struct block *b)
{
	model_free(b->priv);
	b->priv = NULL;
}

/* Adds one inner block from the words of `part` (modified in place). */
static int residual_add_part(struct block *b, struct model *im, char *part, int k, char *err, size_t len)
{
	char *w[RES_MAX_WORDS];
	int nw = 0;
	for (char *p = strtok(part, " \t"); p; p = strtok(NULL, " \t")) {
		if (nw == RES_MAX_WORDS)
			return nt_err(err, len, NT_ERANGE, "residual: inner block %d has too many words (limit %d)", k, RES_MAX_WORDS);
		w[nw++] = p;
	}
	if (nw == 0)
		return nt_err(err, len, NT_EINVAL, "residual: inner block %d is empty (blocks are separated by ',')", k);
	if (!strcmp(w[0], b->kind->name))
		return nt_err(err, len, NT_EINVAL, "residual: a residual inside a residual is not supported");
	char e[512] = "";
	int rc = model_add(im, w[0], nw - 1, w + 1, e, sizeof e);
	if (rc)
		return nt_err(err, len, rc, "residual: inner block %d: %s", k, e);
	return 0;
}

static int residual_configure(struct block *b, int argc, char **argv, char *err, size_t len)
{
	char buf[1024] = "";
	for (int i = 0; i < argc; i++) {
		if (strlen(buf) + strlen(argv[i]) + 2 >= sizeof buf)
			return nt_err(err, len, NT_ERANGE, "residual: description too long (limit %zu characters)", sizeof buf - 2);
		strcat(buf, " ");
		strcat(buf, argv[i]);
	}
	char *s = buf;
	while (*s == ' ')
		s++;
	size_t L = strlen(s);
	while (L && s[L - 1] == ' ')
		s[--L] = 0;
	int open = *s == '{', close = L > 0 && s[L - 1] == '}';
	if (open != close)
		return nt_err(err, len, NT_EINVAL, "residual: missing '%c' (write residual { dense 16 , relu , dense 8 }; "
		              "inner blocks are separated by ',' because ';' ends the command)", open ? '}' : '{');
	if (open) {
		s[L - 1] = 0;
		s++;
	}
	if (strchr(s, '{') || strchr(s, '}'))
		return nt_err(err, len, NT_EINVAL, "residual: unexpected brace (nested blocks are not supported)");
	int blank = 1;
	for (const char *p = s; *p; p++)
		if (*p != ' ')
			blank = 0;
	if (blank)
		return nt_err(err, len, NT_EINVAL, "residual: no inner blocks (usage: %s)", b->kind->usage);
	struct model *im = model_new();
	b->priv = im;
	int k = 1;
	for (char *p = s;; k++) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		int rc = residual_add_part(b, im, p, k, err, len);
		if (rc)
			return rc;   /* model_add's failure path calls destroy */
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static int residual_setup(struct block *b, struct shape in, char *err, size_t len)
{
	struct model *im = b->priv;
	int rc = model_layout(im, in, b->name, err, len);
	if (rc)
		return rc;
	size_t gmax = (size_t)in.len * in.width, act = 0, wsp = 0, wsf = 0;
	for (int i = 0; i < im->nblocks; i++) {
		const struct block *ib = &im->blocks[i];
		/* the inner tensors, in order, are the residual block's own tensors */
		for (int t = 0; t < ib->ntensors; t++) {
			const struct tensor_view *v = &ib->tensors[t];
			char sn[64];
			snprintf(sn, sizeof sn, "%s%d.%s", ib->kind->name, i + 1, v->short_name);
			if (strlen(sn) >= sizeof b->tensors[0].short_name)
				return nt_err(err, len, NT_ERANGE, "inner block %d (%s): tensor name '%s' too long", i + 1, ib->kind->name, sn);
			if (block_add_tensor(b, sn, v->ndim, v->dim[0], v->dim[1], v->dim[2]) < 0)
				return nt_err(err, len, NT_ERANGE, "too many tensors inside one residual (limit %d)", NT_BLOCK_TENSORS);
		}
		size_t o = (size_t)ib->out.len * ib->out.width;
		if (o > gmax)
			gmax = o;
		act += o + ib->act_per_sample;
		if (ib->ws_per_sample > wsp)
			wsp = ib->ws_per_sample;
		if (ib->ws_fixed > wsf)
			wsf = ib->ws_fixed;
	}
	struct shape s = im->out;
	if (s.len != in.len || s.width != in.width)
		return nt_err(err, len, NT_EINVAL, "the inner blocks map %d×%d to %d×%d per sample, but x + g(x) needs the "
		              "output shape to equal the input shape (make the last inner block %d wide)",
		              in.len, in.width, s.len, s.width, in.width);
	b->out = in;
	((struct residual_cfg *)block_config_mut(b))->gmax = (long)gmax;
	b->act_per_sample = act;
	b->ws_per_sample = 2 * gmax + wsp;
	b->ws_fixed = wsf;
	return 0;
}

static void residual_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	const struct model *im = b->priv;
	for (int i = 0; i < im->nblocks; i++)
		if (im->blocks[i].kind->init)
			im->blocks[i].kind->init(&im->blocks[i], theta + b->param_off, spec, r);
}

/* Output and act regions of inner block i for n samples. */
static void inner_bufs(const struct block *b, int n, double *act, int i, double **out, double **iact)
{
	const struct model *im = b->priv;
	double *p = act;
	for (int k = 0;; k++) {
		const struct block *ib = &im->blocks[k];
		double *o = p;
		p += (size_t)n * ib->out.len * ib->out.width;
		if (k == i) {
			*out = o;
			*iact = p;
			return;
		}
		p += ib->act_per_sample * (size_t)n;
	}
}

/* x (n*len, d) -> y (n*len, d) = x + g(x) */
static void residual_forward(const struct block *b, const double *theta, int n, const double *x,
                             double *y, double *act, double *ws)
{
	const struct model *im = b->priv;
	const double *th = theta + b->param_off, *in = x;
	double *iws = ws + 2 * (size_t)gmax_of(b) * n;
	for (int i = 0; i < im->nblocks; i++) {
		const struct block *ib = &im->blocks[i];
		double *o, *a;
		inner_bufs(b, n, act, i, &o, &a);
		ib->kind->forward(ib, th, n, in, o, a, iws);
		in = o;
	}
	size_t N = (size_t)n * b->in.len * b->in.width;
	for (size_t k = 0; k < N; k++)
		y[k] = x[k] + in[k];
}

static void residual_backward(const struct block *b, const double *theta, int n, const double *x,
                              const double *y, const double *act, const double *dy, double *dx,
                              double *dtheta, double *ws)
{
	(void)y;
	const struct model *im = b->priv;
	const double *th = theta + b->param_off, *g = dy;
	size_t G = (size_t)gmax_of(b) * n;
	double *gb[2] = { ws, ws + G }, *iws = ws + 2 * G, *dth = dtheta + b->param_off;
	int pp = 0;
	for (int i = im->nblocks - 1; i >= 0; i--) {
		const struct block *ib = &im->blocks[i];
		double *o, *a, *po = NULL, *pa = NULL;
		inner_bufs(b, n, (double *)act, i, &o, &a);
		if (i)
			inner_bufs(b, n, (double *)act, i - 1, &po, &pa);
		double *d = i ? gb[pp] : dx;
		ib->kind->backward(ib, th, n, i ? po : x, o, a, g, d, dth, iws);
		g = d;
		pp ^= 1;
	}
	if (dx) {
		size_t N = (size_t)n * b->in.len * b->in.width;
		for (size_t k = 0; k < N; k++)
			dx[k] += dy[k];   /* the skip connection */
	}
}

static const struct model *residual_inner(const struct block *b)
{
	return b->priv;
}

static void residual_describe(const struct block *b, char *buf, size_t len)
{
	const struct model *im = b->priv;
	size_t p = 0;
	p += (size_t)snprintf(buf, len, "{");
	for (int i = 0; i < im->nblocks && p < len; i++) {
		const struct block *ib = &im->blocks[i];
		char d[256] = "";
		block_describe(ib, d, sizeof d);
		p += (size_t)snprintf(buf + p, len - p, "%s %s%s%s", i ? " ," : "", ib->kind->name, d[0] ? " " : "", d);
	}
	if (p < len)
		snprintf(buf + p, len - p, " }");
}

const struct block_kind block_residual = {
	.name = "residual",
	.usage = "residual { BLOCK [options] , BLOCK [options] , ... }",
	.help = "Residual wrapper y = x + g(x), g the chain of inner blocks separated by ',' "
	        "(';' ends a command), e.g. residual { dense 16 , relu , dense 8 }; the last inner "
	        "block must give back the input width. Tensors are named layerN.residual.KINDk.T. "
	        "Laws: those of g (a relu between two inner dense layers gives per-neuron laws), "
	        "and with linear layers before and after, the residual-stream law: a change of basis "
	        "of the stream is a symmetry, giving one matrix law over every parameter touching it.",
	.cfg_size = sizeof(struct residual_cfg),
	.configure = residual_configure,
	.setup = residual_setup,
	.init = residual_init,
	.forward = residual_forward,
	.backward = residual_backward,
	.inner = residual_inner,
	.pass = PASS_SKIP,
	.destroy = residual_destroy,
	.describe = residual_describe,
};
