/* linalg.c — cblas/LAPACK wrappers and their naive reference twins. The twins
 * exist for the tests only: a test flips linalg_use_reference(1) and compares a
 * whole forward/backward against the BLAS path.
 * mm() sends small products (at most MM_SMALL multiply-adds) to a register-
 * blocked C kernel, large ones to cblas_dgemm (see mm_small below). */
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

/* Small products. Below MM_SMALL multiply-adds a BLAS call costs more in
 * dispatch, locking and packing than the arithmetic, so mm() runs this kernel:
 * tiles of MM_MR rows × NR columns of C (NR = 8, 4 or 1) held in registers as
 * GCC vectors of 4 doubles. Every element of C is summed over k in ascending
 * order from 0 and then written alpha·s + beta·c, exactly as mm_ref does (no
 * reassociation, no contraction to FMA under -std=c11): the small path gives
 * the reference twin's bits whatever the vector width, so the clones below
 * agree with each other to the bit.
 * op(B) is read as (K, NR) panels whose rows are contiguous; a transposed or
 * ragged panel is first copied (zero-padded) into a stack buffer of
 * MM_KMAX·MM_NR doubles, hence K <= MM_KMAX.
 * mm_small is compiled twice (target_clones): for x86-64-v3 (AVX2, 4 doubles
 * per instruction) and for the baseline x86-64 (SSE2), chosen once at load
 * time by the CPU; no -march flag, the binary runs on any x86-64. Crossover
 * with dgemm measured with the shapes of the presets (bench_step). */
enum { MM_SMALL = 32768, MM_MR = 4, MM_NR = 8, MM_KMAX = 1024 };

typedef double mm_v4 __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) mm_v4 mm_load4(const double *p)
{
	mm_v4 v;
	__builtin_memcpy(&v, p, sizeof v);
	return v;
}

/* C[r, j] = alpha Σ_k a[r][k·ks] b[k·ldb + j] + beta C[r, j], k ascending, for
 * r < mr, j < w <= nr; mr and nr are constants after inlining. */
static inline __attribute__((always_inline)) void mm_tile(const int mr, const int nr, int K,
                                                          const double *const *a, size_t ks,
                                                          const double *restrict b, size_t ldb,
                                                          int w, double alpha, double beta,
                                                          double *C, size_t ldc)
{
	mm_v4 c0[MM_MR], c1[MM_MR];
	double c2[MM_MR];
	for (int r = 0; r < mr; r++) {
		c0[r] = c1[r] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
		c2[r] = 0.0;
	}
	for (int k = 0; k < K; k++) {
		const double *restrict bk = b + (size_t)k * ldb;
		if (nr == 1) {
			double b0 = bk[0];
			for (int r = 0; r < mr; r++)
				c2[r] += a[r][(size_t)k * ks] * b0;
			continue;
		}
		mm_v4 b0 = mm_load4(bk), b1 = nr == 8 ? mm_load4(bk + 4) : b0;
		for (int r = 0; r < mr; r++) {
			double ar = a[r][(size_t)k * ks];
			mm_v4 av = { ar, ar, ar, ar };
			c0[r] += av * b0;
			if (nr == 8)
				c1[r] += av * b1;
		}
	}
	for (int r = 0; r < mr; r++) {
		double acc[MM_NR];
		if (nr == 1) {
			acc[0] = c2[r];
		} else {
			__builtin_memcpy(acc, &c0[r], sizeof c0[r]);
			if (nr == 8)
				__builtin_memcpy(acc + 4, &c1[r], sizeof c1[r]);
		}
		double *cr = C + (size_t)r * ldc;
		for (int j = 0; j < w; j++)
			cr[j] = alpha * acc[j] + (beta == 0.0 ? 0.0 : beta * cr[j]);
	}
}

/* All rows of C against one panel b (K, nr) of column width w <= nr. */
static inline __attribute__((always_inline)) void mm_panel(const int nr, int ta, int M, int K, double alpha,
                                                           const double *A, const double *b, size_t ldb,
                                                           int w, double beta, double *C, size_t ldc)
{
	size_t rs = ta ? 1 : (size_t)K, ks = ta ? (size_t)M : 1;
	const double *a[MM_MR];
	int i = 0;
	for (; i + MM_MR <= M; i += MM_MR) {
		for (int r = 0; r < MM_MR; r++)
			a[r] = A + (size_t)(i + r) * rs;
		mm_tile(MM_MR, nr, K, a, ks, b, ldb, w, alpha, beta, C + (size_t)i * ldc, ldc);
	}
	for (; i < M; i++) {
		a[0] = A + (size_t)i * rs;
		mm_tile(1, nr, K, a, ks, b, ldb, w, alpha, beta, C + (size_t)i * ldc, ldc);
	}
}

/* C (M,N) = alpha op(A) op(B) + beta C for K <= MM_KMAX (see above). */
__attribute__((target_clones("arch=x86-64-v3", "default")))
static void mm_small(int ta, int tb, int M, int N, int K, double alpha, const double *A,
                     const double *B, double beta, double *C)
{
	double buf[MM_KMAX * MM_NR];
	for (int j0 = 0; j0 < N; ) {
		int w = N - j0, nr = w >= 5 ? MM_NR : w >= 2 ? 4 : 1;
		if (w > nr)
			w = nr;
		const double *b;
		size_t ldb;
		if (nr == 1) {                      /* one column: contiguous in k either way */
			b = tb ? B + (size_t)j0 * K : B + j0;
			ldb = tb ? 1 : (size_t)N;
		} else if (!tb && w == nr) {        /* rows of B, as stored */
			b = B + j0;
			ldb = (size_t)N;
		} else {                            /* copy op(B)[:, j0:j0+w], zero-padded to nr */
			for (int k = 0; k < K; k++)
				for (int j = 0; j < nr; j++)
					buf[(size_t)k * nr + j] = j >= w ? 0.0
					                        : tb ? B[(size_t)(j0 + j) * K + k] : B[(size_t)k * N + j0 + j];
			b = buf;
			ldb = (size_t)nr;
		}
		if (nr == MM_NR)
			mm_panel(MM_NR, ta, M, K, alpha, A, b, ldb, w, beta, C + j0, (size_t)N);
		else if (nr == 4)
			mm_panel(4, ta, M, K, alpha, A, b, ldb, w, beta, C + j0, (size_t)N);
		else
			mm_panel(1, ta, M, K, alpha, A, b, ldb, w, beta, C + j0, (size_t)N);
		j0 += w;
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
	if ((double)M * N * K <= MM_SMALL && K <= MM_KMAX) {
		mm_small(ta, tb, M, N, K, alpha, A, B, beta, C);
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
