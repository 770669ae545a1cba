/* norm.c — normalization layers: rmsnorm and layernorm (over the features of
 * each row) and batchnorm (over the rows of the batch, per feature). One file
 * for the three kinds because they are one computation, x̂ = (z − μ)·s, taken
 * over rows or over columns; each is still its own `const struct block_kind`.
 *
 * Conventions (for reproducing them elsewhere, e.g. PyTorch):
 *   x (R,w) row-major, R = n*len; y (R,w). Tensors in θ order: g (w), then b (w).
 *   rmsnorm    per row: s = 1/sqrt(mean_j z_j² + eps), y = g ⊙ (z·s)
 *              (torch: z * torch.rsqrt(z.pow(2).mean(-1, keepdim=True) + eps) * g)
 *   layernorm  per row: μ = mean_j z_j, s = 1/sqrt(mean_j (z_j−μ)² + eps),
 *              y = g ⊙ (z−μ)·s + b   (F.layer_norm(z, (w,), g, b, eps))
 *   batchnorm  per feature j over all R rows (every position of every sample):
 *              μ_j, s_j = 1/sqrt(biased var_j + eps), y = g_j (z−μ_j) s_j + b_j
 *              (F.batch_norm(z, None, None, g, b, training=True, eps=eps) on
 *              (R, w): full-batch statistics, training mode, no running averages)
 *   gain=off / affine=off: no tensors, y = x̂. eps defaults to 1e-5 for all three
 *   (PyTorch's LayerNorm and BatchNorm default; torch.nn.RMSNorm's default is
 *   the dtype's machine epsilon). With eps = 0 a row (column) of zero variance
 *   has s = 0 set by hand: its x̂ is 0 and no gradient flows through it.
 *   Init: g = 1 + σ·N(0,1), b = σ·N(0,1) with σ = 0.1 (the init std when one is
 *   given). PyTorch starts at exactly 1 and 0; the small spread makes θ0 a generic
 *   point, so law checks and `laws count` there are not fooled by g = 1, b = 0.
 *
 * Laws (declared here, built in lawbuild.c from the neighbours' ports):
 *   - the input is scale-invariant (eps = 0): every row of rmsnorm and layernorm
 *     (in_scale = all features), every column of batchnorm (each feature): the
 *     weights writing it conserve their squared norm (per channel for batchnorm);
 *   - layernorm absorbs a shift of each row by one amount, batchnorm a constant
 *     shift of each feature: the writer's column sums (layernorm) and biases;
 *   - layernorm without affine writes rows that sum to zero: the next reader's
 *     sums over its input axis are linear laws;
 *   - g and b write output feature j alone (a diagonal port): with the next
 *     layer, g_j² + b_j² − ||W_next[:,j]||² per feature.
 *   With eps > 0 the scale laws are claims that fail; the others stay exact.
 * Invariant: act holds x̂ (R·w) and then the scales s (one per row: R; one per
 * feature: w); backward of batchnorm uses 2w doubles of ws. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum norm_kind { N_RMS, N_LAYER, N_BATCH };

struct norm_cfg {
	int affine;   /* rmsnorm: gain g; layernorm, batchnorm: g and b */
	double eps;
	int kind;     /* enum norm_kind, set by the kind's check hook */
};
_Static_assert(sizeof(struct norm_cfg) <= NT_BLOCK_CFG, "norm_cfg fits in a block");

#define NORM_EPS_OPT \
	{ .key = "eps", .type = OPT_DOUBLE, .off = offsetof(struct norm_cfg, eps), .lo = 0, .hi = 1, .def = 1e-5, \
	  .meta = "E", .help = "added to the mean square before the square root (0: exact scale invariance)" }

static const struct opt_spec rms_opts[] = {
	{ .key = "gain", .type = OPT_BOOL, .off = offsetof(struct norm_cfg, affine), .def = 1,
	  .help = "learned per-feature gain g" },
	NORM_EPS_OPT,
	{ 0 }
};
static const struct opt_spec affine_opts[] = {
	{ .key = "affine", .type = OPT_BOOL, .off = offsetof(struct norm_cfg, affine), .def = 1,
	  .help = "learned per-feature gain g and shift b" },
	NORM_EPS_OPT,
	{ 0 }
};

static const struct norm_cfg *norm_cfg(const struct block *b) { return block_config(b); }

static int set_kind(struct block *b, enum norm_kind k)
{
	((struct norm_cfg *)block_config_mut(b))->kind = k;
	return 0;
}
static int chk_rms(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_kind(b, N_RMS); }
static int chk_layer(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_kind(b, N_LAYER); }
static int chk_batch(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_kind(b, N_BATCH); }

static int norm_setup(struct block *b, struct shape in, char *err, size_t len)
{
	const struct norm_cfg *c = norm_cfg(b);
	int w = in.width;
	if (c->kind != N_BATCH && w < 2)
		return nt_err(err, len, NT_EINVAL, "%s normalizes over the features of a row and needs at least 2 (input width %d)",
		              b->kind->name, w);
	b->out = in;
	if (c->affine) {
		block_add_tensor(b, "g", 1, w, 1, 1);
		if (c->kind != N_RMS)
			block_add_tensor(b, "b", 1, w, 1, 1);
	}
	/* x̂ per row, then one scale per row (a row's len·w entries and len scales
	 * per sample) or one per feature (w, within the n·len·w + n·w doubles) */
	b->act_per_sample = (size_t)in.len * w + (c->kind == N_BATCH ? (size_t)w : (size_t)in.len);
	if (c->kind == N_BATCH)
		b->ws_fixed = 2 * (size_t)w;
	return 0;
}

static void norm_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	double sd = spec->std > 0 ? spec->std : 0.1;
	for (int t = 0; t < b->ntensors; t++) {
		const struct tensor_view *v = &b->tensors[t];
		double base = !strcmp(v->short_name, "g") ? 1.0 : 0.0;
		for (size_t i = 0; i < v->size; i++)
			theta[v->off + i] = base + sd * rng_normal(r);
	}
}

static double inv_scale(double ms, double eps)
{
	double v = ms + eps;
	return v > 0 ? 1.0 / sqrt(v) : 0.0;
}

/* rmsnorm, layernorm: x (R,w) -> x̂ (R,w), s (R) */
static void rows_normalize(int R, int w, int center, double eps, const double *x, double *xh, double *s)
{
	for (int r = 0; r < R; r++) {
		const double *z = x + (size_t)r * w;
		double *o = xh + (size_t)r * w;
		double mu = 0, ms = 0;
		if (center) {
			for (int j = 0; j < w; j++)
				mu += z[j];
			mu /= w;
		}
		for (int j = 0; j < w; j++) {
			o[j] = z[j] - mu;
			ms += o[j] * o[j];
		}
		s[r] = inv_scale(ms / w, eps);
		for (int j = 0; j < w; j++)
			o[j] *= s[r];
	}
}

/* batchnorm: x (R,w) -> x̂ (R,w), s (w); ws: w doubles (means) */
static void cols_normalize(int R, int w, double eps, const double *x, double *xh, double *s, double *mu)
{
	for (int j = 0; j < w; j++)
		mu[j] = s[j] = 0;
	for (int r = 0; r < R; r++)
		for (int j = 0; j < w; j++)
			mu[j] += x[(size_t)r * w + j];
	for (int j = 0; j < w; j++)
		mu[j] /= R;
	for (int r = 0; r < R; r++)
		for (int j = 0; j < w; j++) {
			double c = x[(size_t)r * w + j] - mu[j];
			xh[(size_t)r * w + j] = c;
			s[j] += c * c;
		}
	for (int j = 0; j < w; j++)
		s[j] = inv_scale(s[j] / R, eps);
	for (int r = 0; r < R; r++)
		for (int j = 0; j < w; j++)
			xh[(size_t)r * w + j] *= s[j];
}

static void norm_forward(const struct block *b, const double *theta, int n, const double *x,
                         double *y, double *act, double *ws)
{
	const struct norm_cfg *c = norm_cfg(b);
	int R = n * b->in.len, w = b->in.width;
	double *xh = act, *s = act + (size_t)R * w;
	if (c->kind == N_BATCH)
		cols_normalize(R, w, c->eps, x, xh, s, ws);
	else
		rows_normalize(R, w, c->kind == N_LAYER, c->eps, x, xh, s);
	const double *g = c->affine ? theta + b->tensors[0].off : NULL;
	const double *sh = b->ntensors > 1 ? theta + b->tensors[1].off : NULL;
	for (int r = 0; r < R; r++) {
		const double *o = xh + (size_t)r * w;
		double *yr = y + (size_t)r * w;
		for (int j = 0; j < w; j++)
			yr[j] = (g ? g[j] * o[j] : o[j]) + (sh ? sh[j] : 0.0);
	}
}

/* dy (R,w) -> dg, db (w) +=; dx (R,w) = s·(dx̂ − [mean dx̂] − x̂·mean(dx̂ ⊙ x̂)) with
 * dx̂ = dy ⊙ g and the means over what the statistics were taken over. */
static void norm_backward(const struct block *b, const double *theta, int n, const double *x,
                          const double *y, const double *act, const double *dy, double *dx,
                          double *dtheta, double *ws)
{
	(void)x; (void)y;
	const struct norm_cfg *c = norm_cfg(b);
	int R = n * b->in.len, w = b->in.width;
	const double *xh = act, *s = act + (size_t)R * w;
	const double *g = c->affine ? theta + b->tensors[0].off : NULL;
	if (g) {
		double *dg = dtheta + b->tensors[0].off;
		double *db = b->ntensors > 1 ? dtheta + b->tensors[1].off : NULL;
		for (int r = 0; r < R; r++)
			for (int j = 0; j < w; j++) {
				dg[j] += dy[(size_t)r * w + j] * xh[(size_t)r * w + j];
				if (db)
					db[j] += dy[(size_t)r * w + j];
			}
	}
	if (!dx)
		return;
	if (c->kind != N_BATCH) {
		int center = c->kind == N_LAYER;
		for (int r = 0; r < R; r++) {
			const double *o = xh + (size_t)r * w, *d = dy + (size_t)r * w;
			double *e = dx + (size_t)r * w, m1 = 0, m2 = 0;
			for (int j = 0; j < w; j++) {
				double dh = g ? d[j] * g[j] : d[j];
				m1 += dh;
				m2 += dh * o[j];
			}
			m1 = center ? m1 / w : 0.0;
			m2 /= w;
			for (int j = 0; j < w; j++) {
				double dh = g ? d[j] * g[j] : d[j];
				e[j] = s[r] * (dh - m1 - o[j] * m2);
			}
		}
		return;
	}
	double *m1 = ws, *m2 = ws + w;   /* per feature: mean dx̂, mean dx̂ ⊙ x̂ over the rows */
	for (int j = 0; j < w; j++)
		m1[j] = m2[j] = 0;
	for (int r = 0; r < R; r++)
		for (int j = 0; j < w; j++) {
			double dh = g ? dy[(size_t)r * w + j] * g[j] : dy[(size_t)r * w + j];
			m1[j] += dh;
			m2[j] += dh * xh[(size_t)r * w + j];
		}
	for (int j = 0; j < w; j++) {
		m1[j] /= R;
		m2[j] /= R;
	}
	for (int r = 0; r < R; r++)
		for (int j = 0; j < w; j++) {
			double dh = g ? dy[(size_t)r * w + j] * g[j] : dy[(size_t)r * w + j];
			dx[(size_t)r * w + j] = s[j] * (dh - m1[j] - xh[(size_t)r * w + j] * m2[j]);
		}
}

/* The input symmetries, and g, b as a diagonal write port: lawbuild.c turns
 * them into laws over the neighbours' tensors. */
static void norm_declare(const struct block *b, struct law_decls *d)
{
	const struct norm_cfg *c = norm_cfg(b);
	switch (c->kind) {
	case N_RMS:
		d->in_scale = IN_SCALE_ALL;
		break;
	case N_LAYER:
		d->in_scale = IN_SCALE_ALL;
		d->in_shift = IN_SHIFT_CONST | IN_SHIFT_ROW;
		d->out_zero_sum = !c->affine;
		break;
	case N_BATCH:
		d->in_scale = IN_SCALE_EACH;
		d->in_shift = IN_SHIFT_CONST | IN_SHIFT_EACH;
		break;
	}
	if (c->affine) {
		law_write_diag(d, &b->tensors[0], 0, 0);
		if (b->ntensors > 1)
			law_write_diag(d, &b->tensors[1], 0, 1);
		d->write_name = "gain";
	}
}

#define NORM_COMMON \
	.cfg_size = sizeof(struct norm_cfg), \
	.configure = block_opts_configure, \
	.setup = norm_setup, \
	.init = norm_init, \
	.forward = norm_forward, \
	.backward = norm_backward, \
	.declare = norm_declare, \
	.describe = block_opts_describe

const struct block_kind block_rmsnorm = {
	.name = "rmsnorm",
	.usage = "rmsnorm [gain=on|off] [eps=E]",
	.help = "RMS normalization of each row (each position of each sample) over its features: "
	        "y = g * z / sqrt(mean(z^2) + eps), g a learned gain (gain=off: none); eps = 1e-5 "
	        "by default (as LayerNorm in PyTorch; torch.nn.RMSNorm defaults to machine epsilon). "
	        "Laws with eps = 0: the weights writing z are scale-invariant, so ||W||^2 + ||b||^2 "
	        "of the layer before is conserved; g_j^2 - ||W_next[:,j]||^2 with the next layer. "
	        "With eps > 0 the scale law is a claim that fails (slightly: the drift shows how little).",
	.opts = rms_opts,
	.check = chk_rms,
	NORM_COMMON,
};

const struct block_kind block_layernorm = {
	.name = "layernorm",
	.usage = "layernorm [affine=on|off] [eps=E]",
	.help = "Layer normalization of each row (each position of each sample) over its features: "
	        "y = g * (z - mean z) / sqrt(var z + eps) + b (affine=off: no g, b); eps = 1e-5 as in "
	        "PyTorch. Laws: with eps = 0 the weights writing z are scale-invariant (||W||^2 + "
	        "||b||^2 of the layer before); the mean subtraction makes the column sums "
	        "sum_j W[j,:] and sum_j b_j of that layer conserved (also with eps > 0); "
	        "g_j^2 + b_j^2 - ||W_next[:,j]||^2 with the next layer; without affine the "
	        "output rows sum to 0, so the next layer's row sums sum_j W_next[:,j] are conserved.",
	.opts = affine_opts,
	.check = chk_layer,
	NORM_COMMON,
};

const struct block_kind block_batchnorm = {
	.name = "batchnorm",
	.usage = "batchnorm [affine=on|off] [eps=E]",
	.help = "Batch normalization of each feature over all rows of the batch (every position "
	        "of every sample), with the statistics of the batch in hand as in PyTorch's training "
	        "mode (no running averages): y_j = g_j (z_j - mean_j) / sqrt(var_j + eps) + b_j; "
	        "eps = 1e-5 as in PyTorch. A sample's output depends on the other samples of its "
	        "batch. Under `opt sgd` each minibatch is normalized with its own, noisy "
	        "statistics: the network trained changes from step to step and is not the "
	        "full-batch network whose loss is shown; but every minibatch loss has the same "
	        "symmetries, so the laws hold under sgd too (a batch of one row, or a constant "
	        "feature, gives x_hat = 0 and no gradient). Laws with eps = 0: per channel j, "
	        "||W[j,:]||^2 + b_j^2 of the layer before (scale invariance), and each b_j itself, "
	        "whose gradient is zero (also with eps > 0); g_j^2 + b_j^2 - ||W_next[:,j]||^2 "
	        "with the next layer.",
	.opts = affine_opts,
	.check = chk_batch,
	.batch_stats = 1,
	NORM_COMMON,
};
