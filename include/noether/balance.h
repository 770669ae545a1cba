/* balance.h — balanced initialisation of deep linear pairs: for consecutive
 * dense layers (W_l, b_l), W_{l+1} find the symmetric positive definite G with
 *     G P G = G^-1 S G^-1,   P = W_l W_l^T + b_l b_l^T,  S = W_{l+1}^T W_{l+1},
 * and apply W_l ← G W_l, b_l ← G b_l, W_{l+1} ← W_{l+1} G^-1 (the product, hence
 * the function, is unchanged). Then the matrix law P - S is zero at θ0. */
#ifndef NOETHER_BALANCE_H
#define NOETHER_BALANCE_H
#include "noether/model.h"

/* Balances every dense→dense pair of m in θ (sweeping until the pairs agree).
 * Returns the number of pairs balanced; *resid gets the largest remaining
 * ||P - S||_F / (||P||_F + ||S||_F) (0 when there is no pair). Pairs whose S
 * or P is singular (e.g. a hidden width above the next layer's width) are left
 * as they are and counted in *skipped. */
int balance_linear(const struct model *m, double *theta, double *resid, int *skipped);
#endif
