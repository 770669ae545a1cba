/* glu.h — the SwiGLU kernel shared by the swiglu block and the experts of the
 * moe block (implemented in swiglu.c). Row-major throughout, R rows:
 *   x (R,d), B (H,d), C (H,d), A (o,H)
 *   u = x B^T (R,H), v = x C^T (R,H), h = SiLU(u) ⊙ v (R,H), y = h A^T (R,o)
 * SiLU(z) = z σ(z). The forward also keeps σ(u) (R,H), so the backward needs
 * no exp. Nothing is allocated; the caller supplies every buffer. */
#ifndef NOETHER_GLU_H
#define NOETHER_GLU_H
#include "noether/block.h"
#include "noether/lawbuild.h"

/* Forward: writes u, v, h, sg = σ(u) (each (R,H)) and y (R,o) = h A^T + beta·y. */
void glu_forward(int R, int d, int H, int o, const double *A, const double *B, const double *C,
                 const double *x, double *u, double *v, double *h, double *sg, double *y, double beta);

/* Backward given dy (R,o) and the forward's u, v, h, sg: ADDS into dA (o,H), dB (H,d),
 * dC (H,d); if dx != NULL writes dx (R,d) = beta·dx + ∂/∂x. ws: 2·R·H doubles. */
void glu_backward(int R, int d, int H, int o, const double *A, const double *B, const double *C,
                  const double *x, const double *u, const double *v, const double *h,
                  const double *sg, const double *dy, double *dA, double *dB, double *dC, double *dx, double beta,
                  double *ws);

/* Declares the rescaling laws of one SwiGLU unit: for each hidden unit i,
 *   ||C[i,:]||^2 - ||A[:,i]||^2   (C → λC row i, A → A/λ column i leaves y unchanged)
 * with p = 1 (C is the "in" side), named NAME<i> after the block's name ("n",
 * "e2.n"), the two single terms as contrasts (unit 0 watched). A (o,H), C (H,d). */
void glu_declare(struct law_decls *d, const struct tensor_view *A, const struct tensor_view *C, int H,
                 const char *name);

#endif
