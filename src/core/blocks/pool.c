/* pool.c — mean over the positions of each sequence, so a sequence model can
 * end in a per-sample head (sequence classification):
 *     x (n*T, d) -> y (n, d),  y[s,:] = (1/T) Σ_t x[s*T + t, :]
 * No parameters and no laws of its own; it commutes with every linear map of
 * the features (PASS_LINEAR), so laws between the blocks around it run through
 * it. Invariant: output len is 1. */
#include "noether/block.h"
#include "noether/util.h"
#include <stdio.h>
#include <string.h>

static const struct opt_spec pool_opts[] = { { 0 } };

static int pool_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	b->out.len = 1;
	b->out.width = in.width;
	return 0;
}

/* x (n*T, d) -> y (n, d) */
static void pool_forward(const struct block *b, const double *theta, int n, const double *x,
                         double *y, double *act, double *ws)
{
	(void)theta; (void)act; (void)ws;
	int T = b->in.len, d = b->in.width;
	double inv = 1.0 / T;
	for (int s = 0; s < n; s++) {
		double *ys = y + (size_t)s * d;
		memset(ys, 0, (size_t)d * sizeof *ys);
		for (int t = 0; t < T; t++) {
			const double *xr = x + ((size_t)s * T + t) * d;
			for (int j = 0; j < d; j++)
				ys[j] += xr[j];
		}
		for (int j = 0; j < d; j++)
			ys[j] *= inv;
	}
}

/* dy (n, d) -> dx (n*T, d): each position gets dy/T. */
static void pool_backward(const struct block *b, const double *theta, int n, const double *x,
                          const double *y, const double *act, const double *dy, double *dx,
                          double *dtheta, double *ws)
{
	(void)theta; (void)x; (void)y; (void)act; (void)dtheta; (void)ws;
	if (!dx)
		return;
	int T = b->in.len, d = b->in.width;
	double inv = 1.0 / T;
	for (int s = 0; s < n; s++)
		for (int t = 0; t < T; t++) {
			double *xr = dx + ((size_t)s * T + t) * d;
			for (int j = 0; j < d; j++)
				xr[j] = dy[(size_t)s * d + j] * inv;
		}
}

const struct block_kind block_pool = {
	.name = "pool",
	.usage = "pool",
	.help = "Mean over the positions of each sequence: (n*len, d) -> (n, d). Put it before "
	        "the classification head of a sequence model (data seqcls). No parameters and no laws "
	        "of its own; a matrix law between the blocks around it runs through it.",
	.opts = pool_opts,
	.pass = PASS_LINEAR,
	.configure = block_opts_configure,
	.describe = block_opts_describe,
	.setup = pool_setup,
	.forward = pool_forward,
	.backward = pool_backward,
};
