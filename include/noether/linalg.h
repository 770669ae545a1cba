/* linalg.h — the dense kernels the blocks use: built-in shape-aware kernels
 * (which give the naive reference twin's bits) and cblas dgemm for large
 * products, with a naive reference twin for each (tests switch to the twins
 * with linalg_use_reference(1) and compare). Row-major throughout.
 *   mm(ta, tb, M, N, K, alpha, A, B, beta, C):  C (M,N) = alpha op(A) op(B) + beta C
 *   op(A) is (M,K), op(B) is (K,N); ta/tb non-zero mean transposed storage. */
#ifndef NOETHER_LINALG_H
#define NOETHER_LINALG_H
#include <stddef.h>

void mm(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
        double beta, double *C);
/* count products of one shape, C_s = alpha op(A_s) op(B_s) + beta C_s with
 * A_s = A + s·sa, B_s = B + s·sb, C_s = C + s·sc (doubles), s < count: the
 * same results as count calls of mm(), without a dispatch per product (the
 * per-sample T×T products of attention). */
void mm_batch(int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M, int N, int K,
              double alpha, const double *A, const double *B, double beta, double *C);
/* C = alpha op(A) op(B) + 1·biasᵀ: every row of C gets bias (N doubles) added,
 * in the store of the product — the bits of filling C's rows with bias and
 * calling mm(..., 1.0, C) (a dense layer's forward, without the extra pass). */
void mm_bias(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
             const double *bias, double *C);
/* s[j] += Σ_r X[r, j] over the R rows of X (R, N), r ascending for each j (a
 * bias gradient: the column sums of ∂y). */
void colsum_add(int R, int N, const double *X, double *s);
/* The naive reference version of mm (always available): for each element of
 * C, s = 0, then s = fma(op(A)[i,k], op(B)[k,j], s) for k ascending, then
 * alpha·s + beta·c (beta = 0: C not read). The built-in kernels give its bits. */
void mm_ref(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
            double beta, double *C);
/* 1: mm uses mm_ref (tests only). Returns the previous setting. */
int linalg_use_reference(int on);
/* Benchmarks and tests: which products mm, mm_bias and mm_batch send to the
 * built-in kernels — by shape (AUTO, the default), every one they take (OWN:
 * K <= 1024, or a side of length 1), or none (BLAS). Returns the previous. */
enum { LINALG_PATH_AUTO, LINALG_PATH_OWN, LINALG_PATH_BLAS };
int linalg_set_path(int path);
/* The path mm() takes for a product of that shape under the current setting. */
int linalg_path_for(int ta, int tb, int M, int N, int K);
/* Tests: which build of the built-in kernels runs — AVX2, AVX-512, or
 * AVX2_WIDE (the AVX-512 build's 8-double tiles compiled for AVX2, so its code
 * paths run anywhere AVX2 does), or SSE2 (none: every product to BLAS); AUTO:
 * the best this CPU runs (the default). Returns 0, or -1 if this CPU cannot
 * run it. linalg_isa(): the one in use. */
enum { LINALG_ISA_AUTO = -1, LINALG_ISA_SSE2, LINALG_ISA_AVX2, LINALG_ISA_AVX512, LINALG_ISA_AVX2_WIDE };
int linalg_set_isa(int isa);
int linalg_isa(void);
/* Σ x_i y_i in eight partial sums (term i into sum i mod 8) added pairwise at
 * the end: the order of sum_squares (dot(n, x, x) is sum_squares(n, x)). */
double dot(int n, const double *x, const double *y);
/* Σ x_i² in a fixed order of eight partial sums (faster than dot(x, x), equal
 * to it up to rounding; the same bits every run). */
double sum_squares(int n, const double *x);
/* x[i] = e^{x[i]} for i < n, vectorised; within 2 ulp of exp(), exp's
 * behaviour at ±inf, NaN, overflow and underflow. */
void exp_array(int n, double *x);
void axpy(int n, double a, const double *x, double *y);

/* Symmetric eigen-decomposition (LAPACK dsyevd): A (n,n) row-major is
 * overwritten by eigenvectors (columns), w gets eigenvalues ascending.
 * Returns 0 or a LAPACK info code. */
int sym_eig(int n, double *A, double *w);
/* Singular values of A (m,n) row-major (A destroyed), s[min(m,n)] descending.
 * Returns 0 or a LAPACK info code. */
int svd_values(int m, int n, double *A, double *s);
/* Sets the BLAS thread count (1 by default for bit reproducibility). */
void linalg_set_threads(int n);
#endif
