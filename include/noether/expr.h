/* expr.h — user expressions over named tensor entries, with exact gradients:
 * the `watch NAME = EXPR` quantities.
 *
 * Syntax (all values are vectors; a number or an entry is a vector of length 1):
 *   numbers 1.5 2e-3, pi;  + - * / ^ (elementwise, a scalar broadcasts),
 *   unary -, parentheses;  a·b or dot(a,b) (dot product of equal-length slices;
 *   with a scalar side it multiplies);  functions atan2(y,x) sqrt exp log abs
 *   (elementwise), sum(v), norm2(v) = Σ v², norm(v) = sqrt(Σ v²).
 *   Tensors: a full name `layer1.dense.W`, `layer1.W`, a unique short name
 *   (`W`, `head0.Q`), or the K-th tensor of that short name in model order
 *   (`W1`, `W2`, `b1`); a unique case-insensitive match also resolves (`w`).
 *   Slices: `W[0,:]`, `W[:,3]`, `W[1:3,0]`, entry `W[0,2]`; size-1 dimensions
 *   may be omitted (`w[1]` for a 1×3 W); a bare tensor is all its entries.
 * The whole expression must reduce to one number.
 *
 * Evaluation: a tape of nodes in dependency order, values forward, adjoints in
 * reverse (exact gradient). Buffers are sized at compile time: evaluation
 * never allocates. Errors: "column N: message" (1-based column in the text). */
#ifndef NOETHER_EXPR_H
#define NOETHER_EXPR_H
#include <stddef.h>
#include "noether/model.h"
#include "noether/quantity.h"

struct expr;

/* Compiles text against the built model m (tensor names resolve to θ offsets).
 * Returns an owned expression (free with expr_free), or NULL with
 * "column N: ..." in err. */
struct expr *expr_compile(const char *text, const struct model *m, char *err, size_t errlen);
void expr_free(struct expr *e);
/* Value at theta; when grad != NULL also adds scale·∇ into grad (D doubles). */
double expr_eval(struct expr *e, const double *theta, double *grad, double scale);
/* Recompiles the same text against a rebuilt model. On failure the expression
 * is marked unresolved (evaluates to NaN, no gradient) and err says why;
 * returns 0 or the error code. */
int expr_rebind(struct expr *e, const struct model *m, char *err, size_t errlen);
const char *expr_text(const struct expr *e);

/* A user quantity (kind QK_EXPR, user = 1) named name evaluating text; it
 * rebinds itself through q->fn_rebind when the experiment rebuilds the model.
 * Returns NULL with an error ("column N: ...", or a bad name) in err. */
struct quantity *expr_quantity_new(const char *name, const char *text, const struct model *m, char *err, size_t errlen);
#endif
