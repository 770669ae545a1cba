/* linalg_v3.c — the built-in matrix-product kernels (linalg_kern.h) compiled for
 * x86-64-v3 (AVX2 + FMA), the build mm() runs on AVX2 CPUs.
 * The Makefile compiles this file with its -march; linalg.c calls it only
 * after checking the CPU. */
#define MM_KERN_BODY
#define MM_KERN_WIDE 0
#include "linalg_kern.h"

void mm_own_v3(MM_OWN_PARAMS)
{
	mm_own_loop(MM_KERN_WIDE, count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
}
