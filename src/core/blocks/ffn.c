/* ffn.c — the plain two-layer feed-forward block  y = act(x W1^T + b1) W2^T + b2.
 *
 * Conventions (for reproducing it elsewhere, e.g. PyTorch):
 *   x (R,d) row-major, R = n*len, applied per row.
 *   Tensors in θ order: W1 (H,d), b1 (H), W2 (o,H), b2 (o); with bias=off only
 *   W1, W2. o = d unless out=W is given.
 *   act: gelu = exact erf form z/2 (1 + erf(z/√2)) (PyTorch F.gelu default),
 *        silu = z σ(z), relu = max(z,0) with relu'(0) = 0.
 *   In PyTorch: y = F.linear(act(F.linear(x, W1, b1)), W2, b2).
 *   Init: W1, b1 ~ N(0, 1/d); W2, b2 ~ N(0, 1/H) (or the `init` std).
 * Laws: act=relu (positively homogeneous) gives, per hidden neuron j,
 *   ||W1[j,:]||^2 + b1[j]^2 - ||W2[:,j]||^2      (b2 takes no part);
 * act=gelu|silu: no conservation laws (the count is 0 and the screen says so).
 * Invariant: act holds z = x W1^T + b1 and a = act(z), 2·H doubles per row;
 * backward uses H doubles per row of ws. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum ffn_act { FFN_GELU, FFN_SILU, FFN_RELU };
static const char *const ffn_act_names[] = { "gelu", "silu", "relu", NULL };
struct ffn_cfg {
	long hidden;   /* H */
	long out;      /* output width; 0: the input width */
	int act;       /* enum ffn_act */
	int bias;      /* 1: b1 and b2 */
};
_Static_assert(sizeof(struct ffn_cfg) <= NT_BLOCK_CFG, "ffn_cfg fits in a block");

static const struct opt_spec ffn_opts[] = {
	{ .key = "hidden", .type = OPT_LONG, .off = offsetof(struct ffn_cfg, hidden), .lo = 1, .hi = NT_MAX_WIDTH, .flags = OPTF_REQUIRED,
	  .meta = "H", .help = "hidden width" },
	{ .key = "act", .type = OPT_ENUM, .off = offsetof(struct ffn_cfg, act), .names = ffn_act_names, .def = FFN_GELU, .flags = OPTF_SHOW,
	  .help = "activation" },
	{ .key = "out", .type = OPT_LONG, .off = offsetof(struct ffn_cfg, out), .lo = 1, .hi = NT_MAX_WIDTH, .sdef = "d", .meta = "W",
	  .help = "output width (default: the input width d)" },
	{ .key = "bias", .type = OPT_BOOL, .off = offsetof(struct ffn_cfg, bias), .def = 1, .help = "biases b1 and b2" },
	{ 0 }
};

static const struct ffn_cfg *ffn_cfg(const struct block *b) { return block_config(b); }

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

static int ffn_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	const struct ffn_cfg *c = ffn_cfg(b);
	int H = (int)c->hidden;
	b->out.len = in.len;
	b->out.width = c->out ? (int)c->out : in.width;
	block_add_tensor(b, "W1", 2, H, in.width, 1);
	if (c->bias)
		block_add_tensor(b, "b1", 1, H, 1, 1);
	block_add_tensor(b, "W2", 2, b->out.width, H, 1);
	if (c->bias)
		block_add_tensor(b, "b2", 1, b->out.width, 1, 1);
	b->act_per_sample = (size_t)in.len * 2 * H;
	b->ws_per_sample = (size_t)in.len * H;
	return 0;
}

static void ffn_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	int bias = ffn_cfg(b)->bias, H = (int)ffn_cfg(b)->hidden;
	block_init_normal(&b->tensors[0], theta, b->in.width, spec, r);
	if (bias)
		block_init_normal(&b->tensors[1], theta, b->in.width, spec, r);
	block_init_normal(&b->tensors[bias ? 2 : 1], theta, H, spec, r);
	if (bias)
		block_init_normal(&b->tensors[3], theta, H, spec, r);
}

/* x (R,d), W1 (H,d), b1 (H) -> z (R,H), a (R,H); W2 (o,H), b2 (o) -> y (R,o) */
static void ffn_forward(const struct block *b, const double *theta, int n, const double *x,
                        double *y, double *act, double *ws)
{
	(void)ws;
	const struct ffn_cfg *c = ffn_cfg(b);
	int R = n * b->in.len, d = b->in.width, H = (int)c->hidden, o = b->out.width, bias = c->bias;
	const double *W1 = theta + b->tensors[0].off, *W2 = theta + b->tensors[bias ? 2 : 1].off;
	size_t N = (size_t)R * H;
	double *z = act, *a = act + N;
	if (bias) {
		const double *b1 = theta + b->tensors[1].off;
		for (int r = 0; r < R; r++)
			memcpy(z + (size_t)r * H, b1, (size_t)H * sizeof *z);
	}
	mm(0, 1, R, H, d, 1.0, x, W1, bias ? 1.0 : 0.0, z);
	switch ((enum ffn_act)c->act) {
	case FFN_GELU: for (size_t i = 0; i < N; i++) a[i] = 0.5 * z[i] * (1.0 + erf(z[i] * M_SQRT1_2)); break;
	case FFN_SILU: for (size_t i = 0; i < N; i++) a[i] = z[i] * sigm(z[i]); break;
	case FFN_RELU: for (size_t i = 0; i < N; i++) a[i] = z[i] > 0 ? z[i] : 0.0; break;
	}
	if (bias) {
		const double *b2 = theta + b->tensors[3].off;
		for (int r = 0; r < R; r++)
			memcpy(y + (size_t)r * o, b2, (size_t)o * sizeof *y);
	}
	mm(0, 1, R, o, H, 1.0, a, W2, bias ? 1.0 : 0.0, y);
}

static void ffn_backward(const struct block *b, const double *theta, int n, const double *x,
                         const double *y, const double *act, const double *dy, double *dx,
                         double *dtheta, double *ws)
{
	(void)y;
	const struct ffn_cfg *c = ffn_cfg(b);
	int R = n * b->in.len, d = b->in.width, H = (int)c->hidden, o = b->out.width, bias = c->bias;
	const struct tensor_view *tW1 = &b->tensors[0], *tW2 = &b->tensors[bias ? 2 : 1];
	size_t N = (size_t)R * H;
	const double *z = act, *a = act + N;
	double *dz = ws;
	mm(1, 0, o, H, R, 1.0, dy, a, 1.0, dtheta + tW2->off);          /* dW2 += dy^T a */
	if (bias) {
		double *db2 = dtheta + b->tensors[3].off;
		for (int r = 0; r < R; r++)
			for (int j = 0; j < o; j++)
				db2[j] += dy[(size_t)r * o + j];
	}
	mm(0, 0, R, H, o, 1.0, dy, theta + tW2->off, 0.0, dz);          /* da = dy W2 */
	switch ((enum ffn_act)c->act) {
	case FFN_GELU:
		for (size_t i = 0; i < N; i++)
			dz[i] *= 0.5 * (1.0 + erf(z[i] * M_SQRT1_2)) + z[i] * exp(-0.5 * z[i] * z[i]) * 0.3989422804014327;
		break;
	case FFN_SILU:
		for (size_t i = 0; i < N; i++) {
			double s = sigm(z[i]);
			dz[i] *= s * (1.0 + z[i] * (1.0 - s));
		}
		break;
	case FFN_RELU:
		for (size_t i = 0; i < N; i++)
			if (!(z[i] > 0))
				dz[i] = 0.0;
		break;
	}
	mm(1, 0, H, d, R, 1.0, dz, x, 1.0, dtheta + tW1->off);          /* dW1 += dz^T x */
	if (bias) {
		double *db1 = dtheta + b->tensors[1].off;
		for (int r = 0; r < R; r++)
			for (int j = 0; j < H; j++)
				db1[j] += dz[(size_t)r * H + j];
	}
	if (dx)
		mm(0, 0, R, d, H, 1.0, dz, theta + tW1->off, 0.0, dx);      /* dx = dz W1 */
}

/* Reads through W1's columns, writes through W2's rows and b2; act=relu:
 * hidden neuron j scales W1[j,:], b1[j] by λ and W2[:,j] by 1/λ. */
static void ffn_declare(const struct block *b, struct law_decls *d)
{
	const struct ffn_cfg *c = ffn_cfg(b);
	law_read(d, &b->tensors[0], 1);
	law_write(d, &b->tensors[c->bias ? 2 : 1], 0);
	if (c->bias)
		law_write_bias(d, &b->tensors[3], 0);
	d->write_name = "w2-next";
	if (c->act != FFN_RELU)
		return;
	struct law_decl *l = law_units(d, "n", (int)c->hidden, 1.0);
	law_add_part(d, l, &b->tensors[0], 0, 1.0);
	if (c->bias)
		law_add_part(d, l, &b->tensors[1], 0, 1.0);
	law_add_part(d, l, &b->tensors[c->bias ? 2 : 1], 1, -1.0);
	l->in_label = "in";
	l->out_label = "out";
	l->watch = 0;
}

const struct block_kind block_ffn = {
	.name = "ffn",
	.usage = "ffn hidden=H [act=gelu|silu|relu] [out=W] [bias=on|off]",
	.help = "Two-layer feed-forward block y = W2 act(W1 x + b1) + b2, W1 (H, d), W2 (W, H); "
	        "W is the input width unless out= is given; act defaults to gelu (exact erf form). "
	        "act=relu gives per hidden neuron j the law ||W1[j,:]||^2 + b1[j]^2 - ||W2[:,j]||^2; "
	        "gelu and silu give no conservation laws.",
	.opts = ffn_opts,
	.cfg_size = sizeof(struct ffn_cfg),
	.configure = block_opts_configure,
	.setup = ffn_setup,
	.init = ffn_init,
	.forward = ffn_forward,
	.backward = ffn_backward,
	.declare = ffn_declare,
	.describe = block_opts_describe,
};
