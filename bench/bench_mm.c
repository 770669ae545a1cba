/* bench_mm.c — mm() per shape: the built-in kernels against OpenBLAS, one
 * thread, on the products of a training step (the presets' layers and the
 * ReLU nets 10-W-1 of bench_step): forward x Wᵀ (ta=0 tb=1), ∂W = ∂yᵀ x
 * (ta=1 tb=0), ∂x = ∂y W (ta=0 tb=0). For each shape and each path
 * (linalg_set_path: built-in, BLAS) the time of one call is the best of 15
 * samples of many calls (the best is what the machine does without
 * interference — the rule mm_use_own in linalg.c was set from these), then
 * GFLOP/s, and the path mm() takes by itself (linalg_path_for).
 * Output: one line per shape
 *   mm M=64 N=32 K=10 ta=0 tb=1 own_ns=... blas_ns=... own_gflops=... blas_gflops=... auto=own|blas
 * Usage: bench_mm [M N K ta tb ...]   (default: the list below) */
#include "noether/linalg.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best time of one call over 15 samples, each of enough calls for ~0.3 ms. */
static double time_call(int ta, int tb, int M, int N, int K, const double *A, const double *B, double *C)
{
	long reps = 1;
	for (;;) {
		double t0 = now();
		for (long r = 0; r < reps; r++)
			mm(ta, tb, M, N, K, 1.0, A, B, 1.0, C);
		if (now() - t0 > 3e-4 || reps > 1L << 24)
			break;
		reps *= 2;
	}
	double best = 1e30;
	for (int s = 0; s < 15; s++) {
		double t0 = now();
		for (long r = 0; r < reps; r++)
			mm(ta, tb, M, N, K, 1.0, A, B, 1.0, C);
		double t = (now() - t0) / (double)reps;
		if (t < best)
			best = t;
	}
	return best;
}

static void bench_shape(int M, int N, int K, int ta, int tb)
{
	size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
	double *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *C = calloc(nc, sizeof *C);
	if (!A || !B || !C) {
		fprintf(stderr, "bench_mm: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < na; i++)
		A[i] = (double)(i % 7) * 0.01 - 0.03;
	for (size_t i = 0; i < nb; i++)
		B[i] = (double)(i % 5) * 0.01 - 0.02;
	linalg_set_path(LINALG_PATH_OWN);
	double own = time_call(ta, tb, M, N, K, A, B, C);
	linalg_set_path(LINALG_PATH_BLAS);
	double blas = time_call(ta, tb, M, N, K, A, B, C);
	linalg_set_path(LINALG_PATH_AUTO);
	double fl = 2.0 * M * (double)N * K;
	printf("mm M=%d N=%d K=%d ta=%d tb=%d own_ns=%.0f blas_ns=%.0f own_gflops=%.2f blas_gflops=%.2f auto=%s\n",
	       M, N, K, ta, tb, own * 1e9, blas * 1e9, fl / own * 1e-9, fl / blas * 1e-9,
	       linalg_path_for(ta, tb, M, N, K) == LINALG_PATH_OWN ? "own" : "blas");
	fflush(stdout);
	free(A); free(B); free(C);
}

int main(int argc, char **argv)
{
	linalg_set_threads(1);
	if (argc > 1) {
		if ((argc - 1) % 5) {
			fprintf(stderr, "usage: bench_mm [M N K ta tb ...]\n");
			return 2;
		}
		for (int i = 1; i + 4 < argc; i += 5)
			bench_shape(atoi(argv[i]), atoi(argv[i + 1]), atoi(argv[i + 2]), atoi(argv[i + 3]) != 0,
			            atoi(argv[i + 4]) != 0);
		return 0;
	}
	static const int shapes[][5] = {
		/* attention (mha: n·T = 512 rows, d = 8, dk = 4), classifier, relu-deep */
		{ 512, 4, 8, 0, 0 }, { 8, 4, 512, 1, 0 }, { 512, 8, 4, 0, 1 }, { 150, 16, 16, 0, 1 },
		{ 16, 16, 150, 1, 0 }, { 128, 16, 16, 0, 1 }, { 16, 16, 128, 1, 0 },
	};
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
		bench_shape(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], shapes[i][4]);
	for (int W = 8; W <= 2048; W *= 2) {   /* 10-W-1 on 64 samples */
		bench_shape(64, W, 10, 0, 1);      /* h = x W1ᵀ */
		bench_shape(64, 1, W, 0, 1);       /* f = h W2ᵀ */
		bench_shape(1, W, 64, 1, 0);       /* ∂W2 = ∂fᵀ h */
		bench_shape(64, W, 1, 0, 0);       /* ∂h = ∂f W2 */
		bench_shape(W, 10, 64, 1, 0);      /* ∂W1 = ∂hᵀ x */
	}
	for (int n = 64; n <= 512; n *= 2)
		bench_shape(n, n, n, 0, 0);
	return 0;
}
