/* lie.h — counting and finding conservation laws numerically.
 *
 * A field generator is a countable family of vector fields X_k(θ) on R^D (k =
 * 0, 1, 2, ...): the same k is the same function of θ on every call. Two
 * generators are provided: the per-output gradients ∇θ<c_k, f(x_k;θ)> of a model
 * (input x_k, random output weights c_k) and the loss gradients ∇θ L_{Z_k}(θ)
 * over a family of sampled data sets Z_k; any other family can be plugged in
 * through struct lie_fields.
 *
 * lie_count gives an upper bound on the number of independent laws near θ:
 * D − dim Lie(W)(θ), W the span of the fields, from rank decisions on the field
 * values and on iterated brackets [X,[Y,...]] evaluated by Richardson-extrapolated
 * central differences. A difference taken across a ReLU kink is never used:
 * families that report activation patterns (the output fields of a model with
 * top-level ReLU/leaky-ReLU layers) detect a crossing exactly, others through
 * the disagreement of two step sizes; the candidate is dropped and a fresh one
 * (new inputs) takes its place. Candidates are orthogonalised in batches
 * against the span so far, held as Householder reflectors applied in blocks
 * (LAPACK dlarft/dlarfb); each bracket level's rank is confirmed by the
 * singular values of its candidates.
 *
 * Near a θ where some ReLU units never switch (dead, or always on, for every
 * input) more laws hold than the catalogue lists: lie_local_laws names those
 * units and builds their laws, so the two bounds can meet. lie_find gives a
 * basis of all laws that are linear forms, or quadratic forms built from the
 * Gram matrices of each tensor along each axis (the shape every catalogue law
 * has), each verified at fresh random points; lie_grad_rank gives the lower
 * bound (rank of the laws' gradients at θ).
 *
 * The module never prints: results go into structs, errors into a buffer. Long
 * computations poll *interrupt and return NT_EINTR, and report progress
 * through an optional callback. */
#ifndef NOETHER_LIE_H
#define NOETHER_LIE_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "noether/model.h"
#include "noether/data.h"
#include "noether/loss.h"
#include "noether/quantity.h"

/* Relative rate |<∇h, X>| / (|∇h||X|) below which a found law passes its check
 * (the session's catalogue check uses the same bound). */
#define LIE_RATE_TOL 1e-9

/* Progress: frac in [0, 1] of the current job, stage a short name ("fields",
 * "brackets 2", "find: equations", ...). Called from the computing thread
 * between candidates; it must return quickly and must not touch the model. */
typedef void (*lie_progress_fn)(void *ctx, double frac, const char *stage);

/* A family of fields. eval writes X_k(theta) into out (D doubles) and returns 0
 * or a negative NT_* code. pattern (may be NULL) returns a hash of the
 * activation pattern (which side of its kink every unit was on) of the last
 * eval: equal hashes for field k at two points mean no kink lies between for
 * a piecewise-smooth family. */
struct lie_fields {
	size_t D;
	int (*eval)(void *ctx, long k, const double *theta, double *out);
	void *ctx;
	uint64_t (*pattern)(void *ctx);
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
/* Samples per output field of a model that takes batch statistics
 * (model_batch_stats: batchnorm), at most the model's max_batch: each field is
 * then ∇θ<c_k, f(X_k;θ)> over a batch X_k of that many inputs drawn with one
 * radius (so batch statistics meet every scale). */
#define LIE_BATCH 16
/* Loss-gradient fields ∇θ L_{Z_k} for data sets from sample(sctx, k, n_per_set).
 * Every Z_k must have at most m->max_batch samples (larger ones are an error). */
struct lie_gen *lie_gen_family(struct model *m, enum loss_kind loss, int n_per_set,
                               lie_sample_fn sample, void *sctx);
void lie_gen_free(struct lie_gen *g);
/* The fields view of a generator (valid while g lives). */
struct lie_fields lie_gen_fields(struct lie_gen *g);
/* Last error message of a generator ("" if none). */
const char *lie_gen_error(const struct lie_gen *g);

/* Activation census of an output generator at θ: draws npool inputs (0: the
 * default, 32768) with radii log-uniform in [e^-1.5, e^4.5] × xscale, records
 * which side of its kink every ReLU/leaky-ReLU unit of the model's top level is
 * on, and plans the fields' inputs: one per activation pattern met (the input
 * farthest from a kink), those showing a unit state seen fewer than
 * min(inputs + 1, 8) times first; then copies of them jittered by 2% inside
 * their region; then the rest (inputs within 1e-4 of a unit's scale from its
 * kink are left out). Field k then uses planned input k (random inputs after
 * the plan). Call it before counting at θ; without it (or for a model without
 * such layers) inputs are plain random draws. Returns 0, or NT_EINVAL for a
 * family generator. */
int lie_gen_cover(struct lie_gen *g, const double *theta, int npool);

/* ---- units that never switch: local laws ---- */
/* A ReLU unit that is off for every input has constant incoming and outgoing
 * weights near θ; a connection between two units that are never on together
 * is constant too; units of one layer that never switch side act as one
 * linear layer, whose Gram matrix W_in W_inᵀ + b bᵀ − W_outᵀ W_out is
 * conserved (its diagonal is the catalogue's per-neuron law, the rest is new).
 * Found on the census of lie_gen_cover, for models made of affine layers
 * (dense, softmax head) and element-wise activations. */
struct lie_unit_note {
	char text[160];        /* "layer4.relu n10: dead (on for 0 of 16384 inputs)" */
	int extra;             /* laws it adds beyond the catalogue (before rank) */
};
struct lie_local {
	int analysed;          /* 0: the model is not a chain of affine layers and activations */
	long samples;          /* inputs (rows) in the census */
	int units, dead, linear, cut;   /* hidden units seen; dead; never switching (not dead); dead connections */
	int nnotes;
	struct lie_unit_note *notes;
	int nlaws;
	struct quantity **laws;   /* owned, role QR_LAW, names "local.…" */
};
/* Fills *out from the census of g at θ (lie_gen_cover must have run). */
void lie_local_laws(const struct lie_gen *g, const double *theta, struct lie_local *out);
void lie_local_free(struct lie_local *l);

/* ---- counting: upper bound ---- */
#define LIE_MAX_LEVELS 6
#define LIE_NSV 6

struct lie_count_opts {
	int max_level;        /* deepest bracket level (default 4) */
	int patience;         /* consecutive rejected candidates that end a level (default 12; 64 for field values) */
	double gap_min;       /* a decision with a smaller gap is uncertain (default 1e3) */
	unsigned long seed;   /* generator indices start here (different seeds: different fields) */
	double time_limit;    /* seconds (0: none); exceeding it marks the result uncertain */
	volatile sig_atomic_t *interrupt;
	lie_progress_fn progress;
	void *progress_ctx;
};

struct lie_level {
	int level;            /* 0: the fields; d: d-fold brackets */
	int tried, accepted, rejected_fd;   /* candidates; new directions; dropped (stencil not smooth) */
	int rank;             /* cumulative rank after this level */
	double tol;           /* acceptance threshold on the relative residual */
	double acc_min;       /* smallest residual accepted (1 if none) */
	double rej_max;       /* largest residual rejected (0 if none) */
	double gap;           /* decisive gap of the level (inf when clear-cut) */
	int uncertain;
	/* bracket levels: singular values of the level's candidates (projected
	 * off the earlier levels' span) around the level's rank */
	int nsv, sv_first;
	double sv[2 * LIE_NSV];
	int revised;          /* the singular values overruled the one-at-a-time thresholds */
	int accepted_incremental;
};

struct lie_count_result {
	size_t D;
	int nlevels;
	struct lie_level lv[LIE_MAX_LEVELS];
	int rank;             /* dim Lie(W)(θ) */
	int upper;            /* D − rank */
	int uncertain;        /* a gap below gap_min, too many dropped candidates, or the time limit */
	int saturated;        /* stopped by max_level while the last level still grew */
	double gap;           /* smallest decisive gap over the levels */
	long field_evals;
	double seconds;
	size_t mem_bytes;     /* largest working memory held at once */
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
/* Rank of {∇ component k of q[i](θ)} over all given quantities. When mask !=
 * NULL (D bytes) only the gradient entries with mask[i] != 0 count. */
int lie_grad_rank(struct quantity *const *q, int nq, const double *theta, size_t D, struct lie_rank *r);
int lie_grad_rank_masked(struct quantity *const *q, int nq, const double *theta, size_t D,
                         const unsigned char *mask, struct lie_rank *r);
/* Rank at θ of the gradients of every quantity of s shown as conserved (role
 * QR_LAW) that is a function of θ alone (momentum's phase-space laws, on
 * (θ, v), are left out): the metric laws.rank. Returns 0 or NT_EINVAL
 * (LAPACK failure). */
int lie_laws_rank(const struct qset *s, const double *theta, size_t D, struct lie_rank *r);

/* ---- subsets: laws that depend only on θ_T ---- */
/* Selects parameters by tensor name: a comma-separated list of glob patterns
 * (fnmatch: *, ?, [..]) matched against full tensor names ("layer2.*",
 * "layer1.dense.W,layer3.*"). mask gets D bytes (1: in T). Returns the size of
 * T, or a negative NT_* code with a message (a pattern that matches nothing). */
long lie_params_mask(const struct model *m, const char *patterns, unsigned char *mask, char *err, size_t len);
struct lie_sub;
/* Fields of the laws of θ_T: Y_k(θ_T) = P_T X_k(θ_T, φ_k), the projection on T
 * of field k at the point whose other coordinates are φ_k, a random point of
 * the model's initialisation distribution (a law of θ_T alone holds for every
 * value of the rest). D of the view is |T|. F and m must outlive it. */
struct lie_sub *lie_sub_new(const struct model *m, const struct lie_fields *F, const unsigned char *mask,
                            unsigned long seed);
struct lie_fields lie_sub_fields(struct lie_sub *s);
/* θ_T of a full θ (|T| doubles into out). */
void lie_sub_restrict(const struct lie_sub *s, const double *theta, double *out);
void lie_sub_free(struct lie_sub *s);

/* ---- discovery ---- */
struct lie_find_opts {
	int degree;           /* 1: linear forms; 2: linear and Gram quadratic forms */
	int points;           /* distinct random θ points (0, the default: a new one per equation) */
	unsigned long seed;
	int max_unknowns;     /* refuse beyond this (default 10000) */
	const unsigned char *mask;   /* D bytes or NULL: unknowns only among these parameters */
	volatile sig_atomic_t *interrupt;
	lie_progress_fn progress;
	void *progress_ctx;
};

struct lie_find_result {
	int nunknowns, nequations;
	int nlaws;                /* verified laws */
	struct quantity **laws;   /* nlaws owned quantities (one component each), names "found.N" */
	char **text;              /* nlaws readable formulas (owned) */
	double *rate;             /* nlaws: largest relative rate at the fresh check points */
	int candidates;           /* null-space dimension of the first system */
	int refined;              /* candidates removed by the equations at fresh points */
	int rejected;             /* laws dropped by the final rate check */
	int check_points;         /* fresh points of the final check */
	int independent;          /* rank of the laws' gradients at a fresh point */
	int sv_first, nsv;        /* singular values around the null-space decision */
	double sv[2 * LIE_NSV];
	double gap;
	int uncertain;
	double seconds;
};

void lie_find_defaults(struct lie_find_opts *o);
/* Basis of the laws of F (polynomials of degree <= o->degree of the Gram shape),
 * simplified to reduced row echelon form, every one verified: the candidates
 * are re-solved against equations at fresh random points until none changes,
 * and a law is kept only if its rate against fresh fields at fresh points is at
 * most LIE_RATE_TOL. Random θ points come from model_init of m. Returns 0,
 * NT_ERANGE (too many unknowns), NT_EINTR, or a generator error; on an error
 * res holds nothing to free. */
int lie_find(const struct model *m, const struct lie_fields *F, const struct lie_find_opts *o,
             struct lie_find_result *res, char *err, size_t len);
void lie_find_result_free(struct lie_find_result *r);
/* Moves the found laws not in the span of have[0..nhave) into out (which takes
 * ownership), renamed after their support and form, e.g.
 * "found.quad(layer1.dense.W,layer3.dense.W)#2", role QR_CANDIDATE (the
 * caller's own rate check then decides QR_LAW), formula the readable text.
 * Returns how many moved; the rest stay in r. */
int lie_find_take_new(struct lie_find_result *r, const struct model *m, struct quantity *const *have, int nhave,
                      size_t D, struct qset *out);

/* Is every component of q a linear combination of the quantities basis[0..nb)
 * (as functions, up to a constant)? Checked through gradients at three random
 * points; *resid gets the worst relative residual. Returns 1 yes, 0 no. */
int lie_span_contains(struct quantity *const *basis, int nb, const struct quantity *q, size_t D,
                      unsigned long seed, double *resid);
#endif
