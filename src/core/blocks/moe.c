/* moe.c — mixture of SwiGLU experts  y = Σ_e g_e(x) E_e(x), gating logits l = x W^T.
 *
 * Conventions (for reproducing it elsewhere, e.g. PyTorch):
 *   x (R,d) row-major, R = n*len, each row (token) routed on its own.
 *   Tensors in θ order: W (E,d), then for e = 0..E-1: e<e>.A (o,H), e<e>.B (H,d),
 *   e<e>.C (H,d). Expert e: E_e(x) = A_e (SiLU(B_e x) ⊙ C_e x), as in swiglu.c
 *   (PyTorch: F.linear(F.silu(F.linear(x, B)) * F.linear(x, C), A)); o = d unless out=.
 *   Gates, per row, from l = x W^T (E):
 *     softmax   g = softmax(l)
 *     topk:K    S = the K largest logits (1 < K < E); ties go to the LOWER expert
 *               index (a stable sort by descending logit, like picking the first
 *               maximum K times); g_e = exp(l_e)/Σ_{p∈S} exp(l_p) for e ∈ S, else 0.
 *               The selection is piecewise constant: gradients flow only through
 *               the selected experts and their logits.
 *     nsigmoid  g_e = σ(l_e) / Σ_p σ(l_p)
 *   Init: W, B_e, C_e ~ N(0, 1/d), A_e ~ N(0, 1/H) (or the `init` std), in θ order.
 * Laws (candidates; the program's rate check decides):
 *   - each expert's SwiGLU laws ||C_e[i,:]||^2 - ||A_e[:,i]||^2 (g_e does not depend
 *     on A_e, C_e, so the expert's own rescaling symmetry survives);
 *   - the gating law claimed in the literature, Σ_e W_e (a d-vector, linear): adding
 *     one vector to every row of W shifts every logit of a row by the same amount,
 *     which softmax and top-k (softmax over the selected) ignore, so Σ_e ∂L/∂l_e = 0
 *     per row and the law holds. Normalized sigmoid is NOT shift invariant, so for
 *     gate=nsigmoid the claim fails the check and is shown as "claimed — fails".
 * Compute: each expert runs only on the rows routed to it (mask ≠ 0): those rows
 * of x are gathered, the expert's SwiGLU runs on them, and its output is
 * scattered back with the gate. Under top-k that is K/E of the expert work
 * (what moe_flops charges); softmax and nsigmoid route every row (no copy).
 * Invariant: act per row holds l, g, mask (E each) and per expert u, v, h, σ(u) (H each)
 * and E_e(x) (o), for expert e in the order of its routed rows (rows_of below);
 * ws per row holds dE (o), the SwiGLU scratch (2H), dg and dl (E), then the
 * gathered x and ∂x (d each) and the routed row lists of all experts (E). */
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

enum gate { GATE_SOFTMAX, GATE_TOPK, GATE_NSIGMOID };
#define MOE_MAX_EXPERTS 16

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

struct moe_cfg {
	long experts;   /* E */
	long hidden;    /* H of each SwiGLU expert */
	int gate;       /* enum gate */
	long k;         /* K of gate=topk:K (0 otherwise) */
	long out;       /* output width; 0: the input width */
};
_Static_assert(sizeof(struct moe_cfg) <= NT_BLOCK_CFG, "moe_cfg fits in a block");

static const struct moe_cfg *moe_cfg(const struct block *b) { return block_config(b); }

/* gate=softmax|nsigmoid|topk:K; K against experts is checked by moe_check */
static int gate_parse(const char *v, void *cfg, char *err, size_t len)
{
	struct moe_cfg *c = cfg;
	c->k = 0;
	if (!strcmp(v, "softmax"))
		c->gate = GATE_SOFTMAX;
	else if (!strcmp(v, "nsigmoid"))
		c->gate = GATE_NSIGMOID;
	else if (!strncmp(v, "topk:", 5)) {
		c->gate = GATE_TOPK;
		if (parse_long(v + 5, &c->k))
			return nt_err(err, len, NT_EINVAL, "gate=topk:K needs an integer K with 2 <= K < experts, not '%s'", v + 5);
	} else
		return nt_err(err, len, NT_EINVAL, "gate must be softmax, topk:K or nsigmoid, not '%s'", v);
	return 0;
}

static void gate_print(const void *cfg, char *buf, size_t len)
{
	const struct moe_cfg *c = cfg;
	if (c->gate == GATE_TOPK)
		snprintf(buf, len, "topk:%ld", c->k);
	else
		snprintf(buf, len, "%s", c->gate == GATE_SOFTMAX ? "softmax" : "nsigmoid");
}

static const struct opt_spec moe_opts[] = {
	{ .key = "experts", .type = OPT_LONG, .off = offsetof(struct moe_cfg, experts), .lo = 2, .hi = MOE_MAX_EXPERTS,
	  .flags = OPTF_REQUIRED, .meta = "E", .help = "number of experts" },
	{ .key = "hidden", .type = OPT_LONG, .off = offsetof(struct moe_cfg, hidden), .lo = 1, .hi = NT_MAX_WIDTH,
	  .flags = OPTF_REQUIRED, .meta = "H", .help = "hidden width of each SwiGLU expert" },
	{ .key = "gate", .type = OPT_CUSTOM, .off = offsetof(struct moe_cfg, gate), .sdef = "softmax", .flags = OPTF_SHOW,
	  .meta = "softmax|topk:K|nsigmoid", .help = "gating", .parse = gate_parse, .print = gate_print },
	{ .key = "out", .type = OPT_LONG, .off = offsetof(struct moe_cfg, out), .lo = 1, .hi = NT_MAX_WIDTH,
	  .sdef = "d", .meta = "W", .help = "output width (default: the input width d)" },
	{ 0 }
};

static int moe_check(struct block *b, char *err, size_t len)
{
	const struct moe_cfg *c = moe_cfg(b);
	if (c->gate == GATE_TOPK && (c->k < 2 || c->k >= c->experts))
		return nt_err(err, len, NT_ERANGE, "moe: gate=topk:K needs an integer K with 2 <= K < experts (%ld), not '%ld'",
		              c->experts, c->k);
	return 0;
}

static int moe_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	int E = (int)moe_cfg(b)->experts, H = (int)moe_cfg(b)->hidden;
	b->out.len = in.len;
	b->out.width = moe_cfg(b)->out ? (int)moe_cfg(b)->out : in.width;
	int o = b->out.width;
	block_add_tensor(b, "W", 2, E, in.width, 1);
	for (int e = 0; e < E; e++) {
		char nm[24];
		snprintf(nm, sizeof nm, "e%d.A", e);
		block_add_tensor(b, nm, 2, o, H, 1);
		snprintf(nm, sizeof nm, "e%d.B", e);
		block_add_tensor(b, nm, 2, H, in.width, 1);
		snprintf(nm, sizeof nm, "e%d.C", e);
		block_add_tensor(b, nm, 2, H, in.width, 1);
	}
	b->act_per_sample = (size_t)in.len * (3 * (size_t)E + (size_t)E * (4 * (size_t)H + o));
	b->ws_per_sample = (size_t)in.len * ((size_t)o + 2 * (size_t)H + 3 * (size_t)E + 2 * (size_t)in.width);
	return 0;
}

static void moe_init(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r)
{
	int E = (int)moe_cfg(b)->experts, H = (int)moe_cfg(b)->hidden;
	block_init_normal(&b->tensors[0], theta, b->in.width, spec, r);
	for (int e = 0; e < E; e++) {
		block_init_normal(&b->tensors[1 + 3 * e], theta, H, spec, r);
		block_init_normal(&b->tensors[2 + 3 * e], theta, b->in.width, spec, r);
		block_init_normal(&b->tensors[3 + 3 * e], theta, b->in.width, spec, r);
	}
}

/* Gates of R rows: logits l (R,E) -> g (R,E) and mask (R,E: 1 selected / 0).
 * Three passes, so that the exponentials of all rows go through one
 * vectorised exp_array call: per row the selection and the exponent (softmax
 * and top-k: l - max over the selected, -inf off the set, whose exp is 0;
 * nsigmoid: -l), then exp, then per row the normalisation. */
static void gate_rows(enum gate gk, int R, int E, int K, const double *l, double *g, double *mask)
{
	for (int r = 0; r < R; r++) {
		const double *lr = l + (size_t)r * E;
		double *gr = g + (size_t)r * E, *mr = mask + (size_t)r * E;
		for (int e = 0; e < E; e++)
			mr[e] = gk == GATE_TOPK ? 0.0 : 1.0;
		if (gk == GATE_NSIGMOID) {
			for (int e = 0; e < E; e++)
				gr[e] = -lr[e];
			continue;
		}
		if (gk == GATE_TOPK)
			for (int k = 0; k < K; k++) {       /* first maximum among the unselected: lower index wins ties */
				int best = -1;
				for (int e = 0; e < E; e++)
					if (mr[e] == 0.0 && (best < 0 || lr[e] > lr[best]))
						best = e;
				mr[best] = 1.0;
			}
		double mx = -INFINITY;
		for (int e = 0; e < E; e++)
			if (mr[e] != 0.0 && lr[e] > mx)
				mx = lr[e];
		for (int e = 0; e < E; e++)
			gr[e] = mr[e] != 0.0 ? lr[e] - mx : -INFINITY;
	}
	exp_array(R * E, g);
	for (int r = 0; r < R; r++) {
		double *gr = g + (size_t)r * E, S = 0;
		if (gk == GATE_NSIGMOID)            /* σ(l) = 1/(1 + e^{-l}) */
			for (int e = 0; e < E; e++)
				gr[e] = 1.0 / (1.0 + gr[e]);
		for (int e = 0; e < E; e++)
			S += gr[e];
		for (int e = 0; e < E; e++)
			gr[e] /= S;
	}
}

/* Pointers into act for R rows. */
struct moe_act { double *l, *g, *mask, *u, *v, *h, *ye; };

static struct moe_act moe_act_of(const struct block *b, int R, double *act)
{
	int E = (int)moe_cfg(b)->experts, H = (int)moe_cfg(b)->hidden, o = b->out.width;
	struct moe_act a;
	size_t RE = (size_t)R * E, RH = (size_t)R * H;
	a.l = act;
	a.g = act + RE;
	a.mask = act + 2 * RE;
	a.u = act + 3 * RE;            /* expert e: u + e*4RH, v = u + RH, h = u + 2RH, σ(u) = u + 3RH */
	a.v = a.u + RH;
	a.h = a.u + 2 * RH;
	a.ye = a.u + (size_t)E * 4 * RH; /* expert e output: ye + e*R*o */
	(void)o;
	return a;
}

/* For every expert e, the rows routed to it (mask ≠ 0), ascending, into
 * lists + e·R, and their number into ne[e]: one pass over the mask. */
static void rows_of(const double *mask, int R, int E, int *lists, int *ne)
{
	for (int e = 0; e < E; e++)
		ne[e] = 0;
	for (int r = 0; r < R; r++)
		for (int e = 0; e < E; e++)
			if (mask[(size_t)r * E + e] != 0.0)
				lists[(size_t)e * R + ne[e]++] = r;
}

/* xg (n,d) = rows list of x (R,d). */
static void gather_rows(const double *x, int d, const int *list, int n, double *xg)
{
	for (int k = 0; k < n; k++) {
		const double *xr = x + (size_t)list[k] * d;
		double *g = xg + (size_t)k * d;
		for (int j = 0; j < d; j++)
			g[j] = xr[j];
	}
}

/* The routed-row scratch in ws (after dE, SwiGLU scratch, dg, dl). */
struct moe_ws { double *dE, *gws, *dg, *dl, *xg, *dxg; int *list; };

static struct moe_ws moe_ws_of(const struct block *b, int R, double *ws)
{
	int E = (int)moe_cfg(b)->experts, H = (int)moe_cfg(b)->hidden, o = b->out.width, d = b->in.width;
	struct moe_ws w;
	w.dE = ws;
	w.gws = w.dE + (size_t)R * o;
	w.dg = w.gws + 2 * (size_t)R * H;
	w.dl = w.dg + (size_t)R * E;
	w.xg = w.dl + (size_t)R * E;
	w.dxg = w.xg + (size_t)R * d;
	w.list = (int *)(w.dxg + (size_t)R * d);   /* E lists of R ints fit in R·E doubles */
	return w;
}

/* x (R,d), W (E,d) -> l (R,E), g (R,E); expert e on its n_e routed rows -> ye_e (n_e,o);
 * y (R,o) = Σ_e g_e ye_e scattered back */
static void moe_forward(const struct block *b, const double *theta, int n, const double *x,
                        double *y, double *act, double *ws)
{
	int R = n * b->in.len, d = b->in.width, E = (int)moe_cfg(b)->experts, H = (int)moe_cfg(b)->hidden, o = b->out.width;
	enum gate gk = (enum gate)moe_cfg(b)->gate;
	struct moe_act a = moe_act_of(b, R, act);
	struct moe_ws w = moe_ws_of(b, R, ws);
	size_t RH = (size_t)R * H, Ro = (size_t)R * o;
	mm(0, 1, R, E, d, 1.0, x, theta + b->tensors[0].off, 0.0, a.l);
	gate_rows(gk, R, E, (int)moe_cfg(b)->k, a.l, a.g, a.mask);
	memset(y, 0, Ro * sizeof *y);
	int nes[MOE_MAX_EXPERTS];
	rows_of(a.mask, R, E, w.list, nes);
	for (int e = 0; e < E; e++) {
		double *u = a.u + (size_t)e * 4 * RH, *ye = a.ye + (size_t)e * Ro;
		const int *list = w.list + (size_t)e * R;
		int ne = nes[e];
		if (!ne)
			continue;
		const double *xe = x;
		if (ne < R) {
			gather_rows(x, d, list, ne, w.xg);
			xe = w.xg;
		}
		size_t NH = (size_t)ne * H;
		glu_forward(ne, d, H, o, theta + b->tensors[1 + 3 * e].off, theta + b->tensors[2 + 3 * e].off,
		            theta + b->tensors[3 + 3 * e].off, xe, u, u + NH, u + 2 * NH, u + 3 * NH, ye, 0.0);
		for (int k = 0; k < ne; k++) {
			int r = list[k];
			double ge = a.g[(size_t)r * E + e];
			const double *yk = ye + (size_t)k * o;
			double *yr = y + (size_t)r * o;
			if (ge != 0.0)
				for (int j = 0; j < o; j++)   /* axpy(o, ge, yk, yr), inlined */
					yr[j] += ge * yk[j];
		}
	}
}

static void moe_backward(const struct block *b, const double *theta, int n, const double *x,
                         const double *y, const double *act, const double *dy, double *dx,
                         double *dtheta, double *ws)
{
	(void)y;
	int R = n * b->in.len, d = b->in.width, E = (int)moe_cfg(b)->experts, H = (int)moe_cfg(b)->hidden, o = b->out.width;
	enum gate gk = (enum gate)moe_cfg(b)->gate;
	struct moe_act a = moe_act_of(b, R, (double *)act);
	struct moe_ws w = moe_ws_of(b, R, ws);
	size_t RH = (size_t)R * H, Ro = (size_t)R * o;
	double *dE = w.dE, *dg = w.dg, *dl = w.dl;
	/* dg[r,e] = <dy_r, E_e(x_r)> on routed rows; 0 elsewhere (g = 0 there) */
	memset(dg, 0, (size_t)R * E * sizeof *dg);
	int nes[MOE_MAX_EXPERTS];
	rows_of(a.mask, R, E, w.list, nes);
	for (int e = 0; e < E; e++) {
		const int *list = w.list + (size_t)e * R;
		for (int k = 0; k < nes[e]; k++) {
			int r = list[k];
			const double *dyr = dy + (size_t)r * o, *yk = a.ye + (size_t)e * Ro + (size_t)k * o;
			double s = 0;
			for (int j = 0; j < o; j++)   /* dot(o, dyr, yk), inlined: same order */
				s += dyr[j] * yk[j];
			dg[(size_t)r * E + e] = s;
		}
	}
	for (int r = 0; r < R; r++) {
		const double *g = a.g + (size_t)r * E, *l = a.l + (size_t)r * E, *dgr = dg + (size_t)r * E;
		double *dlr = dl + (size_t)r * E, m = 0;
		for (int e = 0; e < E; e++)
			m += g[e] * dgr[e];
		if (gk == GATE_NSIGMOID) {
			double S = 0;
			for (int e = 0; e < E; e++)
				S += sigm(l[e]);
			for (int e = 0; e < E; e++) {
				double s = sigm(l[e]);
				dlr[e] = s * (1.0 - s) / S * (dgr[e] - m);
			}
		} else {
			for (int e = 0; e < E; e++)   /* g_e = 0 off the top-k set: no gradient there */
				dlr[e] = g[e] * (dgr[e] - m);
		}
	}
	mm(1, 0, E, d, R, 1.0, dl, x, 1.0, dtheta + b->tensors[0].off);      /* dW += dl^T x */
	if (dx)
		mm(0, 0, R, d, E, 1.0, dl, theta + b->tensors[0].off, 0.0, dx);  /* dx = dl W */
	for (int e = 0; e < E; e++) {
		const int *list = w.list + (size_t)e * R;
		int ne = nes[e], any = 0;
		for (int k = 0; k < ne; k++) {
			int r = list[k];
			double ge = a.g[(size_t)r * E + e];
			any |= ge != 0.0;
			for (int j = 0; j < o; j++)
				dE[(size_t)k * o + j] = ge * dy[(size_t)r * o + j];
		}
		if (!any)
			continue;   /* expert unused by every row (top-k): exact zero contribution */
		const double *u = a.u + (size_t)e * 4 * RH;
		size_t NH = (size_t)ne * H;
		const struct tensor_view *tA = &b->tensors[1 + 3 * e], *tB = &b->tensors[2 + 3 * e], *tC = &b->tensors[3 + 3 * e];
		if (ne == R) {   /* every row routed here: no gather, ∂x added in place */
			glu_backward(R, d, H, o, theta + tA->off, theta + tB->off, theta + tC->off, x, u, u + RH, u + 2 * RH,
			             u + 3 * RH, dE, dtheta + tA->off, dtheta + tB->off, dtheta + tC->off, dx, 1.0, w.gws);
			continue;
		}
		gather_rows(x, d, list, ne, w.xg);
		glu_backward(ne, d, H, o, theta + tA->off, theta + tB->off, theta + tC->off, w.xg, u, u + NH, u + 2 * NH,
		             u + 3 * NH, dE, dtheta + tA->off, dtheta + tB->off, dtheta + tC->off, dx ? w.dxg : NULL, 0.0,
		             w.gws);
		if (dx)
			for (int k = 0; k < ne; k++) {
				const double *dk = w.dxg + (size_t)k * d;
				double *dr = dx + (size_t)list[k] * d;
				for (int j = 0; j < d; j++)   /* axpy(d, 1.0, dk, dr), inlined */
					dr[j] += dk[j];
			}
	}
}

static void moe_declare(const struct block *b, struct law_decls *d)
{
	static const char *const note[] = { "claimed for softmax gating", "claimed for top-k gating",
	                                    "claimed for normalized-sigmoid gating" };
	const struct moe_cfg *c = moe_cfg(b);
	for (int e = 0; e < (int)c->experts; e++) {
		char name[16];
		snprintf(name, sizeof name, "e%d.n", e);
		glu_declare(d, &b->tensors[1 + 3 * e], &b->tensors[3 + 3 * e], (int)c->hidden, name);
	}
	struct law_decl *l = law_sum(d, "gate");
	law_add_part(d, l, &b->tensors[0], 0, 1.0);
	l->note = note[c->gate];
	l->in_label = "W0";
	/* x is read by the gate and by every expert's B and C; y is written by every A */
	law_read(d, &b->tensors[0], 1);
	for (int e = 0; e < (int)c->experts; e++) {
		law_read(d, &b->tensors[2 + 3 * e], 1);
		law_read(d, &b->tensors[3 + 3 * e], 1);
		law_write(d, &b->tensors[1 + 3 * e], 0);
	}
	law_label_parts(&d->read, "W^T W + sum_e (B_e^T B_e + C_e^T C_e)");
	law_label_parts(&d->write, "sum_e A_e A_e^T");
	d->write_name = "a-next";
}

/* Beyond the 6·nparam·len the model charges: under top-k each row runs K of
 * the E experts, so (E - K)/E of the expert parameter work is not done (a
 * negative correction); softmax and nsigmoid run every expert on every row. */
static double moe_flops(const struct block *b)
{
	int E = (int)moe_cfg(b)->experts, K = (int)moe_cfg(b)->k;
	if (moe_cfg(b)->gate != GATE_TOPK)
		return 0.0;
	double expert_params = (double)b->nparam - (double)b->tensors[0].size;
	double per_param = b->index ? 6.0 : 4.0;   /* as model_flops_per_sample: no ∂x for the first block */
	return -per_param * expert_params * b->in.len * (double)(E - K) / E;
}

const struct block_kind block_moe = {
	.name = "moe",
	.usage = "moe experts=E hidden=H [gate=softmax|topk:K|nsigmoid] [out=W]",
	.help = "Mixture of SwiGLU experts y = sum_e g_e(x) E_e(x), gating logits W x with W (E, d); "
	        "gate softmax (dense), topk:K (softmax over the K largest logits, 1 < K < E, ties to "
	        "the lower index, gradients through the selected experts only) or nsigmoid "
	        "(sigma(W_e x) / sum_p sigma(W_p x)). Laws: each expert's SwiGLU laws, and the claimed "
	        "gating law sum_e W_e, which holds for softmax and top-k and fails for nsigmoid.",
	.opts = moe_opts,
	.cfg_size = sizeof(struct moe_cfg),
	.configure = block_opts_configure,
	.check = moe_check,
	.setup = moe_setup,
	.init = moe_init,
	.forward = moe_forward,
	.backward = moe_backward,
	.declare = moe_declare,
	.describe = block_opts_describe,
	.flops = moe_flops,
};
