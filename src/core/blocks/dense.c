/* dense.c — fully connected layer y = x W^T + b.
 *   x (R, in), W (out, in), b (out), y (R, out), R = n*len (applied per row).
 * Laws: none of its own; it declares its ports (W's columns read, W's rows and b
 * write), from which the model derives, with a following dense layer (a deep
 * linear net), the matrix law W_l W_l^T + b_l b_l^T - W_{l+1}^T W_{l+1}
 * (out×out, upper triangle), and per-neuron laws around an activation. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct dense_cfg {
	long width;   /* output width */
	int bias;     /* 1: y = x W^T + b */
};
_Static_assert(sizeof(struct dense_cfg) <= NT_BLOCK_CFG, "dense_cfg fits in a block");

static const struct opt_spec dense_opts[] = {
	{ .key = "WIDTH", .type = OPT_LONG, .off = offsetof(struct dense_cfg, width), .lo = 1, .hi = NT_MAX_WIDTH,
	  .flags = OPTF_POSITIONAL | OPTF_REQUIRED, .help = "output width" },
	{ .key = "bias", .type = OPT_BOOL, .off = offsetof(struct dense_cfg, bias), .def = 1,
	  .help = "add the bias vector b" },
	{ 0 }
};

static const struct dense_cfg *dense_cfg(const struct block *b) { return block_config(b); }

static int dense_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	b->out.len = in.len;
	b->out.width = (int)dense_cfg(b)->width;
	block_add_tensor(b, "W", 2, b->out.width, in.width, 1);
	if (dense_cfg(b)->bias)
		block_add_tensor(b, "b", 1, b->out.width, 1, 1);
	return 0;
}

static void dense_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	block_init_normal(&b->tensors[0], theta, b->in.width, spec, r);
	if (b->ntensors > 1)
		block_init_normal(&b->tensors[1], theta, b->in.width, spec, r);
}

static void dense_forward(const struct block *b, const double *theta, int n, const double *x,
                          double *y, double *act, double *ws)
{
	(void)act; (void)ws;
	int R = n * b->in.len, in = b->in.width, out = b->out.width;
	const double *W = theta + b->tensors[0].off;
	if (b->ntensors > 1) {                       /* y = x W^T + 1·b, the bias added in the store */
		mm_bias(0, 1, R, out, in, 1.0, x, W, theta + b->tensors[1].off, y);
	} else {
		mm(0, 1, R, out, in, 1.0, x, W, 0.0, y);
	}
}

static void dense_backward(const struct block *b, const double *theta, int n, const double *x,
                           const double *y, const double *act, const double *dy, double *dx,
                           double *dtheta, double *ws)
{
	(void)y; (void)act; (void)ws;
	int R = n * b->in.len, in = b->in.width, out = b->out.width;
	const double *W = theta + b->tensors[0].off;
	mm(1, 0, out, in, R, 1.0, dy, x, 1.0, dtheta + b->tensors[0].off);   /* dW += dy^T x */
	if (b->ntensors > 1)                         /* db += column sums of dy, rows in order */
		colsum_add(R, out, dy, dtheta + b->tensors[1].off);
	if (dx)
		mm(0, 0, R, in, out, 1.0, dy, W, 0.0, dx);                      /* dx = dy W */
}

/* Reads its input through W's columns and writes its output through W's rows
 * and b: a dense layer next to another linear reader or writer closes a Gram
 * law over the features between them (two dense layers: the deep linear law). */
static void dense_declare(const struct block *b, struct law_decls *d)
{
	law_read(d, &b->tensors[0], 1);
	law_write(d, &b->tensors[0], 0);
	if (b->ntensors > 1)
		law_write_bias(d, &b->tensors[1], 0);
	d->write_name = "balance";
}

const struct block_kind block_dense = {
	.name = "dense",
	.usage = "dense WIDTH [bias=on|off]",
	.help = "Fully connected layer y = x W^T + b with W (WIDTH, in) and b (WIDTH); the input "
	        "width is inferred. Two dense layers in a row form a deep linear net, whose law is "
	        "the matrix W_l W_l^T + b_l b_l^T - W_{l+1}^T W_{l+1}.",
	.opts = dense_opts,
	.cfg_size = sizeof(struct dense_cfg),
	.configure = block_opts_configure,
	.setup = dense_setup,
	.init = dense_init,
	.forward = dense_forward,
	.backward = dense_backward,
	.declare = dense_declare,
	.tensorizable = 1,
	.describe = block_opts_describe,
};
