/* test_blas_ref.c — the BLAS path against its naive reference twin.
 * 1. mm and mm_ref on a hand-computed 2×3 · 3×2 product in all four transpose
 *    combinations, with alpha/beta, beta = 0 ignoring a NaN-filled C, and K = 0;
 *    then random shapes, mm vs mm_ref to 1e-13.
 * 2. For every test model of every registered block kind (kind_cases.c): one
 *    forward + loss + backward with cblas (linalg_use_reference(0)) and with the
 *    twins (linalg_use_reference(1)); output, loss, ∇θ and ∇x agree to 1e-12
 *    relative. */
#include "test.h"
#include "fixture.h"
#include "kind_cases.h"
#include "noether/linalg.h"
#include "noether/loss.h"
#include "noether/model.h"
#include "noether/rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_TOL 1e-12

typedef void (*mm_fn)(int, int, int, int, int, double, const double *, const double *, double, double *);

static void transpose(int r, int c, const double *a, double *at)
{
	for (int i = 0; i < r; i++)
		for (int j = 0; j < c; j++)
			at[(size_t)j * r + i] = a[(size_t)i * c + j];
}

static void check_small(mm_fn f, const char *fname)
{
	/* A (2,3), B (3,2); A B = [[58, 64], [139, 154]] */
	const double A[6] = { 1, 2, 3, 4, 5, 6 }, B[6] = { 7, 8, 9, 10, 11, 12 };
	const double AB[4] = { 58, 64, 139, 154 };
	double At[6], Bt[6];
	transpose(2, 3, A, At);
	transpose(3, 2, B, Bt);
	for (int ta = 0; ta < 2; ta++)
		for (int tb = 0; tb < 2; tb++) {
			char msg[160];
			double C[4] = { 1, -1, 2, 0.5 };
			f(ta, tb, 2, 2, 3, 2.0, ta ? At : A, tb ? Bt : B, 0.5, C);
			int ok = 1;
			for (int i = 0; i < 4; i++) {
				double c0 = (double[]){ 1, -1, 2, 0.5 }[i];
				ok &= C[i] == 2.0 * AB[i] + 0.5 * c0;
			}
			snprintf(msg, sizeof msg, "%s ta=%d tb=%d: C = 2 op(A) op(B) + 0.5 C exactly", fname, ta, tb);
			CHECK(ok, msg);
			double D[4] = { NAN, NAN, NAN, NAN };
			f(ta, tb, 2, 2, 3, 1.0, ta ? At : A, tb ? Bt : B, 0.0, D);
			ok = 1;
			for (int i = 0; i < 4; i++)
				ok &= D[i] == AB[i];
			snprintf(msg, sizeof msg, "%s ta=%d tb=%d: beta = 0 ignores (NaN) C", fname, ta, tb);
			CHECK(ok, msg);
			/* the other product: op(B) op(A) = (3,3), B A */
			double E[9];
			f(tb, ta, 3, 3, 2, 1.0, tb ? Bt : B, ta ? At : A, 0.0, E);
			ok = 1;
			for (int i = 0; i < 3; i++)
				for (int j = 0; j < 3; j++)
					ok &= E[i * 3 + j] == B[i * 2] * A[j] + B[i * 2 + 1] * A[3 + j];
			snprintf(msg, sizeof msg, "%s ta=%d tb=%d: (3,2)·(2,3) product", fname, tb, ta);
			CHECK(ok, msg);
		}
}

static void check_random_shapes(void)
{
	struct rng r;
	rng_seed(&r, 42);
	const int shapes[][3] = { { 1, 1, 1 }, { 7, 5, 3 }, { 3, 9, 17 }, { 33, 20, 65 }, { 64, 1, 10 }, { 1, 40, 70 } };
	double worst = 0;
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
		double *A = malloc(sizeof(double) * M * K), *B = malloc(sizeof(double) * K * N);
		double *C1 = malloc(sizeof(double) * M * N), *C2 = malloc(sizeof(double) * M * N);
		for (int i = 0; i < M * K; i++)
			A[i] = rng_normal(&r);
		for (int i = 0; i < K * N; i++)
			B[i] = rng_normal(&r);
		for (int ta = 0; ta < 2; ta++)
			for (int tb = 0; tb < 2; tb++) {
				for (int i = 0; i < M * N; i++)
					C1[i] = C2[i] = rng_normal(&r);
				linalg_use_reference(0);
				mm(ta, tb, M, N, K, 0.7, A, B, -1.3, C1);
				mm_ref(ta, tb, M, N, K, 0.7, A, B, -1.3, C2);
				double e = fixture_rel_err(C1, C2, (size_t)M * N, 1e-300);
				char msg[160];
				snprintf(msg, sizeof msg, "mm vs mm_ref M=%d N=%d K=%d ta=%d tb=%d: rel %.1e", M, N, K, ta, tb, e);
				CHECK(e <= 1e-13, msg);
				worst = e > worst ? e : worst;
			}
		/* K = 0: C = beta C on both paths */
		for (int i = 0; i < M * N; i++)
			C1[i] = C2[i] = 1.0 + i;
		linalg_use_reference(0);
		mm(0, 0, M, N, 0, 1.0, A, B, 2.0, C1);
		linalg_use_reference(1);
		mm(0, 0, M, N, 0, 1.0, A, B, 2.0, C2);
		linalg_use_reference(0);
		int ok = 1;
		for (int i = 0; i < M * N; i++)
			ok &= C1[i] == 2.0 * (1.0 + i) && C2[i] == C1[i];
		CHECK(ok, "mm with K = 0 scales C by beta on both paths");
		free(A); free(B); free(C1); free(C2);
	}
	printf("mm vs mm_ref on random shapes: worst rel %.2e\n", worst);
}

struct pass_out {
	double *f, *grad, *dx, loss;
};

static void one_pass(struct model *m, enum loss_kind lk, const double *theta, const double *x, int n,
                     const double *t, const int *labels, struct pass_out *o, int use_ref)
{
	int R = n * m->out.len, w = m->out.width;
	int old = linalg_use_reference(use_ref);
	const double *f = model_forward(m, theta, x, n);
	memcpy(o->f, f, sizeof(double) * (size_t)R * w);
	double *df = calloc((size_t)R * w, sizeof *df);
	o->loss = loss_eval(lk, f, R, w, t, labels, df);
	memset(o->grad, 0, sizeof(double) * m->nparams);
	model_backward(m, theta, df, o->grad, o->dx);
	linalg_use_reference(old);
	free(df);
}

static double worst_model;

static void check_model(const struct kind_case *kc, unsigned long seed)
{
	char err[512] = "", desc[256], msg[600];
	kind_case_describe(kc, desc, sizeof desc);
	struct model *m = model_new();
	int rc = kind_case_build(m, kc, err, sizeof err);
	snprintf(msg, sizeof msg, "%s: builds (%s)", desc, rc ? err : "ok");
	if (!CHECK(rc == 0, msg)) {
		model_free(m);
		return;
	}
	int n = kc->batch, R = n * m->out.len, w = m->out.width;
	size_t np = m->nparams, nx = (size_t)n * m->in.len * m->in.width;
	enum loss_kind lk = !strcmp(m->blocks[m->nblocks - 1].kind->name, "head") ? LOSS_XENT : LOSS_MSE;
	double *theta = calloc(np + 1, sizeof *theta), *x = calloc(nx, sizeof *x);
	double *t = calloc((size_t)R * w, sizeof *t);
	int *labels = calloc((size_t)R, sizeof *labels);
	struct rng r;
	rng_seed(&r, seed);
	struct init_spec spec = { INIT_NORMAL, 0.0, seed };
	model_init(m, theta, &spec);
	for (size_t i = 0; i < nx; i++)
		x[i] = rng_normal(&r);
	for (int i = 0; i < R * w; i++)
		t[i] = rng_normal(&r);
	for (int i = 0; i < R; i++)
		labels[i] = (int)rng_below(&r, (uint64_t)w);
	struct pass_out a, b;
	struct pass_out *o[2] = { &a, &b };
	for (int k = 0; k < 2; k++) {
		o[k]->f = calloc((size_t)R * w, sizeof(double));
		o[k]->grad = calloc(np + 1, sizeof(double));
		o[k]->dx = calloc(nx, sizeof(double));
		one_pass(m, lk, theta, x, n, t, labels, o[k], k);
	}
	double ef = fixture_rel_err(a.f, b.f, (size_t)R * w, 1e-300);
	double el = fixture_rel_err(&a.loss, &b.loss, 1, 1e-300);
	double eg = fixture_rel_err(a.grad, b.grad, np, 1e-300);
	double ex = fixture_rel_err(a.dx, b.dx, nx, 1e-300);
	double e = fmax(fmax(ef, el), fmax(eg, ex));
	snprintf(msg, sizeof msg, "%s: blas vs reference f %.1e loss %.1e grad %.1e dx %.1e <= %g", desc, ef, el, eg, ex, REF_TOL);
	CHECK(e <= REF_TOL, msg);
	printf("  %-64s max rel %.1e\n", desc, e);
	worst_model = e > worst_model ? e : worst_model;
	for (int k = 0; k < 2; k++) {
		free(o[k]->f); free(o[k]->grad); free(o[k]->dx);
	}
	free(theta); free(x); free(t); free(labels);
	model_free(m);
}

int main(void)
{
	check_small(mm, "mm(blas)");
	linalg_use_reference(1);
	check_small(mm, "mm(reference switch)");
	linalg_use_reference(0);
	check_small(mm_ref, "mm_ref");
	check_random_shapes();
	printf("models, cblas vs reference twins:\n");
	int ncases = 0;
	for (int k = 0; block_kinds[k]; k++) {
		const struct kind_case *list[16];
		int nc = kind_cases_for(block_kinds[k]->name, list, 16);
		if (!nc)
			printf("  (kind %s has no case in kind_cases.c; covered by test_gradcheck's generic guess)\n", block_kinds[k]->name);
		for (int c = 0; c < nc; c++, ncases++)
			check_model(list[c], 300 + 17 * (unsigned long)k + (unsigned long)c);
	}
	/* a wider model, so the BLAS kernels take their blocked paths */
	struct kind_case wide = { "dense", { "dense 64", "relu", "dense 48", "tanh", "dense 3", NULL }, 1, 40, 50 };
	check_model(&wide, 99);
	CHECK(ncases > 0, "at least one model compared");
	printf("worst model rel diff %.2e (tolerance %g)\n", worst_model, REF_TOL);
	return test_summary("test_blas_ref");
}
