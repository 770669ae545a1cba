/* linalg.h — the dense kernels the blocks use: thin wrappers over cblas dgemm
 * with a naive reference twin for each (tests switch to the twins with
 * linalg_use_reference(1) and compare). Row-major throughout.
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
/* The naive reference version of mm (always available). */
void mm_ref(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
            double beta, double *C);
/* 1: mm uses mm_ref (tests only). Returns the previous setting. */
int linalg_use_reference(int on);
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
