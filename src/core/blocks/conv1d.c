/* conv1d.c — the convolutional block  conv(V, b) → ReLU → conv(U)  over sequence
 * positions.
 *
 * Conventions (for reproducing it elsewhere, e.g. PyTorch):
 *   Input x (n*T, c0) row-major: sample s, position t, channel i at
 *   x[(s*T + t)*c0 + i] (T = sequence length, the spatial axis; channels last).
 *   Tensors in θ order: V (c1,c0,k), b (c1), U (c2,c1,k), row-major; no output bias.
 *   Cross-correlation (no kernel flip) with 'same' zero padding, stride 1,
 *   p = (k-1)/2 (integer division) zeros on the left, k-1-p on the right:
 *     z[t,j] = b_j + Σ_{i,s} V[j,i,s] x[t+s-p, i]      (x = 0 outside 0..T-1)
 *     h = relu(z),  y[t,o] = Σ_{j,s} U[o,j,s] h[t+s-p, j]
 *   In PyTorch (channels first): F.conv1d(x.transpose(1,2), V, b, padding='same'),
 *   relu, F.conv1d(·, U, padding='same'), transposed back. relu'(0) = 0.
 *   c1 = channels=C; c2 = c0 (so blocks stack) unless out=W is given.
 *   Init: V, b ~ N(0, 1/(c0 k)), U ~ N(0, 1/(c1 k)) (or the `init` std).
 * Laws: per hidden channel j (ReLU is positively homogeneous; scaling channel j's
 *   filter and bias by λ and its outgoing filters U[:,j,:] by 1/λ leaves y unchanged):
 *     Σ||V[j,:,:]||^2 + b_j^2 - Σ||U[:,j,:]||^2.
 * Kernel: im2col — a row (s,t) of the column matrix holds the k-window of the
 * input, index i*k + s, so z = Xcol V^T with V viewed as (c1, c0 k): one dgemm.
 * Invariant: act holds z and h (2·c1 per row); ws holds one column matrix
 * (T·max(c0,c1)·k per sample), one gradient column matrix of the same size and
 * dz (c1 per row). */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct conv_cfg {
	long channels;   /* c1 */
	long kernel;     /* k */
	long out;        /* c2; 0: the input width */
};
_Static_assert(sizeof(struct conv_cfg) <= NT_BLOCK_CFG, "conv_cfg fits in a block");

static const struct opt_spec conv_opts[] = {
	{ .key = "channels", .type = OPT_LONG, .off = offsetof(struct conv_cfg, channels), .lo = 1, .hi = NT_MAX_WIDTH,
	  .flags = OPTF_REQUIRED, .meta = "C", .help = "hidden channels" },
	{ .key = "kernel", .type = OPT_LONG, .off = offsetof(struct conv_cfg, kernel), .lo = 1, .hi = 64, .def = 3,
	  .flags = OPTF_SHOW, .meta = "K", .help = "kernel size" },
	{ .key = "out", .type = OPT_LONG, .off = offsetof(struct conv_cfg, out), .lo = 1, .hi = NT_MAX_WIDTH,
	  .sdef = "d", .meta = "W", .help = "output channels (default: the input width d)" },
	{ 0 }
};

static const struct conv_cfg *conv_cfg(const struct block *b) { return block_config(b); }

static int conv_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	int c1 = (int)conv_cfg(b)->channels, k = (int)conv_cfg(b)->kernel;
	b->out.len = in.len;
	b->out.width = conv_cfg(b)->out ? (int)conv_cfg(b)->out : in.width;
	block_add_tensor(b, "V", 3, c1, in.width, k);
	block_add_tensor(b, "b", 1, c1, 1, 1);
	block_add_tensor(b, "U", 3, b->out.width, c1, k);
	int cm = in.width > c1 ? in.width : c1;
	b->act_per_sample = (size_t)in.len * 2 * c1;
	b->ws_per_sample = (size_t)in.len * (2 * (size_t)cm * k + c1);
	return 0;
}

static void conv_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	int k = (int)conv_cfg(b)->kernel;
	block_init_normal(&b->tensors[0], theta, b->in.width * k, spec, r);
	block_init_normal(&b->tensors[1], theta, b->in.width * k, spec, r);
	block_init_normal(&b->tensors[2], theta, (int)conv_cfg(b)->channels * k, spec, r);
}

/* x (n*T, c) -> col (n*T, c*k): col[(s,t), i*k + q] = x[(s, t+q-p), i] or 0 */
static void im2col(int n, int T, int c, int k, const double *x, double *col)
{
	int p = (k - 1) / 2;
	for (int s = 0; s < n; s++)
		for (int t = 0; t < T; t++) {
			double *row = col + ((size_t)s * T + t) * c * k;
			for (int q = 0; q < k; q++) {
				int tt = t + q - p;
				if (tt < 0 || tt >= T) {
					for (int i = 0; i < c; i++)
						row[i * k + q] = 0.0;
					continue;
				}
				const double *xr = x + ((size_t)s * T + tt) * c;
				for (int i = 0; i < c; i++)
					row[i * k + q] = xr[i];
			}
		}
}

/* adjoint of im2col: dx (n*T, c) = scatter-sum of dcol (n*T, c*k) */
static void col2im(int n, int T, int c, int k, const double *dcol, double *dx)
{
	int p = (k - 1) / 2;
	memset(dx, 0, (size_t)n * T * c * sizeof *dx);
	for (int s = 0; s < n; s++)
		for (int t = 0; t < T; t++) {
			const double *row = dcol + ((size_t)s * T + t) * c * k;
			for (int q = 0; q < k; q++) {
				int tt = t + q - p;
				if (tt < 0 || tt >= T)
					continue;
				double *xr = dx + ((size_t)s * T + tt) * c;
				for (int i = 0; i < c; i++)
					xr[i] += row[i * k + q];
			}
		}
}

/* x (n*T, c0), V (c1, c0 k), b (c1) -> z, h (n*T, c1); U (c2, c1 k) -> y (n*T, c2) */
static void conv_forward(const struct block *b, const double *theta, int n, const double *x,
                         double *y, double *act, double *ws)
{
	int T = b->in.len, R = n * T, c0 = b->in.width, c1 = (int)conv_cfg(b)->channels, c2 = b->out.width, k = (int)conv_cfg(b)->kernel;
	const double *V = theta + b->tensors[0].off, *bias = theta + b->tensors[1].off, *U = theta + b->tensors[2].off;
	double *z = act, *h = act + (size_t)R * c1, *col = ws;
	size_t N = (size_t)R * c1;
	im2col(n, T, c0, k, x, col);
	for (int r = 0; r < R; r++)
		memcpy(z + (size_t)r * c1, bias, (size_t)c1 * sizeof *z);
	mm(0, 1, R, c1, c0 * k, 1.0, col, V, 1.0, z);
	for (size_t i = 0; i < N; i++)
		h[i] = z[i] > 0 ? z[i] : 0.0;
	im2col(n, T, c1, k, h, col);
	mm(0, 1, R, c2, c1 * k, 1.0, col, U, 0.0, y);
}

static void conv_backward(const struct block *b, const double *theta, int n, const double *x,
                          const double *y, const double *act, const double *dy, double *dx,
                          double *dtheta, double *ws)
{
	(void)y;
	int T = b->in.len, R = n * T, c0 = b->in.width, c1 = (int)conv_cfg(b)->channels, c2 = b->out.width, k = (int)conv_cfg(b)->kernel;
	int cm = c0 > c1 ? c0 : c1;
	const double *V = theta + b->tensors[0].off, *U = theta + b->tensors[2].off;
	const double *z = act, *h = act + (size_t)R * c1;
	double *col = ws, *dcol = ws + (size_t)R * cm * k, *dz = dcol + (size_t)R * cm * k;
	size_t N = (size_t)R * c1;
	im2col(n, T, c1, k, h, col);
	mm(1, 0, c2, c1 * k, R, 1.0, dy, col, 1.0, dtheta + b->tensors[2].off);  /* dU += dy^T Hcol */
	mm(0, 0, R, c1 * k, c2, 1.0, dy, U, 0.0, dcol);                           /* dHcol = dy U */
	col2im(n, T, c1, k, dcol, dz);                                            /* dh */
	for (size_t i = 0; i < N; i++)
		if (!(z[i] > 0))
			dz[i] = 0.0;
	double *db = dtheta + b->tensors[1].off;
	for (int r = 0; r < R; r++)
		for (int j = 0; j < c1; j++)
			db[j] += dz[(size_t)r * c1 + j];
	im2col(n, T, c0, k, x, col);
	mm(1, 0, c1, c0 * k, R, 1.0, dz, col, 1.0, dtheta + b->tensors[0].off);  /* dV += dz^T Xcol */
	if (dx) {
		mm(0, 0, R, c0 * k, c1, 1.0, dz, V, 0.0, dcol);                       /* dXcol = dz V */
		col2im(n, T, c0, k, dcol, dx);
	}
}

/* Hidden channel j scales V[j,:,:], b[j] by λ and U[:,j,:] by 1/λ (ReLU). */
static void conv_declare(const struct block *b, struct law_decls *d)
{
	struct law_decl *l = law_units(d, "ch", (int)conv_cfg(b)->channels, 1.0);
	law_add_part(d, l, &b->tensors[0], 0, 1.0);
	law_add_part(d, l, &b->tensors[1], 0, 1.0);
	law_add_part(d, l, &b->tensors[2], 1, -1.0);
	l->in_label = "in";
	l->out_label = "out";
	l->watch = 0;
	law_read(d, &b->tensors[0], 1);    /* V's input channels read x, U's output channels write y */
	law_write(d, &b->tensors[2], 0);
	d->write_name = "u-next";
}

const struct block_kind block_conv1d = {
	.name = "conv1d",
	.usage = "conv1d channels=C [kernel=3] [out=W]",
	.help = "Convolutional block over sequence positions: conv (V: C x d x k, bias b) -> relu -> "
	        "conv (U: W x C x k, no bias), 'same' zero padding ((k-1)/2 zeros on the left), "
	        "W = input width d unless out= is given. Laws: per hidden channel j, "
	        "sum ||V[j,:,:]||^2 + b_j^2 - sum ||U[:,j,:]||^2.",
	.opts = conv_opts,
	.cfg_size = sizeof(struct conv_cfg),
	.configure = block_opts_configure,
	.setup = conv_setup,
	.init = conv_init,
	.forward = conv_forward,
	.backward = conv_backward,
	.declare = conv_declare,
	.describe = block_opts_describe,
};
