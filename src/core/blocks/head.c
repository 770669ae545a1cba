/* head.c — the softmax classification layer  z = x Θ^T + c, fed to cross-entropy.
 *
 * Conventions (for reproducing it elsewhere, e.g. PyTorch):
 *   x (R,d) row-major, R = n*len; Θ (C,d) row-major, c (C); z (R,C) are the
 *   logits (the softmax itself is inside `loss cross-entropy`).
 *   In PyTorch: z = F.linear(x, Θ, c); loss = F.cross_entropy(z, labels).
 *   Init: Θ, c ~ N(0, 1/d) (or the `init` std).
 * Laws (linear, QK_LINEAR, so weight decay rescales them by e^Λ):
 *   colsum: Σ_i Θ[i,j] for each input feature j (one quantity, d components);
 *   bsum:   Σ_i c_i.
 * They hold because the cross-entropy gradient ∂L/∂z = softmax(z) - onehot sums
 * to zero over the classes in every row (adding a common vector to every row
 * of Θ, or a constant to every c_i, shifts all logits alike). They are emitted
 * as candidates for any loss; with mse the rate check fails them and they are
 * shown as "claimed — fails", never as conserved. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct head_cfg {
	int type;       /* 0: softmax, the only type */
	long classes;   /* C */
};
_Static_assert(sizeof(struct head_cfg) <= NT_BLOCK_CFG, "head_cfg fits in a block");

static const char *const head_types[] = { "softmax", NULL };
static const struct opt_spec head_opts[] = {
	{ .key = "TYPE", .type = OPT_ENUM, .off = offsetof(struct head_cfg, type), .names = head_types,
	  .flags = OPTF_POSITIONAL, .help = "softmax (the logits of cross-entropy)" },
	{ .key = "classes", .type = OPT_LONG, .off = offsetof(struct head_cfg, classes), .lo = 2, .hi = NT_MAX_WIDTH,
	  .flags = OPTF_REQUIRED, .meta = "C", .help = "number of classes" },
	{ 0 }
};

static int head_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	b->out.len = in.len;
	b->out.width = (int)((const struct head_cfg *)block_config(b))->classes;
	block_add_tensor(b, "Theta", 2, b->out.width, in.width, 1);
	block_add_tensor(b, "c", 1, b->out.width, 1, 1);
	return 0;
}

static void head_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	block_init_normal(&b->tensors[0], theta, b->in.width, spec, r);
	block_init_normal(&b->tensors[1], theta, b->in.width, spec, r);
}

/* x (R,d), Θ (C,d), c (C) -> z (R,C) */
static void head_forward(const struct block *b, const double *theta, int n, const double *x,
                         double *y, double *act, double *ws)
{
	(void)act; (void)ws;
	int R = n * b->in.len, d = b->in.width, C = b->out.width;
	const double *c = theta + b->tensors[1].off;
	for (int r = 0; r < R; r++)
		memcpy(y + (size_t)r * C, c, (size_t)C * sizeof *y);
	mm(0, 1, R, C, d, 1.0, x, theta + b->tensors[0].off, 1.0, y);
}

static void head_backward(const struct block *b, const double *theta, int n, const double *x,
                          const double *y, const double *act, const double *dy, double *dx,
                          double *dtheta, double *ws)
{
	(void)y; (void)act; (void)ws;
	int R = n * b->in.len, d = b->in.width, C = b->out.width;
	mm(1, 0, C, d, R, 1.0, dy, x, 1.0, dtheta + b->tensors[0].off);     /* dΘ += dz^T x */
	double *dc = dtheta + b->tensors[1].off;
	for (int r = 0; r < R; r++)
		for (int j = 0; j < C; j++)
			dc[j] += dy[(size_t)r * C + j];
	if (dx)
		mm(0, 0, R, d, C, 1.0, dy, theta + b->tensors[0].off, 0.0, dx); /* dx = dz Θ */
}

/* Reads its input through Θ's columns, writes the logits through Θ's rows and
 * c; the column sums of Θ and the sum of c are linear laws under cross-entropy
 * (a contrast: c[0] alone). */
static void head_declare(const struct block *b, struct law_decls *d)
{
	struct law_decl *l = law_sum(d, "colsum");
	law_add_part(d, l, &b->tensors[0], 0, 1.0);
	l->note = "needs cross-entropy";
	l = law_sum(d, "bsum");
	law_add_part(d, l, &b->tensors[1], 0, 1.0);
	l->note = "needs cross-entropy";
	l->in_label = "c0";
	law_read(d, &b->tensors[0], 1);
	law_write(d, &b->tensors[0], 0);
	law_write_bias(d, &b->tensors[1], 0);
	d->write_name = "theta-next";
}

const struct block_kind block_head = {
	.name = "head",
	.usage = "head softmax classes=C",
	.help = "Softmax classification layer z = Theta x + c with Theta (C, d), c (C): the logits "
	        "for `loss cross-entropy`. Linear laws: each column sum sum_i Theta[i,j] and the bias "
	        "sum sum_i c_i, because the cross-entropy gradient in z sums to zero over classes. With "
	        "mse they fail the check and show as claimed - fails.",
	.opts = head_opts,
	.cfg_size = sizeof(struct head_cfg),
	.configure = block_opts_configure,
	.setup = head_setup,
	.init = head_init,
	.forward = head_forward,
	.backward = head_backward,
	.declare = head_declare,
	.describe = block_opts_describe,
};
