/* linalg.c — cblas/LAPACK wrappers and their naive reference twins. The twins
 * exist for the tests only: a test flips linalg_use_reference(1) and compares a
 * whole forward/backward against the BLAS path.
 * mm() and mm_batch() send small products (at most MM_SMALL multiply-adds) to
 * a register-blocked C kernel, large ones to cblas_dgemm (see mm_small below).
 * Also vectorised elementwise helpers of the training step: exp_array (the
 * exponentials of softmax and SiLU) and sum_squares (‖g‖²). */
#include "noether/linalg.h"
#include "noether/util.h"
#include <cblas.h>
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
 * The kernel is compiled three times: mm_small for x86-64-v3 (AVX2, 4 doubles
 * per instruction) and for the baseline x86-64 (SSE2) by target_clones, and
 * mm_small_avx512 for x86-64-v4 (8-column tiles in one 8-double vector); mm()
 * picks one from the CPU at run time (no -march flag: the binary runs on any
 * x86-64, and all three give the same bits). Crossover with dgemm: see
 * mm_use_small. */
enum { MM_SMALL = 65536, MM_MR = 4, MM_MR1 = 8, MM_NR = 8, MM_KMAX = 1024 };

typedef double mm_v4 __attribute__((vector_size(32)));

/* cr[0..3] = alpha c + beta cr (beta = 0: cr ignored), as mm_ref rounds it. */
static inline __attribute__((always_inline)) void mm_store4(double *cr, const mm_v4 *c, double alpha, double beta)
{
	mm_v4 al = { alpha, alpha, alpha, alpha }, v = al * *c, old;
	if (beta == 0.0) {
		v += (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
	} else {
		mm_v4 be = { beta, beta, beta, beta };
		__builtin_memcpy(&old, cr, sizeof old);
		v += be * old;
	}
	__builtin_memcpy(cr, &v, sizeof v);
}

/* C[r, j] = alpha Σ_k a[r][k·ks] b[k·ldb + j] + beta C[r, j], k ascending, for
 * r < mr, j < w <= nr; mr and nr are constants after inlining (up to MM_MR1
 * rows of 1 or 4 columns, MM_MR rows of 8: at most 16 vector accumulators). */
static inline __attribute__((always_inline)) void mm_tile(const int mr, const int nr, int K,
                                                          const double *const *a, size_t ks,
                                                          const double *restrict b, size_t ldb,
                                                          int w, double alpha, double beta,
                                                          double *C, size_t ldc)
{
	if (nr == 1) {
		double c[MM_MR1];
		for (int r = 0; r < mr; r++)
			c[r] = 0.0;
		for (int k = 0; k < K; k++) {
			double bk = b[(size_t)k * ldb];
			for (int r = 0; r < mr; r++)
				c[r] += a[r][(size_t)k * ks] * bk;
		}
		for (int r = 0; r < mr; r++) {
			double *cr = C + (size_t)r * ldc;
			*cr = alpha * c[r] + (beta == 0.0 ? 0.0 : beta * *cr);
		}
		return;
	}
	mm_v4 c0[MM_MR1], c1[MM_MR1];
	for (int r = 0; r < mr; r++)
		c0[r] = c1[r] = (mm_v4){ 0.0, 0.0, 0.0, 0.0 };
	for (int k = 0; k < K; k++) {
		const double *restrict bk = b + (size_t)k * ldb;
		mm_v4 b0, b1;
		__builtin_memcpy(&b0, bk, sizeof b0);
		if (nr == 8)
			__builtin_memcpy(&b1, bk + 4, sizeof b1);
		for (int r = 0; r < mr; r++) {
			double ar = a[r][(size_t)k * ks];
			mm_v4 av = { ar, ar, ar, ar };
			c0[r] += av * b0;
			if (nr == 8)
				c1[r] += av * b1;
		}
	}
	for (int r = 0; r < mr; r++) {
		double *cr = C + (size_t)r * ldc;
		if (w == nr) {
			mm_store4(cr, &c0[r], alpha, beta);
			if (nr == 8)
				mm_store4(cr + 4, &c1[r], alpha, beta);
			continue;
		}
		double acc[MM_NR] = { 0 };
		__builtin_memcpy(acc, &c0[r], sizeof c0[r]);
		if (nr == 8)
			__builtin_memcpy(acc + 4, &c1[r], sizeof c1[r]);
		for (int j = 0; j < w; j++)
			cr[j] = alpha * acc[j] + (beta == 0.0 ? 0.0 : beta * cr[j]);
	}
}

/* The AVX-512 variant of an 8-column tile: one vector of 8 doubles per row,
 * MM_MR1 rows (8 independent accumulators hide the add latency). Same sums in
 * the same order as mm_tile. */
typedef double mm_v8 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) void mm_tile_w8(const int mr, int K, const double *const *a,
                                                             size_t ks, const double *restrict b, size_t ldb,
                                                             int w, double alpha, double beta,
                                                             double *C, size_t ldc)
{
	mm_v8 c[MM_MR1];
	for (int r = 0; r < mr; r++)
		c[r] = (mm_v8){ 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0 };
	for (int k = 0; k < K; k++) {
		mm_v8 bk;
		__builtin_memcpy(&bk, b + (size_t)k * ldb, sizeof bk);
		for (int r = 0; r < mr; r++) {
			double ar = a[r][(size_t)k * ks];
			mm_v8 av = { ar, ar, ar, ar, ar, ar, ar, ar };
			c[r] += av * bk;
		}
	}
	for (int r = 0; r < mr; r++) {
		double *cr = C + (size_t)r * ldc;
		if (w == MM_NR) {
			mm_v8 al = { alpha, alpha, alpha, alpha, alpha, alpha, alpha, alpha }, v = al * c[r], old;
			if (beta == 0.0) {
				v += (mm_v8){ 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0 };
			} else {
				mm_v8 be = { beta, beta, beta, beta, beta, beta, beta, beta };
				__builtin_memcpy(&old, cr, sizeof old);
				v += be * old;
			}
			__builtin_memcpy(cr, &v, sizeof v);
			continue;
		}
		double acc[MM_NR] = { 0 };
		__builtin_memcpy(acc, &c[r], sizeof c[r]);
		for (int j = 0; j < w; j++)
			cr[j] = alpha * acc[j] + (beta == 0.0 ? 0.0 : beta * cr[j]);
	}
}

/* All rows of C against one panel b (K, nr) of column width w <= nr; wide:
 * 8-column panels use mm_tile_w8 (AVX-512 build only). */
static inline __attribute__((always_inline)) void mm_panel(const int wide, const int nr, int ta, int M, int K,
                                                           double alpha, const double *A, const double *b,
                                                           size_t ldb, int w, double beta, double *C, size_t ldc)
{
	size_t rs = ta ? 1 : (size_t)K, ks = ta ? (size_t)M : 1;
	const int mr = nr == MM_NR && !wide ? MM_MR : MM_MR1;
	const double *a[MM_MR1];
	int i = 0;
	for (; i + mr <= M; i += mr) {
		for (int r = 0; r < mr; r++)
			a[r] = A + (size_t)(i + r) * rs;
		if (wide && nr == MM_NR)
			mm_tile_w8(mr, K, a, ks, b, ldb, w, alpha, beta, C + (size_t)i * ldc, ldc);
		else
			mm_tile(mr, nr, K, a, ks, b, ldb, w, alpha, beta, C + (size_t)i * ldc, ldc);
	}
	/* AVX-512, 8 columns: the last M mod 8 rows take a 4-row tile first
	 * (independent accumulators; one row alone waits on the latency of each
	 * addition, K times), then single rows. The same sums, grouped differently. */
	if (wide && nr == MM_NR && i + 4 <= M) {
		for (int r = 0; r < 4; r++)
			a[r] = A + (size_t)(i + r) * rs;
		mm_tile_w8(4, K, a, ks, b, ldb, w, alpha, beta, C + (size_t)i * ldc, ldc);
		i += 4;
	}
	for (; i < M; i++) {
		a[0] = A + (size_t)i * rs;
		if (wide && nr == MM_NR)
			mm_tile_w8(1, K, a, ks, b, ldb, w, alpha, beta, C + (size_t)i * ldc, ldc);
		else
			mm_tile(1, nr, K, a, ks, b, ldb, w, alpha, beta, C + (size_t)i * ldc, ldc);
	}
}

/* C (M,N) = alpha op(A) op(B) + beta C for K <= MM_KMAX (see above). */
static inline __attribute__((always_inline)) void mm_small_body(const int wide, int ta, int tb, int M, int N,
                                                                int K, double alpha, const double *A,
                                                                const double *B, double beta, double *C)
{
	if (K == 1) {   /* outer product: op(A) is A[0..M), op(B) is B[0..N) in either storage */
		for (int i = 0; i < M; i++) {
			double *restrict c = C + (size_t)i * N;
			double ai = A[i];
			for (int j = 0; j < N; j++)
				c[j] = alpha * (ai * B[j]) + (beta == 0.0 ? 0.0 : beta * c[j]);
		}
		return;
	}
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
			mm_panel(wide, MM_NR, ta, M, K, alpha, A, b, ldb, w, beta, C + j0, (size_t)N);
		else if (nr == 4)
			mm_panel(wide, 4, ta, M, K, alpha, A, b, ldb, w, beta, C + j0, (size_t)N);
		else
			mm_panel(wide, 1, ta, M, K, alpha, A, b, ldb, w, beta, C + j0, (size_t)N);
		j0 += w;
	}
}

/* count products C_s = alpha op(A_s) op(B_s) + beta C_s, X_s = X + s·sx.
 * beta = 0 (C only written) and alpha = 1 are compiled as constants: the
 * tiles' stores then test nothing per row and skip the scaling (1·x = x
 * exactly, and beta = 0 ignores C in mm_ref too, so the bits are the same). */
static inline __attribute__((always_inline)) void mm_small_loop(const int wide, int count, size_t sa, size_t sb,
                                                                size_t sc, int ta, int tb, int M, int N, int K,
                                                                double alpha, const double *A, const double *B,
                                                                double beta, double *C)
{
	if (beta == 0.0 && alpha == 1.0)
		for (int s = 0; s < count; s++)
			mm_small_body(wide, ta, tb, M, N, K, 1.0, A + s * sa, B + s * sb, 0.0, C + s * sc);
	else if (beta == 0.0)
		for (int s = 0; s < count; s++)
			mm_small_body(wide, ta, tb, M, N, K, alpha, A + s * sa, B + s * sb, 0.0, C + s * sc);
	else
		for (int s = 0; s < count; s++)
			mm_small_body(wide, ta, tb, M, N, K, alpha, A + s * sa, B + s * sb, beta, C + s * sc);
}

__attribute__((target_clones("arch=x86-64-v3", "default")))
static void mm_small(int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M, int N, int K,
                     double alpha, const double *A, const double *B, double beta, double *C)
{
	mm_small_loop(0, count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, C);
}

__attribute__((target("arch=x86-64-v4")))
static void mm_small_avx512(int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M, int N,
                            int K, double alpha, const double *A, const double *B, double beta, double *C)
{
	mm_small_loop(1, count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, C);
}

/* 1 when the CPU runs x86-64-v4 code (AVX-512 F/BW/CD/DQ/VL), else 0; -1 not
 * yet asked (the core is single-threaded; BLAS threads never call mm). */
static int mm_avx512 = -1;

static int mm_cpu_avx512(void)
{
	if (mm_avx512 < 0)
		mm_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
		            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
		            && __builtin_cpu_supports("avx512cd");
	return mm_avx512;
}

/* Small path or BLAS? Measured per shape against OpenBLAS 0.3.21 (its AVX2
 * dgemm/dgemv) on one core of the development machine, median ns, with the
 * shapes of the presets: the C kernel wins for tiny products (call overhead:
 * 8×8×4 37 vs 90 ns), outer products (K = 1: 64×32×1 0.30 vs 0.38 µs), and
 * every product with at least 4 columns and 4 terms up to MM_SMALL multiply-
 * adds when the AVX-512 build runs (64×32×10: 0.96 vs 1.09 µs; 32×10×64: 1.12
 * vs 1.31; 16×8×64: 0.22 vs 0.55), up to MM_SMALL/4 with AVX2 only (64×32×10
 * loses there: 1.35 vs 1.13). dgemv stays on width-1 outputs (64×1×32 ties). */
static int mm_use_small(int M, int N, int K, int avx512)
{
	double mnk = (double)M * N * K;
	if (K > MM_KMAX)
		return 0;
	if (mnk <= 1024 || (K == 1 && mnk <= MM_SMALL))
		return 1;
	return N >= 4 && K >= 4 && mnk <= (avx512 ? MM_SMALL : MM_SMALL / 4);
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
	if (mm_use_small(M, N, K, mm_cpu_avx512())) {
		if (mm_avx512)
			mm_small_avx512(1, 0, 0, 0, ta, tb, M, N, K, alpha, A, B, beta, C);
		else
			mm_small(1, 0, 0, 0, ta, tb, M, N, K, alpha, A, B, beta, C);
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

void mm_batch(int count, size_t sa, size_t sb, size_t sc, int ta, int tb, int M, int N, int K,
              double alpha, const double *A, const double *B, double beta, double *C)
{
	if (count <= 0 || M <= 0 || N <= 0)
		return;
	if (K > 0 && !use_ref && mm_use_small(M, N, K, mm_cpu_avx512())) {
		if (mm_avx512)
			mm_small_avx512(count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, C);
		else
			mm_small(count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, C);
		return;
	}
	for (int s = 0; s < count; s++)
		mm(ta, tb, M, N, K, alpha, A + s * sa, B + s * sb, beta, C + s * sc);
}

double dot(int n, const double *x, const double *y)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += x[i] * y[i];
	return s;
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
