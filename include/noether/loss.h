/* loss.h — losses over the model output f (R rows of width w) and targets.
 * All are means over rows R = n*out_len:
 *   mse            L = 1/(2R) Σ_r ||f_r - y_r||²
 *   logistic       L = 1/R Σ_r log(1 + exp(-y_r f_r)),   y_r = ±1, w = 1
 *   exponential    L = 1/R Σ_r exp(-y_r f_r),            y_r = ±1, w = 1
 *   cross-entropy  L = 1/R Σ_r -log softmax(f_r)[c_r]     classes c_r, w = C
 * Classification labels feed mse as one-hot (w = C) or ±1 (w = 1, 2 classes). */
#ifndef NOETHER_LOSS_H
#define NOETHER_LOSS_H
#include <stddef.h>

enum loss_kind { LOSS_MSE, LOSS_LOGISTIC, LOSS_EXPONENTIAL, LOSS_XENT, LOSS_COUNT };

extern const char *const loss_names[];   /* NULL-terminated, indexed by loss_kind */
int loss_find(const char *name);         /* kind or -1 */

/* Target matrix for loss k with output width w from data d: writes targets
 * (R, tw) into *t (allocated, caller frees) or class indices (*t == NULL, use
 * d->label). Returns 0 or NT_EINVAL with a message naming the mismatch. */
struct dataset;
int loss_targets(enum loss_kind k, const struct dataset *d, int w, double **t, char *err, size_t errlen);

/* Loss value over R rows; if df != NULL writes ∂L/∂f (R, w). labels used for
 * cross-entropy, t otherwise. */
double loss_eval(enum loss_kind k, const double *f, int R, int w,
                 const double *t, const int *labels, double *df);
#endif
