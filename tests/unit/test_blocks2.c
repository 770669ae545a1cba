/* test_blocks2.c — swiglu, ffn, conv1d, moe, residual and the softmax head:
 * central finite-difference gradient checks (θ and x; kinks of relu and top-k
 * kept at a distance), forwards against naive formulas written here, the top-k
 * tie rule, law rate-check outcomes (which laws pass, which claims fail), the
 * exact one-step law identity of GD, and errors that name the layer. */
#include "test.h"
#include "noether/block.h"
#include "noether/linalg.h"
#include "noether/model.h"
#include "noether/rng.h"
#include "noether/experiment.h"
#include "noether/run.h"
#include "noether/util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Splits spec at spaces into argv (spec copied into buf). */
static int words(const char *spec, char *buf, size_t len, char **argv, int max)
{
	str_copy(buf, spec, len);
	int n = 0;
	for (char *p = strtok(buf, " "); p && n < max; p = strtok(NULL, " "))
		argv[n++] = p;
	return n;
}

static int add(struct model *m, const char *spec, char *err, size_t elen)
{
	char buf[512], *argv[64];
	int n = words(spec, buf, sizeof buf, argv, 64);
	return model_add(m, argv[0], n - 1, argv + 1, err, elen);
}

static void fill_normal(double *v, size_t n, double s, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		v[i] = s * rng_normal(r);
}

/* L = <w, f(x;θ)> for fixed random weights w. */
static double loss_w(struct model *m, const double *th, const double *x, int n, const double *w, size_t N)
{
	const double *f = model_forward(m, th, x, n);
	double L = 0;
	for (size_t i = 0; i < N; i++)
		L += w[i] * f[i];
	return L;
}

/* Relative 2-norm errors of the backward's ∇θ and ∇x against central differences. */
static void fd_check(struct model *m, double *th, double *x, int n, unsigned long seed, double *eth, double *ex)
{
	struct rng r;
	rng_seed(&r, seed);
	size_t D = m->nparams, N = (size_t)n * m->out.len * m->out.width, X = (size_t)n * m->in.len * m->in.width;
	double *w = calloc(N, sizeof *w), *g = calloc(D, sizeof *g), *dx = calloc(X, sizeof *dx);
	fill_normal(w, N, 1.0, &r);
	model_forward(m, th, x, n);
	model_backward(m, th, w, g, dx);
	const double h = 1e-5;
	double num = 0, den = 0;
	for (size_t i = 0; i < D; i++) {
		double t = th[i];
		th[i] = t + h;
		double Lp = loss_w(m, th, x, n, w, N);
		th[i] = t - h;
		double Lm = loss_w(m, th, x, n, w, N);
		th[i] = t;
		double fd = (Lp - Lm) / (2 * h);
		num += (fd - g[i]) * (fd - g[i]);
		den += g[i] * g[i];
	}
	*eth = sqrt(num / (den > 0 ? den : 1));
	num = den = 0;
	for (size_t i = 0; i < X; i++) {
		double t = x[i];
		x[i] = t + h;
		double Lp = loss_w(m, th, x, n, w, N);
		x[i] = t - h;
		double Lm = loss_w(m, th, x, n, w, N);
		x[i] = t;
		double fd = (Lp - Lm) / (2 * h);
		num += (fd - dx[i]) * (fd - dx[i]);
		den += dx[i] * dx[i];
	}
	*ex = sqrt(num / (den > 0 ? den : 1));
	free(w);
	free(g);
	free(dx);
}

/* Smallest |v_i| over v (distance to a relu kink). */
static double min_abs(const double *v, size_t n)
{
	double m = INFINITY;
	for (size_t i = 0; i < n; i++)
		if (fabs(v[i]) < m)
			m = fabs(v[i]);
	return m;
}

/* Smallest gap, over rows, between the K-th and (K+1)-th largest of E logits. */
static double topk_gap(const double *l, int R, int E, int K)
{
	double gmin = INFINITY;
	for (int r = 0; r < R; r++) {
		double v[32];
		memcpy(v, l + (size_t)r * E, (size_t)E * sizeof *v);
		for (int i = 0; i < E; i++)           /* sort descending */
			for (int j = i + 1; j < E; j++)
				if (v[j] > v[i]) { double t = v[i]; v[i] = v[j]; v[j] = t; }
		if (v[K - 1] - v[K] < gmin)
			gmin = v[K - 1] - v[K];
	}
	return gmin;
}

enum kink { K_NONE, K_ACT0_RELU, K_TOPK };

/* Builds spec on input (len, d) with n samples; picks seeds until the kinks are
 * at least 1e-4 away; runs the finite-difference check. */
static void grad_case(const char *spec, int len, int d, int n, enum kink kink, int c1, int K)
{
	char err[512] = "", what[160];
	struct model *m = model_new();
	char buf[512], *argv[64];
	char specs[512];
	str_copy(specs, spec, sizeof specs);
	/* several blocks separated by " | " */
	for (char *p = specs;;) {
		char *bar = strstr(p, " | ");
		if (bar)
			*bar = 0;
		int nw = words(p, buf, sizeof buf, argv, 64);
		int rc = model_add(m, argv[0], nw - 1, argv + 1, err, sizeof err);
		snprintf(what, sizeof what, "add %s: %s", p, err);
		CHECK(rc == 0, what);
		if (!bar)
			break;
		p = bar + 3;
	}
	struct shape in = { len, d };
	int rc = model_build(m, in, n, err, sizeof err);
	snprintf(what, sizeof what, "build %s: %s", spec, err);
	if (!CHECK(rc == 0, what)) {
		model_free(m);
		return;
	}
	size_t D = m->nparams, X = (size_t)n * len * d;
	double *th = calloc(D, sizeof *th), *x = calloc(X, sizeof *x);
	int ok = 0;
	for (unsigned long seed = 1; seed < 40 && !ok; seed++) {
		struct init_spec is = { INIT_NORMAL, 0.0, seed };
		model_init(m, th, &is);
		struct rng r;
		rng_seed(&r, 1000 + seed);
		fill_normal(x, X, 1.0, &r);
		model_forward(m, th, x, n);
		int R = n * len;
		double dist = INFINITY;
		if (kink == K_ACT0_RELU)
			dist = min_abs(m->acts[0], (size_t)R * c1);   /* pre-activations first in act */
		else if (kink == K_TOPK)
			dist = topk_gap(m->acts[0], R, c1, K);          /* logits first in act */
		ok = dist > 1e-4;
	}
	snprintf(what, sizeof what, "%s: found a point away from the kinks", spec);
	CHECK(ok, what);
	double eth, ex;
	fd_check(m, th, x, n, 7, &eth, &ex);
	printf("  grad %-58s rel err θ %.1e, x %.1e\n", spec, eth, ex);
	snprintf(what, sizeof what, "%s: ∇θ matches finite differences (rel %.1e)", spec, eth);
	CHECK(eth <= 1e-6, what);
	snprintf(what, sizeof what, "%s: ∇x matches finite differences (rel %.1e)", spec, ex);
	CHECK(ex <= 1e-6, what);
	/* the BLAS path against the naive reference twin */
	size_t N = (size_t)n * m->out.len * m->out.width;
	double *y1 = calloc(N, sizeof *y1);
	memcpy(y1, model_forward(m, th, x, n), N * sizeof *y1);
	int prev = linalg_use_reference(1);
	const double *y2 = model_forward(m, th, x, n);
	double e = 0;
	for (size_t i = 0; i < N; i++)
		e = fmax(e, fabs(y1[i] - y2[i]));
	linalg_use_reference(prev);
	snprintf(what, sizeof what, "%s: dgemm and reference forward agree", spec);
	CHECK(e < 1e-12, what);
	free(y1);
	free(th);
	free(x);
	model_free(m);
}

static double sigm(double z) { return 1.0 / (1.0 + exp(-z)); }

/* Naive conv block (direct sums, channels last, 'same' padding, left pad (k-1)/2). */
static void conv_naive(int n, int T, int c0, int c1, int c2, int k, const double *V, const double *b,
                       const double *U, const double *x, double *y)
{
	int p = (k - 1) / 2;
	double *h = calloc((size_t)n * T * c1, sizeof *h);
	for (int s = 0; s < n; s++)
		for (int t = 0; t < T; t++)
			for (int j = 0; j < c1; j++) {
				double z = b[j];
				for (int i = 0; i < c0; i++)
					for (int q = 0; q < k; q++) {
						int tt = t + q - p;
						if (tt >= 0 && tt < T)
							z += V[((size_t)j * c0 + i) * k + q] * x[((size_t)s * T + tt) * c0 + i];
					}
				h[((size_t)s * T + t) * c1 + j] = z > 0 ? z : 0;
			}
	for (int s = 0; s < n; s++)
		for (int t = 0; t < T; t++)
			for (int o = 0; o < c2; o++) {
				double z = 0;
				for (int j = 0; j < c1; j++)
					for (int q = 0; q < k; q++) {
						int tt = t + q - p;
						if (tt >= 0 && tt < T)
							z += U[((size_t)o * c1 + j) * k + q] * h[((size_t)s * T + tt) * c1 + j];
					}
				y[((size_t)s * T + t) * c2 + o] = z;
			}
	free(h);
}

static void test_conv_forward(void)
{
	char err[256];
	struct model *m = model_new();
	CHECK(add(m, "conv1d channels=4 kernel=4 out=2", err, sizeof err) == 0, "conv1d even kernel, out=2");
	struct shape in = { 6, 3 };
	CHECK(model_build(m, in, 2, err, sizeof err) == 0, "conv1d build");
	CHECK(m->out.len == 6 && m->out.width == 2, "conv1d output shape (6, out)");
	double th[200], x[36], y[24];
	struct rng r;
	rng_seed(&r, 3);
	fill_normal(th, m->nparams, 0.5, &r);
	fill_normal(x, 36, 1.0, &r);
	const struct block *b = &m->blocks[0];
	conv_naive(2, 6, 3, 4, 2, 4, th + b->tensors[0].off, th + b->tensors[1].off, th + b->tensors[2].off, x, y);
	const double *f = model_forward(m, th, x, 2);
	double e = 0;
	for (int i = 0; i < 24; i++)
		e = fmax(e, fabs(f[i] - y[i]));
	CHECK(e < 1e-13, "conv1d forward = direct 'same' convolution (even kernel)");
	model_free(m);
}

/* Naive MoE forward of one row, swiglu experts. */
static void moe_row(int E, int d, int H, int o, int gate, int K, const double *th, const struct block *b,
                    const double *x, double *y)
{
	double l[16], g[16];
	const double *W = th + b->tensors[0].off;
	for (int e = 0; e < E; e++) {
		l[e] = 0;
		for (int i = 0; i < d; i++)
			l[e] += W[e * d + i] * x[i];
	}
	if (gate == 2) {
		double S = 0;
		for (int e = 0; e < E; e++)
			S += sigm(l[e]);
		for (int e = 0; e < E; e++)
			g[e] = sigm(l[e]) / S;
	} else {
		int sel[16] = { 0 };
		for (int e = 0; e < E; e++)
			sel[e] = gate == 0;
		if (gate == 1)  /* K times: the largest unselected, lowest index on ties */
			for (int k = 0; k < K; k++) {
				int best = -1;
				for (int e = 0; e < E; e++)
					if (!sel[e] && (best < 0 || l[e] > l[best]))
						best = e;
				sel[best] = 1;
			}
		double S = 0;
		for (int e = 0; e < E; e++)
			S += sel[e] ? exp(l[e]) : 0;
		for (int e = 0; e < E; e++)
			g[e] = sel[e] ? exp(l[e]) / S : 0;
	}
	for (int j = 0; j < o; j++)
		y[j] = 0;
	for (int e = 0; e < E; e++) {
		const double *A = th + b->tensors[1 + 3 * e].off, *B = th + b->tensors[2 + 3 * e].off,
		             *C = th + b->tensors[3 + 3 * e].off;
		for (int i = 0; i < H; i++) {
			double u = 0, v = 0;
			for (int t = 0; t < d; t++) {
				u += B[i * d + t] * x[t];
				v += C[i * d + t] * x[t];
			}
			double hv = u * sigm(u) * v;
			for (int j = 0; j < o; j++)
				y[j] += g[e] * A[j * H + i] * hv;
		}
	}
}

static void test_moe_forward(void)
{
	static const char *const gates[] = { "softmax", "topk:2", "nsigmoid" };
	for (int gk = 0; gk < 3; gk++) {
		char err[256], spec[96], what[128];
		struct model *m = model_new();
		snprintf(spec, sizeof spec, "moe experts=4 hidden=3 gate=%s out=2", gates[gk]);
		CHECK(add(m, spec, err, sizeof err) == 0, spec);
		struct shape in = { 1, 5 };
		CHECK(model_build(m, in, 6, err, sizeof err) == 0, "moe build");
		double *th = calloc(m->nparams, sizeof *th), x[30], y[2];
		struct rng r;
		rng_seed(&r, 11);
		fill_normal(th, m->nparams, 0.7, &r);
		fill_normal(x, 30, 1.0, &r);
		const double *f = model_forward(m, th, x, 6);
		double e = 0;
		for (int s = 0; s < 6; s++) {
			moe_row(4, 5, 3, 2, gk, 2, th, &m->blocks[0], x + 5 * s, y);
			e = fmax(e, fmax(fabs(f[2 * s] - y[0]), fabs(f[2 * s + 1] - y[1])));
		}
		snprintf(what, sizeof what, "moe gate=%s forward = naive per-row formula", gates[gk]);
		CHECK(e < 1e-13, what);
		if (gk == 1) {
			/* tie rule: all gating rows equal → all logits tie → experts 0 and 1 win */
			const struct tensor_view *W = &m->blocks[0].tensors[0];
			for (int ei = 1; ei < 4; ei++)
				memcpy(th + W->off + 5 * ei, th + W->off, 5 * sizeof *th);
			model_forward(m, th, x, 6);
			const double *g = m->acts[0] + 6 * 4;   /* gates follow the logits */
			int okt = 1;
			for (int s = 0; s < 6; s++)
				okt &= g[4 * s] == 0.5 && g[4 * s + 1] == 0.5 && g[4 * s + 2] == 0 && g[4 * s + 3] == 0;
			CHECK(okt, "topk tie rule: the lower expert index wins a tie");
		}
		free(th);
		model_free(m);
	}
}

static void test_residual_forward(void)
{
	/* x + [dense 7, relu, dense 4](x) with the same θ as the unwrapped chain */
	char err[256];
	struct model *a = model_new(), *b = model_new();
	CHECK(add(a, "residual { dense 7 , relu , dense 4 bias=off }", err, sizeof err) == 0, "residual with braces");
	CHECK(add(b, "dense 7", err, sizeof err) == 0 && add(b, "relu", err, sizeof err) == 0 &&
	      add(b, "dense 4 bias=off", err, sizeof err) == 0, "plain chain");
	struct shape in = { 2, 4 };
	CHECK(model_build(a, in, 3, err, sizeof err) == 0 && model_build(b, in, 3, err, sizeof err) == 0, "builds");
	CHECK(a->nparams == b->nparams, "residual has the parameters of g");
	CHECK(model_find_tensor(a, "layer1.residual.dense3.W") != NULL, "inner tensor named layer1.residual.dense3.W");
	double th[128], x[24];
	struct rng r;
	rng_seed(&r, 5);
	fill_normal(th, a->nparams, 0.6, &r);
	fill_normal(x, 24, 1.0, &r);
	double ya[24];
	memcpy(ya, model_forward(a, th, x, 3), sizeof ya);
	const double *yb = model_forward(b, th, x, 3);
	double e = 0;
	for (int i = 0; i < 24; i++)
		e = fmax(e, fabs(ya[i] - (x[i] + yb[i])));
	CHECK(e < 1e-14, "residual forward = x + g(x)");
	char d[256];
	a->blocks[0].kind->describe(&a->blocks[0], d, sizeof d);
	CHECK(!strcmp(d, "{ dense 7 , relu , dense 4 bias=off }"), "residual describe re-parses");
	model_free(a);
	model_free(b);
	/* syntax without braces, and errors */
	a = model_new();
	CHECK(add(a, "residual dense 4 , relu", err, sizeof err) == 0, "residual without braces");
	CHECK(add(a, "residual { dense 4", err, sizeof err) != 0 && strstr(err, "missing '}'"), "missing brace named");
	CHECK(add(a, "residual { dense 4 , , relu }", err, sizeof err) != 0 && strstr(err, "inner block 2 is empty"),
	      "empty inner block named");
	CHECK(add(a, "residual { blah 3 }", err, sizeof err) != 0 && strstr(err, "unknown layer 'blah'"), "unknown inner kind");
	CHECK(add(a, "residual { residual { dense 4 } }", err, sizeof err) != 0, "nested residual refused");
	CHECK(add(a, "residual { }", err, sizeof err) != 0 && strstr(err, "no inner blocks"), "empty residual refused");
	model_free(a);
	a = model_new();
	CHECK(add(a, "dense 6", err, sizeof err) == 0, "dense 6");
	CHECK(add(a, "residual { dense 5 , relu , dense 3 }", err, sizeof err) == 0, "residual 6 -> 3");
	in.len = 1;
	int rc = model_build(a, in, 2, err, sizeof err);
	CHECK(rc != 0 && strstr(err, "layer 2 (residual)") && strstr(err, "6 wide"), "residual shape error names layer 2 and the width");
	printf("  shape error: %s\n", err);
	model_free(a);
}

static void test_option_errors(void)
{
	char err[256];
	struct model *m = model_new();
	CHECK(add(m, "moe experts=4 hidden=3 gate=topk:1", err, sizeof err) != 0 && strstr(err, "2 <= K < experts"), "topk:1 refused");
	CHECK(add(m, "moe experts=4 hidden=3 gate=topk:4", err, sizeof err) != 0, "topk:E refused");
	CHECK(add(m, "moe experts=4 hidden=3 gate=max", err, sizeof err) != 0 && strstr(err, "'max'"), "unknown gate named");
	CHECK(add(m, "moe experts=40 hidden=3", err, sizeof err) != 0 && strstr(err, "2..16"), "too many experts, limit named");
	CHECK(add(m, "ffn hidden=4 act=tanh", err, sizeof err) != 0 && strstr(err, "'tanh'"), "ffn act named");
	CHECK(add(m, "swiglu", err, sizeof err) != 0 && strstr(err, "hidden=H"), "swiglu needs hidden");
	CHECK(add(m, "swiglu hidden=0", err, sizeof err) != 0, "swiglu hidden=0 refused");
	CHECK(add(m, "conv1d channels=3 kernel=0", err, sizeof err) != 0 && strstr(err, "kernel"), "conv kernel range");
	CHECK(add(m, "head argmax classes=3", err, sizeof err) != 0 && strstr(err, "'argmax'"), "head kind named");
	CHECK(add(m, "head softmax", err, sizeof err) != 0 && strstr(err, "classes"), "head needs classes");
	CHECK(add(m, "head softmax classes=3 temp=2", err, sizeof err) != 0 && strstr(err, "temp"), "unknown option named");
	model_free(m);
}

/* --- law outcomes through the experiment (the program's own rate check) --- */

static struct experiment *mk(const char *data, const char *const *layers, const char *loss)
{
	struct experiment *s = experiment_new();
	char buf[512], *argv[64];
	int n = words(data, buf, sizeof buf, argv, 64);
	if (experiment_set_data(s, argv[0], n - 1, argv + 1))
		printf("  data: %s\n", experiment_error(s));
	for (int i = 0; layers[i]; i++) {
		n = words(layers[i], buf, sizeof buf, argv, 64);
		if (experiment_add_layer(s, n, argv))
			printf("  layer %s: %s\n", layers[i], experiment_error(s));
	}
	experiment_set_loss(s, loss);
	if (experiment_prepare(s))
		printf("  prepare: %s\n", experiment_error(s));
	return s;
}

static const struct quantity *find_q(const struct experiment *s, const char *name)
{
	return qset_find(run_quantities(experiment_run(s, 0)), name);
}

static enum qrole role_of(const struct experiment *s, const char *name)
{
	const struct quantity *q = find_q(s, name);
	return q ? q->role : (enum qrole)-1;
}

static int count(const struct experiment *s, enum qrole role) { return run_count(experiment_run(s, 0), role); }

/* Puts contrast `name` through the same rate check as every law: it must fail
 * (the check has power against non-laws of the same form). */
static int contrast_fails(struct experiment *s, const char *name)
{
	const struct quantity *q = find_q(s, name);
	if (!q || q->role != QR_CONTRAST)
		return 0;
	double *work = xcalloc(2 * experiment_nparams(s) + 2, sizeof *work);
	double rate = experiment_check_rate(s, q, work);
	free(work);
	return !(rate <= LAW_RATE_TOL) && rate > 1e-4;
}

static void test_laws(void)
{
	const char *L1[] = { "swiglu hidden=5", NULL };
	struct experiment *s = mk("teacher n=32 in=4 out=4 seed=1", L1, "mse");
	CHECK(count(s, QR_LAW) == 5 && count(s, QR_CLAIMED_FAILS) == 0, "swiglu: 5 laws pass");
	CHECK(contrast_fails(s, "layer1.swiglu.n0.in"), "swiglu: the single term ||C[0,:]||^2 fails the check");
	/* exact one-step identity h1 - h0 = τ²(||∇_C_i||² - ||∇_A_i||²) */
	{
		const struct quantity *q = find_q(s, "layer1.swiglu.n2");
		const struct tensor_view *A = model_find_tensor(experiment_model(s), "layer1.swiglu.A");
		const struct tensor_view *C = model_find_tensor(experiment_model(s), "layer1.swiglu.C");
		struct run *r = experiment_run(s, 0);
		double h0 = quantity_comp_value(q, 0, run_theta(r));
		double *g = calloc(run_nparams(r), sizeof *g);
		experiment_loss_grad(s, run_theta(r), g);
		double gc = 0, ga = 0, tau = run_tau(r, 0);
		for (int t = 0; t < 4; t++)
			gc += g[C->off + 2 * 4 + t] * g[C->off + 2 * 4 + t];
		for (int t = 0; t < 4; t++)
			ga += g[A->off + t * 5 + 2] * g[A->off + t * 5 + 2];
		run_step(r, 1, NULL);
		double h1 = quantity_comp_value(q, 0, run_theta(r));
		CHECK_NEAR(h1 - h0, tau * tau * (gc - ga), 1e-12, "swiglu: one GD step changes the law by exactly τ²(|g_in|²-|g_out|²)");
		CHECK(fabs(h1 - h0) > 1e-10, "swiglu: ... and that change is not zero");
		free(g);
	}
	experiment_free(s);

	const char *L2[] = { "ffn hidden=6 act=gelu", NULL };
	s = mk("teacher n=32 in=4 out=4 seed=1", L2, "mse");
	CHECK(count(s, QR_LAW) == 0, "ffn gelu: no laws");
	experiment_free(s);
	const char *L2s[] = { "ffn hidden=6 act=silu bias=off", NULL };
	s = mk("teacher n=32 in=4 out=4 seed=1", L2s, "mse");
	CHECK(count(s, QR_LAW) == 0, "ffn silu: no laws");
	experiment_free(s);
	const char *L3[] = { "ffn hidden=6 act=relu out=1", NULL };
	s = mk("teacher n=32 in=4 out=1 seed=1", L3, "mse");
	CHECK(count(s, QR_LAW) == 6 && count(s, QR_CLAIMED_FAILS) == 0, "ffn relu: 6 per-neuron laws pass");
	CHECK(contrast_fails(s, "layer1.ffn.n3.out"), "ffn relu: ||W2[:,3]||^2 alone fails");
	experiment_free(s);

	const char *L4[] = { "conv1d channels=5 kernel=3", NULL };
	s = mk("seq n=8 len=6 d=3 seed=2", L4, "mse");
	CHECK(count(s, QR_LAW) == 5 && count(s, QR_CLAIMED_FAILS) == 0, "conv1d: 5 channel laws pass");
	CHECK(contrast_fails(s, "layer1.conv1d.ch1.in"), "conv1d: one channel's filter norm alone fails");
	experiment_free(s);

	static const char *const gates[] = { "softmax", "topk:2", "nsigmoid" };
	for (int gk = 0; gk < 3; gk++) {
		char spec[96], what[128];
		snprintf(spec, sizeof spec, "moe experts=4 hidden=3 gate=%s", gates[gk]);
		const char *L5[] = { spec, NULL };
		s = mk("teacher n=32 in=4 out=4 seed=1", L5, "mse");
		snprintf(what, sizeof what, "moe %s: 12 expert laws pass", gates[gk]);
		int nexp = 0;
		const struct qset *qs = run_quantities(experiment_run(s, 0));
		for (int i = 0; i < qs->n; i++)
			if (strstr(qs->q[i]->name, ".e") && strstr(qs->q[i]->name, ".n") && qs->q[i]->role == QR_LAW)
				nexp++;
		CHECK(nexp == 12, what);
		const struct quantity *q = find_q(s, "layer1.moe.gate");
		snprintf(what, sizeof what, "moe %s: gating law Σ_e W_e %s (rate %.1e)", gates[gk], gk < 2 ? "passes" : "fails", q ? q->rate : -1);
		printf("  %s\n", what);
		CHECK(q && q->role == (gk < 2 ? QR_LAW : QR_CLAIMED_FAILS), what);
		if (gk == 2)
			CHECK(q && q->rate > 1e-3, "moe nsigmoid: the failing rate is O(1e-2), far from round-off");
		CHECK(contrast_fails(s, "layer1.moe.gate.W0"), "moe: W_0 alone fails");
		experiment_free(s);
	}

	const char *L6[] = { "dense 6", "relu", "head softmax classes=3", NULL };
	s = mk("blobs n=60 in=2 classes=3 seed=1", L6, "cross-entropy");
	CHECK(role_of(s, "layer3.head.colsum") == QR_LAW && role_of(s, "layer3.head.bsum") == QR_LAW,
	      "head + cross-entropy: column sums and bias sum pass");
	CHECK(contrast_fails(s, "layer3.head.bsum.c0"), "head: a single bias alone fails");
	run_step(experiment_run(s, 0), 200, NULL);
	run_update(experiment_run(s, 0));
	CHECK(find_q(s, "layer3.head.colsum")->drift_abs < 1e-12, "head: column sums do not move in 200 GD steps");
	CHECK(run_loss(experiment_run(s, 0)) < run_loss0(experiment_run(s, 0)), "head: the loss went down");
	experiment_free(s);
	s = mk("blobs n=60 in=2 classes=3 seed=1", L6, "mse");
	CHECK(role_of(s, "layer3.head.colsum") == QR_CLAIMED_FAILS && role_of(s, "layer3.head.bsum") == QR_CLAIMED_FAILS,
	      "head + mse: the sums are claimed but fail");
	experiment_free(s);

	const char *L7[] = { "dense 6", "residual { dense 8 , relu , dense 6 }", "residual { relu , dense 6 }", "dense 1", NULL };
	s = mk("teacher n=32 in=4 out=1 seed=1", L7, "mse");
	CHECK(count(s, QR_LAW) == 8 && count(s, QR_CLAIMED_FAILS) == 0,
	      "residual: exactly g's 8 per-neuron laws, none across the skip");
	CHECK(role_of(s, "layer2.residual.relu2.n7") == QR_LAW, "residual law named layer2.residual.relu2.n7");
	CHECK(contrast_fails(s, "layer2.residual.relu2.n0.out"), "residual: a single term fails");
	experiment_free(s);
}

int main(void)
{
	grad_case("swiglu hidden=5", 1, 4, 6, K_NONE, 0, 0);
	grad_case("swiglu hidden=3 out=2", 3, 4, 2, K_NONE, 0, 0);
	grad_case("ffn hidden=5 act=gelu", 1, 3, 6, K_NONE, 0, 0);
	grad_case("ffn hidden=5 act=silu out=2 bias=off", 2, 3, 3, K_NONE, 0, 0);
	grad_case("ffn hidden=5 act=relu", 1, 3, 6, K_ACT0_RELU, 5, 0);
	grad_case("conv1d channels=4 kernel=3", 5, 3, 2, K_ACT0_RELU, 4, 0);
	grad_case("conv1d channels=3 kernel=2 out=2", 4, 2, 2, K_ACT0_RELU, 3, 0);
	grad_case("moe experts=3 hidden=2", 1, 3, 5, K_NONE, 0, 0);
	grad_case("moe experts=4 hidden=2 gate=topk:2 out=2", 1, 3, 6, K_TOPK, 4, 2);
	grad_case("moe experts=5 hidden=2 gate=topk:3", 2, 3, 3, K_TOPK, 5, 3);
	grad_case("moe experts=3 hidden=2 gate=nsigmoid", 1, 3, 5, K_NONE, 0, 0);
	grad_case("head softmax classes=3", 1, 4, 5, K_NONE, 0, 0);
	grad_case("residual { swiglu hidden=3 , gelu , ffn hidden=4 act=silu }", 2, 3, 3, K_NONE, 0, 0);
	grad_case("residual { dense 5 , relu , dense 3 }", 1, 3, 5, K_ACT0_RELU, 5, 0);
	grad_case("dense 4 | residual { dense 4 , tanh , dense 4 } | residual { swiglu hidden=2 }", 1, 3, 4, K_NONE, 0, 0);
	test_conv_forward();
	test_moe_forward();
	test_residual_forward();
	test_option_errors();
	test_laws();
	return test_summary("test_blocks2");
}
