/* lattn.c — unnormalized "lightning" attention, a tensorizable (polynomial)
 * sequence block:  per sample, with X (T, d) row-major,
 *     A = X Q (T, dk),  B = X K (T, dk),  U = X V (T, d)
 *     S = (1/T) · M ∘ (A B^T) (T, T)     M = all ones, or lower-triangular
 *                                        (j <= i) with `causal`
 *     y = S U (T, d)
 * Q, K are (d, dk), V is (d, d); there is no output projection O (the
 * product is already trilinear in Q, K, V; a following dense layer plays O's
 * role). The constant 1/T keeps the output O(1); it changes no law.
 *
 * Laws (candidates; the rate check decides):
 *   Q^TQ - K^TK (dk×dk, upper triangle)   — scores invariant under Q→QG, K→KG^-T
 *   ||Q||² - ||V||²                       — y invariant under Q→λQ, V→V/λ
 * (||K||² - ||V||² follows from these two, so it is not listed.)
 * Followed by a dense layer W (out, d): V^TV - W^TW (d×d) as well.
 * Invariant: act holds A, B, U (n*T rows each) and S (n blocks T×T); no
 * allocation in forward/backward. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct lattn_cfg {
	long dk_opt;   /* as given; 0: the input width */
	int causal;
	long dk;       /* in force, set by setup */
};
_Static_assert(sizeof(struct lattn_cfg) <= NT_BLOCK_CFG, "lattn_cfg fits in a block");

static const struct opt_spec lattn_opts[] = {
	{ .key = "dk", .type = OPT_LONG, .off = offsetof(struct lattn_cfg, dk_opt), .lo = 1, .hi = NT_MAX_WIDTH,
	  .sdef = "d", .help = "query/key width" },
	{ .key = "causal", .type = OPT_FLAG, .off = offsetof(struct lattn_cfg, causal), .help = "mask j > i" },
	{ 0 }
};

static const struct lattn_cfg *lattn_cfg(const struct block *b) { return block_config(b); }

static int lattn_setup(struct block *b, struct shape in, char *err, size_t len)
{
	int T = in.len, d = in.width;
	if (T > NT_MAX_SEQ)
		return nt_err(err, len, NT_ERANGE, "sequence length %d exceeds the limit %d", T, NT_MAX_SEQ);
	struct lattn_cfg *cf = block_config_mut(b);
	int dk = (int)(cf->dk_opt ? cf->dk_opt : d);
	cf->dk = dk;
	b->out = in;
	block_add_tensor(b, "Q", 2, d, dk, 1);
	block_add_tensor(b, "K", 2, d, dk, 1);
	block_add_tensor(b, "V", 2, d, d, 1);
	b->act_per_sample = (size_t)T * (2 * dk + d) + (size_t)T * T;
	b->ws_per_sample = (size_t)T * (2 * dk + d) + (size_t)T * T;   /* dA, dB, dU, dS */
	b->ws_fixed = 0;
	return 0;
}

static void lattn_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	for (int t = 0; t < b->ntensors; t++)
		block_init_normal(&b->tensors[t], theta, b->in.width, spec, r);
}

/* Zero the entries above the diagonal of n blocks T×T (causal scores). */
static void causal_zero(double *S, int n, int T)
{
	for (int s = 0; s < n; s++)
		for (int i = 0; i < T; i++)
			for (int j = i + 1; j < T; j++)
				S[((size_t)s * T + i) * T + j] = 0.0;
}

/* x (n*T, d) -> y (n*T, d); act: A, B (n*T, dk), U (n*T, d), S (n, T, T). */
static void lattn_forward(const struct block *b, const double *theta, int n, const double *x,
                          double *y, double *act, double *ws)
{
	(void)ws;
	int T = b->in.len, d = b->in.width, dk = (int)lattn_cfg(b)->dk, R = n * T;
	const double *Q = theta + b->tensors[0].off, *K = theta + b->tensors[1].off, *V = theta + b->tensors[2].off;
	double *A = act, *B = A + (size_t)R * dk, *U = B + (size_t)R * dk, *S = U + (size_t)R * d;
	mm(0, 0, R, dk, d, 1.0, x, Q, 0.0, A);
	mm(0, 0, R, dk, d, 1.0, x, K, 0.0, B);
	mm(0, 0, R, d, d, 1.0, x, V, 0.0, U);
	/* the per-sample products as batches (one call each, not n) */
	size_t sk = (size_t)T * dk, sv = (size_t)T * d, sT = (size_t)T * T;
	mm_batch(n, sk, sk, sT, 0, 1, T, T, dk, 1.0 / T, A, B, 0.0, S);      /* S = A B^T / T */
	if (lattn_cfg(b)->causal)
		causal_zero(S, n, T);
	mm_batch(n, sT, sv, sv, 0, 0, T, d, T, 1.0, S, U, 0.0, y);           /* y = S U */
}

static void lattn_backward(const struct block *b, const double *theta, int n, const double *x,
                           const double *y, const double *act, const double *dy, double *dx,
                           double *dtheta, double *ws)
{
	(void)y;
	int T = b->in.len, d = b->in.width, dk = (int)lattn_cfg(b)->dk, R = n * T;
	const struct tensor_view *tQ = &b->tensors[0], *tK = &b->tensors[1], *tV = &b->tensors[2];
	const double *A = act, *B = A + (size_t)R * dk, *U = B + (size_t)R * dk, *S = U + (size_t)R * d;
	double *dA = ws, *dB = dA + (size_t)R * dk, *dU = dB + (size_t)R * dk, *dS = dU + (size_t)R * d;
	size_t sk = (size_t)T * dk, sv = (size_t)T * d, sT = (size_t)T * T;
	mm_batch(n, sv, sv, sT, 0, 1, T, T, d, 1.0, dy, U, 0.0, dS);          /* dS = dy U^T */
	mm_batch(n, sT, sv, sv, 1, 0, T, d, T, 1.0, S, dy, 0.0, dU);          /* dU = S^T dy */
	if (lattn_cfg(b)->causal)
		causal_zero(dS, n, T);
	mm_batch(n, sT, sk, sk, 0, 0, T, dk, T, 1.0 / T, dS, B, 0.0, dA);     /* dA = dS B / T */
	mm_batch(n, sT, sk, sk, 1, 0, T, dk, T, 1.0 / T, dS, A, 0.0, dB);     /* dB = dS^T A / T */
	mm(1, 0, d, dk, R, 1.0, x, dA, 1.0, dtheta + tQ->off);   /* dQ += x^T dA */
	mm(1, 0, d, dk, R, 1.0, x, dB, 1.0, dtheta + tK->off);   /* dK += x^T dB */
	mm(1, 0, d, d, R, 1.0, x, dU, 1.0, dtheta + tV->off);    /* dV += x^T dU */
	if (dx) {
		mm(0, 1, R, d, dk, 1.0, dA, theta + tQ->off, 0.0, dx);
		mm(0, 1, R, d, dk, 1.0, dB, theta + tK->off, 1.0, dx);
		mm(0, 1, R, d, d, 1.0, dU, theta + tV->off, 1.0, dx);
	}
}

/* Q → QG, K → KG^-T leave the scores; Q → λQ, V → V/λ the output; the input is
 * read through the rows of Q, K and V, the output written through V's columns
 * (a following dense layer W gives V^TV - W^TW). */
static void lattn_declare(const struct block *b, struct law_decls *d)
{
	const struct tensor_view *Q = &b->tensors[0], *K = &b->tensors[1], *V = &b->tensors[2];
	struct law_decl *l = law_gram(d, "qk");
	law_add_part(d, l, Q, 1, 1.0);
	law_add_part(d, l, K, 1, -1.0);
	l = law_units(d, "qv", 1, 1.0);
	law_add_part(d, l, Q, -1, 1.0);
	law_add_part(d, l, V, -1, -1.0);
	l->note = "trilinear rescaling";
	law_read(d, Q, 0);
	law_read(d, K, 0);
	law_read(d, V, 0);
	law_label_parts(&d->read, "Q Q^T + K K^T + V V^T");
	law_write(d, V, 1);
	d->write_name = "v-next";
}

/* Per sample: A B^T and S U forward (2T²(dk+d)), twice that backward. */
static double lattn_flops(const struct block *b)
{
	double T = b->in.len;
	return 6.0 * T * T * (double)(lattn_cfg(b)->dk + b->in.width);
}

const struct block_kind block_lattn = {
	.name = "lattn",
	.needs_sequence = 1,
	.usage = "lattn [dk=d] [causal]",
	.help = "Unnormalized (lightning) attention y = (1/T) M∘((X Q)(X K)^T) (X V), Q,K (d,dk), "
	        "V (d,d), no softmax and no output projection; causal masks j > i. A polynomial "
	        "(tensorizable) block. Laws: Q^TQ - K^TK and ||Q||^2 - ||V||^2.",
	.opts = lattn_opts,
	.cfg_size = sizeof(struct lattn_cfg),
	.configure = block_opts_configure,
	.setup = lattn_setup,
	.init = lattn_init,
	.forward = lattn_forward,
	.backward = lattn_backward,
	.declare = lattn_declare,
	.tensorizable = 1,
	.describe = block_opts_describe,
	.flops = lattn_flops,
};
