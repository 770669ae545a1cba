/* activation.c — elementwise activations: relu, leaky-relu, tanh, sigmoid, gelu
 * (exact erf form), silu, quadratic (z²). One file for the seven kinds because
 * they are one concept parameterised by σ and σ'; each is still its own
 * `const struct block_kind`. x (R, w) -> y (R, w).
 *
 * Laws: an activation positively homogeneous of degree p (σ(λz) = λ^p σ(z),
 * λ > 0: relu and leaky-relu p=1, quadratic p=2) says so (pass = PASS_SCALE);
 * between a block that writes its features linearly and one that reads them
 * linearly (two dense layers, dense and the softmax head) the model derives,
 * per hidden neuron j,
 *     ||W_in[j,:]||² + b_in[j]² - p ||W_out[:,j]||²
 * (the rescaling w_in → λ w_in, w_out → λ^-p w_out leaves f unchanged). */
#include "noether/block.h"
#include "noether/model.h"
#include "noether/util.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum act { A_RELU, A_LEAKY, A_TANH, A_SIGMOID, A_GELU, A_SILU, A_QUAD };

struct act_cfg {
	int act;        /* enum act, set by the kind's check hook */
	double slope;   /* leaky-relu: slope for z <= 0 */
};
_Static_assert(sizeof(struct act_cfg) <= NT_BLOCK_CFG, "act_cfg fits in a block");

static const struct opt_spec no_opts[] = { { 0 } };
static const struct opt_spec leaky_opts[] = {
	{ .key = "slope", .type = OPT_DOUBLE, .off = offsetof(struct act_cfg, slope), .lo = 0, .hi = 1, .def = 0.01,
	  .flags = OPTF_OPEN_HI, .help = "slope for z <= 0" },
	{ 0 }
};

static const struct act_cfg *act_cfg(const struct block *b) { return block_config(b); }
static enum act act_of(const struct block *b) { return (enum act)act_cfg(b)->act; }

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

/* x > 0 ? a : b. Written as a plain conditional expression on purpose: the
 * compiler (-O3) if-converts it and vectorises the loops below into compare +
 * mask operations, so there is no branch (the sign of a pre-activation is a
 * coin flip across a batch: a branch would mispredict about half the time).
 * NaN and -0 give b, as the conditional says. */
static inline double select_pos(double x, double a, double b)
{
	return x > 0.0 ? a : b;
}

/* check hooks: the kind fixes σ */
static int set_act(struct block *b, enum act a)
{
	((struct act_cfg *)block_config_mut(b))->act = a;
	return 0;
}
static int chk_relu(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_act(b, A_RELU); }
static int chk_leaky(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_act(b, A_LEAKY); }
static int chk_tanh(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_act(b, A_TANH); }
static int chk_sigmoid(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_act(b, A_SIGMOID); }
static int chk_gelu(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_act(b, A_GELU); }
static int chk_silu(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_act(b, A_SILU); }
static int chk_quad(struct block *b, char *e, size_t l) { (void)e; (void)l; return set_act(b, A_QUAD); }

static int act_setup(struct block *b, struct shape in, char *err, size_t len)
{
	(void)err; (void)len;
	b->out = in;
	return 0;
}

/* Cloned for AVX2 and AVX-512 (chosen at load time; same results): the relu
 * loops run 4 or 8 wide instead of SSE2's 2. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void act_forward(const struct block *b, const double *theta, int n, const double *x,
                        double *y, double *act, double *ws)
{
	(void)theta; (void)act; (void)ws;
	size_t N = (size_t)n * b->in.len * b->in.width;
	double s = act_cfg(b)->slope;
	switch (act_of(b)) {
	case A_RELU:    for (size_t i = 0; i < N; i++) y[i] = select_pos(x[i], x[i], 0.0); break;
	case A_LEAKY:   for (size_t i = 0; i < N; i++) y[i] = select_pos(x[i], x[i], s * x[i]); break;
	case A_TANH:    for (size_t i = 0; i < N; i++) y[i] = tanh(x[i]); break;
	case A_SIGMOID: for (size_t i = 0; i < N; i++) y[i] = sigm(x[i]); break;
	case A_GELU:    for (size_t i = 0; i < N; i++) y[i] = 0.5 * x[i] * (1.0 + erf(x[i] * M_SQRT1_2)); break;
	case A_SILU:    for (size_t i = 0; i < N; i++) y[i] = x[i] * sigm(x[i]); break;
	case A_QUAD:    for (size_t i = 0; i < N; i++) y[i] = x[i] * x[i]; break;
	}
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void act_backward(const struct block *b, const double *theta, int n, const double *x,
                         const double *y, const double *act, const double *dy, double *dx,
                         double *dtheta, double *ws)
{
	(void)theta; (void)act; (void)dtheta; (void)ws;
	if (!dx)
		return;
	size_t N = (size_t)n * b->in.len * b->in.width;
	double s = act_cfg(b)->slope;
	switch (act_of(b)) {
	case A_RELU:    for (size_t i = 0; i < N; i++) dx[i] = select_pos(x[i], dy[i], 0.0); break;
	case A_LEAKY:   for (size_t i = 0; i < N; i++) dx[i] = select_pos(x[i], dy[i], s * dy[i]); break;
	case A_TANH:    for (size_t i = 0; i < N; i++) dx[i] = dy[i] * (1.0 - y[i] * y[i]); break;
	case A_SIGMOID: for (size_t i = 0; i < N; i++) dx[i] = dy[i] * y[i] * (1.0 - y[i]); break;
	case A_GELU:
		for (size_t i = 0; i < N; i++) {
			double z = x[i];
			double d = 0.5 * (1.0 + erf(z * M_SQRT1_2)) + z * exp(-0.5 * z * z) * 0.3989422804014327;
			dx[i] = dy[i] * d;
		}
		break;
	case A_SILU:
		for (size_t i = 0; i < N; i++) {
			double sg = sigm(x[i]);
			dx[i] = dy[i] * sg * (1.0 + x[i] * (1.0 - sg));
		}
		break;
	case A_QUAD:    for (size_t i = 0; i < N; i++) dx[i] = dy[i] * 2.0 * x[i]; break;
	}
}

#define ACT_KIND_FIELDS \
	.setup = act_setup, .forward = act_forward, .backward = act_backward, \
	.configure = block_opts_configure, .describe = block_opts_describe, \
	.cfg_size = sizeof(struct act_cfg), .is_activation = 1

const struct block_kind block_relu = {
	.name = "relu", .usage = "relu", .opts = no_opts, .positive_homogeneous = 1, .pass = PASS_SCALE,
	.help = "max(z, 0). Positively homogeneous: between two dense layers each hidden neuron j "
	        "conserves ||incoming weights||^2 + b_j^2 - ||outgoing weights||^2.",
	.check = chk_relu, ACT_KIND_FIELDS,
};
const struct block_kind block_leaky_relu = {
	.name = "leaky-relu", .usage = "leaky-relu [slope=0.01]", .opts = leaky_opts, .positive_homogeneous = 1, .pass = PASS_SCALE,
	.help = "z for z > 0, slope*z otherwise. Positively homogeneous: same per-neuron laws as relu.",
	.check = chk_leaky, ACT_KIND_FIELDS,
};
const struct block_kind block_tanh = {
	.name = "tanh", .usage = "tanh", .opts = no_opts,
	.help = "tanh(z). Not homogeneous: no per-neuron law.",
	.check = chk_tanh, ACT_KIND_FIELDS,
};
const struct block_kind block_sigmoid = {
	.name = "sigmoid", .usage = "sigmoid", .opts = no_opts,
	.help = "1/(1+exp(-z)). No per-neuron law.",
	.check = chk_sigmoid, ACT_KIND_FIELDS,
};
const struct block_kind block_gelu = {
	.name = "gelu", .usage = "gelu", .opts = no_opts,
	.help = "Exact GELU z*Phi(z) = z/2 (1 + erf(z/sqrt 2)). A GELU MLP has no non-trivial "
	        "conservation laws.",
	.check = chk_gelu, ACT_KIND_FIELDS,
};
const struct block_kind block_silu = {
	.name = "silu", .usage = "silu", .opts = no_opts,
	.help = "SiLU z*sigmoid(z). A SiLU MLP has no non-trivial conservation laws.",
	.check = chk_silu, ACT_KIND_FIELDS,
};
const struct block_kind block_quadratic = {
	.name = "quadratic", .usage = "quadratic", .opts = no_opts, .positive_homogeneous = 2, .pass = PASS_SCALE,
	.tensorizable = 1,
	.help = "z^2, a polynomial (tensorizable) activation, homogeneous of degree 2: between two "
	        "dense layers each neuron conserves ||incoming||^2 + b_j^2 - 2 ||outgoing||^2.",
	.check = chk_quad, ACT_KIND_FIELDS,
};
