/* lie.h — counting and finding conservation laws numerically.
 *
 * A field generator is a countable family of vector fields X_k(θ) on R^D (k =
 * 0, 1, 2, ...): the same k is the same function of θ on every call. Two
 * generators are provided: the per-output gradients ∇θ<c_k, f(x_k;θ)> of a model
 * (one random input x_k, random output weights c_k) and the loss gradients
 * ∇θ L_{Z_k}(θ) over a family of sampled data sets Z_k; any other family can be
 * plugged in through struct lie_fields.
 *
 * lie_count gives an upper bound on the number of independent laws near θ:
 * D − dim Lie(W)(θ), W the span of the fields, from rank decisions on the field
 * values and on iterated brackets [X,[Y,...]] evaluated by Richardson-extrapolated
 * central differences (each difference is checked at two steps; an inconsistent
 * one, e.g. across a ReLU kink, discards the candidate). lie_find gives a basis
 * of all laws that are linear forms, or quadratic forms built from the Gram
 * matrices of each tensor along each axis (the shape every catalogue law has);
 * lie_grad_rank gives the lower bound (rank of the laws' gradients at θ).
 *
 * The module never prints: results go into structs, errors into a buffer. Long
 * computations poll *interrupt between stages and return NT_EINTR. */
#ifndef NOETHER_LIE_H
#define NOETHER_LIE_H
#include <signal.h>
#include <stddef.h>
#include "noether/model.h"
#include "noether/data.h"
#include "noether/loss.h"
#include "noether/quantity.h"

/* A family of fields. eval writes X_k(theta) into out (D doubles) and returns 0
 * or a negative NT_* code. */
struct lie_fields {
	size_t D;
	int (*eval)(void *ctx, long k, const double *theta, double *out);
	void *ctx;
};

/* Draws data set number k of a family (deterministic in k) with n_hint samples
 * before augmentation; returns a new data set (caller frees with data_free) or
 * NULL with a message in err. */
typedef struct dataset *(*lie_sample_fn)(void *ctx, long k, int n_hint, char *err, size_t len);

/* The default family (over=augmented): data sets of the base set's kind drawn
 * with fresh seeds (rows of the base set when the kind cannot be regenerated),
 * random targets (regression N(0,1), classes uniform), then closed under the
 * augmentation group by `augment` when it is set (the data-symmetry module
 * plugs in there; NULL: no group). Pass a pointer to it as the sampler ctx. */
struct lie_family {
	const struct dataset *base;
	unsigned long seed;
	int (*augment)(void *actx, struct dataset *z, char *err, size_t len);
	void *actx;
};
struct dataset *lie_family_sample(void *ctx, long k, int n_hint, char *err, size_t len);

struct lie_gen;
/* Per-output gradient fields of model m (built): x_k = ρ_k·xscale·N(0,I) with
 * ρ_k log-uniform in [e^-1, e^3.5] (so every activation kink is crossed by some
 * input), c_k ~ N(0,1). center != 0 makes each output row of c_k sum to zero:
 * the span of the per-sample gradients of a loss invariant to shifting the
 * logits (cross-entropy), whose laws (softmax head column sums) hold only for
 * that loss. The model must outlive the generator. */
struct lie_gen *lie_gen_outputs(struct model *m, unsigned long seed, double xscale, int center);
/* Loss-gradient fields ∇θ L_{Z_k} for data sets from sample(sctx, k, n_per_set).
 * Every Z_k must have at most m->max_batch samples (larger ones are an error). */
struct lie_gen *lie_gen_family(struct model *m, enum loss_kind loss, int n_per_set,
                               lie_sample_fn sample, void *sctx);
void lie_gen_free(struct lie_gen *g);
/* The fields view of a generator (valid while g lives). */
struct lie_fields lie_gen_fields(struct lie_gen *g);
/* Last error message of a generator ("" if none). */
const char *lie_gen_error(const struct lie_gen *g);

/* ---- counting: upper bound ---- */
#define LIE_MAX_LEVELS 6
#define LIE_NSV 6

struct lie_count_opts {
	int max_level;        /* deepest bracket level (default 4) */
	int patience;         /* consecutive rejected candidates that end a level (default 12) */
	double gap_min;       /* a decision with a smaller gap is uncertain (default 1e3) */
	unsigned long seed;   /* generator indices start here (different seeds: different fields) */
	double time_limit;    /* seconds (0: none); exceeding it marks the result uncertain */
	volatile sig_atomic_t *interrupt;
};

struct lie_level {
	int level;            /* 0: the fields; d: d-fold brackets */
	int tried, accepted, rejected_fd;   /* candidates; new directions; dropped (FD inconsistent) */
	int rank;             /* cumulative rank after this level */
	double tol;           /* acceptance threshold on the relative residual */
	double acc_min;       /* smallest residual accepted (1 if none) */
	double rej_max;       /* largest residual rejected (0 if none) */
	double gap;           /* acc_min / rej_max (inf when nothing rejected or accepted) */
	int uncertain;
};

struct lie_count_result {
	size_t D;
	int nlevels;
	struct lie_level lv[LIE_MAX_LEVELS];
	int rank;             /* dim Lie(W)(θ) */
	int upper;            /* D − rank */
	int uncertain;        /* a gap below gap_min, levels exhausted while growing, or time limit */
	int saturated;        /* stopped by max_level while the last level still grew */
	/* singular values of all (normalised) candidate values, around the final rank */
	int sv_first, nsv;    /* sv[t] is σ_{sv_first+t} (1-based) */
	double sv[2 * LIE_NSV];
	double sv_gap;        /* σ_rank / σ_{rank+1} (inf if rank is full) */
	int rank_incremental; /* rank from the level-by-level thresholds, before the final SVD */
	int revised;          /* 1: the final SVD's gap decided a different rank */
	long field_evals;
	double seconds;
};

void lie_count_defaults(struct lie_count_opts *o);
/* Computes the Lie rank of F at theta. Returns 0, NT_EINTR when interrupted,
 * or an error from the generator (message in err). */
int lie_count(const struct lie_fields *F, const double *theta, const struct lie_count_opts *o,
              struct lie_count_result *res, char *err, size_t len);

/* ---- lower bound: rank of the gradients of laws at θ ---- */
struct lie_rank {
	int rank, nrows;
	double gap;           /* σ_rank / σ_{rank+1} */
	int uncertain;
	int sv_first, nsv;
	double sv[2 * LIE_NSV];
};
/* Rank of {∇ component k of q[i](θ)} over all given quantities. */
int lie_grad_rank(struct quantity *const *q, int nq, const double *theta, size_t D, struct lie_rank *r);

/* ---- discovery ---- */
struct lie_find_opts {
	int degree;           /* 1: linear forms; 2: linear and Gram quadratic forms */
	int points;           /* distinct random θ points (0, the default: a new one per equation) */
	unsigned long seed;
	int max_unknowns;     /* refuse beyond this (default 4000) */
	volatile sig_atomic_t *interrupt;
};

struct lie_find_result {
	int nunknowns, nequations;
	int nlaws;
	struct quantity **laws;   /* nlaws owned quantities (one component each), names "found.N" */
	char **text;              /* nlaws readable formulas (owned) */
	int sv_first, nsv;        /* singular values around the null-space decision */
	double sv[2 * LIE_NSV];
	double gap;
	int uncertain;
	double seconds;
};

void lie_find_defaults(struct lie_find_opts *o);
/* Basis of the laws of F (polynomials of degree <= o->degree of the Gram shape),
 * simplified to reduced row echelon form. Random θ points come from model_init
 * of m. Returns 0, NT_ERANGE (too many unknowns), NT_EINTR, or a generator error. */
int lie_find(const struct model *m, const struct lie_fields *F, const struct lie_find_opts *o,
             struct lie_find_result *res, char *err, size_t len);
void lie_find_result_free(struct lie_find_result *r);

/* Is every component of q a linear combination of the quantities basis[0..nb)
 * (as functions, up to a constant)? Checked through gradients at three random
 * points; *resid gets the worst relative residual. Returns 1 yes, 0 no. */
int lie_span_contains(struct quantity *const *basis, int nb, const struct quantity *q, size_t D,
                      unsigned long seed, double *resid);
#endif
