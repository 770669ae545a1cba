/* quantity.h — quantities watched during training, as data.
 *
 * A quantity is a vector of components; each component is a sparse polynomial of
 * degree <= 2 in θ (terms c·θ_i·θ_j, or c·θ_i when j < 0), or, for user-defined
 * expressions, an evaluator callback. The checker, drift metrics, screen, CSV and
 * `laws count` all go through quantity_eval/quantity_grad, so every law is treated
 * alike. Matrix-valued laws (W1 W1^T - W2^T W2) store the upper triangle with a
 * norm weight (2 off the diagonal) so ||h|| is the Frobenius norm.
 *
 * Invariant: a quantity has role QR_LAW only after its numerical rate check
 * passed; a catalogue law that failed is QR_CLAIMED_FAILS and is never shown as
 * conserved. */
#ifndef NOETHER_QUANTITY_H
#define NOETHER_QUANTITY_H
#include <stddef.h>

struct qterm { int i, j; double c; };          /* c*θ_i*θ_j, or c*θ_i if j < 0 */

struct qcomp {
	int nterms, cap;
	struct qterm *terms;
	double weight;                          /* weight in the squared norm */
};

enum qkind { QK_QUADRATIC, QK_LINEAR, QK_EXPR, QK_LOSS };
enum qrole {
	QR_CANDIDATE,      /* catalogue law not yet checked */
	QR_LAW,            /* passed the rate check: shown as conserved */
	QR_CLAIMED_FAILS,  /* stated in the literature, failed the check */
	QR_CONTRAST        /* not conserved: norms, single terms, loss */
};

struct quantity;
struct model;
/* Evaluator for QK_EXPR: returns h(θ); if grad != NULL adds scale·∇h into grad (D doubles). */
typedef double (*quantity_fn)(const struct quantity *q, const double *theta, double *grad, double scale);

struct quantity {
	char name[96];
	char formula[512];       /* human-readable definition */
	enum qkind kind;
	enum qrole role;
	int block;               /* owning block index (0-based), -1 if none */
	double sym_p;            /* rescaling law: in→λ·in, out→λ^-p·out (0: none) */
	int ncomp;
	struct qcomp *comp;
	quantity_fn fn; void *fn_ctx; void (*fn_free)(void *);
	/* QK_EXPR: re-resolves tensor names after the experiment rebuilt the model
	 * (may be NULL); on failure the quantity evaluates to NaN. */
	int (*fn_rebind)(struct quantity *q, const struct model *m);
	/* Shares fn_ctx with a copy (quantity_clone): returns the context the copy
	 * holds (e.g. the same one with a reference added). NULL: not copyable. */
	void *(*fn_dup)(void *ctx);
	int user;                /* added by `watch NAME = EXPR` */
	int internal;            /* hidden helper (portrait coordinates): never listed */
	int found;               /* found by `laws find` (not in the catalogue); dropped on a rebuild */
	int phase;               /* a function of (θ, velocity): evaluated on z = [θ | v], indices
	                          * D..2D-1 are the velocity (momentum phase-space laws) */
	int watched;             /* shown on screen and exported (default: laws, norms, loss) */
	int slot;                /* column in the trace rows */

	/* state, filled by the run that holds this copy */
	double rate;             /* the check that decided the role: max relative rate
	                          * |<∇h,θ̇>|/(|∇h||θ̇|) over check points, θ̇ what the
	                          * optimizer in force does (the catalogue: -∇L) */
	double gf_rate;          /* the gradient-flow rate (catalogue check) */
	char why[96];            /* why a gradient-flow law is not one under these dynamics ("" if it is) */
	double *h0, *hk;         /* ncomp values at θ0 and θk (plain, no rescaling) */
	double *hp;              /* ncomp predicted values at θk (NULL: no exact identity) */
	int pslot;               /* column of hp in the trace rows, after the values (-1: none) */
	double norm0, normk;     /* weighted norms of h0, hk */
	double mag0;             /* Σ|terms| at θ0: the law's magnitude */
	double decay;            /* F_k: h is compared with F_k·h(θ0) (weight decay; 1 without) */
	double drift_abs;        /* ||h(θk) − F_k h(θ0)|| */
	double drift_rel;        /* drift_abs / (F_k · magnitude) */
	double eps_rel;          /* the papers' ||Δh|| / ||F_k h(θ0)|| (magnitude when that is ≈ 0) */
	double pred_rel;         /* ||hp − F_k h(θ0)|| / (F_k · magnitude): the predicted drift */
	double pred_err;         /* ||h(θk) − hp|| / (F_k · magnitude) */
	double first_value;      /* value at θ0 (component 0) */
};

struct qset { int n, cap; struct quantity **q; };

/* Creation and ownership: quantity_new returns an owned quantity with ncomp
 * empty components (weight 1); free with quantity_free. qset owns its members. */
struct quantity *quantity_new(const char *name, enum qkind kind, int ncomp);
void quantity_free(struct quantity *q);
void qcomp_add(struct qcomp *c, int i, int j, double coef);   /* j<0: linear */
/* A deep copy (terms, values; fn_ctx through fn_dup). Owned by the caller. */
struct quantity *quantity_clone(const struct quantity *q);
void qset_add(struct qset *s, struct quantity *q);            /* takes ownership */
void qset_clear(struct qset *s);                              /* frees members */
void qset_remove(struct qset *s, int index);
struct quantity *qset_find(const struct qset *s, const char *name);

/* Value of component k at theta: its terms (c·θ_i·θ_j, or c·θ_i) summed in
 * order from 0 when there are fewer than 16; from 16 on, term t goes into
 * partial sum t mod 4 and the partials are combined (p0 + p1) + (p2 + p3). */
double quantity_comp_value(const struct quantity *q, int k, const double *theta);
/* Fills out[ncomp]. */
void quantity_eval(const struct quantity *q, const double *theta, double *out);
/* Adds scale * ∇(component k) into grad (D doubles). */
void quantity_comp_grad(const struct quantity *q, int k, const double *theta, double scale, double *grad);
/* Σ over terms of |c θ_i θ_j| (or |c θ_i|) for all components: a magnitude. */
double quantity_magnitude(const struct quantity *q, const double *theta);
/* Weighted Euclidean norm of a component vector v[ncomp]. */
double quantity_norm(const struct quantity *q, const double *v);
/* Largest parameter index referenced + 1 (0 for expressions). */
int quantity_max_index(const struct quantity *q);

/* An evaluation plan for every polynomial component of a qset at once (the
 * trace records them all every step): four consecutive terms at a time as one
 * vector, a run of squares of consecutive parameters as one load (long
 * components), or four short components side by side. It adds the terms in
 * quantity_comp_value's order: the values are the same bits. Expression
 * quantities (fn) and phase-space laws are not in the plan. */
struct qplan;
/* Builds the plan for s over D parameters; component k of quantity q goes to
 * out[q->slot + k] (slots must be set). Owned by the caller: qplan_free. */
struct qplan *qplan_new(const struct qset *s, size_t D);
void qplan_free(struct qplan *p);
/* Number of quantities the plan was built for (to detect a stale plan). */
int qplan_count(const struct qplan *p);
/* Writes every planned component's value at theta (D doubles) into out. */
void qplan_eval(struct qplan *p, const double *theta, double *out);
#endif
