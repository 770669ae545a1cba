/* optim.h — the update rules of the discrete optimizers: one step of θ from
 * the gradient, shared by the training step (run.c) and the check that
 * decides what the optimizer in force conserves. The formulas follow PyTorch's
 * torch.optim (1.13, float64, foreach off) operation by operation, so a run
 * matches it to rounding:
 *   gd, sgd    θ ← θ − τ(g + λθ)
 *   momentum   m ← βm + g + λθ;  θ ← θ − τm                     (heavy ball)
 *   adam       g' = g + λθ;  m ← β1 m + (1−β1)g';  v ← β2 v + (1−β2)g'²;
 *              θ ← θ − (τ/(1−β1^t)) · m / (√v/√(1−β2^t) + ε)
 *   adamw      θ ← θ(1 − τλ), then adam with g' = g               (decoupled)
 *   rmsprop    g' = g + λθ;  v ← αv + (1−α)g'²;  θ ← θ − τ g'/(√v + ε)
 *   sign       θ ← θ − τ sign(g + λθ)                              (signSGD)
 * t counts the optimizer's steps from 1. Nothing here allocates. */
#ifndef NOETHER_OPTIM_H
#define NOETHER_OPTIM_H
#include <stddef.h>
#include "noether/experiment.h"

/* State vectors kind k needs: bit 1 the first moment / velocity m, bit 2 the
 * second moment v (each D doubles, zero at the start). */
enum { OPTIM_M = 1, OPTIM_V = 2 };
int optim_state(enum opt_kind k);

/* One step: θ (D doubles) updated in place from gradient g at θ, step size
 * tau, weight decay lam, step count t >= 1; m, v as optim_state says (NULL
 * otherwise). Flow kinds are not discrete steps: they leave θ alone. */
void optim_step(const struct optimizer *o, double tau, double lam, long t, size_t D, double *theta,
                const double *g, double *m, double *v);
#endif
