/* seqmm.h — the small-matrix product shared by the sequence blocks (attn.c,
 * lattn.c): per-sample T×T score products, tiny for short sequences. It is
 * mm() (whose small-product kernel avoids the BLAS call overhead there); kept
 * as a name so the per-sample call sites read as such.
 * Same contract as mm(): C (M,N) = alpha op(A) op(B) + beta C, row-major. */
#ifndef NOETHER_SEQMM_H
#define NOETHER_SEQMM_H
#include <stddef.h>
#include "noether/linalg.h"

static inline void seq_mm(int ta, int tb, int M, int N, int K, double alpha, const double *A,
                          const double *B, double beta, double *C)
{
	/* mm() itself now runs small products in a register-blocked C kernel
	 * (linalg.c), faster than the plain loops that used to live here */
	mm(ta, tb, M, N, K, alpha, A, B, beta, C);
}
#endif
