/* swiglu.c — the SwiGLU feed-forward block  y = (SiLU(x B^T) ⊙ (x C^T)) A^T.
 *
 * Conventions (for reproducing it elsewhere, e.g. PyTorch):
 *   x (R,d) row-major, R = n*len: the block acts on each row (token) alone.
 *   Tensors in θ order: A (o,H), B (H,d), C (H,d), all row-major, no biases.
 *   u = x B^T, v = x C^T, h = SiLU(u) ⊙ v, y = h A^T, SiLU(z) = z/(1+e^{-z}).
 *   In PyTorch: y = F.linear(F.silu(F.linear(x, B)) * F.linear(x, C), A).
 *   o = d unless out=W is given. Init: B, C ~ N(0, 1/d), A ~ N(0, 1/H)
 *   (or the std given by `init`).
 * Laws: per hidden unit i, ||C[i,:]||^2 - ||A[:,i]||^2 (the gate branch B has
 * no rescaling symmetry because SiLU is not homogeneous). Contrasts: each term.
 * Invariant: forward stores u, v, h, σ(u) in act (4·H doubles per row); backward
 * uses 2·H doubles per row of ws. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include "glu.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct swiglu_cfg {
	long hidden;   /* H */
	long out;      /* output width; 0: the input width */
};
_Static_assert(sizeof(struct swiglu_cfg) <= NT_BLOCK_CFG, "swiglu_cfg fits in a block");

static const struct opt_spec swiglu_opts[] = {
	{ .key = "hidden", .type = OPT_LONG, .off = offsetof(struct swiglu_cfg, hidden), .lo = 1, .hi = NT_MAX_WIDTH,
	  .flags = OPTF_REQUIRED, .meta = "H", .help = "hidden width" },
	{ .key = "out", .type = OPT_LONG, .off = offsetof(struct swiglu_cfg, out), .lo = 1, .hi = NT_MAX_WIDTH,
	  .sdef = "d", .meta = "W", .help = "output width (default: the input width d)" },
	{ 0 }
};

static const struct swiglu_cfg *swiglu_cfg(const struct block *b) { return block_config(b); }

/* x (R,d), B,C (H,d), A (o,H) -> u,v,h (R,H), y (R,o). Cloned for AVX2 and
 * AVX-512 (chosen at load time; the same results): the elementwise loops run
 * 4 or 8 wide. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void glu_forward(int R, int d, int H, int o, const double *A, const double *B, const double *C,
                 const double *x, double *u, double *v, double *h, double *sg, double *y, double beta)
{
	mm(0, 1, R, H, d, 1.0, x, B, 0.0, u);
	mm(0, 1, R, H, d, 1.0, x, C, 0.0, v);
	size_t N = (size_t)R * H;
	for (size_t i = 0; i < N; i++)        /* sg = σ(u) = 1/(1 + e^{-u}), exp vectorised */
		sg[i] = -u[i];
	exp_array((int)N, sg);
	for (size_t i = 0; i < N; i++) {
		sg[i] = 1.0 / (1.0 + sg[i]);
		h[i] = u[i] * sg[i] * v[i];
	}
	mm(0, 1, R, o, H, 1.0, h, A, beta, y);
}

/* dy (R,o) -> dA (o,H) +=, dB,dC (H,d) +=, dx (R,d) = beta dx + ...; ws 2RH */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void glu_backward(int R, int d, int H, int o, const double *A, const double *B, const double *C,
                  const double *x, const double *u, const double *v, const double *h,
                  const double *sg, const double *dy, double *dA, double *dB, double *dC, double *dx, double beta,
                  double *ws)
{
	size_t N = (size_t)R * H;
	double *du = ws, *dv = ws + N;
	mm(1, 0, o, H, R, 1.0, dy, h, 1.0, dA);          /* dA += dy^T h */
	mm(0, 0, R, H, o, 1.0, dy, A, 0.0, dv);          /* dh = dy A, kept in dv */
	for (size_t i = 0; i < N; i++) {
		double s = sg[i], dh = dv[i];
		du[i] = dh * v[i] * s * (1.0 + u[i] * (1.0 - s));
		dv[i] = dh * u[i] * s;
	}
	mm(1, 0, H, d, R, 1.0, du, x, 1.0, dB);          /* dB += du^T x */
	mm(1, 0, H, d, R, 1.0, dv, x, 1.0, dC);          /* dC += dv^T x */
	if (dx) {
		mm(0, 0, R, d, H, 1.0, du, B, beta, dx);     /* dx = beta dx + du B + dv C */
		mm(0, 0, R, d, H, 1.0, dv, C, 1.0, dx);
	}
}

void glu_declare(struct law_decls *d, const struct tensor_view *A, const struct tensor_view *C, int H,
                 const char *name)
{
	struct law_decl *l = law_units(d, name, H, 1.0);
	law_add_part(d, l, C, 0, 1.0);
	law_add_part(d, l, A, 1, -1.0);
	l->in_label = "in";
	l->out_label = "out";
	l->watch = 0;
}

static int swiglu_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	int H = (int)swiglu_cfg(b)->hidden;
	b->out.len = in.len;
	b->out.width = swiglu_cfg(b)->out ? (int)swiglu_cfg(b)->out : in.width;
	block_add_tensor(b, "A", 2, b->out.width, H, 1);
	block_add_tensor(b, "B", 2, H, in.width, 1);
	block_add_tensor(b, "C", 2, H, in.width, 1);
	b->act_per_sample = (size_t)in.len * 4 * H;
	b->ws_per_sample = (size_t)in.len * 2 * H;
	return 0;
}

static void swiglu_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	block_init_normal(&b->tensors[0], theta, (int)swiglu_cfg(b)->hidden, spec, r);
	block_init_normal(&b->tensors[1], theta, b->in.width, spec, r);
	block_init_normal(&b->tensors[2], theta, b->in.width, spec, r);
}

static void swiglu_forward(const struct block *b, const double *theta, int n, const double *x,
                           double *y, double *act, double *ws)
{
	(void)ws;
	int R = n * b->in.len, H = (int)swiglu_cfg(b)->hidden;
	size_t N = (size_t)R * H;
	glu_forward(R, b->in.width, H, b->out.width, theta + b->tensors[0].off, theta + b->tensors[1].off,
	            theta + b->tensors[2].off, x, act, act + N, act + 2 * N, act + 3 * N, y, 0.0);
}

static void swiglu_backward(const struct block *b, const double *theta, int n, const double *x,
                            const double *y, const double *act, const double *dy, double *dx,
                            double *dtheta, double *ws)
{
	(void)y;
	int R = n * b->in.len, H = (int)swiglu_cfg(b)->hidden;
	size_t N = (size_t)R * H;
	glu_backward(R, b->in.width, H, b->out.width, theta + b->tensors[0].off, theta + b->tensors[1].off,
	             theta + b->tensors[2].off, x, act, act + N, act + 2 * N, act + 3 * N, dy,
	             dtheta + b->tensors[0].off, dtheta + b->tensors[1].off, dtheta + b->tensors[2].off,
	             dx, 0.0, ws);
}

static void swiglu_declare(const struct block *b, struct law_decls *d)
{
	glu_declare(d, &b->tensors[0], &b->tensors[2], (int)swiglu_cfg(b)->hidden, "n");
	law_read(d, &b->tensors[1], 1);   /* B and C read x, A writes y */
	law_read(d, &b->tensors[2], 1);
	law_write(d, &b->tensors[0], 0);
	d->write_name = "a-next";
}

const struct block_kind block_swiglu = {
	.name = "swiglu",
	.usage = "swiglu hidden=H [out=W]",
	.help = "SwiGLU feed-forward block y = A (SiLU(B x) * C x) with B, C (H, d), A (W, H), no "
	        "biases; the output width W is the input width d unless out= is given. Laws: per "
	        "hidden unit i, ||C[i,:]||^2 - ||A[:,i]||^2 (rescale row i of C by t and column i "
	        "of A by 1/t). The SiLU branch B has none.",
	.opts = swiglu_opts,
	.cfg_size = sizeof(struct swiglu_cfg),
	.configure = block_opts_configure,
	.setup = swiglu_setup,
	.init = swiglu_init,
	.forward = swiglu_forward,
	.backward = swiglu_backward,
	.declare = swiglu_declare,
	.describe = block_opts_describe,
};
