/* lie_impl.h — helpers shared by the law-counting files (lie.c: counting and
 * ranks; lie_gen.c: field generators and the activation census; lie_find.c:
 * discovery). Not part of the public API. */
#ifndef NOETHER_LIE_IMPL_H
#define NOETHER_LIE_IMPL_H
#include <stddef.h>
#include <stdint.h>
#include "noether/lie.h"

/* Euclidean norm (plain loop; n is at most a few times D). */
double lie_nrm2(size_t n, const double *x);
/* A 64-bit seed from a user seed and an index (splitmix-style mixing). */
uint64_t lie_mix_seed(unsigned long seed, long k);
/* 1 when every x[i] is finite. */
int lie_all_finite(size_t n, const double *x);
/* Copies the singular values s[0..n) around rank r into a window of at most
 * 2·LIE_NSV values: *first is the 1-based index of out[0]. */
void lie_sv_window(const double *s, int n, int r, int *first, int *nsv, double *out);
/* Singular values (descending, min(m,n) of them) and, when vt != NULL, the
 * right singular vectors as rows of vt (min(m,n), n) of A (m, n) row-major
 * (A destroyed). Returns 0 or a LAPACK info code. */
int lie_svd(int m, int n, double *A, double *s, double *vt);
/* Null space of the symmetric positive semi-definite S (n, n), destroyed,
 * through a pivoted Cholesky factorisation (LAPACK dpstrf, blocked level 3):
 * pivots at most tol end the factorisation. *rank gets its rank, *null a new
 * array of (n − rank, n) rows spanning the null space (each of unit length),
 * vals the factorisation's pivots |R_kk| for k < rank followed by the square
 * roots of the Schur complement's diagonal (largest first): a rank-revealing
 * stand-in for the singular values of a matrix whose Gram matrix S is. Returns
 * 0 or a LAPACK info code (negative). */
int lie_psd_null(int n, double *S, double tol, int *rank, double **null, double *vals);
/* Reports progress when a callback is set. */
void lie_progress(lie_progress_fn fn, void *ctx, double frac, const char *stage);
/* Relative rate |<∇h, X>| / (|∇h| |X|) of component c of q against X at θ;
 * g is scratch of D doubles. 0 when either gradient vanishes. */
double lie_rate(const struct quantity *q, int c, const double *theta, const double *X, size_t D, double *g);
#endif
