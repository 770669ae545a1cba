/* linalg_kern.h — the built-in matrix-product kernels of linalg.c, internal.
 *
 * linalg.c includes this for the declarations only. Each of linalg_v3.c
 * (x86-64-v3: AVX2 + FMA), linalg_v4.c (x86-64-v4: AVX-512) and linalg_v3w.c
 * (the AVX-512 build's 8-double tiles compiled for AVX2, so that the tests run
 * its code paths on any AVX2 machine) defines MM_KERN_WIDE (0: 4-double
 * vectors; 1: 8-column tiles in 8-double vectors) and includes it again with
 * MM_KERN_BODY defined: the kernels below are then compiled for that file's
 * instruction set (set per file in the Makefile), with FMA instructions
 * through <immintrin.h>, and the file defines its one exported function.
 * Contract of every kernel: see the top of linalg.c (mm_ref's bits). */
#ifndef NOETHER_LINALG_KERN_H
#define NOETHER_LINALG_KERN_H
#include <stddef.h>

/* count products C_s = alpha op(A_s) op(B_s) + beta C_s, X_s = X + s·sx; with
 * bias != NULL, beta = 1 reads bias (N doubles, every row) instead of C. */
#define MM_OWN_PARAMS int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M, int N, int K, \
	double alpha, const double *A, const double *B, double beta, const double *bias, double *C
void mm_own_v3(MM_OWN_PARAMS);
void mm_own_v3w(MM_OWN_PARAMS);
void mm_own_v4(MM_OWN_PARAMS);
/* Products of 2..MM_SK terms (M, N > 1) in every build: linalg_short.c,
 * compiled once for x86-64-v3 (which every build's CPU runs). */
void mm_short_v3(MM_OWN_PARAMS);
enum { MM_SK = 16 };
/* Products with 2..MM_FEW_M rows, 2..8 columns and op(B) = B (any K, at most
 * MM_KMAX): the same file. */
void mm_few_v3(MM_OWN_PARAMS);
enum { MM_FEW_M = 6 };
/* K of the largest product the tiles take (their panel buffer). */
enum { MM_KMAX = 1024 };
#endif

#ifdef MM_KERN_BODY
#include <immintrin.h>

/* ---- kernels ---------------------------------------------------------------------
 * always_inline bodies with GCC vector types (4 doubles; the wide build also
 * has 8-double tiles), compiled into the one function of the including file; alpha = 1 and beta = 0 are compiled as constants
 * (1·x = x exactly; beta = 0 ignores C in mm_ref too). Outer products are
 * fma(a, b, 0) like the first term of mm_ref's sum.
 * A store of one element: c = alpha·s + (beta == 0 ? 0 : beta·old), where old
 * is C itself, or bias[j] (beta = 1) when a bias is fused (mm_bias). */
enum { MM_MR = 4, MM_MR1 = 8, MM_NR = 8 };
#define MM_AI static inline __attribute__((always_inline))

typedef double mm_v4 __attribute__((vector_size(32)));
typedef double mm_v8 __attribute__((vector_size(64)));

/* Vector helpers take and give vectors through pointers: a vector-valued
 * function would change the ABI between the builds (a -Wpsabi warning), even
 * where it is always inlined. */
MM_AI void mm_load4(mm_v4 *v, const double *p)
{
	__builtin_memcpy(v, p, sizeof *v);
}

/* acc += a·b lane by lane, each lane one fused multiply-add (rounded once,
 * as fma() in mm_ref). */
MM_AI void mm_fma4(mm_v4 *acc, const mm_v4 *a, const mm_v4 *b)
{
	*acc = (mm_v4)_mm256_fmadd_pd((__m256d)*a, (__m256d)*b, (__m256d)*acc);
}

MM_AI void mm_fma8(mm_v8 *acc, const mm_v8 *a, const mm_v8 *b)
{
#ifdef __AVX512F__
	*acc = (mm_v8)_mm512_fmadd_pd((__m512d)*a, (__m512d)*b, (__m512d)*acc);
#else
	mm_v4 r[2], x[2], y[2];
	__builtin_memcpy(r, acc, sizeof r);
	__builtin_memcpy(x, a, sizeof x);
	__builtin_memcpy(y, b, sizeof y);
	mm_fma4(&r[0], &x[0], &y[0]);
	mm_fma4(&r[1], &x[1], &y[1]);
	__builtin_memcpy(acc, r, sizeof r);
#endif
}

/* The 4×4 block at src (rows of lds doubles) transposed into four vectors:
 * col[k] = (src[k], src[lds + k], src[2 lds + k], src[3 lds + k]). */
MM_AI void mm_tr4(const double *src, size_t lds, mm_v4 *col)
{
	const __m256d r0 = _mm256_loadu_pd(src), r1 = _mm256_loadu_pd(src + lds);
	const __m256d r2 = _mm256_loadu_pd(src + 2 * lds), r3 = _mm256_loadu_pd(src + 3 * lds);
	const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
	const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
	col[0] = (mm_v4)_mm256_permute2f128_pd(t0, t2, 0x20);
	col[1] = (mm_v4)_mm256_permute2f128_pd(t1, t3, 0x20);
	col[2] = (mm_v4)_mm256_permute2f128_pd(t0, t2, 0x31);
	col[3] = (mm_v4)_mm256_permute2f128_pd(t1, t3, 0x31);
}

/* w <= 8 results of one row: cr[j] = alpha acc[j] + (beta == 0 ? 0 : beta old[j])
 * (old = cr, or the bias row when bias != NULL). */
MM_AI void mm_store_row(double *cr, const double *acc, int w, double alpha, double beta, const double *bias)
{
	const double *old = bias ? bias : cr;
	for (int j = 0; j < w; j++)
		cr[j] = alpha * acc[j] + (beta == 0.0 ? 0.0 : beta * old[j]);
}

/* Four results: the same store on a vector (full width only). */
MM_AI void mm_store4(double *cr, const mm_v4 *c, double alpha, double beta, const double *bias)
{
	mm_v4 v = (mm_v4){ alpha, alpha, alpha, alpha } * *c, old;
	if (beta == 0.0) {
		v += (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
	} else {
		mm_load4(&old, bias ? bias : cr);
		v += (mm_v4){ beta, beta, beta, beta } * old;
	}
	__builtin_memcpy(cr, &v, sizeof v);
}

/* ---- outer product: K = 1 (op(A) is A[0..M), op(B) is B[0..N) in either storage) */
MM_AI void mm_outer(int M, int N, double alpha, const double *a, const double *restrict b, double beta,
                    const double *restrict bias, double *restrict C)
{
	const mm_v4 al = { alpha, alpha, alpha, alpha }, be = { beta, beta, beta, beta }, z = { 0.0, 0.0, 0.0, 0.0 };
	for (int i = 0; i < M; i++) {
		const double ai = a[i];
		const mm_v4 av = { ai, ai, ai, ai };
		double *c = C + (size_t)i * N;
		const double *old = bias ? bias : c;
		int j = 0;
		for (; j + 4 <= N; j += 4) {
			mm_v4 p = z, x, o;
			mm_load4(&x, b + j);
			mm_fma4(&p, &av, &x);
			p = al * p;
			if (beta == 0.0) {
				p += z;
			} else {
				mm_load4(&o, old + j);
				p += be * o;
			}
			__builtin_memcpy(c + j, &p, sizeof p);
		}
		for (; j < N; j++)
			c[j] = alpha * __builtin_fma(ai, b[j], 0.0) + (beta == 0.0 ? 0.0 : beta * old[j]);
	}
}

/* ---- vector × matrix: c[j] = alpha Σ_k s[k] R[k·ldr + j] + beta old[j·ostep], j < n
 * (old: c itself (ostep 1), or the bias (ostep 0 or 1)). Column blocks of 4·nv
 * held in nv vector registers while k runs over the rows of R. */
MM_AI void mm_vecmat_block(const int nv, int K, const double *s, const double *R, size_t ldr, double *out)
{
	mm_v4 acc[8];
	for (int v = 0; v < nv; v++)
		acc[v] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
	for (int k = 0; k < K; k++) {
		const double sv = s[k];
		const mm_v4 sk = { sv, sv, sv, sv };
		const double *r = R + (size_t)k * ldr;
		for (int v = 0; v < nv; v++) {
			mm_v4 x;
			mm_load4(&x, r + 4 * v);
			mm_fma4(&acc[v], &sk, &x);
		}
	}
	__builtin_memcpy(out, acc, (size_t)nv * sizeof acc[0]);
}

/* Wide rows (n > MM_VM_WIDE): the sums of MM_VM_CHUNK columns at a time kept
 * in a buffer in cache while k runs down R, so that R is read row by row,
 * contiguously (column blocks of 32 read R with a stride of a whole row per
 * k, which for rows of 4 KB and more keeps hitting one cache set). The same
 * sums in the same order. */
enum { MM_VM_WIDE = 256, MM_VM_CHUNK = 512 };

MM_AI void mm_vecmat_wide(int n, int K, double alpha, const double *s, const double *R, size_t ldr,
                          double beta, const double *bias, int bstep, double *c)
{
	mm_v4 acc[MM_VM_CHUNK / 4];
	for (int j0 = 0; j0 + 4 <= n; j0 += MM_VM_CHUNK) {
		int nv = (n - j0 < MM_VM_CHUNK ? n - j0 : MM_VM_CHUNK) / 4;
		for (int v = 0; v < nv; v++)
			acc[v] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
		for (int k = 0; k < K; k++) {
			const double sv = s[k];
			const mm_v4 sk = { sv, sv, sv, sv };
			const double *r = R + (size_t)k * ldr + j0;
			for (int v = 0; v < nv; v++) {
				mm_v4 x;
				mm_load4(&x, r + 4 * v);
				mm_fma4(&acc[v], &sk, &x);
			}
		}
		const double *out = (const double *)acc;
		for (int t = 0; t < 4 * nv; t++)
			c[j0 + t] = alpha * out[t] + (beta == 0.0 ? 0.0 : beta * (bias ? bias[(size_t)(j0 + t) * bstep] : c[j0 + t]));
	}
}

MM_AI void mm_vecmat(int n, int K, double alpha, const double *s, const double *R, size_t ldr, double beta,
                     const double *bias, int bstep, double *c)
{
	double acc[32];
	int j = 0;
	if (n > MM_VM_WIDE) {           /* all but the last n mod 4 columns, then the loop below */
		mm_vecmat_wide(n, K, alpha, s, R, ldr, beta, bias, bstep, c);
		j = n & ~3;
	}
	while (j < n) {
		int w = n - j;
		if (w >= 32) {
			mm_vecmat_block(8, K, s, R + j, ldr, acc);
			w = 32;
		} else if (w >= 16) {
			mm_vecmat_block(4, K, s, R + j, ldr, acc);
			w = 16;
		} else if (w >= 8) {
			mm_vecmat_block(2, K, s, R + j, ldr, acc);
			w = 8;
		} else if (w >= 4) {
			mm_vecmat_block(1, K, s, R + j, ldr, acc);
			w = 4;
		} else {                  /* 1..3 columns: one vector, lanes past w stay 0 */
			mm_v4 a = { 0.0, 0.0, 0.0, 0.0 };
			for (int k = 0; k < K; k++) {
				const double *r = R + (size_t)k * ldr + j, sv = s[k];
				const mm_v4 x = { r[0], w > 1 ? r[1] : 0.0, w > 2 ? r[2] : 0.0, 0.0 }, sk = { sv, sv, sv, sv };
				mm_fma4(&a, &sk, &x);
			}
			__builtin_memcpy(acc, &a, sizeof a);
		}
		if (bias) {
			for (int t = 0; t < w; t++)
				c[j + t] = alpha * acc[t] + beta * bias[(size_t)(j + t) * bstep];
		} else {
			mm_store_row(c + j, acc, w, alpha, beta, NULL);
		}
		j += w;
	}
}

/* ---- matrix × vector: c[i·ldc] = alpha Σ_k X[i·ldx + k] v[k] + beta old_i, i < m
 * (old_i: c[i·ldc], or bias[i·bstep]). The lanes of a vector are four rows,
 * each adding its row's terms in k order; G groups of four rows run side by
 * side (the additions of one lane form a chain, one per k). */
MM_AI void mm_rowdot_rows(const int G, int K, double alpha, const double *X, size_t ldx, const double *v,
                          double beta, const double *bias, int bstep, double *c, size_t ldc)
{
	const double *x[16];
	mm_v4 acc[4];
	for (int r = 0; r < 4 * G; r++)
		x[r] = X + (size_t)r * ldx;
	for (int g = 0; g < G; g++)
		acc[g] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
	int k = 0;
	for (; k + 4 <= K; k += 4) {                 /* four k: a 4×4 transpose per group */
		mm_v4 sk[4];
		for (int j = 0; j < 4; j++) {
			const double vk = v[k + j];
			sk[j] = (mm_v4){ vk, vk, vk, vk };
		}
		for (int g = 0; g < G; g++) {
			mm_v4 col[4];
			mm_tr4(x[4 * g] + k, ldx, col);
			for (int j = 0; j < 4; j++)
				mm_fma4(&acc[g], &col[j], &sk[j]);
		}
	}
	for (; k < K; k++) {
		const double vk = v[k];
		const mm_v4 sk = { vk, vk, vk, vk };
		for (int g = 0; g < G; g++) {
			const double *const *y = x + 4 * g;
			const mm_v4 col = { y[0][k], y[1][k], y[2][k], y[3][k] };
			mm_fma4(&acc[g], &col, &sk);
		}
	}
	double out[16];
	__builtin_memcpy(out, acc, (size_t)G * sizeof acc[0]);
	for (int t = 0; t < 4 * G; t++) {
		double *ci = c + (size_t)t * ldc;
		*ci = alpha * out[t] + (beta == 0.0 ? 0.0 : beta * (bias ? bias[(size_t)t * bstep] : *ci));
	}
}

MM_AI void mm_rowdot(int m, int K, double alpha, const double *X, size_t ldx, const double *v, double beta,
                     const double *bias, int bstep, double *c, size_t ldc)
{
	int i = 0;
	for (; i + 16 <= m; i += 16)
		mm_rowdot_rows(4, K, alpha, X + (size_t)i * ldx, ldx, v, beta, bias ? bias + (size_t)i * bstep : NULL,
		               bstep, c + (size_t)i * ldc, ldc);
	for (; i + 4 <= m; i += 4)
		mm_rowdot_rows(1, K, alpha, X + (size_t)i * ldx, ldx, v, beta, bias ? bias + (size_t)i * bstep : NULL,
		               bstep, c + (size_t)i * ldc, ldc);
	for (; i < m; i++) {
		const double *x = X + (size_t)i * ldx;
		double s = 0.0;
		for (int k = 0; k < K; k++)
			s = __builtin_fma(x[k], v[k], s);
		double *ci = c + (size_t)i * ldc;
		*ci = alpha * s + (beta == 0.0 ? 0.0 : beta * (bias ? bias[(size_t)i * bstep] : *ci));
	}
}

/* ---- register tiles ------------------------------------------------------------
 * C[r, j] = alpha Σ_k op(A)[r, k] b[k·ldb + j] + ..., k ascending, for r < mr,
 * j < w <= nr; mr, nr and ta are constants after inlining (up to MM_MR1 rows
 * of 1 or 4 columns, MM_MR rows of 8: at most 16 vector accumulators).
 * op(A)[r, k] is a[r·lda + k] (ta = 0: rows of A) or a[k·lda + r] (ta = 1:
 * the mr values of one k are consecutive). */
MM_AI void mm_tile(const int mr, const int nr, const int ta, int K, const double *a, size_t lda,
                   const double *restrict b, size_t ldb, int w, double alpha, double beta,
                   const double *bias, double *C, size_t ldc)
{
	if (nr == 1) {
		double c[MM_MR1];
		for (int r = 0; r < mr; r++)
			c[r] = 0.0;
		for (int k = 0; k < K; k++) {
			const double bk = b[(size_t)k * ldb];
			for (int r = 0; r < mr; r++)
				c[r] = __builtin_fma(ta ? a[(size_t)k * lda + r] : a[(size_t)r * lda + k], bk, c[r]);
		}
		for (int r = 0; r < mr; r++)
			mm_store_row(C + (size_t)r * ldc, &c[r], 1, alpha, beta, bias);
		return;
	}
	mm_v4 c0[MM_MR1], c1[MM_MR1];
	const double *ar[MM_MR1];     /* ta = 0: the rows of A; ta = 1: the column a (advanced by lda per k) */
	for (int r = 0; r < mr; r++) {
		c0[r] = c1[r] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
		ar[r] = ta ? a + r : a + (size_t)r * lda;
	}
#pragma GCC unroll 2
	for (int k = 0; k < K; k++) {
		const double *restrict bk = b + (size_t)k * ldb;
		mm_v4 b0, b1;
		mm_load4(&b0, bk);
		if (nr == 8)
			mm_load4(&b1, bk + 4);
		for (int r = 0; r < mr; r++) {
			const double x = ta ? ar[0][r] : ar[r][k];
			const mm_v4 av = { x, x, x, x };
			mm_fma4(&c0[r], &av, &b0);
			if (nr == 8)
				mm_fma4(&c1[r], &av, &b1);
		}
		if (ta)
			ar[0] += lda;
	}
	if (w == nr) {      /* (the width test outside the row loop: the accumulators stay in registers) */
#pragma GCC unroll 8
		for (int r = 0; r < mr; r++) {
			double *cr = C + (size_t)r * ldc;
			mm_store4(cr, &c0[r], alpha, beta, bias);
			if (nr == 8)
				mm_store4(cr + 4, &c1[r], alpha, beta, bias ? bias + 4 : NULL);
		}
		return;
	}
	for (int r = 0; r < mr; r++) {
		double acc[MM_NR];
		const mm_v4 v0 = c0[r], v1 = nr == 8 ? c1[r] : c0[r];
		__builtin_memcpy(acc, &v0, sizeof v0);
		__builtin_memcpy(acc + 4, &v1, sizeof v1);   /* (lanes past w unused) */
		mm_store_row(C + (size_t)r * ldc, acc, w, alpha, beta, bias);
	}
}

/* The AVX-512 variant of an 8-column tile: one vector of 8 doubles per row,
 * up to MM_MR1 rows (8 independent accumulators hide the add latency). Same
 * sums in the same order as mm_tile. */
MM_AI void mm_tile_w8(const int mr, const int ta, int K, const double *a, size_t lda, const double *restrict b,
                      size_t ldb, int w, double alpha, double beta, const double *bias, double *C, size_t ldc)
{
	mm_v8 c[MM_MR1];
	const double *ar[MM_MR1];     /* as in mm_tile */
	for (int r = 0; r < mr; r++) {
		c[r] = (mm_v8){ 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0 };
		ar[r] = ta ? a + r : a + (size_t)r * lda;
	}
	for (int k = 0; k < K; k++) {
		mm_v8 bk;
		__builtin_memcpy(&bk, b + (size_t)k * ldb, sizeof bk);
		for (int r = 0; r < mr; r++) {
			const double x = ta ? ar[0][r] : ar[r][k];
			const mm_v8 av = { x, x, x, x, x, x, x, x };
			mm_fma8(&c[r], &av, &bk);
		}
		if (ta)
			ar[0] += lda;
	}
	for (int r = 0; r < mr; r++) {
		double *cr = C + (size_t)r * ldc;
		if (w == MM_NR) {
			const double *old = bias ? bias : cr;
			mm_v8 al = { alpha, alpha, alpha, alpha, alpha, alpha, alpha, alpha }, v = al * c[r], o;
			if (beta == 0.0) {
				v += (mm_v8){ 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0 };
			} else {
				mm_v8 be = { beta, beta, beta, beta, beta, beta, beta, beta };
				__builtin_memcpy(&o, old, sizeof o);
				v += be * o;
			}
			__builtin_memcpy(cr, &v, sizeof v);
			continue;
		}
		double acc[MM_NR];
		__builtin_memcpy(acc, &c[r], sizeof c[r]);
		mm_store_row(cr, acc, w, alpha, beta, bias);
	}
}

/* mr rows of C (mr = 8, 4 or 1) against one panel b (K, nr) of width w <= nr:
 * 8 rows of an 8-column panel are two 4-row tiles (AVX2) or one tile of
 * 8-double vectors (wide). */
MM_AI void mm_rows(const int wide, const int mr, const int nr, const int ta, int K, const double *a, size_t lda,
                   const double *b, size_t ldb, int w, double alpha, double beta, const double *bias,
                   double *C, size_t ldc)
{
	if (nr == MM_NR && wide) {
		mm_tile_w8(mr, ta, K, a, lda, b, ldb, w, alpha, beta, bias, C, ldc);
	} else if (nr == MM_NR && mr == MM_MR1) {
		const double *a4 = ta ? a + 4 : a + 4 * lda;
		mm_tile(MM_MR, nr, ta, K, a, lda, b, ldb, w, alpha, beta, bias, C, ldc);
		mm_tile(MM_MR, nr, ta, K, a4, lda, b, ldb, w, alpha, beta, bias, C + 4 * ldc, ldc);
	} else {
		mm_tile(mr, nr, ta, K, a, lda, b, ldb, w, alpha, beta, bias, C, ldc);
	}
}

/* One row block (mr rows from row i) against every panel of a column block. */
MM_AI void mm_row_block(const int wide, const int mr, const int ta, int M, int K, const double *A,
                        int i, const double *const *pb, const size_t *pld, const int *pw, int np,
                        int j0, double alpha, double beta, const double *bias, double *C, size_t ldc)
{
	const double *a = ta ? A + i : A + (size_t)i * K;
	size_t lda = ta ? (size_t)M : (size_t)K;
	double *ci = C + (size_t)i * ldc + j0;
	for (int p = 0, j = 0; p < np; j += pw[p], p++) {
		const double *bj = bias ? bias + j0 + j : NULL;
		int w = pw[p];
		if (w > 4)
			mm_rows(wide, mr, MM_NR, ta, K, a, lda, pb[p], pld[p], w, alpha, beta, bj, ci + j, ldc);
		else if (w > 1)
			mm_rows(wide, mr, 4, ta, K, a, lda, pb[p], pld[p], w, alpha, beta, bj, ci + j, ldc);
		else
			mm_rows(wide, mr, 1, ta, K, a, lda, pb[p], pld[p], w, alpha, beta, bj, ci + j, ldc);
	}
}

/* Tiles over all of C, a block of columns at a time: op(B)'s columns of the
 * block are cut into panels (K, nr) of contiguous rows — B's own rows when
 * tb = 0 and the panel is full, else a copy (transposed and/or zero-padded to
 * nr columns) in a stack buffer — then every row block of C runs against all
 * the block's panels, so C is written row segment by row segment and the
 * panels stay in cache. A block of copied panels fills at most MM_BUF doubles
 * (at least one 8-column panel: K <= MM_KMAX). */
enum { MM_BUF = MM_KMAX * MM_NR, MM_BLOCK = 2048, MM_PANELS = MM_BUF / MM_NR };
MM_AI void mm_tiles_ta(const int wide, const int ta, int tb, int M, int N, int K, double alpha, const double *A,
                       const double *B, double beta, const double *bias, double *C)
{
	double buf[MM_BUF];
	const double *pb[MM_PANELS];
	size_t pld[MM_PANELS];
	int pw[MM_PANELS];
	int nb = (MM_BLOCK / K) & ~(MM_NR - 1);   /* columns per block: about MM_BLOCK doubles of panels */
	if (nb < MM_NR)
		nb = MM_NR;
	for (int j0 = 0; j0 < N; j0 += nb) {
		int jn = N - j0 < nb ? N - j0 : nb, np = 0;
		double *dst = buf;
		for (int j = 0; j < jn; np++) {
			int w = jn - j, nr = w >= 5 ? MM_NR : w >= 2 ? 4 : 1, jc = j0 + j;
			if (w > nr)
				w = nr;
			pw[np] = w;
			if (nr == 1) {                      /* one column: contiguous in k either way */
				pb[np] = tb ? B + (size_t)jc * K : B + jc;
				pld[np] = tb ? 1 : (size_t)N;
			} else if (!tb && w == nr) {        /* rows of B, as stored */
				pb[np] = B + jc;
				pld[np] = (size_t)N;
			} else if (tb && w == nr && nr > 1) {  /* op(B) = Bᵀ, a full panel: 4×4 transposes */
				int k = 0;
				for (; k + 4 <= K; k += 4)
					for (int t = 0; t < nr; t += 4) {
						mm_v4 col[4];
						mm_tr4(B + (size_t)(jc + t) * K + k, (size_t)K, col);
						for (int u = 0; u < 4; u++)
							__builtin_memcpy(dst + (size_t)(k + u) * nr + t, &col[u], sizeof col[u]);
					}
				for (; k < K; k++)
					for (int t = 0; t < nr; t++)
						dst[(size_t)k * nr + t] = B[(size_t)(jc + t) * K + k];
				pb[np] = dst;
				pld[np] = (size_t)nr;
				dst += (size_t)K * nr;
			} else {                            /* a copy: op(B)[:, jc:jc+w], zero-padded to nr */
				for (int t = 0; t < nr; t++) {
					double *d = dst + t;
					if (t >= w)
						for (int k = 0; k < K; k++)
							d[(size_t)k * nr] = 0.0;
					else if (tb)
						for (int k = 0; k < K; k++)
							d[(size_t)k * nr] = B[(size_t)(jc + t) * K + k];
					else
						for (int k = 0; k < K; k++)
							d[(size_t)k * nr] = B[(size_t)k * N + jc + t];
				}
				pb[np] = dst;
				pld[np] = (size_t)nr;
				dst += (size_t)K * nr;
			}
			j += w;
		}
		int i = 0;
		for (; i + MM_MR1 <= M; i += MM_MR1)
			mm_row_block(wide, MM_MR1, ta, M, K, A, i, pb, pld, pw, np, j0, alpha, beta, bias, C, (size_t)N);
		/* the last M mod 8 rows: a 4-row block (independent accumulators; one
		 * row alone waits on the latency of each addition, K times), then
		 * single rows. The same sums, grouped differently. */
		if (i + 4 <= M) {
			mm_row_block(wide, 4, ta, M, K, A, i, pb, pld, pw, np, j0, alpha, beta, bias, C, (size_t)N);
			i += 4;
		}
		for (; i < M; i++)
			mm_row_block(wide, 1, ta, M, K, A, i, pb, pld, pw, np, j0, alpha, beta, bias, C, (size_t)N);
	}
}

MM_AI void mm_tiles(const int wide, int ta, int tb, int M, int N, int K, double alpha, const double *A,
                    const double *B, double beta, const double *bias, double *C)
{
	if (ta)
		mm_tiles_ta(wide, 1, tb, M, N, K, alpha, A, B, beta, bias, C);
	else
		mm_tiles_ta(wide, 0, tb, M, N, K, alpha, A, B, beta, bias, C);
}

/* One product on the built-in kernels, by shape (see the top of the file). */
MM_AI void mm_own_one(const int wide, int ta, int tb, int M, int N, int K, double alpha, const double *A,
                      const double *B, double beta, const double *bias, double *C)
{
	if (K == 1)
		mm_outer(M, N, alpha, A, B, beta, bias, C);
	else if (M == 1 && !tb)             /* c = a B: op(A) row is A[0..K) in either storage */
		mm_vecmat(N, K, alpha, A, B, (size_t)N, beta, bias, 1, C);
	else if (N == 1 && ta)              /* c = Aᵀ b, A stored (K, M) */
		mm_vecmat(M, K, alpha, B, A, (size_t)M, beta, bias, 0, C);
	else if (N == 1)                    /* c = A b, rows of A */
		mm_rowdot(M, K, alpha, A, (size_t)K, B, beta, bias, 0, C, 1);
	else if (M == 1)                    /* c = a Bᵀ: rows of B (tb) against a */
		mm_rowdot(N, K, alpha, B, (size_t)K, A, beta, bias, 1, C, 1);
	else
		mm_tiles(wide, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
}

/* count products C_s = alpha op(A_s) op(B_s) + beta C_s (+ bias), X_s = X + s·sx,
 * with alpha = 1 and beta = 0 compiled as constants. */
MM_AI void mm_own_loop(const int wide, int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M,
                       int N, int K, double alpha, const double *A, const double *B, double beta,
                       const double *bias, double *C)
{
	if (K >= 2 && K <= MM_SK && M > 1 && N > 1) {   /* short sums: linalg_short.c */
		mm_short_v3(count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
		return;
	}
	if (K > MM_SK && !tb && M > 1 && M <= MM_FEW_M && N > 1 && N <= 8) {
		mm_few_v3(count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
		return;
	}
	if (beta == 0.0 && alpha == 1.0)
		for (int s = 0; s < count; s++)
			mm_own_one(wide, ta, tb, M, N, K, 1.0, A + s * sa, B + s * sb, 0.0, NULL, C + s * sc);
	else if (beta == 0.0)
		for (int s = 0; s < count; s++)
			mm_own_one(wide, ta, tb, M, N, K, alpha, A + s * sa, B + s * sb, 0.0, NULL, C + s * sc);
	else if (bias && alpha == 1.0)
		for (int s = 0; s < count; s++)
			mm_own_one(wide, ta, tb, M, N, K, 1.0, A + s * sa, B + s * sb, 1.0, bias, C + s * sc);
	else if (bias)
		for (int s = 0; s < count; s++)
			mm_own_one(wide, ta, tb, M, N, K, alpha, A + s * sa, B + s * sb, 1.0, bias, C + s * sc);
	else if (alpha == 1.0 && beta == 1.0)
		for (int s = 0; s < count; s++)
			mm_own_one(wide, ta, tb, M, N, K, 1.0, A + s * sa, B + s * sb, 1.0, NULL, C + s * sc);
	else
		for (int s = 0; s < count; s++)
			mm_own_one(wide, ta, tb, M, N, K, alpha, A + s * sa, B + s * sb, beta, NULL, C + s * sc);
}
#endif
