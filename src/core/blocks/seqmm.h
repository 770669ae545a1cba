/* seqmm.h — the small-matrix product shared by the sequence blocks (attn.c,
 * lattn.c): per-sample T×T score products are tiny for short sequences, where
 * a BLAS call costs more in locking and packing than the arithmetic. Below
 * SEQ_MM_SMALL multiply-adds seq_mm runs a plain loop, above it mm() (dgemm).
 * Same contract as mm(): C (M,N) = alpha op(A) op(B) + beta C, row-major. */
#ifndef NOETHER_SEQMM_H
#define NOETHER_SEQMM_H
#include <stddef.h>
#include "noether/linalg.h"

#define SEQ_MM_SMALL 16384.0

static inline void seq_mm(int ta, int tb, int M, int N, int K, double alpha, const double *A,
                          const double *B, double beta, double *C)
{
	if ((double)M * N * K > SEQ_MM_SMALL) {
		mm(ta, tb, M, N, K, alpha, A, B, beta, C);
		return;
	}
	for (size_t i = 0; i < (size_t)M * N; i++)
		C[i] = beta == 0.0 ? 0.0 : beta * C[i];
	for (int i = 0; i < M; i++) {
		double *c = C + (size_t)i * N;
		if (!tb) {                       /* B (K,N): c += alpha a_ik B[k,:] */
			for (int k = 0; k < K; k++) {
				double a = alpha * (ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k]);
				const double *bk = B + (size_t)k * N;
				for (int j = 0; j < N; j++)
					c[j] += a * bk[j];
			}
		} else {                         /* B stored (N,K): c_j += alpha <a_i, B[j,:]> */
			for (int j = 0; j < N; j++) {
				const double *bj = B + (size_t)j * K;
				double acc = 0;
				for (int k = 0; k < K; k++)
					acc += (ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k]) * bj[k];
				c[j] += alpha * acc;
			}
		}
	}
}
#endif
