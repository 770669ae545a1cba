/* linalg.c — the dense kernels of a training step, and their reference twins.
 *
 * mm() computes C = alpha op(A) op(B) + beta C. Each product goes either to a
 * built-in kernel or to cblas_dgemm (mm_use_own says which, by shape). The
 * built-in kernels follow the shape:
 *   - outer products (K = 1);
 *   - vector × matrix: M = 1 with B as stored, or N = 1 with A transposed
 *     (c = Σ_k s_k R[k, :], accumulated row by row of R in vector registers);
 *   - matrix × vector: N = 1 with A as stored, or M = 1 with B transposed
 *     (dot products of rows, four rows in the lanes of one vector);
 *   - short sums (2 <= K <= 8): a panel of op(B) held in registers while
 *     the rows of C stream past it (linalg_short.c);
 *   - few outputs (at most 6 × 8, op(B) = B, any K): all of C in one tile,
 *     so that its K-long chains run side by side (linalg_short.c);
 *   - register tiles for everything else.
 * Every one of them gives mm_ref's bits: each element of C is accumulated over
 * k in ascending order from 0, one fused multiply-add per term (s ← fma(a, b,
 * s), rounded once, as C's fma()), then written alpha·s + beta·c, a product
 * and a sum each rounded (beta = 0: C is not read) — no other reassociation
 * or contraction (-std=c11 implies -ffp-contract=off). So the built-in path is
 * the reference twin exactly, in every build below; only products sent to
 * BLAS differ from it, by rounding. The kernels are built for CPUs with FMA
 * (x86-64-v3 and up, linalg_kern.h); on older ones mm() sends every product
 * to BLAS.
 * mm_bias() is mm() with a dense layer's bias fused into the store: C = alpha
 * op(A) op(B) + 1·bᵀ, the bits of filling C with the rows b then mm(..., 1, C).
 * Also here: colsum_add (bias gradients), exp_array (softmax, SiLU), dot,
 * sum_squares, axpy, and the LAPACK calls of `laws count`. The naive twins
 * (mm_ref) exist for the tests: linalg_use_reference(1) routes mm through them. */
#include "noether/linalg.h"
#include "noether/util.h"
#include "linalg_kern.h"
#include <cblas.h>
#include <math.h>
#include <stdint.h>
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
				s = fma(a, b, s);
			}
			double *c = &C[(size_t)i * N + j];
			*c = alpha * s + (beta == 0.0 ? 0.0 : beta * *c);
		}
}

/* The kernels live in linalg_kern.h, compiled once per instruction set
 * (linalg_v3.c, linalg_v4.c, linalg_v3w.c); here: which one runs, and when. */
typedef void (*mm_own_fn)(MM_OWN_PARAMS);
static mm_own_fn mm_own;        /* chosen on first use (the core is single-threaded) */
static int mm_isa = -1;         /* LINALG_ISA_* of mm_own */
static int mm_path = LINALG_PATH_AUTO;

/* The best of the builds this CPU runs: the feature sets of x86-64-v4 and v3
 * (the ones the target attributes above compile for). */
#if defined(__clang__) && __clang_major__ < 15
#define CPU_F16C() 1            /* clang 14 cannot ask; every AVX2 CPU has it */
#else
#define CPU_F16C() __builtin_cpu_supports("f16c")
#endif
static int cpu_isa(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")
	    && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd")
	    && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
		return LINALG_ISA_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi")
	    && __builtin_cpu_supports("bmi2") && CPU_F16C())
		return LINALG_ISA_AVX2;
	return LINALG_ISA_SSE2;
}

int linalg_set_isa(int isa)
{
	int best = cpu_isa();
	if (isa == LINALG_ISA_AUTO)
		isa = best;
	if (isa < LINALG_ISA_SSE2 || isa > LINALG_ISA_AVX2_WIDE
	    || (isa == LINALG_ISA_AVX512 && best != LINALG_ISA_AVX512)
	    || ((isa == LINALG_ISA_AVX2 || isa == LINALG_ISA_AVX2_WIDE) && best == LINALG_ISA_SSE2))
		return -1;
	/* SSE2: no kernels (no FMA instruction); mm() sends every product to BLAS */
	static const mm_own_fn fns[] = { NULL, mm_own_v3, mm_own_v4, mm_own_v3w };
	mm_own = fns[isa];
	mm_isa = isa;
	return 0;
}

int linalg_isa(void)
{
	if (mm_isa < 0)
		linalg_set_isa(LINALG_ISA_AUTO);
	return mm_isa;
}

int linalg_set_path(int path)
{
	int old = mm_path;
	mm_path = path;
	return old;
}

/* Built-in kernel or BLAS? Measured per shape against OpenBLAS 0.3.21 on one
 * core (bench/bench_mm.c, and instruction counts under callgrind): the
 * built-in kernels win for outer products and vector × matrix (no packing, no
 * call overhead), for matrix × vector while the rows are short (K <=
 * MM_OWN_DOTK: keeping each row's sum in k order costs a transpose, which
 * dgemv, free to reassociate, does not pay), and for tiles up to MM_OWN_MNK
 * multiply-adds, or any size when K <= MM_OWN_SMALLK (dgemm's packing is not
 * repaid by so few terms); BLAS takes larger products (dgemv for a side of 1),
 * and K > MM_KMAX (the panel buffer). */
enum { MM_OWN_MNK = 1 << 18, MM_OWN_SMALLK = 16, MM_OWN_DOTK = 16 };

static int mm_use_own(int ta, int tb, int M, int N, int K)
{
	if (linalg_isa() == LINALG_ISA_SSE2)    /* no FMA instruction: no kernels */
		return 0;
	if (mm_path != LINALG_PATH_AUTO)
		return mm_path == LINALG_PATH_OWN && (K <= MM_KMAX || K == 1 || M == 1 || N == 1);
	if (K == 1 || (M == 1 && !tb) || (N == 1 && ta))
		return 1;
	if (M == 1 || N == 1)
		return K <= MM_OWN_DOTK;
	if (K > MM_KMAX)
		return 0;
	return K <= MM_OWN_SMALLK || (double)M * N * K <= MM_OWN_MNK;
}

int linalg_path_for(int ta, int tb, int M, int N, int K)
{
	return mm_use_own(ta, tb, M, N, K) ? LINALG_PATH_OWN : LINALG_PATH_BLAS;
}

static void mm_dispatch(int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M, int N, int K,
                        double alpha, const double *A, const double *B, double beta, const double *bias,
                        double *C)
{
	if (count <= 0 || M <= 0 || N <= 0)
		return;
	if (K <= 0) {
		for (int s = 0; s < count; s++) {
			double *c = C + s * sc;
			for (size_t i = 0; i < (size_t)M * N; i++)
				c[i] = beta == 0.0 ? 0.0 : beta * (bias ? bias[i % (size_t)N] : c[i]);
		}
		return;
	}
	if (use_ref) {
		for (int s = 0; s < count; s++) {
			double *c = C + s * sc;
			if (bias)
				for (size_t i = 0; i < (size_t)M * N; i++)
					c[i] = bias[i % (size_t)N];
			mm_ref(ta, tb, M, N, K, alpha, A + s * sa, B + s * sb, beta, c);
		}
		return;
	}
	if (mm_use_own(ta, tb, M, N, K)) {
		mm_own(count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
		return;
	}
	for (int s = 0; s < count; s++) {
		double *c = C + s * sc;
		if (bias)
			for (int i = 0; i < M; i++)
				for (int j = 0; j < N; j++)
					c[(size_t)i * N + j] = bias[j];
		if (N == 1)         /* c = op(A) b: dgemv skips dgemm's packing (op(B) is K doubles either way) */
			cblas_dgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? K : M, ta ? M : K,
			            alpha, A + s * sa, ta ? M : K, B + s * sb, 1, beta, c, 1);
		else if (M == 1)    /* c = a op(B) = op(B)ᵀ a (op(A) is K doubles either way) */
			cblas_dgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K, tb ? K : N,
			            alpha, B + s * sb, tb ? K : N, A + s * sa, 1, beta, c, 1);
		else
			cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
			            M, N, K, alpha, A + s * sa, ta ? M : K, B + s * sb, tb ? K : N, beta, c, N);
	}
}

void mm(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
        double beta, double *C)
{
	mm_dispatch(1, 0, 0, 0, ta, tb, M, N, K, alpha, A, B, beta, NULL, C);
}

void mm_bias(int ta, int tb, int M, int N, int K, double alpha, const double *A, const double *B,
             const double *bias, double *C)
{
	mm_dispatch(1, 0, 0, 0, ta, tb, M, N, K, alpha, A, B, 1.0, bias, C);
}

void mm_batch(int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M, int N, int K,
              double alpha, const double *A, const double *B, double beta, double *C)
{
	mm_dispatch(count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, NULL, C);
}

/* s[j] += Σ_r X[r, j], r ascending (the bits of the plain loop over rows for
 * each column): 16 columns at a time held in registers over all rows while
 * that block is small enough to stay in cache, the rest row by row (X
 * streams once, s stays in cache). */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void colsum_add(int R, int N, const double *restrict X, double *restrict s)
{
	int j = 0;
	if (N <= 256)
		for (; j + 16 <= N; j += 16) {
			double a[16];
			for (int t = 0; t < 16; t++)
				a[t] = s[j + t];
			for (int r = 0; r < R; r++) {
				const double *x = X + (size_t)r * N + j;
				for (int t = 0; t < 16; t++)
					a[t] += x[t];
			}
			for (int t = 0; t < 16; t++)
				s[j + t] = a[t];
		}
	if (j == N)
		return;
	for (int r = 0; r < R; r++) {
		const double *x = X + (size_t)r * N;
		for (int t = j; t < N; t++)
			s[t] += x[t];
	}
}

/* exp_array: x[i] ← e^{x[i]}, written so the compiler vectorises it (the
 * softmax of attention and the SiLU gates call exp ~10^4 times a step; glibc's
 * scalar exp took a quarter of the mha step). Method: k = round(x/ln 2) by the
 * 1.5·2^52 trick, r = x - k ln 2 in two parts (Cody–Waite; k·LN2_HI is exact),
 * e^r by its Taylor series to r^13 (|r| <= 0.35: truncation < 5e-18; Estrin's
 * scheme, so the vector lanes do not wait on one long chain), then the
 * scaling 2^k applied as 2^h · 2^(k-h), h ≈ k/2, so that both factors are
 * normal numbers: results underflow gradually to 0 below -745 and overflow to
 * inf above 709.78 like exp. Inputs are clamped to ±800 first (NaN passes
 * through: both comparisons are false). Error within 2 ulp of the exact value
 * (checked against exp in test_fastpaths); same bits in every clone (no FMA,
 * no reassociation). */
static const double EXP_SHIFT = 6755399441055744.0;            /* 1.5·2^52 */
static const double EXP_LOG2E = 1.4426950408889634074;
static const double EXP_LN2_HI = 6.93147180369123816490e-01;   /* ln 2, upper 32 bits */
static const double EXP_LN2_LO = 1.90821492927058770002e-10;

static inline __attribute__((always_inline)) double exp_pow2(double kf)
{
	/* 2^kf for an integer-valued kf in [-1022, 1023]: its bits */
	double t = kf + EXP_SHIFT;
	uint64_t u, m;
	__builtin_memcpy(&u, &t, sizeof u);
	__builtin_memcpy(&m, &EXP_SHIFT, sizeof m);
	u = (u - m + 1023u) << 52;
	__builtin_memcpy(&t, &u, sizeof t);
	return t;
}

/* e^r by the series above, r = v - kf·ln 2 (v within ±800, kf = round(v/ln 2)). */
static inline __attribute__((always_inline)) double exp_series(double v, double kf)
{
	double r = (v - kf * EXP_LN2_HI) - kf * EXP_LN2_LO;
	/* Σ_{j<=13} r^j / j! by Estrin's scheme: pairs, then r², r⁴, r⁸ —
	 * a dependency chain of 4 multiply-adds instead of Horner's 13 */
	double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
	double q0 = 1.0 + r, q1 = 1.0 / 2 + r * (1.0 / 6), q2 = 1.0 / 24 + r * (1.0 / 120);
	double q3 = 1.0 / 720 + r * (1.0 / 5040), q4 = 1.0 / 40320 + r * (1.0 / 362880);
	double q5 = 1.0 / 3628800 + r * (1.0 / 39916800), q6 = 1.0 / 479001600 + r * (1.0 / 6227020800.0);
	double s0 = q0 + r2 * q1, s1 = q2 + r2 * q3, s2 = q4 + r2 * q5;
	return (s0 + r4 * s1) + r8 * (s2 + r4 * q6);
}

/* When every input lies in [-700, 700] (the usual case: softmax exponents are
 * <= 0 and moderate, SiLU's -u small), 2^k is applied in one multiplication:
 * p·2^k is then a normal number, so p·2^h·2^(k-h) and p·2^k are both exact
 * and give the same bits; the clamp is not needed either. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void exp_array(int n, double *x)
{
	int in_range = 1;
	for (int i = 0; i < n; i++)   /* NaN compares false: out of range */
		in_range &= (x[i] >= -700.0) & (x[i] <= 700.0);
	if (in_range) {
		for (int i = 0; i < n; i++) {
			double v = x[i];
			double kf = (v * EXP_LOG2E + EXP_SHIFT) - EXP_SHIFT;
			x[i] = exp_series(v, kf) * exp_pow2(kf);
		}
		return;
	}
	for (int i = 0; i < n; i++) {
		double v = x[i];
		v = v < -800.0 ? -800.0 : v;
		v = v > 800.0 ? 800.0 : v;
		double kf = (v * EXP_LOG2E + EXP_SHIFT) - EXP_SHIFT;
		double p = exp_series(v, kf);
		double h = (kf * 0.5 + EXP_SHIFT) - EXP_SHIFT;
		x[i] = p * exp_pow2(h) * exp_pow2(kf - h);
	}
}

/* Eight partial sums (term i into sum i mod 8), added pairwise at the end, as
 * sum_squares: dot(n, x, x) is sum_squares(n, x), bit for bit. The chain of n
 * dependent additions of the plain loop (the rate check of every law runs
 * two dots over θ per component and check point) becomes n/8 chains. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
double dot(int n, const double *x, const double *y)
{
	double s[8] = { 0 };
	int i = 0;
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++)
			s[l] += x[i + l] * y[i + l];
	for (int l = 0; i < n; i++, l++)
		s[l] += x[i] * y[i];
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* Eight partial sums, one per lane of a vector, added pairwise at the end: the
 * chain of n dependent additions in dot() (3 cycles each: ~0.35 µs for the
 * 385 gradient entries of relu2, every step) becomes n/8. A different, fixed
 * order from dot(): the result differs from it at rounding level only. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
double sum_squares(int n, const double *x)
{
	double s[8] = { 0 };
	int i = 0;
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++)
			s[l] += x[i + l] * x[i + l];
	for (int l = 0; i < n; i++, l++)
		s[l] += x[i] * x[i];
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
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
