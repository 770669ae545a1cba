/* linalg.h — the dense kernels the blocks use: thin wrappers over cblas dgemm
 * with a naive reference twin for each (tests switch to the twins with
 * linalg_use_reference(1) and compare). Row-major throughout.
 *   mm(ta, tb, M, N, K, alpha, A, B, beta, C):  C (M,N) = alpha op(A) op(B) + beta C
 *   op(A) is (M,K), op(B) is (K,N); ta/tb non-zero mean transposed storage. */
#ifndef NOETHER_LINALG_H
#define NOETHER_LINALG_H

void mm(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
        double beta, double *C);
/* The naive reference version of mm (always available). */
void mm_ref(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
            double beta, double *C);
/* 1: mm uses mm_ref (tests only). Returns the previous setting. */
int linalg_use_reference(int on);
double dot(int n, const double *x, const double *y);
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
