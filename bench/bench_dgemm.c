/* bench_dgemm.c — the machine's double-precision matrix-multiply peak on one
 * thread: square C = A·B (cblas_dgemm through mm(), as the blocks call it) at a
 * few sizes, several repetitions each; prints the median GFLOP/s per size and
 * the best median as the peak other benchmarks divide by.
 *
 * Output (parseable, one key=value line per figure):
 *   dgemm n=768 reps=9 median_gflops=48.7
 *   dgemm_peak_gflops=48.7
 * Usage: bench_dgemm [N ...]   (default sizes 512 768 1024) */
#include "noether/linalg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median GFLOP/s of reps timed n×n×n products (after one warm-up). */
static double bench_size(int n, int reps)
{
	size_t nn = (size_t)n * (size_t)n;
	double *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B), *C = malloc(nn * sizeof *C);
	double *g = malloc((size_t)reps * sizeof *g);
	if (!A || !B || !C || !g) {
		fprintf(stderr, "bench_dgemm: out of memory for n=%d\n", n);
		exit(1);
	}
	unsigned long x = 88172645463325252UL;
	for (size_t i = 0; i < nn; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		A[i] = (double)(x >> 11) / 9007199254740992.0 - 0.5;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		B[i] = (double)(x >> 11) / 9007199254740992.0 - 0.5;
	}
	memset(C, 0, nn * sizeof *C);
	mm(0, 0, n, n, n, 1.0, A, B, 0.0, C);   /* warm-up: page in, pack buffers */
	double flops = 2.0 * (double)n * (double)n * (double)n;
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		mm(0, 0, n, n, n, 1.0, A, B, 0.0, C);
		double dt = now() - t0;
		g[r] = flops / dt * 1e-9;
	}
	qsort(g, (size_t)reps, sizeof *g, cmp_double);
	double med = g[reps / 2];
	free(A); free(B); free(C); free(g);
	return med;
}

int main(int argc, char **argv)
{
	int sizes[16], ns = 0;
	for (int i = 1; i < argc && ns < 16; i++) {
		int n = atoi(argv[i]);
		if (n < 16 || n > 8192) {
			fprintf(stderr, "usage: bench_dgemm [N ...]  (16 <= N <= 8192)\n");
			return 2;
		}
		sizes[ns++] = n;
	}
	if (!ns) {
		sizes[ns++] = 512;
		sizes[ns++] = 768;
		sizes[ns++] = 1024;
	}
	linalg_set_threads(1);
	double peak = 0;
	for (int i = 0; i < ns; i++) {
		int n = sizes[i];
		int reps = n <= 512 ? 15 : n <= 1024 ? 9 : 5;
		double med = bench_size(n, reps);
		printf("dgemm n=%d reps=%d median_gflops=%.2f\n", n, reps, med);
		fflush(stdout);
		if (med > peak)
			peak = med;
	}
	printf("dgemm_peak_gflops=%.2f\n", peak);
	return 0;
}
