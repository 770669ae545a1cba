/* block.h — the block interface. One block kind = one file in src/core/blocks/
 * exporting one `const struct block_kind`, registered in block_kinds[] (blocks.c).
 *
 * Data layout: a batch of n samples; a sample is `len` rows of `width` features,
 * row-major, so a block input x is (n*in.len, in.width) and its output y is
 * (n*out.len, out.width). Parameters live in the model's single θ buffer: a block
 * owns tensors that are views (offset, shape) into it, row-major.
 *
 * Contracts for the hooks:
 *  - setup: validates options against the input shape, sets b->out, declares
 *    tensors with block_add_tensor (offsets relative to the block), and the sizes
 *    act_per_sample / ws_per_sample / ws_fixed. Errors name the block.
 *  - forward: y = f(x); may store what backward needs in act
 *    (act_per_sample*n doubles). Must not allocate.
 *  - backward: given dy, ADDS ∂L/∂θ into dtheta (full θ layout) and WRITES dx
 *    (skip when dx == NULL). ws holds ws_per_sample*n + ws_fixed doubles.
 *  - laws: appends catalogue laws (role QR_CANDIDATE) and contrasts for laws
 *    that involve block idx of model m; may look at neighbouring blocks.
 */
#ifndef NOETHER_BLOCK_H
#define NOETHER_BLOCK_H
#include <stddef.h>
#include "noether/rng.h"
#include "noether/quantity.h"

#define NT_BLOCK_TENSORS 64
#define NT_BLOCK_IOPT 16
#define NT_BLOCK_DOPT 8

struct shape { int len; int width; };

struct tensor_view {
	char name[64];        /* full name, e.g. "layer1.dense.W" */
	char short_name[24];  /* "W", "b", "head0.Q" */
	size_t off;           /* absolute offset in θ (after model_build) */
	int ndim;
	int dim[3];
	size_t size;
};

struct init_spec {
	enum { INIT_NORMAL, INIT_BALANCED, INIT_UNIFORM } kind;
	double std;           /* <= 0: 1/sqrt(fan_in) per tensor */
	unsigned long seed;
};

struct model;
struct block;

struct block_kind {
	const char *name;
	const char *usage;          /* "dense WIDTH [bias=on|off]" */
	const char *help;           /* one paragraph, shown by `help layer NAME` */
	const char *const *options; /* NULL-terminated option keys, for completion */
	int positive_homogeneous;   /* activation: σ(λz) = λ^p σ(z) for λ>0; p here (0: no) */
	int is_activation;          /* elementwise, no parameters */
	/* Parse options (argv after the kind name). */
	int (*configure)(struct block *b, int argc, char **argv, char *err, size_t errlen);
	int (*setup)(struct block *b, struct shape in, char *err, size_t errlen);
	void (*init)(const struct block *b, double *theta, const struct init_spec *spec, struct rng *r);
	void (*forward)(const struct block *b, const double *theta, int n,
	                const double *x, double *y, double *act, double *ws);
	void (*backward)(const struct block *b, const double *theta, int n,
	                 const double *x, const double *y, const double *act,
	                 const double *dy, double *dx, double *dtheta, double *ws);
	int (*laws)(const struct model *m, int idx, struct qset *out);
	void (*destroy)(struct block *b);   /* frees priv; may be NULL */
	/* Describe the options for `show` and `save session` (re-parsable). */
	void (*describe)(const struct block *b, char *buf, size_t len);
	/* Optional: FLOPs per sample of forward+backward beyond the parameter
	 * matmuls the model already counts (6·nparam·len; 4· for the first block),
	 * e.g. attention's T×T score products, or negative for work a block skips
	 * (moe top-k: unrouted experts). May be NULL. */
	double (*flops)(const struct block *b);
};

struct block {
	const struct block_kind *kind;
	int index;                  /* 0-based position in the model */
	char name[48];              /* "layer2.dense" (1-based layer number) */
	struct shape in, out;
	size_t param_off, nparam;   /* absolute, after model_build */
	int ntensors;
	struct tensor_view tensors[NT_BLOCK_TENSORS];
	size_t act_per_sample, ws_per_sample, ws_fixed;
	long iopt[NT_BLOCK_IOPT];   /* kind-defined options */
	double dopt[NT_BLOCK_DOPT];
	char sopt[32];
	void *priv;                 /* kind-owned, freed by destroy */
};

/* Registry. block_kind_find returns NULL when unknown. */
extern const struct block_kind *const block_kinds[];
const struct block_kind *block_kind_find(const char *name);

/* Declares a tensor of the block (setup only); returns its index. ndim 1..3. */
int block_add_tensor(struct block *b, const char *short_name, int ndim, int d0, int d1, int d2);
/* Tensor by short name or NULL. */
const struct tensor_view *block_tensor(const struct block *b, const char *short_name);

/* Parses "key=value" from argv into value; returns 1 found, 0 absent. */
const char *block_opt(int argc, char **argv, const char *key);
/* Fails with a message if argv has an argument that is not one of keys (NULL-terminated)
 * or a positional beyond npos. */
int block_check_opts(const struct block *b, int argc, char **argv, const char *const *keys,
                     int npos, char *err, size_t errlen);

/* Default init of one tensor: N(0, std) or N(0, 1/fan_in) when spec->std <= 0. */
void block_init_normal(const struct tensor_view *t, double *theta, int fan_in,
                       const struct init_spec *spec, struct rng *r);
#endif
