/* linalg_v4.c — the built-in matrix-product kernels (linalg_kern.h) compiled for
 * x86-64-v4 (AVX-512), 8-column tiles in one 8-double vector.
 * The Makefile compiles this file with its -march; linalg.c calls it only
 * after checking the CPU. */
#define MM_KERN_BODY
#define MM_KERN_WIDE 1
#include "linalg_kern.h"

void mm_own_v4(MM_OWN_PARAMS)
{
	mm_own_loop(MM_KERN_WIDE, count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
}
