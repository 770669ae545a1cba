/* linalg_short.c — products of few terms (2 <= K <= MM_SK, M, N > 1), for
 * every build of the kernels (linalg_kern.h), compiled once for x86-64-v3
 * (AVX2 + FMA; linalg.c calls the kernels only on such CPUs).
 *
 * With so few terms a register tile spends more on its set-up (row pointers,
 * zeroed accumulators, panel bookkeeping) than on its K multiply-adds, and its
 * chains are too short to cover that. Here a panel of op(B), K rows of 8 (or
 * 4) columns, is loaded once — into registers for K <= 8, where K is made a
 * constant (KC); from 9 to MM_SK terms K is read at run time and the panel
 * sits in L1 — then the rows of C stream past it, four rows side by side — K
 * broadcasts and fused multiply-adds per vector, their steps interleaved so
 * that independent work is at hand while each chain waits — and one store per
 * vector. A batch of products runs in one call.
 * The same sums in the same order as mm_ref (k ascending from 0, one fma per
 * term), written alpha·s + (beta = 0 ? 0 : beta·old) with alpha and beta read
 * at run time (the roundings of the constants the tiles fold). A ragged last
 * panel (w < nr columns) is read and written through a lane mask. */
#define MM_KERN_BODY
#define MM_KERN_WIDE 0
#include "linalg_kern.h"

/* The mask of the first n (1..4) lanes. */
MM_AI __m256i mm_mask(int n)
{
	return _mm256_set_epi64x(n > 3 ? -1 : 0, n > 2 ? -1 : 0, n > 1 ? -1 : 0, -1);
}

/* cr[lanes of mask] = alpha c + (beta == 0 ? 0 : beta old), old = cr or the
 * bias; other lanes are neither read nor written (full: all four). */
MM_AI void mm_store4m(double *cr, const mm_v4 *c, double alpha, double beta, const double *bias, const int full,
                      __m256i mask)
{
	if (full) {
		mm_store4(cr, c, alpha, beta, bias);
		return;
	}
	mm_v4 v = (mm_v4){ alpha, alpha, alpha, alpha } * *c;
	if (beta == 0.0) {
		v += (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
	} else {
		const mm_v4 old = (mm_v4)_mm256_maskload_pd(bias ? bias : cr, mask);
		v += (mm_v4){ beta, beta, beta, beta } * old;
	}
	_mm256_maskstore_pd(cr, mask, (__m256d)v);
}

/* op(B)[k, j0 + j] for the lanes j < n (zero past n): a row of B (tb = 0) or
 * a column (tb = 1). */
MM_AI void mm_bload(int tb, const int full, int N, int K, const double *B, int k, int j0, int n, __m256i mask,
                    mm_v4 *v)
{
	if (!tb) {
		const double *p = B + (size_t)k * N + j0;
		if (full)
			mm_load4(v, p);
		else
			*v = (mm_v4)_mm256_maskload_pd(p, mask);
		return;
	}
	const double *p = B + (size_t)j0 * K + k;
	*v = (mm_v4){ p[0], n > 1 ? p[K] : 0.0, n > 2 ? p[2 * (size_t)K] : 0.0, n > 3 ? p[3 * (size_t)K] : 0.0 };
}

/* The rows of C (row stride N) against one panel of nr columns from j0, w of
 * them in C. */
MM_AI void mm_short_panel(const int K0, int Kr, const int nr, const int ta, const int full, int tb, int M, int N,
                          const double *A, const double *B, int j0, int w, double alpha, double beta,
                          const double *bias, double *C)
{
	const int KC = K0 ? K0 : Kr;   /* K0 = 0: K read at run time (the panel then sits in memory) */
	enum { RS = 4 };
	const int wl = w - (nr - 4);             /* lanes of a row's last vector that are in C */
	const __m256i mask = mm_mask(wl);
	mm_v4 b0[MM_SK], b1[MM_SK];
	for (int k = 0; k < KC; k++) {
		if (nr == 8) {
			mm_bload(tb, 1, N, KC, B, k, j0, 4, mask, &b0[k]);
			mm_bload(tb, full, N, KC, B, k, j0 + 4, wl, mask, &b1[k]);
		} else {
			mm_bload(tb, full, N, KC, B, k, j0, wl, mask, &b0[k]);
		}
	}
	const double *bias0 = bias ? bias + j0 : NULL, *bias4 = bias ? bias + j0 + nr - 4 : NULL;
	for (int i = 0; i < M; i += RS) {
		/* RS rows from i; past the last row, the last row again (read, not
		 * stored). ta = 0: op(A)[i + r, k] = a[r][k], rows of A. */
		const double *a[RS];
		for (int r = 0; r < RS; r++)
			a[r] = A + (size_t)(i + r < M ? i + r : M - 1) * KC;
		mm_v4 c0[RS], c1[RS];
		for (int r = 0; r < RS; r++)
			c0[r] = c1[r] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
		const double *ak = A + i;        /* ta: op(A)[i + r, k] = ak[r], ak advancing a row of A per k */
		/* (unrolled: in full for a constant K; for K read at run time, 1.2x faster) */
#pragma GCC unroll 16
		for (int k = 0; k < KC; k++, ak += M)
			for (int r = 0; r < RS; r++) {
				const double x = ta ? (i + r < M ? ak[r] : ak[M - 1 - i]) : a[r][k];
				const mm_v4 av = { x, x, x, x };
				mm_fma4(&c0[r], &av, &b0[k]);
				if (nr == 8)
					mm_fma4(&c1[r], &av, &b1[k]);
			}
		const int rows = M - i < RS ? M - i : RS;
		for (int r = 0; r < RS; r++) {
			if (r >= rows)
				break;
			double *cr = C + (size_t)(i + r) * N + j0;
			if (nr == 8)
				mm_store4(cr, &c0[r], alpha, beta, bias0);
			mm_store4m(cr + nr - 4, nr == 8 ? &c1[r] : &c0[r], alpha, beta, bias4, full, mask);
		}
	}
}

/* count products of one ta and K = KC: panels of 8 columns, the last one of
 * 8, 5–7, 4 or 1–3 columns. */
MM_AI void mm_short_ta(const int KC, int Kr, const int ta, int tb, int count, size_t sa, size_t sb, size_t sc, int M, int N,
                       double alpha, const double *A, const double *B, double beta, const double *bias, double *C)
{
	for (int s = 0; s < count; s++) {
		const double *As = A + s * sa, *Bs = B + s * sb;
		double *Cs = C + s * sc;
		int j0 = 0;
		for (; j0 + 8 <= N; j0 += 8)
			mm_short_panel(KC, Kr, 8, ta, 1, tb, M, N, As, Bs, j0, 8, alpha, beta, bias, Cs);
		int w = N - j0;
		if (w > 4)
			mm_short_panel(KC, Kr, 8, ta, 0, tb, M, N, As, Bs, j0, w, alpha, beta, bias, Cs);
		else if (w == 4)
			mm_short_panel(KC, Kr, 4, ta, 1, tb, M, N, As, Bs, j0, w, alpha, beta, bias, Cs);
		else if (w > 0)
			mm_short_panel(KC, Kr, 4, ta, 0, tb, M, N, As, Bs, j0, w, alpha, beta, bias, Cs);
	}
}

#define MM_SHORT_K(KC)                                                                                      \
	static __attribute__((noinline)) void mm_short_k##KC(MM_OWN_PARAMS)                                     \
	{                                                                                                       \
		if (ta)                                                                                         \
			mm_short_ta(KC, K, 1, tb, count, sa, sb, sc, M, N, alpha, A, B, beta, bias, C);         \
		else                                                                                            \
			mm_short_ta(KC, K, 0, tb, count, sa, sb, sc, M, N, alpha, A, B, beta, bias, C);         \
	}
MM_SHORT_K(0)   /* 9..MM_SK terms: K at run time */
MM_SHORT_K(2)
MM_SHORT_K(3)
MM_SHORT_K(4)
MM_SHORT_K(5)
MM_SHORT_K(6)
MM_SHORT_K(7)
MM_SHORT_K(8)
#undef MM_SHORT_K

/* ---- few outputs, long sums: M <= MM_FEW_M rows, N <= 8 columns, tb = 0 -------
 * (the weight gradients dyᵀx of narrow layers). Each element of C is one
 * chain of K dependent multiply-adds, and the tiles run a 4-row block and
 * then the other rows one at a time, so the chains of those rows wait on
 * each other. Here all of C is one tile (M·nr/4 <= 12 accumulators): every
 * chain advances at each k, and the product takes one chain's latency. */
MM_AI void mm_few_rows(const int mr, const int nr, const int ta, const int full, int M, int N, int K,
                       const double *A, const double *B, double alpha, double beta, const double *bias,
                       double *C)
{
	const int wl = N - (nr - 4);
	const __m256i mask = mm_mask(wl);
	mm_v4 c0[MM_FEW_M], c1[MM_FEW_M];
	for (int r = 0; r < mr; r++)
		c0[r] = c1[r] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
	const double *ak = A, *bk = B;  /* ta: op(A)[r, k] = ak[r], a row of A per k; else A[r·K + k] */
	for (int k = 0; k < K; k++, ak += M, bk += N) {
		mm_v4 b0, b1;
		if (nr == 8) {
			mm_load4(&b0, bk);
			mm_bload(0, full, N, K, B, k, 4, wl, mask, &b1);
		} else {
			mm_bload(0, full, N, K, B, k, 0, wl, mask, &b0);
		}
		for (int r = 0; r < mr; r++) {
			const double x = ta ? ak[r] : A[(size_t)r * K + k];
			const mm_v4 av = { x, x, x, x };
			mm_fma4(&c0[r], &av, &b0);
			if (nr == 8)
				mm_fma4(&c1[r], &av, &b1);
		}
	}
	for (int r = 0; r < mr; r++) {
		double *cr = C + (size_t)r * N;
		if (nr == 8)
			mm_store4(cr, &c0[r], alpha, beta, bias);
		mm_store4m(cr + nr - 4, nr == 8 ? &c1[r] : &c0[r], alpha, beta, bias ? bias + nr - 4 : NULL, full, mask);
	}
}

MM_AI void mm_few_m(const int mr, int ta, int count, size_t sa, size_t sb, size_t sc, int N, int K, double alpha,
                    const double *A, const double *B, double beta, const double *bias, double *C)
{
	for (int s = 0; s < count; s++) {
		const double *As = A + s * sa, *Bs = B + s * sb;
		double *Cs = C + s * sc;
#define MM_FEW(NR, FULL)                                                                                    \
	(ta ? mm_few_rows(mr, NR, 1, FULL, mr, N, K, As, Bs, alpha, beta, bias, Cs)                              \
	    : mm_few_rows(mr, NR, 0, FULL, mr, N, K, As, Bs, alpha, beta, bias, Cs))
		if (N == 8)
			MM_FEW(8, 1);
		else if (N > 4)
			MM_FEW(8, 0);
		else if (N == 4)
			MM_FEW(4, 1);
		else
			MM_FEW(4, 0);
#undef MM_FEW
	}
}

void mm_few_v3(MM_OWN_PARAMS)
{
	(void)tb;
	switch (M) {
	case 2: mm_few_m(2, ta, count, sa, sb, sc, N, K, alpha, A, B, beta, bias, C); break;
	case 3: mm_few_m(3, ta, count, sa, sb, sc, N, K, alpha, A, B, beta, bias, C); break;
	case 4: mm_few_m(4, ta, count, sa, sb, sc, N, K, alpha, A, B, beta, bias, C); break;
	case 5: mm_few_m(5, ta, count, sa, sb, sc, N, K, alpha, A, B, beta, bias, C); break;
	default: mm_few_m(6, ta, count, sa, sb, sc, N, K, alpha, A, B, beta, bias, C); break;
	}
}

void mm_short_v3(MM_OWN_PARAMS)
{
	static void (*const fn[])(MM_OWN_PARAMS) = {
		mm_short_k2, mm_short_k3, mm_short_k4, mm_short_k5, mm_short_k6, mm_short_k7, mm_short_k8
	};
	(K <= 8 ? fn[K - 2] : mm_short_k0)(count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
}
