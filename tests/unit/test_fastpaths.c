/* test_fastpaths.c — the fast paths of a training step give the reference
 * bits (or, for exp, stated accuracy), not merely close values:
 * 1. mm()'s built-in kernels (linalg.c) against mm_ref, bit for bit: on small
 *    shapes as mm() picks them, then with every product forced onto the
 *    built-in kernels (linalg_set_path) in every build this CPU runs (AVX2,
 *    the AVX-512 build's 8-double tiles compiled for AVX2, AVX-512):
 *    outer products, vector × matrix, matrix × vector, tiles with ragged
 *    panels, all transpose combinations, several alpha and beta (beta = 0
 *    ignoring a NaN-filled C); mm_bias against filling C with the bias then
 *    mm_ref; mm_batch; colsum_add against the plain loop.
 * 2. exp_array (the vectorised exp of softmax and SiLU) within 2 ulp of exp,
 *    its in-range path with the general path's bits,
 *    with exp's special values, overflow and gradual underflow.
 * 3. quantity_comp_value's summation order against the one documented (by
 *    hand here), and the quantity plan (qplan, used by the trace) against it
 *    for every polynomial component of several presets after a few steps, bit
 *    for bit, and the trace row of the last step against the same values. */
#include "test.h"
#include "cmd/cmd.h"
#include "noether/linalg.h"
#include "noether/quantity.h"
#include "noether/rng.h"
#include "noether/experiment.h"
#include "noether/run.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sink(void *u, const char *t) { (void)u; (void)t; }

static int same_bits(const double *a, const double *b, size_t n)
{
	return !memcmp(a, b, n * sizeof *a);
}

static void check_mm_small(void)
{
	static const double alphas[] = { 1.0, 0.5, -1.25 }, betas[] = { 0.0, 1.0, -0.25 };
	struct rng r;
	rng_seed(&r, 7);
	double A[1024], B[1024], C0[1024], C1[1024];
	int bad = 0, cases = 0;
	for (int M = 1; M <= 9; M++)
		for (int N = 1; N <= 9; N++)
			for (int K = 1; K <= 12; K++) {
				for (int i = 0; i < M * K; i++)
					A[i] = rng_normal(&r);
				for (int i = 0; i < K * N; i++)
					B[i] = rng_normal(&r);
				for (int ta = 0; ta < 2; ta++)
					for (int tb = 0; tb < 2; tb++)
						for (int a = 0; a < 3; a++)
							for (int b = 0; b < 3; b++) {
								for (int i = 0; i < M * N; i++)
									C0[i] = C1[i] = betas[b] == 0.0 ? NAN : rng_normal(&r);
								mm(ta, tb, M, N, K, alphas[a], A, B, betas[b], C0);
								mm_ref(ta, tb, M, N, K, alphas[a], A, B, betas[b], C1);
								bad += !same_bits(C0, C1, (size_t)M * N);
								cases++;
							}
			}
	char msg[128];
	snprintf(msg, sizeof msg, "mm small path == mm_ref bit for bit (%d of %d shapes differ)", bad, cases);
	CHECK(bad == 0, msg);

	/* outer products (K = 1) of a batch: 64×32 and 64×33 */
	static double P[64 * 33], Q0[64 * 33], Q1[64 * 33];
	for (int i = 0; i < 64 * 33; i++)
		P[i] = rng_normal(&r);
	bad = 0;
	for (int N = 32; N <= 33; N++)
		for (int ta = 0; ta < 2; ta++)
			for (int tb = 0; tb < 2; tb++) {
				for (int i = 0; i < 64 * N; i++)
					Q0[i] = Q1[i] = rng_normal(&r);
				mm(ta, tb, 64, N, 1, 1.0, P, P + 64, 0.5, Q0);
				mm_ref(ta, tb, 64, N, 1, 1.0, P, P + 64, 0.5, Q1);
				bad += !same_bits(Q0, Q1, (size_t)64 * N);
			}
	CHECK(bad == 0, "mm outer products (K = 1) == mm_ref bit for bit");

	/* mm_batch: 5 products of 8×8×4 (the attention scores of T = 8) */
	static double X[5 * 32], Y[5 * 32], Z0[5 * 64], Z1[5 * 64];
	for (int i = 0; i < 5 * 32; i++) {
		X[i] = rng_normal(&r);
		Y[i] = rng_normal(&r);
	}
	bad = 0;
	for (int ta = 0; ta < 2; ta++)
		for (int tb = 0; tb < 2; tb++) {
			mm_batch(5, 32, 32, 64, ta, tb, 8, 8, 4, 0.5, X, Y, 0.0, Z0);
			for (int k = 0; k < 5; k++)
				mm_ref(ta, tb, 8, 8, 4, 0.5, X + 32 * k, Y + 32 * k, 0.0, Z1 + 64 * k);
			bad += !same_bits(Z0, Z1, 5 * 64);
		}
	CHECK(bad == 0, "mm_batch == mm_ref per product, bit for bit");
}

/* One product on the built-in path vs mm_ref (and vs fill + mm_ref for the
 * bias); returns the number of differing results (0 expected). */
static int own_vs_ref(struct rng *r, int ta, int tb, int M, int N, int K, double alpha, double beta, int bias)
{
	size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
	double *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *bv = malloc((size_t)N * sizeof *bv);
	double *C0 = malloc(nc * sizeof *C0), *C1 = malloc(nc * sizeof *C1);
	for (size_t i = 0; i < na; i++)
		A[i] = rng_normal(r);
	for (size_t i = 0; i < nb; i++)
		B[i] = rng_normal(r);
	for (int j = 0; j < N; j++)
		bv[j] = rng_normal(r);
	for (size_t i = 0; i < nc; i++)
		C0[i] = C1[i] = beta == 0.0 || bias ? NAN : rng_normal(r);
	if (bias) {
		mm_bias(ta, tb, M, N, K, alpha, A, B, bv, C0);
		for (size_t i = 0; i < nc; i++)
			C1[i] = bv[i % (size_t)N];
		mm_ref(ta, tb, M, N, K, alpha, A, B, 1.0, C1);
	} else {
		mm(ta, tb, M, N, K, alpha, A, B, beta, C0);
		mm_ref(ta, tb, M, N, K, alpha, A, B, beta, C1);
	}
	int bad = 0;
	for (size_t i = 0; i < nc; i++)
		bad += !same_bits(&C0[i], &C1[i], 1);
	free(A); free(B); free(bv); free(C0); free(C1);
	return bad;
}

static void check_mm_own(void)
{
	static const int sides[] = { 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 16, 17, 31, 33, 64, 150 };
	static const int ks[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 33, 64, 150, 512 };
	static const char *const isa_names[] = { "SSE2", "AVX2", "AVX-512", "AVX2 (8-double tiles)" };
	static const double ab[][2] = { { 1.0, 0.0 }, { 0.5, 0.0 }, { 1.0, 1.0 }, { -1.25, -0.25 } };
	int old_path = linalg_set_path(LINALG_PATH_OWN), isa0 = linalg_isa();
	for (int isa = LINALG_ISA_AVX2; isa <= LINALG_ISA_AVX2_WIDE; isa++) {   /* (SSE2 has none) */
		if (linalg_set_isa(isa)) {
			printf("  (%s: not on this CPU)\n", isa_names[isa]);
			continue;
		}
		struct rng r;
		rng_seed(&r, 100 + (unsigned long)isa);
		int bad = 0, cases = 0, nsides = (int)(sizeof sides / sizeof *sides);
		for (int mi = 0; mi < nsides; mi++)
			for (int ni = 0; ni < nsides; ni++)
				for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
					int M = sides[mi], N = sides[ni], K = ks[ki];
					if ((double)M * N * K > 200000)
						continue;
					/* every shape in one transpose combination and one alpha/beta,
					 * chosen in turn, plus the bias */
					int c = mi + 3 * ni + 5 * (int)ki, ta = c & 1, tb = (c >> 1) & 1;
					const double *p = ab[c % 4];
					bad += own_vs_ref(&r, ta, tb, M, N, K, p[0], p[1], 0);
					bad += own_vs_ref(&r, tb, ta, M, N, K, p[0], p[1], 1);
					cases += 2;
				}
		/* wide vector x matrix (a buffer of column sums), long rows of matrix x vector */
		static const int big[][5] = { { 1, 700, 40, 0, 0 }, { 1, 1030, 9, 1, 0 }, { 700, 1, 40, 1, 1 },
		                              { 50, 1, 100, 0, 0 }, { 1, 50, 100, 0, 1 }, { 70, 600, 3, 0, 1 } };
		for (size_t t = 0; t < sizeof big / sizeof *big; t++) {
			bad += own_vs_ref(&r, big[t][3], big[t][4], big[t][0], big[t][1], big[t][2], 1.0, 0.0, 0);
			bad += own_vs_ref(&r, big[t][3], big[t][4], big[t][0], big[t][1], big[t][2], -0.5, 1.5, 0);
			bad += own_vs_ref(&r, big[t][3], big[t][4], big[t][0], big[t][1], big[t][2], 1.0, 1.0, 1);
			cases += 3;
		}
		char msg[200];
		snprintf(msg, sizeof msg, "%s: every product on the built-in kernels == mm_ref bit for bit, "
		         "mm_bias == fill + mm_ref (%d products, %d results differ)", isa_names[isa], cases, bad);
		CHECK(bad == 0, msg);
	}
	linalg_set_isa(isa0);
	linalg_set_path(old_path);

	/* colsum_add: the column sums of the plain loop, bit for bit */
	struct rng r;
	rng_seed(&r, 5);
	int bad = 0;
	for (int N = 1; N <= 40; N += 3) {
		double X[64 * 40], s0[40], s1[40];
		for (int i = 0; i < 64 * N; i++)
			X[i] = rng_normal(&r);
		for (int j = 0; j < N; j++)
			s0[j] = s1[j] = rng_normal(&r);
		colsum_add(64, N, X, s0);
		for (int j = 0; j < N; j++)
			for (int i = 0; i < 64; i++)
				s1[j] += X[i * N + j];
		bad += !same_bits(s0, s1, (size_t)N);
	}
	CHECK(bad == 0, "colsum_add == the plain column loop, bit for bit");
}

/* quantity_comp_value's documented order, computed here by hand: fewer than
 * 16 terms in order, from 16 on four partial sums by term index mod 4. */
static void check_value_order(void)
{
	struct rng r;
	rng_seed(&r, 23);
	double th[40];
	for (int i = 0; i < 40; i++)
		th[i] = rng_normal(&r) * (i % 3 ? 1.0 : 1e-5);
	int bad = 0;
	for (int n = 1; n <= 37; n += 3) {
		struct quantity *q = quantity_new("order", QK_QUADRATIC, 1);
		double p[4] = { 0, 0, 0, 0 }, seq = 0;
		for (int t = 0; t < n; t++) {
			int i = (7 * t) % 40, j = t % 5 == 0 ? -1 : (3 * t + 1) % 40;
			double c = t % 4 == 0 ? 1.0 : rng_normal(&r);
			qcomp_add(&q->comp[0], i, j, c);
			double v = j < 0 ? c * th[i] : c * th[i] * th[j];
			p[t % 4] += v;
			seq += v;
		}
		double want = n < 16 ? seq : (p[0] + p[1]) + (p[2] + p[3]), got = quantity_comp_value(q, 0, th);
		bad += !same_bits(&got, &want, 1);
		quantity_free(q);
	}
	CHECK(bad == 0, "quantity_comp_value sums in the documented order (in order below 16 terms, 4 partial sums from 16)");
}

static void check_plan(const char *preset)
{
	struct cmd_ctx c = { 0 };
	c.x = experiment_new();
	c.out = c.msg = sink;
	char line[64], msg[160];
	snprintf(line, sizeof line, "preset %s", preset);
	int rc = cmd_exec_line(&c, line);
	snprintf(msg, sizeof msg, "%s: preset loads", preset);
	if (!CHECK(rc >= 0, msg)) {
		experiment_free(c.x);
		return;
	}
	struct run *s = experiment_run(c.x, 0);
	rc = run_step(s, 3, NULL);
	snprintf(msg, sizeof msg, "%s: 3 steps", preset);
	CHECK(rc == 0, msg);
	struct trace_view t;
	run_trace(s, &t);
	const struct qset *qs = run_quantities(s);
	int width = t.width - TRACE_FIXED, bad = 0, n = 0;
	double *out = calloc((size_t)width + 1, sizeof *out);
	struct qplan *p = qplan_new(qs, run_nparams(s));
	qplan_eval(p, run_theta(s), out);
	const double *row = t.rows + (size_t)(t.nrows - 1) * t.width + TRACE_FIXED;
	int traced = (long)row[-TRACE_FIXED] == run_steps(s) && run_lambda(s) == 0;
	for (int i = 0; i < qs->n; i++) {
		const struct quantity *q = qs->q[i];
		if (q->fn)
			continue;
		for (int k = 0; k < q->ncomp; k++, n++) {
			if (q->phase && q->internal) {   /* hidden (no velocity): not evaluated, NaN in the trace */
				bad += traced && !isnan(row[q->slot + k]);
				continue;
			}
			double v = quantity_comp_value(q, k, run_theta(s));
			if (!q->phase)                   /* the plan leaves phase-space laws out */
				bad += !same_bits(&out[q->slot + k], &v, 1);
			if (traced)
				bad += !same_bits(&row[q->slot + k], &v, 1);
		}
	}
	snprintf(msg, sizeof msg, "%s: plan and trace give quantity_comp_value's bits (%d components, %d differ)",
	         preset, n, bad);
	CHECK(bad == 0 && n > 0, msg);
	qplan_free(p);
	free(out);
	experiment_free(c.x);
}

static void check_exp_array(void)
{
	enum { N = 20000 };
	static double x[N], y[N];
	struct rng r;
	rng_seed(&r, 11);
	for (int i = 0; i < N; i++)
		x[i] = i < N / 2 ? -750.0 + 1470.0 * i / (N / 2) : 40.0 * rng_normal(&r);
	x[0] = 0.0; x[1] = -INFINITY; x[2] = INFINITY; x[3] = NAN; x[4] = 709.7; x[5] = 709.8; x[6] = -745.2;
	x[7] = 1e-300; x[8] = -1e-300; x[9] = -708.5;
	memcpy(y, x, sizeof y);
	exp_array(N, y);
	int bad = 0;
	double worst = 0;
	for (int i = 10; i < N; i++) {
		double e = exp(x[i]), err = fabs(y[i] - e);
		if (y[i] != e && !(err <= 4.5e-16 * e + 1e-320))   /* equal: also both inf */
			bad++;
		if (e > 1e-300 && isfinite(e) && err / e > worst)
			worst = err / e;
	}
	char msg[160];
	snprintf(msg, sizeof msg, "exp_array within 2 ulp of exp on [-750, 720] (%d differ; worst %.2g relative)", bad, worst);
	CHECK(bad == 0, msg);
	CHECK(y[0] == 1.0, "exp_array(0) = 1 exactly");
	CHECK(y[1] == 0.0 && !signbit(y[1]), "exp_array(-inf) = +0");
	CHECK(isinf(y[2]) && y[2] > 0, "exp_array(inf) = inf");
	CHECK(isnan(y[3]), "exp_array(NaN) = NaN");
	CHECK(isfinite(y[4]) && isinf(y[5]), "exp_array overflows between 709.7 and 709.8, like exp");
	CHECK(y[6] == 0.0 && y[9] > 0.0 && y[9] < 2.3e-308, "exp_array underflows gradually (subnormal at -708.5, 0 below -745.2)");
	CHECK(y[7] == 1.0 && y[8] == 1.0, "exp_array(±1e-300) = 1");
	/* an array within [-700, 700] takes the one-scaling path: the same bits as
	 * the general path (forced here by one NaN at the end), within 2 ulp of exp */
	static double z[N];
	int m = 0;
	for (int i = 10; i < N; i++)
		if (x[i] >= -700.0 && x[i] <= 700.0)
			z[m++] = x[i];
	z[m++] = -700.0;
	z[m++] = 700.0;
	memcpy(y, z, (size_t)m * sizeof *y);
	y[m] = NAN;
	exp_array(m, z);
	exp_array(m + 1, y);
	CHECK(same_bits(z, y, (size_t)m), "exp_array in range: same bits as the general path");
	bad = 0;
	for (int i = 0, k = 0; i < N; i++) {
		if (i < 10 || !(x[i] >= -700.0 && x[i] <= 700.0))
			continue;
		double e = exp(x[i]);
		if (z[k] != e && !(fabs(z[k] - e) <= 4.5e-16 * e + 1e-320))
			bad++;
		k++;
	}
	CHECK(bad == 0, "exp_array in range within 2 ulp of exp");
}

int main(void)
{
	check_mm_small();
	check_mm_own();
	check_exp_array();
	check_value_order();
	static const char *const presets[] = { "relu2", "swiglu", "moe-topk", "mha-rope", "mha", "relu-deep",
	                                       "sym-deep-linear-mse", "gelu2" };
	for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
		check_plan(presets[i]);
	return test_summary("test_fastpaths");
}
