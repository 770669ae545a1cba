/* attn.c — multi-head softmax self-attention over a sequence, with optional
 * sinusoidal (additive) or rotary (RoPE) positional encoding and a causal mask.
 *
 * Conventions (so an independent implementation, e.g. PyTorch, reproduces it):
 *  - Input x is (n*T, d) row-major: n samples of T positions (p = 0..T-1 inside
 *    each sample), d features. Output y is (n*T, d): the block keeps the width.
 *  - pe=sin: X' = X + E with E[p, 2i] = sin(p / 10000^(2i/d)) and
 *    E[p, 2i+1] = cos(p / 10000^(2i/d)) (i = 0, 1, ...; an odd d ends with a sin
 *    column). X' feeds queries, keys AND values. pe=none|rope: X' = X.
 *  - Per head h, tensors Q_h, K_h (d, dk) and V_h, O_h (d, dv), row-major, named
 *    head<h>.Q/K/V/O. Row vectors multiply on the left:
 *        A = X' Q_h (T, dk),  B = X' K_h (T, dk),  U = X' V_h (T, dv)
 *  - pe=rope: row p of A and of B is rotated in each plane (2j, 2j+1),
 *    j = 0..dk/2-1 (interleaved pairing, not the "half split"), by the angle
 *    φ = p · 10000^(-2j/dk):  a'[2j] = a[2j] cos φ - a[2j+1] sin φ,
 *                             a'[2j+1] = a[2j] sin φ + a[2j+1] cos φ.
 *  - S = A B^T / sqrt(dk) (T, T); causal: S[i, j] = -inf for j > i.
 *    P = softmax over each row of S (max subtracted).
 *  - y = Σ_h (P U) O_h^T  (T, d): no bias, no residual.
 *
 * Laws (catalogue; each is a candidate until the experiment's rate check decides):
 *  - none/sin: per head Q^TQ - K^TK (dk×dk) and V^TV - O^TO (dv×dv), upper
 *    triangles with weight 2 off the diagonal. (Scores are invariant under
 *    Q → QG, K → KG^-T; the output under V → VG, O → OG^-T.)
 *  - rope: per head and plane j, ||Q[:,2j:2j+2]||² - ||K[:,2j:2j+2]||² (only a
 *    scaling of one plane commutes with every rotation), V^TV - O^TO, and the
 *    full Q^TQ - K^TK emitted as a claimed law (name ...qk-full) that the
 *    check is expected to reject. Contrasts: the single terms of each plane law.
 *  - followed by a dense layer W (out, d): Σ_h O_h O_h^T - W^T W (d×d), since
 *    O_h → G O_h (all heads), W → W G^-1 leaves the model unchanged.
 *
 * Invariants: the position tables (priv) are built in setup; forward and
 * backward never allocate. act holds, for n samples, [X' if sin] then per head
 * A, B (rotated), U, Z = P U (each n*T rows) and P (n blocks of T×T); ws holds
 * dZ, dU (n*T, dv), dA, dB (n*T, dk) and dP (n blocks of T×T). The per-sample
 * T×T products go through mm_batch, one call for all n samples. */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/lawbuild.h"
#include "noether/linalg.h"
#include "noether/util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PE_NONE, PE_SIN, PE_ROPE };

#define ATTN_MAX_HEADS 16   /* 4 tensors per head within NT_BLOCK_TENSORS */

struct attn_cfg {
	long heads;
	long dk_opt, dv_opt;   /* as given; 0: derived (d/heads, dk) */
	int pe;                /* PE_* */
	int causal;
	long dk, dv;           /* in force, set by setup */
};
_Static_assert(sizeof(struct attn_cfg) <= NT_BLOCK_CFG, "attn_cfg fits in a block");

static const char *const pe_names[] = { "none", "sin", "rope", NULL };
static const struct opt_spec attn_opts[] = {
	{ .key = "heads", .type = OPT_LONG, .off = offsetof(struct attn_cfg, heads), .lo = 1, .hi = ATTN_MAX_HEADS,
	  .def = 1, .flags = OPTF_SHOW, .help = "number of heads" },
	{ .key = "dk", .type = OPT_LONG, .off = offsetof(struct attn_cfg, dk_opt), .lo = 1, .hi = NT_MAX_WIDTH,
	  .sdef = "d/heads", .help = "query/key width per head" },
	{ .key = "dv", .type = OPT_LONG, .off = offsetof(struct attn_cfg, dv_opt), .lo = 1, .hi = NT_MAX_WIDTH,
	  .sdef = "dk", .help = "value width per head" },
	{ .key = "pe", .type = OPT_ENUM, .off = offsetof(struct attn_cfg, pe), .names = pe_names, .def = PE_NONE,
	  .flags = OPTF_SHOW, .help = "positional encoding" },
	{ .key = "causal", .type = OPT_FLAG, .off = offsetof(struct attn_cfg, causal), .help = "mask j > i" },
	{ 0 }
};

static const struct attn_cfg *attn_cfg(const struct block *b) { return block_config(b); }
#define ROPE_BASE 10000.0

/* priv: sin PE table E (T, d) or RoPE tables cos/sin (T, dk/2). */
struct attn_priv { double *pe; double *rc, *rs; };

static int attn_check(struct block *b, char *err, size_t len)
{
	const struct attn_cfg *cf = attn_cfg(b);
	if (cf->pe == PE_ROPE && cf->dk_opt % 2)
		return nt_err(err, len, NT_EINVAL, "attn: pe=rope needs an even dk (got dk=%ld)", cf->dk_opt);
	return 0;
}

static void attn_destroy(struct block *b)
{
	struct attn_priv *p = b->priv;
	if (p) {
		free(p->pe);
		free(p->rc);
		free(p->rs);
		free(p);
	}
	b->priv = NULL;
}

static int attn_setup(struct block *b, struct shape in, char *err, size_t len)
{
	struct attn_cfg *cf = block_config_mut(b);
	int H = (int)cf->heads, T = in.len, d = in.width;
	int dk = (int)(cf->dk_opt ? cf->dk_opt : (d / H > 0 ? d / H : 1));
	int dv = (int)(cf->dv_opt ? cf->dv_opt : dk);
	int pe = cf->pe;
	if (pe == PE_ROPE && dk % 2)
		return nt_err(err, len, NT_EINVAL, "pe=rope needs an even dk (got dk=%d; set dk=EVEN)", dk);
	if (T > NT_MAX_SEQ)
		return nt_err(err, len, NT_ERANGE, "sequence length %d exceeds the limit %d", T, NT_MAX_SEQ);
	cf->dk = dk;
	cf->dv = dv;
	b->out = in;
	for (int h = 0; h < H; h++) {
		char nm[24];
		snprintf(nm, sizeof nm, "head%d.Q", h); block_add_tensor(b, nm, 2, d, dk, 1);
		snprintf(nm, sizeof nm, "head%d.K", h); block_add_tensor(b, nm, 2, d, dk, 1);
		snprintf(nm, sizeof nm, "head%d.V", h); block_add_tensor(b, nm, 2, d, dv, 1);
		snprintf(nm, sizeof nm, "head%d.O", h); block_add_tensor(b, nm, 2, d, dv, 1);
	}
	size_t per_head = (size_t)T * (2 * dk + 2 * dv) + (size_t)T * T;
	b->act_per_sample = (pe == PE_SIN ? (size_t)T * d : 0) + (size_t)H * per_head;
	b->ws_per_sample = (size_t)T * (2 * dk + 2 * dv) + (size_t)T * T;
	b->ws_fixed = 0;

	attn_destroy(b);
	struct attn_priv *p = xcalloc(1, sizeof *p);
	b->priv = p;
	if (pe == PE_SIN) {
		p->pe = xmalloc((size_t)T * d * sizeof(double));
		for (int t = 0; t < T; t++)
			for (int c = 0; c < d; c++) {
				double w = pow(10000.0, -(double)(c - c % 2) / d);
				p->pe[(size_t)t * d + c] = c % 2 ? cos(t * w) : sin(t * w);
			}
	} else if (pe == PE_ROPE) {
		int np = dk / 2;
		p->rc = xmalloc((size_t)T * np * sizeof(double));
		p->rs = xmalloc((size_t)T * np * sizeof(double));
		for (int t = 0; t < T; t++)
			for (int j = 0; j < np; j++) {
				double phi = t * pow(ROPE_BASE, -2.0 * j / dk);
				p->rc[(size_t)t * np + j] = cos(phi);
				p->rs[(size_t)t * np + j] = sin(phi);
			}
	}
	return 0;
}

static void attn_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	int d = b->in.width, dv = (int)attn_cfg(b)->dv;
	for (int t = 0; t < b->ntensors; t++)
		block_init_normal(&b->tensors[t], theta, t % 4 == 3 ? dv : d, spec, r);
}

/* Rotates (inv=0) or un-rotates (inv=1) each row of M (n*T, dk) by its position:
 * a' = a c - b s, b' = b c + a s (s negated to un-rotate). Position by
 * position, so that the plane's cos/sin, laid out as (c, c) and (-s, s) pairs
 * once, serve every sample; then each row is row·(c, c, ...) + swapped
 * row·(-s, s, ...) — a c + b (-s) is a c - b s exactly, so the bits are those
 * of the plain formula — which the compiler runs 4 or 8 values wide. */
static void rope_apply(const struct attn_priv *p, int n, int T, int dk, double *M, int inv)
{
	int np = dk / 2;
	double cc[2 * 512], ss[2 * 512];   /* planes in chunks of 512 (16 KB of stack) */
	for (int t = 0; t < T; t++) {
		const double *c = p->rc + (size_t)t * np, *sn = p->rs + (size_t)t * np;
		for (int j0 = 0; j0 < np; j0 += 512) {
			int m = np - j0 < 512 ? np - j0 : 512;
			for (int j = 0; j < m; j++) {
				double si = inv ? -sn[j0 + j] : sn[j0 + j];
				cc[2 * j] = cc[2 * j + 1] = c[j0 + j];
				ss[2 * j] = -si;
				ss[2 * j + 1] = si;
			}
			for (int s = 0; s < n; s++) {
				double *restrict row = M + ((size_t)s * T + t) * dk + 2 * j0;
				for (int j = 0; j < 2 * m; j += 2) {
					double a = row[j], b2 = row[j + 1];
					row[j] = a * cc[j] + b2 * ss[j];
					row[j + 1] = b2 * cc[j + 1] + a * ss[j + 1];
				}
			}
		}
	}
}

/* Per-head slices of act for n samples. */
struct head_act { double *A, *B, *U, *Z, *P; };

static struct head_act head_slices(const struct block *b, double *act, int n, int h)
{
	const struct attn_cfg *cf = attn_cfg(b);
	int T = b->in.len, d = b->in.width, dk = (int)cf->dk, dv = (int)cf->dv;
	size_t R = (size_t)n * T;
	double *base = act + (cf->pe == PE_SIN ? R * d : 0);
	base += (size_t)h * (R * (2 * dk + 2 * dv) + (size_t)n * T * T);
	struct head_act a;
	a.A = base;
	a.B = a.A + R * dk;
	a.U = a.B + R * dk;
	a.Z = a.U + R * dv;
	a.P = a.Z + R * dv;
	return a;
}

/* x (n*T, d) -> y (n*T, d); per head A,B (n*T, dk), U,Z (n*T, dv), P (n, T, T).
 * Forward and backward are cloned for AVX2 and AVX-512 (chosen at load time,
 * the same results): the softmax, RoPE and dS loops run 4 or 8 wide. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void attn_forward(const struct block *b, const double *theta, int n, const double *x,
                         double *y, double *act, double *ws)
{
	(void)ws;
	const struct attn_priv *pv = b->priv;
	const struct attn_cfg *cf = attn_cfg(b);
	int H = (int)cf->heads, T = b->in.len, d = b->in.width;
	int dk = (int)cf->dk, dv = (int)cf->dv, pe = cf->pe;
	int causal = cf->causal, R = n * T;
	double scale = 1.0 / sqrt((double)dk);
	const double *X = x;
	if (pe == PE_SIN) {
		double *Xp = act;
		for (int s = 0; s < n; s++)
			for (size_t k = 0; k < (size_t)T * d; k++)
				Xp[(size_t)s * T * d + k] = x[(size_t)s * T * d + k] + pv->pe[k];
		X = Xp;
	}
	for (int h = 0; h < H; h++) {
		const double *Q = theta + b->tensors[4 * h].off, *K = theta + b->tensors[4 * h + 1].off;
		const double *V = theta + b->tensors[4 * h + 2].off, *O = theta + b->tensors[4 * h + 3].off;
		struct head_act a = head_slices(b, act, n, h);
		mm(0, 0, R, dk, d, 1.0, X, Q, 0.0, a.A);
		mm(0, 0, R, dk, d, 1.0, X, K, 0.0, a.B);
		mm(0, 0, R, dv, d, 1.0, X, V, 0.0, a.U);
		if (pe == PE_ROPE) {
			rope_apply(pv, n, T, dk, a.A, 0);
			rope_apply(pv, n, T, dk, a.B, 0);
		}
		/* softmax in three passes so that the exponentials of all n samples
		 * go through one vectorised exp_array call: scores minus the row max
		 * (masked: -inf, whose exp is 0), exp, then each row over its sum */
		mm_batch(n, (size_t)T * dk, (size_t)T * dk, (size_t)T * T, 0, 1, T, T, dk, scale, a.A, a.B, 0.0, a.P);
		for (int s = 0; s < n; s++) {
			double *P = a.P + (size_t)s * T * T;
			for (int i = 0; i < T; i++) {
				double *row = P + (size_t)i * T, mx = -INFINITY;
				int lim = causal ? i + 1 : T;
				for (int j = 0; j < lim; j++)
					if (row[j] > mx)
						mx = row[j];
				for (int j = 0; j < lim; j++)
					row[j] -= mx;
				for (int j = lim; j < T; j++)
					row[j] = -INFINITY;
			}
		}
		exp_array(n * T * T, a.P);
		for (int s = 0; s < n; s++) {
			double *P = a.P + (size_t)s * T * T;
			for (int i = 0; i < T; i++) {
				double *row = P + (size_t)i * T, sum = 0;
				int lim = causal ? i + 1 : T;
				for (int j = 0; j < lim; j++)
					sum += row[j];
				for (int j = 0; j < lim; j++)
					row[j] /= sum;
			}
		}
		mm_batch(n, (size_t)T * T, (size_t)T * dv, (size_t)T * dv, 0, 0, T, dv, T, 1.0, a.P, a.U, 0.0, a.Z);
		mm(0, 1, R, d, dv, 1.0, a.Z, O, h ? 1.0 : 0.0, y);   /* y += Z O^T */
	}
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void attn_backward(const struct block *b, const double *theta, int n, const double *x,
                          const double *y, const double *act, const double *dy, double *dx,
                          double *dtheta, double *ws)
{
	(void)y;
	const struct attn_priv *pv = b->priv;
	const struct attn_cfg *cf = attn_cfg(b);
	int H = (int)cf->heads, T = b->in.len, d = b->in.width;
	int dk = (int)cf->dk, dv = (int)cf->dv, pe = cf->pe, R = n * T;
	double scale = 1.0 / sqrt((double)dk);
	const double *X = pe == PE_SIN ? act : x;
	double *dZ = ws, *dU = dZ + (size_t)R * dv, *dA = dU + (size_t)R * dv, *dB = dA + (size_t)R * dk;
	double *dP = dB + (size_t)R * dk;   /* n blocks of T×T */
	for (int h = 0; h < H; h++) {
		const struct tensor_view *tQ = &b->tensors[4 * h], *tK = &b->tensors[4 * h + 1];
		const struct tensor_view *tV = &b->tensors[4 * h + 2], *tO = &b->tensors[4 * h + 3];
		const double *Q = theta + tQ->off, *K = theta + tK->off, *V = theta + tV->off, *O = theta + tO->off;
		struct head_act a = head_slices(b, (double *)act, n, h);
		mm(0, 0, R, dv, d, 1.0, dy, O, 0.0, dZ);                          /* dZ = dy O */
		mm(1, 0, d, dv, R, 1.0, dy, a.Z, 1.0, dtheta + tO->off);          /* dO += dy^T Z */
		/* per sample s (T×T blocks, all samples at once): */
		size_t sT = (size_t)T * T, sk = (size_t)T * dk, sv = (size_t)T * dv;
		mm_batch(n, sv, sv, sT, 0, 1, T, T, dv, 1.0, dZ, a.U, 0.0, dP);       /* dP = dZ U^T */
		mm_batch(n, sT, sv, sv, 1, 0, T, dv, T, 1.0, a.P, dZ, 0.0, dU);       /* dU = P^T dZ */
		for (size_t i = 0; i < (size_t)n * T; i++) {                         /* dS = P∘(dP - rowsum) */
			const double *pr = a.P + i * T;
			double *gr = dP + i * T, c = 0;
			for (int j = 0; j < T; j++)
				c += pr[j] * gr[j];
			for (int j = 0; j < T; j++)
				gr[j] = pr[j] * (gr[j] - c);
		}
		mm_batch(n, sT, sk, sk, 0, 0, T, dk, T, scale, dP, a.B, 0.0, dA);     /* dA = s dS B */
		mm_batch(n, sT, sk, sk, 1, 0, T, dk, T, scale, dP, a.A, 0.0, dB);     /* dB = s dS^T A */
		if (pe == PE_ROPE) {
			rope_apply(pv, n, T, dk, dA, 1);
			rope_apply(pv, n, T, dk, dB, 1);
		}
		mm(1, 0, d, dk, R, 1.0, X, dA, 1.0, dtheta + tQ->off);            /* dQ += X'^T dA */
		mm(1, 0, d, dk, R, 1.0, X, dB, 1.0, dtheta + tK->off);            /* dK += X'^T dB */
		mm(1, 0, d, dv, R, 1.0, X, dU, 1.0, dtheta + tV->off);            /* dV += X'^T dU */
		if (dx) {
			mm(0, 1, R, d, dk, 1.0, dA, Q, h ? 1.0 : 0.0, dx);             /* dx += dA Q^T */
			mm(0, 1, R, d, dk, 1.0, dB, K, 1.0, dx);
			mm(0, 1, R, d, dv, 1.0, dU, V, 1.0, dx);
		}
	}
}

/* Per head: the scores see Q_h K_h^T only (Q → QG, K → KG^-T), the output
 * V_h O_h^T only (V → VG, O → OG^-T); under RoPE only a scaling of one plane
 * of Q and K commutes with every rotation, so the full Q^TQ - K^TK is a claim.
 * The input is read through the rows of every Q_h, K_h, V_h (not under a
 * sinusoidal encoding, which adds to X), the output written through the rows
 * of every O_h. */
static void attn_declare(const struct block *b, struct law_decls *d)
{
	const struct attn_cfg *cf = attn_cfg(b);
	for (int h = 0; h < (int)cf->heads; h++) {
		const struct tensor_view *Q = &b->tensors[4 * h], *K = &b->tensors[4 * h + 1];
		const struct tensor_view *V = &b->tensors[4 * h + 2], *O = &b->tensors[4 * h + 3];
		char name[48];
		struct law_decl *l;
		if (cf->pe == PE_ROPE) {
			snprintf(name, sizeof name, "head%d.plane", h);
			l = law_units(d, name, (int)cf->dk / 2, 1.0);
			l->width = 2;
			law_add_part(d, l, Q, 1, 1.0);
			law_add_part(d, l, K, 1, -1.0);
			l->note = "RoPE plane";
			l->in_label = "Q";
			l->out_label = "K";
			l->watch = h == 0 ? 0 : -1;
			snprintf(name, sizeof name, "head%d.qk-full", h);
			l = law_gram(d, name);
			l->note = "under RoPE: claimed, expected to drift";
		} else {
			snprintf(name, sizeof name, "head%d.qk", h);
			l = law_gram(d, name);
		}
		law_add_part(d, l, Q, 1, 1.0);
		law_add_part(d, l, K, 1, -1.0);
		snprintf(name, sizeof name, "head%d.vo", h);
		l = law_gram(d, name);
		law_add_part(d, l, V, 1, 1.0);
		law_add_part(d, l, O, 1, -1.0);
		law_write(d, O, 0);
		if (cf->pe != PE_SIN) {   /* X + E: a sinusoidal encoding breaks x → Gx */
			law_read(d, Q, 0);
			law_read(d, K, 0);
			law_read(d, V, 0);
		}
	}
	d->write_name = "o-next";
	law_label_parts(&d->write, "sum_h O_h O_h^T");
	law_label_parts(&d->read, "sum_h (Q_h Q_h^T + K_h K_h^T + V_h V_h^T)");
}

/* Per sample and head: scores A B^T and P U forward (2T²(dk+dv)), twice that
 * backward (dP, dU, dA, dB); softmax and RoPE are lower order. */
static double attn_flops(const struct block *b)
{
	const struct attn_cfg *cf = attn_cfg(b);
	double T = b->in.len;
	return 6.0 * T * T * (double)(cf->dk + cf->dv) * (double)cf->heads;
}

const struct block_kind block_attn = {
	.name = "attn",
	.needs_sequence = 1,
	.usage = "attn [heads=1] [dk=d/heads] [dv=dk] [pe=none|sin|rope] [causal]",
	.help = "Multi-head softmax self-attention over each sequence: per head, scores "
	        "(X Q)(X K)^T/sqrt(dk) (causal: j <= i only), row softmax P, output "
	        "sum_h P X V O^T (width kept). pe=sin adds a sinusoidal encoding to X; pe=rope "
	        "rotates query/key planes (2j,2j+1) by position. Laws per head: Q^TQ - K^TK and "
	        "V^TV - O^TO; under RoPE per plane ||Q[:,2j:2j+2]||^2 - ||K[:,2j:2j+2]||^2 while "
	        "the full Q^TQ - K^TK is a claim that fails its check.",
	.opts = attn_opts,
	.cfg_size = sizeof(struct attn_cfg),
	.configure = block_opts_configure,
	.check = attn_check,
	.setup = attn_setup,
	.init = attn_init,
	.forward = attn_forward,
	.backward = attn_backward,
	.declare = attn_declare,
	.destroy = attn_destroy,
	.describe = block_opts_describe,
	.flops = attn_flops,
};
