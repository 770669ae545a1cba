/* linalg.c — cblas/LAPACK wrappers and their naive reference twins. The twins
 * exist for the tests only: a test flips linalg_use_reference(1) and compares a
 * whole forward/backward against the BLAS path. */
#include "noether/linalg.h"
#include "noether/util.h"
#include <cblas.h>
#include <stdlib.h>

static int use_ref;

int linalg_use_reference(int on)
{
	int old = use_ref;
	use_ref = on;
	return old;
}

void mm_ref(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
            double beta, double *C)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0;
			for (int k = 0; k < K; k++) {
				double a = ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
				double b = tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
				s += a * b;
			}
			double *c = &C[(size_t)i * N + j];
			*c = alpha * s + (beta == 0.0 ? 0.0 : beta * *c);
		}
}

void mm(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
        double beta, double *C)
{
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0) {
		for (size_t i = 0; i < (size_t)M * N; i++)
			C[i] = beta == 0.0 ? 0.0 : beta * C[i];
		return;
	}
	if (use_ref) {
		mm_ref(ta, tb, M, N, K, alpha, A, B, beta, C);
		return;
	}
	if (N == 1) {
		/* a matrix-vector product (a width-1 output layer): dgemv skips dgemm's
		 * packing and locking, ~4x faster at 64x32. op(B) is K contiguous
		 * doubles whether stored (K,1) or (1,K). */
		cblas_dgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? K : M, ta ? M : K,
		            alpha, A, ta ? M : K, B, 1, beta, C, 1);
		return;
	}
	cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
	            M, N, K, alpha, A, ta ? M : K, B, tb ? K : N, beta, C, N);
}

double dot(int n, const double *x, const double *y)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += x[i] * y[i];
	return s;
}

void axpy(int n, double a, const double *x, double *y)
{
	for (int i = 0; i < n; i++)
		y[i] += a * x[i];
}

/* LAPACK (Fortran interface, provided by OpenBLAS). */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info);
void openblas_set_num_threads(int);

int sym_eig(int n, double *A, double *w)
{
	/* row-major symmetric = column-major symmetric; eigenvectors come back as
	 * columns of the column-major matrix, i.e. rows of our row-major buffer. We
	 * transpose so callers see eigenvectors as columns. */
	int info = 0, lwork = -1, liwork = -1, iw;
	double wq;
	dsyevd_("V", "U", &n, A, &n, w, &wq, &lwork, &iw, &liwork, &info);
	if (info)
		return info;
	lwork = (int)wq;
	liwork = iw;
	double *work = xmalloc((size_t)lwork * sizeof *work);
	int *iwork = xmalloc((size_t)liwork * sizeof *iwork);
	dsyevd_("V", "U", &n, A, &n, w, work, &lwork, iwork, &liwork, &info);
	free(work);
	free(iwork);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			double t = A[(size_t)i * n + j];
			A[(size_t)i * n + j] = A[(size_t)j * n + i];
			A[(size_t)j * n + i] = t;
		}
	return info;
}

int svd_values(int m, int n, double *A, double *s)
{
	/* A row-major (m,n) is A^T column-major (n,m): same singular values. */
	int info = 0, lwork = -1, M = n, N = m, one = 1;
	int mn = m < n ? m : n;
	double wq, dummy;
	int *iwork = xmalloc((size_t)8 * (size_t)mn * sizeof *iwork);
	dgesdd_("N", &M, &N, A, &M, s, &dummy, &one, &dummy, &one, &wq, &lwork, iwork, &info);
	if (!info) {
		lwork = (int)wq;
		double *work = xmalloc((size_t)lwork * sizeof *work);
		dgesdd_("N", &M, &N, A, &M, s, &dummy, &one, &dummy, &one, work, &lwork, iwork, &info);
		free(work);
	}
	free(iwork);
	return info;
}

void linalg_set_threads(int n)
{
	openblas_set_num_threads(n < 1 ? 1 : n);
}
