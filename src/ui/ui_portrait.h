/* ui_portrait.h — the phase portrait behind `portrait X Y`: two scalar
 * coordinates of θ (expressions over named tensors, `|SLICE|` for a norm,
 * `|A, B|` for the norm of both together), the trajectory θ_k mapped to
 * (X, Y), and the level set through θ0 of h = X² − Y², which is the law of a
 * rescaling symmetry when X is the incoming and Y the outgoing size of the
 * same neuron (or a, b of the toy f = a·b·x).
 *
 * Pure: no curses. The level set is drawn only as what it is: h is
 * rate-checked like a law (|<∇h,∇L>| / (|∇h||∇L|) at random points) when the
 * portrait starts, and the screen says whether it passed. Points live in a
 * fixed buffer allocated at start; when it fills, every other point is
 * dropped, so sampling never allocates. */
#ifndef NOETHER_UI_PORTRAIT_H
#define NOETHER_UI_PORTRAIT_H
#include <stddef.h>
#include "noether/session.h"

enum { UI_PORTRAIT_POINTS = 4096 };

struct expr;

struct ui_portrait {
	int on;
	char tx[256], ty[256];      /* coordinates as typed */
	struct expr *ex, *ey;
	size_t D;                   /* parameter count they were compiled for */
	int n;                      /* points held */
	long stride;                /* least step gap between kept points */
	long last_step;
	double *px, *py;            /* UI_PORTRAIT_POINTS each */
	long *pstep;
	double x0, y0, c0;          /* at θ0; c0 = x0² − y0² */
	double xk, yk;              /* at θ now */
	double rate;                /* rate check of x² − y² */
	int level_law;              /* 1: x² − y² passed the check */
	unsigned long hist_hash;    /* the session's history when started: a new */
	int hist_n;                 /* experiment ends the portrait */
};

/* Rewrites the `|A|` and `|A, B|` shorthands into norm expressions. Returns 0,
 * or -1 (unbalanced bars, too long). */
int ui_portrait_expand(const char *in, char *out, size_t len);
/* Splits the words after `portrait` into two coordinates: at whitespace
 * outside brackets, parentheses and bars. Returns 0 or -1. */
int ui_portrait_split(int argc, char **argv, char *x, char *y, size_t len);

/* Compiles both coordinates against s's model (s prepared), rate-checks
 * x² − y², records θ0's and θ's points. Returns 0 or an NT_* code with the
 * message in err. Uses s's scratch buffers (not during a step). */
int ui_portrait_start(struct ui_portrait *p, struct session *s, const char *tx, const char *ty,
                      char *err, size_t errlen);
void ui_portrait_stop(struct ui_portrait *p);
/* Adds θ's point if the step moved on; starts over (from θ0) when the step
 * went back (reset). Returns 1 when the model changed under the portrait
 * (the portrait has ended), else 0. */
int ui_portrait_sample(struct ui_portrait *p, const struct session *s);
#endif
