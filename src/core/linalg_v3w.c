/* linalg_v3w.c — the built-in matrix-product kernels (linalg_kern.h) compiled for
 * x86-64-v3 with the AVX-512 build's 8-double tiles (each 8-double operation
 * split in two): never chosen by the CPU check, it lets the tests run the
 * AVX-512 code paths on any AVX2 machine.
 * The Makefile compiles this file with its -march; linalg.c calls it only
 * after checking the CPU. */
#define MM_KERN_BODY
#define MM_KERN_WIDE 1
#include "linalg_kern.h"

void mm_own_v3w(MM_OWN_PARAMS)
{
	mm_own_loop(MM_KERN_WIDE, count, sa, sb, sc, ta, tb, M, N, K, alpha, A, B, beta, bias, C);
}
